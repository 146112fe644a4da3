//! Checks on the RM link, all through `gunyah-msgq`'s `MsgQueue`: sizes the core refuses
//! before any hypercall, EMPTY as the `Empty` outcome, `VM_GET_VMID` answered by interrupt, an
//! unknown msg_id, a reply's edge held while the RX line is disabled, and the capability errors (50: a capability that names nothing; 53: a
//! capability without the right) as typed `Error::Hypervisor`.

use core::fmt::{Debug, Write};

use gunyah_msgq::{
    CapId, Error, GunyahError, IrqLine, MAX_MSG_SIZE, MsgQueue, RecvOutcome, RxConfig, SendFlags,
    TxConfig,
};
use gunyah_msgq_hvc::Smccc;

use super::counted::Counted;
use super::gic_up::GIC;
use super::inbox;
use super::link::Link;
use super::rpc;
use crate::abi::rm::{self, Header, MsgType};
use crate::report::{Fail, Note, Outcome, Report};
use crate::{check, check_eq, irq};

/// A capability no tree names (the model's and, it is assumed, the real cspace's).
const BAD_CAP: CapId = CapId(0xDEAD_0001);
/// A msg_id no RM implements.
const UNKNOWN_MSG_ID: u32 = 0x7E57_0001;
/// Sequence numbers of the two calls.
const SEQ_VMID: u16 = 1;
const SEQ_UNKNOWN: u16 = 2;
const SEQ_MASKED: u16 = 3;
/// Replies the cases expect (one per call).
const REPLIES: u32 = 3;

/// One case on the link.
type Case = fn(&Link, &mut Note) -> Outcome;

