//! The three msgq hypercalls of [`gunyah_msgq::Hypercall`] over any [`Conduit`].
//!
//! `Smccc` and `Native` implement `Hypercall` with these functions; a host test, or a platform
//! with its own conduit (an emulator, a trace recorder), uses them directly. Each makes exactly
//! one call and returns the documented output registers unvalidated, for
//! [`gunyah_msgq::abi`] to decode.

use crate::call::Call;
use crate::conduit::Conduit;
use gunyah_msgq::{CapId, RawOutput, SendFlags};

/// `msgq_send` (0x1B): offers `msg` to the queue `cap`. Outputs: `x0` error, `x1` not_full.
///
/// The size passed is exactly `msg.len()` and the buffer exactly `msg`'s address, so the
/// hypervisor reads only `msg`.
pub fn msgq_send<C: Conduit + ?Sized>(
    conduit: &C,
    cap: CapId,
    msg: &[u8],
    flags: SendFlags,
) -> RawOutput {
    let call = Call::MsgqSend {
        cap,
        size: msg.len() as u64,
        buf: msg.as_ptr() as u64,
        flags,
    };
    // SAFETY: the buffer is `msg`, borrowed for the whole call, readable for `msg.len()`
    // bytes. It is ordinary memory: a `&[u8]` cannot point at device memory in safe Rust.
    let out = unsafe { conduit.call(call.marshal(C::CONVENTION)) };
    RawOutput {
        x0: out[0],
        x1: out[1],
        x2: 0,
    }
}

/// `msgq_receive` (0x1C): takes the head message of `cap` into `buf`. Outputs: `x0` error,
/// `x1` size, `x2` not_empty.
///
/// The buffer is exactly `buf` (address from `as_mut_ptr`, so the hypervisor's write is
/// allowed) and the size exactly `buf.len()`.
pub fn msgq_receive<C: Conduit + ?Sized>(conduit: &C, cap: CapId, buf: &mut [u8]) -> RawOutput {
    let call = Call::MsgqReceive {
        cap,
        buf: buf.as_mut_ptr() as u64,
        size: buf.len() as u64,
    };
    // SAFETY: the buffer is `buf`, exclusively borrowed for the whole call and writable for
    // `buf.len()` bytes; the hypervisor writes at most that many.
    let out = unsafe { conduit.call(call.marshal(C::CONVENTION)) };
    RawOutput {
        x0: out[0],
        x1: out[1],
        x2: out[2],
    }
}

/// `msgq_flush` (0x1D): drops every message queued in `cap`. Output: `x0` error.
pub fn msgq_flush<C: Conduit + ?Sized>(conduit: &C, cap: CapId) -> RawOutput {
    // SAFETY: a flush carries no buffer.
    let out = unsafe { conduit.call(Call::MsgqFlush { cap }.marshal(C::CONVENTION)) };
    RawOutput {
        x0: out[0],
        x1: 0,
        x2: 0,
    }
}
