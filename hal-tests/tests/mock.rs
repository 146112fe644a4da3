//! The conformance suite against the simulated hypervisor: both error modes, inline and
//! threaded interrupt delivery.

mod common;

use common::{MockHarness, Plain, run_all};
use gunyah_msgq_hal_tests::ErrorMode;

#[test]
fn documented_errors_inline_interrupts() {
    run_all("documented/inline", || {
        Plain(MockHarness {
            mode: ErrorMode::Documented,
            threaded: false,
        })
    });
}

#[test]
fn public_source_quirks_inline_interrupts() {
    run_all("quirks/inline", || {
        Plain(MockHarness {
            mode: ErrorMode::PublicSourceQuirks,
            threaded: false,
        })
    });
}

#[test]
fn documented_errors_threaded_interrupts() {
    run_all("documented/threaded", || {
        Plain(MockHarness {
            mode: ErrorMode::Documented,
            threaded: true,
        })
    });
}

#[test]
fn public_source_quirks_threaded_interrupts() {
    run_all("quirks/threaded", || {
        Plain(MockHarness {
            mode: ErrorMode::PublicSourceQuirks,
            threaded: true,
        })
    });
}
