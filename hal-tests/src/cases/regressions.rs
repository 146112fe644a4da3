//! One named case per bug of earlier drivers (the spec's bug list) that concerns the queue.
//! The cases that need injected faults (3, 9, 10 and the lost edge of 8) are in
//! [`super::faults`].

use embedded_hal::delay::DelayNs;
use gunyah_msgq::{
    Direction, DrainOutcome, Error, GunyahError, RecvOutcome, SendFlags, SendOutcome, Trigger,
    TxState, WaitPolicy,
};

use super::{drain_peer, peer_send_now, send_now, settle, start};
use crate::fixture::{ErrorMode, Fixture, Harness, Line, Setup, Sides};
use crate::ledger::Ledger;
use crate::message::stamp;
use crate::{CaseError, CaseResult, ensure};

fn fill<const MAX: usize>(
    f: &impl Fixture<MAX>,
    ledger: &mut Ledger<64>,
) -> Result<u32, CaseError> {
    let mut buf = [0u8; MAX];
    let mut seq = 0;
    loop {
        match f
            .queue()
            .try_send(stamp(seq, 8, &mut buf), SendFlags::NONE)?
        {
            SendOutcome::Sent { not_full } => {
                ledger.accepted(seq)?;
                seq += 1;
                if !not_full {
                    return Ok(seq);
                }
            }
            SendOutcome::WouldBlock => return Ok(seq),
        }
        ensure!(seq <= 255, "queue never filled");
    }
}

/// Bug 1: "sent, now full" was reported as not sent, so the message went twice. OK is final:
/// every accepted message is queued exactly once.
pub fn bug01_sent_now_full_is_not_sent_again<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut ledger = Ledger::new();
    let sent = fill(&f, &mut ledger)?;
    ensure!(
        sent == u32::from(Setup::DEFAULT.depth),
        "fill did not accept exactly depth messages"
    );
    ensure!(
        f.queue().try_send(b"extra", SendFlags::NONE)? == SendOutcome::WouldBlock,
        "overfill accepted"
    );
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "an accepted message was duplicated or lost"
    );
    Ok(())
}

/// Bug 2: optional TX/RX resources were dereferenced. One-sided endpoints work and the
/// missing side is a typed error.
pub fn bug02_one_sided_endpoints_work<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let mut buf = [0u8; MAX];
    let tx = h.fixture(Setup {
        sides: Sides::TxOnly,
        ..Setup::DEFAULT
    })?;
    start(&tx)?;
    ensure!(
        tx.queue().try_recv(&mut buf) == Err(Error::NotConfigured(Direction::Rx)),
        "TX-only receive"
    );
    ensure!(
        tx.poll().err() == Some(Error::NotConfigured(Direction::Rx)),
        "TX-only poll"
    );
    tx.fire(Line::Rx);
    send_now(&tx, b"one way", SendFlags::PUSH)?;
    ensure!(
        tx.queue().flush_rx() == Err(Error::NotConfigured(Direction::Rx)),
        "TX-only flush"
    );

    let rx = h.fixture(Setup {
        sides: Sides::RxOnly,
        ..Setup::DEFAULT
    })?;
    start(&rx)?;
    ensure!(
        rx.queue().try_send(b"x", SendFlags::PUSH) == Err(Error::NotConfigured(Direction::Tx)),
        "RX-only send"
    );
    rx.fire(Line::Tx);
    peer_send_now(&rx, b"other way", true)?;
    settle(&rx)?;
    ensure!(
        rx.take_delivered(&mut |_| {}) == 1,
        "RX-only endpoint did not receive"
    );
    rx.queue().shutdown();
    tx.queue().shutdown();
    Ok(())
}

/// Bug 4: interrupts were requested before the client was bound. Interrupts that fire before
/// and during start are harmless and lose nothing.
pub fn bug04_interrupts_before_start_are_safe<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    f.fire(Line::Tx);
    f.fire(Line::Rx);
    let mut buf = [0u8; MAX];
    let mut ledger = Ledger::<8>::new();
    for seq in 0..3 {
        peer_send_now(&f, stamp(seq, 8, &mut buf), true)?;
        ledger.accepted(seq)?;
    }
    f.fire(Line::Rx);
    start(&f)?;
    f.fire(Line::Rx);
    settle(&f)?;
    super::collect_delivered(&f, &mut ledger);
    ensure!(
        ledger.tally().is_clean(),
        "messages around start lost or duplicated"
    );
    Ok(())
}

