//! Scripts fire exactly when they should, injected errors replace the inner call, and every
//! error code reaches the client as the typed error the spec asks for.

mod common;

use common::{Loopback, MAX, RX_CAP, TX_CAP, hyp, msg, queue, seq_of};
use gunyah_msgq::{
    Error, GunyahError, Hypercall, RawOutput, RecvOutcome, SendFlags, SendOutcome, abi,
};
use gunyah_msgq_fault::{
    Action, Chance, FaultHypercall, Hostile, Lossy, Script, ScriptError, Target, When,
};

/// Calls `msgq_send` `n` times on a wrapper whose inner queue never fills, and returns the
/// 1-based calls that came back with an error.
fn failing_sends<const N: usize>(f: &FaultHypercall<Loopback, N>, n: u32) -> Vec<u32> {
    (1..=n)
        .filter(|_| {
            let out = f.msgq_send(TX_CAP, b"x", SendFlags::NONE);
            f.inner().peer_recv(); // keep room, so the inner queue never answers FULL
            abi::error_code(out.x0) != 0
        })
        .collect()
}

/// Every error code worth injecting: all named ones and a spread of unknown ones.
fn codes() -> Vec<i32> {
    (-300..=300)
        .chain([i32::MIN, i32::MIN + 1, i32::MAX, 0x7FFF_0000, -1000])
        .filter(|&c| c != 0)
        .collect()
}

#[test]
fn call_n_fires_once_on_exactly_that_call() {
    let f = FaultHypercall::new(Loopback::new(8));
    let id = f
        .add(Script::fail(Target::Send, When::Call(3), GunyahError::Busy))
        .unwrap();
    assert_eq!(failing_sends(&f, 10), [3]);
    assert_eq!(f.fired(id), Some(1));
    let s = f.stats();
    assert_eq!((s.calls.send, s.inner_calls.send, s.errors), (10, 9, 1));
}

#[test]
fn every_nth_and_from_n() {
    let f = FaultHypercall::new(Loopback::new(8));
    let id = f
        .add(Script::fail(
            Target::Send,
            When::EveryNth(4),
            GunyahError::Retry,
        ))
        .unwrap();
    assert_eq!(failing_sends(&f, 13), [4, 8, 12]);
    assert_eq!(f.fired(id), Some(3));

    let f = FaultHypercall::new(Loopback::new(8));
    f.add(Script::fail(
        Target::Send,
        When::From(5),
        GunyahError::Denied,
    ))
    .unwrap();
    assert_eq!(failing_sends(&f, 7), [5, 6, 7]);

    // A limit caps "forever".
    let f = FaultHypercall::new(Loopback::new(8));
    f.add(Script::fail(Target::Send, When::From(2), GunyahError::Denied).limit(2))
        .unwrap();
    assert_eq!(failing_sends(&f, 7), [2, 3]);
}

#[test]
fn calls_of_other_kinds_do_not_move_the_count() {
    let f = FaultHypercall::new(Loopback::new(8));
    f.add(Script::fail(
        Target::Receive,
        When::Call(2),
        GunyahError::Busy,
    ))
    .unwrap();
    let mut buf = [0; MAX];
    // Sends, flushes and receives interleaved: only the 2nd receive fails.
    let mut results = vec![];
    for _ in 0..3 {
        f.msgq_send(TX_CAP, b"x", SendFlags::NONE);
        f.msgq_flush(RX_CAP);
        f.msgq_send(TX_CAP, b"y", SendFlags::NONE);
        results.push(abi::error_code(f.msgq_receive(RX_CAP, &mut buf).x0));
    }
    assert_eq!(results, [0, 31, 0]);
}

