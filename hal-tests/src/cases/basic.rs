//! The queue's everyday behaviour against the hypervisor's real semantics.

use gunyah_msgq::{
    DrainOutcome, Error, ErrorKind, GunyahError, RecvOutcome, SendFlags, SendOutcome, TxState,
};

use super::{collect_delivered, drain_peer, peer_send_now, send_now, settle, start};
use crate::fixture::{Caps, Fixture, Harness, Line, Setup};
use crate::ledger::Ledger;
use crate::message::{patterned, stamp};
use crate::{CaseResult, ensure};

/// Every size from 1 to `MAX` crosses in both directions, byte for byte.
pub fn round_trip_every_size<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut out = [0u8; MAX];
    let mut back = [0u8; 1024];
    for len in 1..=MAX {
        let msg = patterned(len, &mut out);
        send_now(&f, msg, SendFlags::PUSH)?;
        match f.peer_recv(&mut back) {
            Ok(RecvOutcome::Received { len: got, .. }) => {
                ensure!(back[..got] == *msg, "TX message arrived changed");
            }
            _ => return Err(crate::CaseError::new("TX message did not arrive")),
        }
        peer_send_now(&f, msg, true)?;
        settle(&f)?;
        let mut same = false;
        let n = f.take_delivered(&mut |m| same = m == msg);
        ensure!(
            n == 1 && same,
            "RX message not delivered exactly once, unchanged"
        );
    }
    Ok(())
}

/// Fill to depth → `WouldBlock` (Full) → the receiver drains one → TX interrupt → `Ready` →
/// the next send is accepted.
pub fn fill_would_block_drain_ready<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let depth = Setup::DEFAULT.depth;
    let mut buf = [0u8; MAX];
    for seq in 0..u32::from(depth) {
        let not_full = send_now(&f, stamp(seq, 16, &mut buf), SendFlags::NONE)?;
        ensure!(
            not_full == (seq + 1 < u32::from(depth)),
            "not_full wrong while filling"
        );
    }
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "last accepted send did not enter Full"
    );
    let calls = f.hypercalls();
    let r = f
        .queue()
        .try_send(stamp(99, 16, &mut buf), SendFlags::NONE)?;
    ensure!(
        r == SendOutcome::WouldBlock,
        "send into a full queue did not block"
    );
    ensure!(
        f.hypercalls() == calls + 1,
        "WouldBlock made more than one hypercall"
    );
    let tx_runs = f.handler_runs(Line::Tx);
    let mut ledger = Ledger::<64>::new();
    for seq in 0..u32::from(depth) {
        ledger.accepted(seq)?;
    }
    let mut one = [0u8; 1024];
    ensure!(
        matches!(f.peer_recv(&mut one), Ok(RecvOutcome::Received { .. })),
        "peer got nothing"
    );
    settle(&f)?;
    ensure!(
        f.handler_runs(Line::Tx) == tx_runs + 1,
        "no TX interrupt on full -> not full"
    );
    ensure!(
        f.queue().tx_state() == TxState::Ready,
        "TX interrupt did not make the queue Ready"
    );
    send_now(&f, stamp(99, 16, &mut buf), SendFlags::NONE)?;
    ledger.accepted(99)?;
    ledger.received(crate::message::verify(&one[..16]));
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "messages lost, duplicated or reordered"
    );
    Ok(())
}

/// Sends without PUSH into a non-empty queue raise no edge, PUSH raises one, and one drain
/// gets every message.
pub fn no_push_batches_in_one_drain<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    // Not started: the RX line is masked, so the queue stays non-empty while the peer sends.
    let mut buf = [0u8; MAX];
    peer_send_now(&f, stamp(0, 8, &mut buf), false)?;
    ensure!(
        f.edges(Line::Rx) == 1,
        "the empty -> non-empty send raised no edge"
    );
    for seq in 1..5 {
        peer_send_now(&f, stamp(seq, 8, &mut buf), false)?;
    }
    ensure!(
        f.edges(Line::Rx) == 1,
        "a send without PUSH into a non-empty queue raised an edge"
    );
    let outcome = f.start()?;
    settle(&f)?;
    let mut ledger = Ledger::<8>::new();
    for seq in 0..5 {
        ledger.accepted(seq)?;
    }
    let got = collect_delivered(&f, &mut ledger);
    ensure!(
        got == 5 && ledger.tally().is_clean(),
        "one drain did not deliver all five in order"
    );
    ensure!(
        matches!(outcome, DrainOutcome::Done { .. } | DrainOutcome::Deferred),
        "start's drain did not finish"
    );
    Ok(())
}

/// Each PUSH raises exactly one edge, whatever the queue holds.
pub fn push_raises_one_edge_each<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    let mut buf = [0u8; MAX];
    peer_send_now(&f, stamp(0, 8, &mut buf), false)?;
    let base = f.edges(Line::Rx);
    for seq in 1..4 {
        peer_send_now(&f, stamp(seq, 8, &mut buf), true)?;
        ensure!(
            f.edges(Line::Rx) == base + u64::from(seq),
            "PUSH did not raise exactly one edge"
        );
    }
    start(&f)?;
    settle(&f)?;
    ensure!(
        f.take_delivered(&mut |_| {}) == 4,
        "not all pushed messages delivered"
    );
    Ok(())
}

