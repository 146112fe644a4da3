//! The EL1 vector table. IRQs (VBAR_EL1 + 0x280) run [`crate::irq::handle`] with the
//! interrupted code's full frame saved, FP/SIMD included (q0-q31, FPSR, FPCR): an interrupt can
//! land between any two instructions, and the handler's Rust code uses vector registers. Any
//! other exception is fatal: it is reported and the run ends with status 4.

use core::arch::global_asm;

use gunyah_msgq_qemu_baremetal::vectors;

use crate::{println, semihosting};

// The frame's layout: `gunyah_msgq_qemu_baremetal::vectors` (ELR_EL1 and SPSR_EL1 saved).
global_asm!(gunyah_msgq_qemu_baremetal::exception_vectors!(prefix: "guest", el: "el1"));

/// The frame's words x0-x30, padding, ELR_EL1 and SPSR_EL1 (the part read here).
const FRAME_WORDS: usize = vectors::SPSR / 8 + 1;
/// Index of the saved ELR_EL1 in the frame.
const ELR: usize = vectors::ELR / 8;

/// Vector index of an IRQ taken at EL1 on SP_EL1 (VBAR_EL1 + 0x280).
const CURRENT_IRQ: u64 = 5;

/// Called by every vector entry with its index and the saved frame (read-only here).
#[unsafe(no_mangle)]
extern "C" fn guest_exception(kind: u64, frame: *const [u64; FRAME_WORDS]) {
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
        frame[ELR]
    );
    semihosting::exit(4)
}
