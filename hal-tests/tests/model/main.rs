//! The model-based property test: random sequences of sends (sizes 0..=MAX+1), receives,
//! interrupts (spurious, dropped, duplicated), injected error codes and hostile replies,
//! flushes, starts and shutdowns, run against the simulated hypervisor wrapped in the fault
//! backend, in both error modes, and checked against a reference model written from the spec
//! for this test alone (`reference.rs`):
//!
//! - inline delivery: step by step, every result, every message handed to the RX callback and
//!   every error its drain returned, the TX state, the RX request, every counter, the
//!   hypercalls made and both hypervisor queues' lengths; and after each step, that messages
//!   the client cannot know of exist only because of an injection (a dropped RX edge, a false
//!   "empty");
//! - threaded delivery: every send's and peer receive's result step by step (the TX side is
//!   the test thread's alone), every other error (the test thread's and the RX handler's)
//!   explained by an injection or the shutdown; then, once delivery is idle, the same
//!   "stranded only by an injection" check, no `Full` left with room and every edge
//!   delivered, and the counters that must add up;
//! - both: at the end, the ledgers of both directions (`ledger.rs`): every accepted message
//!   arrived once and in order, unless a flush or a shutdown accounts for it.
//!
//! Cases: 1,000 per test by default (`MODEL_CASES=N` changes it); the `--ignored` tests run
//! 100,000. A failing case is shrunk by proptest; the ones found so far are named regression
//! tests at the end of this file.

#[path = "../common/mod.rs"]
mod common;
mod ledger;
mod ops;
mod reference;
mod system;

use std::cell::RefCell;

use gunyah_msgq::GunyahError::{MsgqueueEmpty, MsgqueueFull};
use gunyah_msgq::{DrainOutcome, Error, SendOutcome, Stats, TxState};
use gunyah_msgq_hal_tests::cases::faults::FaultFixture;
use gunyah_msgq_hal_tests::{ErrorMode, Fixture, Line};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use common::MAX;
use ledger::Direction;
use ops::{Fault, Op};
use reference::Model;
use system::{System, message};

/// The longest case (fewer than 256 messages each way keeps them distinct).
const MAX_OPS: usize = 120;

/// Fails the case with a message if `got != want`.
macro_rules! same {
    ($step:expr, $what:expr, $got:expr, $want:expr) => {{
        let (got, want) = (&$got, &$want);
        if got != want {
            return Err(TestCaseError::fail(format!(
                "step {} ({:?}): {}: got {:?}, the model says {:?}",
                $step.0, $step.1, $what, got, want
            )));
        }
    }};
}

/// What one case saw, for the ledgers and the counters.
#[derive(Default)]
struct Record {
    tx: Direction,
    rx: Direction,
    started: bool,
    closed: bool,
    /// An injection that may strand RX messages without the client knowing happened.
    rx_blinded: bool,
    /// An injection that may leave the TX state `Full` with room in the queue and no edge to
    /// come (a dropped TX edge, a false FULL or "full"): harmless, as `try_send` still asks.
    tx_blinded: bool,
    /// An oversized peer message was accepted (its head gets stuck; the end flushes it).
    oversized: bool,
    would_block: u32,
    /// The errors an injection so far (or the shutdown) may cause.
    injected: Vec<Error>,
}

impl Record {
    /// Threaded delivery: an error is one that an injection or the shutdown explains.
    fn explained<T>(&self, step: (usize, &Op), r: &Result<T, Error>) -> Result<(), TestCaseError> {
        match r {
            Err(e) if !self.injected.contains(e) => Err(TestCaseError::fail(format!(
                "step {} ({:?}): {e:?}, which no injection explains",
                step.0, step.1
            ))),
            _ => Ok(()),
        }
    }
}

/// What a variant's cases did, added up: proof that the faults fired and the paths ran.
#[derive(Default)]
struct Tally {
    stats: Stats,
    pending: u32,
    deferred: u32,
    stuck: u32,
}

impl Tally {
    fn drain(&mut self, r: &Result<DrainOutcome, Error>) {
        match r {
            Ok(DrainOutcome::Pending { .. }) => self.pending += 1,
            Ok(DrainOutcome::Deferred) => self.deferred += 1,
            Err(Error::RxStuck { .. }) => self.stuck += 1,
            _ => {}
        }
    }

    fn add(&mut self, s: Stats) {
        let t = &mut self.stats;
        t.sent += s.sent;
        t.received += s.received;
        t.would_block += s.would_block;
        t.spurious_tx += s.spurious_tx;
        t.spurious_rx += s.spurious_rx;
        t.faults += s.faults;
        t.malformed += s.malformed;
    }
}

