//! `send_blocking`: waits for the TX event (or the end of a wait slice) before retrying,
//! bounded by its timeout, on a fake `DelayNs` whose clock only moves when the queue waits.

mod common;

use std::sync::{Arc, Weak};
use std::vec::Vec;

use common::*;
use gunyah_msgq::mock::{MockHypercall, MockIrqLine};
use gunyah_msgq::{Error, GunyahError, RawOutput, SendFlags, Stats, TxState, WaitPolicy};

/// `msgq_send` answers `replies` in order, exactly once each, and logs the fake-clock time
/// of each call.
fn timed_queue(clock: &Clock, log: &CallLog, replies: Vec<RawOutput>) -> Q {
    let mut hyp = MockHypercall::new();
    timed_send(&mut hyp, clock, log, replies);
    duplex(hyp)
}

fn timed_send(hyp: &mut MockHypercall, clock: &Clock, log: &CallLog, replies: Vec<RawOutput>) {
    let (clock, log) = (clock.clone(), log.clone());
    let n = replies.len();
    let mut replies = replies.into_iter();
    hyp.expect_msgq_send()
        .withf(|cap, msg, flags| *cap == TX_CAP && msg == b"msg" && *flags == SendFlags::PUSH)
        .times(n)
        .returning(move |_, _, _| {
            log.record(clock.now_us());
            replies.next().unwrap()
        });
}

/// A line for a queue that a test shuts down: masking is expected exactly once.
fn line_masked_once() -> MockIrqLine {
    let mut line = ack_only_line();
    line.expect_disable().times(1).return_const(());
    line
}

fn policy(timeout_us: u32, slice_us: u32, poll_us: u32) -> WaitPolicy {
    WaitPolicy {
        timeout_us,
        slice_us,
        poll_us,
    }
}

fn fulls(n: usize) -> Vec<RawOutput> {
    vec![err(FULL); n]
}

#[test]
fn blocking_send_with_room_sends_at_once_without_waiting() {
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, vec![RawOutput::sent(true)]);
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(100, 30, 10));
    assert_eq!(r, Ok(()));
    assert_eq!(log.times(), [0]);
    assert!(delay.steps_us.is_empty());
    assert_eq!(q.stats().sent, 1);
}

#[test]
fn blocking_send_that_fills_the_queue_is_done() {
    // "Sent, now full" is a success: no retry, no wait.
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, vec![RawOutput::sent(false)]);
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(100, 30, 10));
    assert_eq!(r, Ok(()));
    assert_eq!(log.times(), [0]);
    assert_eq!(q.tx_state(), TxState::Full);
}

#[test]
fn blocking_send_makes_no_hypercall_while_full_until_the_tx_event() {
    // FULL at t=0; the receiver drains and the TX interrupt fires at t=25. The sender looks
    // for it every 10 µs, so it sees it after the step that ends at t=30 and retries once,
    // then: no hypercall in between, although the slice (1000 µs) is far from over.
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, vec![err(FULL), RawOutput::sent(true)]);
    let mut fired = false;
    let mut delay = FakeDelay::new(clock.clone(), |now| {
        if now >= 25 && !fired {
            fired = true;
            q.on_tx_interrupt();
        }
    });
    let r = q.send_blocking(
        b"msg",
        SendFlags::PUSH,
        &mut delay,
        policy(10_000, 1_000, 10),
    );
    assert_eq!(r, Ok(()));
    assert_eq!(log.times(), [0, 30]);
    assert_eq!(delay.steps_us, [10, 10, 10]);
    assert_eq!(
        q.stats(),
        Stats {
            sent: 1,
            would_block: 1,
            ..Stats::default()
        }
    );
}

