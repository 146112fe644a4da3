//! The GICv3 line on fake register frames (plain memory): which register each operation
//! writes, validation, and the no-panic fault paths.

use core::ptr::NonNull;
use gunyah_msgq::{IrqLine, Trigger};
use gunyah_msgq_hvc::arm_gic::UniqueMmioPointer;
use gunyah_msgq_hvc::arm_gic::gicv3::registers::{Gicd, GicrSgi};
use gunyah_msgq_hvc::arm_gic::gicv3::{GicError, GicV3};
use gunyah_msgq_hvc::gic::{LineConfig, LineError, SharedGic};
use std::string::ToString;

const GICD_SIZE: usize = 0x1_0000;
const GICR_STRIDE: usize = 0x2_0000;
const SGI: usize = 0x1_0000;

/// GICD registers.
const IGROUPR: usize = 0x080;
const ISENABLER: usize = 0x100;
const ICENABLER: usize = 0x180;
const IPRIORITYR: usize = 0x400;
const ICFGR: usize = 0xC00;
const IGRPMODR: usize = 0xD00;
const IROUTER: usize = 0x6000;
const ISENABLER_E: usize = 0x1200;
const ICENABLER_E: usize = 0x1400;

/// Fake GIC frames: a distributor and `cpus` redistributors, leaked so the driver can be
/// `'static`. Registers are plain memory: write-1-to-set registers just keep the last write.
struct FakeGic {
    gicd: *mut u32,
    gicr: *mut u32,
    cpus: usize,
}

impl FakeGic {
    /// `typer` = GICD_TYPER; `ppi_num` = GICR_TYPER.PPInum of every redistributor.
    fn new(cpus: usize, typer: u32, ppi_num: u32) -> FakeGic {
        let gicd = Box::leak(vec![0u64; GICD_SIZE / 8].into_boxed_slice()).as_mut_ptr();
        let gicr = Box::leak(vec![0u64; cpus * GICR_STRIDE / 8].into_boxed_slice()).as_mut_ptr();
        let fake = FakeGic {
            gicd: gicd.cast(),
            gicr: gicr.cast(),
            cpus,
        };
        fake.write_gicd(0x0004, typer);
        for cpu in 0..cpus {
            // GICR_TYPER: PPInum, Last on the last one.
            let last = if cpu + 1 == cpus { 1 << 4 } else { 0 };
            fake.write_gicr(cpu, 0x0008, (ppi_num << 27) | last);
            // GICR_PIDR2.ArchRev = 3: GICv3, one 128 KiB frame pair per CPU.
            fake.write_gicr(cpu, 0xFFE8, 3 << 4);
        }
        fake
    }

    fn driver(&self) -> GicV3<'static> {
        // SAFETY: both regions were leaked above (live forever), are large enough for the
        // `Gicd` frame and `cpus` `GicrSgi` frames, 8-byte aligned, and only this driver
        // writes them; the test reads them with volatile raw-pointer reads.
        unsafe {
            let gicd = UniqueMmioPointer::new(NonNull::new(self.gicd.cast::<Gicd>()).unwrap());
            GicV3::new(
                gicd,
                NonNull::new(self.gicr.cast::<GicrSgi>()).unwrap(),
                self.cpus,
            )
            .unwrap()
        }
    }

    fn gicd(&self, offset: usize) -> u32 {
        assert!(offset < GICD_SIZE);
        // SAFETY: inside the leaked distributor frame, aligned.
        unsafe { self.gicd.add(offset / 4).read_volatile() }
    }

    fn gicr(&self, cpu: usize, offset: usize) -> u32 {
        assert!(cpu < self.cpus && offset < GICR_STRIDE);
        // SAFETY: inside the leaked redistributor frames, aligned.
        unsafe {
            self.gicr
                .add((cpu * GICR_STRIDE + offset) / 4)
                .read_volatile()
        }
    }

    fn gicd64(&self, offset: usize) -> u64 {
        u64::from(self.gicd(offset)) | (u64::from(self.gicd(offset + 4)) << 32)
    }

    fn write_gicd(&self, offset: usize, value: u32) {
        // SAFETY: inside the leaked distributor frame, aligned.
        unsafe { self.gicd.add(offset / 4).write_volatile(value) }
    }

    fn write_gicr(&self, cpu: usize, offset: usize, value: u32) {
        // SAFETY: inside the leaked redistributor frames, aligned.
        unsafe {
            self.gicr
                .add((cpu * GICR_STRIDE + offset) / 4)
                .write_volatile(value)
        }
    }

    /// A `SharedGic` with this driver installed, leaked for `'static` lines.
    fn shared(&self) -> &'static SharedGic<'static> {
        let shared = Box::leak(Box::new(SharedGic::new()));
        assert!(matches!(shared.install(self.driver()), Ok(None)));
        shared
    }
}

