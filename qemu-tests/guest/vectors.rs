//! The EL1 vector table. IRQs (VBAR_EL1 + 0x280) run [`crate::irq::handle`] with the
//! interrupted code's full frame saved, FP/SIMD included (q0-q31, FPSR, FPCR): an interrupt can
//! land between any two instructions, and the handler's Rust code uses vector registers. Any
//! other exception is fatal: it is reported and the run ends with status 4.

use core::arch::global_asm;

use crate::{println, semihosting};

// Frame: x0-x30 at 0, ELR_EL1 at 256, SPSR_EL1 at 264, FPSR at 272, FPCR at 280, q0-q31 at 288;
// 800 bytes.
global_asm!(
    r#"
    .macro guest_entry kind
    .balign 0x80
    sub     sp, sp, #800
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       guest_save
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global guest_vectors
guest_vectors:
    guest_entry 0
    guest_entry 1
    guest_entry 2
    guest_entry 3
    guest_entry 4
    guest_entry 5
    guest_entry 6
    guest_entry 7
    guest_entry 8
    guest_entry 9
    guest_entry 10
    guest_entry 11
    guest_entry 12
    guest_entry 13
    guest_entry 14
    guest_entry 15

guest_save:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #256]
    mrs     x2, fpsr
    mrs     x3, fpcr
    stp     x2, x3, [sp, #272]
    add     x2, sp, #288
    stp     q0, q1, [x2, #0]
    stp     q2, q3, [x2, #32]
    stp     q4, q5, [x2, #64]
    stp     q6, q7, [x2, #96]
    stp     q8, q9, [x2, #128]
    stp     q10, q11, [x2, #160]
    stp     q12, q13, [x2, #192]
    stp     q14, q15, [x2, #224]
    stp     q16, q17, [x2, #256]
    stp     q18, q19, [x2, #288]
    stp     q20, q21, [x2, #320]
    stp     q22, q23, [x2, #352]
    stp     q24, q25, [x2, #384]
    stp     q26, q27, [x2, #416]
    stp     q28, q29, [x2, #448]
    stp     q30, q31, [x2, #480]
    mov     x1, sp
    bl      guest_exception
    add     x2, sp, #288
    ldp     q0, q1, [x2, #0]
    ldp     q2, q3, [x2, #32]
    ldp     q4, q5, [x2, #64]
    ldp     q6, q7, [x2, #96]
    ldp     q8, q9, [x2, #128]
    ldp     q10, q11, [x2, #160]
    ldp     q12, q13, [x2, #192]
    ldp     q14, q15, [x2, #224]
    ldp     q16, q17, [x2, #256]
    ldp     q18, q19, [x2, #288]
    ldp     q20, q21, [x2, #320]
    ldp     q22, q23, [x2, #352]
    ldp     q24, q25, [x2, #384]
    ldp     q26, q27, [x2, #416]
    ldp     q28, q29, [x2, #448]
    ldp     q30, q31, [x2, #480]
    ldp     x2, x3, [sp, #272]
    msr     fpsr, x2
    msr     fpcr, x3
    ldp     x2, x3, [sp, #256]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #800
    eret
"#
);

/// Vector index of an IRQ taken at EL1 on SP_EL1 (VBAR_EL1 + 0x280).
const CURRENT_IRQ: u64 = 5;

/// Called by every vector entry with its index and the saved frame (read-only here).
#[unsafe(no_mangle)]
extern "C" fn guest_exception(kind: u64, frame: *const [u64; 34]) {
    if kind == CURRENT_IRQ {
        crate::irq::handle();
        return;
    }
    // SAFETY: the assembly passes the frame it just filled, 800 bytes on the stack.
    let frame = unsafe { &*frame };
    let (esr, far): (u64, u64);
    // SAFETY: reading syndrome registers at EL1 has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, esr_el1", "mrs {}, far_el1", out(reg) esr, out(reg) far,
            options(nomem, nostack, preserves_flags));
    }
    println!(
        "guest: fatal exception, vector {kind}, ESR_EL1 {esr:#x}, ELR_EL1 {:#x}, FAR_EL1 {far:#x}",
        frame[32]
    );
    semihosting::exit(4)
}
