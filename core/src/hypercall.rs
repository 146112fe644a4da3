//! The raw msgq hypercalls a backend provides.

use crate::{CapId, GunyahError, SendFlags};

/// The output registers of a hypercall, exactly as the hypervisor left them.
///
/// Backends fill this in without interpreting it; [`crate::abi`] decodes it once, by the
/// ABI's rules (the error is the low 32 bits of `x0`, a boolean is the low byte of its
/// register, sizes are checked against the buffer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RawOutput {
    /// The error word.
    pub x0: u64,
    /// `msgq_send`: not_full. `msgq_receive`: the message size.
    pub x1: u64,
    /// `msgq_receive`: not_empty.
    pub x2: u64,
}

impl RawOutput {
    /// A successful call with no other output (`msgq_flush`, say): OK in `x0`.
    #[must_use]
    pub const fn ok() -> RawOutput {
        RawOutput {
            x0: 0,
            x1: 0,
            x2: 0,
        }
    }

    /// A failed call: only the error word set, to `e`'s code.
    #[must_use]
    pub const fn failed(e: GunyahError) -> RawOutput {
        RawOutput::error(e.code())
    }

    /// An output with only the error word set to a raw code, which may be one this crate does
    /// not know: what a hypervisor (or a hostile one) returns for a failed call. Prefer
    /// [`failed`](Self::failed) with a [`GunyahError`] name, and [`ok`](Self::ok) for OK.
    #[must_use]
    pub const fn error(code: i32) -> RawOutput {
        // Sign-extended, as the hypervisor writes a negative `error_t` into x0.
        RawOutput {
            x0: code as i64 as u64,
            x1: 0,
            x2: 0,
        }
    }

    /// A successful `msgq_send` output.
    #[must_use]
    pub const fn sent(not_full: bool) -> RawOutput {
        RawOutput {
            x0: 0,
            x1: not_full as u64,
            x2: 0,
        }
    }

    /// A successful `msgq_receive` output.
    #[must_use]
    pub const fn received(size: u64, not_empty: bool) -> RawOutput {
        RawOutput {
            x0: 0,
            x1: size,
            x2: not_empty as u64,
        }
    }
}

/// The raw Gunyah message queue hypercalls.
///
/// A backend performs the call and returns the output registers unvalidated: decoding and
/// validation are the core's job, so every backend gets them right the same way.
///
/// # For implementers
/// - `msgq_send` must pass exactly `msg.len()` as the size and `msg`'s address as the buffer;
///   `msgq_receive` exactly `buf`'s address and `buf.len()`. The hypervisor then reads or
///   writes only inside those slices, which is what keeps the caller's memory safe.
/// - Reserved inputs are 0 and PUSH is the only flag bit ever set: [`SendFlags`] cannot
///   express another.
/// - The call is made once per method call: the core counts on "one call, one submission".
///
/// # For callers
/// The outputs mean nothing until decoded with [`crate::abi`]; a hostile or buggy hypervisor
/// may put anything in them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Hypercall {
    /// `msgq_send` (hypercall 0x1B): offer `msg` to the queue `cap`.
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput;
    /// `msgq_receive` (hypercall 0x1C): take the head message of `cap` into `buf`.
    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput;
    /// `msgq_flush` (hypercall 0x1D): drop every message queued in `cap` (needs RECEIVE).
    fn msgq_flush(&self, cap: CapId) -> RawOutput;
}

impl<T: Hypercall + ?Sized> Hypercall for &T {
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        T::msgq_send(self, cap, msg, flags)
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        T::msgq_receive(self, cap, buf)
    }

    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        T::msgq_flush(self, cap)
    }
}
