//! The engine behind a vIRQ line: masked/pending/active state and who runs the handler.
//!
//! # Locks
//! Two kinds: the hypervisor model's mutex and each line's own mutex. The order is always
//! model → line, and **no lock is held while a handler runs**: a handler makes hypercalls
//! (model lock) and masks lines (line lock), and may run on a thread that is itself inside a
//! hypercall (inline delivery). The model lock is taken by a line only to read its level.
//!
//! # GIC-like rules
//! - An edge sets `pending`; edges while pending merge into one delivery.
//! - Delivery needs the line unmasked, pending, not active, and a handler. It clears `pending`
//!   and marks the line active on the delivering thread; an edge raised meanwhile (even by the
//!   handler itself) is delivered after the handler returns, never nested into it.
//! - Level lines: before a delivery the level is checked (a level that went away is no longer
//!   pending); after it, a level that still holds makes the line pending again. Re-fires are
//!   bounded per assertion (`refire_limit`): a handler that never removes the condition
//!   throttles the line instead of hanging the test.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use gunyah_msgq::Trigger;

use crate::hypervisor::HypState;
use crate::irq::{LineId, LineStats};
use crate::model::LineSignal;

/// A line's interrupt handler.
pub type Handler = Arc<dyn Fn() + Send + Sync>;

/// The default bound on consecutive level re-fires (see [`crate::MockIrq::set_refire_limit`]).
pub const DEFAULT_REFIRE_LIMIT: u32 = 64;

/// Where handlers run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// On the thread that raised the edge, unmasked the line or registered the handler, after
    /// the hypervisor's lock is released. A handler raised by a hypercall thus runs before the
    /// hypercall returns, like an interrupt taken at the instruction after `hvc`.
    #[default]
    Inline,
    /// On a delivery thread per line, so handlers run concurrently with the guest's code and
    /// with each other, as on a multi-CPU guest. The threads stop when the hypervisor is shut
    /// down or dropped.
    Threaded,
}

/// Locks a mutex, ignoring poisoning: no lock is held across user code, so a poisoned lock
/// only means a panic in this crate's own short critical sections, whose state is still valid.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct LineState {
    enabled: bool,
    pending: bool,
    /// The thread running the handler now.
    active: Option<ThreadId>,
    /// Level re-fires used up: no delivery until the next assertion or unmask.
    throttled: bool,
    shutdown: bool,
    trigger: Trigger,
    handler: Option<Handler>,
    refire_limit: u32,
    refires_left: u32,
    stats: LineStats,
}

impl LineState {
    fn deliverable(&self) -> bool {
        self.enabled
            && self.pending
            && self.active.is_none()
            && !self.throttled
            && !self.shutdown
            && self.handler.is_some()
    }

    /// Nothing to deliver, and no handler running except on `me` (a handler waiting for its
    /// own line would wait for itself).
    fn idle(&self, me: ThreadId) -> bool {
        !self.deliverable() && self.active.is_none_or(|t| t == me)
    }

    fn rearm(&mut self) {
        self.throttled = false;
        self.refires_left = self.refire_limit;
    }
}

/// One vIRQ line's state, shared by its `MockIrq` handles, the hypervisor and its worker.
pub(crate) struct LineCore {
    id: LineId,
    delivery: Delivery,
    /// For level checks only; weak so that lines do not keep the model alive.
    model: Weak<Mutex<HypState>>,
    state: Mutex<LineState>,
    /// Signalled on every change a worker or a waiter may care about.
    changed: Condvar,
}

impl LineCore {
    pub(crate) fn new(
        id: LineId,
        delivery: Delivery,
        model: Weak<Mutex<HypState>>,
    ) -> Arc<LineCore> {
        Arc::new(LineCore {
            id,
            delivery,
            model,
            state: Mutex::new(LineState {
                // Masked at reset, like a GIC line: the guest unmasks it when it is ready.
                enabled: false,
                pending: false,
                active: None,
                throttled: false,
                shutdown: false,
                trigger: Trigger::Edge,
                handler: None,
                refire_limit: DEFAULT_REFIRE_LIMIT,
                refires_left: DEFAULT_REFIRE_LIMIT,
                stats: LineStats::default(),
            }),
            changed: Condvar::new(),
        })
    }

    pub(crate) fn id(&self) -> LineId {
        self.id
    }

