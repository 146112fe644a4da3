//! The async image (`tests/async_guest.rs`): `gunyah_msgq::AsyncQueue` on
//! `gunyah-msgq-hvc`'s `Native` conduit with `GicLine` vIRQ lines, run by a minimal executor
//! ([`executor`]) with an async generic-timer delay ([`timer`]), against the model's peer.
//!
//! The queue lives in a static (one per link: a setup replaces the link, and a shutdown is
//! final), built at run time from what the setup answers. The IRQ vector hands each INTID to
//! [`on_irq`], which calls the live queue's `on_tx_interrupt` / `on_rx_interrupt` (bookkeeping
//! and a wake, no hypercall) or, for the doorbell INTID, the case's doorbell action.
//!
//! The peer (the model's VM 2) acts through control calls made from the executor's idle step,
//! right before a `wfi` with IRQs masked, or from the doorbell's interrupt handler: the
//! model has no clock, so "later" is "in the N-th sleep round".

pub mod executor;
pub mod timer;

use core::fmt::Write;
use core::num::NonZeroU8;
use core::sync::atomic::{AtomicU8, AtomicU32, AtomicUsize, Ordering::SeqCst};

use gunyah_msgq::{AsyncQueue, CapId, Error, MsgQueue, RxConfig, SendFlags, TxConfig, TxState};
use gunyah_msgq_hvc::Native;
use gunyah_msgq_hvc::gic::{GicLine, LineConfig};

use self::executor::{block_on, join};
use self::timer::TimerDelay;
use crate::abi::control::{Counters, Line, Setup};
use crate::conformance::{GIC, install_gic};
use crate::control::{self, peer_recv, peer_send};
use crate::hvc::error;
use crate::report::{Fail, Note, Outcome, Report};
use crate::{check, check_eq, gic, irq};

/// The endpoint's message size: the resource manager's.
pub const MAX: usize = gunyah_msgq::RM_MSG_SIZE;
/// The queue under test.
pub type Queue = AsyncQueue<Native, GicLine<'static, 'static>, MAX>;

/// An INTID nothing else uses (SPI 198: QEMU's `virt` leaves SPIs 176..255 free), injected
/// with the spurious control call as a doorbell: its handler runs the case's action.
const DOORBELL: u32 = 230;
/// Sleep rounds a `block_on` may take before the case fails as stalled.
const MAX_ROUNDS: u32 = 200_000;
/// A wait slice long enough never to end in a case that expects the TX vIRQ (1 s).
const LONG_SLICE_US: u32 = 1_000_000;

const OK: i32 = 0;
const MSGQUEUE_EMPTY: i32 = 60;
const MSGQUEUE_FULL: i32 = 61;

/// One queue per link (each case makes one), in setup order.
static QUEUES: [spin::Once<Queue>; 8] = [const { spin::Once::new() }; 8];
/// The live queue: 1 + its index in [`QUEUES`], 0 for none.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static TX_INTID: AtomicU32 = AtomicU32::new(u32::MAX);
static RX_INTID: AtomicU32 = AtomicU32::new(u32::MAX);
/// Interrupts taken per line (TX, RX), and how many of them in a sleep round.
static TAKEN: [AtomicU32; 2] = [const { AtomicU32::new(0) }; 2];
static TAKEN_ASLEEP: [AtomicU32; 2] = [const { AtomicU32::new(0) }; 2];
/// What the doorbell's handler does once: [`RING_NOTHING`], [`RING_SHUTDOWN`] (the live queue)
/// or [`RING_PEER_SEND`] (the peer sends [`DOORBELL_MSG`]).
static DOORBELL_ACTION: AtomicU8 = AtomicU8::new(RING_NOTHING);
const RING_NOTHING: u8 = 0;
const RING_SHUTDOWN: u8 = 1;
const RING_PEER_SEND: u8 = 2;
const DOORBELL_MSG: &[u8] = b"sent from an interrupt handler";
/// The error word of the doorbell's peer send, plus one (0: not sent).
static DOORBELL_SENT: AtomicU32 = AtomicU32::new(0);
static DOORBELL_TAKEN: AtomicU32 = AtomicU32::new(0);
static DOORBELL_ASLEEP: AtomicU32 = AtomicU32::new(0);

fn live() -> Option<&'static Queue> {
    match LIVE.load(SeqCst) {
        0 => None,
        n => QUEUES[n - 1].get(),
    }
}

