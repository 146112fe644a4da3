//! The hvc backend's register marshalling and unmarshalling, on the host (no `asm!`).
//!
//! A fake [`Conduit`] answers every call with registers from the fuzz input and records what it
//! was asked. Checked, for both conventions:
//! - decoders (`Identity::decode`, `HypervisorUid::decode`, `ApiInfo`, `Variant`, `Features`)
//!   never panic on any registers and agree with the documented bit layout; decoded values
//!   re-encode to the registers they came from (`ApiInfo::raw`, `Variant::raw`,
//!   `GunyahUid::words` / `bytes`, `Virq` fields);
//! - the typed calls return what their answer registers say (`check(low 32 bits of x0)`), and
//!   `probe` / `probe_after_dt` follow the spec's order: no Gunyah hypercall unless `CALL_UID`
//!   named Gunyah, then identify, version 1 and the msgqueue feature;
//! - marshalling puts each argument in its register (native: `hvc #(0x6000 + N)`, inputs from
//!   x0, x7 = 0; SMCCC: `hvc #0`, x0 = function id, inputs from x1), service calls are SMCCC
//!   in both conventions, and `raw::msgq_*` pass the caller's exact slice and length and return
//!   the documented output registers.
#![no_main]

use std::cell::RefCell;

use arbitrary::Arbitrary;
use gunyah_msgq::abi::error_code;
use gunyah_msgq::{CapId, GunyahError, RawOutput, SendFlags};
use gunyah_msgq_hvc::call::{
    NATIVE_IMM_BASE, SMCCC_CALL_UID, SMCCC_HYPERCALL_BASE, SMCCC_REVISION, number,
};
use gunyah_msgq_hvc::identify::{ApiInfo, Features, GunyahUid, HypervisorUid, Identity, Variant};
use gunyah_msgq_hvc::{
    Call, Conduit, Convention, Gunyah, HvcInput, NotEmptyThreshold, NotFullThreshold, ProbeError,
    Regs, Virq, raw,
};
use libfuzzer_sys::fuzz_target;

/// `CALL_UID`'s answer: raw, or one of the Gunyah UUIDs with junk above bit 31 (which SMCCC
/// says to ignore), or "unimplemented" with junk.
#[derive(Arbitrary, Debug)]
enum UidAnswer {
    Raw(Regs),
    Standard { junk: [u32; 4], rest: [u64; 4] },
    Qualcomm { junk: [u32; 4], rest: [u64; 4] },
    Unimplemented { junk: u32, rest: [u64; 7] },
}

impl UidAnswer {
    fn regs(&self) -> Regs {
        let with = |w: [u32; 4], junk: [u32; 4], rest: [u64; 4]| -> Regs {
            let r = |i: usize| (u64::from(junk[i]) << 32) | u64::from(w[i]);
            [r(0), r(1), r(2), r(3), rest[0], rest[1], rest[2], rest[3]]
        };
        match *self {
            UidAnswer::Raw(r) => r,
            UidAnswer::Standard { junk, rest } => with(GunyahUid::Standard.words(), junk, rest),
            UidAnswer::Qualcomm { junk, rest } => with(GunyahUid::Qualcomm.words(), junk, rest),
            UidAnswer::Unimplemented { junk, rest } => {
                let mut r = [0; 8];
                r[0] = (u64::from(junk) << 32) | u64::from(u32::MAX);
                r[1..].copy_from_slice(&rest);
                r
            }
        }
    }
}

/// `hypervisor_identify`'s answer: raw, or near a real one (version 1 or close, the msgqueue
/// bit maybe set, any variant), or "unimplemented".
#[derive(Arbitrary, Debug)]
enum IdentifyAnswer {
    Raw(Regs),
    Like {
        version: u8,
        variant: u8,
        middle: u64,
        flags: [u64; 3],
        msgqueue: bool,
        rest: [u64; 4],
    },
    Unimplemented {
        junk: u32,
        rest: [u64; 7],
    },
}

impl IdentifyAnswer {
    fn regs(&self) -> Regs {
        match *self {
            IdentifyAnswer::Raw(r) => r,
            IdentifyAnswer::Like {
                version,
                variant,
                middle,
                mut flags,
                msgqueue,
                rest,
            } => {
                let version = u64::from(version % 4);
                let x0 = (u64::from(variant) << 56) | (middle & 0x00FF_FFFF_FFFF_C000) | version;
                if msgqueue {
                    flags[0] |= Features::MSGQUEUE;
                }
                [
                    x0, flags[0], flags[1], flags[2], rest[0], rest[1], rest[2], rest[3],
                ]
            }
            IdentifyAnswer::Unimplemented { junk, rest } => {
                let mut r = [0; 8];
                r[0] = (u64::from(junk) << 32) | u64::from(u32::MAX);
                r[1..].copy_from_slice(&rest);
                r
            }
        }
    }
}

