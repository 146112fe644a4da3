//! Long streams in both directions, checked message by message with [`Ledger`]s.

use gunyah_msgq::{Error, GunyahError, SendFlags, SendOutcome};

use super::{collect_delivered, drain_peer, start};
use crate::fixture::{Fixture, Harness, Setup};
use crate::ledger::{Ledger, Tally};
use crate::message::{MIN_STAMPED_LEN, stamp};
use crate::{CaseError, CaseResult, ensure};

/// How often one message may be refused before the stream gives it up (it then counts as
/// never accepted, which is no loss). Bounds every loop of the stream.
const TRIES_PER_MESSAGE: u32 = 10_000;

/// What a stream saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Our sends, checked against what the peer received.
    pub tx: Tally,
    /// The peer's sends, checked against what our queue delivered.
    pub rx: Tally,
    /// Messages accepted in each direction (ours, the peer's).
    pub accepted: (usize, usize),
    /// Errors our queue returned (sends, drains, also the drains of the fixture's RX handler
    /// where it keeps them: [`Fixture::take_handler_errors`]).
    pub errors: u32,
    /// Of `errors`, those the fixture's RX handler got.
    pub from_handlers: u32,
    /// Errors that were not the expected hypervisor error.
    pub untyped: u32,
    /// `WouldBlock` outcomes of our sends.
    pub would_block: u32,
}

impl StreamReport {
    /// Whether nothing was lost, duplicated, reordered or untyped.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.tx.is_clean() && self.rx.is_clean() && self.untyped == 0
    }
}

/// Runs `count` messages each way through `f` (already started): random sizes
/// (`MIN_STAMPED_LEN..=MAX`), random PUSH, polling whenever the peer finds our RX queue full.
/// `expected` is the only hypervisor error the queue may return (an injected one), if any.
///
/// The expectations are the same in both error modes: the messages fit both queues and our
/// receive buffer, and the queue refuses a larger one before any hypercall, so neither a
/// documented size error nor a quirk (an oversized send answered OK and dropped, a
/// too-small buffer answered OK size 0) can arise. Were one to, it would show: a dropped
/// message as lost, a quirk's `RxStuck` as an untyped error.
///
/// # Errors
/// A [`CaseError`] if the ledgers overflow or the peer's own calls fail.
pub fn run_stream<const MAX: usize, const N: usize>(
    f: &impl Fixture<MAX>,
    count: u32,
    seed: u64,
    expected: Option<GunyahError>,
) -> Result<StreamReport, CaseError> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tx = Ledger::<N>::new();
    let mut rx = Ledger::<N>::new();
    let mut report = StreamReport::default();
    let mut buf = [0u8; MAX];
    let note_error = |e: Error, report: &mut StreamReport| {
        report.errors += 1;
        let typed = match (e, expected) {
            (Error::Hypervisor(got), Some(want)) => got == want,
            // On a receive, the "buffer too small" codes are the stuck-head condition, with
            // the injected code kept.
            (Error::RxStuck { code: Some(got) }, Some(want)) => got == want,
            // RxStuck without a code is the quirk-mode hypervisor's answer to a message larger
            // than our buffer; a stream's messages all fit (`..=MAX`), so it is unexpected in
            // either mode. So is anything else, with or without an injected code.
            _ => false,
        };
        if !typed {
            report.untyped += 1;
        }
    };
    for seq in 0..count {
        let len = rng.usize(MIN_STAMPED_LEN.min(MAX)..=MAX);
        let flags = SendFlags::with_push(rng.bool());
        let msg = stamp(seq, len, &mut buf);
        let mut tries = 0;
        loop {
            tries += 1;
            match f.queue().try_send(msg, flags) {
                Ok(SendOutcome::Sent { .. }) => {
                    tx.accepted(seq)?;
                    break;
                }
                Ok(SendOutcome::WouldBlock) => {
                    report.would_block += 1;
                    drain_peer(f, &mut tx)?;
                }
                Err(e) => note_error(e, &mut report),
            }
            if tries >= TRIES_PER_MESSAGE {
                break;
            }
        }
        let mut tries = 0;
        loop {
            tries += 1;
            match f.peer_send(msg, rng.bool()) {
                Ok(SendOutcome::Sent { .. }) => {
                    rx.accepted(seq)?;
                    break;
                }
                Ok(SendOutcome::WouldBlock) => {
                    // Our RX queue is full: a drain is still running (threaded delivery), or
                    // one failed or ended early. Let delivery settle, then poll, as an owner
                    // must when `rx_pending` is set.
                    if !f.settle() {
                        return Err(CaseError::new("interrupt delivery did not settle"));
                    }
                    if let Err(e) = f.poll() {
                        note_error(e, &mut report);
                    }
                    collect_delivered(f, &mut rx);
                }
                Err(_) => return Err(CaseError::new("peer send failed")),
            }
            if tries >= TRIES_PER_MESSAGE {
                return Err(CaseError::new("our RX queue never drained"));
            }
        }
        if rng.u8(..) < 32 {
            drain_peer(f, &mut tx)?;
            collect_delivered(f, &mut rx);
        }
    }
    // Wind down: everything accepted must arrive.
    for _ in 0..TRIES_PER_MESSAGE {
        drain_peer(f, &mut tx)?;
        if !f.settle() {
            return Err(CaseError::new("interrupt delivery did not settle"));
        }
        collect_delivered(f, &mut rx);
        match f.poll() {
            Ok(_) if !f.queue().rx_pending() && rx.tally().lost == 0 => break,
            Ok(_) => {}
            Err(e) => note_error(e, &mut report),
        }
    }
    // Settled, no handler adds to its errors any more.
    if !f.settle() {
        return Err(CaseError::new("interrupt delivery did not settle"));
    }
    collect_delivered(f, &mut rx);
    let from_handlers = f.take_handler_errors(&mut |e| note_error(e, &mut report));
    report.from_handlers = u32::try_from(from_handlers).unwrap_or(u32::MAX);
    report.tx = tx.tally();
    report.rx = rx.tally();
    report.accepted = (tx.accepted_count(), rx.accepted_count());
    Ok(report)
}

/// 1,000 random messages each way with the harness's own delivery (inline or threaded).
pub fn stream_1000<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    let f = h.fixture(Setup::DEFAULT)?;
    start(&f)?;
    let r = run_stream::<MAX, 1000>(&f, 1000, Setup::DEFAULT.seed, None)?;
    ensure!(r.accepted == (1000, 1000), "not every message was accepted");
    ensure!(r.errors == 0, "a fault-free stream saw errors");
    ensure!(r.is_clean(), "messages lost, duplicated or reordered");
    Ok(())
}

/// 10,000 messages of random sizes with random PUSH through threaded interrupt delivery,
/// each received exactly once and in order.
pub fn stream_10000_threaded<const MAX: usize>(h: &mut impl Harness<MAX>) -> CaseResult {
    ensure!(h.threaded(), "needs a threaded harness");
    let f = h.fixture(Setup {
        seed: 0x10_000,
        ..Setup::DEFAULT
    })?;
    start(&f)?;
    let r = run_stream::<MAX, 10_000>(&f, 10_000, 0x10_000, None)?;
    ensure!(
        r.accepted == (10_000, 10_000),
        "not every message was accepted"
    );
    ensure!(r.is_clean(), "messages lost, duplicated or reordered");
    Ok(())
}
