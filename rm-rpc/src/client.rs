//! A synchronous client of the resource manager over any [`Mailbox`].
//!
//! - **One request at a time** ([`Client::call`] takes `&mut self`). The resource manager
//!   keeps one pending reply per VM and a newer reply replaces an older unsent one; concurrent
//!   calls could lose a reply and hang their waiter (spec bug 20).
//! - **Bounded waits.** Every wait (for room in the TX queue, for the reply) counts against
//!   [`ClientConfig::timeout_us`], in steps of [`ClientConfig::poll_us`] on the
//!   [`DelayNs`]; when it runs out the call ends in [`RpcError::Timeout`]. The rest of a
//!   request that could not be sent by then is never sent (spec bug 15: nothing is queued
//!   behind the caller's back).
//! - **Matching on seq and msg_id.** Each request gets the next seq. A reply whose seq or
//!   msg_id is not the outstanding request's (a late reply to a request that timed out) is
//!   dropped and counted in [`ClientStats::late_replies`]: it is never taken for the answer
//!   to a later request. (seq is 16 bits: only a reply held back across 65,536 later
//!   requests with the same msg_id could be mistaken.)
//! - **Reply storage owned by the client**: a `BUF`-byte reassembly buffer, which
//!   [`Client::call`] lends out as the reply's payload until the next call.
//! - **Notifications** (during a call or [`Client::poll`]) go to the handler given to
//!   [`Client::new`]; one that does not fit `BUF` is dropped and counted.
//! - The client receives by polling [`Mailbox::try_recv`]: nothing else may drain the link's
//!   RX queue.
//!
//! A reply's payload starts with the RM error word: 0 means OK and the call returns the rest;
//! any other word is [`RpcError::Rm`]; a reply too short to hold it is
//! [`RpcError::Malformed`].

use embedded_hal::delay::DelayNs;
use gunyah_msgq::{Mailbox, RM_MSG_SIZE, RecvOutcome, RmLink, SendOutcome};

use crate::error::RpcError;
use crate::session::{CallEnd, Key, Session, Wait};

/// The most frames one [`Client::poll`] takes, so that a peer that keeps sending cannot hold
/// the caller forever.
pub const POLL_LIMIT: usize = 256;

/// How a [`Client`] talks on its link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The TX queue's real maximum message size (spec bug 13: frames are sized to it, not
    /// only to the protocol's 240 bytes). Default [`RM_MSG_SIZE`] (240).
    pub tx_max_msg_size: usize,
    /// How long one call waits in all, in microseconds. Default 5 s: the real resource
    /// manager has been seen to leave requests unread for about a second.
    pub timeout_us: u32,
    /// How long one wait step lasts, in microseconds (at least 1). Default 100 µs.
    pub poll_us: u32,
}

impl ClientConfig {
    /// The defaults: 240-byte messages, 5 s timeout, 100 µs steps.
    #[must_use]
    pub const fn new() -> ClientConfig {
        ClientConfig {
            tx_max_msg_size: RM_MSG_SIZE,
            timeout_us: 5_000_000,
            poll_us: 100,
        }
    }

    /// The defaults, with the TX queue's size from `link` (a device tree's or another
    /// source's description of the resource manager's link).
    #[must_use]
    pub const fn for_link(link: &RmLink) -> ClientConfig {
        ClientConfig {
            tx_max_msg_size: link.tx.max_msg_size,
            ..ClientConfig::new()
        }
    }

    /// These settings with a timeout of `timeout_us` microseconds.
    #[must_use]
    pub const fn with_timeout_us(self, timeout_us: u32) -> ClientConfig {
        ClientConfig { timeout_us, ..self }
    }

    /// These settings with wait steps of `poll_us` microseconds.
    #[must_use]
    pub const fn with_poll_us(self, poll_us: u32) -> ClientConfig {
        ClientConfig { poll_us, ..self }
    }

    /// These settings with a TX queue of `tx_max_msg_size`-byte messages.
    #[must_use]
    pub const fn with_tx_max_msg_size(self, tx_max_msg_size: usize) -> ClientConfig {
        ClientConfig {
            tx_max_msg_size,
            ..self
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig::new()
    }
}

/// What a [`Client`] has seen. Every counter wraps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClientStats {
    /// Requests whose first frame was offered to the mailbox.
    pub requests: u32,
    /// Replies matched to their request.
    pub replies: u32,
    /// Notifications handed to the handler.
    pub notifications: u32,
    /// Replies that matched no outstanding request (late ones, to requests that timed
    /// out), dropped.
    pub late_replies: u32,
    /// Calls that timed out.
    pub timeouts: u32,
    /// Partial messages aborted by a frame that did not continue them.
    pub aborted: u32,
    /// Frames dropped: not of this protocol, orphan continuations, messages too large for the
    /// buffer that were not the awaited reply, requests from the peer.
    pub dropped: u32,
}

