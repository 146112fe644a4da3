//! The hypervisor: queues, capabilities, and the msgq hypercalls dispatched through them.

use core::borrow::BorrowMut;
use core::fmt;

use gunyah_msgq::{CapId, GunyahError, RawOutput, SendFlags};

use super::config::{ConfigError, QueueConfig};
use super::cspace::{CSpace, CspaceError, Object, Rights};
use super::ids::{QueueId, VmId};
use super::queue::Msgq;
use super::signal::{Edges, LineKind, LineSignal, Output};

/// The result of one hypercall: its registers, the queue it reached, and that queue's vIRQ
/// signals.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dispatch {
    /// The output registers.
    pub raw: RawOutput,
    /// The queue the capability named; `None` when the lookup failed.
    pub queue: Option<QueueId>,
    /// The signals on that queue's lines.
    pub edges: Edges,
}

impl Dispatch {
    fn failed(error: GunyahError) -> Dispatch {
        // A failed lookup leaves every output register zero.
        Dispatch {
            raw: RawOutput::error(error.code()),
            queue: None,
            edges: Edges::NONE,
        }
    }

    /// The lines this call asserted, as `(queue, line)`.
    pub fn asserted(&self) -> impl Iterator<Item = (QueueId, LineKind)> + '_ {
        self.signals()
            .filter(|&(_, _, s)| s == LineSignal::Assert)
            .map(|(q, k, _)| (q, k))
    }

    /// Every non-idle signal, as `(queue, line, signal)`.
    pub fn signals(&self) -> impl Iterator<Item = (QueueId, LineKind, LineSignal)> + '_ {
        self.queue.into_iter().flat_map(move |q| {
            LineKind::ALL
                .into_iter()
                .map(move |k| (q, k, self.edges.get(k)))
                .filter(|&(_, _, s)| s != LineSignal::Idle)
        })
    }
}

/// A change to the hypervisor's objects that cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HypError {
    /// Every queue slot is in use.
    TooManyQueues,
    /// No queue has this id.
    NoSuchQueue(QueueId),
    /// The queue's configuration is invalid.
    Config(ConfigError),
    /// The capability change failed.
    Cspace(CspaceError),
}

impl HypError {
    /// The hypervisor error that stands for this.
    #[must_use]
    pub const fn error(self) -> GunyahError {
        match self {
            HypError::TooManyQueues => GunyahError::Nomem,
            HypError::NoSuchQueue(_) => GunyahError::ArgumentInvalid,
            HypError::Config(e) => e.error(),
            HypError::Cspace(e) => e.error(),
        }
    }
}

impl From<ConfigError> for HypError {
    fn from(e: ConfigError) -> Self {
        HypError::Config(e)
    }
}

impl From<CspaceError> for HypError {
    fn from(e: CspaceError) -> Self {
        HypError::Cspace(e)
    }
}

impl fmt::Display for HypError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HypError::TooManyQueues => f.write_str("no room for another queue"),
            HypError::NoSuchQueue(q) => write!(f, "no queue {}", q.0),
            HypError::Config(e) => e.fmt(f),
            HypError::Cspace(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for HypError {}

/// One VM's end of a link: what its device tree would name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EndpointCaps {
    /// The VM.
    pub vm: VmId,
    /// Its TX capability (SEND only).
    pub tx_cap: CapId,
    /// Its RX capability (RECEIVE only).
    pub rx_cap: CapId,
    /// The queue it sends into (the peer's RX queue).
    pub tx_queue: QueueId,
    /// The queue it receives from (the peer's TX queue).
    pub rx_queue: QueueId,
}

/// Both ends of a link between two VMs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkCaps {
    /// VM A's end.
    pub a: EndpointCaps,
    /// VM B's end.
    pub b: EndpointCaps,
}

/// A hypervisor model: up to `QUEUES` queues with storage for `SLOTS` messages of `MSG` bytes
/// each, and up to `CAPS` capabilities over all VMs. No allocation, no lock, no handler: each
/// hypercall returns a [`Dispatch`] and the caller applies its vIRQ signals.
pub struct Hyp<
    const QUEUES: usize,
    const CAPS: usize,
    const SLOTS: usize,
    const MSG: usize,
    S = [[u8; MSG]; SLOTS],
> {
    queues: [Option<Msgq<SLOTS, MSG, S>>; QUEUES],
    cspace: CSpace<CAPS>,
}

