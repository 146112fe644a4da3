//! The mock hypervisor: real msgq semantics (a model behind a mutex) under both sides.
//!
//! Queues hold state here, so the peer (VM 2) fills or empties them between measured batches
//! (`iter_custom`): a batch is at most one queue's worth, and only the batch is timed.

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use gunyah_msgq::{DrainOutcome, RecvOutcome, SendFlags, SendOutcome};
use gunyah_msgq_benches::mock::{MockFixture, MockPair};
use gunyah_msgq_benches::{DEPTH, LONG_DRAIN, MAX, SIZES, raw};

use super::Group;

fn sink(msg: &[u8]) {
    black_box(msg);
}

const BOUND: usize = DEPTH as usize + 1;

/// Links for `drain_1`: each holds one message and one drain is timed per link, so the timer
/// is read once per `PAIRS` drains instead of around each.
const PAIRS: usize = 16;

/// Times `iters` operations in batches of at most `batch`, with `prepare(n)` (untimed) before
/// each batch of `n` and `check(n)` (untimed) after it.
fn batched(
    iters: u64,
    batch: usize,
    mut prepare: impl FnMut(usize),
    mut op: impl FnMut(),
    mut check: impl FnMut(usize),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(batch).min(batch);
        prepare(n);
        let start = Instant::now();
        for _ in 0..n {
            op();
        }
        total += start.elapsed();
        check(n);
        left -= n as u64;
    }
    total
}

/// One op's benches at one message size.
type Bench = fn(&mut Group, &mut MockFixture, usize);

pub fn benches(c: &mut Criterion) {
    let mut f = MockFixture::new(PAIRS);
    let ops: [(&str, Bench); 5] = [
        ("try_send", try_send),
        ("try_recv", try_recv),
        ("drain_1", drain_1),
        ("drain_255", drain_255),
        ("round_trip", round_trip),
    ];
    for (op, bench) in ops {
        let mut group = super::group(c, &format!("mock.{op}"));
        for size in SIZES {
            bench(&mut group, &mut f, size);
        }
        group.finish();
    }
}

/// The peer takes what VM 1 sent; exactly `n` messages must be there.
fn peer_take(p: &MockPair, buf: &mut [u8], n: usize) {
    assert_eq!(p.peer_take(buf), n, "VM 1's sends did not all land");
}

fn try_send(g: &mut Group, f: &mut MockFixture, size: usize) {
    let p = &f.pairs[0];
    let msg = &f.msg[..size];
    let mut peer_buf = [0u8; MAX];
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                LONG_DRAIN,
                |_| {},
                || {
                    let q = black_box(&p.qa);
                    let sent = q.try_send(black_box(msg), black_box(SendFlags::PUSH));
                    debug_assert!(matches!(sent, Ok(SendOutcome::Sent { .. })));
                    let _ = black_box(sent);
                },
                |n| peer_take(p, &mut peer_buf, n),
            )
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                LONG_DRAIN,
                |_| {},
                || {
                    let hyp = black_box(&p.guest_a);
                    let cap = black_box(p.a.tx_cap());
                    let _ = black_box(raw::send(
                        hyp,
                        cap,
                        black_box(msg),
                        black_box(SendFlags::PUSH),
                    ));
                },
                |n| peer_take(p, &mut peer_buf, n),
            )
        });
    });
}

fn try_recv(g: &mut Group, f: &mut MockFixture, size: usize) {
    let p = &f.pairs[0];
    let msg = &f.msg[..size];
    let buf = &mut f.buf;
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                LONG_DRAIN,
                |n| p.peer_fill(msg, n),
                || {
                    let q = black_box(&p.qa);
                    let got = q.try_recv(black_box(&mut buf[..]));
                    debug_assert!(matches!(got, Ok(RecvOutcome::Received { .. })));
                    let _ = black_box(got);
                },
                |_| assert_eq!(p.a.rx_len(), 0),
            )
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                LONG_DRAIN,
                |n| p.peer_fill(msg, n),
                || {
                    let hyp = black_box(&p.guest_a);
                    let cap = black_box(p.a.rx_cap());
                    let _ = black_box(raw::recv(hyp, cap, black_box(&mut buf[..])));
                },
                |_| assert_eq!(p.a.rx_len(), 0),
            )
        });
    });
}

