//! The receive path: `try_recv`, the bounded drain behind `on_rx_interrupt` / `poll_rx` /
//! `start`, one drain at a time, and `flush_rx`.

mod common;

use std::sync::{Arc, Mutex, Weak};
use std::vec::Vec;

use common::*;
use gunyah_msgq::mock::{MockHypercall, MockIrqLine};
use gunyah_msgq::{
    AbiViolation, DrainOutcome, Error, GunyahError, RawOutput, RecvOutcome, SendFlags, SendOutcome,
    Stats,
};
use mockall::Sequence;

fn rx_queue(script: Vec<Rx>) -> Q {
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, script);
    duplex(hyp)
}

fn stats(f: impl FnOnce(&mut Stats)) -> Stats {
    let mut s = Stats::default();
    f(&mut s);
    s
}

fn done(delivered: usize) -> Result<DrainOutcome, Error> {
    Ok(DrainOutcome::Done { delivered })
}

fn pending(delivered: usize) -> Result<DrainOutcome, Error> {
    Ok(DrainOutcome::Pending { delivered })
}

// --- try_recv -----------------------------------------------------------------------------

#[test]
fn try_recv_returns_the_message_length_and_more() {
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![msg(b"hello", true), msg(b"bye", false)]);
    let q = duplex(hyp);
    let mut buf = [0; MAX];
    assert_eq!(
        q.try_recv(&mut buf),
        Ok(RecvOutcome::Received { len: 5, more: true })
    );
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(
        q.try_recv(&mut buf),
        Ok(RecvOutcome::Received {
            len: 3,
            more: false
        })
    );
    assert_eq!(&buf[..3], b"bye");
    assert_eq!(q.stats(), stats(|s| s.received = 2));
}

#[test]
fn try_recv_on_empty_queue_is_the_empty_outcome() {
    let q = rx_queue(vec![raw(err(EMPTY))]);
    assert_eq!(q.try_recv(&mut [0; MAX]), Ok(RecvOutcome::Empty));
    assert_eq!(q.stats(), Stats::default());
    assert!(!q.rx_pending());
}

#[test]
fn try_recv_buffer_smaller_than_max_is_rejected_without_hypercall() {
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_receive().times(0);
    let q = duplex(hyp);
    assert_eq!(
        q.try_recv(&mut [0; MAX - 1]),
        Err(Error::BufferTooSmall {
            len: MAX - 1,
            required: MAX
        })
    );
    assert_eq!(
        q.try_recv(&mut []),
        Err(Error::BufferTooSmall {
            len: 0,
            required: MAX
        })
    );
}

#[test]
fn try_recv_accepts_a_buffer_larger_than_max_and_passes_all_of_it() {
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX + 4, vec![msg(b"x", false)]);
    let q = duplex(hyp);
    assert_eq!(
        q.try_recv(&mut [0; MAX + 4]),
        Ok(RecvOutcome::Received {
            len: 1,
            more: false
        })
    );
}

#[test]
fn try_recv_reply_larger_than_the_buffer_is_an_abi_error_not_a_panic() {
    let q = rx_queue(vec![
        raw(RawOutput::received(MAX as u64 + 1, false)),
        raw(RawOutput::received(u64::MAX, true)),
    ]);
    let mut buf = [0; MAX];
    assert_eq!(
        q.try_recv(&mut buf),
        Err(Error::Abi(AbiViolation::SizeExceedsBuffer {
            size: MAX as u64 + 1,
            capacity: MAX
        }))
    );
    assert_eq!(
        q.try_recv(&mut buf),
        Err(Error::Abi(AbiViolation::SizeExceedsBuffer {
            size: u64::MAX,
            capacity: MAX
        }))
    );
    assert_eq!(q.stats(), stats(|s| s.malformed = 2));
}

#[test]
fn try_recv_reply_of_exactly_the_buffer_size_is_a_message() {
    let q = rx_queue(vec![msg(&[9; MAX], false)]);
    assert_eq!(
        q.try_recv(&mut [0; MAX]),
        Ok(RecvOutcome::Received {
            len: MAX,
            more: false
        })
    );
}

#[test]
fn try_recv_unknown_code_is_a_typed_error() {
    let q = rx_queue(vec![raw(err(4242))]);
    assert_eq!(
        q.try_recv(&mut [0; MAX]),
        Err(Error::Hypervisor(GunyahError::Unknown(4242)))
    );
    assert_eq!(q.stats(), stats(|s| s.faults = 1));
}

