//! Instruction counts under callgrind (gungraun): `try_send`, `try_recv` and RX-interrupt
//! drains of 1 and 255 messages, through the core and raw, on the trivial backend.
//!
//! Run with `bash benches/instructions.sh` (it installs the runner and prints core − raw per
//! operation for both critical sections); this target has `bench = false`, so a plain
//! `cargo bench` skips it. Every bench takes a leaked fixture built by its argument expression,
//! which gungraun evaluates outside the counted function: only the operation is counted, plus
//! the same call and `black_box` overhead on both sides, which the subtraction cancels.

#[path = "common/cs.rs"]
mod cs;

use std::hint::black_box;

use gungraun::{library_benchmark, library_benchmark_group, main};
use gunyah_msgq::{DrainOutcome, Error, RM_MSG_SIZE, RecvOutcome, SendFlags, SendOutcome};
use gunyah_msgq_benches::trivial::{NoIrq, TrivialFixture};
use gunyah_msgq_benches::{DEPTH, LONG_DRAIN, RX_CAP, TX_CAP, raw};

/// One size for every count: the resource manager's. The message copy is the same on both
/// sides, so the difference does not depend on it.
const SIZE: usize = RM_MSG_SIZE;
const BOUND: usize = DEPTH as usize + 1;

/// A fixture whose next drain delivers `messages`, leaked so that only a pointer is passed.
fn fixture(messages: usize) -> &'static mut TrivialFixture {
    let f = Box::leak(Box::new(TrivialFixture::new(SIZE)));
    f.hyp()
        .queue_more(u32::try_from(messages.saturating_sub(1)).unwrap_or(0));
    f
}

fn sink(msg: &[u8]) {
    black_box(msg);
}

#[library_benchmark]
#[bench::rm(fixture(1))]
fn try_send_core(f: &'static mut TrivialFixture) -> Result<SendOutcome, Error> {
    let q = black_box(&f.queue);
    black_box(q.try_send(black_box(&f.msg[..SIZE]), black_box(SendFlags::PUSH)))
}

#[library_benchmark]
#[bench::rm(fixture(1))]
fn try_send_raw(f: &'static mut TrivialFixture) -> Result<raw::Sent, i32> {
    let hyp = black_box(f.hyp());
    let cap = black_box(TX_CAP);
    black_box(raw::send(
        hyp,
        cap,
        black_box(&f.msg[..SIZE]),
        black_box(SendFlags::PUSH),
    ))
}

#[library_benchmark]
#[bench::rm(fixture(1))]
fn try_recv_core(f: &'static mut TrivialFixture) -> Result<RecvOutcome, Error> {
    let q = black_box(&f.queue);
    black_box(q.try_recv(black_box(&mut f.buf[..])))
}

#[library_benchmark]
#[bench::rm(fixture(1))]
fn try_recv_raw(f: &'static mut TrivialFixture) -> Result<Option<(usize, bool)>, i32> {
    let hyp = black_box(f.queue.hypercall());
    let cap = black_box(RX_CAP);
    black_box(raw::recv(hyp, cap, black_box(&mut f.buf[..])))
}

#[library_benchmark]
#[bench::one(fixture(1))]
#[bench::full(fixture(LONG_DRAIN))]
fn drain_core(f: &'static mut TrivialFixture) -> Result<DrainOutcome, Error> {
    let q = black_box(&f.queue);
    black_box(q.on_rx_interrupt(sink))
}

#[library_benchmark]
#[bench::one(fixture(1))]
#[bench::full(fixture(LONG_DRAIN))]
fn drain_raw(f: &'static mut TrivialFixture) -> Result<usize, i32> {
    let hyp = black_box(f.queue.hypercall());
    let cap = black_box(RX_CAP);
    black_box(raw::on_rx_interrupt(
        &NoIrq,
        hyp,
        cap,
        &mut f.buf[..],
        BOUND,
        sink,
    ))
}

library_benchmark_group!(
    name = ops,
    benchmarks = [
        try_send_core,
        try_send_raw,
        try_recv_core,
        try_recv_raw,
        drain_core,
        drain_raw
    ]
);

main!(library_benchmark_groups = ops);
