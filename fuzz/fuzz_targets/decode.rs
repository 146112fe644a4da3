//! `abi` decoders on arbitrary output registers: `SendReply::try_from` and
//! `RecvReply::decode(raw, capacity)` never panic and follow the rules of `core/src/abi.rs`,
//! re-derived here independently:
//! - the error is the low 32 bits of `x0` as `i32` (junk above bit 31 ignored);
//! - a boolean is its register's low byte (junk above bit 7 ignored);
//! - send: 0 → `Accepted { not_full: flag(x1) }`, 61 → `Full`, any other code → that error;
//! - receive: 60 → `Empty`; 20 / 2 → `RxStuck { code: Some(_) }`; any other non-zero code →
//!   `Hypervisor(_)`; 0 with size 0 → `RxStuck { code: None }` if not_empty else
//!   `Abi(ZeroLengthMessage)`; size > capacity → `Abi(SizeExceedsBuffer { size: x1, capacity })`;
//!   else `Message { len: x1, more: flag(x2) }`;
//! - every code round-trips through `GunyahError::code()`; `errno`, `kind` and `Display`
//!   never panic.
#![no_main]

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use gunyah_msgq::abi::{RecvReply, SendReply, error_code, flag};
use gunyah_msgq::{AbiViolation, Error, GunyahError, RawOutput};
use libfuzzer_sys::fuzz_target;

/// `x0`: raw, or a code the decoders single out (with junk above bit 31), so the fuzzer
/// reaches every branch without guessing 32-bit values.
#[derive(Arbitrary, Debug)]
enum X0 {
    Raw(u64),
    Code { code: Code, junk: u32 },
    Small { code: i8, junk: u32 },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Code {
    Ok,
    Empty,
    Full,
    AddrOverflow,
    ArgumentSize,
    Unimplemented,
    Retry,
    Min,
    Max,
}

impl Code {
    fn value(self) -> i32 {
        match self {
            Code::Ok => 0,
            Code::Empty => 60,
            Code::Full => 61,
            Code::AddrOverflow => 20,
            Code::ArgumentSize => 2,
            Code::Unimplemented => -1,
            Code::Retry => -2,
            Code::Min => i32::MIN,
            Code::Max => i32::MAX,
        }
    }
}

impl X0 {
    fn value(&self) -> u64 {
        match *self {
            X0::Raw(v) => v,
            X0::Code { code, junk } => (u64::from(junk) << 32) | u64::from(code.value() as u32),
            X0::Small { code, junk } => (u64::from(junk) << 32) | u64::from(i32::from(code) as u32),
        }
    }
}

/// A size or capacity: raw, or near the interesting boundaries.
#[derive(Arbitrary, Debug)]
enum Size {
    Raw(u64),
    Small(u16),
}

impl Size {
    fn value(&self) -> u64 {
        match *self {
            Size::Raw(v) => v,
            Size::Small(v) => u64::from(v),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    x0: X0,
    x1: Size,
    x2: u64,
    capacity: Size,
}

fn code_round_trips(e: GunyahError, code: i32) {
    assert_ne!(code, 0, "an error for code 0");
    assert_eq!(e.code(), code, "{e:?} does not round-trip code {code}");
    assert_eq!(GunyahError::check(code), Err(e));
    // Never panic, and say something.
    let _ = (
        e.errno(),
        e.kind(),
        Error::Hypervisor(e).errno(),
        Error::Hypervisor(e).kind(),
    );
    let mut s = String::new();
    write!(s, "{e}").unwrap();
    assert!(!s.is_empty());
}

fuzz_target!(|input: Input| {
    let raw = RawOutput {
        x0: input.x0.value(),
        x1: input.x1.value(),
        x2: input.x2,
    };
    // usize is 64 bits on every host this runs on; saturate for the odd 32-bit one.
    let capacity = usize::try_from(input.capacity.value()).unwrap_or(usize::MAX);

    // The primitive rules, independently.
    let code = raw.x0 as u32 as i32;
    assert_eq!(error_code(raw.x0), code);
    let not_full = raw.x1 & 0xFF != 0;
    let more = raw.x2 & 0xFF != 0;
    assert_eq!(flag(raw.x1), not_full);
    assert_eq!(flag(raw.x2), more);

    // msgq_send.
    let send = SendReply::try_from(raw);
    match code {
        0 => assert_eq!(send, Ok(SendReply::Accepted { not_full })),
        61 => assert_eq!(send, Ok(SendReply::Full)),
        _ => {
            let Err(e) = send else {
                panic!("code {code}: send decoded as {send:?}");
            };
            code_round_trips(e, code);
            if code == 60 {
                assert_eq!(e, GunyahError::MsgqueueEmpty);
            }
        }
    }

    // msgq_receive.
    let recv = RecvReply::decode(raw, capacity);
    let expected = match code {
        0 => match raw.x1 {
            0 if more => Err(Error::RxStuck { code: None }),
            0 => Err(Error::Abi(AbiViolation::ZeroLengthMessage)),
            size if size > capacity as u64 => Err(Error::Abi(AbiViolation::SizeExceedsBuffer {
                size,
                capacity,
            })),
            size => Ok(RecvReply::Message {
                len: size as usize,
                more,
            }),
        },
        60 => Ok(RecvReply::Empty),
        _ => {
            let e = GunyahError::check(code).unwrap_err();
            code_round_trips(e, code);
            match code {
                20 | 2 => Err(Error::RxStuck { code: Some(e) }),
                _ => Err(Error::Hypervisor(e)),
            }
        }
    };
    assert_eq!(recv, expected, "raw {raw:x?}, capacity {capacity}");
    if let Ok(RecvReply::Message { len, .. }) = recv {
        assert!((1..=capacity).contains(&len));
    }
    if let Err(e) = recv {
        let _ = (e.errno(), e.kind());
        let mut s = String::new();
        write!(s, "{e}").unwrap();
        assert!(!s.is_empty());
        assert!(e.errno() < 0);
    }

    // The constructors encode what the decoders read back.
    assert_eq!(error_code(RawOutput::error(code).x0), code);
    let r = RawOutput::received(raw.x1, more);
    assert_eq!((r.x1, flag(r.x2), error_code(r.x0)), (raw.x1, more, 0));
    assert_eq!(
        SendReply::try_from(RawOutput::sent(not_full)),
        Ok(SendReply::Accepted { not_full })
    );
    if code != 0 {
        let e = GunyahError::check(code).unwrap_err();
        assert_eq!(error_code(RawOutput::failed(e).x0), code);
    }
});
