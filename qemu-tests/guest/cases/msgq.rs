//! Message queue calls through the model: both forms, the peer through control calls, errors,
//! rights, quirk mode and the native reserved-input checks.

use super::link;
use crate::abi::control::{Caps, Line, Setup, SetupFlags, Sides};
use crate::abi::layout::NO_INTID;
use crate::control::{peer_recv, peer_send, queue_state};
use crate::hvc::error;
use crate::msgq::{configure_send, recv_native, recv_smccc, send_native, send_raw, send_smccc};
use crate::report::{Fail, Outcome, Report};
use crate::{check, check_eq, check_regs};

const OK: i32 = 0;
const ARGUMENT_INVALID: i32 = 1;
const ARGUMENT_SIZE: i32 = 2;
const ADDR_OVERFLOW: i32 = 20;
const ADDR_INVALID: i32 = 22;
const CSPACE_CAP_NULL: i32 = 50;
const CSPACE_INSUFFICIENT_RIGHTS: i32 = 53;
const MSGQUEUE_EMPTY: i32 = 60;
const MSGQUEUE_FULL: i32 = 61;
const UNIMPLEMENTED: i32 = -1;
const PUSH: u64 = 1;

pub(super) fn run(r: &mut Report) {
    r.case("send_then_peer_receive", send_then_peer_receive);
    r.case(
        "peer_send_then_native_receive",
        peer_send_then_native_receive,
    );
    r.case("full_then_empty", full_then_empty);
    r.case("rights_and_caps", rights_and_caps);
    r.case("documented_errors", documented_errors);
    r.case("quirk_mode", quirk_mode);
    r.case("native_reserved_inputs", native_reserved_inputs);
    r.case("configure_send", configure);
    r.case("one_sided_link", one_sided_link);
}

fn queued(line: Line) -> Result<u64, Fail> {
    queue_state(line).map(|s| s.len).map_err(|e| Fail {
        what: "control queue_state",
        got: e as u64,
        want: 0,
    })
}

fn send_then_peer_receive() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let x = send_smccc(l.tx_cap, b"ping", PUSH);
    check_eq!(error(x[0]), OK, "send error");
    check_eq!(x[1], 1, "send not_full");
    let mut buf = [0u8; 240];
    let x = peer_recv(&mut buf);
    check_eq!(error(x[0]), OK, "peer receive error");
    check_eq!(x[1], 4, "peer receive size");
    check_eq!(x[2], 0, "peer receive not_empty");
    check!(&buf[..4] == b"ping", "peer receives the bytes sent");
    check_eq!(error(peer_recv(&mut buf)[0]), MSGQUEUE_EMPTY, "then empty");
    Ok(())
}

fn peer_send_then_native_receive() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    check_eq!(error(peer_send(b"pong!", false)[0]), OK, "peer send");
    check_eq!(error(peer_send(b"2nd", false)[0]), OK, "peer send");
    let mut buf = [0u8; 240];
    let x = recv_native(l.rx_cap, &mut buf, 0);
    check_eq!(error(x[0]), OK, "receive error");
    check_eq!(x[1], 5, "receive size");
    check_eq!(x[2], 1, "receive not_empty");
    check!(&buf[..5] == b"pong!", "receive the bytes the peer sent");
    check_regs!(
        recv_smccc(l.rx_cap, &mut buf),
        OK,
        [3, 0],
        "second receive (SMCCC)"
    );
    check_eq!(
        error(recv_native(l.rx_cap, &mut buf, 0)[0]),
        MSGQUEUE_EMPTY,
        "then empty"
    );
    Ok(())
}

fn full_then_empty() -> Outcome {
    let l = link(Setup {
        depth: 3,
        ..Setup::DEFAULT
    })?;
    for i in 0..3u64 {
        let x = send_native(l.tx_cap, b"m", 0, 0);
        check_eq!(error(x[0]), OK, "send into room");
        check_eq!(x[1], u64::from(i < 2), "not_full until the last slot");
    }
    check_eq!(
        error(send_native(l.tx_cap, b"m", 0, 0)[0]),
        MSGQUEUE_FULL,
        "send when full"
    );
    check_eq!(queued(Line::Tx)?, 3, "nothing more queued");
    let mut buf = [0u8; 240];
    check_eq!(
        error(recv_native(l.rx_cap, &mut buf, 0)[0]),
        MSGQUEUE_EMPTY,
        "empty RX"
    );
    Ok(())
}

fn rights_and_caps() -> Outcome {
    let mut buf = [0u8; 240];
    let flags = SetupFlags {
        caps: Caps::Swapped,
        ..SetupFlags::default()
    };
    let l = link(Setup {
        flags,
        ..Setup::DEFAULT
    })?;
    let e = error(send_native(l.tx_cap, b"x", 0, 0)[0]);
    check_eq!(e, CSPACE_INSUFFICIENT_RIGHTS, "send on a RECEIVE cap");
    let e = error(recv_native(l.rx_cap, &mut buf, 0)[0]);
    check_eq!(e, CSPACE_INSUFFICIENT_RIGHTS, "receive on a SEND cap");
    let flags = SetupFlags {
        caps: Caps::Invalid,
        ..SetupFlags::default()
    };
    let l = link(Setup {
        flags,
        ..Setup::DEFAULT
    })?;
    let x = send_smccc(l.tx_cap, b"x", 0);
    check_eq!(
        error(x[0]),
        CSPACE_CAP_NULL,
        "send on a cap that names nothing"
    );
    check_eq!(x[1], 0, "failed lookup zeroes the outputs");
    Ok(())
}

