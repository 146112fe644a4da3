//! The reference model: what the spec says the hypervisor and the queue must do, one operation
//! at a time, with interrupts delivered at once (inline). Written for this test alone from the
//! spec (§4 queue semantics, §7 required behaviour), sharing no code with the mock or the core.
//!
//! It keeps both hypervisor queues as plain lists, each vIRQ line's mask and pending edge, the
//! queue's TX state, its RX-pending request and its counters, and predicts every result.

use std::collections::VecDeque;

use gunyah_msgq::{
    AbiViolation, DrainOutcome, Error, GunyahError, RecvOutcome, SendOutcome, Stats, TxState,
};
use gunyah_msgq_hal_tests::{ErrorMode, Line};

use crate::common::MAX;
use crate::ops::{Call, EdgeFault, Fault};

/// One vIRQ line of the queue under test, edge-triggered, GIC-like: masked at first; an edge
/// on a masked line stays pending (edges merge) and is delivered when it is unmasked.
#[derive(Clone, Copy, Debug, Default)]
struct LineModel {
    unmasked: bool,
    pending: bool,
    /// What happens to the next handler run (the fault sits between line and handler).
    next_fault: Option<EdgeFault>,
}

/// The reply of one modelled receive.
enum Reply {
    Message { msg: Vec<u8>, more: bool },
    Empty,
    Malformed(Error),
    Failed(Error),
}

/// What the model predicts, and what it allows, after each operation.
pub struct Model {
    depth: usize,
    mode: ErrorMode,
    /// The queue we send into, as the hypervisor holds it.
    pub tx_queue: VecDeque<Vec<u8>>,
    /// The queue we receive from.
    pub rx_queue: VecDeque<Vec<u8>>,
    lines: [LineModel; 2],
    pub tx_state: TxState,
    pub rx_pending: bool,
    pub stats: Stats,
    /// The hypercalls the queue made: send, receive, flush (a spec-conforming client makes
    /// exactly these: no extra receive after "no more", none after the drain's bound).
    pub calls: [u32; 3],
    /// What the RX callbacks were handed, in order, since the last `take_delivered`.
    pub delivered: Vec<Vec<u8>>,
    /// The errors the RX handler's drains returned, since the last `take`.
    pub handler_errors: Vec<Error>,
    /// The next call of each kind answers this fault (send, receive, flush).
    faults: [Option<Fault>; 3],
    /// Messages may sit in the RX queue with no edge to come and no RX request, because of an
    /// injection (a dropped RX edge, a false "empty"): the client cannot know of them.
    pub stranding_excused: bool,
}

const fn line_index(line: Line) -> usize {
    match line {
        Line::Tx => 0,
        Line::Rx => 1,
    }
}

const fn call_index(call: Call) -> usize {
    match call {
        Call::Send => 0,
        Call::Receive => 1,
        Call::Flush => 2,
    }
}

impl Model {
    pub fn new(depth: u8, mode: ErrorMode) -> Model {
        Model {
            depth: usize::from(depth),
            mode,
            tx_queue: VecDeque::new(),
            rx_queue: VecDeque::new(),
            lines: [LineModel::default(); 2],
            tx_state: TxState::Ready,
            rx_pending: false,
            stats: Stats::default(),
            calls: [0; 3],
            delivered: Vec::new(),
            handler_errors: Vec::new(),
            faults: [None; 3],
            stranding_excused: false,
        }
    }

    fn closed(&self) -> bool {
        self.tx_state == TxState::Closed
    }

    pub fn inject(&mut self, call: Call, fault: Fault) {
        self.faults[call_index(call)] = Some(fault);
    }

    pub fn edge_fault(&mut self, line: Line, fault: EdgeFault) {
        self.lines[line_index(line)].next_fault = Some(fault);
    }

    /// Whether an RX edge is waiting on a masked line (it will be delivered at `start`).
    pub fn rx_edge_waiting(&self) -> bool {
        self.lines[line_index(Line::Rx)].pending
    }

    // The hypervisor's side (§4).

    /// The peer's `msgq_send`: `None` if the queue is full.
    pub fn peer_send(&mut self, msg: Vec<u8>, push: bool) -> Option<bool> {
        if self.rx_queue.len() == self.depth {
            return None;
        }
        self.rx_queue.push_back(msg);
        // The reply is the count at the call; the handler (inline) runs after it.
        let not_full = self.rx_queue.len() < self.depth;
        // The RX vIRQ: on PUSH, or when the count reaches the not-empty threshold (1).
        if push || self.rx_queue.len() == 1 {
            self.raise(Line::Rx);
        }
        Some(not_full)
    }

    /// The peer's `msgq_receive`.
    pub fn peer_recv(&mut self) -> Option<(Vec<u8>, bool)> {
        let was_full = self.tx_queue.len() == self.depth;
        let msg = self.tx_queue.pop_front()?;
        let more = !self.tx_queue.is_empty();
        // The TX vIRQ: when the count falls to the not-full threshold (depth - 1).
        if was_full {
            self.raise(Line::Tx);
        }
        Some((msg, more))
    }

