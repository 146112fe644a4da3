//! An async client of the resource manager over any [`AsyncMailbox`] (feature `async`).
//!
//! The same protocol as the synchronous [`Client`](crate::Client), from the same code (the
//! seq, the matching, the reassembly, the stats and the waits are shared); only the waiting
//! differs:
//! - **One request at a time**, by construction: [`AsyncClient::call`] takes `&mut self`.
//! - **Bounded waits.** A call waits [`ClientConfig::timeout_us`] in all, in slices of
//!   [`ClientConfig::poll_us`] on the [`DelayNs`]; each slice races the receive (and, while
//!   the request is not all sent, the send) against the timer. When the slices run out, one
//!   last look, then [`RpcError::Timeout`]. A receive or send is started afresh each slice,
//!   so a lost interrupt edge costs at most one slice.
//! - **Receives while the TX queue is full**, as the synchronous client does: the peer may be
//!   waiting for room to send to us. The rest of a request that could not be sent in time is
//!   never sent.
//! - **Matching on seq and msg_id**: a reply to another request (a late one) is dropped and
//!   counted in [`ClientStats::late_replies`], never taken for this call's.
//! - **Notifications** that arrive during a call or [`AsyncClient::poll`] go to the handler.
//! - The client is the link's only receiver: nothing else may receive from its RX queue.
//!
//! # Cancel safety
//! A call's future may be dropped at any `.await` point (a `select` against a timer, a
//! task's cancellation); the client stays usable:
//! - the mailbox's futures are cancel safe ([`AsyncMailbox`]): no frame is lost on receive
//!   or half-sent;
//! - the dropped call's seq is spent: its reply, if it comes later, is dropped as late and
//!   counted in [`ClientStats::late_replies`], like the reply to a call that timed out;
//! - if it was dropped between the frames of a multi-frame request, the rest is never sent
//!   (the resource manager drops the partial request when the next one starts);
//! - it is counted in [`ClientStats::requests`] but not in
//!   [`timeouts`](ClientStats::timeouts).

use core::future::{Future, pending, poll_fn};
use core::pin::{Pin, pin};
use core::task::Poll;

use embedded_hal_async::delay::DelayNs;
use gunyah_msgq::AsyncMailbox;

use crate::client::{ClientConfig, ClientStats, Notification, POLL_LIMIT};
use crate::error::RpcError;
use crate::session::{Session, Wait};

/// What a race of a send, a receive and a wait step saw first.
enum Event<E> {
    /// The send ended.
    Sent(Result<(), E>),
    /// The receive ended.
    Received(Result<usize, E>),
    /// The wait step ended (at once, for the last look).
    Elapsed,
}

/// Polls `send`, then `recv`, then `step` (`None`: the time is up, a last look), until one is
/// ready. Polling the send and the receive first means that a frame ready at the end of a
/// step is still taken, and a send that was accepted is never dropped unseen.
async fn race<E, S, R, T>(send: S, recv: R, mut step: Option<Pin<&mut T>>) -> Event<E>
where
    S: Future<Output = Result<(), E>>,
    R: Future<Output = Result<usize, E>>,
    T: Future<Output = ()>,
{
    let mut send = pin!(send);
    let mut recv = pin!(recv);
    poll_fn(|cx| {
        if let Poll::Ready(sent) = send.as_mut().poll(cx) {
            return Poll::Ready(Event::Sent(sent));
        }
        if let Poll::Ready(received) = recv.as_mut().poll(cx) {
            return Poll::Ready(Event::Received(received));
        }
        match step.as_mut() {
            Some(step) => step.as_mut().poll(cx).map(|()| Event::Elapsed),
            None => Poll::Ready(Event::Elapsed),
        }
    })
    .await
}

/// The delay given to [`AsyncMailbox::send`]: slices that never end, so that the send waits
/// for the TX event only. The client's own steps bound the wait, and start the send afresh.
struct TxEventOnly;

impl DelayNs for TxEventOnly {
    async fn delay_ns(&mut self, _ns: u32) {
        pending::<()>().await;
    }
}

