//! The SMCCC form: `hvc #0` (or `smc #0`) with a function id in w0, inputs from x1. Reserved
//! inputs are not checked, as on the real hypervisor.

use gunyah_msgq_mock::model::Dispatch;

use crate::identity::{API_INFO, IDENTIFY, UUID_REGS};
use crate::model::{GUEST, Model};
use crate::msgq::{self, Call};
use crate::reply::Reply;

/// Vendor-hyp service call: CALL_COUNT (answered -1, as the real hypervisor does).
const CALL_COUNT: u32 = 0x8600_FF00;
/// Vendor-hyp service call: CALL_UID.
const CALL_UID: u32 = 0x8600_FF01;
/// Vendor-hyp service call: REVISION (answers api_info).
const REVISION: u32 = 0x8600_FF03;
/// Arm architecture call: SMCCC_VERSION (answered 1.3, as the real hypervisor does).
const SMCCC_VERSION: u32 = 0x8000_0000;
/// A fast SMC64 vendor-hyp call of the hypercall class, with function number 0.
const HYPERCALL_BASE: u32 = 0xC600_8000;
/// The bits that must match [`HYPERCALL_BASE`]: fast, SMC64, owner, bits 23:17 (must be 0),
/// class. Bit 16 (the SVE hint) is ignored.
const HYPERCALL_MASK: u32 = 0xFFFE_C000;

/// What an SMCCC call decodes to.
pub enum Decoded {
    /// A fixed answer.
    Reply(Reply),
    /// A msgq call with its inputs in native order.
    Msgq(Call, [u64; 8]),
}

/// Decodes `x` (x0-x7).
pub fn decode(x: &[u64; 8]) -> Decoded {
    let id = x[0] as u32;
    match id {
        CALL_UID => return Decoded::Reply(Reply::regs(&UUID_REGS)),
        REVISION => return Decoded::Reply(Reply::regs(&[API_INFO])),
        SMCCC_VERSION => return Decoded::Reply(Reply::regs(&[0x1_0003])),
        CALL_COUNT => return Decoded::Reply(Reply::UNKNOWN),
        _ => {}
    }
    if id & HYPERCALL_MASK != HYPERCALL_BASE {
        return Decoded::Reply(Reply::UNKNOWN);
    }
    let n = (id & 0x3FFF) as u16;
    if n == 0 {
        return Decoded::Reply(Reply::regs(&IDENTIFY));
    }
    match Call::from_number(n) {
        Some(call) => {
            let mut a = [0; 8];
            a[..7].copy_from_slice(&x[1..]);
            Decoded::Msgq(call, a)
        }
        None => Decoded::Reply(Reply::UNKNOWN),
    }
}

/// Runs an SMCCC call for the guest: the reply, the msgq call it was, and its dispatch.
pub fn call(model: &mut Model, x: &[u64; 8]) -> (Reply, Option<Call>, Option<Dispatch>) {
    match decode(x) {
        Decoded::Reply(r) => (r, None, None),
        Decoded::Msgq(call, a) => {
            model.hypercalls += 1;
            let d = msgq::run(&mut model.hyp, GUEST, call, &a);
            (Reply::raw(d.raw, call.outputs()), Some(call), Some(d))
        }
    }
}
