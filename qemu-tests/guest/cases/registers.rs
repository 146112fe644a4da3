//! Registers across a hypercall: outputs in x0.., the rest of x0-x17 poisoned (or, in the
//! real-hypervisor style, zeroed with x9 = the return address for native calls and kept for
//! SMCCC ones); x18-x30, q0-q31, FPCR and FPSR preserved.

use super::link;
use crate::abi::control::{Setup, SetupFlags};
use crate::abi::layout::{GUEST_BASE, RAM_END};
use crate::abi::poison::poison;
use crate::control::peer_recv;
use crate::msgq::smccc_id;
use crate::regcheck::{self, Regs, Trap};
use crate::report::{Outcome, Report};
use crate::{check, check_eq};

pub(super) fn run(r: &mut Report) {
    r.case("registers_native_poisoned", native_poisoned);
    r.case("registers_smccc_poisoned", smccc_poisoned);
    r.case("registers_real_style", real_style);
}

static MSG: [u8; 4] = *b"regs";

/// Markers everywhere; the send's inputs in x0-x4 (native order) or x0-x5 (SMCCC).
fn input(trap: Trap, cap: u64) -> Regs {
    let mut r = Regs {
        x: [0; 31],
        // Round towards zero, flush-to-zero, default NaN: not the reset value.
        fpcr: (0b11 << 22) | (1 << 24) | (1 << 25),
        q: [0; 32],
        // Every cumulative exception flag and QC.
        fpsr: 0x1F | (1 << 7) | (1 << 27),
    };
    for (i, x) in r.x.iter_mut().enumerate() {
        *x = 0x1111_0000_0000_0000 | (i as u64) << 32 | 0xA5A5;
    }
    for (i, q) in r.q.iter_mut().enumerate() {
        *q = 0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210 ^ (i as u128) << 64;
    }
    let (ptr, len) = (MSG.as_ptr() as u64, MSG.len() as u64);
    let args: &[u64] = match trap {
        Trap::NativeSend => &[cap, len, ptr, 0, 0],
        Trap::Smccc => &[smccc_id(0x1B), cap, len, ptr, 0, 0],
    };
    r.x[..args.len()].copy_from_slice(args);
    r
}

/// x18-x30, q0-q31, FPCR and FPSR as they went in.
fn preserved(input: &Regs, output: &Regs) -> Outcome {
    for i in 18..31 {
        check_eq!(output.x[i], input.x[i], "x18-x30 preserved");
    }
    check!(output.q == input.q, "q0-q31 preserved");
    check_eq!(output.fpcr, input.fpcr, "FPCR preserved");
    check_eq!(output.fpsr, input.fpsr, "FPSR preserved");
    Ok(())
}

/// The send worked: OK, not_full, and the peer gets the message.
fn sent(output: &Regs) -> Outcome {
    check_eq!(output.x[0], 0, "x0 = OK");
    check_eq!(output.x[1], 1, "x1 = not_full");
    let mut buf = [0u8; 240];
    let r = peer_recv(&mut buf);
    check_eq!(r[1], 4, "peer receives the message");
    Ok(())
}

fn native_poisoned() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let i = input(Trap::NativeSend, l.tx_cap);
    let o = regcheck::call(Trap::NativeSend, &i);
    sent(&o)?;
    for reg in 2..18 {
        check_eq!(o.x[reg], poison(reg), "x2-x17 poisoned");
    }
    preserved(&i, &o)
}

fn smccc_poisoned() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let i = input(Trap::Smccc, l.tx_cap);
    let o = regcheck::call(Trap::Smccc, &i);
    sent(&o)?;
    for reg in 2..18 {
        check_eq!(o.x[reg], poison(reg), "x2-x17 poisoned");
    }
    preserved(&i, &o)
}

fn real_style() -> Outcome {
    let flags = SetupFlags {
        real_registers: true,
        ..SetupFlags::default()
    };
    let l = link(Setup {
        flags,
        ..Setup::DEFAULT
    })?;
    let i = input(Trap::NativeSend, l.tx_cap);
    let o = regcheck::call(Trap::NativeSend, &i);
    sent(&o)?;
    for reg in (2..18).filter(|&r| r != 8 && r != 9) {
        check_eq!(o.x[reg], 0, "native: x2-x17 zeroed");
    }
    check_eq!(o.x[8], i.x[8], "native: x8 kept");
    check!(
        (GUEST_BASE..RAM_END).contains(&o.x[9]),
        "native: x9 = the return address"
    );
    preserved(&i, &o)?;
    let i = input(Trap::Smccc, l.tx_cap);
    let o = regcheck::call(Trap::Smccc, &i);
    sent(&o)?;
    for reg in 2..18 {
        check_eq!(o.x[reg], i.x[reg], "SMCCC: x2-x17 kept");
    }
    preserved(&i, &o)
}
