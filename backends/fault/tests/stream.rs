//! A small fault matrix: message streams under seeded faults on send and receive keep every
//! accepted message exactly once and in order, while the lossy controls are caught by the
//! same check (so the check can fail).

mod common;

use common::{MAX, Queue, Verdict, check, hyp, msg, queue, seq_of};
use gunyah_msgq::{Error, GunyahError, SendFlags, SendOutcome};
use gunyah_msgq_fault::{Action, IrqFault, IrqFaults, Lossy, Script, Target, When};

/// Streams `n` messages through `q` with the RX interrupt delivered through `rx_faults` and
/// polled when pending (as an owner must). Returns the sender's accepted log and the
/// receiver's log. Sends that fail with an error are not retried; WouldBlock is retried after
/// the receiver drains.
fn stream(q: &Queue, rx_faults: &IrqFaults, n: u32) -> (Vec<u32>, Vec<u32>) {
    let received = std::cell::RefCell::new(vec![]);
    let on_msg = |m: &[u8]| received.borrow_mut().push(seq_of(m));
    let mut accepted = vec![];
    let mut seq = 0;
    let mut attempts = 0;
    while seq < n && attempts < 100 * n {
        attempts += 1;
        match q.try_send(&msg(seq), SendFlags::with_push(seq % 3 == 0)) {
            Ok(SendOutcome::Sent { .. }) => {
                accepted.push(seq);
                seq += 1;
            }
            Ok(SendOutcome::WouldBlock) => {}
            Err(Error::Hypervisor(_)) => seq += 1, // surfaced as a typed error: not accepted
            Err(e) => panic!("unexpected {e:?}"),
        }
        if hyp(q).take_rx_edge() {
            rx_faults.deliver(|| {
                let _ = q.on_rx_interrupt(on_msg);
            });
        }
        // The owner's poll: after an error, a bound, or (every few sends) in case an edge
        // was lost.
        if q.rx_pending() || seq % 4 == 0 {
            let _ = q.poll_rx(on_msg);
        }
    }
    for _ in 0..100 {
        let _ = q.poll_rx(on_msg);
        if hyp(q).len() == 0 {
            break;
        }
    }
    (accepted, received.into_inner())
}

#[test]
fn seeded_faults_on_both_sides_lose_nothing() {
    let mut cases = 0;
    for seed in 0..8u64 {
        for e in [
            GunyahError::Retry,
            GunyahError::Busy,
            GunyahError::Unknown(999),
        ] {
            let q = queue();
            let f = q.hypercall();
            let tx = f
                .add(Script::fail(Target::Send, When::probability(0.1, seed), e))
                .unwrap();
            let rx = f
                .add(Script::fail(
                    Target::Receive,
                    When::probability(0.1, !seed),
                    e,
                ))
                .unwrap();
            let rx_faults = IrqFaults::new();
            rx_faults
                .add(When::probability(0.2, seed), IrqFault::Drop, None)
                .unwrap();
            let (accepted, received) = stream(&q, &rx_faults, 1000);
            assert_eq!(
                check(&accepted, &received),
                Verdict::default(),
                "seed {seed} {e:?}"
            );
            assert!(accepted.len() > 800 && accepted.len() < 1000);
            assert!(f.fired(tx).unwrap() > 50 && f.fired(rx).unwrap() > 0);
            assert!(rx_faults.stats().dropped > 0);
            cases += 1;
        }
    }
    assert_eq!(cases, 24);
}

#[test]
fn lossy_drop_on_send_is_caught_as_lost() {
    let q = queue();
    let f = q.hypercall();
    let id = f
        .add(Script::new(
            Target::Send,
            When::EveryNth(100),
            Action::Lossy(Lossy::Drop),
        ))
        .unwrap();
    let (accepted, received) = stream(&q, &IrqFaults::new(), 1000);
    let v = check(&accepted, &received);
    assert_eq!(v.lost, 10, "{v:?}");
    assert_eq!((v.duplicated, v.reordered, v.unexpected), (0, 0, 0));
    assert_eq!(f.fired(id), Some(10));
    assert_eq!(f.stats().lossy, 10);
    assert_eq!(accepted.len(), 1000, "every message looked accepted");
}

#[test]
fn lossy_drop_on_receive_is_caught_as_lost() {
    let q = queue();
    q.hypercall()
        .add(Script::new(
            Target::Receive,
            When::Call(3),
            Action::Lossy(Lossy::Drop),
        ))
        .unwrap();
    let (accepted, received) = stream(&q, &IrqFaults::new(), 200);
    let v = check(&accepted, &received);
    assert!(v.lost >= 1, "{v:?}");
}

#[test]
fn accepted_but_failed_is_caught_as_unexpected_or_duplicated() {
    let q = queue();
    q.hypercall()
        .add(Script::new(
            Target::Send,
            When::Call(5),
            Action::Lossy(Lossy::AcceptedButFailed(GunyahError::Busy)),
        ))
        .unwrap();
    // A sender that does not retry: message 4 arrives though it was reported failed.
    let (accepted, received) = stream(&q, &IrqFaults::new(), 50);
    let v = check(&accepted, &received);
    assert_eq!(v.unexpected, 1, "{v:?}");
    assert!(!accepted.contains(&4) && received.contains(&4));

    // A sender that retries a failed message delivers it twice.
    let q = queue();
    q.hypercall()
        .add(Script::new(
            Target::Send,
            When::Call(1),
            Action::Lossy(Lossy::AcceptedButFailed(GunyahError::Retry)),
        ))
        .unwrap();
    let m = msg(0);
    assert!(q.try_send(&m, SendFlags::PUSH).is_err());
    assert!(q.try_send(&m, SendFlags::PUSH).is_ok());
    let mut buf = [0; MAX];
    let mut got = vec![];
    while let Ok(gunyah_msgq::RecvOutcome::Received { len, .. }) = q.try_recv(&mut buf) {
        got.push(seq_of(&buf[..len]));
    }
    assert_eq!(check(&[0], &got).duplicated, 1);
}
