//! The queue against a hostile hypervisor.
//!
//! A `Hypercall` backend whose every answer comes from the fuzz input (any error word, any
//! receive size — 0, within the buffer, past it, huge —, any not_empty register, in any
//! order; on a receive it copies `min(size, buf.len())` fresh bytes into the buffer whatever
//! the code), and a `MsgQueue<_, _, 64>` (duplex, depth, trigger and per-direction maxima from
//! the input) driven by an op sequence from the input: `try_send` (0..=MAX+1 bytes),
//! `try_recv` (buffers of the right size, too small, larger), `on_rx_interrupt`, `poll_rx`,
//! `on_tx_interrupt`, `flush_rx`, `start`, `shutdown`. Drain callbacks may themselves send,
//! poll (a nested drain, which must defer) or shut the queue down.
//!
//! What must hold whatever the hypervisor says (each an `assert!` below):
//! - no panic;
//! - every message handed to a callback has 1..=MAX bytes and is exactly the bytes the
//!   backend copied for the receive just made; `try_recv`'s `Received { len }` likewise;
//! - one drain call makes at most depth + 1 receives, and its outcome matches its last
//!   receive (`Done` after EMPTY or a last message, `Pending` only at the bound, an error only
//!   after a failed or stuck receive, with that code); `Deferred` only when nested;
//! - the drain buffer handed to the backend is MAX bytes; `try_recv` passes the caller's
//!   buffer whole; a send passes the caller's message whole, with the caller's flags;
//! - `Sent` only when the backend answered OK (and `not_full` is its flag), `WouldBlock` only
//!   on FULL, an error carries the answered code; `flush_rx` likewise;
//! - argument errors (empty, too large, buffer too small) make no hypercall;
//! - after `shutdown`: every send, receive, drain, flush and start returns `Err(Closed)`
//!   (or the argument error it would return anyway) and makes no hypercall, and both lines
//!   stay masked;
//! - a level-triggered TX line is unmasked exactly while the queue is `Full`;
//! - `rx_pending()` is set after `Pending` or a drain error and clear after `Done`;
//! - counters never decrease, and `sent` / `received` / `malformed` count exactly the
//!   accepted sends, delivered messages and skipped malformed replies.
#![no_main]

use std::cell::{Cell, RefCell};
use std::num::NonZeroU8;

use arbitrary::Arbitrary;
use gunyah_msgq::abi::{error_code, flag};
use gunyah_msgq::{
    CapId, DrainOutcome, Error, GunyahError, Hypercall, IrqLine, MsgQueue, RawOutput, RecvOutcome,
    RxConfig, SendFlags, SendOutcome, Stats, Trigger, TxConfig, TxState,
};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 64;
const TX_CAP: CapId = CapId(0x10);
const RX_CAP: CapId = CapId(0x11);

/// An error word: the codes the queue singles out (with junk above bit 31), or raw.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Code {
    Ok,
    OkJunk(u32),
    Empty,
    Full,
    AddrOverflow,
    ArgumentSize,
    Retry,
    Small(i8),
    Raw(u64),
}

impl Code {
    fn x0(self) -> u64 {
        let c = |code: i32| code as i64 as u64;
        match self {
            Code::Ok => 0,
            Code::OkJunk(j) => u64::from(j) << 32,
            Code::Empty => c(60),
            Code::Full => c(61),
            Code::AddrOverflow => c(20),
            Code::ArgumentSize => c(2),
            Code::Retry => c(-2),
            Code::Small(v) => c(i32::from(v)),
            Code::Raw(v) => v,
        }
    }
}

/// A receive size, relative to the buffer the backend is given.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Size {
    Zero,
    Within(u8),
    Exact,
    Over(u8),
    Raw(u64),
}

/// A register holding a boolean: the ABI says only its low byte counts.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Bool {
    False,
    True,
    Raw(u64),
}

