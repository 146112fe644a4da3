//! # gunyah-msgq-benches
//!
//! What the [`gunyah_msgq`] core costs on top of the hypercalls it makes: each operation is
//! measured through the core and next to it as the *same hypercalls issued raw* by
//! [`raw`], a hand-written driver that calls the [`Hypercall`](gunyah_msgq::Hypercall) methods
//! directly and checks their output, and nothing more.
//!
//! Two backends:
//! - [`trivial::Trivial`]: answers at once (a send is accepted, a receive gets a message of the
//!   benchmarked size), so what remains is the core's state machine;
//! - the mock hypervisor ([`mock`]): the real msgq semantics behind a mutex.
//!
//! The bench targets (`benches/latency/` for criterion, `benches/instructions.rs` for
//! gungraun) pick the `critical-section` implementation; this library never does, so it links
//! into nothing that has one already. See the package's README for how to run them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod mock;
pub mod raw;
pub mod trivial;

use gunyah_msgq::CapId;

/// The endpoint's `MAX` in every bench: any size the hypervisor allows, so one queue type
/// serves every message size.
pub const MAX: usize = gunyah_msgq::MAX_MSG_SIZE;

/// The RX depth of every bench queue: the largest the hypervisor allows, so a drain of 255
/// messages fits in one bound of `depth + 1` receives.
pub const DEPTH: u8 = 255;

/// The message sizes benchmarked: tiny, a cache line, the resource manager's, the largest.
pub const SIZES: [usize; 4] = [8, 64, gunyah_msgq::RM_MSG_SIZE, MAX];

/// Messages in the long drain: a full queue of [`DEPTH`].
pub const LONG_DRAIN: usize = DEPTH as usize;

/// The TX capability of the trivial backend's queue.
pub const TX_CAP: CapId = CapId(0x10);
/// The RX capability of the trivial backend's queue.
pub const RX_CAP: CapId = CapId(0x11);

/// `MAX` bytes of a recognisable pattern: messages are its prefixes, the same on both sides.
#[must_use]
pub fn pattern() -> [u8; MAX] {
    core::array::from_fn(|i| i as u8)
}
