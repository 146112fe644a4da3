//! The RM calls again, through `gunyah-rm-rpc`'s `AsyncClient` over a
//! `gunyah_msgq::AsyncQueue` on the same RM link, so the async API runs unchanged against the
//! resource manager: the synchronous queue is shut down, the link handed over
//! ([`async_link`](super::async_link)), and each call runs on the async image's `wfi` executor
//! ([`block_on`]) with its generic-timer delay ([`TimerDelay`]).
//!
//! Each case checks that the reply came by one RX interrupt, and that the executor waited
//! without spinning hypercalls: one send, then at most one receive per poll, and no poll but
//! the first without a wake (an interrupt) or a passed deadline. The client's wait step is
//! [`STEP_US`], so a receive is restarted on a deadline at most once a second; between polls
//! the executor only sleeps (`wfi`).

use core::fmt::Write;

use gunyah_msgq::{Error, SendFlags, TxState};
use gunyah_rm_rpc::{AsyncClient, ClientConfig, ClientStats, RmError, RpcError};

use super::async_link::{self, AsyncLink, AsyncRmQueue};
use super::gic_up::{self, GIC};
use super::inbox;
use super::link::Link;
use super::link_cases::{others, same_queue};
use super::rpc::{OnNotification, REPLY_BUF};
use crate::abi::rm;
use crate::async_guest::executor::{self, Stats, block_on};
use crate::async_guest::timer::TimerDelay;
use crate::report::{Fail, Note, Outcome, Report};
use crate::{check, check_eq, irq};

/// A msg_id no RM implements (as in the synchronous case).
const UNKNOWN_MSG_ID: u32 = 0x7E57_0001;
/// The client's wait step: a receive restarted on a deadline at most once a second (a lost
/// RX edge costs at most that), the 5 s timeout kept.
pub const STEP_US: u32 = 1_000_000;
/// Sleep rounds a call may take before the case fails as stalled: more than the client's
/// 5 s timeout takes in `wfi` traps under the model, so the client's timeout ends a lost reply.
const MAX_ROUNDS: u32 = 5_000_000;
/// Replies the async cases expect (three calls).
const REPLIES: u32 = 3;

/// The async client of the resource manager.
type AsyncRmClient = AsyncClient<&'static AsyncRmQueue, TimerDelay, OnNotification, REPLY_BUF>;

/// What the cases share.
struct Ctx {
    link: &'static AsyncLink,
    rm: AsyncRmClient,
    tree_vmid: Option<u32>,
    vmid: Option<u16>,
}

type Case = fn(&mut Ctx, &mut Note) -> Outcome;

fn fail(what: &'static str) -> Fail {
    Fail {
        what,
        got: 0,
        want: 1,
    }
}

/// Hands the link over, then runs the async cases (each fails at once without the handover).
pub fn run(r: &mut Report, link: Option<&'static Link>, tree_vmid: Option<u32>) {
    let mut cx = None;
    r.check("rm_link_handover_to_async_queue", |note| {
        let link = link.ok_or(fail("the RM link (see queue_from_tree)"))?;
        let alink = handover(link, note)?;
        let config = ClientConfig::new()
            .with_tx_max_msg_size(alink.config.tx.msg_size)
            .with_poll_us(STEP_US);
        let ignore: OnNotification = |_| {};
        cx = Some(Ctx {
            link: alink,
            rm: AsyncClient::new(&alink.queue, TimerDelay, config, ignore),
            tree_vmid,
            vmid: None,
        });
        Ok(())
    });
    let cases: [(&str, Case); 4] = [
        ("rm_rpc_async_vm_get_vmid", vm_get_vmid),
        ("rm_rpc_async_unknown_call_is_rm_error", unknown_call),
        ("rm_rpc_async_vm_get_hyp_resources", hyp_resources),
        ("rm_rpc_async_interrupts_and_counters", counters),
    ];
    for (name, case) in cases {
        r.check(name, |note| match cx.as_mut() {
            Some(cx) => case(cx, note),
            None => Err(fail("the async link (see rm_link_handover_to_async_queue)")),
        });
    }
}

