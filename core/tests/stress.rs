//! Race 2 on real hardware threads: the `Deferred` hand-off between a running drain and an RX
//! interrupt on another CPU. loom's memory model does not cover every reordering a CPU makes,
//! so this runs the real lock and the real fences many times and counts the requests that
//! were dropped: the interrupt's drain returned `Deferred` (the running drain should pick its
//! message up), the running drain returned `Done`, and the message was left queued with
//! nobody told to poll.
//!
//! The default run fits the test suite; `cargo test -p gunyah-msgq --release --test stress --
//! --ignored` runs a million rounds.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use core::num::NonZeroU8;

use gunyah_msgq::{
    CapId, DrainOutcome, GunyahError, Hypercall, IrqLine, MsgQueue, RawOutput, RxConfig, SendFlags,
};

/// The queue we receive from; sending is not used.
///
/// When armed with a round number, the receive that empties the queue (the owner's last one)
/// announces the round in `emptied` as it answers. The peer's message and interrupt start a
/// number of spins after that signal that follows, round by round, the moment the owner lets
/// go of the lock: so they land again and again at the end of the owner's drain, including
/// between its last look for requests and its unlock, the window that only the look after
/// unlocking covers.
#[derive(Default)]
struct Loopback {
    queue: Mutex<VecDeque<u32>>,
    armed: AtomicU32,
    emptied: AtomicU32,
}

impl Hypercall for Loopback {
    fn msgq_send(&self, _: CapId, _: &[u8], _: SendFlags) -> RawOutput {
        RawOutput::failed(GunyahError::Unimplemented)
    }

    fn msgq_receive(&self, _: CapId, buf: &mut [u8]) -> RawOutput {
        let (message, more) = {
            let mut q = self.queue.lock().unwrap();
            (q.pop_front(), !q.is_empty())
        };
        let Some(m) = message else {
            return RawOutput::failed(GunyahError::MsgqueueEmpty);
        };
        buf[..4].copy_from_slice(&m.to_le_bytes());
        if !more {
            let round = self.armed.swap(0, Ordering::AcqRel);
            if round != 0 {
                self.emptied.store(round, Ordering::Release);
                // A hypercall takes time to return: long enough that the peer, swept over its
                // delays, reaches the end of the drain from before it to after it.
                for _ in 0..RETURN_SPINS {
                    std::hint::spin_loop();
                }
            }
        }
        RawOutput::received(4, more)
    }

    fn msgq_flush(&self, _: CapId) -> RawOutput {
        self.queue.lock().unwrap().clear();
        RawOutput::ok()
    }
}

struct NoLine;

impl IrqLine for NoLine {
    fn enable(&self) {}
    fn disable(&self) {}
}

type Q = MsgQueue<Loopback, NoLine, 4>;

#[derive(Debug, Default)]
struct Tally {
    rounds: u32,
    deferred: u32,
    dropped: u32,
}

/// Both threads spin (no sleeping barrier) so that their drains overlap within nanoseconds.
fn wait_for(flag: &AtomicU32, value: u32) {
    while flag.load(Ordering::Acquire) != value {
        std::hint::spin_loop();
    }
}

/// How long the owner's last receive takes to return after it has answered (in spins).
const RETURN_SPINS: u32 = 400;

fn run(rounds: u32) -> Tally {
    let q: Arc<Q> = Arc::new(MsgQueue::rx_only(
        Loopback::default(),
        RxConfig::new(CapId(1), NoLine, NonZeroU8::new(8).unwrap(), 4),
    ));
    // Round r starts when `go` is r + 1; the owner says it is done with `owner_done`.
    let go = Arc::new(AtomicU32::new(0));
    let owner_done = Arc::new(AtomicU32::new(0));
    let (q2, go2, done2) = (Arc::clone(&q), Arc::clone(&go), Arc::clone(&owner_done));
    // The owner's CPU: one drain per round, racing the interrupt's.
    let owner = thread::spawn(move || {
        let mut unexpected = 0;
        for round in 1..=rounds {
            wait_for(&go2, round);
            let r = q2.poll_rx(|_| {});
            if !matches!(r, Ok(DrainOutcome::Done { .. } | DrainOutcome::Deferred)) {
                unexpected += 1;
            }
            done2.store(round, Ordering::Release);
        }
        unexpected
    });
    let mut tally = Tally::default();
    let mut center = i64::from(RETURN_SPINS);
    for round in 1..=rounds {
        // The owner's drain has two messages to take; the peer starts a varying time after
        // the owner's last receive has answered.
        let hyp = q.hypercall();
        hyp.queue.lock().unwrap().extend([0, 0]);
        hyp.armed.store(round, Ordering::Release);
        go.store(round, Ordering::Release);
        wait_for(&hyp.emptied, round);
        let delay = (center + i64::from(round % 17) - 8).max(0);
        for _ in 0..delay {
            std::hint::spin_loop();
        }
        // The peer's CPU: send, then the RX interrupt's drain.
        hyp.queue.lock().unwrap().push_back(round);
        let interrupt = q.poll_rx(|_| {});
        wait_for(&owner_done, round);
        // Both drains have returned: look, then clean up for the next round.
        let queued = !hyp.queue.lock().unwrap().is_empty();
        // A staircase: the peer's delay follows the moment the owner lets go of the lock,
        // where the window is (a deferred interrupt came early: wait longer next time).
        center += if interrupt == Ok(DrainOutcome::Deferred) {
            1
        } else {
            -1
        };
        if interrupt == Ok(DrainOutcome::Deferred) {
            tally.deferred += 1;
            if queued {
                tally.dropped += 1;
            }
        }
        while q.rx_pending() || !hyp.queue.lock().unwrap().is_empty() {
            let _ = q.poll_rx(|_| {});
        }
        tally.rounds += 1;
    }
    // Nothing was pending beyond one message, so no drain had reason to say Pending or fail.
    assert_eq!(owner.join().unwrap(), 0);
    tally
}

fn check(rounds: u32) {
    let t = run(rounds);
    println!(
        "deferred hand-off stress: {} rounds, {} deferred, {} dropped",
        t.rounds, t.deferred, t.dropped
    );
    assert_eq!(t.dropped, 0, "{t:?}");
    assert!(t.deferred > 0, "no round exercised the hand-off: {t:?}");
}

#[test]
fn deferred_requests_are_never_dropped() {
    check(20_000);
}

#[test]
#[ignore = "long: a million rounds"]
fn deferred_requests_are_never_dropped_long() {
    check(1_000_000);
}
