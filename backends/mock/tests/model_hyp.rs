//! Capabilities and the hypervisor dispatch of the pure model.

use gunyah_msgq::{CapId, GunyahError, RawOutput, SendFlags};
use gunyah_msgq_mock::model::{
    CSpace, CspaceError, Dispatch, HOLDOFF_UNCHANGED, Hyp, HypError, LineKind, LineSignal, Object,
    QueueConfig, QueueId, Rights, VmId,
};

const A: VmId = VmId(1);
const B: VmId = VmId(2);

type SmallHyp = Hyp<2, 8, 8, 240>;

/// A hypervisor with a link between A and B.
fn linked() -> (SmallHyp, gunyah_msgq_mock::model::LinkCaps) {
    let mut hyp = SmallHyp::new();
    let ab = hyp.create_queue(QueueConfig::RM_LINK).unwrap();
    let ba = hyp.create_queue(QueueConfig::RM_LINK).unwrap();
    let link = hyp.connect(A, B, ab, ba).unwrap();
    (hyp, link)
}

fn failed(d: Dispatch, e: GunyahError) {
    assert_eq!(
        d.raw,
        RawOutput::error(e.code()),
        "outputs are zero except x0"
    );
    assert_eq!(d.queue, None);
    assert_eq!(d.signals().count(), 0);
}

#[test]
fn link_caps_follow_the_resource_manager() {
    let (hyp, link) = linked();
    assert_eq!(link.a.tx_queue, link.b.rx_queue);
    assert_eq!(link.a.rx_queue, link.b.tx_queue);
    assert_ne!(link.a.tx_queue, link.a.rx_queue);
    let caps = [link.a.tx_cap, link.a.rx_cap, link.b.tx_cap, link.b.rx_cap];
    for (i, c) in caps.iter().enumerate() {
        assert!(caps[i + 1..].iter().all(|d| d != c), "cap ids are unique");
    }
    let a_tx = hyp.cspace().get(A, link.a.tx_cap).unwrap();
    assert_eq!(a_tx.rights, Rights::SEND);
    assert_eq!(a_tx.object, Object::Msgq(link.a.tx_queue));
    assert_eq!(
        hyp.cspace().get(A, link.a.rx_cap).unwrap().rights,
        Rights::RECEIVE
    );
    assert_eq!(hyp.cspace().len(), 4);
}

#[test]
fn dispatch_reports_queue_and_edges() {
    let (mut hyp, link) = linked();
    let d = hyp.send(A, link.a.tx_cap, b"hi", SendFlags::NONE);
    assert_eq!(d.raw, RawOutput::sent(true));
    assert_eq!(d.queue, Some(link.a.tx_queue));
    assert_eq!(
        d.asserted().collect::<Vec<_>>(),
        [(link.a.tx_queue, LineKind::Rx)]
    );
    let mut buf = [0u8; 240];
    let d = hyp.receive(B, link.b.rx_cap, &mut buf);
    assert_eq!(d.raw, RawOutput::received(2, false));
    assert_eq!(d.asserted().count(), 0);
    assert_eq!(&buf[..2], b"hi");
    // Flush by the receiver: TX asserted, RX cleared.
    let _ = hyp.send(A, link.a.tx_cap, b"x", SendFlags::NONE);
    let d = hyp.flush(B, link.b.rx_cap);
    assert_eq!(
        d.signals().collect::<Vec<_>>(),
        [
            (link.a.tx_queue, LineKind::Tx, LineSignal::Assert),
            (link.a.tx_queue, LineKind::Rx, LineSignal::Clear)
        ]
    );
    assert!(hyp.level(link.a.tx_queue, LineKind::Tx));
    assert!(!hyp.level(QueueId(7), LineKind::Tx));
}

