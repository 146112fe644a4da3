//! The guest's registers as the exception entry saved them, including the whole FP/SIMD state
//! (q0-q31, FPSR, FPCR): the model's Rust code uses vector registers, and the guest must find
//! its own unchanged after every trap.

use gunyah_msgq_qemu_baremetal::vectors as layout;

/// The saved context, as `gunyah_msgq_qemu_baremetal::vectors` lays it out (offsets in bytes):
/// x0-x30 at 0, ELR_EL2 at 256, SPSR_EL2 at 264, FPSR at 272, FPCR at 280, q0-q31 at 288; 800
/// in all.
#[repr(C, align(16))]
pub struct Frame {
    /// x0-x30.
    pub x: [u64; 31],
    _pad: u64,
    /// Where the guest resumes.
    pub elr: u64,
    /// The guest's PSTATE.
    pub spsr: u64,
    /// FPSR.
    pub fpsr: u64,
    /// FPCR.
    pub fpcr: u64,
    /// q0-q31.
    pub q: [u128; 32],
}

const _: () = assert!(core::mem::size_of::<Frame>() == layout::FRAME_SIZE);
const _: () = assert!(core::mem::offset_of!(Frame, elr) == layout::ELR);
const _: () = assert!(core::mem::offset_of!(Frame, spsr) == layout::SPSR);
const _: () = assert!(core::mem::offset_of!(Frame, fpsr) == layout::FPSR);
const _: () = assert!(core::mem::offset_of!(Frame, fpcr) == layout::FPCR);
const _: () = assert!(core::mem::offset_of!(Frame, q) == layout::Q);

impl Frame {
    /// x0-x7: the inputs of a call.
    #[must_use]
    pub fn args(&self) -> [u64; 8] {
        let mut a = [0; 8];
        a.copy_from_slice(&self.x[..8]);
        a
    }
}
