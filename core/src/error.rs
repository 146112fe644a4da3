//! The error model: hypervisor error codes, the crate's error type, and the errno remap.

use crate::mailbox::ErrorKind;

/// An error code returned by the hypervisor in `x0` (its `error_t`), other than OK.
///
/// The names and values follow the hypervisor's `error_t`. `MsgqueueFull` and `MsgqueueEmpty`
/// are named so that the conversion from the raw code is lossless, but the queue API never
/// returns them as errors: they become [`SendOutcome::WouldBlock`] and [`RecvOutcome::Empty`].
///
/// [`SendOutcome::WouldBlock`]: crate::SendOutcome::WouldBlock
/// [`RecvOutcome::Empty`]: crate::RecvOutcome::Empty
// The discriminants are the codes (and 0, which is no error, for `Unknown`), so that turning
// a code into its variant is a range check and a copy, not a jump table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(i32)]
pub enum GunyahError {
    /// -1: the call is not implemented (also the SMCCC "unknown function" answer).
    Unimplemented = -1,
    /// -2: a transient condition; the call may succeed if made again.
    Retry = -2,
    /// 1: an argument is invalid.
    ArgumentInvalid = 1,
    /// 2: a size argument is invalid (also an older hypervisor's answer to a too-small buffer).
    ArgumentSize = 2,
    /// 3: an argument is misaligned.
    ArgumentAlignment = 3,
    /// 10: the hypervisor is out of memory.
    Nomem = 10,
    /// 11: the hypervisor is out of some other resource.
    Noresources = 11,
    /// 20: an address range overflows (the documented answer to a too-small receive buffer).
    AddrOverflow = 20,
    /// 21: an address range underflows.
    AddrUnderflow = 21,
    /// 22: an address is invalid (for example an unmapped buffer).
    AddrInvalid = 22,
    /// 23: address ranges overlap (newer hypervisors only).
    AddrOverlap = 23,
    /// 24: an address was not found (newer hypervisors only).
    AddrNotFound = 24,
    /// 30: the operation is denied.
    Denied = 30,
    /// 31: the object is busy.
    Busy = 31,
    /// 32: the object is idle.
    Idle = 32,
    /// 33: the object is in the wrong state for this call.
    ObjectState = 33,
    /// 34: the object is not configured.
    ObjectConfig = 34,
    /// 35: the object is already configured.
    ObjectConfigured = 35,
    /// 36: a generic failure.
    Failure = 36,
    /// 40: the vIRQ is already bound.
    VirqBound = 40,
    /// 41: the vIRQ is not bound.
    VirqNotBound = 41,
    /// 50: the capability is null.
    CspaceCapNull = 50,
    /// 51: the capability was revoked.
    CspaceCapRevoked = 51,
    /// 52: the capability names an object of another type.
    CspaceWrongObjectType = 52,
    /// 53: the capability lacks the right this call needs (SEND or RECEIVE).
    CspaceInsufficientRights = 53,
    /// 54: the capability space is full.
    CspaceFull = 54,
    /// 60: the message queue is empty (a receive outcome, not an error, in the queue API).
    MsgqueueEmpty = 60,
    /// 61: the message queue is full (a send outcome, not an error, in the queue API).
    MsgqueueFull = 61,
    /// 90: a string was truncated.
    StringTruncated = 90,
    /// 91: a string reached its end.
    StringReachedEnd = 91,
    /// 92: a format string is invalid.
    StringInvalidFormat = 92,
    /// 93: a format string lacks a placeholder.
    StringMissingPlaceholder = 93,
    /// 94: a format string lacks an argument.
    StringMissingArgument = 94,
    /// 100: allocator ranges overlap.
    AllocatorRangeOverlapping = 100,
    /// 101: allocator memory is in use.
    AllocatorMemInuse = 101,
    /// 110: the memory database is empty.
    MemdbEmpty = 110,
    /// 111: the caller does not own the memory.
    MemdbNotOwner = 111,
    /// 120: a memory extent has no free mapping slot.
    MemextentMappingsFull = 120,
    /// 121: a memory extent has the wrong type.
    MemextentType = 121,
    /// 200: a mapping already exists.
    ExistingMapping = 200,
    /// A code this crate does not know, kept as the hypervisor returned it.
    Unknown(i32) = 0,
}

