//! RM RPC framing at the byte level (spec §6, as the real resource manager sends it).
//!
//! Written from the spec and the real RM's observed bytes only, so that a client's framing
//! bug cannot be mirrored here.

use std::vec::Vec;

/// Length of the RM RPC header.
pub const HEADER_LEN: usize = 8;
/// Header byte 0: API version 1 in the low nibble, two header words in the high nibble.
pub const API_BYTE: u8 = 0x21;
/// The most payload bytes one fragment carries (a 240-byte message less the header).
pub const FRAGMENT_PAYLOAD: usize = 232;
/// The most continuation fragments one message may announce (the RM rejects more).
pub const MAX_CONTINUATIONS: u8 = 62;
/// The longest payload one message carries: 63 fragments of [`FRAGMENT_PAYLOAD`] bytes.
pub const MAX_PAYLOAD: usize = (MAX_CONTINUATIONS as usize + 1) * FRAGMENT_PAYLOAD;

/// The type in bits 1:0 of header byte 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MsgType {
    /// 0: a continuation fragment of the message before it.
    Continuation,
    /// 1: a request (guest to RM).
    Request,
    /// 2: a reply (RM to guest), echoing the request's seq and msg_id.
    Reply,
    /// 3: a notification (RM to guest, unsolicited).
    Notification,
}

impl MsgType {
    /// The two-bit code.
    #[must_use]
    pub const fn bits(self) -> u8 {
        match self {
            MsgType::Continuation => 0,
            MsgType::Request => 1,
            MsgType::Reply => 2,
            MsgType::Notification => 3,
        }
    }

    /// The type of a two-bit code (bits above 1 are ignored).
    #[must_use]
    pub const fn from_bits(bits: u8) -> MsgType {
        match bits & 0b11 {
            0 => MsgType::Continuation,
            1 => MsgType::Request,
            2 => MsgType::Reply,
            _ => MsgType::Notification,
        }
    }
}

/// One fragment's 8-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// The type of this fragment.
    pub msg_type: MsgType,
    /// Continuation fragments of the message (bits 7:2 of byte 1), repeated in every fragment.
    pub continuations: u8,
    /// The requester's sequence number (le16).
    pub seq: u16,
    /// The call or notification (le32; 0 is reserved).
    pub msg_id: u32,
}

impl Header {
    /// The header's bytes: `0x21`, `continuations << 2 | type`, le16 seq, le32 msg_id.
    /// `continuations` is truncated to its six bits.
    #[must_use]
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let seq = self.seq.to_le_bytes();
        let id = self.msg_id.to_le_bytes();
        [
            API_BYTE,
            // The fields never overlap: `+` is `|` here (and a mutant of it is not equivalent).
            (self.continuations << 2) + self.msg_type.bits(),
            seq[0],
            seq[1],
            id[0],
            id[1],
            id[2],
            id[3],
        ]
    }

    /// Reads the header at the start of `msg`.
    ///
    /// # Errors
    /// [`Malformed::Short`] under 8 bytes, [`Malformed::BadApi`] if byte 0 is not `0x21`.
    pub fn decode(msg: &[u8]) -> Result<Header, Malformed> {
        let Some(h) = msg.first_chunk::<HEADER_LEN>() else {
            return Err(Malformed::Short { len: msg.len() });
        };
        if h[0] != API_BYTE {
            return Err(Malformed::BadApi { byte: h[0] });
        }
        Ok(Header {
            msg_type: MsgType::from_bits(h[1]),
            continuations: h[1] >> 2,
            seq: u16::from_le_bytes([h[2], h[3]]),
            msg_id: u32::from_le_bytes([h[4], h[5], h[6], h[7]]),
        })
    }
}

/// Why the RM dropped a fragment the guest sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Malformed {
    /// Shorter than the 8-byte header.
    Short {
        /// Its length.
        len: usize,
    },
    /// Header byte 0 is not `0x21`.
    BadApi {
        /// The byte found.
        byte: u8,
    },
    /// A type a guest does not send: a reply or a notification.
    UnexpectedType {
        /// The type found.
        msg_type: MsgType,
    },
    /// msg_id 0, which is reserved.
    ReservedMsgId,
    /// More than [`MAX_CONTINUATIONS`] continuations announced.
    TooManyContinuations {
        /// The count found.
        continuations: u8,
    },
    /// A continuation with no partial request to continue.
    UnexpectedContinuation,
    /// A continuation whose seq, msg_id or count differ from the partial request's (the RM
    /// drops the fragment and keeps the partial request).
    MismatchedContinuation,
}

/// Splits `payload` into the fragments of one message: the first of type `msg_type`, the
/// others continuations, all with the same seq, msg_id and continuation count
/// `ceil(len / 232) - 1` (0 for an empty payload). `None` if the payload is longer than
/// [`MAX_PAYLOAD`].
#[must_use]
pub fn fragments(msg_type: MsgType, seq: u16, msg_id: u32, payload: &[u8]) -> Option<Vec<Vec<u8>>> {
    if payload.len() > MAX_PAYLOAD {
        return None;
    }
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        std::vec![payload]
    } else {
        payload.chunks(FRAGMENT_PAYLOAD).collect()
    };
    let continuations = u8::try_from(chunks.len() - 1).ok()?;
    Some(
        chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| {
                let header = Header {
                    msg_type: if i == 0 {
                        msg_type
                    } else {
                        MsgType::Continuation
                    },
                    continuations,
                    seq,
                    msg_id,
                };
                let mut msg = header.encode().to_vec();
                msg.extend_from_slice(chunk);
                msg
            })
            .collect(),
    )
}

/// The payload of a reply: the le32 RM error word, then `data`.
#[must_use]
pub fn reply_payload(error: u32, data: &[u8]) -> Vec<u8> {
    let mut payload = error.to_le_bytes().to_vec();
    payload.extend_from_slice(data);
    payload
}
