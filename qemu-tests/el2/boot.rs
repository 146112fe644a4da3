//! Boot: from QEMU's reset at EL2 to Rust, and from the model to its guest at EL1.

use core::arch::global_asm;

use crate::stage2;
use crate::sysreg::{read_sysreg, write_sysreg};

// Entered by QEMU at EL2 (`virtualization=on`, no EL3), MMU and caches off, interrupts masked.
// FP/SIMD is turned on (CPTR_EL2.TFP = 0) before any Rust code runs: `core::fmt` and optimised
// code use the vector registers.
global_asm!(
    gunyah_msgq_qemu_baremetal::boot_entry!(name: "_start", el: 2, scratch: "x0"),
    gunyah_msgq_qemu_baremetal::set_stack!(scratch: "x0"),
    gunyah_msgq_qemu_baremetal::zero_bss!(scratch: "x0", "x1"),
    r#"
    mov     x0, #0x33ff
    msr     cptr_el2, x0
    adrp    x0, el2_vectors
    add     x0, x0, :lo12:el2_vectors
    msr     vbar_el2, x0
    isb
    bl      el2_main
    b       .
    // Not at EL2: semihosting SYS_EXIT with status 3."#,
    gunyah_msgq_qemu_baremetal::wrong_el_exit!(),
);

/// HCR_EL2: RW (EL1 is AArch64) | TSC (trap `smc`) | TWI (trap `wfi`) | IMO | FMO (physical
/// IRQ/FIQ to EL2, virtual ones to EL1). No stage 2 (VM = 0): IPA = PA.
const HCR_EL2: u64 = (1 << 31) | (1 << 19) | (1 << 13) | (1 << 4) | (1 << 3);
/// HCR_EL2.VM: stage-2 translation on (the primary-VM variant's identity map, [`stage2`]).
const HCR_VM: u64 = 1 << 0;
/// SCTLR_EL1 with the MMU and caches off (RES1 bits only).
const SCTLR_EL1: u64 = 0x30D0_0800;
/// SPSR_EL2 for the guest's entry: EL1h, D, A, I and F masked.
const SPSR_EL1H: u64 = 0x3C5;

/// Configures EL2 for the guest and enters it at `entry` (EL1, MMU off, interrupts masked,
/// FP/SIMD trapped at EL1 until the guest enables it: CPACR_EL1 = 0), with `x0` = `arg`.
/// With `stage2`, the guest runs under [`stage2`]'s identity map (else IPA = PA, unchecked).
pub fn enter_guest(entry: u64, arg: u64, stage2: bool) -> ! {
    if stage2 {
        stage2::enable();
        write_sysreg!("hcr_el2", HCR_EL2 | HCR_VM);
    } else {
        write_sysreg!("hcr_el2", HCR_EL2);
    }
    // EL1 may read the physical counter and timer.
    write_sysreg!("cnthctl_el2", 0b11);
    write_sysreg!("cntvoff_el2", 0);
    write_sysreg!("vpidr_el2", read_sysreg!("midr_el1"));
    write_sysreg!("vmpidr_el2", read_sysreg!("mpidr_el1"));
    write_sysreg!("sctlr_el1", SCTLR_EL1);
    write_sysreg!("cpacr_el1", 0);
    write_sysreg!("vbar_el1", 0);
    crate::vgic::init();
    unsafe extern "C" {
        static __stack_top: u8;
    }
    // SAFETY: the guest's entry state is fully set above; ELR/SPSR name EL1h at `entry`. The
    // model's stack is reset to its top: nothing on it is used again, every later entry to
    // EL2 is an exception taken from the guest.
    unsafe {
        core::arch::asm!(
            "msr elr_el2, {entry}",
            "msr spsr_el2, {spsr}",
            "mov sp, {top}",
            "eret",
            entry = in(reg) entry,
            spsr = in(reg) SPSR_EL1H,
            top = in(reg) &raw const __stack_top,
            in("x0") arg,
            options(noreturn)
        );
    }
}
