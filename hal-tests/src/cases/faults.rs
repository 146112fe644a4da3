//! Cases that need injected faults: a fixture whose backend is wrapped in
//! [`FaultHypercall`] and whose interrupt delivery goes through [`IrqFaults`]. Also the fault
//! matrix.

use embedded_hal::delay::DelayNs;
use gunyah_msgq::{
    DrainOutcome, Error, GunyahError, Hypercall, RecvOutcome, SendFlags, SendOutcome, TxState,
    WaitPolicy,
};
use gunyah_msgq_fault::{
    Action, FaultHypercall, Hostile, IrqFault, IrqFaults, Lossy, Script, Target, When,
};

use super::stream::{StreamReport, run_stream};
use super::{collect_delivered, drain_peer, peer_send_now, send_now, settle, start};
use crate::fixture::{ErrorMode, Fixture, Harness, Line, Setup};
use crate::ledger::Ledger;
use crate::message::stamp;
use crate::{CaseError, CaseResult, ensure};

/// A fixture whose backend and interrupt delivery can be faulted.
pub trait FaultFixture<const MAX: usize>: Fixture<MAX, Hyp = FaultHypercall<Self::Inner>> {
    /// The backend inside the fault wrapper.
    type Inner: Hypercall;
    /// The fault script between `line` and the queue's interrupt entry point.
    fn irq_faults(&self, line: Line) -> &IrqFaults;
    /// The hypercall fault wrapper.
    fn faults(&self) -> &FaultHypercall<Self::Inner> {
        self.queue().hypercall()
    }
}

fn add(f: &FaultHypercall<impl Hypercall>, script: Script) -> CaseResult {
    f.add(script)
        .map(|_| ())
        .map_err(|_| CaseError::new("fault script rejected"))
}

/// Every hypervisor error code the spec names, and a few it does not.
pub fn every_code() -> impl Iterator<Item = GunyahError> {
    (-2..=200)
        .filter_map(|c| GunyahError::check(c).err())
        .filter(|e| !matches!(e, GunyahError::Unknown(_)))
        .chain([-77, 999, i32::MAX].map(GunyahError::Unknown))
}

/// Bug 3: the RX path tested a bare constant, so every error looked like EMPTY. Every code
/// comes out typed, on both paths; only FULL (send) and EMPTY (receive) are outcomes.
pub fn bug03_every_error_code_is_typed<H, const MAX: usize>(h: &mut H) -> CaseResult
where
    H: Harness<MAX>,
    H::Fixture: FaultFixture<MAX>,
{
    for code in every_code() {
        let f = h.fixture(Setup::DEFAULT)?;
        add(
            f.faults(),
            Script::fail(Target::Receive, When::Call(1), code),
        )?;
        add(f.faults(), Script::fail(Target::Send, When::Call(1), code))?;
        // Not started: the RX edge stays pending on the masked line, so the drain that meets
        // the injected error is this poll, not an interrupt handler.
        peer_send_now(&f, b"queued", false)?;
        let drained = f.poll();
        match code {
            GunyahError::MsgqueueEmpty => {
                ensure!(
                    matches!(drained, Ok(DrainOutcome::Done { delivered: 0 })),
                    "EMPTY not an outcome"
                )
            }
            _ => {
                // On a receive, the documented "buffer too small" answers mean the head
                // cannot be read: one condition, the code kept.
                let expected = match code {
                    GunyahError::AddrOverflow | GunyahError::ArgumentSize => {
                        Error::RxStuck { code: Some(code) }
                    }
                    _ => Error::Hypervisor(code),
                };
                ensure!(drained == Err(expected), "receive error not typed");
                ensure!(
                    f.queue().rx_pending(),
                    "receive error did not leave RX pending"
                );
            }
        }
        ensure!(
            matches!(f.poll(), Ok(DrainOutcome::Done { delivered: 1 })),
            "message lost after error"
        );
        let sent = f.queue().try_send(b"x", SendFlags::PUSH);
        match code {
            GunyahError::MsgqueueFull => {
                ensure!(sent == Ok(SendOutcome::WouldBlock), "FULL not an outcome")
            }
            _ => ensure!(sent == Err(Error::Hypervisor(code)), "send error not typed"),
        }
        ensure!(
            matches!(
                f.queue().try_send(b"x", SendFlags::PUSH),
                Ok(SendOutcome::Sent { .. })
            ),
            "queue wedged"
        );
    }
    Ok(())
}

