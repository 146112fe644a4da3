//! The control calls (`hvc #(0x6100 + K)`): what a test fixture asks of the model. The ABI is
//! documented in `gunyah_msgq_qemu_abi::control`.

use gunyah_msgq::{CapId, GunyahError};
use gunyah_msgq_mock::model::Dispatch;
use gunyah_msgq_qemu_abi::control::{Control, HELLO_MAGIC, Line, SPURIOUS_RAW, Setup, VERSION};

use crate::model::{Model, PEER};
use crate::msgq::{self, Call};
use crate::reply::Reply;

const INVALID: Reply = Reply::error(GunyahError::ArgumentInvalid.code());

/// Runs control call `c` with inputs `x`; the dispatch of a peer call, if one ran.
pub fn call(model: &mut Model, c: Control, x: &[u64; 8]) -> (Reply, Option<Dispatch>) {
    match c {
        Control::Hello => (Reply::regs(&[0, HELLO_MAGIC, VERSION]), None),
        Control::Setup => {
            let reply = match Setup::decode([x[0], x[1], x[2], x[3]]) {
                None => INVALID,
                Some(setup) => match model.setup(setup) {
                    Ok(r) => Reply::regs(&[
                        0,
                        r.tx_cap,
                        r.rx_cap,
                        u64::from(r.tx_intid),
                        u64::from(r.rx_intid),
                    ]),
                    Err(e) => Reply::error(e.code()),
                },
            };
            (reply, None)
        }
        Control::PeerSend | Control::PeerReceive | Control::PeerFlush => peer(model, c, x),
        Control::Spurious => (spurious(model, x[0], x[1]), None),
        Control::Counters => {
            let c = model.counters().to_regs();
            (Reply::regs(&[0, c[0], c[1], c[2], c[3], c[4], c[5]]), None)
        }
        Control::QueueState => (queue_state(model, x[0]), None),
        Control::Log => {
            model.verbose = x[0] != 0;
            (Reply::error(0), None)
        }
    }
}

/// The peer (VM 2) on its own capabilities: it sends into the queue the guest receives from and
/// receives from (or flushes) the queue the guest sends into.
fn peer(model: &mut Model, c: Control, x: &[u64; 8]) -> (Reply, Option<Dispatch>) {
    let Some(link) = &model.link else {
        return (Reply::error(GunyahError::CspaceCapNull.code()), None);
    };
    let (call, cap) = match c {
        Control::PeerSend => (Call::Send, link.caps.b.tx_cap),
        Control::PeerReceive => (Call::Receive, link.caps.b.rx_cap),
        _ => (Call::Flush, link.caps.b.rx_cap),
    };
    let CapId(cap) = cap;
    // Into native order: send is (cap, size, buffer, flags), receive (cap, buffer, size).
    let a = match call {
        Call::Send => [cap, x[1], x[0], x[2], 0, 0, 0, 0],
        _ => [cap, x[0], x[1], 0, 0, 0, 0, 0],
    };
    let d = msgq::run(&mut model.hyp, PEER, call, &a);
    (Reply::raw(d.raw, call.outputs()), Some(d))
}

fn spurious(model: &mut Model, which: u64, intid: u64) -> Reply {
    if which == SPURIOUS_RAW {
        return match u32::try_from(intid) {
            Ok(id) if id < 1020 => match model.spurious.add(id) {
                Ok(()) => Reply::error(0),
                Err(()) => Reply::error(GunyahError::Noresources.code()),
            },
            _ => INVALID,
        };
    }
    match Line::from_raw(which) {
        Some(line) => {
            model.lines[line.index()].latched = true;
            Reply::error(0)
        }
        None => INVALID,
    }
}

fn queue_state(model: &Model, which: u64) -> Reply {
    let (Some(link), Some(line)) = (&model.link, Line::from_raw(which)) else {
        return INVALID;
    };
    let id = match line {
        Line::Tx => link.caps.a.tx_queue,
        Line::Rx => link.caps.a.rx_queue,
    };
    match model.hyp.queue(id) {
        Some(q) => Reply::regs(&[
            0,
            q.len() as u64,
            u64::from(q.depth().get()),
            q.max_size() as u64,
            q.not_full_threshold() as u64,
            q.not_empty_threshold() as u64,
        ]),
        None => INVALID,
    }
}
