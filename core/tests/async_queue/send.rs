//! `AsyncQueue::send`: backpressure and the TX event, lost TX edges, argument errors.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gunyah_msgq::{Error, SendFlags, Trigger, TxState};
use gunyah_msgq_mock::LinkConfig;

use super::*;

#[test]
fn sends_at_once_when_there_is_room() {
    let r = rig(false, Edges::All);
    block_on(r.q.send(b"hello", SendFlags::PUSH, forever(), 1_000)).unwrap();
    assert_eq!(r.peer().recv().unwrap(), Some(b"hello".to_vec()));
    assert_eq!(sends(&r), 1);
}

#[test]
fn argument_errors_come_first_without_a_hypercall() {
    let r = rig(false, Edges::All);
    fill(&r.q);
    let before = sends(&r);
    let mut delay = ManualDelay::default();
    let too_big = [0u8; MAX + 1];
    assert_eq!(
        Hand::new(r.q.send(b"", SendFlags::NONE, &mut delay, 10)).ready(),
        Err(Error::EmptyMessage)
    );
    assert_eq!(
        Hand::new(r.q.send(&too_big, SendFlags::NONE, &mut delay, 10)).ready(),
        Err(Error::MessageTooLarge {
            len: MAX + 1,
            max: MAX
        })
    );
    // Also after shutdown, as in `try_send`.
    r.q.shutdown();
    assert_eq!(
        Hand::new(r.q.send(b"", SendFlags::NONE, &mut delay, 10)).ready(),
        Err(Error::EmptyMessage)
    );
    assert_eq!(
        Hand::new(r.q.send(b"m", SendFlags::NONE, &mut delay, 10)).ready(),
        Err(Error::Closed)
    );
    assert_eq!(sends(&r), before, "no hypercall for a rejected message");
    assert!(
        delay.asked_ns().is_empty(),
        "no wait for a rejected message"
    );
}

#[test]
fn backpressure_wakes_on_the_tx_event() {
    let r = rig(false, Edges::All);
    let filled = fill(&r.q);
    let before = sends(&r);
    let mut delay = ManualDelay::default();
    let mut send = Hand::new(r.q.send(b"late", SendFlags::PUSH, &mut delay, 500));
    send.pending();
    assert_eq!(sends(&r), before + 1, "one attempt, then it waits");
    assert_eq!(send.wakes(), 0);
    assert_eq!(r.q.tx_state(), TxState::Full);

    // The peer takes one message: full → not-full raises our TX edge (inline).
    assert_eq!(r.peer().recv().unwrap(), Some(filled[0].clone()));
    assert_eq!(send.wakes(), 1, "the TX interrupt woke the sender");
    assert_eq!(send.ready(), Ok(()));
    assert_eq!(sends(&r), before + 2, "one attempt per wake-up");
    drop(send);
    assert_eq!(delay.asked_ns(), [500_000], "one slice, never ended");
    let rest = r.peer().drain();
    assert_eq!(rest.last().unwrap(), b"late");
    assert_eq!(rest.len(), DEPTH);
}

#[test]
fn a_wake_up_without_a_tx_event_makes_no_hypercall() {
    let r = rig(false, Edges::All);
    fill(&r.q);
    let before = sends(&r);
    let mut send = Hand::new(r.q.send(b"late", SendFlags::NONE, forever(), 500));
    send.pending();
    for _ in 0..5 {
        send.waker().wake_by_ref();
        send.pending();
    }
    assert_eq!(sends(&r), before + 1, "spurious wake-ups cost no hypercall");
}

#[test]
fn a_spurious_tx_interrupt_costs_one_attempt() {
    let r = rig(false, Edges::All);
    fill(&r.q);
    let before = sends(&r);
    let mut send = Hand::new(r.q.send(b"late", SendFlags::NONE, forever(), 500));
    send.pending();
    r.q.on_tx_interrupt(); // no room behind it
    assert_eq!(send.wakes(), 1);
    send.pending();
    assert_eq!(sends(&r), before + 2);
    assert_eq!(r.q.tx_state(), TxState::Full);
}

#[test]
fn a_lost_tx_edge_costs_one_slice() {
    let r = rig(false, Edges::DropTxFrom(1));
    fill(&r.q);
    let before = sends(&r);
    let delay = ManualDelay::default();
    let mut d = delay.clone();
    let mut send = Hand::new(r.q.send(b"late", SendFlags::NONE, &mut d, 2_000));
    send.pending();
    r.peer().drain(); // room, but its edge is lost
    assert_eq!(r.tx_faults.stats().dropped, 1);
    assert_eq!(send.wakes(), 0);
    send.pending(); // still no event: no attempt
    assert_eq!(sends(&r), before + 1);

    delay.elapse(); // the slice ends
    assert_eq!(send.wakes(), 1);
    assert_eq!(send.ready(), Ok(()));
    assert_eq!(sends(&r), before + 2);
    drop(send);
    assert_eq!(delay.asked_ns(), [2_000_000]);
    assert_eq!(r.peer().recv().unwrap(), Some(b"late".to_vec()));
}

