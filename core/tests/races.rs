//! The six races of the concurrency review, each forced with hooks: the hypervisor and the
//! lines below run a hook at the exact point where the race needs another CPU (or a nested
//! interrupt) to act. A hook that stands for the same CPU calls into the queue directly; one
//! that stands for another CPU runs its work on a thread and waits (bounded) for it, so a queue
//! that holds its critical section at that point makes the other CPU wait, as real hardware
//! would.
//!
//! The loom models (`tests/loom.rs`) explore the same races exhaustively; race 2 (a memory
//! ordering window, invisible to hooks) is covered there and by `tests/stress.rs`.

mod common;

use std::boxed::Box;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak, mpsc};
use std::time::Duration;
use std::vec::Vec;

use common::*;
use gunyah_msgq::{
    CapId, DrainOutcome, Error, Hypercall, IrqLine, MsgQueue, RawOutput, RxConfig, SendFlags,
    SendOutcome, Trigger, TxConfig, TxState, WaitPolicy,
};

type Hook = Box<dyn FnOnce() + Send>;
type Answer = Box<dyn FnOnce() -> RawOutput + Send>;

/// A hypervisor whose every answer is scripted. Unlike a mockall mock it releases its lock
/// before running an answer, so an answer may call back into the queue, even the same call.
#[derive(Default)]
struct HookHyp {
    sends: Mutex<VecDeque<Answer>>,
    receives: Mutex<VecDeque<(Vec<u8>, Answer)>>,
    flushes: Mutex<VecDeque<Answer>>,
    calls: AtomicUsize,
}

impl HookHyp {
    fn send(&self, answer: impl FnOnce() -> RawOutput + Send + 'static) {
        self.sends.lock().unwrap().push_back(Box::new(answer));
    }

    fn send_reply(&self, reply: RawOutput) {
        self.send(move || reply);
    }

    /// A receive that copies `msg` into the buffer and answers `reply`.
    fn receive(&self, msg: &[u8], reply: RawOutput) {
        self.receives
            .lock()
            .unwrap()
            .push_back((msg.to_vec(), Box::new(move || reply)));
    }

    fn flush(&self, answer: impl FnOnce() -> RawOutput + Send + 'static) {
        self.flushes.lock().unwrap().push_back(Box::new(answer));
    }

    fn next<T>(&self, script: &Mutex<VecDeque<T>>, what: &str) -> T {
        assert!(
            self.calls.fetch_add(1, Ordering::SeqCst) < 10_000,
            "runaway hypercall loop"
        );
        script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unscripted {what}"))
    }
}

impl Hypercall for HookHyp {
    fn msgq_send(&self, cap: CapId, _: &[u8], _: SendFlags) -> RawOutput {
        assert_eq!(cap, TX_CAP);
        (self.next(&self.sends, "send"))()
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        assert_eq!(cap, RX_CAP);
        // An unscripted receive finds the queue empty.
        let Some((msg, answer)) = self.receives.lock().unwrap().pop_front() else {
            return err(EMPTY);
        };
        buf[..msg.len()].copy_from_slice(&msg);
        answer()
    }

    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        assert_eq!(cap, RX_CAP);
        (self.next(&self.flushes, "flush"))()
    }
}

/// A vIRQ line that records whether it is unmasked. A hook set for its next enable or disable
/// runs *before* the mask register is written, as if that write were slow.
#[derive(Clone, Default)]
struct HookLine(Arc<LineState>);

#[derive(Default)]
struct LineState {
    enabled: AtomicBool,
    on_enable: Mutex<Option<Hook>>,
    on_disable: Mutex<Option<Hook>>,
}

impl HookLine {
    fn enabled(&self) -> bool {
        self.0.enabled.load(Ordering::SeqCst)
    }

    fn before_next_enable(&self, hook: impl FnOnce() + Send + 'static) {
        *self.0.on_enable.lock().unwrap() = Some(Box::new(hook));
    }

    fn before_next_disable(&self, hook: impl FnOnce() + Send + 'static) {
        *self.0.on_disable.lock().unwrap() = Some(Box::new(hook));
    }
}

impl IrqLine for HookLine {
    fn enable(&self) {
        let hook = self.0.on_enable.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        self.0.enabled.store(true, Ordering::SeqCst);
    }

    fn disable(&self) {
        let hook = self.0.on_disable.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        self.0.enabled.store(false, Ordering::SeqCst);
    }
}

