//! Spurious vIRQs on any INTID, asked for by the control call: each is made pending once, at
//! the first trap where the guest has it enabled (like a latched edge).

use gunyah_msgq_qemu_abi::control::SPURIOUS_RAW_MAX;

use crate::gicd::Gicd;
use crate::vgic::Vgic;

/// INTIDs waiting for the guest to enable them.
pub struct Spurious {
    waiting: [u32; SPURIOUS_RAW_MAX],
    len: usize,
}

impl Spurious {
    /// None waiting.
    pub const fn new() -> Spurious {
        Spurious {
            waiting: [0; SPURIOUS_RAW_MAX],
            len: 0,
        }
    }

    /// Adds `intid` (already waiting: nothing changes, as edges merge).
    ///
    /// # Errors
    /// When [`SPURIOUS_RAW_MAX`] are waiting.
    pub fn add(&mut self, intid: u32) -> Result<(), ()> {
        if self.waiting[..self.len].contains(&intid) {
            return Ok(());
        }
        if self.len == SPURIOUS_RAW_MAX {
            return Err(());
        }
        self.waiting[self.len] = intid;
        self.len += 1;
        Ok(())
    }

    /// Raises every waiting INTID the guest has enabled.
    pub fn sync(&mut self, vgic: &mut Vgic, gicd: &Gicd) {
        let mut kept = 0;
        for i in 0..self.len {
            let id = self.waiting[i];
            if gicd.enabled(id) {
                vgic.raise(id);
            } else {
                self.waiting[kept] = id;
                kept += 1;
            }
        }
        self.len = kept;
    }

    /// Drops every waiting INTID.
    pub fn clear(&mut self) {
        self.len = 0;
    }
}
