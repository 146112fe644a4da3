//! Boot at EL1: from the image's first byte to the test's `main`.
//!
//! The image starts with the header the EL2 model reads (`gunyah_msgq_qemu_abi::header`),
//! written by [`guest!`](crate::guest) in the test crate; its first word branches to
//! `guest_start` below, which enables FP/SIMD (before any Rust code: `core::fmt` uses NEON),
//! sets the stack and VBAR_EL1, clears `.bss` and calls `guest_main` with the x0 the image was
//! entered with ([`entry_x0`]: the device tree's address under the real resource manager).
//!
//! Nothing here needs the header to be read by anyone: the image also boots as a raw binary
//! loaded at its link address (0x4100_0000), entered at its first byte.

use core::arch::global_asm;
use core::sync::atomic::{AtomicU64, Ordering};

/// x0 at the image's entry.
static ENTRY_X0: AtomicU64 = AtomicU64::new(0);

/// The value of x0 when the hypervisor entered the image (the primary VM's device tree
/// address; 0 from the EL2 model's default variants).
#[must_use]
pub fn entry_x0() -> u64 {
    ENTRY_X0.load(Ordering::Relaxed)
}

/// Records x0 at entry; called once by [`guest!`](crate::guest)'s `guest_main`.
#[doc(hidden)]
pub fn record_entry_x0(x0: u64) {
    ENTRY_X0.store(x0, Ordering::Relaxed);
}

// x0 (the entry argument) is left alone until `guest_main` receives it: only x9 and x10 are
// used before the call.
global_asm!(
    gunyah_msgq_qemu_baremetal::boot_entry!(name: "guest_start", el: 1, scratch: "x9"),
    r#"
    mov     x9, #(3 << 20)
    msr     cpacr_el1, x9
    isb"#,
    gunyah_msgq_qemu_baremetal::set_stack!(scratch: "x9"),
    r#"
    adrp    x9, guest_vectors
    add     x9, x9, :lo12:guest_vectors
    msr     vbar_el1, x9
    isb"#,
    gunyah_msgq_qemu_baremetal::zero_bss!(scratch: "x9", "x10"),
    r#"
    bl      guest_main
    b       .
    // Not at EL1 (booted without a hypervisor?): semihosting SYS_EXIT with status 3."#,
    gunyah_msgq_qemu_baremetal::wrong_el_exit!(),
);

/// Declares a guest image: its header (with the model variant it asks for) and its main.
///
/// `guest!(main, flags)`: `main: fn() -> u32` returns the exit status; `flags` are
/// `gunyah_msgq_qemu_abi::header` flags (0 for the default model).
#[macro_export]
macro_rules! guest {
    ($main:path, $flags:expr) => {
        ::core::arch::global_asm!(
            ".section .text.head, \"ax\"",
            ".global guest_header",
            "guest_header:",
            "b guest_start",
            ".word 0",
            ".quad {magic}",
            ".quad {flags}",
            magic = const $crate::abi::header::MAGIC,
            flags = const $flags,
        );

        #[unsafe(no_mangle)]
        extern "C" fn guest_main(x0: u64) -> ! {
            $crate::boot::record_entry_x0(x0);
            let main: fn() -> u32 = $main;
            $crate::semihosting::exit(main())
        }
    };
}
