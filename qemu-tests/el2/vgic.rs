//! Virtual interrupts for the guest through the GICv3 list registers (ICH_LR<n>_EL2), with an
//! overflow queue for when every list register is in use (cortex-a57 has 4).
//!
//! A list register written during a trap is taken by the guest at its first instruction after
//! the `eret`, if it has IRQs unmasked; the guest acknowledges and ends it through its ordinary
//! ICC_* registers (ICV_* under HCR_EL2.IMO). A list register whose interrupt ended reads State
//! 00 at the next trap: no maintenance interrupt is needed.

use crate::sysreg::{read_sysreg, write_sysreg};

/// State bits 63:62.
const STATE_SHIFT: u32 = 62;
const PENDING: u64 = 0b01;
const ACTIVE: u64 = 0b10;
/// Group 1 (bit 60), priority 0xa0 (bits 55:48).
const GROUP1: u64 = 1 << 60;
const PRIORITY: u64 = 0xa0 << 48;
/// The most list registers an implementation has.
const MAX_LRS: usize = 16;
/// Room for INTIDs waiting for a free list register: more than the model can have live (two
/// lines and `SPURIOUS_RAW_MAX` spurious ones), so `lost` stays 0.
const OVERFLOW: usize = 16;

macro_rules! lr_access {
    ($($n:literal),*) => {
        fn read_lr(n: usize) -> u64 {
            match n {
                $($n => read_sysreg!(concat!("ich_lr", $n, "_el2")),)*
                _ => 0,
            }
        }
        fn write_lr(n: usize, value: u64) {
            match n {
                $($n => write_sysreg!(concat!("ich_lr", $n, "_el2"), value),)*
                _ => {}
            }
        }
    };
}

lr_access!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

/// How many list registers this CPU has (ICH_VTR_EL2.ListRegs + 1).
fn lr_count() -> usize {
    ((read_sysreg!("ich_vtr_el2") & 0x1f) as usize + 1).min(MAX_LRS)
}

fn state(lr: u64) -> u64 {
    lr >> STATE_SHIFT
}

fn intid(lr: u64) -> u32 {
    lr as u32
}

/// Turns the virtual CPU interface on: system-register access at EL2 and EL1, ICH_HCR_EL2.En,
/// every list register empty.
pub fn init() {
    // ICC_SRE_EL2: SRE | DFB | DIB | Enable (EL1 uses the system registers too).
    write_sysreg!("icc_sre_el2", 0xf);
    write_sysreg!("ich_hcr_el2", 1);
    for n in 0..lr_count() {
        write_lr(n, 0);
    }
}

/// The list registers and the overflow queue.
pub struct Vgic {
    overflow: [u32; OVERFLOW],
    waiting: usize,
    /// INTIDs dropped because the overflow queue was full.
    pub lost: u64,
}

impl Vgic {
    /// Nothing pending.
    pub const fn new() -> Vgic {
        Vgic {
            overflow: [0; OVERFLOW],
            waiting: 0,
            lost: 0,
        }
    }

    fn find(&self, id: u32) -> Option<(usize, u64)> {
        (0..lr_count())
            .map(|n| (n, read_lr(n)))
            .find(|&(_, lr)| state(lr) != 0 && intid(lr) == id)
    }

    fn free_lr(&self) -> Option<usize> {
        let empty = read_sysreg!("ich_elrsr_el2");
        (0..lr_count()).find(|&n| empty & (1 << n) != 0)
    }

    /// Whether `id` is pending or active in a list register, or waiting for one.
    pub fn live(&self, id: u32) -> bool {
        self.find(id).is_some() || self.overflow[..self.waiting].contains(&id)
    }

    /// Makes `id` pending. Already pending: nothing changes (edges merge). Active (the guest is
    /// handling it): pending and active, so the guest takes it again after its EOI.
    pub fn raise(&mut self, id: u32) {
        if let Some((n, lr)) = self.find(id) {
            if state(lr) == ACTIVE {
                write_lr(n, lr | PENDING << STATE_SHIFT);
            }
            return;
        }
        if self.overflow[..self.waiting].contains(&id) {
            return;
        }
        match self.free_lr() {
            Some(n) => write_lr(n, pending_lr(id)),
            None if self.waiting < OVERFLOW => {
                self.overflow[self.waiting] = id;
                self.waiting += 1;
            }
            None => {
                self.lost += 1;
                crate::console::log!(
                    "vIRQ {id} lost: every list register and overflow slot in use"
                );
            }
        }
    }

    /// Withdraws a pending, not yet acknowledged `id` (an active one stays active); whether
    /// there was one.
    pub fn withdraw(&mut self, id: u32) -> bool {
        let mut found = false;
        if let Some((n, lr)) = self.find(id)
            && state(lr) & PENDING != 0
        {
            let rest = state(lr) & !PENDING;
            write_lr(n, (lr & !(0b11 << STATE_SHIFT)) | rest << STATE_SHIFT);
            found = true;
        }
        if let Some(i) = self.overflow[..self.waiting].iter().position(|&w| w == id) {
            self.overflow.copy_within(i + 1..self.waiting, i);
            self.waiting -= 1;
            found = true;
        }
        found
    }

    /// Moves waiting INTIDs into list registers that became free.
    pub fn refill(&mut self) {
        while self.waiting > 0 {
            let Some(n) = self.free_lr() else { return };
            write_lr(n, pending_lr(self.overflow[0]));
            self.overflow.copy_within(1..self.waiting, 0);
            self.waiting -= 1;
        }
    }

    /// Empties every list register and the overflow queue.
    pub fn reset(&mut self) {
        for n in 0..lr_count() {
            write_lr(n, 0);
        }
        self.waiting = 0;
    }
}

const fn pending_lr(id: u32) -> u64 {
    PENDING << STATE_SHIFT | GROUP1 | PRIORITY | id as u64
}
