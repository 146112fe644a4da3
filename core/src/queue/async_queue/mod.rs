//! The queue as futures: [`AsyncQueue`] owns a [`MsgQueue`] and lets tasks wait for its
//! interrupts instead of polling or blocking.
//!
//! - [`send`](AsyncQueue::send) (in `send.rs`): `try_send`, and while the queue is full, wait
//!   for the TX event or the end of a wait slice, whichever comes first, then retry once.
//! - [`recv`](AsyncQueue::recv) (in `recv.rs`): register the RX waker, then `try_recv`; on
//!   EMPTY, wait for the RX interrupt's wake-up, then receive again.
//!
//! # Why no wake-up is lost
//! Each waiter registers its waker and only *then* looks at its condition: the TX event count,
//! or the RX event flag and then the RX queue itself through a receive. Each interrupt entry
//! point changes the condition (the TX event count; the RX event flag, after the hypervisor
//! queued the message) and only *then* wakes. `WakerSlot` (`sync.rs`) makes the pair sound:
//! whichever of the two comes second sees the other's. The loom models in
//! `tests/loom/async_waits.rs` check both races.
//!
//! # Why a poll without an event costs nothing
//! An executor may poll a future that nobody woke (a `join` polls every branch when one is
//! woken). The send looks at the TX event count, the receive at the RX event flag: neither
//! makes a hypercall unless its event came or its wait slice ended.

mod recv;
mod send;

use super::{MsgQueue, TxState};
use crate::SendFlags;
use crate::error::Error;
use crate::hypercall::Hypercall;
use crate::irq::IrqLine;
use crate::mailbox::{ErrorType, Mailbox, RecvOutcome, SendOutcome};
use crate::stats::Stats;
use crate::sync::{Claim, Signal, WakerSlot};

/// A [`MsgQueue`] whose sends and receives are futures, woken by the queue's interrupts
/// (feature `async`).
///
/// It owns the queue and is the *receive-into-buffer* mode: a task receives each message into
/// its own buffer with [`recv`](Self::recv), and the interrupt entry points
/// ([`on_tx_interrupt`](Self::on_tx_interrupt), [`on_rx_interrupt`](Self::on_rx_interrupt))
/// only do the queue's bookkeeping and wake the waiting task; they make no hypercall. The
/// drain-callback mode (a handler that drains the RX queue into a callback) stays on
/// [`MsgQueue`]: the two are exclusive by type, so no message can go to a callback while a task
/// waits for it.
///
/// Like [`MsgQueue`], every method takes `&self` and [`new`](Self::new) is `const`: the queue
/// lives in a `static`, and tasks and interrupt handlers use it at once. Nothing allocates and
/// no runtime is assumed: any executor that polls futures with a [`Waker`](core::task::Waker)
/// works.
///
/// # Waiting without hanging
/// - A full queue: [`send`](Self::send) waits for the TX event, and retries at least once per
///   wait slice (timed by the caller's [`DelayNs`]) even without one, so a lost TX edge costs
///   at most one slice. It makes at most one send hypercall per wake-up or per slice.
/// - An empty queue: [`recv`](Self::recv) waits for the RX interrupt. Messages already queued
///   raise no new edge, so a platform that may lose RX edges should use
///   [`recv_with_slice`](Self::recv_with_slice), which also retries once per slice.
/// - [`shutdown`](Self::shutdown) wakes both waiters; they return [`Error::Closed`].
///
/// For a timeout, race the future against a timer and drop it: both are cancel safe.
///
/// # Cancel safety
/// - A dropped [`send`](Self::send) never leaves a half-sent message: each attempt is one
///   synchronous hypercall inside one poll, so when the future is dropped the message was
///   either accepted (the future had already completed with `Ok`) or never offered.
/// - A dropped [`recv`](Self::recv) loses no message: each receive is one synchronous
///   hypercall inside one poll, and a message it takes is in `buf` before the future
///   completes; otherwise the message stays in the hypervisor's queue for the next receive.
/// - A dropped receive gives its claim back: the next one is not refused with
///   [`Error::AlreadyReceiving`].
///
/// # One receiver
/// One task receives at a time: a receive (or [`try_recv`](Self::try_recv)) made while another
/// [`recv`](Self::recv) future is alive gets [`Error::AlreadyReceiving`]. Any number of tasks
/// may send; each waits for the TX event in turn (the slot holds one waker, so with several
/// senders waiting, the others fall back on their wait slice).
///
/// # Example
/// On the simulated hypervisor, with interrupts delivered inline:
/// ```
/// use std::sync::Arc;
/// use embedded_hal_async::delay::DelayNs;
/// use futures_executor::block_on;
/// use gunyah_msgq::{AsyncQueue, SendFlags};
/// use gunyah_msgq_mock::{Guest, LinkConfig, MockHypervisor, MockIrq, model::VmId};
///
/// /// A host timer for the wait slices (a platform passes its own).
/// struct Sleep;
/// impl DelayNs for Sleep {
///     async fn delay_ns(&mut self, ns: u32) {
///         std::thread::sleep(std::time::Duration::from_nanos(ns.into()));
///     }
/// }
///
/// let hyp = MockHypervisor::new();
/// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
/// let q: Arc<AsyncQueue<Guest, MockIrq, 240>> = Arc::new(AsyncQueue::new(link.a.msg_queue()?));
///
/// // The platform's interrupt handlers call the entry points.
/// let tx = Arc::clone(&q);
/// link.a.tx_irq().set_handler(move || tx.on_tx_interrupt());
/// let rx = Arc::clone(&q);
/// link.a.rx_irq().set_handler(move || rx.on_rx_interrupt());
/// q.start()?;
///
/// block_on(q.send(b"ping", SendFlags::PUSH, &mut Sleep, 1_000))?;
/// assert_eq!(link.b.recv()?, Some(b"ping".to_vec()));
///
/// link.b.send(b"pong", SendFlags::PUSH);
/// let mut buf = [0; 240];
/// let len = block_on(q.recv(&mut buf))?;
/// assert_eq!(&buf[..len], b"pong");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`DelayNs`]: embedded_hal_async::delay::DelayNs
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub struct AsyncQueue<H, I, const MAX: usize> {
    queue: MsgQueue<H, I, MAX>,
    /// The sender waiting for the TX event.
    tx_waker: WakerSlot,
    /// The receiver waiting for the RX interrupt, and whether one came.
    rx_event: Signal,
    /// Held by the one receive in progress.
    rx_claim: Claim,
}

