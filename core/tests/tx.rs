//! The send path: `try_send` → `msgq_send` → TX state, and the TX interrupt.

mod common;

use std::sync::{Arc, Weak};

use common::*;
use gunyah_msgq::mock::{MockHypercall, MockIrqLine};
use gunyah_msgq::{
    Error, GunyahError, MAX_MSG_SIZE, MsgQueue, RawOutput, RxConfig, SendFlags, SendOutcome, Stats,
    Trigger, TxConfig, TxState,
};
use mockall::Sequence;

/// `msgq_send` on the TX cap answers `replies` in order, exactly once each.
fn script_tx(hyp: &mut MockHypercall, replies: &[RawOutput]) {
    let mut seq = Sequence::new();
    for &reply in replies {
        hyp.expect_msgq_send()
            .withf(|cap, _, _| *cap == TX_CAP)
            .times(1)
            .in_sequence(&mut seq)
            .return_const(reply);
    }
}

fn queue(replies: &[RawOutput]) -> Q {
    let mut hyp = MockHypercall::new();
    script_tx(&mut hyp, replies);
    duplex(hyp)
}

/// A queue whose `msgq_send` answers `replies` in order, and fires the TX interrupt from
/// inside the hypercall (as a receiver draining on another CPU would) on the calls whose
/// index is in `irq_on`. The queue lives in an `Arc` built with `new_cyclic` so that the
/// mock's closure can reach it through a `Weak`.
fn queue_with_irq_inside_send(replies: &[RawOutput], irq_on: &'static [usize]) -> Arc<Q> {
    let replies = replies.to_vec();
    Arc::new_cyclic(|w: &Weak<Q>| {
        let w = w.clone();
        let mut call = 0;
        let mut hyp = MockHypercall::new();
        hyp.expect_msgq_send()
            .times(replies.len())
            .returning(move |_, _, _| {
                if irq_on.contains(&call) {
                    w.upgrade().unwrap().on_tx_interrupt();
                }
                call += 1;
                replies[call - 1]
            });
        duplex(hyp)
    })
}

fn stats(f: impl FnOnce(&mut Stats)) -> Stats {
    let mut s = Stats::default();
    f(&mut s);
    s
}

// --- No lost wakeup ---------------------------------------------------------------------