#[test]
fn blocking_send_retries_once_per_wait_slice_without_a_tx_event() {
    // The TX edge is lost: the sender still retries once at the end of each 30 µs slice,
    // and the third try finds room.
    let (clock, log) = (Clock::default(), CallLog::default());
    let replies = vec![err(FULL), err(FULL), RawOutput::sent(true)];
    let q = timed_queue(&clock, &log, replies);
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(1_000, 30, 10));
    assert_eq!(r, Ok(()));
    assert_eq!(log.times(), [0, 30, 60]);
    assert_eq!(delay.steps_us, [10; 6]);
}

#[test]
fn blocking_send_times_out_and_the_message_is_not_sent() {
    // Always FULL: one try per slice (0, 30, 60, 90) and a last one when the 100 µs budget
    // is spent; the last slice is cut to the budget.
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, fulls(5));
    let mut delay = FakeDelay::new(clock.clone(), no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(100, 30, 10));
    assert_eq!(r, Err(Error::TimedOut));
    assert_eq!(log.times(), [0, 30, 60, 90, 100]);
    assert_eq!(delay.steps_us, [10; 10]);
    assert_eq!(clock.now_us(), 100);
    assert_eq!(
        q.stats(),
        Stats {
            would_block: 5,
            ..Stats::default()
        }
    );
}

#[test]
fn blocking_send_cuts_poll_steps_at_slice_ends_and_at_the_timeout() {
    // Poll steps of 7 µs do not divide the 20 µs slice or the 50 µs timeout: the last step
    // of each slice is shortened so that retries happen exactly at 20, 40 and 50.
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, fulls(4));
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(50, 20, 7));
    assert_eq!(r, Err(Error::TimedOut));
    assert_eq!(log.times(), [0, 20, 40, 50]);
    assert_eq!(delay.steps_us, [7, 7, 6, 7, 7, 6, 7, 3]);
}

#[test]
fn blocking_send_with_a_slice_longer_than_the_timeout_waits_only_the_timeout() {
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, fulls(2));
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(25, 1_000, 10));
    assert_eq!(r, Err(Error::TimedOut));
    assert_eq!(log.times(), [0, 25]);
    assert_eq!(delay.steps_us, [10, 10, 5]);
}

#[test]
fn blocking_send_with_zero_timeout_tries_exactly_once() {
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, fulls(1));
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(0, 30, 10));
    assert_eq!(r, Err(Error::TimedOut));
    assert_eq!(log.times(), [0]);
    assert!(delay.steps_us.is_empty());
}

#[test]
fn blocking_send_treats_a_zero_poll_step_as_one_microsecond() {
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, fulls(2));
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(3, 3, 0));
    assert_eq!(r, Err(Error::TimedOut));
    assert_eq!(log.times(), [0, 3]);
    assert_eq!(delay.steps_us, [1, 1, 1]);
}

#[test]
fn blocking_send_returns_closed_when_shut_down_while_waiting() {
    // The queue is shut down at t=25 while the sender waits for room: it wakes up with
    // Closed at its next look (t=30) and never calls the hypervisor again.
    let (clock, log) = (Clock::default(), CallLog::default());
    let mut hyp = MockHypercall::new();
    timed_send(&mut hyp, &clock, &log, fulls(1));
    let q = duplex_with(hyp, line_masked_once(), line_masked_once());
    let mut done = false;
    let mut delay = FakeDelay::new(clock.clone(), |now| {
        if now >= 25 && !done {
            done = true;
            q.shutdown();
        }
    });
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(1_000, 100, 10));
    assert_eq!(r, Err(Error::Closed));
    assert_eq!(log.times(), [0]);
    assert_eq!(clock.now_us(), 30);
}

#[test]
fn blocking_send_on_a_closed_queue_returns_closed_without_hypercall() {
    let q = duplex_with(MockHypercall::new(), line_masked_once(), line_masked_once());
    q.shutdown();
    let mut delay = FakeDelay::new(Clock::default(), no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(100, 30, 10));
    assert_eq!(r, Err(Error::Closed));
    assert!(delay.steps_us.is_empty());
}