/// Bug 5: a failed init step released what it had not acquired. Here start can fail only in
/// its drain; the queue stays whole: lines enabled, recoverable, and shutdown still works.
pub fn bug05_failed_start_leaves_queue_usable<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    if MAX >= gunyah_msgq::MAX_MSG_SIZE {
        return Ok(()); // Needs a peer that can send more than MAX.
    }
    let f = h.fixture(Setup {
        peer_max: MAX + 1,
        ..Setup::DEFAULT
    })?;
    let big = [0x5Au8; 1024];
    peer_send_now(&f, &big[..MAX + 1], true)?;
    ensure!(
        f.start().is_err(),
        "start over an unreadable head did not report it"
    );
    ensure!(
        f.line_enabled(Line::Tx) && f.line_enabled(Line::Rx),
        "failed start left a line masked"
    );
    f.queue().flush_rx()?;
    let mut buf = [0u8; MAX];
    peer_send_now(&f, stamp(1, 8, &mut buf), true)?;
    settle(&f)?;
    ensure!(
        f.take_delivered(&mut |_| {}) == 1,
        "queue unusable after a failed start"
    );
    f.queue().shutdown();
    ensure!(
        !f.line_enabled(Line::Tx) && !f.line_enabled(Line::Rx),
        "shutdown left a line enabled"
    );
    Ok(())
}

/// Bug 6: a field was read before it was set, so no interrupt was ever enabled.
pub fn bug06_both_lines_enabled_after_start<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    ensure!(
        !f.line_enabled(Line::Tx) && !f.line_enabled(Line::Rx),
        "a line was enabled before start"
    );
    start(&f)?;
    ensure!(
        f.line_enabled(Line::Tx) && f.line_enabled(Line::Rx),
        "start did not enable both lines"
    );
    Ok(())
}

/// Bug 7: teardown re-armed work and late interrupts reached a freed client. Lines go off
/// first; interrupts after shutdown do nothing.
pub fn bug07_interrupts_after_shutdown_are_no_ops<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut buf = [0u8; MAX];
    peer_send_now(&f, stamp(0, 8, &mut buf), false)?;
    settle(&f)?;
    let before = f.take_delivered(&mut |_| {});
    f.queue().shutdown();
    ensure!(
        !f.line_enabled(Line::Tx) && !f.line_enabled(Line::Rx),
        "shutdown left a line enabled"
    );
    let calls = f.hypercalls();
    peer_send_now(&f, stamp(1, 8, &mut buf), true)?;
    f.fire(Line::Rx);
    f.fire(Line::Tx);
    settle(&f)?;
    ensure!(f.hypercalls() == calls, "a late interrupt made a hypercall");
    ensure!(
        before == 1 && f.take_delivered(&mut |_| {}) == 0,
        "a late interrupt delivered"
    );
    ensure!(
        f.queue().try_send(b"late", SendFlags::PUSH) == Err(Error::Closed),
        "send after shutdown"
    );
    ensure!(
        f.queue().tx_state() == TxState::Closed,
        "not Closed after shutdown"
    );
    Ok(())
}

/// Bug 8: -EAGAIN waited for a TX edge that had come before anyone listened. A queue that is
/// full when started recovers: `WouldBlock`, then the receiver drains, then the TX event.
pub fn bug08_full_at_start_recovers<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    let mut ledger = Ledger::new();
    // Filled before start, with the TX line masked.
    fill(&f, &mut ledger)?;
    start(&f)?;
    let mut buf = [0u8; MAX];
    let next = u32::from(Setup::DEFAULT.depth);
    ensure!(
        f.queue()
            .try_send(stamp(next, 8, &mut buf), SendFlags::NONE)?
            == SendOutcome::WouldBlock,
        "full queue accepted"
    );
    drain_peer(&f, &mut ledger)?;
    settle(&f)?;
    ensure!(
        f.queue().tx_state() == TxState::Ready,
        "TX event after the drain did not arrive"
    );
    send_now(&f, stamp(next, 8, &mut buf), SendFlags::NONE)?;
    ledger.accepted(next)?;
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "messages lost across the full start"
    );
    Ok(())
}

