//! What the model leaves in the argument and scratch registers it does not return.
//!
//! Both calling conventions let the hypervisor change x0-x17 (the spec's rule: declare them
//! clobbered). The real hypervisor zeroes them after a native call; the model writes
//! [`poison`] instead so that a client which reads a register the call did not return sees a
//! value that is neither 0 nor a plausible result: its low byte is non-zero (a boolean reads
//! true) and its low 32 bits are no hypervisor error code.

/// The value left in register `xN` (N = 0..=17) when the call does not return it.
#[must_use]
pub const fn poison(reg: usize) -> u64 {
    0x0BAD_F00D_5EED_0080 | (reg as u64 & 0x3F)
}

/// Whether `value` is the poison of register `xN`.
#[must_use]
pub const fn is_poison(reg: usize, value: u64) -> bool {
    value == poison(reg)
}
