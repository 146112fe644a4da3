//! The primary VM's GICv3 at EL1: its frames from the device tree, the bring-up steps that made
//! INTID 961 arrive under the real hypervisor (`gunyah-real/README.md`), and the RM link's
//! vIRQs as `gunyah-msgq-hvc` [`GicLine`]s.
//!
//! | README step | done by |
//! |---|---|
//! | GICD_CTLR = 0x12 (ARE, EnableGrp1; DS = 1 layout) | `GicV3::gicd_set_control` |
//! | GICR0_WAKER clear ProcessorSleep | `GicV3::redistributor_mark_core_awake` (already awake is fine) |
//! | ICC_SRE_EL1.SRE, ICC_PMR_EL1 = 0xff, ICC_BPR1_EL1 = 0, ICC_IGRPEN1_EL1 = 1 | `GicCpuInterface`, BPR1 by hand |
//! | per line: Group 1, ICFGR edge, IPRIORITYR 0xa0, IROUTER = CPU 0 | [`GicLine::configure`] |
//! | per line: GICD_ISENABLER | [`GicLine`]'s `IrqLine::enable` (in `MsgQueue::start`) |
//! | `msr daifclr, #2` | `irq::unmask` |

use core::ptr::NonNull;

use gunyah_msgq::Trigger;
use gunyah_msgq_hvc::arm_gic::UniqueMmioPointer;
use gunyah_msgq_hvc::arm_gic::gicv3::registers::{Gicd, GicdCtlr, GicrSgi};
use gunyah_msgq_hvc::arm_gic::gicv3::{GicCpuInterface, GicError, GicV3};
use gunyah_msgq_hvc::gic::{GicLine, LineConfig, LineError, SharedGic};

use super::fdt::{Fdt, FdtError};

/// The driver the lines share.
pub static GIC: SharedGic<'static> = SharedGic::new();

/// The compatible string of the GIC's node.
const COMPATIBLE: &str = "arm,gic-v3";

/// The two register regions the guest uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frames {
    /// GICD.
    pub gicd: u64,
    /// The first redistributor (RD_base, then its SGI frame).
    pub gicr: u64,
}

/// Why the GIC could not be brought up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicSetupError {
    /// The tree is unreadable.
    Tree(FdtError),
    /// No node compatible with "arm,gic-v3".
    NoNode,
    /// Its `reg` does not hold two regions in the root's cells.
    BadReg(usize),
    /// The driver refused the frames.
    Driver(GicError),
    /// A line could not be made or configured.
    Line(LineError),
}

impl From<FdtError> for GicSetupError {
    fn from(e: FdtError) -> Self {
        GicSetupError::Tree(e)
    }
}

impl From<LineError> for GicSetupError {
    fn from(e: LineError) -> Self {
        GicSetupError::Line(e)
    }
}

/// The GIC's frames as the tree gives them (`reg` = GICD, GICR regions).
///
/// # Errors
/// [`GicSetupError::Tree`], [`GicSetupError::NoNode`], [`GicSetupError::BadReg`].
pub fn frames(fdt: &Fdt<'_>) -> Result<Frames, GicSetupError> {
    let node = fdt
        .find(|n| n.is_compatible(COMPATIBLE))?
        .ok_or(GicSetupError::NoNode)?;
    let reg = node.prop("reg")?.unwrap_or(&[]);
    let (address, size) = (node.address_cells as usize, node.size_cells as usize);
    let entry = 4 * (address + size);
    if !(1..=2).contains(&address) || reg.len() < 2 * entry {
        return Err(GicSetupError::BadReg(reg.len()));
    }
    let base = |i: usize| {
        let cells = &reg[i * entry..i * entry + 4 * address];
        cells.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b))
    };
    Ok(Frames {
        gicd: base(0),
        gicr: base(1),
    })
}

/// Brings the GIC up at EL1 on CPU 0 and installs the driver in [`GIC`]. Interrupts stay
/// masked in PSTATE.
///
/// # Errors
/// [`GicSetupError::BadReg`] for a null frame, [`GicSetupError::Driver`],
/// [`GicSetupError::Line`] if a driver is already installed elsewhere (busy).
pub fn bring_up(frames: Frames) -> Result<(), GicSetupError> {
    let gicd = NonNull::new(frames.gicd as *mut Gicd).ok_or(GicSetupError::BadReg(0))?;
    let gicr = NonNull::new(frames.gicr as *mut GicrSgi).ok_or(GicSetupError::BadReg(0))?;
    // SAFETY: the frames are the GIC's, from the device tree the hypervisor gave this VM;
    // with the MMU off they are accessed as Device memory, and from now on only through this
    // driver (installed in `GIC`, which the lines use). This is the only place that makes one.
    let gic = unsafe { GicV3::new(UniqueMmioPointer::new(gicd), gicr, 1) };
    let mut gic = gic.map_err(GicSetupError::Driver)?;
    // DS = 1: bit 4 is ARE and bit 1 EnableGrp1 (the names are the two-security layout's).
    gic.gicd_set_control(GicdCtlr::ARE_S | GicdCtlr::EnableGrp1NS);
    match gic.redistributor_mark_core_awake(0) {
        Ok(()) | Err(GicError::AlreadyAwake) => {}
        Err(e) => return Err(GicSetupError::Driver(e)),
    }
    GicCpuInterface::enable_system_register_el1();
    GicCpuInterface::set_priority_mask(0xFF);
    // SAFETY: ICC_BPR1_EL1 = 0 only changes how priorities group for preemption.
    unsafe { core::arch::asm!("msr icc_bpr1_el1, xzr", "isb", options(nostack)) };
    GicCpuInterface::enable_group1(true);
    GIC.install(gic)?;
    Ok(())
}

/// A configured (and still disabled) line for `intid`: Group 1, `trigger`, priority 0xa0,
/// routed to this CPU.
///
/// # Errors
/// [`SharedGic::line`]'s (an INTID this GIC does not have) and [`GicLine::configure`]'s.
pub fn line(intid: u32, trigger: Trigger) -> Result<GicLine<'static, 'static>, LineError> {
    let line = GIC.line(intid, 0)?;
    let config = match trigger {
        Trigger::Edge => LineConfig::edge(),
        Trigger::Level => LineConfig::level(),
    };
    line.configure(config.routed_to(mpidr()))?;
    Ok(line)
}

fn mpidr() -> u64 {
    let mpidr: u64;
    // SAFETY: reading MPIDR_EL1 has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, mpidr_el1", out(reg) mpidr, options(nomem, nostack, preserves_flags));
    }
    mpidr
}
