//! One message queue object: a ring of messages, its thresholds, and the send, receive, flush
//! and configure operations of the public hypervisor source (`hyp/ipc/msgqueue`).
//!
//! Every operation returns the registers the hypervisor would write and the vIRQ signals it
//! would raise ([`Output`]); nothing here calls a handler or takes a lock, so the same code
//! serves the host mock and a bare-metal hypervisor model.

use core::borrow::BorrowMut;
use core::num::NonZeroU8;

use gunyah_msgq::{GunyahError, RawOutput, SendFlags};

use super::config::{ConfigError, Mode, QueueConfig, SmallBufferError};
use super::signal::{Edges, LineKind, LineSignal, Output};
use super::stats::{QueueSnapshot, QueueStats};

/// `msgq_configure_send`/`_receive`: leave the threshold as it is (`-1` as `count_t`).
pub const THRESHOLD_UNCHANGED: u32 = u32::MAX;
/// `msgq_configure_receive`: set the not-empty threshold to the depth (`-2` as `count_t`).
pub const THRESHOLD_MAXIMUM: u32 = u32::MAX - 1;
/// The only holdoff the hypervisor implements (`-1` as `count_t`); any other answers
/// UNIMPLEMENTED.
pub const HOLDOFF_UNCHANGED: u32 = u32::MAX;

/// A message queue with storage for `SLOTS` messages of `MSG` bytes.
///
/// The depth and maximum size are runtime values, at most `SLOTS` and `MSG`. The storage is
/// inline by default (`[[u8; MSG]; SLOTS]`, no allocation, usable in a `static`); any `S` that
/// borrows as that array works too, e.g. a `Box` on the host so a 255 × 1023 queue does not
/// pass through the stack, or a `&'static mut` array on bare metal.
///
/// Registers other than `x0` on a size or address error follow 7ecf251, the one public
/// hypervisor that returned those errors: a failed send leaves `not_full = 1`, a failed receive
/// `size = 0, not_empty = 1`. Callers must not read them (they are valid only for OK).
pub struct Msgq<const SLOTS: usize, const MSG: usize, S = [[u8; MSG]; SLOTS]> {
    slots: S,
    /// The length of the message in each slot.
    lens: [u16; SLOTS],
    head: usize,
    count: usize,
    depth: NonZeroU8,
    max_size: u16,
    /// `< depth`; TX is asserted when a receive leaves exactly this many messages.
    not_full_thd: u8,
    /// `1..=depth`; RX is asserted when a send makes exactly this many messages.
    not_empty_thd: u8,
    mode: Mode,
    small_buffer: SmallBufferError,
    stats: QueueStats,
}

/// The ring position after `i` in a queue of `depth` slots.
const fn next(i: usize, depth: usize) -> usize {
    if i + 1 == depth { 0 } else { i + 1 }
}

/// The registers of a failed call: the error, sign-extended, and the other outputs as given.
const fn failed(error: GunyahError, x1: u64, x2: u64) -> RawOutput {
    RawOutput {
        x0: error.code() as i64 as u64,
        x1,
        x2,
    }
}

/// A call that only returns an error word.
const fn error_only(error: GunyahError) -> Output {
    Output::quiet(RawOutput::error(error.code()))
}

impl<const SLOTS: usize, const MSG: usize> Msgq<SLOTS, MSG> {
    /// An empty queue with inline storage, activated with the default thresholds
    /// (not-full = depth - 1, not-empty = 1).
    ///
    /// # Errors
    /// [`ConfigError`] if the depth or size is out of the hypervisor's range or above
    /// `SLOTS`/`MSG`.
    pub const fn new(config: QueueConfig) -> Result<Self, ConfigError> {
        if let Err(e) = config.validate(SLOTS, MSG) {
            return Err(e);
        }
        Ok(Self::build([[0; MSG]; SLOTS], config))
    }
}

impl<const SLOTS: usize, const MSG: usize, S> Msgq<SLOTS, MSG, S> {
    /// An empty queue in `storage` (see [`Msgq::new`]).
    ///
    /// # Errors
    /// As [`Msgq::new`].
    pub fn with_storage(storage: S, config: QueueConfig) -> Result<Self, ConfigError> {
        config.validate(SLOTS, MSG)?;
        Ok(Self::build(storage, config))
    }