impl<const QUEUES: usize, const CAPS: usize, const SLOTS: usize, const MSG: usize>
    Hyp<QUEUES, CAPS, SLOTS, MSG>
{
    /// Creates a queue with inline storage.
    ///
    /// # Errors
    /// [`HypError::Config`], [`HypError::TooManyQueues`].
    pub fn create_queue(&mut self, config: QueueConfig) -> Result<QueueId, HypError> {
        self.add_queue(Msgq::new(config)?)
    }
}

impl<const QUEUES: usize, const CAPS: usize, const SLOTS: usize, const MSG: usize, S>
    Hyp<QUEUES, CAPS, SLOTS, MSG, S>
{
    /// A hypervisor with no queue and no capability.
    #[must_use]
    pub const fn new() -> Self {
        Hyp {
            queues: [const { None }; QUEUES],
            cspace: CSpace::new(),
        }
    }

    /// Creates a queue in `storage`.
    ///
    /// # Errors
    /// [`HypError::Config`], [`HypError::TooManyQueues`].
    pub fn create_queue_with(
        &mut self,
        storage: S,
        config: QueueConfig,
    ) -> Result<QueueId, HypError> {
        self.add_queue(Msgq::with_storage(storage, config)?)
    }

    fn add_queue(&mut self, queue: Msgq<SLOTS, MSG, S>) -> Result<QueueId, HypError> {
        let (index, slot) = self
            .queues
            .iter_mut()
            .enumerate()
            .find(|(_, q)| q.is_none())
            .ok_or(HypError::TooManyQueues)?;
        *slot = Some(queue);
        Ok(QueueId(index))
    }

    /// The queue `id`.
    #[must_use]
    pub fn queue(&self, id: QueueId) -> Option<&Msgq<SLOTS, MSG, S>> {
        self.queues.get(id.0).and_then(Option::as_ref)
    }

    /// The queue `id`, to change its mode or inspect it.
    pub fn queue_mut(&mut self, id: QueueId) -> Option<&mut Msgq<SLOTS, MSG, S>> {
        self.queues.get_mut(id.0).and_then(Option::as_mut)
    }

    /// Every queue with its id.
    pub fn queues(&self) -> impl Iterator<Item = (QueueId, &Msgq<SLOTS, MSG, S>)> {
        self.queues
            .iter()
            .enumerate()
            .filter_map(|(i, q)| q.as_ref().map(|q| (QueueId(i), q)))
    }

    /// The level of `line` of `queue` (false for a queue that does not exist).
    #[must_use]
    pub fn level(&self, queue: QueueId, line: LineKind) -> bool {
        self.queue(queue).is_some_and(|q| q.level(line))
    }

    /// The capability table.
    #[must_use]
    pub fn cspace(&self) -> &CSpace<CAPS> {
        &self.cspace
    }

    /// The capability table, to revoke or delete capabilities.
    pub fn cspace_mut(&mut self) -> &mut CSpace<CAPS> {
        &mut self.cspace
    }

    /// Gives `vm` a capability to `queue`.
    ///
    /// # Errors
    /// [`HypError::NoSuchQueue`], [`HypError::Cspace`].
    pub fn grant(&mut self, vm: VmId, queue: QueueId, rights: Rights) -> Result<CapId, HypError> {
        if self.queue(queue).is_none() {
            return Err(HypError::NoSuchQueue(queue));
        }
        Ok(self.cspace.grant(vm, Object::Msgq(queue), rights)?)
    }

    /// Gives `vm` a capability to an object that is not a message queue, to test
    /// CSPACE_WRONG_OBJECT_TYPE.
    ///
    /// # Errors
    /// [`HypError::Cspace`].
    pub fn grant_other(&mut self, vm: VmId, rights: Rights) -> Result<CapId, HypError> {
        Ok(self.cspace.grant(vm, Object::Other, rights)?)
    }

    /// Connects `a` and `b` through two existing queues, as the resource manager does: `a`
    /// sends into `a_to_b` (SEND only) and `b` receives from it (RECEIVE only), and the other
    /// way round for `b_to_a`.
    ///
    /// # Errors
    /// [`HypError::NoSuchQueue`]; [`CspaceError::Full`] if fewer than four slots are free
    /// (then nothing is granted).
    pub fn connect(
        &mut self,
        a: VmId,
        b: VmId,
        a_to_b: QueueId,
        b_to_a: QueueId,
    ) -> Result<LinkCaps, HypError> {
        for q in [a_to_b, b_to_a] {
            if self.queue(q).is_none() {
                return Err(HypError::NoSuchQueue(q));
            }
        }
        if self.cspace.free() < 4 {
            return Err(CspaceError::Full.into());
        }
        let a_tx = self.grant(a, a_to_b, Rights::SEND)?;
        let a_rx = self.grant(a, b_to_a, Rights::RECEIVE)?;
        let b_tx = self.grant(b, b_to_a, Rights::SEND)?;
        let b_rx = self.grant(b, a_to_b, Rights::RECEIVE)?;
        Ok(LinkCaps {
            a: EndpointCaps {
                vm: a,
                tx_cap: a_tx,
                rx_cap: a_rx,
                tx_queue: a_to_b,
                rx_queue: b_to_a,
            },
            b: EndpointCaps {
                vm: b,
                tx_cap: b_tx,
                rx_cap: b_rx,
                tx_queue: b_to_a,
                rx_queue: a_to_b,
            },
        })
    }

    /// Looks the capability up and runs `op` on its queue.
    fn on_queue(
        &mut self,
        vm: VmId,
        cap: CapId,
        needed: Rights,
        op: impl FnOnce(&mut Msgq<SLOTS, MSG, S>) -> Output,
    ) -> Dispatch {
        let id = match self.cspace.lookup_msgq(vm, cap, needed) {
            Ok(id) => id,
            Err(e) => return Dispatch::failed(e),
        };
        match self.queue_mut(id) {
            Some(queue) => {
                let out = op(queue);
                Dispatch {
                    raw: out.raw,
                    queue: Some(id),
                    edges: out.edges,
                }
            }
            // A capability always names an existing queue (queues are never destroyed); if
            // not, answer as for a capability that names nothing.
            None => Dispatch::failed(GunyahError::CspaceCapNull),
        }
    }

    /// `msgq_flush` by `vm` on `cap` (needs RECEIVE).
    pub fn flush(&mut self, vm: VmId, cap: CapId) -> Dispatch {
        self.on_queue(vm, cap, Rights::RECEIVE, Msgq::flush)
    }

    /// `msgq_configure_send` by `vm` on `cap` (needs SEND).
    pub fn configure_send(
        &mut self,
        vm: VmId,
        cap: CapId,
        threshold: u32,
        holdoff: u32,
    ) -> Dispatch {
        self.on_queue(vm, cap, Rights::SEND, |q| {
            q.configure_send(threshold, holdoff)
        })
    }

    /// `msgq_configure_receive` by `vm` on `cap` (needs RECEIVE).
    pub fn configure_receive(
        &mut self,
        vm: VmId,
        cap: CapId,
        threshold: u32,
        holdoff: u32,
    ) -> Dispatch {
        self.on_queue(vm, cap, Rights::RECEIVE, |q| {
            q.configure_receive(threshold, holdoff)
        })
    }
}