/// A notification from the resource manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification<'a> {
    /// Which notification it is.
    pub msg_id: u32,
    /// Its payload.
    pub payload: &'a [u8],
}

/// What one receive brought.
enum Rx<E> {
    /// The queue was empty.
    Empty,
    /// A frame that does not end the call.
    Other,
    /// The end of the call.
    Ours(CallEnd<E>),
}

/// A client of the resource manager: see the [module docs](self).
///
/// `M` is the link ([`Mailbox`]), `D` the clock for timeouts, `N` the notification handler,
/// `BUF` the size of the reassembly buffer (replies and notifications): 4 bytes more than the
/// largest reply payload expected, [`MAX_PAYLOAD`](crate::wire::MAX_PAYLOAD) for any.
///
/// ```
/// use core::cell::RefCell;
/// use gunyah_msgq::{ErrorKind, ErrorType, Mailbox, RecvOutcome, SendFlags, SendOutcome};
/// use gunyah_rm_rpc::{Client, ClientConfig, RmError, RpcError};
///
/// /// The resource manager, played by hand: answers VM_GET_VMID with VMID 3 (as the real one
/// /// did) and anything else with "unimplemented".
/// #[derive(Default)]
/// struct Rm(RefCell<Vec<Vec<u8>>>);
/// impl ErrorType for Rm { type Error = ErrorKind; }
/// impl Mailbox for Rm {
///     fn try_send(&self, msg: &[u8], _: SendFlags) -> Result<SendOutcome, ErrorKind> {
///         let mut reply = msg[..8].to_vec();
///         reply[1] = 0x02; // a one-fragment reply, same seq and msg_id
///         if msg[4..8] == 0x5600_0024u32.to_le_bytes() {
///             reply.extend([0, 0, 0, 0, 3, 0, 0, 0]);
///         } else {
///             reply.extend([0xFF; 4]);
///         }
///         self.0.borrow_mut().push(reply);
///         Ok(SendOutcome::Sent { not_full: true })
///     }
///     fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, ErrorKind> {
///         match self.0.borrow_mut().pop() {
///             Some(m) => {
///                 buf[..m.len()].copy_from_slice(&m);
///                 Ok(RecvOutcome::Received { len: m.len(), more: false })
///             }
///             None => Ok(RecvOutcome::Empty),
///         }
///     }
/// }
///
/// struct NoDelay;
/// impl embedded_hal::delay::DelayNs for NoDelay { fn delay_ns(&mut self, _: u32) {} }
///
/// let mut client: Client<_, _, _, 256> =
///     Client::new(Rm::default(), NoDelay, ClientConfig::new(), |_| {});
/// assert_eq!(client.vm_get_vmid(), Ok(3));
/// assert_eq!(
///     client.call(0x5600_00FF, &[]),
///     Err(RpcError::Rm(RmError::Unimplemented))
/// );
/// assert_eq!(client.stats().replies, 2);
/// ```
pub struct Client<M, D, N, const BUF: usize> {
    mailbox: M,
    delay: D,
    on_notification: N,
    session: Session<BUF>,
}