/// One message on each of `PAIRS` links, one RX interrupt per link.
fn drain_1(g: &mut Group, f: &mut MockFixture, size: usize) {
    let pairs = &f.pairs;
    let msg = &f.msg[..size];
    let buf = &mut f.buf;
    // The link the next drain takes; each batch fills links 0..n and drains them in order.
    let next = Cell::new(0);
    let fill = |n: usize| {
        next.set(0);
        pairs[..n].iter().for_each(|p| p.peer_fill(msg, 1));
    };
    let take = || {
        let p = black_box(&pairs[next.get()]);
        next.set(next.get() + 1);
        p
    };
    let check = |_| assert!(pairs.iter().all(|p| p.a.rx_len() == 0));
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                PAIRS,
                fill,
                || {
                    let drained = take().qa.on_rx_interrupt(sink);
                    debug_assert_eq!(drained, Ok(DrainOutcome::Done { delivered: 1 }));
                    let _ = black_box(drained);
                },
                check,
            )
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                PAIRS,
                fill,
                || {
                    let p = take();
                    let drained = raw::on_rx_interrupt(
                        p.a.rx_irq(),
                        &p.guest_a,
                        p.a.rx_cap(),
                        &mut buf[..],
                        BOUND,
                        sink,
                    );
                    debug_assert_eq!(drained, Ok(1));
                    let _ = black_box(drained);
                },
                check,
            )
        });
    });
}

/// A full queue (255 messages), one RX interrupt.
fn drain_255(g: &mut Group, f: &mut MockFixture, size: usize) {
    let p = &f.pairs[0];
    let msg = &f.msg[..size];
    let buf = &mut f.buf;
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                1,
                |_| p.peer_fill(msg, LONG_DRAIN),
                || {
                    let drained = black_box(&p.qa).on_rx_interrupt(sink);
                    debug_assert_eq!(
                        drained,
                        Ok(DrainOutcome::Done {
                            delivered: LONG_DRAIN
                        })
                    );
                    let _ = black_box(drained);
                },
                |_| assert_eq!(p.a.rx_len(), 0),
            )
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                1,
                |_| p.peer_fill(msg, LONG_DRAIN),
                || {
                    let p = black_box(p);
                    let drained = raw::on_rx_interrupt(
                        p.a.rx_irq(),
                        &p.guest_a,
                        p.a.rx_cap(),
                        &mut buf[..],
                        BOUND,
                        sink,
                    );
                    debug_assert_eq!(drained, Ok(LONG_DRAIN));
                    let _ = black_box(drained);
                },
                |_| assert_eq!(p.a.rx_len(), 0),
            )
        });
    });
}

/// VM 1 sends; VM 2's RX interrupt drains it. Each iteration leaves the queue empty.
fn round_trip(g: &mut Group, f: &mut MockFixture, size: usize) {
    let p = &f.pairs[0];
    let msg = &f.msg[..size];
    let buf = &mut f.buf;
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter(|| {
            let (qa, qb) = black_box((&p.qa, &p.qb));
            let _ = black_box(qa.try_send(black_box(msg), black_box(SendFlags::PUSH)));
            black_box(qb.on_rx_interrupt(sink))
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter(|| {
            let p = black_box(p);
            let _ = black_box(raw::send(
                &p.guest_a,
                p.a.tx_cap(),
                black_box(msg),
                black_box(SendFlags::PUSH),
            ));
            black_box(raw::on_rx_interrupt(
                p.b.rx_irq(),
                &p.guest_b,
                p.b.rx_cap(),
                &mut buf[..],
                BOUND,
                sink,
            ))
        });
    });
    assert_eq!(p.b.rx_len(), 0, "a round trip left a message behind");
}