impl Bool {
    fn reg(self) -> u64 {
        match self {
            Bool::False => 0,
            Bool::True => 1,
            Bool::Raw(v) => v,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct RecvAnswer {
    code: Code,
    size: Size,
    not_empty: Bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct SendAnswer {
    code: Code,
    not_full: Bool,
}

/// A receive buffer for `try_recv`, relative to the RX queue's maximum.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Buf {
    Right,
    Max,
    Smaller(u8),
    Larger(u8),
}

/// What a drain callback does with the message it is handed.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Reaction {
    Nothing,
    Send { len: u8, push: bool },
    Poll,
    Flush,
    TxIrq,
    Shutdown,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Send { len: u8, push: bool },
    Recv(Buf),
    RxIrq,
    PollRx,
    TxIrq,
    Flush,
    Start,
    Shutdown,
}

#[derive(Arbitrary, Debug)]
struct Input {
    depth: u8,
    tx_max: u8,
    rx_max: u8,
    level_tx: bool,
    recv: Vec<RecvAnswer>,
    send: Vec<SendAnswer>,
    flush: Vec<Code>,
    reactions: Vec<Reaction>,
    ops: Vec<Op>,
}

/// How the harness classifies one receive answer, by the ABI rules (independently of the
/// crate's decoder, which the `decode` target checks on its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Message {
        len: usize,
        more: bool,
    },
    Empty,
    /// Size past the buffer, or OK / 0 / empty: skipped by a drain.
    Malformed,
    /// OK / 0 / not_empty, or ADDR_OVERFLOW / ARGUMENT_SIZE.
    Stuck(Option<i32>),
    Fault(i32),
}

fn classify(raw: RawOutput, capacity: usize) -> Class {
    let more = raw.x2 as u8 != 0;
    match raw.x0 as u32 as i32 {
        0 => match raw.x1 {
            0 if more => Class::Stuck(None),
            0 => Class::Malformed,
            n if n > capacity as u64 => Class::Malformed,
            n => Class::Message {
                len: n as usize,
                more,
            },
        },
        60 => Class::Empty,
        c @ (20 | 2) => Class::Stuck(Some(c)),
        c => Class::Fault(c),
    }
}

#[derive(Clone, Debug)]
struct Received {
    class: Class,
    /// The bytes copied into the buffer.
    copied: Vec<u8>,
    buf_len: usize,
}

/// The hostile hypervisor: answers from the input, records what it was asked.
struct Hostile<'a> {
    recv: &'a [RecvAnswer],
    send: &'a [SendAnswer],
    flush: &'a [Code],
    next_recv: Cell<usize>,
    next_send: Cell<usize>,
    next_flush: Cell<usize>,
    /// Every receive so far, in order.
    received: RefCell<Vec<Received>>,
    /// Every send's answer so far, with the message length and flags it was given.
    sent: RefCell<Vec<(RawOutput, usize, SendFlags)>>,
    flushes: RefCell<Vec<RawOutput>>,
    /// The hypercalls so far.
    calls: Cell<usize>,
    /// Varies the bytes copied, so that a stale buffer never passes for a fresh copy.
    stamp: Cell<u8>,
}

impl Hostile<'_> {
    fn pick<T: Copy>(list: &[T], next: &Cell<usize>) -> Option<T> {
        let i = next.get();
        next.set(i + 1);
        list.get(i).copied()
    }
}

impl Hypercall for Hostile<'_> {
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        assert_eq!(cap, TX_CAP);
        self.calls.set(self.calls.get() + 1);
        // Past the input's answers: accept, room left.
        let raw = match Self::pick(self.send, &self.next_send) {
            Some(a) => RawOutput {
                x0: a.code.x0(),
                x1: a.not_full.reg(),
                x2: 0,
            },
            None => RawOutput::sent(true),
        };
        // The message must be the caller's: its bytes are `len` times its length byte.
        assert!(
            msg.iter().all(|&b| b == msg.len() as u8),
            "send passed another message"
        );
        self.sent.borrow_mut().push((raw, msg.len(), flags));
        raw
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        assert_eq!(cap, RX_CAP);
        self.calls.set(self.calls.get() + 1);
        // Past the input's answers: empty.
        let a = Self::pick(self.recv, &self.next_recv).unwrap_or(RecvAnswer {
            code: Code::Empty,
            size: Size::Zero,
            not_empty: Bool::False,
        });
        let size = match a.size {
            Size::Zero => 0,
            Size::Within(n) => 1 + u64::from(n) % (buf.len().max(1) as u64),
            Size::Exact => buf.len() as u64,
            Size::Over(n) => buf.len() as u64 + 1 + u64::from(n),
            Size::Raw(v) => v,
        };
        let raw = RawOutput {
            x0: a.code.x0(),
            x1: size,
            x2: a.not_empty.reg(),
        };
        // A hostile hypervisor writes whatever it likes, within the buffer it was lent.
        let n = usize::try_from(size).unwrap_or(usize::MAX).min(buf.len());
        let stamp = self.stamp.get().wrapping_add(1);
        self.stamp.set(stamp);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = stamp ^ (i as u8).wrapping_mul(31);
        }
        self.received.borrow_mut().push(Received {
            class: classify(raw, buf.len()),
            copied: buf[..n].to_vec(),
            buf_len: buf.len(),
        });
        raw
    }

    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        assert_eq!(cap, RX_CAP);
        self.calls.set(self.calls.get() + 1);
        let raw = RawOutput {
            x0: Self::pick(self.flush, &self.next_flush).map_or(0, Code::x0),
            x1: 0,
            x2: 0,
        };
        self.flushes.borrow_mut().push(raw);
        raw
    }
}

