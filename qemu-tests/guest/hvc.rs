//! Raw hypercalls, the guest's only way into the hypervisor. Kept in this one module so that
//! the `gunyah-msgq-hvc` backend can replace it.
//!
//! Both forms take x0-x7 and return x0-x7 as the hypervisor left them; x8-x17 are declared
//! clobbered (the hypervisor may change them), x18 and up are preserved by the hypervisor. The
//! asm is not `nomem`: the hypervisor reads and writes our buffers, and a vIRQ it injects is
//! taken right after the `hvc`, so the compiler must reload shared state.

/// The asm of a trap to the hypervisor: `insn` (with any extra operands) on `r`, in and out
/// in x0-x7, x8-x17 clobbered. Expands to `asm!`: the caller's `unsafe` block says why it is
/// sound.
macro_rules! trap {
    ($r:ident, $insn:literal $(, $($operand:tt)+)?) => {
        core::arch::asm!(
            $insn,
            $($($operand)+,)?
            inout("x0") $r[0], inout("x1") $r[1], inout("x2") $r[2], inout("x3") $r[3],
            inout("x4") $r[4], inout("x5") $r[5], inout("x6") $r[6], inout("x7") $r[7],
            out("x8") _, out("x9") _, out("x10") _, out("x11") _, out("x12") _,
            out("x13") _, out("x14") _, out("x15") _, out("x16") _, out("x17") _,
            options(nostack)
        )
    };
}

/// SMCCC form: `hvc #0` with the function id in x0.
#[must_use]
pub fn smccc(x: [u64; 8]) -> [u64; 8] {
    let mut r = x;
    // SAFETY: an `hvc` traps to the hypervisor, which changes only x0-x17 (declared) and the
    // memory of buffers we passed (the asm is not `nomem`).
    unsafe { trap!(r, "hvc #0") };
    r
}

/// `smc #0` with the function id in x0 (the SMCCC conduit Gunyah also accepts).
#[must_use]
pub fn smc(x: [u64; 8]) -> [u64; 8] {
    let mut r = x;
    // SAFETY: as for `smccc`: the hypervisor traps the `smc` (there is no EL3).
    unsafe { trap!(r, "smc #0") };
    r
}

/// Native form: `hvc #IMM` (Gunyah's 0x6000 + N, or a model control call).
#[must_use]
pub fn native<const IMM: u16>(x: [u64; 8]) -> [u64; 8] {
    let mut r = x;
    // SAFETY: as for `smccc`.
    unsafe { trap!(r, "hvc #{imm}", imm = const IMM) };
    r
}

/// Error word of a result: the low 32 bits as `i32` (ignores junk in the upper bits).
#[must_use]
pub const fn error(x0: u64) -> i32 {
    x0 as u32 as i32
}

/// A boolean output: its low byte.
#[must_use]
pub const fn flag(x: u64) -> bool {
    x as u8 != 0
}