/// A delay that counts time and does nothing else.
struct Clock(u64);

impl DelayNs for Clock {
    fn delay_ns(&mut self, ns: u32) {
        self.0 += u64::from(ns.div_ceil(1000));
    }
}

/// Bug 8: a TX edge lost before the handler ran stalled the sender. A blocking send recovers
/// by its once-per-slice retry.
pub fn bug08_lost_tx_edge_recovered_by_slice_retry<H, const MAX: usize>(h: &mut H) -> CaseResult
where
    H: Harness<MAX>,
    H::Fixture: FaultFixture<MAX>,
{
    let f = h.fixture(Setup {
        depth: 1,
        ..Setup::DEFAULT
    })?;
    start(&f)?;
    send_now(&f, b"fills", SendFlags::NONE)?;
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "depth-1 queue not Full"
    );
    f.irq_faults(Line::Tx)
        .add(When::Call(1), IrqFault::Drop, None)
        .map_err(|_| CaseError::new("irq script rejected"))?;
    let mut buf = [0u8; 1024];
    ensure!(
        matches!(f.peer_recv(&mut buf), Ok(RecvOutcome::Received { .. })),
        "peer got nothing"
    );
    settle(&f)?;
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "the TX edge was not dropped"
    );
    let mut clock = Clock(0);
    let policy = WaitPolicy {
        timeout_us: 10_000,
        slice_us: 1_000,
        poll_us: 10,
    };
    f.queue()
        .send_blocking(b"after", SendFlags::NONE, &mut clock, policy)?;
    ensure!(clock.0 <= 1_000, "recovery took more than one wait slice");
    Ok(())
}

/// A dropped RX edge loses nothing: `poll_rx` delivers what it announced.
pub fn lost_rx_edge_recovered_by_poll<H, const MAX: usize>(h: &mut H) -> CaseResult
where
    H: Harness<MAX>,
    H::Fixture: FaultFixture<MAX>,
{
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    f.irq_faults(Line::Rx)
        .add(When::Call(1), IrqFault::Drop, None)
        .map_err(|_| CaseError::new("irq script rejected"))?;
    peer_send_now(&f, b"unannounced", true)?;
    settle(&f)?;
    ensure!(
        f.take_delivered(&mut |_| {}) == 0,
        "the RX edge was not dropped"
    );
    ensure!(
        matches!(f.poll(), Ok(DrainOutcome::Done { .. })),
        "poll failed"
    );
    ensure!(
        f.take_delivered(&mut |_| {}) == 1,
        "poll did not deliver the message"
    );
    Ok(())
}

/// Bug 9: "done" completed whatever was active, so statuses landed on the wrong message. Each
/// send returns its own status.
pub fn bug09_each_send_gets_its_own_status<H, const MAX: usize>(h: &mut H) -> CaseResult
where
    H: Harness<MAX>,
    H::Fixture: FaultFixture<MAX>,
{
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    add(
        f.faults(),
        Script::fail(Target::Send, When::EveryNth(2), GunyahError::Busy),
    )?;
    let mut ledger = Ledger::<8>::new();
    let mut buf = [0u8; MAX];
    for seq in 0..6 {
        let r = f.queue().try_send(stamp(seq, 8, &mut buf), SendFlags::PUSH);
        if seq % 2 == 0 {
            ensure!(
                matches!(r, Ok(SendOutcome::Sent { .. })),
                "odd call not accepted"
            );
            ledger.accepted(seq)?;
        } else {
            ensure!(
                r == Err(Error::Hypervisor(GunyahError::Busy)),
                "even call not its own error"
            );
        }
    }
    drain_peer(&f, &mut ledger)?;
    ensure!(
        ledger.tally().is_clean(),
        "a failed message arrived, or an accepted one did not"
    );
    Ok(())
}