/// GICD_TYPER of the real vGIC: 988 SPIs, no ESPI.
const REAL_TYPER: u32 = 0x0349_001F;

#[test]
fn spi_enable_and_disable_write_one_bit() {
    let fake = FakeGic::new(2, REAL_TYPER, 0);
    let gic = fake.shared();
    // The RM link's RX vIRQ: SPI 929 = INTID 961 = register 30, bit 1.
    let rx = gic.line(961, 0).unwrap();
    assert_eq!(rx.intid().raw_value(), 961);
    assert_eq!(rx.cpu(), 0);
    rx.enable();
    assert_eq!(fake.gicd(ISENABLER + 4 * 30), 1 << 1);
    assert_eq!(fake.gicd(ICENABLER + 4 * 30), 0);
    rx.disable();
    assert_eq!(fake.gicd(ICENABLER + 4 * 30), 1 << 1);
    // The TX one: INTID 960, bit 0 of the same registers.
    let tx = gic.line(960, 1).unwrap();
    tx.enable();
    assert_eq!(fake.gicd(ISENABLER + 4 * 30), 1 << 0);
    assert_eq!(tx.set_enabled(false), Ok(()));
    assert_eq!(fake.gicd(ICENABLER + 4 * 30), 1 << 0);
    // The redistributors were not touched.
    for cpu in 0..2 {
        assert_eq!(fake.gicr(cpu, SGI + ISENABLER), 0);
        assert_eq!(fake.gicr(cpu, SGI + ICENABLER), 0);
    }
    assert_eq!(gic.faults(), 0);
}

#[test]
fn ppi_and_sgi_use_their_redistributor() {
    let fake = FakeGic::new(2, REAL_TYPER, 0);
    let gic = fake.shared();
    let ppi = gic.line(27, 1).unwrap();
    assert_eq!(ppi.cpu(), 1);
    assert_eq!(ppi.intid().raw_value(), 27);
    ppi.enable();
    assert_eq!(fake.gicr(1, SGI + ISENABLER), 1 << 27);
    assert_eq!(fake.gicr(0, SGI + ISENABLER), 0);
    ppi.disable();
    assert_eq!(fake.gicr(1, SGI + ICENABLER), 1 << 27);
    let sgi = gic.line(3, 0).unwrap();
    sgi.enable();
    assert_eq!(fake.gicr(0, SGI + ISENABLER), 1 << 3);
    // The distributor was not touched.
    assert_eq!(fake.gicd(ISENABLER), 0);
    assert_eq!(fake.gicd(ICENABLER), 0);
}

