//! The resource manager's error word ([`RmError`]) and the client's failures ([`RpcError`]).

use core::fmt;

/// A nonzero RM error word: the first four bytes of a reply's payload (spec §6; the real
/// resource manager answered an unknown msg_id with `0xFFFFFFFF`).
///
/// Every word maps to one value and back ([`from_word`](Self::from_word) /
/// [`word`](Self::word)); words this crate does not name are kept as
/// [`Unknown`](Self::Unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RmError {
    /// `0xFFFFFFFF`: the resource manager does not implement the msg_id.
    Unimplemented,
    /// 1: out of memory.
    NoMem,
    /// 2: out of a resource.
    NoResource,
    /// 3: not allowed to this VM.
    Denied,
    /// 4: a malformed request (for example a payload of the wrong length). The spec names it
    /// `INVALID`; the resource manager's source `MSG_INVALID`.
    MsgInvalid,
    /// 5: busy.
    Busy,
    /// 6: an argument is invalid.
    ArgumentInvalid,
    /// 7: a handle is invalid.
    HandleInvalid,
    /// 8: a validation failed.
    ValidateFailed,
    /// 9: a mapping failed.
    MapFailed,
    /// 10: invalid memory.
    MemInvalid,
    /// 11: memory in use.
    MemInUse,
    /// 12: memory already released.
    MemReleased,
    /// 13: no VM with that VMID.
    VmidInvalid,
    /// 14: a lookup failed.
    LookupFailed,
    /// 15: an invalid IRQ.
    IrqInvalid,
    /// 16: an IRQ in use.
    IrqInUse,
    /// 17: an IRQ already released.
    IrqReleased,
    /// 18: in use. Not in the spec: the resource manager's source of the real build
    /// (bf31a9a) adds 18-20.
    InUse,
    /// 19: an IRQ that is not mapped.
    IrqNotMapped,
    /// 20: the VM is not in a state that allows the call (for example `VM_GET_ID` on a VM
    /// that is not ready or running).
    VmState,
    /// Any other nonzero word (Linux maps these to `-EBADMSG`).
    Unknown(u32),
}

/// The named codes, in word order (without `Unimplemented`).
const NAMED: [RmError; 20] = [
    RmError::NoMem,
    RmError::NoResource,
    RmError::Denied,
    RmError::MsgInvalid,
    RmError::Busy,
    RmError::ArgumentInvalid,
    RmError::HandleInvalid,
    RmError::ValidateFailed,
    RmError::MapFailed,
    RmError::MemInvalid,
    RmError::MemInUse,
    RmError::MemReleased,
    RmError::VmidInvalid,
    RmError::LookupFailed,
    RmError::IrqInvalid,
    RmError::IrqInUse,
    RmError::IrqReleased,
    RmError::InUse,
    RmError::IrqNotMapped,
    RmError::VmState,
];

impl RmError {
    /// The error a reply's RM error word means: `None` for 0 (OK).
    #[must_use]
    pub const fn from_word(word: u32) -> Option<RmError> {
        match word {
            0 => None,
            u32::MAX => Some(RmError::Unimplemented),
            1..=20 => Some(NAMED[word as usize - 1]),
            _ => Some(RmError::Unknown(word)),
        }
    }

    /// The RM error word.
    #[must_use]
    pub const fn word(self) -> u32 {
        match self {
            RmError::Unimplemented => u32::MAX,
            RmError::NoMem => 1,
            RmError::NoResource => 2,
            RmError::Denied => 3,
            RmError::MsgInvalid => 4,
            RmError::Busy => 5,
            RmError::ArgumentInvalid => 6,
            RmError::HandleInvalid => 7,
            RmError::ValidateFailed => 8,
            RmError::MapFailed => 9,
            RmError::MemInvalid => 10,
            RmError::MemInUse => 11,
            RmError::MemReleased => 12,
            RmError::VmidInvalid => 13,
            RmError::LookupFailed => 14,
            RmError::IrqInvalid => 15,
            RmError::IrqInUse => 16,
            RmError::IrqReleased => 17,
            RmError::InUse => 18,
            RmError::IrqNotMapped => 19,
            RmError::VmState => 20,
            RmError::Unknown(word) => word,
        }
    }
}

impl fmt::Display for RmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RmError::Unknown(word) => write!(f, "resource manager error {word:#x}"),
            e => write!(f, "resource manager error {:#x} ({e:?})", e.word()),
        }
    }
}

impl core::error::Error for RmError {}

