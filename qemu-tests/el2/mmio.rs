//! Data aborts from the guest under stage 2 (primary-VM variant): an access to the
//! distributor's frame is emulated on the virtual distributor; anything else ends the run.
//!
//! Only accesses the hardware describes (ESR_EL2.ISV = 1: one general-purpose register, no
//! writeback) can be emulated, which is what volatile MMIO accessors compile to (`arm-gic`'s
//! `safe-mmio` uses `ldr`/`str` in `asm!` for this reason).

use crate::console::log;
use crate::frame::Frame;
use crate::sysreg::read_sysreg;
use crate::trap;
use crate::vgicd::{GICD_BASE, GICD_SIZE, Vgicd};

/// ESR_EL2.ISS fields of a data abort.
const ISV: u64 = 1 << 24;
const SSE: u64 = 1 << 21;
const SF: u64 = 1 << 15;
const WNR: u64 = 1 << 6;

/// One decoded guest access.
#[derive(Clone, Copy, Debug)]
struct Access {
    ipa: u64,
    size: u64,
    reg: usize,
    write: bool,
    sign_extend: bool,
    sixty_four: bool,
}

impl Access {
    fn decode(esr: u64) -> Option<Access> {
        if esr & ISV == 0 {
            return None;
        }
        let hpfar = read_sysreg!("hpfar_el2");
        let far = read_sysreg!("far_el2");
        Some(Access {
            ipa: ((hpfar >> 4) & 0xFF_FFFF_FFFF) << 12 | (far & 0xFFF),
            size: 1 << ((esr >> 22) & 3),
            reg: ((esr >> 16) & 0x1F) as usize,
            write: esr & WNR != 0,
            sign_extend: esr & SSE != 0,
            sixty_four: esr & SF != 0,
        })
    }
}

/// Handles a data abort taken from the guest; `vgicd` is the distributor it may reach
/// (`None`: no stage 2, so the abort cannot be one the model emulates).
pub fn data_abort(vgicd: Option<&mut Vgicd>, frame: &mut Frame, esr: u64, verbose: bool) {
    let (Some(vgicd), Some(a)) = (vgicd, Access::decode(esr)) else {
        log!(
            "guest data abort the model cannot emulate (ESR_EL2 {esr:#x}, FAR_EL2 {:#x})",
            read_sysreg!("far_el2")
        );
        trap::fatal(8, frame)
    };
    if !(GICD_BASE..GICD_BASE + GICD_SIZE).contains(&a.ipa) {
        log!(
            "guest access to IPA {:#x}, which the primary VM does not have (ESR_EL2 {esr:#x})",
            a.ipa
        );
        trap::fatal(8, frame)
    }
    let offset = a.ipa - GICD_BASE;
    // x31 is the zero register here (XZR/WZR), never SP.
    if a.write {
        let value = if a.reg == 31 { 0 } else { frame.x[a.reg] };
        vgicd.write(offset, a.size, value);
        if verbose {
            log!("vgicd write {offset:#06x} ({} bytes) <- {value:#x}", a.size);
        }
    } else {
        let value = extend(vgicd.read(offset, a.size), a);
        if a.reg != 31 {
            frame.x[a.reg] = value;
        }
        if verbose {
            log!("vgicd read {offset:#06x} ({} bytes) -> {value:#x}", a.size);
        }
    }
    // A data abort leaves ELR_EL2 at the access itself (always a 32-bit instruction here).
    frame.elr += 4;
}

/// A loaded value as the register receives it: sign-extended if asked, cut to 32 bits for a
/// W register.
fn extend(value: u64, a: Access) -> u64 {
    let bits = a.size * 8;
    let v = if a.sign_extend && bits < 64 {
        let shift = 64 - bits;
        (((value << shift) as i64) >> shift) as u64
    } else {
        value
    };
    if a.sixty_four { v } else { v & 0xFFFF_FFFF }
}
