//! The conformance suite's [`Harness`] and [`Fixture`] over the real backend: a
//! [`MsgQueue`] on `gunyah-msgq-hvc`'s `Smccc` or `Native` conduit with `GicLine` vIRQ lines,
//! the other VM driven through the model's control calls, and interrupts delivered for real
//! (list register → IRQ vector → [`on_irq`] → the queue's entry points).
//!
//! # Where the queue lives
//! The IRQ vector must reach the queue, and a case owns its fixture by value (it may move it).
//! So the queue is not in the fixture but in one of [`SLOTS`] static slots per conduit; the
//! fixture is a handle to its slot. A slot is `FREE`, `BUSY` (being written or torn down by
//! its owner, invisible to the vector) or `LIVE` (the vector may dispatch to it). The vector
//! runs to completion between two instructions of the task (one CPU), so a slot leaves `LIVE`
//! with one store and no handler can still be inside it afterwards.
//!
//! # The delivered log
//! The RX handler (and `start`/`poll` in task context) copy each message into the slot's
//! fixed ring of [`RING`] messages; [`Fixture::take_delivered`] pops them one at a time under
//! a critical section and hands each to the case outside it (the case may send from there).
//! A full ring drops the message and counts a fixture fault, which fails the case whatever it
//! concluded: a fixture limit cannot pass for a queue bug, nor hide one.

use core::cell::{RefCell, UnsafeCell};
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::num::NonZeroU8;
use core::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering::SeqCst};

use critical_section::Mutex;
use gunyah_msgq::abi::{RecvReply, SendReply};
use gunyah_msgq::{
    CapId, DrainOutcome, Error, MsgQueue, RawOutput, RecvOutcome, RxConfig, SendOutcome, Trigger,
    TxConfig,
};
use gunyah_msgq_hal_tests::{Caps, CaseError, ErrorMode, Fixture, Harness, Line, Setup, Sides};
use gunyah_msgq_hvc::gic::{GicLine, LineConfig};

use super::{ConduitUnderTest, GIC, MAX};
use crate::abi::control::{self as ctl, SetupFlags};
use crate::abi::layout::NO_INTID;
use crate::{control, gic};

/// The vIRQ line type of the queues under test.
pub type VirqLine = GicLine<'static, 'static>;
/// The queue under test.
pub type Queue<C> = MsgQueue<C, VirqLine, MAX>;

/// Fixtures alive at once per conduit (`bug02_one_sided_endpoints_work` holds two).
pub const SLOTS: usize = 2;
/// Messages the delivered log holds between two `take_delivered` calls. The 10,000-message
/// stream collects after a run of messages whose length is geometric with mean 8; 256 is
/// beyond any run its seed produces (and a drop would show, see the module docs).
pub const RING: usize = 256;
/// `wfi` rounds [`Fixture::settle`] waits at most (each one a trap that delivers what is due).
const SETTLE_ROUNDS: u32 = 10_000;

const FREE: u8 = 0;
const BUSY: u8 = 1;
const LIVE: u8 = 2;

/// Interrupts taken (any INTID) since boot: `settle` waits for a `wfi` that adds none.
static IRQS: AtomicU64 = AtomicU64::new(0);
/// Stamps slots so that the vector dispatches an INTID to the newest fixture naming it.
static GENERATION: AtomicU32 = AtomicU32::new(0);
/// Fixture faults since boot: messages the delivered log dropped (ring full), and `fire`s
/// whose injected interrupt never arrived. A case during which either grows is failed by the
/// image, whatever the case itself concluded.
static FIXTURE_FAULTS: AtomicU32 = AtomicU32::new(0);

/// Fixture faults since boot (messages the delivered log dropped, `fire`s that never arrived).
pub fn fixture_faults() -> u32 {
    FIXTURE_FAULTS.load(SeqCst)
}

/// A fixed ring of delivered messages.
struct Ring {
    lens: [u16; RING],
    data: [[u8; MAX]; RING],
    head: usize,
    len: usize,
}

impl Ring {
    const fn new() -> Ring {
        Ring {
            lens: [0; RING],
            data: [[0; MAX]; RING],
            head: 0,
            len: 0,
        }
    }

