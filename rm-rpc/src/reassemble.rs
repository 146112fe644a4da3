//! Joining received frames back into messages, in a buffer the caller provides (spec §6,
//! "Reassembly").
//!
//! - A request, reply or notification frame starts a message; with a continuation count of 0
//!   it is complete at once.
//! - A start while another message is partial **aborts** the partial one (reported in
//!   [`Pushed::aborted`]), and the new one goes on.
//! - A continuation continues the partial message if its msg_id, seq and continuation count
//!   all match the first frame's. One that does not match aborts the partial message and is
//!   dropped itself; one with no partial message is dropped (both
//!   [`ReassembleError::Orphan`]). Linux compares only msg_id and count and the resource
//!   manager drops just the mismatched fragment; this crate aborts on any of the three, so a
//!   stray fragment never ends up inside another message.
//! - A frame that is not a message of this protocol ([`WireError`]) is dropped and changes
//!   nothing.
//! - A payload that outgrows the buffer ends the message with
//!   [`ReassembleError::TooLarge`]; its later continuations are then orphans. Nothing panics,
//!   whatever the frames.
//! - **What no receiver can catch:** the header has no fragment index, only the total count
//!   repeated in every frame. A continuation the link delivers twice therefore counts as the
//!   next one, and the message completes one frame early with the copy's bytes in it (Linux
//!   and the resource manager count the same way). The typed calls ([`calls`](crate::calls))
//!   check their replies' lengths and answer [`Malformed`](crate::RpcError::Malformed); a raw
//!   [`Client::call`](crate::Client::call) hands over the payload as reassembled
//!   (`a_duplicated_fragment` in `rm-rpc/tests/simulated_rm.rs`).
//!
//! ```
//! use gunyah_rm_rpc::wire::{Header, MsgType};
//! use gunyah_rm_rpc::{Fragmenter, Progress, Reassembler};
//!
//! let payload: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
//! let mut buf = [0u8; 1024];
//! let mut rx = Reassembler::new(&mut buf[..]);
//! let mut got = None;
//! for fragment in Fragmenter::new(MsgType::Notification, 0, 0x5610_0008, &payload, 240)? {
//!     let pushed = rx.push(fragment.frame().as_bytes());
//!     assert_eq!(pushed.aborted, None);
//!     if let Ok(Progress::Complete(msg)) = pushed.result {
//!         got = Some((msg.header.msg_id, msg.payload.to_vec()));
//!     }
//! }
//! assert_eq!(got, Some((0x5610_0008, payload)));
//!
//! // A new message before the last fragment: the partial one is aborted.
//! let mut frames = Fragmenter::new(MsgType::Reply, 1, 0x20, &[0u8; 300], 240)?;
//! rx.push(frames.next().unwrap().frame().as_bytes());
//! let single = Header::new(MsgType::Notification, 0, 0, 0x30).encode();
//! let pushed = rx.push(&single);
//! assert_eq!(pushed.aborted.map(|h| h.msg_id), Some(0x20));
//! assert!(matches!(pushed.result, Ok(Progress::Complete(_))));
//! # Ok::<(), gunyah_rm_rpc::FragmentError>(())
//! ```

use core::fmt;

use crate::wire::{Header, MsgType, WireError};

/// A complete message: its first frame's header and the whole payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'r> {
    /// The first frame's header (its type is the message's).
    pub header: Header,
    /// The payload of every frame, joined (a reply's starts with the RM error word).
    pub payload: &'r [u8],
}

/// What a frame did to the message being reassembled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress<'r> {
    /// The frame completed a message.
    Complete(Message<'r>),
    /// The frame was stored; more frames are to come.
    Partial,
}

/// Why a frame was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReassembleError {
    /// Not a frame of this protocol; nothing changed.
    Wire(WireError),
    /// A continuation with no partial message to continue, or one that does not match the
    /// partial message (which it aborted).
    Orphan {
        /// The continuation's header.
        header: Header,
    },
    /// The message's payload outgrew the buffer; it was dropped.
    TooLarge {
        /// The message's first header.
        header: Header,
        /// The buffer's size.
        capacity: usize,
    },
}

impl fmt::Display for ReassembleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReassembleError::Wire(e) => fmt::Display::fmt(e, f),
            ReassembleError::Orphan { header } => write!(
                f,
                "continuation of no partial message (msg_id {:#x}, seq {})",
                header.msg_id, header.seq
            ),
            ReassembleError::TooLarge { header, capacity } => write!(
                f,
                "message {:#x} larger than the {capacity}-byte buffer",
                header.msg_id
            ),
        }
    }
}

impl core::error::Error for ReassembleError {}