#[test]
fn target_any_counts_every_kind() {
    let f = FaultHypercall::new(Loopback::new(8));
    f.add(Script::fail(
        Target::Any,
        When::EveryNth(2),
        GunyahError::Busy,
    ))
    .unwrap();
    let mut buf = [0; MAX];
    let codes = [
        abi::error_code(f.msgq_send(TX_CAP, b"a", SendFlags::NONE).x0),
        abi::error_code(f.msgq_receive(RX_CAP, &mut buf).x0),
        abi::error_code(f.msgq_flush(RX_CAP).x0),
        abi::error_code(f.msgq_send(TX_CAP, b"b", SendFlags::NONE).x0),
    ];
    assert_eq!(codes, [0, 31, 0, 31]);
    let s = f.stats();
    assert_eq!(s.calls.total(), 4);
    assert_eq!(s.inner_calls.total(), 2);
}

#[test]
fn seeded_probability_is_reproducible_and_roughly_p() {
    let run = |seed: u64| {
        let f = FaultHypercall::new(Loopback::new(8));
        let id = f
            .add(Script::fail(
                Target::Send,
                When::probability(0.1, seed),
                GunyahError::Retry,
            ))
            .unwrap();
        let fails = failing_sends(&f, 20_000);
        assert_eq!(f.fired(id), Some(fails.len() as u32));
        assert_eq!(f.stats().inner_calls.send as usize, 20_000 - fails.len());
        fails
    };
    let a = run(1234);
    assert_eq!(a, run(1234), "same seed, same failing calls");
    assert_ne!(a, run(1235), "another seed, other calls");
    assert!(
        (1_800..=2_200).contains(&a.len()),
        "p = 0.1 gave {} / 20000",
        a.len()
    );

    // The edges of the range are exact.
    let f = FaultHypercall::new(Loopback::new(8));
    f.add(Script::fail(
        Target::Send,
        When::Random {
            chance: Chance::NEVER,
            seed: 1,
        },
        GunyahError::Retry,
    ))
    .unwrap();
    assert!(failing_sends(&f, 1000).is_empty());
    let f = FaultHypercall::new(Loopback::new(8));
    f.add(Script::fail(
        Target::Send,
        When::Random {
            chance: Chance::ALWAYS,
            seed: 1,
        },
        GunyahError::Retry,
    ))
    .unwrap();
    assert_eq!(failing_sends(&f, 1000).len(), 1000);
}

#[test]
fn a_random_script_is_not_disturbed_by_other_traffic() {
    // The draws follow the script's own call count, so interleaved receives change nothing.
    let fails = |with_receives: bool| {
        let f = FaultHypercall::new(Loopback::new(8));
        f.add(Script::fail(
            Target::Send,
            When::probability(0.3, 9),
            GunyahError::Busy,
        ))
        .unwrap();
        let mut buf = [0; MAX];
        (1..=500)
            .filter(|_| {
                if with_receives {
                    f.msgq_receive(RX_CAP, &mut buf);
                }
                let out = f.msgq_send(TX_CAP, b"x", SendFlags::NONE);
                f.inner().peer_recv();
                abi::error_code(out.x0) != 0
            })
            .collect::<Vec<u32>>()
    };
    assert_eq!(fails(false), fails(true));
}

#[test]
fn every_code_is_injectable_on_send_as_its_typed_error() {
    for code in codes() {
        let q = queue();
        let f = q.hypercall();
        f.add(Script::new(
            Target::Send,
            When::Call(1),
            Action::fail_raw(code),
        ))
        .unwrap();
        let got = q.try_send(b"m", SendFlags::PUSH);
        let expected = match GunyahError::check(code).unwrap_err() {
            GunyahError::MsgqueueFull => Ok(SendOutcome::WouldBlock),
            e => Err(Error::Hypervisor(e)),
        };
        assert_eq!(got, expected, "code {code}");
        assert_eq!(
            hyp(&q).sends(),
            0,
            "code {code}: the inner send must not be made"
        );
        assert_eq!(hyp(&q).len(), 0);
        // The next send is not affected and the queue is not wedged.
        assert_eq!(
            q.try_send(b"n", SendFlags::PUSH),
            Ok(SendOutcome::Sent { not_full: true })
        );
    }
}