#[test]
fn tx_interrupt_inside_full_send_is_not_lost() {
    // The first send fills the queue (Full); during the second send's hypercall the receiver
    // drains and the TX interrupt fires, then the hypercall answers FULL (it looked before
    // the drain). The interrupt must win: the queue stays Ready.
    let q = queue_with_irq_inside_send(&[RawOutput::sent(false), err(FULL)], &[1]);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(q.tx_state(), TxState::Full);
    assert_eq!(
        q.try_send(b"b", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Ready);
}

#[test]
fn tx_interrupt_inside_full_send_from_ready_is_not_lost() {
    let q = queue_with_irq_inside_send(&[err(FULL)], &[0]);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(
        q.stats(),
        stats(|s| {
            s.would_block = 1;
            s.spurious_tx = 1;
        })
    );
}

#[test]
fn tx_interrupt_inside_send_that_fills_the_queue_is_not_lost() {
    let q = queue_with_irq_inside_send(&[RawOutput::sent(false)], &[0]);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(q.tx_state(), TxState::Ready);
}

#[test]
fn control_full_send_without_interrupt_enters_full() {
    // The same scripts as above with no interrupt: the queue does enter Full, so the tests
    // above really observe the interrupt.
    let q = queue_with_irq_inside_send(&[RawOutput::sent(false), err(FULL)], &[]);
    let _ = q.try_send(b"a", SendFlags::NONE);
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(
        q.try_send(b"b", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Full);

    let q = queue_with_irq_inside_send(&[RawOutput::sent(false)], &[]);
    let _ = q.try_send(b"a", SendFlags::NONE);
    assert_eq!(q.tx_state(), TxState::Full);
}

#[test]
fn tx_interrupt_before_the_send_does_not_keep_it_from_entering_full() {
    // Only an interrupt *during* the hypercall cancels the move to Full: one that came
    // before it (already seen, its epoch read by this send) does not.
    let q = queue(&[err(FULL)]);
    q.on_tx_interrupt();
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Full);
}

// --- FULL ---------------------------------------------------------------------------------

#[test]
fn full_returns_would_block_with_one_hypercall_and_enters_full() {
    // `times(1)`: no retry loop inside try_send.
    let q = queue(&[err(FULL)]);
    assert_eq!(
        q.try_send(b"hello", SendFlags::PUSH),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Full);
    assert_eq!(q.stats(), stats(|s| s.would_block = 1));
}

#[test]
fn full_keeps_the_message_and_the_send_after_the_tx_interrupt_succeeds() {
    let mut hyp = MockHypercall::new();
    let mut seq = Sequence::new();
    // The caller still owns the message after WouldBlock: it offers the same bytes again.
    for reply in [err(FULL), RawOutput::sent(true)] {
        hyp.expect_msgq_send()
            .withf(|cap, msg, flags| *cap == TX_CAP && msg == b"hello" && *flags == SendFlags::PUSH)
            .times(1)
            .in_sequence(&mut seq)
            .return_const(reply);
    }
    let q = duplex(hyp);
    let message = *b"hello";
    assert_eq!(
        q.try_send(&message, SendFlags::PUSH),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Full);
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(
        q.try_send(&message, SendFlags::PUSH),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(
        q.stats(),
        stats(|s| {
            s.sent = 1;
            s.would_block = 1;
        })
    );
}

#[test]
fn try_send_in_full_still_makes_the_hypercall() {
    // A lost TX edge must not wedge the queue: in Full, try_send still asks the hypervisor,
    // which is the only way to learn that room appeared.
    let q = queue(&[err(FULL), err(FULL), RawOutput::sent(true)]);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Full);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(q.tx_state(), TxState::Ready);
}

// --- OK replies ---------------------------------------------------------------------------

#[test]
fn sent_not_full_false_moves_to_full() {
    let q = queue(&[RawOutput::sent(false)]);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(q.tx_state(), TxState::Full);
    assert_eq!(q.stats(), stats(|s| s.sent = 1));
}

#[test]
fn sent_not_full_true_from_full_moves_back_to_ready() {
    let q = queue(&[RawOutput::sent(false), RawOutput::sent(true)]);
    let _ = q.try_send(b"a", SendFlags::NONE);
    assert_eq!(q.tx_state(), TxState::Full);
    assert_eq!(
        q.try_send(b"b", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(q.stats(), stats(|s| s.sent = 2));
}

#[test]
fn sent_not_full_true_in_ready_stays_ready() {
    let q = queue(&[RawOutput::sent(true)]);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(q.tx_state(), TxState::Ready);
}

#[test]
fn ok_reply_is_never_resubmitted() {
    // Spec bug 1: "sent, now full" was reported as not sent and sent again. Each try_send
    // makes exactly one msgq_send, whatever not_full says.
    let mut hyp = MockHypercall::new();
    let mut seq = Sequence::new();
    for (msg, reply) in [
        (&b"one"[..], RawOutput::sent(false)),
        (b"two", RawOutput::sent(true)),
        (b"three", RawOutput::sent(false)),
    ] {
        hyp.expect_msgq_send()
            .withf(move |cap, m, _| *cap == TX_CAP && m == msg)
            .times(1)
            .in_sequence(&mut seq)
            .return_const(reply);
    }
    let q = duplex(hyp);
    assert_eq!(
        q.try_send(b"one", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(
        q.try_send(b"two", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(
        q.try_send(b"three", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(q.stats(), stats(|s| s.sent = 3));
}

#[test]
fn send_passes_cap_message_and_flags_unchanged() {
    let mut hyp = MockHypercall::new();
    let mut seq = Sequence::new();
    for flags in [SendFlags::PUSH, SendFlags::NONE] {
        hyp.expect_msgq_send()
            .withf(move |cap, m, f| *cap == TX_CAP && m == b"\x00\xffmsg" && *f == flags)
            .times(1)
            .in_sequence(&mut seq)
            .return_const(RawOutput::sent(true));
    }
    let q = duplex(hyp);
    assert!(q.try_send(b"\x00\xffmsg", SendFlags::PUSH).is_ok());
    assert!(q.try_send(b"\x00\xffmsg", SendFlags::NONE).is_ok());
}

// --- Other errors -------------------------------------------------------------------------

#[test]
fn hypervisor_error_is_typed_leaves_ready_unchanged_and_counts_a_fault() {
    let q = queue(&[err(53)]);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Err(Error::Hypervisor(GunyahError::CspaceInsufficientRights))
    );
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(q.stats(), stats(|s| s.faults = 1));
}

#[test]
fn hypervisor_error_leaves_full_unchanged() {
    let q = queue(&[err(FULL), err(-2), RawOutput::sent(true)]);
    let _ = q.try_send(b"a", SendFlags::NONE);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Err(Error::Hypervisor(GunyahError::Retry))
    );
    assert_eq!(q.tx_state(), TxState::Full);
    // One failed message never wedges the queue: the next one goes through.
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(
        q.stats(),
        stats(|s| {
            s.sent = 1;
            s.would_block = 1;
            s.faults = 1;
        })
    );
}

// --- Sizes --------------------------------------------------------------------------------

#[test]
fn empty_message_never_reaches_the_hypervisor() {
    let q = duplex(MockHypercall::new()); // no msgq_send expectation: a call would panic
    assert_eq!(q.try_send(b"", SendFlags::PUSH), Err(Error::EmptyMessage));
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(q.stats(), Stats::default());
}

#[test]
fn oversized_message_never_reaches_the_hypervisor() {
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send().times(0);
    let q = duplex(hyp);
    assert_eq!(
        q.try_send(&[7; MAX + 1], SendFlags::NONE),
        Err(Error::MessageTooLarge {
            len: MAX + 1,
            max: MAX
        })
    );
    assert_eq!(q.stats(), Stats::default());
}

#[test]
fn message_of_exactly_max_bytes_reaches_the_hypervisor() {
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send()
        .withf(|_, m, _| m == [7; MAX])
        .times(1)
        .return_const(RawOutput::sent(true));
    let q = duplex(hyp);
    assert_eq!(
        q.try_send(&[7; MAX], SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
}

#[test]
fn one_byte_message_reaches_the_hypervisor() {
    let q = queue(&[RawOutput::sent(true)]);
    assert_eq!(
        q.try_send(b"x", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
}

#[test]
fn hypervisor_maximum_size_is_accepted_and_one_more_is_not() {
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send()
        .withf(|_, m, _| m.len() == MAX_MSG_SIZE)
        .times(1)
        .return_const(RawOutput::sent(true));
    let q: MsgQueue<_, _, MAX_MSG_SIZE> =
        MsgQueue::tx_only(hyp, TxConfig::new(TX_CAP, ack_only_line(), MAX_MSG_SIZE));
    assert_eq!(q.max_msg_size(), 1023);
    assert!(q.try_send(&[1; MAX_MSG_SIZE], SendFlags::NONE).is_ok());
    assert_eq!(
        q.try_send(&[1; MAX_MSG_SIZE + 1], SendFlags::NONE),
        Err(Error::MessageTooLarge {
            len: 1024,
            max: 1023
        })
    );
}

// --- The TX interrupt ---------------------------------------------------------------------

#[test]
fn tx_interrupt_in_ready_is_counted_spurious_and_changes_nothing() {
    let q = duplex(MockHypercall::new());
    q.on_tx_interrupt();
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(q.stats(), stats(|s| s.spurious_tx = 2));
}

#[test]
fn tx_interrupt_in_full_moves_to_ready_and_is_not_spurious() {
    let q = queue(&[err(FULL)]);
    let _ = q.try_send(b"a", SendFlags::NONE);
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(q.stats(), stats(|s| s.would_block = 1));
}

#[test]
fn tx_interrupt_acknowledges_the_tx_line_only() {
    let mut tx_line = MockIrqLine::new();
    tx_line.expect_acknowledge().times(2).return_const(());
    let q = duplex_with(MockHypercall::new(), tx_line, untouchable_line());
    q.on_tx_interrupt();
    q.on_tx_interrupt();
}

#[test]
fn shutdown_inside_a_send_hypercall_is_final() {
    // The queue is closed while a send is in the hypervisor: whatever that send answers, the
    // queue stays Closed (neither FULL nor "sent, now full" reopens it as Full).
    for reply in [err(FULL), RawOutput::sent(false), RawOutput::sent(true)] {
        let q = Arc::new_cyclic(|w: &Weak<Q>| {
            let w = w.clone();
            let mut hyp = MockHypercall::new();
            hyp.expect_msgq_send().times(1).returning(move |_, _, _| {
                w.upgrade().unwrap().shutdown();
                reply
            });
            let mut tx_line = MockIrqLine::new();
            tx_line.expect_disable().times(1).return_const(());
            let mut rx_line = MockIrqLine::new();
            rx_line.expect_disable().times(1).return_const(());
            duplex_with(hyp, tx_line, rx_line)
        });
        let _ = q.try_send(b"a", SendFlags::NONE);
        assert_eq!(q.tx_state(), TxState::Closed, "{reply:?}");
        assert_eq!(q.try_send(b"a", SendFlags::NONE), Err(Error::Closed));
    }
}

// --- Level-triggered TX line (spec bug 21) ------------------------------------------------

fn level_tx(tx_line: MockIrqLine, hyp: MockHypercall) -> Q {
    let mut rx_line = MockIrqLine::new();
    rx_line.expect_enable().return_const(());
    rx_line.expect_acknowledge().return_const(());
    MsgQueue::duplex(
        hyp,
        TxConfig {
            trigger: Trigger::Level,
            ..TxConfig::new(TX_CAP, tx_line, MAX)
        },
        RxConfig::new(RX_CAP, rx_line, depth(), MAX),
    )
}

fn empty_rx(hyp: &mut MockHypercall) {
    hyp.expect_msgq_receive()
        .withf(|cap, _| *cap == RX_CAP)
        .return_const(err(EMPTY));
}

#[test]
fn level_tx_line_is_masked_while_ready_and_unmasked_only_while_full() {
    let mut hyp = MockHypercall::new();
    empty_rx(&mut hyp);
    script_tx(
        &mut hyp,
        &[RawOutput::sent(true), RawOutput::sent(false), err(FULL)],
    );
    let mut line = MockIrqLine::new();
    let mut seq = Sequence::new();
    // start must not unmask a level TX line while Ready; entering Full unmasks it once (a
    // second FULL while Full does not unmask again); the TX interrupt masks it again.
    line.expect_enable()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    line.expect_acknowledge()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    line.expect_disable()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    let q = level_tx(line, hyp);

    assert_eq!(
        q.start(|_| {}),
        Ok(gunyah_msgq::DrainOutcome::Done { delivered: 0 })
    );
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(
        q.try_send(b"b", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(q.tx_state(), TxState::Full);
    assert_eq!(
        q.try_send(b"c", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(q.stats().spurious_tx, 0);
}

#[test]
fn level_tx_line_is_masked_when_a_send_finds_room_again() {
    let mut hyp = MockHypercall::new();
    script_tx(
        &mut hyp,
        &[err(FULL), RawOutput::sent(true), RawOutput::sent(true)],
    );
    let mut line = MockIrqLine::new();
    let mut seq = Sequence::new();
    line.expect_enable()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    line.expect_disable()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    let q = level_tx(line, hyp);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    // Room appeared with no interrupt (a lost edge): leaving Full masks the line again, and
    // a further send with room leaves it alone.
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(
        q.try_send(b"b", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(q.tx_state(), TxState::Ready);
}

#[test]
fn level_tx_line_is_unmasked_by_start_when_already_full() {
    let mut hyp = MockHypercall::new();
    empty_rx(&mut hyp);
    script_tx(&mut hyp, &[err(FULL)]);
    let mut line = MockIrqLine::new();
    // Once on entering Full (before start), once more by start, since the queue is Full.
    line.expect_enable().times(2).return_const(());
    let q = level_tx(line, hyp);
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert!(q.start(|_| {}).is_ok());
}

#[test]
fn level_tx_interrupt_in_ready_masks_the_line() {
    let mut line = MockIrqLine::new();
    line.expect_acknowledge().times(1).return_const(());
    line.expect_disable().times(1).return_const(());
    let q = level_tx(line, MockHypercall::new());
    q.on_tx_interrupt();
    assert_eq!(q.stats().spurious_tx, 1);
}

#[test]
fn level_tx_interrupt_inside_full_send_does_not_unmask() {
    // The interrupt inside the hypercall masks the line (it was Ready); the FULL answer then
    // does not enter Full, so the line must stay masked: no enable at all.
    let q = Arc::new_cyclic(|w: &Weak<Q>| {
        let w = w.clone();
        let mut hyp = MockHypercall::new();
        hyp.expect_msgq_send().times(1).returning(move |_, _, _| {
            w.upgrade().unwrap().on_tx_interrupt();
            err(FULL)
        });
        let mut line = MockIrqLine::new();
        line.expect_acknowledge().times(1).return_const(());
        line.expect_disable().times(1).return_const(());
        level_tx(line, hyp)
    });
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Ready);
}

#[test]
fn edge_tx_line_is_never_masked_or_unmasked_by_the_send_path() {
    // ack_only_line panics on enable/disable: full, room again and the interrupt all leave
    // an edge line alone.
    let q = queue(&[err(FULL), RawOutput::sent(false), RawOutput::sent(true)]);
    let _ = q.try_send(b"a", SendFlags::NONE);
    q.on_tx_interrupt();
    let _ = q.try_send(b"a", SendFlags::NONE);
    let _ = q.try_send(b"a", SendFlags::NONE);
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Ready);
}
