//! The queue object alone: every rule of spec §4, in both modes.

use gunyah_msgq::{GunyahError, RawOutput, SendFlags};
use gunyah_msgq_mock::model::{
    ConfigError, Edges, HOLDOFF_UNCHANGED, LineKind, LineSignal, MAX_DEPTH, MAX_MSG_SIZE, Mode,
    Msgq, QueueConfig, SmallBufferError, THRESHOLD_MAXIMUM, THRESHOLD_UNCHANGED,
};

type Rm = Msgq<8, 240>;

fn rm(mode: Mode) -> Rm {
    Rm::new(QueueConfig::RM_LINK.with_mode(mode)).unwrap()
}

fn q(depth: usize, max: usize) -> Msgq<8, 16> {
    Msgq::new(QueueConfig::new(depth, max)).unwrap()
}

fn err(code: GunyahError) -> u64 {
    code.code() as i64 as u64
}

const NONE: SendFlags = SendFlags::NONE;
const PUSH: SendFlags = SendFlags::PUSH;

#[test]
fn config_limits_are_typed_errors() {
    let bad = [
        (QueueConfig::new(0, 8), ConfigError::Depth(0)),
        (QueueConfig::new(256, 8), ConfigError::Depth(256)),
        (QueueConfig::new(1, 0), ConfigError::MaxSize(0)),
        (QueueConfig::new(1, 1024), ConfigError::MaxSize(1024)),
        (
            QueueConfig::new(9, 8),
            ConfigError::DepthExceedsStorage { depth: 9, slots: 8 },
        ),
        (
            QueueConfig::new(8, 17),
            ConfigError::MaxSizeExceedsStorage {
                max_size: 17,
                slot_size: 16,
            },
        ),
    ];
    for (config, expected) in bad {
        assert_eq!(Msgq::<8, 16>::new(config).err(), Some(expected));
    }
    assert_eq!(ConfigError::Depth(0).error(), GunyahError::ArgumentInvalid);
    assert_eq!(
        ConfigError::DepthExceedsStorage { depth: 9, slots: 8 }.error(),
        GunyahError::Nomem
    );
    assert!(ConfigError::MaxSize(0).to_string().contains("1..=1023"));
    // The extremes are accepted.
    assert!(Msgq::<1, 1>::new(QueueConfig::new(1, 1)).is_ok());
    let big = vec![[0u8; MAX_MSG_SIZE]; MAX_DEPTH].into_boxed_slice();
    let big: Box<[[u8; MAX_MSG_SIZE]; MAX_DEPTH]> = big.try_into().unwrap();
    let q = Msgq::<MAX_DEPTH, MAX_MSG_SIZE, _>::with_storage(
        big,
        QueueConfig::new(MAX_DEPTH, MAX_MSG_SIZE),
    )
    .unwrap();
    assert_eq!(q.depth().get(), 255);
    assert_eq!(q.max_size(), 1023);
}

#[test]
fn const_construction_and_defaults() {
    const Q: Result<Msgq<8, 240>, ConfigError> = Msgq::new(QueueConfig::RM_LINK);
    let q = Q.unwrap();
    assert_eq!(QueueConfig::default(), QueueConfig::new(8, 240));
    assert_eq!(q.not_full_threshold(), 7);
    assert_eq!(q.not_empty_threshold(), 1);
    assert_eq!(q.mode(), Mode::Documented);
    assert_eq!(q.small_buffer(), SmallBufferError::AddrOverflow);
    assert!(q.is_empty() && !q.is_full());
    assert!(!q.rx_level() && q.tx_level());
}

