//! The message queue state machine, written once for every backend.
//!
//! Data path, one file each:
//! - [`tx`]: `try_send` → hypercall → TX state (`Ready` / `Full` / `Closed`), and the TX
//!   interrupt entry point.
//! - [`blocking`]: a send that waits for the TX event with a timeout.
//! - [`rx`]: RX interrupt → bounded drain → callback, `poll_rx` and `try_recv`.
//!
//! This module holds the queue itself, its configuration and its lifecycle.

mod blocking;
mod rx;
mod tx;

use core::num::NonZeroU8;

use crate::abi::error_code;
use crate::error::{Direction, Error, GunyahError};
use crate::hypercall::Hypercall;
use crate::irq::{IrqLine, Trigger};
use crate::mailbox::{ErrorType, Mailbox, RecvOutcome, SendOutcome};
use crate::stats::{Counters, Stats};
use crate::sync::{AtomicBool, CsCell, Ordering, TryLock};
use crate::{CapId, SendFlags};

pub use blocking::WaitPolicy;
pub use rx::DrainOutcome;
pub use tx::TxState;

use tx::TxShared;

/// The largest message size the hypervisor allows (its limit is `< 1024`).
pub const MAX_MSG_SIZE: usize = 1023;
/// The message size of the resource manager's link (and of Linux since v5).
pub const RM_MSG_SIZE: usize = 240;

/// The queue this endpoint sends into.
#[derive(Clone, Copy, Debug)]
pub struct TxConfig<I> {
    /// Its capability (needs the SEND right).
    pub cap: CapId,
    /// Its TX vIRQ line (fires on full → not-full).
    pub irq: I,
    /// How that line is triggered.
    pub trigger: Trigger,
}

/// The queue this endpoint receives from.
#[derive(Clone, Copy, Debug)]
pub struct RxConfig<I> {
    /// Its capability (needs the RECEIVE right).
    pub cap: CapId,
    /// Its RX vIRQ line (fires on empty → non-empty, or on PUSH).
    pub irq: I,
    /// The queue's depth: one drain makes at most `depth + 1` receives.
    pub depth: NonZeroU8,
}

impl<I> TxConfig<I> {
    /// A TX queue on an edge-triggered line, as the resource manager sets them up.
    pub const fn new(cap: CapId, irq: I) -> Self {
        TxConfig {
            cap,
            irq,
            trigger: Trigger::Edge,
        }
    }
}

impl<I> RxConfig<I> {
    /// An RX queue of the given depth.
    pub const fn new(cap: CapId, irq: I, depth: NonZeroU8) -> Self {
        RxConfig { cap, irq, depth }
    }
}

/// One endpoint of a Gunyah message queue pair: a TX queue, an RX queue, or both.
///
/// - `H` makes the hypercalls, `I` is the vIRQ line type.
/// - `MAX` is the queue's maximum message size (`1..=1023`; [`RM_MSG_SIZE`] for the resource
///   manager's link): sends are checked against it before any hypercall, and the queue owns an
///   RX buffer of that size.
///
/// Every method takes `&self` and the constructors are `const`, so a queue can live in a
/// `static` and be used from tasks and interrupt handlers at once.
///
/// # Lifecycle
/// [`start`](Self::start) unmasks the lines and drains what was queued before (its edge may
/// have come before anyone listened). [`shutdown`](Self::shutdown) masks the lines first, then
/// closes: later sends return [`Error::Closed`], as does a blocking send waiting at that moment,
/// and late interrupts do nothing. The queue holds no unsent messages, so nothing is lost
/// by closing: every message was either accepted or handed back.
pub struct MsgQueue<H, I, const MAX: usize> {
    hyp: H,
    tx: Option<TxConfig<I>>,
    rx: Option<RxConfig<I>>,
    /// TX state and TX-event epoch, changed together in one critical section.
    tx_shared: CsCell<TxShared>,
    /// Messages may be waiting that no future edge will announce: `poll_rx` should drain.
    rx_pending: AtomicBool,
    /// The drain buffer; whoever holds it is the one drain running.
    rx_buf: TryLock<[u8; MAX]>,
    counters: Counters,
}

impl<H, I, const MAX: usize> MsgQueue<H, I, MAX> {
    const fn new(hyp: H, tx: Option<TxConfig<I>>, rx: Option<RxConfig<I>>) -> Self {
        const {
            assert!(MAX >= 1 && MAX <= MAX_MSG_SIZE, "MAX must be 1..=1023");
        }
        MsgQueue {
            hyp,
            tx,
            rx,
            tx_shared: CsCell::new(TxShared::INITIAL),
            rx_pending: AtomicBool::new(false),
            rx_buf: TryLock::new([0; MAX]),
            counters: Counters::new(),
        }
    }

