//! Counters of what the wrappers saw and injected, so a test can assert that a fault really
//! happened (a fault matrix whose faults never fire proves nothing).
//!
//! Relaxed atomics: counters order nothing, and a call with no script installed pays for them
//! with a couple of uncontended increments and no critical section. Each wraps at `u32::MAX`.

use core::sync::atomic::{AtomicU32, Ordering};

/// A relaxed, wrapping event counter.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU32);

impl Counter {
    pub(crate) const fn new() -> Self {
        Counter(AtomicU32::new(0))
    }

    pub(crate) fn bump(&self) {
        self.add(1);
    }

    pub(crate) fn add(&self, n: u32) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }

    /// Reads and zeroes the counter in one atomic step.
    pub(crate) fn take(&self) -> u32 {
        self.0.swap(0, Ordering::Relaxed)
    }
}

/// One count per msgq hypercall.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PerCall {
    /// `msgq_send`.
    pub send: u32,
    /// `msgq_receive`.
    pub receive: u32,
    /// `msgq_flush`.
    pub flush: u32,
}

impl PerCall {
    /// All three added up (wrapping).
    #[must_use]
    pub const fn total(&self) -> u32 {
        self.send
            .wrapping_add(self.receive)
            .wrapping_add(self.flush)
    }
}

/// A snapshot of a [`FaultHypercall`](crate::FaultHypercall)'s counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FaultStats {
    /// Calls the client made to the wrapper.
    pub calls: PerCall,
    /// Calls the wrapper passed on to the inner backend. `calls - inner_calls` is the number of
    /// calls an injection replaced.
    pub inner_calls: PerCall,
    /// [`Action::Fail`](crate::Action::Fail) errors injected.
    pub errors: u32,
    /// [`Hostile`](crate::Hostile) replies and modifications applied.
    pub hostile: u32,
    /// [`Lossy`](crate::Lossy) faults applied (control runs only).
    pub lossy: u32,
}

/// The live counters behind [`PerCall`].
#[derive(Debug, Default)]
pub(crate) struct PerCallCounters {
    pub(crate) send: Counter,
    pub(crate) receive: Counter,
    pub(crate) flush: Counter,
}

impl PerCallCounters {
    pub(crate) const fn new() -> Self {
        PerCallCounters {
            send: Counter::new(),
            receive: Counter::new(),
            flush: Counter::new(),
        }
    }

    fn snapshot(&self) -> PerCall {
        PerCall {
            send: self.send.get(),
            receive: self.receive.get(),
            flush: self.flush.get(),
        }
    }

    fn reset(&self) {
        self.send.reset();
        self.receive.reset();
        self.flush.reset();
    }
}

/// The live counters behind [`FaultStats`].
#[derive(Debug, Default)]
pub(crate) struct FaultCounters {
    pub(crate) calls: PerCallCounters,
    pub(crate) inner_calls: PerCallCounters,
    pub(crate) errors: Counter,
    pub(crate) hostile: Counter,
    pub(crate) lossy: Counter,
}

impl FaultCounters {
    pub(crate) const fn new() -> Self {
        FaultCounters {
            calls: PerCallCounters::new(),
            inner_calls: PerCallCounters::new(),
            errors: Counter::new(),
            hostile: Counter::new(),
            lossy: Counter::new(),
        }
    }

    pub(crate) fn snapshot(&self) -> FaultStats {
        FaultStats {
            calls: self.calls.snapshot(),
            inner_calls: self.inner_calls.snapshot(),
            errors: self.errors.get(),
            hostile: self.hostile.get(),
            lossy: self.lossy.get(),
        }
    }

    pub(crate) fn reset(&self) {
        self.calls.reset();
        self.inner_calls.reset();
        self.errors.reset();
        self.hostile.reset();
        self.lossy.reset();
    }
}

/// A snapshot of an [`IrqFaults`](crate::IrqFaults)'s counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IrqStats {
    /// Edges offered through [`deliver`](crate::IrqFaults::deliver).
    pub edges: u32,
    /// Times the handler actually ran, for any reason.
    pub runs: u32,
    /// Edges dropped: the handler was not run.
    pub dropped: u32,
    /// Edges duplicated: the handler ran twice.
    pub duplicated: u32,
    /// Edges held back by a delay.
    pub delayed: u32,
    /// Held edges let go by [`release_delayed`](crate::IrqFaults::release_delayed).
    pub released: u32,
    /// Spurious invocations (no edge) made by [`spurious`](crate::IrqFaults::spurious).
    pub spurious: u32,
}

/// The live counters behind [`IrqStats`].
#[derive(Debug, Default)]
pub(crate) struct IrqCounters {
    pub(crate) edges: Counter,
    pub(crate) runs: Counter,
    pub(crate) dropped: Counter,
    pub(crate) duplicated: Counter,
    pub(crate) delayed: Counter,
    pub(crate) released: Counter,
    pub(crate) spurious: Counter,
}

impl IrqCounters {
    pub(crate) const fn new() -> Self {
        IrqCounters {
            edges: Counter::new(),
            runs: Counter::new(),
            dropped: Counter::new(),
            duplicated: Counter::new(),
            delayed: Counter::new(),
            released: Counter::new(),
            spurious: Counter::new(),
        }
    }

    pub(crate) fn snapshot(&self) -> IrqStats {
        IrqStats {
            edges: self.edges.get(),
            runs: self.runs.get(),
            dropped: self.dropped.get(),
            duplicated: self.duplicated.get(),
            delayed: self.delayed.get(),
            released: self.released.get(),
            spurious: self.spurious.get(),
        }
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.edges,
            &self.runs,
            &self.dropped,
            &self.duplicated,
            &self.delayed,
            &self.released,
            &self.spurious,
        ] {
            c.reset();
        }
    }
}
