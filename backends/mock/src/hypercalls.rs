//! The hypercalls of the mock hypervisor, on behalf of any VM: what [`Guest`](crate::Guest)
//! calls, and what a test calls directly as the peer.

use std::sync::Arc;

use gunyah_msgq::{CapId, RawOutput, SendFlags};

use crate::delivery::LineCore;
use crate::hypervisor::{MockHypervisor, StdHyp};
use crate::model::{Dispatch, LineSignal, VmId};
use crate::stats::Call;

impl MockHypervisor {
    /// Runs a hypercall on the model, applies its vIRQ signals under the same lock (so they
    /// stay in the order of the operations), then delivers with no lock held.
    fn dispatch(
        &self,
        vm: VmId,
        call: Call,
        op: impl FnOnce(&mut StdHyp) -> Dispatch,
    ) -> RawOutput {
        let mut kick: [Option<Arc<LineCore>>; 2] = [None, None];
        let raw = {
            let mut st = self.state();
            let d = op(&mut st.hyp);
            st.calls.entry(vm).or_default().record(call, &d);
            for (queue, kind, signal) in d.signals() {
                if let Some(line) = st.line(queue, kind) {
                    line.signal(signal);
                    if signal == LineSignal::Assert {
                        kick[kind.index()] = Some(Arc::clone(line));
                    }
                }
            }
            d.raw
        };
        for line in kick.into_iter().flatten() {
            line.kick();
        }
        raw
    }

    /// `msgq_send` by `vm`.
    pub fn send(&self, vm: VmId, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        self.dispatch(vm, Call::Send, |h| h.send(vm, cap, msg, flags))
    }

    /// `msgq_send` by `vm` of `size` bytes from a buffer the hypervisor cannot read.
    pub fn send_unreadable(
        &self,
        vm: VmId,
        cap: CapId,
        size: usize,
        flags: SendFlags,
    ) -> RawOutput {
        self.dispatch(vm, Call::Send, |h| h.send_unreadable(vm, cap, size, flags))
    }

    /// `msgq_receive` by `vm`.
    pub fn receive(&self, vm: VmId, cap: CapId, buf: &mut [u8]) -> RawOutput {
        self.dispatch(vm, Call::Receive, |h| h.receive(vm, cap, buf))
    }

    /// `msgq_receive` by `vm` into a buffer the hypervisor cannot write.
    pub fn receive_unwritable(&self, vm: VmId, cap: CapId) -> RawOutput {
        self.dispatch(vm, Call::Receive, |h| h.receive_unwritable(vm, cap))
    }

    /// `msgq_flush` by `vm`.
    pub fn flush(&self, vm: VmId, cap: CapId) -> RawOutput {
        self.dispatch(vm, Call::Flush, |h| h.flush(vm, cap))
    }

    /// `msgq_configure_send` by `vm` (see [`crate::model::Msgq::configure_send`]).
    pub fn configure_send(&self, vm: VmId, cap: CapId, threshold: u32, holdoff: u32) -> RawOutput {
        self.dispatch(vm, Call::Configure, |h| {
            h.configure_send(vm, cap, threshold, holdoff)
        })
    }

    /// `msgq_configure_receive` by `vm` (see [`crate::model::Msgq::configure_receive`]).
    pub fn configure_receive(
        &self,
        vm: VmId,
        cap: CapId,
        threshold: u32,
        holdoff: u32,
    ) -> RawOutput {
        self.dispatch(vm, Call::Configure, |h| {
            h.configure_receive(vm, cap, threshold, holdoff)
        })
    }
}