/// Runs one case. `threaded` picks the delivery; with inline delivery every step is checked
/// against the model, with threaded delivery the TX side is.
fn run_case(
    depth: u8,
    ops: &[Op],
    mode: ErrorMode,
    threaded: bool,
    tally: &RefCell<Tally>,
) -> Result<(), TestCaseError> {
    let mut sys = System::new(depth, mode, threaded);
    let mut model = Model::new(depth, mode);
    let mut rec = Record::default();
    let (mut tx_seq, mut rx_seq) = (0u32, 0u32);
    for (i, op) in ops.iter().enumerate() {
        let step = (i, op);
        match *op {
            Op::Send { len, push } => {
                let msg = message(tx_seq, len);
                tx_seq += 1;
                let got = sys.send(&msg, push);
                same!(step, "try_send", got, model.try_send(msg.clone()));
                match got {
                    Ok(SendOutcome::Sent { .. }) => rec.tx.accepted.push(msg),
                    Ok(SendOutcome::WouldBlock) => rec.would_block += 1,
                    Err(_) => {}
                }
            }
            Op::PeerSend { len, push } => {
                let msg = message(rx_seq, len);
                rx_seq += 1;
                let got = sys.peer_send(&msg, push);
                if !threaded {
                    let want = match model.peer_send(msg.clone(), push) {
                        Some(not_full) => SendOutcome::Sent { not_full },
                        None => SendOutcome::WouldBlock,
                    };
                    same!(step, "peer send", got, want);
                }
                if matches!(got, SendOutcome::Sent { .. }) {
                    rec.oversized |= msg.len() > MAX;
                    rec.rx.accepted.push(msg);
                }
            }
            Op::PeerRecv => {
                let got = sys.peer_recv();
                same!(step, "peer receive", got, model.peer_recv());
                if let Some((msg, _)) = got {
                    rec.tx.arrived[0].push(msg);
                }
            }
            Op::Poll => {
                let got = sys.poll();
                tally.borrow_mut().drain(&got);
                if threaded {
                    rec.explained(step, &got)?;
                } else {
                    same!(step, "poll_rx", got, model.drain(false));
                }
            }
            Op::TryRecv => {
                let got = sys.try_recv();
                if threaded {
                    rec.explained(step, &got)?;
                } else {
                    same!(step, "try_recv", got, model.try_recv());
                }
                if let Ok((gunyah_msgq::RecvOutcome::Received { .. }, msg)) = got {
                    rec.rx.arrived[1].push(msg);
                }
            }
            Op::Flush => {
                let before = rec.rx.accepted.len();
                let got = sys.f.queue().flush_rx();
                if threaded {
                    rec.explained(step, &got)?;
                } else {
                    same!(step, "flush_rx", got, model.flush().map(drop));
                }
                if got.is_ok() {
                    rec.rx.flushed_before = before;
                }
            }
            Op::Start => {
                let got = sys.f.start();
                tally.borrow_mut().drain(&got);
                if threaded {
                    rec.explained(step, &got)?;
                } else {
                    same!(step, "start", got, model.start());
                }
                rec.started |= got.is_ok();
            }
            Op::Shutdown => {
                sys.f.queue().shutdown();
                model.shutdown();
                rec.closed = true;
                rec.injected.push(Error::Closed);
            }
            Op::Spurious(line) => {
                sys.f.fire(line);
                if !threaded {
                    model.spurious(line);
                }
            }
            Op::Edge(line, fault) => {
                sys.edge_fault(line, fault);
                model.edge_fault(line, fault);
                let dropped = fault == ops::EdgeFault::Drop;
                rec.rx_blinded |= line == Line::Rx && dropped;
                rec.tx_blinded |= line == Line::Tx && dropped;
            }
            Op::Inject(call, fault) => {
                sys.inject(call, fault);
                model.inject(call, fault);
                rec.injected.extend(reference::error_of(call, fault));
                rec.rx_blinded |= matches!(fault, Fault::LieNotEmpty | Fault::Fail(MsgqueueEmpty));
                rec.tx_blinded |= matches!(fault, Fault::LieNotFull | Fault::Fail(MsgqueueFull));
            }
        }
        // What the drains handed over, in order (threaded: whenever it came).
        let delivered = sys.take_delivered();
        let mut handler_errors = Vec::new();
        sys.f.take_handler_errors(&mut |e| handler_errors.push(e));
        if threaded {
            for e in handler_errors {
                rec.explained(step, &Err::<(), _>(e))?;
            }
        } else {
            let want = std::mem::take(&mut model.delivered);
            same!(step, "messages delivered", delivered, want);
            let want = std::mem::take(&mut model.handler_errors);
            same!(step, "RX handler errors", handler_errors, want);
            check_state(&sys, &mut model, step)?;
        }
        rec.rx.arrived[0].extend(delivered);
    }
    finish(&mut sys, &mut rec, depth, threaded)?;
    tally.borrow_mut().add(sys.f.queue().stats());
    rec.tx.check("TX (ours to the peer)")?;
    rec.rx.check("RX (the peer's to us)")
}