/// A line that records its mask.
#[derive(Default)]
struct Line {
    enabled: Cell<bool>,
    enables: Cell<usize>,
    acks: Cell<usize>,
}

impl IrqLine for &Line {
    fn enable(&self) {
        self.enabled.set(true);
        self.enables.set(self.enables.get() + 1);
    }
    fn disable(&self) {
        self.enabled.set(false);
    }
    fn acknowledge(&self) {
        self.acks.set(self.acks.get() + 1);
    }
}

type Queue<'a> = MsgQueue<Hostile<'a>, &'a Line, MAX>;

/// The message a send op carries: `len` bytes, each `len` (so the backend can recognise it).
fn message(len: u8) -> Vec<u8> {
    let len = usize::from(len) % (MAX + 2);
    vec![len as u8; len]
}

fn fields(s: &Stats) -> [u32; 7] {
    [
        s.sent,
        s.received,
        s.would_block,
        s.spurious_tx,
        s.spurious_rx,
        s.faults,
        s.malformed,
    ]
}

fn delta(before: &Stats, after: &Stats) -> [u32; 7] {
    let (b, a) = (fields(before), fields(after));
    std::array::from_fn(|k| a[k] - b[k])
}

fn stats_never_decrease(before: &Stats, after: &Stats) {
    let b = [
        before.sent,
        before.received,
        before.would_block,
        before.spurious_tx,
        before.spurious_rx,
        before.faults,
        before.malformed,
    ];
    let a = [
        after.sent,
        after.received,
        after.would_block,
        after.spurious_tx,
        after.spurious_rx,
        after.faults,
        after.malformed,
    ];
    for (x, y) in b.iter().zip(a) {
        assert!(y >= *x, "a counter went down: {before:?} -> {after:?}");
    }
}

/// `before` with some counters moved on: what `stats()` must read after an op.
fn bumped(before: Stats, f: impl FnOnce(&mut Stats)) -> Stats {
    let mut s = before;
    f(&mut s);
    s
}

/// What one send answer does to the counters.
fn count_send(s: &mut Stats, raw: RawOutput) {
    match error_code(raw.x0) {
        0 => s.sent += 1,
        61 => s.would_block += 1,
        _ => s.faults += 1,
    }
}

struct Harness<'a> {
    q: &'a Queue<'a>,
    tx_line: &'a Line,
    rx_line: &'a Line,
    depth: usize,
    tx_max: usize,
    rx_max: usize,
    level: bool,
    reactions: &'a [Reaction],
    next_reaction: Cell<usize>,
    closed: Cell<bool>,
    started: Cell<bool>,
    /// Drain calls in progress (a callback's nested one is depth 2).
    drain_depth: Cell<usize>,
    /// Drains started from callbacks so far.
    nested_polls: Cell<usize>,
    /// What callbacks' reactions moved so far: counters, hypercalls.
    reacted: Cell<([u32; 7], usize)>,
}

