//! The queue as a whole: lifecycle (`start`, `shutdown`), one-sided endpoints, the `Mailbox`
//! trait and the blanket `&T` impls, a queue in a `static`, and the counters.

mod common;

use std::sync::{Arc, Mutex, Weak};
use std::vec::Vec;

use common::*;
use gunyah_msgq::mailbox::Error as _;
use gunyah_msgq::mock::{MockHypercall, MockIrqLine};
use gunyah_msgq::{
    CapId, ConfigError, Direction, DrainOutcome, Error, ErrorKind, Hypercall, IrqLine, Mailbox,
    MsgQueue, RM_MSG_SIZE, RawOutput, RecvOutcome, RxConfig, SendFlags, SendOutcome, Stats,
    Trigger, TxConfig, TxState, WaitPolicy,
};
use mockall::Sequence;

fn done(delivered: usize) -> Result<DrainOutcome, Error> {
    Ok(DrainOutcome::Done { delivered })
}

fn line_enabled_once(seq: &mut Sequence) -> MockIrqLine {
    let mut line = ack_only_line();
    line.expect_enable()
        .times(1)
        .in_sequence(seq)
        .return_const(());
    line
}

// --- start --------------------------------------------------------------------------------

#[test]
fn start_enables_both_lines_then_drains_what_was_queued_before() {
    // Spec bug 6: no line was ever enabled. And the message queued before start raised its
    // edge before anyone listened: start must drain it, after the lines are unmasked.
    let mut seq = Sequence::new();
    let tx_line = line_enabled_once(&mut seq);
    let rx_line = line_enabled_once(&mut seq);
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_receive()
        .withf(|cap, buf| *cap == RX_CAP && buf.len() == MAX)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, buf| answer(msg(b"early", false), buf));
    let q = duplex_with(hyp, tx_line, rx_line);
    let (got, cb) = collector();
    assert_eq!(q.start(cb), done(1));
    assert_eq!(taken(&got), [b"early"]);
    assert_eq!(q.tx_state(), TxState::Ready);
    // start drains as the owner, not from an interrupt: an empty start is not spurious.
    assert_eq!(
        q.stats(),
        Stats {
            received: 1,
            ..Stats::default()
        }
    );
}

#[test]
fn start_on_an_empty_queue_is_not_a_spurious_rx() {
    let mut seq = Sequence::new();
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![raw(err(EMPTY))]);
    let q = duplex_with(
        hyp,
        line_enabled_once(&mut seq),
        line_enabled_once(&mut seq),
    );
    assert_eq!(q.start(|_| {}), done(0));
    assert_eq!(q.stats(), Stats::default());
}

#[test]
fn start_reports_the_drain_error() {
    let mut seq = Sequence::new();
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![raw(RawOutput::received(0, true))]);
    let q = duplex_with(
        hyp,
        line_enabled_once(&mut seq),
        line_enabled_once(&mut seq),
    );
    assert_eq!(q.start(|_| {}), Err(Error::RxStuck { code: None }));
    assert!(q.rx_pending());
}

#[test]
fn interrupts_before_start_are_safe() {
    // Spec bug 4: an early interrupt hit a client that was not bound yet. Here an RX
    // interrupt before start simply drains, and a TX interrupt is a spurious no-op.
    let mut seq = Sequence::new();
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![msg(b"first", false), raw(err(EMPTY))]);
    let q = duplex_with(
        hyp,
        line_enabled_once(&mut seq),
        line_enabled_once(&mut seq),
    );
    q.on_tx_interrupt();
    let (got, cb) = collector();
    assert_eq!(q.on_rx_interrupt(cb.clone()), done(1));
    assert_eq!(q.start(cb), done(0));
    assert_eq!(taken(&got), [b"first"]);
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(
        q.stats(),
        Stats {
            received: 1,
            spurious_tx: 1,
            ..Stats::default()
        }
    );
}

