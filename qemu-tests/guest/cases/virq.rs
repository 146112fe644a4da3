//! vIRQs as real interrupts: RX after the peer's send, TX after full → drained, an edge raised
//! while the line is disabled arriving on enable, level re-assertion, spurious injection, and a
//! handler that receives.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::{arm, disarm, link};
use crate::abi::control::{Counters, Line, Setup, SetupFlags};
use crate::control::{self, peer_flush, peer_recv, peer_send};
use crate::hvc::error;
use crate::msgq::{identify_native, recv_native, send_native};
use crate::report::{Fail, Outcome, Report};
use crate::{check, check_eq, gic, irq};

const OK: i32 = 0;
const MSGQUEUE_EMPTY: i32 = 60;
const MSGQUEUE_FULL: i32 = 61;

pub(super) fn run(r: &mut Report) {
    r.case("rx_virq_after_peer_send", rx_virq);
    r.case("tx_virq_after_full_drained", tx_virq_after_full);
    r.case("tx_virq_on_peer_flush", tx_virq_on_flush);
    r.case("masked_edge_delivered_on_enable", masked_edge);
    r.case("disabled_after_injection_waits", disabled_after_injection);
    r.case("level_rx_reasserts_until_drained", level_rx);
    r.case("level_tx_masked_by_handler", level_tx);
    r.case("spurious_rx_virq", spurious);
    r.case("rx_handler_drains_pending", rx_handler_drains);
    r.case("hypercall_counter", hypercall_counter);
    r.case("more_virqs_than_list_registers", overflow);
}

fn counters() -> Result<Counters, Fail> {
    control::counters().map_err(|e| Fail {
        what: "control counters",
        got: e as u64,
        want: 0,
    })
}

fn rx_virq() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let before = arm(&l, Line::Rx, false);
    check_eq!(error(peer_send(b"hi", false)[0]), OK, "peer send");
    // Taken at the first instruction after the control call's `hvc`.
    check_eq!(irq::count(l.rx_intid), before + 1, "RX interrupts taken");
    let c = counters()?;
    check_eq!(c.rx_edges, 1, "RX edges raised");
    check_eq!(c.rx_injected, 1, "RX injections");
    check_eq!(c.tx_edges, 0, "no TX edge");
    disarm(&l);
    Ok(())
}

fn tx_virq_after_full() -> Outcome {
    let l = link(Setup {
        depth: 4,
        ..Setup::DEFAULT
    })?;
    let before = arm(&l, Line::Tx, false);
    for _ in 0..4 {
        check_eq!(error(send_native(l.tx_cap, b"fill", 0, 0)[0]), OK, "fill");
    }
    check_eq!(
        error(send_native(l.tx_cap, b"x", 0, 0)[0]),
        MSGQUEUE_FULL,
        "full"
    );
    check_eq!(
        irq::count(l.tx_intid),
        before,
        "no TX interrupt while filling"
    );
    let mut buf = [0u8; 240];
    check_eq!(error(peer_recv(&mut buf)[0]), OK, "peer takes one");
    check_eq!(
        irq::count(l.tx_intid),
        before + 1,
        "TX interrupt on full → not full"
    );
    for _ in 0..3 {
        check_eq!(error(peer_recv(&mut buf)[0]), OK, "peer drains");
    }
    check_eq!(irq::count(l.tx_intid), before + 1, "one TX edge only");
    check_eq!(counters()?.tx_edges, 1, "TX edges raised");
    disarm(&l);
    Ok(())
}

fn tx_virq_on_flush() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let before = arm(&l, Line::Tx, false);
    check_eq!(error(send_native(l.tx_cap, b"a", 0, 0)[0]), OK, "send");
    check_eq!(peer_flush(), OK, "peer flush");
    check_eq!(
        irq::count(l.tx_intid),
        before + 1,
        "a non-empty flush asserts TX"
    );
    disarm(&l);
    Ok(())
}

fn masked_edge() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    gic::configure(l.rx_intid, true);
    gic::disable(l.rx_intid);
    let before = irq::count(l.rx_intid);
    check_eq!(error(peer_send(b"early", false)[0]), OK, "peer send");
    check!(
        !irq::wait_until(5, || irq::count(l.rx_intid) > before),
        "nothing while disabled"
    );
    let c = counters()?;
    check_eq!(c.rx_edges, 1, "edge raised");
    check_eq!(c.rx_injected, 0, "not injected while disabled");
    gic::enable(l.rx_intid);
    check!(
        irq::wait_until(5, || irq::count(l.rx_intid) > before),
        "delivered on enable"
    );
    check_eq!(irq::count(l.rx_intid), before + 1, "exactly once");
    disarm(&l);
    Ok(())
}

/// Injected while IRQs are masked in PSTATE, then disabled at the GIC before being taken: a
/// disabled INTID is not delivered, and its pending edge arrives once it is enabled again.
fn disabled_after_injection() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let before = arm(&l, Line::Rx, false);
    irq::mask();
    check_eq!(error(peer_send(b"held", false)[0]), OK, "peer send");
    gic::disable(l.rx_intid);
    let _ = identify_native();
    irq::unmask();
    check_eq!(irq::count(l.rx_intid), before, "not taken while disabled");
    gic::enable(l.rx_intid);
    check!(
        irq::wait_until(5, || irq::count(l.rx_intid) > before),
        "taken once enabled"
    );
    check_eq!(irq::count(l.rx_intid), before + 1, "exactly once");
    disarm(&l);
    Ok(())
}

