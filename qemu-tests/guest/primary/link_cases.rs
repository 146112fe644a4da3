//! Checks on the RM link, all through `gunyah-msgq`'s `MsgQueue`: sizes the core refuses
//! before any hypercall, EMPTY as the `Empty` outcome; the RM calls through `gunyah-rm-rpc`'s
//! `Client` (`VM_GET_VMID`, an unknown msg_id, `VM_GET_HYP_RESOURCES`), their replies taken by
//! the RX interrupt handler; a reply's edge held while the RX line is disabled; and the
//! capability errors (50: a capability that names nothing; 53: a capability without the
//! right) as typed `Error::Hypervisor`.

use core::fmt::{Debug, Write};

use gunyah_msgq::{
    CapId, Error, GunyahError, IrqLine, MAX_MSG_SIZE, MsgQueue, QueueDesc, RecvOutcome, RxConfig,
    SendFlags, TxConfig,
};
use gunyah_msgq_hvc::Smccc;
use gunyah_rm_rpc::{ClientStats, Header, MsgType, RmError, RpcError};

use super::counted::Counted;
use super::gic_up::GIC;
use super::inbox;
use super::link::Link;
use super::rm_node::Side;
use super::rpc::{self, RmClient};
use crate::abi::rm;
use crate::report::{Fail, Note, Outcome, Report};
use crate::{check, check_eq, irq};

/// A capability no tree names (the model's and, it is assumed, the real cspace's).
const BAD_CAP: CapId = CapId(0xDEAD_0001);
/// A msg_id no RM implements.
const UNKNOWN_MSG_ID: u32 = 0x7E57_0001;
/// The seq of the request sent while the RX line is disabled (outside the client's, which
/// count from 0).
const SEQ_MASKED: u16 = 0x8003;
/// How many interrupts (or returns from `wfi`) the reply to that request may take.
const WAKEUPS: u32 = 1000;
/// How many other messages may come before it.
const MAX_SKIPPED: u32 = 16;
/// Replies the cases expect (one per request: three calls and the masked request).
const REPLIES: u32 = 4;

/// What the cases share: the link, the RM client on it, what the tree and the calls said.
pub struct Ctx {
    link: &'static Link,
    rm: RmClient,
    /// `qcom,vmid` of the tree's `qcom,gunyah-vm` node.
    tree_vmid: Option<u32>,
    /// What `VM_GET_VMID` answered.
    vmid: Option<u16>,
    /// Messages the masked-edge case received that were not its reply.
    skipped: u32,
}

/// One case on the link.
type Case = fn(&mut Ctx, &mut Note) -> Outcome;

/// Runs every case (each fails at once without a link). `tree_vmid`: the tree's `qcom,vmid`.
pub fn run(r: &mut Report, link: Option<&'static Link>, tree_vmid: Option<u32>) {
    let mut cx = link.map(|link| Ctx {
        link,
        rm: rpc::client(link),
        tree_vmid,
        vmid: None,
        skipped: 0,
    });
    let cases: [(&str, Case); 11] = [
        ("send_size_0_refused_before_hvc", size_0),
        ("send_size_241_refused_before_hvc", oversize),
        ("receive_on_empty_is_empty_60", receive_empty),
        ("rm_rpc_vm_get_vmid", vm_get_vmid),
        ("rm_rpc_unknown_call_is_rm_error", unknown_call),
        ("rm_rpc_vm_get_hyp_resources", hyp_resources),
        ("rx_edge_while_line_disabled_arrives_on_enable", masked_edge),
        ("bad_cap_is_cspace_cap_null_50", bad_cap),
        ("send_on_rx_cap_is_insufficient_rights_53", send_on_rx_cap),
        (
            "receive_on_tx_cap_is_insufficient_rights_53",
            receive_on_tx_cap,
        ),
        ("interrupts_and_counters", counters),
    ];
    for (name, case) in cases {
        r.check(name, |note| match cx.as_mut() {
            Some(cx) => case(cx, note),
            None => Err(Fail {
                what: "the RM link (see queue_from_tree)",
                got: 0,
                want: 1,
            }),
        });
    }
}

/// A line for queues that are never started: their lines are never touched.
#[derive(Clone, Copy, Debug)]
struct NoLine;

impl IrqLine for NoLine {
    fn enable(&self) {}
    fn disable(&self) {}
}