impl<const QUEUES: usize, const CAPS: usize, const SLOTS: usize, const MSG: usize, S>
    Hyp<QUEUES, CAPS, SLOTS, MSG, S>
where
    S: BorrowMut<[[u8; MSG]; SLOTS]>,
{
    /// `msgq_send` by `vm` of `msg` on `cap` (needs SEND).
    pub fn send(&mut self, vm: VmId, cap: CapId, msg: &[u8], flags: SendFlags) -> Dispatch {
        self.on_queue(vm, cap, Rights::SEND, |q| q.send(msg, flags))
    }

    /// `msgq_send` by `vm` of `size` bytes from a buffer the hypervisor cannot read.
    pub fn send_unreadable(
        &mut self,
        vm: VmId,
        cap: CapId,
        size: usize,
        flags: SendFlags,
    ) -> Dispatch {
        self.on_queue(vm, cap, Rights::SEND, |q| q.send_unreadable(size, flags))
    }

    /// `msgq_receive` by `vm` into `buf` on `cap` (needs RECEIVE).
    pub fn receive(&mut self, vm: VmId, cap: CapId, buf: &mut [u8]) -> Dispatch {
        self.on_queue(vm, cap, Rights::RECEIVE, |q| q.receive(buf))
    }

    /// `msgq_receive` by `vm` into a buffer the hypervisor cannot write.
    pub fn receive_unwritable(&mut self, vm: VmId, cap: CapId) -> Dispatch {
        self.on_queue(vm, cap, Rights::RECEIVE, Msgq::receive_unwritable)
    }
}

impl<const QUEUES: usize, const CAPS: usize, const SLOTS: usize, const MSG: usize, S> Default
    for Hyp<QUEUES, CAPS, SLOTS, MSG, S>
{
    fn default() -> Self {
        Self::new()
    }
}
