//! Decoding of hypercall outputs, done once for every backend.
//!
//! The rules: the error is the low 32 bits of `x0` as `i32` (the resource manager reads `w0`,
//! so `0xFFFF_FFFF` and a 64-bit -1 are both -1); a boolean is its register's low byte; the
//! other outputs mean something only when the error is OK; a receive size larger than the
//! buffer is a hypervisor fault, never trusted.

use crate::error::{AbiViolation, Error, GunyahError};
use crate::hypercall::RawOutput;

/// The error word of `x0`: its low 32 bits, as `i32`. Junk above bit 31 is ignored.
#[must_use]
pub const fn error_code(x0: u64) -> i32 {
    x0 as u32 as i32
}

/// A boolean output register: its low byte is non-zero. Junk above bit 7 is ignored.
#[must_use]
pub const fn flag(reg: u64) -> bool {
    reg as u8 != 0
}

/// A decoded `msgq_send` reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendReply {
    /// OK: the message is queued.
    Accepted {
        /// The queue still has room.
        not_full: bool,
    },
    /// MSGQUEUE_FULL: nothing was queued.
    Full,
}

impl TryFrom<RawOutput> for SendReply {
    type Error = GunyahError;

    #[inline]
    fn try_from(raw: RawOutput) -> Result<Self, GunyahError> {
        // OK and FULL are decoded inline; any other code is an error, looked up out of line.
        match error_code(raw.x0) {
            OK => Ok(SendReply::Accepted {
                not_full: flag(raw.x1),
            }),
            MSGQUEUE_FULL => Ok(SendReply::Full),
            code => Err(GunyahError::from_error_code(code)),
        }
    }
}

/// A decoded `msgq_receive` reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvReply {
    /// OK: a message of `len` bytes (`1..=capacity`) is at the start of the buffer.
    Message {
        /// The message's length.
        len: usize,
        /// The queue holds more messages.
        more: bool,
    },
    /// MSGQUEUE_EMPTY.
    Empty,
}

impl RecvReply {
    /// Decodes a receive into a buffer of `capacity` bytes.
    ///
    /// # Errors
    /// - [`Error::RxStuck`] for OK, size 0 and not_empty (the public-source quirk), and for
    ///   ADDR_OVERFLOW or ARGUMENT_SIZE (the documented answers to a too-small buffer, with
    ///   the code kept): the head message cannot be read.
    /// - [`Error::Hypervisor`] for any other error code but EMPTY.
    /// - [`Error::Abi`] for a size larger than `capacity`, or OK with size 0 and an empty queue.
    #[inline]
    pub fn decode(raw: RawOutput, capacity: usize) -> Result<RecvReply, Error> {
        // OK and EMPTY are decoded inline; any other code is an error, looked up out of line.
        match error_code(raw.x0) {
            OK => {}
            MSGQUEUE_EMPTY => return Ok(RecvReply::Empty),
            code => return Err(receive_error(code)),
        }
        let more = flag(raw.x2);
        match usize::try_from(raw.x1) {
            Ok(0) if more => Err(Error::RxStuck { code: None }),
            Ok(0) => Err(Error::Abi(AbiViolation::ZeroLengthMessage)),
            Ok(len) if len <= capacity => Ok(RecvReply::Message { len, more }),
            _ => Err(Error::Abi(AbiViolation::SizeExceedsBuffer {
                size: raw.x1,
                capacity,
            })),
        }
    }
}

/// The codes the data path decodes inline.
const OK: i32 = 0;
const MSGQUEUE_FULL: i32 = GunyahError::MsgqueueFull.code();
const MSGQUEUE_EMPTY: i32 = GunyahError::MsgqueueEmpty.code();