#[test]
fn blocking_send_returns_a_hypervisor_error_at_once() {
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, vec![err(31)]);
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(100, 30, 10));
    assert_eq!(r, Err(Error::Hypervisor(GunyahError::Busy)));
    assert_eq!(log.times(), [0]);
    assert!(delay.steps_us.is_empty());
}

#[test]
fn blocking_send_returns_a_hypervisor_error_of_a_retry_at_once() {
    // The error comes on the second try, after a wait: it is returned, not waited out.
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, vec![err(FULL), err(52)]);
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(100, 30, 10));
    assert_eq!(
        r,
        Err(Error::Hypervisor(GunyahError::CspaceWrongObjectType))
    );
    assert_eq!(log.times(), [0, 30]);
}

#[test]
fn blocking_send_rejects_bad_sizes_without_hypercall_or_wait() {
    let q = duplex(MockHypercall::new());
    let mut delay = FakeDelay::new(Clock::default(), no_hook);
    let p = policy(100, 30, 10);
    assert_eq!(
        q.send_blocking(b"", SendFlags::NONE, &mut delay, p),
        Err(Error::EmptyMessage)
    );
    assert_eq!(
        q.send_blocking(&[0; MAX + 1], SendFlags::NONE, &mut delay, p),
        Err(Error::MessageTooLarge {
            len: MAX + 1,
            max: MAX
        })
    );
    assert!(delay.steps_us.is_empty());
}

#[test]
fn spurious_tx_storm_while_waiting_cannot_keep_a_blocking_send_from_timing_out() {
    // A TX interrupt after every poll step, but the queue stays full. Each retry after an
    // event is charged one extra poll step (10 µs of delay + 10 µs charge per try), so the
    // send still gives up when the 100 µs budget is spent.
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, fulls(6));
    let mut delay = FakeDelay::new(clock, |_| q.on_tx_interrupt());
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(100, 30, 10));
    assert_eq!(r, Err(Error::TimedOut));
    assert_eq!(log.times(), [0, 10, 20, 30, 40, 50]);
    assert_eq!(delay.steps_us, [10; 5]);
}

#[test]
fn tx_storm_inside_the_hypercall_cannot_keep_a_blocking_send_from_timing_out() {
    // Worst case: a TX interrupt fires during every FULL hypercall, so the sender never
    // waits at all (the event it waits for has already come). Only the per-retry charge of
    // one poll step bounds it: 100 µs / 10 µs + 1 = 11 tries, then TimedOut. `times(11)`
    // panics on a 12th try instead of looping forever.
    let q = Arc::new_cyclic(|w: &Weak<Q>| {
        let w = w.clone();
        let mut hyp = MockHypercall::new();
        hyp.expect_msgq_send().times(11).returning(move |_, _, _| {
            w.upgrade().unwrap().on_tx_interrupt();
            err(FULL)
        });
        duplex(hyp)
    });
    let mut delay = FakeDelay::new(Clock::default(), no_hook);
    let r = q.send_blocking(b"msg", SendFlags::PUSH, &mut delay, policy(100, 30, 10));
    assert_eq!(r, Err(Error::TimedOut));
    assert!(delay.steps_us.is_empty());
    assert_eq!(q.stats().would_block, 11);
}

#[test]
fn wait_policy_timeout_us_uses_one_millisecond_slices_and_ten_microsecond_polls() {
    assert_eq!(WaitPolicy::timeout_us(5_000), policy(5_000, 1_000, 10));
}

#[test]
fn blocking_send_default_policy_retries_after_each_millisecond() {
    let (clock, log) = (Clock::default(), CallLog::default());
    let q = timed_queue(&clock, &log, fulls(4));
    let mut delay = FakeDelay::new(clock, no_hook);
    let r = q.send_blocking(
        b"msg",
        SendFlags::PUSH,
        &mut delay,
        WaitPolicy::timeout_us(2_500),
    );
    assert_eq!(r, Err(Error::TimedOut));
    assert_eq!(log.times(), [0, 1_000, 2_000, 2_500]);
    assert_eq!(delay.steps_us.len(), 250);
}
