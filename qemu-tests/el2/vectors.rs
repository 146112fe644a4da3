//! The EL2 vector table: every entry saves the full frame ([`Frame`]) and calls
//! [`el2_exception`] with the entry's index (0-15), then restores the frame and returns.

use core::arch::global_asm;

use crate::frame::Frame;

global_asm!(gunyah_msgq_qemu_baremetal::exception_vectors!(prefix: "el2", el: "el2"));

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
