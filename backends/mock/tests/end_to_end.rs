//! Two `gunyah_msgq::MsgQueue`s, one per VM, talking through the mock hypervisor with real
//! vIRQ delivery, inline and threaded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use gunyah_msgq::{
    ConfigError, Direction, DrainOutcome, Error, GunyahError, IrqLine, MsgQueue, RxConfig,
    SendFlags, SendOutcome, Trigger, TxState, WaitPolicy,
};
use gunyah_msgq_mock::model::{Mode, QueueConfig, VmId};
use gunyah_msgq_mock::{
    Delivery, Endpoint, Guest, Link, LinkConfig, MockHypervisor, MockIrq, StdDelay,
};

type Q = MsgQueue<Guest, MockIrq, 240>;
type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

const A: VmId = VmId(1);
const B: VmId = VmId(2);
const LONG: Duration = Duration::from_secs(20);

fn link(delivery: Delivery, config: LinkConfig) -> (MockHypervisor, Link) {
    let hyp = MockHypervisor::with_delivery(delivery);
    let link = hyp.link(A, B, &config).unwrap();
    (hyp, link)
}

/// A started queue on `ep` whose RX handler appends to the returned inbox.
fn client(ep: &Endpoint) -> (Arc<Q>, Inbox) {
    let q = Arc::new(ep.msg_queue::<240>().unwrap());
    let inbox: Inbox = Arc::default();
    let sink = Arc::clone(&inbox);
    ep.bind_queue(&q, move |m| sink.lock().unwrap().push(m.to_vec()));
    (q, inbox)
}

/// A deterministic message stream: sizes 1..=240, contents from a counter.
struct Stream(u64);

impl Stream {
    fn next_u32(&mut self) -> u32 {
        // xorshift64*: enough for test data.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    fn message(&mut self, seq: u32) -> (Vec<u8>, SendFlags) {
        let len = (self.next_u32() % 240) as usize + 1;
        // The sequence number, repeated and mixed with the position: a lost, duplicated or
        // reordered message cannot compare equal.
        let bytes = seq.to_le_bytes();
        let m: Vec<u8> = (0..len).map(|i| bytes[i % 4] ^ (i as u8)).collect();
        (m, SendFlags::with_push(self.next_u32() % 2 == 0))
    }
}

/// What the owner of a queue must do besides handling interrupts: a drain that hit its bound
/// (or failed) leaves `rx_pending` set, and no new edge will announce the messages it left.
fn poll_pending(q: &Q, inbox: &Inbox) {
    if q.rx_pending() {
        let sink = Arc::clone(inbox);
        let _ = q.poll_rx(move |m| sink.lock().unwrap().push(m.to_vec()));
    }
}