/// A queue on other capabilities than the link's, with the link's sizes.
fn other_queue(
    link: &Link,
    tx: CapId,
    rx: CapId,
) -> Result<MsgQueue<Counted<Smccc>, NoLine, MAX_MSG_SIZE>, Fail> {
    let c = link.config;
    MsgQueue::try_duplex(
        Counted::new(Smccc),
        TxConfig::new(tx, NoLine, c.tx.msg_size),
        RxConfig::new(rx, NoLine, c.rx.depth, c.rx.msg_size),
    )
    .map_err(|_| Fail {
        what: "MsgQueue::try_duplex",
        got: 0,
        want: 1,
    })
}

/// Fails unless `got` is `Err(want)`; notes what came.
fn expect_err<T: Debug>(got: Result<T, Error>, want: Error, note: &mut Note) -> Outcome {
    let _ = write!(note, "{got:?}");
    check!(got.err() == Some(want), "the expected typed error");
    Ok(())
}

fn size_0(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let link = cx.link;
    let calls = link.queue.hypercall().calls();
    expect_err(
        link.queue.try_send(&[], SendFlags::PUSH),
        Error::EmptyMessage,
        note,
    )?;
    check_eq!(link.queue.hypercall().calls(), calls, "hypercalls made");
    Ok(())
}

fn oversize(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let link = cx.link;
    let max = link.queue.tx_max_msg_size().unwrap_or(0);
    let msg = [0x21; MAX_MSG_SIZE + 1];
    let calls = link.queue.hypercall().calls();
    expect_err(
        link.queue.try_send(&msg[..max + 1], SendFlags::PUSH),
        Error::MessageTooLarge { len: max + 1, max },
        note,
    )?;
    check_eq!(link.queue.hypercall().calls(), calls, "hypercalls made");
    Ok(())
}

fn receive_empty(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let link = cx.link;
    let mut buf = [0; MAX_MSG_SIZE];
    let calls = link.queue.hypercall().calls();
    let got = link.queue.try_recv(&mut buf);
    let _ = write!(note, "{got:?}");
    check!(got == Ok(RecvOutcome::Empty), "Ok(Empty)");
    check_eq!(link.queue.hypercall().calls(), calls + 1, "hypercalls made");
    Ok(())
}

/// Messages the client took that were no reply of its own: notifications, late replies,
/// dropped frames.
pub(super) fn others(s: &ClientStats) -> u32 {
    s.notifications + s.late_replies + s.dropped
}

/// RX interrupts and client counters around one call.
struct Span {
    rx: u32,
    stats: ClientStats,
}

impl Span {
    fn start(cx: &Ctx) -> Span {
        Span {
            rx: irq::count(cx.link.config.rx.intid),
            stats: cx.rm.stats(),
        }
    }

    /// The call's reply (one fragment) came by one RX interrupt, at least one if other
    /// messages came too; notes the counts.
    fn check(self, cx: &Ctx, note: &mut Note) -> Outcome {
        let taken = irq::count(cx.link.config.rx.intid) - self.rx;
        let s = cx.rm.stats();
        let other = others(&s) - others(&self.stats);
        let _ = write!(note, "; RX interrupts {taken}, other messages {other}");
        check_eq!(s.replies - self.stats.replies, 1, "replies matched");
        if other == 0 {
            check_eq!(taken, 1, "RX interrupts taken");
        } else {
            check!(taken >= 1, "RX interrupts taken");
        }
        Ok(())
    }
}

/// `VM_GET_VMID` through the client: VMID 3, the tree's `qcom,vmid`.
fn vm_get_vmid(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let span = Span::start(cx);
    let got = cx.rm.vm_get_vmid();
    let _ = write!(note, "{got:?}, tree qcom,vmid {:?}", cx.tree_vmid);
    span.check(cx, note)?;
    let vmid = got.map_err(|_| Fail {
        what: "VM_GET_VMID answered",
        got: 0,
        want: 1,
    })?;
    cx.vmid = Some(vmid);
    check_eq!(vmid, rm::PRIMARY_VMID, "VMID");
    check!(
        cx.tree_vmid == Some(u32::from(vmid)),
        "the tree's qcom,vmid"
    );
    Ok(())
}

