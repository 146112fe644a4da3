//! A queue's counters and snapshot.

use core::num::NonZeroU8;

use super::config::{Mode, SmallBufferError};

/// What happened to one queue so far. Each counter wraps at `u64::MAX`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueueStats {
    /// Messages stored by a send.
    pub enqueued: u64,
    /// Messages taken by a receive.
    pub dequeued: u64,
    /// Sends answered FULL.
    pub full: u64,
    /// Receives answered EMPTY.
    pub empty: u64,
    /// Sends and receives answered with a size or address error ([`Mode::Documented`]).
    pub rejected: u64,
    /// Sends answered OK that queued nothing ([`Mode::PublicSourceQuirks`]).
    pub dropped_by_quirk: u64,
    /// Receives answered OK with size 0 that left the head in place
    /// ([`Mode::PublicSourceQuirks`]).
    pub stuck_by_quirk: u64,
    /// Messages dropped by flushes.
    pub flushed: u64,
    /// TX vIRQ assertions.
    pub tx_asserts: u64,
    /// RX vIRQ assertions.
    pub rx_asserts: u64,
}

/// A copy of a queue's configuration and state, for logs and assertions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueueSnapshot {
    /// Messages queued now.
    pub len: usize,
    /// The depth.
    pub depth: NonZeroU8,
    /// The maximum message size.
    pub max_size: usize,
    /// The not-full threshold (TX fires when a receive leaves this many).
    pub not_full_threshold: usize,
    /// The not-empty threshold (RX fires when a send makes this many).
    pub not_empty_threshold: usize,
    /// How bad sizes and buffers are answered.
    pub mode: Mode,
    /// The too-small-buffer error of [`Mode::Documented`].
    pub small_buffer: SmallBufferError,
    /// The counters.
    pub stats: QueueStats,
}
