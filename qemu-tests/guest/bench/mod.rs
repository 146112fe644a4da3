//! The bench images: the same msgq operations through the core (`gunyah_msgq::MsgQueue` over
//! `gunyah-msgq-hvc`'s `Smccc` conduit with `GicLine`s) and raw (the same `hvc` through the same
//! conduit: `gunyah_msgq_hvc::raw::msgq_send` / `msgq_receive` and the least decoding a caller
//! must do), in the same boot, timed with [`clock`].
//!
//! Each row alternates the two (core then raw on even iterations, raw then core on odd ones)
//! so that drift, TCG's translation-cache warm-up and the model's own state hit both alike;
//! two untimed warm-up rounds of each come first. A row reports the median and the minimum of
//! each side, the ratio of the medians, and the medians in ns (from CNTFRQ_EL0, or 1 GHz for
//! PMCCNTR_EL0 under QEMU).
//!
//! Iterations: [`ITERS`], 5 unless the image is built with `QBENCH_ITERS=N` (the smoke run of
//! `cargo test` is cheap; `bash bench.sh` builds with 1000).
//!
//! - [`model`]: the model's default variant; a fresh link (depth 8, 1023-byte messages both
//!   ways) and the other VM played through the control calls.
//! - [`primary`]: the primary-VM contract (the RM link from the device tree, no control
//!   calls), so the same image runs under a real Gunyah build.
//!
//! Every row also counts as a check (`case bench/...: ok` when every iteration did what it
//! should), so the image ends with `N passed, N failed` like the others.

pub mod clock;
pub mod model;
pub mod primary;

use core::cell::UnsafeCell;
use core::fmt;
use core::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering::SeqCst};

use gunyah_msgq::{CapId, DrainOutcome, MAX_MSG_SIZE, MsgQueue, SendFlags};
use gunyah_msgq_hvc::gic::GicLine;
use gunyah_msgq_hvc::{Smccc, raw};
use spin::Once;

use crate::println;
use crate::report::Report;

/// Iterations per row and side (build-time `QBENCH_ITERS`, default 5, at most [`MAX_ITERS`]).
pub const ITERS: usize = iters(option_env!("QBENCH_ITERS"));
/// The most samples a row keeps per side.
pub const MAX_ITERS: usize = 10_000;
/// Untimed rounds of each side before a row's samples.
const WARMUP: usize = 2;

const fn iters(v: Option<&str>) -> usize {
    let Some(v) = v else { return 5 };
    let b = v.as_bytes();
    let mut n = 0usize;
    let mut i = 0;
    while i < b.len() {
        if b[i] < b'0' || b[i] > b'9' {
            return 5;
        }
        n = n * 10 + (b[i] - b'0') as usize;
        i += 1;
    }
    if n == 0 {
        1
    } else if n > MAX_ITERS {
        MAX_ITERS
    } else {
        n
    }
}

/// The queue under test: RX buffer of the hypervisor's largest message, so every size fits.
pub type BenchQueue = MsgQueue<Smccc, GicLine<'static, 'static>, MAX_MSG_SIZE>;

/// The link the bench runs on, and what the raw side needs to make the same calls.
pub struct BenchLink {
    /// The core's endpoint.
    pub queue: BenchQueue,
    /// The capabilities (the raw side uses them directly).
    pub tx_cap: CapId,
    /// Receiving.
    pub rx_cap: CapId,
    /// The vIRQs.
    pub tx_intid: u32,
    /// Receiving.
    pub rx_intid: u32,
    /// RX depth: the raw drain's bound is the core's (`depth + 1` receives).
    pub rx_depth: u8,
}

static LINK: Once<BenchLink> = Once::new();

/// Installs the link (once) and the IRQ hook that dispatches to it.
pub fn install(link: BenchLink) -> &'static BenchLink {
    let link = LINK.call_once(|| link);
    crate::irq::set_hook(Some(on_irq));
    link
}

/// Which side the RX interrupt handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Side {
    /// `MsgQueue::on_rx_interrupt` / `on_tx_interrupt`.
    Core = 0,
    /// `raw::msgq_receive` until EMPTY or `not_empty` = 0 (at most `depth + 1`).
    Raw = 1,
}

