//! The trivial backend: the core's state machine against the raw driver, nothing else.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use gunyah_msgq::{DrainOutcome, RecvOutcome, SendFlags, SendOutcome};
use gunyah_msgq_benches::trivial::{NoIrq, TrivialFixture};
use gunyah_msgq_benches::{DEPTH, LONG_DRAIN, MAX, RX_CAP, SIZES, TX_CAP, raw};

use super::Group;

/// The callback both sides hand each message to.
fn sink(msg: &[u8]) {
    black_box(msg);
}

/// Receives one drain may make: the core's bound, `depth + 1`.
const BOUND: usize = DEPTH as usize + 1;

/// One op's benches at one message size.
type Bench = fn(&mut Group, usize);

pub fn benches(c: &mut Criterion) {
    let ops: [(&str, Bench); 5] = [
        ("try_send", try_send),
        ("try_recv", try_recv),
        ("drain_1", |g, size| drain(g, size, 1)),
        ("drain_255", |g, size| drain(g, size, LONG_DRAIN)),
        ("round_trip", round_trip),
    ];
    for (op, bench) in ops {
        let mut group = super::group(c, &format!("trivial.{op}"));
        for size in SIZES {
            bench(&mut group, size);
        }
        group.finish();
    }
}

fn try_send(g: &mut Group, size: usize) {
    let f = TrivialFixture::new(size);
    let msg = &f.msg[..size];
    let sent = f.queue.try_send(msg, SendFlags::PUSH);
    assert_eq!(sent, Ok(SendOutcome::Sent { not_full: true }));
    assert_eq!(
        raw::send(f.hyp(), TX_CAP, msg, SendFlags::PUSH),
        Ok(raw::Sent::Queued { not_full: true })
    );
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter(|| {
            let q = black_box(&f.queue);
            black_box(q.try_send(black_box(msg), black_box(SendFlags::PUSH)))
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter(|| {
            let hyp = black_box(f.hyp());
            let cap = black_box(TX_CAP);
            black_box(raw::send(
                hyp,
                cap,
                black_box(msg),
                black_box(SendFlags::PUSH),
            ))
        });
    });
}

fn try_recv(g: &mut Group, size: usize) {
    let f = TrivialFixture::new(size);
    let mut buf = [0u8; MAX];
    let got = f.queue.try_recv(&mut buf);
    assert_eq!(
        got,
        Ok(RecvOutcome::Received {
            len: size,
            more: false
        })
    );
    assert_eq!(
        raw::recv(f.hyp(), RX_CAP, &mut buf),
        Ok(Some((size, false)))
    );
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter(|| {
            let q = black_box(&f.queue);
            black_box(q.try_recv(black_box(&mut buf[..])))
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter(|| {
            let hyp = black_box(f.hyp());
            let cap = black_box(RX_CAP);
            black_box(raw::recv(hyp, cap, black_box(&mut buf[..])))
        });
    });
}

/// One RX interrupt whose drain delivers `n` messages (`more = true` `n - 1` times).
fn drain(g: &mut Group, size: usize, n: usize) {
    let f = TrivialFixture::new(size);
    let more = u32::try_from(n - 1).unwrap_or(0);
    let mut buf = [0u8; MAX];
    f.hyp().queue_more(more);
    assert_eq!(
        f.queue.on_rx_interrupt(sink),
        Ok(DrainOutcome::Done { delivered: n })
    );
    f.hyp().queue_more(more);
    assert_eq!(
        raw::on_rx_interrupt(&NoIrq, f.hyp(), RX_CAP, &mut buf, BOUND, sink),
        Ok(n)
    );
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter(|| {
            let q = black_box(&f.queue);
            q.hypercall().queue_more(more);
            black_box(q.on_rx_interrupt(sink))
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter(|| {
            let hyp = black_box(f.hyp());
            hyp.queue_more(more);
            let cap = black_box(RX_CAP);
            black_box(raw::on_rx_interrupt(
                &NoIrq, hyp, cap, &mut buf, BOUND, sink,
            ))
        });
    });
}

/// A send, then the RX interrupt that drains it (the trivial backend answers the receive
/// itself, so this is the cost of both halves of a message's trip through one endpoint).
fn round_trip(g: &mut Group, size: usize) {
    let f = TrivialFixture::new(size);
    let msg = &f.msg[..size];
    let mut buf = [0u8; MAX];
    g.bench_function(BenchmarkId::new("core", size), |b| {
        b.iter(|| {
            let q = black_box(&f.queue);
            let _ = black_box(q.try_send(black_box(msg), black_box(SendFlags::PUSH)));
            black_box(q.on_rx_interrupt(sink))
        });
    });
    g.bench_function(BenchmarkId::new("raw", size), |b| {
        b.iter(|| {
            let hyp = black_box(f.hyp());
            let (tx, rx) = black_box((TX_CAP, RX_CAP));
            let _ = black_box(raw::send(
                hyp,
                tx,
                black_box(msg),
                black_box(SendFlags::PUSH),
            ));
            black_box(raw::on_rx_interrupt(&NoIrq, hyp, rx, &mut buf, BOUND, sink))
        });
    });
}
