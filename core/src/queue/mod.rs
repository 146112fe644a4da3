//! The message queue state machine, written once for every backend.
//!
//! Data path, one file each:
//! - [`tx`]: `try_send` → hypercall → TX state (`Ready` / `Full` / `Closed`), and the TX
//!   interrupt entry point.
//! - [`blocking`]: a send that waits for the TX event with a timeout.
//! - [`rx`]: RX interrupt → bounded drain → callback, `poll_rx` and `try_recv`.
//! - [`async_queue`] (feature `async`): the queue as futures, woken by its interrupts.
//!
//! This module holds the queue itself, its configuration and its lifecycle.

#[cfg(feature = "async")]
mod async_queue;
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
use crate::sync::{CsWord, RequestLock};
use crate::{CapId, SendFlags};

#[cfg(feature = "async")]
pub use async_queue::AsyncQueue;
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
    /// The queue's maximum message size as the hypervisor configured it (`1..=MAX`), from the
    /// device tree or the resource manager. Sends above it are refused before any hypercall:
    /// the hypervisor may answer OK to an oversized send and drop it.
    pub max_msg_size: usize,
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
    /// The queue's maximum message size as the hypervisor configured it (`1..=MAX`): the
    /// largest message the peer can send. The endpoint's buffer holds `MAX` bytes, so a queue
    /// whose messages may be larger would wedge on the first one; building the endpoint
    /// refuses it.
    pub max_msg_size: usize,
}

impl<I> TxConfig<I> {
    /// A TX queue on an edge-triggered line (as the resource manager sets them up) whose
    /// messages are at most `max_msg_size` bytes.
    pub const fn new(cap: CapId, irq: I, max_msg_size: usize) -> Self {
        TxConfig {
            cap,
            irq,
            trigger: Trigger::Edge,
            max_msg_size,
        }
    }
}

impl<I> RxConfig<I> {
    /// An RX queue of the given depth whose messages are at most `max_msg_size` bytes.
    pub const fn new(cap: CapId, irq: I, depth: NonZeroU8, max_msg_size: usize) -> Self {
        RxConfig {
            cap,
            irq,
            depth,
            max_msg_size,
        }
    }
}

/// A queue configuration that [`MsgQueue`] cannot serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// A direction's `max_msg_size` is 0 or larger than the endpoint's `MAX`.
    MessageSize {
        /// Which queue.
        direction: Direction,
        /// Its configured maximum message size.
        size: usize,
        /// The endpoint's `MAX`.
        max: usize,
    },
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConfigError::MessageSize {
                direction,
                size,
                max,
            } => write!(
                f,
                "{direction:?} queue's maximum message size {size} is not in 1..={max}"
            ),
        }
    }
}

impl core::error::Error for ConfigError {}

/// One endpoint of a Gunyah message queue pair: a TX queue, an RX queue, or both.
///
/// - `H` makes the hypercalls, `I` is the vIRQ line type.
/// - `MAX` is the endpoint's largest message size (`1..=1023`; [`RM_MSG_SIZE`] for the resource
///   manager's link): the queue owns an RX buffer of that size. Each direction's real maximum
///   (from the device tree or the resource manager) goes in [`TxConfig::max_msg_size`] and
///   [`RxConfig::max_msg_size`] and must not exceed `MAX`; sends are checked against the TX
///   queue's own maximum before any hypercall.
///
/// Every method takes `&self` and the constructors are `const`, so a queue can live in a
/// `static` and be used from tasks and interrupt handlers at once.
///
/// # Building one
/// - In a `static` (sizes known at compile time): [`duplex`](Self::duplex),
///   [`tx_only`](Self::tx_only), [`rx_only`](Self::rx_only). A bad size is a compile error
///   there (they panic during constant evaluation).
/// - From run-time data (a device tree, the resource manager): [`try_duplex`](Self::try_duplex),
///   [`try_tx_only`](Self::try_tx_only), [`try_rx_only`](Self::try_rx_only) return
///   [`ConfigError`] instead.
/// - `MAX` itself is checked when the type is used: a `MsgQueue<_, _, 1024>` passes
///   `cargo check` but fails `cargo build` with "MAX must be 1..=1023", in an error that points
///   inside this crate (the check is a `const` block, which runs only when code is generated).
///
/// ```
/// # use gunyah_msgq::{CapId, MsgQueue, TxConfig};
/// static FITS: MsgQueue<(), (), 1023> = MsgQueue::tx_only((), TxConfig::new(CapId(1), (), 1023));
/// ```
/// ```compile_fail
/// # use gunyah_msgq::{CapId, MsgQueue, TxConfig};
/// static TOO_BIG: MsgQueue<(), (), 1024> = MsgQueue::tx_only((), TxConfig::new(CapId(1), (), 1));
/// ```
///
/// # Lifecycle
/// [`start`](Self::start) unmasks the lines and drains what was queued before (its edge may
/// have come before anyone listened). [`shutdown`](Self::shutdown) masks the lines and
/// closes: later sends return [`Error::Closed`], as does a blocking send waiting at that
/// moment, and late interrupts do nothing. The queue holds no unsent messages, so nothing is
/// lost by closing: every message was either accepted or handed back.
pub struct MsgQueue<H, I, const MAX: usize> {
    hyp: H,
    tx: Option<TxConfig<I>>,
    rx: Option<RxConfig<I>>,
    /// TX state and its event counts, changed together (with the level line's mask) in one
    /// critical section, read with one atomic load.
    tx_shared: CsWord<TxShared>,
    /// The drain buffer, whose holder is the one drain running, and the RX-pending request:
    /// messages may be waiting that no future edge will announce.
    rx_drain: RequestLock<[u8; MAX]>,
    counters: Counters,
}