#[test]
fn try_recv_ok_with_size_zero_and_not_empty_is_rx_stuck() {
    let q = rx_queue(vec![raw(RawOutput::received(0, true))]);
    assert_eq!(
        q.try_recv(&mut [0; MAX]),
        Err(Error::RxStuck { code: None })
    );
    assert_eq!(q.stats(), stats(|s| s.faults = 1));
}

#[test]
fn try_recv_ok_with_size_zero_and_empty_is_a_zero_length_violation() {
    let q = rx_queue(vec![raw(RawOutput::received(0, false))]);
    assert_eq!(
        q.try_recv(&mut [0; MAX]),
        Err(Error::Abi(AbiViolation::ZeroLengthMessage))
    );
    assert_eq!(q.stats(), stats(|s| s.malformed = 1));
}

// --- The drain ----------------------------------------------------------------------------

#[test]
fn drain_delivers_messages_in_order_as_slices_of_their_length() {
    let q = rx_queue(vec![
        msg(b"a", true),
        msg(b"bb", true),
        msg(b"cccccccc", false),
    ]);
    let (got, cb) = collector();
    assert_eq!(q.on_rx_interrupt(cb), done(3));
    assert_eq!(taken(&got), [&b"a"[..], b"bb", b"cccccccc"]);
    assert!(!q.rx_pending());
    assert_eq!(q.stats(), stats(|s| s.received = 3));
}

#[test]
fn drain_stops_at_more_false_without_another_receive() {
    // `times(1)` in the script: no receive after "more = false".
    let q = rx_queue(vec![msg(b"only", false)]);
    let (got, cb) = collector();
    assert_eq!(q.poll_rx(cb), done(1));
    assert_eq!(taken(&got), [b"only"]);
}

#[test]
fn drain_stops_at_empty() {
    let q = rx_queue(vec![msg(b"a", true), raw(err(EMPTY))]);
    let (got, cb) = collector();
    assert_eq!(q.on_rx_interrupt(cb), done(1));
    assert_eq!(taken(&got), [b"a"]);
    assert!(!q.rx_pending());
}

#[test]
fn drain_of_depth_messages_and_the_empty_check_fits_in_one_drain() {
    // DEPTH messages each saying "more", then EMPTY: DEPTH + 1 receives, the bound exactly.
    let q = rx_queue(vec![
        msg(b"1", true),
        msg(b"2", true),
        msg(b"3", true),
        raw(err(EMPTY)),
    ]);
    let (got, cb) = collector();
    assert_eq!(q.on_rx_interrupt(cb), done(3));
    assert_eq!(taken(&got).len(), 3);
    assert!(!q.rx_pending());
}

#[test]
fn drain_is_bounded_at_depth_plus_one_receives_and_poll_rx_continues() {
    // A hypervisor that always says not_empty: each drain stops after DEPTH + 1 = 4
    // receives with RX pending; poll_rx picks up from there.
    let mut script = Vec::new();
    for i in 0..9u8 {
        script.push(msg(&[i], i != 8));
    }
    let q = rx_queue(script);
    let (got, cb) = collector();
    assert_eq!(q.on_rx_interrupt(cb.clone()), pending(4));
    assert!(q.rx_pending());
    assert_eq!(q.poll_rx(cb.clone()), pending(4));
    assert!(q.rx_pending());
    assert_eq!(q.poll_rx(cb), done(1));
    assert!(!q.rx_pending());
    let expected: Vec<Vec<u8>> = (0..9u8).map(|i| vec![i]).collect();
    assert_eq!(taken(&got), expected);
    assert_eq!(q.stats(), stats(|s| s.received = 9));
}

#[test]
fn drain_bound_holds_when_every_reply_is_malformed() {
    // Malformed replies are skipped, but still count towards the bound.
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_receive()
        .times(usize::from(DEPTH) + 1)
        .return_const(RawOutput::received(MAX as u64 + 1, true));
    let q = duplex(hyp);
    assert_eq!(
        q.on_rx_interrupt(|_| panic!("nothing to deliver")),
        pending(0)
    );
    assert!(q.rx_pending());
    assert_eq!(q.stats(), stats(|s| s.malformed = 4));
}

#[test]
fn drain_skips_and_counts_malformed_replies_and_keeps_draining() {
    let q = rx_queue(vec![
        msg(b"a", true),
        raw(RawOutput::received(MAX as u64 + 1, true)),
        raw(RawOutput::received(0, false)),
        msg(b"b", false),
    ]);
    let (got, cb) = collector();
    assert_eq!(q.on_rx_interrupt(cb), done(2));
    assert_eq!(taken(&got), [b"a", b"b"]);
    assert!(!q.rx_pending());
    assert_eq!(
        q.stats(),
        stats(|s| {
            s.received = 2;
            s.malformed = 2;
        })
    );
}

