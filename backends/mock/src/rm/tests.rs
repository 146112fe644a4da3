//! Unit tests of the simulated RM's framing, entries and misbehaviour, against bytes written
//! out by hand.

use std::vec;
use std::vec::Vec;

use super::misbehaviour::{Effects, Misbehaviour, Plan, Request};
use super::resources::{ENTRY_LEN, HypResource, encode_list, kind};
use super::wire::{
    self, FRAGMENT_PAYLOAD, HEADER_LEN, Header, MAX_PAYLOAD, Malformed, MsgType, fragments,
    reply_payload,
};
use super::{Injection, When};

#[test]
fn constants() {
    assert_eq!(
        (HEADER_LEN, FRAGMENT_PAYLOAD, MAX_PAYLOAD),
        (8, 232, 14_616)
    );
    assert_eq!((wire::API_BYTE, wire::MAX_CONTINUATIONS), (0x21, 62));
    assert_eq!(ENTRY_LEN, 44);
    assert_eq!(
        (
            super::VM_GET_VMID,
            super::VM_GET_HYP_RESOURCES,
            super::VM_GET_ID
        ),
        (0x5600_0024, 0x5600_0020, 0x5600_0010)
    );
}

#[test]
fn types_and_their_bits() {
    let all = [
        (MsgType::Continuation, 0),
        (MsgType::Request, 1),
        (MsgType::Reply, 2),
        (MsgType::Notification, 3),
    ];
    for (t, bits) in all {
        assert_eq!(t.bits(), bits);
        assert_eq!(MsgType::from_bits(bits), t);
        // The count bits above are ignored.
        assert_eq!(MsgType::from_bits(bits | 0xfc), t);
    }
}

#[test]
fn header_bytes() {
    let h = Header {
        msg_type: MsgType::Reply,
        continuations: 62,
        seq: 0xa1b2,
        msg_id: 0x5600_0024,
    };
    let bytes = [0x21, 0xfa, 0xb2, 0xa1, 0x24, 0x00, 0x00, 0x56];
    assert_eq!(h.encode(), bytes);
    assert_eq!(Header::decode(&bytes), Ok(h));
    // Trailing payload is not the header's business.
    assert_eq!(
        Header::decode(&[0x21, 0x01, 0, 0, 1, 2, 3, 4, 9, 9])
            .unwrap()
            .msg_id,
        0x0403_0201
    );
    assert_eq!(
        Header::decode(&bytes[..7]),
        Err(Malformed::Short { len: 7 })
    );
    assert_eq!(Header::decode(&[]), Err(Malformed::Short { len: 0 }));
    let mut bad = bytes;
    bad[0] = 0x22;
    assert_eq!(Header::decode(&bad), Err(Malformed::BadApi { byte: 0x22 }));
    let h = Header::decode(&[0x21, 0x0d, 0, 0, 1, 0, 0, 0]).unwrap();
    assert_eq!((h.msg_type, h.continuations), (MsgType::Request, 3));
}

#[test]
fn fragment_boundaries() {
    let f = |len: usize| fragments(MsgType::Request, 5, 0x5600_0001, &vec![0xab; len]);
    // Empty: one header-only fragment, count 0.
    assert_eq!(f(0).unwrap(), [vec![0x21, 0x01, 5, 0, 1, 0, 0, 0x56]]);
    for (len, n, last) in [
        (1, 1, 9),
        (232, 1, 240),
        (233, 2, 9),
        (464, 2, 240),
        (465, 3, 9),
        (MAX_PAYLOAD, 63, 240),
    ] {
        let frags = f(len).unwrap();
        assert_eq!(frags.len(), n, "{len} bytes");
        let count = u8::try_from(n - 1).unwrap();
        assert_eq!(frags[0][..2], [0x21, (count << 2) | 1]);
        for c in &frags[1..] {
            assert_eq!(c[..8], [0x21, count << 2, 5, 0, 1, 0, 0, 0x56]);
        }
        assert_eq!(frags.last().unwrap().len(), last);
        let joined: Vec<u8> = frags.iter().flat_map(|m| m[8..].to_vec()).collect();
        assert_eq!(joined, vec![0xab; len]);
    }
    assert_eq!(f(MAX_PAYLOAD + 1), None);
}

#[test]
fn reply_payloads() {
    assert_eq!(reply_payload(0xffff_ffff, &[]), [0xff; 4]);
    assert_eq!(reply_payload(13, &[1, 2]), [13, 0, 0, 0, 1, 2]);
}

