//! The simulated resource manager, seen from the guest: every request and every expected reply
//! is written out byte by byte here, and read with the guest's own `MsgQueue` (`try_send`,
//! `try_recv`), so the RM's framing is checked against the spec and the real RM's bytes, not
//! against another implementation of it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gunyah_msgq::{IrqLine, MsgQueue, RecvOutcome, SendFlags, SendOutcome};
use gunyah_msgq_mock::model::VmId;
use gunyah_msgq_mock::rm::{
    HypResource, Injection, Misbehaviour, RM_VM, RmStats, SimulatedRm, TooLong,
    VM_GET_HYP_RESOURCES, VM_GET_ID, VM_GET_VMID, kind, wire::Malformed, wire::MsgType,
};
use gunyah_msgq_mock::{Endpoint, Guest, MockHypervisor, MockIrq};

type Q = MsgQueue<Guest, MockIrq, 240>;

/// How long a threaded test waits for the RM: far above what a hand-off takes, short enough
/// that a broken RM fails the test rather than stalling it.
const LONG: Duration = Duration::from_secs(5);

/// An inline hypervisor, the guest's queue (not started: the test polls) and the RM.
fn setup(rm: gunyah_msgq_mock::rm::RmBuilder) -> (MockHypervisor, Endpoint, Q, SimulatedRm) {
    let hyp = MockHypervisor::new();
    let (guest, rm) = rm.build(&hyp).unwrap();
    let q = guest.msg_queue::<240>().unwrap();
    (hyp, guest, q, rm)
}

fn default_setup() -> (MockHypervisor, Endpoint, Q, SimulatedRm) {
    setup(SimulatedRm::builder())
}

/// A one-fragment request, by hand: `21 01 <seq le16> <msg_id le32>` and the payload.
fn request(seq: u16, msg_id: u32, payload: &[u8]) -> Vec<u8> {
    let s = seq.to_le_bytes();
    let m = msg_id.to_le_bytes();
    let mut r = vec![0x21, 0x01, s[0], s[1], m[0], m[1], m[2], m[3]];
    r.extend_from_slice(payload);
    r
}

fn send(q: &Q, msg: &[u8]) {
    assert!(matches!(
        q.try_send(msg, SendFlags::PUSH).unwrap(),
        SendOutcome::Sent { .. }
    ));
}

/// Everything queued for the guest now.
fn recv_all(q: &Q) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 240];
    loop {
        match q.try_recv(&mut buf).unwrap() {
            RecvOutcome::Received { len, .. } => out.push(buf[..len].to_vec()),
            RecvOutcome::Empty => return out,
        }
    }
}

/// Sends one request, serves it, and returns everything the guest got.
fn call(q: &Q, rm: &SimulatedRm, msg: &[u8]) -> Vec<Vec<u8>> {
    send(q, msg);
    assert_eq!(rm.serve_pending(), 1);
    recv_all(q)
}

/// The VMID reply the real RM sent, for `seq`.
fn vmid_reply(seq: u16) -> Vec<u8> {
    let s = seq.to_le_bytes();
    vec![
        0x21, 0x02, s[0], s[1], 0x24, 0x00, 0x00, 0x56, 0, 0, 0, 0, 3, 0, 0, 0,
    ]
}

/// An extra resource entry, distinct per `i`.
fn extra(i: u32) -> HypResource {
    HypResource {
        kind: kind::DOORBELL,
        partner_vmid: 0x45,
        handle: 0x100 + i,
        label: 0x1000 + i,
        cap_id: 0x0102_0304_0506_0700 + u64::from(i),
        virq_handle: 0x200 + i,
        virq: 100 + i,
        base: 0x8000_0000_0000_0000 | u64::from(i),
        size: 0x1_0000,
    }
}

/// An entry's 44 bytes, written out field by field from the spec's table.
fn entry_bytes(e: &HypResource) -> Vec<u8> {
    let mut b = vec![e.kind, 0];
    b.extend_from_slice(&e.partner_vmid.to_le_bytes());
    b.extend_from_slice(&e.handle.to_le_bytes());
    b.extend_from_slice(&e.label.to_le_bytes());
    b.extend_from_slice(&e.cap_id.to_le_bytes());
    b.extend_from_slice(&e.virq_handle.to_le_bytes());
    b.extend_from_slice(&e.virq.to_le_bytes());
    b.extend_from_slice(&e.base.to_le_bytes());
    b.extend_from_slice(&e.size.to_le_bytes());
    assert_eq!(b.len(), 44);
    b
}

/// Checks a fragment's header: byte 0 0x21, byte 1 `n << 2 | type`, seq, msg_id.
fn check_header(frag: &[u8], type_bits: u8, n: u8, seq: u16, msg_id: u32) {
    assert_eq!(frag[0], 0x21);
    assert_eq!(
        frag[1],
        (n << 2) | type_bits,
        "byte 1 of {:02x?}",
        &frag[..8]
    );
    assert_eq!(frag[2..4], seq.to_le_bytes());
    assert_eq!(frag[4..8], msg_id.to_le_bytes());
}

// --- The real RM's bytes -------------------------------------------------------------------

