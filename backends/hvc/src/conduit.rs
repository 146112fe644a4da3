//! The one place a hypercall is executed ([`Conduit`]), and the typed calls built on it.

use crate::call::{Call, Convention, HvcInput, NotEmptyThreshold, NotFullThreshold, Regs, Virq};
use crate::identify::{ApiInfo, HypervisorUid, Identity};
use crate::probe::{self, Gunyah, ProbeError};
use gunyah_msgq::{CapId, GunyahError, abi};

/// Executes marshalled hypercalls: the `hvc` instruction and nothing else.
///
/// The real conduits (`Smccc`, `Native`, aarch64 only) are zero-sized and hold one `asm!` each;
/// everything above them, the typed calls of this trait and the [`raw`](crate::raw) msgq
/// calls, is ordinary code that a host test drives through a fake conduit.
///
/// # For implementers (implementation safety)
/// - [`call`](Conduit::call) executes exactly one call and returns `x0`-`x7` as the
///   hypervisor left them, without interpreting them. Everything decoded from them is
///   validated, so a fake conduit may return anything without making this crate unsound.
/// - A real conduit declares every register the hypervisor may change (`x0`-`x17`) and never
///   marks the call `nomem` or `readonly`: the hypervisor reads and writes the caller's buffers.
/// - [`CONVENTION`](Conduit::CONVENTION) is the convention the conduit's Gunyah hypercalls
///   follow; [`Call::marshal`] with it builds the input that `call` is given.
///
/// # For callers (caller safety)
/// Only [`call`](Conduit::call) is `unsafe`: see its `# Safety` section. The typed methods
/// are safe because they never pass an address.
pub trait Conduit {
    /// The calling convention of this conduit's Gunyah hypercalls.
    const CONVENTION: Convention;

    /// Executes one `hvc` with immediate `input.imm` and `x0`-`x7` = `input.regs`; returns
    /// `x0`-`x7` after it.
    ///
    /// A real conduit executes only immediates of calls this crate knows (0 and
    /// `0x6000 + N` for the numbers in [`call::number`](crate::call::number)); for any other it
    /// returns `x0` = -1 (UNIMPLEMENTED) without trapping.
    ///
    /// # Safety
    /// If `input` carries a buffer (it was marshalled from a [`Call::MsgqSend`] or
    /// [`Call::MsgqReceive`]), that buffer must be valid for the whole call: readable for
    /// `size` bytes for a send, writable and not aliased for `size` bytes for a receive, mapped
    /// at EL1, and not device memory (a send from device memory halts the real hypervisor).
    /// Calls without a buffer have no requirement.
    unsafe fn call(&self, input: HvcInput) -> Regs;

    /// `hypervisor_identify` (0x00).
    ///
    /// # Errors
    /// [`GunyahError::Unimplemented`] if the hypervisor answers "unknown call" (`x0` = -1).
    fn hypervisor_identify(&self) -> Result<Identity, GunyahError> {
        Identity::decode(&call_without_buffer(self, Call::HypervisorIdentify))
            .ok_or(GunyahError::Unimplemented)
    }

    /// SMCCC `CALL_UID` (`hvc #0`, `x0 = 0x8600_FF01`), whatever the convention: safe on any
    /// hypervisor that follows SMCCC (an unknown function answers -1).
    fn call_uid(&self) -> HypervisorUid {
        HypervisorUid::decode(&call_without_buffer(self, Call::CallUid))
    }

    /// SMCCC `REVISION` (`hvc #0`, `x0 = 0x8600_FF03`): Gunyah answers its `api_info`.
    ///
    /// # Errors
    /// [`GunyahError::Unimplemented`] if `x0`'s low 32 bits are -1.
    fn revision(&self) -> Result<ApiInfo, GunyahError> {
        let out = call_without_buffer(self, Call::Revision);
        if abi::error_code(out[0]) == -1 {
            Err(GunyahError::Unimplemented)
        } else {
            Ok(ApiInfo(out[0]))
        }
    }

    /// `msgq_configure_send` (0x1F): sets the TX queue's not-full threshold. Holdoff is -1,
    /// the only value the hypervisor accepts.
    ///
    /// # Errors
    /// The hypervisor's error (e.g. ARGUMENT_INVALID for a threshold >= depth, OBJECT_STATE
    /// once the queue is active, CSPACE errors for a capability without the right).
    fn msgq_configure_send(
        &self,
        cap: CapId,
        not_full: NotFullThreshold,
    ) -> Result<(), GunyahError> {
        checked(self, Call::MsgqConfigureSend { cap, not_full })
    }

