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
//! - any other msg_id: RM error 0xFFFFFFFF (unimplemented), as the real RM did.
//!
//! Not modelled: multi-fragment requests (dropped, logged), notifications, any other RM call.
//! A reply that finds the guest's RX queue full waits (one at a time: a newer reply replaces
//! an unsent older one, as the spec says of the RM) and goes out at a later trap.

use gunyah_msgq::abi::RecvReply;
use gunyah_msgq::{CapId, SendFlags};
use gunyah_msgq_qemu_abi::rm::{
    self, HEADER_LEN, Header, MSG_SIZE, MsgType, PRIMARY_VMID, RM_ERROR_UNIMPLEMENTED, RM_OK,
    VM_GET_VMID,
};

use crate::console::log;
use crate::model::{Model, PEER};

/// The longest reply the model sends: a header, the RM error word and one word of payload.
const REPLY_MAX: usize = HEADER_LEN + 8;

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
        match answer(request) {
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

/// The reply to `msg`, if it is a one-fragment request.
fn answer(msg: &[u8]) -> Option<ReplyMsg> {
    let header = Header::decode(msg)?;
    if header.kind != MsgType::Request || header.fragments != 0 {
        return None;
    }
    let mut bytes = [0; REPLY_MAX];
    bytes[..HEADER_LEN].copy_from_slice(&header.reply().encode());
    let len = if header.msg_id == VM_GET_VMID {
        bytes[8..12].copy_from_slice(&RM_OK.to_le_bytes());
        bytes[12..16].copy_from_slice(&u32::from(PRIMARY_VMID).to_le_bytes());
        HEADER_LEN + 8
    } else {
        bytes[8..12].copy_from_slice(&RM_ERROR_UNIMPLEMENTED.to_le_bytes());
        HEADER_LEN + 4
    };
    Some(ReplyMsg { bytes, len })
}

fn log_reply(request: &[u8], reply: &ReplyMsg) {
    let Some(h) = Header::decode(request) else {
        return;
    };
    let name = if h.msg_id == rm::VM_GET_VMID {
        "VM_GET_VMID"
    } else {
        "unknown"
    };
    log!(
        "rm: request seq {} msg_id {:#x} ({name}) -> reply {:02x?}",
        h.seq,
        h.msg_id,
        &reply.bytes[..reply.len]
    );
}