/// Shuts the synchronous queue down (lines masked, closed; what the hypervisor queues hold
/// stays there), builds the async queue on the same capabilities and INTIDs and starts it.
fn handover(link: &'static Link, note: &mut Note) -> Result<&'static AsyncLink, Fail> {
    link.queue.shutdown();
    let closed = link.queue.try_send(&[0], SendFlags::PUSH);
    let config = link.config;
    let lines = gic_up::line(config.tx.intid, config.tx.trigger)
        .and_then(|tx| Ok((tx, gic_up::line(config.rx.intid, config.rx.trigger)?)));
    let (tx, rx) = lines.map_err(|e| {
        let _ = write!(note, "{e:?}");
        fail("GicLine for both INTIDs")
    })?;
    let alink = async_link::install(config, tx, rx).map_err(|e| {
        let _ = write!(note, "{e:?}");
        fail("AsyncQueue on MsgQueue::try_duplex with the tree's sizes")
    })?;
    let started = alink.queue.start();
    let _ = write!(
        note,
        "sync: {:?}, send {closed:?}, inbox {}; async start: {started:?}, TX max {:?}",
        link.queue.tx_state(),
        inbox::pending(),
        alink.queue.tx_max_msg_size()
    );
    check!(
        link.queue.tx_state() == TxState::Closed,
        "sync queue closed"
    );
    check!(closed == Err(Error::Closed), "sync send after shutdown");
    check_eq!(inbox::pending(), 0, "messages left in the sync inbox");
    check!(started.is_ok(), "AsyncQueue::start");
    check_eq!(
        alink.queue.hypercall().calls(),
        0,
        "hypercalls (start makes none)"
    );
    Ok(alink)
}

/// Interrupts, hypercalls and client counters around one call.
struct Span {
    rx: u32,
    tx: u32,
    calls: u32,
    stats: ClientStats,
}

impl Span {
    fn start(cx: &Ctx) -> Span {
        Span {
            rx: irq::count(cx.link.config.rx.intid),
            tx: irq::count(cx.link.config.tx.intid),
            calls: cx.link.queue.hypercall().calls(),
            stats: cx.rm.stats(),
        }
    }

    /// The call's reply (one fragment) came by one RX interrupt (at least one if other
    /// messages came too), and the executor waited without spinning: one send hypercall and
    /// at most one receive per poll; every poll after the first had a wake or a deadline
    /// behind it. Notes the counts.
    fn check(self, cx: &Ctx, exec: Option<Stats>, note: &mut Note) -> Outcome {
        let rx = irq::count(cx.link.config.rx.intid) - self.rx;
        let tx = irq::count(cx.link.config.tx.intid) - self.tx;
        let calls = cx.link.queue.hypercall().calls() - self.calls;
        let s = cx.rm.stats();
        let other = others(&s) - others(&self.stats);
        let Some(e) = exec else {
            let _ = write!(note, "; stalled after {calls} hypercalls");
            return Err(fail("block_on completes"));
        };
        let _ = write!(
            note,
            "; {} polls, {} sleep rounds, {} hypercalls, RX interrupts {rx}, other {other}",
            e.polls, e.rounds, calls
        );
        check_eq!(s.replies - self.stats.replies, 1, "replies matched");
        if other == 0 {
            check_eq!(rx, 1, "RX interrupts taken");
        } else {
            check!(rx >= 1, "RX interrupts taken");
        }
        check!(e.polls >= 1, "polled");
        check!(
            e.polls - 1 <= rx + tx + e.deadline_polls,
            "every poll after the first had a wake or a deadline"
        );
        check!(calls >= 2, "a send and a receive hypercall");
        check!(
            calls <= 1 + e.polls,
            "one send, at most one receive per poll"
        );
        Ok(())
    }
}

/// `VM_GET_VMID` through the async client: VMID 3, the tree's `qcom,vmid`.
fn vm_get_vmid(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let span = Span::start(cx);
    let done = block_on(cx.rm.vm_get_vmid(), |_| {}, MAX_ROUNDS);
    let (got, exec) = match done {
        Ok((got, stats)) => (Some(got), Some(stats)),
        Err(executor::Stalled(_)) => (None, None),
    };
    let _ = write!(note, "{got:?}, tree qcom,vmid {:?}", cx.tree_vmid);
    span.check(cx, exec, note)?;
    let vmid = got
        .and_then(Result::ok)
        .ok_or(fail("VM_GET_VMID answered"))?;
    cx.vmid = Some(vmid);
    check_eq!(vmid, rm::PRIMARY_VMID, "VMID");
    check!(
        cx.tree_vmid == Some(u32::from(vmid)),
        "the tree's qcom,vmid"
    );
    Ok(())
}

/// A msg_id no RM implements, through the async client: the typed RM error `Unimplemented`.
fn unknown_call(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let span = Span::start(cx);
    let done = block_on(
        async { cx.rm.call(UNKNOWN_MSG_ID, &[]).await.map(<[u8]>::len) },
        |_| {},
        MAX_ROUNDS,
    );
    let (got, exec) = match done {
        Ok((got, stats)) => (Some(got), Some(stats)),
        Err(executor::Stalled(_)) => (None, None),
    };
    let _ = write!(note, "msg_id {UNKNOWN_MSG_ID:#x}: {got:?}");
    span.check(cx, exec, note)?;
    check!(
        got == Some(Err(RpcError::Rm(RmError::Unimplemented))),
        "Err(RpcError::Rm(RmError::Unimplemented))"
    );
    Ok(())
}

/// `VM_GET_HYP_RESOURCES` for the VMID the async `VM_GET_VMID` gave: one `LinkDesc` equal
/// to the tree's RM node, as in the synchronous case.
fn hyp_resources(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let vmid = cx
        .vmid
        .ok_or(fail("the VMID (see rm_rpc_async_vm_get_vmid)"))?;
    let span = Span::start(cx);
    let config = cx.link.config;
    let done = block_on(
        async {
            let resources = cx.rm.vm_get_hyp_resources(vmid).await?;
            let mut links = resources.msgq_links();
            let first = links.next();
            Ok::<_, RpcError<Error>>((resources.len(), first, 1 + links.count()))
        },
        |_| {},
        MAX_ROUNDS,
    );
    let (got, exec) = match done {
        Ok((got, stats)) => (Some(got), Some(stats)),
        Err(executor::Stalled(_)) => (None, None),
    };
    match &got {
        Some(Ok((entries, Some(Ok(l)), _))) => {
            let _ = write!(
                note,
                "VMID {vmid}: {entries} entries, link label {}",
                l.label
            );
        }
        other => {
            let _ = write!(note, "VMID {vmid}: {other:?}");
        }
    }
    span.check(cx, exec, note)?;
    let (entries, first, count) = got
        .and_then(Result::ok)
        .ok_or(fail("VM_GET_HYP_RESOURCES answered"))?;
    check_eq!(entries, 2, "entries (the link's TX and RX queues)");
    let Some(Ok(link)) = first else {
        return Err(fail("a valid msgq link"));
    };
    check_eq!(count, 1, "msgq links");
    same_queue(link.tx, &config.tx, "TX queue = the tree's")?;
    same_queue(link.rx, &config.rx, "RX queue = the tree's")
}

/// After the async calls: the async queue's and client's counters (3 requests, 3 replies by
/// RX interrupt, no TX interrupt, no timeout, no fault).
fn counters(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let s = cx.link.queue.stats();
    let c = cx.rm.stats();
    let other = others(&c);
    let tx = irq::count(cx.link.config.tx.intid);
    let _ = write!(
        note,
        "{s:?}; TX INTID {tx}x; client: {} requests, {} replies, {} timeouts, other {other}; hypercalls {}",
        c.requests,
        c.replies,
        c.timeouts,
        cx.link.queue.hypercall().calls()
    );
    check_eq!(c.requests, REPLIES, "client requests");
    check_eq!(c.replies, REPLIES, "client replies");
    check_eq!(c.timeouts, 0, "client timeouts");
    check_eq!(c.aborted, 0, "client aborted messages");
    check_eq!(s.sent, REPLIES, "messages sent");
    check_eq!(s.received, REPLIES + other, "messages received");
    check_eq!(s.faults, 0, "faults");
    check_eq!(tx, 0, "TX interrupts since boot");
    check!(cx.link.queue.tx_state() == TxState::Ready, "TX state Ready");
    check_eq!(GIC.faults(), 0, "GIC line faults");
    Ok(())
}
