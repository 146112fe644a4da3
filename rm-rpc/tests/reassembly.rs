//! The reassembler's abort and drop rules, and its buffer limit.

mod common;

use common::*;
use gunyah_rm_rpc::wire::{Header, MsgType, WireError};
use gunyah_rm_rpc::{Progress, ReassembleError, Reassembler};

/// The frames of a 3-frame reply (seq 4, msg_id 0x20).
fn three_frames() -> Vec<Vec<u8>> {
    frames(MsgType::Reply, 4, 0x20, &[0xAB; 500])
}

fn first_header() -> Header {
    Header::new(MsgType::Reply, 2, 4, 0x20)
}

fn complete_payload(pushed: &gunyah_rm_rpc::Pushed<'_>) -> Option<Vec<u8>> {
    match pushed.result {
        Ok(Progress::Complete(msg)) => Some(msg.payload.to_vec()),
        _ => None,
    }
}

#[test]
fn a_new_start_aborts_a_partial_message() {
    for kind in [MsgType::Request, MsgType::Reply, MsgType::Notification] {
        let mut rx = Reassembler::new([0u8; 1024]);
        let f = three_frames();
        assert_eq!(rx.push(&f[0]).result, Ok(Progress::Partial));
        assert_eq!(rx.partial(), Some(first_header()));
        let start = frames(kind, 9, 0x30, b"new");
        let pushed = rx.push(&start[0]);
        assert_eq!(pushed.aborted, Some(first_header()));
        assert_eq!(complete_payload(&pushed), Some(b"new".to_vec()));
        // The aborted message's next fragment is an orphan now.
        let pushed = rx.push(&f[1]);
        assert_eq!(pushed.aborted, None);
        assert_eq!(
            pushed.result,
            Err(ReassembleError::Orphan {
                header: Header::new(MsgType::Continuation, 2, 4, 0x20)
            })
        );
    }
}

#[test]
fn a_new_fragmented_start_replaces_the_partial_message() {
    let mut rx = Reassembler::new([0u8; 1024]);
    let f = three_frames();
    let _ = rx.push(&f[0]);
    let g = frames(MsgType::Notification, 0, 0x31, &[1; 300]);
    let pushed = rx.push(&g[0]);
    assert_eq!(pushed.aborted, Some(first_header()));
    assert_eq!(pushed.result, Ok(Progress::Partial));
    assert_eq!(complete_payload(&rx.push(&g[1])), Some(vec![1; 300]));
}

/// A continuation that differs from the partial message in one field.
fn mismatched(change: impl Fn(&mut Header)) {
    let mut rx = Reassembler::new([0u8; 1024]);
    let f = three_frames();
    let _ = rx.push(&f[0]);
    let mut h = Header::new(MsgType::Continuation, 2, 4, 0x20);
    change(&mut h);
    let mut frame = h.encode().to_vec();
    frame.extend_from_slice(&[0xAB; 232]);
    let pushed = rx.push(&frame);
    assert_eq!(pushed.aborted, Some(first_header()), "{h:?}");
    assert_eq!(pushed.result, Err(ReassembleError::Orphan { header: h }));
    assert_eq!(rx.partial(), None);
    // Nothing of the aborted message completes later.
    assert_eq!(complete_payload(&rx.push(&f[1])), None);
    assert_eq!(complete_payload(&rx.push(&f[2])), None);
}

#[test]
fn a_continuation_with_another_msg_id_aborts() {
    mismatched(|h| h.msg_id = 0x21);
}

#[test]
fn a_continuation_with_another_seq_aborts() {
    mismatched(|h| h.seq = 5);
}

#[test]
fn a_continuation_with_another_count_aborts() {
    mismatched(|h| h.continuations = 1);
    mismatched(|h| h.continuations = 3);
}

#[test]
fn a_continuation_without_a_partial_message_is_an_orphan() {
    let mut rx = Reassembler::new([0u8; 64]);
    let f = three_frames();
    let pushed = rx.push(&f[1]);
    assert_eq!(pushed.aborted, None);
    assert!(matches!(pushed.result, Err(ReassembleError::Orphan { .. })));
}

