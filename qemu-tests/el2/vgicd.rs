//! The primary-VM variant's virtual GICv3 distributor: what the guest finds at GICD
//! (0x0800_0000) when stage 2 leaves that frame out ([`crate::stage2`]) and every access traps
//! ([`crate::mmio`]).
//!
//! QEMU's `virt` distributor has 288 INTIDs, so the RM link's INTIDs 960/961 do not exist in
//! it; the real hypervisor's vGIC has 1020, in the single-security layout. This one answers as
//! the real one did (`gunyah-real/README.md`): GICD_CTLR 0x50 at entry (ARE = 1, DS = 1, both
//! read-as-one), so writing 0x12 reads back 0x52; GICD_TYPER 0x0349001F; GICD_IIDR 0x47000070.
//!
//! | registers | behaviour |
//! |---|---|
//! | CTLR | EnableGrp0 (bit 0), EnableGrp1 (bit 1) writable; ARE, DS read as one; RWP reads 0 |
//! | TYPER, IIDR, PIDR2 | read-only values above (PIDR2 0x3B: GICv3) |
//! | IGROUPR, ICFGR (Int_config[1] bits), IPRIORITYR, IROUTER (affinity + IRM) | storage |
//! | ISENABLER / ICENABLER | write 1 to set / clear, both read the enable bits |
//! | SGIs and PPIs (INTIDs 0-31), INTIDs 1020-1023 | read as zero, writes ignored (affinity routing: they live in the redistributor) |
//! | ISPENDR, ICPENDR, ISACTIVER, ICACTIVER, IGRPMODR (DS = 1), ITARGETSR, NSACR, SGIR, the rest | read as zero, writes ignored: not modelled |
//!
//! The model delivers an SPI only while the guest has it enabled, in Group 1, with
//! GICD_CTLR.EnableGrp1 set ([`Vgicd::deliverable`]). The list register carries the model's
//! own priority (0xa0), not the one programmed here.

/// The distributor frame's guest address.
pub const GICD_BASE: u64 = 0x0800_0000;
/// Its size (one 64 KiB frame).
pub const GICD_SIZE: u64 = 0x1_0000;

/// GICD_CTLR.EnableGrp0 and EnableGrp1 (DS = 1 layout).
const CTLR_WRITABLE: u32 = 0b11;
/// GICD_CTLR.EnableGrp1.
const CTLR_ENABLE_GRP1: u32 = 1 << 1;
/// GICD_CTLR.ARE (bit 4) and DS (bit 6): read as one.
const CTLR_RAO: u32 = (1 << 4) | (1 << 6);
/// GICD_TYPER as the real vGIC reads: 1024 INTID lines (1020 usable), 10 INTID bits.
const TYPER: u32 = 0x0349_001F;
/// GICD_IIDR as the real vGIC reads.
const IIDR: u32 = 0x4700_0070;
/// GICD_PIDR2: architecture revision 3.
const PIDR2: u32 = 0x3B;

const CTLR: u64 = 0x0000;
const TYPER_OFF: u64 = 0x0004;
const IIDR_OFF: u64 = 0x0008;
const IGROUPR: u64 = 0x0080;
const ISENABLER: u64 = 0x0100;
const ICENABLER: u64 = 0x0180;
const IPRIORITYR: u64 = 0x0400;
const ICFGR: u64 = 0x0C00;
const IROUTER: u64 = 0x6000;
const PIDR2_OFF: u64 = 0xFFE8;

/// The distributor's state.
pub struct Vgicd {
    ctlr: u32,
    /// IGROUPR<n>, one bit per INTID.
    group: [u32; 32],
    /// The enable bits (ISENABLER / ICENABLER), one per INTID.
    enable: [u32; 32],
    /// IPRIORITYR<n>, one byte per INTID.
    priority: [u32; 256],
    /// ICFGR<n>, two bits per INTID.
    config: [u32; 64],
    /// IROUTER<n>, two words per INTID.
    route: [u32; 2048],
}

impl Vgicd {
    /// The state at the guest's entry: only ARE and DS set.
    pub const fn new() -> Vgicd {
        Vgicd {
            ctlr: 0,
            group: [0; 32],
            enable: [0; 32],
            priority: [0; 256],
            config: [0; 64],
            route: [0; 2048],
        }
    }

    /// Whether the model may deliver SPI `intid` now: enabled, Group 1, and Group 1 enabled.
    pub fn deliverable(&self, intid: u32) -> bool {
        let (n, bit) = (intid as usize / 32, 1 << (intid % 32));
        (32..1020).contains(&intid)
            && self.ctlr & CTLR_ENABLE_GRP1 != 0
            && self.group[n] & bit != 0
            && self.enable[n] & bit != 0
    }

