//! Control calls: what a test fixture asks of the model, outside the msgq ABI.
//!
//! A control call is a native hypercall `hvc #(CONTROL_BASE + K)` (K = [`Control`]): inputs in
//! x0-x7, x0 = status on return (0 OK; -1 unknown call or hostile model; otherwise a Gunyah
//! error code), results from x1 up. Like every native call it may change x0-x17. The real
//! hypervisor answers -1 to these immediates (they are in its reserved 0x6000-0x61FF range and
//! unused), so a fixture learns it is not on the model from [`Control::Hello`].
//!
//! The guest is VM 1; the other end of its link, VM 2, has no CPU: the guest drives it with
//! [`Control::PeerSend`], [`Control::PeerReceive`] and [`Control::PeerFlush`].
//!
//! | K | call | inputs | outputs |
//! |---|---|---|---|
//! | 0 | Hello | - | x1 [`HELLO_MAGIC`], x2 [`VERSION`] |
//! | 1 | Setup | x0 depth, x1 TX max size, x2 RX max size (0 = TX's), x3 [`SetupFlags`] bits | x1 TX cap, x2 RX cap, x3 TX INTID, x4 RX INTID |
//! | 2 | PeerSend | x0 buffer, x1 size, x2 flags (bit 0 PUSH) | the msgq_send registers: x0 error, x1 not_full |
//! | 3 | PeerReceive | x0 buffer, x1 buffer size | the msgq_receive registers: x0 error, x1 size, x2 not_empty |
//! | 4 | PeerFlush | - | x0 error (the peer flushes the queue it receives from: our TX queue) |
//! | 5 | Spurious | x0 [`Line`], or [`SPURIOUS_RAW`] with x1 an INTID (0..1019) | - (that INTID is made pending once, when the guest has it enabled, as an edge the model did not raise) |
//! | 6 | Counters | - | [`Counters`] in x1-x6 |
//! | 7 | QueueState | x0 [`Line`]: 0 our TX queue, 1 our RX queue | [`QueueState`] in x1-x5 |
//! | 8 | Log | x0 1 = log every hypercall, 0 = quiet | - |
//!
//! A setup replaces the whole link (new queues, new capabilities, counters zeroed, every
//! pending vIRQ of the old link withdrawn). One with a depth or size out of range or unknown
//! flag bits answers ARGUMENT_INVALID (1) and keeps the old link. The model boots with
//! [`Setup::DEFAULT`] in place (its capabilities are 0x100 TX and 0x101 RX, but a fixture
//! should use what the setup answers).
//!
//! The primary-VM variant has no control calls: like the real hypervisor, it answers -1.

/// The first control immediate.
pub const CONTROL_BASE: u16 = 0x6100;
/// What [`Control::Hello`] answers in x1: "GMSQEL2M", little-endian.
pub const HELLO_MAGIC: u64 = u64::from_le_bytes(*b"GMSQEL2M");
/// The version of this ABI, answered in x2 by [`Control::Hello`].
pub const VERSION: u64 = 1;

/// [`Control::Spurious`] with this in x0 injects the INTID in x1 instead of a line's (up to
/// [`SPURIOUS_RAW_MAX`] may wait for the guest to enable them; more answer NORESOURCES, 11).
pub const SPURIOUS_RAW: u64 = 2;
/// How many raw spurious INTIDs may wait at once.
pub const SPURIOUS_RAW_MAX: usize = 8;

/// The control calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Control {
    /// Is this the model? (x1 magic, x2 version)
    Hello = 0,
    /// A fresh link.
    Setup = 1,
    /// The other VM sends into the queue we receive from.
    PeerSend = 2,
    /// The other VM receives from the queue we send into.
    PeerReceive = 3,
    /// The other VM flushes the queue we send into.
    PeerFlush = 4,
    /// A vIRQ the model did not raise.
    Spurious = 5,
    /// The model's counters.
    Counters = 6,
    /// One queue's state.
    QueueState = 7,
    /// Turns per-call logging on or off.
    Log = 8,
}

