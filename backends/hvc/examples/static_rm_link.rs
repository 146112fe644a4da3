//! The resource manager's link as a `static` queue on an aarch64 Gunyah guest: the crate docs'
//! target example, compiled for `aarch64-unknown-none` so that it cannot rot.
//!
//! ```sh
//! cargo build -p gunyah-msgq-hvc --target aarch64-unknown-none \
//!     --features gicv3,critical-section-single-core --examples
//! ```
//!
//! It is an image without an entry point (the linker says so): a platform crate provides the
//! boot code, the exception vectors and the GIC addresses, and calls `rm_init`, `rm_send` and
//! `irq_vector`. On the host, and without both features, it is an empty program.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(all(
    target_arch = "aarch64",
    feature = "gicv3",
    feature = "critical-section-single-core"
))]
mod rm_link {
    use core::num::NonZeroU8;
    use core::ptr::NonNull;
    use gunyah_msgq::{CapId, MsgQueue, RM_MSG_SIZE, RxConfig, SendFlags, SendOutcome, TxConfig};
    use gunyah_msgq_hvc::arm_gic::gicv3::registers::{Gicd, GicrSgi};
    use gunyah_msgq_hvc::arm_gic::gicv3::{GicCpuInterface, GicV3};
    use gunyah_msgq_hvc::arm_gic::{IntId, InterruptGroup, UniqueMmioPointer};
    use gunyah_msgq_hvc::gic::{GicLine, LineConfig, LineError, SharedGic};
    use gunyah_msgq_hvc::{Conduit, ProbeError, Smccc};

    static GIC: SharedGic<'static> = SharedGic::new();
    // The RM link as the real hypervisor under QEMU describes it: TX capability 0 on SPI 928,
    // RX capability 1 on SPI 929 (INTIDs 960 and 961).
    const TX_LINE: GicLine<'static, 'static> = GicLine::new(&GIC, IntId::spi(928), 0);
    const RX_LINE: GicLine<'static, 'static> = GicLine::new(&GIC, IntId::spi(929), 0);

    static RM: MsgQueue<Smccc, GicLine<'static, 'static>, RM_MSG_SIZE> = MsgQueue::duplex(
        Smccc,
        TxConfig::new(CapId(0), TX_LINE),
        RxConfig::new(CapId(1), RX_LINE, NonZeroU8::new(8).unwrap()),
    );

    /// Builds the GIC driver from the device tree's addresses, then [`init`]. Returns 0, or a
    /// negative errno.
    ///
    /// # Safety
    /// `gicd` and `gicr` are the distributor frame and the first of `cpus` redistributor
    /// frames, mapped as device memory and used by nothing else.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn rm_init(gicd: *mut Gicd, gicr: *mut GicrSgi, cpus: usize) -> i32 {
        let (Some(gicd), Some(gicr)) = (NonNull::new(gicd), NonNull::new(gicr)) else {
            return -22;
        };
        // SAFETY: the caller's contract is `GicV3::new`'s and `UniqueMmioPointer::new`'s.
        let gic = unsafe { GicV3::new(UniqueMmioPointer::new(gicd), gicr, cpus) };
        let Ok(mut gic) = gic else {
            return -22;
        };
        gic.setup(0);
        GicCpuInterface::set_priority_mask(0xFF);
        match init(gic) {
            Ok(()) => 0,
            Err(e) => e.code(),
        }
    }

    /// Why initialisation stopped.
    #[derive(Debug)]
    pub enum InitError {
        Probe(ProbeError),
        Line(LineError),
        Queue(gunyah_msgq::Error),
    }

    impl InitError {
        /// A negative errno, as a C caller expects.
        fn code(&self) -> i32 {
            match self {
                InitError::Probe(ProbeError::NotGunyah { .. }) => -19, // ENODEV
                InitError::Probe(_) => -95,                            // EOPNOTSUPP
                InitError::Line(LineError::Busy) => -16,               // EBUSY
                InitError::Line(_) => -22,                             // EINVAL
                InitError::Queue(e) => e.errno(),
            }
        }
    }

    fn handle(_msg: &[u8]) {}

    /// Discovery, the GIC lines, then the queue (which enables the lines and drains RX once).
    /// `gic` is the platform's driver, already set up with `GicV3::setup` or `init_cpu`.
    pub fn init(gic: GicV3<'static>) -> Result<(), InitError> {
        // On a hypervisor older than its SMCCC interface: `Native.probe_after_dt()` once the
        // device tree's `/hypervisor` node said "gunyah-hypervisor" (and a `Native` queue).
        Smccc.probe().map_err(InitError::Probe)?;
        GIC.install(gic).map_err(InitError::Line)?;
        for line in [TX_LINE, RX_LINE] {
            line.validate().map_err(InitError::Line)?;
            line.configure(LineConfig::edge())
                .map_err(InitError::Line)?;
        }
        let _ = RM.start(handle).map_err(InitError::Queue)?;
        Ok(())
    }

    /// Sends one message; `false` if it was not accepted (full: retry after the TX event).
    #[unsafe(no_mangle)]
    pub extern "C" fn rm_send(msg: *const u8, len: usize) -> bool {
        if msg.is_null() {
            return false;
        }
        // SAFETY: the C caller passes `len` readable bytes at `msg`.
        let msg = unsafe { core::slice::from_raw_parts(msg, len) };
        matches!(
            RM.try_send(msg, SendFlags::PUSH),
            Ok(SendOutcome::Sent { .. })
        )
    }

    /// The IRQ vector's body: acknowledge (IAR1), dispatch, end (EOIR1).
    #[unsafe(no_mangle)]
    pub extern "C" fn irq_vector() {
        GicCpuInterface::handle_interrupt(InterruptGroup::Group1, |intid| {
            if intid == TX_LINE.intid() {
                RM.on_tx_interrupt();
            } else if intid == RX_LINE.intid() {
                let _ = RM.on_rx_interrupt(handle);
            }
        });
    }
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(not(target_os = "none"))]
fn main() {}
