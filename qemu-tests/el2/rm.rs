//! The resource manager of the primary-VM variant: the VM at the other end of the guest's RM
//! link, run by the model at the end of every trap (so a request sent by an `hvc` is answered
//! before that `hvc` returns, as the real RM often did).
//!
//! It receives every request the guest queued, on its own capability, through the same pure
//! model calls as any VM ([`Hyp::receive`](gunyah_msgq_mock::model::Hyp::receive),
//! [`Hyp::send`](gunyah_msgq_mock::model::Hyp::send)), and sends one reply per request into
//! the guest's RX queue, without PUSH (the RM never sets it). The replies' vIRQ signals go to
//! the guest's lines like any other call's: an empty → non-empty RX queue raises INTID 961,
//! a receive that makes room in a full TX queue raises INTID 960.
//!
//! What it answers (one-fragment requests, header byte 0 = 0x21, spec §6):
//! - `VM_GET_VMID` (0x56000024): RM OK, VMID 3: `00000000 03000000`, as the real RM did;
//! - `VM_GET_HYP_RESOURCES` (0x56000020, spec §5) for VMID 3: RM OK, count 2, then two 44-byte
//!   entries, the guest's RM link as the model created it: msgq TX (type 2, the guest's TX
//!   capability, its TX INTID as the vIRQ) and msgq RX (type 3, the RX capability and INTID),
//!   both with partner VMID 0xFF (the RM's own, `VMID_RM` in its public source) and label 0;
//!   handles, base and size 0. One fragment (104 bytes). Another VMID: RM error 13
//!   (`VMID_INVALID`); a payload other than 4 bytes: RM error 4 (`MSG_INVALID`). Whether the
//!   real RM lists its own link there was not observed;
//! - any other msg_id: RM error 0xFFFFFFFF (unimplemented), as the real RM did.
//!
//! Not modelled: multi-fragment requests (dropped, logged) and replies (none is long enough),
//! notifications, any other RM call.
//! A reply that finds the guest's RX queue full waits (one at a time: a newer reply replaces
//! an unsent older one, as the spec says of the RM) and goes out at a later trap.

use gunyah_msgq::abi::RecvReply;
use gunyah_msgq::{CapId, SendFlags};
use gunyah_msgq_qemu_abi::rm::{
    self, HEADER_LEN, Header, MSG_SIZE, MsgType, PRIMARY_VMID, RESOURCE_ENTRY_LEN,
    RESOURCE_MSGQ_RX, RESOURCE_MSGQ_TX, RM_ERROR_MSG_INVALID, RM_ERROR_UNIMPLEMENTED,
    RM_ERROR_VMID_INVALID, RM_LINK_LABEL, RM_OK, RM_VMID, VM_GET_HYP_RESOURCES, VM_GET_VMID,
};

use crate::console::log;
use crate::model::{Model, PEER};

/// The entries of the `VM_GET_HYP_RESOURCES` reply: the link's two queues.
const RESOURCES: usize = 2;
/// The longest reply the model sends: the `VM_GET_HYP_RESOURCES` one (a header, the RM error
/// word, the count, the entries).
const REPLY_MAX: usize = HEADER_LEN + 8 + RESOURCES * RESOURCE_ENTRY_LEN;
// It fits one fragment: the model sends no continuations.
const _: () = assert!(REPLY_MAX <= MSG_SIZE);

/// One message queue of the guest's, as `VM_GET_HYP_RESOURCES` lists it.
#[derive(Clone, Copy, Debug)]
struct Queue {
    /// The entry's type byte.
    kind: u8,
    /// The guest's capability.
    cap: u64,
    /// The guest's INTID for it (0: none).
    virq: u32,
}

/// One reply ready to go.
#[derive(Clone, Copy, Debug)]
struct ReplyMsg {
    bytes: [u8; REPLY_MAX],
    len: usize,
}

/// The resource manager's state.
pub struct Rm {
    /// A reply that found the guest's RX queue full.
    pending: Option<ReplyMsg>,
    /// Requests answered.
    pub answered: u64,
    /// Messages dropped (not a one-fragment request).
    pub dropped: u64,
}

impl Rm {
    /// Nothing received yet.
    pub const fn new() -> Rm {
        Rm {
            pending: None,
            answered: 0,
            dropped: 0,
        }
    }
}

/// Runs the RM: sends a waiting reply, then answers every request queued. Does nothing outside
/// the primary-VM variant.
pub fn serve(m: &mut Model) {
    let Some(mut rm) = m.rm.take() else { return };
    flush(m, &mut rm);
    // The RM's capability to the queue the guest sends into.
    if let Some(cap) = m.link.as_ref().map(|link| link.caps.b.rx_cap) {
        answer_all(m, &mut rm, cap);
    }
    m.rm = Some(rm);
}

