//! Test doubles shared by the integration tests: a tiny VecDeque-backed loopback hypervisor
//! queue, a no-op line and a fake delay. Deliberately independent of the mock crate.
#![allow(dead_code)] // Each test file uses a different part.

use std::collections::VecDeque;
use std::num::NonZeroU8;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::vec::Vec;

use embedded_hal::delay::DelayNs;
use gunyah_msgq::{CapId, Hypercall, IrqLine, MsgQueue, RawOutput, RxConfig, SendFlags, TxConfig};
use gunyah_msgq_fault::FaultHypercall;

/// The largest message in these tests.
pub const MAX: usize = 16;
/// The loopback queue's depth.
pub const DEPTH: usize = 4;
pub const TX_CAP: CapId = CapId(0x10);
pub const RX_CAP: CapId = CapId(0x11);

#[derive(Default)]
struct State {
    queue: VecDeque<Vec<u8>>,
    rx_edge: bool,
    tx_edge: bool,
}

/// One hypervisor queue that the endpoint both sends into and receives from (TX and RX caps
/// name the same queue), with the spec's edge rules and the documented error for a receive
/// buffer that is too small.
pub struct Loopback {
    depth: usize,
    state: Mutex<State>,
    pub sends: AtomicU32,
    pub receives: AtomicU32,
    pub flushes: AtomicU32,
}

impl Loopback {
    pub fn new(depth: usize) -> Self {
        Loopback {
            depth,
            state: Mutex::new(State::default()),
            sends: AtomicU32::new(0),
            receives: AtomicU32::new(0),
            flushes: AtomicU32::new(0),
        }
    }

    /// Queues a message as another VM would (raises the RX edge on 0 → 1).
    pub fn peer_send(&self, msg: &[u8]) {
        let mut s = self.state.lock().unwrap();
        s.queue.push_back(msg.to_vec());
        if s.queue.len() == 1 {
            s.rx_edge = true;
        }
    }

    /// Takes a message off the queue as another VM would (raises the TX edge on full →
    /// not-full).
    pub fn peer_recv(&self) -> Option<Vec<u8>> {
        let mut s = self.state.lock().unwrap();
        let was_full = s.queue.len() == self.depth;
        let msg = s.queue.pop_front();
        if was_full && msg.is_some() {
            s.tx_edge = true;
        }
        msg
    }

    pub fn len(&self) -> usize {
        self.state.lock().unwrap().queue.len()
    }

    /// Whether an RX edge was raised since the last look (and forgets it).
    pub fn take_rx_edge(&self) -> bool {
        std::mem::take(&mut self.state.lock().unwrap().rx_edge)
    }

    /// Whether a TX edge was raised since the last look (and forgets it).
    pub fn take_tx_edge(&self) -> bool {
        std::mem::take(&mut self.state.lock().unwrap().tx_edge)
    }

    pub fn sends(&self) -> u32 {
        self.sends.load(Ordering::Relaxed)
    }

    pub fn receives(&self) -> u32 {
        self.receives.load(Ordering::Relaxed)
    }
}

impl Hypercall for Loopback {
    fn msgq_send(&self, _cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        self.sends.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        if s.queue.len() == self.depth {
            return RawOutput::error(61);
        }
        s.queue.push_back(msg.to_vec());
        if s.queue.len() == 1 || flags.push() {
            s.rx_edge = true;
        }
        RawOutput::sent(s.queue.len() < self.depth)
    }

    fn msgq_receive(&self, _cap: CapId, buf: &mut [u8]) -> RawOutput {
        self.receives.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        let Some(head) = s.queue.front() else {
            return RawOutput::error(60);
        };
        if head.len() > buf.len() {
            return RawOutput::error(20);
        }
        let was_full = s.queue.len() == self.depth;
        let msg = s.queue.pop_front().unwrap();
        buf[..msg.len()].copy_from_slice(&msg);
        if was_full {
            s.tx_edge = true;
        }
        RawOutput::received(msg.len() as u64, !s.queue.is_empty())
    }

    fn msgq_flush(&self, _cap: CapId) -> RawOutput {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        if !s.queue.is_empty() {
            s.tx_edge = true;
            s.rx_edge = false;
        }
        s.queue.clear();
        RawOutput::error(0)
    }
}

/// A line that does nothing.
#[derive(Clone, Copy, Debug)]
pub struct NoLine;

impl IrqLine for NoLine {
    fn enable(&self) {}
    fn disable(&self) {}
}

pub type Queue = MsgQueue<FaultHypercall<Loopback>, NoLine, MAX>;

/// A duplex endpoint over one loopback queue of depth `DEPTH`, wrapped in a fault injector.
pub fn queue() -> Queue {
    MsgQueue::duplex(
        FaultHypercall::new(Loopback::new(DEPTH)),
        TxConfig::new(TX_CAP, NoLine, MAX),
        RxConfig::new(RX_CAP, NoLine, NonZeroU8::new(DEPTH as u8).unwrap(), MAX),
    )
}

/// The loopback behind a test queue.
pub fn hyp(q: &Queue) -> &Loopback {
    q.hypercall().inner()
}

/// A message that names its sequence number, with a length that varies.
pub fn msg(seq: u32) -> Vec<u8> {
    let len = 4 + (seq as usize % (MAX - 3));
    let mut m = vec![0xA0; len];
    m[..4].copy_from_slice(&seq.to_le_bytes());
    m
}

/// The sequence number of a message made by [`msg`].
pub fn seq_of(m: &[u8]) -> u32 {
    u32::from_le_bytes(m[..4].try_into().unwrap())
}

/// A delay that only counts time, and runs a hook on each step (e.g. the peer draining).
pub struct FakeDelay<F: FnMut(u32)> {
    pub waited_ns: u64,
    pub on_step: F,
}

impl<F: FnMut(u32)> DelayNs for FakeDelay<F> {
    fn delay_ns(&mut self, ns: u32) {
        self.waited_ns += u64::from(ns);
        (self.on_step)(ns);
    }
}

/// Counts of a delivery check: accepted messages vs received ones.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub lost: usize,
    pub duplicated: usize,
    pub reordered: usize,
    pub unexpected: usize,
}

/// Compares the sender's log of accepted sequence numbers with the receiver's log.
pub fn check(accepted: &[u32], received: &[u32]) -> Verdict {
    use std::collections::{BTreeMap, BTreeSet};
    let acc: BTreeSet<u32> = accepted.iter().copied().collect();
    let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
    let mut v = Verdict::default();
    let mut last = None;
    for &r in received {
        *seen.entry(r).or_default() += 1;
        if !acc.contains(&r) {
            v.unexpected += 1;
        }
        if last.is_some_and(|l| r < l) {
            v.reordered += 1;
        }
        last = Some(r);
    }
    v.lost = acc.iter().filter(|a| !seen.contains_key(a)).count();
    v.duplicated = seen.values().filter(|&&n| n > 1).map(|n| n - 1).sum();
    v
}
