//! x18-x30, SP and d8-d15 across every call of `gunyah-msgq-hvc`, in both conventions.
//!
//! The model poisons x0-x17 after each call ([`crate::abi::poison`]), or (second pass) leaves
//! them as the real hypervisor does; the crate declares them clobbered and must leave the rest
//! as it found it. An assembly harness (`seeded_call`)
//! seeds x18-x29 and d8-d15 with known values, calls a Rust function that makes one call
//! through the crate's conduit, and records those registers, SP and x30 right after it
//! returns. The seeds go in by hand, so no compiled code can keep a copy: whatever the code in
//! between or the hypervisor changes shows. x30 is the return address: the call returning to
//! the harness with x30 still holding it is its check.
//!
//! The calls: the conduit's one `hvc` (`Conduit::call`) for every immediate it executes,
//! and every call of the crate's API (the three msgq calls of `Hypercall`, identify,
//! `CALL_UID`, `REVISION`, configure, bind, unbind, `probe`, `probe_after_dt`).
//!
//! What must hold: x19-x29, SP, x30 and d8-d15 across every call, the procedure call
//! standard's callee-saved registers, so any change is the crate's asm (an undeclared clobber)
//! or the hypervisor.
//!
//! x18 is *recorded, not required*. On `aarch64-unknown-none` it is an ordinary temporary for
//! rustc (the target reserves no platform register; only nightly's `-Zfixed-x18` can), and
//! because the conduits declare x0-x17 clobbered, LLVM picks x18 to keep values alive *across*
//! the `hvc` (in `conduit_call` below it holds the `Ctx` pointer there). So compiled code
//! changes it around nearly every call, while its survival across the `hvc` itself is what
//! makes those calls work at all (a clobbering hypervisor would send the result stores
//! astray). One `registers: note:` line counts the calls across which x18 changed. The bare
//! `hvc` keeping x18 is the smoke image's register case.
//!
//! Each call's answer must also be right (the poison must not leak into a decoded result):
//! the msgq calls against a fresh link, the others equal to the same call made outside the
//! harness.

use core::arch::global_asm;

use gunyah_msgq::{CapId, GunyahError, RawOutput, SendFlags};
use gunyah_msgq_hal_tests::{CaseError, CaseResult, ErrorMode};
use gunyah_msgq_hvc::{
    ApiInfo, Call, Gunyah, HvcInput, HypervisorUid, Identity, NotEmptyThreshold, NotFullThreshold,
    ProbeError, Regs, Virq,
};

use super::ConduitUnderTest;
use crate::abi::control::{self as ctl, SetupFlags};
use crate::{control, println};

/// What the harness loads: x18-x29, then d8-d15.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Seeds {
    x: [u64; 12],
    d: [u64; 8],
}

/// What the harness records right after the call returns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct After {
    seeds: Seeds,
    sp: u64,
    x30: u64,
    sp_before: u64,
    x30_expected: u64,
}

const _: () = assert!(core::mem::size_of::<Seeds>() == 160);
const _: () = assert!(core::mem::size_of::<After>() == 192);

