//! [`IrqLine`] for a GICv3 at EL1, through the `arm-gic` crate (feature `gicv3`).
//!
//! The guest owns one [`arm_gic::gicv3::GicV3`] driver and hands it to a [`SharedGic`] (which
//! can live in a `static`); each msgq vIRQ becomes a [`GicLine`]: an INTID plus the
//! redistributor it belongs to. In a Gunyah VM these registers are the virtual GIC: the same
//! code runs on the vGIC that the hypervisor emulates (`arm-gic` 0.10 works unchanged there).
//!
//! # What the line does
//! - **enable / disable** write one bit to `GICD_ISENABLER<n>` / `GICD_ICENABLER<n>` for an SPI
//!   (or ESPI), or to `GICR_ISENABLER0` / `GICR_ICENABLER0` of the line's redistributor for an
//!   SGI or PPI. Both are write-1-to-set/clear registers: one write, no read-modify-write.
//!   The pending state is separate from the enable bit, so an edge that arrived while the line
//!   was disabled is delivered when it is enabled again, which [`IrqLine`] requires.
//! - **acknowledge** is the default no-op. With a GICv3 the platform's IRQ dispatcher must read
//!   `ICC_IAR1_EL1` itself (that is how it learns the INTID to dispatch on) and write
//!   `ICC_EOIR1_EL1` when the handler returns (`arm_gic::gicv3::GicCpuInterface::
//!   handle_interrupt(InterruptGroup::Group1, ..)` does both). With `EOImode` 0 (what
//!   `GicV3::init_cpu` sets) the EOI also deactivates; an edge that arrives while the handler
//!   runs makes the INTID pending again and it is taken once more after the EOI, so no edge is
//!   lost. The line never clears a pending state (that would lose edges).
//! - **configure** ([`GicLine::configure`]) disables the line, then sets Group 1, the trigger,
//!   the priority and (SPIs) the route. The line stays disabled: `MsgQueue::start` enables it.
//!
//! # Interrupt handlers and critical sections
//! Every access takes a `critical_section` (nesting is allowed) and a `RefCell` borrow of the
//! driver inside it, so the line may be used from an interrupt handler, from inside a critical
//! section and from several CPUs (with an SMP-safe `critical-section` implementation). The
//! critical section lasts one or a few MMIO writes, never a hypercall.
//!
//! The [`IrqLine`] methods cannot return errors. After [`SharedGic::line`] has validated the
//! line, the only failures left are a driver taken away with [`SharedGic::take`], or a line
//! used inside [`SharedGic::with`]'s closure (the driver is already borrowed); both are counted
//! in [`SharedGic::faults`] instead of panicking.

use arm_gic::IntId;
use arm_gic::gicv3::{GicError, GicV3, Group};
use core::cell::RefCell;
use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};
use critical_section::Mutex;
use gunyah_msgq::{IrqLine, Trigger};

/// A GICv3 driver shared by the vIRQ lines, usable from a `static`.
///
/// ```
/// use gunyah_msgq_hvc::gic::SharedGic;
/// static GIC: SharedGic<'static> = SharedGic::new();
/// // At boot: GIC.install(driver) with the `GicV3` built from the device tree's addresses.
/// assert_eq!(GIC.faults(), 0);
/// ```
pub struct SharedGic<'a> {
    gic: Mutex<RefCell<Option<GicV3<'a>>>>,
    faults: AtomicU32,
}

impl Default for SharedGic<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SharedGic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedGic")
            .field("faults", &self.faults())
            .finish_non_exhaustive()
    }
}

impl<'a> SharedGic<'a> {
    /// An empty slot: lines can be made once a driver is [installed](SharedGic::install).
    #[must_use]
    pub const fn new() -> Self {
        SharedGic {
            gic: Mutex::new(RefCell::new(None)),
            faults: AtomicU32::new(0),
        }
    }

    /// Installs `gic` (already set up with `GicV3::setup` or `init_cpu`); returns the driver
    /// installed before, if any.
    ///
    /// # Errors
    /// [`LineError::Busy`] (with `gic` dropped) if called from inside [`with`](Self::with).
    pub fn install(&self, gic: GicV3<'a>) -> Result<Option<GicV3<'a>>, LineError> {
        self.with_slot(|slot| slot.replace(gic))
    }

    /// Removes the driver; lines used afterwards count a fault and do nothing.
    ///
    /// # Errors
    /// [`LineError::Busy`] if called from inside [`with`](Self::with).
    pub fn take(&self) -> Result<Option<GicV3<'a>>, LineError> {
        self.with_slot(Option::take)
    }

