//! Writing a call's results into the guest's registers, and what the other registers of x0-x17
//! become ([`RegStyle`]). x18 and up are never touched.

use gunyah_msgq::RawOutput;
use gunyah_msgq_qemu_abi::poison::poison;

use crate::frame::Frame;
use crate::model::RegStyle;

/// The calling convention of the call being answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `hvc #0x6000+N` (and the control calls).
    Native,
    /// `hvc #0` / `smc #0` with a function id in x0.
    Smccc,
}

/// A call's results: the first `outputs` registers of `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// x0-x7.
    pub x: [u64; 8],
    /// How many of them are outputs.
    pub outputs: usize,
}

impl Reply {
    /// -1 alone: unknown call (SMCCC NOT_SUPPORTED / Gunyah UNIMPLEMENTED).
    pub const UNKNOWN: Reply = Reply::error(-1);

    /// An error word alone.
    pub const fn error(code: i32) -> Reply {
        Reply::regs(&[code as i64 as u64])
    }

    /// These registers, from x0.
    pub const fn regs(values: &[u64]) -> Reply {
        let mut x = [0; 8];
        let mut i = 0;
        while i < values.len() && i < 8 {
            x[i] = values[i];
            i += 1;
        }
        Reply { x, outputs: i }
    }

    /// A msgq call's registers: its first `outputs` of x0-x2.
    pub const fn raw(raw: RawOutput, outputs: usize) -> Reply {
        let all = [raw.x0, raw.x1, raw.x2];
        let mut r = Reply::regs(&all);
        r.outputs = outputs;
        r
    }
}

/// Writes `reply` into the frame and sets x0-x17 that are not outputs as `style` says.
pub fn apply(frame: &mut Frame, reply: Reply, form: Form, style: RegStyle) {
    for reg in 0..18 {
        if reg < reply.outputs {
            frame.x[reg] = reply.x[reg];
            continue;
        }
        match (style, form) {
            (RegStyle::Poison, _) => frame.x[reg] = poison(reg),
            // Observed on the real hypervisor: zero, except x9 = the return address and x8
            // kept.
            (RegStyle::Real, Form::Native) => match reg {
                8 => {}
                9 => frame.x[reg] = frame.elr,
                _ => frame.x[reg] = 0,
            },
            (RegStyle::Real, Form::Smccc) => {}
        }
    }
}