/// An answer to any other call: raw, or an error code with junk above bit 31.
#[derive(Arbitrary, Debug)]
enum Answer {
    Raw(Regs),
    Code { code: i8, junk: u32, rest: [u64; 7] },
}

impl Answer {
    fn regs(&self) -> Regs {
        match *self {
            Answer::Raw(r) => r,
            Answer::Code { code, junk, rest } => {
                let mut r = [0; 8];
                r[0] = (u64::from(junk) << 32) | u64::from(i32::from(code) as u32);
                r[1..].copy_from_slice(&rest);
                r
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Args {
    cap: u64,
    vic: u64,
    virq: u32,
    vcpu: u8,
    not_full: Option<u8>,
    not_empty: u16,
    push: bool,
    len: u16,
}

#[derive(Arbitrary, Debug)]
struct Input {
    native: bool,
    uid: UidAnswer,
    identify: IdentifyAnswer,
    revision: Answer,
    other: Answer,
    args: Args,
}

/// The fake conduit: answers by call, records every input.
struct Fake<'a, const NATIVE: bool> {
    input: &'a Input,
    log: RefCell<Vec<HvcInput>>,
}

impl<const NATIVE: bool> Fake<'_, NATIVE> {
    fn answer(&self, x: &HvcInput) -> Regs {
        let smccc_x0 = if x.imm == 0 {
            Some(x.regs[0] as u32)
        } else {
            None
        };
        let n = if NATIVE {
            x.imm.checked_sub(NATIVE_IMM_BASE)
        } else {
            smccc_x0
                .and_then(|f| f.checked_sub(SMCCC_HYPERCALL_BASE))
                .map(|n| n as u16)
        };
        match (smccc_x0, n) {
            (Some(SMCCC_CALL_UID), _) => self.input.uid.regs(),
            (Some(SMCCC_REVISION), _) => self.input.revision.regs(),
            (_, Some(number::HYPERVISOR_IDENTIFY)) => self.input.identify.regs(),
            _ => self.input.other.regs(),
        }
    }

    fn take_log(&self) -> Vec<HvcInput> {
        std::mem::take(&mut self.log.borrow_mut())
    }
}

impl Conduit for Fake<'_, false> {
    const CONVENTION: Convention = Convention::Smccc;
    unsafe fn call(&self, input: HvcInput) -> Regs {
        self.log.borrow_mut().push(input);
        self.answer(&input)
    }
}

impl Conduit for Fake<'_, true> {
    const CONVENTION: Convention = Convention::Native;
    unsafe fn call(&self, input: HvcInput) -> Regs {
        self.log.borrow_mut().push(input);
        self.answer(&input)
    }
}

fn low(r: u64) -> u32 {
    r as u32
}

/// The decoders against the documented layout, and their re-encoding.
fn check_identity(regs: &Regs) -> Option<Identity> {
    let id = Identity::decode(regs);
    if low(regs[0]) == u32::MAX {
        assert_eq!(id, None);
        return None;
    }
    let id = id.expect("identify decoded as unimplemented");
    assert_eq!(id.api.raw(), regs[0]);
    assert_eq!(id.features.raw(), [regs[1], regs[2], regs[3]]);
    let api = id.api;
    assert_eq!(u64::from(api.version()), regs[0] & 0x3FFF);
    assert_eq!(api.big_endian(), regs[0] & (1 << 14) != 0);
    assert_eq!(api.is_64bit(), regs[0] & (1 << 15) != 0);
    let v = api.variant();
    assert_eq!(u64::from(v.raw()), regs[0] >> 56);
    assert_eq!(Variant::from_raw(v.raw()), v);
    match v.raw() {
        0x48 => assert_eq!(v, Variant::Gunyah),
        0x51 => assert_eq!(v, Variant::Qualcomm),
        b => assert_eq!(v, Variant::Other(b)),
    }
    let f = id.features;
    let bit = |b: u32| regs[1] & (1 << b) != 0;
    assert_eq!(f.doorbell(), bit(1));
    assert_eq!(f.msgqueue(), bit(2));
    assert_eq!(f.vic(), bit(3));
    assert_eq!(f.vcpu(), bit(5));
    assert_eq!(f.memextent(), bit(6));
    assert_eq!(f.vcpu_run(), bit(11));
    let mask = regs[2] ^ regs[3];
    assert_eq!(f.has(mask), regs[1] & mask == mask);
    Some(id)
}

