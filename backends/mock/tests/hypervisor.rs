//! The std layer's hypervisor: links, guests, peer operations, inspection and counters.

use gunyah_msgq::{CapId, Error, GunyahError, Hypercall, RawOutput, SendFlags};
use gunyah_msgq_mock::model::{
    ConfigError, HOLDOFF_UNCHANGED, HypError, Mode, QueueConfig, Rights, SmallBufferError, VmId,
};
use gunyah_msgq_mock::{CallStats, Delivery, LinkConfig, MockError, MockHypervisor};

const A: VmId = VmId(1);
const B: VmId = VmId(2);

#[test]
fn link_endpoints_mirror_each_other() {
    let hyp = MockHypervisor::new();
    assert_eq!(hyp.delivery(), Delivery::Inline);
    let link = hyp.link(A, B, &LinkConfig::default()).unwrap();
    assert_eq!((link.a.vm(), link.b.vm()), (A, B));
    assert_eq!(link.a.tx_queue(), link.b.rx_queue());
    assert_eq!(link.a.rx_depth().get(), 8);
    assert_eq!(link.a.tx_max_size(), 240);
    let tx = link.a.tx_config();
    assert_eq!(tx.cap, link.a.tx_cap());
    let rx = link.b.rx_config();
    assert_eq!((rx.cap, rx.depth.get()), (link.b.rx_cap(), 8));
    assert_eq!(link.a.guest().vm(), A);
    assert!(format!("{:?}", link.a).contains("Guest"));
}

#[test]
fn guests_use_their_own_cspace() {
    let hyp = MockHypervisor::new();
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    let a = hyp.guest(A);
    let b = hyp.guest(B);
    assert_eq!(
        a.msgq_send(link.a.tx_cap(), b"x", SendFlags::NONE),
        RawOutput::sent(true)
    );
    // B cannot use A's capability, nor send on its RX capability, nor flush its TX queue.
    let null = RawOutput::error(GunyahError::CspaceCapNull.code());
    let rights = RawOutput::error(GunyahError::CspaceInsufficientRights.code());
    assert_eq!(b.msgq_send(link.a.tx_cap(), b"x", SendFlags::NONE), null);
    assert_eq!(b.msgq_send(link.b.rx_cap(), b"x", SendFlags::NONE), rights);
    assert_eq!(b.msgq_flush(link.b.tx_cap()), rights);
    assert_eq!(b.msgq_flush(CapId(0x5555)), null);
    let other = hyp.grant_other(B, Rights::SEND).unwrap();
    assert_eq!(
        b.msgq_send(other, b"x", SendFlags::NONE),
        RawOutput::error(GunyahError::CspaceWrongObjectType.code())
    );
    hyp.revoke(B, link.b.rx_cap()).unwrap();
    let mut buf = [0u8; 240];
    assert_eq!(
        b.msgq_receive(link.b.rx_cap(), &mut buf),
        RawOutput::error(GunyahError::CspaceCapRevoked.code())
    );
    hyp.delete_cap(B, link.b.rx_cap()).unwrap();
    assert_eq!(b.msgq_receive(link.b.rx_cap(), &mut buf), null);
    assert_eq!(
        hyp.queue_len(link.a.tx_queue()),
        Some(1),
        "only the first send landed"
    );
}

#[test]
fn call_stats_count_per_vm() {
    let hyp = MockHypervisor::new();
    let config = LinkConfig::symmetric(QueueConfig::new(2, 16));
    let link = hyp.link(A, B, &config).unwrap();
    // The size error first: on a full queue FULL would win.
    link.a.send(b"", SendFlags::NONE);
    for _ in 0..3 {
        link.a.send(b"m", SendFlags::NONE);
    }
    let mut buf = [0u8; 16];
    for _ in 0..3 {
        link.b.receive(&mut buf);
    }
    link.b.flush();
    let guest = link.b.guest();
    guest.msgq_configure_send(link.b.tx_cap(), 0, HOLDOFF_UNCHANGED);
    assert_eq!(
        link.a.guest().stats(),
        CallStats {
            sends: 4,
            sends_ok: 2,
            sends_full: 1,
            sends_failed: 1,
            ..CallStats::default()
        }
    );
    assert_eq!(
        hyp.call_stats(B),
        CallStats {
            receives: 3,
            receives_ok: 2,
            receives_empty: 1,
            flushes: 1,
            configures: 1,
            ..CallStats::default()
        }
    );
    assert_eq!(hyp.call_stats(VmId(77)), CallStats::default());
}

