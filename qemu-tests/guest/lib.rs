//! EL1 guest images for end-to-end msgq tests: boot, vectors, a minimal GICv3 driver, raw
//! hypercalls, a client of the EL2 model's control calls, the smoke cases, and the primary-VM
//! image's checks ([`primary`]: the real resource manager's contract, on `gunyah-msgq` and
//! `gunyah-msgq-hvc`), and the conformance images ([`conformance`]: `gunyah-msgq-hal-tests` on
//! `gunyah-msgq-hvc`'s conduits with real interrupts), and the bench images ([`bench`]: core vs
//! raw hypercalls, timed with the generic timer), and a generic-timer `DelayNs` ([`delay`],
//! for the RTOS port image `tests/rtos_port.rs`), and the async image ([`async_guest`]:
//! `gunyah_msgq::AsyncQueue` with a minimal `wfi` executor under real vIRQs).
//!
//! A test file is one image: it declares itself with [`guest!`] and returns its verdict, which
//! the run's exit status carries (semihosting). Output goes to the PL011 UART: one line per
//! case and a last line `N passed, N failed`.
#![no_std]

pub use gunyah_msgq_qemu_abi as abi;
pub use gunyah_msgq_qemu_baremetal::semihosting;

pub mod async_guest;
pub mod bench;
pub mod boot;
pub mod cases;
pub mod conformance;
pub mod console;
pub mod control;
pub mod delay;
pub mod gic;
pub mod hvc;
pub mod irq;
pub mod msgq;
pub mod primary;
pub mod probe;
pub mod regcheck;
pub mod report;
mod vectors;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("guest: panic: {info}");
    semihosting::exit(101)
}
