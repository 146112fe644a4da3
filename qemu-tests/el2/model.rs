//! The model's state: the mock crate's pure [`Hyp`] with one link between the guest (VM 1) and
//! a peer without a CPU (VM 2), the guest's lines, and the counters.

use gunyah_msgq::{CapId, GunyahError};
use gunyah_msgq_mock::model::{
    Dispatch, Hyp, LineKind, LinkCaps, MAX_DEPTH, MAX_MSG_SIZE, Mode, QueueConfig, QueueId,
    SmallBufferError, VmId,
};
use gunyah_msgq_qemu_abi::control::{Caps, Counters, Setup, SetupReply, Sides};
use gunyah_msgq_qemu_abi::layout::{NO_INTID, RX_INTID, TX_INTID};

use crate::lines::Line;
use crate::spurious::Spurious;
use crate::storage::{self, Slots};
use crate::vgic::Vgic;

/// The guest.
pub const GUEST: VmId = VmId(1);
/// The other end of the guest's link.
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
        for c in [tx_config, rx_config] {
            c.validate(MAX_DEPTH, MAX_MSG_SIZE).map_err(|e| e.error())?;
        }

        // The old queues (and their borrows of the storage) go before the storage is reused.
        self.hyp = Hyp::new();
        self.link = None;
        self.vgic.reset();
        self.spurious.clear();
        let [tx_store, rx_store] = storage::fresh();
        let made = self
            .hyp
            .create_queue_with(tx_store, tx_config)
            .and_then(|tx| Ok((tx, self.hyp.create_queue_with(rx_store, rx_config)?)))
            .and_then(|(tx, rx)| self.hyp.connect(GUEST, PEER, tx, rx));
        let caps = made.map_err(|e| e.error())?;

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
            line.sync(condition, &mut self.vgic);
        }
        self.spurious.sync(&mut self.vgic);
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