/// Checks both directions' sizes against `max`.
const fn validate<I>(
    tx: &Option<TxConfig<I>>,
    rx: &Option<RxConfig<I>>,
    max: usize,
) -> Result<(), ConfigError> {
    if let Some(tx) = tx {
        if tx.max_msg_size == 0 || tx.max_msg_size > max {
            return Err(ConfigError::MessageSize {
                direction: Direction::Tx,
                size: tx.max_msg_size,
                max,
            });
        }
    }
    if let Some(rx) = rx {
        if rx.max_msg_size == 0 || rx.max_msg_size > max {
            return Err(ConfigError::MessageSize {
                direction: Direction::Rx,
                size: rx.max_msg_size,
                max,
            });
        }
    }
    Ok(())
}

impl<H, I, const MAX: usize> MsgQueue<H, I, MAX> {
    const_unless_loom! {
        /// Builds the queue from configurations already validated.
        fn build(hyp: H, tx: Option<TxConfig<I>>, rx: Option<RxConfig<I>>) -> Self {
            const {
                assert!(MAX >= 1 && MAX <= MAX_MSG_SIZE, "MAX must be 1..=1023");
            }
            MsgQueue {
                hyp,
                tx,
                rx,
                tx_shared: CsWord::new(TxShared::INITIAL_WORD),
                rx_drain: RequestLock::new([0; MAX]),
                counters: Counters::new(),
            }
        }
    }

    const_unless_loom! {
        fn new_or_panic(hyp: H, tx: Option<TxConfig<I>>, rx: Option<RxConfig<I>>) -> Self {
            if validate(&tx, &rx, MAX).is_err() {
                panic!("a max_msg_size is 0 or larger than MAX");
            }
            Self::build(hyp, tx, rx)
        }
    }

    const_unless_loom! {
        /// An endpoint that sends into `tx` and receives from `rx`.
        ///
        /// # Panics
        /// If a `max_msg_size` is 0 or larger than `MAX`: in a `static`, a compile error. Use
        /// [`try_duplex`](Self::try_duplex) for sizes known only at run time.
        pub fn duplex(hyp: H, tx: TxConfig<I>, rx: RxConfig<I>) -> Self {
            Self::new_or_panic(hyp, Some(tx), Some(rx))
        }
    }

    const_unless_loom! {
        /// A send-only endpoint: receiving returns [`Error::NotConfigured`].
        ///
        /// # Panics
        /// As [`duplex`](Self::duplex).
        pub fn tx_only(hyp: H, tx: TxConfig<I>) -> Self {
            Self::new_or_panic(hyp, Some(tx), None)
        }
    }

    const_unless_loom! {
        /// A receive-only endpoint: sending returns [`Error::NotConfigured`].
        ///
        /// # Panics
        /// As [`duplex`](Self::duplex).
        pub fn rx_only(hyp: H, rx: RxConfig<I>) -> Self {
            Self::new_or_panic(hyp, None, Some(rx))
        }
    }

