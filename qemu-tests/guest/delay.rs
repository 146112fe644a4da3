//! A [`DelayNs`] on the generic timer: spins on the virtual count (CNTVCT_EL0) until the
//! requested time has passed at its frequency (CNTFRQ_EL0). What the RTOS port's blocking send
//! and reply wait sleep with on a guest without an RTOS.
//!
//! A spin, not `wfi`: nothing may be due to wake a `wfi` (no timer interrupt is programmed), and
//! a real hypervisor would then never return. Interrupts stay as they are, so the handlers
//! the caller waits on run during the delay.

use embedded_hal::delay::DelayNs;

use crate::bench::clock::{cntfrq, counter};

/// The generic timer's delay. Holds nothing: every call reads the counter and its frequency.
#[derive(Clone, Copy, Debug, Default)]
pub struct CounterDelay;

impl CounterDelay {
    /// Counter ticks in `ns` nanoseconds at `freq` ticks a second, rounded up (a delay is
    /// never shorter than asked; 0 ns is 0 ticks).
    #[must_use]
    pub const fn ticks(ns: u32, freq: u64) -> u64 {
        // ns < 2^32 and any real counter runs below 2^32 Hz: the product fits in u64.
        (ns as u64 * freq).div_ceil(1_000_000_000)
    }
}

impl DelayNs for CounterDelay {
    fn delay_ns(&mut self, ns: u32) {
        let ticks = CounterDelay::ticks(ns, cntfrq());
        let start = counter();
        while counter().wrapping_sub(start) < ticks {
            core::hint::spin_loop();
        }
    }
}