#[test]
fn vm_get_vmid_is_answered_byte_for_byte_as_the_real_rm() {
    let (_hyp, _guest, q, rm) = default_setup();
    for seq in [0x0001, 0x1234, 0xffff] {
        let req = [
            0x21,
            0x01,
            seq as u8,
            (seq >> 8) as u8,
            0x24,
            0x00,
            0x00,
            0x56,
        ];
        assert_eq!(call(&q, &rm, &req), [vmid_reply(seq)]);
    }
    let s = rm.stats();
    assert_eq!((s.requests, s.replies, s.fragments_sent), (3, 3, 3));
    assert_eq!(rm.requests()[1].seq, 0x1234);
    assert_eq!(rm.requests()[1].msg_id, VM_GET_VMID);
}

#[test]
fn an_unknown_call_gets_the_real_rms_error_reply() {
    let (_hyp, _guest, q, rm) = default_setup();
    let got = call(&q, &rm, &[0x21, 0x01, 0x42, 0x00, 0x78, 0x56, 0x34, 0x12]);
    assert_eq!(
        got,
        [vec![
            0x21, 0x02, 0x42, 0x00, 0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff
        ]]
    );
}

#[test]
fn vm_get_id_is_unimplemented() {
    let (_hyp, _guest, q, rm) = default_setup();
    let got = call(&q, &rm, &request(9, VM_GET_ID, &[]));
    assert_eq!(
        got,
        [vec![
            0x21, 0x02, 9, 0, 0x10, 0x00, 0x00, 0x56, 0xff, 0xff, 0xff, 0xff
        ]]
    );
}

#[test]
fn another_vmid_is_answered() {
    let (_hyp, guest, q, rm) = setup(SimulatedRm::builder().vmid(0x0201));
    assert_eq!(guest.vm(), VmId(0x0201));
    assert_eq!(rm.vmid(), 0x0201);
    let got = call(&q, &rm, &request(5, VM_GET_VMID, &[]));
    assert_eq!(
        got,
        [vec![
            0x21, 0x02, 5, 0, 0x24, 0, 0, 0x56, 0, 0, 0, 0, 0x01, 0x02, 0, 0
        ]]
    );
}

#[test]
fn replies_are_sent_without_push() {
    let (_hyp, guest, q, rm) = default_setup();
    // Two replies into an empty RX queue: one 0→1 edge; PUSH would raise one per message.
    send(&q, &request(1, VM_GET_VMID, &[]));
    send(&q, &request(2, VM_GET_VMID, &[]));
    assert_eq!(rm.serve_pending(), 2);
    assert_eq!(guest.rx_irq().stats().raised, 1);
    assert_eq!(recv_all(&q), [vmid_reply(1), vmid_reply(2)]);
}

// --- VM_GET_HYP_RESOURCES ------------------------------------------------------------------