#[test]
fn every_code_is_injectable_on_receive_as_its_typed_error() {
    for code in codes() {
        let q = queue();
        hyp(&q).peer_send(b"kept");
        let f = q.hypercall();
        f.add(Script::new(
            Target::Receive,
            When::Call(1),
            Action::fail_raw(code),
        ))
        .unwrap();
        let mut buf = [0; MAX];
        let got = q.try_recv(&mut buf);
        let expected = match GunyahError::check(code).unwrap_err() {
            GunyahError::MsgqueueEmpty => Ok(RecvOutcome::Empty),
            // The documented "buffer too small" answers: the head cannot be read.
            e @ (GunyahError::AddrOverflow | GunyahError::ArgumentSize) => {
                Err(Error::RxStuck { code: Some(e) })
            }
            e => Err(Error::Hypervisor(e)),
        };
        assert_eq!(got, expected, "code {code}");
        assert_eq!(
            hyp(&q).receives(),
            0,
            "code {code}: the inner receive must not be made"
        );
        // The message was not consumed: the next receive gets it.
        assert_eq!(
            q.try_recv(&mut buf),
            Ok(RecvOutcome::Received {
                len: 4,
                more: false
            })
        );
        assert_eq!(&buf[..4], b"kept");
    }
}

#[test]
fn every_code_is_injectable_on_flush() {
    for code in codes() {
        let q = queue();
        hyp(&q).peer_send(b"kept");
        q.hypercall()
            .add(Script::new(
                Target::Flush,
                When::Call(1),
                Action::fail_raw(code),
            ))
            .unwrap();
        let e = GunyahError::check(code).unwrap_err();
        assert_eq!(q.flush_rx(), Err(Error::Hypervisor(e)), "code {code}");
        assert_eq!(hyp(&q).len(), 1, "the inner flush must not be made");
        assert_eq!(q.flush_rx(), Ok(()));
        assert_eq!(hyp(&q).len(), 0);
    }
}

#[test]
fn named_variants_inject_their_own_code() {
    let named = [
        GunyahError::Unimplemented,
        GunyahError::Retry,
        GunyahError::ArgumentInvalid,
        GunyahError::AddrOverflow,
        GunyahError::CspaceInsufficientRights,
        GunyahError::VirqNotBound,
        GunyahError::ExistingMapping,
        GunyahError::Unknown(-77),
    ];
    for e in named {
        let f = FaultHypercall::new(Loopback::new(8));
        f.add(Script::fail(Target::Send, When::ALWAYS, e)).unwrap();
        let out = f.msgq_send(TX_CAP, b"x", SendFlags::NONE);
        assert_eq!(out, RawOutput::error(e.code()));
        assert_eq!(GunyahError::check(abi::error_code(out.x0)), Err(e));
    }
}

#[test]
fn failed_sends_never_reach_the_queue_and_the_rest_stay_in_order() {
    let q = queue();
    q.hypercall()
        .add(Script::fail(
            Target::Send,
            When::EveryNth(3),
            GunyahError::Busy,
        ))
        .unwrap();
    let mut accepted = vec![];
    let mut received = vec![];
    let mut buf = [0; MAX];
    for seq in 0..300 {
        match q.try_send(&msg(seq), SendFlags::PUSH) {
            Ok(SendOutcome::Sent { .. }) => accepted.push(seq),
            Err(Error::Hypervisor(GunyahError::Busy)) => {}
            other => panic!("{other:?}"),
        }
        while let Ok(RecvOutcome::Received { len, .. }) = q.try_recv(&mut buf) {
            received.push(seq_of(&buf[..len]));
        }
    }
    assert_eq!(accepted.len(), 200);
    assert_eq!(received, accepted);
}

