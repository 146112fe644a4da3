//! Splitting one message's payload into the frames that carry it (spec §6, "Sending").
//!
//! - The first frame has the message's type; the others are continuations (type 0) with the
//!   same seq, msg_id and continuation count.
//! - The count is `ceil(len / chunk) - 1`, 0 for an empty payload, and at most
//!   [`MAX_CONTINUATIONS`] (62): the resource manager rejects more.
//! - `chunk` is [`MAX_FRAGMENT_PAYLOAD`] (232), or less when the TX queue's real maximum
//!   message size is below 240 (spec bug 13: a size check against the 232-byte RPC payload
//!   alone lets a frame past a smaller queue's maximum, which the hypervisor then drops while
//!   answering OK).
//! - Only the last frame asks for PUSH.
//!
//! ```
//! use gunyah_msgq::{RM_MSG_SIZE, SendFlags};
//! use gunyah_rm_rpc::wire::MsgType;
//! use gunyah_rm_rpc::Fragmenter;
//!
//! let payload = [7u8; 300];
//! let frames = Fragmenter::new(MsgType::Request, 1, 0x5600_0020, &payload, RM_MSG_SIZE)?;
//! assert_eq!(frames.continuations(), 1);
//! let frames: Vec<_> = frames.collect();
//! assert_eq!(frames[0].frame().as_bytes().len(), 240); // header + 232 bytes
//! assert_eq!(frames[0].flags(), SendFlags::NONE);
//! assert_eq!(frames[1].frame().as_bytes().len(), 8 + 68); // a continuation with the rest
//! assert_eq!(frames[1].flags(), SendFlags::PUSH);
//! # Ok::<(), gunyah_rm_rpc::FragmentError>(())
//! ```

use core::fmt;

use gunyah_msgq::SendFlags;

use crate::wire::{HEADER_LEN, Header, MAX_CONTINUATIONS, MAX_FRAGMENT_PAYLOAD, MsgType};

/// The largest frame: a header and [`MAX_FRAGMENT_PAYLOAD`] bytes (240).
pub const MAX_FRAME: usize = HEADER_LEN + MAX_FRAGMENT_PAYLOAD;

/// Why a payload cannot be split into frames. Nothing is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FragmentError {
    /// The payload needs more than [`MAX_CONTINUATIONS`] continuations.
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The most 63 frames of this queue carry.
        max: usize,
    },
    /// The queue's maximum message size cannot hold a header and one payload byte.
    QueueTooSmall {
        /// The queue's maximum message size.
        max_msg_size: usize,
    },
    /// A message cannot start with a continuation.
    Continuation,
}

impl fmt::Display for FragmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FragmentError::PayloadTooLarge { len, max } => {
                write!(f, "{len}-byte payload, at most {max} fit")
            }
            FragmentError::QueueTooSmall { max_msg_size } => write!(
                f,
                "{max_msg_size}-byte messages cannot hold a header and a payload byte"
            ),
            FragmentError::Continuation => write!(f, "a message cannot start as a continuation"),
        }
    }
}

impl core::error::Error for FragmentError {}

/// The payload bytes one frame carries on a queue of `max_msg_size`-byte messages: at most
/// [`MAX_FRAGMENT_PAYLOAD`], 0 if not even a header and one byte fit.
#[must_use]
pub fn chunk_size(max_msg_size: usize) -> usize {
    max_msg_size
        .saturating_sub(HEADER_LEN)
        .min(MAX_FRAGMENT_PAYLOAD)
}

/// The largest payload one message carries on a queue of `max_msg_size`-byte messages
/// (14,616 bytes on the resource manager's 240-byte link).
#[must_use]
pub fn max_payload(max_msg_size: usize) -> usize {
    (MAX_CONTINUATIONS as usize + 1) * chunk_size(max_msg_size)
}

/// The frames of one message, first to last (an [`Iterator`] of [`Fragment`]s).
#[derive(Clone, Debug)]
pub struct Fragmenter<'a> {
    first: Header,
    rest: &'a [u8],
    chunk: usize,
    next: u8,
}

impl<'a> Fragmenter<'a> {
    /// The frames of a `kind` message (`Request`, `Reply` or `Notification`) with `seq`,
    /// `msg_id` and `payload` (a reply's payload starts with its RM error word), on a queue of
    /// `max_msg_size`-byte messages.
    ///
    /// # Errors
    /// - [`FragmentError::Continuation`] for `kind` = [`MsgType::Continuation`];
    /// - [`FragmentError::QueueTooSmall`] if `max_msg_size` is below 9;
    /// - [`FragmentError::PayloadTooLarge`] if `payload` needs more than 62 continuations.
    pub fn new(
        kind: MsgType,
        seq: u16,
        msg_id: u32,
        payload: &'a [u8],
        max_msg_size: usize,
    ) -> Result<Fragmenter<'a>, FragmentError> {
        if kind == MsgType::Continuation {
            return Err(FragmentError::Continuation);
        }
        let chunk = chunk_size(max_msg_size);
        if chunk == 0 {
            return Err(FragmentError::QueueTooSmall { max_msg_size });
        }
        let max = max_payload(max_msg_size);
        if payload.len() > max {
            return Err(FragmentError::PayloadTooLarge {
                len: payload.len(),
                max,
            });
        }
        // At most 62 here: the length check above.
        let continuations = payload.len().saturating_sub(1) / chunk;
        Ok(Fragmenter {
            first: Header::new(kind, continuations as u8, seq, msg_id),
            rest: payload,
            chunk,
            next: 0,
        })
    }

    /// The message's continuation count: how many frames follow the first.
    #[must_use]
    pub fn continuations(&self) -> u8 {
        self.first.continuations
    }

    /// The first frame's header.
    #[must_use]
    pub fn header(&self) -> Header {
        self.first
    }
}