#[test]
fn rights_are_checked() {
    let (mut hyp, link) = linked();
    let mut buf = [0u8; 240];
    // A's RX cap has RECEIVE only, its TX cap SEND only.
    failed(
        hyp.send(A, link.a.rx_cap, b"x", SendFlags::NONE),
        GunyahError::CspaceInsufficientRights,
    );
    failed(
        hyp.receive(A, link.a.tx_cap, &mut buf),
        GunyahError::CspaceInsufficientRights,
    );
    // A guest cannot flush its TX queue.
    failed(
        hyp.flush(A, link.a.tx_cap),
        GunyahError::CspaceInsufficientRights,
    );
    failed(
        hyp.configure_send(A, link.a.rx_cap, 1, HOLDOFF_UNCHANGED),
        GunyahError::CspaceInsufficientRights,
    );
    failed(
        hyp.configure_receive(A, link.a.tx_cap, 1, HOLDOFF_UNCHANGED),
        GunyahError::CspaceInsufficientRights,
    );
    failed(
        hyp.send_unreadable(A, link.a.rx_cap, 4, SendFlags::NONE),
        GunyahError::CspaceInsufficientRights,
    );
    failed(
        hyp.receive_unwritable(A, link.a.tx_cap),
        GunyahError::CspaceInsufficientRights,
    );
    // Nothing reached a queue.
    assert!(
        hyp.queues()
            .all(|(_, q)| q.is_empty() && q.stats() == Default::default())
    );
    // The right caps work.
    assert_eq!(
        hyp.configure_send(A, link.a.tx_cap, 1, HOLDOFF_UNCHANGED)
            .raw
            .x0,
        0
    );
    assert_eq!(
        hyp.configure_receive(A, link.a.rx_cap, 1, HOLDOFF_UNCHANGED)
            .raw
            .x0,
        0
    );
}

#[test]
fn capability_lookup_errors() {
    let (mut hyp, link) = linked();
    // Unknown id, the invalid id, and another VM's capability: null in this cspace.
    failed(
        hyp.send(A, CapId(0xdead), b"x", SendFlags::NONE),
        GunyahError::CspaceCapNull,
    );
    failed(
        hyp.send(A, CapId::INVALID, b"x", SendFlags::NONE),
        GunyahError::CspaceCapNull,
    );
    failed(
        hyp.send(A, link.b.tx_cap, b"x", SendFlags::NONE),
        GunyahError::CspaceCapNull,
    );
    failed(
        hyp.send(VmId(9), link.a.tx_cap, b"x", SendFlags::NONE),
        GunyahError::CspaceCapNull,
    );
    // Another object type.
    let doorbell = hyp.grant_other(A, Rights::SEND | Rights::RECEIVE).unwrap();
    failed(
        hyp.send(A, doorbell, b"x", SendFlags::NONE),
        GunyahError::CspaceWrongObjectType,
    );
    // Revoked, then deleted.
    hyp.cspace_mut().revoke(A, link.a.tx_cap).unwrap();
    failed(
        hyp.send(A, link.a.tx_cap, b"x", SendFlags::NONE),
        GunyahError::CspaceCapRevoked,
    );
    hyp.cspace_mut().delete(A, link.a.tx_cap).unwrap();
    failed(
        hyp.send(A, link.a.tx_cap, b"x", SendFlags::NONE),
        GunyahError::CspaceCapNull,
    );
    assert_eq!(
        hyp.cspace_mut().delete(A, link.a.tx_cap),
        Err(CspaceError::NotFound(link.a.tx_cap))
    );
    // Lookup order: revoked before wrong type before rights.
    hyp.cspace_mut().revoke(A, doorbell).unwrap();
    failed(hyp.flush(A, doorbell), GunyahError::CspaceCapRevoked);
}

#[test]
fn cspace_table_rules() {
    let mut cs = CSpace::<3>::new();
    assert!(cs.is_empty());
    let q = Object::Msgq(QueueId(0));
    cs.insert(A, CapId(5), q, Rights::SEND).unwrap();
    // Same id in another VM is a different capability.
    cs.insert(B, CapId(5), q, Rights::RECEIVE).unwrap();
    assert_eq!(
        cs.insert(A, CapId(5), q, Rights::SEND),
        Err(CspaceError::Duplicate(CapId(5)))
    );
    assert_eq!(
        cs.insert(A, CapId::INVALID, q, Rights::SEND),
        Err(CspaceError::InvalidId)
    );
    let granted = cs.grant(A, q, Rights::SEND).unwrap();
    assert_eq!(granted, CapId(CSpace::<3>::FIRST_ID));
    assert_eq!(cs.grant(A, q, Rights::SEND), Err(CspaceError::Full));
    assert_eq!(cs.free(), 0);
    assert_eq!(cs.lookup_msgq(B, CapId(5), Rights::RECEIVE), Ok(QueueId(0)));
    assert_eq!(
        cs.lookup_msgq(B, CapId(5), Rights::SEND),
        Err(GunyahError::CspaceInsufficientRights)
    );
    assert_eq!(CspaceError::Full.error(), GunyahError::CspaceFull);
    assert!(
        Rights::SEND
            .union(Rights::RECEIVE)
            .contains(Rights::RECEIVE)
    );
    assert_eq!(Rights::OBJECT_ACTIVATE.bits(), 0x8000_0000);
    assert_eq!(
        Rights::from_bits(0xC),
        Rights::BIND_SEND | Rights::BIND_RECEIVE
    );
    // Granted ids skip ids chosen by hand.
    let mut cs = CSpace::<4>::new();
    cs.insert(A, CapId(CSpace::<4>::FIRST_ID), q, Rights::SEND)
        .unwrap();
    assert_eq!(
        cs.grant(B, q, Rights::SEND),
        Ok(CapId(CSpace::<4>::FIRST_ID + 1))
    );
}

