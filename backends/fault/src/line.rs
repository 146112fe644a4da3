//! [`FaultIrqLine`]: an [`IrqLine`] that forwards every call and records it.

use core::sync::atomic::{AtomicBool, Ordering};

use gunyah_msgq::IrqLine;

use crate::stats::Counter;

/// Wraps an [`IrqLine`]: forwards `enable`, `disable` and `acknowledge` to it, and records
/// them, so a test can check what the queue did to its lines (both unmasked after `start`,
/// both masked after `shutdown`, one acknowledge per handler run, a level TX line masked while
/// `Ready`).
///
/// The queue copies its line into its configuration, so hand it a reference: the core
/// implements [`IrqLine`] for `&T`, and the test keeps the `FaultIrqLine` to read.
///
/// ```
/// use gunyah_msgq::IrqLine;
/// use gunyah_msgq_fault::FaultIrqLine;
///
/// struct Gic;
/// impl IrqLine for Gic { fn enable(&self) {} fn disable(&self) {} }
///
/// let line = FaultIrqLine::new(Gic);
/// let for_queue: &FaultIrqLine<Gic> = &line; // goes into TxConfig / RxConfig
/// for_queue.enable();
/// assert!(line.is_enabled());
/// assert_eq!(line.record().enables, 1);
/// ```
#[derive(Debug)]
pub struct FaultIrqLine<I> {
    inner: I,
    enabled: AtomicBool,
    enables: Counter,
    disables: Counter,
    acknowledges: Counter,
}

/// A snapshot of what a [`FaultIrqLine`] was asked to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LineRecord {
    /// Calls to `enable`.
    pub enables: u32,
    /// Calls to `disable`.
    pub disables: u32,
    /// Calls to `acknowledge` (one per handler run of the core).
    pub acknowledges: u32,
}

impl<I> FaultIrqLine<I> {
    /// Wraps `inner`; the line starts masked, as a line does before the queue starts.
    pub const fn new(inner: I) -> Self {
        FaultIrqLine {
            inner,
            enabled: AtomicBool::new(false),
            enables: Counter::new(),
            disables: Counter::new(),
            acknowledges: Counter::new(),
        }
    }

    /// Whether the last call was `enable` (the line is unmasked).
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// The calls so far.
    pub fn record(&self) -> LineRecord {
        LineRecord {
            enables: self.enables.get(),
            disables: self.disables.get(),
            acknowledges: self.acknowledges.get(),
        }
    }

    /// The wrapped line.
    pub const fn inner(&self) -> &I {
        &self.inner
    }
}

impl<I: IrqLine> IrqLine for FaultIrqLine<I> {
    fn enable(&self) {
        self.enables.bump();
        self.enabled.store(true, Ordering::Release);
        self.inner.enable();
    }

    fn disable(&self) {
        self.disables.bump();
        // Recorded before the inner call, so a reader never sees "enabled" after disable began.
        self.enabled.store(false, Ordering::Release);
        self.inner.disable();
    }

    fn acknowledge(&self) {
        self.acknowledges.bump();
        self.inner.acknowledge();
    }
}