#[test]
fn interrupts_during_start_are_safe_and_lose_nothing() {
    // Each line fires as soon as start unmasks it. The RX interrupt drains "one" at once;
    // another RX interrupt arrives while start's own drain is inside msgq_receive: it is
    // deferred, and start's drain picks it up (one more receive, EMPTY).
    let inner: Arc<Mutex<Vec<Result<DrainOutcome, Error>>>> = Arc::default();
    let (got_irq, cb_irq) = collector();
    let q = Arc::new_cyclic(|w: &Weak<Q>| {
        let mut tx_line = ack_only_line();
        let wt = w.clone();
        tx_line.expect_enable().times(1).returning(move || {
            wt.upgrade().unwrap().on_tx_interrupt();
        });
        let mut rx_line = ack_only_line();
        let (wr, inner_r, cb) = (w.clone(), inner.clone(), cb_irq.clone());
        rx_line.expect_enable().times(1).returning(move || {
            let r = wr.upgrade().unwrap().on_rx_interrupt(cb.clone());
            inner_r.lock().unwrap().push(r);
        });
        let mut hyp = MockHypercall::new();
        let (wh, inner_h, cb) = (w.clone(), inner.clone(), cb_irq.clone());
        let mut script = vec![msg(b"one", false), msg(b"two", false), raw(err(EMPTY))].into_iter();
        let mut call = 0;
        hyp.expect_msgq_receive().times(3).returning(move |_, buf| {
            call += 1;
            if call == 2 {
                let r = wh.upgrade().unwrap().on_rx_interrupt(cb.clone());
                inner_h.lock().unwrap().push(r);
            }
            answer(script.next().unwrap(), buf)
        });
        duplex_with(hyp, tx_line, rx_line)
    });
    let (got_start, cb_start) = collector();
    assert_eq!(q.start(cb_start), done(1));
    assert_eq!(taken(&got_irq), [b"one"]);
    assert_eq!(taken(&got_start), [b"two"]);
    assert_eq!(
        *inner.lock().unwrap(),
        [done(1), Ok(DrainOutcome::Deferred)]
    );
    assert!(!q.rx_pending());
    assert_eq!(
        q.stats(),
        Stats {
            received: 2,
            spurious_tx: 1,
            ..Stats::default()
        }
    );
}

#[test]
fn start_with_a_full_edge_queue_enables_the_tx_line() {
    let mut seq = Sequence::new();
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send().times(1).return_const(err(FULL));
    script_rx(&mut hyp, MAX, vec![raw(err(EMPTY))]);
    let q = duplex_with(
        hyp,
        line_enabled_once(&mut seq),
        line_enabled_once(&mut seq),
    );
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.start(|_| {}), done(0));
    assert_eq!(q.tx_state(), TxState::Full);
}

// --- shutdown -----------------------------------------------------------------------------

#[test]
fn shutdown_masks_both_lines_and_closes_in_one_critical_section() {
    // Spec bug 7: no new handler starts on a closing queue. Masking and closing share one
    // critical section, so no other CPU sees one without the other; a handler that runs from
    // inside the mask write (a simulated line) already sees `Closed` and does nothing.
    let seen: Arc<Mutex<Vec<TxState>>> = Arc::default();
    let q = Arc::new_cyclic(|w: &Weak<Q>| {
        let mut seq = Sequence::new();
        let mut lines = Vec::new();
        for _ in 0..2 {
            let (w, seen) = (w.clone(), seen.clone());
            let mut line = MockIrqLine::new();
            line.expect_disable()
                .times(1)
                .in_sequence(&mut seq)
                .returning(move || seen.lock().unwrap().push(w.upgrade().unwrap().tx_state()));
            lines.push(line);
        }
        let rx_line = lines.pop().unwrap();
        let tx_line = lines.pop().unwrap();
        duplex_with(MockHypercall::new(), tx_line, rx_line)
    });
    q.shutdown();
    assert_eq!(*seen.lock().unwrap(), [TxState::Closed, TxState::Closed]);
    assert_eq!(q.tx_state(), TxState::Closed);
}

fn closed_queue(tx_line: MockIrqLine) -> Q {
    let mut rx_line = ack_only_line();
    rx_line.expect_disable().times(1).return_const(());
    // No hypercall expectation at all: any hypercall after shutdown panics.
    let q = duplex_with(MockHypercall::new(), tx_line, rx_line);
    q.shutdown();
    q
}