/// Bug 11: a too-small buffer plus the hypervisor's receive quirk looped forever in the
/// interrupt handler. The drain ends at once with a typed error, RX stays pending, and flush
/// recovers.
pub fn bug11_unreadable_head_ends_the_drain<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    if MAX >= gunyah_msgq::MAX_MSG_SIZE {
        return Ok(());
    }
    let f = h.fixture(Setup {
        peer_max: MAX + 1,
        ..Setup::DEFAULT
    })?;
    start(&f)?;
    let big = [0xA5u8; 1024];
    let calls = f.hypercalls();
    // The peer's PUSH raises our RX interrupt: its drain meets the unreadable head.
    peer_send_now(&f, &big[..MAX + 1], true)?;
    settle(&f)?;
    ensure!(
        f.hypercalls() - calls <= 2,
        "the drain retried an unreadable head"
    );
    ensure!(f.queue().rx_pending(), "RX not left pending");
    let e = f.poll().err();
    // One kind in both modes, so one recovery serves both; the documented mode keeps the
    // hypervisor's code.
    let expected = match f.mode() {
        ErrorMode::PublicSourceQuirks => matches!(e, Some(Error::RxStuck { code: None })),
        ErrorMode::Documented => matches!(
            e,
            Some(Error::RxStuck {
                code: Some(GunyahError::AddrOverflow | GunyahError::ArgumentSize)
            })
        ),
    };
    ensure!(expected, "unreadable head not reported as RxStuck");
    f.queue().flush_rx()?;
    ensure!(
        matches!(f.poll(), Ok(DrainOutcome::Done { delivered: 0 })),
        "flush did not recover"
    );
    Ok(())
}

/// Bug 12: FULL was retried without bound, and a spurious TX interrupt counted as credit.
pub fn bug12_full_is_not_retried_spurious_tx_gives_no_credit<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut ledger = Ledger::new();
    fill(&f, &mut ledger)?;
    let calls = f.hypercalls();
    ensure!(
        f.queue().try_send(b"extra", SendFlags::NONE)? == SendOutcome::WouldBlock,
        "full accepted"
    );
    ensure!(f.hypercalls() == calls + 1, "FULL was retried");
    f.fire(Line::Tx);
    ensure!(
        f.queue().try_send(b"extra", SendFlags::NONE)? == SendOutcome::WouldBlock,
        "spurious TX gave credit"
    );
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "FULL after a spurious TX did not re-enter Full"
    );
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "the blocked message leaked into the queue"
    );
    Ok(())
}

/// Bug 14: TX space was assumed at init. The first send of a queue that is full at start is a
/// plain `WouldBlock`, never an error or a lost message.
pub fn bug14_no_tx_space_assumed_at_init<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup {
        depth: 1,
        ..Setup::DEFAULT
    })?;
    send_now(&f, b"first", SendFlags::NONE)?;
    start(&f)?;
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "a full queue reported Ready"
    );
    ensure!(
        f.queue().try_send(b"second", SendFlags::NONE)? == SendOutcome::WouldBlock,
        "full accepted"
    );
    let mut buf = [0u8; 1024];
    ensure!(
        matches!(
            f.peer_recv(&mut buf),
            Ok(RecvOutcome::Received { len: 5, .. })
        ),
        "first lost"
    );
    settle(&f)?;
    send_now(&f, b"second", SendFlags::NONE)?;
    Ok(())
}

/// A delay that lets the peer receive one message after `after_us` microseconds, or shuts the
/// queue down then, or does nothing.
struct PeerDelay<'f, F: Fixture<MAX>, const MAX: usize> {
    f: &'f F,
    elapsed_us: u64,
    after_us: u64,
    action: DelayAction,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DelayAction {
    Nothing,
    PeerReceives,
    Shutdown,
}

impl<const MAX: usize, F: Fixture<MAX>> DelayNs for PeerDelay<'_, F, MAX> {
    fn delay_ns(&mut self, ns: u32) {
        self.elapsed_us += u64::from(ns.div_ceil(1000));
        if self.elapsed_us >= self.after_us {
            match core::mem::replace(&mut self.action, DelayAction::Nothing) {
                DelayAction::Nothing => {}
                DelayAction::PeerReceives => {
                    let mut buf = [0u8; 1024];
                    let _ = self.f.peer_recv(&mut buf);
                }
                DelayAction::Shutdown => self.f.queue().shutdown(),
            }
        }
    }
}

/// Bug 16: the blocking send returned a slot token, not the status. It returns `Ok` once the
/// message is accepted, `TimedOut` if it never is.
pub fn bug16_blocking_send_returns_the_status<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut ledger = Ledger::new();
    let next = fill(&f, &mut ledger)?;
    let mut buf = [0u8; MAX];
    let policy = WaitPolicy {
        timeout_us: 5_000,
        slice_us: 1_000,
        poll_us: 10,
    };
    let mut never = PeerDelay {
        f: &f,
        elapsed_us: 0,
        after_us: 0,
        action: DelayAction::Nothing,
    };
    let r = f.queue().send_blocking(
        stamp(next, 8, &mut buf),
        SendFlags::NONE,
        &mut never,
        policy,
    );
    ensure!(
        r == Err(Error::TimedOut),
        "a send that never got room did not time out"
    );
    ensure!(never.elapsed_us >= 5_000, "timed out early");
    let mut later = PeerDelay {
        f: &f,
        elapsed_us: 0,
        after_us: 300,
        action: DelayAction::PeerReceives,
    };
    let r = f.queue().send_blocking(
        stamp(next, 8, &mut buf),
        SendFlags::NONE,
        &mut later,
        policy,
    );
    ensure!(r == Ok(()), "a send that got room did not succeed");
    ledger.accepted(next)?;
    ledger.received(Some(0)); // The delay's peer receive took message 0.
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "blocking send lost or duplicated a message"
    );
    Ok(())
}