static SIDE: AtomicU8 = AtomicU8::new(Side::Core as u8);
/// RX handler runs, the last run's ticks and messages, all messages, the last length.
static RUNS: AtomicU32 = AtomicU32::new(0);
static LAST_TICKS: AtomicU64 = AtomicU64::new(0);
static LAST_DELIVERED: AtomicU32 = AtomicU32::new(0);
static DELIVERED: AtomicU32 = AtomicU32::new(0);
static LAST_LEN: AtomicU32 = AtomicU32::new(0);
/// RX handler runs whose drain returned an error (core) or stopped on an error (raw).
static HANDLER_ERRORS: AtomicU32 = AtomicU32::new(0);

/// Makes the RX (and TX) handler run `side` from now on.
pub fn set_side(side: Side) {
    SIDE.store(side as u8, SeqCst);
}

/// RX handler runs so far.
#[must_use]
pub fn runs() -> u32 {
    RUNS.load(SeqCst)
}

/// Messages the RX handler delivered so far.
#[must_use]
pub fn delivered() -> u32 {
    DELIVERED.load(SeqCst)
}

/// The last RX handler run: its ticks and the messages it delivered.
#[must_use]
pub fn last_run() -> (u64, u32) {
    (LAST_TICKS.load(SeqCst), LAST_DELIVERED.load(SeqCst))
}

/// The length of the last message a handler or `try_recv` handed over.
#[must_use]
pub fn last_len() -> u32 {
    LAST_LEN.load(SeqCst)
}

/// RX handler runs that ended on an error.
#[must_use]
pub fn handler_errors() -> u32 {
    HANDLER_ERRORS.load(SeqCst)
}

/// The trivial callback both sides hand each message to.
/// The closing check of both bench images: the queue and its lines saw no fault while being
/// timed (a fault would make the figures meaningless). `gic_faults` is the image's `SharedGic`.
pub fn check_stats_clean(r: &mut Report, link: &BenchLink, gic_faults: u32) {
    r.check("queue_stats_clean", |note| {
        let s = link.queue.stats();
        let _ = fmt::Write::write_fmt(
            note,
            format_args!("{s:?}; handler errors {}", handler_errors()),
        );
        crate::check_eq!(s.faults, 0, "queue faults");
        crate::check_eq!(s.malformed, 0, "malformed replies");
        crate::check_eq!(handler_errors(), 0, "RX handler errors");
        crate::check_eq!(gic_faults, 0, "GicLine faults");
        Ok(())
    });
}

fn sink(msg: &[u8]) {
    LAST_LEN.store(msg.len() as u32, SeqCst);
}

/// The raw side's RX buffer (the core has its own inside the queue).
struct HandlerBuf(UnsafeCell<[u8; MAX_MSG_SIZE]>);
// SAFETY: only the RX interrupt handler touches it, and the handler never nests (IRQs stay
// masked from the vector's entry to its `eret`, and nothing in it unmasks them).
unsafe impl Sync for HandlerBuf {}
static RAW_BUF: HandlerBuf = HandlerBuf(UnsafeCell::new([0; MAX_MSG_SIZE]));

/// The IRQ hook: the RX handler of the chosen side, timed; the TX handler (core only).
fn on_irq(intid: u32) {
    let Some(link) = LINK.get() else { return };
    let side = SIDE.load(SeqCst);
    if intid == link.rx_intid {
        let t0 = clock::now();
        let (n, ok) = if side == Side::Raw as u8 {
            // SAFETY: see `HandlerBuf`: this is the interrupt handler, which does not nest.
            let buf = unsafe { &mut *RAW_BUF.0.get() };
            raw_drain(link, buf)
        } else {
            match link.queue.on_rx_interrupt(sink) {
                Ok(DrainOutcome::Done { delivered } | DrainOutcome::Pending { delivered }) => {
                    (delivered, true)
                }
                Ok(DrainOutcome::Deferred) => (0, true),
                Err(_) => (0, false),
            }
        };
        let t1 = clock::now();
        LAST_TICKS.store(t1.wrapping_sub(t0), SeqCst);
        LAST_DELIVERED.store(n as u32, SeqCst);
        DELIVERED.fetch_add(n as u32, SeqCst);
        if !ok {
            HANDLER_ERRORS.fetch_add(1, SeqCst);
        }
        RUNS.fetch_add(1, SeqCst);
    } else if intid == link.tx_intid && side == Side::Core as u8 {
        link.queue.on_tx_interrupt();
    }
}

