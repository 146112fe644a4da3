//! # gunyah-msgq-fault
//!
//! Fault injection for [`gunyah_msgq`] backends: every hypervisor error code, hostile replies
//! and interrupt faults, scripted and reproducible, so that a client can be shown to survive
//! them (and a loss checker can be shown to catch a loss).
//!
//! - [`FaultHypercall`] wraps any [`Hypercall`](gunyah_msgq::Hypercall) backend and runs
//!   [`Script`]s: on a [`Target`] call, [`When`] (call N, every Nth, from N on, or with a
//!   seeded probability), do an [`Action`]: answer an error instead of the call, answer a
//!   [`Hostile`] reply, or, for control runs only, a [`Lossy`] fault.
//! - [`IrqFaults`] sits where the platform's handler calls the core's interrupt entry point
//!   and drops, duplicates or delays edges, or adds spurious ones.
//! - [`FaultIrqLine`] forwards an [`IrqLine`](gunyah_msgq::IrqLine) and records its calls.
//! - Counters ([`FaultStats`], [`IrqStats`], [`FaultHypercall::fired`]) tell a test that an
//!   injection really happened.
//!
//! An injected error **replaces** the inner call: the backend is not called, so a message is
//! never both queued and reported failed. Only the [`Lossy`] controls break that rule.
//!
//! ```
//! use core::num::NonZeroU8;
//! use gunyah_msgq::*;
//! use gunyah_msgq_fault::{FaultHypercall, Script, Target, When};
//!
//! # struct Hvc;
//! # impl Hypercall for Hvc {
//! #     fn msgq_send(&self, _: CapId, _: &[u8], _: SendFlags) -> RawOutput { RawOutput::sent(true) }
//! #     fn msgq_receive(&self, _: CapId, _: &mut [u8]) -> RawOutput {
//! #         RawOutput::failed(gunyah_msgq::GunyahError::MsgqueueEmpty)
//! #     }
//! #     fn msgq_flush(&self, _: CapId) -> RawOutput { RawOutput::ok() }
//! # }
//! # #[derive(Clone, Copy)] struct Line;
//! # impl IrqLine for Line { fn enable(&self) {} fn disable(&self) {} }
//! // Any backend (`Hvc` here), wrapped. The wrapper is itself a `Hypercall`.
//! let queue: MsgQueue<_, Line, RM_MSG_SIZE> = MsgQueue::duplex(
//!     FaultHypercall::new(Hvc),
//!     TxConfig::new(CapId(0x10), Line, RM_MSG_SIZE),
//!     RxConfig::new(CapId(0x11), Line, NonZeroU8::new(8).unwrap(), RM_MSG_SIZE),
//! );
//! let faults = queue.hypercall();
//! let id = faults
//!     .add(Script::fail(Target::Send, When::Call(2), GunyahError::CspaceCapRevoked))
//!     .unwrap();
//!
//! assert!(queue.try_send(b"one", SendFlags::PUSH).is_ok());
//! assert_eq!(
//!     queue.try_send(b"two", SendFlags::PUSH),
//!     Err(Error::Hypervisor(GunyahError::CspaceCapRevoked))
//! );
//! assert!(queue.try_send(b"three", SendFlags::PUSH).is_ok());
//!
//! // The injection happened once, and the backend never saw "two".
//! assert_eq!(faults.fired(id), Some(1));
//! let stats = faults.stats();
//! assert_eq!((stats.calls.send, stats.inner_calls.send, stats.errors), (3, 2, 1));
//! ```
//!
//! Library crates never pick a `critical-section` implementation: the final binary does
//! (`critical-section/std` in host tests, a platform crate on targets).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod hostile;
mod hypercall;
mod irq;
mod line;
mod lossy;
mod rng;
mod script;
mod stats;
mod table;
mod when;

pub use hostile::Hostile;
pub use hypercall::{DEFAULT_SLOTS, FaultHypercall};
pub use irq::{DEFAULT_IRQ_SLOTS, Delivery, IrqFault, IrqFaults};
pub use line::{FaultIrqLine, LineRecord};
pub use lossy::Lossy;
pub use rng::Chance;
pub use script::{Action, Script, Target};
pub use stats::{FaultStats, IrqStats, PerCall};
pub use table::{ScriptError, ScriptId};
pub use when::When;