#[test]
fn the_first_deciding_script_wins_and_modifiers_stack() {
    let f = FaultHypercall::new(Loopback::new(8));
    let busy = f
        .add(Script::fail(Target::Send, When::Call(1), GunyahError::Busy))
        .unwrap();
    let denied = f
        .add(Script::fail(
            Target::Send,
            When::ALWAYS,
            GunyahError::Denied,
        ))
        .unwrap();
    let junk = f
        .add(Script::new(
            Target::Any,
            When::ALWAYS,
            Action::Hostile(Hostile::Junk),
        ))
        .unwrap();
    let first = f.msgq_send(TX_CAP, b"x", SendFlags::NONE);
    let second = f.msgq_send(TX_CAP, b"x", SendFlags::NONE);
    assert_eq!(abi::error_code(first.x0), 31);
    assert_eq!(abi::error_code(second.x0), 30);
    assert_ne!(first.x0 >> 32, 0, "junk stacked on the injected error");
    assert_eq!(f.fired(busy), Some(1));
    assert_eq!(f.fired(denied), Some(1), "shadowed on call 1");
    assert_eq!(f.fired(junk), Some(2));
    let s = f.stats();
    assert_eq!((s.errors, s.hostile, s.inner_calls.send), (2, 2, 0));
}

#[test]
fn bad_scripts_are_rejected_not_panicked_on() {
    let f = FaultHypercall::<_, 2>::with_slots(Loopback::new(8));
    let stuck = Action::Hostile(Hostile::StuckReceive);
    assert_eq!(
        f.add(Script::new(Target::Send, When::ALWAYS, stuck)),
        Err(ScriptError::NeverApplies)
    );
    assert_eq!(
        f.add(Script::new(
            Target::Flush,
            When::ALWAYS,
            Action::Lossy(Lossy::Drop)
        )),
        Err(ScriptError::NeverApplies)
    );
    assert_eq!(
        f.add(Script::new(Target::Send, When::ALWAYS, Action::fail_raw(0))),
        Err(ScriptError::NotAnError)
    );
    assert_eq!(
        f.add(Script::new(
            Target::Send,
            When::ALWAYS,
            Action::Lossy(Lossy::AcceptedButFailed(GunyahError::Unknown(0)))
        )),
        Err(ScriptError::NotAnError)
    );
    let a = f
        .add(Script::fail(Target::Send, When::Call(0), GunyahError::Busy))
        .unwrap();
    let b = f
        .add(Script::fail(
            Target::Send,
            When::EveryNth(0),
            GunyahError::Busy,
        ))
        .unwrap();
    assert_eq!(
        f.add(Script::fail(Target::Send, When::ALWAYS, GunyahError::Busy)),
        Err(ScriptError::Full)
    );
    // Call(0) and EveryNth(0) never fire.
    assert!(failing_sends(&f, 50).is_empty());
    assert!(f.remove(a));
    assert!(!f.remove(a), "already removed");
    assert_eq!(f.fired(a), None);
    let c = f
        .add(Script::fail(Target::Send, When::ALWAYS, GunyahError::Busy))
        .unwrap();
    assert_ne!(a, c, "a reused slot gets a new id");
    assert_eq!(f.fired(a), None);
    assert_eq!(f.fired(b), Some(0));
    assert_eq!(failing_sends(&f, 3), [1, 2, 3]);
    f.clear();
    assert_eq!(f.fired(c), None);
    assert!(failing_sends(&f, 3).is_empty());
    f.reset_stats();
    assert_eq!(f.stats(), Default::default());
}

#[test]
fn no_script_passes_everything_through() {
    let q = queue();
    let mut buf = [0; MAX];
    for seq in 0..10 {
        assert!(matches!(
            q.try_send(&msg(seq), SendFlags::PUSH),
            Ok(SendOutcome::Sent { .. })
        ));
        assert!(matches!(
            q.try_recv(&mut buf),
            Ok(RecvOutcome::Received { .. })
        ));
        assert_eq!(seq_of(&buf), seq);
    }
    let s = q.hypercall().stats();
    assert_eq!(s.calls, s.inner_calls);
    assert_eq!((s.errors, s.hostile, s.lossy), (0, 0, 0));
}

/// A zero-sized backend that accepts every send, so a wrapper can live in a `static`.
#[derive(Debug)]
struct Accepting;