#[test]
fn hypervisor_capacity_errors() {
    let mut hyp = Hyp::<1, 5, 2, 8>::new();
    assert_eq!(
        hyp.create_queue(QueueConfig::new(3, 8)),
        Err(HypError::Config(
            gunyah_msgq_mock::model::ConfigError::DepthExceedsStorage { depth: 3, slots: 2 }
        ))
    );
    let q = hyp.create_queue(QueueConfig::new(2, 8)).unwrap();
    assert_eq!(
        hyp.create_queue(QueueConfig::new(2, 8)),
        Err(HypError::TooManyQueues)
    );
    assert_eq!(
        hyp.grant(A, QueueId(1), Rights::SEND),
        Err(HypError::NoSuchQueue(QueueId(1)))
    );
    assert_eq!(
        hyp.connect(A, B, q, QueueId(4)),
        Err(HypError::NoSuchQueue(QueueId(4)))
    );
    // Five slots: a link takes four; with two used, connect grants nothing.
    hyp.grant(A, q, Rights::SEND).unwrap();
    hyp.grant(B, q, Rights::RECEIVE).unwrap();
    assert_eq!(
        hyp.connect(A, B, q, q),
        Err(HypError::Cspace(CspaceError::Full))
    );
    assert_eq!(hyp.cspace().len(), 2);
    assert_eq!(HypError::TooManyQueues.error(), GunyahError::Nomem);
    assert!(!HypError::NoSuchQueue(QueueId(1)).to_string().is_empty());
}

#[test]
fn hypervisor_is_const_constructible() {
    // Usable as a `static` initialiser (behind the caller's own lock) on bare metal.
    static EMPTY: Hyp<4, 16, 8, 240> = Hyp::new();
    assert_eq!(EMPTY.queues().count(), 0);
    let mut hyp: Hyp<4, 16, 8, 240> = Hyp::default();
    let q = hyp.create_queue(QueueConfig::RM_LINK).unwrap();
    hyp.queue_mut(q)
        .unwrap()
        .set_mode(gunyah_msgq_mock::model::Mode::PublicSourceQuirks);
    let cap = hyp.grant(A, q, Rights::SEND).unwrap();
    // Quirk mode through dispatch: OK, nothing queued, no signal.
    let d = hyp.send(A, cap, &[], SendFlags::PUSH);
    assert_eq!(d.raw, RawOutput::sent(true));
    assert_eq!(d.queue, Some(q));
    assert_eq!(d.signals().count(), 0);
}

#[test]
fn cspace_error_display_and_codes() {
    assert_eq!(CspaceError::Full.to_string(), "capability space full");
    assert_eq!(
        CspaceError::Duplicate(CapId(0x1f)).to_string(),
        "capability 0x1f already exists"
    );
    assert_eq!(
        CspaceError::NotFound(CapId(0x200)).to_string(),
        "no capability 0x200"
    );
    assert_eq!(
        CspaceError::InvalidId.to_string(),
        "CapId::INVALID names no capability"
    );
    assert_eq!(
        CspaceError::Duplicate(CapId(1)).error(),
        GunyahError::ArgumentInvalid
    );
    assert_eq!(CspaceError::InvalidId.error(), GunyahError::ArgumentInvalid);
    assert_eq!(
        CspaceError::NotFound(CapId(1)).error(),
        GunyahError::CspaceCapNull
    );
    // HypError forwards the message and the code of what it wraps.
    assert_eq!(
        HypError::from(CspaceError::Full).to_string(),
        "capability space full"
    );
    assert_eq!(
        HypError::from(CspaceError::Full).error(),
        GunyahError::CspaceFull
    );
    assert_eq!(HypError::NoSuchQueue(QueueId(3)).to_string(), "no queue 3");
    assert_eq!(
        HypError::NoSuchQueue(QueueId(3)).error(),
        GunyahError::ArgumentInvalid
    );
    assert_eq!(
        HypError::TooManyQueues.to_string(),
        "no room for another queue"
    );
}

