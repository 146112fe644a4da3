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
use crate::sync::Packed;

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
/// from changing it. Packed into one word (`sync::CsWord`), so that the send and receive
/// paths read it with one load and no critical section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TxShared {
    pub(super) state: TxState,
    /// TX interrupts so far, modulo 2^15: a "full" answer enters `Full` only if none came
    /// after the sender read this.
    pub(super) tx_events: u16,
    /// Entries into `Full` so far, modulo 2^15: a "room left" answer leaves `Full` only if none
    /// came after the sender read this.
    pub(super) full_entries: u16,
}

// The counts wrap at 2^15 so that both fit in one word beside the state. A wrap could only
// hide 32768 events that all came during one hypercall, and even then the cost is bounded:
// entering `Full` by mistake costs a blocking sender one wait slice (it retries once per
// slice), staying `Full` by mistake costs nothing (see the module docs).
const COUNT_BITS: u32 = 15;
const COUNT_MASK: u16 = (1 << COUNT_BITS) - 1;
const STATE_BITS: u32 = 2;

impl TxShared {
    /// `Ready`, no events: the packed form, for `const` construction.
    pub(super) const INITIAL_WORD: u32 = 0;

    /// The state in a packed word.
    pub(super) const fn state_of(word: u32) -> TxState {
        match word & ((1 << STATE_BITS) - 1) {
            0 => TxState::Ready,
            1 => TxState::Full,
            // Only `pack` writes the word, and it never writes 3.
            _ => TxState::Closed,
        }
    }

    /// The next value of a count.
    pub(super) const fn next(count: u16) -> u16 {
        count.wrapping_add(1) & COUNT_MASK
    }
}

impl Packed for TxShared {
    fn pack(self) -> u32 {
        let state = match self.state {
            TxState::Ready => 0,
            TxState::Full => 1,
            TxState::Closed => 2,
        };
        state
            | u32::from(self.tx_events & COUNT_MASK) << STATE_BITS
            | u32::from(self.full_entries & COUNT_MASK) << (STATE_BITS + COUNT_BITS)
    }

