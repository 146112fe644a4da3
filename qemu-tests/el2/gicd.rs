//! What the guest programmed into its distributor: the model reads its enable bits to decide
//! whether an INTID may be delivered. The virtual CPU interface does the rest.
//!
//! - Default variants: no stage 2, the guest owns QEMU's distributor and its redistributor.
//! - Primary-VM variant: the distributor is the model's virtual one ([`Vgicd`]); SGIs and PPIs
//!   still live in the (physical) redistributor.

use crate::vgicd::Vgicd;

/// GICD on QEMU's `virt` board.
const GICD: usize = 0x0800_0000;
/// CPU 0's redistributor SGI/PPI frame (RD_base + 64 KiB).
const GICR0_SGI: usize = 0x080A_0000 + 0x1_0000;
/// GICD_ISENABLER<n> / GICR_ISENABLER0.
const ISENABLER: usize = 0x100;

/// The distributor the guest programs: QEMU's own (288 INTIDs), or the model's virtual one
/// behind stage 2 (1020 INTIDs, as the real hypervisor's vGIC).
pub struct Gicd {
    virt: Option<Vgicd>,
}

impl Gicd {
    /// QEMU's distributor.
    pub const PHYSICAL: Gicd = Gicd { virt: None };

    /// A fresh virtual distributor.
    pub const fn virtual_gicd() -> Gicd {
        Gicd {
            virt: Some(Vgicd::new()),
        }
    }

    /// Whether the guest has `intid` enabled. INTIDs past the distributor's range (and
    /// special ones) are never enabled.
    pub fn enabled(&self, intid: u32) -> bool {
        if intid >= 1020 {
            return false;
        }
        match &self.virt {
            Some(v) if intid >= 32 => v.deliverable(intid),
            _ => physical_enabled(intid),
        }
    }

    /// The virtual distributor, if the guest has one.
    pub fn virtual_mut(&mut self) -> Option<&mut Vgicd> {
        self.virt.as_mut()
    }
}

/// GICR_ISENABLER0 for SGIs and PPIs, GICD_ISENABLER for SPIs.
fn physical_enabled(intid: u32) -> bool {
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
