//! A send that waits for room, with a timeout, on any `embedded_hal::delay::DelayNs`.

use embedded_hal::delay::DelayNs;

use super::{MsgQueue, TxState};
use crate::SendFlags;
use crate::error::Error;
use crate::hypercall::Hypercall;
use crate::irq::IrqLine;
use crate::mailbox::SendOutcome;

/// How a blocking send waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WaitPolicy {
    /// Give up after this many microseconds of waiting.
    pub timeout_us: u32,
    /// Retry the hypercall at least once per slice, even without a TX event: this recovers
    /// from a lost edge. A slice is never shorter than one step (`0` means one step).
    pub slice_us: u32,
    /// How often to look for the TX event while waiting (one `delay_us` step). `0` means 1.
    pub poll_us: u32,
}

impl WaitPolicy {
    /// Waits up to `timeout_us`, retrying every millisecond, looking for the TX event every
    /// 10 µs.
    pub const fn timeout_us(timeout_us: u32) -> Self {
        WaitPolicy {
            timeout_us,
            slice_us: 1_000,
            poll_us: 10,
        }
    }
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> MsgQueue<H, I, MAX> {
    /// Sends `msg`, waiting while the queue is full.
    ///
    /// While `Full` it makes no hypercall until the TX event arrives or one wait slice ends;
    /// then it retries once. Every retry is charged at least one poll step of the budget, so
    /// neither a storm of spurious TX interrupts nor a zero `slice_us` can keep it from timing
    /// out: whatever the policy's values, it gives up once it has waited `timeout_us`, having
    /// waited at most one step more. Time is measured by the delays it makes, not by a clock.
    ///
    /// # Errors
    /// [`Error::TimedOut`] if the message was not accepted within `policy.timeout_us` (it was
    /// not sent); [`Error::Closed`] if the queue is or gets shut down while waiting; any
    /// error of [`try_send`](Self::try_send), at once.
    ///
    /// # Context
    /// Blocks (through `delay`) for up to `policy.timeout_us`: call it from a task, never from
    /// an interrupt handler (the TX event it waits for may need that handler to run).
    ///
    /// # Example
    /// ```
    /// use gunyah_msgq::{Error, SendFlags, WaitPolicy};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, StdDelay, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?; // depth 8
    /// let q = link.a.msg_queue::<240>()?;
    /// let policy = WaitPolicy::timeout_us(2_000);
    /// for _ in 0..8 {
    ///     q.send_blocking(b"m", SendFlags::NONE, &mut StdDelay, policy)?;
    /// }
    /// // Nobody drains the peer's side: the ninth gives up after 2 ms.
    /// assert_eq!(q.send_blocking(b"m", SendFlags::NONE, &mut StdDelay, policy), Err(Error::TimedOut));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_blocking(
        &self,
        msg: &[u8],
        flags: SendFlags,
        delay: &mut impl DelayNs,
        policy: WaitPolicy,
    ) -> Result<(), Error> {
        let step_us = policy.poll_us.max(1);
        let slice_us = policy.slice_us.max(step_us);
        let mut waited: u32 = 0;
        loop {
            let (outcome, tx_events) = self.send_once(msg, flags)?;
            if let SendOutcome::Sent { .. } = outcome {
                return Ok(());
            }
            if waited >= policy.timeout_us {
                return Err(Error::TimedOut);
            }
            // `waited < timeout_us`, so the slice is at least 1 µs long: every pass of the
            // outer loop adds to `waited`, and the loop ends.
            let slice_end = waited.saturating_add(slice_us).min(policy.timeout_us);
            loop {
                let now = self.tx_shared.get();
                if now.state == TxState::Closed {
                    return Err(Error::Closed);
                }
                if now.tx_events != tx_events {
                    waited = waited.saturating_add(step_us);
                    break;
                }
                if waited >= slice_end {
                    break;
                }
                let step = step_us.min(slice_end - waited);
                delay.delay_us(step);
                waited += step;
            }
        }
    }
}