type HQ = MsgQueue<HookHyp, HookLine, MAX>;

struct Rig {
    q: Arc<HQ>,
    tx: HookLine,
    rx: HookLine,
}

fn rig(tx_trigger: Trigger, script: impl FnOnce(&Weak<HQ>, &HookHyp)) -> Rig {
    let (tx, rx) = (HookLine::default(), HookLine::default());
    let (tx_line, rx_line) = (tx.clone(), rx.clone());
    let q = Arc::new_cyclic(|w: &Weak<HQ>| {
        let hyp = HookHyp::default();
        script(w, &hyp);
        MsgQueue::duplex(
            hyp,
            TxConfig {
                trigger: tx_trigger,
                ..TxConfig::new(TX_CAP, tx_line, MAX)
            },
            RxConfig::new(RX_CAP, rx_line, depth(), MAX),
        )
    });
    Rig { q, tx, rx }
}

/// Runs `work` as another CPU would, while the calling hook waits for it, but no longer than
/// `OTHER_CPU_WAIT`: if the queue holds its critical section here, the other CPU cannot get
/// in until the hook returns, and must not deadlock the test.
fn on_another_cpu(work: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        work();
        let _ = done_tx.send(());
    });
    let _ = done_rx.recv_timeout(OTHER_CPU_WAIT);
}

const OTHER_CPU_WAIT: Duration = Duration::from_millis(300);

