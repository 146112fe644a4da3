//! loom models of the queue's promises under concurrency: the real state machine (its
//! `sync.rs` swapped for loom's primitives), a loom-aware fake hypervisor and fake lines.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gunyah-msgq --test loom --release`.
//! Two-thread models are exhaustive; three-thread models are bounded to
//! `GUNYAH_LOOM_PREEMPTIONS` preemptions (default 4; `.ci/run` uses the default; a longer
//! run: `GUNYAH_LOOM_PREEMPTIONS=7 RUSTFLAGS="--cfg loom" cargo test -p gunyah-msgq --test loom
//! --release`). Each model prints how many interleavings it explored.
//!
//! An interrupt is modelled as its handler running on the thread (CPU) that raised it, or, for
//! one raised while its line was masked, on the main thread after the others are done: the
//! GIC keeps it pending and delivers it once unmasked.
//!
//! With the feature `async`, the models of the async API's waits run too (`loom/async_waits.rs`):
//! `RUSTFLAGS="--cfg loom" cargo test -p gunyah-msgq --features async --test loom --release`.
#![cfg(loom)]

#[cfg(feature = "async")]
#[path = "loom/async_waits.rs"]
mod async_waits;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool as StdBool, AtomicUsize, Ordering as Std};
use std::vec::Vec;

use core::num::NonZeroU8;

use gunyah_msgq::{
    CapId, DrainOutcome, Error, Hypercall, IrqLine, MsgQueue, RawOutput, RxConfig, SendFlags,
    SendOutcome, Trigger, TxConfig, TxState,
};
use loom::sync::Mutex;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

const TX_CAP: CapId = CapId(1);
const RX_CAP: CapId = CapId(2);
const MAX: usize = 4;

// --- The fake hypervisor ----------------------------------------------------------------

/// Both queues of the link, with the hypervisor's real semantics (spec §4) for the parts the
/// models use: default thresholds, one RX edge per 0 → 1 (or PUSH), one TX edge per
/// full → not-full, flush.
struct Fake {
    state: Mutex<Queues>,
}

struct Queues {
    /// Messages in the queue we send into (their content does not matter).
    tx_len: usize,
    tx_depth: usize,
    /// Message ids in the queue we receive from.
    rx: VecDeque<u8>,
    rx_depth: usize,
    /// Ids removed by a flush.
    flushed: Vec<u8>,
}

impl Fake {
    fn new(tx_depth: usize, tx_len: usize, rx_depth: usize) -> Fake {
        Fake {
            state: Mutex::new(Queues {
                tx_len,
                tx_depth,
                rx: VecDeque::new(),
                rx_depth,
                flushed: Vec::new(),
            }),
        }
    }

    /// The peer sends message `id` to us: whether it raised our RX edge.
    fn peer_send(&self, id: u8) -> bool {
        let mut s = self.state.lock().unwrap();
        assert!(s.rx.len() < s.rx_depth, "model sends more than the depth");
        s.rx.push_back(id);
        s.rx.len() == 1
    }

    /// The peer receives one message from the queue we send into: whether it raised our TX
    /// edge (full → not-full), and whether the queue now has room.
    fn peer_receive(&self) -> bool {
        let mut s = self.state.lock().unwrap();
        let was_full = s.tx_len == s.tx_depth;
        s.tx_len = s.tx_len.saturating_sub(1);
        was_full
    }

    fn tx_room(&self) -> bool {
        let s = self.state.lock().unwrap();
        s.tx_len < s.tx_depth
    }

    fn flushed(&self) -> Vec<u8> {
        self.state.lock().unwrap().flushed.clone()
    }

    fn rx_len(&self) -> usize {
        self.state.lock().unwrap().rx.len()
    }
}

impl Hypercall for Fake {
    fn msgq_send(&self, cap: CapId, _: &[u8], _: SendFlags) -> RawOutput {
        assert_eq!(cap, TX_CAP);
        let mut s = self.state.lock().unwrap();
        if s.tx_len == s.tx_depth {
            return RawOutput::failed(gunyah_msgq::GunyahError::MsgqueueFull);
        }
        s.tx_len += 1;
        RawOutput::sent(s.tx_len < s.tx_depth)
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        assert_eq!(cap, RX_CAP);
        let mut s = self.state.lock().unwrap();
        match s.rx.pop_front() {
            Some(id) => {
                buf[0] = id;
                RawOutput::received(1, !s.rx.is_empty())
            }
            None => RawOutput::failed(gunyah_msgq::GunyahError::MsgqueueEmpty),
        }
    }

    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        assert_eq!(cap, RX_CAP);
        let mut s = self.state.lock().unwrap();
        let gone: Vec<u8> = s.rx.drain(..).collect();
        s.flushed.extend(gone);
        RawOutput::ok()
    }
}