    /// `msgq_configure_receive` (0x20): sets the RX queue's not-empty threshold.
    ///
    /// # Errors
    /// The hypervisor's error.
    fn msgq_configure_receive(
        &self,
        cap: CapId,
        not_empty: NotEmptyThreshold,
    ) -> Result<(), GunyahError> {
        checked(self, Call::MsgqConfigureReceive { cap, not_empty })
    }

    /// `msgq_bind_send_virq` (0x17): binds the TX vIRQ of `cap` to `virq` of the VIC `vic`.
    /// A resource-manager guest never needs it (the RM binds its queues).
    ///
    /// # Errors
    /// The hypervisor's error (VIRQ_BOUND, CSPACE errors, …).
    fn msgq_bind_send_virq(&self, cap: CapId, vic: CapId, virq: Virq) -> Result<(), GunyahError> {
        checked(self, Call::MsgqBindSendVirq { cap, vic, virq })
    }

    /// `msgq_bind_receive_virq` (0x18): binds the RX vIRQ of `cap`.
    ///
    /// # Errors
    /// The hypervisor's error.
    fn msgq_bind_receive_virq(
        &self,
        cap: CapId,
        vic: CapId,
        virq: Virq,
    ) -> Result<(), GunyahError> {
        checked(self, Call::MsgqBindReceiveVirq { cap, vic, virq })
    }

    /// `msgq_unbind_send_virq` (0x19).
    ///
    /// # Errors
    /// The hypervisor's error (VIRQ_NOT_BOUND, …).
    fn msgq_unbind_send_virq(&self, cap: CapId) -> Result<(), GunyahError> {
        checked(self, Call::MsgqUnbindSendVirq { cap })
    }

    /// `msgq_unbind_receive_virq` (0x1A).
    ///
    /// # Errors
    /// The hypervisor's error.
    fn msgq_unbind_receive_virq(&self, cap: CapId) -> Result<(), GunyahError> {
        checked(self, Call::MsgqUnbindReceiveVirq { cap })
    }

    /// Discovery in the spec's order: SMCCC `CALL_UID` (one of the two Gunyah UUIDs), then
    /// `hypervisor_identify` in this conduit's convention (API version 1 and the msgqueue
    /// feature). No Gunyah hypercall is made unless the UUID is Gunyah's.
    ///
    /// # Errors
    /// [`ProbeError::NotGunyah`] for any other UUID or no `CALL_UID` at all (a Gunyah older than
    /// its SMCCC interface answers that way too: see
    /// [`probe_after_dt`](Conduit::probe_after_dt)); the errors of `probe_after_dt` after it.
    fn probe(&self) -> Result<Gunyah, ProbeError> {
        probe::probe(self)
    }

    /// Discovery for a guest that already knows it runs on Gunyah from its device tree (a
    /// `/hypervisor` node compatible with `"gunyah-hypervisor"` or
    /// `"qcom,gunyah-hypervisor"`, spec §5): `hypervisor_identify` only, no `CALL_UID`.
    ///
    /// This is the path for hypervisors older than Gunyah's SMCCC interface (public hypervisor
    /// before 2023-06), which answer `CALL_UID` with -1: use it with `Native`. Calling it on a
    /// hypervisor that is not Gunyah makes a Gunyah hypercall there: only the device tree's
    /// word makes that safe.
    ///
    /// # Errors
    /// - [`ProbeError::IdentifyUnimplemented`]: identify answered -1 (wrong convention?).
    /// - [`ProbeError::UnsupportedVersion`]: the API version is not 1.
    /// - [`ProbeError::NoMsgQueue`]: the msgqueue feature bit is clear.
    fn probe_after_dt(&self) -> Result<Gunyah, ProbeError> {
        probe::identify_checked(self, None)
    }
}

impl<C: Conduit + ?Sized> Conduit for &C {
    const CONVENTION: Convention = C::CONVENTION;

    unsafe fn call(&self, input: HvcInput) -> Regs {
        // SAFETY: the caller upholds `Conduit::call`'s contract, which is the same for `C`.
        unsafe { C::call(self, input) }
    }
}

/// Executes a call that carries no address.
fn call_without_buffer<C: Conduit + ?Sized>(conduit: &C, call: Call) -> Regs {
    // SAFETY: every caller in this module passes a call without a buffer (no send, no
    // receive), for which `Conduit::call` has no requirement.
    unsafe { conduit.call(call.marshal(C::CONVENTION)) }
}

/// Executes a call without a buffer whose only output is the error word.
fn checked<C: Conduit + ?Sized>(conduit: &C, call: Call) -> Result<(), GunyahError> {
    GunyahError::check(abi::error_code(call_without_buffer(conduit, call)[0]))
}