/// Bug 10: the drain stopped on an unexpected error and the edge line stalled. The error is
/// reported, RX stays pending, and the next poll delivers the rest in order.
pub fn bug10_drain_resumes_after_an_error<H, const MAX: usize>(h: &mut H) -> CaseResult
where
    H: Harness<MAX>,
    H::Fixture: FaultFixture<MAX>,
{
    let f = h.fixture(Setup::DEFAULT)?;
    let mut ledger = Ledger::<8>::new();
    let mut buf = [0u8; MAX];
    for seq in 0..5 {
        peer_send_now(&f, stamp(seq, 8, &mut buf), false)?;
        ledger.accepted(seq)?;
    }
    add(
        f.faults(),
        Script::fail(Target::Receive, When::Call(3), GunyahError::Retry),
    )?;
    // Not started, so the drain that meets the error is this poll (not an interrupt's).
    ensure!(
        f.poll() == Err(Error::Hypervisor(GunyahError::Retry)),
        "drain error not reported"
    );
    ensure!(f.queue().rx_pending(), "RX not pending after the error");
    ensure!(
        matches!(f.poll(), Ok(DrainOutcome::Done { delivered: 3 })),
        "poll did not resume"
    );
    collect_delivered(&f, &mut ledger);
    ensure!(
        ledger.tally().is_clean(),
        "messages lost or reordered around the error"
    );
    Ok(())
}

/// Hostile replies: a size larger than the buffer is counted and skipped, the quirk loop
/// ends in `RxStuck`, a lying `not_full` never wedges, junk in unused bits is ignored.
pub fn hostile_replies_are_contained<H, const MAX: usize>(h: &mut H) -> CaseResult
where
    H: Harness<MAX>,
    H::Fixture: FaultFixture<MAX>,
{
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    add(
        f.faults(),
        Script::new(
            Target::Receive,
            When::Call(1),
            Action::Hostile(Hostile::OversizedReceive { excess: 1 }),
        ),
    )?;
    peer_send_now(&f, b"real", true)?;
    settle(&f)?;
    let mut real = false;
    let delivered = f.take_delivered(&mut |m| real = m == b"real");
    ensure!(
        delivered == 1 && real,
        "drain did not skip the bad reply and deliver the real message"
    );
    ensure!(f.queue().stats().malformed == 1, "bad reply not counted");

    add(
        f.faults(),
        Script::new(
            Target::Receive,
            When::ALWAYS,
            Action::Hostile(Hostile::StuckReceive),
        )
        .limit(5),
    )?;
    ensure!(
        f.poll() == Err(Error::RxStuck { code: None }),
        "quirk loop did not end in RxStuck"
    );
    f.faults().clear();

    add(
        f.faults(),
        Script::new(
            Target::Send,
            When::ALWAYS,
            Action::Hostile(Hostile::LieNotFull),
        )
        .limit(3),
    )?;
    for _ in 0..3 {
        let _ = f.queue().try_send(b"lied to", SendFlags::PUSH)?;
    }
    f.faults().clear();
    ensure!(
        matches!(
            f.queue().try_send(b"truth", SendFlags::PUSH),
            Ok(SendOutcome::Sent { .. })
        ),
        "wedged by a lie"
    );

    add(
        f.faults(),
        Script::new(Target::Any, When::ALWAYS, Action::Hostile(Hostile::Junk)),
    )?;
    send_now(&f, b"junk", SendFlags::PUSH)?;
    peer_send_now(&f, b"junk back", true)?;
    settle(&f)?;
    ensure!(f.poll().is_ok(), "junk bits were not ignored");
    Ok(())
}

/// When a matrix case injects its error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pattern {
    /// On the first call.
    First,
    /// On call N only.
    Nth(u32),
    /// On every Nth call.
    EveryNth(u32),
    /// With probability p from a seed.
    Probability(f64, u64),
}

impl Pattern {
    /// This pattern fitted to a stream of `count` messages: a call number or period above
    /// `count` becomes `count`, so that a shortened stream still injects. A stream of `count`
    /// messages each way makes at least `count` sends and `count` receives (each accepted
    /// message takes a send that succeeds, each delivered one a receive that succeeds), so a
    /// fitted [`Pattern::Nth`] or [`Pattern::EveryNth`] fires at least once. At 1,000 messages every pattern of
    /// [`PATTERNS`] is unchanged. [`Pattern::Probability`] is left as it is: its first fire
    /// depends on the seed's draws.
    #[must_use]
    pub fn within(self, count: u32) -> Pattern {
        let count = count.max(1);
        match self {
            Pattern::Nth(n) => Pattern::Nth(n.min(count)),
            Pattern::EveryNth(n) => Pattern::EveryNth(n.min(count)),
            other => other,
        }
    }

    fn when(self) -> When {
        match self {
            Pattern::First => When::Call(1),
            Pattern::Nth(n) => When::Call(n),
            Pattern::EveryNth(n) => When::EveryNth(n),
            Pattern::Probability(p, seed) => When::probability(p, seed),
        }
    }
}