fn masked_once(line: &mut MockIrqLine) {
    line.expect_disable().times(1).return_const(());
}

#[test]
fn closed_queue_refuses_every_operation_without_a_hypercall() {
    let mut tx_line = ack_only_line();
    masked_once(&mut tx_line);
    let q = closed_queue(tx_line);
    assert_eq!(q.try_send(b"a", SendFlags::PUSH), Err(Error::Closed));
    assert_eq!(q.try_recv(&mut [0; MAX]), Err(Error::Closed));
    assert_eq!(q.poll_rx(|_| panic!()), Err(Error::Closed));
    assert_eq!(q.on_rx_interrupt(|_| panic!()), Err(Error::Closed));
    assert_eq!(q.start(|_| panic!()), Err(Error::Closed));
    assert_eq!(q.flush_rx(), Err(Error::Closed));
    let mut delay = FakeDelay::new(Clock::default(), no_hook);
    let r = q.send_blocking(
        b"a",
        SendFlags::PUSH,
        &mut delay,
        WaitPolicy::timeout_us(100),
    );
    assert_eq!(r, Err(Error::Closed));
    assert_eq!(Error::Closed.kind(), ErrorKind::Closed);
    // Local checks still come first.
    assert_eq!(q.try_send(b"", SendFlags::PUSH), Err(Error::EmptyMessage));
    assert_eq!(
        q.try_recv(&mut [0; 1]),
        Err(Error::BufferTooSmall {
            len: 1,
            required: MAX
        })
    );
    assert!(!q.rx_pending());
}

#[test]
fn late_tx_interrupt_after_shutdown_is_a_no_op() {
    let mut tx_line = ack_only_line();
    masked_once(&mut tx_line);
    let q = closed_queue(tx_line);
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Closed, "closing is final");
    assert_eq!(q.stats(), Stats::default(), "not even counted as spurious");
}

#[test]
fn late_tx_interrupt_after_shutdown_masks_a_level_line_again() {
    // Masked by shutdown, and again by the late interrupt: whoever unmasked it since, a
    // closed queue's level line cannot storm.
    let mut tx_line = ack_only_line();
    tx_line.expect_disable().times(2).return_const(());
    let mut rx_line = ack_only_line();
    masked_once(&mut rx_line);
    let q: Q = MsgQueue::duplex(
        MockHypercall::new(),
        TxConfig {
            trigger: Trigger::Level,
            ..TxConfig::new(TX_CAP, tx_line, MAX)
        },
        RxConfig::new(RX_CAP, rx_line, depth(), MAX),
    );
    q.shutdown();
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Closed);
    assert_eq!(q.stats(), Stats::default());
}

#[test]
fn late_rx_interrupt_after_shutdown_makes_no_hypercall() {
    let mut tx_line = ack_only_line();
    masked_once(&mut tx_line);
    let q = closed_queue(tx_line);
    assert_eq!(q.on_rx_interrupt(|_| panic!()), Err(Error::Closed));
    assert_eq!(q.stats(), Stats::default());
}

#[test]
fn shutdown_inside_a_drain_callback_stops_the_drain() {
    // The owner closes the queue from the callback: the drain makes no further receive,
    // although the hypervisor said more messages were queued.
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![msg(b"a", true)]);
    let mut tx_line = ack_only_line();
    masked_once(&mut tx_line);
    let mut rx_line = ack_only_line();
    masked_once(&mut rx_line);
    let q = duplex_with(hyp, tx_line, rx_line);
    assert_eq!(q.on_rx_interrupt(|_| q.shutdown()), Err(Error::Closed));
}

// --- One-sided endpoints (spec bug 2) -----------------------------------------------------

