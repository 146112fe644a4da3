//! The bare-metal pieces the EL2 hypervisor model and the EL1 guests both run, written once:
//! output on the PL011 UART ([`console`]), ending the run through semihosting
//! ([`semihosting`]), and the assembly text of the exception vector table ([`vectors`]) and of
//! the boot code's common steps ([`boot`]), generated for a given exception level.
//!
//! Unlike `gunyah-msgq-qemu-abi` (the model/guest contract), nothing here is an agreement
//! between the two sides: each runs its own copy on its own exception level.
#![no_std]
#![warn(missing_docs)]

pub mod boot;
pub mod console;
pub mod semihosting;
pub mod vectors;