/// The platform's IRQ handler: `irq::handle` calls it for every acknowledged INTID.
fn on_irq(intid: u32) {
    let asleep = u32::from(executor::sleeping());
    if intid == DOORBELL {
        DOORBELL_TAKEN.fetch_add(1, SeqCst);
        DOORBELL_ASLEEP.fetch_add(asleep, SeqCst);
        match DOORBELL_ACTION.swap(RING_NOTHING, SeqCst) {
            RING_SHUTDOWN => {
                if let Some(q) = live() {
                    q.shutdown();
                }
            }
            RING_PEER_SEND => {
                let e = error(peer_send(DOORBELL_MSG, true)[0]);
                DOORBELL_SENT.store(e as u32 + 1, SeqCst);
            }
            _ => {}
        }
        return;
    }
    let Some(q) = live() else { return };
    let line = if intid == TX_INTID.load(SeqCst) {
        q.on_tx_interrupt();
        0
    } else if intid == RX_INTID.load(SeqCst) {
        q.on_rx_interrupt();
        1
    } else {
        return;
    };
    TAKEN[line].fetch_add(1, SeqCst);
    TAKEN_ASLEEP[line].fetch_add(asleep, SeqCst);
}

fn taken(line: Line) -> (u32, u32) {
    let i = line.index();
    (TAKEN[i].load(SeqCst), TAKEN_ASLEEP[i].load(SeqCst))
}

fn fail(what: &'static str, got: u64, want: u64) -> Fail {
    Fail { what, got, want }
}

fn counters() -> Result<Counters, Fail> {
    control::counters().map_err(|e| fail("control counters", e as u64, 0))
}

fn stalled(s: executor::Stalled) -> Fail {
    fail("block_on stalled (sleep rounds)", u64::from(s.0.rounds), 0)
}

fn closed_or(e: Error) -> u64 {
    match e {
        Error::Closed => 1,
        _ => 2,
    }
}

/// A fresh link of `depth` and a started queue on it, made the live one.
fn link(depth: u8) -> Result<&'static Queue, Fail> {
    LIVE.store(0, SeqCst);
    let reply = control::setup(Setup {
        depth: u64::from(depth),
        ..Setup::DEFAULT
    })
    .map_err(|e| fail("control setup", e as u64, 0))?;
    let line = |intid: u32| {
        let l = GIC
            .line(intid, 0)
            .map_err(|_| fail("GIC line", u64::from(intid), 0))?;
        l.configure(LineConfig::edge().with_priority(gic::PRIORITY))
            .map_err(|_| fail("GIC line configure", u64::from(intid), 0))?;
        Ok::<_, Fail>(l)
    };
    let depth = NonZeroU8::new(depth).ok_or(fail("depth", 0, 1))?;
    let queue = MsgQueue::try_duplex(
        Native,
        TxConfig::new(CapId(reply.tx_cap), line(reply.tx_intid)?, MAX),
        RxConfig::new(CapId(reply.rx_cap), line(reply.rx_intid)?, depth, MAX),
    )
    .map_err(|_| fail("MsgQueue::try_duplex", 1, 0))?;
    let slot =
        QUEUES
            .iter()
            .position(|s| s.get().is_none())
            .ok_or(fail("free queue slot", 0, 1))?;
    let q = QUEUES[slot].call_once(|| AsyncQueue::new(queue));
    TX_INTID.store(reply.tx_intid, SeqCst);
    RX_INTID.store(reply.rx_intid, SeqCst);
    LIVE.store(slot + 1, SeqCst);
    q.start().map_err(|_| fail("start", 1, 0))?;
    Ok(q)
}

/// The message of size `n` (1..=240) numbered `k`: distinct content per size and number.
fn pattern(n: usize, k: u8) -> ([u8; MAX], usize) {
    let mut m = [0; MAX];
    for (i, b) in m[..n].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7) ^ (n as u8) ^ k.rotate_left(3);
    }
    (m, n)
}

/// The image: every case, then the verdict (the exit status).
#[must_use]
pub fn image() -> u32 {
    install_gic();
    gic::configure(DOORBELL, true);
    gic::enable(DOORBELL);
    irq::set_hook(Some(on_irq));
    irq::unmask();
    let mut r = Report::new();
    if control::hello().is_err() {
        r.record(
            "model_answers",
            Err("the control calls are not answered: not the EL2 model"),
        );
        return r.finish();
    }
    r.check("async_recv_first_poll_receives", recv_first_poll);
    r.check("async_recv_wakes_on_rx_virq", recv_wakes_on_rx_virq);
    r.check(
        "async_recv_wakes_on_peer_send_in_irq",
        recv_peer_send_in_irq,
    );
    r.check("async_recv_with_slice_without_rx_virq", recv_slice_retry);
    r.check("async_send_waits_for_tx_virq", send_waits_for_tx_virq);
    r.check("async_send_slice_retries_without_tx_virq", send_slice_retry);
    r.check("async_round_trip_sizes_1_to_240", round_trip);
    r.check("async_shutdown_wakes_waiters", shutdown_wakes_waiters);
    r.finish()
}

