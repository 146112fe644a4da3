//! The bench binaries' `critical-section` implementation, included by each bench target (never
//! by the library, so no test or other binary links a second one).
//!
//! - Feature `single-core-cs` (default): the no-op below, what a one-core guest pays once
//!   interrupts are masked by the caller. Not set when `std-cs` is also on (`--all-features`),
//!   where critical-section's own `std` implementation already defines the symbols.
//! - Feature `std-cs`: critical-section's `std` implementation (a global reentrant mutex).

#[cfg(not(any(feature = "single-core-cs", feature = "std-cs")))]
compile_error!(
    "enable `single-core-cs` (the default) or `std-cs`: the bench needs one critical section"
);

#[cfg(all(feature = "single-core-cs", not(feature = "std-cs")))]
mod single_core {
    use core::sync::atomic::{Ordering, compiler_fence};

    struct SingleCore;
    critical_section::set_impl!(SingleCore);

    // SAFETY: a critical section must exclude everything else that touches the data it guards.
    // A bench binary runs its queue on one thread (criterion's and gungraun's benches call the
    // routine on the thread that built the fixture; the mock's inline delivery runs no handler
    // on another thread, and the benches install none) and takes no interrupts or signals that
    // touch the queue, so there is nothing to exclude. The compiler fences keep the guarded
    // accesses from being moved out of the section, as masking interrupts would on one core.
    unsafe impl critical_section::Impl for SingleCore {
        unsafe fn acquire() -> critical_section::RawRestoreState {
            compiler_fence(Ordering::SeqCst);
            // Nothing to restore. `Default` rather than `()`: another crate in the build may
            // select a `restore-state-*` feature, which changes the type.
            critical_section::RawRestoreState::default()
        }

        unsafe fn release(_restore: critical_section::RawRestoreState) {
            compiler_fence(Ordering::SeqCst);
        }
    }
}

/// Which implementation this binary uses, for the reports.
#[allow(dead_code)]
pub const NAME: &str = if cfg!(all(feature = "single-core-cs", not(feature = "std-cs"))) {
    "single-core (no-op + compiler fence)"
} else {
    "std (critical-section/std: global mutex)"
};