#[test]
fn send_fills_to_depth_then_full() {
    for mode in [Mode::Documented, Mode::PublicSourceQuirks] {
        let mut q = rm(mode);
        for i in 1..=8u8 {
            let out = q.send(&[i; 3], NONE);
            assert_eq!(out.raw, RawOutput::sent(i < 8), "send {i}");
            // Default not-empty threshold 1: only the 0 → 1 send raises RX.
            assert_eq!(out.edges.rx_asserted(), i == 1, "send {i}");
            assert_eq!(out.edges.tx, LineSignal::Idle);
        }
        assert!(q.is_full());
        let out = q.send(b"x", PUSH);
        assert_eq!(out.raw, RawOutput::error(61));
        assert_eq!(out.raw.x1, 0, "FULL answers not_full = false");
        assert_eq!(
            out.edges,
            Edges::NONE,
            "FULL raises nothing, even with PUSH"
        );
        assert_eq!(q.len(), 8);
        assert_eq!(q.stats().full, 1);
        assert_eq!(q.stats().enqueued, 8);
    }
}

#[test]
fn push_raises_rx_on_every_send() {
    let mut q = rm(Mode::Documented);
    for _ in 0..5 {
        assert!(q.send(b"p", PUSH).edges.rx_asserted());
    }
    assert!(!q.send(b"n", NONE).edges.rx_asserted());
    assert_eq!(q.stats().rx_asserts, 5);
}

#[test]
fn receive_is_fifo_and_reports_not_empty() {
    let mut q = rm(Mode::Documented);
    let mut buf = [0u8; 240];
    let out = q.receive(&mut buf);
    assert_eq!(out.raw, RawOutput::error(60));
    assert_eq!(
        (out.raw.x1, out.raw.x2),
        (0, 0),
        "EMPTY: size 0, not_empty false"
    );
    assert_eq!(out.edges, Edges::NONE);
    // Wrap around the ring several times.
    let mut next_in = 0u8;
    let mut next_out = 0u8;
    for round in 0..5 {
        for _ in 0..(3 + round) {
            let len = usize::from(next_in % 200) + 1;
            assert_eq!(q.send(&vec![next_in; len], NONE).raw.x0, 0);
            next_in += 1;
        }
        while !q.is_empty() {
            let left = q.len() - 1;
            let out = q.receive(&mut buf);
            let len = usize::from(next_out % 200) + 1;
            assert_eq!(out.raw, RawOutput::received(len as u64, left > 0));
            assert!(buf[..len].iter().all(|&b| b == next_out));
            next_out += 1;
        }
    }
    assert_eq!(q.stats().dequeued, u64::from(next_out));
    assert_eq!(q.stats().empty, 1);
}

#[test]
fn tx_fires_only_on_full_to_not_full() {
    let mut q = rm(Mode::Documented);
    let mut buf = [0u8; 240];
    for _ in 0..5 {
        let _ = q.send(b"m", NONE);
    }
    // A partial drain of a queue that never filled raises nothing.
    for _ in 0..5 {
        assert_eq!(q.receive(&mut buf).edges, Edges::NONE);
    }
    for _ in 0..8 {
        let _ = q.send(b"m", NONE);
    }
    let edges: Vec<bool> = (0..8)
        .map(|_| q.receive(&mut buf).edges.tx_asserted())
        .collect();
    assert_eq!(
        edges,
        [true, false, false, false, false, false, false, false]
    );
    assert_eq!(q.stats().tx_asserts, 1);
}

#[test]
fn depth_one_queue() {
    let mut q = q(1, 4);
    assert_eq!(q.not_full_threshold(), 0);
    let out = q.send(b"a", NONE);
    assert_eq!(out.raw, RawOutput::sent(false));
    assert!(out.edges.rx_asserted());
    assert_eq!(q.send(b"b", NONE).raw, RawOutput::error(61));
    let mut buf = [0u8; 4];
    let out = q.receive(&mut buf);
    assert_eq!(out.raw, RawOutput::received(1, false));
    assert!(
        out.edges.tx_asserted(),
        "1 → 0 reaches the not-full threshold 0"
    );
}

