//! An interrupt that arrives during a send hypercall is not lost.
//!
//! The model delivers vIRQs at its traps, through a list register, so an interrupt it injects
//! while handling the send's `hvc` is taken at the first instruction after that `hvc`: inside
//! `try_send`, between the hypercall and the code that acts on its answer (the window in which
//! a driver that enters `Full` blindly loses the wakeup). To make the model inject it exactly
//! then, a case masks the line in the GIC, lets the event happen (a peer receive raises the
//! TX edge, a raw spurious TX, a peer send raises the RX edge: the model latches each), and
//! unmasks the line with a plain distributor write, which the model sees only at its next
//! trap: the send's `hvc`.
//!
//! Each case checks that the handler ran once, that ELR_EL1 at the interrupt was the
//! instruction after the conduit's own send `hvc` (`hvc #0` or `hvc #0x601b`), the send's
//! result (its registers survived a handler that made hypercalls of its own), the queue's state
//! and the model's queue afterwards, and that no message was lost or duplicated.

use gunyah_msgq::{SendFlags, SendOutcome, TxState};
use gunyah_msgq_hal_tests::cases::{collect_delivered, drain_peer, send_now, settle, start};
use gunyah_msgq_hal_tests::message::{stamp, verify};
use gunyah_msgq_hal_tests::{
    CaseError, CaseResult, ErrorMode, Fixture, Harness, Ledger, Line, Setup, ensure,
};

use super::fixture::{HvcFixture, HvcHarness, VirqLine};
use super::{ConduitUnderTest, MAX};
use crate::abi::control as ctl;
use crate::abi::layout;
use crate::control;

/// One of these cases, run with the model in an error mode.
pub type ModeCase = fn(ErrorMode) -> CaseResult;

/// The cases, by name.
#[must_use]
pub fn cases<C: ConduitUnderTest>() -> [(&'static str, ModeCase); 3] {
    [
        ("irq_during_send_tx_edge_is_not_lost", tx_edge::<C>),
        (
            "irq_during_full_send_keeps_queue_out_of_full",
            tx_spurious_full::<C>,
        ),
        ("irq_during_send_rx_edge_drains", rx_edge::<C>),
    ]
}

/// The fixture's GIC line for `line`.
fn gic_line<C: ConduitUnderTest>(f: &HvcFixture<C>, line: Line) -> Result<VirqLine, CaseError> {
    f.gic_line(line)
        .ok_or(CaseError::new("the fixture has no such line"))
}

fn set_enabled(line: &VirqLine, enable: bool) -> CaseResult {
    line.set_enabled(enable)
        .map_err(|_| CaseError::new("GIC line enable/disable failed"))
}

/// The interrupt of `line` was last taken right after the conduit's send `hvc`.
fn taken_after_send<C: ConduitUnderTest>(f: &HvcFixture<C>, line: Line) -> CaseResult {
    let at = f.last_elr(line).wrapping_sub(4);
    ensure!(
        layout::in_guest_ram(at, 4) && at.is_multiple_of(4),
        "the interrupt's ELR_EL1 is not in the guest image"
    );
    // SAFETY: `at` is a 4-byte-aligned address in guest RAM (checked above), where the code
    // that was interrupted lives (MMU off: plain memory).
    let insn = unsafe { (at as *const u32).read_volatile() };
    ensure!(
        insn == C::SEND_HVC,
        "the interrupt was not taken right after the conduit's send hvc"
    );
    Ok(())
}

/// The model's count of messages in the queue behind `line`.
fn model_len(line: ctl::Line) -> Result<u64, CaseError> {
    control::queue_state(line)
        .map(|s| s.len)
        .map_err(|_| CaseError::new("control queue_state failed"))
}

/// A started fixture whose TX queue the queue under test filled (state `Full`).
fn full<C: ConduitUnderTest>(
    mode: ErrorMode,
    ledger: &mut Ledger<16>,
) -> Result<HvcFixture<C>, CaseError> {
    let f = HvcHarness::<C>::new(mode).fixture(Setup::DEFAULT)?;
    start(&f)?;
    let mut buf = [0u8; MAX];
    for seq in 0..u32::from(Setup::DEFAULT.depth) {
        send_now(&f, stamp(seq, 16, &mut buf), SendFlags::NONE)?;
        ledger.accepted(seq)?;
    }
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "filling did not enter Full"
    );
    Ok(f)
}

