//! `Guest`: one VM's view of the mock hypervisor, as a [`Hypercall`] backend.

use std::fmt;

use gunyah_msgq::{CapId, Hypercall, RawOutput, SendFlags};

use crate::hypervisor::MockHypervisor;
use crate::model::VmId;
use crate::stats::CallStats;

/// The hypercalls of one VM: a [`Hypercall`] backend for [`gunyah_msgq::MsgQueue`].
///
/// Capabilities are looked up in this VM's cspace, so a capability of another VM answers
/// CSPACE_CAP_NULL. A hypercall may run vIRQ handlers before it returns
/// ([`Delivery::Inline`](crate::Delivery::Inline)), as an interrupt taken right after `hvc`
/// would.
#[derive(Clone)]
pub struct Guest {
    hyp: MockHypervisor,
    vm: VmId,
}

impl Guest {
    pub(crate) fn new(hyp: MockHypervisor, vm: VmId) -> Guest {
        Guest { hyp, vm }
    }

    /// The VM.
    #[must_use]
    pub fn vm(&self) -> VmId {
        self.vm
    }

    /// The hypervisor.
    #[must_use]
    pub fn hypervisor(&self) -> &MockHypervisor {
        &self.hyp
    }

    /// The hypercalls this VM made so far.
    #[must_use]
    pub fn stats(&self) -> CallStats {
        self.hyp.call_stats(self.vm)
    }

    /// `msgq_configure_send` (hypercall 0x1F).
    pub fn msgq_configure_send(&self, cap: CapId, threshold: u32, holdoff: u32) -> RawOutput {
        self.hyp.configure_send(self.vm, cap, threshold, holdoff)
    }

    /// `msgq_configure_receive` (hypercall 0x20).
    pub fn msgq_configure_receive(&self, cap: CapId, threshold: u32, holdoff: u32) -> RawOutput {
        self.hyp.configure_receive(self.vm, cap, threshold, holdoff)
    }

    /// `msgq_send` of `size` bytes from a buffer the hypervisor cannot read.
    pub fn msgq_send_unreadable(&self, cap: CapId, size: usize, flags: SendFlags) -> RawOutput {
        self.hyp.send_unreadable(self.vm, cap, size, flags)
    }

    /// `msgq_receive` into a buffer the hypervisor cannot write.
    pub fn msgq_receive_unwritable(&self, cap: CapId) -> RawOutput {
        self.hyp.receive_unwritable(self.vm, cap)
    }
}

impl Hypercall for Guest {
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        self.hyp.send(self.vm, cap, msg, flags)
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        self.hyp.receive(self.vm, cap, buf)
    }

    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        self.hyp.flush(self.vm, cap)
    }
}

impl fmt::Debug for Guest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guest").field("vm", &self.vm).finish()
    }
}
