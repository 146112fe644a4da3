//! The waiting receive: register the RX waker, then `try_recv`; on EMPTY, wait.

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::{Context, Poll};

use embedded_hal_async::delay::DelayNs;

use super::AsyncQueue;
use crate::error::Error;
use crate::hypercall::Hypercall;
use crate::irq::IrqLine;
use crate::mailbox::RecvOutcome;
use crate::sync::ClaimGuard;

impl<H: Hypercall, I: IrqLine, const MAX: usize> AsyncQueue<H, I, MAX> {
    /// Receives one message into `buf`, waiting until one arrives; returns its length
    /// (`1..=buf.len()`, the message is `buf[..len]`).
    ///
    /// Each poll registers the RX waker *before* it receives, so an RX edge that comes
    /// between an EMPTY answer and the wait still wakes it. It makes one receive at the start,
    /// then one per RX interrupt: a poll with no interrupt behind it makes none.
    ///
    /// It waits for the RX interrupt only: a message already queued raises no new edge, so a
    /// lost RX edge would leave it waiting. On a platform that may lose edges, use
    /// [`recv_with_slice`](Self::recv_with_slice).
    ///
    /// # Errors
    /// [`Error::NotConfigured`] and [`Error::BufferTooSmall`] at the first poll;
    /// [`Error::AlreadyReceiving`] while another receive is in progress; [`Error::Closed`] if
    /// the queue is (or gets) shut down; those of [`try_recv`](Self::try_recv) from a receive
    /// ([`Error::RxStuck`], say).
    ///
    /// # Cancel safety
    /// Cancel safe: dropped at any point, no message is lost. A receive that took a message
    /// copied it into `buf` in the same poll that completes the future; otherwise the
    /// message stays in the hypervisor's queue. Dropping the future ends the receive (another
    /// may start).
    ///
    /// # Context
    /// A task. The wake-up it waits for needs the platform's RX handler to call
    /// [`on_rx_interrupt`](Self::on_rx_interrupt).
    ///
    /// # Example
    /// ```
    /// use futures_executor::block_on;
    /// use gunyah_msgq::{AsyncQueue, Error, SendFlags};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = AsyncQueue::<_, _, 240>::new(link.a.msg_queue()?);
    /// link.b.send(b"early", SendFlags::NONE); // queued before start: recv still finds it
    /// q.start()?;
    ///
    /// let mut buf = [0; 240];
    /// let len = block_on(q.recv(&mut buf))?;
    /// assert_eq!(&buf[..len], b"early");
    /// assert_eq!(block_on(q.recv(&mut [0; 8])), Err(Error::BufferTooSmall { len: 8, required: 240 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let _claim = self.claim_rx(buf)?;
        let mut first = true;
        poll_fn(|cx| self.poll_recv(cx, buf, &mut first)).await
    }

    /// [`recv`](Self::recv), which also receives once per `slice_us` microseconds of `delay`
    /// without a wake-up: a lost RX edge costs at most one slice. A `slice_us` of 0 means 1.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// As [`recv`](Self::recv).
    pub async fn recv_with_slice<D: DelayNs>(
        &self,
        buf: &mut [u8],
        delay: &mut D,
        slice_us: u32,
    ) -> Result<usize, Error> {
        let _claim = self.claim_rx(buf)?;
        let slice_us = slice_us.max(1);
        loop {
            // Each slice starts with a receive (the first, or the one the slice ended for).
            let mut first = true;
            let mut slice = pin!(delay.delay_us(slice_us));
            let done = poll_fn(|cx| match self.poll_recv(cx, buf, &mut first) {
                Poll::Ready(result) => Poll::Ready(Some(result)),
                Poll::Pending => slice.as_mut().poll(cx).map(|()| None),
            })
            .await;
            if let Some(result) = done {
                return result;
            }
        }
    }

    /// The argument checks, then the claim of the one receiver.
    fn claim_rx(&self, buf: &[u8]) -> Result<ClaimGuard<'_>, Error> {
        self.queue.check_recv_buffer(buf)?;
        self.rx_claim.try_claim().ok_or(Error::AlreadyReceiving)
    }

    /// Registers the waker, then receives once if this is the `first` poll or an RX event
    /// came since the last one: `Pending` on EMPTY, and on a poll with no event.
    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        first: &mut bool,
    ) -> Poll<Result<usize, Error>> {
        self.rx_event.register(cx.waker());
        // Take the event before the receive: an edge raised after it (a message queued after
        // the receive looked) sets the flag again.
        let event = self.rx_event.take();
        if !core::mem::take(first) && !event {
            return Poll::Pending;
        }
        match self.queue.try_recv(buf) {
            Ok(RecvOutcome::Received { len, .. }) => Poll::Ready(Ok(len)),
            Ok(RecvOutcome::Empty) => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}
