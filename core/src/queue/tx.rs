//! The send path: `try_send` → `msgq_send` → TX state, and the TX interrupt.
//!
//! # Why the queue can never wedge in `Full`
//! `Full` is only a hint that the last answer was "no room". `try_send` still asks the
//! hypervisor in `Full`, because a hypercall is the only way to learn that space appeared after
//! a TX edge was lost; and a blocking sender retries once per wait slice even if no TX event
//! comes. So a lost edge costs at most one wait slice, never a stall.
//!
//! # No lost wakeup
//! A TX interrupt may arrive while a send hypercall is in flight (the receiver drained in
//! between). If the send then answered FULL and we entered `Full` after the interrupt had
//! already moved us to `Ready`, we would wait for an edge that has been and gone. So every
//! TX interrupt is counted, the sender reads the count before the hypercall, and enters `Full`
//! only if no TX interrupt came since. The check and the state change share one critical
//! section with the interrupt's update; the hypercall itself never runs inside one.
//!
//! # No stale "room left"
//! Two senders' answers may be acted on in another order than the hypervisor gave them. A
//! "room left" answer that is acted on after another sender's "full" would move `Full` back
//! to `Ready` while the queue is full, and mask a level line that a waiter needs. So entries
//! into `Full` are counted too, and a "room left" answer leaves `Full` only if nobody entered
//! it since the sender read the count. Staying `Full` by mistake costs nothing: room that
//! appears later raises the TX interrupt.
//!
//! # The level line's mask follows the state
//! A level line fires for as long as there is room, so it is unmasked exactly while `Full`.
//! Every state change masks or unmasks it inside the same critical section, so two CPUs'
//! changes can never land their mask writes in the other order, and once `Closed` nobody
//! unmasks it again.
//!
//! # Why a spurious TX interrupt is harmless
//! It moves `Full` to `Ready` (or only counts in `Ready`): the worst outcome is one extra
//! `msgq_send` that answers FULL and moves back to `Full`. Nothing is counted as credit, so no
//! message is ever sent on the strength of an interrupt alone.

use super::{MsgQueue, TxConfig};
use crate::SendFlags;
use crate::abi::SendReply;
use crate::error::Error;
use crate::hypercall::Hypercall;
use crate::irq::{IrqLine, Trigger};
use crate::mailbox::SendOutcome;

/// The TX side's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxState {
    /// The last answer left room (or a TX event has come since it did not).
    Ready,
    /// The last answer was "full": a TX event is expected when the receiver drains.
    Full,
    /// The queue was shut down.
    Closed,
}

/// What the TX critical section guards: the state and the counts that keep stale answers
/// from changing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TxShared {
    pub(super) state: TxState,
    /// TX interrupts so far: a "full" answer enters `Full` only if none came after the sender
    /// read this.
    pub(super) tx_events: u32,
    /// Entries into `Full` so far: a "room left" answer leaves `Full` only if none came after
    /// the sender read this.
    pub(super) full_entries: u32,
}

impl TxShared {
    pub(super) const INITIAL: TxShared = TxShared {
        state: TxState::Ready,
        tx_events: 0,
        full_entries: 0,
    };
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> MsgQueue<H, I, MAX> {
    /// Offers `msg` to the hypervisor once. See [`Mailbox::try_send`](crate::Mailbox::try_send)
    /// for the contract.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] on a receive-only endpoint; [`Error::EmptyMessage`] and
    /// [`Error::MessageTooLarge`] (above the TX queue's [`TxConfig::max_msg_size`]) before any
    /// hypercall: the hypervisor may accept a bad size silently and drop the message;
    /// [`Error::Closed`] after shutdown; the hypervisor's error otherwise. FULL is never an
    /// error: it is [`SendOutcome::WouldBlock`].
    ///
    /// [`TxConfig::max_msg_size`]: crate::TxConfig::max_msg_size
    pub fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, Error> {
        self.send_once(msg, flags).map(|(outcome, _)| outcome)
    }

    /// One send; also returns the TX interrupt count read before the hypercall, so that a
    /// blocking sender can wait for the first TX event after it.
    pub(super) fn send_once(
        &self,
        msg: &[u8],
        flags: SendFlags,
    ) -> Result<(SendOutcome, u32), Error> {
        let tx = self.tx()?;
        if msg.is_empty() {
            return Err(Error::EmptyMessage);
        }
        if msg.len() > tx.max_msg_size {
            return Err(Error::MessageTooLarge {
                len: msg.len(),
                max: tx.max_msg_size,
            });
        }
        let before = self.tx_shared.get();
        if before.state == TxState::Closed {
            return Err(Error::Closed);
        }
        let reply = SendReply::try_from(self.hyp.msgq_send(tx.cap, msg, flags));
        let outcome = match reply {
            Ok(SendReply::Accepted { not_full }) => {
                self.counters.sent.bump();
                if not_full {
                    self.leave_full(before, tx);
                } else {
                    self.enter_full(before, tx);
                }
                SendOutcome::Sent { not_full }
            }
            Ok(SendReply::Full) => {
                self.counters.would_block.bump();
                self.enter_full(before, tx);
                SendOutcome::WouldBlock
            }
            Err(e) => {
                // The state is left as it was: one failed message never wedges the queue.
                self.counters.faults.bump();
                return Err(Error::Hypervisor(e));
            }
        };
        Ok((outcome, before.tx_events))
    }

    /// The hypervisor said "no room": enter `Full`, unless a TX interrupt arrived since
    /// `before` was read (its edge would then be lost to us).
    fn enter_full(&self, before: TxShared, tx: &TxConfig<I>) {
        self.tx_shared.update_then(
            |s| {
                let enter = s.state == TxState::Ready && s.tx_events == before.tx_events;
                if enter {
                    s.state = TxState::Full;
                    s.full_entries = s.full_entries.wrapping_add(1);
                }
                enter
            },
            |&entered| {
                if entered && tx.trigger == Trigger::Level {
                    // Now that we wait for room, let the level line tell us.
                    tx.irq.enable();
                }
            },
        );
    }

    /// The hypervisor said "room left": back to `Ready` if we were `Full`, unless another
    /// sender entered `Full` since `before` was read (its answer may be the newer one).
    fn leave_full(&self, before: TxShared, tx: &TxConfig<I>) {
        self.tx_shared.update_then(
            |s| {
                let leave = s.state == TxState::Full && s.full_entries == before.full_entries;
                if leave {
                    s.state = TxState::Ready;
                }
                leave
            },
            |&left| {
                if left && tx.trigger == Trigger::Level {
                    tx.irq.disable();
                }
            },
        );
    }

    /// The TX interrupt entry point: call it from the platform's handler for the TX vIRQ.
    ///
    /// Moves `Full` to `Ready`; in `Ready` the interrupt is counted as spurious and changes
    /// nothing else. After shutdown it changes nothing, but masks a level line again (so a
    /// line unmasked behind the queue's back cannot storm); on an endpoint without a TX queue
    /// it does nothing.
    pub fn on_tx_interrupt(&self) {
        let Some(tx) = &self.tx else { return };
        tx.irq.acknowledge();
        let before = self.tx_shared.update_then(
            |s| {
                let before = s.state;
                if before != TxState::Closed {
                    s.tx_events = s.tx_events.wrapping_add(1);
                    s.state = TxState::Ready;
                }
                before
            },
            |_| {
                if tx.trigger == Trigger::Level {
                    // Ready or Closed now: a level line is masked in both.
                    tx.irq.disable();
                }
            },
        );
        if before == TxState::Ready {
            self.counters.spurious_tx.bump();
        }
    }
}
