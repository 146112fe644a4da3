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
    /// from a lost edge.
    pub slice_us: u32,
    /// How often to look for the TX event while waiting (one `delay_us` step). At least 1.
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
    /// then it retries once. Each retry after a TX event is charged one poll step of the
    /// budget, so a storm of spurious TX interrupts cannot keep it from timing out. Time is
    /// measured by the delays it makes, not by a clock.
    ///
    /// # Errors
    /// [`Error::TimedOut`] if the message was not accepted within `policy.timeout_us` (it was
    /// not sent); [`Error::Closed`] if the queue is or gets shut down while waiting; any
    /// error of [`try_send`](Self::try_send), at once.
    pub fn send_blocking(
        &self,
        msg: &[u8],
        flags: SendFlags,
        delay: &mut impl DelayNs,
        policy: WaitPolicy,
    ) -> Result<(), Error> {
        let poll_us = policy.poll_us.max(1);
        let mut waited: u32 = 0;
        loop {
            let (outcome, epoch) = self.send_once(msg, flags)?;
            if let SendOutcome::Sent { .. } = outcome {
                return Ok(());
            }
            if waited >= policy.timeout_us {
                return Err(Error::TimedOut);
            }
            let slice_end = waited
                .saturating_add(policy.slice_us)
                .min(policy.timeout_us);
            loop {
                let now = self.tx_shared.get();
                if now.state == TxState::Closed {
                    return Err(Error::Closed);
                }
                if now.epoch != epoch {
                    waited = waited.saturating_add(poll_us);
                    break;
                }
                if waited >= slice_end {
                    break;
                }
                let step = poll_us.min(slice_end - waited);
                delay.delay_us(step);
                waited += step;
            }
        }
    }
}
