//! The contract between the EL2 hypervisor model and the EL1 guests that boot on it: where a
//! guest lives and how its image asks for a model variant ([`header`]), the control calls a
//! test fixture makes ([`control`]), the value the model leaves in clobbered registers
//! ([`poison`]), and the resource manager's link and RPC framing of a primary VM ([`rm`]).
//!
//! Both sides build this crate, so the numbers are written once.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod control;
pub mod header;
pub mod layout;
pub mod poison;
pub mod rm;
