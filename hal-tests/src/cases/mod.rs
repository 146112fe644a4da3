//! The cases, written once for every backend. Each takes a [`Harness`], builds the fixtures it
//! needs, and returns a [`CaseResult`]: no case panics.

pub mod basic;
pub mod faults;
pub mod regressions;
pub mod stream;

use gunyah_msgq::{RecvOutcome, SendFlags, SendOutcome};

use crate::fixture::{Fixture, Harness};
use crate::ledger::Ledger;
use crate::message::verify;
use crate::{CaseError, CaseResult};

/// A case that any harness can run.
pub type Case<H> = fn(&mut H) -> CaseResult;

/// Every case that needs nothing but a [`Harness`], with its name and whether it needs
/// interrupts delivered from other threads.
#[must_use]
pub fn all<H: Harness<MAX>, const MAX: usize>() -> [(&'static str, Case<H>, bool); 28] {
    [
        ("round_trip_every_size", basic::round_trip_every_size, false),
        (
            "fill_would_block_drain_ready",
            basic::fill_would_block_drain_ready,
            false,
        ),
        (
            "no_push_sends_raise_no_edge_one_drain_gets_all",
            basic::no_push_batches_in_one_drain,
            false,
        ),
        (
            "push_raises_one_edge_each",
            basic::push_raises_one_edge_each,
            false,
        ),
        (
            "flush_drops_everything",
            basic::flush_drops_everything,
            false,
        ),
        (
            "bad_sizes_rejected_locally",
            basic::bad_sizes_rejected_locally,
            false,
        ),
        (
            "swapped_capabilities_are_typed",
            basic::swapped_capabilities_are_typed,
            false,
        ),
        (
            "invalid_capabilities_are_typed",
            basic::invalid_capabilities_are_typed,
            false,
        ),
        (
            "start_drains_what_was_queued",
            basic::start_drains_what_was_queued,
            false,
        ),
        (
            "bug01_sent_now_full_is_not_sent_again",
            regressions::bug01_sent_now_full_is_not_sent_again,
            false,
        ),
        (
            "bug02_one_sided_endpoints_work",
            regressions::bug02_one_sided_endpoints_work,
            false,
        ),
        (
            "bug04_interrupts_before_start_are_safe",
            regressions::bug04_interrupts_before_start_are_safe,
            false,
        ),
        (
            "bug05_failed_start_leaves_queue_usable",
            regressions::bug05_failed_start_leaves_queue_usable,
            false,
        ),
        (
            "bug06_both_lines_enabled_after_start",
            regressions::bug06_both_lines_enabled_after_start,
            false,
        ),
        (
            "bug07_interrupts_after_shutdown_are_no_ops",
            regressions::bug07_interrupts_after_shutdown_are_no_ops,
            false,
        ),
        (
            "bug08_full_at_start_recovers",
            regressions::bug08_full_at_start_recovers,
            false,
        ),
        (
            "bug11_unreadable_head_ends_the_drain",
            regressions::bug11_unreadable_head_ends_the_drain,
            false,
        ),
        (
            "bug12_full_is_not_retried_spurious_tx_gives_no_credit",
            regressions::bug12_full_is_not_retried_spurious_tx_gives_no_credit,
            false,
        ),
        (
            "bug14_no_tx_space_assumed_at_init",
            regressions::bug14_no_tx_space_assumed_at_init,
            false,
        ),
        (
            "bug16_blocking_send_returns_the_status",
            regressions::bug16_blocking_send_returns_the_status,
            false,
        ),
        (
            "bug17_would_block_hands_the_message_back",
            regressions::bug17_would_block_hands_the_message_back,
            false,
        ),
        (
            "bug18_shutdown_loses_no_accepted_message",
            regressions::bug18_shutdown_loses_no_accepted_message,
            false,
        ),
        (
            "bug18_waiting_sender_gets_closed",
            regressions::bug18_waiting_sender_gets_closed,
            false,
        ),
        (
            "bug19_empty_message_is_never_sent",
            regressions::bug19_empty_message_is_never_sent,
            false,
        ),
        (
            "bug21_level_tx_line_does_not_storm",
            regressions::bug21_level_tx_line_does_not_storm,
            false,
        ),
        (
            "echo_from_the_rx_callback",
            basic::echo_from_the_rx_callback,
            false,
        ),
        ("stream_1000_inline_or_threaded", stream::stream_1000, false),
        (
            "stream_10000_random_threaded",
            stream::stream_10000_threaded,
            true,
        ),
    ]
}

/// Receives everything the peer can from the queue under test's TX queue, recording each
/// message in `ledger`. Returns how many it got.
///
/// # Errors
/// A [`CaseError`] if a peer receive fails.
pub fn drain_peer<const MAX: usize, const N: usize>(
    f: &impl Fixture<MAX>,
    ledger: &mut Ledger<N>,
) -> Result<usize, CaseError> {
    let mut buf = [0u8; 1024];
    let mut got = 0;
    loop {
        match f.peer_recv(&mut buf) {
            Ok(RecvOutcome::Received { len, .. }) => {
                ledger.received(verify(&buf[..len]));
                got += 1;
            }
            Ok(RecvOutcome::Empty) => return Ok(got),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Moves every message the queue under test delivered into `ledger`. Returns how many.
pub fn collect_delivered<const MAX: usize, const N: usize>(
    f: &impl Fixture<MAX>,
    ledger: &mut Ledger<N>,
) -> usize {
    f.take_delivered(&mut |m| ledger.received(verify(m)))
}

/// Sends `msg` from the queue under test, which must be accepted at once.
///
/// # Errors
/// A [`CaseError`] if it is not.
pub fn send_now<const MAX: usize>(
    f: &impl Fixture<MAX>,
    msg: &[u8],
    flags: SendFlags,
) -> Result<bool, CaseError> {
    match f.queue().try_send(msg, flags)? {
        SendOutcome::Sent { not_full } => Ok(not_full),
        SendOutcome::WouldBlock => Err(CaseError::new("send would block on a queue with room")),
    }
}

/// The peer sends `msg`, which must be accepted.
///
/// # Errors
/// A [`CaseError`] if it is not.
pub fn peer_send_now<const MAX: usize>(
    f: &impl Fixture<MAX>,
    msg: &[u8],
    push: bool,
) -> CaseResult {
    match f.peer_send(msg, push) {
        Ok(SendOutcome::Sent { .. }) => Ok(()),
        _ => Err(CaseError::new("peer send was not accepted")),
    }
}

/// Waits for interrupt delivery to go idle.
///
/// # Errors
/// A [`CaseError`] if it does not within the fixture's bound.
pub fn settle<const MAX: usize>(f: &impl Fixture<MAX>) -> CaseResult {
    if f.settle() {
        Ok(())
    } else {
        Err(CaseError::new("interrupt delivery did not settle"))
    }
}

/// Starts the queue under test; its first drain must finish.
///
/// # Errors
/// A [`CaseError`] if start fails or leaves RX pending.
pub fn start<const MAX: usize>(f: &impl Fixture<MAX>) -> CaseResult {
    match f.start()? {
        gunyah_msgq::DrainOutcome::Pending { .. } => Err(CaseError::new("start left RX pending")),
        _ => Ok(()),
    }
}
