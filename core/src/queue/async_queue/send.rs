//! The waiting send: `try_send`, then the TX event or a wait slice, then once more.

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use embedded_hal_async::delay::DelayNs;

use super::AsyncQueue;
use crate::SendFlags;
use crate::error::Error;
use crate::hypercall::Hypercall;
use crate::irq::IrqLine;
use crate::mailbox::SendOutcome;
use crate::queue::TxState;

impl<H: Hypercall, I: IrqLine, const MAX: usize> AsyncQueue<H, I, MAX> {
    /// Sends `msg`, waiting while the queue is full.
    ///
    /// Each attempt is one [`try_send`](Self::try_send). While the queue is full the future
    /// registers its waker, then sleeps until the TX interrupt wakes it *or* `slice_us`
    /// microseconds of `delay` pass, whichever comes first, and then makes one more attempt.
    /// So a lost TX edge costs at most one slice, and there is never more than one attempt
    /// per wake-up or per slice (a wake-up with no TX event behind it makes none). A
    /// `slice_us` of 0 means 1.
    ///
    /// The argument errors come first, as in [`try_send`](Self::try_send): an empty or
    /// oversized message fails at the first poll, before any hypercall.
    ///
    /// # Errors
    /// Those of [`try_send`](Self::try_send), at once; [`Error::Closed`] if the queue is shut
    /// down while the future waits. It has no timeout of its own: race it against a timer.
    ///
    /// # Cancel safety
    /// Cancel safe: dropped at any point, the message was either accepted (and the future had
    /// completed) or never offered. Nothing is retried behind the caller's back.
    ///
    /// # Context
    /// A task. The TX event it waits for needs the platform's TX handler to call
    /// [`on_tx_interrupt`](Self::on_tx_interrupt).
    ///
    /// # Example
    /// ```
    /// use core::pin::pin;
    /// use core::task::{Context, Waker};
    /// use embedded_hal_async::delay::DelayNs;
    /// use gunyah_msgq::{AsyncQueue, SendFlags, SendOutcome};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// /// A slice that never ends by itself: only the TX event can end the wait.
    /// struct Forever;
    /// impl DelayNs for Forever {
    ///     async fn delay_ns(&mut self, _: u32) { core::future::pending().await }
    /// }
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?; // depth 8
    /// let q = AsyncQueue::<_, _, 240>::new(link.a.msg_queue()?);
    /// q.start()?;
    /// while q.try_send(b"x", SendFlags::NONE)? != SendOutcome::WouldBlock {}
    ///
    /// let mut delay = Forever;
    /// let mut send = pin!(q.send(b"late", SendFlags::PUSH, &mut delay, 1_000));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(send.as_mut().poll(&mut cx).is_pending()); // full: it waits
    ///
    /// link.b.drain(); // the peer makes room; the hypervisor raises the TX vIRQ
    /// q.on_tx_interrupt(); // what the platform's TX handler calls
    /// assert!(send.as_mut().poll(&mut cx).is_ready());
    /// assert_eq!(link.b.recv()?, Some(b"late".to_vec()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn send<D: DelayNs>(
        &self,
        msg: &[u8],
        flags: SendFlags,
        delay: &mut D,
        slice_us: u32,
    ) -> Result<(), Error> {
        let slice_us = slice_us.max(1);
        loop {
            let (outcome, tx_events) = self.queue.send_once(msg, flags)?;
            if let SendOutcome::Sent { .. } = outcome {
                return Ok(());
            }
            self.wait_tx(tx_events, delay, slice_us).await?;
        }
    }

    /// Waits until the TX event count moves on from `tx_events` (the count read before the
    /// send that found the queue full), the queue closes, or one slice ends.
    async fn wait_tx<D: DelayNs>(
        &self,
        tx_events: u16,
        delay: &mut D,
        slice_us: u32,
    ) -> Result<(), Error> {
        let mut slice = pin!(delay.delay_us(slice_us));
        poll_fn(|cx| {
            // Register, then look: an interrupt that counted its event before this load is
            // seen here; one that counts it after wakes the waker just registered.
            self.tx_waker.register(cx.waker());
            let now = self.queue.tx_shared.get();
            if now.state == TxState::Closed {
                return Poll::Ready(Err(Error::Closed));
            }
            if now.tx_events != tx_events {
                return Poll::Ready(Ok(()));
            }
            slice.as_mut().poll(cx).map(Ok)
        })
        .await
    }
}