impl Hypercall for Accepting {
    fn msgq_send(&self, _: gunyah_msgq::CapId, _: &[u8], _: SendFlags) -> RawOutput {
        RawOutput::sent(true)
    }
    fn msgq_receive(&self, _: gunyah_msgq::CapId, _: &mut [u8]) -> RawOutput {
        RawOutput::error(60)
    }
    fn msgq_flush(&self, _: gunyah_msgq::CapId) -> RawOutput {
        RawOutput::error(0)
    }
}

static SHARED: FaultHypercall<Accepting> = FaultHypercall::new(Accepting);

#[test]
fn a_static_wrapper_counts_exactly_under_concurrent_calls() {
    let id = SHARED
        .add(Script::fail(
            Target::Send,
            When::EveryNth(10),
            GunyahError::Busy,
        ))
        .unwrap();
    let failed: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..10_000)
                        .filter(|_| {
                            abi::error_code(SHARED.msgq_send(TX_CAP, b"x", SendFlags::NONE).x0) != 0
                        })
                        .count()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(failed, 4_000);
    assert_eq!(SHARED.fired(id), Some(4_000));
    let s = SHARED.stats();
    assert_eq!(
        (s.calls.send, s.inner_calls.send, s.errors),
        (40_000, 36_000, 4_000)
    );
}

#[test]
fn fault_hypercall_debug_shows_the_inner_backend_and_stats() {
    let f = FaultHypercall::new(Accepting);
    assert_eq!(
        format!("{f:?}"),
        "FaultHypercall { inner: Accepting, stats: FaultStats { \
         calls: PerCall { send: 0, receive: 0, flush: 0 }, \
         inner_calls: PerCall { send: 0, receive: 0, flush: 0 }, \
         errors: 0, hostile: 0, lossy: 0 }, .. }"
    );
    f.add(Script::fail(Target::Send, When::Call(1), GunyahError::Busy))
        .unwrap();
    f.msgq_send(gunyah_msgq::CapId(1), b"a", SendFlags::PUSH);
    f.msgq_send(gunyah_msgq::CapId(1), b"b", SendFlags::PUSH);
    f.msgq_flush(gunyah_msgq::CapId(1));
    assert_eq!(
        format!("{f:?}"),
        "FaultHypercall { inner: Accepting, stats: FaultStats { \
         calls: PerCall { send: 2, receive: 0, flush: 1 }, \
         inner_calls: PerCall { send: 1, receive: 0, flush: 1 }, \
         errors: 1, hostile: 0, lossy: 0 }, .. }"
    );
}

#[test]
fn script_error_display_names_the_problem() {
    assert_eq!(ScriptError::Full.to_string(), "no free script slot");
    assert_eq!(
        ScriptError::NeverApplies.to_string(),
        "the script's action never applies to its target"
    );
    assert_eq!(
        ScriptError::NotAnError.to_string(),
        "code 0 (OK) cannot be injected as an error"
    );
}

/// With no script installed, neither wrapper takes the critical section (the documented fast
/// path): a call from another thread completes while this thread holds it.
#[test]
fn with_no_script_a_call_takes_no_critical_section() {
    let f = FaultHypercall::new(Accepting);
    let irq = gunyah_msgq_fault::IrqFaults::new();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let waited = critical_section::with(|_| {
            s.spawn(|| {
                let out = f.msgq_send(TX_CAP, b"x", SendFlags::PUSH);
                let delivery = irq.deliver(|| {});
                done.send((out, delivery)).unwrap();
            });
            // Nothing here may panic: the other thread could be blocked on this section.
            finished.recv_timeout(std::time::Duration::from_secs(5))
        });
        // The section is released now, so a blocked call (a bug) finishes and is joined.
        assert_eq!(
            waited,
            Ok((
                RawOutput::sent(true),
                gunyah_msgq_fault::Delivery::Delivered
            )),
            "a call with no script waited for the critical section"
        );
    });
}