/// The message is queued before the await: the first poll receives it, no sleep.
fn recv_first_poll(note: &mut Note) -> Outcome {
    let q = link(8)?;
    check_eq!(error(peer_send(b"early", true)[0]), OK, "peer send");
    let before = counters()?;
    let mut buf = [0; MAX];
    let (got, s) = block_on(q.recv(&mut buf), |_| {}, MAX_ROUNDS).map_err(stalled)?;
    let len = got.map_err(|_| fail("recv", 1, 0))?;
    check!(buf[..len] == *b"early", "message content");
    check_eq!(s.polls, 1, "polls");
    check_eq!(s.rounds, 0, "sleep rounds");
    check_eq!(
        counters()?.hypercalls - before.hypercalls,
        1,
        "receive hypercalls"
    );
    let _ = write!(note, "1 poll, 1 receive hypercall");
    Ok(())
}

/// Empty at the first poll; the peer sends in the 20th sleep round; the RX vIRQ, taken in the
/// sleep, wakes the task, whose second receive gets the message.
fn recv_wakes_on_rx_virq(note: &mut Note) -> Outcome {
    let q = link(8)?;
    let (rx_before, rx_asleep_before) = taken(Line::Rx);
    let before = counters()?;
    let mut sent = 0;
    let idle = |round: u32| {
        if round == 19 {
            sent = error(peer_send(b"while asleep", true)[0]) + 1;
        }
    };
    let mut buf = [0; MAX];
    let (got, s) = block_on(q.recv(&mut buf), idle, MAX_ROUNDS).map_err(stalled)?;
    let after = counters()?;
    let len = got.map_err(|_| fail("recv", 1, 0))?;
    check_eq!(sent, OK + 1, "peer send (in round 20)");
    check!(buf[..len] == *b"while asleep", "message content");
    let (rx, rx_asleep) = taken(Line::Rx);
    check_eq!(rx - rx_before, 1, "RX interrupts");
    check_eq!(
        rx_asleep - rx_asleep_before,
        1,
        "RX interrupts taken asleep"
    );
    check_eq!(s.polls, 2, "polls (Pending, then the wake)");
    check_eq!(s.rounds, 20, "sleep rounds");
    // The EMPTY receive of the first poll and the one after the wake: none while asleep.
    check_eq!(
        after.hypercalls - before.hypercalls,
        2,
        "receive hypercalls"
    );
    check_eq!(after.rx_injected - before.rx_injected, 1, "RX injections");
    let _ = write!(
        note,
        "{} polls, {} sleep rounds, 2 receive hypercalls, {} traps",
        s.polls,
        s.rounds,
        after.traps - before.traps
    );
    Ok(())
}

/// Empty at the first poll; the doorbell is rung in the 5th sleep round, and its handler makes
/// the peer send (a control call from interrupt context): the RX vIRQ that send raises is taken
/// in the same sleep round and wakes the task.
fn recv_peer_send_in_irq(note: &mut Note) -> Outcome {
    let q = link(8)?;
    let (rx_before, rx_asleep_before) = taken(Line::Rx);
    let doorbell_before = DOORBELL_TAKEN.load(SeqCst);
    DOORBELL_SENT.store(0, SeqCst);
    DOORBELL_ACTION.store(RING_PEER_SEND, SeqCst);
    let before = counters()?;
    let mut rang = 1;
    let idle = |round: u32| {
        if round == 4 {
            rang = control::spurious_intid(DOORBELL).map_or_else(|e| e + 2, |()| 0);
        }
    };
    let mut buf = [0; MAX];
    let (got, s) = block_on(q.recv(&mut buf), idle, MAX_ROUNDS).map_err(stalled)?;
    let after = counters()?;
    let len = got.map_err(|_| fail("recv", 1, 0))?;
    check_eq!(rang, 0, "doorbell rung");
    check_eq!(
        DOORBELL_TAKEN.load(SeqCst) - doorbell_before,
        1,
        "doorbell taken"
    );
    check_eq!(
        DOORBELL_SENT.load(SeqCst),
        OK + 1,
        "peer send in the handler"
    );
    check!(buf[..len] == *DOORBELL_MSG, "message content");
    let (rx, rx_asleep) = taken(Line::Rx);
    check_eq!(rx - rx_before, 1, "RX interrupts");
    check_eq!(
        rx_asleep - rx_asleep_before,
        1,
        "RX interrupts taken asleep"
    );
    check_eq!(s.polls, 2, "polls");
    check_eq!(s.rounds, 5, "sleep rounds");
    check_eq!(
        after.hypercalls - before.hypercalls,
        2,
        "receive hypercalls"
    );
    let _ = write!(
        note,
        "{} polls, {} sleep rounds, 2 receive hypercalls",
        s.polls, s.rounds
    );
    Ok(())
}

