//! What a backend provides to run the cases: a [`Harness`] that builds [`Fixture`]s, each one
//! queue under test (our VM's endpoint) plus the other VM's operations.

use gunyah_msgq::{
    DrainOutcome, Error, Hypercall, IrqLine, MsgQueue, RecvOutcome, SendOutcome, Trigger,
};

use crate::CaseError;

/// Which vIRQ line of the queue under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Line {
    /// The TX line (room appeared in the queue we send into).
    Tx,
    /// The RX line (messages in the queue we receive from).
    Rx,
}

/// Which directions the queue under test has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Sides {
    /// Both.
    #[default]
    Duplex,
    /// Send only.
    TxOnly,
    /// Receive only.
    RxOnly,
}

/// Which capabilities the queue under test is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Caps {
    /// The right ones: SEND on the TX queue, RECEIVE on the RX queue.
    #[default]
    Granted,
    /// Each direction gets the other's capability, so every call lacks its right.
    Swapped,
    /// Capabilities that name nothing.
    Invalid,
}

/// How the hypervisor answers bad sizes and buffers (the spec's simulator modes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ErrorMode {
    /// The documented errors: ARGUMENT_SIZE, ADDR_OVERFLOW, ...
    #[default]
    Documented,
    /// The public source: a bad send is answered OK and dropped; a receive into a too-small
    /// buffer is answered OK, size 0, not empty, and the message stays.
    PublicSourceQuirks,
}

/// What a case asks of its fixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    /// Depth of both queues (1..=255).
    pub depth: u8,
    /// The hypervisor's maximum message size of the queue we receive from; above the queue
    /// under test's `MAX`, the peer can queue messages our buffer cannot hold. `0` means
    /// "the same as `MAX`".
    pub peer_max: usize,
    /// Directions of the queue under test.
    pub sides: Sides,
    /// Capabilities given to it.
    pub caps: Caps,
    /// Trigger of its TX line.
    pub tx_trigger: Trigger,
    /// Trigger of its RX line.
    pub rx_trigger: Trigger,
    /// Seed of the case's random choices.
    pub seed: u64,
}

impl Setup {
    /// Depth 8, both directions, granted capabilities, edge lines.
    pub const DEFAULT: Setup = Setup {
        depth: 8,
        peer_max: 0,
        sides: Sides::Duplex,
        caps: Caps::Granted,
        tx_trigger: Trigger::Edge,
        rx_trigger: Trigger::Edge,
        seed: 0x5EED,
    };
}

impl Default for Setup {
    fn default() -> Self {
        Setup::DEFAULT
    }
}

/// One queue under test and the other end of its link.
///
/// The fixture wires the queue's lines to its interrupt entry points the way a platform
/// would (the RX handler drains into a log of delivered messages the fixture keeps), and
/// performs the other VM's operations directly on the hypervisor.
pub trait Fixture<const MAX: usize> {
    /// The backend of the queue under test.
    type Hyp: Hypercall;
    /// Its vIRQ line type.
    type Irq: IrqLine;

    /// The queue under test. Not started: cases call [`Fixture::start`].
    fn queue(&self) -> &MsgQueue<Self::Hyp, Self::Irq, MAX>;
    /// The hypervisor's error mode.
    fn mode(&self) -> ErrorMode;
    /// Starts the queue, delivering drained messages to the fixture's log.
    fn start(&self) -> Result<DrainOutcome, Error>;
    /// `poll_rx` into the fixture's log.
    fn poll(&self) -> Result<DrainOutcome, Error>;
    /// Hands every message delivered to the log since the last call to `sink`, in order, and
    /// returns how many there were.
    fn take_delivered(&self, sink: &mut dyn FnMut(&[u8])) -> usize;
    /// The other VM sends into the queue we receive from (decoded by the core's rules).
    fn peer_send(&self, msg: &[u8], push: bool) -> Result<SendOutcome, Error>;
    /// The other VM receives from the queue we send into. `buf` holds its maximum size.
    fn peer_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Error>;
    /// Runs the line's handler once, as a spurious interrupt would.
    fn fire(&self, line: Line);
    /// Whether the line is unmasked.
    fn line_enabled(&self, line: Line) -> bool;
    /// How often the hypervisor raised the line (edges, before any masking or merging).
    fn edges(&self, line: Line) -> u64;
    /// How often the line's handler ran.
    fn handler_runs(&self, line: Line) -> u64;
    /// Hands every error the fixture's RX handler got from its drains since the last call to
    /// `sink`, in order, and returns how many there were.
    ///
    /// A handler has no caller to return its error to, so without this the cases would check
    /// only the errors of the calls they make themselves, and with threaded delivery most
    /// drains run in the handler. The default keeps none, for a backend whose handler has
    /// nowhere to put them.
    fn take_handler_errors(&self, sink: &mut dyn FnMut(Error)) -> usize {
        let _ = sink;
        0
    }
    /// Hypercalls the queue under test made so far.
    fn hypercalls(&self) -> u64;
    /// Waits (bounded) until no interrupt is being delivered; `false` if it timed out. Inline
    /// backends return `true` at once.
    fn settle(&self) -> bool;
}

/// Builds fixtures for the cases.
pub trait Harness<const MAX: usize> {
    /// The fixture type.
    type Fixture: Fixture<MAX>;
    /// A fresh fixture: new queues, empty, nothing started.
    ///
    /// # Errors
    /// A [`CaseError`] if the backend cannot provide that setup.
    fn fixture(&mut self, setup: Setup) -> Result<Self::Fixture, CaseError>;
    /// Whether interrupts are delivered from other threads (cases that need it are skipped
    /// otherwise).
    fn threaded(&self) -> bool;
}
