//! The platform-independent half of an RTOS port of `gunyah-msgq`: copy this file, then write
//! the platform half (`examples/examples/rtos_port.rs` for the host, on the simulated
//! hypervisor; `qemu-tests/tests/rtos_port.rs` for an aarch64 guest, on `gunyah-msgq-hvc`).
//! It is `no_std` and allocation-free; the two halves share it unchanged.
//!
//! The platform half supplies:
//! - a `critical-section` implementation for the final binary (`gunyah-msgq-hvc`'s
//!   `critical-section-single-core` on a one-CPU guest, the RTOS's own on SMP);
//! - the `Hypercall` backend, after discovery (`Smccc.probe()`), and the device tree;
//! - an `IrqLine` for each INTID the tree names (`gunyah-msgq-hvc`'s `GicLine`);
//! - interrupt vectors that call [`on_rx_irq`] and [`on_tx_irq`];
//! - a `DelayNs` for the blocking send (the RTOS's sleep, or the generic timer).
//!
//! The application here is the resource manager's simplest request, `VM_GET_VMID`: requests go
//! out with a blocking send and a timeout, replies come back through the RX interrupt into a
//! bounded [`Inbox`], and the task waits for its reply by sequence number.

use core::fmt;

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use embassy_sync::once_lock::OnceLock;
use embedded_hal::delay::DelayNs;
use gunyah_msgq::{
    ConfigError, DrainOutcome, Error, Hypercall, IrqLine, MsgQueue, RM_MSG_SIZE, SendFlags,
    Trigger, WaitPolicy,
};
use gunyah_msgq_dt::{DtError, Tree};
use zerocopy::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// The largest message on the resource manager's link.
pub const MAX: usize = RM_MSG_SIZE;

/// The link to the resource manager.
pub type Link<H, I> = MsgQueue<H, I, MAX>;

/// Where the link lives once it is built: a `static` that interrupt handlers can reach.
///
/// The link is built at run time (its capabilities and INTIDs come from the device tree), so
/// it cannot be a `const`-initialised `static`. `static_cell::StaticCell` hands out a
/// `&'static mut` to one owner; the link is shared by the task and two interrupt handlers, so a
/// once-cell that hands out `&'static` to all of them fits better.
pub type LinkSlot<H, I> = OnceLock<Link<H, I>>;

/// How many requests may be outstanding: the inbox holds that many replies, so a reply always
/// finds room (unsolicited messages that find none are counted in [`Inbox::dropped`]).
pub const WINDOW: usize = 8;

/// One message as the RX handler hands it to the task.
pub type Message = heapless::Vec<u8, MAX>;

/// What the RX handler hands to the task: a bounded channel that interrupt handlers fill with
/// `try_send` (never blocking), plus what the handler could not deliver.
pub struct Inbox {
    messages: Channel<CriticalSectionRawMutex, Message, WINDOW>,
    dropped: core::sync::atomic::AtomicU32,
    unexpected: core::sync::atomic::AtomicU32,
    stuck: core::sync::atomic::AtomicU32,
}

