//! One hypercall with every register chosen beforehand and recorded afterwards: x0-x30, q0-q31,
//! FPCR and FPSR, to check what the hypervisor returns, poisons and preserves.

use core::arch::global_asm;

/// Every register the check sets and records. Layout shared with the assembly: x0-x30 at 0,
/// FPCR at 248, q0-q31 at 256, FPSR at 768.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regs {
    /// x0-x30.
    pub x: [u64; 31],
    /// FPCR.
    pub fpcr: u64,
    /// q0-q31.
    pub q: [u128; 32],
    /// FPSR.
    pub fpsr: u64,
}

const _: () = assert!(core::mem::offset_of!(Regs, fpcr) == 248);
const _: () = assert!(core::mem::offset_of!(Regs, q) == 256);
const _: () = assert!(core::mem::offset_of!(Regs, fpsr) == 768);

/// Which instruction the check traps with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// `hvc #0` (SMCCC).
    Smccc,
    /// `hvc #0x601b` (native msgq_send).
    NativeSend,
}

macro_rules! regcheck_fn {
    ($name:literal, $insn:literal) => {
        concat!(
            ".section .text.",
            $name,
            ", \"ax\"\n",
            ".global ",
            $name,
            "\n",
            $name,
            ":\n",
            // Save what the procedure call standard says we preserve (x18-x30, v8-v15) and
            // FPCR; keep the output pointer.
            "sub sp, sp, #272\n",
            "stp x18, x19, [sp, #0]\n",
            "stp x20, x21, [sp, #16]\n",
            "stp x22, x23, [sp, #32]\n",
            "stp x24, x25, [sp, #48]\n",
            "stp x26, x27, [sp, #64]\n",
            "stp x28, x29, [sp, #80]\n",
            "str x30, [sp, #96]\n",
            "str x1, [sp, #112]\n",
            "mrs x2, fpcr\n",
            "mrs x3, fpsr\n",
            "stp x2, x3, [sp, #128]\n",
            "stp q8, q9, [sp, #144]\n",
            "stp q10, q11, [sp, #176]\n",
            "stp q12, q13, [sp, #208]\n",
            "stp q14, q15, [sp, #240]\n",
            // Load every register from the input.
            "add x2, x0, #256\n",
            "ldp q0, q1, [x2, #0]\n",
            "ldp q2, q3, [x2, #32]\n",
            "ldp q4, q5, [x2, #64]\n",
            "ldp q6, q7, [x2, #96]\n",
            "ldp q8, q9, [x2, #128]\n",
            "ldp q10, q11, [x2, #160]\n",
            "ldp q12, q13, [x2, #192]\n",
            "ldp q14, q15, [x2, #224]\n",
            "ldp q16, q17, [x2, #256]\n",
            "ldp q18, q19, [x2, #288]\n",
            "ldp q20, q21, [x2, #320]\n",
            "ldp q22, q23, [x2, #352]\n",
            "ldp q24, q25, [x2, #384]\n",
            "ldp q26, q27, [x2, #416]\n",
            "ldp q28, q29, [x2, #448]\n",
            "ldp q30, q31, [x2, #480]\n",
            "ldr x2, [x0, #248]\n",
            "msr fpcr, x2\n",
            "ldr x2, [x0, #768]\n",
            "msr fpsr, x2\n",
            "mov x30, x0\n",
            "ldp x0, x1, [x30, #0]\n",
            "ldp x2, x3, [x30, #16]\n",
            "ldp x4, x5, [x30, #32]\n",
            "ldp x6, x7, [x30, #48]\n",
            "ldp x8, x9, [x30, #64]\n",
            "ldp x10, x11, [x30, #80]\n",
            "ldp x12, x13, [x30, #96]\n",
            "ldp x14, x15, [x30, #112]\n",
            "ldp x16, x17, [x30, #128]\n",
            "ldp x18, x19, [x30, #144]\n",
            "ldp x20, x21, [x30, #160]\n",
            "ldp x22, x23, [x30, #176]\n",
            "ldp x24, x25, [x30, #192]\n",
            "ldp x26, x27, [x30, #208]\n",
            "ldp x28, x29, [x30, #224]\n",
            "ldr x30, [x30, #240]\n",
            $insn,
            "\n",
            // Record: x0 and x30 go through the stack while x30 holds the output pointer.
            "str x0, [sp, #-16]!\n",
            "str x30, [sp, #8]\n",
            "ldr x30, [sp, #128]\n",
            "stp x1, x2, [x30, #8]\n",
            "stp x3, x4, [x30, #24]\n",
            "stp x5, x6, [x30, #40]\n",
            "stp x7, x8, [x30, #56]\n",
            "stp x9, x10, [x30, #72]\n",
            "stp x11, x12, [x30, #88]\n",
            "stp x13, x14, [x30, #104]\n",
            "stp x15, x16, [x30, #120]\n",
            "stp x17, x18, [x30, #136]\n",
            "stp x19, x20, [x30, #152]\n",
            "stp x21, x22, [x30, #168]\n",
            "stp x23, x24, [x30, #184]\n",
            "stp x25, x26, [x30, #200]\n",
            "stp x27, x28, [x30, #216]\n",
            "str x29, [x30, #232]\n",
            "ldr x0, [sp, #8]\n",
            "str x0, [x30, #240]\n",
            "ldr x0, [sp], #16\n",
            "str x0, [x30, #0]\n",
            "mrs x2, fpcr\n",
            "str x2, [x30, #248]\n",
            "mrs x2, fpsr\n",
            "str x2, [x30, #768]\n",
            "add x2, x30, #256\n",
            "stp q0, q1, [x2, #0]\n",
            "stp q2, q3, [x2, #32]\n",
            "stp q4, q5, [x2, #64]\n",
            "stp q6, q7, [x2, #96]\n",
            "stp q8, q9, [x2, #128]\n",
            "stp q10, q11, [x2, #160]\n",
            "stp q12, q13, [x2, #192]\n",
            "stp q14, q15, [x2, #224]\n",
            "stp q16, q17, [x2, #256]\n",
            "stp q18, q19, [x2, #288]\n",
            "stp q20, q21, [x2, #320]\n",
            "stp q22, q23, [x2, #352]\n",
            "stp q24, q25, [x2, #384]\n",
            "stp q26, q27, [x2, #416]\n",
            "stp q28, q29, [x2, #448]\n",
            "stp q30, q31, [x2, #480]\n",
            // Restore ours.
            "ldp x2, x3, [sp, #128]\n",
            "msr fpcr, x2\n",
            "msr fpsr, x3\n",
            "ldp q8, q9, [sp, #144]\n",
            "ldp q10, q11, [sp, #176]\n",
            "ldp q12, q13, [sp, #208]\n",
            "ldp q14, q15, [sp, #240]\n",
            "ldp x18, x19, [sp, #0]\n",
            "ldp x20, x21, [sp, #16]\n",
            "ldp x22, x23, [sp, #32]\n",
            "ldp x24, x25, [sp, #48]\n",
            "ldp x26, x27, [sp, #64]\n",
            "ldp x28, x29, [sp, #80]\n",
            "ldr x30, [sp, #96]\n",
            "add sp, sp, #272\n",
            "ret\n",
        )
    };
}

global_asm!(regcheck_fn!("regcheck_smccc", "hvc #0"));
global_asm!(regcheck_fn!("regcheck_native_send", "hvc #0x601b"));

unsafe extern "C" {
    fn regcheck_smccc(input: *const Regs, output: *mut Regs);
    fn regcheck_native_send(input: *const Regs, output: *mut Regs);
}

/// Makes the call with `input` in every register; what every register held right after it.
#[must_use]
pub fn call(trap: Trap, input: &Regs) -> Regs {
    let mut output = Regs {
        x: [0; 31],
        fpcr: 0,
        q: [0; 32],
        fpsr: 0,
    };
    // SAFETY: the routines read and write `Regs` at `input` and `output`, preserve every
    // callee-saved register, FPCR, FPSR and the stack, and clobber only caller-saved
    // registers, which a call to an `extern "C"` function may clobber anyway.
    unsafe {
        match trap {
            Trap::Smccc => regcheck_smccc(input, &mut output),
            Trap::NativeSend => regcheck_native_send(input, &mut output),
        }
    }
    output
}