/// `flush_rx` drops everything queued; nothing is delivered afterwards.
pub fn flush_drops_everything<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    let mut buf = [0u8; MAX];
    for seq in 0..3 {
        peer_send_now(&f, stamp(seq, 8, &mut buf), false)?;
    }
    f.queue().flush_rx()?;
    ensure!(!f.queue().rx_pending(), "flush left RX pending");
    start(&f)?;
    settle(&f)?;
    ensure!(
        f.take_delivered(&mut |_| {}) == 0,
        "a flushed message was delivered"
    );
    f.queue().flush_rx()?;
    peer_send_now(&f, stamp(7, 8, &mut buf), true)?;
    settle(&f)?;
    ensure!(
        f.take_delivered(&mut |_| {}) == 1,
        "queue unusable after flush"
    );
    Ok(())
}

/// Empty and oversized messages are rejected before any hypercall.
pub fn bad_sizes_rejected_locally<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let calls = f.hypercalls();
    let big = [0u8; 1025];
    ensure!(
        f.queue().try_send(&[], SendFlags::PUSH) == Err(Error::EmptyMessage),
        "empty message not rejected"
    );
    ensure!(
        f.queue().try_send(&big[..MAX + 1], SendFlags::PUSH)
            == Err(Error::MessageTooLarge {
                len: MAX + 1,
                max: MAX
            }),
        "oversized message not rejected"
    );
    let mut small = [0u8; 1];
    if MAX > 1 {
        ensure!(
            matches!(
                f.queue().try_recv(&mut small),
                Err(Error::BufferTooSmall { .. })
            ),
            "small receive buffer not rejected"
        );
    }
    ensure!(
        f.hypercalls() == calls,
        "a rejected call reached the hypervisor"
    );
    Ok(())
}

fn capability_case<const MAX: usize>(
    h: &mut impl Harness<MAX>,
    caps: Caps,
    expect: GunyahError,
) -> CaseResult {
    let f = h.fixture(Setup {
        caps,
        ..Setup::DEFAULT
    })?;
    let e = f.queue().try_send(b"x", SendFlags::PUSH);
    ensure!(
        e == Err(Error::Hypervisor(expect)),
        "send with a wrong capability not typed"
    );
    let mut buf = [0u8; MAX];
    let e = f.queue().try_recv(&mut buf);
    ensure!(
        e == Err(Error::Hypervisor(expect)),
        "receive with a wrong capability not typed"
    );
    ensure!(
        e.err().map(|e| e.kind()) == Some(ErrorKind::Denied),
        "wrong capability not classed as Denied"
    );
    ensure!(
        f.queue().tx_state() == TxState::Ready,
        "a failed send changed the TX state"
    );
    Ok(())
}

/// Each direction given the other's capability: the hypervisor's missing-right error, typed.
pub fn swapped_capabilities_are_typed<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    capability_case(h, Caps::Swapped, GunyahError::CspaceInsufficientRights)
}

/// Capabilities that name nothing: the hypervisor's null-capability error, typed.
pub fn invalid_capabilities_are_typed<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    capability_case(h, Caps::Invalid, GunyahError::CspaceCapNull)
}

/// Messages queued before start raised their edge before anyone listened: start drains them.
pub fn start_drains_what_was_queued<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    let mut buf = [0u8; MAX];
    for seq in 0..3 {
        peer_send_now(&f, stamp(seq, 8, &mut buf), false)?;
    }
    let _ = f.start()?;
    settle(&f)?;
    let mut ledger = Ledger::<4>::new();
    for seq in 0..3 {
        ledger.accepted(seq)?;
    }
    collect_delivered(&f, &mut ledger);
    ensure!(
        ledger.tally().is_clean(),
        "messages queued before start were not all delivered"
    );
    Ok(())
}

/// The RX callback answers each message with `try_send` (a ping-pong echo) without deadlock.
pub fn echo_from_the_rx_callback<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut buf = [0u8; MAX];
    let mut ledger = Ledger::<8>::new();
    for seq in 0..4 {
        peer_send_now(&f, stamp(seq, 12, &mut buf), true)?;
        ledger.accepted(seq)?;
    }
    settle(&f)?;
    let q = f.queue();
    let mut echoed = 0;
    // The fixture's log holds copies; echo them from this thread as a callback would.
    let mut failed = false;
    f.take_delivered(&mut |m| match q.try_send(m, SendFlags::PUSH) {
        Ok(SendOutcome::Sent { .. }) => echoed += 1,
        _ => failed = true,
    });
    ensure!(!failed && echoed == 4, "echo failed");
    // And from inside a real drain callback.
    peer_send_now(&f, stamp(4, 12, &mut buf), false)?;
    ledger.accepted(4)?;
    let outcome = q.poll_rx(|m| {
        if q.try_send(m, SendFlags::PUSH).is_err() {
            failed = true;
        }
    });
    settle(&f)?;
    let _ = f.take_delivered(&mut |m| {
        if q.try_send(m, SendFlags::PUSH).is_err() {
            failed = true;
        }
    });
    ensure!(
        outcome.is_ok() && !failed,
        "echo from inside the drain failed"
    );
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "echoes lost, duplicated or reordered"
    );
    Ok(())
}