/// An async client of the resource manager: see the [module docs](self).
///
/// `M` is the link ([`AsyncMailbox`]), `D` the clock for timeouts, `N` the notification
/// handler, `BUF` the size of the reassembly buffer, as for [`Client`](crate::Client).
///
/// ```
/// use core::cell::RefCell;
/// use futures_executor::block_on;
/// use gunyah_msgq::{AsyncMailbox, ErrorKind, ErrorType, SendFlags};
/// use gunyah_rm_rpc::{AsyncClient, ClientConfig};
///
/// /// The resource manager, played by hand: answers every request with VMID 3.
/// #[derive(Default)]
/// struct Rm(RefCell<Vec<Vec<u8>>>);
/// impl ErrorType for Rm { type Error = ErrorKind; }
/// impl AsyncMailbox for Rm {
///     async fn send<D: embedded_hal_async::delay::DelayNs>(
///         &self, msg: &[u8], _: SendFlags, _: &mut D, _: u32,
///     ) -> Result<(), ErrorKind> {
///         let mut reply = msg[..8].to_vec();
///         reply[1] = 0x02; // a one-fragment reply, same seq and msg_id
///         reply.extend([0, 0, 0, 0, 3, 0, 0, 0]);
///         self.0.borrow_mut().push(reply);
///         Ok(())
///     }
///     async fn recv(&self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
///         let m = self.0.borrow_mut().pop().unwrap(); // always there, in this example
///         buf[..m.len()].copy_from_slice(&m);
///         Ok(m.len())
///     }
/// }
///
/// struct NoDelay;
/// impl embedded_hal_async::delay::DelayNs for NoDelay { async fn delay_ns(&mut self, _: u32) {} }
///
/// let mut client: AsyncClient<_, _, _, 256> =
///     AsyncClient::new(Rm::default(), NoDelay, ClientConfig::new(), |_| {});
/// assert_eq!(block_on(client.vm_get_vmid()), Ok(3));
/// assert_eq!(client.stats().replies, 1);
/// ```
pub struct AsyncClient<M, D, N, const BUF: usize> {
    mailbox: M,
    delay: D,
    on_notification: N,
    session: Session<BUF>,
}

impl<M, D, N, const BUF: usize> AsyncClient<M, D, N, BUF> {
    /// A client on `mailbox` (the resource manager's link), timing its waits with `delay`,
    /// handing notifications to `on_notification`. Its first request has seq 0.
    pub const fn new(mailbox: M, delay: D, config: ClientConfig, on_notification: N) -> Self
    where
        N: FnMut(Notification<'_>),
    {
        AsyncClient {
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

impl<M, D, N, const BUF: usize> AsyncClient<M, D, N, BUF>
where
    M: AsyncMailbox,
    D: DelayNs,
    N: FnMut(Notification<'_>),
{
    /// Sends the request `msg_id` with `payload` and waits for its reply; returns the reply's
    /// payload after the RM error word (valid until the next call).
    ///
    /// # Errors
    /// Those of [`Client::call`](crate::Client::call).
    ///
    /// # Cancel safety
    /// Cancel safe: see the [module docs](self).
    pub async fn call(&mut self, msg_id: u32, payload: &[u8]) -> Result<&[u8], RpcError<M::Error>> {
        let AsyncClient {
            mailbox,
            delay,
            on_notification,
            session,
        } = self;
        let (key, mut fragments) = session.begin(msg_id, payload)?;
        let mut wait = Wait::new(&session.config());
        let mut unsent = fragments.next();
        loop {
            let step_us = wait.next_step();
            let mut step = pin!(step_us.map(|us| delay.delay_us(us)));
            loop {
                let recv = mailbox.recv(&mut session.frame);
                let event = match &unsent {
                    Some(fragment) => {
                        let frame = fragment.frame();
                        let mut tx_event_only = TxEventOnly;
                        let send =
                            mailbox.send(frame.as_bytes(), fragment.flags(), &mut tx_event_only, 0);
                        race(send, recv, step.as_mut().as_pin_mut()).await
                    }
                    None => race(pending(), recv, step.as_mut().as_pin_mut()).await,
                };
                match event {
                    Event::Sent(Ok(())) => unsent = fragments.next(),
                    Event::Received(Ok(len)) => {
                        if let Some(end) = session.on_frame(len, Some(key), on_notification) {
                            return session.reply(end);
                        }
                    }
                    Event::Sent(Err(e)) | Event::Received(Err(e)) => {
                        return Err(RpcError::Mailbox(e));
                    }
                    Event::Elapsed => break,
                }
            }
            if step_us.is_none() {
                return Err(session.timed_out());
            }
        }
    }

    /// Takes what has already arrived while no call waits (notifications to the handler;
    /// replies, all late, counted and dropped), until a receive would wait or [`POLL_LIMIT`]
    /// frames were taken. Returns how many frames it took.
    ///
    /// # Errors
    /// [`RpcError::Mailbox`] if a receive fails.
    ///
    /// # Cancel safety
    /// Cancel safe: the frames taken before it was dropped were handled.
    pub async fn poll(&mut self) -> Result<usize, RpcError<M::Error>> {
        for taken in 0..POLL_LIMIT {
            let recv = self.mailbox.recv(&mut self.session.frame);
            let none: Option<Pin<&mut core::future::Ready<()>>> = None;
            match race(pending(), recv, none).await {
                Event::Received(Ok(len)) => {
                    self.session
                        .on_frame::<M::Error>(len, None, &mut self.on_notification);
                }
                Event::Received(Err(e)) => return Err(RpcError::Mailbox(e)),
                Event::Sent(_) | Event::Elapsed => return Ok(taken),
            }
        }
        Ok(POLL_LIMIT)
    }
}
