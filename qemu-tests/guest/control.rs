//! A client of the EL2 model's control calls (`gunyah_msgq_qemu_abi::control`): what a test
//! fixture uses to build links and drive the other VM.

use crate::abi::control::{
    Control, Counters, HELLO_MAGIC, Line, QueueState, SPURIOUS_RAW, Setup, SetupReply,
};
use crate::hvc::{self, error};

fn call<const IMM: u16>(x: [u64; 8]) -> Result<[u64; 8], i32> {
    let r = hvc::native::<IMM>(x);
    match error(r[0]) {
        0 => Ok(r),
        e => Err(e),
    }
}

fn args(a: &[u64]) -> [u64; 8] {
    let mut x = [0; 8];
    x[..a.len()].copy_from_slice(a);
    x
}

/// Whether the model answers (its ABI version); the error word otherwise (-1 on any other
/// hypervisor).
pub fn hello() -> Result<u64, i32> {
    let r = call::<{ Control::Hello.imm() }>([0; 8])?;
    if r[1] == HELLO_MAGIC {
        Ok(r[2])
    } else {
        Err(-1)
    }
}

/// A fresh link.
pub fn setup(s: Setup) -> Result<SetupReply, i32> {
    let r = call::<{ Control::Setup.imm() }>(args(&s.encode()))?;
    Ok(SetupReply {
        tx_cap: r[1],
        rx_cap: r[2],
        tx_intid: r[3] as u32,
        rx_intid: r[4] as u32,
    })
}

/// The other VM sends `msg` into the queue we receive from: the msgq_send registers (x0 error,
/// x1 not_full).
pub fn peer_send(msg: &[u8], push: bool) -> [u64; 8] {
    hvc::native::<{ Control::PeerSend.imm() }>(args(&[
        msg.as_ptr() as u64,
        msg.len() as u64,
        u64::from(push),
    ]))
}

/// The other VM receives from the queue we send into: the msgq_receive registers (x0 error,
/// x1 size, x2 not_empty).
pub fn peer_recv(buf: &mut [u8]) -> [u64; 8] {
    hvc::native::<{ Control::PeerReceive.imm() }>(args(&[
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
    ]))
}

/// The other VM flushes the queue we send into: the error word.
pub fn peer_flush() -> i32 {
    error(hvc::native::<{ Control::PeerFlush.imm() }>([0; 8])[0])
}

/// Makes `line`'s INTID pending once, as a spurious interrupt.
pub fn spurious(line: Line) -> Result<(), i32> {
    call::<{ Control::Spurious.imm() }>(args(&[line as u64])).map(|_| ())
}

/// Makes any `intid` pending once (when the guest has it enabled), as a spurious interrupt.
pub fn spurious_intid(intid: u32) -> Result<(), i32> {
    call::<{ Control::Spurious.imm() }>(args(&[SPURIOUS_RAW, u64::from(intid)])).map(|_| ())
}

/// The model's counters since the last setup.
pub fn counters() -> Result<Counters, i32> {
    call::<{ Control::Counters.imm() }>([0; 8]).map(|r| Counters::from_regs(&r))
}

/// The state of the queue behind `line` (TX: the one we send into).
pub fn queue_state(line: Line) -> Result<QueueState, i32> {
    call::<{ Control::QueueState.imm() }>(args(&[line as u64])).map(|r| QueueState {
        len: r[1],
        depth: r[2],
        max_size: r[3],
        not_full_threshold: r[4],
        not_empty_threshold: r[5],
    })
}

/// Turns the model's per-call log on or off.
pub fn log(on: bool) -> Result<(), i32> {
    call::<{ Control::Log.imm() }>(args(&[u64::from(on)])).map(|_| ())
}
