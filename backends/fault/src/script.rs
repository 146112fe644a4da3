//! Scripts for [`FaultHypercall`](crate::FaultHypercall): which call, when, and what to do.
//!
//! # How scripts combine
//! Scripts are looked at in slot order (a new script takes the lowest free slot). Each counts
//! the calls it applies to, fires by its [`When`], and then:
//! - at most one **deciding** action per call takes effect: the first that fires. Deciding
//!   actions are [`Action::Fail`], every [`Hostile`] reply but the modifiers below, and every
//!   [`Lossy`] action. A later deciding script that fires on the same call is shadowed: its
//!   call is counted, its action is not applied, and [`fired`](crate::FaultHypercall::fired)
//!   does not count it.
//! - any number of **modifiers** stack on top of the reply, injected or real:
//!   [`Hostile::LieNotFull`], [`Hostile::LieNotEmpty`] and [`Hostile::Junk`]. So "junk on
//!   every reply" can run under an error matrix.

use gunyah_msgq::{GunyahError, RawOutput};

use crate::hostile::{self, Hostile, Shape};
use crate::lossy::Lossy;
use crate::when::When;

/// Which hypercall a script watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `msgq_send`.
    Send,
    /// `msgq_receive`.
    Receive,
    /// `msgq_flush`.
    Flush,
    /// Every call the action applies to (all three for an error).
    Any,
}

/// What a script does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Answers this error **instead of** the call: the inner backend is not called, so a
    /// message is never both queued and reported failed. Any code can be given: every named
    /// [`GunyahError`], FULL and EMPTY (which the core treats as flow control), or a raw one
    /// as `GunyahError::Unknown(code)`. Code 0 is OK, not an error: such a script is rejected
    /// with [`ScriptError::NotAnError`](crate::ScriptError::NotAnError).
    Fail(GunyahError),
    /// A hostile reply (see [`Hostile`] for which ones make the inner call).
    Hostile(Hostile),
    /// A deliberately lossy fault, **for the control run of a loss checker only**.
    Lossy(Lossy),
}

impl Action {
    /// [`Action::Fail`] with a raw `error_t` value; named codes become their named variant.
    #[must_use]
    pub const fn fail_raw(code: i32) -> Action {
        match GunyahError::check(code) {
            Err(e) => Action::Fail(e),
            // OK is not an error: kept as a raw 0, which `add` rejects.
            Ok(()) => Action::Fail(GunyahError::Unknown(0)),
        }
    }

    /// The call kinds (`kind::*` bits) this action means something for.
    pub(crate) const fn kinds(self) -> u8 {
        use kind::{ALL, FLUSH, RECEIVE, SEND};
        match self {
            Action::Fail(_) | Action::Hostile(Hostile::Junk | Hostile::Reply(_)) => ALL,
            Action::Hostile(Hostile::LieNotFull) => SEND,
            Action::Hostile(
                Hostile::OversizedReceive { .. } | Hostile::StuckReceive | Hostile::LieNotEmpty,
            ) => RECEIVE,
            // Every call but flush: the lossy faults are defined for send and receive only.
            Action::Lossy(_) => ALL & !FLUSH,
        }
    }

    /// Whether the action would make an error reply out of OK (code 0).
    pub(crate) const fn injects_ok_as_error(self) -> bool {
        matches!(
            self,
            Action::Fail(e) | Action::Lossy(Lossy::AcceptedButFailed(e)) if e.code() == 0
        )
    }

    /// What the action does to a call of shape `shape` into a buffer of `capacity` bytes.
    pub(crate) fn effect(self, shape: Shape, capacity: usize) -> Effect {
        match self {
            Action::Fail(e) => Effect::Replace(RawOutput::error(e.code())),
            Action::Hostile(h) => match h {
                Hostile::OversizedReceive { excess } => {
                    Effect::Replace(hostile::oversized(capacity, excess))
                }
                Hostile::StuckReceive => Effect::Replace(RawOutput::received(0, true)),
                Hostile::Reply(raw) => Effect::Replace(raw),
                Hostile::LieNotFull | Hostile::LieNotEmpty => Effect::Lie,
                Hostile::Junk => Effect::Junk,
            },
            Action::Lossy(Lossy::Drop) => match shape {
                Shape::Send => Effect::Replace(RawOutput::sent(true)),
                _ => Effect::Override(RawOutput::error(GunyahError::MsgqueueEmpty.code())),
            },
            Action::Lossy(Lossy::AcceptedButFailed(e)) => {
                Effect::Override(RawOutput::error(e.code()))
            }
        }
    }
}

/// Call kinds as bits, so a script's applicable calls are one mask test.
pub(crate) mod kind {
    pub(crate) const SEND: u8 = 0b001;
    pub(crate) const RECEIVE: u8 = 0b010;
    pub(crate) const FLUSH: u8 = 0b100;
    pub(crate) const ALL: u8 = 0b111;
}

impl Target {
    pub(crate) const fn kinds(self) -> u8 {
        match self {
            Target::Send => kind::SEND,
            Target::Receive => kind::RECEIVE,
            Target::Flush => kind::FLUSH,
            Target::Any => kind::ALL,
        }
    }
}

