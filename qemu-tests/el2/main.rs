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
//!
//! The primary-VM variant (header flag, or an image without our header booted with a device
//! tree at `DTB_BASE`) presents the real resource manager's contract instead: the guest is
//! entered with x0 = the tree's address, its link is the RM's (capabilities 0/1, INTIDs
//! 960/961, 240 bytes, depth 8, the public source's quirks, real-hypervisor registers), its
//! distributor is a virtual one behind stage 2 ([`vgicd`], [`stage2`], [`mmio`]), the model
//! answers its RM requests ([`rm`]), and there are no control calls.
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
mod mmio;
mod model;
mod msgq;
mod native;
mod reply;
mod rm;
mod semihosting;
mod smccc;
mod spurious;
mod stage2;
mod storage;
mod sysreg;
mod trap;
mod vectors;
mod vgic;
mod vgicd;

use gunyah_msgq_qemu_abi::control::Setup;
use gunyah_msgq_qemu_abi::header::{self, Request};
use gunyah_msgq_qemu_abi::layout::{DTB_BASE, GUEST_BASE};
use gunyah_msgq_qemu_abi::rm as rm_link;

use crate::console::log;
use crate::global::Global;
use crate::model::Model;

/// The model's state.
static MODEL: Global<Model> = Global::new(Model::new());

/// Flattened device tree magic (big-endian in memory).
const FDT_MAGIC: u32 = 0xD00D_FEED;

/// A word of guest memory, by address.
fn peek(addr: u64) -> u64 {
    // SAFETY: callers pass 8-byte-aligned addresses in guest RAM (the image's header at
    // GUEST_BASE, the tree at DTB_BASE), identity-mapped; reading has no side effect and
    // nothing runs there yet.
    unsafe { (addr as *const u64).read_volatile() }
}

/// Reads the guest image's header words (magic, flags); an image without our header boots the
/// primary-VM variant if a device tree was loaded at DTB_BASE.
fn guest_request() -> Request {
    let magic = peek(GUEST_BASE + header::MAGIC_OFFSET);
    let request = Request::decode(magic, peek(GUEST_BASE + header::FLAGS_OFFSET));
    if !Request::has_header(magic) && tree_loaded() {
        return Request {
            primary_vm: true,
            ..request
        };
    }
    request
}

/// Whether a flattened device tree starts at DTB_BASE.
fn tree_loaded() -> bool {
    u32::from_be(peek(DTB_BASE) as u32) == FDT_MAGIC
}

#[unsafe(no_mangle)]
extern "C" fn el2_main() -> ! {
    let request = guest_request();
    MODEL.with(|m| {
        m.hostile = request.hostile;
        m.verbose = !request.quiet;
        let link = if request.primary_vm {
            guestmem::use_primary_vm_ram();
            m.setup_primary_vm()
        } else {
            // The boot link: the resource manager's 8 × 240 bytes both ways, edge lines.
            m.setup(Setup::DEFAULT).map(|_| ())
        };
        if let Err(e) = link {
            log!("boot link failed: {e:?}");
        }
    });
    if request.primary_vm {
        if !tree_loaded() {
            log!("no device tree at {DTB_BASE:#x}: the guest finds none in x0");
        }
        log!(
            "gunyah msgq model: primary-VM variant (resource manager: TX cap {}, RX cap {}, \
             INTIDs {}/{}), guest at {GUEST_BASE:#x}, x0 = {DTB_BASE:#x}",
            rm_link::TX_CAP,
            rm_link::RX_CAP,
            rm_link::TX_INTID,
            rm_link::RX_INTID
        );
        boot::enter_guest(GUEST_BASE, DTB_BASE, true)
    }
    log!(
        "gunyah msgq model: {} variant, guest at {GUEST_BASE:#x}",
        if request.hostile { "hostile" } else { "msgq" }
    );
    boot::enter_guest(GUEST_BASE, 0, false)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    log!("panic: {info}");
    semihosting::exit(semihosting::status::FATAL)
}
