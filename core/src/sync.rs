//! Every synchronisation primitive the queue uses, in one place, so that a model-checking
//! build (`cfg(loom)`) can swap them without touching the state machine.
//!
//! - [`CsCell`]: a small `Copy` value read and updated inside a critical section. Used for the
//!   TX state and its event epoch, which must change together.
//! - [`TryLock`]: a non-blocking lock that lends its value out *without* a critical section,
//!   so the RX buffer can be borrowed by a callback that runs with interrupts enabled. A
//!   `critical_section::Mutex` could not do that: its borrow ends with the critical section.
//! - [`Counter`]: a relaxed statistics counter.

use core::cell::Cell;
use core::sync::atomic::AtomicU32;

pub(crate) use core::sync::atomic::{AtomicBool, Ordering};

/// A `Copy` value shared between tasks and interrupt handlers, guarded by `critical-section`.
pub(crate) struct CsCell<T: Copy>(critical_section::Mutex<Cell<T>>);

impl<T: Copy> CsCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        CsCell(critical_section::Mutex::new(Cell::new(value)))
    }

    pub(crate) fn get(&self) -> T {
        critical_section::with(|cs| self.0.borrow(cs).get())
    }

    /// Runs `f` on the value inside one critical section. Keep `f` short: it runs with
    /// interrupts masked, and it must never make a hypercall or call user code.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        critical_section::with(|cs| {
            let cell = self.0.borrow(cs);
            let mut value = cell.get();
            let result = f(&mut value);
            cell.set(value);
            result
        })
    }
}

/// A lock that is only ever tried, never waited for: an interrupt handler must not spin on a
/// lock its own CPU's task may hold.
pub(crate) struct TryLock<T>(spin::mutex::SpinMutex<T>);

pub(crate) type TryLockGuard<'a, T> = spin::mutex::SpinMutexGuard<'a, T>;

impl<T> TryLock<T> {
    pub(crate) const fn new(value: T) -> Self {
        TryLock(spin::mutex::SpinMutex::new(value))
    }

    pub(crate) fn try_lock(&self) -> Option<TryLockGuard<'_, T>> {
        self.0.try_lock()
    }
}

/// A statistics counter. Relaxed: counters order nothing, they are only read for diagnostics.
pub(crate) struct Counter(AtomicU32);

impl Counter {
    pub(crate) const fn new() -> Self {
        Counter(AtomicU32::new(0))
    }

    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}
