//! The state the hypervisor entered the image in, as the real resource manager's boot
//! contract says: EL1, MMU off, the image at IPA 0x4100_0000 (where it is linked), x0 = the
//! device tree's address (0x40F0_0000). Read from Rust, after the boot code that only
//! enabled FP/SIMD, set SP and VBAR_EL1 and cleared `.bss`.

use crate::abi::layout::{DTB_BASE, GUEST_BASE};
use crate::boot;

/// What the checks look at.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// CurrentEL (1 for EL1).
    pub el: u64,
    /// SCTLR_EL1 (bit 0: MMU).
    pub sctlr: u64,
    /// DAIF (the boot code leaves it as the hypervisor set it).
    pub daif: u64,
    /// Where the image's first byte is, as the running code finds it.
    pub base: u64,
    /// x0 at entry.
    pub x0: u64,
}

/// Reads the entry state.
#[must_use]
pub fn read() -> Entry {
    let (el, sctlr, daif, base): (u64, u64, u64, u64);
    // SAFETY: reads of EL1 system registers and a PC-relative address of the image's first
    // label (the header `guest!` emits); no side effect.
    unsafe {
        core::arch::asm!(
            "mrs {el}, CurrentEL",
            "mrs {sctlr}, sctlr_el1",
            "mrs {daif}, daif",
            "adrp {base}, guest_header",
            "add {base}, {base}, :lo12:guest_header",
            el = out(reg) el,
            sctlr = out(reg) sctlr,
            daif = out(reg) daif,
            base = out(reg) base,
            options(nomem, nostack, preserves_flags)
        );
    }
    Entry {
        el: (el >> 2) & 3,
        sctlr,
        daif,
        base,
        x0: boot::entry_x0(),
    }
}

impl Entry {
    /// The contract's load address.
    pub const BASE: u64 = GUEST_BASE;
    /// The contract's x0.
    pub const X0: u64 = DTB_BASE;

    /// Whether the MMU was off.
    #[must_use]
    pub const fn mmu_off(&self) -> bool {
        self.sctlr & 1 == 0
    }
}
