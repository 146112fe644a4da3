//! Every hypervisor error code, through the queue: the send path, `try_recv` and the drain
//! each give the typed `Error::Hypervisor(..)` with the spec's errno and `ErrorKind`, and
//! never mistake another error for FULL or EMPTY (spec bug 3). Junk above bit 31 of the
//! error word and above bit 7 of a boolean is ignored.

mod common;

use common::*;
use gunyah_msgq::mock::MockHypercall;
use gunyah_msgq::{
    DrainOutcome, Error, ErrorKind, GunyahError, RawOutput, RecvOutcome, SendFlags, SendOutcome,
    Stats, TxState,
};

/// Every code of the spec's `error_t` table (§3) except OK, FULL and EMPTY, plus 23 and 24
/// (named by newer hypervisors), with the variant the crate must give.
const NAMED: &[(i32, GunyahError)] = {
    use GunyahError::*;
    &[
        (-1, Unimplemented),
        (-2, Retry),
        (1, ArgumentInvalid),
        (2, ArgumentSize),
        (3, ArgumentAlignment),
        (10, Nomem),
        (11, Noresources),
        (20, AddrOverflow),
        (21, AddrUnderflow),
        (22, AddrInvalid),
        (23, AddrOverlap),
        (24, AddrNotFound),
        (30, Denied),
        (31, Busy),
        (32, Idle),
        (33, ObjectState),
        (34, ObjectConfig),
        (35, ObjectConfigured),
        (36, Failure),
        (40, VirqBound),
        (41, VirqNotBound),
        (50, CspaceCapNull),
        (51, CspaceCapRevoked),
        (52, CspaceWrongObjectType),
        (53, CspaceInsufficientRights),
        (54, CspaceFull),
        (90, StringTruncated),
        (91, StringReachedEnd),
        (92, StringInvalidFormat),
        (93, StringMissingPlaceholder),
        (94, StringMissingArgument),
        (100, AllocatorRangeOverlapping),
        (101, AllocatorMemInuse),
        (110, MemdbEmpty),
        (111, MemdbNotOwner),
        (120, MemextentMappingsFull),
        (121, MemextentType),
        (200, ExistingMapping),
    ]
};

/// Codes no hypervisor names, around the named ones and at the edges of `i32`.
const UNKNOWN: &[i32] = &[
    -3,
    -60,
    -61,
    4,
    9,
    12,
    25,
    37,
    42,
    55,
    59,
    62,
    95,
    102,
    199,
    201,
    0x7FFF_0000,
    i32::MAX,
    i32::MIN,
];

/// The spec's crate mapping (§3): ErrorKind and errno of a non-OK code.
fn spec_kind_and_errno(code: i32) -> (ErrorKind, i32) {
    match code {
        -2 | 60 | 61 => (ErrorKind::Retry, -11),
        -1 => (ErrorKind::Unsupported, -95),
        1..=3 | 20..=22 => (ErrorKind::InvalidArgument, -22),
        10 => (ErrorKind::NoMemory, -12),
        30 | 50..=53 => (ErrorKind::Denied, -13),
        31 | 32 | 54 => (ErrorKind::Busy, -16),
        40 | 41 => (ErrorKind::IrqBinding, -5),
        _ => (ErrorKind::Other, -22),
    }
}

/// Every way a hypervisor may write error `code` into x0: sign-extended (native `error_t`),
/// zero-extended (a 32-bit write to w0), and with junk above bit 31. The outputs besides
/// x0 are junk too: they mean nothing unless the error is OK.
fn encodings(code: i32) -> [RawOutput; 3] {
    let low = u64::from(code as u32);
    [
        RawOutput {
            x0: code as i64 as u64,
            x1: 0,
            x2: 0,
        },
        RawOutput {
            x0: low,
            x1: 1,
            x2: 1,
        },
        RawOutput {
            x0: 0xA5A5_5A5A_0000_0000 | low,
            x1: u64::MAX,
            x2: 0xFF,
        },
    ]
}

/// Every non-OK code with the error the queue must report for it.
fn every_error() -> impl Iterator<Item = (i32, GunyahError)> {
    NAMED
        .iter()
        .copied()
        .chain(UNKNOWN.iter().map(|&c| (c, GunyahError::Unknown(c))))
}