/// The raw RX drain: receive until EMPTY or `not_empty` = 0, at most `depth + 1` times (the
/// core's bound), each message to [`sink`]. Messages delivered, and whether it ended cleanly.
#[inline(never)]
fn raw_drain(link: &BenchLink, buf: &mut [u8]) -> (usize, bool) {
    let mut n = 0;
    for _ in 0..=link.rx_depth {
        let out = raw::msgq_receive(&Smccc, link.rx_cap, buf);
        match out.x0 as u32 as i32 {
            0 => {
                // The least a raw caller must check: the size fits the buffer.
                let len = (out.x1 as usize).min(buf.len());
                sink(&buf[..len]);
                n += 1;
                if out.x2 as u8 == 0 {
                    return (n, true);
                }
            }
            MSGQUEUE_EMPTY => return (n, true),
            _ => return (n, false),
        }
    }
    (n, true)
}

/// Gunyah's MSGQUEUE_EMPTY and MSGQUEUE_FULL.
const MSGQUEUE_EMPTY: i32 = 60;
const MSGQUEUE_FULL: i32 = 61;

/// What a send did, decoded the same way for both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Accepted; room left or not.
    Sent(bool),
    /// FULL.
    Full,
    /// Anything else.
    Failed,
}

/// The core's send.
#[inline(always)]
pub fn core_send(link: &BenchLink, msg: &[u8], flags: SendFlags) -> Sent {
    match link.queue.try_send(msg, flags) {
        Ok(gunyah_msgq::SendOutcome::Sent { not_full }) => Sent::Sent(not_full),
        Ok(gunyah_msgq::SendOutcome::WouldBlock) => Sent::Full,
        Err(_) => Sent::Failed,
    }
}

/// The raw send: the same `hvc` through the same conduit, the error word and `not_full`
/// decoded by hand.
#[inline(always)]
pub fn raw_send(link: &BenchLink, msg: &[u8], flags: SendFlags) -> Sent {
    let out = raw::msgq_send(&Smccc, link.tx_cap, msg, flags);
    match out.x0 as u32 as i32 {
        0 => Sent::Sent(out.x1 as u8 != 0),
        MSGQUEUE_FULL => Sent::Full,
        _ => Sent::Failed,
    }
}

/// What a receive did, decoded the same way for both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Got {
    /// A message of this length.
    Msg(usize),
    /// EMPTY.
    Empty,
    /// Anything else.
    Failed,
}

/// The core's receive.
#[inline(always)]
pub fn core_recv(link: &BenchLink, buf: &mut [u8]) -> Got {
    match link.queue.try_recv(buf) {
        Ok(gunyah_msgq::RecvOutcome::Received { len, .. }) => Got::Msg(len),
        Ok(gunyah_msgq::RecvOutcome::Empty) => Got::Empty,
        Err(_) => Got::Failed,
    }
}

/// The raw receive.
#[inline(always)]
pub fn raw_recv(link: &BenchLink, buf: &mut [u8]) -> Got {
    let out = raw::msgq_receive(&Smccc, link.rx_cap, buf);
    match out.x0 as u32 as i32 {
        0 => Got::Msg((out.x1 as usize).min(buf.len())),
        MSGQUEUE_EMPTY => Got::Empty,
        _ => Got::Failed,
    }
}

/// Times `f` with [`clock::now`].
#[inline(always)]
pub fn timed<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let t0 = clock::now();
    let v = f();
    let t1 = clock::now();
    (t1.wrapping_sub(t0), v)
}

