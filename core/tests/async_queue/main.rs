//! The async API (`AsyncQueue`, `AsyncMailbox`) against the simulated hypervisor, in inline and
//! threaded delivery.
//!
//! Most tests poll the futures by hand with a counting waker, so that each wake-up, each
//! hypercall and each wait slice is seen one step at a time, or run them on [`block_on`], an
//! executor that fails a test whose future hangs; the threaded ones run on
//! `futures-executor`'s `block_on` (inside [`within`]) against handlers that run on delivery
//! threads. Every queue's backend ([`TestGuest`]) fails a test that loops on hypercalls.
//!
//! - `send`: backpressure, the TX event, lost TX edges (one slice, never a hang), the argument
//!   errors, one attempt per wake-up or slice.
//! - `recv`: the RX wake-up, the waker registered before EMPTY (forced interleavings),
//!   `AlreadyReceiving`, lost RX edges with `recv_with_slice`, errors.
//! - `cancel`: a future dropped after every `Pending`: no message lost, duplicated or
//!   half-sent.
//! - `lifecycle`: start, shutdown (waiters get `Closed`), one-sided endpoints.
//! - `mailbox`: the `AsyncMailbox` and `Mailbox` traits, generic code.

mod cancel;
mod lifecycle;
mod mailbox;
mod recv;
mod send;

use std::boxed::Box;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};
use std::vec::Vec;

use embedded_hal_async::delay::DelayNs;
use gunyah_msgq::{AsyncQueue, CapId, Hypercall, MsgQueue, RawOutput, SendFlags};
use gunyah_msgq_fault::{IrqFault, IrqFaults, When};
use gunyah_msgq_mock::{Endpoint, Guest, Link, LinkConfig, MockHypervisor, MockIrq, model::VmId};

/// The resource manager's link size.
pub const MAX: usize = 240;
/// The link's depth (`LinkConfig::RM_LINK`).
pub const DEPTH: usize = 8;

/// A waker that counts its wake-ups.
#[derive(Default)]
pub struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future polled by hand with a counting waker.
pub struct Hand<'a, T> {
    fut: Pin<Box<dyn Future<Output = T> + 'a>>,
    count: Arc<Count>,
    waker: Waker,
}

impl<'a, T> Hand<'a, T> {
    pub fn new(fut: impl Future<Output = T> + 'a) -> Self {
        let count = Arc::new(Count::default());
        Hand {
            fut: Box::pin(fut),
            waker: Waker::from(Arc::clone(&count)),
            count,
        }
    }

    pub fn poll(&mut self) -> Poll<T> {
        self.fut
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    /// Wake-ups so far.
    pub fn wakes(&self) -> usize {
        self.count.0.load(Ordering::SeqCst)
    }

    /// The waker the future registered, for a spurious wake-up.
    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    #[track_caller]
    pub fn pending(&mut self) {
        assert!(self.poll().is_pending(), "expected Pending");
    }

    #[track_caller]
    pub fn ready(&mut self) -> T {
        match self.poll() {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("expected Ready"),
        }
    }
}

/// A wait slice that ends only when the test says so ([`ManualDelay::elapse`]); records every
/// slice asked for.
#[derive(Clone, Default)]
pub struct ManualDelay(Arc<DelayState>);

#[derive(Default)]
pub struct DelayState {
    ticks: AtomicUsize,
    asked_ns: Mutex<Vec<u32>>,
    waker: Mutex<Option<Waker>>,
}

impl ManualDelay {
    /// Ends every slice in progress.
    pub fn elapse(&self) {
        self.0.ticks.fetch_add(1, Ordering::SeqCst);
        if let Some(w) = self.0.waker.lock().unwrap().take() {
            w.wake();
        }
    }