    fn push(&mut self, msg: &[u8]) {
        if self.len == RING || msg.len() > MAX {
            FIXTURE_FAULTS.fetch_add(1, SeqCst);
            return;
        }
        let i = (self.head + self.len) % RING;
        self.data[i][..msg.len()].copy_from_slice(msg);
        self.lens[i] = msg.len() as u16;
        self.len += 1;
    }

    fn pop(&mut self, out: &mut [u8; MAX]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let n = usize::from(self.lens[self.head]);
        out[..n].copy_from_slice(&self.data[self.head][..n]);
        self.head = (self.head + 1) % RING;
        self.len -= 1;
        Some(n)
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// Static storage for one queue under test and what its handlers record.
pub struct Slot<C: 'static> {
    state: AtomicU8,
    generation: AtomicU32,
    /// TX and RX INTIDs (`NO_INTID` for a missing side).
    intids: [AtomicU32; 2],
    /// Handler runs per line (interrupts taken, plus `fire`s run directly).
    runs: [AtomicU64; 2],
    /// ELR_EL1 when each line's interrupt was last taken: where the task was interrupted.
    elr: [AtomicU64; 2],
    /// RX handler runs that returned an error (the owner sees `rx_pending` and polls).
    rx_errors: AtomicU32,
    log: Mutex<RefCell<Ring>>,
    queue: UnsafeCell<MaybeUninit<Queue<C>>>,
}

// SAFETY: `queue` is written only by the fixture that moved the slot from FREE to BUSY (no
// other reference to it exists then: the vector reads only LIVE slots, and the previous owner
// is gone), and while LIVE only shared references to it exist (the queue is `Sync`: atomics,
// critical sections and a try-lock). Every other field is `Sync`.
unsafe impl<C: Sync> Sync for Slot<C> {}

impl<C: ConduitUnderTest> Default for Slot<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: ConduitUnderTest> Slot<C> {
    /// An empty slot (all zeroes: it lands in `.bss`).
    pub const fn new() -> Slot<C> {
        Slot {
            state: AtomicU8::new(FREE),
            generation: AtomicU32::new(0),
            intids: [AtomicU32::new(NO_INTID), AtomicU32::new(NO_INTID)],
            runs: [AtomicU64::new(0), AtomicU64::new(0)],
            elr: [AtomicU64::new(0), AtomicU64::new(0)],
            rx_errors: AtomicU32::new(0),
            log: Mutex::new(RefCell::new(Ring::new())),
            queue: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    fn live(&self) -> bool {
        self.state.load(SeqCst) == LIVE
    }

    /// The queue. Callers: the owning fixture, or the vector after seeing the slot LIVE.
    fn queue(&self) -> &Queue<C> {
        // SAFETY: only called on a LIVE slot (by its owner, which made it LIVE after writing
        // the queue, or by the vector, which checked), and a LIVE slot's queue is initialised
        // and only shared (see the `Sync` impl).
        unsafe { (*self.queue.get()).assume_init_ref() }
    }

    fn push(&self, msg: &[u8]) {
        critical_section::with(|cs| self.log.borrow_ref_mut(cs).push(msg));
    }

    /// Runs line `i`'s handler body: what the platform's IRQ handler does for that INTID.
    fn handle(&self, i: usize) {
        self.runs[i].fetch_add(1, SeqCst);
        let q = self.queue();
        if i == 0 {
            q.on_tx_interrupt();
        } else if q.on_rx_interrupt(|m| self.push(m)).is_err() {
            self.rx_errors.fetch_add(1, SeqCst);
        }
    }
}

/// The platform's interrupt handler for the queues under test: `irq::handle` calls it for
/// every acknowledged INTID (and ends the interrupt after it returns).
pub fn on_irq(intid: u32) {
    IRQS.fetch_add(1, SeqCst);
    let elr: u64;
    // SAFETY: reading ELR_EL1 has no side effect; in the IRQ handler it holds the address of
    // the instruction the interrupt was taken before.
    unsafe { core::arch::asm!("mrs {}, elr_el1", out(reg) elr, options(nomem, nostack)) };
    if !dispatch::<gunyah_msgq_hvc::Smccc>(intid, elr) {
        dispatch::<gunyah_msgq_hvc::Native>(intid, elr);
    }
}

/// Runs the handler of the newest LIVE slot of conduit `C` whose line is `intid`.
fn dispatch<C: ConduitUnderTest>(intid: u32, elr: u64) -> bool {
    let mut best: Option<(&Slot<C>, usize, u32)> = None;
    for slot in C::slots() {
        if !slot.live() {
            continue;
        }
        let generation = slot.generation.load(SeqCst);
        for i in 0..2 {
            let newer = best.is_none_or(|(_, _, g)| generation.wrapping_sub(g) as i32 > 0);
            if slot.intids[i].load(SeqCst) == intid && newer {
                best = Some((slot, i, generation));
            }
        }
    }
    let Some((slot, i, _)) = best else {
        return false;
    };
    slot.elr[i].store(elr, SeqCst);
    slot.handle(i);
    true
}

/// Interrupts taken since boot.
pub fn irqs() -> u64 {
    IRQS.load(SeqCst)
}

/// Whether the CPU interface has an interrupt pending (ICC_HPPIR1_EL1, the virtual one under
/// the model): with IRQs unmasked it would already have been taken.
fn irq_pending() -> bool {
    let hppir: u64;
    // SAFETY: reading ICC_HPPIR1_EL1 has no side effect (it does not acknowledge).
    unsafe { core::arch::asm!("mrs {}, icc_hppir1_el1", out(reg) hppir, options(nomem, nostack)) };
    (hppir & 0xFF_FFFF) < 1020
}

/// Waits until no injected vIRQ is pending: `wfi` traps to the model, which delivers what is
/// due (a list register taken right after the `wfi`); done when a round delivers nothing and
/// nothing is pending. At most `SETTLE_ROUNDS` rounds.
pub fn settle() -> bool {
    for _ in 0..SETTLE_ROUNDS {
        let before = irqs();
        // SAFETY: `wfi` only waits; the model traps it (HCR_EL2.TWI) and returns at once. Not
        // `nomem`: interrupt handlers run right after it.
        unsafe { core::arch::asm!("wfi", options(nostack)) };
        if irqs() == before && !irq_pending() {
            return true;
        }
    }
    false
}

/// Builds fixtures on conduit `C` with the model in one error mode.
pub struct HvcHarness<C> {
    mode: ErrorMode,
    conduit: PhantomData<C>,
}

impl<C> HvcHarness<C> {
    /// A harness whose fixtures set the model's queues to `mode`.
    #[must_use]
    pub const fn new(mode: ErrorMode) -> Self {
        HvcHarness {
            mode,
            conduit: PhantomData,
        }
    }
}

impl<C: ConduitUnderTest> Harness<MAX> for HvcHarness<C> {
    type Fixture = HvcFixture<C>;

    fn fixture(&mut self, setup: Setup) -> Result<HvcFixture<C>, CaseError> {
        HvcFixture::new(self.mode, setup)
    }

    /// Deliberately `true`. An interrupt at EL1 preempts the task between any two
    /// instructions, exactly as a second thread delivering it would: the vIRQ is taken right
    /// after the `hvc` that raised it (a peer send, a peer receive, our own send), in the
    /// middle of whatever the case is doing, and the RX handler drains (making hypercalls)
    /// while the task may be inside the queue. That is the concurrency the threaded cases are
    /// written for; only true parallelism (two CPUs inside the queue at once) is missing, and
    /// the core's loom models cover that.
    fn threaded(&self) -> bool {
        true
    }
}

/// One queue under test in a static slot, on the model's current link.
pub struct HvcFixture<C: ConduitUnderTest> {
    slot: &'static Slot<C>,
    mode: ErrorMode,
}

/// The index of a line in the slot's arrays.
const fn index(line: Line) -> usize {
    match line {
        Line::Tx => 0,
        Line::Rx => 1,
    }
}

fn line_for(intid: u32, trigger: Trigger) -> Result<Option<VirqLine>, CaseError> {
    if intid == NO_INTID {
        return Ok(None);
    }
    let line = GIC
        .line(intid, 0)
        .map_err(|_| CaseError::new("GIC line rejected the model's INTID"))?;
    let config = match trigger {
        Trigger::Edge => LineConfig::edge(),
        Trigger::Level => LineConfig::level(),
    };
    line.configure(config.with_priority(gic::PRIORITY))
        .map_err(|_| CaseError::new("GIC line configuration failed"))?;
    Ok(Some(line))
}

impl<C: ConduitUnderTest> HvcFixture<C> {
    fn new(mode: ErrorMode, setup: Setup) -> Result<Self, CaseError> {
        let flags = SetupFlags {
            sides: match setup.sides {
                Sides::Duplex => ctl::Sides::Duplex,
                Sides::TxOnly => ctl::Sides::TxOnly,
                Sides::RxOnly => ctl::Sides::RxOnly,
            },
            caps: match setup.caps {
                Caps::Granted => ctl::Caps::Granted,
                Caps::Swapped => ctl::Caps::Swapped,
                Caps::Invalid => ctl::Caps::Invalid,
            },
            tx_level: setup.tx_trigger == Trigger::Level,
            rx_level: setup.rx_trigger == Trigger::Level,
            quirks: mode == ErrorMode::PublicSourceQuirks,
            small_buffer_argument_size: false,
            real_registers: false,
        };
        let peer_max = if setup.peer_max == 0 {
            MAX
        } else {
            setup.peer_max
        };
        let link = control::setup(ctl::Setup {
            depth: u64::from(setup.depth),
            tx_max: MAX as u64,
            rx_max: peer_max as u64,
            flags,
        })
        .map_err(|_| CaseError::new("the model refused the link setup"))?;
        let depth = NonZeroU8::new(setup.depth).ok_or(CaseError::new("depth 0"))?;
        let tx = line_for(link.tx_intid, setup.tx_trigger)?.map(|irq| TxConfig {
            trigger: setup.tx_trigger,
            ..TxConfig::new(CapId(link.tx_cap), irq, MAX)
        });
        let rx = line_for(link.rx_intid, setup.rx_trigger)?
            .map(|irq| RxConfig::new(CapId(link.rx_cap), irq, depth, MAX));
        // What the device tree would say: the RX maximum is the endpoint's MAX even when the
        // peer's queue allows more (the misconfiguration that `peer_max` sets up).
        let queue = match (tx, rx) {
            (Some(tx), Some(rx)) => Queue::try_duplex(C::default(), tx, rx),
            (Some(tx), None) => Queue::try_tx_only(C::default(), tx),
            (None, Some(rx)) => Queue::try_rx_only(C::default(), rx),
            (None, None) => return Err(CaseError::new("the model answered no line")),
        }
        .map_err(|_| CaseError::new("queue configuration refused"))?;
        let slot = C::slots()
            .iter()
            .find(|s| s.state.compare_exchange(FREE, BUSY, SeqCst, SeqCst).is_ok())
            .ok_or(CaseError::new("more fixtures alive than static slots"))?;
        // SAFETY: the slot is BUSY and ours: nothing else reads or writes its queue (see the
        // `Sync` impl); a previous queue was dropped when its fixture let the slot go.
        unsafe { (*slot.queue.get()).write(queue) };
        slot.intids[0].store(link.tx_intid, SeqCst);
        slot.intids[1].store(link.rx_intid, SeqCst);
        for i in 0..2 {
            slot.runs[i].store(0, SeqCst);
            slot.elr[i].store(0, SeqCst);
        }
        slot.rx_errors.store(0, SeqCst);
        critical_section::with(|cs| slot.log.borrow_ref_mut(cs).clear());
        slot.generation
            .store(GENERATION.fetch_add(1, SeqCst).wrapping_add(1), SeqCst);
        slot.state.store(LIVE, SeqCst);
        Ok(HvcFixture { slot, mode })
    }

    /// The INTID of `line` (`NO_INTID` for a missing side).
    #[must_use]
    pub fn intid(&self, line: Line) -> u32 {
        self.slot.intids[index(line)].load(SeqCst)
    }

    /// The GIC line of `line`, for cases that mask and unmask it behind the queue's back.
    #[must_use]
    pub fn gic_line(&self, line: Line) -> Option<VirqLine> {
        match self.intid(line) {
            NO_INTID => None,
            intid => GIC.line(intid, 0).ok(),
        }
    }

    /// ELR_EL1 when `line`'s interrupt was last taken (0: never).
    #[must_use]
    pub fn last_elr(&self, line: Line) -> u64 {
        self.slot.elr[index(line)].load(SeqCst)
    }

    /// RX handler runs that returned an error.
    #[must_use]
    pub fn rx_errors(&self) -> u32 {
        self.slot.rx_errors.load(SeqCst)
    }
}

impl<C: ConduitUnderTest> Drop for HvcFixture<C> {
    fn drop(&mut self) {
        // Masks both lines (an injected vIRQ not yet taken goes back to the model's latch)
        // and closes the queue, then hides the slot from the vector.
        self.slot.queue().shutdown();
        self.slot.state.store(BUSY, SeqCst);
        // SAFETY: the slot is BUSY: the vector no longer reads it (it runs to completion
        // between two instructions of this task, so none is inside it now), and this fixture,
        // the only other user, is going away.
        unsafe { (*self.slot.queue.get()).assume_init_drop() };
        self.slot.state.store(FREE, SeqCst);
    }
}

fn raw(r: [u64; 8], outputs: usize) -> RawOutput {
    RawOutput {
        x0: r[0],
        x1: r[1],
        x2: if outputs > 2 { r[2] } else { 0 },
    }
}

impl<C: ConduitUnderTest> Fixture<MAX> for HvcFixture<C> {
    type Hyp = C;
    type Irq = VirqLine;

    fn queue(&self) -> &Queue<C> {
        self.slot.queue()
    }

    fn mode(&self) -> ErrorMode {
        self.mode
    }

    fn start(&self) -> Result<DrainOutcome, Error> {
        self.queue().start(|m| self.slot.push(m))
    }

    fn poll(&self) -> Result<DrainOutcome, Error> {
        self.queue().poll_rx(|m| self.slot.push(m))
    }

    fn take_delivered(&self, sink: &mut dyn FnMut(&[u8])) -> usize {
        let mut buf = [0u8; MAX];
        let mut n = 0;
        while let Some(len) =
            critical_section::with(|cs| self.slot.log.borrow_ref_mut(cs).pop(&mut buf))
        {
            sink(&buf[..len]);
            n += 1;
        }
        n
    }

    fn peer_send(&self, msg: &[u8], push: bool) -> Result<SendOutcome, Error> {
        match SendReply::try_from(raw(control::peer_send(msg, push), 2))? {
            SendReply::Accepted { not_full } => Ok(SendOutcome::Sent { not_full }),
            SendReply::Full => Ok(SendOutcome::WouldBlock),
        }
    }

    fn peer_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Error> {
        let r = control::peer_recv(buf);
        match RecvReply::decode(raw(r, 3), buf.len())? {
            RecvReply::Message { len, more } => Ok(RecvOutcome::Received { len, more }),
            RecvReply::Empty => Ok(RecvOutcome::Empty),
        }
    }

    /// An enabled line gets a real spurious interrupt (the model's Spurious call injects the
    /// INTID, taken right after that call); a masked line cannot be taken, so its handler runs
    /// directly with IRQs masked, as a handler entered just before the mask would.
    fn fire(&self, line: Line) {
        let i = index(line);
        let intid = self.intid(line);
        if intid != NO_INTID && gic::enabled(intid) {
            let before = self.slot.runs[i].load(SeqCst);
            let arrived = control::spurious_intid(intid).is_ok()
                && crate::irq::wait_until(SETTLE_ROUNDS, || {
                    self.slot.runs[i].load(SeqCst) != before
                });
            if !arrived {
                FIXTURE_FAULTS.fetch_add(1, SeqCst);
            }
        } else {
            critical_section::with(|_| self.slot.handle(i));
        }
    }

    fn line_enabled(&self, line: Line) -> bool {
        let intid = self.intid(line);
        intid != NO_INTID && gic::enabled(intid)
    }

    fn edges(&self, line: Line) -> u64 {
        control::counters().map_or(u64::MAX, |c| match line {
            Line::Tx => c.tx_edges,
            Line::Rx => c.rx_edges,
        })
    }

    fn handler_runs(&self, line: Line) -> u64 {
        self.slot.runs[index(line)].load(SeqCst)
    }

    fn hypercalls(&self) -> u64 {
        control::counters().map_or(u64::MAX, |c| c.hypercalls)
    }

    fn settle(&self) -> bool {
        settle()
    }
}

/// Whether every slot of conduit `C` is free (no fixture alive).
pub fn all_free<C: ConduitUnderTest>() -> bool {
    C::slots().iter().all(|s| s.state.load(SeqCst) == FREE)
}