impl<M, D, N, const BUF: usize> Client<M, D, N, BUF> {
    /// A client on `mailbox` (the resource manager's link), timing its waits with `delay`,
    /// handing notifications to `on_notification`. Its first request has seq 0.
    pub const fn new(mailbox: M, delay: D, config: ClientConfig, on_notification: N) -> Self
    where
        N: FnMut(Notification<'_>),
    {
        Client {
            mailbox,
            delay,
            on_notification,
            session: Session::new(config),
        }
    }

    /// What the client has seen so far.
    #[must_use]
    pub fn stats(&self) -> ClientStats {
        self.session.stats()
    }

    /// The client's settings.
    #[must_use]
    pub fn config(&self) -> ClientConfig {
        self.session.config()
    }

    /// The seq the next request will carry.
    #[must_use]
    pub fn next_seq(&self) -> u16 {
        self.session.next_seq()
    }

    /// The link.
    pub fn mailbox(&self) -> &M {
        &self.mailbox
    }

    /// The clock.
    pub fn delay(&self) -> &D {
        &self.delay
    }
}

impl<M, D, N, const BUF: usize> Client<M, D, N, BUF>
where
    M: Mailbox,
    D: DelayNs,
    N: FnMut(Notification<'_>),
{
    /// Sends the request `msg_id` with `payload` and waits for its reply; returns the reply's
    /// payload after the RM error word (valid until the next call).
    ///
    /// # Errors
    /// - before anything is sent: [`RpcError::ReservedMsgId`] for msg_id 0,
    ///   [`RpcError::PayloadTooLarge`] if `payload` needs more than 63 frames on this link,
    ///   [`RpcError::QueueTooSmall`];
    /// - [`RpcError::Mailbox`] if a send or receive fails;
    /// - [`RpcError::Timeout`], [`RpcError::Aborted`], [`RpcError::ReplyTooLarge`],
    ///   [`RpcError::Malformed`] (a reply under 4 payload bytes), [`RpcError::Rm`].
    pub fn call(&mut self, msg_id: u32, payload: &[u8]) -> Result<&[u8], RpcError<M::Error>> {
        let (key, fragments) = self.session.begin(msg_id, payload)?;
        let key = Some(key);
        let mut wait = Wait::new(&self.session.config());
        let mut end = None;
        let mut timed_out = false;
        'send: for fragment in fragments {
            let frame = fragment.frame();
            loop {
                match self.mailbox.try_send(frame.as_bytes(), fragment.flags()) {
                    Ok(SendOutcome::Sent { .. }) => break,
                    Ok(SendOutcome::WouldBlock) => {
                        // The peer may be waiting for room to send to us: take what came.
                        if let Some(result) = self.drain(key)? {
                            end = Some(result);
                            break 'send;
                        }
                        if !tick(&mut wait, &mut self.delay) {
                            timed_out = true;
                            break 'send;
                        }
                    }
                    Err(e) => return Err(RpcError::Mailbox(e)),
                }
            }
        }
        if end.is_none() && !timed_out {
            end = loop {
                match self.receive(key)? {
                    Rx::Ours(result) => break Some(result),
                    Rx::Other => {}
                    Rx::Empty => {
                        if !tick(&mut wait, &mut self.delay) {
                            break None;
                        }
                    }
                }
            };
        }
        match end {
            Some(result) => self.session.reply(result),
            None => Err(self.session.timed_out()),
        }
    }

    /// Takes what has arrived while no call waits (notifications to the handler; replies,
    /// all late, counted and dropped), until the RX queue is empty or [`POLL_LIMIT`] frames
    /// were taken. Returns how many frames it took.
    ///
    /// # Errors
    /// [`RpcError::Mailbox`] if a receive fails.
    pub fn poll(&mut self) -> Result<usize, RpcError<M::Error>> {
        for taken in 0..POLL_LIMIT {
            if let Rx::Empty = self.receive(None)? {
                return Ok(taken);
            }
        }
        Ok(POLL_LIMIT)
    }

    /// Receives until the queue is empty or the call with `key` ends.
    fn drain(&mut self, key: Option<Key>) -> Result<Option<CallEnd<M::Error>>, RpcError<M::Error>> {
        for _ in 0..POLL_LIMIT {
            match self.receive(key)? {
                Rx::Ours(result) => return Ok(Some(result)),
                Rx::Other => {}
                Rx::Empty => break,
            }
        }
        Ok(None)
    }

    /// Receives one frame and acts on it; `key` is the outstanding request's (seq, msg_id).
    fn receive(&mut self, key: Option<Key>) -> Result<Rx<M::Error>, RpcError<M::Error>> {
        let outcome = self
            .mailbox
            .try_recv(&mut self.session.frame)
            .map_err(RpcError::Mailbox)?;
        let RecvOutcome::Received { len, .. } = outcome else {
            return Ok(Rx::Empty);
        };
        Ok(
            match self.session.on_frame(len, key, &mut self.on_notification) {
                Some(result) => Rx::Ours(result),
                None => Rx::Other,
            },
        )
    }
}

/// Waits the next step of `wait` on `delay`; `false` once the time is up.
fn tick<D: DelayNs>(wait: &mut Wait, delay: &mut D) -> bool {
    match wait.next_step() {
        Some(step) => {
            delay.delay_us(step);
            true
        }
        None => false,
    }
}