    /// Builds a queue from a validated configuration: depth is `1..=255` and max size
    /// `1..=1023`, so the narrowing casts below are exact.
    const fn build(slots: S, config: QueueConfig) -> Self {
        let depth = match NonZeroU8::new(config.depth as u8) {
            Some(d) => d,
            None => NonZeroU8::MIN,
        };
        Msgq {
            slots,
            lens: [0; SLOTS],
            head: 0,
            count: 0,
            depth,
            max_size: config.max_size as u16,
            not_full_thd: depth.get() - 1,
            not_empty_thd: 1,
            mode: config.mode,
            small_buffer: config.small_buffer,
            stats: QueueStats {
                enqueued: 0,
                dequeued: 0,
                full: 0,
                empty: 0,
                rejected: 0,
                dropped_by_quirk: 0,
                stuck_by_quirk: 0,
                flushed: 0,
                tx_asserts: 0,
                rx_asserts: 0,
            },
        }
    }

    /// Messages queued now.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether no message is queued.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the queue holds `depth` messages.
    #[must_use]
    pub const fn is_full(&self) -> bool {
        self.count == self.depth.get() as usize
    }

    /// The depth.
    #[must_use]
    pub const fn depth(&self) -> NonZeroU8 {
        self.depth
    }

    /// The maximum message size.
    #[must_use]
    pub const fn max_size(&self) -> usize {
        self.max_size as usize
    }

    /// The not-full threshold: a receive that leaves exactly this many messages asserts TX.
    #[must_use]
    pub const fn not_full_threshold(&self) -> usize {
        self.not_full_thd as usize
    }

    /// The not-empty threshold: a send that makes exactly this many messages asserts RX.
    #[must_use]
    pub const fn not_empty_threshold(&self) -> usize {
        self.not_empty_thd as usize
    }

    /// How bad sizes and buffers are answered.
    #[must_use]
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// Changes how bad sizes and buffers are answered from now on.
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// The too-small-buffer error of [`Mode::Documented`].
    #[must_use]
    pub const fn small_buffer(&self) -> SmallBufferError {
        self.small_buffer
    }

    /// Changes the too-small-buffer error of [`Mode::Documented`].
    pub fn set_small_buffer(&mut self, error: SmallBufferError) {
        self.small_buffer = error;
    }

    /// The counters.
    #[must_use]
    pub const fn stats(&self) -> QueueStats {
        self.stats
    }

    /// A copy of the configuration, state and counters.
    #[must_use]
    pub const fn snapshot(&self) -> QueueSnapshot {
        QueueSnapshot {
            len: self.count,
            depth: self.depth,
            max_size: self.max_size as usize,
            not_full_threshold: self.not_full_thd as usize,
            not_empty_threshold: self.not_empty_thd as usize,
            mode: self.mode,
            small_buffer: self.small_buffer,
            stats: self.stats,
        }
    }

    /// The RX line's level: messages are at or above the not-empty threshold. A level-triggered
    /// RX line stays pending while this holds.
    #[must_use]
    pub const fn rx_level(&self) -> bool {
        self.count >= self.not_empty_thd as usize
    }

    /// The TX line's level: messages are at or below the not-full threshold. A level-triggered
    /// TX line stays pending while this holds (so it fires continuously while there is room).
    #[must_use]
    pub const fn tx_level(&self) -> bool {
        self.count <= self.not_full_thd as usize
    }

    /// The level of line `kind`.
    #[must_use]
    pub const fn level(&self, kind: LineKind) -> bool {
        match kind {
            LineKind::Tx => self.tx_level(),
            LineKind::Rx => self.rx_level(),
        }
    }

    fn depth_usize(&self) -> usize {
        usize::from(self.depth.get())
    }

    fn assert_tx(&mut self) -> LineSignal {
        self.stats.tx_asserts = self.stats.tx_asserts.wrapping_add(1);
        LineSignal::Assert
    }

    fn assert_rx(&mut self) -> LineSignal {
        self.stats.rx_asserts = self.stats.rx_asserts.wrapping_add(1);
        LineSignal::Assert
    }

