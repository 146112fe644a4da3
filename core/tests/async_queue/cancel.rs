//! Cancel safety: each future dropped after every `Pending` it can return. A dropped send
//! leaves no half-sent message (accepted and final, or never offered); a dropped receive
//! loses no message (still queued, or already in the buffer before `Ready`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use gunyah_msgq::{RecvOutcome, SendFlags};

use super::*;

/// Every way a waiting send can be left: dropped after `pendings` polls that returned
/// `Pending`, with each kind of wake-up in between, and with room appearing just before the
/// drop. The message is never in the queue unless the future returned `Ready(Ok)`.
#[test]
fn a_dropped_send_offers_nothing() {
    for pendings in 1..=4 {
        for room_before_drop in [false, true] {
            let r = rig(false, Edges::All);
            let filled = fill(&r.q);
            let delay = ManualDelay::default();
            let mut d = delay.clone();
            let before = sends(&r);
            {
                let mut send = Hand::new(r.q.send(b"dropped", SendFlags::NONE, &mut d, 100));
                send.pending();
                for step in 1..pendings {
                    // A slice ends, a spurious wake-up, a spurious TX interrupt: each leaves
                    // it waiting.
                    match step % 3 {
                        0 => delay.elapse(),
                        1 => send.waker().wake_by_ref(),
                        _ => r.q.on_tx_interrupt(),
                    }
                    send.pending();
                }
                if room_before_drop {
                    r.peer().recv().unwrap(); // the TX event comes, the future is not polled
                }
            }
            let attempts = sends(&r) - before;
            assert!(
                attempts <= pendings as u64,
                "{attempts} attempts, {pendings} polls"
            );
            let mut left = r.peer().drain();
            if room_before_drop {
                left.insert(0, filled[0].clone());
            }
            assert_eq!(left, filled, "pendings {pendings}, room {room_before_drop}");
            // The queue still works: the next send goes through.
            let mut again = Hand::new(r.q.send(b"next", SendFlags::NONE, forever(), 100));
            assert_eq!(again.ready(), Ok(()));
        }
    }
}

/// A send that completed is done: dropping it after `Ready` changes nothing, and nothing is
/// ever sent twice.
#[test]
fn a_completed_send_is_final() {
    let r = rig(false, Edges::All);
    let filled = fill(&r.q);
    let mut send = Hand::new(r.q.send(b"late", SendFlags::NONE, forever(), 100));
    send.pending();
    r.peer().recv().unwrap();
    assert_eq!(send.ready(), Ok(()));
    drop(send);
    let mut want = filled[1..].to_vec();
    want.push(b"late".to_vec());
    assert_eq!(r.peer().drain(), want);
}

/// A receive dropped after each `Pending`, with a message arriving (and waking it) before the
/// drop: the message stays queued for the next receive.
#[test]
fn a_dropped_recv_loses_nothing() {
    for pendings in 1..=4 {
        for message_before_drop in [false, true] {
            let r = rig(false, Edges::All);
            let mut buf = [0; MAX];
            {
                let mut recv = Hand::new(r.q.recv(&mut buf));
                recv.pending();
                for _ in 1..pendings {
                    r.q.on_rx_interrupt(); // spurious: it receives EMPTY and waits again
                    recv.pending();
                }
                if message_before_drop {
                    r.peer().send(b"kept", SendFlags::NONE);
                    assert_eq!(recv.wakes(), pendings);
                }
            }
            assert_eq!(r.peer().tx_len(), usize::from(message_before_drop));
            let mut buf = [0; MAX];
            let want = if message_before_drop {
                RecvOutcome::Received {
                    len: 4,
                    more: false,
                }
            } else {
                RecvOutcome::Empty
            };
            assert_eq!(r.q.try_recv(&mut buf), Ok(want), "pendings {pendings}");
        }
    }
}

/// The same with `recv_with_slice`, dropped after slices.
#[test]
fn a_dropped_recv_with_slice_loses_nothing() {
    let r = rig(false, Edges::All);
    let delay = ManualDelay::default();
    let mut d = delay.clone();
    let mut buf = [0; MAX];
    {
        let mut recv = Hand::new(r.q.recv_with_slice(&mut buf, &mut d, 10));
        recv.pending();
        delay.elapse();
        recv.pending();
        r.peer().send(b"kept", SendFlags::NONE);
    }
    assert_eq!(r.peer().tx_len(), 1);
    let mut buf = [0; MAX];
    assert_eq!(
        r.q.try_recv(&mut buf),
        Ok(RecvOutcome::Received {
            len: 4,
            more: false
        })
    );
}

/// Threaded: futures polled once and dropped if `Pending`, over and over, while the peer
/// works on other threads. Whatever a send future reported `Ready(Ok)` arrives once, nothing
/// else does; whatever the peer sent is received once, in order.
#[test]
fn cancel_storm_threaded() {
    // The plain guest: the storm makes many hypercalls on purpose.
    let r = rig_with(
        true,
        &gunyah_msgq_mock::LinkConfig::RM_LINK,
        Edges::All,
        |g| g,
    );
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    const N: u32 = 200;

    // Sends: the peer reads on a thread.
    let stop = Arc::new(AtomicBool::new(false));
    let (peer, rx_cap, halt) = (r.link.b.guest(), r.link.b.rx_cap(), Arc::clone(&stop));
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        loop {
            let mut buf = [0; MAX];
            if peer.msgq_receive(rx_cap, &mut buf).x0 == 0 {
                got.push(u32::from_le_bytes(buf[..4].try_into().unwrap()));
            } else if halt.load(Ordering::SeqCst) {
                return got;
            } else {
                thread::yield_now();
            }
        }
    });
    let mut accepted = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut i = 0u32;
    while accepted.len() < N as usize && Instant::now() < deadline {
        let msg = i.to_le_bytes();
        let mut send = std::pin::pin!(r.q.send(&msg, SendFlags::PUSH, forever(), 50));
        if let Poll::Ready(res) = send.as_mut().poll(&mut cx) {
            res.unwrap();
            accepted.push(i);
        }
        i += 1;
    }
    stop.store(true, Ordering::SeqCst);
    let got = reader.join().unwrap();
    assert_eq!(accepted.len(), N as usize);
    assert_eq!(
        got, accepted,
        "exactly the accepted messages, once, in order"
    );

    // Receives: the peer writes on a thread.
    let (peer, tx_cap) = (r.link.b.guest(), r.link.b.tx_cap());
    let writer = thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        for i in 0..N {
            while peer.msgq_send(tx_cap, &i.to_le_bytes(), SendFlags::NONE).x0 != 0 {
                if Instant::now() > deadline {
                    return; // nobody receives: the assertion below says so
                }
                thread::yield_now();
            }
        }
    });
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0; MAX];
    while got.len() < N as usize && Instant::now() < deadline {
        let polled = {
            let mut recv = std::pin::pin!(r.q.recv(&mut buf));
            recv.as_mut().poll(&mut cx)
        };
        if let Poll::Ready(res) = polled {
            let len = res.unwrap();
            got.push(u32::from_le_bytes(buf[..len].try_into().unwrap()));
        }
    }
    writer.join().unwrap();
    assert_eq!(got, (0..N).collect::<Vec<_>>());
}
