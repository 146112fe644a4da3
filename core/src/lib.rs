//! # gunyah-msgq
//!
//! A `no_std` client for Gunyah hypervisor message queues (msgq): the inter-VM channel a guest
//! uses to talk to other VMs and to Gunyah's resource manager.
//!
//! The crate holds:
//! - the traits a platform implements: [`Hypercall`] (the raw msgq hypercalls, returning raw
//!   output registers) and [`IrqLine`] (a vIRQ line the queue masks and unmasks);
//! - the client channel trait [`Mailbox`], in the style of embedded-hal 1.0;
//! - the error model: every hypervisor code as [`GunyahError`], the crate's [`Error`], and the
//!   errno remap for FFI;
//! - [`abi`]: the one place hypercall outputs are decoded and validated;
//! - [`MsgQueue`]: the message queue state machine, written once for every backend;
//! - with the feature `async`, `AsyncQueue` and `AsyncMailbox`: the queue as futures.
//!
//! ```
//! # use gunyah_msgq::*;
//! # use core::num::NonZeroU8;
//! # struct Hvc;
//! # impl Hypercall for Hvc {
//! #     fn msgq_send(&self, _: CapId, _: &[u8], _: SendFlags) -> RawOutput { RawOutput::sent(true) }
//! #     fn msgq_receive(&self, _: CapId, _: &mut [u8]) -> RawOutput {
//! #         RawOutput::failed(GunyahError::MsgqueueEmpty)
//! #     }
//! #     fn msgq_flush(&self, _: CapId) -> RawOutput { RawOutput::ok() }
//! # }
//! # #[derive(Clone, Copy)] struct Line;
//! # impl IrqLine for Line { fn enable(&self) {} fn disable(&self) {} }
//! // A queue pair in a static, like the resource manager's link (240-byte messages, depth 8).
//! static RM: MsgQueue<Hvc, Line, RM_MSG_SIZE> = MsgQueue::duplex(
//!     Hvc,
//!     TxConfig::new(CapId(0x10), Line, RM_MSG_SIZE),
//!     RxConfig::new(CapId(0x11), Line, NonZeroU8::new(8).unwrap(), RM_MSG_SIZE),
//! );
//!
//! // Platform interrupt handlers call the entry points:
//! fn tx_irq() { RM.on_tx_interrupt() }
//! fn rx_irq() { let _ = RM.on_rx_interrupt(|msg| { /* handle msg */ }); }
//!
//! RM.start(|_msg| {})?;
//! match RM.try_send(b"hello", SendFlags::PUSH)? {
//!     SendOutcome::Sent { not_full } => assert!(not_full),
//!     SendOutcome::WouldBlock => { /* keep the message; retry after the TX event */ }
//! }
//! # Ok::<(), Error>(())
//! ```
//!
//! # Features
//! - `async`: `AsyncQueue`, which owns a [`MsgQueue`] and whose `send` and `recv` are
//!   futures woken by the queue's interrupts (no allocation, no runtime, any executor; wait
//!   slices timed by an `embedded_hal_async::delay::DelayNs`), and the `AsyncMailbox` trait
//!   in the style of embedded-hal-async. Adds the `atomic-waker` and `embedded-hal-async`
//!   dependencies; builds for `no_std` targets.
//! - `mock`: mockall mocks of [`Hypercall`] and [`IrqLine`] in the `mock` module (needs `std`).
//!
//! # Pick a critical section (or the link fails)
//! The queue's shared state changes inside [`critical_section::with`], and library crates
//! never pick the implementation: the final binary does. Without one, linking fails with
//! `undefined symbol: _critical_section_1_0_acquire`. Pick exactly one:
//!
//! | where the binary runs | what to add |
//! |---|---|
//! | host tests, `std` programs | `critical-section = { version = "1.2", features = ["std"] }` |
//! | a single-core aarch64 guest (one vCPU, or queues used from one CPU only) | `gunyah-msgq-hvc = { version = "0.1", features = ["critical-section-single-core"] }` (masks IRQs with DAIF.I, nests) |
//! | an SMP guest | an implementation that masks IRQs *and* takes a lock all CPUs share: the RTOS's own, or a platform crate's; the single-core one is unsound there |
//!
//! The critical sections are short (a few loads and stores, a line mask) and never contain a
//! hypercall or a user callback. The send and receive fast paths take none.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(test, feature = "mock"))]
extern crate std;

/// Writes a function that is `const fn` in a normal build and a plain `fn` under `cfg(loom)`,
/// whose synchronisation types have no `const` constructors (loom issue #170). The body is
/// written once for both builds.
macro_rules! const_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])* $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$attr])* $vis fn $($rest)*
    };
}

pub mod abi;
mod cap;
pub mod desc;
mod error;
mod hypercall;
mod irq;
pub mod mailbox;
mod queue;
mod stats;
mod sync;

pub use cap::{CapId, SendFlags};
pub use desc::{DescError, LinkDesc, QueueDesc, RmLink};
pub use error::{AbiViolation, Direction, Error, GunyahError, errno};
pub use hypercall::{Hypercall, RawOutput};
pub use irq::{IrqLine, Trigger};
#[cfg(feature = "async")]
pub use mailbox::AsyncMailbox;
pub use mailbox::{ErrorKind, ErrorType, Mailbox, RecvOutcome, SendOutcome};
#[cfg(feature = "async")]
pub use queue::AsyncQueue;
pub use queue::{
    ConfigError, DrainOutcome, MAX_MSG_SIZE, MsgQueue, RM_MSG_SIZE, RxConfig, TxConfig, TxState,
    WaitPolicy,
};
pub use stats::Stats;

/// mockall mocks of [`Hypercall`] and [`IrqLine`], for driving your own code (feature `mock`).
#[cfg(feature = "mock")]
pub mod mock {
    pub use crate::hypercall::MockHypercall;
    pub use crate::irq::MockIrqLine;
}