/// A msg_id no RM implements, through the client: the typed RM error `Unimplemented`
/// (error word 0xFFFFFFFF).
fn unknown_call(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let span = Span::start(cx);
    let got = cx.rm.call(UNKNOWN_MSG_ID, &[]).map(<[u8]>::len);
    let _ = write!(note, "msg_id {UNKNOWN_MSG_ID:#x}: {got:?}");
    span.check(cx, note)?;
    check!(
        got == Err(RpcError::Rm(RmError::Unimplemented)),
        "Err(RpcError::Rm(RmError::Unimplemented))"
    );
    check_eq!(
        RmError::Unimplemented.word(),
        rm::RM_ERROR_UNIMPLEMENTED,
        "its RM error word"
    );
    Ok(())
}

/// Fails unless the queue `got` (from `VM_GET_HYP_RESOURCES`) is the tree's `want`.
pub(super) fn same_queue(got: Option<QueueDesc>, want: &Side, what: &'static str) -> Outcome {
    let Some(q) = got else {
        return Err(Fail {
            what,
            got: 0,
            want: 1,
        });
    };
    check_eq!(q.cap.0, want.cap.0, what);
    check_eq!(q.intid, want.intid, what);
    check!(q.trigger == want.trigger, what);
    check_eq!(q.max_msg_size, want.msg_size, what);
    check_eq!(q.depth.get(), want.depth.get(), what);
    Ok(())
}

/// `VM_GET_HYP_RESOURCES` for the VMID `VM_GET_VMID` gave, through the client: the RM link's
/// two queues, paired into one `LinkDesc` equal to the tree's RM node.
fn hyp_resources(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let vmid = cx.vmid.ok_or(Fail {
        what: "the VMID (see rm_rpc_vm_get_vmid)",
        got: 0,
        want: 1,
    })?;
    let span = Span::start(cx);
    let config = cx.link.config;
    let (links, entries) = match cx.rm.vm_get_hyp_resources(vmid) {
        Ok(resources) => {
            let _ = write!(note, "VMID {vmid}: {} entries:", resources.len());
            for e in resources.iter() {
                let _ = write!(
                    note,
                    " {:?} cap {} vIRQ {} label {} partner {:#x};",
                    e.kind, e.cap.0, e.virq, e.label, e.partner_vmid
                );
            }
            let mut links = resources.msgq_links();
            let first = links.next();
            if let Some(Ok(l)) = first {
                let _ = write!(note, " link label {}", l.label);
            }
            (first.map(|l| (l, 1 + links.count())), resources.len())
        }
        Err(e) => {
            let _ = write!(note, "VMID {vmid}: {e:?}");
            span.check(cx, note)?;
            return Err(Fail {
                what: "VM_GET_HYP_RESOURCES answered",
                got: 0,
                want: 1,
            });
        }
    };
    span.check(cx, note)?;
    check_eq!(entries, 2, "entries (the link's TX and RX queues)");
    let Some((Ok(link), count)) = links else {
        return Err(Fail {
            what: "a valid msgq link",
            got: 0,
            want: 1,
        });
    };
    check_eq!(count, 1, "msgq links");
    same_queue(link.tx, &config.tx, "TX queue = the tree's")?;
    same_queue(link.rx, &config.rx, "RX queue = the tree's")
}

/// The RX line disabled (a second `GicLine` on the same INTID): the reply's edge waits in the
/// distributor, no interrupt is taken, and it arrives when the line is enabled again (what
/// `IrqLine::enable` promises the core). The request goes out directly on the queue (the
/// client would wait for its reply); its header and the reply's are the library's.
fn masked_edge(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let link = cx.link;
    let rx = link.config.rx.intid;
    let line = GIC.line(rx, 0).map_err(|e| {
        let _ = write!(note, "{e:?}");
        Fail {
            what: "a second GicLine on the RX INTID",
            got: 0,
            want: 1,
        }
    })?;
    line.disable();
    let before = irq::count(rx);
    let request = Header::new(MsgType::Request, 0, SEQ_MASKED, rm::VM_GET_VMID).encode();
    let sent = link.queue.try_send(&request, SendFlags::PUSH);
    let _ = write!(note, "request {request:02x?}: {sent:?}; ");
    // No `wfi`: nothing may arrive while the line is disabled.
    let early = inbox::settle(20);
    let taken_while_disabled = irq::count(rx) - before;
    line.enable();
    check!(
        matches!(sent, Ok(gunyah_msgq::SendOutcome::Sent { .. })),
        "request accepted"
    );
    check!(early.is_none(), "no reply while the line is disabled");
    check_eq!(taken_while_disabled, 0, "RX interrupts while disabled");
    loop {
        let msg = inbox::wait(WAKEUPS).ok_or(Fail {
            what: "a reply received by the RX interrupt handler",
            got: 0,
            want: 1,
        })?;
        let header = Header::decode(msg.bytes()).map(|(h, _)| h);
        if header.is_ok_and(|h| {
            h.kind == MsgType::Reply && h.seq == SEQ_MASKED && h.msg_id == rm::VM_GET_VMID
        }) {
            let _ = write!(note, "reply {:02x?}", msg.bytes());
            break;
        }
        let _ = write!(note, "skipped {header:?}; ");
        cx.skipped += 1;
        check!(
            cx.skipped < MAX_SKIPPED,
            "the reply among the messages received"
        );
    }
    let taken = irq::count(rx) - before;
    if cx.skipped == 0 {
        check_eq!(taken, 1, "RX interrupts taken");
    } else {
        check!(taken >= 1, "RX interrupts taken");
    }
    check_eq!(GIC.faults(), 0, "GIC line faults");
    Ok(())
}