/// Runs every case (each fails at once without a link).
pub fn run(r: &mut Report, link: Option<&'static Link>) {
    let cases: [(&str, Case); 10] = [
        ("send_size_0_refused_before_hvc", size_0),
        ("send_size_241_refused_before_hvc", oversize),
        ("receive_on_empty_is_empty_60", receive_empty),
        ("vm_get_vmid_reply_by_interrupt", vm_get_vmid),
        ("unknown_msg_id_rm_error", unknown_msg_id),
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
        r.check(name, |note| match link {
            Some(link) => case(link, note),
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

fn size_0(link: &Link, note: &mut Note) -> Outcome {
    let calls = link.queue.hypercall().calls();
    expect_err(
        link.queue.try_send(&[], SendFlags::PUSH),
        Error::EmptyMessage,
        note,
    )?;
    check_eq!(link.queue.hypercall().calls(), calls, "hypercalls made");
    Ok(())
}

fn oversize(link: &Link, note: &mut Note) -> Outcome {
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

fn receive_empty(link: &Link, note: &mut Note) -> Outcome {
    let mut buf = [0; MAX_MSG_SIZE];
    let calls = link.queue.hypercall().calls();
    let got = link.queue.try_recv(&mut buf);
    let _ = write!(note, "{got:?}");
    check!(got == Ok(RecvOutcome::Empty), "Ok(Empty)");
    check_eq!(link.queue.hypercall().calls(), calls + 1, "hypercalls made");
    Ok(())
}

/// The reply came by one RX interrupt (at least one if other messages came too).
fn rx_interrupts(answer: &rpc::Answer) -> Outcome {
    if answer.skipped == 0 {
        check_eq!(answer.rx_interrupts, 1, "RX interrupts taken");
    } else {
        check!(answer.rx_interrupts >= 1, "RX interrupts taken");
    }
    Ok(())
}

fn vm_get_vmid(link: &Link, note: &mut Note) -> Outcome {
    let answer = rpc::call(link, SEQ_VMID, rm::VM_GET_VMID, note)?;
    let seq = SEQ_VMID.to_le_bytes();
    // Reply (type 2, no continuation), the same seq and msg_id; RM OK, VMID 3.
    let want = [
        0x21, 0x02, seq[0], seq[1], 0x24, 0x00, 0x00, 0x56, 0, 0, 0, 0, 3, 0, 0, 0,
    ];
    rx_interrupts(&answer)?;
    check!(
        answer.msg.bytes() == want,
        "reply bytes 21 02 <seq> 24000056 00000000 03000000"
    );
    let h = Header::decode(answer.msg.bytes()).ok_or(Fail {
        what: "reply header",
        got: 0,
        want: 1,
    })?;
    check!(h.kind == MsgType::Reply, "reply type");
    check_eq!(h.seq, SEQ_VMID, "seq echoed");
    check_eq!(h.msg_id, rm::VM_GET_VMID, "msg_id echoed");
    Ok(())
}

fn unknown_msg_id(link: &Link, note: &mut Note) -> Outcome {
    let answer = rpc::call(link, SEQ_UNKNOWN, UNKNOWN_MSG_ID, note)?;
    let bytes = answer.msg.bytes();
    rx_interrupts(&answer)?;
    let h = Header::decode(bytes).ok_or(Fail {
        what: "reply header",
        got: 0,
        want: 1,
    })?;
    check!(h.kind == MsgType::Reply, "reply type");
    check_eq!(h.seq, SEQ_UNKNOWN, "seq echoed");
    check_eq!(h.msg_id, UNKNOWN_MSG_ID, "msg_id echoed");
    check!(bytes.len() >= 12, "an RM error word");
    let error = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    check_eq!(error, rm::RM_ERROR_UNIMPLEMENTED, "RM error");
    Ok(())
}

/// The RX line disabled (a second `GicLine` on the same INTID): the reply's edge waits in the
/// distributor, no interrupt is taken, and it arrives when the line is enabled again (what
/// `IrqLine::enable` promises the core).
fn masked_edge(link: &Link, note: &mut Note) -> Outcome {
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
    rpc::send(link, SEQ_MASKED, rm::VM_GET_VMID, note)?;
    // No `wfi`: nothing may arrive while the line is disabled.
    let early = inbox::settle(20);
    let taken_while_disabled = irq::count(rx) - before;
    line.enable();
    check!(early.is_none(), "no reply while the line is disabled");
    check_eq!(taken_while_disabled, 0, "RX interrupts while disabled");
    let answer = rpc::reply(link, SEQ_MASKED, rm::VM_GET_VMID, before, note)?;
    rx_interrupts(&answer)?;
    check_eq!(GIC.faults(), 0, "GIC line faults");
    Ok(())
}

/// A request that would be answered if a wrong capability let it through (the final check
/// counts replies).
fn stray_request(seq: u16) -> [u8; 8] {
    Header::request(seq, rm::VM_GET_VMID).encode()
}

fn bad_cap(link: &Link, note: &mut Note) -> Outcome {
    let q = other_queue(link, BAD_CAP, BAD_CAP)?;
    let null = Error::Hypervisor(GunyahError::CspaceCapNull);
    expect_err(q.try_send(&stray_request(50), SendFlags::PUSH), null, note)?;
    let _ = write!(note, "; ");
    let mut buf = [0; MAX_MSG_SIZE];
    expect_err(q.try_recv(&mut buf), null, note)
}

fn send_on_rx_cap(link: &Link, note: &mut Note) -> Outcome {
    let q = other_queue(link, link.config.rx.cap, BAD_CAP)?;
    expect_err(
        q.try_send(&stray_request(53), SendFlags::PUSH),
        Error::Hypervisor(GunyahError::CspaceInsufficientRights),
        note,
    )
}

fn receive_on_tx_cap(link: &Link, note: &mut Note) -> Outcome {
    let q = other_queue(link, BAD_CAP, link.config.tx.cap)?;
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
fn counters(link: &Link, note: &mut Note) -> Outcome {
    // Give a stray reply (if any) 20 ms to arrive; no `wfi`: nothing is expected.
    let stray = inbox::settle(20);
    let s = link.queue.stats();
    let (rx, tx) = (
        irq::count(link.config.rx.intid),
        irq::count(link.config.tx.intid),
    );
    let other = rpc::skipped();
    let _ = write!(
        note,
        "RX INTID {rx}x, TX INTID {tx}x, other messages {other}; {s:?}; hypercalls {}",
        link.queue.hypercall().calls()
    );
    if let Some(m) = stray {
        let _ = write!(note, "; stray {:02x?}", m.bytes());
        let reply = Header::decode(m.bytes()).is_some_and(|h| h.kind == MsgType::Reply);
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
    check_eq!(inbox::lost(), 0, "inbox overflow");
    check_eq!(GIC.faults(), 0, "GIC line faults");
    check!(!link.queue.rx_pending(), "RX not pending");
    Ok(())
}