impl Inbox {
    /// An empty inbox, for a `static`.
    pub const fn new() -> Self {
        Inbox {
            messages: Channel::new(),
            dropped: core::sync::atomic::AtomicU32::new(0),
            unexpected: core::sync::atomic::AtomicU32::new(0),
            stuck: core::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Messages the RX handler had no room for (only unsolicited ones can be: replies are
    /// bounded by [`WINDOW`]).
    pub fn dropped(&self) -> u32 {
        self.dropped.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Messages the task read that answered nothing it asked (notifications, stale replies).
    pub fn unexpected(&self) -> u32 {
        self.unexpected.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Times the RX head could not be read and the handler flushed the queue.
    pub fn stuck(&self) -> u32 {
        self.stuck.load(core::sync::atomic::Ordering::Relaxed)
    }

    fn deliver(&self, msg: &[u8]) {
        // `msg` is at most `MAX` bytes (the core checks every size), so it always fits.
        let fits = Message::from_slice(msg).ok();
        if fits.is_none_or(|m| self.messages.try_send(m).is_err()) {
            self.dropped
                .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Default for Inbox {
    fn default() -> Self {
        Inbox::new()
    }
}

/// What can go wrong in the port.
#[derive(Debug, PartialEq, Eq)]
pub enum PortError {
    /// The device tree has no usable resource-manager node.
    Tree(DtError),
    /// The platform has no line for this INTID.
    NoLine {
        /// The INTID the tree names.
        intid: u32,
    },
    /// The queue cannot serve the tree's sizes.
    Config(ConfigError),
    /// [`bring_up`] ran twice.
    AlreadyUp,
    /// The queue failed.
    Queue(Error),
    /// No reply came in time.
    NoReply,
    /// The resource manager answered with an error, or with a reply this port cannot read.
    Rm {
        /// Its error code (`u32::MAX` for a reply too short to carry one).
        code: u32,
    },
}

impl From<Error> for PortError {
    fn from(e: Error) -> Self {
        PortError::Queue(e)
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortError::Tree(e) => write!(f, "device tree: {e}"),
            PortError::NoLine { intid } => write!(f, "no IRQ line for INTID {intid}"),
            PortError::Config(e) => write!(f, "queue configuration: {e}"),
            PortError::AlreadyUp => f.write_str("the link is already up"),
            PortError::Queue(e) => write!(f, "queue: {e}"),
            PortError::NoReply => f.write_str("no reply from the resource manager in time"),
            PortError::Rm { code } => write!(f, "resource manager error {code:#x}"),
        }
    }
}

/// Builds the link from the resource manager's node in `dtb`, publishes it in `slot` and
/// starts it (draining what came before anyone listened into `inbox`).
///
/// `line` makes the platform's IRQ line for an INTID and trigger from the tree. Install the
/// interrupt vectors before calling this: `start` unmasks the lines.
///
/// # Errors
/// A [`PortError`] for a bad tree, a missing line, sizes the link cannot serve, a second call,
/// or a failed first drain.
pub fn bring_up<H: Hypercall, I: IrqLine>(
    slot: &'static LinkSlot<H, I>,
    inbox: &Inbox,
    hyp: H,
    dtb: &[u8],
    mut line: impl FnMut(u32, Trigger) -> Option<I>,
) -> Result<&'static Link<H, I>, PortError> {
    let rm = Tree::new(dtb)
        .and_then(|tree| tree.rm_link())
        .map_err(PortError::Tree)?;
    let tx_line =
        line(rm.tx.intid, rm.tx.trigger).ok_or(PortError::NoLine { intid: rm.tx.intid })?;
    let rx_line =
        line(rm.rx.intid, rm.rx.trigger).ok_or(PortError::NoLine { intid: rm.rx.intid })?;
    let (tx, rx) = rm
        .configs::<MAX, I>(tx_line, rx_line)
        .map_err(|e| PortError::Tree(e.into()))?;
    let link = MsgQueue::try_duplex(hyp, tx, rx).map_err(PortError::Config)?;
    if slot.init(link).is_err() {
        return Err(PortError::AlreadyUp);
    }
    let link = slot.try_get().ok_or(PortError::AlreadyUp)?;
    if let DrainOutcome::Pending { .. } = link.start(|msg| inbox.deliver(msg))? {
        service(link, inbox)?;
    }
    Ok(link)
}

/// The RX interrupt handler's body: drains into `inbox` and acts on every outcome.
///
/// - `Done`, `Deferred`: nothing to do (a running drain takes this one's messages).
/// - `Pending`: messages are left that no edge will announce; [`service`] picks them up (the
///   task calls it while it waits, so this handler never loops).
/// - `RxStuck`: the head message cannot be read; flush the queue (the replies it held are lost
///   and their requests time out) and count it.
/// - any other error: `rx_pending()` stays set and [`service`] retries.
pub fn on_rx_irq<H: Hypercall, I: IrqLine>(link: &Link<H, I>, inbox: &Inbox) {
    match link.on_rx_interrupt(|msg| inbox.deliver(msg)) {
        Ok(_) => {}
        Err(Error::RxStuck { .. }) => {
            inbox
                .stuck
                .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            let _ = link.flush_rx();
        }
        Err(_) => {}
    }
}

/// The TX interrupt handler's body.
pub fn on_tx_irq<H: Hypercall, I: IrqLine>(link: &Link<H, I>) {
    link.on_tx_interrupt();
}

/// The task's share of receiving: finishes a drain the RX handler left ([`on_rx_irq`]).
///
/// # Errors
/// The drain's error, if it fails again.
pub fn service<H: Hypercall, I: IrqLine>(link: &Link<H, I>, inbox: &Inbox) -> Result<(), Error> {
    while link.rx_pending() {
        match link.poll_rx(|msg| inbox.deliver(msg))? {
            DrainOutcome::Pending { .. } => continue,
            DrainOutcome::Done { .. } | DrainOutcome::Deferred => break,
        }
    }
    Ok(())
}

/// The resource manager's RPC header (8 bytes, little-endian).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct RpcHeader {
    /// 0x21: two header words, API version 1.
    pub api: u8,
    /// `fragments << 2 | type` (1 request, 2 reply, 3 notification).
    pub kind: u8,
    /// The request's sequence number, echoed by its reply.
    pub seq: U16,
    /// The call.
    pub msg_id: U32,
}

impl RpcHeader {
    const API_V1: u8 = 0x21;
    const REQUEST: u8 = 1;
    const REPLY: u8 = 2;

    /// A one-fragment request.
    pub fn request(msg_id: u32, seq: u16) -> Self {
        RpcHeader {
            api: Self::API_V1,
            kind: Self::REQUEST,
            seq: U16::new(seq),
            msg_id: U32::new(msg_id),
        }
    }

    /// A one-fragment reply to `request`.
    pub fn reply_to(request: &RpcHeader) -> Self {
        RpcHeader {
            kind: Self::REPLY,
            ..*request
        }
    }
}

/// `VM_GET_VMID`: the caller's VM id.
pub const VM_GET_VMID: u32 = 0x5600_0024;

/// Asks the resource manager for this VM's id: a blocking send (at most `timeout_us`), then
/// waits (the same budget again) for the reply with sequence number `seq`, servicing the link
/// while it waits. Other messages that arrive meanwhile are counted in [`Inbox::unexpected`]
/// and set aside (this port has no other requests in flight).
///
/// # Errors
/// [`PortError::Queue`] if the send fails or times out, [`PortError::NoReply`] if no reply
/// comes in time, [`PortError::Rm`] if the resource manager answers with an error.
pub fn get_vmid<H: Hypercall, I: IrqLine>(
    link: &Link<H, I>,
    inbox: &Inbox,
    delay: &mut impl DelayNs,
    seq: u16,
    timeout_us: u32,
) -> Result<u16, PortError> {
    let request = RpcHeader::request(VM_GET_VMID, seq);
    link.send_blocking(
        request.as_bytes(),
        SendFlags::PUSH,
        delay,
        WaitPolicy::timeout_us(timeout_us),
    )?;
    let reply = wait_reply(link, inbox, delay, seq, timeout_us)?;
    // Payload: le32 RM error, then the VM id in the low half of the next word.
    let (code, rest) = U32::read_from_prefix(&reply[size_of::<RpcHeader>()..])
        .map_err(|_| PortError::Rm { code: u32::MAX })?;
    if code.get() != 0 {
        return Err(PortError::Rm { code: code.get() });
    }
    let (vmid, _) = U16::read_from_prefix(rest).map_err(|_| PortError::Rm { code: u32::MAX })?;
    Ok(vmid.get())
}

/// Waits for the reply with sequence number `seq`, servicing the link every 10 µs.
fn wait_reply<H: Hypercall, I: IrqLine>(
    link: &Link<H, I>,
    inbox: &Inbox,
    delay: &mut impl DelayNs,
    seq: u16,
    timeout_us: u32,
) -> Result<Message, PortError> {
    const STEP_US: u32 = 10;
    let mut waited = 0;
    loop {
        service(link, inbox)?;
        while let Ok(msg) = inbox.messages.try_receive() {
            if let Ok((header, _)) = RpcHeader::read_from_prefix(&msg)
                && header.kind == RpcHeader::REPLY
                && header.seq.get() == seq
            {
                return Ok(msg);
            }
            inbox
                .unexpected
                .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        }
        if waited >= timeout_us {
            return Err(PortError::NoReply);
        }
        delay.delay_us(STEP_US);
        waited += STEP_US;
    }
}
