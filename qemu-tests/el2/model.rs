//! The model's state: the mock crate's pure [`Hyp`] with one link between the guest (VM 1) and
//! a peer without a CPU (VM 2; the resource manager in the primary-VM variant), the guest's
//! lines and distributor, and the counters.

use gunyah_msgq::{CapId, GunyahError};
use gunyah_msgq_mock::model::{
    Dispatch, EndpointCaps, Hyp, LineKind, LinkCaps, MAX_DEPTH, MAX_MSG_SIZE, Mode, Object,
    QueueConfig, QueueId, Rights, SmallBufferError, VmId,
};
use gunyah_msgq_qemu_abi::control::{Caps, Counters, Setup, SetupReply, Sides};
use gunyah_msgq_qemu_abi::layout::{NO_INTID, RX_INTID, TX_INTID};
use gunyah_msgq_qemu_abi::rm;

use crate::gicd::Gicd;
use crate::lines::Line;
use crate::rm::Rm;
use crate::spurious::Spurious;
use crate::storage::{self, Slots};
use crate::vgic::Vgic;

/// The guest.
pub const GUEST: VmId = VmId(1);
/// The other end of the guest's link (the resource manager in the primary-VM variant).
pub const PEER: VmId = VmId(2);

/// Two queues (one link) of up to 255 messages of up to 1023 bytes; 8 capabilities.
pub type ModelHyp = Hyp<2, 8, MAX_DEPTH, MAX_MSG_SIZE, Slots>;

/// How the model leaves the registers a call does not return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegStyle {
    /// Every non-output register of x0-x17 gets [`gunyah_msgq_qemu_abi::poison::poison`].
    Poison,
    /// As the real hypervisor: native calls zero them (x9 = the return address), SMCCC calls
    /// keep them.
    Real,
}

/// The guest's link: both ends as the hypervisor granted them (the guest may have been told
/// other capabilities: see the setup's sides and caps choices).
pub struct Link {
    /// Both ends.
    pub caps: LinkCaps,
}

/// Everything the model keeps.
pub struct Model {
    /// The queues and capabilities.
    pub hyp: ModelHyp,
    /// The current link (none before the first setup, or after a failed one).
    pub link: Option<Link>,
    /// The guest's TX and RX lines.
    pub lines: [Line; 2],
    /// Spurious INTIDs waiting for the guest to enable them.
    pub spurious: Spurious,
    /// The list registers.
    pub vgic: Vgic,
    /// The distributor the guest programs.
    pub gicd: Gicd,
    /// The resource manager at the other end of the link (primary-VM variant only).
    pub rm: Option<Rm>,
    /// Counters since the last setup (the line counters live in `lines`).
    pub hypercalls: u64,
    /// Traps of any kind since the last setup.
    pub traps: u64,
    /// Register policy of the current link.
    pub regs: RegStyle,
    /// Answer -1 to everything.
    pub hostile: bool,
    /// Log every hypercall.
    pub verbose: bool,
}

const NO_LINE: Line = Line::new(None, (QueueId(0), LineKind::Tx), false);

impl Model {
    /// No link yet.
    pub const fn new() -> Model {
        Model {
            hyp: Hyp::new(),
            link: None,
            lines: [NO_LINE; 2],
            spurious: Spurious::new(),
            vgic: Vgic::new(),
            gicd: Gicd::PHYSICAL,
            rm: None,
            hypercalls: 0,
            traps: 0,
            regs: RegStyle::Poison,
            hostile: false,
            verbose: true,
        }
    }

    /// Replaces the link with a fresh one as `setup` says.
    ///
    /// # Errors
    /// ARGUMENT_INVALID (a depth or size out of range): the old link is kept.
    pub fn setup(&mut self, setup: Setup) -> Result<SetupReply, GunyahError> {
        let mode = if setup.flags.quirks {
            Mode::PublicSourceQuirks
        } else {
            Mode::Documented
        };
        let small = if setup.flags.small_buffer_argument_size {
            SmallBufferError::ArgumentSize
        } else {
            SmallBufferError::AddrOverflow
        };
        let config = |max: u64| {
            QueueConfig::new(setup.depth as usize, max as usize)
                .with_mode(mode)
                .with_small_buffer(small)
        };
        let (tx_config, rx_config) = (config(setup.tx_max), config(setup.rx_max));

        let (tx, rx) = self.fresh_queues(tx_config, rx_config)?;
        let caps = self
            .hyp
            .connect(GUEST, PEER, tx, rx)
            .map_err(|e| e.error())?;

        let (mut tx_cap, mut rx_cap) = match setup.flags.caps {
            Caps::Granted => (caps.a.tx_cap, caps.a.rx_cap),
            Caps::Swapped => (caps.a.rx_cap, caps.a.tx_cap),
            Caps::Invalid => (CapId(0xDEAD_0001), CapId(0xDEAD_0002)),
        };
        let (mut tx_intid, mut rx_intid) = (Some(TX_INTID), Some(RX_INTID));
        match setup.flags.sides {
            Sides::Duplex => {}
            Sides::TxOnly => (rx_cap, rx_intid) = (CapId::INVALID, None),
            Sides::RxOnly => (tx_cap, tx_intid) = (CapId::INVALID, None),
        }
        self.lines = [
            Line::new(
                tx_intid,
                (caps.a.tx_queue, LineKind::Tx),
                setup.flags.tx_level,
            ),
            Line::new(
                rx_intid,
                (caps.a.rx_queue, LineKind::Rx),
                setup.flags.rx_level,
            ),
        ];
        let reply = SetupReply {
            tx_cap: tx_cap.0,
            rx_cap: rx_cap.0,
            tx_intid: tx_intid.unwrap_or(NO_INTID),
            rx_intid: rx_intid.unwrap_or(NO_INTID),
        };
        self.link = Some(Link { caps });
        self.hypercalls = 0;
        self.traps = 0;
        self.regs = if setup.flags.real_registers {
            RegStyle::Real
        } else {
            RegStyle::Poison
        };
        Ok(reply)
    }