#[test]
fn drain_stops_at_once_on_rx_stuck_and_keeps_rx_pending() {
    // OK + size 0 + not_empty: the head cannot be read and every retry would say the same,
    // so the drain stops after that one receive although its budget allows more.
    let q = rx_queue(vec![msg(b"a", true), raw(RawOutput::received(0, true))]);
    let (got, cb) = collector();
    assert_eq!(q.on_rx_interrupt(cb), Err(Error::RxStuck { code: None }));
    assert_eq!(taken(&got), [b"a"]);
    assert!(q.rx_pending());
    assert_eq!(
        q.stats(),
        stats(|s| {
            s.received = 1;
            s.faults = 1;
        })
    );
}

#[test]
fn drain_stops_on_a_hypervisor_error_and_keeps_rx_pending() {
    let q = rx_queue(vec![raw(err(-2)), msg(b"later", false)]);
    let (got, cb) = collector();
    assert_eq!(
        q.on_rx_interrupt(cb.clone()),
        Err(Error::Hypervisor(GunyahError::Retry))
    );
    assert!(q.rx_pending());
    assert_eq!(q.stats(), stats(|s| s.faults = 1));
    // The owner polls, and the messages are still there.
    assert_eq!(q.poll_rx(cb), done(1));
    assert!(!q.rx_pending());
    assert_eq!(taken(&got), [b"later"]);
}

#[test]
fn spurious_rx_is_counted_when_an_interrupt_drain_finds_the_queue_empty_at_once() {
    let q = rx_queue(vec![raw(err(EMPTY))]);
    assert_eq!(q.on_rx_interrupt(|_| {}), done(0));
    assert_eq!(q.stats(), stats(|s| s.spurious_rx = 1));
}

#[test]
fn empty_after_messages_is_not_a_spurious_rx() {
    let q = rx_queue(vec![msg(b"a", true), raw(err(EMPTY))]);
    assert_eq!(q.on_rx_interrupt(|_| {}), done(1));
    assert_eq!(q.stats(), stats(|s| s.received = 1));
}

#[test]
fn empty_poll_rx_is_not_a_spurious_rx() {
    let q = rx_queue(vec![raw(err(EMPTY))]);
    assert_eq!(q.poll_rx(|_| {}), done(0));
    assert_eq!(q.stats(), Stats::default());
}

#[test]
fn rx_interrupt_acknowledges_the_rx_line_only() {
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![raw(err(EMPTY)), raw(err(EMPTY))]);
    let mut rx_line = MockIrqLine::new();
    rx_line.expect_acknowledge().times(1).return_const(());
    let q = duplex_with(hyp, untouchable_line(), rx_line);
    assert_eq!(q.on_rx_interrupt(|_| {}), done(0));
    // poll_rx is not an interrupt: no acknowledge.
    assert_eq!(q.poll_rx(|_| {}), done(0));
}

// --- One drain at a time ------------------------------------------------------------------

#[test]
fn rx_interrupt_inside_the_callback_is_deferred_and_picked_up_by_the_running_drain() {
    // The first message says "no more", so without the nested request the drain would make
    // one receive. The callback raises the RX interrupt re-entrantly: that call must not
    // drain (Deferred), and the outer drain must receive again before it ends.
    let q = rx_queue(vec![msg(b"a", false), msg(b"b", false)]);
    let mut inner = Vec::new();
    let mut got = Vec::new();
    let r = q.on_rx_interrupt(|m| {
        got.push(m.to_vec());
        if got.len() == 1 {
            inner.push(q.on_rx_interrupt(|_| panic!("the nested call must not deliver")));
        }
    });
    assert_eq!(r, done(2));
    assert_eq!(inner, [Ok(DrainOutcome::Deferred)]);
    assert_eq!(got, [b"a", b"b"]);
    assert!(!q.rx_pending());
}

#[test]
fn poll_rx_inside_the_callback_is_deferred_and_picked_up_by_the_running_drain() {
    let q = rx_queue(vec![msg(b"a", false), raw(err(EMPTY))]);
    let mut inner = None;
    let r = q.poll_rx(|_| inner = Some(q.poll_rx(|_| panic!("nested delivery"))));
    assert_eq!(r, done(1));
    assert_eq!(inner, Some(Ok(DrainOutcome::Deferred)));
    assert!(!q.rx_pending());
}

