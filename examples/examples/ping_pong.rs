//! Two guests on the simulated hypervisor play ping-pong through a message-queue link, with
//! interrupts delivered from other threads as a real interrupt controller would.
//!
//! Guest A sends pings of random sizes (keeping up to `--window` in flight) and waits for each
//! pong; guest B echoes every message from its RX interrupt callback with `try_send`. When B's
//! queue is full, B keeps the echo and sends it from its TX interrupt handler: nothing is ever
//! dropped, and the order is kept.
//!
//! ```text
//! cargo run -p gunyah-msgq-examples --example ping_pong -- [--count N] [--depth D]
//!     [--size S] [--window W] [--quirks] [--seed X]
//! ```

use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gunyah_msgq::{MAX_MSG_SIZE, MsgQueue, SendFlags, SendOutcome, Stats, WaitPolicy};
use gunyah_msgq_mock::model::{Mode, QueueConfig, VmId};
use gunyah_msgq_mock::{Guest, LinkConfig, MockHypervisor, MockIrq, StdDelay};

/// The queues' compile-time maximum: any size the hypervisor allows.
type Queue = MsgQueue<Guest, MockIrq, MAX_MSG_SIZE>;

const USAGE: &str =
    "usage: ping_pong [--count N] [--depth D] [--size S] [--window W] [--quirks] [--seed X]
  --count N   round trips, 1..=10000000 (default 10000; each one's latency is kept)
  --depth D   depth of both queues, 1..=255 (default 8)
  --size S    largest message, 1..=1023 bytes; sizes are random in 1..=S (default 240)
  --window W  pings in flight at once, 1..=1024 (default 4)
  --quirks    the hypervisor's public-source behaviour instead of the documented errors
  --seed X    seed of the random sizes (default 1)";

/// The most round trips one run takes: their latencies (8 bytes each) stay in memory for the
/// percentiles, so this bounds that to 80 MB.
const MAX_COUNT: u32 = 10_000_000;

#[derive(Debug)]
struct Options {
    count: u32,
    depth: u8,
    size: usize,
    window: usize,
    quirks: bool,
    seed: u64,
}

fn parse_options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        count: 10_000,
        depth: 8,
        size: 240,
        window: 4,
        quirks: false,
        seed: 1,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            v.parse::<u64>()
                .map_err(|_| format!("{name}: '{v}' is not a whole number"))
        };
        match arg.as_str() {
            "--count" => {
                o.count = u32::try_from(value("--count")?)
                    .ok()
                    .filter(|n| (1..=MAX_COUNT).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "--count must be 1..={MAX_COUNT}: each round trip's latency is \
                             kept in memory for the percentiles"
                        )
                    })?;
            }
            "--depth" => {
                o.depth = u8::try_from(value("--depth")?)
                    .ok()
                    .filter(|&d| d >= 1)
                    .ok_or("--depth must be 1..=255")?;
            }
            "--size" => {
                o.size = usize::try_from(value("--size")?)
                    .ok()
                    .filter(|s| (1..=MAX_MSG_SIZE).contains(s))
                    .ok_or("--size must be 1..=1023")?;
            }
            "--window" => {
                o.window = usize::try_from(value("--window")?)
                    .ok()
                    .filter(|w| (1..=1024).contains(w))
                    .ok_or("--window must be 1..=1024")?;
            }
            "--seed" => o.seed = value("--seed")?,
            "--quirks" => o.quirks = true,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(o)
}

/// Guest B's echoes that found its queue full, in order.
type Backlog = Arc<Mutex<VecDeque<Vec<u8>>>>;

/// Sends what the backlog holds, oldest first, until the queue is full again. Called with the
/// backlog locked, so an echo and a flush never reorder each other.
fn flush_backlog(q: &Queue, backlog: &mut VecDeque<Vec<u8>>) {
    while let Some(msg) = backlog.front() {
        match q.try_send(msg, SendFlags::PUSH) {
            Ok(SendOutcome::Sent { .. }) => {
                backlog.pop_front();
            }
            Ok(SendOutcome::WouldBlock) => return,
            Err(e) => {
                eprintln!("guest B: echo failed: {e}");
                backlog.pop_front();
            }
        }
    }
}

struct Outcome {
    latencies_us: Vec<f64>,
    mismatched: u32,
    missing: u32,
    elapsed: Duration,
    a: Stats,
    b: Stats,
}

