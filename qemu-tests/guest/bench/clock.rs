//! The bench's clock: the generic timer's virtual count (CNTVCT_EL0, the default), or the PMU
//! cycle counter (PMCCNTR_EL0) when the image is built with `QBENCH_CLOCK=pmccntr`.
//!
//! Every read is `isb; mrs; isb`: the first `isb` keeps the read from being taken before the
//! instructions in front of it complete, the second keeps the timed code from starting before
//! the read. The asm is not `nomem`, so the compiler does not move memory accesses of the
//! timed code across it either.
//!
//! Why two clocks: CNTVCT_EL0 exists everywhere and runs at CNTFRQ_EL0 (QEMU 10's `virt`:
//! 1 GHz; `virt-8.2` and Gunyah's QEMU profile: 62.5 MHz, 16 ns a tick; boards: often 19.2 MHz
//! or 24 MHz, 40-50 ns a tick, too coarse for one hypercall). PMCCNTR_EL0 counts CPU cycles on
//! hardware. Under QEMU TCG it is derived from the same virtual clock (1 GHz), so it adds
//! nothing there: it is the clock to build with for a board.
//!
//! The PMU is reachable from EL1 only if EL2 does not trap it (MDCR_EL2.TPM/TPMCR): the EL2
//! model leaves MDCR_EL2 at QEMU's reset value (no traps), so an image built with
//! `QBENCH_CLOCK=pmccntr` runs there. Whether a real Gunyah build lets its primary VM at the PMU
//! was not tested: if it traps, the image takes a synchronous exception at [`init`] (reported
//! by the vector table, exit status 4).

use core::arch::asm;

/// Which counter [`now`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// CNTVCT_EL0, ticking at CNTFRQ_EL0.
    Cntvct,
    /// PMCCNTR_EL0, CPU cycles (EL1 and EL2 counted).
    Pmccntr,
}

/// The clock chosen at build time (`QBENCH_CLOCK=pmccntr`; anything else is CNTVCT_EL0).
pub const CLOCK: Clock = match option_env!("QBENCH_CLOCK") {
    Some(v) if eq(v, "pmccntr") => Clock::Pmccntr,
    _ => Clock::Cntvct,
};

const fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Clock {
    /// How the table names it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Clock::Cntvct => "CNTVCT_EL0",
            Clock::Pmccntr => "PMCCNTR_EL0",
        }
    }
}

/// PMCR_EL0.E (enable) and .C (reset the cycle counter).
const PMCR_E_C: u64 = (1 << 0) | (1 << 2);
/// PMCNTENSET_EL0.C: the cycle counter on.
const PMCNTENSET_C: u64 = 1 << 31;
/// PMCCFILTR_EL0.NSH: count at EL2 too (the hypervisor's part of a hypercall); EL0/EL1 are
/// counted by default.
const PMCCFILTR_NSH: u64 = 1 << 27;

/// Starts the chosen clock (the PMU cycle counter needs enabling; CNTVCT_EL0 runs already).
pub fn init() {
    if CLOCK == Clock::Pmccntr {
        // SAFETY: PMU configuration registers: they start the cycle counter and change no
        // memory; the `isb` makes the enable visible before the first read.
        unsafe {
            asm!(
                "msr pmccfiltr_el0, {filt}",
                "msr pmcr_el0, {pmcr}",
                "msr pmcntenset_el0, {en}",
                "isb",
                filt = in(reg) PMCCFILTR_NSH,
                pmcr = in(reg) PMCR_E_C,
                en = in(reg) PMCNTENSET_C,
                options(nostack),
            );
        }
    }
}

/// The clock now, fenced by `isb` on both sides.
#[inline(always)]
#[must_use]
pub fn now() -> u64 {
    let v: u64;
    match CLOCK {
        // SAFETY: reading CNTVCT_EL0 has no side effect (EL1 may always read it).
        Clock::Cntvct => unsafe {
            asm!("isb", "mrs {}, cntvct_el0", "isb", out(reg) v, options(nostack));
        },
        // SAFETY: reading PMCCNTR_EL0 has no side effect; `init` enabled it.
        Clock::Pmccntr => unsafe {
            asm!("isb", "mrs {}, pmccntr_el0", "isb", out(reg) v, options(nostack));
        },
    }
    v
}

/// CNTFRQ_EL0: the generic timer's ticks per second.
#[must_use]
pub fn cntfrq() -> u64 {
    let v: u64;
    // SAFETY: reading CNTFRQ_EL0 has no side effect.
    unsafe { asm!("mrs {}, cntfrq_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// CNTVCT_EL0, for timeouts (whatever [`CLOCK`] is).
#[must_use]
pub fn counter() -> u64 {
    let v: u64;
    // SAFETY: as in `now`.
    unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) v, options(nostack)) };
    v
}

/// Whether `ms` milliseconds of CNTVCT_EL0 have passed since `start` (a [`counter`] value).
#[must_use]
pub fn elapsed_ms(start: u64, ms: u64) -> bool {
    counter().wrapping_sub(start) >= cntfrq() / 1000 * ms
}

/// MIDR_EL1 (under a hypervisor, what it chose to show: VPIDR_EL2).
#[must_use]
pub fn midr() -> u64 {
    let v: u64;
    // SAFETY: reading MIDR_EL1 has no side effect.
    unsafe { asm!("mrs {}, midr_el1", out(reg) v, options(nomem, nostack)) };
    v
}