#[test]
fn hyp_resources_list_the_links_capabilities_and_virqs() {
    let (_hyp, guest, q, rm) = default_setup();
    let got = call(&q, &rm, &request(0x77, VM_GET_HYP_RESOURCES, &[3, 0, 0, 0]));
    assert_eq!(got.len(), 1);
    let mut want = vec![
        0x21, 0x02, 0x77, 0, 0x20, 0, 0, 0x56, 0, 0, 0, 0, 2, 0, 0, 0,
    ];
    // TX: type 2, reserved, partner 0x00ff, handle 1, label 0, cap, vIRQ handle 0, vIRQ 960.
    want.extend_from_slice(&[2, 0, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    want.extend_from_slice(&guest.tx_cap().raw().to_le_bytes());
    want.extend_from_slice(&[0, 0, 0, 0, 0xc0, 0x03, 0, 0]);
    want.extend_from_slice(&[0; 16]);
    // RX: type 3, handle 2, vIRQ 961.
    want.extend_from_slice(&[3, 0, 0xff, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    want.extend_from_slice(&guest.rx_cap().raw().to_le_bytes());
    want.extend_from_slice(&[0, 0, 0, 0, 0xc1, 0x03, 0, 0]);
    want.extend_from_slice(&[0; 16]);
    assert_eq!(got[0], want);
    assert_ne!(guest.tx_cap(), guest.rx_cap());

    // The vIRQ numbers name the guest's real lines; a client can build its queue from them.
    assert_eq!(rm.guest_irq(960).unwrap().id(), guest.tx_irq().id());
    assert_eq!(rm.guest_irq(961).unwrap().id(), guest.rx_irq().id());
    assert!(rm.guest_irq(962).is_none());
    let r = rm.resources();
    assert_eq!((r[0].kind, r[1].kind), (kind::MSGQ_TX, kind::MSGQ_RX));
    assert_eq!(r[0].partner_vmid, RM_VM.0);
    assert_eq!(rm.endpoint().vm(), RM_VM);
    assert_eq!(rm.endpoint().tx_queue(), guest.rx_queue());
}

#[test]
fn hyp_resources_with_other_virqs() {
    let (_hyp, guest, q, rm) = setup(SimulatedRm::builder().virqs(40, 41));
    let got = call(&q, &rm, &request(1, VM_GET_HYP_RESOURCES, &[3, 0, 0, 0]));
    let virq = |i: usize| {
        let at = 16 + i * 44 + 24;
        u32::from_le_bytes(got[0][at..at + 4].try_into().unwrap())
    };
    assert_eq!((virq(0), virq(1)), (40, 41));
    assert_eq!(rm.guest_irq(41).unwrap().id(), guest.rx_irq().id());
}

#[test]
fn hyp_resources_errors() {
    let (_hyp, _guest, q, rm) = default_setup();
    let err = |seq: u16, code: u8| vec![0x21, 0x02, seq as u8, 0, 0x20, 0, 0, 0x56, code, 0, 0, 0];
    // Another VMID: VMID_INVALID (13).
    let got = call(&q, &rm, &request(1, VM_GET_HYP_RESOURCES, &[4, 0, 0, 0]));
    assert_eq!(got, [err(1, 13)]);
    let got = call(&q, &rm, &request(2, VM_GET_HYP_RESOURCES, &[3, 1, 0, 0]));
    assert_eq!(got, [err(2, 13)]);
    // No VMID, or too short: ARGUMENT_INVALID (6).
    let got = call(&q, &rm, &request(3, VM_GET_HYP_RESOURCES, &[]));
    assert_eq!(got, [err(3, 6)]);
    let got = call(&q, &rm, &request(4, VM_GET_HYP_RESOURCES, &[3, 0, 0]));
    assert_eq!(got, [err(4, 6)]);
}

/// Reassembles the fragments of one message, checking every header.
fn reassemble(frags: &[Vec<u8>], type_bits: u8, seq: u16, msg_id: u32) -> Vec<u8> {
    let n = u8::try_from(frags.len() - 1).unwrap();
    let mut payload = Vec::new();
    for (i, f) in frags.iter().enumerate() {
        check_header(f, if i == 0 { type_bits } else { 0 }, n, seq, msg_id);
        if i + 1 < frags.len() {
            assert_eq!(f.len(), 240, "every fragment but the last is full");
        }
        payload.extend_from_slice(&f[8..]);
    }
    payload
}

#[test]
fn a_long_reply_goes_out_as_continuations() {
    let extras: Vec<HypResource> = (0..10).map(extra).collect();
    let builder = extras
        .iter()
        .fold(SimulatedRm::builder(), |b, e| b.resource(*e));
    let (_hyp, guest, q, rm) = setup(builder);
    let got = call(
        &q,
        &rm,
        &request(0x0a0b, VM_GET_HYP_RESOURCES, &[3, 0, 0, 0]),
    );
    // 4 (error) + 4 (count) + 12 × 44 = 536 bytes: 232 + 232 + 72, two continuations.
    assert_eq!(got.len(), 3);
    assert_eq!(got[0][..8], [0x21, 0x0a, 0x0b, 0x0a, 0x20, 0, 0, 0x56]);
    assert_eq!(got[1][..8], [0x21, 0x08, 0x0b, 0x0a, 0x20, 0, 0, 0x56]);
    assert_eq!(got[2][..8], [0x21, 0x08, 0x0b, 0x0a, 0x20, 0, 0, 0x56]);
    assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), [240, 240, 80]);
    let payload = reassemble(&got, 2, 0x0a0b, VM_GET_HYP_RESOURCES);
    assert_eq!(payload[..8], [0, 0, 0, 0, 12, 0, 0, 0]);
    assert_eq!(
        payload[8 + 2 * 44..],
        extras.iter().flat_map(entry_bytes).collect::<Vec<_>>()
    );
    assert_eq!(payload[8 + 12..8 + 20], guest.tx_cap().raw().to_le_bytes());
    let s = rm.stats();
    assert_eq!((s.replies, s.fragments_sent), (1, 3));
}

#[test]
fn a_reply_longer_than_the_queue_waits_for_room() {
    // 4 + 4 + 62 × 44 = 2736 bytes: 12 fragments, the guest's queue holds 8.
    let builder = (0..60).fold(SimulatedRm::builder(), |b, i| b.resource(extra(i)));
    let (hyp, guest, q, rm) = setup(builder);
    send(&q, &request(3, VM_GET_HYP_RESOURCES, &[3, 0, 0, 0]));
    assert_eq!(rm.serve_pending(), 1);
    assert_eq!((guest.rx_len(), rm.outbox_len()), (8, 4));
    assert_eq!(hyp.call_stats(RM_VM).sends_full, 1);
    let mut got = recv_all(&q);
    assert_eq!(rm.serve_pending(), 0);
    got.extend(recv_all(&q));
    assert_eq!(rm.outbox_len(), 0);
    assert_eq!(got.len(), 12);
    let payload = reassemble(&got, 2, 3, VM_GET_HYP_RESOURCES);
    assert_eq!(payload.len(), 2736);
    assert_eq!(payload[4..8], 62u32.to_le_bytes());
    assert_eq!(got[0][1], (11 << 2) | 2);
    assert_eq!(rm.stats().fragments_sent, 12);
}

#[test]
fn a_list_too_long_for_one_message_is_nomem() {
    // 4 + 4 + 333 × 44 > 63 × 232.
    let builder = (0..331).fold(SimulatedRm::builder(), |b, i| b.resource(extra(i)));
    let (_hyp, _guest, q, rm) = setup(builder);
    let got = call(&q, &rm, &request(1, VM_GET_HYP_RESOURCES, &[3, 0, 0, 0]));
    assert_eq!(got, [vec![0x21, 0x02, 1, 0, 0x20, 0, 0, 0x56, 1, 0, 0, 0]]);
}

#[test]
fn the_longest_list_that_fits() {
    // 63 × 232 = 14616 = 8 + 332 × 44: exactly 63 fragments (62 continuations).
    let builder = (0..330).fold(SimulatedRm::builder(), |b, i| b.resource(extra(i)));
    let builder = builder.link_config(gunyah_msgq_mock::LinkConfig::symmetric(
        gunyah_msgq_mock::model::QueueConfig::new(64, 240),
    ));
    let (_hyp, _guest, q, rm) = setup(builder);
    // 330 extras + 2 = 332 entries: 14616 bytes.
    let got = call(&q, &rm, &request(1, VM_GET_HYP_RESOURCES, &[3, 0, 0, 0]));
    assert_eq!(got.len(), 63);
    let payload = reassemble(&got, 2, 1, VM_GET_HYP_RESOURCES);
    assert_eq!(payload.len(), 63 * 232);
    assert_eq!(got[62].len(), 240);
}

// --- Requests from the guest ---------------------------------------------------------------

#[test]
fn a_multi_fragment_request_is_reassembled() {
    let (_hyp, _guest, q, rm) = default_setup();
    let payload: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    // 300 bytes: 232 + 68, one continuation: 21 05 / 21 04.
    let mut first = vec![0x21, 0x05, 0x10, 0x00, 0x01, 0x00, 0x00, 0x56];
    first.extend_from_slice(&payload[..232]);
    let mut cont = vec![0x21, 0x04, 0x10, 0x00, 0x01, 0x00, 0x00, 0x56];
    cont.extend_from_slice(&payload[232..]);
    send(&q, &first);
    assert_eq!(rm.serve_pending(), 1);
    assert!(recv_all(&q).is_empty(), "no reply before the last fragment");
    assert_eq!(rm.stats().requests, 0);
    let got = call(&q, &rm, &cont);
    assert_eq!(
        got,
        [vec![
            0x21, 0x02, 0x10, 0, 0x01, 0, 0, 0x56, 0xff, 0xff, 0xff, 0xff
        ]]
    );
    let r = &rm.requests()[0];
    assert_eq!((r.seq, r.msg_id, &r.payload), (0x10, 0x5600_0001, &payload));
}

#[test]
fn a_fragmented_hyp_resources_request_is_answered() {
    let (_hyp, _guest, q, rm) = default_setup();
    // The VMID split over two fragments: 2 bytes, then 2.
    send(&q, &[0x21, 0x05, 2, 0, 0x20, 0, 0, 0x56, 3, 0]);
    assert_eq!(rm.serve_pending(), 1);
    let got = call(&q, &rm, &[0x21, 0x04, 2, 0, 0x20, 0, 0, 0x56, 0, 0]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0][8..16], [0, 0, 0, 0, 2, 0, 0, 0]);
}

#[test]
fn malformed_fragments_are_dropped_and_counted() {
    let (_hyp, _guest, q, rm) = default_setup();
    let bad: [&[u8]; 7] = [
        // Short header.
        &[0x21, 0x01, 1, 0, 0x24],
        // Bad API byte.
        &[0x11, 0x01, 1, 0, 0x24, 0, 0, 0x56],
        // A reply and a notification from the guest.
        &[0x21, 0x02, 1, 0, 0x24, 0, 0, 0x56],
        &[0x21, 0x03, 1, 0, 0x24, 0, 0, 0x56],
        // msg_id 0.
        &[0x21, 0x01, 1, 0, 0, 0, 0, 0],
        // 63 continuations announced.
        &[0x21, 0xfd, 1, 0, 0x24, 0, 0, 0x56],
        // A continuation with nothing to continue.
        &[0x21, 0x04, 1, 0, 0x24, 0, 0, 0x56],
    ];
    for msg in bad {
        send(&q, msg);
    }
    assert_eq!(rm.serve_pending(), 7);
    assert!(recv_all(&q).is_empty());
    assert_eq!(
        rm.malformed(),
        [
            Malformed::Short { len: 5 },
            Malformed::BadApi { byte: 0x11 },
            Malformed::UnexpectedType {
                msg_type: MsgType::Reply
            },
            Malformed::UnexpectedType {
                msg_type: MsgType::Notification
            },
            Malformed::ReservedMsgId,
            Malformed::TooManyContinuations { continuations: 63 },
            Malformed::UnexpectedContinuation,
        ]
    );
    let s = rm.stats();
    assert_eq!((s.malformed, s.requests, s.replies), (7, 0, 0));
    // 62 continuations are allowed.
    send(&q, &[0x21, 0xf9, 1, 0, 0x24, 0, 0, 0x56]);
    assert_eq!(rm.serve_pending(), 1);
    assert_eq!(rm.stats().malformed, 7);
}

#[test]
fn a_mismatched_continuation_is_dropped_and_the_request_kept() {
    let (_hyp, _guest, q, rm) = default_setup();
    send(&q, &[0x21, 0x05, 7, 0, 0x24, 0, 0, 0x56, 0xaa]);
    // Another seq, another msg_id, another count: each dropped.
    send(&q, &[0x21, 0x04, 8, 0, 0x24, 0, 0, 0x56, 0xbb]);
    send(&q, &[0x21, 0x04, 7, 0, 0x25, 0, 0, 0x56, 0xbb]);
    send(&q, &[0x21, 0x08, 7, 0, 0x24, 0, 0, 0x56, 0xbb]);
    assert_eq!(rm.serve_pending(), 4);
    assert_eq!(rm.malformed(), [Malformed::MismatchedContinuation; 3]);
    let got = call(&q, &rm, &[0x21, 0x04, 7, 0, 0x24, 0, 0, 0x56, 0xcc]);
    assert_eq!(got, [vmid_reply(7)]);
    assert_eq!(rm.requests()[0].payload, [0xaa, 0xcc]);
}

#[test]
fn a_new_request_abandons_a_partial_one() {
    let (_hyp, _guest, q, rm) = default_setup();
    send(&q, &[0x21, 0x05, 7, 0, 0x24, 0, 0, 0x56, 0xaa]);
    assert_eq!(rm.serve_pending(), 1);
    let got = call(&q, &rm, &request(8, VM_GET_VMID, &[]));
    assert_eq!(got, [vmid_reply(8)]);
    assert_eq!(rm.stats().abandoned, 1);
    // The old request's continuation has nothing to continue now.
    assert!(call(&q, &rm, &[0x21, 0x04, 7, 0, 0x24, 0, 0, 0x56, 0]).is_empty());
    assert_eq!(rm.malformed(), [Malformed::UnexpectedContinuation]);
}

// --- Misbehaviour --------------------------------------------------------------------------

/// An RM whose HYP_RESOURCES reply has three fragments.
fn three_fragment_setup() -> (MockHypervisor, Endpoint, Q, SimulatedRm) {
    setup((0..10).fold(SimulatedRm::builder(), |b, i| b.resource(extra(i))))
}

fn resources_request(seq: u16) -> Vec<u8> {
    request(seq, VM_GET_HYP_RESOURCES, &[3, 0, 0, 0])
}

#[test]
fn drop_a_fragment() {
    let (_hyp, _guest, q, rm) = three_fragment_setup();
    let whole = call(&q, &rm, &resources_request(1));
    rm.inject_next(1, Misbehaviour::DropFragment(1));
    let got = call(&q, &rm, &resources_request(1));
    assert_eq!(got, [whole[0].clone(), whole[2].clone()]);
    // Past the last fragment: no effect.
    rm.inject_next(1, Misbehaviour::DropFragment(3));
    assert_eq!(call(&q, &rm, &resources_request(1)), whole);
    let s = rm.stats();
    assert_eq!(
        (s.fragments_dropped, s.misbehaviours, s.fragments_sent),
        (1, 2, 8)
    );
}

#[test]
fn duplicate_a_fragment() {
    let (_hyp, _guest, q, rm) = three_fragment_setup();
    let whole = call(&q, &rm, &resources_request(1));
    rm.inject_next(1, Misbehaviour::DuplicateFragment(2));
    let got = call(&q, &rm, &resources_request(1));
    assert_eq!(got, [&whole[..], &whole[2..]].concat());
    rm.inject_next(1, Misbehaviour::DuplicateFragment(0));
    assert_eq!(
        call(&q, &rm, &request(4, VM_GET_VMID, &[])),
        [vmid_reply(4), vmid_reply(4)]
    );
    rm.inject_next(1, Misbehaviour::DuplicateFragment(1));
    assert_eq!(
        call(&q, &rm, &request(5, VM_GET_VMID, &[])),
        [vmid_reply(5)]
    );
}

#[test]
fn wrong_seq_and_wrong_msg_id() {
    let (_hyp, _guest, q, rm) = three_fragment_setup();
    rm.inject_next(1, Misbehaviour::WrongSeq(0xbeef));
    let got = call(&q, &rm, &resources_request(1));
    assert_eq!(got.len(), 3);
    for (i, f) in got.iter().enumerate() {
        check_header(
            f,
            if i == 0 { 2 } else { 0 },
            2,
            0xbeef,
            VM_GET_HYP_RESOURCES,
        );
    }
    rm.inject_next(1, Misbehaviour::WrongMsgId(0x5600_0099));
    let got = call(&q, &rm, &request(6, VM_GET_VMID, &[]));
    assert_eq!(
        got,
        [vec![
            0x21, 0x02, 6, 0, 0x99, 0, 0, 0x56, 0, 0, 0, 0, 3, 0, 0, 0
        ]]
    );
}

#[test]
fn an_error_reply_with_a_given_code() {
    let (_hyp, _guest, q, rm) = three_fragment_setup();
    rm.inject_next(2, Misbehaviour::Error(5));
    assert_eq!(rm.injections_left(), 1);
    let busy = |seq: u8| vec![0x21, 0x02, seq, 0, 0x20, 0, 0, 0x56, 5, 0, 0, 0];
    assert_eq!(call(&q, &rm, &resources_request(1)), [busy(1)]);
    assert_eq!(call(&q, &rm, &resources_request(2)), [busy(2)]);
    // Spent after two.
    assert_eq!(rm.injections_left(), 0);
    assert_eq!(call(&q, &rm, &resources_request(3)).len(), 3);
}

#[test]
fn a_notification_inside_a_fragmented_reply() {
    let (_hyp, _guest, q, rm) = three_fragment_setup();
    let whole = call(&q, &rm, &resources_request(1));
    rm.inject_next(
        1,
        Misbehaviour::InterleavedNotification {
            after: 1,
            msg_id: 0x5600_0017,
            payload: vec![1, 2, 3],
        },
    );
    let got = call(&q, &rm, &resources_request(1));
    let note = vec![0x21, 0x03, 0, 0, 0x17, 0, 0, 0x56, 1, 2, 3];
    assert_eq!(
        got,
        [
            whole[0].clone(),
            note.clone(),
            whole[1].clone(),
            whole[2].clone()
        ]
    );
    // `after` past the end: the notification follows the reply.
    rm.inject_next(
        1,
        Misbehaviour::InterleavedNotification {
            after: 9,
            msg_id: 0x5600_0017,
            payload: vec![1, 2, 3],
        },
    );
    assert_eq!(
        call(&q, &rm, &request(2, VM_GET_VMID, &[])),
        [vmid_reply(2), note]
    );
    assert_eq!(rm.stats().notifications, 2);
}

#[test]
fn a_late_reply_arrives_after_the_next_request() {
    let (_hyp, _guest, q, rm) = default_setup();
    rm.inject_next(1, Misbehaviour::Late);
    assert!(call(&q, &rm, &request(1, VM_GET_VMID, &[])).is_empty());
    assert_eq!(rm.stats().replies, 0);
    assert_eq!(
        call(&q, &rm, &request(2, VM_GET_VMID, &[])),
        [vmid_reply(1), vmid_reply(2)]
    );
    assert_eq!(rm.stats().replies, 2);
    // Or released by hand.
    rm.inject_next(1, Misbehaviour::Late);
    assert!(call(&q, &rm, &request(3, VM_GET_VMID, &[])).is_empty());
    rm.release_late();
    assert_eq!(recv_all(&q), [vmid_reply(3)]);
    rm.release_late();
    assert!(recv_all(&q).is_empty());
}

#[test]
fn no_reply_at_all() {
    let (_hyp, _guest, q, rm) = default_setup();
    rm.inject_next(1, Misbehaviour::NoReply);
    assert!(call(&q, &rm, &request(1, VM_GET_VMID, &[])).is_empty());
    assert_eq!(
        call(&q, &rm, &request(2, VM_GET_VMID, &[])),
        [vmid_reply(2)]
    );
    let s = rm.stats();
    assert_eq!((s.requests, s.replies, s.misbehaviours), (2, 1, 1));
}

#[test]
fn misbehaviour_by_predicate() {
    let (_hyp, _guest, q, rm) = default_setup();
    rm.inject(Injection::matching(Misbehaviour::Error(3), |r| {
        r.msg_id == VM_GET_VMID && r.seq % 2 == 0
    }));
    let denied = vec![0x21, 0x02, 2, 0, 0x24, 0, 0, 0x56, 3, 0, 0, 0];
    assert_eq!(
        call(&q, &rm, &request(1, VM_GET_VMID, &[])),
        [vmid_reply(1)]
    );
    assert_eq!(
        call(&q, &rm, &request(2, VM_GET_VMID, &[])),
        std::slice::from_ref(&denied)
    );
    assert_eq!(call(&q, &rm, &request(2, VM_GET_VMID, &[])), [denied]);
    assert_eq!(
        call(&q, &rm, &request(3, VM_GET_VMID, &[])),
        [vmid_reply(3)]
    );
    assert_eq!(rm.injections_left(), 1);
    rm.clear_injections();
    assert_eq!(rm.injections_left(), 0);
    assert_eq!(
        call(&q, &rm, &request(4, VM_GET_VMID, &[])),
        [vmid_reply(4)]
    );
    assert_eq!(rm.stats().misbehaviours, 2);
}

#[test]
fn the_first_matching_injection_wins() {
    let (_hyp, _guest, q, rm) = default_setup();
    rm.inject(Injection::matching(Misbehaviour::NoReply, |r| r.seq == 9));
    rm.inject_next(1, Misbehaviour::Error(4));
    // seq 1: the predicate does not match; the next-1 injection applies.
    let invalid = vec![0x21, 0x02, 1, 0, 0x24, 0, 0, 0x56, 4, 0, 0, 0];
    assert_eq!(call(&q, &rm, &request(1, VM_GET_VMID, &[])), [invalid]);
    // seq 9: the predicate applies (and the spent injection is gone).
    assert!(call(&q, &rm, &request(9, VM_GET_VMID, &[])).is_empty());
    assert_eq!(
        call(&q, &rm, &request(2, VM_GET_VMID, &[])),
        [vmid_reply(2)]
    );
}

// --- Notifications -------------------------------------------------------------------------

#[test]
fn notifications() {
    let (_hyp, _guest, q, rm) = default_setup();
    rm.send_notification(0x5600_0017, &[0xde, 0xad]).unwrap();
    assert_eq!(
        recv_all(&q),
        [vec![0x21, 0x03, 0, 0, 0x17, 0, 0, 0x56, 0xde, 0xad]]
    );
    rm.send_notification(0x5600_0018, &[]).unwrap();
    assert_eq!(recv_all(&q), [vec![0x21, 0x03, 0, 0, 0x18, 0, 0, 0x56]]);
    // 500 bytes: 232 + 232 + 36.
    let payload: Vec<u8> = (0..500u32).map(|i| (i * 7) as u8).collect();
    rm.send_notification(0x5600_0019, &payload).unwrap();
    let got = recv_all(&q);
    assert_eq!(reassemble(&got, 3, 0, 0x5600_0019), payload);
    assert_eq!(got[0][1], 0x0b);
    assert_eq!(
        rm.send_notification(1, &vec![0; 63 * 232 + 1]),
        Err(TooLong { len: 63 * 232 + 1 })
    );
    assert!(TooLong { len: 5 }.to_string().contains("5 bytes"));
    let s = rm.stats();
    assert_eq!((s.notifications, s.fragments_sent), (3, 5));
}

// --- Running it ----------------------------------------------------------------------------

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn the_rm_thread_answers_a_polling_guest() {
    let (_hyp, _guest, q, rm) = default_setup();
    let thread = rm.spawn().unwrap();
    assert!(rm.endpoint().rx_irq().is_enabled());
    for seq in 1..=20u16 {
        send(&q, &request(seq, VM_GET_VMID, &[]));
        let mut got = Vec::new();
        wait_for("the reply", || {
            got.extend(recv_all(&q));
            !got.is_empty()
        });
        assert_eq!(got, [vmid_reply(seq)]);
    }
    assert_eq!(thread.rm().stats().requests, 20);
    // Idle, it waits for a vIRQ: no receive without one.
    let receives = rm.endpoint().guest().stats().receives;
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(rm.endpoint().guest().stats().receives, receives);
    assert!(thread.stop());
    assert!(!rm.endpoint().rx_irq().is_enabled());
    assert!(!rm.endpoint().rx_irq().has_handler());
    // Stopped: a request stays queued.
    send(&q, &request(21, VM_GET_VMID, &[]));
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(rm.endpoint().rx_len(), 1);
    assert_eq!(rm.stats().requests, 20);
}

#[test]
fn the_rm_thread_serves_what_was_queued_before() {
    let (_hyp, _guest, q, rm) = default_setup();
    send(&q, &request(1, VM_GET_VMID, &[]));
    let thread = rm.spawn().unwrap();
    let mut got = Vec::new();
    wait_for("the reply", || {
        got.extend(recv_all(&q));
        !got.is_empty()
    });
    assert_eq!(got, [vmid_reply(1)]);
    assert!(format!("{thread:?}").contains("running: true"));
    drop(thread);
    assert!(!rm.endpoint().tx_irq().has_handler());
}

#[test]
fn the_rm_thread_serves_requests_whose_edge_is_gone() {
    let (_hyp, _guest, q, rm) = default_setup();
    // Someone else took the request's RX edge.
    rm.endpoint().rx_irq().set_handler(|| {});
    rm.endpoint().rx_irq().enable();
    send(&q, &request(1, VM_GET_VMID, &[]));
    assert_eq!(rm.endpoint().rx_irq().stats().delivered, 1);
    let thread = rm.spawn().unwrap();
    let mut got = Vec::new();
    wait_for("the reply", || {
        got.extend(recv_all(&q));
        !got.is_empty()
    });
    assert_eq!(got, [vmid_reply(1)]);
    assert!(thread.stop());
}

#[test]
fn stop_reports_a_panicked_rm_thread() {
    let (_hyp, _guest, q, rm) = default_setup();
    rm.inject(Injection::matching(Misbehaviour::NoReply, |_| {
        panic!("a predicate that panics")
    }));
    let thread = rm.spawn().unwrap();
    send(&q, &request(1, VM_GET_VMID, &[]));
    wait_for("the request", || rm.stats().requests == 1);
    assert!(!thread.stop());
}

/// A guest on a threaded hypervisor: its RX handler collects what arrives.
#[test]
fn threaded_delivery_and_a_reply_longer_than_the_queue() {
    let hyp = MockHypervisor::threaded();
    let builder = (0..60).fold(SimulatedRm::builder(), |b, i| b.resource(extra(i)));
    let (guest, rm) = builder.build(&hyp).unwrap();
    let q = Arc::new(guest.msg_queue::<240>().unwrap());
    let inbox: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = Arc::clone(&inbox);
    guest.bind_queue(&q, move |m| sink.lock().unwrap().push(m.to_vec()));
    let _ = q.start(|_| {}).unwrap();
    let thread = rm.spawn().unwrap();
    for seq in 1..=5u16 {
        send(&q, &request(seq, VM_GET_HYP_RESOURCES, &[3, 0, 0, 0]));
        wait_for("12 fragments", || inbox.lock().unwrap().len() == 12);
        let got = std::mem::take(&mut *inbox.lock().unwrap());
        let payload = reassemble(&got, 2, seq, VM_GET_HYP_RESOURCES);
        assert_eq!(payload.len(), 2736);
        send(&q, &request(seq, VM_GET_VMID, &[]));
        wait_for("the VMID", || inbox.lock().unwrap().len() == 1);
        assert_eq!(inbox.lock().unwrap().pop().unwrap(), vmid_reply(seq));
    }
    rm.send_notification(0x5600_0017, &[1]).unwrap();
    wait_for("the notification", || inbox.lock().unwrap().len() == 1);
    assert!(thread.stop());
    let s = rm.stats();
    assert_eq!((s.requests, s.replies, s.fragments_sent), (10, 10, 66));
    hyp.shutdown();
}

/// Inline delivery: the guest's handler runs inside the RM's send, and calls back into the RM
/// (a next request and a serve; a notification). Nothing deadlocks and nothing is lost.
#[test]
fn reentrant_calls_from_an_inline_guest_handler() {
    let hyp = MockHypervisor::new();
    let (guest, rm) = SimulatedRm::builder().build(&hyp).unwrap();
    let q = Arc::new(guest.msg_queue::<240>().unwrap());
    let inbox: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let (sink, weak_q, rm2) = (Arc::clone(&inbox), Arc::downgrade(&q), rm.clone());
    guest.bind_queue(&q, move |m| {
        let mut inbox = sink.lock().unwrap();
        inbox.push(m.to_vec());
        let n = inbox.len();
        drop(inbox);
        if n < 3 {
            // A reply came: ask again, and serve it from inside the RM's own send.
            let q = weak_q.upgrade().unwrap();
            let seq = u16::try_from(n + 1).unwrap();
            send(&q, &request(seq, VM_GET_VMID, &[]));
            assert_eq!(rm2.serve_pending(), 0, "the outer serve takes it");
        } else if n == 3 {
            rm2.send_notification(0x5600_0017, &[7]).unwrap();
        }
    });
    let _ = q.start(|_| {}).unwrap();
    send(&q, &request(1, VM_GET_VMID, &[]));
    assert_eq!(rm.serve_pending(), 3);
    assert_eq!(
        *inbox.lock().unwrap(),
        [
            vmid_reply(1),
            vmid_reply(2),
            vmid_reply(3),
            vec![0x21, 0x03, 0, 0, 0x17, 0, 0, 0x56, 7]
        ]
    );
    assert_eq!(rm.outbox_len(), 0);
    hyp.shutdown();
}

#[test]
fn a_flush_asked_to_go_round_again() {
    // Inline delivery: the guest's RX handler runs inside the RM's send and queues a
    // notification while the RM is sending (on the 1st and 3rd RX edges only).
    let hyp = MockHypervisor::new();
    let builder = (0..60).fold(SimulatedRm::builder(), |b, i| b.resource(extra(i)));
    let (guest, rm) = builder.build(&hyp).unwrap();
    let (rm2, edges) = (rm.clone(), std::sync::atomic::AtomicU32::new(0));
    guest.rx_irq().set_handler(move || {
        let n = edges.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n == 1 || n == 3 {
            rm2.send_notification(0x5600_0017, &[]).unwrap();
        }
    });
    guest.rx_irq().enable();
    let note = vec![0x21, 0x03, 0, 0, 0x17, 0, 0, 0x56];
    let q = guest.msg_queue::<240>().unwrap();
    let full = || hyp.call_stats(RM_VM).sends_full;

    // 1. The notification queued during the reply's send goes out after it; the request to go
    //    round again is used up with it.
    send(&q, &request(1, VM_GET_VMID, &[]));
    assert_eq!(rm.serve_pending(), 1);
    assert_eq!((guest.rx_len(), rm.outbox_len(), full()), (2, 0, 0));
    // 2. So a later FULL ends that flush at once: one FULL, six of twelve fragments sent.
    send(&q, &resources_request(2));
    assert_eq!(rm.serve_pending(), 1);
    assert_eq!((guest.rx_len(), rm.outbox_len(), full()), (8, 6, 1));
    let got = recv_all(&q);
    assert_eq!(got[..2], [vmid_reply(1), note.clone()]);
    assert_eq!(rm.serve_pending(), 0);
    let mut reply = got[2..].to_vec();
    reply.extend(recv_all(&q));
    assert_eq!(reassemble(&reply, 2, 2, VM_GET_HYP_RESOURCES).len(), 2736);
    // 3. A notification queued during a flush that then meets FULL: it tries once more.
    send(&q, &resources_request(3));
    assert_eq!(rm.serve_pending(), 1);
    assert_eq!((guest.rx_len(), rm.outbox_len(), full()), (8, 5, 3));
    let mut got = recv_all(&q);
    assert_eq!(rm.serve_pending(), 0);
    got.extend(recv_all(&q));
    assert_eq!(got.len(), 13);
    assert_eq!(got[12], note);
    assert_eq!(
        reassemble(&got[..12], 2, 3, VM_GET_HYP_RESOURCES).len(),
        2736
    );
    hyp.shutdown();
}

#[test]
fn a_send_the_hypervisor_refuses_is_counted() {
    // The guest's RX queue takes 16-byte messages: the 104-byte reply is refused.
    let config =
        gunyah_msgq_mock::LinkConfig::symmetric(gunyah_msgq_mock::model::QueueConfig::new(8, 16));
    let hyp = MockHypervisor::new();
    let (guest, rm) = SimulatedRm::builder()
        .link_config(config)
        .build(&hyp)
        .unwrap();
    let q = guest.msg_queue::<16>().unwrap();
    assert!(matches!(
        q.try_send(&resources_request(1), SendFlags::PUSH).unwrap(),
        SendOutcome::Sent { .. }
    ));
    assert_eq!(rm.serve_pending(), 1);
    let s = rm.stats();
    assert_eq!((s.replies, s.send_errors, s.fragments_sent), (1, 1, 0));
    assert_eq!(rm.outbox_len(), 0);
}

#[test]
fn stats_and_debug() {
    let (_hyp, _guest, _q, rm) = default_setup();
    assert_eq!(rm.stats(), RmStats::default());
    let (_hyp, guest, _q, _rm) = setup(gunyah_msgq_mock::rm::RmBuilder::default());
    assert_eq!(guest.vm(), VmId(3));
    assert!(format!("{rm:?}").contains("vmid: 3"));
    let i = Injection::next(2, Misbehaviour::Late);
    assert!(format!("{i:?}").contains("Next(2)"));
    let i = Injection::matching(Misbehaviour::Late, |_| true);
    assert!(format!("{i:?}").contains("Matching(..)"));
}

#[test]
fn the_link_is_the_rm_link() {
    let (_hyp, guest, _q, rm) = default_setup();
    assert_eq!(guest.vm(), VmId(3));
    assert_eq!((guest.rx_depth().get(), guest.tx_max_size()), (8, 240));
    assert_eq!(rm.endpoint().rx_queue(), guest.tx_queue());
    // An RM on a link made elsewhere.
    let hyp = MockHypervisor::new();
    let link = hyp
        .link(VmId(1), VmId(2), &gunyah_msgq_mock::LinkConfig::RM_LINK)
        .unwrap();
    let rm = SimulatedRm::builder()
        .rm_vm(VmId(9))
        .attach(&link.a, link.b.clone());
    assert_eq!(rm.endpoint().vm(), VmId(2));
    assert_eq!(rm.resources()[0].partner_vmid, 2);
    assert_eq!(rm.resources()[0].cap_id, link.a.tx_cap().raw());
    let built = SimulatedRm::builder().rm_vm(VmId(9)).build(&hyp).unwrap();
    assert_eq!(built.1.endpoint().vm(), VmId(9));
}
