//! # gunyah-msgq-hvc
//!
//! The real backend of [`gunyah_msgq`] for an aarch64 guest of the Gunyah hypervisor: the
//! `hvc` instructions, discovery, the extra msgq calls, a GICv3 vIRQ line and, for single-core
//! guests, a `critical-section` implementation.
//!
//! | item | what | where |
//! |---|---|---|
//! | `Smccc`, `Native` | zero-sized conduits: [`Conduit`] + [`gunyah_msgq::Hypercall`] | aarch64 only |
//! | [`call`] | every call as pure register marshalling ([`Call::marshal`]) | everywhere |
//! | [`Conduit`] | typed calls: identify, `CALL_UID`, `REVISION`, configure, bind, unbind, [`probe`](Conduit::probe) | everywhere |
//! | [`raw`] | `msgq_send` / `msgq_receive` / `msgq_flush` over any conduit | everywhere |
//! | `gic` | `SharedGic`, `GicLine`: [`gunyah_msgq::IrqLine`] on a GICv3 | feature `gicv3` (Rust 1.89: `arm-gic` 0.10) |
//! | `critical-section-single-core` | a DAIF.I `critical-section` impl | feature, aarch64 only |
//!
//! On other targets the crate builds without the conduits, so the marshalling and every typed
//! call are tested on the host through a fake [`Conduit`].
//!
//! ## Which conduit
//! - `Smccc` (the default choice): `hvc #0`, `x0 = 0xC600_8000 | N`, inputs from `x1`. What
//!   upstream Linux uses; in the public hypervisor since 2023-06.
//! - `Native`: `hvc #(0x6000 + N)`, inputs from `x0`, reserved inputs checked. What Qualcomm's
//!   downstream drivers and the resource manager use; the only form of older hypervisors.
//!
//! Both declare `x0`-`x17` clobbered (the real hypervisor returns `x8`-`x17` changed after a
//! native call), leave `x18` alone, and are never `nomem`.
//!
//! "Leave `x18` alone" is a promise of the `asm!` blocks: they neither name nor clobber it, and
//! the hypervisor preserves it. It is not a promise about the code around them: on
//! `aarch64-unknown-none` rustc treats `x18` as an ordinary temporary (the QEMU conformance
//! images saw compiled code keep values in it across the `hvc`). A platform that reserves `x18`
//! (a per-CPU pointer, a shadow call stack) must build with a target or flags that reserve it
//! (`-Zfixed-x18` on nightly, with `-Zbuild-std`).
//!
//! ## Discovery
//! [`Conduit::probe`] follows the spec's order: SMCCC `CALL_UID` (either Gunyah UUID), then
//! `hypervisor_identify` (API version 1 and the msgqueue feature). It never makes a Gunyah
//! hypercall on a hypervisor whose UUID is not Gunyah's. A hypervisor older than Gunyah's SMCCC
//! interface answers `CALL_UID` with -1: a guest that knows from its device tree's
//! `/hypervisor` node (compatible `"gunyah-hypervisor"`) that it runs on Gunyah calls
//! [`Conduit::probe_after_dt`] on `Native` instead.
//!
//! ## Capabilities and vIRQs
//! The crate does not parse the device tree. The resource manager's link is described under
//! `/hypervisor` by a node compatible with `"gunyah-resource-manager"`: `reg` = TX capability
//! (u64), RX capability (u64); `interrupts` = TX, then RX, each `<0 spi 1>` (GIC SPI,
//! edge-rising), so the INTID is `spi + 32`; message size 240 and depth 8 unless
//! `qcom,{tx,rx}-message-size` / `-queue-depth` say otherwise. Other queues come the same way
//! from `"qcom,gunyah-message-queue"` nodes, or from the RM's `VM_GET_HYP_RESOURCES`.
//!
//! ## Critical sections
//! Like every library of the workspace, this crate does not choose a `critical-section`
//! implementation unless asked: the final binary does. Feature `critical-section-single-core`
//! (aarch64 only; nothing on other targets) provides one for **single-core** guests, in
//! cortex-m's convention: acquire reads DAIF and masks IRQs (`msr daifset, #2`), release
//! unmasks them only if they were unmasked before, so nested sections and sections entered in
//! an interrupt handler restore what they found. FIQs are not masked (a Gunyah guest's vIRQs
//! are IRQs). It selects `critical-section/restore-state-bool`. **It is wrong for an SMP
//! guest**, where masking IRQs on one CPU does not keep another out: such a guest needs an
//! implementation that also takes a lock shared by all CPUs. The queue and the GIC line never
//! hold a critical section across a hypercall.
//!
//! ## Safety
//! *Implementation safety* (what this crate promises): the only `unsafe` code is the `hvc`
//! `asm!` of the two conduits, the DAIF accesses of the critical-section implementation, and
//! the calls into them. [`raw`] passes exactly the caller's slice and length, so the hypervisor
//! only touches memory the caller lent it. Output registers are decoded defensively
//! ([`gunyah_msgq::abi`], [`identify`]): a hostile hypervisor cannot make this crate panic.
//!
//! *Caller safety* (what a caller must promise): nothing for the safe API. The one `unsafe` entry
//! point is [`Conduit::call`], whose buffer-carrying inputs must describe valid, ordinary memory.
//! The `hvc` instruction itself is undefined at EL0: the conduits are for EL1 guests.
//!
//! ## Example
//! Discovery and configuration through any conduit (here a fake that answers like the real
//! hypervisor did; on a guest, use `Smccc` or `Native`):
//! ```
//! use gunyah_msgq::CapId;
//! use gunyah_msgq_hvc::{Conduit, Convention, GunyahUid, HvcInput, NotEmptyThreshold, Regs};
//!
//! # struct Fake;
//! # impl Conduit for Fake {
//! #     const CONVENTION: Convention = Convention::Smccc;
//! #     unsafe fn call(&self, input: HvcInput) -> Regs {
//! #         match input.regs[0] {
//! #             0x8600_FF01 => [0xCD8F_D5C1, 0xDB5F_53A4, 0x36CE_6592, 0x145F_3D67, 0, 0, 0, 0],
//! #             0xC600_8000 => [0x5100_0000_0000_8001, 0x1000_0EFF, 0, 0, 0, 0, 0, 0],
//! #             _ => [0; 8],
//! #         }
//! #     }
//! # }
//! # let conduit = Fake;
//! // let conduit = gunyah_msgq_hvc::Smccc;
//! let gunyah = conduit.probe()?;
//! assert_eq!(gunyah.uid, Some(GunyahUid::Standard));
//! assert_eq!(gunyah.identity.api.version(), 1);
//!
//! // Optional: raise RX only once two messages wait (needs OBJECT_ACTIVATE on the cap).
//! conduit.msgq_configure_receive(CapId(0x11), NotEmptyThreshold::Count(2))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A queue on the target (aarch64, feature `gicv3`) in a `static`, for a fixed configuration:
//! the resource manager's link as the real hypervisor under QEMU describes it (TX capability 0
//! on SPI 928, RX capability 1 on SPI 929). A guest that reads them from its device tree at
//! boot uses `gic::SharedGic::line` and a once-initialised cell
//! instead. The doctests run on the host, so this block is not one of them: the same code is
//! the `static_rm_link` example, built for `aarch64-unknown-none` with
//! `--features gicv3,critical-section-single-core --examples`.
//! ```ignore
//! use core::num::NonZeroU8;
//! use gunyah_msgq::{CapId, MsgQueue, RM_MSG_SIZE, RxConfig, TxConfig};
//! use gunyah_msgq_hvc::arm_gic::gicv3::{GicCpuInterface, GicV3};
//! use gunyah_msgq_hvc::arm_gic::{IntId, InterruptGroup};
//! use gunyah_msgq_hvc::gic::{GicLine, LineConfig, SharedGic};
//! use gunyah_msgq_hvc::{Conduit, Smccc};
//!
//! static GIC: SharedGic<'static> = SharedGic::new();
//! const TX_LINE: GicLine<'static, 'static> = GicLine::new(&GIC, IntId::spi(928), 0);
//! const RX_LINE: GicLine<'static, 'static> = GicLine::new(&GIC, IntId::spi(929), 0);
//!
//! static RM: MsgQueue<Smccc, GicLine<'static, 'static>, RM_MSG_SIZE> = MsgQueue::duplex(
//!     Smccc,
//!     TxConfig::new(CapId(0), TX_LINE, RM_MSG_SIZE),
//!     RxConfig::new(CapId(1), RX_LINE, NonZeroU8::new(8).unwrap(), RM_MSG_SIZE),
//! );
//!
//! fn init(gic: GicV3<'static>) -> Result<(), Error> {
//!     Smccc.probe()?; // an older hypervisor: Native.probe_after_dt() after the DT said Gunyah
//!     GIC.install(gic)?; // after GicV3::setup / init_cpu
//!     for line in [TX_LINE, RX_LINE] {
//!         line.validate()?;
//!         line.configure(LineConfig::edge())?;
//!     }
//!     let _ = RM.start(handle)?;
//!     Ok(())
//! }
//!
//! // The platform's IRQ vector: IAR1, dispatch, EOIR1.
//! fn irq() {
//!     GicCpuInterface::handle_interrupt(InterruptGroup::Group1, |intid| {
//!         if intid == TX_LINE.intid() {
//!             RM.on_tx_interrupt();
//!         } else if intid == RX_LINE.intid() {
//!             let _ = RM.on_rx_interrupt(handle);
//!         }
//!     });
//! }
//! ```
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod call;
mod conduit;
pub mod identify;
mod probe;
pub mod raw;

pub use call::{Call, Convention, HvcInput, NotEmptyThreshold, NotFullThreshold, Regs, Virq};
pub use conduit::Conduit;
pub use identify::{ApiInfo, Features, GunyahUid, HypervisorUid, Identity, Variant};
pub use probe::{Gunyah, ProbeError};

#[cfg(feature = "gicv3")]
pub mod gic;
/// The `arm-gic` crate this crate's [`gic`] module is built on, for matching versions.
#[cfg(feature = "gicv3")]
pub use arm_gic;

cfg_if::cfg_if! {
    if #[cfg(target_arch = "aarch64")] {
        mod arch;
        pub use arch::{Native, Smccc};

        #[cfg(feature = "critical-section-single-core")]
        mod single_core;
    }
}
