//! [`FaultHypercall`]: any [`Hypercall`] backend, with scripted faults in front of it.

use gunyah_msgq::{CapId, Hypercall, RawOutput, SendFlags};

use crate::hostile::{self, Shape};
use crate::script::{Action, Effect, Script, kind};
use crate::stats::{Counter, FaultCounters, FaultStats};
use crate::table::{ScriptError, ScriptId, Table};
use crate::when::Rule;

/// The script slots a [`FaultHypercall::new`] wrapper has.
pub const DEFAULT_SLOTS: usize = 8;

/// Wraps a [`Hypercall`] backend and injects scripted faults into its calls.
///
/// - Up to `N` [`Script`]s at once, added and removed through `&self` at any time (also
///   while the wrapper sits inside a `MsgQueue`: reach it with `queue.hypercall()`).
/// - A call with no script installed costs two relaxed counter increments and the inner call.
/// - The inner call never runs inside a critical section, so a test may fire an interrupt
///   handler from inside it, and a handler may call into the wrapper again.
/// - `const fn` constructors: with a zero-sized inner backend the wrapper can live in a
///   `static` (the critical-section-guarded slots are `Sync`).
///
/// See [`Script`] for how scripts combine, [`Hostile`](crate::Hostile) for which hostile
/// replies make the inner call, and [`Lossy`](crate::Lossy) for the control-run faults.
pub struct FaultHypercall<H, const N: usize = DEFAULT_SLOTS> {
    inner: H,
    scripts: Table<Installed, N>,
    counters: FaultCounters,
}

/// An installed script's action and the call kinds it counts.
#[derive(Clone, Copy, Debug)]
struct Installed {
    kinds: u8,
    action: Action,
}

/// What the scripts decided for one call.
#[derive(Clone, Copy, Debug, Default)]
struct Plan {
    /// The first deciding effect that fired (`Replace` or `Override`).
    decided: Option<Effect>,
    lie: bool,
    junk: bool,
}

impl<H> FaultHypercall<H, DEFAULT_SLOTS> {
    /// Wraps `inner` with [`DEFAULT_SLOTS`] script slots and no script: every call passes
    /// through until a script is added.
    pub const fn new(inner: H) -> Self {
        Self::with_slots(inner)
    }
}

impl<H, const N: usize> FaultHypercall<H, N> {
    /// Wraps `inner` with `N` script slots (write the type: `FaultHypercall::<_, 32>::with_slots`).
    pub const fn with_slots(inner: H) -> Self {
        FaultHypercall {
            inner,
            scripts: Table::new(),
            counters: FaultCounters::new(),
        }
    }

    /// Installs `script`. Its call count starts at 0 now.
    ///
    /// # Errors
    /// [`ScriptError::Full`] if all `N` slots are taken; [`ScriptError::NeverApplies`] if its
    /// target and action share no call; [`ScriptError::NotAnError`] if it would inject OK
    /// (code 0) as an error.
    pub fn add(&self, script: Script) -> Result<ScriptId, ScriptError> {
        let kinds = script.kinds();
        if kinds == 0 {
            return Err(ScriptError::NeverApplies);
        }
        if script.action.injects_ok_as_error() {
            return Err(ScriptError::NotAnError);
        }
        let installed = Installed {
            kinds,
            action: script.action,
        };
        self.scripts
            .add(Rule::new(script.when, script.limit), installed)
    }

    /// Removes a script; `false` if `id` names none (already removed).
    pub fn remove(&self, id: ScriptId) -> bool {
        self.scripts.remove(id)
    }

    /// Removes every script: calls pass through again. The counters are kept.
    pub fn clear(&self) {
        self.scripts.clear();
    }

    /// How many times the script's action was applied (shadowed fires are not counted);
    /// `None` if `id` names no installed script.
    pub fn fired(&self, id: ScriptId) -> Option<u32> {
        self.scripts.fired(id)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> FaultStats {
        self.counters.snapshot()
    }

    /// Sets every counter to 0 (scripts and their call counts are kept).
    pub fn reset_stats(&self) {
        self.counters.reset();
    }

    /// The wrapped backend.
    pub const fn inner(&self) -> &H {
        &self.inner
    }

    /// Unwraps the backend.
    pub fn into_inner(self) -> H {
        self.inner
    }

    /// Counts the call and asks every script that counts this kind of call what to do.
    fn plan(&self, kind_bit: u8, shape: Shape, capacity: usize) -> Plan {
        if self.scripts.is_idle() {
            return Plan::default();
        }
        self.scripts.with_slots(|slots| {
            let mut plan = Plan::default();
            for entry in slots.iter_mut().flatten() {
                if entry.action.kinds & kind_bit == 0 || !entry.rule.step() {
                    continue;
                }
                let applied = match entry.action.action.effect(shape, capacity) {
                    decided @ (Effect::Replace(_) | Effect::Override(_)) => {
                        let first = plan.decided.is_none();
                        if first {
                            plan.decided = Some(decided);
                        }
                        first
                    }
                    Effect::Lie => {
                        plan.lie = true;
                        true
                    }
                    Effect::Junk => {
                        plan.junk = true;
                        true
                    }
                };
                if applied {
                    entry.rule.record();
                    self.class_counter(entry.action.action).bump();
                }
            }
            plan
        })
    }

    fn class_counter(&self, action: Action) -> &Counter {
        match action {
            Action::Fail(_) => &self.counters.errors,
            Action::Hostile(_) => &self.counters.hostile,
            Action::Lossy(_) => &self.counters.lossy,
        }
    }

    /// One wrapped call: plan, make the inner call unless replaced, then modify the reply.
    fn run(&self, shape: Shape, capacity: usize, call: impl FnOnce() -> RawOutput) -> RawOutput {
        let (kind_bit, calls, inner_calls) = match shape {
            Shape::Send => (
                kind::SEND,
                &self.counters.calls.send,
                &self.counters.inner_calls.send,
            ),
            Shape::Receive => (
                kind::RECEIVE,
                &self.counters.calls.receive,
                &self.counters.inner_calls.receive,
            ),
            Shape::Flush => (
                kind::FLUSH,
                &self.counters.calls.flush,
                &self.counters.inner_calls.flush,
            ),
        };
        calls.bump();
        let plan = self.plan(kind_bit, shape, capacity);
        let mut out = match plan.decided {
            // Replaced: the inner call is not made, so nothing is queued or consumed.
            Some(Effect::Replace(raw)) => raw,
            decided => {
                inner_calls.bump();
                let real = call();
                match decided {
                    Some(Effect::Override(raw)) => raw,
                    _ => real,
                }
            }
        };
        // Lie first, then junk: junk keeps each boolean's low byte, so both survive.
        if plan.lie {
            hostile::lie(&mut out, shape);
        }
        if plan.junk {
            hostile::junk(&mut out, shape);
        }
        out
    }
}

impl<H: Hypercall, const N: usize> Hypercall for FaultHypercall<H, N> {
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        self.run(Shape::Send, msg.len(), || {
            self.inner.msgq_send(cap, msg, flags)
        })
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        let capacity = buf.len();
        self.run(Shape::Receive, capacity, || {
            self.inner.msgq_receive(cap, buf)
        })
    }

    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        self.run(Shape::Flush, 0, || self.inner.msgq_flush(cap))
    }
}

impl<H: core::fmt::Debug, const N: usize> core::fmt::Debug for FaultHypercall<H, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FaultHypercall")
            .field("inner", &self.inner)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