impl Harness<'_> {
    fn hyp(&self) -> &Hostile<'_> {
        self.q.hypercall()
    }

    fn send(&self, len: u8, push: bool) {
        let msg = message(len);
        let flags = SendFlags::with_push(push);
        let calls = self.hyp().calls.get();
        let sends = self.hyp().sent.borrow().len();
        let stats = self.q.stats();
        let r = self.q.try_send(&msg, flags);
        let after = self.q.stats();
        stats_never_decrease(&stats, &after);
        let made = self.hyp().calls.get() - calls;
        if made == 0 {
            assert_eq!(after, stats, "counters moved without a hypercall");
        }
        if msg.is_empty() {
            assert_eq!(r, Err(Error::EmptyMessage));
            assert_eq!(made, 0);
            return;
        }
        if msg.len() > self.tx_max {
            assert_eq!(
                r,
                Err(Error::MessageTooLarge {
                    len: msg.len(),
                    max: self.tx_max
                })
            );
            assert_eq!(made, 0);
            return;
        }
        if self.closed.get() {
            assert_eq!(r, Err(Error::Closed));
            assert_eq!(made, 0, "a hypercall after shutdown");
            return;
        }
        assert_eq!(made, 1, "one send, one hypercall");
        let sent = self.hyp().sent.borrow();
        assert_eq!(sent.len(), sends + 1);
        let (raw, len, f) = sent[sends];
        assert_eq!((len, f), (msg.len(), flags));
        assert_eq!(
            after,
            bumped(stats, |s| count_send(s, raw)),
            "send counters"
        );
        let code = error_code(raw.x0);
        match r {
            Ok(SendOutcome::Sent { not_full }) => {
                assert_eq!(code, 0, "Sent, but the hypervisor answered {code}");
                assert_eq!(not_full, flag(raw.x1));
            }
            Ok(SendOutcome::WouldBlock) => {
                assert_eq!(code, 61, "WouldBlock, but the hypervisor answered {code}");
            }
            Err(Error::Hypervisor(e)) => {
                assert!(code != 0 && code != 61);
                assert_eq!(e.code(), code);
            }
            Err(e) => panic!("send: unexpected {e:?} for answer {raw:x?}"),
        }
    }

    fn recv(&self, b: Buf) {
        let len = match b {
            Buf::Right => self.rx_max,
            Buf::Max => MAX,
            Buf::Smaller(n) => usize::from(n) % self.rx_max,
            Buf::Larger(n) => self.rx_max + 1 + usize::from(n),
        };
        let mut buf = vec![0u8; len];
        let calls = self.hyp().calls.get();
        let recvs = self.hyp().received.borrow().len();
        let stats = self.q.stats();
        let r = self.q.try_recv(&mut buf);
        let after = self.q.stats();
        stats_never_decrease(&stats, &after);
        let made = self.hyp().calls.get() - calls;
        if made == 0 {
            assert_eq!(after, stats, "counters moved without a hypercall");
        }
        if len < self.rx_max {
            assert_eq!(
                r,
                Err(Error::BufferTooSmall {
                    len,
                    required: self.rx_max
                })
            );
            assert_eq!(made, 0);
            return;
        }
        if self.closed.get() {
            assert_eq!(r, Err(Error::Closed));
            assert_eq!(made, 0, "a hypercall after shutdown");
            return;
        }
        assert_eq!(made, 1);
        let rec = self.hyp().received.borrow()[recvs].clone();
        assert_eq!(rec.buf_len, len, "try_recv lent another buffer");
        match (r, rec.class) {
            (Ok(RecvOutcome::Received { len: n, more }), Class::Message { len: m, more: mm }) => {
                assert_eq!((n, more), (m, mm));
                assert!((1..=len).contains(&n));
                assert_eq!(
                    &buf[..n],
                    &rec.copied[..],
                    "not the bytes the hypervisor copied"
                );
                assert_eq!(after.received, stats.received + 1);
            }
            (Ok(RecvOutcome::Empty), Class::Empty) => {}
            (Err(Error::Abi(_)), Class::Malformed) => {
                assert_eq!(after.malformed, stats.malformed + 1);
            }
            (Err(Error::RxStuck { code }), Class::Stuck(c)) => {
                assert_eq!(code.map(GunyahError::code), c);
            }
            (Err(Error::Hypervisor(e)), Class::Fault(c)) => assert_eq!(e.code(), c),
            (r, c) => panic!("try_recv returned {r:?} for a receive classified {c:?}"),
        }
        let expected = bumped(stats, |s| match rec.class {
            Class::Message { .. } => s.received += 1,
            Class::Empty => {}
            Class::Malformed => s.malformed += 1,
            Class::Stuck(_) | Class::Fault(_) => s.faults += 1,
        });
        assert_eq!(after, expected, "try_recv counters");
    }

    /// A callback's reaction to a message (the queue allows sending from it).
    /// Each reaction checks its own counters and hypercalls; the drain around it adds what
    /// they moved (`reacted`) to what it expects of itself.
    fn react(&self) {
        let i = self.next_reaction.get();
        self.next_reaction.set(i + 1);
        let stats = self.q.stats();
        let calls = self.hyp().calls.get();
        match self.reactions.get(i).copied().unwrap_or(Reaction::Nothing) {
            Reaction::Nothing => {}
            Reaction::Send { len, push } => self.send(len, push),
            Reaction::Poll => {
                self.nested_polls.set(self.nested_polls.get() + 1);
                self.drain(false);
            }
            Reaction::Flush => self.flush(),
            Reaction::TxIrq => self.tx_irq(),
            Reaction::Shutdown => self.shutdown(),
        }
        let (d, c) = self.reacted.get();
        let moved = delta(&stats, &self.q.stats());
        self.reacted.set((
            std::array::from_fn(|k| d[k] + moved[k]),
            c + (self.hyp().calls.get() - calls),
        ));
    }

    fn drain(&self, interrupt: bool) {
        let nested = self.drain_depth.get() > 0;
        let closed_at_entry = self.closed.get();
        self.drain_depth.set(self.drain_depth.get() + 1);
        let recvs = self.hyp().received.borrow().len();
        let calls = self.hyp().calls.get();
        let stats = self.q.stats();
        let reacted = self.reacted.get();
        let acks = self.rx_line.acks.get();
        let polls = self.nested_polls.get();
        let delivered = Cell::new(0usize);
        let on_msg = |msg: &[u8]| {
            // The receive that produced it is the last one made.
            let rec = self
                .hyp()
                .received
                .borrow()
                .last()
                .expect("a message with no receive")
                .clone();
            assert_eq!(
                rec.buf_len, MAX,
                "the drain lent a buffer that is not MAX bytes"
            );
            assert!(
                (1..=MAX).contains(&msg.len()),
                "a message of {} bytes",
                msg.len()
            );
            assert!(
                matches!(rec.class, Class::Message { len, .. } if len == msg.len()),
                "a {}-byte message from a receive classified {:?}",
                msg.len(),
                rec.class
            );
            assert_eq!(msg, &rec.copied[..], "not the bytes the hypervisor copied");
            delivered.set(delivered.get() + 1);
            self.react();
        };
        let r = if interrupt {
            self.q.on_rx_interrupt(on_msg)
        } else {
            self.q.poll_rx(on_msg)
        };
        self.drain_depth.set(self.drain_depth.get() - 1);
        let after = self.q.stats();
        stats_never_decrease(&stats, &after);
        if interrupt {
            assert_eq!(self.rx_line.acks.get(), acks + 1);
        }
        let mine: Vec<Received> = self.hyp().received.borrow()[recvs..].to_vec();
        let receives = mine.len();
        // Hypercalls made by callbacks' reactions (sends, flushes) are the only others.
        let (moved_by_reactions, reaction_calls) = {
            let (d, c) = self.reacted.get();
            let d: [u32; 7] = std::array::from_fn(|k| d[k] - reacted.0[k]);
            (d, c - reacted.1)
        };
        assert_eq!(self.hyp().calls.get() - calls, receives + reaction_calls);
        assert!(
            receives <= self.depth + 1,
            "{receives} receives in one drain, depth {}",
            self.depth
        );
        assert!(mine.iter().all(|r| r.buf_len == MAX));
        let messages = mine
            .iter()
            .filter(|r| matches!(r.class, Class::Message { .. }))
            .count();
        let malformed = mine.iter().filter(|r| r.class == Class::Malformed).count();
        // The counters count exactly: this drain's receives, the error that ended it, and
        // what its callbacks' reactions moved (each checked on its own).
        let expected = bumped(stats, |s| {
            s.received += messages as u32;
            s.malformed += malformed as u32;
            let m = moved_by_reactions;
            s.sent += m[0];
            s.received += m[1];
            s.would_block += m[2];
            s.spurious_tx += m[3];
            s.spurious_rx += m[4];
            s.faults += m[5];
            s.malformed += m[6];
            if matches!(r, Err(Error::RxStuck { .. } | Error::Hypervisor(_))) {
                s.faults += 1;
            }
            if interrupt && mine.first().map(|r| r.class) == Some(Class::Empty) {
                s.spurious_rx += 1;
            }
        });
        assert_eq!(after, expected, "drain counters");
        assert_eq!(
            delivered.get(),
            messages,
            "messages received but not delivered"
        );
        if closed_at_entry {
            assert_eq!(r, Err(Error::Closed), "a drain after shutdown");
            assert_eq!(receives + reaction_calls, 0, "a hypercall after shutdown");
            return;
        }
        let last = mine.last().map(|r| r.class);
        match r {
            Err(Error::Closed) => {
                // A callback shut the queue down; the drain stopped before its next receive.
                assert!(self.closed.get(), "Closed while open");
                assert!(
                    matches!(last, Some(Class::Message { .. })),
                    "Closed after {last:?}"
                );
            }
            Ok(DrainOutcome::Deferred) => {
                assert!(nested, "Deferred with no drain running");
                assert_eq!(receives, 0);
            }
            _ if nested => panic!("a drain nested in a callback returned {r:?}"),
            Ok(DrainOutcome::Done { delivered: d }) => {
                assert_eq!(d, delivered.get());
                assert!(
                    matches!(
                        last,
                        Some(Class::Empty | Class::Message { more: false, .. })
                    ),
                    "Done after {last:?}"
                );
                assert!(!self.q.rx_pending(), "rx_pending after Done");
            }
            Ok(DrainOutcome::Pending { delivered: d }) => {
                assert_eq!(d, delivered.get());
                assert_eq!(receives, self.depth + 1, "Pending before the bound");
                // A callback's nested poll leaves a request that restarts the drain, whatever
                // the last receive said.
                if self.nested_polls.get() == polls {
                    assert!(
                        matches!(
                            last,
                            Some(Class::Malformed | Class::Message { more: true, .. })
                        ),
                        "Pending after {last:?}"
                    );
                }
                assert!(self.q.rx_pending(), "Pending without rx_pending");
            }
            Err(Error::RxStuck { code }) => {
                assert_eq!(last, Some(Class::Stuck(code.map(GunyahError::code))));
                assert!(self.q.rx_pending());
            }
            Err(Error::Hypervisor(e)) => {
                assert_eq!(last, Some(Class::Fault(e.code())));
                assert!(self.q.rx_pending());
            }
            Err(e) => panic!("drain returned {e:?}"),
        }
    }

    fn flush(&self) {
        let calls = self.hyp().calls.get();
        let pending = self.q.rx_pending();
        let stats = self.q.stats();
        let r = self.q.flush_rx();
        let after = self.q.stats();
        stats_never_decrease(&stats, &after);
        let made = self.hyp().calls.get() - calls;
        let failed = made == 1 && error_code(self.hyp().flushes.borrow().last().unwrap().x0) != 0;
        assert_eq!(
            after,
            bumped(stats, |s| s.faults += u32::from(failed)),
            "flush counters"
        );
        if self.closed.get() {
            assert_eq!(r, Err(Error::Closed));
            assert_eq!(made, 0, "a hypercall after shutdown");
            return;
        }
        assert_eq!(made, 1);
        let raw = *self.hyp().flushes.borrow().last().unwrap();
        match (r, error_code(raw.x0)) {
            (Ok(()), 0) => assert!(!self.q.rx_pending()),
            (Err(Error::Hypervisor(e)), c) if c != 0 => {
                assert_eq!(e.code(), c);
                assert_eq!(
                    self.q.rx_pending(),
                    pending,
                    "a failed flush changed rx_pending"
                );
            }
            (r, c) => panic!("flush returned {r:?} for code {c}"),
        }
    }

    fn start(&self) {
        let calls = self.hyp().calls.get();
        if self.closed.get() {
            let stats = self.q.stats();
            assert_eq!(
                self.q.start(|_| panic!("a message after shutdown")),
                Err(Error::Closed)
            );
            assert_eq!(self.hyp().calls.get(), calls, "a hypercall after shutdown");
            assert_eq!(self.q.stats(), stats);
            return;
        }
        self.started.set(true);
        // start = unmask + one drain (checked as a poll).
        let recvs = self.hyp().received.borrow().len();
        let stats = self.q.stats();
        let on_msg = |msg: &[u8]| {
            assert!((1..=MAX).contains(&msg.len()));
            let rec = self.hyp().received.borrow().last().unwrap().clone();
            assert_eq!(msg, &rec.copied[..]);
        };
        let r = self.q.start(on_msg);
        stats_never_decrease(&stats, &self.q.stats());
        let receives = self.hyp().received.borrow().len() - recvs;
        assert!(receives <= self.depth + 1);
        assert!(self.rx_line.enabled.get(), "start left the RX line masked");
        if !self.level {
            assert!(
                self.tx_line.enabled.get(),
                "start left an edge TX line masked"
            );
        }
        match r {
            Ok(DrainOutcome::Pending { .. }) => assert_eq!(receives, self.depth + 1),
            Ok(DrainOutcome::Deferred) => panic!("start deferred with no drain running"),
            Ok(DrainOutcome::Done { .. }) | Err(Error::RxStuck { .. } | Error::Hypervisor(_)) => {}
            Err(e) => panic!("start returned {e:?}"),
        }
    }

    fn shutdown(&self) {
        self.q.shutdown();
        self.closed.set(true);
        assert_eq!(self.q.tx_state(), TxState::Closed);
    }

    fn tx_irq(&self) {
        let before = self.q.tx_state();
        let stats = self.q.stats();
        let calls = self.hyp().calls.get();
        self.q.on_tx_interrupt();
        let after = self.q.stats();
        stats_never_decrease(&stats, &after);
        assert_eq!(
            self.hyp().calls.get(),
            calls,
            "a TX interrupt made a hypercall"
        );
        match before {
            TxState::Closed => {
                assert_eq!(self.q.tx_state(), TxState::Closed);
                assert_eq!(after, stats);
            }
            TxState::Full => {
                assert_eq!(self.q.tx_state(), TxState::Ready);
                assert_eq!(after, stats);
            }
            TxState::Ready => {
                assert_eq!(self.q.tx_state(), TxState::Ready);
                assert_eq!(after, bumped(stats, |s| s.spurious_tx += 1));
            }
        }
    }

    /// What holds between any two ops.
    fn invariants(&self) {
        if self.closed.get() {
            assert_eq!(self.q.tx_state(), TxState::Closed);
            assert!(
                !self.tx_line.enabled.get(),
                "TX line unmasked after shutdown"
            );
            assert!(
                !self.rx_line.enabled.get(),
                "RX line unmasked after shutdown"
            );
        } else if self.level {
            assert_eq!(
                self.tx_line.enabled.get(),
                self.q.tx_state() == TxState::Full,
                "level TX line mask does not follow Full"
            );
        } else if self.started.get() {
            assert!(self.tx_line.enabled.get());
        }
    }
}

