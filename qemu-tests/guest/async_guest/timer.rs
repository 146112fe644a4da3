//! An async [`DelayNs`] on the generic timer, for the wait slices of `AsyncQueue::send` and
//! `recv_with_slice`: a future that is ready once CNTVCT_EL0 passed its deadline, and that
//! asks [`executor::block_on`] to poll it again then ([`executor::wake_at`]).
//!
//! Why no timer interrupt: the virtual timer's PPI 27 is a physical interrupt, and the model
//! routes physical IRQs to EL2 (HCR_EL2.IMO), never enables a physical group there and does
//! not forward them as vIRQs (`el2/vectors.rs` logs and drops one). So nothing would wake a
//! `wfi` at the deadline on a real CPU; under the model every `wfi` traps and returns, and the
//! executor's sleep loop compares the counter with the deadline once per round. The wait is
//! therefore a bounded spin of `wfi` traps (at most the slice), with no msgq hypercall in it:
//! the send retries only when its slice ended or its TX event came. On a hypervisor that
//! forwards the virtual timer, `wake_at` would program CNTV_CVAL_EL0/CNTV_CTL_EL0 instead.

use core::future::poll_fn;
use core::task::Poll;

use embedded_hal_async::delay::DelayNs;

use super::executor;
use crate::bench::clock::{cntfrq, counter};
use crate::delay::CounterDelay;

/// The generic timer's async delay. Holds nothing; only for futures run by
/// [`executor::block_on`] (the deadline is its to watch).
#[derive(Clone, Copy, Debug, Default)]
pub struct TimerDelay;

impl DelayNs for TimerDelay {
    async fn delay_ns(&mut self, ns: u32) {
        let deadline = counter().saturating_add(CounterDelay::ticks(ns, cntfrq()));
        poll_fn(|_| {
            if counter() >= deadline {
                Poll::Ready(())
            } else {
                executor::wake_at(deadline);
                Poll::Pending
            }
        })
        .await;
    }
}