/// A vIRQ line: its mask bit, and an edge latched while it was masked.
#[derive(Clone)]
struct Line(Arc<LineState>);

struct LineState {
    enabled: AtomicBool,
    pending: AtomicBool,
}

impl Line {
    fn new(enabled: bool) -> Line {
        Line(Arc::new(LineState {
            enabled: AtomicBool::new(enabled),
            pending: AtomicBool::new(false),
        }))
    }

    fn enabled(&self) -> bool {
        self.0.enabled.load(Ordering::SeqCst)
    }

    /// Raises an edge; whether the handler is to run now (the line is unmasked). A masked
    /// line keeps it pending.
    fn raise(&self) -> bool {
        self.0.pending.store(true, Ordering::SeqCst);
        self.take_deliverable()
    }

    /// Whether a pending edge is deliverable now; takes it if so.
    fn take_deliverable(&self) -> bool {
        self.enabled() && self.0.pending.swap(false, Ordering::SeqCst)
    }
}

impl IrqLine for Line {
    fn enable(&self) {
        self.0.enabled.store(true, Ordering::SeqCst);
    }

    fn disable(&self) {
        self.0.enabled.store(false, Ordering::SeqCst);
    }
}

type Q = MsgQueue<Fake, Line, MAX>;

struct Rig {
    q: Arc<Q>,
    tx: Line,
    rx: Line,
}

/// A started queue: lines unmasked as `start` leaves them (an edge TX line and the RX line;
/// a level TX line stays masked until `Full`).
fn rig(trigger: Trigger, fake: Fake) -> Rig {
    let tx = Line::new(false);
    let rx = Line::new(false);
    let q = MsgQueue::try_duplex(
        fake,
        TxConfig {
            trigger,
            ..TxConfig::new(TX_CAP, tx.clone(), MAX)
        },
        RxConfig::new(RX_CAP, rx.clone(), NonZeroU8::new(4).unwrap(), MAX),
    )
    .unwrap();
    assert_eq!(q.start(|_| {}), Ok(DrainOutcome::Done { delivered: 0 }));
    Rig {
        q: Arc::new(q),
        tx,
        rx,
    }
}

// --- Running a model --------------------------------------------------------------------

/// Runs `model` under loom, bounded to `bound` preemptions (`None`: exhaustive), and prints
/// how many interleavings were explored.
fn check(name: &str, bound: Option<usize>, model: impl Fn() + Sync + Send + 'static) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = bound;
    let start = std::time::Instant::now();
    builder.check(move || {
        counted.fetch_add(1, Std::Relaxed);
        model();
    });
    println!(
        "loom model {name}: {} interleavings, {:.1} s, preemption bound {}",
        runs.load(Std::Relaxed),
        start.elapsed().as_secs_f64(),
        bound.map_or("none (exhaustive)".into(), |b| b.to_string())
    );
}

