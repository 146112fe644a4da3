//! `MockHypervisor`: the pure model behind a mutex, with real vIRQ lines around it.

use std::boxed::Box;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use std::vec::Vec;

use gunyah_msgq::CapId;

use crate::delivery::{Delivery, LineCore, lock};
use crate::error::MockError;
use crate::guest::Guest;
use crate::irq::{LineId, MockIrq};
use crate::link::{Endpoint, Link, LinkConfig};
use crate::model::{
    Hyp, LineKind, MAX_DEPTH, MAX_MSG_SIZE, Mode, QueueConfig, QueueId, QueueSnapshot, Rights,
    SmallBufferError, VmId,
};
use crate::stats::CallStats;

/// Storage of one host queue: room for the largest queue the hypervisor allows, on the heap.
type Slots = Box<[[u8; MAX_MSG_SIZE]; MAX_DEPTH]>;

/// The model the std layer wraps.
pub(crate) type StdHyp = Hyp<
    { MockHypervisor::MAX_QUEUES },
    { MockHypervisor::MAX_CAPS },
    MAX_DEPTH,
    MAX_MSG_SIZE,
    Slots,
>;

/// Allocates a queue's storage without building it on the stack first (it is ~255 KiB).
fn new_slots() -> Slots {
    let slots = std::vec![[0u8; MAX_MSG_SIZE]; MAX_DEPTH].into_boxed_slice();
    match slots.try_into() {
        Ok(slots) => slots,
        // Cannot happen (the vector has exactly MAX_DEPTH elements); answer without a panic.
        Err(_) => Box::new([[0; MAX_MSG_SIZE]; MAX_DEPTH]),
    }
}

/// Everything behind the model lock.
pub(crate) struct HypState {
    pub(crate) hyp: Box<StdHyp>,
    /// Each queue's lines, `[TX, RX]`, indexed by queue id.
    lines: Vec<[Arc<LineCore>; 2]>,
    pub(crate) calls: BTreeMap<VmId, CallStats>,
    stopped: bool,
}

impl HypState {
    /// The level condition of a line (see [`crate::model::Msgq::level`]).
    pub(crate) fn level(&self, id: LineId) -> bool {
        self.hyp.level(id.queue, id.kind)
    }

    pub(crate) fn line(&self, queue: QueueId, kind: LineKind) -> Option<&Arc<LineCore>> {
        self.lines.get(queue.0).map(|l| &l[kind.index()])
    }
}

