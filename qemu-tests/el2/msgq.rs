//! The msgq hypercalls, decoded from their arguments (in native order) and run on the pure
//! model. Used by both calling conventions and by the peer's control calls.

use gunyah_msgq::{CapId, SendFlags};
use gunyah_msgq_mock::model::{Dispatch, VmId};

use crate::guestmem;
use crate::model::ModelHyp;

/// A msgq call number (the native immediate minus 0x6000, the SMCCC function number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// 0x1B: cap, size, buffer, flags → error, not_full.
    Send,
    /// 0x1C: cap, buffer, buffer size → error, size, not_empty.
    Receive,
    /// 0x1D: cap → error.
    Flush,
    /// 0x1F: cap, not_full threshold, holdoff → error.
    ConfigureSend,
    /// 0x20: cap, not_empty threshold, holdoff → error.
    ConfigureReceive,
}

impl Call {
    /// The call numbered `n`, if the model implements it.
    pub const fn from_number(n: u16) -> Option<Call> {
        match n {
            0x1B => Some(Call::Send),
            0x1C => Some(Call::Receive),
            0x1D => Some(Call::Flush),
            0x1F => Some(Call::ConfigureSend),
            0x20 => Some(Call::ConfigureReceive),
            _ => None,
        }
    }

    /// Output registers, the error word included.
    pub const fn outputs(self) -> usize {
        match self {
            Call::Send => 2,
            Call::Receive => 3,
            Call::Flush | Call::ConfigureSend | Call::ConfigureReceive => 1,
        }
    }

    /// The inputs that are reserved, by index, and the value each must have (native calls
    /// check them; SMCCC ones do not).
    pub const fn reserved(self) -> (usize, u64) {
        match self {
            Call::Send => (4, 0),
            Call::Receive => (3, 0),
            Call::Flush => (1, 0),
            Call::ConfigureSend | Call::ConfigureReceive => (3, u64::MAX),
        }
    }

    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            Call::Send => "msgq_send",
            Call::Receive => "msgq_receive",
            Call::Flush => "msgq_flush",
            Call::ConfigureSend => "msgq_configure_send",
            Call::ConfigureReceive => "msgq_configure_receive",
        }
    }
}

/// Runs `call` for `vm` with inputs `a` (native order: a[0] is the capability).
pub fn run(hyp: &mut ModelHyp, vm: VmId, call: Call, a: &[u64; 8]) -> Dispatch {
    let cap = CapId(a[0]);
    match call {
        Call::Send => {
            let flags = SendFlags::with_push(a[3] & 1 != 0);
            match guestmem::read(a[2], a[1]) {
                Some(msg) => hyp.send(vm, cap, msg, flags),
                None => hyp.send_unreadable(vm, cap, a[1] as usize, flags),
            }
        }
        Call::Receive => match guestmem::write(a[1], a[2]) {
            Some(buf) => hyp.receive(vm, cap, buf),
            None => hyp.receive_unwritable(vm, cap),
        },
        Call::Flush => hyp.flush(vm, cap),
        // count_t is 32 bits: -1 in a 64-bit register is u32::MAX.
        Call::ConfigureSend => hyp.configure_send(vm, cap, a[1] as u32, a[2] as u32),
        Call::ConfigureReceive => hyp.configure_receive(vm, cap, a[1] as u32, a[2] as u32),
    }
}
