//! The protocol logic of a client, free of I/O: what [`Client`](crate::Client) and
//! `AsyncClient` do per request and per received frame, the same for both.
//!
//! A client drives a [`Session`]: [`begin`](Session::begin) a request (seq, the fragments),
//! send them, receive frames into [`frame`](Session::frame) and hand each to
//! [`on_frame`](Session::on_frame) until it ends the call, then
//! [`reply`](Session::reply) (the RM error word), or [`timed_out`](Session::timed_out) once
//! its [`Wait`] has no step left. Where the frames come from and how the steps are waited is
//! the client's business.

use gunyah_msgq::MAX_MSG_SIZE;

use crate::client::{ClientConfig, ClientStats, Notification};
use crate::error::{RmError, RpcError};
use crate::fragment::{FragmentError, Fragmenter};
use crate::reassemble::{Progress, ReassembleError, Reassembler};
use crate::wire::{Header, MsgType, RM_ERROR_LEN};

/// The outstanding request's (seq, msg_id).
pub(crate) type Key = (u16, u32);

/// How a call ended: its reply's length in the reassembly buffer, or why it failed.
pub(crate) type CallEnd<E> = Result<usize, RpcError<E>>;

/// The time a call has left to wait, in steps.
pub(crate) struct Wait {
    left_us: u32,
    step_us: u32,
}

impl Wait {
    /// A call's whole wait: [`ClientConfig::timeout_us`] in steps of
    /// [`ClientConfig::poll_us`] (at least 1).
    pub(crate) fn new(config: &ClientConfig) -> Wait {
        Wait {
            left_us: config.timeout_us,
            step_us: config.poll_us.max(1),
        }
    }

    /// Takes the next step from the time left: how long to wait, in microseconds (the last
    /// one cut to what is left); `None` once the time is up.
    pub(crate) fn next_step(&mut self) -> Option<u32> {
        if self.left_us == 0 {
            return None;
        }
        let step = self.step_us.min(self.left_us);
        self.left_us -= step;
        Some(step)
    }
}

/// A client's state: settings, the next seq, stats, the receive frame and the reassembly of
/// replies and notifications into a `BUF`-byte buffer.
pub(crate) struct Session<const BUF: usize> {
    config: ClientConfig,
    next_seq: u16,
    stats: ClientStats,
    /// Where the client receives the next frame.
    pub(crate) frame: [u8; MAX_MSG_SIZE],
    rx: Reassembler<[u8; BUF]>,
}

impl<const BUF: usize> Session<BUF> {
    /// A session whose first request has seq 0.
    pub(crate) const fn new(config: ClientConfig) -> Self {
        Session {
            config,
            next_seq: 0,
            stats: ClientStats {
                requests: 0,
                replies: 0,
                notifications: 0,
                late_replies: 0,
                timeouts: 0,
                aborted: 0,
                dropped: 0,
            },
            frame: [0; MAX_MSG_SIZE],
            rx: Reassembler::new([0; BUF]),
        }
    }

    pub(crate) fn config(&self) -> ClientConfig {
        self.config
    }

    pub(crate) fn stats(&self) -> ClientStats {
        self.stats
    }

    pub(crate) fn next_seq(&self) -> u16 {
        self.next_seq
    }

    /// Starts the request `msg_id` with `payload`: checks it, takes the next seq and counts
    /// the request. Returns its key and its frames, to send in order; nothing is spent if it
    /// fails.
    pub(crate) fn begin<'p, E>(
        &mut self,
        msg_id: u32,
        payload: &'p [u8],
    ) -> Result<(Key, Fragmenter<'p>), RpcError<E>> {
        if msg_id == 0 {
            return Err(RpcError::ReservedMsgId);
        }
        let seq = self.next_seq;
        let fragments = Fragmenter::new(
            MsgType::Request,
            seq,
            msg_id,
            payload,
            self.config.tx_max_msg_size,
        )
        .map_err(|e| match e {
            FragmentError::PayloadTooLarge { len, max } => RpcError::PayloadTooLarge { len, max },
            FragmentError::QueueTooSmall { max_msg_size } => {
                RpcError::QueueTooSmall { max_msg_size }
            }
            FragmentError::Continuation => RpcError::Malformed,
        })?;
        self.next_seq = seq.wrapping_add(1);
        self.stats.requests = self.stats.requests.wrapping_add(1);
        Ok(((seq, msg_id), fragments))
    }

    /// Acts on the `len`-byte frame received into [`frame`](Self::frame); `key` is the
    /// outstanding request's, if a call waits. Notifications go to `on_notification`; replies
    /// that are not `key`'s are dropped as late. Returns the end of the call, if this frame
    /// ends it.
    pub(crate) fn on_frame<E>(
        &mut self,
        len: usize,
        key: Option<Key>,
        on_notification: &mut impl FnMut(Notification<'_>),
    ) -> Option<CallEnd<E>> {
        let ours = |h: Header| h.kind == MsgType::Reply && key == Some((h.seq, h.msg_id));
        let stats = &mut self.stats;
        let pushed = self.rx.push(&self.frame[..len.min(MAX_MSG_SIZE)]);
        let mut end = None;
        if let Some(header) = pushed.aborted {
            stats.aborted = stats.aborted.wrapping_add(1);
            if ours(header) {
                end = Some(Err(RpcError::Aborted));
            }
        }
        match pushed.result {
            Ok(Progress::Complete(msg)) => match msg.header.kind {
                MsgType::Reply if ours(msg.header) => {
                    stats.replies = stats.replies.wrapping_add(1);
                    end = Some(Ok(msg.payload.len()));
                }
                MsgType::Reply => stats.late_replies = stats.late_replies.wrapping_add(1),
                MsgType::Notification => {
                    stats.notifications = stats.notifications.wrapping_add(1);
                    on_notification(Notification {
                        msg_id: msg.header.msg_id,
                        payload: msg.payload,
                    });
                }
                MsgType::Request | MsgType::Continuation => {
                    stats.dropped = stats.dropped.wrapping_add(1);
                }
            },
            Ok(Progress::Partial) => {}
            Err(ReassembleError::TooLarge { header, capacity }) if ours(header) => {
                end = Some(Err(RpcError::ReplyTooLarge { capacity }));
            }
            Err(_) => stats.dropped = stats.dropped.wrapping_add(1),
        }
        end
    }

    /// Counts a call that ran out of time, and says so.
    pub(crate) fn timed_out<E>(&mut self) -> RpcError<E> {
        self.stats.timeouts = self.stats.timeouts.wrapping_add(1);
        RpcError::Timeout
    }

    /// The result of a call that ended with `end`: the reply's payload after the RM error
    /// word if that is 0.
    pub(crate) fn reply<E>(&self, end: CallEnd<E>) -> Result<&[u8], RpcError<E>> {
        let reply = self.rx.payload(end?);
        let Some((word, rest)) = reply.split_first_chunk::<RM_ERROR_LEN>() else {
            return Err(RpcError::Malformed);
        };
        match RmError::from_word(u32::from_le_bytes(*word)) {
            Some(e) => Err(RpcError::Rm(e)),
            None => Ok(rest),
        }
    }
}
