//! Diagnostic counters of one queue.

use crate::sync::Counter;

/// A snapshot of a queue's counters. Each wraps at `u32::MAX`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Messages the hypervisor accepted.
    pub sent: u32,
    /// Messages received (by `try_recv` or handed to a drain callback).
    pub received: u32,
    /// Sends that found the queue full (`WouldBlock`).
    pub would_block: u32,
    /// TX interrupts that arrived while the queue was `Ready` (not waiting for room).
    pub spurious_tx: u32,
    /// RX interrupts whose drain found the queue empty at once.
    pub spurious_rx: u32,
    /// Hypercalls that failed with an error other than FULL or EMPTY, and stuck RX heads.
    pub faults: u32,
    /// Replies that broke the ABI (size larger than the buffer, zero-length message); each
    /// was skipped.
    pub malformed: u32,
}

/// The live counters behind [`Stats`].
pub(crate) struct Counters {
    pub(crate) sent: Counter,
    pub(crate) received: Counter,
    pub(crate) would_block: Counter,
    pub(crate) spurious_tx: Counter,
    pub(crate) spurious_rx: Counter,
    pub(crate) faults: Counter,
    pub(crate) malformed: Counter,
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            sent: Counter::new(),
            received: Counter::new(),
            would_block: Counter::new(),
            spurious_tx: Counter::new(),
            spurious_rx: Counter::new(),
            faults: Counter::new(),
            malformed: Counter::new(),
        }
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            sent: self.sent.get(),
            received: self.received.get(),
            would_block: self.would_block.get(),
            spurious_tx: self.spurious_tx.get(),
            spurious_rx: self.spurious_rx.get(),
            faults: self.faults.get(),
            malformed: self.malformed.get(),
        }
    }
}
