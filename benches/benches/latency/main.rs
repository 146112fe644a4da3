//! Criterion latency benches: each operation through the core next to the same hypercalls
//! issued raw, on the trivial backend and on the mock hypervisor; then a table of core/raw
//! ratios from this run's estimates.
//!
//! `cargo bench -p gunyah-msgq-benches` (the full run, a few minutes), or with `-- --test`
//! (each bench once, no table: the CI smoke test). Select the package with `-p`: a
//! `--workspace` build unifies `critical-section/std` from other members and the single-core
//! implementation set here would clash with it (see benches/README.md).

#[path = "../common/cs.rs"]
mod cs;
#[path = "../../src/estimates.rs"]
mod estimates;
mod mock;
mod trivial;

use std::time::{Duration, SystemTime};

use criterion::Criterion;
use criterion::measurement::WallTime;

/// A group of one op on one backend: a `core` and a `raw` bench per message size.
type Group<'a> = criterion::BenchmarkGroup<'a, WallTime>;

/// Short runs: 40 benches of ~3 s each per backend (warm-up 1 s, measurement 2 s).
fn group<'a>(c: &'a mut Criterion, name: &str) -> Group<'a> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    g
}

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default().configure_from_args();
    trivial::benches(&mut c);
    mock::benches(&mut c);
    c.final_summary();
    // `--test` runs each bench once and `--list` none: no estimates to show.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let dir = estimates::criterion_dir();
    let pairs = estimates::read_pairs(&dir, Some(started));
    if pairs.is_empty() {
        println!(
            "core/raw: nothing measured in this run under {}",
            dir.display()
        );
        return;
    }
    let title = format!(
        "core vs raw (criterion median per iteration; critical section: {})",
        cs::NAME
    );
    estimates::print_table(&pairs, &title);
}
