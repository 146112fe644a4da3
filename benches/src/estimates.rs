//! Reads criterion's results (`<criterion dir>/**/new/{benchmark,estimates}.json`), pairs
//! each core measurement with its raw baseline and prints the core/raw table.
//!
//! Included by path by the latency bench (the table after a run) and the plot bin (the plot
//! and the table of the latest results), and deliberately
//! not part of the library: the plot bin then links nothing of the core, so it needs no
//! critical-section implementation.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

/// Where criterion writes: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the
/// workspace's `target/criterion` (criterion's own order, without its `cargo metadata` call).
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("criterion")
}

/// One core-versus-raw pair: median time per iteration in nanoseconds.
#[derive(Clone, Debug, Default)]
pub struct Pair {
    /// Through the core.
    pub core: Option<f64>,
    /// The same hypercalls issued raw.
    pub raw: Option<f64>,
}

/// `(backend, op, size)`, e.g. `("trivial", "try_send", 240)`.
pub type Key = (String, String, usize);

/// Every `<backend>.<op>` group with `core`/`raw` functions and a numeric size, written at or
/// after `since` (all of them for `None`).
pub fn read_pairs(root: &Path, since: Option<SystemTime>) -> BTreeMap<Key, Pair> {
    let mut pairs: BTreeMap<Key, Pair> = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "new") {
                if let Some((key, side, ns)) = read_one(&path, since) {
                    let pair = pairs.entry(key).or_default();
                    match side.as_str() {
                        "core" => pair.core = Some(ns),
                        _ => pair.raw = Some(ns),
                    }
                }
            } else {
                dirs.push(path);
            }
        }
    }
    pairs
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
}

/// One measurement directory: its key, side and median time per iteration. The median of the
/// samples, not criterion's slope or mean: on a shared machine a few preempted samples move
/// those, and the core and raw benches of a pair do not get the same bad luck.
fn read_one(dir: &Path, since: Option<SystemTime>) -> Option<(Key, String, f64)> {
    let estimates_path = dir.join("estimates.json");
    if let Some(since) = since {
        let written = fs::metadata(&estimates_path).ok()?.modified().ok()?;
        if written < since {
            return None;
        }
    }
    let id = read_json(&dir.join("benchmark.json"))?;
    let estimates = read_json(&estimates_path)?;
    let (backend, op) = id.get("group_id")?.as_str()?.split_once('.')?;
    let side = id.get("function_id")?.as_str()?;
    if side != "core" && side != "raw" {
        return None;
    }
    let size = id.get("value_str")?.as_str()?.parse().ok()?;
    let ns = estimates.get("median")?.get("point_estimate")?.as_f64()?;
    Some(((backend.into(), op.into(), size), side.into(), ns))
}

/// The order ops are shown in (others after, alphabetically).
pub const OP_ORDER: [&str; 5] = ["try_send", "try_recv", "drain_1", "drain_255", "round_trip"];

/// Sort position of an op name.
pub fn op_rank(op: &str) -> usize {
    OP_ORDER
        .iter()
        .position(|o| *o == op)
        .unwrap_or(OP_ORDER.len())
}

/// Prints the core/raw table of every complete pair, the trivial backend first.
pub fn print_table(pairs: &BTreeMap<Key, Pair>, title: &str) {
    let mut rows: Vec<_> = pairs
        .iter()
        .filter_map(|(key, pair)| Some((key, pair.core?, pair.raw?)))
        .collect();
    rows.sort_by_key(|((backend, op, size), ..)| (backend != "trivial", op_rank(op), op, *size));
    println!();
    println!("{title}");
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
    println!("(drain_255 is one drain of 255 messages: per message, divide by 255)");
}