/// Bug 17: a full ring returned an error and lost the message. `WouldBlock` leaves it with the
/// caller, who sends the same bytes later.
pub fn bug17_would_block_hands_the_message_back<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut ledger = Ledger::new();
    let next = fill(&f, &mut ledger)?;
    let mut buf = [0u8; MAX];
    let msg = stamp(next, 32, &mut buf);
    ensure!(
        f.queue().try_send(msg, SendFlags::PUSH)? == SendOutcome::WouldBlock,
        "full accepted"
    );
    drain_peer(&f, &mut ledger)?;
    settle(&f)?;
    send_now(&f, msg, SendFlags::PUSH)?;
    ledger.accepted(next)?;
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "the handed-back message did not arrive intact, once"
    );
    Ok(())
}

/// Bug 18: freeing a channel dropped queued sends. The queue holds nothing unsent: after
/// shutdown every accepted message is still delivered to the peer.
pub fn bug18_shutdown_loses_no_accepted_message<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut ledger = Ledger::new();
    fill(&f, &mut ledger)?;
    f.queue().shutdown();
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "shutdown lost an accepted message"
    );
    Ok(())
}

/// Bug 18: a sender waiting for room when the queue shuts down gets `Closed`.
pub fn bug18_waiting_sender_gets_closed<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut ledger = Ledger::new();
    fill(&f, &mut ledger)?;
    let policy = WaitPolicy {
        timeout_us: 1_000_000,
        slice_us: 1_000,
        poll_us: 10,
    };
    let mut shut = PeerDelay {
        f: &f,
        elapsed_us: 0,
        after_us: 200,
        action: DelayAction::Shutdown,
    };
    let r = f
        .queue()
        .send_blocking(b"waiting", SendFlags::NONE, &mut shut, policy);
    ensure!(
        r == Err(Error::Closed),
        "the waiting sender was not told Closed"
    );
    ensure!(
        shut.elapsed_us < 1_000,
        "the waiting sender kept waiting after shutdown"
    );
    Ok(())
}

/// Bug 19: a NULL message meant "idle". An empty message is a local error and never sent.
pub fn bug19_empty_message_is_never_sent<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let calls = f.hypercalls();
    ensure!(
        f.queue().try_send(&[], SendFlags::PUSH) == Err(Error::EmptyMessage),
        "empty accepted"
    );
    ensure!(
        f.hypercalls() == calls,
        "the empty message reached the hypervisor"
    );
    let mut buf = [0u8; 1024];
    ensure!(
        f.peer_recv(&mut buf) == Ok(RecvOutcome::Empty),
        "something was queued"
    );
    Ok(())
}

/// Bug 21: a level TX line fires for as long as there is room. It is masked while `Ready`,
/// unmasked only while `Full`.
pub fn bug21_level_tx_line_does_not_storm<const MAX: usize>(
    h: &mut impl Harness<MAX>,
) -> CaseResult {
    let f = h.fixture(Setup {
        tx_trigger: Trigger::Level,
        ..Setup::DEFAULT
    })?;
    start(&f)?;
    ensure!(
        !f.line_enabled(Line::Tx),
        "level TX line unmasked while Ready"
    );
    let mut ledger = Ledger::new();
    fill(&f, &mut ledger)?;
    ensure!(f.line_enabled(Line::Tx), "level TX line masked while Full");
    let runs = f.handler_runs(Line::Tx);
    drain_peer(&f, &mut ledger)?;
    settle(&f)?;
    ensure!(
        f.queue().tx_state() == TxState::Ready,
        "level TX interrupt did not arrive"
    );
    ensure!(
        !f.line_enabled(Line::Tx),
        "level TX line left unmasked after the event"
    );
    ensure!(
        f.handler_runs(Line::Tx) - runs <= 2,
        "level TX line stormed"
    );
    ensure!(ledger.tally().is_clean(), "messages lost");
    Ok(())
}