    fn unpack(word: u32) -> Self {
        TxShared {
            state: TxShared::state_of(word),
            tx_events: (word >> STATE_BITS) as u16 & COUNT_MASK,
            full_entries: (word >> (STATE_BITS + COUNT_BITS)) as u16 & COUNT_MASK,
        }
    }
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
    /// error: it is [`SendOutcome::WouldBlock`]. The argument errors are the caller's bug in
    /// any state, so they come first, also after shutdown.
    ///
    /// # Context
    /// Never blocks: one hypercall at most, no waiting. Callable from tasks and from interrupt
    /// handlers (an RX callback may answer with it), on any CPU.
    ///
    /// # Example
    /// On the simulated hypervisor: the message is the peer's once `Sent`; a full queue hands
    /// it back as `WouldBlock`.
    /// ```
    /// use gunyah_msgq::{SendFlags, SendOutcome, TxState};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?; // depth 8
    /// let q = link.a.msg_queue::<240>()?;
    ///
    /// for i in 0..8u8 {
    ///     assert!(matches!(q.try_send(&[i], SendFlags::NONE)?, SendOutcome::Sent { .. }));
    /// }
    /// assert_eq!(q.try_send(b"ninth", SendFlags::NONE)?, SendOutcome::WouldBlock);
    /// assert_eq!(q.tx_state(), TxState::Full);
    /// assert_eq!(link.b.recv()?, Some(vec![0])); // the peer reads the first one
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ) -> Result<(SendOutcome, u16), Error> {
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
        // The snapshot stays packed across the hypercall; only the slow paths unpack it.
        let before = self.tx_shared.get_packed();
        if TxShared::state_of(before) == TxState::Closed {
            return Err(Error::Closed);
        }
        let reply = SendReply::try_from(self.hyp.msgq_send(tx.cap, msg, flags));
        let outcome = match reply {
            Ok(SendReply::Accepted { not_full }) => {
                self.counters.sent.bump();
                // In `Ready` (the fast path) there is nothing to leave: nobody can have
                // entered `Full` since `before` without counting an entry, which would keep
                // `leave_full` from leaving anyway. So skip its critical section.
                if not_full {
                    if TxShared::state_of(before) == TxState::Full {
                        self.leave_full(TxShared::unpack(before), tx);
                    }
                } else {
                    self.enter_full(TxShared::unpack(before), tx);
                }
                SendOutcome::Sent { not_full }
            }
            Ok(SendReply::Full) => {
                self.counters.would_block.bump();
                self.enter_full(TxShared::unpack(before), tx);
                SendOutcome::WouldBlock
            }
            Err(e) => {
                // The state is left as it was: one failed message never wedges the queue.
                self.counters.faults.bump();
                return Err(Error::Hypervisor(e));
            }
        };
        Ok((outcome, TxShared::unpack(before).tx_events))
    }

    /// The hypervisor said "no room": enter `Full`, unless a TX interrupt arrived since
    /// `before` was read (its edge would then be lost to us). Out of line: only a full queue
    /// (the slow path) calls it, and each send path would otherwise carry a copy.
    #[inline(never)]
    fn enter_full(&self, before: TxShared, tx: &TxConfig<I>) {
        self.tx_shared.update_then(
            |s| {
                let enter = s.state == TxState::Ready && s.tx_events == before.tx_events;
                if enter {
                    s.state = TxState::Full;
                    s.full_entries = TxShared::next(s.full_entries);
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
    ///
    /// # Context
    /// Made for interrupt context: one short critical section, no hypercall, never blocks. A
    /// waiting [`send_blocking`](Self::send_blocking) sees the event at its next poll step.
    ///
    /// # Example
    /// ```
    /// use gunyah_msgq::{SendFlags, SendOutcome, TxState};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = link.a.msg_queue::<240>()?;
    /// while q.try_send(b"x", SendFlags::NONE)? != SendOutcome::WouldBlock {}
    /// assert_eq!(q.tx_state(), TxState::Full);
    ///
    /// link.b.drain(); // the peer makes room; the hypervisor raises the TX vIRQ
    /// q.on_tx_interrupt(); // what the platform's TX handler calls
    /// assert_eq!(q.tx_state(), TxState::Ready);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_tx_interrupt(&self) {
        let Some(tx) = &self.tx else { return };
        tx.irq.acknowledge();
        let before = self.tx_shared.update_then(
            |s| {
                let before = s.state;
                if before != TxState::Closed {
                    s.tx_events = TxShared::next(s.tx_events);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initial_word_is_ready_with_no_events() {
        assert_eq!(
            TxShared::unpack(TxShared::INITIAL_WORD),
            TxShared {
                state: TxState::Ready,
                tx_events: 0,
                full_entries: 0
            }
        );
    }

    #[test]
    fn packing_keeps_every_field_apart() {
        for state in [TxState::Ready, TxState::Full, TxState::Closed] {
            for tx_events in [0, 1, 0x1234, COUNT_MASK] {
                for full_entries in [0, 1, 0x2b6d, COUNT_MASK] {
                    let value = TxShared {
                        state,
                        tx_events,
                        full_entries,
                    };
                    assert_eq!(TxShared::unpack(value.pack()), value);
                }
            }
        }
    }

    #[test]
    fn counts_wrap_within_their_bits() {
        assert_eq!(TxShared::next(0), 1);
        assert_eq!(TxShared::next(COUNT_MASK - 1), COUNT_MASK);
        assert_eq!(TxShared::next(COUNT_MASK), 0);
        let full = TxShared {
            state: TxState::Closed,
            tx_events: COUNT_MASK,
            full_entries: COUNT_MASK,
        };
        assert_eq!(full.pack(), u32::MAX - 1);
    }
}