#[test]
fn tx_only_queue_reports_rx_not_configured() {
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send()
        .times(1)
        .return_const(RawOutput::sent(true));
    let mut tx_line = ack_only_line();
    let mut seq = Sequence::new();
    tx_line
        .expect_enable()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    tx_line
        .expect_disable()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    let q: Q = MsgQueue::tx_only(hyp, TxConfig::new(TX_CAP, tx_line, MAX));
    let rx = Err(Error::NotConfigured(Direction::Rx));
    assert_eq!(q.start(|_| panic!()), done(0));
    assert_eq!(q.try_recv(&mut [0; MAX]).map(|_| ()), rx);
    assert_eq!(q.poll_rx(|_| panic!()).map(|_| ()), rx);
    assert_eq!(q.on_rx_interrupt(|_| panic!()).map(|_| ()), rx);
    assert_eq!(q.flush_rx(), rx);
    assert_eq!(
        Error::NotConfigured(Direction::Rx).kind(),
        ErrorKind::Unsupported
    );
    assert_eq!(
        q.try_send(b"a", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    );
    q.shutdown();
    assert_eq!(q.tx_state(), TxState::Closed);
}

#[test]
fn rx_only_queue_reports_tx_not_configured() {
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, MAX, vec![msg(b"in", false)]);
    let mut rx_line = MockIrqLine::new(); // on_tx_interrupt must not even acknowledge it
    let mut seq = Sequence::new();
    rx_line
        .expect_enable()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    rx_line
        .expect_disable()
        .times(1)
        .in_sequence(&mut seq)
        .return_const(());
    let q: Q = MsgQueue::rx_only(hyp, RxConfig::new(RX_CAP, rx_line, depth(), MAX));
    let tx = Err(Error::NotConfigured(Direction::Tx));
    assert_eq!(q.try_send(b"a", SendFlags::NONE).map(|_| ()), tx);
    let mut delay = FakeDelay::new(Clock::default(), no_hook);
    let r = q.send_blocking(
        b"a",
        SendFlags::NONE,
        &mut delay,
        WaitPolicy::timeout_us(100),
    );
    assert_eq!(r, tx);
    assert!(delay.steps_us.is_empty());
    q.on_tx_interrupt();
    assert_eq!(q.tx_state(), TxState::Ready);
    assert_eq!(q.stats(), Stats::default());
    let (got, cb) = collector();
    assert_eq!(q.start(cb), done(1));
    assert_eq!(taken(&got), [b"in"]);
    q.shutdown();
    assert_eq!(q.tx_state(), TxState::Closed);
}

// --- Mailbox and the blanket &T impls -----------------------------------------------------

/// Generic code over any mailbox: send one message, receive one.
fn exchange<M: Mailbox>(
    m: &M,
    out: &[u8],
    buf: &mut [u8],
) -> Result<(SendOutcome, RecvOutcome), M::Error> {
    Ok((m.try_send(out, SendFlags::PUSH)?, m.try_recv(buf)?))
}

/// Generic code that only looks at the error's kind.
fn send_error_kind<M: Mailbox>(m: &M, out: &[u8]) -> Option<ErrorKind> {
    m.try_send(out, SendFlags::NONE).err().map(|e| e.kind())
}

/// Generic code that only looks at the error's kind, on the receive side.
fn recv_error_kind<M: Mailbox>(m: &M, buf: &mut [u8]) -> Option<ErrorKind> {
    m.try_recv(buf).err().map(|e| e.kind())
}

fn mailbox_queue(rounds: usize) -> Q {
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send()
        .withf(|cap, m, f| *cap == TX_CAP && m == b"out" && *f == SendFlags::PUSH)
        .times(rounds)
        .return_const(RawOutput::sent(false));
    let script = (0..rounds).map(|_| msg(b"in", true)).collect();
    script_rx(&mut hyp, MAX, script);
    duplex(hyp)
}

#[test]
fn mailbox_impl_forwards_to_the_queue() {
    let q = mailbox_queue(1);
    let mut buf = [0; MAX];
    let r = exchange(&q, b"out", &mut buf);
    assert_eq!(
        r,
        Ok((
            SendOutcome::Sent { not_full: false },
            RecvOutcome::Received { len: 2, more: true }
        ))
    );
    assert_eq!(&buf[..2], b"in");
    assert_eq!(send_error_kind(&q, b""), Some(ErrorKind::MessageSize));
    assert_eq!(
        send_error_kind(&q, &[0; MAX + 1]),
        Some(ErrorKind::MessageSize)
    );
}

