//! The bench on the primary-VM contract (`shared/gunyah-real/README.md`): booted as a raw
//! binary with a device tree in x0, the RM link read from it, no control calls; so the same
//! image runs on the model's primary-VM variant and under a real Gunyah build. The set-up is
//! the primary-VM image's own ([`crate::primary::boot_checks`], [`crate::primary::gic_check`],
//! [`gic_up::line`]); the queue is the bench's (`Smccc` without the counting wrapper).
//!
//! The peer is the resource manager: every message sent is a one-fragment `VM_GET_VMID`
//! request (8 bytes, zero-padded to the row's size; the model's RM reads the header only, the
//! real one may answer a padded request with an RM error, still one reply), and each request
//! gets one reply (16 bytes: `VM_GET_VMID`'s). So:
//!
//! - `try_send` 8, 64, 240 (the link's maximum): IRQs masked; the send timed; then
//!   (untimed) wait for the reply's pending vIRQ, receive it raw, acknowledge the vIRQ by hand.
//!   The core's critical sections find IRQs already masked here (the nested path, which skips
//!   the `msr daifclr`), unlike the model image's `try_send`;
//! - `try_recv` 16: IRQs masked; a request sent and its reply's vIRQ awaited (untimed), then
//!   one receive timed, the vIRQ acknowledged by hand (IRQs masked too);
//! - `rx_irq_1` 16: the RX handler timed inside the real interrupt of one reply;
//! - `rx_irq_8` 16: 8 requests with IRQs masked, then one interrupt drains the 8 replies
//!   (if the RM has answered them all: the row's check fails otherwise);
//! - `round_trip` 8: one `VM_GET_VMID` request sent, its reply taken by the RX interrupt and
//!   drained: from before the send to after the handler.

use gunyah_msgq::{RxConfig, SendFlags, TxConfig};

use super::{BenchLink, Got, Sent, Table, spin_until, timed};
use crate::abi::rm::{self, Header};
use crate::primary::gic_up;
use crate::report::{Fail, Report};
use crate::{check, irq};

/// Request sizes of the `try_send` rows (all within the RM link's 240).
const SIZES: [usize; 3] = [8, 64, 240];
/// The reply's size (`VM_GET_VMID`: header, RM error, VMID).
const REPLY_LEN: usize = 16;
/// How long a reply may take. The model answers within the send's trap; the real RM once took
/// about a second.
const REPLY_MS: u64 = 3000;
/// Requests `rx_irq_8` sends before letting the interrupt in (the link's depth).
const MANY: usize = 8;

/// A `VM_GET_VMID` request followed by zeros: the first `size` bytes are a request of that
/// size.
fn request() -> [u8; rm::MSG_SIZE] {
    let mut m = [0; rm::MSG_SIZE];
    m[..rm::HEADER_LEN].copy_from_slice(&Header::request(0x42, rm::VM_GET_VMID).encode());
    m
}

/// The image: the primary-VM set-up checks, every row, the table; the exit status.
#[must_use]
pub fn main() -> u32 {
    super::clock::init();
    let mut r = Report::new();
    let (tree, config) = crate::primary::boot_checks(&mut r);
    let gic_ok = crate::primary::gic_check(&mut r, tree);
    let mut link = None;
    r.check("bench/primary queue_from_tree", |note| {
        let (Some(c), true) = (config, gic_ok) else {
            return Err(Fail {
                what: "the RM node and the GIC (see above)",
                got: 0,
                want: 1,
            });
        };
        let lines = gic_up::line(c.tx.intid, c.tx.trigger)
            .and_then(|tx| Ok((tx, gic_up::line(c.rx.intid, c.rx.trigger)?)));
        let (tx, rx) = lines.map_err(|e| {
            let _ = core::fmt::Write::write_fmt(note, format_args!("{e:?}"));
            Fail {
                what: "GicLine for both INTIDs",
                got: 0,
                want: 1,
            }
        })?;
        let mut txc = TxConfig::new(c.tx.cap, tx, c.tx.msg_size);
        txc.trigger = c.tx.trigger;
        let queue = super::BenchQueue::try_duplex(
            gunyah_msgq_hvc::Smccc,
            txc,
            RxConfig::new(c.rx.cap, rx, c.rx.depth, c.rx.msg_size),
        )
        .map_err(|_| Fail {
            what: "MsgQueue::try_duplex with the tree's sizes",
            got: 0,
            want: 1,
        })?;
        let installed = super::install(BenchLink {
            queue,
            tx_cap: c.tx.cap,
            rx_cap: c.rx.cap,
            tx_intid: c.tx.intid,
            rx_intid: c.rx.intid,
            rx_depth: c.rx.depth.get(),
        });
        check!(installed.queue.start(|_| {}).is_ok(), "MsgQueue::start");
        let _ = core::fmt::Write::write_fmt(
            note,
            format_args!(
                "TX cap {} INTID {} {} B, RX cap {} INTID {} depth {}",
                c.tx.cap.0, c.tx.intid, c.tx.msg_size, c.rx.cap.0, c.rx.intid, c.rx.depth
            ),
        );
        link = Some(installed);
        Ok(())
    });
    let Some(link) = link else {
        return r.finish();
    };
    let max = link.queue.tx_max_msg_size().unwrap_or(0);
    let mut t = Table::new("primary");

    irq::mask();
    for size in SIZES.into_iter().filter(|&s| s <= max) {
        let m = request();
        let m = &m[..size];
        t.row(
            &mut r,
            "try_send",
            size,
            || send(link, m, super::core_send),
            || send(link, m, super::raw_send),
        );
    }
    t.row(
        &mut r,
        "try_recv",
        REPLY_LEN,
        || recv(link, super::core_recv),
        || recv(link, super::raw_recv),
    );
    irq::unmask();

    let one = || rx_irq(link, 1);
    t.row(&mut r, "rx_irq_1", REPLY_LEN, one, one);
    let many = || rx_irq(link, MANY);
    t.row(&mut r, "rx_irq_8", REPLY_LEN, many, many);
    t.row(
        &mut r,
        "round_trip",
        rm::HEADER_LEN,
        || trip(link, super::core_send),
        || trip(link, super::raw_send),
    );

    super::check_stats_clean(&mut r, link, gic_up::GIC.faults());
    t.print("RM link: each request is answered by the RM (the model's: within the send's trap)");
    r.finish()
}