fuzz_target!(|input: Input| {
    let depth = NonZeroU8::new(input.depth % 16).unwrap_or(NonZeroU8::MIN);
    let tx_max = 1 + usize::from(input.tx_max) % MAX;
    let rx_max = 1 + usize::from(input.rx_max) % MAX;
    let hyp = Hostile {
        recv: &input.recv,
        send: &input.send,
        flush: &input.flush,
        next_recv: Cell::new(0),
        next_send: Cell::new(0),
        next_flush: Cell::new(0),
        received: RefCell::new(Vec::new()),
        sent: RefCell::new(Vec::new()),
        flushes: RefCell::new(Vec::new()),
        calls: Cell::new(0),
        stamp: Cell::new(0),
    };
    let tx_line = Line::default();
    let rx_line = Line::default();
    let mut tx = TxConfig::new(TX_CAP, &tx_line, tx_max);
    if input.level_tx {
        tx.trigger = Trigger::Level;
    }
    let q: Queue = MsgQueue::try_duplex(hyp, tx, RxConfig::new(RX_CAP, &rx_line, depth, rx_max))
        .expect("valid sizes");
    let h = Harness {
        q: &q,
        tx_line: &tx_line,
        rx_line: &rx_line,
        depth: usize::from(depth.get()),
        tx_max,
        rx_max,
        level: input.level_tx,
        reactions: &input.reactions,
        next_reaction: Cell::new(0),
        closed: Cell::new(false),
        started: Cell::new(false),
        drain_depth: Cell::new(0),
        nested_polls: Cell::new(0),
        reacted: Cell::new(([0; 7], 0)),
    };
    for op in input.ops.iter().take(256) {
        match *op {
            Op::Send { len, push } => h.send(len, push),
            Op::Recv(b) => h.recv(b),
            Op::RxIrq => h.drain(true),
            Op::PollRx => h.drain(false),
            Op::TxIrq => h.tx_irq(),
            Op::Flush => h.flush(),
            Op::Start => h.start(),
            Op::Shutdown => h.shutdown(),
        }
        h.invariants();
    }
});