/// asm-generic errno values used by [`GunyahError::errno`] and [`Error::errno`].
pub mod errno {
    /// I/O error.
    pub const EIO: i32 = 5;
    /// Try again.
    pub const EAGAIN: i32 = 11;
    /// Out of memory.
    pub const ENOMEM: i32 = 12;
    /// Permission denied.
    pub const EACCES: i32 = 13;
    /// Device or resource busy.
    pub const EBUSY: i32 = 16;
    /// Invalid argument.
    pub const EINVAL: i32 = 22;
    /// Broken pipe: the queue was shut down.
    pub const EPIPE: i32 = 32;
    /// Not a data message: the hypervisor broke the ABI contract.
    pub const EBADMSG: i32 = 74;
    /// Message too long.
    pub const EMSGSIZE: i32 = 90;
    /// Operation not supported.
    pub const EOPNOTSUPP: i32 = 95;
    /// No buffer space available.
    pub const ENOBUFS: i32 = 105;
    /// Timed out.
    pub const ETIMEDOUT: i32 = 110;
}

impl GunyahError {
    /// Interprets a raw hypervisor result: `Ok(())` for OK (0), the named error otherwise,
    /// [`GunyahError::Unknown`] for a code this crate does not know.
    #[inline]
    pub const fn check(code: i32) -> Result<(), GunyahError> {
        if code == 0 {
            Ok(())
        } else {
            Err(GunyahError::from_error_code(code))
        }
    }

    /// The error a non-zero code names ([`GunyahError::Unknown`] for one this crate does not
    /// know, and for 0, which is no error). Out of line and cold: the data path handles OK
    /// and its expected codes inline, and only a real error pays for the lookup.
    #[cold]
    #[inline(never)]
    pub(crate) const fn from_error_code(code: i32) -> GunyahError {
        use GunyahError::*;
        match code {
            -1 => Unimplemented,
            -2 => Retry,
            1 => ArgumentInvalid,
            2 => ArgumentSize,
            3 => ArgumentAlignment,
            10 => Nomem,
            11 => Noresources,
            20 => AddrOverflow,
            21 => AddrUnderflow,
            22 => AddrInvalid,
            23 => AddrOverlap,
            24 => AddrNotFound,
            30 => Denied,
            31 => Busy,
            32 => Idle,
            33 => ObjectState,
            34 => ObjectConfig,
            35 => ObjectConfigured,
            36 => Failure,
            40 => VirqBound,
            41 => VirqNotBound,
            50 => CspaceCapNull,
            51 => CspaceCapRevoked,
            52 => CspaceWrongObjectType,
            53 => CspaceInsufficientRights,
            54 => CspaceFull,
            60 => MsgqueueEmpty,
            61 => MsgqueueFull,
            90 => StringTruncated,
            91 => StringReachedEnd,
            92 => StringInvalidFormat,
            93 => StringMissingPlaceholder,
            94 => StringMissingArgument,
            100 => AllocatorRangeOverlapping,
            101 => AllocatorMemInuse,
            110 => MemdbEmpty,
            111 => MemdbNotOwner,
            120 => MemextentMappingsFull,
            121 => MemextentType,
            200 => ExistingMapping,
            unknown => Unknown(unknown),
        }
    }