    /// Runs `f` on the driver inside a critical section.
    ///
    /// # Errors
    /// [`LineError::NotInstalled`], or [`LineError::Busy`] when called from inside another
    /// `with` (or from a line method called there).
    pub fn with<R>(&self, f: impl FnOnce(&mut GicV3<'a>) -> R) -> Result<R, LineError> {
        self.with_slot(|slot| slot.as_mut().map(f))?
            .ok_or(LineError::NotInstalled)
    }

    /// Runs `f` on the driver slot inside a critical section, unless it is already borrowed.
    fn with_slot<R>(&self, f: impl FnOnce(&mut Option<GicV3<'a>>) -> R) -> Result<R, LineError> {
        critical_section::with(|cs| {
            let mut slot = self
                .gic
                .borrow(cs)
                .try_borrow_mut()
                .map_err(|_| LineError::Busy)?;
            Ok(f(&mut slot))
        })
    }

    /// A line for `intid`: an SPI or ESPI (`cpu` is then ignored), or an SGI, PPI or EPPI of
    /// the redistributor `cpu` (its linear index, as `GicV3` counts them).
    ///
    /// For a Gunyah msgq vIRQ from the device tree's `interrupts = <0 spi 1>`, the INTID is
    /// `spi + 32` (the resource manager's link under QEMU: TX 960, RX 961).
    ///
    /// # Errors
    /// - [`LineError::UnsupportedIntId`]: not an SGI, PPI, SPI, EPPI or ESPI (a special INTID
    ///   1020-1023, an LPI, a reserved value).
    /// - [`LineError::NotImplemented`]: beyond what `GICD_TYPER` / `GICR_TYPER` report.
    /// - [`LineError::InvalidCpu`]: a private INTID with a redistributor index out of range.
    /// - [`LineError::NotInstalled`], [`LineError::Busy`]: as [`with`](Self::with).
    pub fn line(&self, intid: u32, cpu: usize) -> Result<GicLine<'_, 'a>, LineError> {
        let id = IntId::try_from(intid).map_err(|_| LineError::UnsupportedIntId(intid))?;
        let line = GicLine::new(self, id, cpu);
        line.validate()?;
        Ok(line)
    }

    /// How many line operations failed since boot (driver not installed, or already
    /// borrowed). Zero in a correct program.
    #[must_use]
    pub fn faults(&self) -> u32 {
        self.faults.load(Ordering::Relaxed)
    }

    fn record_fault(&self) {
        self.faults.fetch_add(1, Ordering::Relaxed);
    }
}

/// Checks that `intid` exists on this GIC (and `cpu` for a private one).
fn validate(gic: &mut GicV3<'_>, intid: IntId, cpu: usize) -> Result<(), LineError> {
    if intid.is_private() {
        let typer = gic
            .gicr_typer(cpu)
            .map_err(|_| LineError::InvalidCpu(cpu))?;
        if intid.is_eppi() {
            let index = intid
                .private_index()
                .unwrap_or(0)
                .saturating_sub(PRIVATE_NON_EXTENDED);
            if index >= typer.max_eppi_count() as usize {
                return Err(LineError::NotImplemented(intid.raw_value()));
            }
        }
        Ok(())
    } else if let Some(index) = intid.spi_index() {
        if index >= gic.typer().num_spis() as usize {
            return Err(LineError::NotImplemented(intid.raw_value()));
        }
        Ok(())
    } else if let Some(index) = intid.espi_index() {
        if index >= gic.typer().num_espis() as usize {
            return Err(LineError::NotImplemented(intid.raw_value()));
        }
        Ok(())
    } else {
        Err(LineError::UnsupportedIntId(intid.raw_value()))
    }
}

/// Aff3 (bits 39:32) and Aff2-Aff0 (bits 23:0) of `MPIDR_EL1`. Its bit 31 is RES1 and would
/// set `GICD_IROUTER.Interrupt_Routing_Mode` (route to any CPU) if passed on; bits 30 (U) and
/// 24 (MT) are not affinity either.
const AFFINITY_MASK: u64 = 0x0000_00FF_00FF_FFFF;

/// SGIs and PPIs: the private indices before the EPPIs.
const PRIVATE_NON_EXTENDED: usize = 32;

/// How a line is set up in the GIC: Group 1, a trigger, a priority and, for an SPI, a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LineConfig {
    /// Edge (what the resource manager declares for every msgq vIRQ) or level.
    pub trigger: Trigger,
    /// Lower is more urgent; the GIC keeps only its implemented high bits (5 on the real
    /// vGIC). It must be below `ICC_PMR_EL1` to be delivered.
    pub priority: u8,
    /// SPIs only: the CPU that takes the line, as its `MPIDR_EL1` value (only its affinity
    /// fields are used, so the line goes to that CPU alone); `None` leaves `GICD_IROUTER` as
    /// it is (the real vGIC starts it at 0, i.e. CPU 0.0.0.0).
    pub route: Option<u64>,
}

impl LineConfig {
    /// The default priority: 0xA0, below the usual `ICC_PMR_EL1` = 0xFF and above nothing
    /// in particular.
    pub const DEFAULT_PRIORITY: u8 = 0xA0;