fn run(o: &Options) -> Result<Outcome, String> {
    let hyp = MockHypervisor::threaded();
    let mode = if o.quirks {
        Mode::PublicSourceQuirks
    } else {
        Mode::Documented
    };
    let config =
        LinkConfig::symmetric(QueueConfig::new(usize::from(o.depth), o.size).with_mode(mode));
    let link = hyp
        .link(VmId(1), VmId(2), &config)
        .map_err(|e| format!("link setup: {e}"))?;

    let a: Arc<Queue> = Arc::new(link.a.msg_queue().map_err(|e| format!("queue A: {e}"))?);
    let b: Arc<Queue> = Arc::new(link.b.msg_queue().map_err(|e| format!("queue B: {e}"))?);

    // Guest A: pongs go to the main thread.
    let (pong_tx, pong_rx) = mpsc::channel::<Vec<u8>>();
    {
        let q = Arc::downgrade(&a);
        link.a.tx_irq().set_handler(move || {
            if let Some(q) = q.upgrade() {
                q.on_tx_interrupt();
            }
        });
        let q = Arc::downgrade(&a);
        let pongs = pong_tx.clone();
        link.a.rx_irq().set_handler(move || {
            if let Some(q) = q.upgrade() {
                let _ = q.on_rx_interrupt(|m| {
                    let _ = pongs.send(m.to_vec());
                });
            }
        });
    }
    // Guest B: echo from the RX callback; what does not fit waits for the TX interrupt.
    let backlog: Backlog = Arc::default();
    {
        let q = Arc::downgrade(&b);
        let pending = Arc::clone(&backlog);
        link.b.tx_irq().set_handler(move || {
            if let Some(q) = q.upgrade() {
                q.on_tx_interrupt();
                flush_backlog(&q, &mut pending.lock().unwrap());
            }
        });
        let q = Arc::downgrade(&b);
        let pending = Arc::clone(&backlog);
        link.b.rx_irq().set_handler(move || {
            if let Some(q) = q.upgrade() {
                let echo = |m: &[u8]| {
                    let mut pending = pending.lock().unwrap();
                    pending.push_back(m.to_vec());
                    flush_backlog(&q, &mut pending);
                };
                let _ = q.on_rx_interrupt(echo);
            }
        });
    }
    // Nothing is queued yet, so the start drains deliver nothing; their outcome is not needed.
    let _ = b.start(|_| {}).map_err(|e| format!("guest B start: {e}"))?;
    let _ = a
        .start(|m| {
            let _ = pong_tx.send(m.to_vec());
        })
        .map_err(|e| format!("guest A start: {e}"))?;

    let mut rng = fastrand::Rng::with_seed(o.seed);
    let mut in_flight: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
    let mut latencies_us = Vec::with_capacity(o.count as usize);
    let (mut mismatched, mut missing) = (0u32, 0u32);
    let mut sent = 0u32;
    let started = Instant::now();
    let policy = WaitPolicy::timeout_us(2_000_000);
    while sent < o.count || !in_flight.is_empty() {
        if sent < o.count && in_flight.len() < o.window {
            let ping: Vec<u8> = (0..rng.usize(1..=o.size)).map(|_| rng.u8(..)).collect();
            a.send_blocking(&ping, SendFlags::PUSH, &mut StdDelay, policy)
                .map_err(|e| format!("guest A send: {e}"))?;
            in_flight.push_back((Instant::now(), ping));
            sent += 1;
            continue;
        }
        match pong_rx.recv_timeout(Duration::from_secs(2)) {
            Ok(pong) => {
                let Some((at, ping)) = in_flight.pop_front() else {
                    mismatched += 1;
                    continue;
                };
                latencies_us.push(at.elapsed().as_secs_f64() * 1e6);
                if pong != ping {
                    mismatched += 1;
                }
            }
            Err(_) => {
                // A pong did not come back within 2 s: count what is missing and stop.
                missing = in_flight.len() as u32 + (o.count - sent);
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    a.shutdown();
    b.shutdown();
    hyp.shutdown();
    Ok(Outcome {
        latencies_us,
        mismatched,
        missing,
        elapsed,
        a: a.stats(),
        b: b.stats(),
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn print_stats(name: &str, s: &Stats) {
    println!(
        "  guest {name}: sent {}, received {}, would-block {}, spurious tx {}, spurious rx {}, faults {}, malformed {}",
        s.sent, s.received, s.would_block, s.spurious_tx, s.spurious_rx, s.faults, s.malformed
    );
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("ping_pong: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!(
        "ping_pong: {} round trips, depth {}, sizes 1..={}, window {}, {} hypervisor, threaded interrupts",
        options.count,
        options.depth,
        options.size,
        options.window,
        if options.quirks {
            "public-source quirks"
        } else {
            "documented-errors"
        },
    );
    let outcome = match run(&options) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("ping_pong: {message}");
            return ExitCode::FAILURE;
        }
    };
    print_stats("A", &outcome.a);
    print_stats("B", &outcome.b);
    let mut sorted = outcome.latencies_us.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "  round-trip latency (µs): p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1}",
        percentile(&sorted, 50.0),
        percentile(&sorted, 90.0),
        percentile(&sorted, 99.0),
        sorted.last().copied().unwrap_or(0.0),
    );
    let done = outcome.latencies_us.len();
    let ok = outcome.mismatched == 0 && outcome.missing == 0 && done == options.count as usize;
    println!(
        "result: {}: {done}/{} round trips, {} mismatched, {} missing, {:.2} s",
        if ok { "ok" } else { "FAILED" },
        options.count,
        outcome.mismatched,
        outcome.missing,
        outcome.elapsed.as_secs_f64()
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_options(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn bad_options_are_errors_not_panics() {
        for bad in [
            &["--size", "0"][..],
            &["--size", "1024"],
            &["--depth", "0"],
            &["--depth", "256"],
            &["--count", "0"],
            &["--count", "10000001"],
            &["--count", "4294967295"],
            &["--window", "0"],
            &["--count", "x"],
            &["--count"],
            &["--bogus"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(parse(&["--count", "10000000"]).unwrap().count, MAX_COUNT);
        let o = parse(&["--size", "1023", "--depth", "255", "--quirks"]).unwrap();
        assert_eq!((o.size, o.depth, o.quirks), (1023, 255, true));
    }

    #[test]
    fn short_run_completes() {
        let o = Options {
            count: 300,
            depth: 2,
            size: 64,
            window: 8,
            quirks: false,
            seed: 7,
        };
        let r = run(&o).unwrap();
        assert_eq!((r.latencies_us.len(), r.mismatched, r.missing), (300, 0, 0));
    }
}