    fn state(&self) -> MutexGuard<'_, LineState> {
        lock(&self.state)
    }

    /// Applies a signal of the model. Called with the model lock held (that keeps signals in
    /// the order of the operations that raised them); runs no handler.
    pub(crate) fn signal(&self, signal: LineSignal) {
        let mut s = self.state();
        match signal {
            LineSignal::Idle => return,
            LineSignal::Assert => {
                s.stats.raised += 1;
                if s.pending {
                    s.stats.merged += 1;
                }
                s.pending = true;
                s.rearm();
            }
            LineSignal::Clear => {
                if s.pending {
                    s.pending = false;
                    s.stats.cleared += 1;
                }
            }
        }
        self.changed.notify_all();
    }

    /// Delivers what became deliverable: inline on this thread, or by waking the worker. Call
    /// with no lock held.
    pub(crate) fn kick(&self) {
        match self.delivery {
            Delivery::Inline => {
                while let Some(handler) = self.begin() {
                    self.run(handler);
                }
            }
            Delivery::Threaded => self.changed.notify_all(),
        }
    }

    /// Runs `f` on the line state, with the line's level when it is level-triggered. Takes
    /// the model lock first (lock order model → line) so the level and the state are seen
    /// together.
    fn with_level<R>(&self, f: impl FnOnce(&mut LineState, Option<bool>) -> R) -> R {
        if self.state().trigger == Trigger::Level {
            if let Some(model) = self.model.upgrade() {
                let model = lock(&model);
                let level = model.level(self.id);
                let mut s = self.state();
                let level = (s.trigger == Trigger::Level).then_some(level);
                return f(&mut s, level);
            }
        }
        f(&mut self.state(), None)
    }

    /// Starts a delivery if the line is deliverable: returns the handler to run.
    fn begin(&self) -> Option<Handler> {
        self.with_level(|s, level| {
            if !s.deliverable() {
                return None;
            }
            if level == Some(false) {
                // The condition went away while the line waited (masked or busy): a level
                // line is pending only while its condition holds.
                s.pending = false;
                s.stats.cleared += 1;
                self.changed.notify_all();
                return None;
            }
            s.pending = false;
            s.active = Some(thread::current().id());
            s.handler.clone()
        })
    }

    /// Ends a delivery; a level line whose condition still holds becomes pending again.
    fn finish(&self, panicked: bool) {
        self.with_level(|s, level| {
            s.active = None;
            s.stats.delivered += 1;
            if panicked {
                s.stats.handler_panics += 1;
            }
            if level == Some(true) && !s.pending && !s.shutdown {
                s.pending = true;
                if s.refires_left > 0 {
                    s.refires_left -= 1;
                    s.stats.refired += 1;
                } else {
                    s.throttled = true;
                    s.stats.throttled += 1;
                }
            }
            self.changed.notify_all();
        });
    }

    /// Runs one handler invocation. A panic is counted; inline it then continues to unwind
    /// into the code that raised the edge (so a failing assertion fails its test), threaded it
    /// stops there so the line keeps working.
    fn run(&self, handler: Handler) {
        let result = panic::catch_unwind(AssertUnwindSafe(|| handler()));
        drop(handler);
        self.finish(result.is_err());
        if let Err(payload) = result {
            if self.delivery == Delivery::Inline {
                panic::resume_unwind(payload);
            }
        }
    }

    /// The delivery thread of a threaded line: sleeps until the line is deliverable or shut
    /// down, so an idle line costs nothing.
    pub(crate) fn worker(self: Arc<Self>) {
        loop {
            {
                let mut s = self.state();
                while !s.shutdown && !s.deliverable() {
                    s = self.changed.wait(s).unwrap_or_else(PoisonError::into_inner);
                }
                if s.shutdown {
                    return;
                }
            }
            if let Some(handler) = self.begin() {
                self.run(handler);
            }
        }
    }

    /// Stops the line for good: no more deliveries, the worker exits. Returns the handler so
    /// the caller can drop it outside every lock.
    pub(crate) fn shutdown(&self) -> Option<Handler> {
        let mut s = self.state();
        s.shutdown = true;
        s.pending = false;
        let handler = s.handler.take();
        self.changed.notify_all();
        handler
    }

    pub(crate) fn set_handler(&self, handler: Option<Handler>) {
        let old = {
            let mut s = self.state();
            if s.shutdown {
                // Keep nothing alive after shutdown.
                return;
            }
            let old = core::mem::replace(&mut s.handler, handler);
            self.changed.notify_all();
            old
        };
        drop(old);
        self.kick();
    }

    pub(crate) fn set_trigger(&self, trigger: Trigger) {
        self.state().trigger = trigger;
    }

    pub(crate) fn trigger(&self) -> Trigger {
        self.state().trigger
    }

    pub(crate) fn set_refire_limit(&self, limit: u32) {
        let mut s = self.state();
        s.refire_limit = limit;
        s.rearm();
        self.changed.notify_all();
    }

    pub(crate) fn enable(&self) {
        {
            let mut s = self.state();
            s.enabled = true;
            s.stats.enables += 1;
            s.rearm();
            self.changed.notify_all();
        }
        self.kick();
    }

    pub(crate) fn disable(&self) {
        let mut s = self.state();
        s.enabled = false;
        s.stats.disables += 1;
    }

    pub(crate) fn acknowledge(&self) {
        self.state().stats.acknowledged += 1;
    }

    /// Raises an edge from outside the hypervisor (a spurious or injected interrupt).
    pub(crate) fn raise(&self) {
        self.signal(LineSignal::Assert);
        self.kick();
    }

    pub(crate) fn stats(&self) -> LineStats {
        self.state().stats
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.state().enabled
    }

    pub(crate) fn is_pending(&self) -> bool {
        self.state().pending
    }

    pub(crate) fn is_active(&self) -> bool {
        self.state().active.is_some()
    }

    pub(crate) fn has_handler(&self) -> bool {
        self.state().handler.is_some()
    }

    /// Waits until `done` holds for the state, or `timeout` passes; returns whether it holds.
    fn wait_until(&self, timeout: Duration, done: impl Fn(&LineState) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut s = self.state();
        loop {
            if done(&s) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            s = self
                .changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits until nothing is deliverable and no handler runs (on another thread).
    pub(crate) fn wait_idle(&self, timeout: Duration) -> bool {
        let me = thread::current().id();
        self.wait_until(timeout, |s| s.idle(me))
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.state().idle(thread::current().id())
    }

    /// Waits until no handler runs on another thread.
    pub(crate) fn synchronize(&self, timeout: Duration) -> bool {
        let me = thread::current().id();
        self.wait_until(timeout, |s| s.active.is_none_or(|t| t == me))
    }
}
