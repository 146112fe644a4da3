//! # gunyah-msgq-hal-tests
//!
//! The conformance suite every `gunyah-msgq` backend must pass, written once as a `no_std`
//! library (no allocation, no panics: each case returns a [`CaseResult`], so a bare-metal
//! runner can report it).
//!
//! A backend implements [`Harness`] (it builds [`Fixture`]s: a queue under test wired to its
//! interrupt lines, plus the other VM's operations) and runs [`cases::all`]; a backend
//! wrapped in `gunyah-msgq-fault` also runs [`cases::faults`] and the fault matrix.
//!
//! Messages carry their sequence number and a body derived from it ([`message`]), and
//! [`Ledger`]s compare what was accepted with what arrived: lost, duplicated, reordered.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cases;
mod error;
pub mod fixture;
pub mod ledger;
pub mod message;

pub use error::{CaseError, CaseResult};
pub use fixture::{Caps, ErrorMode, Fixture, Harness, Line, Setup, Sides};
pub use ledger::{Ledger, Tally};