    /// The raw `error_t` value; `GunyahError::check(e.code()) == Err(e)` for every `e`.
    #[must_use]
    pub const fn code(self) -> i32 {
        use GunyahError::*;
        match self {
            Unimplemented => -1,
            Retry => -2,
            ArgumentInvalid => 1,
            ArgumentSize => 2,
            ArgumentAlignment => 3,
            Nomem => 10,
            Noresources => 11,
            AddrOverflow => 20,
            AddrUnderflow => 21,
            AddrInvalid => 22,
            AddrOverlap => 23,
            AddrNotFound => 24,
            Denied => 30,
            Busy => 31,
            Idle => 32,
            ObjectState => 33,
            ObjectConfig => 34,
            ObjectConfigured => 35,
            Failure => 36,
            VirqBound => 40,
            VirqNotBound => 41,
            CspaceCapNull => 50,
            CspaceCapRevoked => 51,
            CspaceWrongObjectType => 52,
            CspaceInsufficientRights => 53,
            CspaceFull => 54,
            MsgqueueEmpty => 60,
            MsgqueueFull => 61,
            StringTruncated => 90,
            StringReachedEnd => 91,
            StringInvalidFormat => 92,
            StringMissingPlaceholder => 93,
            StringMissingArgument => 94,
            AllocatorRangeOverlapping => 100,
            AllocatorMemInuse => 101,
            MemdbEmpty => 110,
            MemdbNotOwner => 111,
            MemextentMappingsFull => 120,
            MemextentType => 121,
            ExistingMapping => 200,
            Unknown(code) => code,
        }
    }

    /// The error's class, for generic code.
    #[must_use]
    pub const fn kind(self) -> ErrorKind {
        use GunyahError::*;
        match self {
            // FULL and EMPTY only reach here when a caller converts them by hand: the queue
            // API turns them into outcomes. Both mean "try again later".
            Retry | MsgqueueFull | MsgqueueEmpty => ErrorKind::Retry,
            Unimplemented => ErrorKind::Unsupported,
            ArgumentInvalid | ArgumentSize | ArgumentAlignment | AddrOverflow | AddrUnderflow
            | AddrInvalid => ErrorKind::InvalidArgument,
            Nomem => ErrorKind::NoMemory,
            Denied
            | CspaceCapNull
            | CspaceCapRevoked
            | CspaceWrongObjectType
            | CspaceInsufficientRights => ErrorKind::Denied,
            Busy | Idle | CspaceFull => ErrorKind::Busy,
            VirqBound | VirqNotBound => ErrorKind::IrqBinding,
            _ => ErrorKind::Other,
        }
    }

    /// The negative errno of the newest Linux remap (`gunyah_error_remap`, v16+), except that
    /// FULL and EMPTY give `-EAGAIN` (older drivers said `-EIO`, `-EBUSY` or `-EPERM`, which made
    /// callers treat flow control as a fault). Unknown codes give `-EINVAL`, as every Linux
    /// version does.
    #[must_use]
    pub const fn errno(self) -> i32 {
        use GunyahError::*;
        -match self {
            Unimplemented => errno::EOPNOTSUPP,
            Retry | MsgqueueFull | MsgqueueEmpty => errno::EAGAIN,
            Nomem => errno::ENOMEM,
            Denied
            | CspaceCapNull
            | CspaceCapRevoked
            | CspaceWrongObjectType
            | CspaceInsufficientRights => errno::EACCES,
            Busy | Idle | CspaceFull => errno::EBUSY,
            VirqBound | VirqNotBound => errno::EIO,
            // Listed in full rather than as `_`, so that a new variant needs a decision.
            ArgumentInvalid
            | ArgumentSize
            | ArgumentAlignment
            | AddrOverflow
            | AddrUnderflow
            | AddrInvalid
            | Noresources
            | AddrOverlap
            | AddrNotFound
            | ObjectState
            | ObjectConfig
            | ObjectConfigured
            | Failure
            | StringTruncated
            | StringReachedEnd
            | StringInvalidFormat
            | StringMissingPlaceholder
            | StringMissingArgument
            | AllocatorRangeOverlapping
            | AllocatorMemInuse
            | MemdbEmpty
            | MemdbNotOwner
            | MemextentMappingsFull
            | MemextentType
            | ExistingMapping
            | Unknown(_) => errno::EINVAL,
        }
    }
}

