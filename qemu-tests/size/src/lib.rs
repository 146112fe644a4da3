//! What the two size images share, so that their difference is the core's cost alone: the
//! boot code, the GIC driver and the two `GicLine`s (the raw image enables the same lines),
//! the link's constants (the EL2 model's default link), the message callback, the panic
//! handler, and `size_main!`, the main both run.
//!
//! Each image defines the same five entry points, `#[inline(never)]` and unmangled so that the
//! size diff and the stack analysis can find them: `entry_start`, `entry_try_send`,
//! `entry_try_recv`, `entry_rx_irq` (the RX interrupt's drain, trivial callback) and
//! `entry_tx_irq`. `size-core` makes them calls of `gunyah_msgq::MsgQueue`; `size-raw` makes
//! the same hypercalls through `gunyah_msgq_hvc::raw` with the least decoding a caller needs.
//!
//! Both boot on the EL2 model's default variant (`run.sh IMAGE`): `size_main!` starts the
//! link, sends one message, receives (EMPTY), runs both interrupt entry points, and exits 0 if
//! each did what it should. With feature `paint` ([`paint`]) it also measures each entry
//! point's stack.
#![no_std]

use core::arch::global_asm;
use core::ptr::NonNull;

use gunyah_msgq::CapId;
use gunyah_msgq_hvc::arm_gic::gicv3::GicV3;
use gunyah_msgq_hvc::arm_gic::gicv3::registers::{Gicd, GicrSgi};
use gunyah_msgq_hvc::arm_gic::{IntId, UniqueMmioPointer};
use gunyah_msgq_hvc::gic::{GicLine, SharedGic};

#[cfg(feature = "paint")]
pub mod paint;

pub use gunyah_msgq_qemu_baremetal::semihosting;

/// The EL2 model's default link (`abi::control::Setup::DEFAULT`, in place at boot): TX
/// capability 0x100 on INTID 224, RX capability 0x101 on INTID 225, 240-byte messages, depth 8.
pub const TX_CAP: CapId = CapId(0x100);
/// Receiving.
pub const RX_CAP: CapId = CapId(0x101);
/// The link's message size (the queue's `MAX` too).
pub const MSG_SIZE: usize = gunyah_msgq::RM_MSG_SIZE;
/// The RX queue's depth.
pub const DEPTH: u8 = 8;

/// The GIC driver both lines use.
pub static GIC: SharedGic<'static> = SharedGic::new();
/// The TX line (SPI 192 = INTID 224).
pub const TX_LINE: GicLine<'static, 'static> = GicLine::new(&GIC, IntId::spi(192), 0);
/// The RX line (SPI 193 = INTID 225).
pub const RX_LINE: GicLine<'static, 'static> = GicLine::new(&GIC, IntId::spi(193), 0);

/// Entry-point results both images return.
pub mod code {
    /// Done (sent, received, started).
    pub const OK: u32 = 0;
    /// FULL on send, EMPTY on receive.
    pub const WOULD_BLOCK: u32 = 1;
    /// Anything else.
    pub const ERROR: u32 = 2;
}

/// QEMU `virt`'s distributor and CPU 0's redistributor.
const GICD_BASE: usize = 0x0800_0000;
const GICR_BASE: usize = 0x080A_0000;

/// The GIC driver into [`GIC`] (no CPU-interface set-up: the images never take an interrupt,
/// they call the entry points directly).
pub fn init_gic() {
    // SAFETY: QEMU `virt`'s GICD and first GICR frame, device memory with the MMU off, used
    // only through this driver.
    let gic = unsafe {
        GicV3::new(
            UniqueMmioPointer::new(NonNull::new_unchecked(GICD_BASE as *mut Gicd)),
            NonNull::new_unchecked(GICR_BASE as *mut GicrSgi),
            1,
        )
    };
    if let Ok(gic) = gic {
        let _ = GIC.install(gic);
    }
}

/// The message callback of both images: as trivial as a callback gets, but not nothing.
#[inline(never)]
pub fn sink(msg: &[u8]) {
    LAST_LEN.store(msg.len(), core::sync::atomic::Ordering::Relaxed);
}

/// The last length [`sink`] saw.
pub static LAST_LEN: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

// The image's first word branches to the boot code (the model and the real RM enter at the
// first byte); FP/SIMD on before any Rust code, the stack, `.bss`, then `size_main`.
global_asm!(
    ".section .text.head, \"ax\"",
    "b _start",
    gunyah_msgq_qemu_baremetal::boot_entry!(name: "_start", el: 1, scratch: "x9"),
    r#"
    mov     x9, #(3 << 20)
    msr     cpacr_el1, x9
    isb"#,
    gunyah_msgq_qemu_baremetal::set_stack!(scratch: "x9"),
    gunyah_msgq_qemu_baremetal::zero_bss!(scratch: "x9", "x10"),
    r#"
    bl      size_main
    b       ."#,
    gunyah_msgq_qemu_baremetal::wrong_el_exit!(),
);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    semihosting::exit(101)
}

/// The images' main: the boot sanity check (and, with `paint`, the stack measurement), calling
/// the entry points the image defines. Exit status 0 if each did what it should.
#[macro_export]
macro_rules! size_main {
    () => {
        #[unsafe(no_mangle)]
        extern "C" fn size_main() -> ! {
            use $crate::code::{OK, WOULD_BLOCK};
            $crate::init_gic();
            let msg = core::hint::black_box([0x21u8; 8]);
            let mut buf = [0u8; $crate::MSG_SIZE];
            let mut failed = 0;
            failed |= u32::from(entry_start() != OK);
            failed |= u32::from(entry_try_send(&msg) != OK) << 1;
            failed |= u32::from(entry_try_recv(&mut buf) != WOULD_BLOCK) << 2;
            failed |= u32::from(entry_rx_irq() != OK) << 3;
            entry_tx_irq();
            #[cfg(feature = "paint")]
            $crate::paint::run($crate::paint::Entries {
                start: entry_start,
                try_send: entry_try_send,
                try_recv: entry_try_recv,
                rx_irq: entry_rx_irq,
                tx_irq: entry_tx_irq,
            });
            $crate::semihosting::exit(failed)
        }
    };
}