/// One side's samples of a row.
struct Samples {
    ticks: [u32; MAX_ITERS],
    len: usize,
    failed: u32,
}

impl Samples {
    const fn new() -> Samples {
        Samples {
            ticks: [0; MAX_ITERS],
            len: 0,
            failed: 0,
        }
    }

    fn push(&mut self, sample: Option<u64>) {
        match sample {
            Some(t) if self.len < MAX_ITERS => {
                self.ticks[self.len] = t.min(u64::from(u32::MAX)) as u32;
                self.len += 1;
            }
            Some(_) => {}
            None => self.failed += 1,
        }
    }

    /// (median, min) of the samples, sorting them.
    fn summary(&mut self) -> (u64, u64) {
        let s = &mut self.ticks[..self.len];
        if s.is_empty() {
            return (0, 0);
        }
        s.sort_unstable();
        (u64::from(s[s.len() / 2]), u64::from(s[0]))
    }
}

/// The two sides' sample buffers (one row at a time).
struct Buffers {
    core: Samples,
    raw: Samples,
}

struct BufCell(UnsafeCell<Buffers>);
// SAFETY: only [`Table::row`] uses it, from the task (never from the interrupt handler), and
// it is not re-entered: the closures it runs do not call it.
unsafe impl Sync for BufCell {}
static BUFFERS: BufCell = BufCell(UnsafeCell::new(Buffers {
    core: Samples::new(),
    raw: Samples::new(),
}));

/// One measured row.
#[derive(Clone, Copy, Debug, Default)]
pub struct Row {
    /// The operation.
    pub op: &'static str,
    /// The message size.
    pub size: usize,
    /// Median and min ticks, core.
    pub core: (u64, u64),
    /// Median and min ticks, raw.
    pub raw: (u64, u64),
    /// Samples per side.
    pub n: usize,
}

/// Rows kept for the final table.
const ROWS: usize = 40;

/// The rows of one image, printed at the end as one table.
pub struct Table {
    mode: &'static str,
    rows: [Row; ROWS],
    len: usize,
}

impl Table {
    /// An empty table for `mode` ("model" or "primary").
    #[must_use]
    pub const fn new(mode: &'static str) -> Table {
        Table {
            mode,
            rows: [Row {
                op: "",
                size: 0,
                core: (0, 0),
                raw: (0, 0),
                n: 0,
            }; ROWS],
            len: 0,
        }
    }

    /// Measures one row: [`ITERS`] samples per side, alternating, after [`WARMUP`] rounds. Each
    /// closure runs one iteration (set-up, the timed part, tear-down) and returns its ticks,
    /// or `None` if the operation did not do what it should (counted as a failure of the
    /// row's check). One case line per row.
    pub fn row(
        &mut self,
        r: &mut Report,
        op: &'static str,
        size: usize,
        mut core: impl FnMut() -> Option<u64>,
        mut raw: impl FnMut() -> Option<u64>,
    ) {
        // SAFETY: see `BufCell`: the only user, not re-entered.
        let b = unsafe { &mut *BUFFERS.0.get() };
        b.core = Samples::new();
        b.raw = Samples::new();
        for _ in 0..WARMUP {
            set_side(Side::Core);
            let _ = core();
            set_side(Side::Raw);
            let _ = raw();
        }
        for i in 0..ITERS {
            if i % 2 == 0 {
                set_side(Side::Core);
                b.core.push(core());
                set_side(Side::Raw);
                b.raw.push(raw());
            } else {
                set_side(Side::Raw);
                b.raw.push(raw());
                set_side(Side::Core);
                b.core.push(core());
            }
        }
        set_side(Side::Core);
        let failed = (b.core.failed, b.raw.failed);
        let row = Row {
            op,
            size,
            core: b.core.summary(),
            raw: b.raw.summary(),
            n: b.core.len.min(b.raw.len),
        };
        if self.len < ROWS {
            self.rows[self.len] = row;
            self.len += 1;
        }
        let name = RowName(self.mode, op, size);
        if failed == (0, 0) {
            r.record(name, Ok::<(), &str>(()));
        } else {
            r.record(name, Err(Failures(failed.0, failed.1)));
        }
    }

