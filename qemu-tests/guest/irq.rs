//! Interrupt handling at EL1: acknowledge, count per INTID, run the test's hook, end.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// INTIDs the GIC can name (1020..1023 are special).
const INTIDS: usize = 1020;

static COUNTS: [AtomicU32; INTIDS] = [const { AtomicU32::new(0) }; INTIDS];
/// A `fn(u32)` run for every interrupt after it is counted, or 0.
static HOOK: AtomicUsize = AtomicUsize::new(0);

/// How often `intid` was taken since boot.
pub fn count(intid: u32) -> u32 {
    COUNTS
        .get(intid as usize)
        .map_or(0, |c| c.load(Ordering::SeqCst))
}

/// Runs `hook` (with the INTID) in every interrupt from now on; `None` removes it.
pub fn set_hook(hook: Option<fn(u32)>) {
    HOOK.store(hook.map_or(0, |h| h as usize), Ordering::SeqCst);
}

/// The IRQ vector's work: acknowledges every pending interrupt in turn.
pub fn handle() {
    loop {
        let iar: u64;
        // SAFETY: reading ICC_IAR1_EL1 acknowledges the highest-priority pending interrupt
        // (ICV_IAR1_EL1 under a hypervisor); we end it below.
        unsafe { core::arch::asm!("mrs {}, icc_iar1_el1", out(reg) iar, options(nostack)) };
        let intid = (iar & 0xFF_FFFF) as u32;
        if intid as usize >= INTIDS {
            return;
        }
        COUNTS[intid as usize].fetch_add(1, Ordering::SeqCst);
        let hook = HOOK.load(Ordering::SeqCst);
        if hook != 0 {
            // SAFETY: HOOK only ever holds 0 or a `fn(u32)` stored by `set_hook`.
            let hook: fn(u32) = unsafe { core::mem::transmute::<usize, fn(u32)>(hook) };
            hook(intid);
        }
        // SAFETY: ends the interrupt acknowledged above (EOImode 0: priority drop and
        // deactivation).
        unsafe { core::arch::asm!("msr icc_eoir1_el1, {}", in(reg) iar, options(nostack)) };
    }
}

/// Unmasks IRQs at EL1. Not `nomem`: a handler may run right after it.
pub fn unmask() {
    // SAFETY: clearing PSTATE.I lets the (virtual) interrupts the handler expects in.
    unsafe { core::arch::asm!("msr daifclr, #2", "isb", options(nostack)) };
}

/// Masks IRQs at EL1.
pub fn mask() {
    // SAFETY: setting PSTATE.I only defers interrupts.
    unsafe { core::arch::asm!("msr daifset, #2", "isb", options(nostack)) };
}

/// Waits (`wfi`, trapped by the model, which delivers what is due) until `done` holds, at most
/// `rounds` times. Whether it held.
pub fn wait_until(rounds: u32, done: impl Fn() -> bool) -> bool {
    for _ in 0..rounds {
        if done() {
            return true;
        }
        // SAFETY: `wfi` only waits; under the model it traps and returns at once.
        unsafe { core::arch::asm!("wfi", options(nostack)) };
    }
    done()
}
