//! What the guest programmed into the (physical) GIC: the model reads its enable bits to decide
//! whether an INTID may be delivered. With no stage 2 the guest owns the distributor and its
//! redistributor; the virtual CPU interface does the rest.

/// GICD on QEMU's `virt` board.
const GICD: usize = 0x0800_0000;
/// CPU 0's redistributor SGI/PPI frame (RD_base + 64 KiB).
const GICR0_SGI: usize = 0x080A_0000 + 0x1_0000;
/// GICD_ISENABLER<n> / GICR_ISENABLER0.
const ISENABLER: usize = 0x100;

/// Whether the guest has `intid` enabled: GICR_ISENABLER0 for SGIs and PPIs, GICD_ISENABLER
/// for SPIs. INTIDs past the distributor's range (and special ones) are never enabled.
pub fn enabled(intid: u32) -> bool {
    if intid >= 1020 {
        return false;
    }
    let reg = if intid < 32 {
        GICR0_SGI + ISENABLER
    } else {
        GICD + ISENABLER + 4 * (intid as usize / 32)
    };
    // SAFETY: GICD and GICR0 are QEMU `virt`'s GICv3 frames (device memory, MMU off); the
    // ISENABLER registers are 32-bit and reading them has no side effect.
    let bits = unsafe { (reg as *const u32).read_volatile() };
    bits & (1 << (intid % 32)) != 0
}
