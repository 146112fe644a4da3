//! The bench on the model's default variant: a fresh link set up by the control ABI (depth 8,
//! 1023-byte messages both ways, edge lines), the other VM played with `PeerSend` /
//! `PeerReceive`. Rows, for sizes 8, 64, 240 and 1023:
//!
//! - `try_send`: one send into an empty TX queue (the peer empties it, untimed);
//! - `try_recv`: one receive of a waiting message (the RX line disabled meanwhile, so no
//!   interrupt drains it first);
//! - `rx_irq_1`: the RX handler (core: `on_rx_interrupt` with a trivial callback; raw: receive
//!   until EMPTY) for one message, timed inside the real interrupt the peer's send raises;
//! - `rx_irq_8`: the same handler draining 8 messages (IRQs masked while the peer queues them,
//!   so one interrupt finds all 8);
//! - `round_trip`: send → the peer receives and sends it back (two control calls) → RX
//!   interrupt → drained; timed from before the send to after the handler.

use gunyah_msgq::{CapId, RxConfig, SendFlags, TxConfig};
use gunyah_msgq_hvc::gic::LineConfig;

use super::{BenchLink, Got, Sent, Table, timed};
use crate::abi::control::{Setup, SetupFlags};
use crate::conformance::{self, GIC};
use crate::report::Report;
use crate::{control, gic, irq};

/// Message sizes of the rows.
const SIZES: [usize; 4] = [8, 64, 240, 1023];
/// Depth of both queues (the RM link's) and the messages `rx_irq_8` drains.
const DEPTH: u8 = 8;
/// `wfi` rounds an expected interrupt may take (each a trap that delivers what is due).
const ROUNDS: u32 = 1000;

/// The image: set-up checks, every row, the table; the exit status.
#[must_use]
pub fn main() -> u32 {
    super::clock::init();
    let mut r = Report::new();
    let Some(link) = set_up(&mut r) else {
        return r.finish();
    };
    let mut t = Table::new("model");
    let mut msg = [0u8; gunyah_msgq::MAX_MSG_SIZE];
    for (i, b) in msg.iter_mut().enumerate() {
        *b = i as u8;
    }

    for size in SIZES {
        let m = &msg[..size];
        t.row(
            &mut r,
            "try_send",
            size,
            || send(link, m, super::core_send),
            || send(link, m, super::raw_send),
        );
    }

    // The RX line disabled: a message waits for `try_recv` instead of raising the interrupt.
    // Its edge latches; the handler runs once after the line is enabled again and finds the
    // queue empty.
    let rx_line = GIC.line(link.rx_intid, 0).ok();
    if let Some(line) = rx_line {
        gunyah_msgq::IrqLine::disable(&line);
    }
    for size in SIZES {
        let m = &msg[..size];
        t.row(
            &mut r,
            "try_recv",
            size,
            || recv(link, m, super::core_recv),
            || recv(link, m, super::raw_recv),
        );
    }
    if let Some(line) = rx_line {
        gunyah_msgq::IrqLine::enable(&line);
    }
    settle();

    for size in SIZES {
        let m = &msg[..size];
        let one = || rx_irq(m, 1);
        t.row(&mut r, "rx_irq_1", size, one, one);
    }
    for size in SIZES {
        let m = &msg[..size];
        let many = || rx_irq(m, usize::from(DEPTH));
        t.row(&mut r, "rx_irq_8", size, many, many);
    }

    for size in SIZES {
        let m = &msg[..size];
        t.row(
            &mut r,
            "round_trip",
            size,
            || trip(link, m, super::core_send),
            || trip(link, m, super::raw_send),
        );
    }

    super::check_stats_clean(&mut r, link, conformance::GIC.faults());
    t.print("the ratio (core over raw) is the figure to compare; the model's trap handling dominates every row");
    r.finish()
}

/// One send into the empty TX queue, timed; the peer empties it again (untimed).
fn send(link: &BenchLink, m: &[u8], f: fn(&BenchLink, &[u8], SendFlags) -> Sent) -> Option<u64> {
    let mut peer = [0u8; gunyah_msgq::MAX_MSG_SIZE];
    let (ticks, sent) = timed(|| f(link, m, SendFlags::NONE));
    let got = control::peer_recv(&mut peer);
    (sent == Sent::Sent(true) && got[0] == 0 && got[1] as usize == m.len()).then_some(ticks)
}

/// The peer queues one message (the RX line is disabled), then one receive of it, timed.
fn recv(link: &BenchLink, m: &[u8], f: fn(&BenchLink, &mut [u8]) -> Got) -> Option<u64> {
    let mut buf = [0u8; gunyah_msgq::MAX_MSG_SIZE];
    let queued = control::peer_send(m, false)[0] == 0;
    let (ticks, got) = timed(|| f(link, &mut buf));
    (queued && got == Got::Msg(m.len())).then_some(ticks)
}

