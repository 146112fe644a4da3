//! The model's one mutable state, reachable from the exception handler.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A value only one code path may borrow at a time. The model runs on one CPU with every
/// interrupt masked at EL2, so the only way to borrow twice is reentrance (an exception taken
/// inside the handler), which is fatal anyway: it panics instead of aliasing.
pub struct Global<T> {
    value: UnsafeCell<T>,
    borrowed: AtomicBool,
}

// SAFETY: access goes through `with`, which hands out one `&mut T` at a time (checked by
// `borrowed`); the model has a single CPU.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        Global {
            value: UnsafeCell::new(value),
            borrowed: AtomicBool::new(false),
        }
    }

    /// Runs `f` on the value.
    ///
    /// # Panics
    /// If the value is already borrowed (reentrance).
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        assert!(
            !self.borrowed.swap(true, Ordering::Acquire),
            "model state borrowed twice"
        );
        // SAFETY: `borrowed` was false, so no other `&mut T` exists; it is cleared after `f`.
        let r = f(unsafe { &mut *self.value.get() });
        self.borrowed.store(false, Ordering::Release);
        r
    }
}
