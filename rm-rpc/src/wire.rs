//! The 8-byte message header (spec §6) and the protocol's size limits.
//!
//! | byte | content |
//! |---|---|
//! | 0 | `0x21`: API version 1 (low nibble), 2 header words (high nibble) |
//! | 1 | bits 1:0 the [`MsgType`], bits 7:2 the continuation count (see below) |
//! | 2-3 | seq, little-endian: chosen by the requester, echoed in the reply |
//! | 4-7 | msg_id, little-endian (0 is reserved) |
//!
//! **Byte 1.** The spec calls bits 7:2 the *continuation count*; the real resource manager's
//! description (`shared/gunyah-real/README.md`) writes byte 1 as `fragments << 2 | type`. Both
//! name the same field: it counts the fragments that *follow* the first one, so a one-fragment
//! message carries 0 there. A one-fragment `VM_GET_VMID` request with 0 in bits 7:2 (byte 1 =
//! `0x01`) is what the real resource manager answered; a "total fragments" reading would have
//! made that byte `0x05`. Every fragment of a message repeats the same count (the resource
//! manager counts the remaining fragments itself).
//!
//! ```
//! use gunyah_rm_rpc::wire::{Header, MsgType};
//!
//! // The real resource manager's VM_GET_VMID exchange: request, then the reply's header.
//! let request = Header::new(MsgType::Request, 0, 7, 0x5600_0024);
//! assert_eq!(request.encode(), [0x21, 0x01, 0x07, 0x00, 0x24, 0x00, 0x00, 0x56]);
//! let frame = [0x21, 0x02, 0x07, 0x00, 0x24, 0x00, 0x00, 0x56, 0, 0, 0, 0, 3, 0, 0, 0];
//! let (reply, payload) = Header::decode(&frame)?;
//! assert_eq!(reply, Header::new(MsgType::Reply, 0, 7, 0x5600_0024));
//! assert_eq!(payload, [0, 0, 0, 0, 3, 0, 0, 0]); // RM error word 0 (OK), VMID 3
//! # Ok::<(), gunyah_rm_rpc::wire::WireError>(())
//! ```

use core::fmt;

use zerocopy::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// The header's length in bytes.
pub const HEADER_LEN: usize = 8;
/// Header byte 0: API version 1 in the low nibble, 2 header words in the high nibble. The
/// resource manager drops messages with anything else; so does this crate.
pub const API_BYTE: u8 = 0x21;
/// The most payload bytes one message (fragment) carries: the resource manager's 240-byte
/// messages less the header.
pub const MAX_FRAGMENT_PAYLOAD: usize = 232;
/// The most continuation fragments one message may have: the resource manager rejects more.
pub const MAX_CONTINUATIONS: u8 = 62;
/// The largest payload of one message: a first fragment and [`MAX_CONTINUATIONS`]
/// continuations of [`MAX_FRAGMENT_PAYLOAD`] bytes each (63 × 232 = 14,616 bytes).
pub const MAX_PAYLOAD: usize = (MAX_CONTINUATIONS as usize + 1) * MAX_FRAGMENT_PAYLOAD;
/// The length of the RM error word that starts every reply's payload.
pub const RM_ERROR_LEN: usize = 4;

/// What a message is: byte 1, bits 1:0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MsgType {
    /// 0: a continuation fragment of the message before it.
    Continuation = 0,
    /// 1: a request (VM → resource manager).
    Request = 1,
    /// 2: a reply (resource manager → VM); its payload starts with the le32 RM error word.
    Reply = 2,
    /// 3: a notification (resource manager → VM); its seq means nothing.
    Notification = 3,
}

impl MsgType {
    /// The type in bits 1:0 of `byte` (the other bits are ignored).
    #[must_use]
    pub const fn from_bits(byte: u8) -> MsgType {
        match byte & 0b11 {
            0 => MsgType::Continuation,
            1 => MsgType::Request,
            2 => MsgType::Reply,
            _ => MsgType::Notification,
        }
    }
}

/// The header as it is on the wire.
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawHeader {
    api: u8,
    type_and_count: u8,
    seq: U16,
    msg_id: U32,
}

/// A decoded message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// What the message is.
    pub kind: MsgType,
    /// How many continuation fragments the message has after its first one, `0..=63` on the
    /// wire ([`MAX_CONTINUATIONS`] at most in a valid message). Every fragment repeats it.
    pub continuations: u8,
    /// The sequence number.
    pub seq: u16,
    /// The message id.
    pub msg_id: u32,
}

impl Header {
    /// A header.
    #[must_use]
    pub const fn new(kind: MsgType, continuations: u8, seq: u16, msg_id: u32) -> Header {
        Header {
            kind,
            continuations,
            seq,
            msg_id,
        }
    }

