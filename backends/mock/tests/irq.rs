//! The std layer's vIRQ lines: masking, merging, level re-fire, inline and threaded delivery.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use gunyah_msgq::{IrqLine, SendFlags, Trigger};
use gunyah_msgq_mock::model::{LineKind, QueueConfig, VmId};
use gunyah_msgq_mock::{Delivery, Link, LinkConfig, MockHypervisor, MockIrq};

const LONG: Duration = Duration::from_secs(10);

fn link(delivery: Delivery, config: LinkConfig) -> (MockHypervisor, Link) {
    let hyp = MockHypervisor::with_delivery(delivery);
    let link = hyp.link(VmId(1), VmId(2), &config).unwrap();
    (hyp, link)
}

/// A handler that counts its invocations.
fn counting(line: &MockIrq) -> Arc<AtomicUsize> {
    let n = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&n);
    line.set_handler(move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    n
}

#[test]
fn lines_start_masked_and_edge_triggered() {
    let (hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    for line in hyp.irqs() {
        assert!(!line.is_enabled() && !line.is_pending() && !line.has_handler());
        assert_eq!(line.trigger(), Trigger::Edge);
    }
    // Each endpoint's lines are the right sources.
    assert_eq!(link.a.tx_irq().id().queue, link.a.tx_queue());
    assert_eq!(link.a.tx_irq().id().kind, LineKind::Tx);
    assert_eq!(link.b.rx_irq().id().queue, link.a.tx_queue());
    assert_eq!(link.b.rx_irq().id().kind, LineKind::Rx);
    assert_eq!(hyp.irqs().len(), 4);
}

#[test]
fn masked_edge_is_delivered_on_unmask_and_edges_merge() {
    for delivery in [Delivery::Inline, Delivery::Threaded] {
        let (_hyp, link) = link(delivery, LinkConfig::RM_LINK);
        let rx = link.b.rx_irq().clone();
        let n = counting(&rx);
        // Two PUSH sends while masked: one pending edge.
        link.a.send(b"1", SendFlags::PUSH);
        link.a.send(b"2", SendFlags::PUSH);
        assert!(rx.is_pending());
        assert!(rx.wait_idle(LONG));
        assert_eq!(n.load(Ordering::SeqCst), 0, "masked: not delivered");
        rx.enable();
        assert!(rx.wait_idle(LONG));
        assert_eq!(n.load(Ordering::SeqCst), 1, "{delivery:?}");
        let s = rx.stats();
        assert_eq!((s.raised, s.merged, s.delivered, s.enables), (2, 1, 1, 1));
        assert!(!rx.is_pending());
    }
}

#[test]
fn edge_without_handler_waits_for_one() {
    let (_hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq();
    rx.enable();
    link.a.send(b"x", SendFlags::NONE);
    assert!(rx.is_pending());
    let n = counting(rx);
    assert_eq!(n.load(Ordering::SeqCst), 1);
    rx.clear_handler();
    rx.raise();
    assert!(rx.is_pending());
}

#[test]
fn disable_stops_delivery() {
    let (_hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq();
    let n = counting(rx);
    rx.enable();
    rx.raise();
    rx.disable();
    rx.raise();
    assert_eq!(n.load(Ordering::SeqCst), 1);
    assert!(rx.is_pending());
    assert_eq!(rx.stats().disables, 1);
}

#[test]
fn an_edge_during_the_handler_comes_after_it_not_inside() {
    for delivery in [Delivery::Inline, Delivery::Threaded] {
        let (_hyp, link) = link(delivery, LinkConfig::RM_LINK);
        let rx = link.b.rx_irq().clone();
        let depth = Arc::new(AtomicUsize::new(0));
        let max_depth = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let peer = link.a.clone();
        let (d, m, c) = (depth.clone(), max_depth.clone(), calls.clone());
        rx.set_handler(move || {
            let now = d.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            // The first invocation makes the peer send again: a new RX edge now.
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                peer.send(b"again", SendFlags::PUSH);
            }
            d.fetch_sub(1, Ordering::SeqCst);
        });
        rx.enable();
        link.a.send(b"first", SendFlags::PUSH);
        assert!(rx.wait_idle(LONG));
        assert_eq!(calls.load(Ordering::SeqCst), 2, "{delivery:?}");
        assert_eq!(max_depth.load(Ordering::SeqCst), 1, "never nested");
    }
}

#[test]
fn inline_runs_on_the_raising_thread_after_the_hypercall_lock() {
    let (hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq();
    let me = thread::current().id();
    let seen = Arc::new(Mutex::new(None));
    let s = Arc::clone(&seen);
    let h = hyp.clone();
    let q = link.a.tx_queue();
    rx.set_handler(move || {
        // The model lock is free: the handler can inspect the queue and make hypercalls.
        *s.lock().unwrap() = Some((thread::current().id(), h.queue_len(q)));
    });
    rx.enable();
    link.a.send(b"x", SendFlags::NONE);
    assert_eq!(*seen.lock().unwrap(), Some((me, Some(1))));
}

#[test]
fn threaded_runs_on_another_thread() {
    let (hyp, link) = link(Delivery::Threaded, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq();
    let seen = Arc::new(Mutex::new(None));
    let s = Arc::clone(&seen);
    rx.set_handler(move || *s.lock().unwrap() = Some(thread::current().id()));
    rx.enable();
    link.a.send(b"x", SendFlags::NONE);
    assert!(hyp.wait_idle(LONG));
    let id = seen.lock().unwrap().expect("delivered");
    assert_ne!(id, thread::current().id());
}

#[test]
fn level_rx_refires_until_drained() {
    let config = LinkConfig::RM_LINK.with_rx_trigger(Trigger::Level);
    for delivery in [Delivery::Inline, Delivery::Threaded] {
        let (hyp, link) = link(delivery, config);
        let rx = link.b.rx_irq().clone();
        assert_eq!(rx.trigger(), Trigger::Level);
        for i in 0..3u8 {
            link.a.send(&[i], SendFlags::NONE);
        }
        // The handler takes one message per invocation: the level keeps it coming.
        let got = Arc::new(Mutex::new(Vec::new()));
        let (g, peer) = (Arc::clone(&got), link.b.clone());
        rx.set_handler(move || {
            if let Ok(Some(m)) = peer.recv() {
                g.lock().unwrap().push(m[0]);
            }
        });
        rx.enable();
        assert!(hyp.wait_idle(LONG));
        assert_eq!(*got.lock().unwrap(), [0, 1, 2], "{delivery:?}");
        let s = rx.stats();
        assert_eq!((s.delivered, s.refired, s.throttled), (3, 2, 0));
        assert!(!rx.is_pending());
    }
}

#[test]
fn level_storm_is_bounded() {
    let config = LinkConfig::RM_LINK.with_tx_trigger(Trigger::Level);
    for delivery in [Delivery::Inline, Delivery::Threaded] {
        let (hyp, link) = link(delivery, config);
        let tx = link.a.tx_irq().clone();
        tx.set_refire_limit(10);
        // A handler that never masks the line nor fills the queue: the TX level (room) holds.
        let n = counting(&tx);
        tx.enable();
        tx.raise();
        assert!(hyp.wait_idle(LONG), "no hang");
        assert_eq!(
            n.load(Ordering::SeqCst),
            11,
            "{delivery:?}: 1 + 10 re-fires"
        );
        let s = tx.stats();
        assert_eq!((s.refired, s.throttled), (10, 1));
        assert!(tx.is_pending(), "still asserted, but throttled");
        // The next assertion re-arms it (and storms again, boundedly).
        tx.raise();
        assert!(hyp.wait_idle(LONG));
        assert_eq!(n.load(Ordering::SeqCst), 22);
    }
}

#[test]
fn level_pending_goes_away_with_its_condition() {
    let config = LinkConfig::RM_LINK.with_rx_trigger(Trigger::Level);
    let (_hyp, link) = link(Delivery::Inline, config);
    let rx = link.b.rx_irq();
    let n = counting(rx);
    link.a.send(b"x", SendFlags::NONE);
    assert!(rx.is_pending());
    // Drained by polling while masked: no spurious delivery at unmask.
    assert_eq!(link.b.recv().unwrap(), Some(b"x".to_vec()));
    rx.enable();
    assert_eq!(n.load(Ordering::SeqCst), 0);
    assert_eq!(rx.stats().cleared, 1);
}

#[test]
fn flush_clears_a_pending_rx_edge_and_raises_tx() {
    let (_hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq();
    let tx = link.a.tx_irq();
    link.a.send(b"x", SendFlags::NONE);
    assert!(rx.is_pending());
    assert_eq!(link.b.flush().x0, 0);
    assert!(!rx.is_pending());
    assert_eq!(rx.stats().cleared, 1);
    assert!(tx.is_pending(), "the sender learns there is room");
    // A flush of an empty queue raises nothing.
    let before = tx.stats().raised;
    assert_eq!(link.b.flush().x0, 0);
    assert_eq!(tx.stats().raised, before);
}

#[test]
fn threaded_handler_panic_is_counted_and_the_line_survives() {
    let (hyp, link) = link(Delivery::Threaded, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq().clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    rx.set_handler(move || {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("handler bug (expected by this test)");
        }
    });
    rx.enable();
    rx.raise();
    assert!(hyp.wait_idle(LONG));
    rx.raise();
    assert!(hyp.wait_idle(LONG));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(rx.stats().handler_panics, 1);
}

#[test]
fn inline_handler_panic_reaches_the_raiser_and_the_line_survives() {
    let (_hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq().clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    rx.set_handler(move || {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("handler bug (expected by this test)");
        }
    });
    rx.enable();
    let r = std::panic::catch_unwind(|| rx.raise());
    assert!(r.is_err());
    assert!(!rx.is_active());
    rx.raise();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(rx.stats().handler_panics, 1);
}

#[test]
fn synchronize_waits_for_a_running_handler() {
    let (_hyp, link) = link(Delivery::Threaded, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq().clone();
    let release = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let (r, s) = (Arc::clone(&release), Arc::clone(&started));
    rx.set_handler(move || {
        s.store(true, Ordering::SeqCst);
        while !r.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(1));
        }
    });
    rx.enable();
    rx.raise();
    while !started.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(1));
    }
    rx.disable();
    assert!(rx.is_active());
    assert!(!rx.synchronize(Duration::from_millis(20)), "still running");
    release.store(true, Ordering::SeqCst);
    assert!(rx.synchronize(LONG));
    assert!(!rx.is_active());
}

/// Sets a flag when dropped: shows that handlers (and so the threads holding them) are gone.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn dropping_the_hypervisor_stops_delivery_threads() {
    let dropped = Arc::new(AtomicBool::new(false));
    {
        let (hyp, link) = link(Delivery::Threaded, LinkConfig::RM_LINK);
        let flag = DropFlag(Arc::clone(&dropped));
        link.b.rx_irq().set_handler(move || {
            let _ = &flag;
        });
        link.b.rx_irq().enable();
        link.a.send(b"x", SendFlags::PUSH);
        assert!(hyp.wait_idle(LONG));
        assert!(!dropped.load(Ordering::SeqCst));
    }
    assert!(
        dropped.load(Ordering::SeqCst),
        "threads joined, handler dropped"
    );
}

#[test]
fn shutdown_stops_lines_but_hypercalls_still_work() {
    let (hyp, link) = link(Delivery::Threaded, LinkConfig::RM_LINK);
    let rx = link.b.rx_irq().clone();
    let n = counting(&rx);
    rx.enable();
    hyp.shutdown();
    hyp.shutdown();
    assert!(!rx.has_handler());
    assert_eq!(link.a.send(b"x", SendFlags::PUSH).x0, 0);
    rx.set_handler(|| {});
    assert!(
        !rx.has_handler(),
        "no handler can be installed after shutdown"
    );
    assert_eq!(n.load(Ordering::SeqCst), 0);
    assert_eq!(
        hyp.create_queue(QueueConfig::RM_LINK),
        Err(gunyah_msgq_mock::MockError::ShutDown)
    );
}