impl<H, I, const MAX: usize> AsyncQueue<H, I, MAX> {
    const_unless_loom! {
        /// Wraps `queue` (built with any of [`MsgQueue`]'s constructors, not started).
        ///
        /// ```
        /// # use gunyah_msgq::*;
        /// # struct Hvc;
        /// # impl Hypercall for Hvc {
        /// #     fn msgq_send(&self, _: CapId, _: &[u8], _: SendFlags) -> RawOutput { RawOutput::sent(true) }
        /// #     fn msgq_receive(&self, _: CapId, _: &mut [u8]) -> RawOutput {
        /// #         RawOutput::failed(GunyahError::MsgqueueEmpty)
        /// #     }
        /// #     fn msgq_flush(&self, _: CapId) -> RawOutput { RawOutput::ok() }
        /// # }
        /// # #[derive(Clone, Copy)] struct Line;
        /// # impl IrqLine for Line { fn enable(&self) {} fn disable(&self) {} }
        /// use core::num::NonZeroU8;
        ///
        /// static RM: AsyncQueue<Hvc, Line, RM_MSG_SIZE> = AsyncQueue::new(MsgQueue::duplex(
        ///     Hvc,
        ///     TxConfig::new(CapId(0x10), Line, RM_MSG_SIZE),
        ///     RxConfig::new(CapId(0x11), Line, NonZeroU8::new(8).unwrap(), RM_MSG_SIZE),
        /// ));
        ///
        /// // The platform's interrupt handlers:
        /// fn tx_irq() { RM.on_tx_interrupt() }
        /// fn rx_irq() { RM.on_rx_interrupt() }
        /// ```
        pub fn new(queue: MsgQueue<H, I, MAX>) -> Self {
            AsyncQueue {
                queue,
                tx_waker: WakerSlot::new(),
                rx_event: Signal::new(),
                rx_claim: Claim::new(),
            }
        }
    }

    /// The TX state (see [`MsgQueue::tx_state`]).
    pub fn tx_state(&self) -> TxState {
        self.queue.tx_state()
    }

    /// A snapshot of the diagnostic counters (see [`MsgQueue::stats`]).
    pub fn stats(&self) -> Stats {
        self.queue.stats()
    }

    /// The backend, for tests and diagnostics.
    pub const fn hypercall(&self) -> &H {
        self.queue.hypercall()
    }