    /// The header's bytes. Only the low 6 bits of [`continuations`](Self::continuations) fit
    /// in byte 1; the [`Fragmenter`](crate::Fragmenter) never makes more than 62.
    #[must_use]
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let raw = RawHeader {
            api: API_BYTE,
            type_and_count: (self.continuations << 2) | self.kind as u8,
            seq: U16::new(self.seq),
            msg_id: U32::new(self.msg_id),
        };
        zerocopy::transmute!(raw)
    }

    /// The header at the start of `frame`, and the payload after it.
    ///
    /// # Errors
    /// - [`WireError::Short`] if `frame` is shorter than [`HEADER_LEN`];
    /// - [`WireError::BadApi`] if byte 0 is not [`API_BYTE`];
    /// - [`WireError::TooManyContinuations`] if the count is above [`MAX_CONTINUATIONS`];
    /// - [`WireError::TooLong`] if the payload is longer than [`MAX_FRAGMENT_PAYLOAD`].
    pub fn decode(frame: &[u8]) -> Result<(Header, &[u8]), WireError> {
        let Ok((raw, payload)) = RawHeader::read_from_prefix(frame) else {
            return Err(WireError::Short { len: frame.len() });
        };
        if raw.api != API_BYTE {
            return Err(WireError::BadApi { byte: raw.api });
        }
        let header = Header {
            kind: MsgType::from_bits(raw.type_and_count),
            continuations: raw.type_and_count >> 2,
            seq: raw.seq.get(),
            msg_id: raw.msg_id.get(),
        };
        if header.continuations > MAX_CONTINUATIONS {
            return Err(WireError::TooManyContinuations {
                count: header.continuations,
            });
        }
        if payload.len() > MAX_FRAGMENT_PAYLOAD {
            return Err(WireError::TooLong { len: frame.len() });
        }
        Ok((header, payload))
    }
}

/// Why a received frame is not a message of this protocol. Such frames are dropped (and
/// counted by the [`Client`](crate::Client)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireError {
    /// Shorter than a header.
    Short {
        /// The frame's length.
        len: usize,
    },
    /// Byte 0 is not [`API_BYTE`] (another API version or header size).
    BadApi {
        /// Byte 0.
        byte: u8,
    },
    /// A continuation count above [`MAX_CONTINUATIONS`] (63), which the resource manager
    /// never sends.
    TooManyContinuations {
        /// The count.
        count: u8,
    },
    /// Longer than a header and [`MAX_FRAGMENT_PAYLOAD`] bytes.
    TooLong {
        /// The frame's length.
        len: usize,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Short { len } => write!(f, "{len}-byte frame, shorter than a header"),
            WireError::BadApi { byte } => {
                write!(f, "header byte 0 is {byte:#04x}, not {API_BYTE:#04x}")
            }
            WireError::TooManyContinuations { count } => write!(
                f,
                "{count} continuations announced, at most {MAX_CONTINUATIONS} allowed"
            ),
            WireError::TooLong { len } => write!(
                f,
                "{len}-byte frame, longer than a header and {MAX_FRAGMENT_PAYLOAD} bytes"
            ),
        }
    }
}

impl core::error::Error for WireError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips() {
        for (kind, bits) in [
            (MsgType::Continuation, 0),
            (MsgType::Request, 1),
            (MsgType::Reply, 2),
            (MsgType::Notification, 3),
        ] {
            assert_eq!(MsgType::from_bits(bits), kind);
            assert_eq!(MsgType::from_bits(bits | 0xFC), kind);
            let header = Header::new(kind, 62, 0xBEEF, 0x1234_5678);
            let bytes = header.encode();
            assert_eq!(
                bytes,
                [0x21, 62 << 2 | bits, 0xEF, 0xBE, 0x78, 0x56, 0x34, 0x12]
            );
            assert_eq!(Header::decode(&bytes), Ok((header, &[][..])));
        }
    }

    #[test]
    fn limits() {
        assert_eq!(MAX_PAYLOAD, 14_616);
        assert_eq!(HEADER_LEN + MAX_FRAGMENT_PAYLOAD, 240);
    }

    #[test]
    fn bad_frames() {
        let ok = Header::new(MsgType::Reply, 0, 1, 2).encode();
        for len in 0..HEADER_LEN {
            assert_eq!(Header::decode(&ok[..len]), Err(WireError::Short { len }));
        }
        let mut bad = ok;
        bad[0] = 0x11;
        assert_eq!(Header::decode(&bad), Err(WireError::BadApi { byte: 0x11 }));
        bad[0] = 0x12;
        assert_eq!(Header::decode(&bad), Err(WireError::BadApi { byte: 0x12 }));
        let mut count = ok;
        count[1] = 63 << 2 | 2;
        assert_eq!(
            Header::decode(&count),
            Err(WireError::TooManyContinuations { count: 63 })
        );
        let mut long = [0u8; HEADER_LEN + MAX_FRAGMENT_PAYLOAD + 1];
        long[..HEADER_LEN].copy_from_slice(&ok);
        assert_eq!(Header::decode(&long), Err(WireError::TooLong { len: 241 }));
        let (_, payload) = Header::decode(&long[..240]).unwrap();
        assert_eq!(payload.len(), MAX_FRAGMENT_PAYLOAD);
    }

    #[test]
    fn errors_display() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            WireError::Short { len: 3 }.to_string(),
            "3-byte frame, shorter than a header"
        );
        assert_eq!(
            WireError::BadApi { byte: 0x11 }.to_string(),
            "header byte 0 is 0x11, not 0x21"
        );
        assert_eq!(
            WireError::TooManyContinuations { count: 63 }.to_string(),
            "63 continuations announced, at most 62 allowed"
        );
        assert_eq!(
            WireError::TooLong { len: 241 }.to_string(),
            "241-byte frame, longer than a header and 232 bytes"
        );
    }
}