fn check_uid(regs: &Regs) -> HypervisorUid {
    let words = [low(regs[0]), low(regs[1]), low(regs[2]), low(regs[3])];
    let uid = HypervisorUid::decode(regs);
    match uid {
        HypervisorUid::Unimplemented => assert_eq!(words[0], u32::MAX),
        HypervisorUid::Gunyah(g) => {
            assert_ne!(words[0], u32::MAX);
            assert_eq!(g.words(), words, "{g:?} decoded from other words");
            let mut bytes = [0u8; 16];
            for (i, w) in words.iter().enumerate() {
                bytes[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
            }
            assert_eq!(g.bytes(), bytes);
            assert_eq!(uid.gunyah(), Some(g));
        }
        HypervisorUid::Other(w) => {
            assert_ne!(words[0], u32::MAX);
            assert_eq!(w, words);
            assert_ne!(w, GunyahUid::Standard.words());
            assert_ne!(w, GunyahUid::Qualcomm.words());
            assert_eq!(uid.gunyah(), None);
        }
    }
    uid
}

/// One call's marshalling: immediate, function id and argument registers.
fn check_marshal(convention: Convention, x: &HvcInput, n: Option<u16>, args: [u64; 7]) {
    match (convention, n) {
        (Convention::Native, Some(n)) => {
            assert_eq!(x.imm, NATIVE_IMM_BASE + n);
            assert_eq!(x.regs[..7], args);
            assert_eq!(x.regs[7], 0);
        }
        _ => {
            assert_eq!(x.imm, 0);
            let id = match n {
                Some(n) => SMCCC_HYPERCALL_BASE | u32::from(n),
                None => x.regs[0] as u32,
            };
            assert_eq!(x.regs[0], u64::from(id));
            assert_eq!(x.regs[1..], args);
        }
    }
}

fn check_conduit<C: Conduit>(c: &C, log: impl Fn() -> Vec<HvcInput>, input: &Input) {
    let conv = C::CONVENTION;
    let uid_regs = input.uid.regs();
    let id_regs = input.identify.regs();
    let other = input.other.regs();
    let expected_uid = check_uid(&uid_regs);
    let expected_id = check_identity(&id_regs);

    // CALL_UID: SMCCC in both conventions.
    assert_eq!(c.call_uid(), expected_uid);
    let l = log();
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].imm, 0);
    assert_eq!(l[0].regs, [u64::from(SMCCC_CALL_UID), 0, 0, 0, 0, 0, 0, 0]);

    // REVISION.
    let rev = input.revision.regs();
    let expected_rev = if low(rev[0]) == u32::MAX {
        Err(GunyahError::Unimplemented)
    } else {
        Ok(ApiInfo(rev[0]))
    };
    assert_eq!(c.revision(), expected_rev);
    let l = log();
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].imm, 0);
    assert_eq!(l[0].regs, [u64::from(SMCCC_REVISION), 0, 0, 0, 0, 0, 0, 0]);

    // hypervisor_identify.
    assert_eq!(
        c.hypervisor_identify(),
        expected_id.ok_or(GunyahError::Unimplemented)
    );
    let l = log();
    assert_eq!(l.len(), 1);
    check_marshal(conv, &l[0], Some(number::HYPERVISOR_IDENTIFY), [0; 7]);

    // probe: CALL_UID first; identify only after a Gunyah UUID.
    let checked = |uid: Option<GunyahUid>| -> Result<Gunyah, ProbeError> {
        let identity = expected_id.ok_or(ProbeError::IdentifyUnimplemented)?;
        if identity.api.version() != 1 {
            return Err(ProbeError::UnsupportedVersion {
                version: identity.api.version(),
                variant: identity.api.variant(),
            });
        }
        if !identity.features.msgqueue() {
            return Err(ProbeError::NoMsgQueue { identity });
        }
        Ok(Gunyah { uid, identity })
    };
    let expected_probe = match expected_uid {
        HypervisorUid::Gunyah(g) => checked(Some(g)),
        uid => Err(ProbeError::NotGunyah { uid }),
    };
    let probed = c.probe();
    assert_eq!(probed, expected_probe);
    let l = log();
    assert_eq!(l[0].regs[0], u64::from(SMCCC_CALL_UID));
    match expected_uid {
        HypervisorUid::Gunyah(_) => assert_eq!(l.len(), 2),
        _ => assert_eq!(
            l.len(),
            1,
            "a Gunyah hypercall on a hypervisor that is not Gunyah"
        ),
    }
    if let Err(e) = probed {
        assert!(!e.to_string().is_empty());
    }
    // probe_after_dt: identify only.
    assert_eq!(c.probe_after_dt(), checked(None));
    let l = log();
    assert_eq!(l.len(), 1);
    check_marshal(conv, &l[0], Some(number::HYPERVISOR_IDENTIFY), [0; 7]);

    // The checked calls: GunyahError::check(low 32 bits of x0), arguments in place.
    let a = &input.args;
    let cap = CapId(a.cap);
    let vic = CapId(a.vic);
    let virq = check_virq(a.virq, a.vcpu);
    let expected = GunyahError::check(other[0] as u32 as i32);
    let not_full = match a.not_full {
        None => NotFullThreshold::Unchanged,
        Some(n) => NotFullThreshold::Count(n),
    };
    let not_empty = match a.not_empty {
        0x100 => NotEmptyThreshold::Unchanged,
        0x101 => NotEmptyThreshold::Depth,
        n => NotEmptyThreshold::Count(n as u8),
    };
    let nf_raw = a.not_full.map_or(u64::MAX, u64::from);
    let ne_raw = match a.not_empty {
        0x100 => u64::MAX,
        0x101 => u64::MAX - 1,
        n => u64::from(n as u8),
    };
    assert_eq!(not_full.raw(), nf_raw);
    assert_eq!(not_empty.raw(), ne_raw);
    let (c_, v_, q_) = (cap.raw(), vic.raw(), u64::from(virq.raw()));
    type Typed<'x, C> = (&'x dyn Fn(&C) -> Result<(), GunyahError>, u16, [u64; 7]);
    let typed: [Typed<C>; 6] = [
        (
            &|c: &C| c.msgq_configure_send(cap, not_full),
            number::MSGQ_CONFIGURE_SEND,
            [c_, nf_raw, u64::MAX, u64::MAX, 0, 0, 0],
        ),
        (
            &|c: &C| c.msgq_configure_receive(cap, not_empty),
            number::MSGQ_CONFIGURE_RECEIVE,
            [c_, ne_raw, u64::MAX, u64::MAX, 0, 0, 0],
        ),
        (
            &|c: &C| c.msgq_bind_send_virq(cap, vic, virq),
            number::MSGQ_BIND_SEND_VIRQ,
            [c_, v_, q_, 0, 0, 0, 0],
        ),
        (
            &|c: &C| c.msgq_bind_receive_virq(cap, vic, virq),
            number::MSGQ_BIND_RECEIVE_VIRQ,
            [c_, v_, q_, 0, 0, 0, 0],
        ),
        (
            &|c: &C| c.msgq_unbind_send_virq(cap),
            number::MSGQ_UNBIND_SEND_VIRQ,
            [c_, 0, 0, 0, 0, 0, 0],
        ),
        (
            &|c: &C| c.msgq_unbind_receive_virq(cap),
            number::MSGQ_UNBIND_RECEIVE_VIRQ,
            [c_, 0, 0, 0, 0, 0, 0],
        ),
    ];
    for (f, n, args) in typed {
        assert_eq!(f(c), expected);
        if let Err(e) = expected {
            assert_eq!(e.code(), other[0] as u32 as i32);
        }
        let l = log();
        assert_eq!(l.len(), 1);
        check_marshal(conv, &l[0], Some(n), args);
    }

    // raw::msgq_*: the caller's exact slice and length; the documented output registers.
    let flags = SendFlags::with_push(a.push);
    let msg = vec![0xA5u8; usize::from(a.len % 1024)];
    let out = raw::msgq_send(c, cap, &msg, flags);
    assert_eq!(
        out,
        RawOutput {
            x0: other[0],
            x1: other[1],
            x2: 0
        }
    );
    let l = log();
    assert_eq!(l.len(), 1);
    let ptr = msg.as_ptr() as u64;
    check_marshal(
        conv,
        &l[0],
        Some(number::MSGQ_SEND),
        [c_, msg.len() as u64, ptr, u64::from(flags.bits()), 0, 0, 0],
    );
    assert!(flags.bits() <= 1);

    let mut buf = vec![0u8; usize::from(a.len % 1024)];
    let ptr = buf.as_mut_ptr() as u64;
    let out = raw::msgq_receive(c, cap, &mut buf);
    assert_eq!(
        out,
        RawOutput {
            x0: other[0],
            x1: other[1],
            x2: other[2]
        }
    );
    let l = log();
    assert_eq!(l.len(), 1);
    check_marshal(
        conv,
        &l[0],
        Some(number::MSGQ_RECEIVE),
        [c_, ptr, buf.len() as u64, 0, 0, 0, 0],
    );

    let out = raw::msgq_flush(c, cap);
    assert_eq!(
        out,
        RawOutput {
            x0: other[0],
            x1: 0,
            x2: 0
        }
    );
    assert_eq!(error_code(out.x0), other[0] as u32 as i32);
    let l = log();
    assert_eq!(l.len(), 1);
    check_marshal(
        conv,
        &l[0],
        Some(number::MSGQ_FLUSH),
        [c_, 0, 0, 0, 0, 0, 0],
    );
}