#[test]
fn validation() {
    // 64 SPIs (INTIDs 32..96), ESPIs 4096..4128, one block of EPPIs.
    let fake = FakeGic::new(2, (1 << 8) | 2, 1);
    let gic = fake.shared();
    assert!(gic.line(95, 0).is_ok());
    assert_eq!(gic.line(96, 0).err(), Some(LineError::NotImplemented(96)));
    assert_eq!(gic.line(27, 2).err(), Some(LineError::InvalidCpu(2)));
    assert_eq!(gic.line(0, 5).err(), Some(LineError::InvalidCpu(5)));
    assert!(gic.line(31, 1).is_ok());
    for special in [1020, 1021, 1022, 1023] {
        assert_eq!(
            gic.line(special, 0).err(),
            Some(LineError::UnsupportedIntId(special))
        );
    }
    // Reserved ranges and LPIs.
    for intid in [1024, 2000, 5120, 8192, 1 << 24] {
        assert_eq!(
            gic.line(intid, 0).err(),
            Some(LineError::UnsupportedIntId(intid))
        );
    }
    // ESPIs.
    assert!(gic.line(4096, 0).is_ok());
    assert!(gic.line(4127, 0).is_ok());
    assert_eq!(
        gic.line(4128, 0).err(),
        Some(LineError::NotImplemented(4128))
    );
    // EPPIs: 32 implemented.
    assert!(gic.line(1056, 1).is_ok());
    assert!(gic.line(1087, 0).is_ok());
    assert_eq!(
        gic.line(1088, 0).err(),
        Some(LineError::NotImplemented(1088))
    );
    assert_eq!(gic.line(1056, 2).err(), Some(LineError::InvalidCpu(2)));

    // Without ESPIs or EPPIs.
    let plain = FakeGic::new(1, 2, 0);
    let gic = plain.shared();
    assert_eq!(
        gic.line(4096, 0).err(),
        Some(LineError::NotImplemented(4096))
    );
    assert_eq!(
        gic.line(1056, 0).err(),
        Some(LineError::NotImplemented(1056))
    );
    assert!(gic.line(32, 0).is_ok());
}

#[test]
fn extended_lines() {
    let fake = FakeGic::new(1, (1 << 8) | 2, 1);
    let gic = fake.shared();
    let espi = gic.line(4096 + 33, 0);
    assert_eq!(espi.err(), Some(LineError::NotImplemented(4129)));
    let espi = gic.line(4096 + 5, 0).unwrap();
    espi.enable();
    assert_eq!(fake.gicd(ISENABLER_E), 1 << 5);
    espi.disable();
    assert_eq!(fake.gicd(ICENABLER_E), 1 << 5);
    let eppi = gic.line(1056 + 2, 0).unwrap();
    eppi.enable();
    // Private index 34: ISENABLER register 1, bit 2.
    assert_eq!(fake.gicr(0, SGI + ISENABLER + 4), 1 << 2);
}

#[test]
fn configure_spi_edge() {
    let fake = FakeGic::new(1, REAL_TYPER, 0);
    // Start from "everything set" to see which bits configure clears.
    fake.write_gicd(IGRPMODR + 4 * 30, u32::MAX);
    let gic = fake.shared();
    let rx = gic.line(961, 0).unwrap();
    rx.configure(LineConfig::edge().routed_to(0x0000_0001_8102_0304))
        .unwrap();
    // Disabled first.
    assert_eq!(fake.gicd(ICENABLER + 4 * 30), 1 << 1);
    assert_eq!(fake.gicd(ISENABLER + 4 * 30), 0);
    // Group 1 non-secure: IGROUPR set, IGRPMODR clear.
    assert_eq!(fake.gicd(IGROUPR + 4 * 30), 1 << 1);
    assert_eq!(fake.gicd(IGRPMODR + 4 * 30), !(1u32 << 1));
    // Edge: ICFGR<60> bit 3 (the upper bit of INTID 961's pair).
    assert_eq!(fake.gicd(ICFGR + 4 * 60), 1 << 3);
    // Priority byte.
    assert_eq!(fake.gicd(IPRIORITYR + 960) >> 8, 0xA0);
    // Route: affinity only (Aff3 = 0x01, Aff2..0 = 0x020304): MPIDR bit 31 (RES1, would be
    // IRM) and bit 24 (MT) dropped.
    assert_eq!(fake.gicd64(IROUTER + 8 * 961), 0x0000_0001_0002_0304);
}