/// A receive's error other than EMPTY.
#[cold]
#[inline(never)]
fn receive_error(code: i32) -> Error {
    match GunyahError::from_error_code(code) {
        // The documented "buffer too small" answers: the head cannot be read.
        e @ (GunyahError::AddrOverflow | GunyahError::ArgumentSize) => {
            Error::RxStuck { code: Some(e) }
        }
        e => Error::Hypervisor(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_word_ignores_upper_half() {
        assert_eq!(error_code(0), 0);
        assert_eq!(error_code(0xFFFF_FFFF), -1);
        assert_eq!(error_code(u64::MAX), -1);
        assert_eq!(error_code(0xDEAD_BEEF_0000_003D), 61);
        assert_eq!(error_code(0x1_0000_0000), 0);
        assert_eq!(error_code(0xFFFF_FFFE), -2);
    }

    #[test]
    fn flag_reads_low_byte_only() {
        assert!(!flag(0));
        assert!(flag(1));
        assert!(flag(0x80));
        assert!(!flag(0x100));
        assert!(!flag(0xFFFF_FF00));
        assert!(flag(0xFFFF_FF01));
    }

    #[test]
    fn send_replies() {
        assert_eq!(
            SendReply::try_from(RawOutput::sent(true)),
            Ok(SendReply::Accepted { not_full: true })
        );
        assert_eq!(
            SendReply::try_from(RawOutput {
                x0: 0xAB_0000_0000,
                x1: 0x200,
                x2: 7
            }),
            Ok(SendReply::Accepted { not_full: false })
        );
        assert_eq!(
            SendReply::try_from(RawOutput::error(61)),
            Ok(SendReply::Full)
        );
        assert_eq!(
            SendReply::try_from(RawOutput::error(-2)),
            Err(GunyahError::Retry)
        );
        assert_eq!(
            SendReply::try_from(RawOutput::error(60)),
            Err(GunyahError::MsgqueueEmpty)
        );
        assert_eq!(
            SendReply::try_from(RawOutput::error(999)),
            Err(GunyahError::Unknown(999))
        );
    }

    #[test]
    fn recv_replies() {
        assert_eq!(
            RecvReply::decode(RawOutput::received(5, true), 8),
            Ok(RecvReply::Message { len: 5, more: true })
        );
        assert_eq!(
            RecvReply::decode(RawOutput::received(8, false), 8),
            Ok(RecvReply::Message {
                len: 8,
                more: false
            })
        );
        assert_eq!(
            RecvReply::decode(RawOutput::error(60), 8),
            Ok(RecvReply::Empty)
        );
        assert_eq!(
            RecvReply::decode(
                RawOutput {
                    x0: 0xFFFF_FFFF_0000_003C,
                    x1: 9,
                    x2: 1
                },
                8
            ),
            Ok(RecvReply::Empty)
        );
        assert_eq!(
            RecvReply::decode(RawOutput::error(61), 8),
            Err(Error::Hypervisor(GunyahError::MsgqueueFull))
        );
        assert_eq!(
            RecvReply::decode(RawOutput::error(53), 8),
            Err(Error::Hypervisor(GunyahError::CspaceInsufficientRights))
        );
        assert_eq!(
            RecvReply::decode(RawOutput::received(0, true), 8),
            Err(Error::RxStuck { code: None })
        );
        // The documented "buffer too small" answers are the same condition, code kept.
        for e in [GunyahError::AddrOverflow, GunyahError::ArgumentSize] {
            assert_eq!(
                RecvReply::decode(RawOutput::failed(e), 8),
                Err(Error::RxStuck { code: Some(e) })
            );
        }
        assert_eq!(
            RecvReply::decode(RawOutput::received(0, false), 8),
            Err(Error::Abi(AbiViolation::ZeroLengthMessage))
        );
        assert_eq!(
            RecvReply::decode(RawOutput::received(9, false), 8),
            Err(Error::Abi(AbiViolation::SizeExceedsBuffer {
                size: 9,
                capacity: 8
            }))
        );
        assert_eq!(
            RecvReply::decode(RawOutput::received(u64::MAX, true), 8),
            Err(Error::Abi(AbiViolation::SizeExceedsBuffer {
                size: u64::MAX,
                capacity: 8
            }))
        );
        // Junk above bit 7 of not_empty is ignored.
        assert_eq!(
            RecvReply::decode(
                RawOutput {
                    x0: 0,
                    x1: 3,
                    x2: 0x100
                },
                8
            ),
            Ok(RecvReply::Message {
                len: 3,
                more: false
            })
        );
    }

    #[test]
    fn raw_constructors() {
        assert_eq!(RawOutput::error(-1).x0, u64::MAX);
        assert_eq!(
            RawOutput::error(61),
            RawOutput {
                x0: 61,
                x1: 0,
                x2: 0
            }
        );
        assert_eq!(
            RawOutput::sent(true),
            RawOutput {
                x0: 0,
                x1: 1,
                x2: 0
            }
        );
        assert_eq!(
            RawOutput::received(7, true),
            RawOutput {
                x0: 0,
                x1: 7,
                x2: 1
            }
        );
    }
}