    /// Edge-triggered, default priority, route unchanged.
    #[must_use]
    pub const fn edge() -> LineConfig {
        LineConfig {
            trigger: Trigger::Edge,
            priority: Self::DEFAULT_PRIORITY,
            route: None,
        }
    }

    /// Level-triggered, default priority, route unchanged.
    #[must_use]
    pub const fn level() -> LineConfig {
        LineConfig {
            trigger: Trigger::Level,
            ..Self::edge()
        }
    }

    /// The same with priority `priority`.
    #[must_use]
    pub const fn with_priority(self, priority: u8) -> LineConfig {
        LineConfig { priority, ..self }
    }

    /// The same, routed to the CPU whose `MPIDR_EL1` is `mpidr` (SPIs only).
    #[must_use]
    pub const fn routed_to(self, mpidr: u64) -> LineConfig {
        LineConfig {
            route: Some(mpidr),
            ..self
        }
    }
}

impl Default for LineConfig {
    fn default() -> Self {
        Self::edge()
    }
}

/// One vIRQ line of a GICv3: an [`IrqLine`] for [`gunyah_msgq::MsgQueue`].
///
/// Made by [`SharedGic::line`], which validates it, or by the `const` [`GicLine::new`];
/// `Copy`, so a queue's TX and RX configs can hold it by value.
#[derive(Clone, Copy, Debug)]
pub struct GicLine<'s, 'a> {
    gic: &'s SharedGic<'a>,
    intid: IntId,
    cpu: usize,
}

impl<'s, 'a> GicLine<'s, 'a> {
    /// A line made without checking it against the GIC, for a queue built in a `const` or
    /// `static` initializer (a fixed configuration); [`SharedGic::line`] is the checked way.
    ///
    /// Nothing unsafe follows from a wrong line: an INTID the driver rejects (a special INTID,
    /// an LPI, a redistributor index out of range) makes every operation fail and count a
    /// fault, and an SPI beyond the implemented ones is RAZ/WI in the GIC. Call
    /// [`validate`](GicLine::validate) once the driver is installed to find out.
    ///
    /// ```
    /// use gunyah_msgq_hvc::arm_gic::IntId;
    /// use gunyah_msgq_hvc::gic::{GicLine, SharedGic};
    ///
    /// static GIC: SharedGic<'static> = SharedGic::new();
    /// // The resource manager's link under QEMU: SPI 928 (TX) and 929 (RX).
    /// static RM_TX: GicLine<'static, 'static> = GicLine::new(&GIC, IntId::spi(928), 0);
    /// static RM_RX: GicLine<'static, 'static> = GicLine::new(&GIC, IntId::spi(929), 0);
    /// assert_eq!(RM_RX.intid().raw_value(), 961);
    /// ```
    #[must_use]
    pub const fn new(gic: &'s SharedGic<'a>, intid: IntId, cpu: usize) -> GicLine<'s, 'a> {
        GicLine { gic, intid, cpu }
    }

    /// Checks the line as [`SharedGic::line`] does.
    ///
    /// # Errors
    /// As [`SharedGic::line`].
    pub fn validate(&self) -> Result<(), LineError> {
        let (intid, cpu) = (self.intid, self.cpu);
        self.gic.with(|gic| validate(gic, intid, cpu))?
    }

    /// The line's INTID.
    #[must_use]
    pub fn intid(&self) -> IntId {
        self.intid
    }