fn level_rx() -> Outcome {
    let flags = SetupFlags {
        rx_level: true,
        ..SetupFlags::default()
    };
    let l = link(Setup {
        flags,
        ..Setup::DEFAULT
    })?;
    let before = arm(&l, Line::Rx, true);
    check_eq!(error(peer_send(b"lvl", false)[0]), OK, "peer send");
    check_eq!(irq::count(l.rx_intid), before + 1, "level RX taken");
    let _ = identify_native();
    check_eq!(
        irq::count(l.rx_intid),
        before + 2,
        "re-asserted while a message is queued"
    );
    let mut buf = [0u8; 240];
    check_eq!(error(recv_native(l.rx_cap, &mut buf, 0)[0]), OK, "receive");
    let _ = identify_native();
    check_eq!(irq::count(l.rx_intid), before + 2, "quiet once drained");
    disarm(&l);
    Ok(())
}

static LEVEL_TX_INTID: AtomicU32 = AtomicU32::new(0);

/// What the core does with a level TX line while Ready: mask it.
fn mask_tx(intid: u32) {
    if intid == LEVEL_TX_INTID.load(Ordering::SeqCst) {
        gic::disable(intid);
    }
}

fn level_tx() -> Outcome {
    let flags = SetupFlags {
        tx_level: true,
        ..SetupFlags::default()
    };
    let l = link(Setup {
        flags,
        ..Setup::DEFAULT
    })?;
    LEVEL_TX_INTID.store(l.tx_intid, Ordering::SeqCst);
    irq::set_hook(Some(mask_tx));
    let before = arm(&l, Line::Tx, true);
    // The queue has room: the level holds, so the next trap delivers it.
    let _ = identify_native();
    check_eq!(
        irq::count(l.tx_intid),
        before + 1,
        "level TX fires while there is room"
    );
    check!(!gic::enabled(l.tx_intid), "handler masked it");
    let _ = identify_native();
    check_eq!(irq::count(l.tx_intid), before + 1, "masked: no storm");
    disarm(&l);
    Ok(())
}

fn spurious() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let before = arm(&l, Line::Rx, false);
    check!(control::spurious(Line::Rx).is_ok(), "control spurious");
    check_eq!(irq::count(l.rx_intid), before + 1, "spurious RX taken");
    let mut buf = [0u8; 240];
    check_eq!(
        error(recv_native(l.rx_cap, &mut buf, 0)[0]),
        MSGQUEUE_EMPTY,
        "nothing queued"
    );
    let c = counters()?;
    check_eq!(c.rx_edges, 0, "spurious: no edge raised");
    check_eq!(c.rx_injected, 1, "spurious: injected once");
    disarm(&l);
    Ok(())
}

static DRAIN_CAP: AtomicU64 = AtomicU64::new(0);
static DRAINED: AtomicU32 = AtomicU32::new(0);

/// An RX handler: receive until EMPTY (one edge per empty → non-empty).
fn drain(_intid: u32) {
    let mut buf = [0u8; 240];
    for _ in 0..16 {
        let x = recv_native(DRAIN_CAP.load(Ordering::SeqCst), &mut buf, 0);
        if error(x[0]) != OK {
            return;
        }
        DRAINED.fetch_add(1, Ordering::SeqCst);
    }
}

fn rx_handler_drains() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    DRAIN_CAP.store(l.rx_cap, Ordering::SeqCst);
    DRAINED.store(0, Ordering::SeqCst);
    irq::set_hook(Some(drain));
    let before = arm(&l, Line::Rx, false);
    irq::mask();
    for m in [&b"one"[..], b"two", b"three"] {
        check_eq!(error(peer_send(m, false)[0]), OK, "peer send while masked");
    }
    irq::unmask();
    check_eq!(
        irq::count(l.rx_intid),
        before + 1,
        "one interrupt for three messages"
    );
    check_eq!(
        DRAINED.load(Ordering::SeqCst),
        3,
        "the handler received all three"
    );
    check_eq!(counters()?.rx_edges, 1, "one edge (empty → non-empty)");
    disarm(&l);
    Ok(())
}

fn hypercall_counter() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let mut buf = [0u8; 240];
    let _ = send_native(l.tx_cap, b"a", 0, 0);
    let _ = send_native(l.tx_cap, b"b", 0, 1);
    let _ = recv_native(l.rx_cap, &mut buf, 0);
    let _ = identify_native();
    let c = counters()?;
    check_eq!(
        c.hypercalls,
        3,
        "msgq calls counted (identify and control calls are not)"
    );
    check!(c.traps >= 4, "traps counted");
    Ok(())
}

/// Six INTIDs pending at once on a CPU with four list registers: the model's overflow queue
/// holds the rest until list registers free up (at the next trap after the guest's EOIs).
fn overflow() -> Outcome {
    const IDS: [u32; 6] = [240, 241, 242, 243, 244, 245];
    let _ = link(Setup::DEFAULT)?;
    irq::mask();
    let mut before = [0; 6];
    for (i, &id) in IDS.iter().enumerate() {
        gic::configure(id, true);
        gic::enable(id);
        before[i] = irq::count(id);
        check!(
            control::spurious_intid(id).is_ok(),
            "control spurious INTID"
        );
    }
    irq::unmask();
    let all = || {
        IDS.iter()
            .zip(before)
            .all(|(&id, b)| irq::count(id) == b + 1)
    };
    let delivered = irq::wait_until(10, all);
    for id in IDS {
        gic::disable(id);
    }
    check!(delivered, "every INTID taken exactly once");
    Ok(())
}
