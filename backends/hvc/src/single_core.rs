//! A `critical-section` implementation for **single-core** aarch64 guests (feature
//! `critical-section-single-core`, aarch64 only).
//!
//! Acquire reads DAIF and masks IRQs (`msr daifset, #2`); release unmasks them only if they
//! were unmasked at the matching acquire, so nested critical sections and sections entered
//! from an interrupt handler (IRQs already masked) restore exactly the state they found. FIQ,
//! SError and debug exceptions are left alone: a Gunyah guest's vIRQs arrive as IRQs.
//!
//! This is cortex-m's `critical-section-single-core` convention. **It is wrong for SMP
//! guests:** masking IRQs on one CPU does not stop another CPU from entering the same section.
//! An SMP guest needs an implementation that also takes a lock shared by all CPUs.
//!
//! The restore state is a `bool` (`critical-section/restore-state-bool`): whether IRQs were
//! already masked.

use core::arch::asm;

/// DAIF.I: IRQs masked.
const DAIF_I: u64 = 1 << 7;

struct SingleCoreCriticalSection;
critical_section::set_impl!(SingleCoreCriticalSection);

// SAFETY: on a single-core guest, masking IRQs at EL1 keeps every other piece of code (the
// only other code that can run is an interrupt handler) out until `release`; `release`
// restores the state `acquire` saw, so nesting works. The asm is not `nomem`, so it is a
// compiler barrier: memory accesses inside the section stay inside it.
unsafe impl critical_section::Impl for SingleCoreCriticalSection {
    unsafe fn acquire() -> bool {
        let daif: u64;
        // SAFETY: reading DAIF and setting DAIF.I only masks IRQs; it touches no memory and
        // no other register.
        unsafe {
            asm!(
                "mrs {daif}, daif",
                "msr daifset, #2",
                daif = out(reg) daif,
                options(nostack, preserves_flags),
            );
        }
        daif & DAIF_I != 0
    }

    unsafe fn release(was_masked: bool) {
        if !was_masked {
            // SAFETY: clears DAIF.I, which was clear at the matching `acquire`; the caller of
            // `release` (the critical-section crate) pairs it with that acquire.
            unsafe {
                asm!("msr daifclr, #2", options(nostack, preserves_flags));
            }
        }
    }
}