    /// Prints the table: the clock, its frequency, the emulation warning, one line per row.
    pub fn print(&self, note: &str) {
        let freq = clock::cntfrq();
        // Under QEMU, PMCCNTR_EL0 is the virtual clock at 1 GHz; on hardware it is cycles.
        let ns_per_tick = match clock::CLOCK {
            clock::Clock::Cntvct => 1e9 / freq.max(1) as f64,
            clock::Clock::Pmccntr => 1.0,
        };
        println!(
            "bench {}: clock {} (CNTFRQ_EL0 {} Hz, {:.2} ns/tick{}), {} iterations per side, MIDR_EL1 {:#x}",
            self.mode,
            clock::CLOCK.name(),
            freq,
            ns_per_tick,
            if clock::CLOCK == clock::Clock::Pmccntr {
                " if cycles at 1 GHz"
            } else {
                ""
            },
            ITERS,
            clock::midr()
        );
        println!(
            "bench {}: EMULATION under QEMU (TCG): these are not hardware timings; {note}",
            self.mode
        );
        println!(
            "bench {}: {:<12} {:>5} {:>9} {:>9} {:>9} {:>9} {:>6} {:>9} {:>9}",
            self.mode,
            "op",
            "size",
            "core_med",
            "core_min",
            "raw_med",
            "raw_min",
            "ratio",
            "core_ns",
            "raw_ns"
        );
        for row in &self.rows[..self.len] {
            let ratio = if row.raw.0 == 0 {
                0.0
            } else {
                row.core.0 as f64 / row.raw.0 as f64
            };
            println!(
                "bench {}: {:<12} {:>5} {:>9} {:>9} {:>9} {:>9} {:>6.2} {:>9.0} {:>9.0}",
                self.mode,
                row.op,
                row.size,
                row.core.0,
                row.core.1,
                row.raw.0,
                row.raw.1,
                ratio,
                row.core.0 as f64 * ns_per_tick,
                row.raw.0 as f64 * ns_per_tick
            );
        }
    }
}

/// `bench/model try_send 8`.
struct RowName(&'static str, &'static str, usize);

impl fmt::Display for RowName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bench/{} {} {}", self.0, self.1, self.2)
    }
}

/// Why a row's check failed.
struct Failures(u32, u32);

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "iterations that did not do what they should: core {}, raw {}",
            self.0, self.1
        )
    }
}

/// Whether the CPU interface has an IRQ pending (ISR_EL1.I: the virtual IRQ under a
/// hypervisor); with IRQs unmasked it would already have been taken.
#[must_use]
pub fn irq_pending() -> bool {
    let isr: u64;
    // SAFETY: reading ISR_EL1 has no side effect.
    unsafe { core::arch::asm!("mrs {}, isr_el1", out(reg) isr, options(nostack)) };
    isr & (1 << 7) != 0
}

/// With IRQs masked: acknowledges and ends the pending interrupt by hand (what the vector
/// would do), without running a handler. Its INTID (1023: none).
pub fn ack_by_hand() -> u32 {
    let iar: u64;
    // SAFETY: acknowledges the highest-priority pending interrupt and ends it at once
    // (EOImode 0); IRQs are masked, so no handler runs for it.
    unsafe {
        core::arch::asm!(
            "mrs {iar}, icc_iar1_el1",
            "msr icc_eoir1_el1, {iar}",
            "isb",
            iar = out(reg) iar,
            options(nostack)
        );
    }
    (iar & 0xFF_FFFF) as u32
}

/// Spins (IRQs as they are) until `done` holds or `ms` milliseconds of CNTVCT_EL0 pass; no
/// `wfi`: on a real hypervisor a `wfi` with nothing to come would not return.
pub fn spin_until(ms: u64, done: impl Fn() -> bool) -> bool {
    let start = clock::counter();
    loop {
        if done() {
            return true;
        }
        if clock::elapsed_ms(start, ms) {
            return done();
        }
        core::hint::spin_loop();
    }
}
