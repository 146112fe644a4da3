//! The EL2 vector table: every entry saves the full frame ([`Frame`]) and calls
//! [`el2_exception`] with the entry's index (0-15), then restores the frame and returns.

use core::arch::global_asm;

use crate::frame::Frame;

global_asm!(
    r#"
    .macro el2_entry kind
    .balign 0x80
    sub     sp, sp, #800
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       el2_save
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global el2_vectors
el2_vectors:
    el2_entry 0
    el2_entry 1
    el2_entry 2
    el2_entry 3
    el2_entry 4
    el2_entry 5
    el2_entry 6
    el2_entry 7
    el2_entry 8
    el2_entry 9
    el2_entry 10
    el2_entry 11
    el2_entry 12
    el2_entry 13
    el2_entry 14
    el2_entry 15

el2_save:
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
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
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
    bl      el2_exception
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
    msr     elr_el2, x2
    msr     spsr_el2, x3
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

/// Vector index of a synchronous exception from a lower EL in AArch64 (`hvc`, `smc`, `wfi`).
const LOWER_SYNC: u64 = 8;
/// Vector index of a physical IRQ taken from a lower EL.
const LOWER_IRQ: u64 = 9;

/// Called by every vector entry with its index and the saved frame.
#[unsafe(no_mangle)]
extern "C" fn el2_exception(kind: u64, frame: &mut Frame) {
    match kind {
        LOWER_SYNC => crate::trap::sync(frame),
        // The model never enables a physical interrupt group at EL2, so none should arrive;
        // if one does, log it and return (it cannot be acknowledged here).
        LOWER_IRQ => crate::console::log!("unexpected physical IRQ from the guest"),
        _ => crate::trap::fatal(kind, frame),
    }
}