    /// Replaces the link with the resource manager's, exactly as the real one sets it up for a
    /// primary VM ([`rm`]): the guest sends with capability 0 and receives with 1, its lines are
    /// INTIDs 960 (TX) and 961 (RX), edge; 240-byte messages, depth 8, the public source's
    /// quirks; registers left as the real hypervisor leaves them. The guest programs a virtual
    /// distributor, and the RM ([`crate::rm`]) answers its requests.
    ///
    /// # Errors
    /// A capability or queue the mock model refuses (never, for these sizes).
    pub fn setup_primary_vm(&mut self) -> Result<(), GunyahError> {
        let config =
            QueueConfig::new(rm::QUEUE_DEPTH, rm::MSG_SIZE).with_mode(Mode::PublicSourceQuirks);
        let (tx, rx) = self.fresh_queues(config, config)?;
        let (tx_cap, rx_cap) = (CapId(rm::TX_CAP), CapId(rm::RX_CAP));
        let cspace = self.hyp.cspace_mut();
        for (cap, queue, rights) in [(tx_cap, tx, Rights::SEND), (rx_cap, rx, Rights::RECEIVE)] {
            cspace
                .insert(GUEST, cap, Object::Msgq(queue), rights)
                .map_err(|e| e.error())?;
        }
        let rm_tx = self
            .hyp
            .grant(PEER, rx, Rights::SEND)
            .map_err(|e| e.error())?;
        let rm_rx = self
            .hyp
            .grant(PEER, tx, Rights::RECEIVE)
            .map_err(|e| e.error())?;
        let caps = LinkCaps {
            a: EndpointCaps {
                vm: GUEST,
                tx_cap,
                rx_cap,
                tx_queue: tx,
                rx_queue: rx,
            },
            b: EndpointCaps {
                vm: PEER,
                tx_cap: rm_tx,
                rx_cap: rm_rx,
                tx_queue: rx,
                rx_queue: tx,
            },
        };
        self.lines = [
            Line::new(Some(rm::TX_INTID), (tx, LineKind::Tx), false),
            Line::new(Some(rm::RX_INTID), (rx, LineKind::Rx), false),
        ];
        self.link = Some(Link { caps });
        self.hypercalls = 0;
        self.traps = 0;
        self.regs = RegStyle::Real;
        self.gicd = Gicd::virtual_gicd();
        self.rm = Some(Rm::new());
        Ok(())
    }

    /// Drops the old link and creates two empty queues (TX, RX) in fresh storage.
    fn fresh_queues(
        &mut self,
        tx_config: QueueConfig,
        rx_config: QueueConfig,
    ) -> Result<(QueueId, QueueId), GunyahError> {
        for c in [tx_config, rx_config] {
            c.validate(MAX_DEPTH, MAX_MSG_SIZE).map_err(|e| e.error())?;
        }
        // The old queues (and their borrows of the storage) go before the storage is reused.
        self.hyp = Hyp::new();
        self.link = None;
        self.vgic.reset();
        self.spurious.clear();
        let [tx_store, rx_store] = storage::fresh();
        let tx = self
            .hyp
            .create_queue_with(tx_store, tx_config)
            .map_err(|e| e.error())?;
        let rx = self
            .hyp
            .create_queue_with(rx_store, rx_config)
            .map_err(|e| e.error())?;
        Ok((tx, rx))
    }

    /// Applies a call's vIRQ signals to the guest's lines (the peer's lines have no CPU to go
    /// to; the queues count them).
    pub fn apply(&mut self, d: &Dispatch) {
        for (queue, kind, signal) in d.signals() {
            for line in &mut self.lines {
                if line.intid.is_some() && line.source == (queue, kind) {
                    line.signal(signal, &mut self.vgic);
                }
            }
        }
    }

    /// Delivers what is due; called at the end of every trap.
    pub fn sync_virqs(&mut self) {
        // INTIDs that waited for a list register go first.
        self.vgic.refill();
        for line in &mut self.lines {
            let (queue, kind) = line.source;
            let condition = self.hyp.level(queue, kind);
            line.sync(condition, &mut self.vgic, &self.gicd);
        }
        self.spurious.sync(&mut self.vgic, &self.gicd);
        self.vgic.refill();
    }

    /// The counters since the last setup.
    pub fn counters(&self) -> Counters {
        let [tx, rx] = &self.lines;
        Counters {
            tx_edges: tx.edges,
            rx_edges: rx.edges,
            tx_injected: tx.injected,
            rx_injected: rx.injected,
            hypercalls: self.hypercalls,
            traps: self.traps,
        }
    }
}