    fn raise(&mut self, line: Line) {
        let l = &mut self.lines[line_index(line)];
        if l.unmasked {
            self.handle(line);
        } else {
            l.pending = true;
        }
    }

    fn unmask(&mut self, line: Line) {
        let l = &mut self.lines[line_index(line)];
        l.unmasked = true;
        if std::mem::take(&mut l.pending) {
            self.handle(line);
        }
    }

    /// One delivery to the platform's handler, through the edge fault if one is set.
    pub fn handle(&mut self, line: Line) {
        let runs = match self.lines[line_index(line)].next_fault.take() {
            None => 1,
            Some(EdgeFault::Drop) => {
                if line == Line::Rx && !self.rx_queue.is_empty() {
                    self.stranding_excused = true;
                }
                0
            }
            Some(EdgeFault::Duplicate) => 2,
        };
        for _ in 0..runs {
            match line {
                Line::Tx => self.on_tx_interrupt(),
                // The platform's RX handler keeps the drain's errors (the fixture logs them).
                Line::Rx => {
                    if let Err(e) = self.drain(true) {
                        self.handler_errors.push(e);
                    }
                }
            }
        }
    }

    /// Our `msgq_receive` into a `MAX`-byte buffer, with the injected fault if any.
    fn receive(&mut self) -> Reply {
        self.calls[call_index(Call::Receive)] += 1;
        let fault = self.faults[call_index(Call::Receive)].take();
        match fault {
            Some(Fault::Fail(GunyahError::MsgqueueEmpty)) => {
                if !self.rx_queue.is_empty() {
                    self.stranding_excused = true;
                }
                return Reply::Empty;
            }
            Some(Fault::Fail(e)) => return Reply::Failed(receive_error(e)),
            Some(Fault::Oversized { excess }) => {
                return Reply::Malformed(Error::Abi(AbiViolation::SizeExceedsBuffer {
                    size: MAX as u64 + excess,
                    capacity: MAX,
                }));
            }
            Some(Fault::Stuck) => return Reply::Failed(Error::RxStuck { code: None }),
            _ => {}
        }
        let Some(head) = self.rx_queue.front() else {
            return Reply::Empty;
        };
        if head.len() > MAX {
            // The head does not fit: it stays, and every receive answers the same.
            return match (self.mode, fault) {
                (ErrorMode::Documented, _) => Reply::Failed(Error::RxStuck {
                    code: Some(GunyahError::AddrOverflow),
                }),
                // The quirk's answer is OK, size 0, not empty; with "not empty" turned false it
                // is a zero-length message, which breaks the ABI.
                (ErrorMode::PublicSourceQuirks, Some(Fault::LieNotEmpty)) => {
                    Reply::Malformed(Error::Abi(AbiViolation::ZeroLengthMessage))
                }
                (ErrorMode::PublicSourceQuirks, _) => Reply::Failed(Error::RxStuck { code: None }),
            };
        }
        let msg = self.rx_queue.pop_front().unwrap_or_default();
        let mut more = !self.rx_queue.is_empty();
        if fault == Some(Fault::LieNotEmpty) {
            more = !more;
            if !more && !self.rx_queue.is_empty() {
                self.stranding_excused = true;
            }
        }
        Reply::Message { msg, more }
    }

    // The queue's side (§7).

    pub fn try_send(&mut self, msg: Vec<u8>) -> Result<SendOutcome, Error> {
        if msg.is_empty() {
            return Err(Error::EmptyMessage);
        }
        if msg.len() > MAX {
            return Err(Error::MessageTooLarge {
                len: msg.len(),
                max: MAX,
            });
        }
        if self.closed() {
            return Err(Error::Closed);
        }
        self.calls[call_index(Call::Send)] += 1;
        let fault = self.faults[call_index(Call::Send)].take();
        let full = match fault {
            Some(Fault::Fail(GunyahError::MsgqueueFull)) => true,
            Some(Fault::Fail(e)) => {
                // A failed send changes nothing: the message was not queued.
                self.stats.faults += 1;
                return Err(Error::Hypervisor(e));
            }
            _ => self.tx_queue.len() == self.depth,
        };
        if full {
            self.stats.would_block += 1;
            if self.tx_state == TxState::Ready {
                self.tx_state = TxState::Full;
            }
            return Ok(SendOutcome::WouldBlock);
        }
        self.tx_queue.push_back(msg);
        self.stats.sent += 1;
        let mut not_full = self.tx_queue.len() < self.depth;
        if fault == Some(Fault::LieNotFull) {
            not_full = !not_full;
        }
        match (not_full, self.tx_state) {
            (true, TxState::Full) => self.tx_state = TxState::Ready,
            (false, TxState::Ready) => self.tx_state = TxState::Full,
            _ => {}
        }
        Ok(SendOutcome::Sent { not_full })
    }