/// `recv_with_slice` with the RX line disabled at the GIC: the peer's send (1st sleep round)
/// raises an edge that is not delivered, so the 2 ms slice ends the wait and its receive gets
/// the message. The latched edge arrives when the line is enabled again.
fn recv_slice_retry(note: &mut Note) -> Outcome {
    let q = link(8)?;
    let rx_intid = RX_INTID.load(SeqCst);
    gic::disable(rx_intid);
    let (rx_before, _) = taken(Line::Rx);
    let before = counters()?;
    let mut sent = 0;
    let idle = |round: u32| {
        if round == 0 {
            sent = error(peer_send(b"edge not delivered", true)[0]) + 1;
        }
    };
    let mut delay = TimerDelay;
    let mut buf = [0; MAX];
    let fut = q.recv_with_slice(&mut buf, &mut delay, 2_000);
    let (got, s) = block_on(fut, idle, MAX_ROUNDS).map_err(stalled)?;
    let after = counters()?;
    let len = got.map_err(|_| fail("recv_with_slice", 1, 0))?;
    check_eq!(sent, OK + 1, "peer send");
    check!(buf[..len] == *b"edge not delivered", "message content");
    check_eq!(
        taken(Line::Rx).0 - rx_before,
        0,
        "no RX interrupt while disabled"
    );
    check_eq!(s.deadline_polls, 1, "polls for the slice");
    check_eq!(s.polls, 2, "polls (EMPTY, then the slice)");
    check_eq!(
        after.hypercalls - before.hypercalls,
        2,
        "receive hypercalls"
    );
    gic::enable(rx_intid);
    check!(
        irq::wait_until(5, || taken(Line::Rx).0 > rx_before),
        "latched RX edge delivered on enable"
    );
    let _ = write!(
        note,
        "2 ms slice: {} sleep rounds, 2 receive hypercalls",
        s.rounds
    );
    Ok(())
}

/// The TX queue (depth 4) filled to Full; the 5th send sleeps; the peer takes one message in
/// the 50th sleep round; the TX vIRQ wakes the sender, whose retry is accepted.
fn send_waits_for_tx_virq(note: &mut Note) -> Outcome {
    let q = link(4)?;
    for k in 0..4 {
        check!(q.try_send(&[k], SendFlags::PUSH).is_ok(), "fill");
    }
    check!(q.tx_state() == TxState::Full, "Full after 4 sends");
    let (tx_before, tx_asleep_before) = taken(Line::Tx);
    let before = counters()?;
    let mut took = 0;
    let mut peer_buf = [0; MAX];
    let idle = |round: u32| {
        if round == 49 {
            took = error(peer_recv(&mut peer_buf)[0]) + 1;
        }
    };
    let mut delay = TimerDelay;
    let fut = q.send(&[4], SendFlags::PUSH, &mut delay, LONG_SLICE_US);
    let (got, s) = block_on(fut, idle, MAX_ROUNDS).map_err(stalled)?;
    let after = counters()?;
    got.map_err(|_| fail("send", 1, 0))?;
    check_eq!(took, OK + 1, "peer receive (in round 50)");
    check_eq!(peer_buf[0], 0, "peer got the first message");
    let (tx, tx_asleep) = taken(Line::Tx);
    check_eq!(tx - tx_before, 1, "TX interrupts");
    check_eq!(
        tx_asleep - tx_asleep_before,
        1,
        "TX interrupts taken asleep"
    );
    check_eq!(s.polls, 2, "polls (Full, then the wake)");
    check_eq!(s.rounds, 50, "sleep rounds");
    check_eq!(s.deadline_polls, 0, "polls for the slice");
    // The FULL attempt and the accepted retry; 50 sleep rounds without a send.
    check_eq!(after.hypercalls - before.hypercalls, 2, "send hypercalls");
    for k in 1..=4 {
        let x = peer_recv(&mut peer_buf);
        check_eq!(error(x[0]), OK, "peer drains");
        check_eq!(peer_buf[0], k, "in order");
    }
    check_eq!(
        error(peer_recv(&mut peer_buf)[0]),
        MSGQUEUE_EMPTY,
        "nothing more"
    );
    let _ = write!(
        note,
        "{} polls, {} sleep rounds, 2 send hypercalls, {} traps",
        s.polls,
        s.rounds,
        after.traps - before.traps
    );
    Ok(())
}