#[test]
fn mailbox_blanket_ref_impl_forwards() {
    // `M = &Q`: the `impl Mailbox for &T` path.
    let q = mailbox_queue(1);
    let mut buf = [0; MAX];
    let r = exchange(&&q, b"out", &mut buf);
    assert_eq!(
        r,
        Ok((
            SendOutcome::Sent { not_full: false },
            RecvOutcome::Received { len: 2, more: true }
        ))
    );
    assert_eq!(&buf[..2], b"in");
    assert_eq!(send_error_kind(&&q, b""), Some(ErrorKind::MessageSize));
}

#[test]
fn mailbox_errors_carry_their_kind() {
    let q = mailbox_queue(0);
    assert_eq!(
        recv_error_kind(&q, &mut [0; MAX - 1]),
        Some(ErrorKind::BufferTooSmall)
    );
    assert_eq!(
        recv_error_kind(&&q, &mut [0; 1]),
        Some(ErrorKind::BufferTooSmall)
    );
    assert_eq!(ErrorKind::Busy.kind(), ErrorKind::Busy);
    assert_eq!(ErrorKind::RxStuck.kind(), ErrorKind::RxStuck);
}

#[test]
fn hypercall_and_irq_line_blanket_ref_impls_forward() {
    // The queue borrows its backend and lines (`H = &MockHypercall`, `I = &MockIrqLine`):
    // every call must reach the mock behind the reference, exactly once.
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send()
        .withf(|cap, m, f| *cap == TX_CAP && m == b"x" && *f == SendFlags::PUSH)
        .times(1)
        .return_const(RawOutput::sent(true));
    hyp.expect_msgq_receive()
        .withf(|cap, buf| *cap == RX_CAP && buf.len() == MAX)
        .times(1)
        .returning(|_, buf| answer(msg(b"y", false), buf));
    hyp.expect_msgq_flush()
        .withf(|cap| *cap == RX_CAP)
        .times(1)
        .return_const(err(0));
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = MockIrqLine::new();
        line.expect_enable().times(1).return_const(());
        line.expect_acknowledge().times(1).return_const(());
        line.expect_disable().times(1).return_const(());
        lines.push(line);
    }
    let q = MsgQueue::<_, _, MAX>::duplex(
        &hyp,
        TxConfig::new(TX_CAP, &lines[0], MAX),
        RxConfig::new(RX_CAP, &lines[1], depth(), MAX),
    );
    assert!(std::ptr::eq(*q.hypercall(), &hyp));
    let (got, cb) = collector();
    assert_eq!(q.start(cb), done(1));
    assert_eq!(taken(&got), [b"y"]);
    assert_eq!(
        q.try_send(b"x", SendFlags::PUSH),
        Ok(SendOutcome::Sent { not_full: true })
    );
    q.on_tx_interrupt();
    assert_eq!(q.flush_rx(), Ok(()));
    // A late RX interrupt still acknowledges its line, then finds the queue closed.
    q.shutdown();
    assert_eq!(q.on_rx_interrupt(|_| {}), Err(Error::Closed));
}

// --- A queue in a static ------------------------------------------------------------------

/// A zero-sized backend with a fixed behaviour: every send is accepted, receives are empty.
struct ZstHvc;

impl Hypercall for ZstHvc {
    fn msgq_send(&self, cap: CapId, _: &[u8], _: SendFlags) -> RawOutput {
        assert_eq!(cap, CapId(0x20));
        RawOutput::sent(true)
    }

    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        assert_eq!((cap, buf.len()), (CapId(0x21), RM_MSG_SIZE));
        RawOutput::error(EMPTY)
    }

    fn msgq_flush(&self, _: CapId) -> RawOutput {
        RawOutput::error(0)
    }
}

#[derive(Clone, Copy)]
struct ZstLine;

impl IrqLine for ZstLine {
    fn enable(&self) {}
    fn disable(&self) {}
}