/// The peer drains our TX queue; everything accepted arrived once, in order, and the TX
/// interrupt of the drain made the queue `Ready`.
fn wind_down<C: ConduitUnderTest>(f: &HvcFixture<C>, ledger: &mut Ledger<16>) -> CaseResult {
    drain_peer(f, ledger)?;
    settle(f)?;
    ensure!(
        f.queue().tx_state() == TxState::Ready,
        "the drain's TX interrupt did not make the queue Ready"
    );
    ensure!(
        ledger.tally().is_clean(),
        "messages lost, duplicated or reordered"
    );
    Ok(())
}

/// A real TX edge (the peer made room while the line was masked) is injected during an
/// accepted send that fills the queue again: the handler runs inside `try_send`, after the
/// hypercall; the send is `Sent { not_full: false }`; the interrupt came after the send's
/// snapshot, so the queue stays `Ready` (one extra FULL answer later, never a wait for an edge
/// that has been).
fn tx_edge<C: ConduitUnderTest>(mode: ErrorMode) -> CaseResult {
    let mut ledger = Ledger::new();
    let f = full::<C>(mode, &mut ledger)?;
    let depth = u32::from(Setup::DEFAULT.depth);
    let tx = gic_line(&f, Line::Tx)?;
    set_enabled(&tx, false)?;
    let edges = f.edges(Line::Tx);
    let mut one = [0u8; 1024];
    match f.peer_recv(&mut one)? {
        gunyah_msgq::RecvOutcome::Received { len, .. } => ledger.received(verify(&one[..len])),
        gunyah_msgq::RecvOutcome::Empty => return Err(CaseError::new("peer got nothing")),
    }
    ensure!(
        f.edges(Line::Tx) == edges + 1,
        "the peer's receive raised no TX edge"
    );
    settle(&f)?;
    let runs = f.handler_runs(Line::Tx);
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "a TX interrupt was taken while its line was masked"
    );
    let mut buf = [0u8; MAX];
    let msg = stamp(depth, 16, &mut buf);
    // Only a distributor write: the model sees it at its next trap, the send's `hvc`.
    set_enabled(&tx, true)?;
    let sent = f.queue().try_send(msg, SendFlags::NONE);
    ensure!(
        sent == Ok(SendOutcome::Sent { not_full: false }),
        "the send's answer changed under the interrupt"
    );
    ledger.accepted(depth)?;
    ensure!(
        f.handler_runs(Line::Tx) == runs + 1,
        "the TX handler did not run exactly once during the send"
    );
    taken_after_send(&f, Line::Tx)?;
    ensure!(
        f.queue().tx_state() == TxState::Ready,
        "a TX interrupt taken after the send's snapshot was overwritten by Full"
    );
    ensure!(
        model_len(ctl::Line::Tx)? == u64::from(depth),
        "the model's TX queue does not hold depth messages"
    );
    ensure!(
        f.queue()
            .try_send(stamp(depth + 1, 16, &mut buf), SendFlags::NONE)
            == Ok(SendOutcome::WouldBlock),
        "a send into the full queue was not refused"
    );
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "FULL did not enter Full"
    );
    wind_down(&f, &mut ledger)
}