#[test]
fn documented_bad_sizes() {
    let mut q = rm(Mode::Documented);
    let _ = q.send(b"keep", NONE);
    for msg in [&[][..], &[7u8; 241][..]] {
        let out = q.send(msg, PUSH);
        assert_eq!(
            out.raw.x0,
            err(GunyahError::ArgumentSize),
            "len {}",
            msg.len()
        );
        // Registers of 7ecf251: not_full stays set on a copy error.
        assert_eq!(out.raw.x1, 1);
        assert_eq!(
            out.edges,
            Edges::NONE,
            "nothing queued, no vIRQ even with PUSH"
        );
    }
    // Size is checked before the address.
    assert_eq!(
        q.send_unreadable(0, NONE).raw.x0,
        err(GunyahError::ArgumentSize)
    );
    let out = q.send_unreadable(5, PUSH);
    assert_eq!(out.raw.x0, err(GunyahError::AddrInvalid));
    assert_eq!(out.edges, Edges::NONE);
    assert_eq!(q.len(), 1);
    assert_eq!(q.stats().rejected, 4);
    // The maximum itself is fine.
    assert_eq!(q.send(&[1; 240], NONE).raw, RawOutput::sent(true));
}

#[test]
fn documented_small_buffer_keeps_the_message() {
    for (choice, code) in [
        (SmallBufferError::AddrOverflow, GunyahError::AddrOverflow),
        (SmallBufferError::ArgumentSize, GunyahError::ArgumentSize),
    ] {
        let mut q = Msgq::<8, 240>::new(QueueConfig::RM_LINK.with_small_buffer(choice)).unwrap();
        let _ = q.send(&[9; 100], NONE);
        let mut small = [0u8; 99];
        let out = q.receive(&mut small);
        assert_eq!(out.raw.x0, err(code));
        assert_eq!(
            (out.raw.x1, out.raw.x2),
            (0, 1),
            "7ecf251: size 0, not_empty 1"
        );
        assert_eq!(out.edges, Edges::NONE);
        assert_eq!(q.len(), 1, "message kept");
        let out = q.receive_unwritable();
        assert_eq!(out.raw.x0, err(GunyahError::AddrInvalid));
        let mut exact = [0u8; 100];
        assert_eq!(q.receive(&mut exact).raw, RawOutput::received(100, false));
        assert_eq!(exact, [9; 100]);
    }
    let mut q = rm(Mode::Documented);
    q.set_small_buffer(SmallBufferError::ArgumentSize);
    assert_eq!(q.small_buffer(), SmallBufferError::ArgumentSize);
}

#[test]
fn quirk_bad_send_is_ok_and_dropped() {
    let mut q = rm(Mode::PublicSourceQuirks);
    for _ in 0..7 {
        let _ = q.send(b"m", NONE);
    }
    // One slot left: a bad send still says not_full = true and queues nothing.
    for out in [
        q.send(&[], PUSH),
        q.send(&[0; 241], PUSH),
        q.send_unreadable(10, PUSH),
    ] {
        assert_eq!(out.raw, RawOutput::sent(true));
        assert_eq!(out.edges, Edges::NONE, "no vIRQ, even with PUSH");
    }
    assert_eq!(q.len(), 7);
    assert_eq!(q.stats().dropped_by_quirk, 3);
    assert_eq!(q.stats().enqueued, 7);
    // On an empty queue too: no 0 → 1 edge since nothing was queued.
    let mut e = rm(Mode::PublicSourceQuirks);
    assert_eq!(e.send(&[], NONE).edges, Edges::NONE);
    assert!(e.is_empty());
}

#[test]
fn quirk_small_buffer_leaves_the_head() {
    let mut q = rm(Mode::PublicSourceQuirks);
    let _ = q.send(&[1; 50], NONE);
    let _ = q.send(&[2; 10], NONE);
    let mut small = [0u8; 20];
    for _ in 0..3 {
        let out = q.receive(&mut small);
        assert_eq!(out.raw, RawOutput::received(0, true));
        assert_eq!(out.edges, Edges::NONE);
    }
    assert_eq!(q.receive_unwritable().raw, RawOutput::received(0, true));
    assert_eq!(q.len(), 2);
    assert_eq!(q.peek(0), Some(&[1u8; 50][..]));
    assert_eq!(q.stats().stuck_by_quirk, 4);
    let mut buf = [0u8; 240];
    assert_eq!(q.receive(&mut buf).raw, RawOutput::received(50, true));
    assert_eq!(q.receive(&mut small).raw, RawOutput::received(10, false));
}

