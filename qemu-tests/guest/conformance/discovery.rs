//! `Conduit::probe` on the model (it is Gunyah with message queues) and on the hostile variant
//! (it is not: every call answers -1).
//!
//! The probe runs on the crate's real conduit behind a recording wrapper (a [`Conduit`] that
//! notes each call's immediate and `x0`, then hands it on unchanged), so the cases also see
//! which hypercalls discovery made: on a hypervisor that is not Gunyah, `CALL_UID` and
//! nothing else.

use core::cell::Cell;

use gunyah_msgq_hal_tests::{CaseError, CaseResult, ensure};
use gunyah_msgq_hvc::{
    ApiInfo, Conduit, Convention, GunyahUid, HvcInput, HypervisorUid, ProbeError, Regs,
};

use super::ConduitUnderTest;

/// SMCCC `CALL_UID`.
const CALL_UID: u64 = 0x8600_FF01;
/// Calls the wrapper records.
const RECORDED: usize = 4;

/// A conduit that records `(immediate, x0)` of each call before making it through `C`.
struct Recording<C> {
    inner: C,
    calls: [Cell<(u16, u64)>; RECORDED],
    count: Cell<usize>,
}

impl<C: ConduitUnderTest> Recording<C> {
    fn new() -> Self {
        Recording {
            inner: C::default(),
            calls: [const { Cell::new((0, 0)) }; RECORDED],
            count: Cell::new(0),
        }
    }

    fn calls(&self) -> usize {
        self.count.get()
    }

    fn call_at(&self, i: usize) -> (u16, u64) {
        self.calls.get(i).map_or((u16::MAX, u64::MAX), Cell::get)
    }
}

impl<C: ConduitUnderTest> Conduit for Recording<C> {
    const CONVENTION: Convention = C::CONVENTION;

    unsafe fn call(&self, input: HvcInput) -> Regs {
        let n = self.count.get();
        if let Some(slot) = self.calls.get(n) {
            slot.set((input.imm, input.regs[0]));
        }
        self.count.set(n + 1);
        // SAFETY: the caller upholds `Conduit::call`'s contract for `input`; this wrapper
        // passes it on unchanged.
        unsafe { self.inner.call(input) }
    }
}

/// The model is Gunyah with message queues: `probe` (CALL_UID, then identify in `C`'s
/// convention) and `probe_after_dt` (identify only) both succeed.
///
/// # Errors
/// Either probe failing, or making other calls than expected.
pub fn probe_succeeds<C: ConduitUnderTest>() -> CaseResult {
    let c = Recording::<C>::new();
    let g = c
        .probe()
        .map_err(|_| CaseError::new("probe rejected the model"))?;
    ensure!(
        g.uid == Some(GunyahUid::Standard),
        "probe did not report the standard Gunyah UUID"
    );
    ensure!(
        g.identity.api.version() == ApiInfo::SUPPORTED_VERSION && g.identity.features.msgqueue(),
        "identify did not report API 1 with message queues"
    );
    ensure!(
        c.calls() == 2 && c.call_at(0) == (0, CALL_UID),
        "probe did not make exactly CALL_UID, then identify"
    );
    let identify = match C::CONVENTION {
        Convention::Smccc => (0, 0xC600_8000),
        Convention::Native => (0x6000, 0),
    };
    ensure!(
        c.call_at(1) == identify,
        "identify was not made in the conduit's convention"
    );
    let c = Recording::<C>::new();
    let g = c
        .probe_after_dt()
        .map_err(|_| CaseError::new("probe_after_dt rejected the model"))?;
    ensure!(
        g.uid.is_none() && c.calls() == 1 && c.call_at(0) == identify,
        "probe_after_dt made other calls than identify"
    );
    Ok(())
}

/// The hostile variant answers -1 to everything: `probe` fails with the typed `NotGunyah`
/// after `CALL_UID` alone (no Gunyah hypercall on a hypervisor that is not Gunyah), and
/// `probe_after_dt` (for a device tree that claims Gunyah) with `IdentifyUnimplemented`.
///
/// # Errors
/// A probe that succeeds, fails otherwise, or makes other calls.
pub fn probe_fails_cleanly<C: ConduitUnderTest>() -> CaseResult {
    let c = Recording::<C>::new();
    ensure!(
        c.probe()
            == Err(ProbeError::NotGunyah {
                uid: HypervisorUid::Unimplemented
            }),
        "probe on the hostile model did not fail with NotGunyah (CALL_UID unimplemented)"
    );
    ensure!(
        c.calls() == 1 && c.call_at(0) == (0, CALL_UID),
        "probe made a call after CALL_UID said not Gunyah"
    );
    let c = Recording::<C>::new();
    ensure!(
        c.probe_after_dt() == Err(ProbeError::IdentifyUnimplemented),
        "probe_after_dt on the hostile model did not fail with IdentifyUnimplemented"
    );
    ensure!(c.calls() == 1, "probe_after_dt made more than identify");
    Ok(())
}
