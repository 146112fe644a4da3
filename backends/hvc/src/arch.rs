//! The two real conduits: the only `hvc` instructions of the crate (aarch64 only).

use crate::call::{Convention, HvcInput, NATIVE_IMM_BASE, Regs, SMCCC_IMM, number};
use crate::conduit::Conduit;
use crate::raw;
use core::arch::asm;
use gunyah_msgq::{CapId, Hypercall, RawOutput, SendFlags};

/// Gunyah hypercalls in the SMCCC convention: `hvc #0`, `x0 = 0xC600_8000 | N`, inputs from
/// `x1` (upstream Linux; public hypervisor since 2023-06). The default choice.
///
/// It only ever executes `hvc #0`: a native immediate handed to [`Conduit::call`] returns -1
/// without trapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Smccc;

/// Gunyah hypercalls in the native convention: `hvc #(0x6000 + N)`, inputs from `x0`
/// (Qualcomm's downstream drivers, the resource manager; every hypervisor version). SMCCC
/// service calls (`CALL_UID`, `REVISION`) still use `hvc #0`.
///
/// It executes `hvc #0` and the immediates of the calls in [`call::number`](crate::call::number);
/// any other immediate handed to [`Conduit::call`] returns -1 without trapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Native;

impl Conduit for Smccc {
    const CONVENTION: Convention = Convention::Smccc;

    #[inline(always)]
    unsafe fn call(&self, input: HvcInput) -> Regs {
        if input.imm == SMCCC_IMM {
            // SAFETY: the caller upholds `Conduit::call`'s buffer contract for `input`.
            unsafe { hvc::<SMCCC_IMM>(input.regs) }
        } else {
            UNIMPLEMENTED
        }
    }
}

impl Conduit for Native {
    const CONVENTION: Convention = Convention::Native;

    // Always inlined: with the constant immediate of a typed call, the dispatch folds away and
    // one `hvc` remains.
    #[inline(always)]
    unsafe fn call(&self, input: HvcInput) -> Regs {
        // One arm per known immediate, each a separate `hvc` with a constant immediate.
        macro_rules! dispatch {
            ($($n:ident),* $(,)?) => {
                match input.imm {
                    // SAFETY: the caller upholds `Conduit::call`'s buffer contract for `input`.
                    SMCCC_IMM => unsafe { hvc::<SMCCC_IMM>(input.regs) },
                    $(
                        imm if imm == NATIVE_IMM_BASE + number::$n => {
                            // SAFETY: the caller upholds `Conduit::call`'s buffer contract.
                            unsafe { hvc::<{ NATIVE_IMM_BASE + number::$n }>(input.regs) }
                        }
                    )*
                    _ => UNIMPLEMENTED,
                }
            };
        }
        dispatch!(
            HYPERVISOR_IDENTIFY,
            MSGQ_BIND_SEND_VIRQ,
            MSGQ_BIND_RECEIVE_VIRQ,
            MSGQ_UNBIND_SEND_VIRQ,
            MSGQ_UNBIND_RECEIVE_VIRQ,
            MSGQ_SEND,
            MSGQ_RECEIVE,
            MSGQ_FLUSH,
            MSGQ_CONFIGURE_SEND,
            MSGQ_CONFIGURE_RECEIVE,
        )
    }
}

/// What a refused immediate returns: `x0` = -1 (UNIMPLEMENTED), the rest 0.
const UNIMPLEMENTED: Regs = [u64::MAX, 0, 0, 0, 0, 0, 0, 0];

/// One `hvc #IMM` with `x0`-`x7` = `regs`; returns `x0`-`x7` after it.
///
/// The register contract (spec §1 and the real hypervisor): inputs and results in `x0`-`x7`;
/// the native ABI also clobbers `x8`-`x17` (the real hypervisor returns them zeroed, `x9` =
/// the address after the `hvc`), so all of `x0`-`x17` are declared; `x18`-`x30`, SP and the
/// SIMD registers are preserved and not mentioned. Not `nomem`/`readonly`/`pure`: the
/// hypervisor reads and writes the caller's buffers, and an interrupt taken right after the
/// `hvc` may change shared state. `nostack`: the hypervisor does not touch our stack.
///
/// # Safety
/// As [`Conduit::call`]: a buffer whose address is in `regs` must be valid for the call.
#[inline(always)]
unsafe fn hvc<const IMM: u16>(regs: Regs) -> Regs {
    let mut x = regs;
    // SAFETY: `hvc` traps to the hypervisor, which changes only the registers declared here
    // and the memory of buffers the caller vouched for (see this function's contract).
    unsafe {
        asm!(
            "hvc #{imm}",
            imm = const IMM,
            inout("x0") x[0],
            inout("x1") x[1],
            inout("x2") x[2],
            inout("x3") x[3],
            inout("x4") x[4],
            inout("x5") x[5],
            inout("x6") x[6],
            inout("x7") x[7],
            lateout("x8") _,
            lateout("x9") _,
            lateout("x10") _,
            lateout("x11") _,
            lateout("x12") _,
            lateout("x13") _,
            lateout("x14") _,
            lateout("x15") _,
            lateout("x16") _,
            lateout("x17") _,
            options(nostack),
        );
    }
    x
}

macro_rules! impl_hypercall {
    ($conduit:ty) => {
        /// The msgq hypercalls of [`gunyah_msgq::MsgQueue`], one `hvc` each (see
        /// [`raw`](crate::raw)).
        impl Hypercall for $conduit {
            #[inline]
            fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
                raw::msgq_send(self, cap, msg, flags)
            }

            #[inline]
            fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
                raw::msgq_receive(self, cap, buf)
            }

            #[inline]
            fn msgq_flush(&self, cap: CapId) -> RawOutput {
                raw::msgq_flush(self, cap)
            }
        }
    };
}

impl_hypercall!(Smccc);
impl_hypercall!(Native);