/// The patterns of the matrix: 12 per code and call.
pub const PATTERNS: [Pattern; 12] = [
    Pattern::First,
    Pattern::Nth(2),
    Pattern::Nth(17),
    Pattern::Nth(500),
    Pattern::EveryNth(2),
    Pattern::EveryNth(5),
    Pattern::EveryNth(13),
    Pattern::EveryNth(97),
    Pattern::Probability(0.02, 1),
    Pattern::Probability(0.1, 2),
    Pattern::Probability(0.3, 3),
    Pattern::Probability(0.5, 4),
];

/// The matrix's check that its fixture's hypervisor runs in the error mode it claims: the
/// peer sends one byte more than its queue's maximum, which the documented hypervisor refuses
/// with ARGUMENT_SIZE and the public-source one answers OK and drops. Nothing may arrive
/// either way.
///
/// The matrix runs once per mode, but its streams stay within size and its errors are
/// injected by the wrapper, so both modes see the same answers: without this check, a
/// harness that ignored the mode would pass the quirk variant in documented mode.
///
/// # Errors
/// A [`CaseError`] if the answer is not the mode's, or the oversized message arrived.
pub fn error_mode_is_live<H, const MAX: usize>(h: &mut H) -> CaseResult
where
    H: Harness<MAX>,
{
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let big = [0x5Au8; gunyah_msgq::MAX_MSG_SIZE + 1];
    let Some(oversized) = big.get(..MAX + 1) else {
        // A queue cannot be configured above MAX_MSG_SIZE, so the fixture above failed first.
        return Err(CaseError::new("MAX above the largest message size"));
    };
    let sent = f.peer_send(oversized, true);
    match f.mode() {
        ErrorMode::Documented => ensure!(
            sent == Err(Error::Hypervisor(GunyahError::ArgumentSize)),
            "documented mode did not refuse an oversized send with ARGUMENT_SIZE"
        ),
        ErrorMode::PublicSourceQuirks => ensure!(
            matches!(sent, Ok(SendOutcome::Sent { .. })),
            "quirk mode did not answer an oversized send OK"
        ),
    }
    settle(&f)?;
    ensure!(
        matches!(f.poll(), Ok(DrainOutcome::Done { delivered: 0 })),
        "the oversized message was queued"
    );
    ensure!(
        f.take_delivered(&mut |_| {}) == 0,
        "the oversized message arrived"
    );
    Ok(())
}

/// One matrix case: `code` injected into `target` calls by `pattern` (fitted to the stream:
/// [`Pattern::within`]), over a stream of `count` (≤ 1,000) messages each way.
///
/// # Errors
/// A [`CaseError`] if the fixture or the stream cannot run; losses are in the report.
pub fn matrix_case<H, const MAX: usize>(
    h: &mut H,
    target: Target,
    code: GunyahError,
    pattern: Pattern,
    count: u32,
) -> Result<(StreamReport, u32), CaseError>
where
    H: Harness<MAX>,
    H::Fixture: FaultFixture<MAX>,
{
    let f = h.fixture(Setup::DEFAULT)?;
    let id = f
        .faults()
        .add(Script::fail(target, pattern.within(count).when(), code))
        .map_err(|_| CaseError::new("fault script rejected"))?;
    let _ = f.start();
    let report = run_stream::<MAX, 1000>(
        &f,
        count,
        Setup::DEFAULT.seed ^ u64::from(code.code() as u32),
        Some(code),
    )?;
    let fired = f.faults().fired(id).unwrap_or(0);
    Ok((report, fired))
}

/// The control: a wrapper that reports OK for every 100th send without making it (every
/// `count`-th in a stream shorter than 100, so that it loses something). The checker must
/// see the loss.
///
/// # Errors
/// A [`CaseError`] if the fixture or the stream cannot run.
pub fn lossy_control<H, const MAX: usize>(h: &mut H, count: u32) -> Result<StreamReport, CaseError>
where
    H: Harness<MAX>,
    H::Fixture: FaultFixture<MAX>,
{
    let f = h.fixture(Setup::DEFAULT)?;
    add(
        f.faults(),
        Script::new(
            Target::Send,
            When::EveryNth(count.clamp(1, 100)),
            Action::Lossy(Lossy::Drop),
        ),
    )?;
    start(&f)?;
    run_stream::<MAX, 1000>(&f, count, Setup::DEFAULT.seed, None)
}