/// Which side of a queue pair an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The queue this endpoint sends into.
    Tx,
    /// The queue this endpoint receives from.
    Rx,
}

/// A reply from the hypervisor that breaks the ABI contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AbiViolation {
    /// `msgq_receive` reported OK with a size larger than the buffer it was given.
    SizeExceedsBuffer {
        /// The size the hypervisor reported.
        size: u64,
        /// The buffer the hypervisor was given.
        capacity: usize,
    },
    /// `msgq_receive` reported OK, a size of 0 and an empty queue: no guest can send an empty
    /// message, so this is not a message.
    ZeroLengthMessage,
}

/// The error type of [`MsgQueue`](crate::MsgQueue).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The hypervisor returned this error code. A send never reports `MsgqueueFull` and a
    /// receive never reports `MsgqueueEmpty` this way (they are the `WouldBlock` and `Empty`
    /// outcomes); the other one, which the hypervisor has no reason to return for that call,
    /// is passed on as it came.
    Hypervisor(GunyahError),
    /// The message is empty; it was not sent.
    EmptyMessage,
    /// The message is longer than this queue's maximum; it was not sent.
    MessageTooLarge {
        /// The message's length.
        len: usize,
        /// This queue's maximum message size.
        max: usize,
    },
    /// The receive buffer is smaller than the RX queue's maximum message size.
    BufferTooSmall {
        /// The buffer's length.
        len: usize,
        /// The length a receive buffer needs.
        required: usize,
    },
    /// This endpoint has no queue in that direction (a TX-only or RX-only endpoint).
    NotConfigured(Direction),
    /// The queue was shut down.
    Closed,
    /// A blocking send did not get the message accepted before its timeout.
    TimedOut,
    /// The head message of the RX queue cannot be read, and every retry will answer the same:
    /// it is larger than the receive buffer, or the hypervisor's copy quirk hides it. RX stays
    /// pending; the owner decides, for example by [flushing](crate::MsgQueue::flush_rx).
    ///
    /// One condition, whatever the hypervisor's error mode, so that one recovery serves all:
    /// - `code: None`: the public-source hypervisor answered OK, size 0, not empty;
    /// - `code: Some(AddrOverflow | ArgumentSize)`: the documented answer to a receive buffer
    ///   that is too small (older hypervisors say ARGUMENT_SIZE).
    ///
    /// This departs on purpose from the specification's error table, which files those two
    /// codes under `InvalidArgument`: on the receive path they mean "this message can never be
    /// read into this buffer", and an owner that recovers from `RxStuck` would otherwise retry
    /// forever on a documented-mode hypervisor. Elsewhere (a send, a flush) they stay
    /// [`Error::Hypervisor`].
    RxStuck {
        /// The hypervisor's error code, if it gave one.
        code: Option<GunyahError>,
    },
    /// The hypervisor's reply broke the ABI contract.
    Abi(AbiViolation),
    /// Another receive is already waiting on this queue (feature `async`): an `AsyncQueue`
    /// serves one receiver at a time, so that no two tasks
    /// wait for the same messages. Nothing was received; retry once the other receive has
    /// ended (completed or dropped).
    AlreadyReceiving,
}

impl Error {
    /// The negative errno for FFI callers. Hypervisor codes follow [`GunyahError::errno`].
    #[must_use]
    pub const fn errno(self) -> i32 {
        -match self {
            Error::Hypervisor(e) => return e.errno(),
            Error::EmptyMessage => errno::EINVAL,
            Error::MessageTooLarge { .. } => errno::EMSGSIZE,
            Error::BufferTooSmall { .. } => errno::ENOBUFS,
            Error::NotConfigured(_) => errno::EOPNOTSUPP,
            Error::Closed => errno::EPIPE,
            Error::TimedOut => errno::ETIMEDOUT,
            Error::RxStuck { .. } => errno::EIO,
            Error::Abi(_) => errno::EBADMSG,
            Error::AlreadyReceiving => errno::EBUSY,
        }
    }
}