#[test]
fn full_is_checked_before_the_message() {
    for mode in [Mode::Documented, Mode::PublicSourceQuirks] {
        let mut q = q(1, 4);
        q.set_mode(mode);
        let _ = q.send(b"a", NONE);
        assert_eq!(q.send(&[], NONE).raw, RawOutput::error(61));
        assert_eq!(q.send_unreadable(3, NONE).raw, RawOutput::error(61));
    }
    let mut e = rm(Mode::PublicSourceQuirks);
    assert_eq!(e.receive(&mut [0u8; 0]).raw, RawOutput::error(60));
}

#[test]
fn flush_asserts_tx_and_clears_rx_if_not_empty() {
    let mut q = rm(Mode::Documented);
    let out = q.flush();
    assert_eq!(out.raw, RawOutput::default());
    assert_eq!(out.edges, Edges::NONE, "an empty flush raises nothing");
    for _ in 0..3 {
        let _ = q.send(b"m", NONE);
    }
    let out = q.flush();
    assert_eq!(out.raw.x0, 0);
    assert_eq!(
        out.edges,
        Edges {
            tx: LineSignal::Assert,
            rx: LineSignal::Clear
        }
    );
    assert!(q.is_empty());
    assert_eq!(q.stats().flushed, 3);
    // The ring restarts cleanly.
    let _ = q.send(b"after", NONE);
    let mut buf = [0u8; 240];
    assert_eq!(q.receive(&mut buf).raw, RawOutput::received(5, false));
    assert_eq!(&buf[..5], b"after");
}

#[test]
fn configure_send_rules() {
    let mut q = rm(Mode::Documented);
    let out = q.configure_send(3, 0);
    assert_eq!(out.raw.x0, u64::MAX, "UNIMPLEMENTED, sign-extended");
    assert_eq!(out.edges, Edges::NONE);
    assert_eq!(
        q.configure_send(8, HOLDOFF_UNCHANGED).raw,
        RawOutput::error(1)
    );
    assert_eq!(
        q.configure_send(THRESHOLD_MAXIMUM, HOLDOFF_UNCHANGED).raw,
        RawOutput::error(1)
    );
    let out = q.configure_send(THRESHOLD_UNCHANGED, HOLDOFF_UNCHANGED);
    assert_eq!(out.raw, RawOutput::default());
    assert_eq!(out.edges, Edges::NONE, "unchanged: no re-evaluation");
    assert_eq!(q.not_full_threshold(), 7);
    // An explicit value re-evaluates TX: count 0 <= 2 asserts.
    let out = q.configure_send(2, HOLDOFF_UNCHANGED);
    assert_eq!(out.raw.x0, 0);
    assert_eq!(out.edges, Edges::tx(LineSignal::Assert));
    for _ in 0..5 {
        let _ = q.send(b"m", NONE);
    }
    // count 5 > 4: cleared.
    assert_eq!(
        q.configure_send(4, HOLDOFF_UNCHANGED).edges,
        Edges::tx(LineSignal::Clear)
    );
    // TX now fires when a receive leaves 4, not on full → not-full.
    let mut buf = [0u8; 240];
    assert!(q.receive(&mut buf).edges.tx_asserted());
    assert!(!q.receive(&mut buf).edges.tx_asserted());
    assert_eq!(q.configure_send(0, HOLDOFF_UNCHANGED).raw.x0, 0);
    assert_eq!(q.not_full_threshold(), 0);
}