    /// [`duplex`](Self::duplex) for configurations read at run time.
    ///
    /// # Errors
    /// [`ConfigError::MessageSize`] if a `max_msg_size` is 0 or larger than `MAX`.
    ///
    /// # Example
    /// Sizes read at run time (from a device tree, say) that the endpoint cannot hold are an
    /// error, not a panic:
    /// ```
    /// use core::num::NonZeroU8;
    /// use gunyah_msgq::{CapId, ConfigError, Direction, MsgQueue, RxConfig, TxConfig};
    /// use gunyah_msgq::mock::{MockHypercall, MockIrqLine};
    ///
    /// let depth = NonZeroU8::new(8).unwrap();
    /// let q = MsgQueue::<_, _, 240>::try_duplex(
    ///     MockHypercall::new(),
    ///     TxConfig::new(CapId(0), MockIrqLine::new(), 240),
    ///     RxConfig::new(CapId(1), MockIrqLine::new(), depth, 1023), // larger than MAX
    /// );
    /// assert_eq!(
    ///     q.err(),
    ///     Some(ConfigError::MessageSize { direction: Direction::Rx, size: 1023, max: 240 })
    /// );
    /// ```
    pub fn try_duplex(hyp: H, tx: TxConfig<I>, rx: RxConfig<I>) -> Result<Self, ConfigError> {
        Self::try_new(hyp, Some(tx), Some(rx))
    }

    /// [`tx_only`](Self::tx_only) for configurations read at run time.
    ///
    /// # Errors
    /// As [`try_duplex`](Self::try_duplex).
    pub fn try_tx_only(hyp: H, tx: TxConfig<I>) -> Result<Self, ConfigError> {
        Self::try_new(hyp, Some(tx), None)
    }

    /// [`rx_only`](Self::rx_only) for configurations read at run time.
    ///
    /// # Errors
    /// As [`try_duplex`](Self::try_duplex).
    pub fn try_rx_only(hyp: H, rx: RxConfig<I>) -> Result<Self, ConfigError> {
        Self::try_new(hyp, None, Some(rx))
    }

    fn try_new(
        hyp: H,
        tx: Option<TxConfig<I>>,
        rx: Option<RxConfig<I>>,
    ) -> Result<Self, ConfigError> {
        validate(&tx, &rx, MAX)?;
        Ok(Self::build(hyp, tx, rx))
    }

    /// The endpoint's `MAX`: the size of its RX buffer and the largest maximum either
    /// direction may have.
    pub const fn max_msg_size(&self) -> usize {
        MAX
    }

    /// The largest message [`try_send`](Self::try_send) accepts (the TX queue's
    /// [`TxConfig::max_msg_size`]); `None` on a receive-only endpoint.
    pub fn tx_max_msg_size(&self) -> Option<usize> {
        self.tx.as_ref().map(|tx| tx.max_msg_size)
    }

    /// The TX state. On a receive-only endpoint it is `Ready` until shutdown.
    ///
    /// One atomic load, no critical section: a change made on another CPU is seen once this
    /// CPU has synchronised with it (as after joining the thread that made it); until then
    /// the previous state may be returned.
    pub fn tx_state(&self) -> TxState {
        self.tx_shared.get().state
    }

    /// Whether messages may be queued that no interrupt will announce: call
    /// [`poll_rx`](Self::poll_rx).
    pub fn rx_pending(&self) -> bool {
        self.rx_drain.is_requested()
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
    /// [`Error::Closed`] after shutdown, or if a shutdown on another CPU overtakes it (the
    /// lines are then left masked); otherwise the drain's errors (see
    /// [`on_rx_interrupt`](Self::on_rx_interrupt)). A TX-only endpoint returns
    /// `Ok(DrainOutcome::Done { delivered: 0 })`.
    ///
    /// # Context
    /// From a task, once, after the platform's handlers are installed (an unmasked line may
    /// fire at once). Never blocks. Act on its outcome as on a handler's: `Pending` means call
    /// [`poll_rx`](Self::poll_rx).
    ///
    /// # Example
    /// ```
    /// use gunyah_msgq::{DrainOutcome, SendFlags};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = link.a.msg_queue::<240>()?;
    /// link.b.send(b"early", SendFlags::NONE); // its edge comes before anyone listens
    ///
    /// let mut early = Vec::new();
    /// let outcome = q.start(|m| early.push(m.to_vec()))?;
    /// assert_eq!(outcome, DrainOutcome::Done { delivered: 1 });
    /// assert_eq!(early, [b"early".to_vec()]);
    /// assert!(link.a.rx_irq().is_enabled());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(&self, on_msg: impl FnMut(&[u8])) -> Result<DrainOutcome, Error> {
        if !self.enable_lines()? {
            return Ok(DrainOutcome::Done { delivered: 0 });
        }
        self.drain(on_msg, false)
    }

