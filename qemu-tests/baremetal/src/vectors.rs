//! The exception vector table, as assembly text for a given exception level: the EL2 model's
//! (`el2_vectors`, ELR_EL2/SPSR_EL2) and the guest's (`guest_vectors`, ELR_EL1/SPSR_EL1) are
//! the same code.
//!
//! Every one of the 16 entries reserves a frame on the current stack, saves x0-x30, ELR and
//! SPSR of the table's level, FPSR, FPCR and q0-q31 into it, and calls the handler
//! `extern "C" fn <prefix>_exception(kind: u64, frame: *mut Frame)` with the entry's index
//! (0-15) and the frame; then it restores all of it and returns with `eret`. The frame, in
//! bytes: x0-x30 at 0 (8 bytes of padding at 248), ELR at [`ELR`], SPSR at [`SPSR`], FPSR at
//! [`FPSR`], FPCR at [`FPCR`], q0-q31 at [`Q`]; [`FRAME_SIZE`] in all.

/// The frame's size (a multiple of 16: the stack stays aligned).
pub const FRAME_SIZE: usize = 800;
/// Offset of the saved ELR.
pub const ELR: usize = 256;
/// Offset of the saved SPSR.
pub const SPSR: usize = 264;
/// Offset of the saved FPSR.
pub const FPSR: usize = 272;
/// Offset of the saved FPCR.
pub const FPCR: usize = 280;
/// Offset of q0 (q0-q31, 16 bytes each).
pub const Q: usize = 288;

/// The vector table's assembly text: `exception_vectors!(prefix: "el2", el: "el2")` for the
/// table `el2_vectors` (in section `.text.vectors`, 2 KiB aligned, global) saving ELR_EL2 and
/// SPSR_EL2 and calling `el2_exception`. Expands to a string literal for `global_asm!`.
#[macro_export]
macro_rules! exception_vectors {
    (prefix: $p:literal, el: $el:literal) => {
        concat!(
            r#"
    .macro "#,
            $p,
            r#"_entry kind
    .balign 0x80
    sub     sp, sp, #800
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       "#,
            $p,
            r#"_save
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global "#,
            $p,
            r#"_vectors
"#,
            $p,
            r#"_vectors:
    .irp    kind, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    "#,
            $p,
            r#"_entry \kind
    .endr

"#,
            $p,
            r#"_save:
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
    mrs     x2, elr_"#,
            $el,
            r#"
    mrs     x3, spsr_"#,
            $el,
            r#"
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
    bl      "#,
            $p,
            r#"_exception
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
    msr     elr_"#,
            $el,
            r#", x2
    msr     spsr_"#,
            $el,
            r#", x3
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
        )
    };
}