// seeded_call(seeds: *const Seeds /* x0 */, after: *mut After /* x1 */,
//             f: extern "C" fn(*mut u8) /* x2 */, ctx: *mut u8 /* x3 */)
//
// Frame (192 bytes): our x18-x30 at 0..104, `after` at 104, d8-d15 at 112..176, SP at 176,
// the return address at 184.
global_asm!(
    r#"
    .section .text.seeded_call, "ax"
    .global seeded_call
    .balign 4
seeded_call:
    sub     sp, sp, #192
    stp     x18, x19, [sp, #0]
    stp     x20, x21, [sp, #16]
    stp     x22, x23, [sp, #32]
    stp     x24, x25, [sp, #48]
    stp     x26, x27, [sp, #64]
    stp     x28, x29, [sp, #80]
    str     x30, [sp, #96]
    str     x1, [sp, #104]
    stp     d8, d9, [sp, #112]
    stp     d10, d11, [sp, #128]
    stp     d12, d13, [sp, #144]
    stp     d14, d15, [sp, #160]
    mov     x9, sp
    str     x9, [sp, #176]
    adr     x9, 1f
    str     x9, [sp, #184]
    mov     x16, x2
    mov     x17, x0
    mov     x0, x3
    ldp     x18, x19, [x17, #0]
    ldp     x20, x21, [x17, #16]
    ldp     x22, x23, [x17, #32]
    ldp     x24, x25, [x17, #48]
    ldp     x26, x27, [x17, #64]
    ldp     x28, x29, [x17, #80]
    ldp     d8, d9, [x17, #96]
    ldp     d10, d11, [x17, #112]
    ldp     d12, d13, [x17, #128]
    ldp     d14, d15, [x17, #144]
    blr     x16
1:
    mov     x10, sp
    ldr     x9, [x10, #104]
    stp     x18, x19, [x9, #0]
    stp     x20, x21, [x9, #16]
    stp     x22, x23, [x9, #32]
    stp     x24, x25, [x9, #48]
    stp     x26, x27, [x9, #64]
    stp     x28, x29, [x9, #80]
    stp     d8, d9, [x9, #96]
    stp     d10, d11, [x9, #112]
    stp     d12, d13, [x9, #128]
    stp     d14, d15, [x9, #144]
    stp     x10, x30, [x9, #160]
    ldp     x11, x12, [x10, #176]
    stp     x11, x12, [x9, #176]
    ldp     d8, d9, [sp, #112]
    ldp     d10, d11, [sp, #128]
    ldp     d12, d13, [sp, #144]
    ldp     d14, d15, [sp, #160]
    ldp     x18, x19, [sp, #0]
    ldp     x20, x21, [sp, #16]
    ldp     x22, x23, [sp, #32]
    ldp     x24, x25, [sp, #48]
    ldp     x26, x27, [sp, #64]
    ldp     x28, x29, [sp, #80]
    ldr     x30, [sp, #96]
    add     sp, sp, #192
    ret
"#
);

unsafe extern "C" {
    fn seeded_call(
        seeds: *const Seeds,
        after: *mut After,
        f: unsafe extern "C" fn(*mut u8),
        ctx: *mut u8,
    );
}

/// What one call made inside the harness needs and answers.
struct Ctx {
    tx_cap: CapId,
    rx_cap: CapId,
    /// The message sent, and the receive buffer.
    buf: [u8; 64],
    /// [`conduit_call`]'s input and output.
    input: HvcInput,
    regs: Regs,
    /// The msgq calls' raw answer.
    raw: RawOutput,
    /// Every other call's answer.
    answer: Answer,
}

/// An API call's answer, stored as it is: nothing but the call runs inside the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    None,
    Identify(Result<Identity, GunyahError>),
    Uid(HypervisorUid),
    Revision(Result<ApiInfo, GunyahError>),
    Done(Result<(), GunyahError>),
    Probe(Result<Gunyah, ProbeError>),
}

/// The conduit's one `hvc`, with `ctx.input`.
unsafe extern "C" fn conduit_call<C: ConduitUnderTest>(ctx: *mut u8) {
    // SAFETY: the harness passes the `Ctx` that `run` lent it, exclusively.
    let ctx = unsafe { &mut *ctx.cast::<Ctx>() };
    // SAFETY: a send or receive input carries `ctx.buf`'s address and a size within it
    // (`raw_calls` builds them), valid for the whole call; other calls carry no buffer.
    ctx.regs = unsafe { C::default().call(ctx.input) };
}

/// The API calls, each an `extern "C"` function of one call through conduit `C`.
macro_rules! api_calls {
    ($($name:ident: |$c:ident, $ctx:ident| $body:expr;)*) => {
        $(
            /// One API call through the conduit, inside the harness.
            unsafe extern "C" fn $name<C: ConduitUnderTest>(ctx: *mut u8) {
                // SAFETY: the harness passes the `Ctx` that `run` lent it, exclusively.
                let $ctx = unsafe { &mut *ctx.cast::<Ctx>() };
                let $c = C::default();
                $body;
            }
        )*

        /// Every API call, by name.
        fn api<C: ConduitUnderTest>() -> [(&'static str, unsafe extern "C" fn(*mut u8)); 14] {
            [$((stringify!($name), $name::<C>)),*]
        }
    };
}

/// vIRQ numbers for the bind calls (the model does not implement binding: it answers -1).
const TX_VIRQ: Virq = Virq::new(crate::abi::layout::TX_INTID).unwrap();
const RX_VIRQ: Virq = Virq::new(crate::abi::layout::RX_INTID).unwrap();

api_calls! {
    msgq_send: |c, ctx| ctx.raw = c.msgq_send(ctx.tx_cap, &ctx.buf[..17], SendFlags::PUSH);
    msgq_receive: |c, ctx| ctx.raw = c.msgq_receive(ctx.rx_cap, &mut ctx.buf[..]);
    msgq_flush: |c, ctx| ctx.raw = c.msgq_flush(ctx.rx_cap);
    hypervisor_identify: |c, ctx| ctx.answer = Answer::Identify(c.hypervisor_identify());
    call_uid: |c, ctx| ctx.answer = Answer::Uid(c.call_uid());
    revision: |c, ctx| ctx.answer = Answer::Revision(c.revision());
    msgq_configure_send: |c, ctx| ctx.answer =
        Answer::Done(c.msgq_configure_send(ctx.tx_cap, NotFullThreshold::Unchanged));
    msgq_configure_receive: |c, ctx| ctx.answer =
        Answer::Done(c.msgq_configure_receive(ctx.rx_cap, NotEmptyThreshold::Unchanged));
    msgq_bind_send_virq: |c, ctx| ctx.answer =
        Answer::Done(c.msgq_bind_send_virq(ctx.tx_cap, CapId(0), TX_VIRQ));
    msgq_bind_receive_virq: |c, ctx| ctx.answer =
        Answer::Done(c.msgq_bind_receive_virq(ctx.rx_cap, CapId(0), RX_VIRQ));
    msgq_unbind_send_virq: |c, ctx| ctx.answer = Answer::Done(c.msgq_unbind_send_virq(ctx.tx_cap));
    msgq_unbind_receive_virq: |c, ctx| ctx.answer =
        Answer::Done(c.msgq_unbind_receive_virq(ctx.rx_cap));
    probe: |c, ctx| ctx.answer = Answer::Probe(c.probe());
    probe_after_dt: |c, ctx| ctx.answer = Answer::Probe(c.probe_after_dt());
}

/// Seeds that differ per register and per call: values no call would leave by chance.
fn seeds(call: usize) -> Seeds {
    let mut s = Seeds::default();
    for (i, x) in s.x.iter_mut().enumerate() {
        *x = 0x5EED_0000_0000_0000 | (18 + i as u64) << 40 | (call as u64) << 8 | 0xA5;
    }
    for (i, d) in s.d.iter_mut().enumerate() {
        *d = 0xD00D_0000_0000_0000 | (8 + i as u64) << 40 | (call as u64) << 8 | 0x5A;
    }
    s
}

/// Runs `f` inside the harness and checks x19-x29, d8-d15, SP and x30 after it; a failure
/// also prints which register changed. Whether x18 changed.
fn run(
    what: (&str, &str),
    index: usize,
    f: unsafe extern "C" fn(*mut u8),
    ctx: &mut Ctx,
) -> Result<bool, CaseError> {
    let (conduit, name) = what;
    let seeds = seeds(index);
    let mut after = After::default();
    // SAFETY: `seeded_call` saves and restores every register the procedure call standard
    // says a callee preserves (x18-x30, d8-d15), keeps the stack balanced, and calls `f` with
    // `ctx`, which `f` uses as the `Ctx` it is.
    unsafe { seeded_call(&seeds, &mut after, f, (ctx as *mut Ctx).cast()) };
    if let Some(i) = (1..12).find(|&i| after.seeds.x[i] != seeds.x[i]) {
        println!(
            "registers: {conduit} {name}: x{} = {:#x}, seeded {:#x}",
            18 + i,
            after.seeds.x[i],
            seeds.x[i]
        );
        return Err(CaseError::new(
            "a register of x19-x29 changed across the call",
        ));
    }
    if let Some(i) = (0..8).find(|&i| after.seeds.d[i] != seeds.d[i]) {
        println!(
            "registers: {conduit} {name}: d{} = {:#x}, seeded {:#x}",
            8 + i,
            after.seeds.d[i],
            seeds.d[i]
        );
        return Err(CaseError::new(
            "a register of d8-d15 changed across the call",
        ));
    }
    if after.sp != after.sp_before {
        return Err(CaseError::new("SP changed across the call"));
    }
    if after.x30 != after.x30_expected {
        return Err(CaseError::new(
            "x30 did not hold the return address after the call",
        ));
    }
    Ok(after.seeds.x[0] != seeds.x[0])
}

const fn error(x0: u64) -> i32 {
    gunyah_msgq::abi::error_code(x0)
}

const fn flag(x: u64) -> bool {
    gunyah_msgq::abi::flag(x)
}

/// The peer queues the 9-byte message the receives expect.
const PEER_MSG: [u8; 9] = [0x77; 9];

fn peer_queues() -> CaseResult {
    if control::peer_send(&PEER_MSG, false)[0] != 0 {
        return Err(CaseError::new("peer send refused"));
    }
    Ok(())
}

/// The peer takes the 17-byte message a send queued; it must be `sent`'s first 17 bytes.
fn peer_takes(sent: &[u8; 64]) -> CaseResult {
    let mut got = [0u8; 64];
    let r = control::peer_recv(&mut got);
    if r[0] != 0 || r[1] != 17 || got[..17] != sent[..17] {
        return Err(CaseError::new(
            "msgq_send did not queue the 17 bytes it was given",
        ));
    }
    Ok(())
}

/// Whether a send/receive/flush answer is the expected one on the fresh link.
fn msgq_answer_right(name: &str, raw: RawOutput, buf: &[u8; 64]) -> bool {
    match name {
        // OK, room left.
        "msgq_send" => error(raw.x0) == 0 && flag(raw.x1),
        // OK, the peer's 9 bytes, nothing more.
        "msgq_receive" => {
            error(raw.x0) == 0 && raw.x1 == 9 && !flag(raw.x2) && buf[..9] == PEER_MSG
        }
        _ => error(raw.x0) == 0,
    }
}

/// Every input the conduit's `call` takes from the crate's API, by name.
fn raw_calls(ctx: &Ctx) -> [(&'static str, Call); 12] {
    let buf = ctx.buf.as_ptr() as u64;
    [
        ("call(hypervisor_identify)", Call::HypervisorIdentify),
        ("call(CALL_UID)", Call::CallUid),
        ("call(REVISION)", Call::Revision),
        (
            "call(msgq_send)",
            Call::MsgqSend {
                cap: ctx.tx_cap,
                size: 17,
                buf,
                flags: SendFlags::PUSH,
            },
        ),
        (
            "call(msgq_receive)",
            Call::MsgqReceive {
                cap: ctx.rx_cap,
                buf,
                size: 64,
            },
        ),
        ("call(msgq_flush)", Call::MsgqFlush { cap: ctx.rx_cap }),
        (
            "call(msgq_configure_send)",
            Call::MsgqConfigureSend {
                cap: ctx.tx_cap,
                not_full: NotFullThreshold::Unchanged,
            },
        ),
        (
            "call(msgq_configure_receive)",
            Call::MsgqConfigureReceive {
                cap: ctx.rx_cap,
                not_empty: NotEmptyThreshold::Unchanged,
            },
        ),
        (
            "call(msgq_bind_send_virq)",
            Call::MsgqBindSendVirq {
                cap: ctx.tx_cap,
                vic: CapId(0),
                virq: TX_VIRQ,
            },
        ),
        (
            "call(msgq_bind_receive_virq)",
            Call::MsgqBindReceiveVirq {
                cap: ctx.rx_cap,
                vic: CapId(0),
                virq: RX_VIRQ,
            },
        ),
        (
            "call(msgq_unbind_send_virq)",
            Call::MsgqUnbindSendVirq { cap: ctx.tx_cap },
        ),
        (
            "call(msgq_unbind_receive_virq)",
            Call::MsgqUnbindReceiveVirq { cap: ctx.rx_cap },
        ),
    ]
}

/// Every call of the crate through conduit `C`, each inside the harness, on a fresh link
/// whose calls poison x0-x17, then on one whose calls leave them as the real hypervisor does.
///
/// # Errors
/// The first call that changed a register it must keep, or answered wrongly.
pub fn preserved<C: ConduitUnderTest>(mode: ErrorMode) -> CaseResult {
    for real_registers in [false, true] {
        preserved_with::<C>(mode, real_registers)?;
    }
    Ok(())
}

/// [`preserved`] on a link whose calls poison x0-x17 (`real_registers` false) or leave them
/// as the real hypervisor does (native: zeroed but for the outputs, x9 the return address).
fn preserved_with<C: ConduitUnderTest>(mode: ErrorMode, real_registers: bool) -> CaseResult {
    let link = control::setup(ctl::Setup {
        flags: SetupFlags {
            quirks: mode == ErrorMode::PublicSourceQuirks,
            real_registers,
            ..ctl::Setup::DEFAULT.flags
        },
        ..ctl::Setup::DEFAULT
    })
    .map_err(|_| CaseError::new("the model refused the link setup"))?;
    let mut ctx = Ctx {
        tx_cap: CapId(link.tx_cap),
        rx_cap: CapId(link.rx_cap),
        buf: [0; 64],
        input: Call::CallUid.marshal(C::CONVENTION),
        regs: [0; 8],
        raw: RawOutput::default(),
        answer: Answer::None,
    };
    let mut pattern = [0u8; 64];
    for (i, b) in pattern.iter_mut().enumerate() {
        *b = i as u8 ^ 0x3C;
    }

    let mut x18_changed = 0;
    // The conduit's `hvc`, for every input the API gives it.
    for (index, (name, call)) in raw_calls(&ctx).into_iter().enumerate() {
        ctx.buf = pattern;
        ctx.input = call.marshal(C::CONVENTION);
        let msgq = matches!(
            call,
            Call::MsgqSend { .. } | Call::MsgqReceive { .. } | Call::MsgqFlush { .. }
        );
        if matches!(call, Call::MsgqReceive { .. }) {
            peer_queues()?;
        }
        // The reference answer, outside the harness (not for the msgq calls: they change
        // the queues).
        let reference = if msgq {
            [0; 8]
        } else {
            // SAFETY: the input carries no buffer.
            unsafe { C::default().call(ctx.input) }
        };
        x18_changed += u32::from(run((C::NAME, name), index, conduit_call::<C>, &mut ctx)?);
        let raw = RawOutput {
            x0: ctx.regs[0],
            x1: ctx.regs[1],
            x2: ctx.regs[2],
        };
        let right = match call {
            Call::MsgqSend { .. } => msgq_answer_right("msgq_send", raw, &ctx.buf),
            Call::MsgqReceive { .. } => msgq_answer_right("msgq_receive", raw, &ctx.buf),
            Call::MsgqFlush { .. } => msgq_answer_right("msgq_flush", raw, &ctx.buf),
            _ => ctx.regs[0] == reference[0],
        };
        if !right {
            println!(
                "registers: {} {name}: inside {:#x?}, outside {:#x?}",
                C::NAME,
                ctx.regs,
                reference
            );
            return Err(CaseError::new("a call answered wrongly inside the harness"));
        }
        if matches!(call, Call::MsgqSend { .. }) {
            peer_takes(&pattern)?;
        }
    }

    // The API.
    for (index, (name, f)) in api::<C>().into_iter().enumerate() {
        ctx.buf = pattern;
        let msgq = matches!(name, "msgq_send" | "msgq_receive" | "msgq_flush");
        if name == "msgq_receive" {
            peer_queues()?;
        }
        let reference = if msgq {
            Answer::None
        } else {
            // SAFETY: `f` takes the `Ctx` it is given, exclusively, for the call.
            unsafe { f((&mut ctx as *mut Ctx).cast()) };
            core::mem::replace(&mut ctx.answer, Answer::None)
        };
        x18_changed += u32::from(run((C::NAME, name), 16 + index, f, &mut ctx)?);
        let right = if msgq {
            msgq_answer_right(name, ctx.raw, &ctx.buf)
        } else {
            ctx.answer == reference && ctx.answer != Answer::None
        };
        if !right {
            println!(
                "registers: {} {name}: inside {:?}, outside {:?}, raw {:x?}",
                C::NAME,
                ctx.answer,
                reference,
                ctx.raw
            );
            return Err(CaseError::new("a call answered wrongly inside the harness"));
        }
        if name == "msgq_send" {
            peer_takes(&pattern)?;
        }
    }
    println!(
        "registers: note: {} ({}): x18 changed across {x18_changed} of 26 calls (a temporary \
         of compiled code on aarch64-unknown-none; x19-x29, SP, x30, d8-d15 kept across all)",
        C::NAME,
        if real_registers {
            "real-style"
        } else {
            "poisoned"
        }
    );
    Ok(())
}
