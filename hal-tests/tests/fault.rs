//! The conformance suite through the fault injector: with no script it must change nothing;
//! with scripts, the fault cases (spec bugs 3, 8, 9, 10, lost edges, hostile replies).

mod common;

use common::{Faulty, MAX, MockHarness, run, run_all};
use gunyah_msgq_hal_tests::ErrorMode;
use gunyah_msgq_hal_tests::cases::faults;

fn inline(mode: ErrorMode) -> Faulty {
    Faulty(MockHarness {
        mode,
        threaded: false,
    })
}

#[test]
fn unscripted_wrapper_passes_the_whole_suite() {
    run_all("fault wrapper/inline", || inline(ErrorMode::Documented));
    run_all("fault wrapper/threaded", || {
        Faulty(MockHarness {
            mode: ErrorMode::Documented,
            threaded: true,
        })
    });
}

#[test]
fn bug03_every_error_code_is_typed() {
    run(
        faults::bug03_every_error_code_is_typed::<_, MAX>,
        inline(ErrorMode::Documented),
    );
}

#[test]
fn bug08_lost_tx_edge_recovered_by_slice_retry() {
    run(
        faults::bug08_lost_tx_edge_recovered_by_slice_retry::<_, MAX>,
        inline(ErrorMode::Documented),
    );
}

#[test]
fn lost_rx_edge_recovered_by_poll() {
    run(
        faults::lost_rx_edge_recovered_by_poll::<_, MAX>,
        inline(ErrorMode::Documented),
    );
}

#[test]
fn bug09_each_send_gets_its_own_status() {
    run(
        faults::bug09_each_send_gets_its_own_status::<_, MAX>,
        inline(ErrorMode::Documented),
    );
}

#[test]
fn bug10_drain_resumes_after_an_error() {
    run(
        faults::bug10_drain_resumes_after_an_error::<_, MAX>,
        inline(ErrorMode::Documented),
    );
}

#[test]
fn hostile_replies_are_contained() {
    for mode in [ErrorMode::Documented, ErrorMode::PublicSourceQuirks] {
        run(
            faults::hostile_replies_are_contained::<_, MAX>,
            inline(mode),
        );
    }
}