    /// The redistributor index the line uses (meaningful for SGIs, PPIs and EPPIs only).
    #[must_use]
    pub fn cpu(&self) -> usize {
        self.cpu
    }

    /// Disables the line, then sets it to Group 1 (non-secure; the only Group 1 of Gunyah's
    /// single-security vGIC), `config`'s trigger and priority, and for an SPI or ESPI its
    /// route. The line is left disabled.
    ///
    /// Call it before the queue starts: changing the trigger of an enabled interrupt is
    /// UNPREDICTABLE in the GIC architecture, hence the disable first. A Gunyah vGIC may
    /// ignore a trigger change for a hypervisor-owned vIRQ (the RM declares them edge).
    ///
    /// # Errors
    /// [`LineError::NotInstalled`], [`LineError::Busy`], or the driver's error.
    pub fn configure(&self, config: LineConfig) -> Result<(), LineError> {
        let intid = self.intid;
        let cpu = Some(self.cpu);
        self.gic.with(|gic| {
            gic.enable_interrupt(intid, cpu, false)?;
            gic.set_group(intid, cpu, Group::Group1NS)?;
            gic.set_trigger(intid, cpu, gic_trigger(config.trigger))?;
            gic.set_interrupt_priority(intid, cpu, config.priority)?;
            if let (false, Some(mpidr)) = (intid.is_private(), config.route) {
                gic.distributor()
                    .set_routing(intid, Some(mpidr & AFFINITY_MASK))?;
            }
            Ok::<(), GicError>(())
        })??;
        Ok(())
    }

    /// Enables (`true`) or disables the line, reporting failures.
    ///
    /// # Errors
    /// [`LineError::NotInstalled`], [`LineError::Busy`], or the driver's error.
    pub fn set_enabled(&self, enable: bool) -> Result<(), LineError> {
        let (intid, cpu) = (self.intid, self.cpu);
        self.gic
            .with(|gic| gic.enable_interrupt(intid, Some(cpu), enable))??;
        Ok(())
    }

    /// Out of line: the queue masks and unmasks from several places, and each inlined copy of
    /// the driver call and its error path would cost tens of bytes.
    #[inline(never)]
    fn set_or_count(&self, enable: bool) {
        if self.set_enabled(enable).is_err() {
            self.gic.record_fault();
        }
    }
}

/// The `gunyah_msgq` trigger as `arm-gic`'s.
const fn gic_trigger(trigger: Trigger) -> arm_gic::Trigger {
    match trigger {
        Trigger::Edge => arm_gic::Trigger::Edge,
        Trigger::Level => arm_gic::Trigger::Level,
    }
}

impl IrqLine for GicLine<'_, '_> {
    /// Sets the line's bit in `GICD_ISENABLER` (SPI) or `GICR_ISENABLER0` (SGI/PPI). A failure
    /// (see the module docs) is counted in [`SharedGic::faults`].
    fn enable(&self) {
        self.set_or_count(true);
    }

    /// Sets the line's bit in `GICD_ICENABLER` (SPI) or `GICR_ICENABLER0` (SGI/PPI). The GIC
    /// stops signalling the INTID to the CPU interface; a handler already entered finishes.
    fn disable(&self) {
        self.set_or_count(false);
    }
}

/// Why a GIC line operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineError {
    /// No driver was installed in the [`SharedGic`].
    NotInstalled,
    /// The driver is already borrowed: a line or `SharedGic` method was called from inside
    /// [`SharedGic::with`].
    Busy,
    /// Not an SGI, PPI, SPI, EPPI or ESPI.
    UnsupportedIntId(u32),
    /// An INTID beyond what this GIC implements.
    NotImplemented(u32),
    /// No redistributor with this index.
    InvalidCpu(usize),
    /// The driver's error.
    Gic(GicError),
}

impl From<GicError> for LineError {
    fn from(e: GicError) -> Self {
        LineError::Gic(e)
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::NotInstalled => f.write_str("no GIC driver installed"),
            LineError::Busy => f.write_str("the GIC driver is already borrowed"),
            LineError::UnsupportedIntId(id) => write!(f, "INTID {id} cannot be a vIRQ line"),
            LineError::NotImplemented(id) => write!(f, "INTID {id} is not implemented"),
            LineError::InvalidCpu(cpu) => write!(f, "no redistributor {cpu}"),
            LineError::Gic(e) => write!(f, "GIC driver: {e}"),
        }
    }
}

impl core::error::Error for LineError {}