#[test]
fn inspection_and_modes() {
    let hyp = MockHypervisor::new();
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    let q = link.a.tx_queue();
    link.a.send(b"one", SendFlags::NONE);
    link.a.send(b"two", SendFlags::NONE);
    assert_eq!(hyp.queue_messages(q), [b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(link.b.rx_len(), 2);
    assert_eq!(link.a.tx_len(), 2);
    let snap = hyp.queue_snapshot(q).unwrap();
    assert_eq!(
        (snap.len, snap.stats.enqueued, snap.mode),
        (2, 2, Mode::Documented)
    );

    // Documented: small buffer → ADDR_OVERFLOW, or ARGUMENT_SIZE if chosen.
    let mut small = [0u8; 2];
    assert_eq!(link.b.receive(&mut small).x0, 20);
    hyp.set_small_buffer(q, SmallBufferError::ArgumentSize)
        .unwrap();
    assert_eq!(link.b.receive(&mut small).x0, 2);
    // Bad buffers.
    assert_eq!(
        link.a
            .guest()
            .msgq_send_unreadable(link.a.tx_cap(), 4, SendFlags::NONE)
            .x0,
        22
    );
    assert_eq!(
        link.b.guest().msgq_receive_unwritable(link.b.rx_cap()).x0,
        22
    );

    // Quirks: the same receive answers OK, size 0, not_empty, and the peer decodes RxStuck.
    hyp.set_mode(q, Mode::PublicSourceQuirks).unwrap();
    assert_eq!(link.b.receive(&mut small), RawOutput::received(0, true));
    assert_eq!(
        link.a.send(&[0; 300], SendFlags::PUSH),
        RawOutput::sent(true),
        "oversized send accepted and dropped"
    );
    assert_eq!(hyp.queue_snapshot(q).unwrap().stats.dropped_by_quirk, 1);
    assert_eq!(link.b.drain(), [b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(link.b.recv(), Ok(None));
    assert!(
        hyp.queue_messages(gunyah_msgq_mock::model::QueueId(99))
            .is_empty()
    );
    assert_eq!(
        hyp.set_mode(gunyah_msgq_mock::model::QueueId(99), Mode::Documented),
        Err(MockError::Model(HypError::NoSuchQueue(
            gunyah_msgq_mock::model::QueueId(99)
        )))
    );
}

#[test]
fn quirk_stuck_head_decodes_as_rx_stuck() {
    let hyp = MockHypervisor::new();
    // B receives with a 1023-byte buffer: only an unwritable buffer makes it stuck.
    let config = LinkConfig::RM_LINK.with_mode(Mode::PublicSourceQuirks);
    let link = hyp.link(A, B, &config).unwrap();
    link.a.send(b"x", SendFlags::NONE);
    let raw = link.b.guest().msgq_receive_unwritable(link.b.rx_cap());
    assert_eq!(
        gunyah_msgq::abi::RecvReply::decode(raw, 240),
        Err(Error::RxStuck { code: None })
    );
    assert_eq!(link.b.recv(), Ok(Some(b"x".to_vec())));
}

#[test]
fn configure_through_the_guest() {
    let hyp = MockHypervisor::new();
    let link = hyp.link(A, B, &LinkConfig::RM_LINK).unwrap();
    let b = link.b.guest();
    let rx = link.b.rx_irq();
    // RX at 2 messages instead of 1.
    assert_eq!(
        b.msgq_configure_receive(link.b.rx_cap(), 2, HOLDOFF_UNCHANGED)
            .x0,
        0
    );
    link.a.send(b"1", SendFlags::NONE);
    assert!(!rx.is_pending());
    link.a.send(b"2", SendFlags::NONE);
    assert!(rx.is_pending());
    // A bad holdoff is UNIMPLEMENTED, sign-extended.
    assert_eq!(b.msgq_configure_receive(link.b.rx_cap(), 2, 0).x0, u64::MAX);
    // Raising the threshold above the count clears the pending edge.
    assert_eq!(
        b.msgq_configure_receive(link.b.rx_cap(), 5, HOLDOFF_UNCHANGED)
            .x0,
        0
    );
    assert!(!rx.is_pending());
    // A's TX threshold.
    let a = link.a.guest();
    assert_eq!(
        a.msgq_configure_send(link.a.tx_cap(), 8, HOLDOFF_UNCHANGED)
            .x0,
        1
    );
    assert_eq!(
        a.msgq_configure_send(link.a.tx_cap(), 3, HOLDOFF_UNCHANGED)
            .x0,
        0
    );
    assert!(link.a.tx_irq().is_pending(), "count 2 <= 3 asserts TX");
}

#[test]
fn setup_errors_are_typed() {
    let hyp = MockHypervisor::new();
    assert_eq!(
        hyp.create_queue(QueueConfig::new(0, 240)),
        Err(MockError::Model(HypError::Config(ConfigError::Depth(0))))
    );
    assert_eq!(
        hyp.create_queue(QueueConfig::new(8, 1024)),
        Err(MockError::Model(HypError::Config(ConfigError::MaxSize(
            1024
        ))))
    );
    let err = hyp
        .link(A, B, &LinkConfig::symmetric(QueueConfig::new(256, 8)))
        .unwrap_err();
    assert!(err.to_string().contains("256"));
    // Largest queue the hypervisor allows.
    let big = hyp.create_queue(QueueConfig::new(255, 1023)).unwrap();
    let cap = hyp.grant(A, big, Rights::SEND).unwrap();
    for _ in 0..255 {
        assert_eq!(hyp.send(A, cap, &[7; 1023], SendFlags::NONE).x0, 0);
    }
    assert_eq!(hyp.send(A, cap, &[7; 1], SendFlags::NONE).x0, 61);
    // Room for 64 queues in all.
    while hyp.create_queue(QueueConfig::new(1, 1)).is_ok() {}
    assert_eq!(
        hyp.create_queue(QueueConfig::new(1, 1)),
        Err(MockError::Model(HypError::TooManyQueues))
    );
    assert_eq!(hyp.irqs().len(), 2 * MockHypervisor::MAX_QUEUES);
    assert!(format!("{hyp:?}").contains("queues: 64"));
}