fn documented_errors() -> Outcome {
    let l = link(Setup {
        tx_max: 16,
        rx_max: 16,
        ..Setup::DEFAULT
    })?;
    check_eq!(
        error(send_native(l.tx_cap, b"", 0, 0)[0]),
        ARGUMENT_SIZE,
        "size 0"
    );
    check_eq!(
        error(send_native(l.tx_cap, &[7; 17], 0, 0)[0]),
        ARGUMENT_SIZE,
        "size > max"
    );
    // The model's own memory is not guest memory.
    check_eq!(
        error(send_raw(l.tx_cap, 0x4008_0000, 4)[0]),
        ADDR_INVALID,
        "model memory"
    );
    check_eq!(
        error(send_raw(l.tx_cap, 0x10, 4)[0]),
        ADDR_INVALID,
        "flash address"
    );
    check_eq!(queued(Line::Tx)?, 0, "nothing queued");
    check_eq!(
        error(peer_send(&[1; 16], false)[0]),
        OK,
        "peer sends 16 bytes"
    );
    let mut small = [0u8; 8];
    let x = recv_native(l.rx_cap, &mut small, 0);
    check_eq!(error(x[0]), ADDR_OVERFLOW, "receive into 8 bytes");
    check_eq!(queued(Line::Rx)?, 1, "the message stays");
    Ok(())
}

fn quirk_mode() -> Outcome {
    let flags = SetupFlags {
        quirks: true,
        ..SetupFlags::default()
    };
    let l = link(Setup {
        tx_max: 16,
        rx_max: 16,
        flags,
        ..Setup::DEFAULT
    })?;
    check_regs!(
        send_native(l.tx_cap, b"", 0, 0),
        OK,
        [1],
        "size 0: OK, not_full"
    );
    check_regs!(
        send_raw(l.tx_cap, 0x4008_0000, 4),
        OK,
        [1],
        "bad buffer: OK, not_full"
    );
    check_eq!(queued(Line::Tx)?, 0, "nothing queued");
    check_eq!(
        error(peer_send(&[1; 16], false)[0]),
        OK,
        "peer sends 16 bytes"
    );
    let mut small = [0u8; 8];
    let x = recv_native(l.rx_cap, &mut small, 0);
    check_regs!(x, OK, [0, 1], "small buffer: OK, size 0, not_empty");
    check_eq!(queued(Line::Rx)?, 1, "the message stays");
    Ok(())
}

fn native_reserved_inputs() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    let x = send_native(l.tx_cap, b"abc", 0, 1);
    check_eq!(error(x[0]), ARGUMENT_INVALID, "native send with x4 != 0");
    check_eq!(queued(Line::Tx)?, 0, "nothing queued");
    check_eq!(error(peer_send(b"abc", false)[0]), OK, "peer send");
    let mut buf = [0u8; 240];
    let x = recv_native(l.rx_cap, &mut buf, 5);
    check_eq!(error(x[0]), ARGUMENT_INVALID, "native receive with x3 != 0");
    check_eq!(queued(Line::Rx)?, 1, "message left queued");
    // SMCCC does not check: a non-zero x5 on send is accepted.
    let x = crate::hvc::smccc([0xC600_801B, l.tx_cap, 3, b"abc".as_ptr() as u64, 0, 7, 0, 0]);
    check_eq!(error(x[0]), OK, "SMCCC send with x5 != 0");
    check_eq!(queued(Line::Tx)?, 1, "and queued");
    Ok(())
}

fn configure() -> Outcome {
    let l = link(Setup::DEFAULT)?;
    check_eq!(
        error(configure_send(l.tx_cap, 2, u64::MAX)[0]),
        OK,
        "threshold 2"
    );
    check_eq!(
        queue_state(Line::Tx).map_or(0, |s| s.not_full_threshold),
        2,
        "applied"
    );
    check_eq!(
        error(configure_send(l.tx_cap, 8, u64::MAX)[0]),
        ARGUMENT_INVALID,
        "= depth"
    );
    check_eq!(
        error(configure_send(l.tx_cap, 1, 5)[0]),
        UNIMPLEMENTED,
        "holdoff != -1"
    );
    Ok(())
}

fn one_sided_link() -> Outcome {
    let flags = SetupFlags {
        sides: Sides::TxOnly,
        ..SetupFlags::default()
    };
    let l = link(Setup {
        flags,
        ..Setup::DEFAULT
    })?;
    check_eq!(l.rx_cap, u64::MAX, "TX-only: no RX cap");
    check_eq!(l.rx_intid, NO_INTID, "TX-only: no RX INTID");
    check_eq!(error(send_native(l.tx_cap, b"x", 0, 0)[0]), OK, "TX works");
    Ok(())
}