const _: () = assert!(size_of::<ZstHvc>() == 0 && size_of::<ZstLine>() == 0);

/// Built by `const fn` at compile time, as a platform would for the resource manager link.
static RM_LINK: MsgQueue<ZstHvc, ZstLine, RM_MSG_SIZE> = MsgQueue::duplex(
    ZstHvc,
    TxConfig::new(CapId(0x20), ZstLine, RM_MSG_SIZE),
    RxConfig::new(
        CapId(0x21),
        ZstLine,
        match core::num::NonZeroU8::new(8) {
            Some(d) => d,
            None => panic!(),
        },
        RM_MSG_SIZE,
    ),
);

#[test]
fn static_queue_with_zero_sized_backend_works() {
    assert_eq!(RM_LINK.max_msg_size(), RM_MSG_SIZE);
    assert_eq!(RM_LINK.start(|_| {}), done(0));
    assert_eq!(
        RM_LINK.try_send(&[0; RM_MSG_SIZE], SendFlags::PUSH),
        Ok(SendOutcome::Sent { not_full: true })
    );
    RM_LINK.on_tx_interrupt();
    assert_eq!(
        RM_LINK.stats(),
        Stats {
            sent: 1,
            spurious_tx: 1,
            ..Stats::default()
        }
    );
}

// --- Construction and accessors -----------------------------------------------------------

#[test]
fn configs_built_with_new_are_edge_triggered_with_the_given_values() {
    let tx = TxConfig::new(CapId(7), (), 5);
    assert_eq!(
        (tx.cap, tx.trigger, tx.max_msg_size),
        (CapId(7), Trigger::Edge, 5)
    );
    let rx = RxConfig::new(CapId(9), (), depth(), 6);
    assert_eq!(
        (rx.cap, rx.depth.get(), rx.max_msg_size),
        (CapId(9), DEPTH, 6)
    );
}

#[test]
fn a_new_queue_is_ready_with_nothing_pending_and_zero_counters() {
    let q = duplex(MockHypercall::new());
    assert_eq!(q.tx_state(), TxState::Ready);
    assert!(!q.rx_pending());
    assert_eq!(q.stats(), Stats::default());
    assert_eq!(q.max_msg_size(), MAX);
}

#[test]
fn every_counter_counts_independently() {
    // One event of each kind, each once: every counter ends at exactly 1.
    let mut hyp = MockHypercall::new();
    let mut seq = Sequence::new();
    for reply in [RawOutput::sent(true), err(FULL), err(31)] {
        hyp.expect_msgq_send()
            .times(1)
            .in_sequence(&mut seq)
            .return_const(reply);
    }
    script_rx(
        &mut hyp,
        MAX,
        vec![
            raw(err(EMPTY)),
            msg(b"m", true),
            raw(RawOutput::received(MAX as u64 + 1, false)),
            raw(err(EMPTY)),
        ],
    );
    let q = duplex(hyp);
    let _ = q.try_send(b"a", SendFlags::NONE); // sent
    q.on_tx_interrupt(); // spurious_tx (Ready)
    let _ = q.try_send(b"a", SendFlags::NONE); // would_block
    let _ = q.try_send(b"a", SendFlags::NONE); // faults
    let _ = q.on_rx_interrupt(|_| {}); // spurious_rx
    let _ = q.on_rx_interrupt(|_| {}); // received, malformed
    assert_eq!(
        q.stats(),
        Stats {
            sent: 1,
            received: 1,
            would_block: 1,
            spurious_tx: 1,
            spurious_rx: 1,
            faults: 1,
            malformed: 1,
        }
    );
}

// --- Sizes from run-time data -------------------------------------------------------------

fn tx_cfg(size: usize) -> TxConfig<MockIrqLine> {
    TxConfig::new(TX_CAP, untouchable_line(), size)
}

fn rx_cfg(size: usize) -> RxConfig<MockIrqLine> {
    RxConfig::new(RX_CAP, untouchable_line(), depth(), size)
}

fn size_error(direction: Direction, size: usize) -> Option<ConfigError> {
    Some(ConfigError::MessageSize {
        direction,
        size,
        max: MAX,
    })
}