/// After each inline step: the state the model predicts, and no message stranded unknown.
fn check_state(sys: &System, model: &mut Model, step: (usize, &Op)) -> Result<(), TestCaseError> {
    let q = sys.f.queue();
    same!(step, "TX state", q.tx_state(), model.tx_state);
    same!(step, "RX pending", q.rx_pending(), model.rx_pending);
    same!(step, "counters", q.stats(), model.stats);
    let calls = sys.f.faults().stats().calls;
    same!(
        step,
        "hypercalls made",
        [calls.send, calls.receive, calls.flush],
        model.calls
    );
    let ours = &sys.f.link().a;
    same!(step, "TX queue length", ours.tx_len(), model.tx_queue.len());
    same!(step, "RX queue length", ours.rx_len(), model.rx_queue.len());
    model.note_rx_emptied();
    let stranded = !model.rx_queue.is_empty() && !model.rx_edge_waiting() && !q.rx_pending();
    if stranded && model.tx_state != TxState::Closed && !model.stranding_excused {
        return Err(TestCaseError::fail(format!(
            "step {} ({:?}): {} messages queued, no edge to come, and RX not pending",
            step.0,
            step.1,
            model.rx_queue.len()
        )));
    }
    Ok(())
}

/// The end of a case: delivery idle, the stranding check (threaded), the faults cleared, both
/// queues drained (RX by the client, TX by the peer), the counters.
fn finish(
    sys: &mut System,
    rec: &mut Record,
    depth: u8,
    threaded: bool,
) -> Result<(), TestCaseError> {
    if !sys.f.settle() {
        return Err(TestCaseError::fail("delivery did not go idle in 10 s"));
    }
    rec.rx.arrived[0].extend(sys.take_delivered());
    let q = sys.f.queue();
    let queued = sys.f.link().a.rx_len();
    if threaded && rec.started && !rec.closed && queued > 0 && !q.rx_pending() && !rec.rx_blinded {
        return Err(TestCaseError::fail(format!(
            "end: {queued} messages queued, delivery idle, and RX not pending"
        )));
    }
    sys.clear_faults();
    if !rec.closed {
        if !rec.started {
            let _ = sys.f.start();
        }
        // Each round takes at most depth + 1 receives; a stuck head is flushed (only an
        // oversized peer message may cause one).
        for _ in 0..64 {
            let left = sys.f.link().a.rx_len();
            match sys.poll() {
                Ok(DrainOutcome::Done { .. }) if left == 0 => break,
                Ok(_) => {}
                Err(Error::RxStuck { .. }) if rec.oversized => {
                    rec.rx.flushed_before = rec.rx.accepted.len();
                    sys.f
                        .queue()
                        .flush_rx()
                        .map_err(|e| TestCaseError::fail(format!("end: flush failed: {e:?}")))?;
                }
                Err(e) => return Err(TestCaseError::fail(format!("end: poll_rx: {e:?}"))),
            }
            if !sys.f.settle() {
                return Err(TestCaseError::fail("delivery did not go idle in 10 s"));
            }
            rec.rx.arrived[0].extend(sys.take_delivered());
        }
        rec.rx.arrived[0].extend(sys.take_delivered());
    }
    // `start` may have unmasked a pending TX edge: let its handler run.
    if !sys.f.settle() {
        return Err(TestCaseError::fail("delivery did not go idle in 10 s"));
    }
    // Room in the queue we send into, every TX edge delivered, no false "full": the state
    // must have left `Full`.
    let room = sys.f.link().a.tx_len() < usize::from(depth);
    let state = sys.f.queue().tx_state();
    if !rec.closed && room && state == TxState::Full && !rec.tx_blinded {
        return Err(TestCaseError::fail(
            "end: TX state Full with room in the queue and no injection to explain it",
        ));
    }
    rec.rx.left_queued = sys.f.link().a.rx_len();
    while let Some((msg, _)) = sys.peer_recv() {
        rec.tx.arrived[0].push(msg);
    }
    let stats = sys.f.queue().stats();
    let counted = |what: &str, got: u32, want: usize| {
        if got as usize == want {
            Ok(())
        } else {
            Err(TestCaseError::fail(format!(
                "counter {what}: {got}, but the test saw {want}"
            )))
        }
    };
    counted("sent", stats.sent, rec.tx.accepted.len())?;
    counted("would_block", stats.would_block, rec.would_block as usize)?;
    let arrived = rec.rx.arrived[0].len() + rec.rx.arrived[1].len();
    counted("received", stats.received, arrived)?;
    Ok(())
}