/// Receives on `cap` until EMPTY, answering each request.
fn answer_all(m: &mut Model, rm: &mut Rm, cap: CapId) {
    loop {
        let mut buf = [0; MSG_SIZE];
        let d = m.hyp.receive(PEER, cap, &mut buf);
        m.apply(&d);
        let len = match RecvReply::decode(d.raw, buf.len()) {
            Ok(RecvReply::Message { len, .. }) => len,
            Ok(RecvReply::Empty) => return,
            Err(e) => {
                log!("rm: receive failed: {e:?}");
                return;
            }
        };
        let request = &buf[..len];
        match answer(request, &guest_queues(m)) {
            Some(reply) => {
                rm.answered += 1;
                if m.verbose {
                    log_reply(request, &reply);
                }
                // A newer reply replaces an unsent older one.
                rm.pending = Some(reply);
                flush(m, rm);
            }
            None => {
                rm.dropped += 1;
                log!(
                    "rm: dropped a message it does not answer: {:02x?}",
                    &request[..len.min(HEADER_LEN)]
                );
            }
        }
    }
}

/// Sends the waiting reply, if the guest's RX queue has room for it.
fn flush(m: &mut Model, rm: &mut Rm) {
    let (Some(reply), Some(link)) = (rm.pending, &m.link) else {
        return;
    };
    let cap = link.caps.b.tx_cap;
    let d = m
        .hyp
        .send(PEER, cap, &reply.bytes[..reply.len], SendFlags::NONE);
    m.apply(&d);
    if d.raw.x0 == 0 {
        rm.pending = None;
    }
}

/// The guest's TX and RX queues of the link, as the model created them.
fn guest_queues(m: &Model) -> [Queue; RESOURCES] {
    let caps = m.link.as_ref().map(|link| link.caps.a);
    let [tx_line, rx_line] = &m.lines;
    [
        Queue {
            kind: RESOURCE_MSGQ_TX,
            cap: caps.map_or(0, |c| c.tx_cap.0),
            virq: tx_line.intid.unwrap_or(0),
        },
        Queue {
            kind: RESOURCE_MSGQ_RX,
            cap: caps.map_or(0, |c| c.rx_cap.0),
            virq: rx_line.intid.unwrap_or(0),
        },
    ]
}

/// Writes `value` at `at`; the end.
fn put(bytes: &mut [u8], at: usize, value: &[u8]) -> usize {
    bytes[at..at + value.len()].copy_from_slice(value);
    at + value.len()
}

/// The reply to `msg`, if it is a one-fragment request; `queues`: the guest's link.
fn answer(msg: &[u8], queues: &[Queue; RESOURCES]) -> Option<ReplyMsg> {
    let header = Header::decode(msg)?;
    if header.kind != MsgType::Request || header.fragments != 0 {
        return None;
    }
    let payload = &msg[HEADER_LEN..];
    let mut bytes = [0; REPLY_MAX];
    let at = put(&mut bytes, 0, &header.reply().encode());
    let len = match header.msg_id {
        VM_GET_VMID => {
            let at = put(&mut bytes, at, &RM_OK.to_le_bytes());
            put(&mut bytes, at, &u32::from(PRIMARY_VMID).to_le_bytes())
        }
        VM_GET_HYP_RESOURCES => match *payload {
            [lo, hi, _, _] if u16::from_le_bytes([lo, hi]) == PRIMARY_VMID => {
                let mut at = put(&mut bytes, at, &RM_OK.to_le_bytes());
                at = put(&mut bytes, at, &(RESOURCES as u32).to_le_bytes());
                for q in queues {
                    at = put_entry(&mut bytes, at, q);
                }
                at
            }
            [_, _, _, _] => put(&mut bytes, at, &RM_ERROR_VMID_INVALID.to_le_bytes()),
            _ => put(&mut bytes, at, &RM_ERROR_MSG_INVALID.to_le_bytes()),
        },
        _ => put(&mut bytes, at, &RM_ERROR_UNIMPLEMENTED.to_le_bytes()),
    };
    Some(ReplyMsg { bytes, len })
}

/// Writes one 44-byte `VM_GET_HYP_RESOURCES` entry for `q` at `at`; the end.
fn put_entry(bytes: &mut [u8], at: usize, q: &Queue) -> usize {
    let start = at;
    let mut at = put(bytes, at, &[q.kind, 0]);
    at = put(bytes, at, &RM_VMID.to_le_bytes()); // partner VMID
    at = put(bytes, at, &0u32.to_le_bytes()); // handle
    at = put(bytes, at, &RM_LINK_LABEL.to_le_bytes());
    at = put(bytes, at, &q.cap.to_le_bytes());
    at = put(bytes, at, &0u32.to_le_bytes()); // vIRQ handle
    at = put(bytes, at, &q.virq.to_le_bytes());
    at = put(bytes, at, &0u64.to_le_bytes()); // base
    at = put(bytes, at, &0u64.to_le_bytes()); // size
    debug_assert_eq!(at - start, RESOURCE_ENTRY_LEN);
    at
}

fn log_reply(request: &[u8], reply: &ReplyMsg) {
    let Some(h) = Header::decode(request) else {
        return;
    };
    let name = match h.msg_id {
        rm::VM_GET_VMID => "VM_GET_VMID",
        rm::VM_GET_HYP_RESOURCES => "VM_GET_HYP_RESOURCES",
        _ => "unknown",
    };
    log!(
        "rm: request seq {} msg_id {:#x} ({name}) -> reply {:02x?}",
        h.seq,
        h.msg_id,
        &reply.bytes[..reply.len]
    );
}