#[test]
fn rx_interrupt_inside_the_receive_hypercall_is_deferred_and_picked_up() {
    // The RX interrupt fires while the drain is inside msgq_receive (a new message arrives
    // as the last one is taken): the nested call is Deferred, the drain receives once more.
    let inner = Arc::new(Mutex::new(Vec::new()));
    let q = Arc::new_cyclic(|w: &Weak<Q>| {
        let (w, inner) = (w.clone(), inner.clone());
        let mut script = vec![msg(b"a", false), msg(b"b", false)].into_iter();
        let mut hyp = MockHypercall::new();
        hyp.expect_msgq_receive().times(2).returning(move |_, buf| {
            let reply = answer(script.next().unwrap(), buf);
            if reply.x1 == 1 && buf[0] == b'a' {
                let r = w
                    .upgrade()
                    .unwrap()
                    .on_rx_interrupt(|_| panic!("nested delivery"));
                inner.lock().unwrap().push(r);
            }
            reply
        });
        duplex(hyp)
    });
    let (got, cb) = collector();
    assert_eq!(q.on_rx_interrupt(cb), done(2));
    assert_eq!(taken(&got), [b"a", b"b"]);
    assert_eq!(*inner.lock().unwrap(), [Ok(DrainOutcome::Deferred)]);
}

#[test]
fn drain_callback_may_send_a_ping_pong_echo() {
    // The callback runs with no lock or critical section the send path needs: echoing each
    // message back with try_send neither deadlocks nor disturbs the drain.
    let mut hyp = MockHypercall::new();
    script_rx(
        &mut hyp,
        MAX,
        vec![msg(b"ping", true), msg(b"ping2", false)],
    );
    let mut seq = Sequence::new();
    for expected in [&b"ping"[..], b"ping2"] {
        hyp.expect_msgq_send()
            .withf(move |cap, m, f| *cap == TX_CAP && m == expected && *f == SendFlags::PUSH)
            .times(1)
            .in_sequence(&mut seq)
            .return_const(RawOutput::sent(true));
    }
    let q = duplex(hyp);
    let mut echoed = Vec::new();
    let r = q.on_rx_interrupt(|m| echoed.push(q.try_send(m, SendFlags::PUSH)));
    assert_eq!(r, done(2));
    assert_eq!(echoed, [Ok(SendOutcome::Sent { not_full: true }); 2]);
    assert_eq!(
        q.stats(),
        stats(|s| {
            s.sent = 2;
            s.received = 2;
        })
    );
}

#[test]
fn try_recv_works_inside_a_drain_callback() {
    // try_recv uses the caller's buffer, not the drain's: it is allowed inside a callback.
    // The nested try_recv takes "b"; the drain's own next receive then finds the queue empty.
    let q = rx_queue(vec![msg(b"a", true), msg(b"b", false), raw(err(EMPTY))]);
    let mut nested = Vec::new();
    let r = q.on_rx_interrupt(|m| {
        let mut buf = [0; MAX];
        nested.push((m.to_vec(), q.try_recv(&mut buf), buf[0]));
    });
    assert_eq!(r, done(1));
    let b = Ok(RecvOutcome::Received {
        len: 1,
        more: false,
    });
    assert_eq!(nested, [(b"a".to_vec(), b, b'b')]);
    assert_eq!(q.stats(), stats(|s| s.received = 2));
}

// --- flush_rx -----------------------------------------------------------------------------

#[test]
fn flush_rx_flushes_the_rx_cap_and_clears_rx_pending() {
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![raw(RawOutput::received(0, true))]);
    hyp.expect_msgq_flush()
        .withf(|cap| *cap == RX_CAP)
        .times(1)
        .return_const(err(0));
    let q = duplex(hyp);
    assert_eq!(
        q.on_rx_interrupt(|_| {}),
        Err(Error::RxStuck { code: None })
    );
    assert!(q.rx_pending());
    assert_eq!(q.flush_rx(), Ok(()));
    assert!(!q.rx_pending());
}

#[test]
fn flush_rx_error_is_typed_counted_and_keeps_rx_pending() {
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![raw(RawOutput::received(0, true))]);
    hyp.expect_msgq_flush().times(1).return_const(err(53));
    let q = duplex(hyp);
    let _ = q.on_rx_interrupt(|_| {});
    assert_eq!(
        q.flush_rx(),
        Err(Error::Hypervisor(GunyahError::CspaceInsufficientRights))
    );
    assert!(q.rx_pending());
    assert_eq!(q.stats(), stats(|s| s.faults = 2));
}

#[test]
fn flush_rx_ignores_junk_above_bit_31_of_its_error_word() {
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_flush().times(1).return_const(RawOutput {
        x0: 0xDEAD_BEEF_0000_0000,
        x1: 5,
        x2: 5,
    });
    let q = duplex(hyp);
    assert_eq!(q.flush_rx(), Ok(()));
}
