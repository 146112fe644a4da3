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
//! TX interrupt bumps an epoch, the sender reads it before the hypercall, and enters `Full`
//! only if the epoch is unchanged. The check and the state change share one critical section
//! with the interrupt's update; the hypercall itself never runs inside one.
//!
//! # Why a spurious TX interrupt is harmless
//! It moves `Full` to `Ready` (or only bumps the epoch in `Ready`): the worst outcome is one
//! extra `msgq_send` that answers FULL and moves back to `Full`. Nothing is counted as credit,
//! so no message is ever sent on the strength of an interrupt alone.

use super::MsgQueue;
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

/// What the TX critical section guards: the state and the count of TX interrupts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TxShared {
    pub(super) state: TxState,
    pub(super) epoch: u32,
}

impl TxShared {
    pub(super) const INITIAL: TxShared = TxShared {
        state: TxState::Ready,
        epoch: 0,
    };
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> MsgQueue<H, I, MAX> {
    /// Offers `msg` to the hypervisor once. See [`Mailbox::try_send`](crate::Mailbox::try_send)
    /// for the contract.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] on a receive-only endpoint; [`Error::EmptyMessage`] and
    /// [`Error::MessageTooLarge`] before any hypercall (the hypervisor may accept a bad size
    /// silently and drop the message); [`Error::Closed`] after shutdown; the hypervisor's error
    /// otherwise. FULL is never an error: it is [`SendOutcome::WouldBlock`].
    pub fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, Error> {
        self.send_once(msg, flags).map(|(outcome, _)| outcome)
    }

    /// One send; also returns the TX epoch read before the hypercall, so that a blocking
    /// sender can wait for the first TX event after it.
    pub(super) fn send_once(
        &self,
        msg: &[u8],
        flags: SendFlags,
    ) -> Result<(SendOutcome, u32), Error> {
        let tx = self.tx()?;
        if msg.is_empty() {
            return Err(Error::EmptyMessage);
        }
        if msg.len() > MAX {
            return Err(Error::MessageTooLarge {
                len: msg.len(),
                max: MAX,
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
                    self.leave_full(tx.trigger, &tx.irq);
                } else {
                    self.enter_full(before.epoch, tx.trigger, &tx.irq);
                }
                SendOutcome::Sent { not_full }
            }
            Ok(SendReply::Full) => {
                self.counters.would_block.bump();
                self.enter_full(before.epoch, tx.trigger, &tx.irq);
                SendOutcome::WouldBlock
            }
            Err(e) => {
                // The state is left as it was: one failed message never wedges the queue.
                self.counters.faults.bump();
                return Err(Error::Hypervisor(e));
            }
        };
        Ok((outcome, before.epoch))
    }

    /// The hypervisor said "no room": enter `Full`, unless a TX interrupt arrived since
    /// `epoch` was read (its edge would then be lost to us).
    fn enter_full(&self, epoch: u32, trigger: Trigger, irq: &I) {
        let entered = self.tx_shared.update(|s| {
            let enter = s.state == TxState::Ready && s.epoch == epoch;
            if enter {
                s.state = TxState::Full;
            }
            enter
        });
        if entered && trigger == Trigger::Level {
            // A level line is masked while Ready (it would fire for as long as there is room);
            // unmask it now that we wait for room.
            irq.enable();
        }
    }

    /// The hypervisor said "room left": back to `Ready` if we were `Full`.
    fn leave_full(&self, trigger: Trigger, irq: &I) {
        let left = self.tx_shared.update(|s| {
            let leave = s.state == TxState::Full;
            if leave {
                s.state = TxState::Ready;
            }
            leave
        });
        if left && trigger == Trigger::Level {
            irq.disable();
        }
    }

    /// The TX interrupt entry point: call it from the platform's handler for the TX vIRQ.
    ///
    /// Moves `Full` to `Ready`; in `Ready` the interrupt is counted as spurious and changes
    /// nothing else. After shutdown, or on an endpoint without a TX queue, it does nothing.
    pub fn on_tx_interrupt(&self) {
        let Some(tx) = &self.tx else { return };
        tx.irq.acknowledge();
        let before = self.tx_shared.update(|s| {
            let before = s.state;
            if before != TxState::Closed {
                s.epoch = s.epoch.wrapping_add(1);
                s.state = TxState::Ready;
            }
            before
        });
        if before == TxState::Ready {
            self.counters.spurious_tx.bump();
        }
        if before != TxState::Closed && tx.trigger == Trigger::Level {
            // Room is there: mask the level line so that it does not storm while Ready.
            tx.irq.disable();
        }
    }
}