    /// The slices started so far, in ns.
    pub fn asked_ns(&self) -> Vec<u32> {
        self.0.asked_ns.lock().unwrap().clone()
    }
}

impl DelayNs for ManualDelay {
    async fn delay_ns(&mut self, ns: u32) {
        self.0.asked_ns.lock().unwrap().push(ns);
        let start = self.0.ticks.load(Ordering::SeqCst);
        std::future::poll_fn(|cx| {
            *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.0.ticks.load(Ordering::SeqCst) > start {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

/// A slice that never ends: only an event can end a wait.
pub struct Forever;

impl DelayNs for Forever {
    async fn delay_ns(&mut self, _: u32) {
        std::future::pending().await
    }
}

/// A real timer: each slice is a thread that sleeps, then wakes the task.
pub struct Sleep;

impl DelayNs for Sleep {
    async fn delay_ns(&mut self, ns: u32) {
        let done = Arc::new(Mutex::new((false, None::<Waker>)));
        let timer = Arc::clone(&done);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_nanos(ns.into()));
            let mut d = timer.lock().unwrap();
            d.0 = true;
            if let Some(w) = d.1.take() {
                w.wake();
            }
        });
        std::future::poll_fn(|cx| {
            let mut d = done.lock().unwrap();
            if d.0 {
                Poll::Ready(())
            } else {
                d.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }
}

type Hook = Box<dyn FnOnce() + Send>;

/// Runs a future to completion on this thread, and fails the test if it stays pending for
/// [`HANG`] (a lost wake-up would otherwise hang the test binary).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + HANG;
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        let now = Instant::now();
        assert!(now < deadline, "hung: no wake-up for {HANG:?}");
        thread::park_timeout(deadline - now);
    }
}

/// How long [`block_on`] waits for a wake-up before it calls the future hung.
pub const HANG: Duration = Duration::from_secs(5);

/// More hypercalls than any test makes: a queue that makes them is looping.
const RUNAWAY: u64 = 100_000;

/// The backend of every test queue: VM 1's `Guest`, with a hook that runs right after the
/// next send or receive hypercall returns from the hypervisor and before the queue sees the
/// answer (the point where an interrupt taken at the instruction after `hvc` runs), and a
/// guard against a hypercall loop.
pub struct TestGuest {
    pub inner: Guest,
    after_send: Mutex<Option<Hook>>,
    after_receive: Mutex<Option<Hook>>,
    calls: AtomicU64,
}

impl TestGuest {
    pub fn new(inner: Guest) -> Self {
        TestGuest {
            inner,
            after_send: Mutex::new(None),
            after_receive: Mutex::new(None),
            calls: AtomicU64::new(0),
        }
    }

    fn count(&self) {
        let calls = self.calls.fetch_add(1, Ordering::Relaxed);
        assert!(calls < RUNAWAY, "runaway hypercall loop");
    }

    pub fn after_next_send(&self, hook: impl FnOnce() + Send + 'static) {
        *self.after_send.lock().unwrap() = Some(Box::new(hook));
    }

    pub fn after_next_receive(&self, hook: impl FnOnce() + Send + 'static) {
        *self.after_receive.lock().unwrap() = Some(Box::new(hook));
    }
}

impl Hypercall for TestGuest {
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        self.count();
        let out = self.inner.msgq_send(cap, msg, flags);
        let hook = self.after_send.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        out
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        self.count();
        let out = self.inner.msgq_receive(cap, buf);
        let hook = self.after_receive.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        out
    }

    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        self.inner.msgq_flush(cap)
    }
}

/// The queue under test, on VM 1 of a mock link.
pub type AQ<H = Guest> = AsyncQueue<H, MockIrq, MAX>;

/// How the platform's handlers reach the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edges {
    /// Every edge.
    All,
    /// TX edges dropped from the `n`-th on (`IrqFaults`).
    DropTxFrom(u32),
    /// RX edges dropped from the `n`-th on.
    DropRxFrom(u32),
}

pub struct Rig<H = TestGuest> {
    pub hyp: MockHypervisor,
    pub link: Link,
    pub q: Arc<AQ<H>>,
    pub tx_faults: Arc<IrqFaults>,
    pub rx_faults: Arc<IrqFaults>,
}

impl<H> Rig<H> {
    /// The peer (VM 2).
    pub fn peer(&self) -> &Endpoint {
        &self.link.b
    }

