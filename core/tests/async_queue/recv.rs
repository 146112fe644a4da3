//! `AsyncQueue::recv`: the RX wake-up, the waker registered before EMPTY, one receiver.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use gunyah_msgq::{Error, ErrorKind, GunyahError, RecvOutcome, SendFlags};
use gunyah_msgq_fault::{FaultHypercall, Script, Target};
use gunyah_msgq_mock::LinkConfig;

use super::*;

#[test]
fn receives_a_queued_message_at_once() {
    let r = rig(false, Edges::All);
    r.peer().send(b"one", SendFlags::NONE);
    r.peer().send(b"two", SendFlags::NONE);
    let mut buf = [0; MAX];
    let mut recv = Hand::new(r.q.recv(&mut buf));
    assert_eq!(recv.ready(), Ok(3));
    drop(recv);
    assert_eq!(&buf[..3], b"one");
    let len = block_on(r.q.recv(&mut buf)).unwrap();
    assert_eq!(&buf[..len], b"two");
    assert_eq!(receives(&r), 2, "one receive per message");
}

#[test]
fn wakes_on_the_rx_interrupt() {
    let r = rig(false, Edges::All);
    let mut buf = [0; MAX];
    let mut recv = Hand::new(r.q.recv(&mut buf));
    recv.pending();
    assert_eq!(recv.wakes(), 0);
    assert_eq!(receives(&r), 1);
    r.peer().send(b"ping", SendFlags::NONE); // 0 → 1: our RX edge (inline)
    assert_eq!(recv.wakes(), 1);
    assert_eq!(recv.ready(), Ok(4));
    assert_eq!(receives(&r), 2, "one receive per wake-up");
    drop(recv);
    assert_eq!(&buf[..4], b"ping");
}

#[test]
fn a_wake_up_with_nothing_queued_costs_one_receive() {
    let r = rig(false, Edges::All);
    let mut buf = [0; MAX];
    let mut recv = Hand::new(r.q.recv(&mut buf));
    recv.pending();
    r.q.on_rx_interrupt(); // spurious
    assert_eq!(recv.wakes(), 1);
    recv.pending();
    assert_eq!(receives(&r), 2);
}

#[test]
fn a_poll_without_an_rx_event_makes_no_hypercall() {
    let r = rig(false, Edges::All);
    let mut buf = [0; MAX];
    let mut recv = Hand::new(r.q.recv(&mut buf));
    recv.pending();
    for _ in 0..5 {
        recv.waker().wake_by_ref(); // a wake-up meant for a sibling future, say
        recv.pending();
    }
    assert_eq!(receives(&r), 1);
}

#[test]
fn an_rx_event_before_the_receive_starts_is_not_needed_twice() {
    // An edge while nobody receives: the next receive finds the message with its first
    // receive, and the stale event costs at most one more receive, never a wrong answer.
    let r = rig(false, Edges::All);
    r.peer().send(b"m", SendFlags::NONE);
    let mut buf = [0; MAX];
    assert_eq!(block_on(r.q.recv(&mut buf)), Ok(1));
    let mut recv = Hand::new(r.q.recv(&mut buf));
    recv.pending();
    recv.waker().wake_by_ref();
    recv.pending();
    assert_eq!(
        receives(&r),
        2,
        "the first receive took the stale event with it"
    );
}

/// The RX edge arrives between the receive that answers EMPTY and the `Pending`: the waker,
/// registered before that receive, gets it.
#[test]
fn the_waker_is_registered_before_the_empty_receive() {
    let r = rig(false, Edges::All);
    let peer = r.link.b.guest();
    let tx_cap = r.link.b.tx_cap();
    r.q.hypercall().after_next_receive(move || {
        // The hypervisor answered EMPTY; now the peer sends, and our RX handler runs
        // (inline), all before the queue sees the EMPTY.
        assert_eq!(peer.msgq_send(tx_cap, b"edge", SendFlags::NONE).x0, 0);
    });
    let mut buf = [0; MAX];
    let mut recv = Hand::new(r.q.recv(&mut buf));
    recv.pending();
    assert_eq!(
        r.rx_faults.stats().runs,
        1,
        "the RX handler ran inside the receive"
    );
    assert_eq!(recv.wakes(), 1, "the edge found the waker registered");
    assert_eq!(recv.ready(), Ok(4));
    drop(recv);
    assert_eq!(&buf[..4], b"edge");
}

#[test]
fn a_second_receiver_is_refused_until_the_first_ends() {
    let r = rig(false, Edges::All);
    let (mut b1, mut b2, mut b3) = ([0; MAX], [0; MAX], [0; MAX]);
    let mut first = Hand::new(r.q.recv(&mut b1));
    first.pending();
    let second = block_on(r.q.recv(&mut b2));
    assert_eq!(second, Err(Error::AlreadyReceiving));
    assert_eq!(second.unwrap_err().kind(), ErrorKind::Busy);
    assert_eq!(second.unwrap_err().errno(), -16);
    assert_eq!(r.q.try_recv(&mut b3), Err(Error::AlreadyReceiving));
    let mut delay = ManualDelay::default();
    assert_eq!(
        block_on(r.q.recv_with_slice(&mut b3, &mut delay, 10)),
        Err(Error::AlreadyReceiving)
    );
    assert_eq!(receives(&r), 1, "a refused receive makes no hypercall");

    // The first one ends (completed): the claim is free again.
    r.peer().send(b"a", SendFlags::NONE);
    assert_eq!(first.ready(), Ok(1));
    drop(first);
    r.peer().send(b"b", SendFlags::NONE);
    assert_eq!(block_on(r.q.recv(&mut b2)), Ok(1));
    assert_eq!(r.q.try_recv(&mut b3), Ok(RecvOutcome::Empty));

    // Dropped while waiting: free again.
    let mut waiting = Hand::new(r.q.recv(&mut b1));
    waiting.pending();
    drop(waiting);
    assert_eq!(r.q.try_recv(&mut b3), Ok(RecvOutcome::Empty));
}