impl Control {
    /// Every call, by K.
    pub const ALL: [Control; 9] = [
        Control::Hello,
        Control::Setup,
        Control::PeerSend,
        Control::PeerReceive,
        Control::PeerFlush,
        Control::Spurious,
        Control::Counters,
        Control::QueueState,
        Control::Log,
    ];

    /// The call an `hvc` immediate names, if any.
    #[must_use]
    pub const fn from_imm(imm: u16) -> Option<Control> {
        let k = imm.wrapping_sub(CONTROL_BASE) as usize;
        if k < Control::ALL.len() {
            Some(Control::ALL[k])
        } else {
            None
        }
    }

    /// The `hvc` immediate of this call.
    #[must_use]
    pub const fn imm(self) -> u16 {
        CONTROL_BASE + self as u16
    }
}

/// One of the guest's two vIRQ lines (and the queue behind it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// The TX line: room appeared in the queue we send into.
    Tx = 0,
    /// The RX line: messages in the queue we receive from.
    Rx = 1,
}

impl Line {
    /// The line a register value names.
    #[must_use]
    pub const fn from_raw(raw: u64) -> Option<Line> {
        match raw {
            0 => Some(Line::Tx),
            1 => Some(Line::Rx),
            _ => None,
        }
    }

    /// 0 for TX, 1 for RX.
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Which directions the endpoint gets. The model always builds both queues; a missing side's
/// capability is answered as `u64::MAX` and its INTID as [`crate::layout::NO_INTID`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sides {
    /// Both.
    #[default]
    Duplex = 0,
    /// Send only.
    TxOnly = 1,
    /// Receive only.
    RxOnly = 2,
}

/// Which capabilities the endpoint gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Caps {
    /// SEND on the TX queue, RECEIVE on the RX queue.
    #[default]
    Granted = 0,
    /// Each direction gets the other's capability: every call lacks its right.
    Swapped = 1,
    /// Ids that name nothing (0xDEAD_0001, 0xDEAD_0002).
    Invalid = 2,
}

/// The flags word (x3) of a setup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetupFlags {
    /// Bits 1:0.
    pub sides: Sides,
    /// Bits 3:2.
    pub caps: Caps,
    /// Bit 4: the TX line is level-triggered (else edge).
    pub tx_level: bool,
    /// Bit 5: the RX line is level-triggered (else edge).
    pub rx_level: bool,
    /// Bit 6: both queues answer bad sizes and buffers as the public source does (else as
    /// documented).
    pub quirks: bool,
    /// Bit 7: a documented-mode receive into a too-small buffer answers ARGUMENT_SIZE (else
    /// ADDR_OVERFLOW).
    pub small_buffer_argument_size: bool,
    /// Bit 8: leave registers as the real hypervisor does (native: non-outputs zeroed, x9 =
    /// the return address; SMCCC: kept) instead of [`crate::poison`].
    pub real_registers: bool,
}

impl SetupFlags {
    /// The register value.
    #[must_use]
    pub const fn encode(self) -> u64 {
        (self.sides as u64)
            | (self.caps as u64) << 2
            | (self.tx_level as u64) << 4
            | (self.rx_level as u64) << 5
            | (self.quirks as u64) << 6
            | (self.small_buffer_argument_size as u64) << 7
            | (self.real_registers as u64) << 8
    }

    /// Decodes a register value; `None` for unknown bits or values.
    #[must_use]
    pub const fn decode(bits: u64) -> Option<SetupFlags> {
        if bits >> 9 != 0 {
            return None;
        }
        let sides = match bits & 3 {
            0 => Sides::Duplex,
            1 => Sides::TxOnly,
            2 => Sides::RxOnly,
            _ => return None,
        };
        let caps = match (bits >> 2) & 3 {
            0 => Caps::Granted,
            1 => Caps::Swapped,
            2 => Caps::Invalid,
            _ => return None,
        };
        Some(SetupFlags {
            sides,
            caps,
            tx_level: bits & (1 << 4) != 0,
            rx_level: bits & (1 << 5) != 0,
            quirks: bits & (1 << 6) != 0,
            small_buffer_argument_size: bits & (1 << 7) != 0,
            real_registers: bits & (1 << 8) != 0,
        })
    }
}