/// Why a call to the resource manager failed. `E` is the mailbox's error type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RpcError<E> {
    /// The mailbox failed to send or receive; nothing more was sent.
    Mailbox(E),
    /// No reply within the client's timeout (and, if the TX queue stayed full, the rest of
    /// the request was never sent: it never will be).
    Timeout,
    /// The reply was cut off: a new message started, or a fragment that did not continue it
    /// arrived, before its last fragment.
    Aborted,
    /// The reply is too short to hold the RM error word, or its payload is not what the call
    /// expects.
    Malformed,
    /// The request's payload is more than a message can carry on this link: nothing was
    /// sent.
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The most this link's messages carry (63 fragments).
        max: usize,
    },
    /// The reply does not fit the client's reply buffer.
    ReplyTooLarge {
        /// The buffer's size.
        capacity: usize,
    },
    /// The TX queue's maximum message size cannot hold a header and one payload byte.
    QueueTooSmall {
        /// The queue's maximum message size.
        max_msg_size: usize,
    },
    /// msg_id 0, which the protocol reserves.
    ReservedMsgId,
    /// The resource manager answered with a nonzero error word.
    Rm(RmError),
}

impl<E> From<RmError> for RpcError<E> {
    fn from(e: RmError) -> Self {
        RpcError::Rm(e)
    }
}

impl<E: fmt::Debug> fmt::Display for RpcError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcError::Mailbox(e) => write!(f, "mailbox error: {e:?}"),
            RpcError::Timeout => write!(f, "no reply from the resource manager in time"),
            RpcError::Aborted => write!(f, "the reply was cut off by another message"),
            RpcError::Malformed => write!(f, "malformed reply"),
            RpcError::PayloadTooLarge { len, max } => {
                write!(f, "{len}-byte request payload, at most {max} fit")
            }
            RpcError::ReplyTooLarge { capacity } => {
                write!(f, "reply larger than the {capacity}-byte reply buffer")
            }
            RpcError::QueueTooSmall { max_msg_size } => write!(
                f,
                "{max_msg_size}-byte messages cannot hold a header and a payload byte"
            ),
            RpcError::ReservedMsgId => write!(f, "msg_id 0 is reserved"),
            RpcError::Rm(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for RpcError<E> {}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn every_word_round_trips() {
        assert_eq!(RmError::from_word(0), None);
        for word in (1..=40).chain([0x7FFF_FFFF, 0xFFFF_FFFE, u32::MAX]) {
            let e = RmError::from_word(word).unwrap();
            assert_eq!(e.word(), word);
        }
        assert_eq!(RmError::from_word(u32::MAX), Some(RmError::Unimplemented));
        assert_eq!(RmError::from_word(1), Some(RmError::NoMem));
        assert_eq!(RmError::from_word(4), Some(RmError::MsgInvalid));
        assert_eq!(RmError::from_word(13), Some(RmError::VmidInvalid));
        assert_eq!(RmError::from_word(17), Some(RmError::IrqReleased));
        assert_eq!(RmError::from_word(18), Some(RmError::InUse));
        assert_eq!(RmError::from_word(20), Some(RmError::VmState));
        assert_eq!(RmError::from_word(21), Some(RmError::Unknown(21)));
        for (i, e) in NAMED.iter().enumerate() {
            assert_eq!(e.word() as usize, i + 1);
            assert!(!matches!(e, RmError::Unknown(_)));
        }
    }

    #[test]
    fn errors_display() {
        assert_eq!(
            RmError::Unimplemented.to_string(),
            "resource manager error 0xffffffff (Unimplemented)"
        );
        assert_eq!(
            RmError::Unknown(99).to_string(),
            "resource manager error 0x63"
        );
        let all: [RpcError<u8>; 9] = [
            RpcError::Mailbox(1),
            RpcError::Timeout,
            RpcError::Aborted,
            RpcError::Malformed,
            RpcError::PayloadTooLarge { len: 2, max: 1 },
            RpcError::ReplyTooLarge { capacity: 3 },
            RpcError::QueueTooSmall { max_msg_size: 8 },
            RpcError::ReservedMsgId,
            RpcError::from(RmError::Busy),
        ];
        let texts = [
            "mailbox error: 1",
            "no reply from the resource manager in time",
            "the reply was cut off by another message",
            "malformed reply",
            "2-byte request payload, at most 1 fit",
            "reply larger than the 3-byte reply buffer",
            "8-byte messages cannot hold a header and a payload byte",
            "msg_id 0 is reserved",
            "resource manager error 0x5 (Busy)",
        ];
        for (e, text) in all.iter().zip(texts) {
            assert_eq!(e.to_string(), text);
        }
    }
}