    /// Our endpoint (VM 1).
    pub fn ours(&self) -> &Endpoint {
        &self.link.a
    }
}

impl<H> Drop for Rig<H> {
    fn drop(&mut self) {
        self.hyp.shutdown();
    }
}

fn link(threaded: bool, config: &LinkConfig) -> (MockHypervisor, Link) {
    let hyp = if threaded {
        MockHypervisor::threaded()
    } else {
        MockHypervisor::new()
    };
    let link = hyp.link(VmId(1), VmId(2), config).unwrap();
    (hyp, link)
}

/// A started queue with its handlers installed, on a backend built from VM 1's guest.
pub fn rig_with<H: Hypercall + Send + Sync + 'static>(
    threaded: bool,
    config: &LinkConfig,
    edges: Edges,
    backend: impl FnOnce(Guest) -> H,
) -> Rig<H> {
    let (hyp, link) = link(threaded, config);
    let q = MsgQueue::try_duplex(
        backend(link.a.guest()),
        link.a.tx_config(),
        link.a.rx_config(),
    )
    .unwrap();
    let q = Arc::new(AsyncQueue::new(q));
    let tx_faults = Arc::new(IrqFaults::new());
    let rx_faults = Arc::new(IrqFaults::new());
    match edges {
        Edges::All => {}
        Edges::DropTxFrom(n) => {
            tx_faults.add(When::From(n), IrqFault::Drop, None).unwrap();
        }
        Edges::DropRxFrom(n) => {
            rx_faults.add(When::From(n), IrqFault::Drop, None).unwrap();
        }
    }
    let (weak, faults) = (Arc::downgrade(&q), Arc::clone(&tx_faults));
    link.a.tx_irq().set_handler(move || {
        if let Some(q) = weak.upgrade() {
            faults.deliver(|| q.on_tx_interrupt());
        }
    });
    let (weak, faults) = (Arc::downgrade(&q), Arc::clone(&rx_faults));
    link.a.rx_irq().set_handler(move || {
        if let Some(q) = weak.upgrade() {
            faults.deliver(|| q.on_rx_interrupt());
        }
    });
    q.start().unwrap();
    Rig {
        hyp,
        link,
        q,
        tx_faults,
        rx_faults,
    }
}

/// A started queue on the test guest.
pub fn rig(threaded: bool, edges: Edges) -> Rig {
    rig_with(threaded, &LinkConfig::RM_LINK, edges, TestGuest::new)
}

/// Fills the queue we send into; returns the messages sent.
pub fn fill<H: Hypercall>(q: &AQ<H>) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    for i in 0..DEPTH as u8 {
        let m = vec![b'f', i];
        assert!(matches!(
            q.try_send(&m, SendFlags::NONE),
            Ok(gunyah_msgq::SendOutcome::Sent { .. })
        ));
        sent.push(m);
    }
    assert_eq!(
        q.try_send(b"x", SendFlags::NONE),
        Ok(gunyah_msgq::SendOutcome::WouldBlock)
    );
    sent
}

/// Send hypercalls VM 1 has made.
pub fn sends<H>(r: &Rig<H>) -> u64 {
    r.hyp.call_stats(VmId(1)).sends
}

/// Receive hypercalls VM 1 has made.
pub fn receives<H>(r: &Rig<H>) -> u64 {
    r.hyp.call_stats(VmId(1)).receives
}

/// Runs `f` on a thread and fails the test if it takes longer than `limit` (a hang).
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}

/// A `Forever` that outlives any future borrowing it (zero-sized: nothing is leaked).
pub fn forever() -> &'static mut Forever {
    Box::leak(Box::new(Forever))
}