#[test]
fn a_future_never_polled_holds_no_claim() {
    let r = rig(false, Edges::All);
    let mut b1 = [0; MAX];
    let idle = r.q.recv(&mut b1);
    assert_eq!(r.q.try_recv(&mut [0; MAX]), Ok(RecvOutcome::Empty));
    drop(idle);
}

#[test]
fn argument_errors_take_no_claim() {
    let r = rig(false, Edges::All);
    let mut small = [0; MAX - 1];
    assert_eq!(
        block_on(r.q.recv(&mut small)),
        Err(Error::BufferTooSmall {
            len: MAX - 1,
            required: MAX
        })
    );
    let mut buf = [0; MAX];
    let mut waiting = Hand::new(r.q.recv(&mut buf));
    waiting.pending();
    // A second receiver with a bad buffer hears about its buffer first.
    assert!(matches!(
        block_on(r.q.recv(&mut small)),
        Err(Error::BufferTooSmall { .. })
    ));
    assert_eq!(receives(&r), 1);
}

#[test]
fn an_error_ends_the_receive_and_frees_the_claim() {
    let r = rig_with(false, &LinkConfig::RM_LINK, Edges::All, FaultHypercall::new);
    let id =
        r.q.hypercall()
            .add(Script::fail(
                Target::Receive,
                When::Call(1),
                GunyahError::Retry,
            ))
            .unwrap();
    r.peer().send(b"kept", SendFlags::NONE);
    let mut buf = [0; MAX];
    assert_eq!(
        block_on(r.q.recv(&mut buf)),
        Err(Error::Hypervisor(GunyahError::Retry))
    );
    assert_eq!(r.q.hypercall().fired(id), Some(1));
    assert_eq!(block_on(r.q.recv(&mut buf)), Ok(4), "nothing was lost");
    assert_eq!(&buf[..4], b"kept");
}

#[test]
fn a_lost_rx_edge_costs_one_slice_with_recv_with_slice() {
    let r = rig(false, Edges::DropRxFrom(1));
    let delay = ManualDelay::default();
    let mut d = delay.clone();
    let mut buf = [0; MAX];
    let mut recv = Hand::new(r.q.recv_with_slice(&mut buf, &mut d, 3_000));
    recv.pending();
    r.peer().send(b"lost edge", SendFlags::NONE);
    assert_eq!(r.rx_faults.stats().dropped, 1);
    assert_eq!(recv.wakes(), 0);
    recv.pending(); // polled without an event: no receive
    assert_eq!(receives(&r), 1);
    delay.elapse();
    assert_eq!(recv.wakes(), 1);
    assert_eq!(recv.ready(), Ok(9));
    drop(recv);
    assert_eq!(&buf[..9], b"lost edge");
    assert_eq!(
        delay.asked_ns(),
        [3_000_000],
        "the next slice never started"
    );
}

#[test]
fn recv_with_slice_receives_once_per_slice_or_wake_up() {
    let r = rig(false, Edges::All);
    let delay = ManualDelay::default();
    let mut d = delay.clone();
    let mut buf = [0; MAX];
    let mut recv = Hand::new(r.q.recv_with_slice(&mut buf, &mut d, 0));
    recv.pending();
    for n in 1..=3 {
        delay.elapse();
        recv.pending();
        assert_eq!(receives(&r), 1 + n);
    }
    r.peer().send(b"e", SendFlags::NONE); // the edge wakes it
    assert_eq!(recv.ready(), Ok(1));
    drop(recv);
    assert_eq!(delay.asked_ns(), [1_000; 4], "a zero slice is 1 µs");
}

/// Threaded delivery: a peer sends from another thread, the handlers run on delivery threads.
#[test]
fn receives_everything_threaded() {
    let r = rig(true, Edges::All);
    const N: u32 = 300;
    let peer = r.link.b.guest();
    let tx_cap = r.link.b.tx_cap();
    let writer = thread::spawn(move || {
        for i in 0..N {
            let flags = if i % 3 == 0 {
                SendFlags::PUSH
            } else {
                SendFlags::NONE
            };
            while peer.msgq_send(tx_cap, &i.to_le_bytes(), flags).x0 != 0 {
                thread::yield_now();
            }
        }
    });
    let q = Arc::clone(&r.q);
    let got = within(Duration::from_secs(30), move || {
        futures_executor::block_on(async {
            let mut got = Vec::new();
            let mut buf = [0; MAX];
            for _ in 0..N {
                let len = q.recv(&mut buf).await.unwrap();
                got.push(u32::from_le_bytes(buf[..len].try_into().unwrap()));
            }
            got
        })
    });
    writer.join().unwrap();
    assert_eq!(got, (0..N).collect::<Vec<_>>());
}
