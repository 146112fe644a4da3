//! loom models of the async API's waits (feature `async`): the waker registration against
//! the interrupt that wakes it, for TX and RX, the shutdown that wakes a waiter, and the
//! claim of the one receiver.
//!
//! A waiting task runs on `loom::future::block_on`: a wake-up that is lost leaves it blocked
//! for good, and loom reports the deadlock. Its wait slices never end (`Never`), so only the
//! interrupt can wake it: a model that passes shows the event alone suffices, with no slice to
//! hide a lost wake-up.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use embedded_hal_async::delay::DelayNs;
use gunyah_msgq::AsyncQueue;

use super::*;

type AQ = AsyncQueue<Fake, Line, MAX>;

struct AsyncRig {
    q: Arc<AQ>,
    tx: Line,
    rx: Line,
}

/// A started async queue on the fake hypervisor (edge-triggered lines).
fn async_rig(fake: Fake) -> AsyncRig {
    let tx = Line::new(false);
    let rx = Line::new(false);
    let q = MsgQueue::try_duplex(
        fake,
        TxConfig::new(TX_CAP, tx.clone(), MAX),
        RxConfig::new(RX_CAP, rx.clone(), NonZeroU8::new(4).unwrap(), MAX),
    )
    .unwrap();
    let q = AsyncQueue::new(q);
    q.start().unwrap();
    AsyncRig {
        q: Arc::new(q),
        tx,
        rx,
    }
}

/// A wait slice that never ends.
struct Never;

impl DelayNs for Never {
    async fn delay_ns(&mut self, _: u32) {
        core::future::pending().await
    }
}

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut fut = pin!(fut);
    fut.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

/// A sender that finds the queue full waits; the receiver makes room on another CPU and its
/// TX interrupt runs there, at any point of the sender's send, register and re-check. The
/// sender always completes.
#[test]
fn async_tx_wake_vs_register() {
    check("async_tx_wake_vs_register", None, || {
        // Depth 1, already full.
        let r = async_rig(Fake::new(1, 1, 4));
        let q = Arc::clone(&r.q);
        let sender = thread::spawn(move || {
            loom::future::block_on(q.send(b"s", SendFlags::NONE, &mut Never, 1_000))
        });
        if r.q.hypercall().peer_receive() && r.tx.raise() {
            r.q.on_tx_interrupt();
        }
        assert_eq!(sender.join().unwrap(), Ok(()));
        assert!(!r.q.hypercall().tx_room(), "the message was accepted once");
    });
}

/// A receiver that finds the queue empty waits; the peer sends on another CPU and its RX
/// interrupt runs there, at any point of the receiver's register, event check and receive.
/// The receiver always gets the message.
#[test]
fn async_rx_wake_vs_register() {
    check("async_rx_wake_vs_register", None, || {
        let r = async_rig(Fake::new(1, 0, 4));
        let q = Arc::clone(&r.q);
        let receiver = thread::spawn(move || {
            let mut buf = [0; MAX];
            let len = loom::future::block_on(q.recv(&mut buf)).unwrap();
            buf[..len].to_vec()
        });
        if r.q.hypercall().peer_send(7) && r.rx.raise() {
            r.q.on_rx_interrupt();
        }
        assert_eq!(receiver.join().unwrap(), [7]);
        assert_eq!(r.q.hypercall().rx_len(), 0);
    });
}

/// A shutdown on another CPU against a sender and a receiver about to wait: both end with
/// `Closed` (or, for the sender, the send it made before the shutdown).
#[test]
fn async_shutdown_vs_waiters() {
    check("async_shutdown_vs_waiters", three_thread_bound(), || {
        let r = async_rig(Fake::new(1, 1, 4));
        let (qs, qr) = (Arc::clone(&r.q), Arc::clone(&r.q));
        let sender = thread::spawn(move || {
            loom::future::block_on(qs.send(b"s", SendFlags::NONE, &mut Never, 1_000))
        });
        let receiver = thread::spawn(move || {
            let mut buf = [0; MAX];
            loom::future::block_on(qr.recv(&mut buf))
        });
        r.q.shutdown();
        assert_eq!(sender.join().unwrap(), Err(Error::Closed));
        assert_eq!(receiver.join().unwrap(), Err(Error::Closed));
        assert!(!r.tx.enabled() && !r.rx.enabled());
    });
}

/// Two receivers on two CPUs, with a message queued or not: at most one holds the claim at a
/// time, a queued message is received exactly once, and the claim is free afterwards.
#[test]
fn async_claim() {
    check("async_claim", None, || {
        for queued in [false, true] {
            claim_model(queued);
        }
    });
}

fn claim_model(queued: bool) {
    let r = async_rig(Fake::new(1, 0, 4));
    if queued {
        r.q.hypercall().peer_send(9);
    }
    let inside = Arc::new(AtomicBool::new(false));
    // One receive, polled once and dropped: `Some(true)` if it got the message,
    // `Some(false)` if it waited (holding the claim), `None` if it was refused.
    let receive = |q: Arc<AQ>, inside: Arc<AtomicBool>| {
        move || {
            let mut buf = [0; MAX];
            let mut recv = Box::pin(q.recv(&mut buf));
            match recv.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(Ok(1)) => Some(true),
                Poll::Ready(Err(Error::AlreadyReceiving)) => None,
                Poll::Pending => {
                    // Waiting, so holding the claim: nobody else may.
                    assert!(!inside.swap(true, Ordering::SeqCst), "two receivers");
                    thread::yield_now();
                    inside.store(false, Ordering::SeqCst);
                    Some(false)
                }
                other => panic!("{other:?}"),
            }
            // The future (and its claim) is dropped here.
        }
    };
    let other = thread::spawn(receive(Arc::clone(&r.q), Arc::clone(&inside)));
    let mine = receive(Arc::clone(&r.q), Arc::clone(&inside))();
    let theirs = other.join().unwrap();
    let outcomes = [mine, theirs];
    let received = outcomes.iter().filter(|o| **o == Some(true)).count();
    assert_eq!(received, usize::from(queued), "received {received} times");
    assert_eq!(r.q.hypercall().rx_len(), 0);
    assert_eq!(
        poll_once(r.q.recv(&mut [0; MAX])),
        Poll::Pending,
        "claim freed"
    );
}
