//! Hostile replies reach a real `MsgQueue` as the typed errors the spec asks for, and never
//! cost an accepted message.

mod common;

use common::{DEPTH, MAX, hyp, msg, queue, seq_of};
use gunyah_msgq::{
    AbiViolation, DrainOutcome, Error, GunyahError, RawOutput, RecvOutcome, SendFlags, SendOutcome,
    TxState,
};
use gunyah_msgq_fault::{Action, Hostile, Script, Target, When};

fn hostile(target: Target, when: When, h: Hostile) -> Script {
    Script::new(target, when, Action::Hostile(h))
}

#[test]
fn stuck_receive_forever_ends_each_drain_with_rx_stuck() {
    let q = queue();
    for seq in 0..3 {
        hyp(&q).peer_send(&msg(seq));
    }
    let f = q.hypercall();
    let id = f
        .add(hostile(
            Target::Receive,
            When::ALWAYS,
            Hostile::StuckReceive,
        ))
        .unwrap();
    let mut got = vec![];
    // The quirk loop: every receive answers OK, size 0, not_empty. The drain must stop at once.
    for attempt in 1..=3 {
        assert_eq!(
            q.on_rx_interrupt(|m| got.push(seq_of(m))),
            Err(Error::RxStuck { code: None })
        );
        assert!(q.rx_pending(), "RX stays pending for the owner");
        assert_eq!(
            f.stats().calls.receive,
            attempt,
            "one receive per drain, no loop"
        );
    }
    assert_eq!(
        q.poll_rx(|m| got.push(seq_of(m))),
        Err(Error::RxStuck { code: None })
    );
    assert_eq!(f.fired(id), Some(4));
    assert_eq!(f.stats().inner_calls.receive, 0, "nothing consumed");
    assert!(got.is_empty());

    // The hypervisor recovers: the owner's poll gets every message, in order.
    f.clear();
    assert_eq!(
        q.poll_rx(|m| got.push(seq_of(m))),
        Ok(DrainOutcome::Done { delivered: 3 })
    );
    assert_eq!(got, [0, 1, 2]);
    assert!(!q.rx_pending());
}

#[test]
fn stuck_receive_can_be_flushed_by_the_owner() {
    let q = queue();
    hyp(&q).peer_send(b"unreadable");
    q.hypercall()
        .add(hostile(
            Target::Receive,
            When::Call(1),
            Hostile::StuckReceive,
        ))
        .unwrap();
    assert_eq!(
        q.on_rx_interrupt(|_| {}),
        Err(Error::RxStuck { code: None })
    );
    assert_eq!(q.flush_rx(), Ok(()));
    assert!(!q.rx_pending());
    assert_eq!(hyp(&q).len(), 0);
}

#[test]
fn oversized_receive_is_an_abi_error_and_consumes_nothing() {
    let q = queue();
    hyp(&q).peer_send(b"intact");
    let f = q.hypercall();
    f.add(hostile(
        Target::Receive,
        When::Call(1),
        Hostile::OversizedReceive { excess: 1 },
    ))
    .unwrap();
    let mut buf = [0; MAX];
    assert_eq!(
        q.try_recv(&mut buf),
        Err(Error::Abi(AbiViolation::SizeExceedsBuffer {
            size: MAX as u64 + 1,
            capacity: MAX
        }))
    );
    assert_eq!(q.stats().malformed, 1);
    // The inner receive was not made, so the message is still there.
    assert_eq!(
        q.try_recv(&mut buf),
        Ok(RecvOutcome::Received {
            len: 6,
            more: false
        })
    );
    assert_eq!(&buf[..6], b"intact");
}

#[test]
fn oversized_replies_are_skipped_by_a_drain_that_keeps_going() {
    let q = queue();
    for seq in 0..3 {
        hyp(&q).peer_send(&msg(seq));
    }
    q.hypercall()
        .add(hostile(
            Target::Receive,
            When::EveryNth(2),
            Hostile::OversizedReceive { excess: u64::MAX },
        ))
        .unwrap();
    let mut got = vec![];
    let mut outcome = q.on_rx_interrupt(|m| got.push(seq_of(m)));
    // Each drain is bounded at depth + 1 receives; the owner polls while RX is pending.
    for _ in 0..10 {
        if !matches!(outcome, Ok(DrainOutcome::Pending { .. })) {
            break;
        }
        outcome = q.poll_rx(|m| got.push(seq_of(m)));
    }
    assert!(
        matches!(outcome, Ok(DrainOutcome::Done { .. })),
        "{outcome:?}"
    );
    assert_eq!(got, [0, 1, 2], "malformed replies skipped, no message lost");
    assert!(q.stats().malformed >= 2);
}

#[test]
fn unknown_codes_are_typed_on_both_sides() {
    let q = queue();
    let f = q.hypercall();
    f.add(Script::new(
        Target::Any,
        When::Call(1),
        Action::fail_raw(7777),
    ))
    .unwrap();
    assert_eq!(
        q.try_send(b"a", SendFlags::PUSH),
        Err(Error::Hypervisor(GunyahError::Unknown(7777)))
    );
    f.clear();
    f.add(Script::new(
        Target::Receive,
        When::Call(1),
        Action::Hostile(Hostile::Reply(RawOutput::error(-4242))),
    ))
    .unwrap();
    hyp(&q).peer_send(b"b");
    assert_eq!(
        q.on_rx_interrupt(|_| {}),
        Err(Error::Hypervisor(GunyahError::Unknown(-4242)))
    );
    assert!(q.rx_pending());
    let mut got = vec![];
    assert_eq!(
        q.poll_rx(|m| got.push(m.to_vec())),
        Ok(DrainOutcome::Done { delivered: 1 })
    );
    assert_eq!(got, [b"b".to_vec()]);
}