/// The preemption bound of the three-thread models.
fn three_thread_bound() -> Option<usize> {
    let bound = std::env::var("GUNYAH_LOOM_PREEMPTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    Some(bound)
}

/// Runs the TX handler for every deliverable TX interrupt, as the GIC would once the line is
/// unmasked: an edge latched while masked, or a level line while the queue has room.
fn deliver_tx(r: &Rig, trigger: Trigger) -> usize {
    let mut runs = 0;
    for _ in 0..3 {
        let fire = match trigger {
            Trigger::Edge => r.tx.take_deliverable(),
            Trigger::Level => r.tx.enabled() && r.q.hypercall().tx_room(),
        };
        if !fire {
            break;
        }
        r.q.on_tx_interrupt();
        runs += 1;
    }
    runs
}

/// The receiver makes room in the queue we send into; its TX edge (or the level) reaches the
/// handler on this CPU if the line is unmasked.
/// Returns whether the handler ran.
fn peer_receives(r: &Rig, trigger: Trigger) -> bool {
    let edge = r.q.hypercall().peer_receive();
    let fire = match trigger {
        Trigger::Edge => edge && r.tx.raise(),
        Trigger::Level => r.tx.enabled(),
    };
    if fire {
        r.q.on_tx_interrupt();
    }
    fire
}

// --- TX models ----------------------------------------------------------------------------

/// One sender against the receiver's drain and its TX interrupt: a "full" answer never
/// leaves the queue `Full` once room has appeared (no lost wakeup), and a level line is
/// unmasked exactly while `Full`.
fn tx_one_sender(trigger: Trigger) {
    // Depth 1, already full and known to be: the sender's answer races the drain.
    let r = rig(trigger, Fake::new(1, 0, 4));
    assert_eq!(
        r.q.try_send(b"f", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    let q = Arc::clone(&r.q);
    let sender = thread::spawn(move || q.try_send(b"s", SendFlags::NONE));
    peer_receives(&r, trigger);
    let _ = sender.join().unwrap().unwrap();
    deliver_tx(&r, trigger);
    let room = r.q.hypercall().tx_room();
    assert!(
        !(r.q.tx_state() == TxState::Full && room),
        "Full with room and no TX event to come"
    );
    if trigger == Trigger::Level {
        assert_eq!(r.tx.enabled(), r.q.tx_state() == TxState::Full);
    }
}

#[test]
fn tx_one_sender_edge() {
    check("tx_one_sender_edge", None, || tx_one_sender(Trigger::Edge));
}

#[test]
fn tx_one_sender_level() {
    check("tx_one_sender_level", None, || {
        tx_one_sender(Trigger::Level)
    });
}

/// Two senders and the TX interrupt (race 4): whatever order their answers are acted on,
/// a sender that found the queue full sees a TX event once room appears (it does not wait a
/// whole slice), and a level line is unmasked exactly while `Full`.
fn tx_two_senders(trigger: Trigger) {
    // Depth 2, empty: the first answer says "room left", the second "full", and a third send
    // finds it full; the first two may be acted on in either order.
    let r = rig(trigger, Fake::new(2, 0, 4));
    let handler_runs = Arc::new(AtomicUsize::new(0));
    let waiter_saw = Arc::new(AtomicUsize::new(usize::MAX));
    let (q1, q2) = (Arc::clone(&r.q), Arc::clone(&r.q));
    let (runs, saw) = (Arc::clone(&handler_runs), Arc::clone(&waiter_saw));
    let a = thread::spawn(move || q1.try_send(b"a", SendFlags::NONE));
    let b = thread::spawn(move || {
        let first = q2.try_send(b"b", SendFlags::NONE);
        // Read before the call, as `send_blocking` reads the event count.
        let before = runs.load(Std::SeqCst);
        if q2.try_send(b"c", SendFlags::NONE) == Ok(SendOutcome::WouldBlock) {
            saw.store(before, Std::SeqCst);
        }
        first
    });
    let _ = a.join().unwrap();
    let _ = b.join().unwrap();
    // The receiver drains everything: room appears.
    for _ in 0..2 {
        if peer_receives(&r, trigger) {
            handler_runs.fetch_add(1, Std::SeqCst);
        }
    }
    handler_runs.fetch_add(deliver_tx(&r, trigger), Std::SeqCst);
    let saw = waiter_saw.load(Std::SeqCst);
    if saw != usize::MAX {
        assert!(
            handler_runs.load(Std::SeqCst) > saw,
            "a waiter that found the queue full gets no TX event"
        );
    }
    assert!(!(r.q.tx_state() == TxState::Full && r.q.hypercall().tx_room()));
    if trigger == Trigger::Level {
        assert_eq!(r.tx.enabled(), r.q.tx_state() == TxState::Full);
    }
}

#[test]
fn tx_two_senders_edge() {
    check("tx_two_senders_edge", None, || {
        tx_two_senders(Trigger::Edge)
    });
}

#[test]
fn tx_two_senders_level() {
    check("tx_two_senders_level", None, || {
        tx_two_senders(Trigger::Level)
    });
}

/// A sender, the TX interrupt and shutdown (races 4a and 5): a closed queue's lines are
/// masked, whatever the order.
fn tx_sender_interrupt_shutdown(trigger: Trigger) {
    let r = rig(trigger, Fake::new(1, 0, 4));
    assert_eq!(
        r.q.try_send(b"f", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    let (q1, q2) = (Arc::clone(&r.q), Arc::clone(&r.q));
    let sender = thread::spawn(move || {
        let _ = q1.try_send(b"s", SendFlags::NONE);
    });
    let closer = thread::spawn(move || q2.shutdown());
    peer_receives(&r, trigger);
    sender.join().unwrap();
    closer.join().unwrap();
    assert_eq!(r.q.tx_state(), TxState::Closed);
    assert!(!r.tx.enabled(), "TX line unmasked on a closed queue");
    assert!(!r.rx.enabled(), "RX line unmasked on a closed queue");
}

#[test]
fn tx_sender_interrupt_shutdown_level() {
    check(
        "tx_sender_interrupt_shutdown_level",
        three_thread_bound(),
        || tx_sender_interrupt_shutdown(Trigger::Level),
    );
}

#[test]
fn tx_sender_interrupt_shutdown_edge() {
    check(
        "tx_sender_interrupt_shutdown_edge",
        three_thread_bound(),
        || tx_sender_interrupt_shutdown(Trigger::Edge),
    );
}

/// `start` racing `shutdown` (race 6): the lines end masked.
#[test]
fn start_vs_shutdown() {
    check("start_vs_shutdown", None, || {
        for trigger in [Trigger::Edge, Trigger::Level] {
            let tx = Line::new(false);
            let rx = Line::new(false);
            let q = Arc::new(
                MsgQueue::<_, _, MAX>::try_duplex(
                    Fake::new(1, 0, 4),
                    TxConfig {
                        trigger,
                        ..TxConfig::new(TX_CAP, tx.clone(), MAX)
                    },
                    RxConfig::new(RX_CAP, rx.clone(), NonZeroU8::new(4).unwrap(), MAX),
                )
                .unwrap(),
            );
            let q2 = Arc::clone(&q);
            let closer = thread::spawn(move || q2.shutdown());
            let started = q.start(|_| {});
            closer.join().unwrap();
            assert!(matches!(
                started,
                Ok(DrainOutcome::Done { .. }) | Err(Error::Closed)
            ));
            assert!(
                !tx.enabled() && !rx.enabled(),
                "a line unmasked after shutdown"
            );
        }
    });
}

// --- RX models ----------------------------------------------------------------------------

/// What the drains delivered, and whether any call told the owner to poll.
#[derive(Default)]
struct Ledger {
    delivered: std::sync::Mutex<Vec<u8>>,
    told_to_poll: StdBool,
}

impl Ledger {
    fn sink(self: &Arc<Self>) -> impl FnMut(&[u8]) + use<> {
        let me = Arc::clone(self);
        move |m: &[u8]| me.delivered.lock().unwrap().push(m[0])
    }

    fn note(&self, r: Result<DrainOutcome, Error>) {
        if matches!(r, Ok(DrainOutcome::Pending { .. }) | Err(_)) {
            self.told_to_poll.store(true, Std::SeqCst);
        }
    }

    /// The promise: every message sent and not flushed was delivered once and in order, or
    /// a call told the owner to poll and RX is still pending.
    fn check(&self, r: &Rig, sent: &[u8]) {
        let flushed = r.q.hypercall().flushed();
        let expected: Vec<u8> = sent
            .iter()
            .copied()
            .filter(|id| !flushed.contains(id))
            .collect();
        let delivered = self.delivered.lock().unwrap().clone();
        let all_there = delivered == expected;
        let owner_will_poll = self.told_to_poll.load(Std::SeqCst) && r.q.rx_pending();
        assert!(
            all_there || owner_will_poll,
            "stranded: sent {sent:?}, flushed {flushed:?}, delivered {delivered:?}, \
             rx_pending {}, {} still queued",
            r.q.rx_pending(),
            r.q.hypercall().rx_len()
        );
    }
}

/// The peer sends `id`; its RX edge runs the handler on the peer's CPU.
fn peer_sends(r: &Rig, id: u8, ledger: &Arc<Ledger>) {
    if r.q.hypercall().peer_send(id) && r.rx.raise() {
        ledger.note(r.q.on_rx_interrupt(ledger.sink()));
    }
}

/// The owner's drain against the RX interrupt of a message sent meanwhile (race 2: the
/// `Deferred` hand-off): the message is delivered, or the owner is told to poll.
#[test]
fn rx_drain_vs_interrupt() {
    check("rx_drain_vs_interrupt", None, || {
        let r = rig(Trigger::Edge, Fake::new(1, 0, 4));
        let ledger = Arc::new(Ledger::default());
        r.q.hypercall().peer_send(1);
        let (q, l) = (Arc::clone(&r.q), Arc::clone(&ledger));
        let owner = thread::spawn(move || l.note(q.poll_rx(l.sink())));
        peer_sends(&r, 2, &ledger);
        owner.join().unwrap();
        ledger.check(&r, &[1, 2]);
    });
}

/// Two RX interrupts on two CPUs, each for a message of its own.
#[test]
fn rx_interrupt_vs_interrupt() {
    check("rx_interrupt_vs_interrupt", None, || {
        let r = rig(Trigger::Edge, Fake::new(1, 0, 4));
        let ledger = Arc::new(Ledger::default());
        let (r2, l) = (
            Rig {
                q: Arc::clone(&r.q),
                tx: r.tx.clone(),
                rx: r.rx.clone(),
            },
            Arc::clone(&ledger),
        );
        let other = thread::spawn(move || {
            // A spurious-looking interrupt: its drain races the peer's.
            l.note(r2.q.on_rx_interrupt(l.sink()));
        });
        peer_sends(&r, 1, &ledger);
        other.join().unwrap();
        ledger.check(&r, &[1]);
    });
}

/// A flush inside the drain callback, the peer's message during it, and its RX interrupt on
/// another CPU (race 1): the message that arrived after the flush is delivered or the owner
/// is told to poll.
#[test]
fn rx_drain_flush_interrupt() {
    check("rx_drain_flush_interrupt", None, || {
        let r = rig(Trigger::Edge, Fake::new(1, 0, 4));
        let ledger = Arc::new(Ledger::default());
        r.q.hypercall().peer_send(1);
        let (q, l) = (Arc::clone(&r.q), Arc::clone(&ledger));
        let owner = thread::spawn(move || {
            let mut sink = l.sink();
            let flusher = Arc::clone(&q);
            let r = q.poll_rx(move |m| {
                sink(m);
                flusher.flush_rx().unwrap();
            });
            l.note(r);
        });
        peer_sends(&r, 2, &ledger);
        owner.join().unwrap();
        ledger.check(&r, &[1, 2]);
    });
}

/// The owner's drain, a flush by another task, and the peer's message with its interrupt,
/// on three CPUs.
#[test]
fn rx_drain_vs_flush_vs_interrupt() {
    check(
        "rx_drain_vs_flush_vs_interrupt",
        three_thread_bound(),
        || {
            let r = rig(Trigger::Edge, Fake::new(1, 0, 4));
            let ledger = Arc::new(Ledger::default());
            r.q.hypercall().peer_send(1);
            let (q, l) = (Arc::clone(&r.q), Arc::clone(&ledger));
            let owner = thread::spawn(move || l.note(q.poll_rx(l.sink())));
            let q = Arc::clone(&r.q);
            let flusher = thread::spawn(move || q.flush_rx().unwrap());
            peer_sends(&r, 2, &ledger);
            owner.join().unwrap();
            flusher.join().unwrap();
            ledger.check(&r, &[1, 2]);
        },
    );
}

/// `poll_rx` against the RX interrupt and a second message, with a depth that makes the
/// drain hit its bound: the owner is told to poll, and polling delivers the rest.
#[test]
fn rx_bounded_drain_vs_interrupt() {
    check(
        "rx_bounded_drain_vs_interrupt",
        three_thread_bound(),
        || {
            let tx = Line::new(false);
            let rx = Line::new(false);
            let q = MsgQueue::<_, _, MAX>::try_duplex(
                Fake::new(1, 0, 4),
                TxConfig::new(TX_CAP, tx.clone(), MAX),
                RxConfig::new(RX_CAP, rx.clone(), NonZeroU8::new(1).unwrap(), MAX),
            )
            .unwrap();
            assert_eq!(q.start(|_| {}), Ok(DrainOutcome::Done { delivered: 0 }));
            let r = Rig {
                q: Arc::new(q),
                tx,
                rx,
            };
            let ledger = Arc::new(Ledger::default());
            r.q.hypercall().peer_send(1);
            r.q.hypercall().peer_send(2);
            let (q, l) = (Arc::clone(&r.q), Arc::clone(&ledger));
            let owner = thread::spawn(move || l.note(q.poll_rx(l.sink())));
            peer_sends(&r, 3, &ledger);
            owner.join().unwrap();
            ledger.check(&r, &[1, 2, 3]);
            // An owner told to poll does; then everything is there.
            while r.q.rx_pending() {
                ledger.note(r.q.poll_rx(ledger.sink()));
            }
            assert_eq!(*ledger.delivered.lock().unwrap(), [1, 2, 3]);
        },
    );
}