/// A TX interrupt (here a spurious one: the queue cannot tell) is injected during a send that
/// the hypervisor answers FULL: `WouldBlock`, and the queue must not enter `Full` over the
/// interrupt it has just taken (the lost-wakeup race of spec §7). The next send asks again.
fn tx_spurious_full<C: ConduitUnderTest>(mode: ErrorMode) -> CaseResult {
    let mut ledger = Ledger::new();
    let f = full::<C>(mode, &mut ledger)?;
    let depth = u32::from(Setup::DEFAULT.depth);
    let tx = gic_line(&f, Line::Tx)?;
    set_enabled(&tx, false)?;
    control::spurious_intid(f.intid(Line::Tx))
        .map_err(|_| CaseError::new("control spurious failed"))?;
    settle(&f)?;
    let runs = f.handler_runs(Line::Tx);
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "a TX interrupt was taken while its line was masked"
    );
    let mut buf = [0u8; MAX];
    set_enabled(&tx, true)?;
    let r = f
        .queue()
        .try_send(stamp(depth, 16, &mut buf), SendFlags::NONE);
    ensure!(
        r == Ok(SendOutcome::WouldBlock),
        "a send into the full queue was not refused"
    );
    ensure!(
        f.handler_runs(Line::Tx) == runs + 1,
        "the TX handler did not run exactly once during the send"
    );
    taken_after_send(&f, Line::Tx)?;
    ensure!(
        f.queue().tx_state() == TxState::Ready,
        "FULL entered Full over a TX interrupt taken after the send's snapshot (lost wakeup)"
    );
    ensure!(
        model_len(ctl::Line::Tx)? == u64::from(depth),
        "the refused message was queued"
    );
    let calls = f.hypercalls();
    ensure!(
        f.queue()
            .try_send(stamp(depth, 16, &mut buf), SendFlags::NONE)
            == Ok(SendOutcome::WouldBlock),
        "the retry was not refused"
    );
    ensure!(
        f.hypercalls() == calls + 1,
        "the retry made other than one hypercall"
    );
    ensure!(
        f.queue().tx_state() == TxState::Full,
        "the retry's FULL did not enter Full"
    );
    // Room for real: the peer's receive raises the edge, the queue becomes Ready, and the
    // handed-back message goes.
    let mut one = [0u8; 1024];
    match f.peer_recv(&mut one)? {
        gunyah_msgq::RecvOutcome::Received { len, .. } => ledger.received(verify(&one[..len])),
        gunyah_msgq::RecvOutcome::Empty => return Err(CaseError::new("peer got nothing")),
    }
    settle(&f)?;
    ensure!(
        f.queue().tx_state() == TxState::Ready,
        "the peer's receive did not make the queue Ready"
    );
    send_now(&f, stamp(depth, 16, &mut buf), SendFlags::NONE)?;
    ledger.accepted(depth)?;
    wind_down(&f, &mut ledger)
}

/// The RX edge of messages the peer queued while the line was masked is injected during our
/// send: the RX handler drains them (its own receive hypercalls run between the send's `hvc`
/// and the code that reads its answer), and the send's answer is intact.
fn rx_edge<C: ConduitUnderTest>(mode: ErrorMode) -> CaseResult {
    let f = HvcHarness::<C>::new(mode).fixture(Setup::DEFAULT)?;
    start(&f)?;
    let rx = gic_line(&f, Line::Rx)?;
    set_enabled(&rx, false)?;
    let mut ledger = Ledger::<16>::new();
    let mut buf = [0u8; MAX];
    let edges = f.edges(Line::Rx);
    // One edge (empty → non-empty); no PUSH, so the others raise none.
    for seq in 0..3 {
        let peer_msg = stamp(seq, 24, &mut buf);
        ensure!(
            matches!(f.peer_send(peer_msg, false), Ok(SendOutcome::Sent { .. })),
            "peer send refused"
        );
        ledger.accepted(seq)?;
    }
    ensure!(
        f.edges(Line::Rx) == edges + 1,
        "the peer's sends did not raise one RX edge"
    );
    settle(&f)?;
    let runs = f.handler_runs(Line::Rx);
    ensure!(
        f.take_delivered(&mut |_| {}) == 0,
        "an RX interrupt was taken while its line was masked"
    );
    let mut out = [0u8; MAX];
    let ours = stamp(100, 40, &mut out);
    set_enabled(&rx, true)?;
    let sent = f.queue().try_send(ours, SendFlags::PUSH);
    ensure!(
        sent == Ok(SendOutcome::Sent { not_full: true }),
        "the send's answer changed under the RX handler's hypercalls"
    );
    ensure!(
        f.handler_runs(Line::Rx) == runs + 1,
        "the RX handler did not run exactly once during the send"
    );
    taken_after_send(&f, Line::Rx)?;
    ensure!(
        collect_delivered(&f, &mut ledger) == 3 && ledger.tally().is_clean(),
        "the handler did not deliver the three messages once, in order"
    );
    ensure!(!f.queue().rx_pending(), "RX left pending");
    ensure!(
        model_len(ctl::Line::Rx)? == 0,
        "the model's RX queue is not empty"
    );
    ensure!(
        model_len(ctl::Line::Tx)? == 1,
        "the model's TX queue does not hold our message"
    );
    let mut back = [0u8; 1024];
    let got = f.peer_recv(&mut back)?;
    ensure!(
        matches!(got, gunyah_msgq::RecvOutcome::Received { len: 40, .. }) && back[..40] == *ours,
        "our message did not arrive intact"
    );
    Ok(())
}
