//! Start, shutdown and one-sided endpoints.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use gunyah_msgq::{AsyncQueue, Direction, Error, MsgQueue, RecvOutcome, SendFlags, TxState};

use super::*;

#[test]
fn start_unmasks_the_lines_and_drains_nothing() {
    let (hyp, link) = super::link(false, &gunyah_msgq_mock::LinkConfig::RM_LINK);
    let q: AQ = AsyncQueue::new(link.a.msg_queue().unwrap());
    link.b.send(b"early", SendFlags::PUSH);
    assert!(!link.a.rx_irq().is_enabled());
    q.start().unwrap();
    assert!(link.a.rx_irq().is_enabled());
    assert!(link.a.tx_irq().is_enabled());
    assert_eq!(link.b.tx_len(), 1, "the message waits for a receive");
    assert_eq!(hyp.call_stats(VmId(1)).receives, 0);
    let mut buf = [0; MAX];
    assert_eq!(block_on(q.recv(&mut buf)), Ok(5));
    hyp.shutdown();
}

#[test]
fn start_after_shutdown_is_closed() {
    let r = rig(false, Edges::All);
    r.q.shutdown();
    assert_eq!(r.q.start(), Err(Error::Closed));
    assert!(!r.ours().tx_irq().is_enabled());
    assert!(!r.ours().rx_irq().is_enabled());
}

#[test]
fn shutdown_wakes_a_waiting_sender_with_closed() {
    let r = rig(false, Edges::All);
    fill(&r.q);
    let before = sends(&r);
    let mut send = Hand::new(r.q.send(b"late", SendFlags::NONE, forever(), 1_000));
    send.pending();
    r.q.shutdown();
    assert_eq!(send.wakes(), 1);
    assert_eq!(send.ready(), Err(Error::Closed));
    assert_eq!(sends(&r), before + 1);
    assert_eq!(r.q.tx_state(), TxState::Closed);
}

#[test]
fn shutdown_wakes_a_waiting_receiver_with_closed() {
    let r = rig(false, Edges::All);
    let mut buf = [0; MAX];
    let mut recv = Hand::new(r.q.recv(&mut buf));
    recv.pending();
    r.q.shutdown();
    assert_eq!(recv.wakes(), 1);
    assert_eq!(recv.ready(), Err(Error::Closed));
    drop(recv);
    // The claim went with it.
    assert_eq!(r.q.try_recv(&mut buf), Err(Error::Closed));
}

#[test]
fn shutdown_wakes_waiters_threaded() {
    let r = rig(true, Edges::All);
    fill(&r.q);
    let (qs, qr) = (Arc::clone(&r.q), Arc::clone(&r.q));
    let sender = thread::spawn(move || {
        futures_executor::block_on(qs.send(b"late", SendFlags::NONE, forever(), 1_000))
    });
    let receiver = thread::spawn(move || futures_executor::block_on(qr.recv(&mut [0; MAX])));
    // Let both reach their wait (a shutdown before that is answered `Closed` too).
    thread::sleep(Duration::from_millis(20));
    r.q.shutdown();
    let (s, rc) = within(Duration::from_secs(10), move || {
        (sender.join().unwrap(), receiver.join().unwrap())
    });
    assert_eq!(s, Err(Error::Closed));
    assert_eq!(rc, Err(Error::Closed));
}

#[test]
fn late_interrupts_after_shutdown_change_nothing() {
    let r = rig(false, Edges::All);
    r.q.shutdown();
    r.q.on_tx_interrupt();
    r.q.on_rx_interrupt();
    assert_eq!(r.q.tx_state(), TxState::Closed);
    assert_eq!(sends(&r) + receives(&r), 0);
}

#[test]
fn one_sided_endpoints() {
    let (hyp, link) = super::link(false, &gunyah_msgq_mock::LinkConfig::RM_LINK);
    let tx_only: AQ =
        AsyncQueue::new(MsgQueue::try_tx_only(link.a.guest(), link.a.tx_config()).unwrap());
    let rx_only: AQ =
        AsyncQueue::new(MsgQueue::try_rx_only(link.a.guest(), link.a.rx_config()).unwrap());
    tx_only.start().unwrap();
    rx_only.start().unwrap();
    let mut buf = [0; MAX];
    assert_eq!(
        block_on(tx_only.recv(&mut buf)),
        Err(Error::NotConfigured(Direction::Rx))
    );
    assert_eq!(
        block_on(rx_only.send(b"m", SendFlags::NONE, forever(), 1)),
        Err(Error::NotConfigured(Direction::Tx))
    );
    assert_eq!(rx_only.tx_max_msg_size(), None);
    assert_eq!(tx_only.tx_max_msg_size(), Some(MAX));
    // The missing side's interrupt does nothing.
    rx_only.on_tx_interrupt();
    tx_only.on_rx_interrupt();
    assert_eq!(rx_only.stats().spurious_tx, 0);
    block_on(tx_only.send(b"m", SendFlags::NONE, forever(), 1)).unwrap();
    assert_eq!(link.b.recv().unwrap(), Some(b"m".to_vec()));
    link.b.send(b"r", SendFlags::NONE);
    assert_eq!(block_on(rx_only.recv(&mut buf)), Ok(1));
    assert_eq!(rx_only.try_recv(&mut buf), Ok(RecvOutcome::Empty));
    hyp.shutdown();
}

#[test]
fn flush_and_stats_reach_the_queue() {
    let r = rig(false, Edges::All);
    r.peer().send(b"stale", SendFlags::NONE);
    r.q.flush_rx().unwrap();
    assert_eq!(r.peer().tx_len(), 0);
    fill(&r.q);
    let stats = r.q.stats();
    assert_eq!((stats.sent, stats.would_block), (DEPTH as u32, 1));
    assert_eq!(r.q.hypercall().inner.vm(), VmId(1));
}