    fn on_tx_interrupt(&mut self) {
        match self.tx_state {
            TxState::Ready => self.stats.spurious_tx += 1,
            TxState::Full => self.tx_state = TxState::Ready,
            TxState::Closed => {}
        }
    }

    /// A drain: until EMPTY or "no more", at most `depth + 1` receives; malformed replies are
    /// skipped, an error stops it; whenever messages may be left, the RX request stays.
    pub fn drain(&mut self, from_interrupt: bool) -> Result<DrainOutcome, Error> {
        if self.closed() {
            return Err(Error::Closed);
        }
        self.rx_pending = false;
        let mut delivered = 0;
        for receives in 1..=self.depth + 1 {
            match self.receive() {
                Reply::Message { msg, more } => {
                    self.stats.received += 1;
                    delivered += 1;
                    self.delivered.push(msg);
                    if !more {
                        return Ok(DrainOutcome::Done { delivered });
                    }
                }
                Reply::Empty => {
                    if from_interrupt && receives == 1 {
                        self.stats.spurious_rx += 1;
                    }
                    return Ok(DrainOutcome::Done { delivered });
                }
                Reply::Malformed(_) => self.stats.malformed += 1,
                Reply::Failed(e) => {
                    self.stats.faults += 1;
                    self.rx_pending = true;
                    return Err(e);
                }
            }
        }
        self.rx_pending = true;
        Ok(DrainOutcome::Pending { delivered })
    }

    pub fn try_recv(&mut self) -> Result<(RecvOutcome, Vec<u8>), Error> {
        if self.closed() {
            return Err(Error::Closed);
        }
        match self.receive() {
            Reply::Message { msg, more } => {
                self.stats.received += 1;
                Ok((
                    RecvOutcome::Received {
                        len: msg.len(),
                        more,
                    },
                    msg,
                ))
            }
            Reply::Empty => Ok((RecvOutcome::Empty, Vec::new())),
            Reply::Malformed(e) => {
                self.stats.malformed += 1;
                Err(e)
            }
            Reply::Failed(e) => {
                self.stats.faults += 1;
                Err(e)
            }
        }
    }

    /// `flush_rx`: `Ok(dropped)` with the messages it dropped.
    pub fn flush(&mut self) -> Result<Vec<Vec<u8>>, Error> {
        if self.closed() {
            return Err(Error::Closed);
        }
        self.calls[call_index(Call::Flush)] += 1;
        if let Some(Fault::Fail(e)) = self.faults[call_index(Call::Flush)].take() {
            // A failed flush removed nothing and keeps the request as it was.
            self.stats.faults += 1;
            return Err(Error::Hypervisor(e));
        }
        self.rx_pending = false;
        if !self.rx_queue.is_empty() {
            // §4: a flush of a non-empty queue clears the RX vIRQ (and asserts the peer's TX).
            self.lines[line_index(Line::Rx)].pending = false;
        }
        Ok(self.rx_queue.drain(..).collect())
    }

    pub fn start(&mut self) -> Result<DrainOutcome, Error> {
        if self.closed() {
            return Err(Error::Closed);
        }
        self.unmask(Line::Tx);
        self.unmask(Line::Rx);
        self.drain(false)
    }

    pub fn shutdown(&mut self) {
        self.tx_state = TxState::Closed;
        for l in &mut self.lines {
            l.unmasked = false;
        }
    }

    /// A spurious interrupt: the handler runs (through the edge fault) with no edge.
    pub fn spurious(&mut self, line: Line) {
        self.handle(line);
    }

    pub fn note_rx_emptied(&mut self) {
        if self.rx_queue.is_empty() {
            self.stranding_excused = false;
        }
    }
}

/// How a receive's error code reads (§3, §7): the documented "buffer too small" answers mean
/// the head cannot be read.
fn receive_error(e: GunyahError) -> Error {
    match e {
        GunyahError::AddrOverflow | GunyahError::ArgumentSize => Error::RxStuck { code: Some(e) },
        e => Error::Hypervisor(e),
    }
}

/// The error an injected fault makes the queue return, if any (on any call it reaches).
pub fn error_of(call: Call, fault: Fault) -> Option<Error> {
    match (call, fault) {
        (Call::Send, Fault::Fail(e)) if e != GunyahError::MsgqueueFull => {
            Some(Error::Hypervisor(e))
        }
        (Call::Receive, Fault::Fail(e)) if e != GunyahError::MsgqueueEmpty => {
            Some(receive_error(e))
        }
        (Call::Receive, Fault::Stuck) => Some(Error::RxStuck { code: None }),
        (Call::Receive, Fault::Oversized { excess }) => {
            Some(Error::Abi(AbiViolation::SizeExceedsBuffer {
                size: MAX as u64 + excess,
                capacity: MAX,
            }))
        }
        (Call::Flush, Fault::Fail(e)) => Some(Error::Hypervisor(e)),
        _ => None,
    }
}