#[test]
fn configure_receive_rules() {
    let mut q = rm(Mode::Documented);
    assert_eq!(q.configure_receive(2, 5).raw.x0, u64::MAX);
    assert_eq!(
        q.configure_receive(0, HOLDOFF_UNCHANGED).raw,
        RawOutput::error(1)
    );
    assert_eq!(
        q.configure_receive(9, HOLDOFF_UNCHANGED).raw,
        RawOutput::error(1)
    );
    assert_eq!(
        q.configure_receive(THRESHOLD_UNCHANGED, HOLDOFF_UNCHANGED),
        Default::default()
    );
    // -2 sets the depth and does not re-evaluate.
    let out = q.configure_receive(THRESHOLD_MAXIMUM, HOLDOFF_UNCHANGED);
    assert_eq!((out.raw.x0, out.edges), (0, Edges::NONE));
    assert_eq!(q.not_empty_threshold(), 8);
    // Explicit: count 0 < 3 clears.
    assert_eq!(
        q.configure_receive(3, HOLDOFF_UNCHANGED).edges,
        Edges::rx(LineSignal::Clear)
    );
    let raised: Vec<bool> = (0..5)
        .map(|_| q.send(b"m", NONE).edges.rx_asserted())
        .collect();
    assert_eq!(
        raised,
        [false, false, true, false, false],
        "RX exactly at count 3"
    );
    assert!(
        q.send(b"p", PUSH).edges.rx_asserted(),
        "PUSH ignores the threshold"
    );
    // count 6 >= 2 asserts.
    assert_eq!(
        q.configure_receive(2, HOLDOFF_UNCHANGED).edges,
        Edges::rx(LineSignal::Assert)
    );
    assert_eq!(q.configure_receive(8, HOLDOFF_UNCHANGED).raw.x0, 0);
}

#[test]
fn levels_follow_thresholds() {
    let mut q = rm(Mode::Documented);
    assert_eq!((q.rx_level(), q.tx_level()), (false, true));
    let _ = q.send(b"m", NONE);
    assert_eq!((q.level(LineKind::Rx), q.level(LineKind::Tx)), (true, true));
    for _ in 0..7 {
        let _ = q.send(b"m", NONE);
    }
    assert_eq!(
        (q.rx_level(), q.tx_level()),
        (true, false),
        "full: TX level low"
    );
    let _ = q.configure_receive(THRESHOLD_MAXIMUM, HOLDOFF_UNCHANGED);
    let mut buf = [0u8; 240];
    let _ = q.receive(&mut buf);
    assert_eq!((q.rx_level(), q.tx_level()), (false, true));
}

#[test]
fn peek_iter_and_snapshot() {
    let mut q = rm(Mode::PublicSourceQuirks);
    for m in [&b"one"[..], b"two", b"three"] {
        let _ = q.send(m, NONE);
    }
    let all: Vec<&[u8]> = q.iter().collect();
    assert_eq!(all, [&b"one"[..], b"two", b"three"]);
    assert_eq!(q.peek(3), None);
    let s = q.snapshot();
    assert_eq!((s.len, s.depth.get(), s.max_size), (3, 8, 240));
    assert_eq!((s.not_full_threshold, s.not_empty_threshold), (7, 1));
    assert_eq!(s.mode, Mode::PublicSourceQuirks);
    assert_eq!(s.stats.enqueued, 3);
}

#[test]
fn borrowed_storage() {
    let mut storage = [[0u8; 16]; 4];
    let mut q = Msgq::<4, 16, _>::with_storage(&mut storage, QueueConfig::new(4, 16)).unwrap();
    let _ = q.send(b"in place", NONE);
    assert_eq!(q.peek(0), Some(&b"in place"[..]));
    assert_eq!(
        Msgq::<4, 16, _>::with_storage([[0u8; 16]; 4], QueueConfig::new(5, 16)).err(),
        Some(ConfigError::DepthExceedsStorage { depth: 5, slots: 4 })
    );
}
