//! A minimal GICv3 bring-up at EL1 (`virt` board, single security state: GICD_CTLR.DS = 1) and
//! per-INTID configuration. The CPU interface registers (ICC_*) reach the virtual interface
//! when a hypervisor routes IRQs to EL2; the distributor and redistributor are the guest's own
//! (no stage 2 under the model).

use core::arch::asm;

const GICD: usize = 0x0800_0000;
/// CPU 0's redistributor (RD_base) and its SGI/PPI frame.
const GICR0: usize = 0x080A_0000;
const GICR0_SGI: usize = GICR0 + 0x1_0000;

const GICD_CTLR: usize = 0x0;
const GICD_IGROUPR: usize = 0x80;
const GICD_ISENABLER: usize = 0x100;
const GICD_ICENABLER: usize = 0x180;
const GICD_IPRIORITYR: usize = 0x400;
const GICD_ICFGR: usize = 0xC00;
const GICD_IROUTER: usize = 0x6000;
const GICR_WAKER: usize = 0x14;

/// The priority every configured INTID gets.
pub const PRIORITY: u8 = 0xa0;

fn read(addr: usize) -> u32 {
    // SAFETY: callers pass GIC register addresses of QEMU's `virt` board (device memory).
    unsafe { (addr as *const u32).read_volatile() }
}

fn write(addr: usize, value: u32) {
    // SAFETY: as in `read`; the writes configure interrupts only.
    unsafe { (addr as *mut u32).write_volatile(value) }
}

/// The frame holding `intid`'s per-INTID registers: the redistributor for SGIs and PPIs,
/// the distributor for SPIs.
fn frame(intid: u32) -> usize {
    if intid < 32 { GICR0_SGI } else { GICD }
}

/// Distributor (ARE, Group 1), redistributor awake, CPU interface: system registers, all
/// priorities, Group 1 on. IRQs stay masked in PSTATE.
pub fn init() {
    write(GICD + GICD_CTLR, 0x12);
    write(GICR0 + GICR_WAKER, read(GICR0 + GICR_WAKER) & !(1 << 1));
    for _ in 0..1000 {
        if read(GICR0 + GICR_WAKER) & (1 << 2) == 0 {
            break;
        }
    }
    // SAFETY: the EL1 CPU interface setup of the GICv3 architecture; it changes only which
    // interrupts are signalled to this CPU.
    unsafe {
        asm!(
            "msr icc_sre_el1, {sre}",
            "isb",
            "msr icc_pmr_el1, {pmr}",
            "msr icc_bpr1_el1, xzr",
            "msr icc_igrpen1_el1, {one}",
            "isb",
            sre = in(reg) 7u64,
            pmr = in(reg) 0xffu64,
            one = in(reg) 1u64,
            options(nostack)
        );
    }
}

/// Configures `intid`: Group 1, priority [`PRIORITY`], edge- or level-triggered, routed to
/// CPU 0. It stays disabled.
pub fn configure(intid: u32, edge: bool) {
    let f = frame(intid);
    let i = intid as usize;
    let bit = 1 << (i % 32);
    write(
        f + GICD_IGROUPR + 4 * (i / 32),
        read(f + GICD_IGROUPR + 4 * (i / 32)) | bit,
    );
    // SAFETY: IPRIORITYR is byte-accessible; the address is this INTID's byte.
    unsafe { ((f + GICD_IPRIORITYR + i) as *mut u8).write_volatile(PRIORITY) };
    if intid >= 16 {
        let cfg = f + GICD_ICFGR + 4 * (i / 16);
        let shift = 2 * (i % 16) + 1;
        let v = read(cfg) & !(1 << shift);
        write(cfg, v | u32::from(edge) << shift);
    }
    if intid >= 32 {
        // SAFETY: GICD_IROUTER<n> is a 64-bit register; affinity 0 is CPU 0.
        unsafe { ((GICD + GICD_IROUTER + 8 * i) as *mut u64).write_volatile(0) };
    }
}

/// Enables `intid` (GICD_ISENABLER / GICR_ISENABLER0).
pub fn enable(intid: u32) {
    let i = intid as usize;
    write(frame(intid) + GICD_ISENABLER + 4 * (i / 32), 1 << (i % 32));
}

/// Disables `intid` (GICD_ICENABLER / GICR_ICENABLER0).
pub fn disable(intid: u32) {
    let i = intid as usize;
    write(frame(intid) + GICD_ICENABLER + 4 * (i / 32), 1 << (i % 32));
}

/// Whether `intid` is enabled.
pub fn enabled(intid: u32) -> bool {
    let i = intid as usize;
    read(frame(intid) + GICD_ISENABLER + 4 * (i / 32)) & (1 << (i % 32)) != 0
}
