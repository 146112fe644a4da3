//! # gunyah-msgq-mock
//!
//! A simulated Gunyah hypervisor for testing [`gunyah_msgq`] clients against the behaviour of
//! the real one (spec §4), not against what a test author believes it is.
//!
//! Two layers:
//! - [`model`] (always built, `no_std`, no allocation): message queues with the send, receive,
//!   flush and threshold semantics of the public hypervisor source, both error
//!   [`Mode`](model::Mode)s, capabilities with rights, and a [`Hyp`](model::Hyp) that
//!   dispatches a VM's hypercalls. Operations return the output registers and the vIRQ
//!   signals they raised and call nothing, so a bare-metal hypervisor model can reuse them.
//! - The std layer (feature `std`, default): `MockHypervisor` shares one model between
//!   threads; a `Guest` is one VM's `Hypercall` backend; a `MockIrq` is a vIRQ line
//!   (`IrqLine`) with GIC-like masking, pending and active states, edge or level triggering,
//!   and delivery inline or on threads. `rm` is a simulated resource manager at the far
//!   end of a guest's RM link: RM RPC framing, `VM_GET_VMID`, `VM_GET_HYP_RESOURCES`,
//!   notifications and injected misbehaviour.
//!
#![cfg_attr(feature = "std", doc = include_str!("std_examples.md"))]
//! Test binaries that link the core need a `critical-section` implementation
//! (`critical-section = { version = "1.2", features = ["std"] }` as a dev-dependency).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

pub mod model;

#[cfg(feature = "std")]
mod delay;
#[cfg(feature = "std")]
mod delivery;
#[cfg(feature = "std")]
mod error;
#[cfg(feature = "std")]
mod guest;
#[cfg(feature = "std")]
mod hypercalls;
#[cfg(feature = "std")]
mod hypervisor;
#[cfg(feature = "std")]
mod irq;
#[cfg(feature = "std")]
mod link;
#[cfg(feature = "std")]
pub mod rm;
#[cfg(feature = "std")]
mod stats;
#[cfg(all(test, feature = "std"))]
mod std_tests;

#[cfg(feature = "std")]
pub use delay::StdDelay;
#[cfg(feature = "std")]
pub use delivery::{DEFAULT_REFIRE_LIMIT, Delivery, Handler};
#[cfg(feature = "std")]
pub use error::MockError;
#[cfg(feature = "std")]
pub use guest::Guest;
#[cfg(feature = "std")]
pub use hypervisor::MockHypervisor;
#[cfg(feature = "std")]
pub use irq::{LineId, LineStats, MockIrq};
#[cfg(feature = "std")]
pub use link::{Endpoint, Link, LinkConfig};
#[cfg(feature = "std")]
pub use stats::CallStats;