    /// `msgq_flush`: drops every message. If the queue was not empty it asserts TX and clears
    /// RX, as the source does (its API document says the opposite for TX).
    pub fn flush(&mut self) -> Output {
        let edges = if self.count == 0 {
            Edges::NONE
        } else {
            Edges {
                tx: self.assert_tx(),
                rx: LineSignal::Clear,
            }
        };
        self.stats.flushed = self.stats.flushed.wrapping_add(self.count as u64);
        self.count = 0;
        self.head = 0;
        Output {
            raw: RawOutput::default(),
            edges,
        }
    }

    /// `msgq_configure_send`: sets the not-full threshold (`< depth`, or
    /// [`THRESHOLD_UNCHANGED`]). An explicit value re-evaluates TX: asserted if the count is at
    /// or below it, cleared otherwise.
    ///
    /// Answers UNIMPLEMENTED for a holdoff other than [`HOLDOFF_UNCHANGED`], ARGUMENT_INVALID
    /// for a threshold out of range.
    pub fn configure_send(&mut self, not_full_thd: u32, holdoff: u32) -> Output {
        if holdoff != HOLDOFF_UNCHANGED {
            return error_only(GunyahError::Unimplemented);
        }
        if not_full_thd == THRESHOLD_UNCHANGED {
            return Output::default();
        }
        let Some(thd) = u8::try_from(not_full_thd)
            .ok()
            .filter(|&t| t < self.depth.get())
        else {
            return error_only(GunyahError::ArgumentInvalid);
        };
        self.not_full_thd = thd;
        let tx = if self.tx_level() {
            self.assert_tx()
        } else {
            LineSignal::Clear
        };
        Output {
            raw: RawOutput::default(),
            edges: Edges::tx(tx),
        }
    }

    /// `msgq_configure_receive`: sets the not-empty threshold (`1..=depth`,
    /// [`THRESHOLD_MAXIMUM`] for the depth, or [`THRESHOLD_UNCHANGED`]). An explicit value
    /// re-evaluates RX (asserted if the count is at or above it, cleared otherwise);
    /// [`THRESHOLD_MAXIMUM`] does not, as in the source.
    ///
    /// Answers UNIMPLEMENTED for a holdoff other than [`HOLDOFF_UNCHANGED`], ARGUMENT_INVALID
    /// for a threshold out of range.
    pub fn configure_receive(&mut self, not_empty_thd: u32, holdoff: u32) -> Output {
        if holdoff != HOLDOFF_UNCHANGED {
            return error_only(GunyahError::Unimplemented);
        }
        match not_empty_thd {
            THRESHOLD_UNCHANGED => return Output::default(),
            THRESHOLD_MAXIMUM => {
                self.not_empty_thd = self.depth.get();
                return Output::default();
            }
            _ => {}
        }
        let Some(thd) = u8::try_from(not_empty_thd)
            .ok()
            .filter(|&t| t >= 1 && t <= self.depth.get())
        else {
            return error_only(GunyahError::ArgumentInvalid);
        };
        self.not_empty_thd = thd;
        let rx = if self.rx_level() {
            self.assert_rx()
        } else {
            LineSignal::Clear
        };
        Output {
            raw: RawOutput::default(),
            edges: Edges::rx(rx),
        }
    }
}