/// The outcome of one [`Reassembler::push`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Pushed<'r> {
    /// The first header of a partial message this frame aborted, if it did.
    pub aborted: Option<Header>,
    /// What became of the frame itself.
    pub result: Result<Progress<'r>, ReassembleError>,
}

#[derive(Clone, Copy, Debug)]
struct Partial {
    header: Header,
    received: u8,
    len: usize,
}

/// Reassembles messages into the buffer `B` (`&mut [u8]`, an array, anything that is
/// `AsRef<[u8]> + AsMut<[u8]>`). See the [module docs](self).
#[derive(Debug)]
pub struct Reassembler<B> {
    buf: B,
    partial: Option<Partial>,
}

impl<B> Reassembler<B> {
    /// A reassembler with no partial message.
    pub const fn new(buf: B) -> Self {
        Reassembler { buf, partial: None }
    }

    /// The first header of the partial message, if there is one.
    #[must_use]
    pub fn partial(&self) -> Option<Header> {
        self.partial.map(|p| p.header)
    }

    /// Drops the partial message (for example when its waiter gives up), returning its first
    /// header.
    pub fn abort(&mut self) -> Option<Header> {
        self.partial.take().map(|p| p.header)
    }

    /// The buffer.
    pub fn into_inner(self) -> B {
        self.buf
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Reassembler<B> {
    /// The buffer's size: the largest payload this reassembler holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.buf.as_ref().len()
    }

    /// The buffer's first `len` bytes (at most the capacity), where the last complete message
    /// was.
    pub(crate) fn payload(&self, len: usize) -> &[u8] {
        let buf = self.buf.as_ref();
        &buf[..len.min(buf.len())]
    }

    /// Takes one received frame.
    pub fn push(&mut self, frame: &[u8]) -> Pushed<'_> {
        let (header, body) = match Header::decode(frame) {
            Ok(decoded) => decoded,
            Err(e) => {
                return Pushed {
                    aborted: None,
                    result: Err(ReassembleError::Wire(e)),
                };
            }
        };
        let capacity = self.capacity();
        if header.kind != MsgType::Continuation {
            let aborted = self.abort();
            if body.len() > capacity {
                return Pushed {
                    aborted,
                    result: Err(ReassembleError::TooLarge { header, capacity }),
                };
            }
            let buf = self.buf.as_mut();
            buf[..body.len()].copy_from_slice(body);
            let result = if header.continuations == 0 {
                Ok(Progress::Complete(Message {
                    header,
                    payload: &buf[..body.len()],
                }))
            } else {
                self.partial = Some(Partial {
                    header,
                    received: 0,
                    len: body.len(),
                });
                Ok(Progress::Partial)
            };
            return Pushed { aborted, result };
        }
        let Some(mut partial) = self.partial else {
            return Pushed {
                aborted: None,
                result: Err(ReassembleError::Orphan { header }),
            };
        };
        let first = partial.header;
        if (first.msg_id, first.seq, first.continuations)
            != (header.msg_id, header.seq, header.continuations)
        {
            return Pushed {
                aborted: self.abort(),
                result: Err(ReassembleError::Orphan { header }),
            };
        }
        let end = partial.len + body.len();
        if end > capacity {
            self.partial = None;
            return Pushed {
                aborted: None,
                result: Err(ReassembleError::TooLarge {
                    header: first,
                    capacity,
                }),
            };
        }
        let buf = self.buf.as_mut();
        buf[partial.len..end].copy_from_slice(body);
        partial.len = end;
        partial.received += 1;
        let result = if partial.received == first.continuations {
            self.partial = None;
            Ok(Progress::Complete(Message {
                header: first,
                payload: &buf[..end],
            }))
        } else {
            self.partial = Some(partial);
            Ok(Progress::Partial)
        };
        Pushed {
            aborted: None,
            result,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn errors_display() {
        let header = Header::new(MsgType::Continuation, 1, 2, 0x30);
        assert_eq!(
            ReassembleError::Wire(WireError::Short { len: 1 }).to_string(),
            "1-byte frame, shorter than a header"
        );
        assert_eq!(
            ReassembleError::Orphan { header }.to_string(),
            "continuation of no partial message (msg_id 0x30, seq 2)"
        );
        assert_eq!(
            ReassembleError::TooLarge {
                header,
                capacity: 4
            }
            .to_string(),
            "message 0x30 larger than the 4-byte buffer"
        );
    }

    #[test]
    fn payload_is_clamped_to_the_buffer() {
        let r = Reassembler::new([1u8; 4]);
        assert_eq!(r.payload(2), [1, 1]);
        assert_eq!(r.payload(9), [1, 1, 1, 1]);
        assert_eq!(r.into_inner(), [1; 4]);
    }
}