impl From<GunyahError> for Error {
    fn from(e: GunyahError) -> Self {
        Error::Hypervisor(e)
    }
}

impl Error {
    /// The error's class, for generic code (also reachable through
    /// [`mailbox::Error::kind`](crate::mailbox::Error::kind)).
    #[must_use]
    pub const fn kind(self) -> ErrorKind {
        match self {
            Error::Hypervisor(e) => e.kind(),
            Error::EmptyMessage | Error::MessageTooLarge { .. } => ErrorKind::MessageSize,
            Error::BufferTooSmall { .. } => ErrorKind::BufferTooSmall,
            Error::NotConfigured(_) => ErrorKind::Unsupported,
            Error::Closed => ErrorKind::Closed,
            Error::TimedOut => ErrorKind::TimedOut,
            Error::RxStuck { .. } => ErrorKind::RxStuck,
            Error::Abi(_) => ErrorKind::HypervisorFault,
            Error::AlreadyReceiving => ErrorKind::Busy,
        }
    }
}

impl crate::mailbox::Error for Error {
    fn kind(&self) -> ErrorKind {
        Error::kind(*self)
    }
}

impl core::fmt::Display for GunyahError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            GunyahError::Unknown(code) => write!(f, "unknown hypervisor error {code}"),
            named => write!(f, "hypervisor error {named:?} ({})", named.code()),
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Hypervisor(e) => e.fmt(f),
            Error::EmptyMessage => f.write_str("empty message"),
            Error::MessageTooLarge { len, max } => {
                write!(
                    f,
                    "message of {len} bytes exceeds the queue's maximum of {max}"
                )
            }
            Error::BufferTooSmall { len, required } => {
                write!(
                    f,
                    "receive buffer of {len} bytes is smaller than {required}"
                )
            }
            Error::NotConfigured(d) => write!(f, "no {d:?} queue on this endpoint"),
            Error::Closed => f.write_str("queue closed"),
            Error::TimedOut => f.write_str("timed out"),
            Error::RxStuck { code: None } => f.write_str("RX head message cannot be read"),
            Error::RxStuck { code: Some(e) } => {
                write!(f, "RX head message cannot be read ({e})")
            }
            Error::Abi(v) => write!(f, "hypervisor broke the msgq ABI: {v:?}"),
            Error::AlreadyReceiving => f.write_str("another receive is already waiting"),
        }
    }
}

