//! Fast checks of the std layer with inline delivery: they run before the integration tests,
//! so a broken line or dispatch fails here at once instead of stalling the threaded tests.

use std::format;
use std::string::ToString;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gunyah_msgq::{IrqLine, SendFlags, Trigger};

use crate::model::{LineKind, QueueConfig, VmId};
use crate::{Delivery, LinkConfig, MockError, MockHypervisor, MockIrq};

const A: VmId = VmId(1);
const B: VmId = VmId(2);
const SHORT: Duration = Duration::from_secs(2);

/// Most deliveries any test here expects; a handler past it panics, so a line that delivers
/// without end fails the test at once (inline, the panic reaches the raiser).
const RUNAWAY: usize = 1000;

/// Counts a handler's invocations, panicking past [`RUNAWAY`].
fn bump(n: &AtomicUsize) {
    let before = n.fetch_add(1, Ordering::SeqCst);
    assert!(before < RUNAWAY, "runaway delivery");
}

fn counting(line: &MockIrq) -> Arc<AtomicUsize> {
    let n = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&n);
    line.set_handler(move || bump(&c));
    n
}

#[test]
fn inline_edges_reach_the_right_lines() {
    let hyp = MockHypervisor::new();
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    let (rx, tx) = (link.b.rx_irq().clone(), link.a.tx_irq().clone());
    assert_eq!(rx.id().kind, LineKind::Rx);
    assert_eq!(tx.id().kind, LineKind::Tx);
    assert_eq!(rx.id().queue, link.a.tx_queue());
    let n_rx = counting(&rx);
    let n_tx = counting(&tx);

    // Masked: the RX edge waits, a second one merges.
    assert_eq!(link.a.send(b"1", SendFlags::PUSH).x0, 0);
    assert_eq!(link.a.send(b"2", SendFlags::PUSH).x0, 0);
    assert!(rx.is_pending() && !tx.is_pending());
    assert_eq!(n_rx.load(Ordering::SeqCst), 0);
    rx.enable();
    assert!(rx.is_enabled());
    assert_eq!(n_rx.load(Ordering::SeqCst), 1);
    assert!(!rx.is_pending() && rx.is_idle());
    let s = rx.stats();
    assert_eq!((s.raised, s.merged, s.delivered, s.enables), (2, 1, 1, 1));

    // Flush: RX cleared, TX asserted (and delivered once unmasked).
    let _ = link.a.send(b"3", SendFlags::PUSH);
    rx.disable();
    assert!(!rx.is_enabled());
    let _ = link.a.send(b"4", SendFlags::PUSH);
    assert!(rx.is_pending());
    assert_eq!(link.b.flush().x0, 0);
    assert!(!rx.is_pending());
    assert_eq!(rx.stats().cleared, 1);
    assert!(tx.is_pending());
    tx.enable();
    tx.acknowledge();
    assert_eq!(n_tx.load(Ordering::SeqCst), 1);
    let s = tx.stats();
    assert_eq!((s.raised, s.delivered, s.acknowledged), (1, 1, 1));
    assert_eq!(rx.stats().disables, 1);
    assert_eq!(n_rx.load(Ordering::SeqCst), 2);
    assert!(hyp.wait_idle(SHORT));
}

#[test]
fn inline_level_line_refires_and_is_bounded() {
    let config = LinkConfig::RM_LINK
        .with_rx_trigger(Trigger::Level)
        .with_tx_trigger(Trigger::Level);
    let hyp = MockHypervisor::new();
    let link = hyp.link(A, B, &config).unwrap();
    let rx = link.b.rx_irq().clone();
    assert_eq!(rx.trigger(), Trigger::Level);
    for i in 0..3u8 {
        let _ = link.a.send(&[i], SendFlags::NONE);
    }
    let got = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (g, c, peer) = (Arc::clone(&got), Arc::clone(&calls), link.b.clone());
    rx.set_handler(move || {
        bump(&c);
        if let Ok(Some(_)) = peer.recv() {
            g.fetch_add(1, Ordering::SeqCst);
        }
    });
    assert!(rx.has_handler());
    rx.enable();
    assert_eq!(got.load(Ordering::SeqCst), 3);
    let s = rx.stats();
    assert_eq!((s.delivered, s.refired, s.throttled), (3, 2, 0));
    assert!(!rx.is_pending());

    // A TX level that never goes away: 1 delivery + `limit` re-fires, then throttled.
    let tx = link.a.tx_irq().clone();
    tx.set_refire_limit(3);
    let n = counting(&tx);
    tx.enable();
    tx.raise();
    assert_eq!(n.load(Ordering::SeqCst), 4);
    let s = tx.stats();
    assert_eq!((s.refired, s.throttled), (3, 1));
    assert!(tx.is_pending() && tx.is_idle());
}

#[test]
fn threaded_delivery_runs_and_stops() {
    let hyp = MockHypervisor::threaded();
    assert_eq!(hyp.delivery(), Delivery::Threaded);
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    let rx = link.b.rx_irq().clone();
    let n = counting(&rx);
    rx.enable();
    let _ = link.a.send(b"x", SendFlags::NONE);
    assert!(hyp.wait_idle(SHORT));
    assert!(rx.synchronize(SHORT));
    assert_eq!(n.load(Ordering::SeqCst), 1);
    hyp.shutdown();
    assert!(!rx.has_handler());
    assert_eq!(
        hyp.create_queue(QueueConfig::RM_LINK),
        Err(MockError::ShutDown)
    );
}