/// Waits until `inbox` holds `n` messages, polling when RX is left pending.
fn wait_for(q: &Q, inbox: &Inbox, n: usize) {
    let deadline = Instant::now() + LONG;
    while inbox.lock().unwrap().len() < n {
        assert!(
            Instant::now() < deadline,
            "timed out: {} of {n}",
            inbox.lock().unwrap().len()
        );
        poll_pending(q, inbox);
        thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn start_enables_both_lines_and_drains_what_came_before() {
    for delivery in [Delivery::Inline, Delivery::Threaded] {
        let (hyp, link) = link(delivery, LinkConfig::RM_LINK);
        // The peer sends before the client listens: the RX edge waits on a masked line.
        for m in [&b"early 1"[..], b"early 2", b"early 3"] {
            assert_eq!(link.b.send(m, SendFlags::PUSH).x0, 0);
        }
        let (q, inbox) = client(&link.a);
        assert!(!link.a.tx_irq().is_enabled() && !link.a.rx_irq().is_enabled());
        let _ = q.start(|m| inbox.lock().unwrap().push(m.to_vec())).unwrap();
        assert!(
            link.a.tx_irq().is_enabled(),
            "{delivery:?}: TX enabled by start"
        );
        assert!(
            link.a.rx_irq().is_enabled(),
            "{delivery:?}: RX enabled by start"
        );
        assert!(hyp.wait_idle(LONG));
        assert_eq!(
            *inbox.lock().unwrap(),
            [
                b"early 1".to_vec(),
                b"early 2".to_vec(),
                b"early 3".to_vec()
            ],
            "{delivery:?}: each message exactly once, in order"
        );
    }
}

#[test]
fn full_then_tx_interrupt_makes_ready() {
    let (hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let (q, _inbox) = client(&link.a);
    let _ = q.start(|_| {}).unwrap();
    for i in 0..8u8 {
        let out = q.try_send(&[i; 10], SendFlags::NONE).unwrap();
        assert_eq!(out, SendOutcome::Sent { not_full: i < 7 });
    }
    assert_eq!(q.tx_state(), TxState::Full);
    assert_eq!(
        q.try_send(b"more", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Full);
    // Every accepted message was queued exactly once (bug 1).
    let snap = hyp.queue_snapshot(link.a.tx_queue()).unwrap();
    assert_eq!((snap.stats.enqueued, snap.stats.full), (8, 1));
    // The peer drains one: full → not-full raises A's TX line, the handler makes it Ready.
    assert_eq!(link.b.recv().unwrap(), Some(vec![0; 10]));
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(link.a.tx_irq().stats().delivered, 1);
    assert_eq!(q.stats().spurious_tx, 0);
    // Draining the rest raises nothing more.
    assert_eq!(link.b.drain().len(), 7);
    assert_eq!(link.a.tx_irq().stats().raised, 1);
    assert_eq!(
        q.try_send(b"more", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
}

#[test]
fn inline_ping_pong_reenters_through_the_hypercall() {
    let (hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let (qa, inbox_a) = client(&link.a);
    // B echoes every message from inside its RX callback, itself inside A's send hypercall.
    let qb = Arc::new(link.b.msg_queue::<240>().unwrap());
    let echo = Arc::downgrade(&qb);
    link.b.bind_queue(&qb, move |m| {
        if let Some(qb) = echo.upgrade() {
            assert!(matches!(
                qb.try_send(m, SendFlags::PUSH),
                Ok(SendOutcome::Sent { .. })
            ));
        }
    });
    let _ = qa.start(|_| {}).unwrap();
    let _ = qb.start(|_| {}).unwrap();
    let mut stream = Stream(7);
    let mut sent = Vec::new();
    for seq in 0..300 {
        let (m, flags) = stream.message(seq);
        assert!(matches!(
            qa.try_send(&m, flags),
            Ok(SendOutcome::Sent { .. })
        ));
        sent.push(m);
        // The echo came back before try_send returned.
        assert_eq!(inbox_a.lock().unwrap().len(), sent.len());
    }
    assert_eq!(*inbox_a.lock().unwrap(), sent);
    assert_eq!(hyp.call_stats(A).sends_ok, 300);
    assert_eq!(qb.stats().sent, 300);
    assert_eq!(qa.stats().faults + qb.stats().faults, 0);
}

/// Sends `n` messages of `stream` through `q` with blocking sends; returns them.
fn send_stream(q: &Q, seed: u64, n: u32) -> Vec<Vec<u8>> {
    let mut stream = Stream(seed);
    let policy = WaitPolicy {
        timeout_us: 5_000_000,
        slice_us: 2_000,
        poll_us: 20,
    };
    (0..n)
        .map(|seq| {
            let (m, flags) = stream.message(seq);
            q.send_blocking(&m, flags, &mut StdDelay, policy).unwrap();
            m
        })
        .collect()
}

#[test]
fn threaded_full_duplex_stream_is_exactly_once_in_order() {
    const N: u32 = 3_000;
    let config = LinkConfig::symmetric(QueueConfig::new(4, 240));
    let (hyp, link) = link(Delivery::Threaded, config);
    let (qa, inbox_a) = client(&link.a);
    let (qb, inbox_b) = client(&link.b);
    let _ = qa
        .start(|m| inbox_a.lock().unwrap().push(m.to_vec()))
        .unwrap();
    let _ = qb
        .start(|m| inbox_b.lock().unwrap().push(m.to_vec()))
        .unwrap();
    let (qa2, qb2) = (Arc::clone(&qa), Arc::clone(&qb));
    let a_sender = thread::spawn(move || send_stream(&qa2, 1, N));
    let b_sender = thread::spawn(move || send_stream(&qb2, 2, N));
    // The owners' part while the senders run: poll a queue whose drain left RX pending.
    let deadline = Instant::now() + LONG;
    while !(a_sender.is_finished() && b_sender.is_finished()) {
        assert!(Instant::now() < deadline, "senders stalled");
        poll_pending(&qa, &inbox_a);
        poll_pending(&qb, &inbox_b);
        thread::sleep(Duration::from_micros(100));
    }
    let sent_a = a_sender.join().unwrap();
    let sent_b = b_sender.join().unwrap();
    wait_for(&qb, &inbox_b, sent_a.len());
    wait_for(&qa, &inbox_a, sent_b.len());
    assert!(hyp.wait_idle(LONG));
    assert_eq!(
        *inbox_b.lock().unwrap(),
        sent_a,
        "A → B exactly once, in order"
    );
    assert_eq!(
        *inbox_a.lock().unwrap(),
        sent_b,
        "B → A exactly once, in order"
    );
    for (q, ep) in [(&qa, &link.a), (&qb, &link.b)] {
        let snap = hyp.queue_snapshot(ep.tx_queue()).unwrap();
        assert_eq!(
            snap.stats.enqueued,
            u64::from(N),
            "one enqueue per accepted message"
        );
        assert_eq!(q.stats().sent, N);
        assert_eq!(q.stats().faults, 0);
        // Real concurrency reached the queues: handlers ran off the senders' threads.
        assert!(ep.rx_irq().stats().delivered > 0);
    }
    for line in hyp.irqs() {
        assert_eq!(line.stats().handler_panics, 0);
    }
}

#[test]
fn level_tx_line_is_masked_while_ready() {
    let config = LinkConfig::RM_LINK.with_tx_trigger(Trigger::Level);
    let (_hyp, link) = link(Delivery::Inline, config);
    let (q, _inbox) = client(&link.a);
    assert_eq!(link.a.tx_config().trigger, Trigger::Level);
    let _ = q.start(|_| {}).unwrap();
    let tx = link.a.tx_irq();
    assert!(!tx.is_enabled(), "a level TX line stays masked while Ready");
    for round in 1..=3u64 {
        while let Ok(SendOutcome::Sent { .. }) = q.try_send(b"fill", SendFlags::NONE) {}
        assert_eq!(q.tx_state(), TxState::Full);
        assert!(tx.is_enabled(), "unmasked while Full");
        // Room appears: one delivery, the core masks the line again, no storm.
        let _ = link.b.recv().unwrap();
        assert_eq!(q.tx_state(), TxState::Ready);
        assert!(!tx.is_enabled());
        assert_eq!(
            tx.stats().delivered,
            round,
            "exactly one TX interrupt per room event"
        );
        let _ = link.b.drain();
    }
}

/// Installs an RX handler on A that records each drain's result.
fn recording_rx(ep: &Endpoint, q: &Arc<Q>) -> Arc<Mutex<Vec<Result<DrainOutcome, Error>>>> {
    let results = Arc::new(Mutex::new(Vec::new()));
    let (r, w) = (Arc::clone(&results), Arc::downgrade(q));
    ep.rx_irq().set_handler(move || {
        if let Some(q) = w.upgrade() {
            r.lock().unwrap().push(q.on_rx_interrupt(|_| {}));
        }
    });
    results
}

#[test]
fn message_larger_than_the_buffer_per_mode() {
    for mode in [Mode::Documented, Mode::PublicSourceQuirks] {
        // B → A allows 1023-byte messages; A's client buffer is 240 bytes.
        let config = LinkConfig {
            b_to_a: QueueConfig::new(8, 1023).with_mode(mode),
            ..LinkConfig::RM_LINK
        };
        let (hyp, link) = link(Delivery::Inline, config);
        // Built from the real sizes, the endpoint refuses a peer whose messages it cannot hold.
        assert_eq!(
            link.a.msg_queue::<240>().err(),
            Some(ConfigError::MessageSize {
                direction: Direction::Rx,
                size: 1023,
                max: 240
            })
        );
        // Built from a wrong size (a device tree that says 240), it meets the large message.
        let rx = RxConfig {
            max_msg_size: 240,
            ..link.a.rx_config()
        };
        let q: Arc<MsgQueue<_, _, 240>> =
            Arc::new(MsgQueue::try_duplex(link.a.guest(), link.a.tx_config(), rx).unwrap());
        let results = recording_rx(&link.a, &q);
        let _ = q.start(|_| {}).unwrap();
        link.b.send(&[1; 500], SendFlags::PUSH);
        let expected = match mode {
            Mode::Documented => Error::RxStuck {
                code: Some(GunyahError::AddrOverflow),
            },
            // OK + size 0 + not_empty: the drain stops at once instead of looping (bug 11).
            Mode::PublicSourceQuirks => Error::RxStuck { code: None },
        };
        assert_eq!(*results.lock().unwrap(), [Err(expected)], "{mode:?}");
        assert!(q.rx_pending());
        assert_eq!(
            hyp.call_stats(A).receives,
            2,
            "start's drain + one stuck receive"
        );
        assert_eq!(link.a.rx_len(), 1, "the message stays");
        // The owner recovers by flushing; the next message flows.
        q.flush_rx().unwrap();
        assert!(!q.rx_pending());
        link.b.send(b"fine", SendFlags::PUSH);
        assert_eq!(
            results.lock().unwrap().last(),
            Some(&Ok(DrainOutcome::Done { delivered: 1 }))
        );
    }
}

#[test]
fn push_edges_and_one_drain_for_many() {
    let (_hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let (q, inbox) = client(&link.a);
    let _ = q.start(|_| {}).unwrap();
    let rx = link.a.rx_irq();
    // Masked: count the edges the sends raise.
    rx.disable();
    for _ in 0..3 {
        link.b.send(b"quiet", SendFlags::NONE);
    }
    assert_eq!(
        rx.stats().raised,
        1,
        "no PUSH: only the 0 → 1 send raises RX"
    );
    rx.enable();
    assert_eq!(inbox.lock().unwrap().len(), 3, "one drain gets them all");
    assert_eq!(rx.stats().delivered, 1);
    rx.disable();
    for _ in 0..3 {
        link.b.send(b"push", SendFlags::PUSH);
    }
    assert_eq!(rx.stats().raised, 4, "PUSH raises one edge per send");
    assert_eq!(rx.stats().merged, 2, "merged while masked");
    rx.enable();
    assert_eq!(inbox.lock().unwrap().len(), 6);
}

#[test]
fn shutdown_masks_first_and_late_interrupts_do_nothing() {
    for delivery in [Delivery::Inline, Delivery::Threaded] {
        let (hyp, link) = link(delivery, LinkConfig::RM_LINK);
        let (q, inbox) = client(&link.a);
        let _ = q.start(|_| {}).unwrap();
        q.shutdown();
        assert!(!link.a.tx_irq().is_enabled() && !link.a.rx_irq().is_enabled());
        assert!(link.a.rx_irq().synchronize(LONG));
        let receives = hyp.call_stats(A).receives;
        link.b.send(b"late", SendFlags::PUSH);
        link.a.rx_irq().raise();
        link.a.tx_irq().raise();
        assert!(hyp.wait_idle(LONG));
        assert_eq!(
            link.a.rx_irq().stats().delivered,
            0,
            "masked: nothing delivered"
        );
        // A late call of the entry points is a no-op.
        assert_eq!(q.on_rx_interrupt(|_| {}), Err(Error::Closed));
        q.on_tx_interrupt();
        assert_eq!(
            hyp.call_stats(A).receives,
            receives,
            "no hypercall after shutdown"
        );
        assert!(inbox.lock().unwrap().is_empty());
        assert_eq!(q.try_send(b"x", SendFlags::NONE), Err(Error::Closed));
    }
}

#[test]
fn one_sided_endpoints() {
    let (_hyp, link) = link(Delivery::Inline, LinkConfig::RM_LINK);
    let tx_only: MsgQueue<Guest, MockIrq, 240> =
        MsgQueue::tx_only(link.a.guest(), link.a.tx_config());
    let _ = tx_only.start(|_| {}).unwrap();
    assert_eq!(
        tx_only.try_send(b"one way", SendFlags::PUSH),
        Ok(SendOutcome::Sent { not_full: true })
    );
    let rx_only: Arc<Q> = Arc::new(MsgQueue::rx_only(link.b.guest(), link.b.rx_config()));
    let got = Arc::new(AtomicUsize::new(0));
    let (g, w) = (Arc::clone(&got), Arc::downgrade(&rx_only));
    link.b.rx_irq().set_handler(move || {
        if let Some(q) = w.upgrade() {
            let _ = q.on_rx_interrupt(|_| {
                g.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    let _ = rx_only.start(|_| {
        got.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(
        got.load(Ordering::SeqCst),
        1,
        "queued before start, drained at start"
    );
    assert_eq!(
        rx_only.try_send(b"x", SendFlags::NONE),
        Err(Error::NotConfigured(gunyah_msgq::Direction::Tx))
    );
}

#[test]
fn bind_queue_reschedules_a_drain_that_hit_its_bound() {
    const N: u8 = 12;
    for delivery in [Delivery::Inline, Delivery::Threaded] {
        let config = LinkConfig::symmetric(QueueConfig::new(2, 16));
        let (hyp, link) = link(delivery, config);
        let q = Arc::new(link.a.msg_queue::<16>().unwrap());
        let inbox: Inbox = Arc::default();
        let (sink, peer) = (Arc::clone(&inbox), link.b.clone());
        // Each message received makes the peer send the next one (no PUSH): the queue never
        // empties during a drain, so the drain hits its bound of depth + 1 = 3 receives.
        link.a.bind_queue(&q, move |m| {
            sink.lock().unwrap().push(m.to_vec());
            if m[0] + 2 < N {
                assert_eq!(peer.send(&[m[0] + 2], SendFlags::NONE).x0, 0);
            }
        });
        let _ = q.start(|_| {}).unwrap();
        let rx = link.a.rx_irq();
        rx.disable();
        link.b.send(&[0], SendFlags::NONE);
        link.b.send(&[1], SendFlags::NONE);
        rx.enable();
        assert!(hyp.wait_idle(LONG));
        let expected: Vec<Vec<u8>> = (0..N).map(|i| vec![i]).collect();
        assert_eq!(
            *inbox.lock().unwrap(),
            expected,
            "{delivery:?}: no poll needed"
        );
        assert!(!q.rx_pending());
        assert!(rx.stats().raised > 1, "the handler re-raised its line");
        assert!(rx.stats().delivered > 1);
    }
}
