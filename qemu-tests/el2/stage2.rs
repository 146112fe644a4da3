//! Stage-2 translation for the primary-VM variant: an identity map (IPA = PA) of the guest's
//! address space with two holes.
//!
//! - The GIC distributor's 64 KiB frame (0x0800_0000): every guest access to it is a stage-2
//!   fault that the model emulates on its virtual distributor ([`crate::vgicd`]), which has the
//!   1020 INTIDs the RM link's lines (960, 961) need. The redistributors and every other
//!   device below 1 GiB are mapped through as Device memory.
//! - The model's own memory, `0x4000_0000..MODEL_END`: the guest cannot touch it. RAM from
//!   `MODEL_END` (the device tree's 2 MiB included) to 2 GiB is Normal memory.
//!
//! Addresses above 2 GiB are not mapped. 4 KiB granule, 32-bit IPA space, starting at level 1:
//! one level-1 table, two level-2 tables (devices, RAM) and one level-3 table (the 2 MiB around
//! the distributor).

use gunyah_msgq_qemu_abi::layout::MODEL_END;

use crate::sysreg::write_sysreg;
use crate::vgicd::{GICD_BASE, GICD_SIZE};

const ENTRIES: usize = 512;
const GIB: u64 = 1 << 30;
const BLOCK_2M: u64 = 1 << 21;
const PAGE: u64 = 1 << 12;

/// Descriptor bits 1:0: a table (levels 1-2) or a page (level 3).
const TABLE_OR_PAGE: u64 = 0b11;
/// Descriptor bits 1:0: a block (levels 1-2).
const BLOCK: u64 = 0b01;
/// Stage-2 MemAttr (bits 5:2): Device-nGnRE.
const DEVICE: u64 = 0b0001 << 2;
/// Stage-2 MemAttr: Normal, inner and outer write-back cacheable.
const NORMAL: u64 = 0b1111 << 2;
/// S2AP (bits 7:6): read and write.
const READ_WRITE: u64 = 0b11 << 6;
/// SH (bits 9:8): inner shareable.
const INNER_SHAREABLE: u64 = 0b11 << 8;
/// AF (bit 10): accessed (no access-flag faults).
const ACCESSED: u64 = 1 << 10;

const DEVICE_ATTRS: u64 = DEVICE | READ_WRITE | ACCESSED;
const NORMAL_ATTRS: u64 = NORMAL | READ_WRITE | INNER_SHAREABLE | ACCESSED;

/// VTCR_EL2: T0SZ = 32 (4 GiB of IPA), SL0 = 1 (start at level 1), table walks inner and outer
/// write-back, inner shareable, 4 KiB granule, PS = 0 (32-bit PA), RES1 bit 31.
const VTCR_EL2: u64 = (1 << 31) | (0b11 << 12) | (0b01 << 10) | (0b01 << 8) | (0b01 << 6) | 32;

#[repr(C, align(4096))]
struct Table([u64; ENTRIES]);

/// The four tables, in one static: level 1, level 2 for 0-1 GiB (devices), level 2 for
/// 1-2 GiB (RAM), level 3 for the 2 MiB that hold the distributor.
struct Tables {
    l1: Table,
    devices: Table,
    ram: Table,
    gic: Table,
}

static mut TABLES: Tables = Tables {
    l1: Table([0; ENTRIES]),
    devices: Table([0; ENTRIES]),
    ram: Table([0; ENTRIES]),
    gic: Table([0; ENTRIES]),
};

/// Builds the tables and turns on stage 2 for EL1&0 (the caller sets HCR_EL2.VM).
pub fn enable() {
    let tables = &raw mut TABLES;
    // SAFETY: the tables are written once, here, at boot, before stage 2 is turned on and
    // before the guest runs; nothing else ever takes a reference to them (the hardware walker
    // reads them by address from then on). Single CPU, no interrupt at EL2.
    let t = unsafe { &mut *tables };
    fill(t);
    write_sysreg!("vtcr_el2", VTCR_EL2);
    write_sysreg!("vttbr_el2", &raw const t.l1 as u64);
    // SAFETY: invalidates stale EL1&0 translations; touches no memory the compiler knows of.
    unsafe {
        core::arch::asm!(
            "dsb ishst",
            "tlbi vmalls12e1is",
            "dsb ish",
            "isb",
            options(nostack, preserves_flags)
        );
    }
}

fn fill(t: &mut Tables) {
    let gic_block = (GICD_BASE / BLOCK_2M) as usize;
    for (i, entry) in t.devices.0.iter_mut().enumerate() {
        let base = i as u64 * BLOCK_2M;
        *entry = if i == gic_block {
            &raw const t.gic as u64 | TABLE_OR_PAGE
        } else {
            base | DEVICE_ATTRS | BLOCK
        };
    }
    let block_base = gic_block as u64 * BLOCK_2M;
    for (i, entry) in t.gic.0.iter_mut().enumerate() {
        let base = block_base + i as u64 * PAGE;
        let in_gicd = (GICD_BASE..GICD_BASE + GICD_SIZE).contains(&base);
        *entry = if in_gicd {
            0
        } else {
            base | DEVICE_ATTRS | TABLE_OR_PAGE
        };
    }
    for (i, entry) in t.ram.0.iter_mut().enumerate() {
        let base = GIB + i as u64 * BLOCK_2M;
        *entry = if base < MODEL_END {
            0
        } else {
            base | NORMAL_ATTRS | BLOCK
        };
    }
    t.l1.0[0] = &raw const t.devices as u64 | TABLE_OR_PAGE;
    t.l1.0[1] = &raw const t.ram as u64 | TABLE_OR_PAGE;
}
