//! A backend that answers every hypercall at once, to isolate the core's state machine.
//!
//! Its methods are `#[inline(never)]` and pass their inputs and outputs through
//! [`black_box`]: a real hypercall is an opaque `hvc` that is never elided, so neither the core
//! nor the raw driver may see through it (no constant answer folded into the decoding, no
//! argument dropped as unused). Both sides call the very same functions.

use core::cell::Cell;
use core::num::NonZeroU8;
use std::hint::black_box;

use gunyah_msgq::{CapId, Hypercall, IrqLine, MsgQueue, RawOutput, RxConfig, SendFlags, TxConfig};

use crate::{DEPTH, MAX, RX_CAP, TX_CAP, pattern};

/// The trivial hypervisor: a send is accepted with room left; a receive copies a message of
/// the configured size into the buffer and says `more` while its countdown lasts.
pub struct Trivial {
    payload: [u8; MAX],
    size: Cell<usize>,
    /// Receives still to answer `more = true` (interior mutability: hypercalls take `&self`).
    more: Cell<u32>,
}

impl Trivial {
    /// Answers receives with `size` bytes (`1..=MAX`) and `more = false`.
    #[must_use]
    pub fn new(size: usize) -> Trivial {
        assert!(
            (1..=MAX).contains(&size),
            "message size {size} not in 1..={MAX}"
        );
        Trivial {
            payload: pattern(),
            size: Cell::new(size),
            more: Cell::new(0),
        }
    }

    /// The next `n` receives answer `more = true`, the one after `more = false`: a drain then
    /// delivers `n + 1` messages.
    pub fn queue_more(&self, n: u32) {
        self.more.set(n);
    }
}

impl Hypercall for Trivial {
    #[inline(never)]
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        black_box((cap, msg, flags));
        black_box(RawOutput::sent(true))
    }

    #[inline(never)]
    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        black_box(cap);
        let size = self.size.get();
        let Some(dst) = buf.get_mut(..size) else {
            // ARGUMENT_SIZE: never taken, the benches pass MAX-byte buffers.
            return black_box(RawOutput::error(2));
        };
        dst.copy_from_slice(&self.payload[..size]);
        let more = self.more.get();
        self.more.set(more.saturating_sub(1));
        black_box(RawOutput::received(size as u64, more > 0))
    }

    #[inline(never)]
    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        black_box(cap);
        black_box(RawOutput::ok())
    }
}

/// A vIRQ line with nothing behind it. The queues are edge-triggered, so the data path never
/// masks or unmasks it; acknowledging is the trait's no-op default.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoIrq;

impl IrqLine for NoIrq {
    fn enable(&self) {}
    fn disable(&self) {}
}

/// The queue type of the trivial benches.
pub type TrivialQueue = MsgQueue<Trivial, NoIrq, MAX>;

/// A started duplex queue on a [`Trivial`] backend, and the buffers both sides use.
pub struct TrivialFixture {
    /// The queue (its backend is [`MsgQueue::hypercall`], which the raw side calls).
    pub queue: TrivialQueue,
    /// What is sent: [`pattern`], sliced to the benchmarked size.
    pub msg: [u8; MAX],
    /// Where `try_recv` and the raw driver receive.
    pub buf: [u8; MAX],
}

impl TrivialFixture {
    /// A fixture whose receives answer `size` bytes.
    #[must_use]
    pub fn new(size: usize) -> TrivialFixture {
        let depth = NonZeroU8::new(DEPTH).unwrap_or(NonZeroU8::MIN);
        let queue = MsgQueue::duplex(
            Trivial::new(size),
            TxConfig::new(TX_CAP, NoIrq, MAX),
            RxConfig::new(RX_CAP, NoIrq, depth, MAX),
        );
        // Start as a driver would (unmask, drain what is queued: one message here).
        let _drained = queue.start(|_| {}).expect("start on the trivial backend");
        TrivialFixture {
            queue,
            msg: pattern(),
            buf: [0; MAX],
        }
    }

    /// The backend, for the raw side.
    #[must_use]
    pub fn hyp(&self) -> &Trivial {
        self.queue.hypercall()
    }
}