    /// An endpoint that sends into `tx` and receives from `rx`.
    pub const fn duplex(hyp: H, tx: TxConfig<I>, rx: RxConfig<I>) -> Self {
        Self::new(hyp, Some(tx), Some(rx))
    }

    /// A send-only endpoint: receiving returns [`Error::NotConfigured`].
    pub const fn tx_only(hyp: H, tx: TxConfig<I>) -> Self {
        Self::new(hyp, Some(tx), None)
    }

    /// A receive-only endpoint: sending returns [`Error::NotConfigured`].
    pub const fn rx_only(hyp: H, rx: RxConfig<I>) -> Self {
        Self::new(hyp, None, Some(rx))
    }

    /// The maximum message size.
    pub const fn max_msg_size(&self) -> usize {
        MAX
    }

    /// The TX state. On a receive-only endpoint it is `Ready` until shutdown.
    pub fn tx_state(&self) -> TxState {
        self.tx_shared.get().state
    }

    /// Whether messages may be queued that no interrupt will announce: call
    /// [`poll_rx`](Self::poll_rx).
    pub fn rx_pending(&self) -> bool {
        self.rx_pending.load(Ordering::Acquire)
    }

    /// A snapshot of the diagnostic counters.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// The backend, for tests and diagnostics.
    pub const fn hypercall(&self) -> &H {
        &self.hyp
    }

    fn is_closed(&self) -> bool {
        self.tx_state() == TxState::Closed
    }

    fn tx(&self) -> Result<&TxConfig<I>, Error> {
        self.tx.as_ref().ok_or(Error::NotConfigured(Direction::Tx))
    }

    fn rx(&self) -> Result<&RxConfig<I>, Error> {
        self.rx.as_ref().ok_or(Error::NotConfigured(Direction::Rx))
    }
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> MsgQueue<H, I, MAX> {
    /// Starts the queue: unmasks its lines, then drains the RX queue once, handing each
    /// message to `on_msg`.
    ///
    /// The drain is needed because messages queued before start raised their edge before
    /// anyone listened; no new edge will come for them. A level-triggered TX line stays masked
    /// until the queue is `Full`.
    ///
    /// # Errors
    /// [`Error::Closed`] after shutdown; otherwise the drain's errors (see
    /// [`on_rx_interrupt`](Self::on_rx_interrupt)). A TX-only endpoint returns
    /// `Ok(DrainOutcome::Done { delivered: 0 })`.
    pub fn start(&self, on_msg: impl FnMut(&[u8])) -> Result<DrainOutcome, Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        if let Some(tx) = &self.tx {
            if tx.trigger == Trigger::Edge || self.tx_state() == TxState::Full {
                tx.irq.enable();
            }
        }
        match &self.rx {
            Some(rx) => {
                rx.irq.enable();
                self.drain(on_msg, false)
            }
            None => Ok(DrainOutcome::Done { delivered: 0 }),
        }
    }

    /// Shuts the queue down: masks both lines first, so no new handler starts, then closes.
    ///
    /// After this, sends and receives return [`Error::Closed`], a blocking send that is
    /// waiting returns [`Error::Closed`], and interrupt entry points do nothing. Closing is
    /// final.
    pub fn shutdown(&self) {
        if let Some(tx) = &self.tx {
            tx.irq.disable();
        }
        if let Some(rx) = &self.rx {
            rx.irq.disable();
        }
        self.tx_shared.update(|s| s.state = TxState::Closed);
    }

    /// Drops every message queued in the RX queue (`msgq_flush`), for example to recover from
    /// [`Error::RxStuck`]. Clears the RX-pending flag.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] without an RX queue, [`Error::Closed`] after shutdown, and the
    /// hypervisor's error (a capability without the RECEIVE right, say).
    pub fn flush_rx(&self) -> Result<(), Error> {
        let rx = self.rx()?;
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let raw = self.hyp.msgq_flush(rx.cap);
        if let Err(e) = GunyahError::check(error_code(raw.x0)) {
            self.counters.faults.bump();
            return Err(Error::Hypervisor(e));
        }
        self.rx_pending.store(false, Ordering::Release);
        Ok(())
    }
}

impl<H, I, const MAX: usize> ErrorType for MsgQueue<H, I, MAX> {
    type Error = Error;
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> Mailbox for MsgQueue<H, I, MAX> {
    fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, Error> {
        MsgQueue::try_send(self, msg, flags)
    }

    fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Error> {
        MsgQueue::try_recv(self, buf)
    }
}