    /// The largest message a send accepts; `None` on a receive-only endpoint (see
    /// [`MsgQueue::tx_max_msg_size`]).
    pub fn tx_max_msg_size(&self) -> Option<usize> {
        self.queue.tx_max_msg_size()
    }
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> AsyncQueue<H, I, MAX> {
    /// Starts the queue: unmasks its lines (a level TX line only while `Full`).
    ///
    /// Unlike [`MsgQueue::start`] it drains nothing: messages queued before start stay in the
    /// hypervisor's queue, and the first [`recv`](Self::recv) takes them (it receives before
    /// it waits).
    ///
    /// # Errors
    /// [`Error::Closed`] after shutdown, or if a shutdown on another CPU overtakes it.
    ///
    /// # Context
    /// From a task, once, after the platform's handlers are installed. Never blocks, no
    /// hypercall.
    pub fn start(&self) -> Result<(), Error> {
        self.queue.enable_lines().map(|_| ())
    }

    /// Shuts the queue down (see [`MsgQueue::shutdown`]) and wakes both waiters: a waiting
    /// [`send`](Self::send) or [`recv`](Self::recv) returns [`Error::Closed`]. Closing is
    /// final.
    ///
    /// # Context
    /// Any context, any CPU: one short critical section, no hypercall.
    ///
    /// # Example
    /// ```
    /// use core::pin::pin;
    /// use core::task::{Context, Poll, Waker};
    /// use gunyah_msgq::{AsyncQueue, Error};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = AsyncQueue::<_, _, 240>::new(link.a.msg_queue()?);
    /// q.start()?;
    ///
    /// let mut buf = [0; 240];
    /// let mut recv = pin!(q.recv(&mut buf));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(recv.as_mut().poll(&mut cx).is_pending()); // nothing queued: it waits
    /// q.shutdown();
    /// assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Err(Error::Closed)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self) {
        self.queue.shutdown();
        self.tx_waker.wake();
        self.rx_event.raise();
    }

    /// The TX interrupt entry point: call it from the platform's handler for the TX vIRQ.
    ///
    /// Does the queue's bookkeeping ([`MsgQueue::on_tx_interrupt`]: `Full` → `Ready`, the
    /// event count, a level line's mask), then wakes the waiting sender, which retries.
    ///
    /// # Context
    /// Made for interrupt context: one short critical section, no hypercall, never blocks.
    pub fn on_tx_interrupt(&self) {
        self.queue.on_tx_interrupt();
        self.tx_waker.wake();
    }

    /// The RX interrupt entry point: call it from the platform's handler for the RX vIRQ.
    ///
    /// Acknowledges the line, records the event and wakes the waiting receiver, which
    /// receives; it makes no hypercall itself (the messages wait in the hypervisor's queue for
    /// the receiver).
    ///
    /// # Context
    /// Made for interrupt context: no critical section, no hypercall, never blocks.
    pub fn on_rx_interrupt(&self) {
        if let Some(rx) = &self.queue.rx {
            rx.irq.acknowledge();
        }
        self.rx_event.raise();
    }

    /// Offers `msg` to the hypervisor once, without waiting (see [`MsgQueue::try_send`]).
    ///
    /// # Errors
    /// As [`MsgQueue::try_send`].
    pub fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, Error> {
        self.queue.try_send(msg, flags)
    }

    /// Receives one message into `buf` without waiting (see [`MsgQueue::try_recv`]).
    ///
    /// # Errors
    /// [`Error::AlreadyReceiving`] while a [`recv`](Self::recv) future is alive (the message
    /// would be taken from under it); otherwise as [`MsgQueue::try_recv`].
    pub fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Error> {
        let _claim = self.rx_claim.try_claim().ok_or(Error::AlreadyReceiving)?;
        self.queue.try_recv(buf)
    }

    /// Drops every message queued in the RX queue (see [`MsgQueue::flush_rx`]), for example
    /// to recover from [`Error::RxStuck`].
    ///
    /// # Errors
    /// As [`MsgQueue::flush_rx`].
    pub fn flush_rx(&self) -> Result<(), Error> {
        self.queue.flush_rx()
    }
}

impl<H, I, const MAX: usize> ErrorType for AsyncQueue<H, I, MAX> {
    type Error = Error;
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> Mailbox for AsyncQueue<H, I, MAX> {
    fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, Error> {
        AsyncQueue::try_send(self, msg, flags)
    }

    fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Error> {
        AsyncQueue::try_recv(self, buf)
    }
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> crate::mailbox::AsyncMailbox
    for AsyncQueue<H, I, MAX>
{
    async fn send<D: embedded_hal_async::delay::DelayNs>(
        &self,
        msg: &[u8],
        flags: SendFlags,
        delay: &mut D,
        slice_us: u32,
    ) -> Result<(), Error> {
        AsyncQueue::send(self, msg, flags, delay, slice_us).await
    }

    async fn recv(&self, buf: &mut [u8]) -> Result<usize, Error> {
        AsyncQueue::recv(self, buf).await
    }
}