impl<'a> Iterator for Fragmenter<'a> {
    type Item = Fragment<'a>;

    fn next(&mut self) -> Option<Fragment<'a>> {
        if self.next > self.first.continuations {
            return None;
        }
        let mut header = self.first;
        if self.next > 0 {
            header.kind = MsgType::Continuation;
        }
        let take = self.rest.len().min(self.chunk);
        let (body, rest) = self.rest.split_at(take);
        self.rest = rest;
        let last = self.next == self.first.continuations;
        self.next += 1;
        Some(Fragment { header, body, last })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left =
            (usize::from(self.first.continuations) + 1).saturating_sub(usize::from(self.next));
        (left, Some(left))
    }
}

impl ExactSizeIterator for Fragmenter<'_> {}

/// One frame of a message: its header and its part of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment<'a> {
    header: Header,
    body: &'a [u8],
    last: bool,
}

impl<'a> Fragment<'a> {
    /// Its header.
    #[must_use]
    pub fn header(&self) -> Header {
        self.header
    }

    /// Its part of the payload.
    #[must_use]
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Whether it is the message's last frame.
    #[must_use]
    pub fn is_last(&self) -> bool {
        self.last
    }

    /// The flags to send it with: PUSH on the last frame only.
    #[must_use]
    pub fn flags(&self) -> SendFlags {
        SendFlags::with_push(self.last)
    }

    /// The frame's bytes: header, then body.
    #[must_use]
    pub fn frame(&self) -> Frame {
        let mut bytes = [0; MAX_FRAME];
        bytes[..HEADER_LEN].copy_from_slice(&self.header.encode());
        let len = HEADER_LEN + self.body.len();
        bytes[HEADER_LEN..len].copy_from_slice(self.body);
        Frame { bytes, len }
    }
}

/// One frame's bytes, ready for [`Mailbox::try_send`](gunyah_msgq::Mailbox::try_send).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    bytes: [u8; MAX_FRAME],
    len: usize,
}

impl Frame {
    /// The bytes: 8..=240 of them.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;
    use std::vec::Vec;

    use super::*;
    use crate::wire::MAX_PAYLOAD;

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(0), 0);
        assert_eq!(chunk_size(8), 0);
        assert_eq!(chunk_size(9), 1);
        assert_eq!(chunk_size(239), 231);
        assert_eq!(chunk_size(240), 232);
        assert_eq!(chunk_size(1023), 232);
        assert_eq!(max_payload(240), MAX_PAYLOAD);
        assert_eq!(max_payload(64), 63 * 56);
        assert_eq!(MAX_FRAME, 240);
    }

    #[test]
    fn a_continuation_cannot_start() {
        assert_eq!(
            Fragmenter::new(MsgType::Continuation, 0, 1, &[], 240).unwrap_err(),
            FragmentError::Continuation
        );
    }

    #[test]
    fn size_hint_counts_down() {
        let payload = [0u8; 500];
        let mut f = Fragmenter::new(MsgType::Request, 0, 1, &payload, 240).unwrap();
        assert_eq!(f.continuations(), 2);
        assert_eq!(f.len(), 3);
        f.next();
        assert_eq!(f.len(), 2);
        f.next();
        f.next();
        assert_eq!(f.size_hint(), (0, Some(0)));
        assert!(f.next().is_none());
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn frames() {
        let payload: Vec<u8> = (0..=255).collect();
        let f = Fragmenter::new(MsgType::Notification, 9, 0x10, &payload, 240).unwrap();
        assert_eq!(f.header(), Header::new(MsgType::Notification, 1, 9, 0x10));
        let frames: Vec<_> = f.collect();
        assert_eq!(frames.len(), 2);
        let first = frames[0].frame();
        assert_eq!(first.as_bytes().len(), 240);
        assert_eq!(&first.as_bytes()[8..], &payload[..232]);
        assert_eq!(frames[0].body(), &payload[..232]);
        assert!(!frames[0].is_last());
        let second = frames[1].frame();
        assert_eq!(
            &second.as_bytes()[..8],
            Header::new(MsgType::Continuation, 1, 9, 0x10).encode()
        );
        assert_eq!(&second.as_bytes()[8..], &payload[232..]);
        assert!(frames[1].is_last());
    }

    #[test]
    fn errors_display() {
        assert_eq!(
            FragmentError::PayloadTooLarge { len: 2, max: 1 }.to_string(),
            "2-byte payload, at most 1 fit"
        );
        assert_eq!(
            FragmentError::QueueTooSmall { max_msg_size: 8 }.to_string(),
            "8-byte messages cannot hold a header and a payload byte"
        );
        assert_eq!(
            FragmentError::Continuation.to_string(),
            "a message cannot start as a continuation"
        );
    }
}
