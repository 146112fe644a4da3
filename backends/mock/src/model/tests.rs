//! Fast checks of the model's core rules (spec §4). They run before the integration tests, so a
//! broken model fails here in milliseconds instead of stalling the threaded end-to-end tests.

use gunyah_msgq::{CapId, GunyahError, RawOutput, SendFlags};

use super::{CSpace, Edges, Hyp, LineKind, LineSignal, Object, QueueConfig, QueueId, Rights, VmId};

const A: VmId = VmId(1);
const B: VmId = VmId(2);

#[test]
fn send_receive_edges_through_dispatch() {
    let mut hyp: Hyp<2, 8, 3, 8> = Hyp::new();
    let ab = hyp.create_queue(QueueConfig::new(3, 8)).unwrap();
    let ba = hyp.create_queue(QueueConfig::new(3, 8)).unwrap();
    assert_eq!((ab.index(), ba.index()), (0, 1));
    let link = hyp.connect(A, B, ab, ba).unwrap();
    let (tx, rx) = (link.a.tx_cap, link.b.rx_cap);

    // 0 → 1 asserts RX only; the later sends raise nothing; the fourth is FULL.
    let d = hyp.send(A, tx, b"m0", SendFlags::NONE);
    assert_eq!(d.raw, RawOutput::sent(true));
    assert_eq!(d.queue, Some(ab));
    let mut sig = d.signals();
    assert_eq!(sig.next(), Some((ab, LineKind::Rx, LineSignal::Assert)));
    assert_eq!(sig.next(), None);
    let mut asserted = d.asserted();
    assert_eq!(asserted.next(), Some((ab, LineKind::Rx)));
    assert_eq!(asserted.next(), None);
    assert_eq!(hyp.send(A, tx, b"m1", SendFlags::NONE).signals().count(), 0);
    let d = hyp.send(A, tx, b"m2", SendFlags::NONE);
    assert_eq!((d.raw, d.edges), (RawOutput::sent(false), Edges::NONE));
    let d = hyp.send(A, tx, b"m3", SendFlags::PUSH);
    assert_eq!(d.raw, RawOutput::error(GunyahError::MsgqueueFull.code()));
    assert_eq!(d.signals().count(), 0);

    // Full → not-full asserts TX only; FIFO around the ring.
    let mut buf = [0u8; 8];
    let d = hyp.receive(B, rx, &mut buf);
    assert_eq!(d.raw, RawOutput::received(2, true));
    assert_eq!(&buf[..2], b"m0");
    let mut sig = d.signals();
    assert_eq!(sig.next(), Some((ab, LineKind::Tx, LineSignal::Assert)));
    assert_eq!(sig.next(), None);
    // Wrap: the next message goes to slot 0, then everything comes out in order.
    let _ = hyp.send(A, tx, b"m3", SendFlags::NONE);
    let q = hyp.queue(ab).unwrap();
    assert!(q.is_full());
    assert_eq!(q.peek(0), Some(&b"m1"[..]));
    assert_eq!(q.peek(2), Some(&b"m3"[..]));
    assert_eq!(q.peek(3), None);
    for (i, want) in [b"m1", b"m2", b"m3"].into_iter().enumerate() {
        let d = hyp.receive(B, rx, &mut buf);
        assert_eq!(d.raw, RawOutput::received(2, i < 2), "receive {i}");
        assert_eq!(&buf[..2], want);
        // Only the first of these leaves 2 = depth - 1 (full → not-full).
        assert_eq!(d.edges.tx_asserted(), i == 0, "receive {i}");
    }
    let d = hyp.receive(B, rx, &mut buf);
    assert_eq!(d.raw, RawOutput::error(GunyahError::MsgqueueEmpty.code()));

    // Flush of a non-empty queue: TX asserted, RX cleared, in line order.
    let _ = hyp.send(A, tx, b"x", SendFlags::NONE);
    let d = hyp.flush(B, rx);
    let mut sig = d.signals();
    assert_eq!(sig.next(), Some((ab, LineKind::Tx, LineSignal::Assert)));
    assert_eq!(sig.next(), Some((ab, LineKind::Rx, LineSignal::Clear)));
    assert_eq!(sig.next(), None);
    assert!(hyp.queue(ab).unwrap().is_empty());
}

#[test]
fn grant_skips_taken_ids_and_is_bounded() {
    let mut cs = CSpace::<3>::new();
    let q = Object::Msgq(QueueId(0));
    let first = CSpace::<3>::FIRST_ID;
    cs.insert(A, CapId(first), q, Rights::SEND).unwrap();
    cs.insert(B, CapId(first + 1), q, Rights::SEND).unwrap();
    assert_eq!(cs.grant(A, q, Rights::RECEIVE), Ok(CapId(first + 2)));
    assert_eq!(
        cs.grant(A, q, Rights::RECEIVE),
        Err(super::CspaceError::Full)
    );
    assert_eq!(cs.len(), 3);
}

#[test]
fn levels_and_bad_buffers_in_both_modes() {
    use super::{Mode, Msgq};

    let mut q: Msgq<2, 4> = Msgq::new(QueueConfig::new(2, 4)).unwrap();
    assert_eq!(
        (q.level(LineKind::Tx), q.level(LineKind::Rx)),
        (true, false)
    );
    let _ = q.send(b"ab", SendFlags::NONE);
    assert_eq!((q.tx_level(), q.rx_level()), (true, true));
    let _ = q.send(b"c", SendFlags::NONE);
    assert_eq!((q.tx_level(), q.rx_level()), (false, true));

    // Documented: errors, message kept, no signal.
    let small = q.receive(&mut [0u8; 1]);
    assert_eq!(small.raw.x0, GunyahError::AddrOverflow.code() as i64 as u64);
    assert_eq!(
        (small.raw.x1, small.raw.x2, small.edges),
        (0, 1, Edges::NONE)
    );
    let bad = q.receive_unwritable();
    assert_eq!(bad.raw.x0, GunyahError::AddrInvalid.code() as i64 as u64);
    assert_eq!(q.len(), 2);
    let mut buf = [0u8; 2];
    assert_eq!(q.receive(&mut buf).raw, RawOutput::received(2, true));
    let too_big = q.send(b"abcde", SendFlags::PUSH);
    assert_eq!(
        too_big.raw.x0,
        GunyahError::ArgumentSize.code() as i64 as u64
    );
    assert_eq!((too_big.raw.x1, too_big.edges), (1, Edges::NONE));
    assert_eq!(q.stats().rejected, 3);

    // Quirks: OK answers, nothing queued or taken.
    q.set_mode(Mode::PublicSourceQuirks);
    assert_eq!(q.receive(&mut [0u8; 0]).raw, RawOutput::received(0, true));
    let out = q.send(&[], SendFlags::PUSH);
    assert_eq!((out.raw, out.edges), (RawOutput::sent(true), Edges::NONE));
    assert_eq!(q.len(), 1);
    assert_eq!(
        (q.stats().dropped_by_quirk, q.stats().stuck_by_quirk),
        (1, 1)
    );
}

#[test]
fn line_kind_indexes_per_line_arrays() {
    assert_eq!(LineKind::ALL.map(LineKind::index), [0, 1]);
    assert_eq!(LineKind::Tx.index(), 0);
    assert_eq!(LineKind::Rx.index(), 1);
    let e = Edges::rx(LineSignal::Assert);
    assert_eq!(e.get(LineKind::Rx), LineSignal::Assert);
    assert_eq!(e.get(LineKind::Tx), LineSignal::Idle);
}