#[test]
fn zero_length_ok_on_an_empty_queue_is_malformed() {
    let q = queue();
    q.hypercall()
        .add(hostile(
            Target::Receive,
            When::Call(1),
            Hostile::Reply(RawOutput::received(0, false)),
        ))
        .unwrap();
    let mut buf = [0; MAX];
    assert_eq!(
        q.try_recv(&mut buf),
        Err(Error::Abi(AbiViolation::ZeroLengthMessage))
    );
}

#[test]
fn a_lying_not_full_never_wedges_the_queue() {
    let q = queue();
    let f = q.hypercall();
    let id = f
        .add(hostile(Target::Send, When::ALWAYS, Hostile::LieNotFull))
        .unwrap();
    let (mut accepted, mut received) = (vec![], vec![]);
    let mut seq = 0;
    let mut would_block = 0;
    // Fill past depth without draining: the lie says "full" when there is room and "room" when
    // it is full; the queue must keep asking the hypervisor and never stall.
    for round in 0..50 {
        for _ in 0..(DEPTH + 2) {
            match q.try_send(&msg(seq), SendFlags::PUSH) {
                Ok(SendOutcome::Sent { .. }) => {
                    accepted.push(seq);
                    seq += 1;
                }
                Ok(SendOutcome::WouldBlock) => would_block += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            hyp(&q).len(),
            DEPTH,
            "round {round}: every free slot was used"
        );
        // The peer drains; the TX edge reaches the core (or, every other round, is lost).
        while let Some(m) = hyp(&q).peer_recv() {
            received.push(seq_of(&m));
        }
        if hyp(&q).take_tx_edge() && round % 2 == 0 {
            q.on_tx_interrupt();
        }
    }
    assert_eq!(received, accepted);
    assert_eq!(accepted.len(), 50 * DEPTH);
    assert!(would_block >= 50, "{would_block}");
    assert!(f.fired(id).unwrap() >= 50 * DEPTH as u32);
}

#[test]
fn a_lying_not_full_reports_the_inverted_state() {
    let q = queue();
    q.hypercall()
        .add(hostile(Target::Send, When::Call(1), Hostile::LieNotFull))
        .unwrap();
    assert_eq!(
        q.try_send(b"a", SendFlags::PUSH),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(q.tx_state(), TxState::Full, "the lie was believed");
    // In Full the queue still asks: the truth comes back at once.
    assert_eq!(
        q.try_send(b"b", SendFlags::PUSH),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(q.tx_state(), TxState::Ready);
}

#[test]
fn a_lying_not_empty_ends_the_drain_early_and_poll_recovers() {
    let q = queue();
    for seq in 0..3 {
        hyp(&q).peer_send(&msg(seq));
    }
    q.hypercall()
        .add(hostile(
            Target::Receive,
            When::Call(1),
            Hostile::LieNotEmpty,
        ))
        .unwrap();
    let mut got = vec![];
    assert_eq!(
        q.on_rx_interrupt(|m| got.push(seq_of(m))),
        Ok(DrainOutcome::Done { delivered: 1 })
    );
    assert_eq!(got, [0]);
    // No new edge comes for messages already queued: a poll gets them.
    assert_eq!(
        q.poll_rx(|m| got.push(seq_of(m))),
        Ok(DrainOutcome::Done { delivered: 2 })
    );
    assert_eq!(got, [0, 1, 2]);
}

#[test]
fn junk_in_ignored_bits_changes_nothing() {
    let q = queue();
    let f = q.hypercall();
    let id = f
        .add(hostile(Target::Any, When::ALWAYS, Hostile::Junk))
        .unwrap();
    let (mut accepted, mut received) = (vec![], vec![]);
    let mut buf = [0; MAX];
    let mut seq = 0;
    for _ in 0..100 {
        // Fill to FULL (junk on FULL still reads as FULL), then drain to EMPTY.
        loop {
            match q.try_send(&msg(seq), SendFlags::NONE) {
                Ok(SendOutcome::Sent { not_full }) => {
                    accepted.push(seq);
                    seq += 1;
                    assert_eq!(
                        not_full,
                        hyp(&q).len() < DEPTH,
                        "junk must not flip not_full"
                    );
                }
                Ok(SendOutcome::WouldBlock) => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(q.tx_state(), TxState::Full);
        loop {
            match q.try_recv(&mut buf) {
                Ok(RecvOutcome::Received { len, more }) => {
                    received.push(seq_of(&buf[..len]));
                    assert_eq!(more, hyp(&q).len() > 0, "junk must not flip not_empty");
                }
                Ok(RecvOutcome::Empty) => break,
                other => panic!("{other:?}"),
            }
        }
        q.on_tx_interrupt();
    }
    assert_eq!(q.flush_rx(), Ok(()));
    assert_eq!(received, accepted);
    assert_eq!(accepted.len(), 100 * DEPTH);
    let s = q.stats();
    assert_eq!((s.faults, s.malformed), (0, 0));
    assert_eq!(f.fired(id), Some(f.stats().calls.total()));
}
