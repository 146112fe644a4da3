//! The fault matrix: every hypervisor error code × {send, receive} × 12 injection patterns
//! (first call, Nth call, every Nth call, seeded probability), each over a stream of 1,000
//! messages each way. No accepted message may be lost, duplicated or reordered, and every
//! failure must surface as the injected, typed error. A control run with a lossy wrapper
//! must be caught.
//!
//! `FAULT_MATRIX_MESSAGES=N` (at most 1,000) shortens the streams; the default is 1,000.

mod common;

use std::process::ExitCode;
use std::time::Instant;

use common::{Faulty, MAX, MockHarness};
use gunyah_msgq_fault::Target;
use gunyah_msgq_hal_tests::ErrorMode;
use gunyah_msgq_hal_tests::cases::faults::{PATTERNS, every_code, lossy_control, matrix_case};

fn main() -> ExitCode {
    let messages: u32 = std::env::var("FAULT_MATRIX_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .clamp(1, 1000);
    let start = Instant::now();
    let mut h = Faulty(MockHarness {
        mode: ErrorMode::Documented,
        threaded: false,
    });
    let (mut cases, mut failed) = (0u32, 0u32);
    let (mut lost, mut duplicated, mut reordered, mut phantom, mut untyped) = (0, 0, 0, 0, 0);
    for code in every_code() {
        for target in [Target::Send, Target::Receive] {
            for pattern in PATTERNS {
                cases += 1;
                let label = format!("{code:?} on {target:?}, {pattern:?}");
                match matrix_case::<_, MAX>(&mut h, target, code, pattern, messages) {
                    Ok((r, fired)) => {
                        lost += r.tx.lost + r.rx.lost;
                        duplicated += r.tx.duplicated + r.rx.duplicated;
                        reordered += r.tx.reordered + r.rx.reordered;
                        phantom += r.tx.phantom + r.rx.phantom;
                        untyped += r.untyped;
                        if !r.is_clean() || fired == 0 {
                            failed += 1;
                            println!("FAILED {label}: {r:?}, injected {fired} times");
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        println!("FAILED {label}: {e}");
                    }
                }
            }
        }
    }
    println!(
        "fault matrix: {cases} cases, {lost} lost, {duplicated} duplicated, {reordered} reordered \
         ({phantom} phantom, {untyped} untyped errors; {messages} messages each way per case, {:.1} s)",
        start.elapsed().as_secs_f64()
    );
    let control = lossy_control::<_, MAX>(&mut h, messages);
    let caught = match control {
        Ok(r) => {
            println!(
                "fault matrix control: a lossy wrapper lost {} accepted messages, and the check saw it",
                r.tx.lost
            );
            r.tx.lost >= 1
        }
        Err(e) => {
            println!("fault matrix control: could not run: {e}");
            false
        }
    };
    if !caught {
        failed += 1;
        println!("FAILED control: the lossy wrapper's loss went unseen");
    }
    println!(
        "fault matrix: {} passed, {failed} failed",
        cases + 1 - failed
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
