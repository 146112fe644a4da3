//! Injected misbehaviour: what the simulated RM does wrong, and to which replies.

use std::fmt;
use std::sync::Arc;
use std::vec::Vec;

use super::wire::{self, MsgType};

/// A request as the RM reassembled it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Request {
    /// Its seq.
    pub seq: u16,
    /// Its msg_id.
    pub msg_id: u32,
    /// Its payload, every fragment's joined.
    pub payload: Vec<u8>,
}

/// One way to get a reply wrong.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Misbehaviour {
    /// Leave out the reply's fragment at this index (0 = the first); no effect past the last.
    DropFragment(usize),
    /// Send the reply's fragment at this index twice in a row; no effect past the last.
    DuplicateFragment(usize),
    /// Put this seq in every fragment of the reply instead of the request's.
    WrongSeq(u16),
    /// Put this msg_id in every fragment of the reply instead of the request's.
    WrongMsgId(u32),
    /// Answer with this RM error word and no data, whatever the call.
    Error(u32),
    /// Send a notification (fragmented if long) after the first `after` fragments of the reply
    /// (clamped to their count: with a one-fragment reply and `after = 1` it follows it).
    InterleavedNotification {
        /// Reply fragments sent before the notification.
        after: usize,
        /// The notification's msg_id.
        msg_id: u32,
        /// Its payload.
        payload: Vec<u8>,
    },
    /// Hold the reply until the next request arrives, then send it before that request's
    /// reply (or at [`SimulatedRm::release_late`](super::SimulatedRm::release_late)).
    Late,
    /// Never reply.
    NoReply,
}

/// Which replies an [`Injection`] applies to.
#[derive(Clone)]
pub enum When {
    /// The next `n` replies.
    Next(u32),
    /// Every reply whose request matches, until the injections are cleared.
    Matching(Arc<dyn Fn(&Request) -> bool + Send + Sync>),
}

impl fmt::Debug for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Next(n) => f.debug_tuple("Next").field(n).finish(),
            When::Matching(_) => f.write_str("Matching(..)"),
        }
    }
}

/// A misbehaviour and the replies it applies to.
#[derive(Clone, Debug)]
pub struct Injection {
    /// What goes wrong.
    pub what: Misbehaviour,
    /// To which replies.
    pub when: When,
}

impl Injection {
    /// `what` for the next `n` replies.
    #[must_use]
    pub fn next(n: u32, what: Misbehaviour) -> Injection {
        Injection {
            what,
            when: When::Next(n),
        }
    }

    /// `what` for every reply whose request satisfies `predicate`.
    #[must_use]
    pub fn matching(
        what: Misbehaviour,
        predicate: impl Fn(&Request) -> bool + Send + Sync + 'static,
    ) -> Injection {
        Injection {
            what,
            when: When::Matching(Arc::new(predicate)),
        }
    }

    /// Whether it applies to the reply to `request`; uses up one of `Next`'s replies if so.
    pub(crate) fn take(&mut self, request: &Request) -> bool {
        match &mut self.when {
            When::Next(n) => {
                let hit = *n > 0;
                *n = n.saturating_sub(1);
                hit
            }
            When::Matching(p) => p(request),
        }
    }

    /// Whether it can apply to no more replies.
    pub(crate) fn spent(&self) -> bool {
        matches!(self.when, When::Next(0))
    }
}

/// Where a reply's fragments go.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Into the outbox now.
    Send(Vec<Vec<u8>>),
    /// Held until the next request.
    Hold(Vec<Vec<u8>>),
    /// Nowhere.
    Nothing,
}

/// What a misbehaviour did to one reply, for the counters.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Effects {
    /// Fragments left out.
    pub dropped: u64,
    /// Notifications added.
    pub notifications: u64,
}

/// Overwrites bytes `range` of every fragment's header.
fn patch(frags: &mut [Vec<u8>], at: usize, bytes: &[u8]) {
    for f in frags {
        f[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

impl Misbehaviour {
    /// Applies it to a reply's fragments (an [`Error`](Misbehaviour::Error) was already
    /// applied when the reply was built).
    pub(crate) fn apply(&self, mut frags: Vec<Vec<u8>>, effects: &mut Effects) -> Plan {
        match self {
            Misbehaviour::DropFragment(i) => {
                if *i < frags.len() {
                    frags.remove(*i);
                    effects.dropped += 1;
                }
            }
            Misbehaviour::DuplicateFragment(i) => {
                if let Some(f) = frags.get(*i).cloned() {
                    // The copy goes next to it (before or after: the same bytes).
                    frags.insert(*i, f);
                }
            }
            Misbehaviour::WrongSeq(seq) => patch(&mut frags, 2, &seq.to_le_bytes()),
            Misbehaviour::WrongMsgId(id) => patch(&mut frags, 4, &id.to_le_bytes()),
            Misbehaviour::Error(_) => {}
            Misbehaviour::InterleavedNotification {
                after,
                msg_id,
                payload,
            } => {
                let at = (*after).min(frags.len());
                let note =
                    wire::fragments(MsgType::Notification, 0, *msg_id, payload).unwrap_or_default();
                if !note.is_empty() {
                    effects.notifications += 1;
                }
                frags.splice(at..at, note);
            }
            Misbehaviour::Late => return Plan::Hold(frags),
            Misbehaviour::NoReply => return Plan::Nothing,
        }
        Plan::Send(frags)
    }
}