/// Full, and the TX line disabled at the GIC: the peer's drain raises an edge that is not
/// delivered, so only the 2 ms wait slice ([`TimerDelay`]) ends the wait; the retry is
/// accepted. The latched edge arrives when the line is enabled again.
fn send_slice_retry(note: &mut Note) -> Outcome {
    let q = link(2)?;
    for k in 0..2 {
        check!(q.try_send(&[k], SendFlags::PUSH).is_ok(), "fill");
    }
    let tx_intid = TX_INTID.load(SeqCst);
    gic::disable(tx_intid);
    let (tx_before, _) = taken(Line::Tx);
    let before = counters()?;
    let mut peer_buf = [0; MAX];
    let mut took = 0;
    let idle = |round: u32| {
        if round == 0 {
            took = error(peer_recv(&mut peer_buf)[0]) + 1;
        }
    };
    let mut delay = TimerDelay;
    let fut = q.send(&[2], SendFlags::PUSH, &mut delay, 2_000);
    let (got, s) = block_on(fut, idle, MAX_ROUNDS).map_err(stalled)?;
    let after = counters()?;
    got.map_err(|_| fail("send", 1, 0))?;
    check_eq!(took, OK + 1, "peer receive");
    check_eq!(
        taken(Line::Tx).0 - tx_before,
        0,
        "no TX interrupt while disabled"
    );
    check_eq!(s.deadline_polls, 1, "polls for the slice");
    check_eq!(s.polls, 2, "polls (Full, then the slice)");
    check_eq!(after.hypercalls - before.hypercalls, 2, "send hypercalls");
    gic::enable(tx_intid);
    check!(
        irq::wait_until(5, || taken(Line::Tx).0 > tx_before),
        "latched TX edge delivered on enable"
    );
    for k in 1..=2 {
        check_eq!(error(peer_recv(&mut peer_buf)[0]), OK, "peer drains");
        check_eq!(peer_buf[0], k, "in order");
    }
    let _ = write!(
        note,
        "2 ms slice: {} sleep rounds, 2 send hypercalls",
        s.rounds
    );
    Ok(())
}

/// What the echoing peer holds: a message taken from our TX queue that our RX queue had no
/// room for yet.
struct Echo {
    buf: [u8; MAX],
    held: Option<usize>,
    echoed: u32,
    faults: u32,
}

impl Echo {
    /// Moves messages from the queue we send into to the one we receive from, while there is
    /// something to take and room to put it.
    fn run(&mut self) {
        loop {
            if self.held.is_none() {
                let x = peer_recv(&mut self.buf);
                match error(x[0]) {
                    OK => self.held = Some(x[1] as usize),
                    MSGQUEUE_EMPTY => return,
                    _ => {
                        self.faults += 1;
                        return;
                    }
                }
            }
            let Some(n) = self.held else { return };
            match error(peer_send(&self.buf[..n], true)[0]) {
                OK => {
                    self.held = None;
                    self.echoed += 1;
                }
                MSGQUEUE_FULL => return,
                _ => {
                    self.faults += 1;
                    return;
                }
            }
        }
    }
}