/// A setup's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Depth of both queues (1..=255).
    pub depth: u64,
    /// Max message size of the queue we send into (1..=1023).
    pub tx_max: u64,
    /// Max message size of the queue we receive from (1..=1023; 0 = `tx_max`).
    pub rx_max: u64,
    /// Everything else.
    pub flags: SetupFlags,
}

impl Setup {
    /// The resource manager's link: 8 × 240 bytes both ways, edge lines, documented errors.
    pub const DEFAULT: Setup = Setup {
        depth: 8,
        tx_max: 240,
        rx_max: 240,
        flags: SetupFlags {
            sides: Sides::Duplex,
            caps: Caps::Granted,
            tx_level: false,
            rx_level: false,
            quirks: false,
            small_buffer_argument_size: false,
            real_registers: false,
        },
    };

    /// The input registers x0-x3.
    #[must_use]
    pub const fn encode(self) -> [u64; 4] {
        [self.depth, self.tx_max, self.rx_max, self.flags.encode()]
    }

    /// Decodes x0-x3 (a 0 RX size becomes the TX size); `None` for unknown flags. The sizes and
    /// depth are checked by the model's queue creation.
    #[must_use]
    pub const fn decode(x: [u64; 4]) -> Option<Setup> {
        let Some(flags) = SetupFlags::decode(x[3]) else {
            return None;
        };
        Some(Setup {
            depth: x[0],
            tx_max: x[1],
            rx_max: if x[2] == 0 { x[1] } else { x[2] },
            flags,
        })
    }
}

/// What a setup answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetupReply {
    /// x1: the capability to send with (`u64::MAX` if none).
    pub tx_cap: u64,
    /// x2: the capability to receive with (`u64::MAX` if none).
    pub rx_cap: u64,
    /// x3: the TX line's INTID.
    pub tx_intid: u32,
    /// x4: the RX line's INTID.
    pub rx_intid: u32,
}

/// The model's counters since the last setup (x1-x6 of [`Control::Counters`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// x1: TX edges the model raised on the guest's TX line (before masking or merging).
    pub tx_edges: u64,
    /// x2: RX edges raised on the guest's RX line.
    pub rx_edges: u64,
    /// x3: times the TX INTID was written into a list register (spurious ones included).
    pub tx_injected: u64,
    /// x4: times the RX INTID was written into a list register.
    pub rx_injected: u64,
    /// x5: msgq hypercalls the guest made (send, receive, flush, configure; valid or not).
    pub hypercalls: u64,
    /// x6: traps of any kind taken from the guest (control calls and `wfi` included).
    pub traps: u64,
}

impl Counters {
    /// Decodes x1-x6.
    #[must_use]
    pub const fn from_regs(x: &[u64; 8]) -> Counters {
        Counters {
            tx_edges: x[1],
            rx_edges: x[2],
            tx_injected: x[3],
            rx_injected: x[4],
            hypercalls: x[5],
            traps: x[6],
        }
    }

    /// The registers x1-x6.
    #[must_use]
    pub const fn to_regs(self) -> [u64; 6] {
        [
            self.tx_edges,
            self.rx_edges,
            self.tx_injected,
            self.rx_injected,
            self.hypercalls,
            self.traps,
        ]
    }
}

/// One queue's state (x1-x5 of [`Control::QueueState`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueState {
    /// x1: messages queued.
    pub len: u64,
    /// x2: depth.
    pub depth: u64,
    /// x3: max message size.
    pub max_size: u64,
    /// x4: not-full threshold.
    pub not_full_threshold: u64,
    /// x5: not-empty threshold.
    pub not_empty_threshold: u64,
}