#[test]
fn at_most_one_attempt_per_slice() {
    let r = rig(false, Edges::All);
    fill(&r.q);
    let before = sends(&r);
    let delay = ManualDelay::default();
    let mut d = delay.clone();
    // A zero slice is one microsecond, not a busy loop.
    let mut send = Hand::new(r.q.send(b"late", SendFlags::NONE, &mut d, 0));
    send.pending();
    for n in 1..=4 {
        delay.elapse();
        send.pending();
        assert_eq!(sends(&r), before + 1 + n);
    }
    drop(send);
    assert_eq!(delay.asked_ns(), [1_000; 5]);
}

#[test]
fn an_edge_during_the_full_send_is_not_lost() {
    // The peer drains while our send is in the hypervisor, and the TX interrupt runs before
    // the sender registers its waker: the sender sees the event and retries in the same poll.
    let r = rig(false, Edges::All);
    fill(&r.q);
    let peer = r.link.b.guest();
    let rx_cap = r.link.b.rx_cap();
    let q = Arc::clone(&r.q);
    r.q.hypercall().after_next_send(move || {
        let mut buf = [0; MAX];
        peer.msgq_receive(rx_cap, &mut buf); // full → not-full: the TX edge, inline
        assert_eq!(q.tx_state(), TxState::Ready, "the handler ran");
    });
    let mut send = Hand::new(r.q.send(b"late", SendFlags::NONE, forever(), 1_000));
    assert_eq!(send.ready(), Ok(()), "no wait for an event already counted");
    assert_eq!(send.wakes(), 0);
}

#[test]
fn level_triggered_tx_line() {
    let config = LinkConfig::RM_LINK.with_tx_trigger(Trigger::Level);
    let r = rig_with(false, &config, Edges::All, TestGuest::new);
    fill(&r.q);
    assert!(r.ours().tx_irq().is_enabled(), "unmasked while Full");
    let mut send = Hand::new(r.q.send(b"late", SendFlags::NONE, forever(), 1_000));
    send.pending();
    r.peer().recv().unwrap(); // the level rises: the handler runs and masks the line
    assert_eq!(send.wakes(), 1);
    assert!(!r.ours().tx_irq().is_enabled(), "masked once Ready");
    r.peer().recv().unwrap(); // room for one more after ours
    assert_eq!(send.ready(), Ok(()));
    assert_eq!(r.q.tx_state(), TxState::Ready);
    assert!(!r.ours().tx_irq().is_enabled(), "still masked: Ready");
}

/// Threaded delivery: a slow peer on another thread, a sender that can only be woken by TX
/// events (its slices never end): every message arrives, once, in order.
#[test]
fn backpressure_threaded() {
    let r = rig(true, Edges::All);
    let q = Arc::clone(&r.q);
    const N: u32 = 300;
    let peer = r.link.b.guest();
    let rx_cap = r.link.b.rx_cap();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while got.len() < N as usize && Instant::now() < deadline {
            let mut buf = [0; MAX];
            let out = peer.msgq_receive(rx_cap, &mut buf);
            if out.x0 == 0 {
                got.push(u32::from_le_bytes(buf[..4].try_into().unwrap()));
            } else {
                thread::yield_now();
            }
        }
        got
    });
    within(Duration::from_secs(30), move || {
        futures_executor::block_on(async {
            for i in 0..N {
                q.send(&i.to_le_bytes(), SendFlags::PUSH, forever(), 1_000)
                    .await
                    .unwrap();
            }
        })
    });
    let got = reader.join().unwrap();
    assert_eq!(got, (0..N).collect::<Vec<_>>());
    assert!(r.q.stats().would_block > 0, "the sender did wait");
}

/// Threaded delivery with every TX edge lost: the sender only has its slices, and still
/// never hangs.
#[test]
fn lost_tx_edges_never_hang_threaded() {
    let r = rig(true, Edges::DropTxFrom(1));
    let q = Arc::clone(&r.q);
    const N: u32 = 40;
    let peer = r.link.b.guest();
    let rx_cap = r.link.b.rx_cap();
    let reader = thread::spawn(move || {
        let mut got = 0;
        let deadline = Instant::now() + Duration::from_secs(20);
        while got < N && Instant::now() < deadline {
            let mut buf = [0; MAX];
            if peer.msgq_receive(rx_cap, &mut buf).x0 == 0 {
                got += 1;
            } else {
                thread::sleep(Duration::from_micros(200));
            }
        }
        got
    });
    within(Duration::from_secs(30), move || {
        futures_executor::block_on(async {
            for i in 0..N {
                q.send(&i.to_le_bytes(), SendFlags::NONE, &mut Sleep, 500)
                    .await
                    .unwrap();
            }
        })
    });
    assert_eq!(reader.join().unwrap(), N);
    assert!(r.q.stats().would_block > 0);
    assert_eq!(r.tx_faults.stats().runs, 0);
}