/// `Virq`: 24-bit number, 8-bit vCPU, and back.
fn check_virq(number: u32, vcpu: u8) -> Virq {
    let v = Virq::new(number);
    assert_eq!(v.is_some(), number <= Virq::MAX_NUMBER);
    let v = v.unwrap_or_else(|| Virq::new(number & Virq::MAX_NUMBER).unwrap());
    let n = number & Virq::MAX_NUMBER;
    assert_eq!(v.number(), n);
    assert_eq!(v.vcpu(), 0);
    let w = v.with_vcpu(vcpu);
    assert_eq!(w.number(), n);
    assert_eq!(w.vcpu(), vcpu);
    assert_eq!(w.raw(), n | (u32::from(vcpu) << 24));
    assert_eq!(Virq::new(w.number()).unwrap().with_vcpu(w.vcpu()), w);
    assert_eq!(w.with_vcpu(vcpu.wrapping_add(1)).number(), n);
    w
}

/// `Call`'s own accessors, on every variant built from the input.
fn check_calls(a: &Args) {
    let cap = CapId(a.cap);
    let virq = Virq::new(a.virq & Virq::MAX_NUMBER)
        .unwrap()
        .with_vcpu(a.vcpu);
    let calls = [
        Call::HypervisorIdentify,
        Call::MsgqBindSendVirq {
            cap,
            vic: CapId(a.vic),
            virq,
        },
        Call::MsgqBindReceiveVirq {
            cap,
            vic: CapId(a.vic),
            virq,
        },
        Call::MsgqUnbindSendVirq { cap },
        Call::MsgqUnbindReceiveVirq { cap },
        Call::MsgqSend {
            cap,
            size: a.vic,
            buf: u64::from(a.virq),
            flags: SendFlags::with_push(a.push),
        },
        Call::MsgqReceive {
            cap,
            buf: a.vic,
            size: u64::from(a.len),
        },
        Call::MsgqFlush { cap },
        Call::MsgqConfigureSend {
            cap,
            not_full: NotFullThreshold::Unchanged,
        },
        Call::MsgqConfigureReceive {
            cap,
            not_empty: NotEmptyThreshold::Depth,
        },
        Call::CallUid,
        Call::Revision,
    ];
    for call in calls {
        let n = call.number();
        match n {
            Some(n) => {
                assert!(n < 0x4000);
                assert_eq!(call.function_id(), SMCCC_HYPERCALL_BASE | u32::from(n));
            }
            None => assert!(matches!(call, Call::CallUid | Call::Revision)),
        }
        assert_eq!(
            call.accesses_memory(),
            matches!(call, Call::MsgqSend { .. } | Call::MsgqReceive { .. })
        );
        let args = call.arguments();
        for conv in [Convention::Smccc, Convention::Native] {
            check_marshal(conv, &call.marshal(conv), n, args);
        }
        if n.is_none() {
            let x = call.marshal(Convention::Native);
            assert_eq!(x.regs[0], u64::from(call.function_id()));
            assert_eq!(x.regs[1..], [0; 7]);
        }
    }
}

fuzz_target!(|input: Input| {
    check_calls(&input.args);
    if input.native {
        let c = Fake::<true> {
            input: &input,
            log: RefCell::new(Vec::new()),
        };
        check_conduit(&c, || c.take_log(), &input);
    } else {
        let c = Fake::<false> {
            input: &input,
            log: RefCell::new(Vec::new()),
        };
        check_conduit(&c, || c.take_log(), &input);
    }
});
