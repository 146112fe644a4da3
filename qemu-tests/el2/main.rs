//! An EL2 hypervisor model for end-to-end tests of Gunyah msgq clients under QEMU.
//!
//! QEMU starts it at EL2 (`-M virt,virtualization=on,gic-version=3`); it enters the guest image
//! loaded at `layout::GUEST_BASE` at EL1 and answers its `hvc` (and `smc`) traps:
//! - SMCCC (`hvc #0`, x0 = 0xC6008000 | N; CALL_UID, REVISION, SMCCC_VERSION) and native
//!   (`hvc #0x6000+N`, reserved inputs checked) forms of identify and the msgq calls, run on
//!   the mock crate's pure model ([`gunyah_msgq_mock::model`]);
//! - control calls (`hvc #0x6100+K`, `gunyah_msgq_qemu_abi::control`) for test fixtures.
//!
//! Non-output registers of x0-x17 are poisoned on return; x18-x30, SP, q0-q31, FPSR and FPCR
//! are kept. The queues' TX/RX signals reach the guest as real interrupts through the GICv3
//! list registers, while the guest has the INTID enabled. The image header can ask for the
//! hostile variant, which answers -1 to every call.
#![no_std]
#![no_main]

mod boot;
mod console;
mod control;
mod frame;
mod gicd;
mod global;
mod guestmem;
mod identity;
mod lines;
mod model;
mod msgq;
mod native;
mod reply;
mod semihosting;
mod smccc;
mod spurious;
mod storage;
mod sysreg;
mod trap;
mod vectors;
mod vgic;

use gunyah_msgq_qemu_abi::control::Setup;
use gunyah_msgq_qemu_abi::header::{self, Request};
use gunyah_msgq_qemu_abi::layout::GUEST_BASE;

use crate::console::log;
use crate::global::Global;
use crate::model::Model;

/// The model's state.
static MODEL: Global<Model> = Global::new(Model::new());

/// Reads the guest image's header words (magic, flags).
fn guest_request() -> Request {
    let word = |offset: u64| {
        // SAFETY: the guest image is loaded at GUEST_BASE (guest RAM, identity-mapped, 8-byte
        // aligned); reading its header has no side effect. Nothing runs there yet.
        unsafe { ((GUEST_BASE + offset) as *const u64).read_volatile() }
    };
    Request::decode(word(header::MAGIC_OFFSET), word(header::FLAGS_OFFSET))
}

#[unsafe(no_mangle)]
extern "C" fn el2_main() -> ! {
    let request = guest_request();
    MODEL.with(|m| {
        m.hostile = request.hostile;
        m.verbose = !request.quiet;
        // The boot link: the resource manager's 8 × 240 bytes both ways, edge lines.
        if let Err(e) = m.setup(Setup::DEFAULT) {
            log!("boot link failed: {e:?}");
        }
    });
    log!(
        "gunyah msgq model: {} variant, guest at {GUEST_BASE:#x}",
        if request.hostile { "hostile" } else { "msgq" }
    );
    boot::enter_guest(GUEST_BASE, 0)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    log!("panic: {info}");
    semihosting::exit(semihosting::status::FATAL)
}