#[test]
fn sizes_from_run_time_data_are_checked_against_max() {
    let hyp = MockHypercall::new;
    for bad in [0, MAX + 1, 4096] {
        let q: Result<Q, _> = MsgQueue::try_duplex(hyp(), tx_cfg(bad), rx_cfg(MAX));
        assert_eq!(q.err(), size_error(Direction::Tx, bad));
        let q: Result<Q, _> = MsgQueue::try_duplex(hyp(), tx_cfg(MAX), rx_cfg(bad));
        assert_eq!(q.err(), size_error(Direction::Rx, bad));
        let q: Result<Q, _> = MsgQueue::try_tx_only(hyp(), tx_cfg(bad));
        assert_eq!(q.err(), size_error(Direction::Tx, bad));
        let q: Result<Q, _> = MsgQueue::try_rx_only(hyp(), rx_cfg(bad));
        assert_eq!(q.err(), size_error(Direction::Rx, bad));
    }
    for good in [1, MAX] {
        let q: Q = MsgQueue::try_duplex(hyp(), tx_cfg(good), rx_cfg(good)).unwrap();
        assert_eq!(q.tx_max_msg_size(), Some(good));
        assert_eq!(q.max_msg_size(), MAX);
        let q: Q = MsgQueue::try_tx_only(hyp(), tx_cfg(good)).unwrap();
        assert_eq!(q.tx_max_msg_size(), Some(good));
        let q: Q = MsgQueue::try_rx_only(hyp(), rx_cfg(good)).unwrap();
        assert_eq!(q.tx_max_msg_size(), None);
    }
}

#[test]
#[should_panic(expected = "max_msg_size is 0 or larger than MAX")]
fn the_const_constructor_refuses_a_size_above_max() {
    let _: Q = MsgQueue::duplex(MockHypercall::new(), tx_cfg(MAX), rx_cfg(MAX + 1));
}

#[test]
#[should_panic(expected = "max_msg_size is 0 or larger than MAX")]
fn the_const_constructor_refuses_a_zero_size() {
    let _: Q = MsgQueue::tx_only(MockHypercall::new(), tx_cfg(0));
}

#[test]
fn sends_are_checked_against_the_tx_queues_own_maximum() {
    // The TX queue's real maximum is 3, below MAX: a 4-byte send never reaches the hypervisor.
    let mut hyp = MockHypercall::new();
    hyp.expect_msgq_send()
        .withf(|_, m, _| m.len() == 3)
        .times(1)
        .return_const(RawOutput::sent(true));
    let q: Q = MsgQueue::tx_only(hyp, TxConfig::new(TX_CAP, ack_only_line(), 3));
    assert_eq!(
        q.try_send(&[0; 4], SendFlags::NONE),
        Err(Error::MessageTooLarge { len: 4, max: 3 })
    );
    assert!(q.try_send(&[0; 3], SendFlags::NONE).is_ok());
}

#[test]
fn config_error_names_the_direction_and_the_sizes() {
    let e = size_error(Direction::Rx, 300).unwrap();
    assert_eq!(
        e.to_string(),
        format!("Rx queue's maximum message size 300 is not in 1..={MAX}")
    );
}

#[test]
fn try_recv_needs_a_buffer_of_the_rx_queues_own_maximum_not_max() {
    // The RX queue's real maximum is 3: a 3-byte buffer is enough, a 2-byte one is refused
    // before any hypercall.
    let mut hyp = MockHypercall::new();
    script_rx(&mut hyp, 3, vec![msg(b"abc", false)]);
    let q: Q = MsgQueue::rx_only(hyp, RxConfig::new(RX_CAP, ack_only_line(), depth(), 3));
    assert_eq!(
        q.try_recv(&mut [0; 2]),
        Err(Error::BufferTooSmall {
            len: 2,
            required: 3
        })
    );
    let mut buf = [0; 3];
    assert_eq!(
        q.try_recv(&mut buf),
        Ok(RecvOutcome::Received {
            len: 3,
            more: false
        })
    );
    assert_eq!(&buf, b"abc");
}
