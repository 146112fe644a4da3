//! Draws `benches/results/latency.svg` from criterion's results: one panel per backend and
//! operation, a core and a raw bar per message size, core/raw written above each pair; then
//! prints the same figures as a table.
//!
//! `cargo run -p gunyah-msgq-benches --bin plot` after `cargo bench -p gunyah-msgq-benches`.
//! It reads whatever criterion last wrote for each bench. Text is written as SVG `<text>` with
//! plotters' built-in size estimate, so no font needs to be installed.

#[path = "../estimates.rs"]
mod estimates;

use std::collections::BTreeSet;
use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use estimates::{Key, OP_ORDER, Pair, criterion_dir, print_table, read_pairs};

const BACKENDS: [&str; 2] = ["trivial", "mock"];
const CORE: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const RAW: RGBColor = RGBColor(0xbb, 0xbb, 0xbb);

fn main() -> ExitCode {
    let dir = criterion_dir();
    let pairs = read_pairs(&dir, None);
    if pairs.is_empty() {
        eprintln!(
            "plot: no criterion results under {}; run `cargo bench -p gunyah-msgq-benches` first",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/latency.svg");
    match draw(&pairs, &out) {
        Ok(()) => {
            println!("plot: wrote {}", out.display());
            print_table(
                &pairs,
                "core vs raw (criterion median per iteration, latest results)",
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("plot: {e}");
            ExitCode::FAILURE
        }
    }
}

fn draw(pairs: &std::collections::BTreeMap<Key, Pair>, out: &Path) -> Result<(), Box<dyn Error>> {
    let sizes: Vec<usize> = pairs
        .keys()
        .map(|(_, _, size)| *size)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let canvas = SVGBackend::new(out, (1700, 760)).into_drawing_area();
    canvas.fill(&WHITE)?;
    let titled = canvas.titled(
        "gunyah-msgq: core vs the same hypercalls issued raw (criterion, ns per operation; \
         blue = core, grey = raw, label = core/raw)",
        ("sans-serif", 20),
    )?;
    let panels = titled.split_evenly((BACKENDS.len(), OP_ORDER.len()));
    let label = TextStyle::from(("sans-serif", 12)).pos(Pos::new(HPos::Center, VPos::Top));
    let ratio_style = TextStyle::from(("sans-serif", 11)).pos(Pos::new(HPos::Center, VPos::Bottom));
    for (i, panel) in panels.iter().enumerate() {
        let backend = BACKENDS[i / OP_ORDER.len()];
        let op = OP_ORDER[i % OP_ORDER.len()];
        let row: Vec<(usize, Pair)> = sizes
            .iter()
            .map(|&s| {
                let pair = pairs.get(&(backend.into(), op.into(), s)).cloned();
                (s, pair.unwrap_or_default())
            })
            .collect();
        let top = row
            .iter()
            .flat_map(|(_, p)| [p.core, p.raw])
            .flatten()
            .fold(0.0_f64, f64::max)
            .max(1.0);
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{backend} · {op}"), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(52)
            .build_cartesian_2d(0.0..row.len() as f64, 0.0..top * 1.25)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("ns")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        for (x, (size, pair)) in row.iter().enumerate() {
            let x = x as f64;
            let bar = |from: f64, value: Option<f64>, color: RGBColor| {
                value.map(|v| {
                    Rectangle::new([(x + from, 0.0), (x + from + 0.36, v)], color.filled())
                })
            };
            chart.draw_series(bar(0.12, pair.core, CORE))?;
            chart.draw_series(bar(0.52, pair.raw, RAW))?;
            if let (Some(core), Some(raw)) = (pair.core, pair.raw) {
                let at = (x + 0.5, core.max(raw));
                chart.draw_series([Text::new(format!("{:.2}", core / raw), at, &ratio_style)])?;
            }
            // Size labels under the axis, drawn on the whole canvas in backend pixels.
            let (px, py) = chart.backend_coord(&(x + 0.5, 0.0));
            canvas.draw(&Text::new(format!("{size} B"), (px, py + 6), &label))?;
        }
    }
    canvas.present()?;
    Ok(())
}