/// What one fired action does to one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Deciding: the inner call is not made; this is the reply.
    Replace(RawOutput),
    /// Deciding: the inner call is made; this reply replaces its reply.
    Override(RawOutput),
    /// Modifier: invert the OK reply's boolean.
    Lie,
    /// Modifier: junk in the ignored bits.
    Junk,
}

/// One fault script: a target call, a trigger and an action, with an optional limit.
///
/// ```
/// use gunyah_msgq::GunyahError;
/// use gunyah_msgq_fault::{Action, Chance, Hostile, Script, Target, When};
///
/// // The 3rd msgq_send fails with BUSY (the inner send is not made).
/// let third = Script::fail(Target::Send, When::Call(3), GunyahError::Busy);
/// // Every 10th receive answers an unknown code.
/// let unknown = Script::new(Target::Receive, When::EveryNth(10), Action::fail_raw(7777));
/// // 1 % of all calls fail with RETRY, reproducibly from seed 42, at most 5 times.
/// let retry = Script::fail(
///     Target::Any,
///     When::Random { chance: Chance::per_million(10_000), seed: 42 },
///     GunyahError::Retry,
/// )
/// .limit(5);
/// // Every receive from the 2nd on is stuck (the quirk loop).
/// let stuck = Script::new(Target::Receive, When::From(2), Action::Hostile(Hostile::StuckReceive));
/// # let _ = (third, unknown, retry, stuck);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Script {
    /// The call it watches. It counts only the calls that this target and its action share.
    pub target: Target,
    /// On which of those calls it fires.
    pub when: When,
    /// What it does then.
    pub action: Action,
    /// Fire at most this many times (`None`: no limit).
    pub limit: Option<u32>,
}

impl Script {
    /// A script with no limit.
    #[must_use]
    pub const fn new(target: Target, when: When, action: Action) -> Script {
        Script {
            target,
            when,
            action,
            limit: None,
        }
    }

    /// A script that answers `error` instead of the call ([`Action::Fail`]).
    #[must_use]
    pub const fn fail(target: Target, when: When, error: GunyahError) -> Script {
        Script::new(target, when, Action::Fail(error))
    }

    /// The same script, firing at most `times` times.
    #[must_use]
    pub const fn limit(mut self, times: u32) -> Script {
        self.limit = Some(times);
        self
    }

    /// The call kinds it counts: its target's, narrowed to those its action applies to.
    pub(crate) const fn kinds(&self) -> u8 {
        self.target.kinds() & self.action.kinds()
    }
}

#[cfg(test)]
mod tests {
    use super::kind::{FLUSH, RECEIVE, SEND};
    use super::*;

    #[test]
    fn kinds_intersect() {
        let stuck = Action::Hostile(Hostile::StuckReceive);
        assert_eq!(
            Script::new(Target::Any, When::ALWAYS, stuck).kinds(),
            kind::RECEIVE
        );
        assert_eq!(Script::new(Target::Send, When::ALWAYS, stuck).kinds(), 0);
        let lie = Action::Hostile(Hostile::LieNotFull);
        assert_eq!(
            Script::new(Target::Any, When::ALWAYS, lie).kinds(),
            kind::SEND
        );
        let drop = Action::Lossy(Lossy::Drop);
        assert_eq!(Script::new(Target::Flush, When::ALWAYS, drop).kinds(), 0);
        let busy = Action::Fail(GunyahError::Busy);
        assert_eq!(
            Script::new(Target::Flush, When::ALWAYS, busy).kinds(),
            kind::FLUSH
        );
    }

    #[test]
    fn kind_bits_are_distinct_and_all_is_their_union() {
        assert_eq!(SEND & RECEIVE, 0);
        assert_eq!((SEND | RECEIVE) & FLUSH, 0);
        assert_eq!(kind::ALL, SEND | RECEIVE | FLUSH);
        assert_eq!(Action::Lossy(Lossy::Drop).kinds(), SEND | RECEIVE);
        assert_eq!(
            Action::Lossy(Lossy::AcceptedButFailed(GunyahError::Busy)).kinds(),
            SEND | RECEIVE
        );
        assert_eq!(Action::Fail(GunyahError::Busy).kinds(), kind::ALL);
        assert_eq!(Target::Any.kinds(), kind::ALL);
    }

    #[test]
    fn fail_raw_names_known_codes() {
        assert_eq!(Action::fail_raw(31), Action::Fail(GunyahError::Busy));
        assert_eq!(Action::fail_raw(-2), Action::Fail(GunyahError::Retry));
        assert_eq!(
            Action::fail_raw(4242),
            Action::Fail(GunyahError::Unknown(4242))
        );
        assert!(Action::fail_raw(0).injects_ok_as_error());
        assert!(!Action::fail_raw(1).injects_ok_as_error());
        assert!(
            Action::Lossy(Lossy::AcceptedButFailed(GunyahError::Unknown(0))).injects_ok_as_error()
        );
    }

    #[test]
    fn lossy_drop_depends_on_the_call() {
        let drop = Action::Lossy(Lossy::Drop);
        assert_eq!(
            drop.effect(Shape::Send, 8),
            Effect::Replace(RawOutput::sent(true))
        );
        assert_eq!(
            drop.effect(Shape::Receive, 8),
            Effect::Override(RawOutput::error(60))
        );
    }
}