    /// A guest read of `size` bytes (1, 2, 4 or 8) at `offset` in the frame. Unaligned
    /// accesses read as zero.
    pub fn read(&self, offset: u64, size: u64) -> u64 {
        if !offset.is_multiple_of(size) {
            return 0;
        }
        if size == 8 {
            return u64::from(self.read_word(offset)) | u64::from(self.read_word(offset + 4)) << 32;
        }
        let shift = (offset % 4) * 8;
        (u64::from(self.read_word(offset & !3)) >> shift) & lanes(size)
    }

    /// A guest write of `size` bytes (1, 2, 4 or 8) at `offset` in the frame. Unaligned
    /// accesses are ignored.
    pub fn write(&mut self, offset: u64, size: u64, value: u64) {
        if !offset.is_multiple_of(size) {
            return;
        }
        if size == 8 {
            self.write_word(offset, value as u32, u32::MAX);
            self.write_word(offset + 4, (value >> 32) as u32, u32::MAX);
            return;
        }
        let shift = (offset % 4) * 8;
        let mask = (lanes(size) << shift) as u32;
        self.write_word(offset & !3, (value << shift) as u32, mask);
    }

    fn read_word(&self, offset: u64) -> u32 {
        match offset {
            CTLR => self.ctlr | CTLR_RAO,
            TYPER_OFF => TYPER,
            IIDR_OFF => IIDR,
            PIDR2_OFF => PIDR2,
            _ => match register(offset) {
                Some((reg, n)) => self.word(reg, n) & reg.implemented(n),
                None => 0,
            },
        }
    }

    fn write_word(&mut self, offset: u64, value: u32, mask: u32) {
        if offset == CTLR {
            let bits = mask & CTLR_WRITABLE;
            self.ctlr = (self.ctlr & !bits) | (value & bits);
            return;
        }
        let Some((reg, n)) = register(offset) else {
            return;
        };
        let bits = mask & reg.implemented(n);
        match reg {
            Reg::SetEnable => self.enable[n] |= value & bits,
            Reg::ClearEnable => self.enable[n] &= !(value & bits),
            Reg::Group | Reg::Priority | Reg::Config | Reg::Route => {
                let word = self.word_mut(reg, n);
                *word = (*word & !bits) | (value & bits);
            }
        }
    }

    fn word(&self, reg: Reg, n: usize) -> u32 {
        match reg {
            Reg::Group => self.group[n],
            Reg::SetEnable | Reg::ClearEnable => self.enable[n],
            Reg::Priority => self.priority[n],
            Reg::Config => self.config[n],
            Reg::Route => self.route[n],
        }
    }

    fn word_mut(&mut self, reg: Reg, n: usize) -> &mut u32 {
        match reg {
            Reg::Group => &mut self.group[n],
            Reg::SetEnable | Reg::ClearEnable => &mut self.enable[n],
            Reg::Priority => &mut self.priority[n],
            Reg::Config => &mut self.config[n],
            Reg::Route => &mut self.route[n],
        }
    }
}

/// The per-INTID register arrays the distributor keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reg {
    Group,
    SetEnable,
    ClearEnable,
    Priority,
    Config,
    Route,
}

impl Reg {
    /// The bits of word `n` that belong to SPIs 32-1019 (and, for ICFGR, only their
    /// Int_config[1] bits; for IROUTER, the affinity and Interrupt_Routing_Mode bits).
    fn implemented(self, n: usize) -> u32 {
        match self {
            // 32 INTIDs a word: word 0 is SGIs and PPIs, word 31 ends with 1020-1023.
            Reg::Group | Reg::SetEnable | Reg::ClearEnable => match n {
                0 => 0,
                31 => 0x0FFF_FFFF,
                _ => u32::MAX,
            },
            // 4 INTIDs a word.
            Reg::Priority => match n {
                0..8 | 255 => 0,
                _ => u32::MAX,
            },
            // 16 INTIDs a word; the even bit of each pair is reserved.
            Reg::Config => match n {
                0 | 1 => 0,
                63 => 0x00AA_AAAA,
                _ => 0xAAAA_AAAA,
            },
            // Two words per INTID: Aff2-Aff0 and IRM, then Aff3.
            Reg::Route => match n / 2 {
                0..32 | 1020.. => 0,
                _ if n.is_multiple_of(2) => 0x80FF_FFFF,
                _ => 0xFF,
            },
        }
    }
}

/// The array and word index an offset names, if it is one of the kept registers.
fn register(offset: u64) -> Option<(Reg, usize)> {
    let (reg, base) = match offset {
        0x0080..0x0100 => (Reg::Group, IGROUPR),
        0x0100..0x0180 => (Reg::SetEnable, ISENABLER),
        0x0180..0x0200 => (Reg::ClearEnable, ICENABLER),
        0x0400..0x0800 => (Reg::Priority, IPRIORITYR),
        0x0C00..0x0D00 => (Reg::Config, ICFGR),
        0x6000..0x8000 => (Reg::Route, IROUTER),
        _ => return None,
    };
    Some((reg, ((offset - base) / 4) as usize))
}

/// The value bits of an access of `size` bytes.
const fn lanes(size: u64) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1 << (size * 8)) - 1
    }
}
