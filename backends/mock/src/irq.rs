//! `MockIrq`: a simulated vIRQ line implementing [`gunyah_msgq::IrqLine`].

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use gunyah_msgq::{IrqLine, Trigger};

use crate::delivery::{Handler, LineCore};
use crate::model::{LineKind, QueueId};

/// Names one vIRQ line: a queue's TX (sender's) or RX (receiver's) line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineId {
    /// The queue.
    pub queue: QueueId,
    /// Which of its lines.
    pub kind: LineKind,
}

/// What happened on one line so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LineStats {
    /// Edges asserted by the hypervisor or injected with [`MockIrq::raise`].
    pub raised: u64,
    /// Edges that found the line already pending and merged into one delivery.
    pub merged: u64,
    /// Pending edges withdrawn: cleared by the hypervisor (flush, threshold change) or, on a
    /// level line, because the level went away before delivery.
    pub cleared: u64,
    /// Handler invocations.
    pub delivered: u64,
    /// Level re-fires: deliveries after which the level still held.
    pub refired: u64,
    /// Times the re-fire bound stopped a level storm.
    pub throttled: u64,
    /// `IrqLine::enable` calls.
    pub enables: u64,
    /// `IrqLine::disable` calls.
    pub disables: u64,
    /// `IrqLine::acknowledge` calls.
    pub acknowledged: u64,
    /// Handler invocations that panicked.
    pub handler_panics: u64,
}

/// A simulated vIRQ line of a [`MockHypervisor`](crate::MockHypervisor) queue.
///
/// Cloning gives another handle to the same line. It behaves like a GIC line:
/// - it starts masked; [`IrqLine::enable`] unmasks it and delivers an edge that arrived while
///   it was masked; [`IrqLine::disable`] masks it (a handler already running on another thread
///   may finish; see [`synchronize`](Self::synchronize));
/// - edges while pending merge; an edge while the handler runs is delivered after it returns;
/// - edge-triggered by default; [`Trigger::Level`] re-fires while the queue's level condition
///   holds, bounded by [`set_refire_limit`](Self::set_refire_limit).
///
/// Handlers run per the hypervisor's [`Delivery`](crate::Delivery), never under a lock.
#[derive(Clone)]
pub struct MockIrq {
    core: Arc<LineCore>,
}

impl MockIrq {
    pub(crate) fn new(core: Arc<LineCore>) -> MockIrq {
        MockIrq { core }
    }

    /// A handle that does not keep the line alive (for handlers that raise their own line).
    pub(crate) fn downgrade(&self) -> WeakIrq {
        WeakIrq(Arc::downgrade(&self.core))
    }

    /// Which line this is.
    #[must_use]
    pub fn id(&self) -> LineId {
        self.core.id()
    }

    /// Registers the handler, replacing any other. If an edge is pending on an unmasked line it
    /// is delivered now.
    ///
    /// To call a queue that holds this line, capture a `Weak` to it (a strong `Arc` would make
    /// a cycle: line → handler → queue → line, freed only by
    /// [`MockHypervisor::shutdown`](crate::MockHypervisor::shutdown)).
    pub fn set_handler(&self, handler: impl Fn() + Send + Sync + 'static) {
        self.core.set_handler(Some(Arc::new(handler)));
    }

    /// [`set_handler`](Self::set_handler) with a shared handler.
    pub fn set_handler_arc(&self, handler: Handler) {
        self.core.set_handler(Some(handler));
    }

    /// Removes the handler; edges stay pending until one is registered.
    pub fn clear_handler(&self) {
        self.core.set_handler(None);
    }

    /// Whether a handler is registered.
    #[must_use]
    pub fn has_handler(&self) -> bool {
        self.core.has_handler()
    }

    /// How the line is triggered.
    #[must_use]
    pub fn trigger(&self) -> Trigger {
        self.core.trigger()
    }

    /// Sets how the line is triggered. Set it before building the queue that uses the line:
    /// [`Endpoint::tx_config`](crate::Endpoint::tx_config) copies it into the queue's
    /// configuration.
    pub fn set_trigger(&self, trigger: Trigger) {
        self.core.set_trigger(trigger);
    }

    /// Bounds consecutive level re-fires after one assertion or unmask (default
    /// [`DEFAULT_REFIRE_LIMIT`](crate::DEFAULT_REFIRE_LIMIT)). Past it the line stays pending
    /// but throttled until the next assertion or unmask, so a handler that never removes the
    /// condition cannot hang a test.
    pub fn set_refire_limit(&self, limit: u32) {
        self.core.set_refire_limit(limit);
    }

    /// Whether the line is unmasked.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.core.is_enabled()
    }

    /// Whether an edge waits for delivery.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        self.core.is_pending()
    }

    /// Whether the handler is running now.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.core.is_active()
    }

    /// Injects an edge, as if the hypervisor had asserted the line (a spurious interrupt).
    pub fn raise(&self) {
        self.core.raise();
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> LineStats {
        self.core.stats()
    }

    /// Waits until no handler of this line runs on another thread (like Linux
    /// `synchronize_irq`), at most `timeout`. Returns whether it got there.
    pub fn synchronize(&self, timeout: Duration) -> bool {
        self.core.synchronize(timeout)
    }

    /// Whether nothing is left to deliver and no handler runs on another thread. A pending
    /// edge on a masked, throttled or handler-less line counts as idle: nothing will deliver
    /// it until something changes.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.core.is_idle()
    }

    /// Waits until nothing is left to deliver and no handler runs on another thread, at most
    /// `timeout`. Returns whether it got there. Useful with threaded delivery.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.core.wait_idle(timeout)
    }
}

/// A weak [`MockIrq`]: a handler that holds its own line strongly would keep it alive after
/// the hypervisor is gone.
pub(crate) struct WeakIrq(Weak<LineCore>);

impl WeakIrq {
    pub(crate) fn upgrade(&self) -> Option<MockIrq> {
        self.0.upgrade().map(MockIrq::new)
    }
}

impl IrqLine for MockIrq {
    fn enable(&self) {
        self.core.enable();
    }

    fn disable(&self) {
        self.core.disable();
    }

    fn acknowledge(&self) {
        self.core.acknowledge();
    }
}

impl fmt::Debug for MockIrq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockIrq")
            .field("id", &self.id())
            .field("trigger", &self.trigger())
            .field("enabled", &self.is_enabled())
            .field("pending", &self.is_pending())
            .finish()
    }
}
