//! Every frame shape: each message type, with 0, 1, 232, 233 and 63 × 232 payload bytes, on
//! the wire and back through the reassembler; payloads past the limit refused.

mod common;

use common::*;
use gunyah_msgq::SendFlags;
use gunyah_rm_rpc::wire::{HEADER_LEN, Header, MAX_PAYLOAD, MsgType};
use gunyah_rm_rpc::{FragmentError, Fragmenter, Progress, Reassembler};

const SIZES: [usize; 5] = [0, 1, 232, 233, 62 * 232 + 232];

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

/// Checks the frames of one message byte by byte.
fn check_shape(kind: MsgType, len: usize) {
    let data = payload(len);
    let frames: Vec<_> = Fragmenter::new(kind, 0x0102, 0x5600_0024, &data, 240)
        .unwrap()
        .collect();
    let expected_frames = if len == 0 { 1 } else { len.div_ceil(232) };
    assert_eq!(frames.len(), expected_frames, "{kind:?} {len}");
    let count = (expected_frames - 1) as u8;
    let mut joined = Vec::new();
    for (i, fragment) in frames.iter().enumerate() {
        let frame = fragment.frame();
        let bytes = frame.as_bytes();
        let wire_kind = if i == 0 { kind as u8 } else { 0 };
        assert_eq!(
            bytes[..HEADER_LEN],
            [
                0x21,
                count << 2 | wire_kind,
                0x02,
                0x01,
                0x24,
                0x00,
                0x00,
                0x56
            ],
            "{kind:?} {len} frame {i}"
        );
        let last = i == expected_frames - 1;
        let body_len = if last { len - 232 * i } else { 232 };
        assert_eq!(bytes.len(), HEADER_LEN + body_len);
        assert_eq!(fragment.body(), &bytes[HEADER_LEN..]);
        assert_eq!(fragment.is_last(), last);
        assert_eq!(fragment.flags(), SendFlags::with_push(last));
        assert_eq!(
            fragment.header(),
            Header::new(
                if i == 0 { kind } else { MsgType::Continuation },
                count,
                0x0102,
                0x5600_0024
            )
        );
        joined.extend_from_slice(fragment.body());
    }
    assert_eq!(joined, data);

    // And back.
    let mut buf = vec![0u8; MAX_PAYLOAD];
    let mut rx = Reassembler::new(&mut buf[..]);
    for (i, fragment) in frames.iter().enumerate() {
        let pushed = rx.push(fragment.frame().as_bytes());
        assert_eq!(pushed.aborted, None);
        match pushed.result.unwrap() {
            Progress::Complete(msg) => {
                assert_eq!(i, expected_frames - 1);
                assert_eq!(msg.header, Header::new(kind, count, 0x0102, 0x5600_0024));
                assert_eq!(msg.payload, &data[..]);
            }
            Progress::Partial => assert!(i < expected_frames - 1),
        }
    }
    assert_eq!(rx.partial(), None);
}

#[test]
fn requests() {
    for len in SIZES {
        check_shape(MsgType::Request, len);
    }
}

#[test]
fn replies() {
    for len in SIZES {
        check_shape(MsgType::Reply, len);
    }
}

#[test]
fn notifications() {
    for len in SIZES {
        check_shape(MsgType::Notification, len);
    }
}

#[test]
fn continuations_of_the_largest_message() {
    let data = payload(MAX_PAYLOAD);
    let frames: Vec<_> = frames(MsgType::Request, 5, 9, &data);
    assert_eq!(frames.len(), 63);
    for frame in &frames[1..] {
        assert_eq!(frame[1], 62 << 2, "type 0, count 62");
        assert_eq!(frame.len(), 240);
    }
}

#[test]
fn one_byte_past_the_limit_is_refused() {
    let data = payload(MAX_PAYLOAD + 1);
    for kind in [MsgType::Request, MsgType::Reply, MsgType::Notification] {
        assert_eq!(
            Fragmenter::new(kind, 0, 1, &data, 240).unwrap_err(),
            FragmentError::PayloadTooLarge {
                len: MAX_PAYLOAD + 1,
                max: MAX_PAYLOAD
            }
        );
    }
}

#[test]
fn smaller_queues_get_smaller_frames() {
    // A 64-byte queue: 56 payload bytes per frame, 63 × 56 at most.
    let data = payload(57);
    let frames: Vec<_> = Fragmenter::new(MsgType::Request, 0, 1, &data, 64)
        .unwrap()
        .map(|f| f.frame().as_bytes().to_vec())
        .collect();
    assert_eq!(frames.iter().map(Vec::len).collect::<Vec<_>>(), [64, 9]);
    assert_eq!(frames[0][1], 1 << 2 | 1);
    assert!(Fragmenter::new(MsgType::Request, 0, 1, &payload(63 * 56), 64).is_ok());
    assert_eq!(
        Fragmenter::new(MsgType::Request, 0, 1, &payload(63 * 56 + 1), 64).unwrap_err(),
        FragmentError::PayloadTooLarge {
            len: 63 * 56 + 1,
            max: 63 * 56
        }
    );
    // A larger queue still gets at most 240-byte frames: the RM's limit.
    let frames: Vec<_> = Fragmenter::new(MsgType::Request, 0, 1, &payload(300), 1023)
        .unwrap()
        .map(|f| f.frame().as_bytes().len())
        .collect();
    assert_eq!(frames, [240, 76]);
    // 9 bytes hold a header and one byte; 8 do not.
    assert_eq!(
        Fragmenter::new(MsgType::Request, 0, 1, &payload(3), 9)
            .unwrap()
            .count(),
        3
    );
    assert_eq!(
        Fragmenter::new(MsgType::Request, 0, 1, &[], 8).unwrap_err(),
        FragmentError::QueueTooSmall { max_msg_size: 8 }
    );
}