impl core::error::Error for GunyahError {}
impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the hypervisor can return, named or not, with a sample of unknown ones.
    fn sample_codes() -> impl Iterator<Item = i32> {
        (-300..=300).chain([i32::MIN, i32::MIN + 1, i32::MAX, 0x7FFF_0000])
    }

    fn named() -> impl Iterator<Item = (i32, GunyahError)> {
        sample_codes().filter_map(|c| match GunyahError::check(c) {
            Err(GunyahError::Unknown(_)) | Ok(()) => None,
            Err(e) => Some((c, e)),
        })
    }

    #[test]
    fn conversion_is_lossless() {
        assert_eq!(GunyahError::check(0), Ok(()));
        for code in sample_codes().filter(|&c| c != 0) {
            let e = GunyahError::check(code).unwrap_err();
            assert_eq!(e.code(), code, "{e:?}");
        }
        // The hypervisor's error_t names 40 codes (including 23, 24 and 121 of newer releases).
        assert_eq!(named().count(), 40);
        let expected: [i32; 40] = [
            -2, -1, 1, 2, 3, 10, 11, 20, 21, 22, 23, 24, 30, 31, 32, 33, 34, 35, 36, 40, 41, 50,
            51, 52, 53, 54, 60, 61, 90, 91, 92, 93, 94, 100, 101, 110, 111, 120, 121, 200,
        ];
        assert!(named().map(|(c, _)| c).eq(expected));
    }

    #[test]
    fn errno_follows_v16_remap_with_flow_control_as_eagain() {
        let expect = |code: i32| -> i32 {
            match code {
                -1 => -95,
                -2 | 60 | 61 => -11,
                1..=3 | 20..=22 => -22,
                10 => -12,
                30 | 50..=53 => -13,
                31 | 32 | 54 => -16,
                40 | 41 => -5,
                _ => -22,
            }
        };
        for (code, e) in named() {
            assert_eq!(e.errno(), expect(code), "{e:?}");
            assert_eq!(Error::Hypervisor(e).errno(), expect(code));
        }
        assert_eq!(GunyahError::Unknown(7777).errno(), -22);
    }

    #[test]
    fn kinds() {
        let expect = |code: i32| -> ErrorKind {
            match code {
                -2 | 60 | 61 => ErrorKind::Retry,
                -1 => ErrorKind::Unsupported,
                1..=3 | 20..=22 => ErrorKind::InvalidArgument,
                10 => ErrorKind::NoMemory,
                30 | 50..=53 => ErrorKind::Denied,
                31 | 32 | 54 => ErrorKind::Busy,
                40 | 41 => ErrorKind::IrqBinding,
                _ => ErrorKind::Other,
            }
        };
        for (code, e) in named() {
            assert_eq!(e.kind(), expect(code), "{e:?}");
            assert_eq!(Error::Hypervisor(e).kind(), expect(code));
        }
        assert_eq!(GunyahError::Unknown(5).kind(), ErrorKind::Other);
    }

    #[test]
    fn local_errors() {
        let cases = [
            (Error::EmptyMessage, ErrorKind::MessageSize, -22),
            (
                Error::MessageTooLarge { len: 9, max: 8 },
                ErrorKind::MessageSize,
                -90,
            ),
            (
                Error::BufferTooSmall {
                    len: 1,
                    required: 8,
                },
                ErrorKind::BufferTooSmall,
                -105,
            ),
            (
                Error::NotConfigured(Direction::Tx),
                ErrorKind::Unsupported,
                -95,
            ),
            (Error::Closed, ErrorKind::Closed, -32),
            (Error::TimedOut, ErrorKind::TimedOut, -110),
            (Error::RxStuck { code: None }, ErrorKind::RxStuck, -5),
            (
                Error::RxStuck {
                    code: Some(GunyahError::AddrOverflow),
                },
                ErrorKind::RxStuck,
                -5,
            ),
            (
                Error::Abi(AbiViolation::ZeroLengthMessage),
                ErrorKind::HypervisorFault,
                -74,
            ),
            (Error::AlreadyReceiving, ErrorKind::Busy, -16),
        ];
        for (e, kind, errno) in cases {
            assert_eq!(e.kind(), kind, "{e:?}");
            assert_eq!(e.errno(), errno, "{e:?}");
        }
        assert_eq!(
            Error::from(GunyahError::Busy),
            Error::Hypervisor(GunyahError::Busy)
        );
    }

    #[test]
    fn display_is_not_empty() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(GunyahError::Busy.to_string(), "hypervisor error Busy (31)");
        assert_eq!(
            GunyahError::Unknown(77).to_string(),
            "unknown hypervisor error 77"
        );
        assert_eq!(
            Error::MessageTooLarge { len: 9, max: 8 }.to_string(),
            "message of 9 bytes exceeds the queue's maximum of 8"
        );
        assert_eq!(Error::Closed.to_string(), "queue closed");
        assert_eq!(
            Error::AlreadyReceiving.to_string(),
            "another receive is already waiting"
        );
    }
}
