//! A minimal executor for one future on one CPU: [`block_on`] polls, and between polls sleeps
//! with `wfi` until the waker fired or the [`timer`](super::timer) deadline passed.
//!
//! # The waker
//! Every [`Waker`] it hands out sets one static flag ([`WOKEN`]); there is one task, so the
//! flag says all there is to say. Nothing allocates: the waker's data pointer is null and its
//! vtable is a static.
//!
//! # The sleep (no lost wake-up)
//! IRQs masked, the flag and the deadline checked, then `wfi`, then IRQs unmasked: an
//! interrupt that comes after the check stays pending, ends the `wfi` (a pending interrupt
//! wakes it even while PSTATE.I masks it), and is taken at the unmask, where its handler sets
//! the flag. Under the model every `wfi` traps (HCR_EL2.TWI) and returns after the model
//! delivered what is due, so one sleep round is one trap.
//!
//! # The idle hook
//! The model's other VM has no CPU and the model has no clock: the peer acts only when the
//! guest asks. The caller's `idle(round)` runs in each sleep round, IRQs masked, right before
//! the `wfi`: that is where a case lets the peer act "while this VM sleeps"; what the peer's
//! action raises (a vIRQ) is pending at the `wfi` and taken at the unmask after it.

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::bench::clock::counter;
use crate::irq;

/// Set by every wake; cleared by [`block_on`] before each poll.
static WOKEN: AtomicBool = AtomicBool::new(false);
/// The earliest counter value a timer future of the task asked to be woken at (`u64::MAX`:
/// none). Cleared before each poll: a pending timer future arms it again when polled.
static DEADLINE: AtomicU64 = AtomicU64::new(u64::MAX);
/// Whether the CPU is in a sleep round (from the `wfi` to the unmask after it), for handlers
/// that record where they were taken.
static SLEEPING: AtomicBool = AtomicBool::new(false);

fn raw_clone(_: *const ()) -> RawWaker {
    RawWaker::new(ptr::null(), &VTABLE)
}

fn raw_wake(_: *const ()) {
    WOKEN.store(true, SeqCst);
}

fn raw_drop(_: *const ()) {}

static VTABLE: RawWakerVTable = RawWakerVTable::new(raw_clone, raw_wake, raw_wake, raw_drop);

/// The task's waker.
fn waker() -> Waker {
    // SAFETY: the vtable's functions ignore the data pointer (null), touch only a static
    // atomic, and may be called from any context (interrupt handlers included); `raw_clone`
    // returns the same vtable, `raw_drop` has nothing to free. That is the `RawWaker`
    // contract.
    unsafe { Waker::from_raw(RawWaker::new(ptr::null(), &VTABLE)) }
}

/// Asks [`block_on`] to poll again once the counter (CNTVCT_EL0) reaches `deadline`.
pub fn wake_at(deadline: u64) {
    DEADLINE.fetch_min(deadline, SeqCst);
}

/// Whether an interrupt handler running now was taken in a sleep round.
pub fn sleeping() -> bool {
    SLEEPING.load(SeqCst)
}

/// What [`block_on`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Polls of the future.
    pub polls: u32,
    /// Sleep rounds (`wfi`s).
    pub rounds: u32,
    /// Polls made because a timer deadline passed (the others: a wake).
    pub deadline_polls: u32,
}

/// [`block_on`] gave up: `max_rounds` sleep rounds passed without the future completing.
#[derive(Clone, Copy, Debug)]
pub struct Stalled(pub Stats);

/// Runs `fut` to completion on this CPU; its output and what it took. IRQs must be unmasked
/// (the handlers are the wakers' callers); they are unmasked again on return.
///
/// # Errors
/// [`Stalled`] after `max_rounds` sleep rounds without completion (the future is dropped):
/// a case fails instead of hanging the boot.
pub fn block_on<F: Future>(
    fut: F,
    mut idle: impl FnMut(u32),
    max_rounds: u32,
) -> Result<(F::Output, Stats), Stalled> {
    let mut fut = pin!(fut);
    let waker = waker();
    let mut cx = Context::from_waker(&waker);
    let mut stats = Stats::default();
    loop {
        WOKEN.store(false, SeqCst);
        DEADLINE.store(u64::MAX, SeqCst);
        stats.polls += 1;
        if let Poll::Ready(output) = fut.as_mut().poll(&mut cx) {
            return Ok((output, stats));
        }
        loop {
            irq::mask();
            if WOKEN.load(SeqCst) {
                irq::unmask();
                break;
            }
            if counter() >= DEADLINE.load(SeqCst) {
                stats.deadline_polls += 1;
                irq::unmask();
                break;
            }
            if stats.rounds == max_rounds {
                irq::unmask();
                return Err(Stalled(stats));
            }
            idle(stats.rounds);
            stats.rounds += 1;
            SLEEPING.store(true, SeqCst);
            // SAFETY: `wfi` only waits for an interrupt (pending or to come); IRQs are masked
            // in PSTATE, so none is taken before the unmask below.
            unsafe { core::arch::asm!("wfi", options(nostack)) };
            // The interrupt that ended the `wfi`, if any, is taken here.
            irq::unmask();
            SLEEPING.store(false, SeqCst);
        }
    }
}

/// Both futures, polled in turn each time the task is polled (a branch that completed is not
/// polled again); both outputs.
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let mut out_a = None;
    let mut out_b = None;
    poll_fn(|cx| {
        if out_a.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            out_a = Some(v);
        }
        if out_b.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            out_b = Some(v);
        }
        match (out_a.take(), out_b.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                out_a = x;
                out_b = y;
                Poll::Pending
            }
        }
    })
    .await
}