/// A request that would be answered if a wrong capability let it through (the final check
/// counts replies).
fn stray_request(seq: u16) -> [u8; 8] {
    Header::new(MsgType::Request, 0, seq, rm::VM_GET_VMID).encode()
}

fn bad_cap(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let q = other_queue(cx.link, BAD_CAP, BAD_CAP)?;
    let null = Error::Hypervisor(GunyahError::CspaceCapNull);
    expect_err(q.try_send(&stray_request(50), SendFlags::PUSH), null, note)?;
    let _ = write!(note, "; ");
    let mut buf = [0; MAX_MSG_SIZE];
    expect_err(q.try_recv(&mut buf), null, note)
}

fn send_on_rx_cap(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let q = other_queue(cx.link, cx.link.config.rx.cap, BAD_CAP)?;
    expect_err(
        q.try_send(&stray_request(53), SendFlags::PUSH),
        Error::Hypervisor(GunyahError::CspaceInsufficientRights),
        note,
    )
}

fn receive_on_tx_cap(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let q = other_queue(cx.link, BAD_CAP, cx.link.config.tx.cap)?;
    let mut buf = [0; MAX_MSG_SIZE];
    expect_err(
        q.try_recv(&mut buf),
        Error::Hypervisor(GunyahError::CspaceInsufficientRights),
        note,
    )
}

/// After everything: each reply came by one RX interrupt, no TX interrupt, no reply to a
/// request that a wrong capability should have stopped. Messages the RM sent on its own (none
/// on the model) are allowed and counted.
fn counters(cx: &mut Ctx, note: &mut Note) -> Outcome {
    let link = cx.link;
    // Give a stray reply (if any) 20 ms to arrive; no `wfi`: nothing is expected.
    let stray = inbox::settle(20);
    let s = link.queue.stats();
    let c = cx.rm.stats();
    let (rx, tx) = (
        irq::count(link.config.rx.intid),
        irq::count(link.config.tx.intid),
    );
    let other = others(&c) + cx.skipped;
    let _ = write!(
        note,
        "RX INTID {rx}x, TX INTID {tx}x, other messages {other}; {s:?}; client: {} requests, \
         {} replies, {} timeouts; hypercalls {}",
        c.requests,
        c.replies,
        c.timeouts,
        link.queue.hypercall().calls()
    );
    if let Some(m) = stray {
        let _ = write!(note, "; stray {:02x?}", m.bytes());
        let reply = Header::decode(m.bytes()).is_ok_and(|(h, _)| h.kind == MsgType::Reply);
        check!(!reply, "no stray reply");
    }
    if other == 0 {
        check_eq!(rx, REPLIES, "RX interrupts");
    } else {
        check!(rx >= REPLIES, "RX interrupts");
    }
    check_eq!(tx, 0, "TX interrupts");
    check_eq!(s.sent, REPLIES, "messages sent");
    check_eq!(s.received, REPLIES + other, "messages received");
    check_eq!(s.faults, 0, "faults");
    check_eq!(c.timeouts, 0, "client timeouts");
    check_eq!(c.aborted, 0, "client aborted messages");
    check_eq!(inbox::lost(), 0, "inbox overflow");
    check_eq!(GIC.faults(), 0, "GIC line faults");
    check!(!link.queue.rx_pending(), "RX not pending");
    Ok(())
}