    /// The first half of [`start`](Self::start): unmasks the lines (a level TX line only while
    /// `Full`), unless the queue is closed or a shutdown overtakes it. Tells whether there is
    /// an RX queue (to drain).
    fn enable_lines(&self) -> Result<bool, Error> {
        // The TX line is unmasked inside the critical section that checks for `Closed`, so a
        // shutdown is wholly before it (nothing is unmasked) or wholly after (and masks it).
        let state = self.tx_shared.update_then(
            |s| s.state,
            |&state| {
                if let Some(tx) = &self.tx {
                    let wanted = tx.trigger == Trigger::Edge || state == TxState::Full;
                    if state != TxState::Closed && wanted {
                        tx.irq.enable();
                    }
                }
            },
        );
        if state == TxState::Closed {
            return Err(Error::Closed);
        }
        let Some(rx) = &self.rx else {
            return Ok(false);
        };
        // The RX line is unmasked outside the critical section (a simulated line may run the
        // RX handler, and so user callbacks, from `enable`), so look again afterwards: a
        // shutdown that came in between finds the line unmasked only if it ran before our
        // `enable`, and then we see `Closed` here and mask it again. The state is read inside
        // the critical section: a plain load could miss a shutdown whose masking our `enable`
        // overwrote (each side's write still in its store buffer; the loom model
        // `start_vs_shutdown` finds that interleaving).
        rx.irq.enable();
        if self.tx_shared.get_ordered().state == TxState::Closed {
            rx.irq.disable();
            return Err(Error::Closed);
        }
        Ok(true)
    }

    /// Shuts the queue down: masks both lines and closes, in one critical section, so no new
    /// handler starts and no sender or `start` on another CPU can unmask a line afterwards.
    ///
    /// After this, sends and receives return [`Error::Closed`], a blocking send that is
    /// waiting returns [`Error::Closed`], and interrupt entry points do nothing. Closing is
    /// final.
    ///
    /// # Context
    /// Any context, any CPU; one short critical section, no hypercall. A handler already
    /// running on another CPU finishes its current receive; the queue holds no unsent
    /// messages, so nothing is lost.
    ///
    /// # Example
    /// ```
    /// use gunyah_msgq::{Error, SendFlags, TxState};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = link.a.msg_queue::<240>()?;
    /// q.start(|_| {})?;
    /// q.shutdown();
    /// assert_eq!(q.tx_state(), TxState::Closed);
    /// assert_eq!(q.try_send(b"late", SendFlags::NONE), Err(Error::Closed));
    /// assert!(!link.a.rx_irq().is_enabled());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self) {
        self.tx_shared.update_then(
            |s| s.state = TxState::Closed,
            |_| {
                if let Some(tx) = &self.tx {
                    tx.irq.disable();
                }
                if let Some(rx) = &self.rx {
                    rx.irq.disable();
                }
            },
        );
    }

    /// Drops every message queued in the RX queue (`msgq_flush`), for example to recover from
    /// [`Error::RxStuck`]. Withdraws the RX-pending request, but not one that arrives during
    /// the flush: a message queued after it raises a new request.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] without an RX queue, [`Error::Closed`] after shutdown, and the
    /// hypervisor's error (a capability without the RECEIVE right, say); a failed flush
    /// removed nothing, so it leaves the RX-pending request as it found it.
    ///
    /// # Context
    /// Never blocks: one hypercall. Any context.
    ///
    /// # Example
    /// ```
    /// use gunyah_msgq::{RecvOutcome, SendFlags};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = link.a.msg_queue::<240>()?;
    /// link.b.send(b"stale", SendFlags::NONE);
    /// q.flush_rx()?;
    /// assert_eq!(q.try_recv(&mut [0; 240])?, RecvOutcome::Empty);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush_rx(&self) -> Result<(), Error> {
        let rx = self.rx()?;
        if self.is_closed() {
            return Err(Error::Closed);
        }
        // Withdraw the request *before* the flush: one that a handler leaves while the flush
        // runs (a message that arrived after it) must survive it.
        let was_pending = self.rx_drain.take();
        let raw = self.hyp.msgq_flush(rx.cap);
        if let Err(e) = GunyahError::check(error_code(raw.x0)) {
            if was_pending {
                self.rx_drain.request();
            }
            self.counters.faults.bump();
            return Err(Error::Hypervisor(e));
        }
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