#[test]
fn rights_union_keeps_shared_bits() {
    // A right present on both sides stays (an exclusive or would drop it).
    assert_eq!(Rights::SEND.union(Rights::SEND), Rights::SEND);
    assert_eq!(Rights::SEND | Rights::SEND, Rights::SEND);
    let both = Rights::SEND | Rights::RECEIVE;
    assert_eq!((both | Rights::RECEIVE).bits(), 0x3);
    assert!((both | Rights::RECEIVE).contains(both));
    assert!(!Rights::NONE.contains(Rights::SEND));
    assert!(Rights::SEND.contains(Rights::NONE));
}

#[test]
fn cspace_len_empty_and_ids() {
    let mut cs = CSpace::<4>::default();
    assert!(cs.is_empty());
    assert_eq!((cs.len(), cs.free()), (0, 4));
    let q = Object::Msgq(QueueId(0));
    // Two hand-chosen ids in a row (different VMs): grant skips both.
    cs.insert(A, CapId(CSpace::<4>::FIRST_ID), q, Rights::SEND)
        .unwrap();
    assert!(!cs.is_empty());
    assert_eq!((cs.len(), cs.free()), (1, 3));
    cs.insert(B, CapId(CSpace::<4>::FIRST_ID + 1), q, Rights::SEND)
        .unwrap();
    let g = cs.grant(A, q, Rights::RECEIVE).unwrap();
    assert_eq!(g, CapId(CSpace::<4>::FIRST_ID + 2));
    assert_eq!(cs.get(A, g).map(|e| e.rights), Some(Rights::RECEIVE));
    // A deleted id is never handed out again.
    cs.delete(A, g).unwrap();
    assert_eq!(cs.get(A, g), None);
    assert_eq!(
        cs.grant(B, q, Rights::SEND),
        Ok(CapId(CSpace::<4>::FIRST_ID + 3))
    );
    assert_eq!(cs.iter().count(), 3);
}

#[test]
fn connect_fits_in_exactly_four_free_slots() {
    let mut hyp = Hyp::<2, 4, 2, 8>::new();
    let ab = hyp.create_queue(QueueConfig::new(2, 8)).unwrap();
    let ba = hyp.create_queue(QueueConfig::new(2, 8)).unwrap();
    let link = hyp.connect(A, B, ab, ba).unwrap();
    assert_eq!(hyp.cspace().free(), 0);
    assert_eq!(hyp.send(A, link.a.tx_cap, b"ok", SendFlags::NONE).raw.x0, 0);
    assert_eq!(
        hyp.connect(A, B, ab, ba),
        Err(HypError::Cspace(CspaceError::Full))
    );
}

#[test]
fn revoke_touches_only_the_named_capability() {
    let (mut hyp, link) = linked();
    // A's RX cap is not A's first capability: revoking it leaves the TX cap working.
    hyp.cspace_mut().revoke(A, link.a.rx_cap).unwrap();
    assert!(hyp.cspace().get(A, link.a.rx_cap).unwrap().revoked);
    assert!(!hyp.cspace().get(A, link.a.tx_cap).unwrap().revoked);
    assert_eq!(hyp.send(A, link.a.tx_cap, b"x", SendFlags::NONE).raw.x0, 0);
    let mut buf = [0u8; 240];
    failed(
        hyp.receive(A, link.a.rx_cap, &mut buf),
        GunyahError::CspaceCapRevoked,
    );
    // B's capability with A's id does not exist; revoking it fails.
    assert_eq!(
        hyp.cspace_mut().revoke(B, link.a.rx_cap),
        Err(CspaceError::NotFound(link.a.rx_cap))
    );
    assert_eq!(
        hyp.receive(B, link.b.rx_cap, &mut buf).raw,
        RawOutput::received(1, false)
    );
}

#[test]
fn queues_lists_every_queue_with_its_id() {
    // `queues()` is how a caller (the std layer's Debug, an EL2 model's dump) walks the
    // hypervisor's objects: it must yield each created queue once, under the id that
    // `create_queue` returned, in creation order, with its live state.
    let mut hyp = Hyp::<3, 8, 8, 240>::new();
    let small = hyp.create_queue(QueueConfig::new(2, 16)).unwrap();
    let rm = hyp.create_queue(QueueConfig::RM_LINK).unwrap();
    let cap = hyp.grant(A, rm, Rights::SEND).unwrap();
    assert_eq!(hyp.send(A, cap, b"m", SendFlags::NONE).raw.x0, 0);
    let listed: Vec<_> = hyp
        .queues()
        .map(|(id, q)| (id, q.depth().get(), q.max_size(), q.len()))
        .collect();
    assert_eq!(listed, [(small, 2, 16, 0), (rm, 8, 240, 1)]);
    assert_eq!((small, rm), (QueueId(0), QueueId(1)));
}