#[test]
fn frames_of_another_protocol_change_nothing() {
    let mut rx = Reassembler::new([0u8; 1024]);
    let f = three_frames();
    let _ = rx.push(&f[0]);
    let mut bad_api = f[1].clone();
    bad_api[0] = 0x22;
    let mut too_many = f[1].clone();
    too_many[1] = 63 << 2;
    let mut too_long = f[1].clone();
    too_long.push(0);
    for (frame, error) in [
        (&f[1][..7], WireError::Short { len: 7 }),
        (&[][..], WireError::Short { len: 0 }),
        (&bad_api[..], WireError::BadApi { byte: 0x22 }),
        (&too_many[..], WireError::TooManyContinuations { count: 63 }),
        (&too_long[..], WireError::TooLong { len: 241 }),
    ] {
        let pushed = rx.push(frame);
        assert_eq!(pushed.aborted, None);
        assert_eq!(pushed.result, Err(ReassembleError::Wire(error)));
        assert_eq!(rx.partial(), Some(first_header()));
    }
    assert_eq!(rx.push(&f[1]).result, Ok(Progress::Partial));
    assert_eq!(complete_payload(&rx.push(&f[2])), Some(vec![0xAB; 500]));
}

#[test]
fn a_first_frame_larger_than_the_buffer() {
    let mut rx = Reassembler::new([0u8; 100]);
    let f = frames(MsgType::Notification, 0, 0x40, &[2; 101]);
    assert_eq!(
        rx.push(&f[0]).result,
        Err(ReassembleError::TooLarge {
            header: Header::new(MsgType::Notification, 0, 0, 0x40),
            capacity: 100
        })
    );
    // Exactly the buffer's size fits.
    let f = frames(MsgType::Notification, 0, 0x40, &[2; 100]);
    assert_eq!(complete_payload(&rx.push(&f[0])), Some(vec![2; 100]));
    assert_eq!(rx.capacity(), 100);
}

#[test]
fn a_too_large_start_still_aborts_the_partial_message() {
    let mut rx = Reassembler::new([0u8; 200]);
    let partial = Header::new(MsgType::Reply, 1, 1, 0x20);
    let mut first = partial.encode().to_vec();
    first.extend_from_slice(&[0; 10]);
    assert_eq!(rx.push(&first).result, Ok(Progress::Partial));
    let big = frames(MsgType::Notification, 0, 0x40, &[2; 232]);
    let pushed = rx.push(&big[0]);
    assert_eq!(pushed.aborted, Some(partial));
    assert_eq!(
        pushed.result,
        Err(ReassembleError::TooLarge {
            header: Header::new(MsgType::Notification, 0, 0, 0x40),
            capacity: 200
        })
    );
    assert_eq!(rx.partial(), None);
}

#[test]
fn a_continuation_that_overflows_the_buffer() {
    let mut rx = Reassembler::new([0u8; 400]);
    let f = three_frames();
    assert_eq!(rx.push(&f[0]).result, Ok(Progress::Partial));
    assert_eq!(
        rx.push(&f[1]).result,
        Err(ReassembleError::TooLarge {
            header: first_header(),
            capacity: 400
        })
    );
    assert_eq!(rx.partial(), None);
    assert!(matches!(
        rx.push(&f[2]).result,
        Err(ReassembleError::Orphan { .. })
    ));
    // A message that ends exactly at the buffer's end fits.
    let mut rx = Reassembler::new([0u8; 464]);
    let f = frames(MsgType::Reply, 4, 0x20, &[7; 464]);
    let _ = rx.push(&f[0]);
    assert_eq!(complete_payload(&rx.push(&f[1])), Some(vec![7; 464]));
}

#[test]
fn abort_drops_the_partial_message() {
    let mut buf = [0u8; 1024];
    let mut rx = Reassembler::new(&mut buf[..]);
    assert_eq!(rx.abort(), None);
    let f = three_frames();
    let _ = rx.push(&f[0]);
    assert_eq!(rx.abort(), Some(first_header()));
    assert_eq!(rx.partial(), None);
    assert!(matches!(
        rx.push(&f[1]).result,
        Err(ReassembleError::Orphan { .. })
    ));
    let buf = rx.into_inner();
    assert_eq!(buf[..4], [0xAB; 4]);
}

#[test]
fn empty_continuations_count() {
    // A sender may send a continuation with no payload; it still counts as one.
    let mut rx = Reassembler::new([0u8; 64]);
    let first = {
        let mut f = Header::new(MsgType::Notification, 2, 0, 0x50)
            .encode()
            .to_vec();
        f.extend_from_slice(b"ab");
        f
    };
    let cont = Header::new(MsgType::Continuation, 2, 0, 0x50)
        .encode()
        .to_vec();
    let mut last = cont.clone();
    last.extend_from_slice(b"c");
    assert_eq!(rx.push(&first).result, Ok(Progress::Partial));
    assert_eq!(rx.push(&cont).result, Ok(Progress::Partial));
    assert_eq!(complete_payload(&rx.push(&last)), Some(b"abc".to_vec()));
}