/// With IRQs masked: waits for the reply's vIRQ, receives every reply waiting (raw, untimed)
/// and acknowledges the vIRQ by hand. The replies received.
fn take_replies(link: &BenchLink) -> usize {
    if !spin_until(REPLY_MS, super::irq_pending) {
        return 0;
    }
    let mut buf = [0u8; gunyah_msgq::MAX_MSG_SIZE];
    let mut n = 0;
    while let Got::Msg(_) = super::raw_recv(link, &mut buf) {
        n += 1;
    }
    let _ = super::ack_by_hand();
    n
}

/// IRQs masked: one request sent, timed; its reply taken (untimed).
fn send(link: &BenchLink, m: &[u8], f: fn(&BenchLink, &[u8], SendFlags) -> Sent) -> Option<u64> {
    let (ticks, sent) = timed(|| f(link, m, SendFlags::PUSH));
    let replies = take_replies(link);
    (matches!(sent, Sent::Sent(_)) && replies == 1).then_some(ticks)
}

/// IRQs masked: a request sent and its reply's vIRQ awaited (untimed); one receive timed; the
/// vIRQ acknowledged by hand.
fn recv(link: &BenchLink, f: fn(&BenchLink, &mut [u8]) -> Got) -> Option<u64> {
    let mut buf = [0u8; gunyah_msgq::MAX_MSG_SIZE];
    let m = request();
    let sent = super::raw_send(link, &m[..rm::HEADER_LEN], SendFlags::PUSH);
    if !matches!(sent, Sent::Sent(_)) || !spin_until(REPLY_MS, super::irq_pending) {
        return None;
    }
    let (ticks, got) = timed(|| f(link, &mut buf));
    let _ = super::ack_by_hand();
    (got == Got::Msg(REPLY_LEN)).then_some(ticks)
}

/// `n` requests with IRQs masked, their replies awaited, then the interrupt let in: the RX
/// handler's own ticks, if it drained all `n` replies.
fn rx_irq(link: &BenchLink, n: usize) -> Option<u64> {
    let m = request();
    let (runs, delivered) = (super::runs(), super::delivered());
    irq::mask();
    let mut sent = 0u32;
    for _ in 0..n {
        if matches!(
            super::raw_send(link, &m[..rm::HEADER_LEN], SendFlags::PUSH),
            Sent::Sent(_)
        ) {
            sent += 1;
        }
    }
    let pending = spin_until(REPLY_MS, super::irq_pending);
    // Give a real RM time to answer the rest (the model has answered every one already).
    if n > 1 {
        let _ = spin_until(2, || false);
    }
    irq::unmask();
    let ran = spin_until(REPLY_MS, || super::runs() != runs);
    let (ticks, first) = super::last_run();
    // Whatever the first drain left comes by later interrupts: wait for it, so the next
    // iteration starts from an empty queue.
    let all = spin_until(REPLY_MS, || super::delivered() - delivered >= sent);
    (sent as usize == n && pending && ran && all && first as usize == n).then_some(ticks)
}

/// One `VM_GET_VMID` request sent and its reply drained by the RX interrupt, timed together.
fn trip(link: &BenchLink, f: fn(&BenchLink, &[u8], SendFlags) -> Sent) -> Option<u64> {
    let m = request();
    let before = super::runs();
    let (ticks, (sent, arrived)) = timed(|| {
        let sent = f(link, &m[..rm::HEADER_LEN], SendFlags::PUSH);
        (sent, spin_until(REPLY_MS, || super::runs() != before))
    });
    let ok = matches!(sent, Sent::Sent(_))
        && arrived
        && super::last_run().1 == 1
        && super::last_len() as usize == REPLY_LEN;
    ok.then_some(ticks)
}
