//! The native form: `hvc #(0x6000 + N)`, the call in the immediate, inputs from x0. Reserved
//! inputs are checked (res0 = 0, res1 = all-ones, else ARGUMENT_INVALID), as on the real
//! hypervisor.

use gunyah_msgq::GunyahError;
use gunyah_msgq_mock::model::Dispatch;

use crate::identity::IDENTIFY;
use crate::model::{GUEST, Model};
use crate::msgq::{self, Call};
use crate::reply::Reply;

/// The first native immediate.
pub const NATIVE_BASE: u16 = 0x6000;
/// The last immediate of Gunyah's reserved range.
pub const NATIVE_LAST: u16 = 0x61FF;

/// Runs native call `n` for the guest: the reply, the msgq call it was, and the dispatch if
/// the call reached the model.
pub fn call(model: &mut Model, n: u16, x: &[u64; 8]) -> (Reply, Option<Call>, Option<Dispatch>) {
    if n == 0 {
        return (Reply::regs(&IDENTIFY), None, None);
    }
    let Some(call) = Call::from_number(n) else {
        return (Reply::UNKNOWN, None, None);
    };
    model.hypercalls += 1;
    let (index, value) = call.reserved();
    if x[index] != value {
        let reply = Reply::error(GunyahError::ArgumentInvalid.code());
        return (reply, Some(call), None);
    }
    let d = msgq::run(&mut model.hyp, GUEST, call, x);
    (Reply::raw(d.raw, call.outputs()), Some(call), Some(d))
}