struct Shared {
    state: Arc<Mutex<HypState>>,
    delivery: Delivery,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    /// Stops every line and joins the delivery threads. Handlers are dropped last, outside
    /// every lock, after the threads that might run them are gone.
    fn stop(&self) {
        let lines: Vec<Arc<LineCore>> = {
            let mut st = lock(&self.state);
            st.stopped = true;
            st.lines.iter().flatten().cloned().collect()
        };
        let handlers: Vec<_> = lines.iter().filter_map(|l| l.shutdown()).collect();
        let workers = std::mem::take(&mut *lock(&self.workers));
        let me = thread::current().id();
        for worker in workers {
            // The last handle may be dropped by a handler on a delivery thread: that thread
            // is leaving anyway (its line is shut down) and cannot join itself.
            if worker.thread().id() != me {
                let _ = worker.join();
            }
        }
        drop(handlers);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A simulated Gunyah hypervisor: message queues with the semantics of the public source,
/// capabilities per VM, and a vIRQ line ([`MockIrq`]) for each queue's TX and RX source.
///
/// Clones share one hypervisor. The queue model is [`crate::model`], behind one mutex; a
/// hypercall locks it, runs the model, applies the vIRQ signals to the lines, unlocks, and
/// only then runs handlers ([`Delivery::Inline`]) or wakes the delivery threads
/// ([`Delivery::Threaded`]).
///
/// # Lifetime
/// Delivery threads stop when the last handle is dropped, or at [`shutdown`](Self::shutdown).
/// A handler that holds a strong `Arc` to a queue keeps the hypervisor alive (line → handler
/// → queue → guest → hypervisor): capture a `Weak`, or call `shutdown`.
#[derive(Clone)]
pub struct MockHypervisor {
    shared: Arc<Shared>,
}

impl Default for MockHypervisor {
    fn default() -> Self {
        MockHypervisor::new()
    }
}

impl MockHypervisor {
    /// How many queues one hypervisor holds.
    pub const MAX_QUEUES: usize = 64;
    /// How many capabilities one hypervisor holds, over all VMs.
    pub const MAX_CAPS: usize = 256;

    /// A hypervisor with inline delivery.
    #[must_use]
    pub fn new() -> MockHypervisor {
        MockHypervisor::with_delivery(Delivery::Inline)
    }

    /// A hypervisor with threaded delivery (a thread per line).
    #[must_use]
    pub fn threaded() -> MockHypervisor {
        MockHypervisor::with_delivery(Delivery::Threaded)
    }

    /// A hypervisor whose lines deliver per `delivery`.
    #[must_use]
    pub fn with_delivery(delivery: Delivery) -> MockHypervisor {
        let state = HypState {
            hyp: Box::new(Hyp::new()),
            lines: Vec::new(),
            calls: BTreeMap::new(),
            stopped: false,
        };
        MockHypervisor {
            shared: Arc::new(Shared {
                state: Arc::new(Mutex::new(state)),
                delivery,
                workers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Where handlers run.
    #[must_use]
    pub fn delivery(&self) -> Delivery {
        self.shared.delivery
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, HypState> {
        lock(&self.shared.state)
    }

    /// Creates a queue and its two lines (masked, edge-triggered, no handler).
    ///
    /// # Errors
    /// [`MockError::Model`] for a bad configuration or no room; [`MockError::ShutDown`];
    /// [`MockError::ThreadSpawn`].
    pub fn create_queue(&self, config: QueueConfig) -> Result<QueueId, MockError> {
        // Check first: the storage is large.
        config.validate(MAX_DEPTH, MAX_MSG_SIZE)?;
        let storage = new_slots();
        let delivery = self.shared.delivery;
        let model = Arc::downgrade(&self.shared.state);
        let (id, lines) = {
            let mut st = self.state();
            if st.stopped {
                return Err(MockError::ShutDown);
            }
            let id = st.hyp.create_queue_with(storage, config)?;
            let line = |kind| LineCore::new(LineId { queue: id, kind }, delivery, model.clone());
            let lines = [line(LineKind::Tx), line(LineKind::Rx)];
            // Queues are never destroyed, so ids are dense: id == lines.len().
            st.lines.push(lines.clone());
            (id, lines)
        };
        if delivery == Delivery::Threaded {
            for line in &lines {
                let worker = Arc::clone(line);
                let name = std::format!("msgq-mock-q{}-{:?}", id.0, line.id().kind);
                match thread::Builder::new()
                    .name(name)
                    .spawn(move || worker.worker())
                {
                    Ok(handle) => lock(&self.shared.workers).push(handle),
                    Err(_) => {
                        // Without a worker the queue's edges would never arrive: shut its
                        // lines down (joining any worker already started) and report.
                        for l in &lines {
                            drop(l.shutdown());
                        }
                        return Err(MockError::ThreadSpawn);
                    }
                }
            }
        }
        Ok(id)
    }

    /// Gives `vm` a capability to `queue` with `rights`.
    ///
    /// # Errors
    /// [`MockError::Model`] (unknown queue, cspace full).
    pub fn grant(&self, vm: VmId, queue: QueueId, rights: Rights) -> Result<CapId, MockError> {
        Ok(self.state().hyp.grant(vm, queue, rights)?)
    }

    /// Gives `vm` a capability to something that is not a queue (msgq calls on it answer
    /// CSPACE_WRONG_OBJECT_TYPE).
    ///
    /// # Errors
    /// [`MockError::Model`] (cspace full).
    pub fn grant_other(&self, vm: VmId, rights: Rights) -> Result<CapId, MockError> {
        Ok(self.state().hyp.grant_other(vm, rights)?)
    }

    /// Revokes `cap` of `vm` (later calls answer CSPACE_CAP_REVOKED).
    ///
    /// # Errors
    /// [`MockError::Model`] if `vm` has no such capability.
    pub fn revoke(&self, vm: VmId, cap: CapId) -> Result<(), MockError> {
        Ok(self.state().hyp.cspace_mut().revoke(vm, cap)?)
    }

    /// Deletes `cap` of `vm` (later calls answer CSPACE_CAP_NULL).
    ///
    /// # Errors
    /// [`MockError::Model`] if `vm` has no such capability.
    pub fn delete_cap(&self, vm: VmId, cap: CapId) -> Result<(), MockError> {
        Ok(self.state().hyp.cspace_mut().delete(vm, cap)?)
    }

    /// Creates two queues and connects `a` and `b` through them, as the resource manager
    /// does (each VM's TX capability has SEND only, its RX capability RECEIVE only).
    ///
    /// # Errors
    /// As [`create_queue`](Self::create_queue) and [`connect`](Self::connect).
    pub fn link(&self, a: VmId, b: VmId, config: &LinkConfig) -> Result<Link, MockError> {
        let a_to_b = self.create_queue(config.a_to_b)?;
        let b_to_a = self.create_queue(config.b_to_a)?;
        for q in [a_to_b, b_to_a] {
            if let Some(tx) = self.tx_irq(q) {
                tx.set_trigger(config.tx_trigger);
            }
            if let Some(rx) = self.rx_irq(q) {
                rx.set_trigger(config.rx_trigger);
            }
        }
        self.connect(a, b, a_to_b, b_to_a)
    }

    /// Connects `a` and `b` through two existing queues: `a` sends into `a_to_b`, `b` into
    /// `b_to_a`.
    ///
    /// # Errors
    /// [`MockError::Model`] (unknown queue, cspace full).
    pub fn connect(
        &self,
        a: VmId,
        b: VmId,
        a_to_b: QueueId,
        b_to_a: QueueId,
    ) -> Result<Link, MockError> {
        let caps = self.state().hyp.connect(a, b, a_to_b, b_to_a)?;
        let endpoint = |caps| Endpoint::new(self.clone(), caps).ok_or(MockError::ShutDown);
        Ok(Link {
            a: endpoint(caps.a)?,
            b: endpoint(caps.b)?,
        })
    }

    /// The hypercall interface of `vm`.
    #[must_use]
    pub fn guest(&self, vm: VmId) -> Guest {
        Guest::new(self.clone(), vm)
    }

    /// The line `kind` of `queue`.
    #[must_use]
    pub fn irq(&self, queue: QueueId, kind: LineKind) -> Option<MockIrq> {
        self.state()
            .line(queue, kind)
            .map(|l| MockIrq::new(Arc::clone(l)))
    }

    /// The TX (sender's) line of `queue`.
    #[must_use]
    pub fn tx_irq(&self, queue: QueueId) -> Option<MockIrq> {
        self.irq(queue, LineKind::Tx)
    }

    /// The RX (receiver's) line of `queue`.
    #[must_use]
    pub fn rx_irq(&self, queue: QueueId) -> Option<MockIrq> {
        self.irq(queue, LineKind::Rx)
    }

    /// Messages queued in `queue` now.
    #[must_use]
    pub fn queue_len(&self, queue: QueueId) -> Option<usize> {
        self.state().hyp.queue(queue).map(|q| q.len())
    }

    /// A copy of `queue`'s configuration, state and counters.
    #[must_use]
    pub fn queue_snapshot(&self, queue: QueueId) -> Option<QueueSnapshot> {
        self.state().hyp.queue(queue).map(|q| q.snapshot())
    }

    /// The messages queued in `queue`, head first, without removing them.
    #[must_use]
    pub fn queue_messages(&self, queue: QueueId) -> Vec<Vec<u8>> {
        self.state()
            .hyp
            .queue(queue)
            .map(|q| q.iter().map(<[u8]>::to_vec).collect())
            .unwrap_or_default()
    }

    /// Changes how `queue` answers bad sizes and buffers.
    ///
    /// # Errors
    /// [`MockError::Model`] for an unknown queue.
    pub fn set_mode(&self, queue: QueueId, mode: Mode) -> Result<(), MockError> {
        self.with_queue(queue, |q| q.set_mode(mode))
    }

    /// Changes the too-small-buffer error of `queue` in [`Mode::Documented`].
    ///
    /// # Errors
    /// [`MockError::Model`] for an unknown queue.
    pub fn set_small_buffer(
        &self,
        queue: QueueId,
        error: SmallBufferError,
    ) -> Result<(), MockError> {
        self.with_queue(queue, |q| q.set_small_buffer(error))
    }

    fn with_queue(
        &self,
        queue: QueueId,
        f: impl FnOnce(&mut crate::model::Msgq<MAX_DEPTH, MAX_MSG_SIZE, Slots>),
    ) -> Result<(), MockError> {
        let mut st = self.state();
        let q = st
            .hyp
            .queue_mut(queue)
            .ok_or(crate::model::HypError::NoSuchQueue(queue))?;
        f(q);
        Ok(())
    }

    /// The hypercalls `vm` made so far.
    #[must_use]
    pub fn call_stats(&self, vm: VmId) -> CallStats {
        self.state().calls.get(&vm).copied().unwrap_or_default()
    }

    /// Every line of every queue.
    #[must_use]
    pub fn irqs(&self) -> Vec<MockIrq> {
        self.state()
            .lines
            .iter()
            .flatten()
            .map(|l| MockIrq::new(Arc::clone(l)))
            .collect()
    }

    /// Waits until no line has anything left to deliver and no handler runs on another
    /// thread, at most `timeout`. Returns whether it got there.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        // A handler may raise another line after that line was seen idle: repeat until one
        // pass finds every line idle without waiting.
        loop {
            let mut waited = false;
            for line in self.irqs() {
                if line.is_idle() {
                    continue;
                }
                waited = true;
                if !line.wait_idle(deadline.saturating_duration_since(Instant::now())) {
                    return false;
                }
            }
            if !waited {
                return true;
            }
        }
    }

    /// Stops every line for good: no more deliveries, delivery threads joined, handlers
    /// dropped (which breaks handler → queue → hypervisor cycles). Hypercalls still work;
    /// creating queues does not. Idempotent.
    pub fn shutdown(&self) {
        self.shared.stop();
    }
}

impl std::fmt::Debug for MockHypervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.state();
        f.debug_struct("MockHypervisor")
            .field("delivery", &self.shared.delivery)
            .field("queues", &st.hyp.queues().count())
            .field("caps", &st.hyp.cspace().len())
            .finish()
    }
}
