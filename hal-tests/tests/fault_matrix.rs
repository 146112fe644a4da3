//! The fault matrix: every hypervisor error code × {send, receive} × 12 injection patterns
//! (first call, Nth call, every Nth call, seeded probability), each over a stream of messages
//! each way. No accepted message may be lost, duplicated or reordered, and every failure must
//! surface as the injected, typed error: the queue's answers to the stream's own calls, and
//! the errors the fixture's RX handler got (with threaded delivery, most drains run there).
//! A control run with a lossy wrapper must be caught.
//!
//! It runs in four variants, the simulator's two error modes × its two interrupt deliveries:
//! documented or public-source quirks, inline or from delivery threads. Each variant prints
//! one summary line and its control's line, after a check that its hypervisor really runs in
//! its mode ([`error_mode_is_live`]); the last line sums up every variant.
//!
//! # Environment
//! - `FAULT_MATRIX=full`: every variant with 1,000 messages each way per case, what CI runs
//!   (on 2 cores, 75 to 95 s in a debug build, 25 to 30 s in release). Unset, or `default`:
//!   every variant with shorter streams ([`DEFAULT_MESSAGES`]; 11 to 15 s in debug), so that
//!   `cargo test --workspace` stays quick.
//! - `FAULT_MATRIX_MESSAGES=N` (50..=1000): the stream length of every selected variant,
//!   overriding both. Injection patterns beyond N calls are fitted to the stream
//!   ([`Pattern::within`](gunyah_msgq_hal_tests::cases::faults::Pattern::within)).
//! - `FAULT_MATRIX_VARIANTS=documented/inline,quirks/threaded,…` (or `all`, the default): the
//!   variants to run, for example to reproduce one finding.
//!
//! An unknown value in any of them fails the run rather than quietly running something else.

mod common;

use std::process::ExitCode;
use std::time::Instant;

use common::{Faulty, MAX, MockHarness};
use gunyah_msgq_fault::Target;
use gunyah_msgq_hal_tests::ErrorMode;
use gunyah_msgq_hal_tests::cases::faults::{
    PATTERNS, error_mode_is_live, every_code, lossy_control, matrix_case,
};

/// A variant of the matrix: the harness it runs with, its name in the selection
/// (`FAULT_MATRIX_VARIANTS`) and its default stream length.
struct Variant {
    key: &'static str,
    harness: MockHarness,
    /// Messages each way per case when neither `FAULT_MATRIX=full` nor
    /// `FAULT_MATRIX_MESSAGES` says otherwise.
    default_messages: u32,
}

/// The default stream lengths, chosen by measurement: the default matrix takes 11 to 15 s in
/// a debug build on 2 cores (no more than the single 1,000-message variant it replaced), the
/// full one 75 to 95 s. A threaded variant costs about twice an inline one per message (each
/// message wakes delivery threads), and quirk-mode streams take the same paths as
/// documented-mode ones (see [`error_mode_is_live`]), hence the documented inline variant's
/// longer default. Every pattern still injects at these lengths: see
/// [`Pattern::within`](gunyah_msgq_hal_tests::cases::faults::Pattern::within).
const DEFAULT_MESSAGES: [u32; 4] = [200, 100, 100, 100];

/// The stream length of `FAULT_MATRIX=full`, and the ledgers' capacity.
const FULL_MESSAGES: u32 = 1000;

/// The shortest stream in which every pattern injects: `Pattern::within` fits the call
/// numbers and periods to any length, but a seeded probability fires when its draws say, and
/// the 2 % one's first fire is near call 40.
const MIN_MESSAGES: u32 = 50;

const VARIANTS: [Variant; 4] = [
    Variant {
        key: "documented/inline",
        harness: MockHarness {
            mode: ErrorMode::Documented,
            threaded: false,
        },
        default_messages: DEFAULT_MESSAGES[0],
    },
    Variant {
        key: "quirks/inline",
        harness: MockHarness {
            mode: ErrorMode::PublicSourceQuirks,
            threaded: false,
        },
        default_messages: DEFAULT_MESSAGES[1],
    },
    Variant {
        key: "documented/threaded",
        harness: MockHarness {
            mode: ErrorMode::Documented,
            threaded: true,
        },
        default_messages: DEFAULT_MESSAGES[2],
    },
    Variant {
        key: "quirks/threaded",
        harness: MockHarness {
            mode: ErrorMode::PublicSourceQuirks,
            threaded: true,
        },
        default_messages: DEFAULT_MESSAGES[3],
    },
];

impl Variant {
    /// Its name in the summary lines: "quirks, threaded".
    fn label(&self) -> String {
        self.key.replace('/', ", ")
    }
}

