//! The core/raw table printed after a run.

use std::time::SystemTime;

use crate::estimates::{criterion_dir, op_rank, read_pairs};

/// Prints every pair measured since `started`, ordered by backend, op and size.
pub fn print(started: SystemTime, cs: &str) {
    let dir = criterion_dir();
    let pairs = read_pairs(&dir, Some(started));
    let mut rows: Vec<_> = pairs
        .into_iter()
        .filter_map(|(key, pair)| Some((key, pair.core?, pair.raw?)))
        .collect();
    if rows.is_empty() {
        println!(
            "core/raw: no pair measured in this run under {}",
            dir.display()
        );
        return;
    }
    // The trivial backend first: it isolates the core.
    rows.sort_by_key(|((backend, op, size), ..)| {
        (backend != "trivial", op_rank(op), op.clone(), *size)
    });
    println!();
    println!("core vs raw (criterion typical time per iteration; critical section: {cs})");
    println!(
        "{:<8} {:<11} {:>5} {:>11} {:>11} {:>9} {:>12}",
        "backend", "op", "size", "core ns", "raw ns", "core/raw", "core-raw ns"
    );
    for ((backend, op, size), core, raw) in rows {
        println!(
            "{backend:<8} {op:<11} {size:>5} {core:>11.1} {raw:>11.1} {:>9.2} {:>12.1}",
            core / raw,
            core - raw
        );
    }
    println!("(drain_255 is one drain of 255 messages; its per-message cost is the row / 255)");
}