/// 240 messages of sizes 1..=240: one branch sends them in order, the other receives the
/// peer's echo and checks each; the peer echoes in every sleep round; depth 4 both ways, so
/// both sides fill and wait for their vIRQs.
fn round_trip(note: &mut Note) -> Outcome {
    let q = link(4)?;
    let before = counters()?;
    let (tx_before, _) = taken(Line::Tx);
    let (rx_before, _) = taken(Line::Rx);
    let mut echo = Echo {
        buf: [0; MAX],
        held: None,
        echoed: 0,
        faults: 0,
    };
    let sender = async {
        let mut delay = TimerDelay;
        for n in 1..=MAX {
            let (m, len) = pattern(n, n as u8);
            q.send(&m[..len], SendFlags::PUSH, &mut delay, LONG_SLICE_US)
                .await
                .map_err(|_| fail("send", n as u64, 0))?;
        }
        Ok::<(), Fail>(())
    };
    let receiver = async {
        let mut buf = [0; MAX];
        for n in 1..=MAX {
            let len = q
                .recv(&mut buf)
                .await
                .map_err(|_| fail("recv", n as u64, 0))?;
            let (want, want_len) = pattern(n, n as u8);
            if len != want_len || buf[..len] != want[..want_len] {
                return Err(fail("message (size, in order)", len as u64, n as u64));
            }
        }
        Ok::<(), Fail>(())
    };
    let ((sent, received), s) =
        block_on(join(sender, receiver), |_| echo.run(), MAX_ROUNDS).map_err(stalled)?;
    let after = counters()?;
    sent?;
    received?;
    check_eq!(echo.faults, 0, "peer errors");
    check_eq!(echo.echoed, MAX, "echoed");
    let tx = taken(Line::Tx).0 - tx_before;
    let rx = taken(Line::Rx).0 - rx_before;
    check!(rx > 0, "RX interrupts");
    let calls = after.hypercalls - before.hypercalls;
    // Each message: one accepted send and one receive; the rest are FULL / EMPTY attempts,
    // at most one per wake-up (poll) and branch.
    check!(
        calls <= 2 * MAX as u64 + 2 * u64::from(s.polls),
        "hypercalls bounded by polls"
    );
    let _ = write!(
        note,
        "{} messages, {} polls, {} sleep rounds, {} msgq hypercalls, TX/RX vIRQs {}/{}",
        MAX, s.polls, s.rounds, calls, tx, rx
    );
    Ok(())
}

/// A sender waiting on Full and a receiver waiting on an empty queue, joined; the doorbell's
/// interrupt handler (the doorbell rung in the 10th sleep round) shuts the queue down: both
/// are woken and return `Closed`, with no hypercall after their first attempts.
fn shutdown_wakes_waiters(note: &mut Note) -> Outcome {
    let q = link(2)?;
    for k in 0..2 {
        check!(q.try_send(&[k], SendFlags::PUSH).is_ok(), "fill");
    }
    let before = counters()?;
    let doorbell_before = DOORBELL_TAKEN.load(SeqCst);
    let asleep_before = DOORBELL_ASLEEP.load(SeqCst);
    DOORBELL_ACTION.store(RING_SHUTDOWN, SeqCst);
    let mut rang = 1;
    let idle = |round: u32| {
        if round == 9 {
            rang = control::spurious_intid(DOORBELL).map_or_else(|e| e + 2, |()| 0);
        }
    };
    let mut delay = TimerDelay;
    let mut buf = [0; MAX];
    let fut = join(
        q.send(&[2], SendFlags::PUSH, &mut delay, LONG_SLICE_US),
        q.recv(&mut buf),
    );
    let ((sent, received), s) = block_on(fut, idle, MAX_ROUNDS).map_err(stalled)?;
    let after = counters()?;
    check_eq!(rang, 0, "doorbell rung");
    check_eq!(
        DOORBELL_TAKEN.load(SeqCst) - doorbell_before,
        1,
        "doorbell taken"
    );
    check_eq!(
        DOORBELL_ASLEEP.load(SeqCst) - asleep_before,
        1,
        "doorbell taken asleep"
    );
    check_eq!(sent.map_or_else(closed_or, |()| 0), 1, "send: Err(Closed)");
    check_eq!(
        received.map_or_else(closed_or, |_| 0),
        1,
        "recv: Err(Closed)"
    );
    check_eq!(s.polls, 2, "polls (both Pending, then the wake)");
    check_eq!(s.rounds, 10, "sleep rounds");
    // The send's FULL attempt and the receive's EMPTY one, both in the first poll.
    check_eq!(after.hypercalls - before.hypercalls, 2, "msgq hypercalls");
    check!(q.tx_state() == TxState::Closed, "Closed");
    check!(
        q.try_send(b"late", SendFlags::PUSH) == Err(Error::Closed),
        "a send after shutdown"
    );
    LIVE.store(0, SeqCst);
    let _ = write!(
        note,
        "{} polls, {} sleep rounds, 2 msgq hypercalls",
        s.polls, s.rounds
    );
    Ok(())
}