fn cases() -> u32 {
    std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// Runs `cases` random cases of one variant and reports the time.
fn property(mode: ErrorMode, threaded: bool, cases: u32) {
    let start = std::time::Instant::now();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // The peer sends messages our buffer cannot hold only inline, where the model knows
    // exactly which head is stuck.
    let tally = RefCell::new(Tally::default());
    let result = runner.run(&ops::case(!threaded, MAX_OPS), |(depth, ops)| {
        run_case(depth, &ops, mode, threaded, &tally)
    });
    let t = tally.into_inner();
    let s = t.stats;
    println!(
        "model ({mode:?}, {}): {cases} cases in {:.1} s; {} sent, {} received, {} would-block, \
         {} faults, {} malformed, {} spurious TX, {} spurious RX, {} RxStuck polls, {} Pending, \
         {} Deferred",
        if threaded { "threaded" } else { "inline" },
        start.elapsed().as_secs_f64(),
        s.sent,
        s.received,
        s.would_block,
        s.faults,
        s.malformed,
        s.spurious_tx,
        s.spurious_rx,
        t.stuck,
        t.pending,
        t.deferred
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn model_documented_inline() {
    property(ErrorMode::Documented, false, cases());
}

#[test]
fn model_quirks_inline() {
    property(ErrorMode::PublicSourceQuirks, false, cases());
}

#[test]
fn model_documented_threaded() {
    property(ErrorMode::Documented, true, cases());
}

#[test]
fn model_quirks_threaded() {
    property(ErrorMode::PublicSourceQuirks, true, cases());
}

#[test]
#[ignore = "100,000 cases per variant: run with --ignored (CI does, in release)"]
fn model_100k_every_variant() {
    for threaded in [false, true] {
        for mode in [ErrorMode::Documented, ErrorMode::PublicSourceQuirks] {
            property(mode, threaded, 100_000);
        }
    }
}

// Cases the property test found on the way. Each showed the reference model getting the
// spec wrong; they stay so that the model keeps these rules (and the core with it).

fn both_modes(depth: u8, ops: &[Op]) {
    for mode in [ErrorMode::Documented, ErrorMode::PublicSourceQuirks] {
        for threaded in [false, true] {
            if let Err(e) = run_case(depth, ops, mode, threaded, &RefCell::default()) {
                panic!("{mode:?}, threaded {threaded}: {e}");
            }
        }
    }
}

/// The peer's `not_full` is the count at its call, before the handler it triggers drains the
/// queue (inline delivery runs that handler before the peer's call returns).
#[test]
fn regression_reply_is_the_count_before_the_inline_handler() {
    both_modes(
        1,
        &[
            Op::Start,
            Op::PeerSend {
                len: 1,
                push: false,
            },
        ],
    );
}

/// A flush of a non-empty queue withdraws the RX edge pending on a masked line, so a later
/// `start` delivers no interrupt (and counts no spurious one).
#[test]
fn regression_flush_withdraws_the_pending_rx_edge() {
    both_modes(
        1,
        &[
            Op::PeerSend {
                len: 1,
                push: false,
            },
            Op::Flush,
            Op::Start,
        ],
    );
}

/// In quirk mode a stuck head answers OK, size 0, not empty; turned "empty" by a lie, that is
/// a zero-length message: skipped and counted as malformed, then the head is stuck again.
#[test]
fn regression_a_lie_on_the_quirk_answer_is_a_zero_length_message() {
    let ops = [
        Op::Start,
        Op::PeerSend {
            len: MAX + 1,
            push: false,
        },
        Op::Inject(ops::Call::Receive, Fault::LieNotEmpty),
        Op::Poll,
    ];
    for mode in [ErrorMode::Documented, ErrorMode::PublicSourceQuirks] {
        if let Err(e) = run_case(1, &ops, mode, false, &RefCell::default()) {
            panic!("{mode:?}: {e}");
        }
    }
}
