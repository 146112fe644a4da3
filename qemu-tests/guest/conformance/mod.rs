//! The conformance images: `gunyah-msgq-hal-tests` over the real backend.
//!
//! The queue under test is a [`gunyah_msgq::MsgQueue`] on `gunyah-msgq-hvc`'s own conduits
//! (`Smccc`, `Native`: the crate's `hvc` instructions, not this library's `hvc` module) with
//! its `GicLine`s as vIRQ lines, and the crate's single-core `critical-section`. The model's
//! control calls play the other VM. Interrupts are real: the model injects the vIRQ through a
//! list register, the guest's IRQ vector acknowledges it and [`fixture::on_irq`] calls the
//! queue's `on_tx_interrupt` / `on_rx_interrupt`.
//!
//! Why `GicLine` and not this library's [`gic`] module: it is the line the backend
//! ships, so the images test it too (`configure`, and `enable`/`disable` as the queue calls
//! them, through `arm-gic` on the real distributor); the bring-up (`gic::init`) and the
//! read-only `gic::enabled` check stay in the guest library, independent of the line under
//! test.
//!
//! An image runs [`cases::all`] once per error mode on one conduit, then the cases of its own:
//! an interrupt taken right after a send `hvc` ([`during_send`]), x18-x30 and the other
//! callee-saved registers across every call of the crate ([`registers`]), and discovery
//! ([`discovery`]). Each line names the conduit and the mode: `case smccc/documented NAME: ok`.

use core::fmt;
use core::ptr::NonNull;

use gunyah_msgq::Hypercall;
use gunyah_msgq_hal_tests::cases;
use gunyah_msgq_hal_tests::{CaseError, CaseResult, ErrorMode, Harness};
use gunyah_msgq_hvc::arm_gic::UniqueMmioPointer;
use gunyah_msgq_hvc::arm_gic::gicv3::GicV3;
use gunyah_msgq_hvc::arm_gic::gicv3::registers::{Gicd, GicrSgi};
use gunyah_msgq_hvc::gic::SharedGic;
use gunyah_msgq_hvc::{Conduit, Native, Smccc};

use crate::report::Report;
use crate::{control, gic, irq, println};

pub mod discovery;
pub mod during_send;
pub mod fixture;
pub mod registers;

use fixture::{HvcHarness, SLOTS, Slot};

/// The endpoint's `MAX`: the resource manager's message size, as the mock's suite uses.
pub const MAX: usize = gunyah_msgq::RM_MSG_SIZE;

/// The GIC driver the queues' lines share.
pub static GIC: SharedGic<'static> = SharedGic::new();

/// QEMU `virt`'s distributor and CPU 0's redistributor (the guest's own under the model).
const GICD_BASE: usize = 0x0800_0000;
const GICR_BASE: usize = 0x080A_0000;

/// A conduit of `gunyah-msgq-hvc` the images run the suite on.
pub trait ConduitUnderTest: Conduit + Hypercall + Copy + Default + Sync + 'static {
    /// How case lines name it.
    const NAME: &'static str;
    /// The instruction word of its `msgq_send`: `hvc #0` or `hvc #0x601b`.
    const SEND_HVC: u32;
    /// Its queue slots.
    fn slots() -> &'static [Slot<Self>; SLOTS];
}

/// The encoding of `hvc #imm`.
const fn hvc(imm: u16) -> u32 {
    0xD400_0002 | (imm as u32) << 5
}

impl ConduitUnderTest for Smccc {
    const NAME: &'static str = "smccc";
    const SEND_HVC: u32 = hvc(0);
    fn slots() -> &'static [Slot<Self>; SLOTS] {
        static SLOTS_SMCCC: [Slot<Smccc>; SLOTS] = [const { Slot::new() }; SLOTS];
        &SLOTS_SMCCC
    }
}

impl ConduitUnderTest for Native {
    const NAME: &'static str = "native";
    const SEND_HVC: u32 = hvc(0x6000 + 0x1B);
    fn slots() -> &'static [Slot<Self>; SLOTS] {
        static SLOTS_NATIVE: [Slot<Native>; SLOTS] = [const { Slot::new() }; SLOTS];
        &SLOTS_NATIVE
    }
}

/// How case lines name an error mode.
#[must_use]
pub const fn mode_name(mode: ErrorMode) -> &'static str {
    match mode {
        ErrorMode::Documented => "documented",
        ErrorMode::PublicSourceQuirks => "quirks",
    }
}

/// A case line's name: `smccc/documented round_trip_every_size`.
struct Name<'a>(&'a str, &'a str, &'a str);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} {}", self.0, self.1, self.2)
    }
}

/// The cases of `cases::faults`: each needs a fixture whose backend is wrapped in
/// `gunyah-msgq-fault` (`FaultFixture`: `Hyp = FaultHypercall<_>`) to inject its fault; the
/// images run the bare conduits, so none applies.
const FAULT_CASES: [&str; 6] = [
    "bug03_every_error_code_is_typed",
    "bug08_lost_tx_edge_recovered_by_slice_retry",
    "lost_rx_edge_recovered_by_poll",
    "bug09_each_send_gets_its_own_status",
    "bug10_drain_resumes_after_an_error",
    "hostile_replies_are_contained",
];