#[test]
fn entry_bytes() {
    let e = HypResource {
        kind: kind::MSGQ_RX,
        partner_vmid: 0x0102,
        handle: 0x0304_0506,
        label: 0x0708_090a,
        cap_id: 0x1112_1314_1516_1718,
        virq_handle: 0x2122_2324,
        virq: 0x3132_3334,
        base: 0x4142_4344_4546_4748,
        size: 0x5152_5354_5556_5758,
    };
    let want: [u8; 44] = [
        3, 0, 0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0x0a, 0x09, 0x08, 0x07, 0x18, 0x17, 0x16, 0x15,
        0x14, 0x13, 0x12, 0x11, 0x24, 0x23, 0x22, 0x21, 0x34, 0x33, 0x32, 0x31, 0x48, 0x47, 0x46,
        0x45, 0x44, 0x43, 0x42, 0x41, 0x58, 0x57, 0x56, 0x55, 0x54, 0x53, 0x52, 0x51,
    ];
    assert_eq!(e.encode(), want);
    let list = encode_list(&[e, HypResource::default()]);
    assert_eq!(list.len(), 4 + 88);
    assert_eq!(list[..4], [2, 0, 0, 0]);
    assert_eq!(list[4..48], want);
    assert_eq!(list[48..], [0; 44]);
    assert_eq!(encode_list(&[]), [0, 0, 0, 0]);
    assert_eq!(
        [
            kind::DOORBELL_SOURCE,
            kind::DOORBELL,
            kind::MSGQ_TX,
            kind::MSGQ_RX
        ],
        [0, 1, 2, 3]
    );
    assert_eq!(
        [
            kind::VCPU,
            kind::VPM,
            kind::VIRTIO_MMIO,
            kind::VRTC,
            kind::WATCHDOG
        ],
        [4, 5, 6, 7, 8]
    );
}

fn three() -> Vec<Vec<u8>> {
    vec![
        vec![0x21, 0x0a, 1, 0, 9, 0, 0, 0, 0xa],
        vec![0x21, 0x08, 1, 0, 9, 0, 0, 0, 0xb],
        vec![0x21, 0x08, 1, 0, 9, 0, 0, 0, 0xc],
    ]
}

#[test]
fn misbehaviour_on_fragments() {
    let mut fx = Effects::default();
    let t = three();
    let sent = |m: Misbehaviour, fx: &mut Effects| match m.apply(three(), fx) {
        Plan::Send(f) => f,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        sent(Misbehaviour::DropFragment(0), &mut fx),
        [t[1].clone(), t[2].clone()]
    );
    assert_eq!(sent(Misbehaviour::DropFragment(3), &mut fx), t);
    assert_eq!(fx.dropped, 1);
    assert_eq!(
        sent(Misbehaviour::DuplicateFragment(1), &mut fx),
        [t[0].clone(), t[1].clone(), t[1].clone(), t[2].clone()]
    );
    let s = sent(Misbehaviour::WrongSeq(0x0302), &mut fx);
    assert!(
        s.iter()
            .all(|f| f[2..4] == [0x02, 0x03] && f[4..8] == [9, 0, 0, 0])
    );
    let s = sent(Misbehaviour::WrongMsgId(0x0a0b_0c0d), &mut fx);
    assert!(
        s.iter()
            .all(|f| f[2..4] == [1, 0] && f[4..8] == [0x0d, 0x0c, 0x0b, 0x0a])
    );
    assert!(
        s.iter()
            .zip(&t)
            .all(|(a, b)| a[8..] == b[8..] && a[..2] == b[..2])
    );
    assert_eq!(sent(Misbehaviour::Error(4), &mut fx), t);
    let note = Misbehaviour::InterleavedNotification {
        after: 2,
        msg_id: 0x17,
        payload: vec![5],
    };
    let s = sent(note, &mut fx);
    assert_eq!(s[2], [0x21, 0x03, 0, 0, 0x17, 0, 0, 0, 5]);
    assert_eq!((s.len(), &s[3]), (4, &t[2]));
    assert_eq!(fx.notifications, 1);
    // A notification too long for one message is left out.
    let long = Misbehaviour::InterleavedNotification {
        after: 1,
        msg_id: 0x17,
        payload: vec![0; MAX_PAYLOAD + 1],
    };
    assert_eq!(sent(long, &mut fx), t);
    assert_eq!(fx.notifications, 1);
    assert_eq!(Misbehaviour::Late.apply(three(), &mut fx), Plan::Hold(t));
    assert_eq!(Misbehaviour::NoReply.apply(three(), &mut fx), Plan::Nothing);
    assert_eq!(
        fx,
        Effects {
            dropped: 1,
            notifications: 1
        }
    );
}

#[test]
fn injections_count_down() {
    let r = Request {
        seq: 1,
        msg_id: 2,
        payload: Vec::new(),
    };
    let mut i = Injection::next(2, Misbehaviour::NoReply);
    assert!(!i.spent());
    assert!(i.take(&r) && !i.spent());
    assert!(i.take(&r) && i.spent());
    assert!(!i.take(&r) && i.spent());
    let mut i = Injection::matching(Misbehaviour::NoReply, |r| r.seq == 1);
    assert!(i.take(&r) && i.take(&r) && !i.spent());
    assert!(!i.take(&Request { seq: 2, ..r }));
    assert!(matches!(
        Injection::next(0, Misbehaviour::Late).when,
        When::Next(0)
    ));
}