fn check_typed(code: i32, expected: GunyahError, got: Error, path: &str) {
    assert_eq!(got, Error::Hypervisor(expected), "{path}: code {code}");
    let (kind, errno) = spec_kind_and_errno(code);
    assert_eq!(got.kind(), kind, "{path}: code {code}");
    assert_eq!(got.errno(), errno, "{path}: code {code}");
    assert_eq!(expected.code(), code, "{path}: the raw code is kept");
}

/// The receive path: as [`check_typed`], except that the documented "buffer too small"
/// answers (ADDR_OVERFLOW, ARGUMENT_SIZE) are `RxStuck`, with the code kept.
fn check_typed_receive(code: i32, expected: GunyahError, got: Error, path: &str) {
    match expected {
        GunyahError::AddrOverflow | GunyahError::ArgumentSize => {
            assert_eq!(
                got,
                Error::RxStuck {
                    code: Some(expected)
                },
                "{path}: code {code}"
            );
            assert_eq!(got.kind(), ErrorKind::RxStuck, "{path}: code {code}");
            assert_eq!(got.errno(), -5, "{path}: code {code}");
        }
        _ => check_typed(code, expected, got, path),
    }
}

fn send_queue(reply: RawOutput, times: usize) -> Q {
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send()
        .withf(|cap, _, _| *cap == TX_CAP)
        .times(times)
        .return_const(reply);
    duplex(hyp)
}

#[test]
fn every_error_code_on_send_is_typed_with_its_errno_and_kind() {
    for (code, expected) in every_error() {
        for out in encodings(code) {
            let q = send_queue(out, 1);
            let got = q.try_send(b"m", SendFlags::NONE).unwrap_err();
            check_typed(code, expected, got, "send");
            assert_eq!(q.tx_state(), TxState::Ready, "code {code}");
            assert_eq!(
                q.stats(),
                Stats {
                    faults: 1,
                    ..Stats::default()
                }
            );
        }
    }
}

#[test]
fn every_error_code_on_receive_is_typed_never_empty() {
    for (code, expected) in every_error() {
        for out in encodings(code) {
            let mut hyp = MockHypercall::new();
            script_rx(&mut hyp, MAX, vec![raw(out), raw(out)]);
            let q = duplex(hyp);
            let got = q.try_recv(&mut [0; MAX]).unwrap_err();
            check_typed_receive(code, expected, got, "try_recv");
            let got = q.on_rx_interrupt(|_| {}).unwrap_err();
            check_typed_receive(code, expected, got, "drain");
            assert!(
                q.rx_pending(),
                "code {code}: a failed drain keeps RX pending"
            );
            assert_eq!(
                q.stats(),
                Stats {
                    faults: 2,
                    ..Stats::default()
                }
            );
        }
    }
}

#[test]
fn empty_on_the_send_path_is_an_error_not_would_block() {
    // EMPTY is flow control only for a receive; a send that gets it reports it.
    for out in encodings(EMPTY) {
        let q = send_queue(out, 1);
        let got = q.try_send(b"m", SendFlags::NONE).unwrap_err();
        check_typed(EMPTY, GunyahError::MsgqueueEmpty, got, "send");
        assert_eq!(q.tx_state(), TxState::Ready);
    }
}

#[test]
fn full_on_the_receive_path_is_an_error_not_empty() {
    for out in encodings(FULL) {
        let mut hyp = MockHypercall::new();
        script_rx(&mut hyp, MAX, vec![raw(out), raw(out)]);
        let q = duplex(hyp);
        let got = q.try_recv(&mut [0; MAX]).unwrap_err();
        check_typed(FULL, GunyahError::MsgqueueFull, got, "try_recv");
        let got = q.on_rx_interrupt(|_| {}).unwrap_err();
        check_typed(FULL, GunyahError::MsgqueueFull, got, "drain");
    }
}

#[test]
fn full_with_junk_above_bit_31_is_would_block() {
    for out in encodings(FULL) {
        let q = send_queue(out, 1);
        assert_eq!(
            q.try_send(b"m", SendFlags::NONE),
            Ok(SendOutcome::WouldBlock)
        );
        assert_eq!(q.tx_state(), TxState::Full);
    }
}