/// GIC bring-up, the shared driver for the lines, the IRQ dispatcher, IRQs on.
fn init() {
    install_gic();
    irq::set_hook(Some(fixture::on_irq));
    irq::unmask();
}

/// GIC bring-up (the guest library's `gic::init`) and the driver installed in [`GIC`], for
/// `GicLine`s on the model's default variants. IRQs stay masked. Also used by the bench image.
pub fn install_gic() {
    gic::init();
    // SAFETY: the addresses are QEMU `virt`'s distributor and first redistributor frame,
    // device memory (MMU off), and nothing else drives them through another driver: the
    // guest library's `gic` module only reads enable bits and did the bring-up above.
    let driver = unsafe {
        GicV3::new(
            UniqueMmioPointer::new(NonNull::new_unchecked(GICD_BASE as *mut Gicd)),
            NonNull::new_unchecked(GICR_BASE as *mut GicrSgi),
            1,
        )
    };
    match driver {
        Ok(driver) => {
            if GIC.install(driver).is_err() {
                println!("conformance: GIC driver slot busy");
            }
        }
        Err(e) => println!("conformance: GIC driver: {e}"),
    }
}

/// Milliseconds on the generic timer's virtual count.
fn now_ms() -> u64 {
    let (count, freq): (u64, u64);
    // SAFETY: reading the virtual count and its frequency has no side effect.
    unsafe {
        core::arch::asm!("isb", "mrs {}, cntvct_el0", "mrs {}, cntfrq_el0",
            out(reg) count, out(reg) freq, options(nomem, nostack));
    }
    count / (freq / 1000).max(1)
}

/// The image of conduit `C`: every case in both error modes; the exit status.
#[must_use]
pub fn image<C: ConduitUnderTest>() -> u32 {
    init();
    let mut r = Report::new();
    if control::hello().is_err() {
        r.record(
            Name(C::NAME, "-", "model_answers"),
            Err("the control calls are not answered: not the EL2 model"),
        );
        return r.finish();
    }
    let _ = control::log(false);
    for mode in [ErrorMode::Documented, ErrorMode::PublicSourceQuirks] {
        let started = now_ms();
        let irqs = fixture::irqs();
        let m = mode_name(mode);
        let mut h = HvcHarness::<C>::new(mode);
        for (name, case, needs_threads) in cases::all::<HvcHarness<C>, MAX>() {
            if needs_threads && !h.threaded() {
                r.skip(Name(C::NAME, m, name), "needs threaded interrupt delivery");
                continue;
            }
            r.record(Name(C::NAME, m, name), checked::<C>(|| case(&mut h)));
        }
        for name in FAULT_CASES {
            r.skip(
                Name(C::NAME, m, name),
                "needs the gunyah-msgq-fault wrapper (FaultFixture); the image runs the bare conduit",
            );
        }
        for (name, case) in during_send::cases::<C>() {
            r.record(Name(C::NAME, m, name), checked::<C>(|| case(mode)));
        }
        r.record(
            Name(C::NAME, m, "registers_preserved_across_every_call"),
            checked::<C>(|| registers::preserved::<C>(mode)),
        );
        r.record(
            Name(C::NAME, m, "probe_succeeds_on_the_model"),
            checked::<C>(discovery::probe_succeeds::<C>),
        );
        println!(
            "timing: {}/{m}: {} ms, {} interrupts taken",
            C::NAME,
            now_ms().saturating_sub(started),
            fixture::irqs() - irqs
        );
    }
    r.finish()
}

/// Runs a case, then fails it if a `GicLine` operation failed meanwhile (the `IrqLine` methods
/// cannot return errors: `SharedGic` counts them), if the fixture itself faulted (see
/// [`fixture::fixture_faults`]), if interrupt delivery does not settle after it, or if it left
/// a fixture alive.
fn checked<C: ConduitUnderTest>(case: impl FnOnce() -> CaseResult) -> CaseResult {
    let faults = fixture::fixture_faults();
    let gic_faults = GIC.faults();
    let result = case();
    // Settle whatever the verdict, so that the next case starts quiet.
    let settled = fixture::settle();
    result?;
    if GIC.faults() != gic_faults {
        return Err(CaseError::new(
            "a GicLine operation failed during the case (SharedGic::faults grew)",
        ));
    }
    if fixture::fixture_faults() != faults {
        return Err(CaseError::new(
            "fixture fault: the delivered log dropped a message or a fired interrupt never came",
        ));
    }
    if !settled {
        return Err(CaseError::new(
            "interrupt delivery did not settle after the case",
        ));
    }
    if !fixture::all_free::<C>() {
        return Err(CaseError::new("a fixture outlived its case"));
    }
    Ok(())
}

/// The hostile image: discovery on a hypervisor that answers -1 to everything.
#[must_use]
pub fn hostile() -> u32 {
    let mut r = Report::new();
    r.record(
        Name(Smccc::NAME, "hostile", "probe_fails_cleanly"),
        discovery::probe_fails_cleanly::<Smccc>(),
    );
    r.record(
        Name(Native::NAME, "hostile", "probe_fails_cleanly"),
        discovery::probe_fails_cleanly::<Native>(),
    );
    r.finish()
}