/// Send, the peer's echo (receive, send back), the RX interrupt's drain: all timed.
fn trip(link: &BenchLink, m: &[u8], f: fn(&BenchLink, &[u8], SendFlags) -> Sent) -> Option<u64> {
    let mut peer = [0u8; gunyah_msgq::MAX_MSG_SIZE];
    let before = super::runs();
    let (ticks, ok) = timed(|| {
        let sent = f(link, m, SendFlags::NONE);
        let got = control::peer_recv(&mut peer);
        let n = (got[1] as usize).min(peer.len());
        let echoed = control::peer_send(&peer[..n], false)[0] == 0;
        // The RX interrupt is taken right after the peer's send; wait only if it was not.
        let arrived = irq::wait_until(ROUNDS, || super::runs() != before);
        sent == Sent::Sent(true) && got[0] == 0 && echoed && arrived
    });
    (ok && super::last_run().1 == 1 && super::last_len() as usize == m.len()).then_some(ticks)
}

/// The peer queues `n` messages of `m` with IRQs masked (one edge), then the IRQ is let in and
/// the handler drains them: its own ticks.
fn rx_irq(m: &[u8], n: usize) -> Option<u64> {
    let before = super::runs();
    irq::mask();
    let mut queued = true;
    for _ in 0..n {
        queued &= control::peer_send(m, false)[0] == 0;
    }
    irq::unmask();
    let arrived = irq::wait_until(ROUNDS, || super::runs() != before);
    let (ticks, delivered) = super::last_run();
    (queued && arrived && delivered as usize == n && super::last_len() as usize == m.len())
        .then_some(ticks)
}

/// `wfi` until a round delivers nothing and nothing is pending.
fn settle() {
    for _ in 0..ROUNDS {
        let before = super::runs();
        // SAFETY: `wfi` only waits; the model traps it and returns at once. Not `nomem`: the
        // interrupt handler runs right after it.
        unsafe { core::arch::asm!("wfi", options(nostack)) };
        if super::runs() == before && !super::irq_pending() {
            return;
        }
    }
}

/// The model, a fresh link, the GIC and its lines, the queue started, IRQs on.
fn set_up(r: &mut Report) -> Option<&'static BenchLink> {
    let mut link = None;
    r.check("bench/model set_up", |note| {
        let version = control::hello().map_err(|_| crate::report::Fail {
            what: "the model's control calls (not the EL2 model?)",
            got: 0,
            want: 1,
        })?;
        let _ = control::log(false);
        let max = gunyah_msgq::MAX_MSG_SIZE as u64;
        let l = control::setup(Setup {
            depth: u64::from(DEPTH),
            tx_max: max,
            rx_max: max,
            flags: SetupFlags::default(),
        })
        .map_err(|e| crate::report::Fail {
            what: "link setup",
            got: e as u64,
            want: 0,
        })?;
        let _ = core::fmt::Write::write_fmt(
            note,
            format_args!(
                "control ABI {version}; TX cap {:#x} INTID {}, RX cap {:#x} INTID {}",
                l.tx_cap, l.tx_intid, l.rx_cap, l.rx_intid
            ),
        );
        conformance::install_gic();
        let line = |intid| {
            let line = GIC.line(intid, 0).ok()?;
            line.configure(LineConfig::edge().with_priority(gic::PRIORITY))
                .ok()?;
            Some(line)
        };
        let (Some(tx), Some(rx)) = (line(l.tx_intid), line(l.rx_intid)) else {
            return Err(crate::report::Fail {
                what: "GicLines for both INTIDs",
                got: 0,
                want: 1,
            });
        };
        let depth = core::num::NonZeroU8::new(DEPTH).unwrap_or(core::num::NonZeroU8::MIN);
        let queue = super::BenchQueue::try_duplex(
            gunyah_msgq_hvc::Smccc,
            TxConfig::new(CapId(l.tx_cap), tx, gunyah_msgq::MAX_MSG_SIZE),
            RxConfig::new(CapId(l.rx_cap), rx, depth, gunyah_msgq::MAX_MSG_SIZE),
        )
        .map_err(|_| crate::report::Fail {
            what: "MsgQueue::try_duplex",
            got: 0,
            want: 1,
        })?;
        let installed = super::install(BenchLink {
            queue,
            tx_cap: CapId(l.tx_cap),
            rx_cap: CapId(l.rx_cap),
            tx_intid: l.tx_intid,
            rx_intid: l.rx_intid,
            rx_depth: DEPTH,
        });
        let started = installed.queue.start(|_| {});
        crate::check!(started.is_ok(), "MsgQueue::start");
        irq::unmask();
        link = Some(installed);
        Ok(())
    });
    link
}