impl<const SLOTS: usize, const MSG: usize, S> Msgq<SLOTS, MSG, S>
where
    S: BorrowMut<[[u8; MSG]; SLOTS]>,
{
    /// `msgq_send` of `msg`: FULL if the queue holds `depth` messages; otherwise the message is
    /// stored and RX is asserted on PUSH or when the count reaches the not-empty threshold.
    /// OK carries `not_full = count < depth`.
    ///
    /// A size of 0 or above the maximum is answered per [`Mode`].
    pub fn send(&mut self, msg: &[u8], flags: SendFlags) -> Output {
        self.send_from(Some(msg), msg.len(), flags)
    }

    /// `msgq_send` of `size` bytes from a guest buffer the hypervisor cannot read (unmapped):
    /// ADDR_INVALID in [`Mode::Documented`] (ARGUMENT_SIZE first if the size is bad), silently
    /// dropped in [`Mode::PublicSourceQuirks`].
    pub fn send_unreadable(&mut self, size: usize, flags: SendFlags) -> Output {
        self.send_from(None, size, flags)
    }

    fn send_from(&mut self, msg: Option<&[u8]>, size: usize, flags: SendFlags) -> Output {
        // The source checks for room before it looks at the message.
        if self.is_full() {
            self.stats.full = self.stats.full.wrapping_add(1);
            return error_only(GunyahError::MsgqueueFull);
        }
        let msg = match msg {
            _ if size == 0 || size > self.max_size() => Err(GunyahError::ArgumentSize),
            None => Err(GunyahError::AddrInvalid),
            Some(m) => Ok(m),
        };
        let msg = match msg {
            Ok(m) => m,
            Err(e) => return self.bad_send(e),
        };
        let tail = (self.head + self.count) % self.depth_usize();
        self.slots.borrow_mut()[tail][..size].copy_from_slice(msg);
        // `size <= max_size <= 1023`, so it fits.
        self.lens[tail] = size as u16;
        self.count += 1;
        self.stats.enqueued = self.stats.enqueued.wrapping_add(1);
        let rx = if flags.push() || self.count == usize::from(self.not_empty_thd) {
            self.assert_rx()
        } else {
            LineSignal::Idle
        };
        Output {
            raw: RawOutput::sent(self.count < self.depth_usize()),
            edges: Edges::rx(rx),
        }
    }

    fn bad_send(&mut self, error: GunyahError) -> Output {
        match self.mode {
            Mode::Documented => {
                self.stats.rejected = self.stats.rejected.wrapping_add(1);
                Output::quiet(failed(error, 1, 0))
            }
            Mode::PublicSourceQuirks => {
                self.stats.dropped_by_quirk = self.stats.dropped_by_quirk.wrapping_add(1);
                Output::quiet(RawOutput::sent(true))
            }
        }
    }

    /// `msgq_receive` into `buf`: EMPTY if nothing is queued; otherwise the head message is
    /// copied out and removed, and TX is asserted when the count drops to the not-full
    /// threshold. OK carries the size and `not_empty = count > 0`.
    ///
    /// A buffer smaller than the head message is answered per [`Mode`]; the message stays.
    pub fn receive(&mut self, buf: &mut [u8]) -> Output {
        self.receive_into(Some(buf))
    }

    /// `msgq_receive` into a guest buffer the hypervisor cannot write (unmapped): ADDR_INVALID
    /// in [`Mode::Documented`], OK with size 0 in [`Mode::PublicSourceQuirks`]. The message
    /// stays.
    pub fn receive_unwritable(&mut self) -> Output {
        self.receive_into(None)
    }

    fn receive_into(&mut self, buf: Option<&mut [u8]>) -> Output {
        if self.count == 0 {
            self.stats.empty = self.stats.empty.wrapping_add(1);
            return error_only(GunyahError::MsgqueueEmpty);
        }
        let size = usize::from(self.lens[self.head]);
        let buf = match buf {
            None => return self.bad_receive(GunyahError::AddrInvalid),
            Some(b) if b.len() < size => return self.bad_receive(self.small_buffer.error()),
            Some(b) => b,
        };
        buf[..size].copy_from_slice(&self.slots.borrow()[self.head][..size]);
        self.head = next(self.head, self.depth_usize());
        self.count -= 1;
        self.stats.dequeued = self.stats.dequeued.wrapping_add(1);
        let tx = if self.count == usize::from(self.not_full_thd) {
            self.assert_tx()
        } else {
            LineSignal::Idle
        };
        Output {
            raw: RawOutput::received(size as u64, self.count > 0),
            edges: Edges::tx(tx),
        }
    }

    fn bad_receive(&mut self, error: GunyahError) -> Output {
        match self.mode {
            Mode::Documented => {
                self.stats.rejected = self.stats.rejected.wrapping_add(1);
                Output::quiet(failed(error, 0, 1))
            }
            Mode::PublicSourceQuirks => {
                self.stats.stuck_by_quirk = self.stats.stuck_by_quirk.wrapping_add(1);
                Output::quiet(RawOutput::received(0, true))
            }
        }
    }

    /// The `i`-th queued message from the head, without removing it.
    #[must_use]
    pub fn peek(&self, i: usize) -> Option<&[u8]> {
        if i >= self.count {
            return None;
        }
        let slot = (self.head + i) % self.depth_usize();
        let len = usize::from(self.lens[slot]);
        Some(&self.slots.borrow()[slot][..len])
    }

    /// The queued messages, head first, without removing them.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.count).filter_map(move |i| self.peek(i))
    }
}
