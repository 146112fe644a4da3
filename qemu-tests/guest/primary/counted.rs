//! A [`Hypercall`] that counts the calls the core makes through it: what lets a case see that
//! a message the core refused never reached the hypervisor, on any hypervisor.

use core::sync::atomic::{AtomicU32, Ordering};

use gunyah_msgq::{CapId, Hypercall, RawOutput, SendFlags};

/// `H`, counting.
pub struct Counted<H> {
    inner: H,
    calls: AtomicU32,
}

impl<H> Counted<H> {
    /// `inner`, no call made yet.
    pub const fn new(inner: H) -> Counted<H> {
        Counted {
            inner,
            calls: AtomicU32::new(0),
        }
    }

    /// msgq hypercalls made so far.
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    fn count(&self) -> &H {
        self.calls.fetch_add(1, Ordering::SeqCst);
        &self.inner
    }
}

impl<H: Hypercall> Hypercall for Counted<H> {
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        self.count().msgq_send(cap, msg, flags)
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        self.count().msgq_receive(cap, buf)
    }

    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        self.count().msgq_flush(cap)
    }
}