#[test]
fn configure_spi_level_keeps_route_when_none() {
    let fake = FakeGic::new(1, REAL_TYPER, 0);
    fake.write_gicd(ICFGR + 4 * 60, u32::MAX);
    fake.write_gicd(IROUTER + 8 * 961, 0x55);
    let gic = fake.shared();
    let line = gic.line(961, 0).unwrap();
    line.configure(LineConfig::level().with_priority(0x10))
        .unwrap();
    assert_eq!(fake.gicd(ICFGR + 4 * 60), !(1u32 << 3));
    assert_eq!((fake.gicd(IPRIORITYR + 960) >> 8) & 0xFF, 0x10);
    assert_eq!(fake.gicd64(IROUTER + 8 * 961), 0x55);
}

#[test]
fn configure_ppi_goes_to_the_redistributor() {
    let fake = FakeGic::new(2, REAL_TYPER, 0);
    let gic = fake.shared();
    let ppi = gic.line(20, 1).unwrap();
    ppi.configure(LineConfig::edge().with_priority(0x80).routed_to(1))
        .unwrap();
    assert_eq!(fake.gicr(1, SGI + ICENABLER), 1 << 20);
    assert_eq!(fake.gicr(1, SGI + IGROUPR), 1 << 20);
    // ICFGR1 (PPIs 16..31): INTID 20 is pair 4, upper bit 9.
    assert_eq!(fake.gicr(1, SGI + ICFGR + 4), 1 << 9);
    assert_eq!(fake.gicr(1, SGI + IPRIORITYR + 20), 0x80);
    assert_eq!(fake.gicr(0, SGI + IGROUPR), 0);
    // No route for a private interrupt.
    assert_eq!(fake.gicd64(IROUTER + 8 * 20), 0);
}

#[test]
fn missing_driver_is_counted_not_panicked() {
    let empty: SharedGic<'static> = SharedGic::new();
    assert_eq!(empty.line(961, 0).err(), Some(LineError::NotInstalled));
    assert_eq!(empty.with(|_| ()).err(), Some(LineError::NotInstalled));
    assert!(matches!(empty.take(), Ok(None)));

    let fake = FakeGic::new(1, REAL_TYPER, 0);
    let gic = fake.shared();
    let line = gic.line(961, 0).unwrap();
    assert!(matches!(gic.take(), Ok(Some(_))));
    line.enable();
    assert_eq!(gic.faults(), 1);
    line.disable();
    assert_eq!(gic.faults(), 2);
    assert_eq!(line.set_enabled(true), Err(LineError::NotInstalled));
    assert_eq!(
        line.configure(LineConfig::default()),
        Err(LineError::NotInstalled)
    );
    assert_eq!(gic.faults(), 2);
    assert_eq!(fake.gicd(ISENABLER + 4 * 30), 0);
    assert_eq!(fake.gicd(ICENABLER + 4 * 30), 0);
    // Put it back: the line works again.
    assert!(matches!(gic.install(fake.driver()), Ok(None)));
    line.enable();
    assert_eq!(fake.gicd(ISENABLER + 4 * 30), 1 << 1);
    assert_eq!(gic.faults(), 2);
    assert!(format!("{gic:?}").contains("faults: 2"));
}

#[test]
fn reentrant_use_is_counted_not_panicked() {
    let fake = FakeGic::new(1, REAL_TYPER, 0);
    let gic = fake.shared();
    let line = gic.line(961, 0).unwrap();
    let inner = gic
        .with(|_| {
            line.enable();
            (
                line.set_enabled(true),
                gic.line(960, 0).err(),
                gic.take().err(),
                gic.install(fake.driver()).err(),
                line.configure(LineConfig::edge()),
            )
        })
        .unwrap();
    assert_eq!(
        inner,
        (
            Err(LineError::Busy),
            Some(LineError::Busy),
            Some(LineError::Busy),
            Some(LineError::Busy),
            Err(LineError::Busy),
        )
    );
    assert_eq!(gic.faults(), 1);
    assert_eq!(fake.gicd(ISENABLER + 4 * 30), 0);
    // Inside a critical section (as from an interrupt handler) the line works.
    critical_section::with(|_| line.enable());
    assert_eq!(fake.gicd(ISENABLER + 4 * 30), 1 << 1);
    assert_eq!(gic.faults(), 1);
}

