//! Fixtures on the mock hypervisor ([`gunyah_msgq_mock`]): real msgq semantics (a model behind
//! a mutex, per-VM capabilities, vIRQ lines), inline delivery, no handlers installed, so that
//! a bench calls the interrupt entry points itself, as the trivial benches do.

use std::vec::Vec;

use gunyah_msgq::{MsgQueue, SendFlags};
use gunyah_msgq_mock::model::{QueueConfig, VmId};
use gunyah_msgq_mock::{Endpoint, Guest, LinkConfig, MockHypervisor, MockIrq};

use crate::{DEPTH, MAX, pattern};

/// The queue type of the mock benches.
pub type MockQueue = MsgQueue<Guest, MockIrq, MAX>;

/// One link between VM 1 (the client under test) and VM 2 (the peer), each with its queue.
pub struct MockPair {
    /// VM 1's end: what the benches measure.
    pub a: Endpoint,
    /// VM 2's end: what fills and empties the queues between measurements.
    pub b: Endpoint,
    /// VM 1's queue (sends into `a`'s TX queue, receives from its RX queue).
    pub qa: MockQueue,
    /// VM 2's queue: the other end of the round trip.
    pub qb: MockQueue,
    /// VM 1's hypercalls, for the raw side.
    pub guest_a: Guest,
    /// VM 2's hypercalls, for the raw side of the round trip.
    pub guest_b: Guest,
}

/// `pairs` links on one mock hypervisor, queues of depth [`DEPTH`] and messages up to
/// [`MAX`] bytes, every queue started; plus the buffers both sides use.
pub struct MockFixture {
    /// The hypervisor (kept so that its lines outlive the benches).
    pub hyp: MockHypervisor,
    /// The links.
    pub pairs: Vec<MockPair>,
    /// What is sent: [`pattern`], sliced to the benchmarked size.
    pub msg: [u8; MAX],
    /// Where `try_recv`, the raw driver and the peer receive.
    pub buf: [u8; MAX],
}

impl MockFixture {
    /// Builds the links. Panics if the mock refuses (it holds 64 queues: `pairs <= 32`).
    #[must_use]
    pub fn new(pairs: usize) -> MockFixture {
        let hyp = MockHypervisor::new();
        let config = LinkConfig::symmetric(QueueConfig::new(usize::from(DEPTH), MAX));
        let pairs = (0..pairs)
            .map(|_| {
                let link = hyp.link(VmId(1), VmId(2), &config).expect("mock link");
                let qa = link.a.msg_queue().expect("queue of VM 1");
                let qb = link.b.msg_queue().expect("queue of VM 2");
                // No handlers: edges stay pending on the lines, and the benches call the
                // entry points themselves.
                let _drained = qa.start(|_| {}).expect("start VM 1");
                let _drained = qb.start(|_| {}).expect("start VM 2");
                MockPair {
                    guest_a: link.a.guest(),
                    guest_b: link.b.guest(),
                    a: link.a,
                    b: link.b,
                    qa,
                    qb,
                }
            })
            .collect();
        MockFixture {
            hyp,
            pairs,
            msg: pattern(),
            buf: [0; MAX],
        }
    }
}

impl MockPair {
    /// The peer queues `n` messages of `size` bytes for VM 1 (not measured).
    pub fn peer_fill(&self, msg: &[u8], n: usize) {
        for _ in 0..n {
            let out = self.b.send(msg, SendFlags::PUSH);
            assert_eq!(out.x0, 0, "peer send failed: {out:?}");
        }
    }

    /// The peer takes every message VM 1 sent (not measured); returns how many.
    pub fn peer_take(&self, buf: &mut [u8]) -> usize {
        let mut taken = 0;
        while self.b.receive(buf).x0 == 0 {
            taken += 1;
        }
        taken
    }
}