/// What the environment selected.
struct Selection {
    variants: Vec<&'static Variant>,
    /// A length for every variant (`FAULT_MATRIX=full` or `FAULT_MATRIX_MESSAGES`), or each
    /// variant's default.
    messages: Option<u32>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn selection() -> Result<Selection, String> {
    let full = match var("FAULT_MATRIX").as_deref() {
        None | Some("default") => false,
        Some("full") => true,
        Some(other) => {
            return Err(format!(
                "FAULT_MATRIX={other}: expected `full` or `default`"
            ));
        }
    };
    let messages = match var("FAULT_MATRIX_MESSAGES") {
        Some(v) => match v.parse::<u32>() {
            Ok(n @ MIN_MESSAGES..=FULL_MESSAGES) => Some(n),
            _ => {
                return Err(format!(
                    "FAULT_MATRIX_MESSAGES={v}: expected {MIN_MESSAGES}..={FULL_MESSAGES}"
                ));
            }
        },
        None => full.then_some(FULL_MESSAGES),
    };
    let variants = match var("FAULT_MATRIX_VARIANTS").as_deref() {
        None | Some("all") => VARIANTS.iter().collect(),
        Some(list) => {
            let mut chosen = Vec::new();
            for key in list.split(',').map(str::trim) {
                let variant = VARIANTS.iter().find(|v| v.key == key).ok_or_else(|| {
                    let keys: Vec<_> = VARIANTS.iter().map(|v| v.key).collect();
                    format!(
                        "FAULT_MATRIX_VARIANTS: unknown variant `{key}` (expected `all` or some of {})",
                        keys.join(", ")
                    )
                })?;
                if !chosen.iter().any(|c: &&Variant| c.key == variant.key) {
                    chosen.push(variant);
                }
            }
            chosen
        }
    };
    Ok(Selection { variants, messages })
}

/// Checks passed and failed, over every variant.
#[derive(Default)]
struct Verdict {
    passed: u32,
    failed: u32,
}

impl Verdict {
    fn record(&mut self, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

/// One variant: the mode check, the matrix, its summary line, the control.
fn run_variant(variant: &Variant, messages: u32, verdict: &mut Verdict) {
    let label = variant.label();
    let start = Instant::now();
    let mut h = Faulty(variant.harness);

    // Without it, the quirk variants could be the documented ones under another name.
    let live = error_mode_is_live::<_, MAX>(&mut h);
    if let Err(e) = live {
        println!("FAILED ({label}) error mode check: {e}");
    }
    verdict.record(live.is_ok());

    let mut cases = 0u32;
    let (mut lost, mut duplicated, mut reordered, mut phantom) = (0, 0, 0, 0);
    let (mut errors, mut from_handlers, mut untyped) = (0u64, 0u64, 0);
    for code in every_code() {
        for target in [Target::Send, Target::Receive] {
            for pattern in PATTERNS {
                cases += 1;
                let case = format!(
                    "({label}) {code:?} on {target:?}, {:?}",
                    pattern.within(messages)
                );
                match matrix_case::<_, MAX>(&mut h, target, code, pattern, messages) {
                    Ok((r, fired)) => {
                        lost += r.tx.lost + r.rx.lost;
                        duplicated += r.tx.duplicated + r.rx.duplicated;
                        reordered += r.tx.reordered + r.rx.reordered;
                        phantom += r.tx.phantom + r.rx.phantom;
                        untyped += r.untyped;
                        errors += u64::from(r.errors);
                        from_handlers += u64::from(r.from_handlers);
                        // A case whose fault never fired tested nothing.
                        let ok = r.is_clean() && fired > 0;
                        if !ok {
                            println!("FAILED {case}: {r:?}, injected {fired} times");
                        }
                        verdict.record(ok);
                    }
                    Err(e) => {
                        println!("FAILED {case}: {e}");
                        verdict.record(false);
                    }
                }
            }
        }
    }
    println!(
        "fault matrix ({label}): {cases} cases, {lost} lost, {duplicated} duplicated, \
         {reordered} reordered ({phantom} phantom; {untyped} untyped of {errors} errors, \
         {from_handlers} of them in handlers; {messages} messages each way per case, {:.1} s)",
        start.elapsed().as_secs_f64()
    );

    // Per variant: the checker must see a loss whatever the mode and the delivery.
    let caught = match lossy_control::<_, MAX>(&mut h, messages) {
        // Only a loss the check counted is a catch: the line must not claim one otherwise.
        Ok(r) if r.tx.lost >= 1 => {
            println!(
                "fault matrix control ({label}): a lossy wrapper lost {} accepted messages, and \
                 the check saw it",
                r.tx.lost
            );
            true
        }
        Ok(r) => {
            println!("FAILED ({label}) control: the lossy wrapper's loss went unseen: {r:?}");
            false
        }
        Err(e) => {
            println!("FAILED ({label}) control: could not run: {e}");
            false
        }
    };
    verdict.record(caught);
}

fn main() -> ExitCode {
    let selection = match selection() {
        Ok(s) => s,
        Err(e) => {
            println!("fault matrix: {e}");
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    let mut verdict = Verdict::default();
    for variant in &selection.variants {
        let messages = selection.messages.unwrap_or(variant.default_messages);
        run_variant(variant, messages, &mut verdict);
    }
    println!(
        "fault matrix: {} variants in {:.1} s",
        selection.variants.len(),
        start.elapsed().as_secs_f64()
    );
    println!(
        "fault matrix: {} passed, {} failed",
        verdict.passed, verdict.failed
    );
    if verdict.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