#[test]
fn install_returns_the_previous_driver() {
    let fake = FakeGic::new(1, REAL_TYPER, 0);
    let gic = SharedGic::default();
    assert!(matches!(gic.install(fake.driver()), Ok(None)));
    assert!(matches!(gic.install(fake.driver()), Ok(Some(_))));
    assert_eq!(gic.with(|g| g.typer().num_spis()), Ok(988));
}

#[test]
fn line_configs() {
    assert_eq!(LineConfig::DEFAULT_PRIORITY, 0xA0);
    assert_eq!(
        LineConfig::edge(),
        LineConfig {
            trigger: Trigger::Edge,
            priority: 0xA0,
            route: None
        }
    );
    assert_eq!(LineConfig::default(), LineConfig::edge());
    assert_eq!(
        LineConfig::level().with_priority(3).routed_to(9),
        LineConfig {
            trigger: Trigger::Level,
            priority: 3,
            route: Some(9)
        }
    );
}

#[test]
fn line_errors_display() {
    let cases = [
        (LineError::NotInstalled, "no GIC driver installed"),
        (LineError::Busy, "the GIC driver is already borrowed"),
        (
            LineError::UnsupportedIntId(1023),
            "INTID 1023 cannot be a vIRQ line",
        ),
        (LineError::NotImplemented(96), "INTID 96 is not implemented"),
        (LineError::InvalidCpu(4), "no redistributor 4"),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
    }
    let gic = LineError::from(GicError::InvalidRedistributorIndex(4));
    assert_eq!(gic, LineError::Gic(GicError::InvalidRedistributorIndex(4)));
    assert!(gic.to_string().starts_with("GIC driver: "));
    let _: &dyn core::error::Error = &gic;
}

#[test]
fn const_lines_and_later_validation() {
    use gunyah_msgq_hvc::arm_gic::IntId;
    use gunyah_msgq_hvc::gic::GicLine;

    static EMPTY: SharedGic<'static> = SharedGic::new();
    static RX: GicLine<'static, 'static> = GicLine::new(&EMPTY, IntId::spi(929), 0);
    assert_eq!(RX.validate(), Err(LineError::NotInstalled));
    RX.enable();
    assert_eq!(EMPTY.faults(), 1);

    let fake = FakeGic::new(2, 2, 0);
    let gic = fake.shared();
    let good = GicLine::new(gic, IntId::spi(3), 0);
    assert_eq!(good.validate(), Ok(()));
    good.enable();
    assert_eq!(fake.gicd(ISENABLER + 4), 1 << 3);
    // Checked: beyond the 64 implemented SPIs; unchecked, it is just a RAZ/WI write.
    let beyond = GicLine::new(gic, IntId::spi(64), 0);
    assert_eq!(beyond.validate(), Err(LineError::NotImplemented(96)));
    // Rejected by the driver: counted.
    let special = GicLine::new(gic, IntId::try_from(1023).unwrap(), 0);
    assert_eq!(special.validate(), Err(LineError::UnsupportedIntId(1023)));
    special.enable();
    assert_eq!(gic.faults(), 1);
    let far = GicLine::new(gic, IntId::ppi(2), 7);
    assert_eq!(far.validate(), Err(LineError::InvalidCpu(7)));
    assert_eq!(
        far.set_enabled(true),
        Err(LineError::Gic(GicError::InvalidRedistributorIndex(7)))
    );
    far.disable();
    assert_eq!(gic.faults(), 2);
}