/// Waits for the other CPUs' work to finish (it may have been held up by a critical section).
fn settle(q: &Arc<HQ>) {
    // Every `on_another_cpu` thread holds a clone of the queue until it is done.
    for _ in 0..500 {
        if Arc::strong_count(q) == 1 {
            // `strong_count` is a relaxed load: the fence makes the other CPU's work (released
            // by its `Arc` drop) visible here, as a real join would. Without it, a plain
            // atomic read such as `tx_state()` may still see the value from before that work
            // (miri's weak-memory emulation shows it).
            std::sync::atomic::fence(Ordering::Acquire);
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("work on another CPU did not finish");
}

// --- Race 1: flush_rx erased a deferred RX request -----------------------------------------

#[test]
fn race1_a_flush_inside_the_drain_keeps_the_request_that_arrived_during_it() {
    let r = rig(Trigger::Edge, |w, hyp| {
        hyp.receive(b"A", RawOutput::received(1, false));
        let w = w.clone();
        hyp.flush(move || {
            // The flush is done; the peer sends M now (0 → 1, an RX edge) and the RX handler
            // nests while our drain holds the buffer: it can only leave a request.
            let q = w.upgrade().unwrap();
            q.hypercall().receive(b"M", RawOutput::received(1, false));
            assert_eq!(
                q.on_rx_interrupt(|_| panic!("nested drain")),
                Ok(DrainOutcome::Deferred)
            );
            RawOutput::ok()
        });
    });
    let (got, mut sink) = collector();
    let q = r.q.clone();
    let out = r.q.poll_rx(move |m| {
        sink(m);
        if m == b"A" {
            q.flush_rx().unwrap();
        }
    });
    assert_eq!(out, Ok(DrainOutcome::Done { delivered: 2 }));
    assert_eq!(taken(&got), [b"A".to_vec(), b"M".to_vec()]);
    assert!(!r.q.rx_pending());
}

#[test]
fn race1_a_failed_flush_keeps_the_request_it_found() {
    let r = rig(Trigger::Edge, |_, hyp| {
        hyp.flush(|| err(53));
    });
    // A drain that hit its bound left a request.
    for _ in 0..=DEPTH {
        r.q.hypercall().receive(b"x", RawOutput::received(1, true));
    }
    assert_eq!(
        r.q.poll_rx(|_| {}),
        Ok(DrainOutcome::Pending {
            delivered: usize::from(DEPTH) + 1
        })
    );
    assert!(r.q.rx_pending());
    assert!(r.q.flush_rx().is_err());
    assert!(r.q.rx_pending(), "a failed flush removed nothing");
}

// --- Race 3: send_blocking with slice_us: 0 never ended -------------------------------------

#[test]
fn race3_a_blocking_send_with_a_zero_slice_ends_at_its_timeout() {
    let r = rig(Trigger::Edge, |_, hyp| {
        for _ in 0..100 {
            hyp.send_reply(err(FULL));
        }
    });
    let clock = Clock::default();
    let mut delay = FakeDelay::new(clock.clone(), no_hook);
    let policy = WaitPolicy {
        timeout_us: 100,
        slice_us: 0,
        poll_us: 10,
    };
    assert_eq!(
        r.q.send_blocking(b"x", SendFlags::NONE, &mut delay, policy),
        Err(Error::TimedOut)
    );
    assert!(clock.now_us() <= 110, "waited {} µs", clock.now_us());
    let calls = r.q.hypercall().calls.load(Ordering::SeqCst);
    assert!(calls <= 11, "{calls} hypercalls");
}

/// A hypervisor whose TX queue is always full, counting the sends.
#[derive(Default)]
struct AlwaysFull(AtomicUsize);

impl Hypercall for AlwaysFull {
    fn msgq_send(&self, _: CapId, _: &[u8], _: SendFlags) -> RawOutput {
        self.0.fetch_add(1, Ordering::SeqCst);
        err(FULL)
    }

    fn msgq_receive(&self, _: CapId, _: &mut [u8]) -> RawOutput {
        err(EMPTY)
    }

    fn msgq_flush(&self, _: CapId) -> RawOutput {
        RawOutput::ok()
    }
}

proptest::proptest! {
    /// Every `WaitPolicy` (its fields are public) ends at its timeout, having waited at most
    /// one step more, with or without a storm of spurious TX interrupts.
    #[test]
    fn race3_every_wait_policy_ends_within_its_timeout_plus_one_step(
        timeout_us in proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..4_000],
        slice_us in proptest::prop_oneof![
            proptest::strategy::Just(0u32),
            0u32..5_000,
            proptest::strategy::Just(u32::MAX)
        ],
        poll_us in proptest::prop_oneof![
            proptest::strategy::Just(0u32),
            1u32..3_000,
            proptest::strategy::Just(u32::MAX)
        ],
        storm in proptest::bool::ANY,
    ) {
        let q: Arc<MsgQueue<AlwaysFull, HookLine, MAX>> = Arc::new(MsgQueue::tx_only(
            AlwaysFull::default(),
            TxConfig::new(TX_CAP, HookLine::default(), MAX),
        ));
        let clock = Clock::default();
        let storm_q = Arc::clone(&q);
        let mut delay = FakeDelay::new(clock.clone(), move |_| {
            if storm {
                storm_q.on_tx_interrupt();
            }
        });
        let policy = WaitPolicy { timeout_us, slice_us, poll_us };
        proptest::prop_assert_eq!(
            q.send_blocking(b"x", SendFlags::NONE, &mut delay, policy),
            Err(Error::TimedOut)
        );
        let step = u64::from(poll_us.max(1));
        let waited = clock.now_us();
        proptest::prop_assert!(waited <= u64::from(timeout_us) + step, "waited {} µs", waited);
        // Every retry is charged at least one microsecond of the budget.
        let sends = q.hypercall().0.load(Ordering::SeqCst) as u64;
        proptest::prop_assert!(sends <= u64::from(timeout_us) + 2, "{} sends", sends);
    }
}

// --- Race 4: a level TX line masked while Full ---------------------------------------------

/// A level-triggered queue that is `Full` with its line unmasked.
fn full_level_queue(script: impl FnOnce(&Weak<HQ>, &HookHyp)) -> Rig {
    let r = rig(Trigger::Level, |w, hyp| {
        hyp.send_reply(RawOutput::sent(false));
        script(w, hyp);
    });
    assert_eq!(
        r.q.try_send(b"f", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(r.q.tx_state(), TxState::Full);
    assert!(r.tx.enabled());
    r
}

#[test]
fn race4a_a_sender_filling_the_queue_during_the_handlers_mask_keeps_the_line_unmasked() {
    let r = full_level_queue(|_, hyp| hyp.send_reply(RawOutput::sent(false)));
    // The TX handler moves Full → Ready; before its mask lands, a sender on another CPU
    // fills the queue again (Ready → Full) and unmasks the line.
    let q = r.q.clone();
    r.tx.before_next_disable(move || {
        on_another_cpu(move || {
            assert_eq!(
                q.try_send(b"s", SendFlags::NONE),
                Ok(SendOutcome::Sent { not_full: false })
            );
        });
    });
    r.q.on_tx_interrupt();
    settle(&r.q);
    assert_eq!(r.q.tx_state(), TxState::Full);
    assert!(r.tx.enabled(), "the line is masked while Full");
}

#[test]
fn race4b_a_stale_room_left_answer_does_not_undo_another_senders_full() {
    let r = full_level_queue(|w, hyp| {
        let w = w.clone();
        // Sender A's answer says "room left"; before A acts on it, sender B fills the queue
        // and sender C finds it full and starts waiting for the TX event.
        hyp.send(move || {
            let q = w.upgrade().unwrap();
            assert_eq!(
                q.try_send(b"B", SendFlags::NONE),
                Ok(SendOutcome::Sent { not_full: false })
            );
            assert_eq!(
                q.try_send(b"C", SendFlags::NONE),
                Ok(SendOutcome::WouldBlock)
            );
            RawOutput::sent(true)
        });
        hyp.send_reply(RawOutput::sent(false));
        hyp.send_reply(err(FULL));
    });
    // The TX event: the receiver drained.
    r.q.on_tx_interrupt();
    assert_eq!(r.q.tx_state(), TxState::Ready);
    assert!(!r.tx.enabled());
    assert_eq!(
        r.q.try_send(b"A", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    // The queue is full and C waits: its TX event must be able to come.
    assert_eq!(r.q.tx_state(), TxState::Full);
    assert!(r.tx.enabled(), "the waiter's TX event is masked");
}

// --- Race 5: a level TX line left unmasked after shutdown ----------------------------------

#[test]
fn race5_shutdown_between_entering_full_and_unmasking_leaves_the_line_masked() {
    let r = rig(Trigger::Level, |_, hyp| {
        hyp.send_reply(RawOutput::sent(false))
    });
    let q = r.q.clone();
    r.tx.before_next_enable(move || on_another_cpu(move || q.shutdown()));
    assert_eq!(
        r.q.try_send(b"s", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    settle(&r.q);
    assert_eq!(r.q.tx_state(), TxState::Closed);
    assert!(!r.tx.enabled(), "a level line storms on a closed queue");
    assert!(!r.rx.enabled());
}

#[test]
fn race5_a_late_tx_interrupt_on_a_closed_queue_masks_a_level_line() {
    let r = rig(Trigger::Level, |_, _| {});
    r.q.shutdown();
    // Whoever unmasked it, a closed queue's handler leaves the line masked.
    r.tx.0.enabled.store(true, Ordering::SeqCst);
    r.q.on_tx_interrupt();
    assert!(!r.tx.enabled());
    assert_eq!(r.q.tx_state(), TxState::Closed);
}

#[test]
fn race5_a_room_left_answer_after_shutdown_keeps_the_queue_closed() {
    // A sender that found the queue `Full` gets "room left" from a hypercall during which
    // another CPU shut the queue down: acting on the stale answer must not reopen it.
    let r = full_level_queue(|w, hyp| {
        let w = w.clone();
        hyp.send(move || {
            w.upgrade().unwrap().shutdown();
            RawOutput::sent(true)
        });
    });
    assert_eq!(
        r.q.try_send(b"s", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(r.q.tx_state(), TxState::Closed);
    assert!(!r.tx.enabled(), "a level line storms on a closed queue");
    assert_eq!(r.q.try_send(b"t", SendFlags::NONE), Err(Error::Closed));
}

// --- Race 6: start racing shutdown ----------------------------------------------------------

#[test]
fn race6_shutdown_while_start_unmasks_the_rx_line_leaves_it_masked() {
    let r = rig(Trigger::Edge, |_, _| {});
    let q = r.q.clone();
    r.rx.before_next_enable(move || q.shutdown());
    assert_eq!(r.q.start(|_| {}), Err(Error::Closed));
    assert!(!r.rx.enabled(), "RX line unmasked after shutdown");
    assert!(!r.tx.enabled(), "TX line unmasked after shutdown");
}

#[test]
fn race6_shutdown_on_another_cpu_while_start_unmasks_the_tx_line_leaves_it_masked() {
    let r = rig(Trigger::Edge, |_, _| {});
    let q = r.q.clone();
    r.tx.before_next_enable(move || on_another_cpu(move || q.shutdown()));
    let _ = r.q.start(|_| {});
    settle(&r.q);
    assert_eq!(r.q.tx_state(), TxState::Closed);
    assert!(!r.tx.enabled(), "TX line unmasked after shutdown");
    assert!(!r.rx.enabled(), "RX line unmasked after shutdown");
}