#[test]
fn debug_display_and_call_stats() {
    let hyp = MockHypervisor::new();
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    assert_eq!(format!("{:?}", link.a.guest()), "Guest { vm: VmId(1) }");
    assert_eq!(
        format!("{hyp:?}"),
        "MockHypervisor { delivery: Inline, queues: 2, caps: 4 }"
    );
    assert_eq!(
        format!("{:?}", link.b.rx_irq()),
        "MockIrq { id: LineId { queue: QueueId(0), kind: Rx }, trigger: Edge, \
         enabled: false, pending: false }"
    );
    assert_eq!(
        MockError::ThreadSpawn.to_string(),
        "could not start a vIRQ delivery thread"
    );
    assert_eq!(
        MockError::ShutDown.to_string(),
        "the mock hypervisor was shut down"
    );
    let _ = link.a.send(b"x", SendFlags::NONE);
    let mut buf = [0u8; 240];
    let _ = link.b.receive(&mut buf);
    let _ = link.b.receive(&mut buf);
    assert_eq!(link.a.guest().stats().sends_ok, 1);
    let b = hyp.call_stats(B);
    assert_eq!((b.receives, b.receives_ok, b.receives_empty), (2, 1, 1));
    // A receive on the TX capability lacks the RECEIVE right: a failed receive.
    let _ = hyp.receive(B, link.b.tx_cap(), &mut buf);
    let b = hyp.call_stats(B);
    assert_eq!((b.receives, b.receives_failed), (3, 1));
}

#[test]
fn set_handler_arc_installs_the_shared_handler() {
    let hyp = MockHypervisor::new();
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    let n = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&n);
    let line = link.b.rx_irq();
    line.set_handler_arc(Arc::new(move || bump(&c)));
    assert!(line.has_handler());
    line.enable();
    let _ = link.a.send(b"x", SendFlags::PUSH);
    assert_eq!(n.load(Ordering::SeqCst), 1);
}

#[test]
fn link_config_with_mode_sets_both_directions() {
    use crate::model::Mode;
    let c = LinkConfig::RM_LINK.with_mode(Mode::PublicSourceQuirks);
    assert_eq!(c.a_to_b.mode, Mode::PublicSourceQuirks);
    assert_eq!(c.b_to_a.mode, Mode::PublicSourceQuirks);
    assert_eq!((c.a_to_b.depth, c.b_to_a.max_size), (8, 240));
}

#[test]
fn std_delay_sleeps_at_least_as_long_as_asked() {
    use embedded_hal::delay::DelayNs;
    let start = std::time::Instant::now();
    crate::StdDelay.delay_ns(20_000_000);
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn a_handler_is_idle_and_synchronized_for_its_own_line() {
    // Inline: the handler runs on this thread; waiting for its own line must not wait.
    let hyp = MockHypervisor::new();
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    let rx = link.b.rx_irq().clone();
    let seen = Arc::new(std::sync::Mutex::new(None));
    let calls = Arc::new(AtomicUsize::new(0));
    let (s, c, me) = (Arc::clone(&seen), Arc::clone(&calls), rx.clone());
    rx.set_handler(move || {
        // One edge, one delivery: a second call means the line delivers without end.
        assert_eq!(c.fetch_add(1, Ordering::SeqCst), 0, "delivered twice");
        let t = std::time::Instant::now();
        let r = (
            me.is_active(),
            me.is_idle(),
            me.synchronize(SHORT),
            me.wait_idle(SHORT),
        );
        *s.lock().unwrap() = Some((r, t.elapsed() < Duration::from_millis(500)));
    });
    rx.enable();
    rx.raise();
    assert_eq!(
        *seen.lock().unwrap(),
        Some(((true, true, true, true), true))
    );
    assert!(!rx.is_active());
}

#[test]
fn a_running_threaded_handler_is_waited_for_and_joined_at_shutdown() {
    use std::sync::atomic::AtomicBool;
    let hyp = MockHypervisor::threaded();
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    let rx = link.b.rx_irq().clone();
    let (started, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let (s, d, c) = (Arc::clone(&started), Arc::clone(&done), Arc::clone(&calls));
    rx.set_handler(move || {
        bump(&c);
        s.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
        d.store(true, Ordering::SeqCst);
    });
    rx.enable();
    rx.raise();
    let t = std::time::Instant::now();
    while !started.load(Ordering::SeqCst) {
        assert!(t.elapsed() < SHORT, "never delivered");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Another thread's handler runs: not idle, and a short wait fails.
    assert!(rx.is_active());
    assert!(!rx.is_idle());
    let t = std::time::Instant::now();
    assert!(!rx.synchronize(Duration::from_millis(10)));
    assert!(t.elapsed() >= Duration::from_millis(10));
    // Shutdown returns only after the delivery thread (and so the handler) finished.
    hyp.shutdown();
    assert!(done.load(Ordering::SeqCst));
    assert!(!rx.is_active());
}

#[test]
fn handler_panics_are_counted_and_the_line_survives() {
    for delivery in [Delivery::Inline, Delivery::Threaded] {
        let hyp = MockHypervisor::with_delivery(delivery);
        let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
        let rx = link.b.rx_irq().clone();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        rx.set_handler(move || {
            assert!(
                c.fetch_add(1, Ordering::SeqCst) != 0,
                "expected by this test"
            );
        });
        rx.enable();
        let first = std::panic::catch_unwind(|| rx.raise());
        // Inline, the handler's panic reaches the raiser; threaded, it stays on the worker.
        assert_eq!(first.is_err(), delivery == Delivery::Inline);
        assert!(hyp.wait_idle(SHORT));
        rx.raise();
        assert!(hyp.wait_idle(SHORT));
        assert_eq!(calls.load(Ordering::SeqCst), 2, "{delivery:?}");
        let s = rx.stats();
        assert_eq!((s.delivered, s.handler_panics), (2, 1), "{delivery:?}");
    }
}
