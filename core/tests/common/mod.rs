//! Helpers shared by the integration tests: queue builders around the mockall mocks, a
//! scripted receive path and a fake `DelayNs` that measures the time a blocking send waits.
//!
//! Every test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::vec::Vec;

use core::num::NonZeroU8;

use embedded_hal::delay::DelayNs;
use gunyah_msgq::mock::{MockHypercall, MockIrqLine};
use gunyah_msgq::{CapId, MsgQueue, RawOutput, RxConfig, TxConfig};

/// The TX capability of every test queue.
pub const TX_CAP: CapId = CapId(0x10);
/// The RX capability of every test queue (different from TX, so a mix-up shows).
pub const RX_CAP: CapId = CapId(0x11);
/// The maximum message size of the test queues: small, so that `MAX + 1` is cheap.
pub const MAX: usize = 8;
/// The RX depth of the test queues: one drain makes at most `DEPTH + 1` receives.
pub const DEPTH: u8 = 3;

/// MSGQUEUE_EMPTY and MSGQUEUE_FULL.
pub const EMPTY: i32 = 60;
pub const FULL: i32 = 61;

/// The queue type most tests use.
pub type Q = MsgQueue<MockHypercall, MockIrqLine, MAX>;

pub fn depth() -> NonZeroU8 {
    NonZeroU8::new(DEPTH).unwrap()
}

/// A line that may be acknowledged any number of times but must never be enabled or
/// disabled: mockall panics on a call without a matching expectation.
pub fn ack_only_line() -> MockIrqLine {
    let mut line = MockIrqLine::new();
    line.expect_acknowledge().return_const(());
    line
}

/// A line that accepts nothing at all.
pub fn untouchable_line() -> MockIrqLine {
    MockIrqLine::new()
}

/// An edge-triggered duplex queue whose lines must not be masked or unmasked.
pub fn duplex(hyp: MockHypercall) -> Q {
    duplex_with(hyp, ack_only_line(), ack_only_line())
}

pub fn duplex_with(hyp: MockHypercall, tx_line: MockIrqLine, rx_line: MockIrqLine) -> Q {
    MsgQueue::duplex(
        hyp,
        TxConfig::new(TX_CAP, tx_line, MAX),
        RxConfig::new(RX_CAP, rx_line, depth(), MAX),
    )
}

/// The sign-extended error word of `code`, as the hypervisor writes it.
pub fn err(code: i32) -> RawOutput {
    RawOutput::error(code)
}

/// One scripted `msgq_receive` answer.
#[derive(Clone, Debug)]
pub enum Rx {
    /// OK: the message is copied into the buffer; `more` is not_empty.
    Msg(Vec<u8>, bool),
    /// These exact output registers, with the buffer untouched.
    Raw(RawOutput),
}

pub fn msg(bytes: &[u8], more: bool) -> Rx {
    Rx::Msg(bytes.to_vec(), more)
}

pub fn raw(out: RawOutput) -> Rx {
    Rx::Raw(out)
}

/// `msgq_receive` answers `script` in order, on the RX capability with a buffer of exactly
/// `buf_len` bytes, and is called exactly `script.len()` times (a further call panics, a
/// missing one fails when the mock is dropped).
pub fn script_rx(hyp: &mut MockHypercall, buf_len: usize, script: Vec<Rx>) {
    let n = script.len();
    let mut script = VecDeque::from(script);
    hyp.expect_msgq_receive()
        .withf(move |cap, buf| *cap == RX_CAP && buf.len() == buf_len)
        .times(n)
        .returning(move |_, buf| answer(script.pop_front().unwrap(), buf));
}

/// Writes one scripted answer into `buf` and returns its registers.
pub fn answer(rx: Rx, buf: &mut [u8]) -> RawOutput {
    match rx {
        Rx::Msg(bytes, more) => {
            buf[..bytes.len()].copy_from_slice(&bytes);
            RawOutput::received(bytes.len() as u64, more)
        }
        Rx::Raw(out) => out,
    }
}

/// The messages a [`collector`] callback received, in order.
pub type Collected = Arc<Mutex<Vec<Vec<u8>>>>;

/// A drain callback that records every message.
pub fn collector() -> (Collected, impl FnMut(&[u8]) + Clone) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    (got, move |m: &[u8]| sink.lock().unwrap().push(m.to_vec()))
}

pub fn taken(got: &Collected) -> Vec<Vec<u8>> {
    got.lock().unwrap().clone()
}

/// A fake clock for blocking sends: it only advances when the queue delays, so a test can
/// say exactly when each hypercall happened without any real time passing.
#[derive(Clone, Default)]
pub struct Clock(Arc<AtomicU64>);

impl Clock {
    /// Microseconds delayed so far.
    pub fn now_us(&self) -> u64 {
        self.0.load(Ordering::SeqCst) / 1_000
    }

    fn advance_ns(&self, ns: u64) {
        self.0.fetch_add(ns, Ordering::SeqCst);
    }
}

/// A `DelayNs` that advances a [`Clock`] instead of waiting, records each step in µs, and
/// runs `hook(now_us)` after each step (to fire an interrupt or shut the queue down "while
/// the sender waits").
pub struct FakeDelay<F: FnMut(u64)> {
    pub clock: Clock,
    /// The length of each `delay_us` step, in order.
    pub steps_us: Vec<u32>,
    hook: F,
}

/// No test waits for more than this many steps: a runaway wait loop fails the test instead
/// of hanging it.
const MAX_STEPS: usize = 10_000;

impl<F: FnMut(u64)> FakeDelay<F> {
    pub fn new(clock: Clock, hook: F) -> Self {
        FakeDelay {
            clock,
            steps_us: Vec::new(),
            hook,
        }
    }

    fn step(&mut self, ns: u64) {
        assert!(self.steps_us.len() < MAX_STEPS, "runaway wait loop");
        self.clock.advance_ns(ns);
        let now = self.clock.now_us();
        (self.hook)(now);
    }
}

pub fn no_hook(_: u64) {}

impl<F: FnMut(u64)> DelayNs for FakeDelay<F> {
    fn delay_ns(&mut self, ns: u32) {
        // The queue waits in whole microseconds; record other delays anyway.
        self.steps_us.push(ns / 1_000);
        self.step(u64::from(ns));
    }

    fn delay_us(&mut self, us: u32) {
        self.steps_us.push(us);
        self.step(u64::from(us) * 1_000);
    }

    fn delay_ms(&mut self, ms: u32) {
        self.steps_us.push(ms.saturating_mul(1_000));
        self.step(u64::from(ms) * 1_000_000);
    }
}

/// Records the fake-clock time of every call made through it.
#[derive(Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<u64>>>);

impl CallLog {
    pub fn record(&self, at_us: u64) {
        self.0.lock().unwrap().push(at_us);
    }

    pub fn times(&self) -> Vec<u64> {
        self.0.lock().unwrap().clone()
    }
}