#[test]
fn empty_with_junk_above_bit_31_is_empty() {
    for out in encodings(EMPTY) {
        let mut hyp = MockHypercall::new();
        script_rx(&mut hyp, MAX, vec![raw(out), raw(out)]);
        let q = duplex(hyp);
        assert_eq!(q.try_recv(&mut [0; MAX]), Ok(RecvOutcome::Empty));
        assert_eq!(
            q.on_rx_interrupt(|_| {}),
            Ok(DrainOutcome::Done { delivered: 0 })
        );
        assert!(!q.rx_pending());
    }
}

#[test]
fn ok_with_junk_above_bit_31_of_the_error_word_is_ok() {
    let q = send_queue(
        RawOutput {
            x0: 0xFFFF_FFFF_0000_0000,
            x1: 1,
            x2: 0,
        },
        1,
    );
    assert_eq!(
        q.try_send(b"m", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );

    let mut hyp = MockHypercall::new();
    script_rx(
        &mut hyp,
        MAX,
        vec![raw(RawOutput {
            x0: 0x8000_0000_0000_0000,
            x1: 3,
            x2: 0,
        })],
    );
    let q = duplex(hyp);
    assert_eq!(
        q.try_recv(&mut [0; MAX]),
        Ok(RecvOutcome::Received {
            len: 3,
            more: false
        })
    );
}

#[test]
fn not_full_reads_only_the_low_byte() {
    // Junk above bit 7 never makes not_full true; any low-byte bit does.
    for (x1, not_full) in [
        (0xFFFF_FF00, false),
        (0x100, false),
        (0x8000_0000_0000_0000, false),
        (0x1_01, true),
        (0x80, true),
        (0xFFFF_FFFF_FFFF_FF02, true),
    ] {
        let q = send_queue(RawOutput { x0: 0, x1, x2: 0 }, 1);
        assert_eq!(
            q.try_send(b"m", SendFlags::NONE),
            Ok(SendOutcome::Sent { not_full }),
            "x1 = {x1:#x}"
        );
        let state = if not_full {
            TxState::Ready
        } else {
            TxState::Full
        };
        assert_eq!(q.tx_state(), state, "x1 = {x1:#x}");
    }
}

#[test]
fn not_empty_reads_only_the_low_byte() {
    for (x2, more) in [
        (0xFF00, false),
        (0x100, false),
        (0x8000_0000_0000_0000, false),
        (0x1_01, true),
        (0x80, true),
    ] {
        let reply = raw(RawOutput { x0: 0, x1: 2, x2 });
        let mut hyp = MockHypercall::new();
        // try_recv, then a drain: one receive if `more` is false, two if it is true.
        let mut script = vec![reply.clone(), reply];
        if more {
            script.push(raw(err(EMPTY)));
        }
        script_rx(&mut hyp, MAX, script);
        let q = duplex(hyp);
        assert_eq!(
            q.try_recv(&mut [0; MAX]),
            Ok(RecvOutcome::Received { len: 2, more }),
            "x2 = {x2:#x}"
        );
        assert_eq!(q.poll_rx(|_| {}), Ok(DrainOutcome::Done { delivered: 1 }));
    }
}

#[test]
fn rx_stuck_is_recognised_with_junk_in_not_empty() {
    // OK, size 0 and a not_empty of 0x..01: RxStuck, not a zero-length message.
    let mut hyp = MockHypercall::new();
    let out = RawOutput {
        x0: 0xFFFF_0000_0000_0000,
        x1: 0,
        x2: 0xFF01,
    };
    script_rx(&mut hyp, MAX, vec![raw(out)]);
    let q = duplex(hyp);
    assert_eq!(
        q.try_recv(&mut [0; MAX]),
        Err(Error::RxStuck { code: None })
    );
}

#[test]
fn a_size_with_junk_in_its_upper_bits_is_not_truncated() {
    // The size is not a boolean or an error word: every bit counts, so 2^32 + 3 is far larger
    // than the buffer, never 3. The drain skips it and asks again.
    let mut hyp = MockHypercall::new();
    let out = RawOutput::received((1 << 32) + 3, false);
    script_rx(&mut hyp, MAX, vec![raw(out), raw(out), raw(err(EMPTY))]);
    let q = duplex(hyp);
    assert!(matches!(q.try_recv(&mut [0; MAX]), Err(Error::Abi(_))));
    let r = q.poll_rx(|_| panic!("not a message"));
    assert_eq!(r, Ok(DrainOutcome::Done { delivered: 0 }));
    assert_eq!(q.stats().malformed, 2);
}
