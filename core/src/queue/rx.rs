//! The receive path: RX interrupt → bounded drain into the queue's buffer → callback; plus
//! `poll_rx` and `try_recv`.
//!
//! One drain runs at a time. The drain buffer sits behind a try-lock: the caller that gets it
//! drains and runs the callbacks (with no critical section held, so a callback may send); a
//! caller that finds it taken leaves an RX request (`rx_pending`) and returns `Deferred`, and
//! the holder takes requests while it drains and looks once more after it lets go, so that
//! request is never dropped. The memory ordering that makes "once more" enough is argued in
//! `sync::RequestLock`.
//!
//! A drain ends at EMPTY or `more = false`, and makes at most `depth + 1` receives. When it
//! hits that bound, or a receive fails, `rx_pending` stays set: with an edge-triggered line no
//! new edge comes for messages already queued, so the owner must call `poll_rx`.

use super::{MsgQueue, RxConfig};
use crate::abi::RecvReply;
use crate::error::Error;
use crate::hypercall::Hypercall;
use crate::irq::IrqLine;
use crate::mailbox::RecvOutcome;

/// How a drain ended.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DrainOutcome {
    /// The queue was seen empty; `delivered` messages went to the callback.
    Done {
        /// Messages handed to the callback.
        delivered: usize,
    },
    /// The drain hit its bound of `depth + 1` receives with messages still queued; RX stays
    /// pending: call [`MsgQueue::poll_rx`] to continue.
    Pending {
        /// Messages handed to the callback.
        delivered: usize,
    },
    /// Another drain is running (on another CPU, or this callback's caller); it will pick
    /// these messages up before it ends.
    Deferred,
}

impl<H: Hypercall, I: IrqLine, const MAX: usize> MsgQueue<H, I, MAX> {
    /// The RX interrupt entry point: call it from the platform's handler for the RX vIRQ.
    ///
    /// Drains the RX queue, handing each message to `on_msg` as a slice borrowed for the
    /// call. `on_msg` runs with no critical section held; it may call
    /// [`try_send`](Self::try_send) (to answer a ping, say) but must not block.
    ///
    /// A malformed reply (a size larger than the buffer, a zero-length message) is counted and
    /// skipped, and the drain goes on.
    ///
    /// # Errors
    /// - [`Error::RxStuck`]: the head message cannot be read; the drain stopped at once and RX
    ///   stays pending. The owner decides (for example [`flush_rx`](Self::flush_rx)).
    /// - [`Error::Hypervisor`]: a receive failed with anything but EMPTY; RX stays pending.
    /// - [`Error::Closed`] after shutdown (nothing is done), [`Error::NotConfigured`] on a
    ///   send-only endpoint.
    ///
    /// # Context
    /// Made for interrupt context: never blocks, never spins on a lock (a drain already
    /// running, here or on another CPU, takes this one's messages: [`DrainOutcome::Deferred`]),
    /// at most `depth + 1` receives. Act on every outcome: `Pending` means messages are left
    /// that no edge will announce (call [`poll_rx`](Self::poll_rx), from a task or a
    /// re-raised interrupt), and an error leaves [`rx_pending`](Self::rx_pending) set.
    ///
    /// # Example
    /// A handler as a platform writes it, on the simulated hypervisor:
    /// ```
    /// use gunyah_msgq::{DrainOutcome, Error, MsgQueue, SendFlags};
    /// use gunyah_msgq_mock::{Guest, LinkConfig, MockHypervisor, MockIrq, model::VmId};
    ///
    /// fn rx_irq(q: &MsgQueue<Guest, MockIrq, 240>, inbox: &mut Vec<Vec<u8>>) {
    ///     match q.on_rx_interrupt(|msg| inbox.push(msg.to_vec())) {
    ///         Ok(DrainOutcome::Done { .. } | DrainOutcome::Deferred) => {}
    ///         // Messages left behind: finish from a task (here, at once).
    ///         Ok(DrainOutcome::Pending { .. }) => { let _ = q.poll_rx(|msg| inbox.push(msg.to_vec())); }
    ///         // The head cannot be read: drop what is queued and go on.
    ///         Err(Error::RxStuck { .. }) => { let _ = q.flush_rx(); }
    ///         Err(_) => { /* log it; rx_pending() stays set */ }
    ///     }
    /// }
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = link.a.msg_queue::<240>()?;
    /// link.b.send(b"one", SendFlags::NONE);
    /// link.b.send(b"two", SendFlags::PUSH);
    ///
    /// let mut inbox = Vec::new();
    /// rx_irq(&q, &mut inbox);
    /// assert_eq!(inbox, [b"one".to_vec(), b"two".to_vec()]);
    /// assert!(!q.rx_pending());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_rx_interrupt(&self, on_msg: impl FnMut(&[u8])) -> Result<DrainOutcome, Error> {
        if let Some(rx) = &self.rx {
            rx.irq.acknowledge();
        }
        self.drain(on_msg, true)
    }

    /// Continues draining when [`rx_pending`](Self::rx_pending) is set (or at any time: on an
    /// empty queue it costs one receive). Same contract as
    /// [`on_rx_interrupt`](Self::on_rx_interrupt), from a task or an interrupt.
    ///
    /// # Example
    /// An owner that polls instead of taking RX interrupts:
    /// ```
    /// use gunyah_msgq::{DrainOutcome, SendFlags};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = link.a.msg_queue::<240>()?;
    /// link.b.send(b"one", SendFlags::NONE);
    /// link.b.send(b"two", SendFlags::NONE);
    ///
    /// let mut seen = Vec::new();
    /// assert_eq!(q.poll_rx(|m| seen.push(m.to_vec()))?, DrainOutcome::Done { delivered: 2 });
    /// assert_eq!(seen, [b"one".to_vec(), b"two".to_vec()]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn poll_rx(&self, on_msg: impl FnMut(&[u8])) -> Result<DrainOutcome, Error> {
        self.drain(on_msg, false)
    }

    pub(super) fn drain(
        &self,
        mut on_msg: impl FnMut(&[u8]),
        from_interrupt: bool,
    ) -> Result<DrainOutcome, Error> {
        let rx = self.rx()?;
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let budget = usize::from(rx.depth.get()) + 1;
        let mut receives = 0;
        let mut delivered = 0;
        // Announce the request first: if a drain is running, it will see this.
        self.rx_drain.request();
        loop {
            let Some(mut buf) = self.rx_drain.try_enter() else {
                return Ok(DrainOutcome::Deferred);
            };
            while self.rx_drain.take() {
                loop {
                    if receives == budget {
                        self.rx_drain.request();
                        return Ok(DrainOutcome::Pending { delivered });
                    }
                    if self.is_closed() {
                        return Err(Error::Closed);
                    }
                    receives += 1;
                    let raw = self.hyp.msgq_receive(rx.cap, &mut buf[..]);
                    match RecvReply::decode(raw, MAX) {
                        Ok(RecvReply::Message { len, more }) => {
                            self.counters.received.bump();
                            delivered += 1;
                            // `decode` checked `len <= MAX`; `get` keeps the panic path
                            // (and its code) out of interrupt context all the same.
                            if let Some(msg) = buf.get(..len) {
                                on_msg(msg);
                            }
                            if !more {
                                break;
                            }
                        }
                        Ok(RecvReply::Empty) => {
                            if from_interrupt && receives == 1 {
                                self.counters.spurious_rx.bump();
                            }
                            break;
                        }
                        Err(Error::Abi(_)) => self.counters.malformed.bump(),
                        Err(e) => {
                            self.counters.faults.bump();
                            self.rx_drain.request();
                            return Err(e);
                        }
                    }
                }
            }
            // A caller that found the lock taken after our last `take` has left its request
            // and gone: take it up now that the lock is free (or leave it to whoever has
            // taken the lock since).
            if !self.rx_drain.leave(buf) {
                return Ok(DrainOutcome::Done { delivered });
            }
        }
    }

    /// The RX queue, if `buf` can hold its largest message: the argument checks of
    /// [`try_recv`](Self::try_recv), before any hypercall.
    pub(super) fn check_recv_buffer(&self, buf: &[u8]) -> Result<&RxConfig<I>, Error> {
        let rx = self.rx()?;
        if buf.len() < rx.max_msg_size {
            return Err(Error::BufferTooSmall {
                len: buf.len(),
                required: rx.max_msg_size,
            });
        }
        Ok(rx)
    }

    /// Receives one message into `buf`, which must hold at least the RX queue's
    /// [`max_msg_size`](crate::RxConfig::max_msg_size) bytes. See
    /// [`Mailbox::try_recv`](crate::Mailbox::try_recv) for the contract.
    ///
    /// # Errors
    /// [`Error::NotConfigured`], [`Error::BufferTooSmall`] and [`Error::Closed`] before any
    /// hypercall; [`Error::RxStuck`], [`Error::Abi`] and [`Error::Hypervisor`] from the reply.
    ///
    /// # Context
    /// Never blocks: one hypercall. For a polling owner; it does not take the drain's lock, so
    /// do not mix it with RX interrupts on the same queue (a message would go to whichever
    /// asks first).
    ///
    /// # Example
    /// ```
    /// use gunyah_msgq::{RecvOutcome, SendFlags};
    /// use gunyah_msgq_mock::{LinkConfig, MockHypervisor, model::VmId};
    ///
    /// let hyp = MockHypervisor::new();
    /// let link = hyp.link(VmId(1), VmId(2), &LinkConfig::RM_LINK)?;
    /// let q = link.a.msg_queue::<240>()?;
    /// let mut buf = [0; 240];
    /// assert_eq!(q.try_recv(&mut buf)?, RecvOutcome::Empty);
    ///
    /// link.b.send(b"hello", SendFlags::NONE);
    /// let RecvOutcome::Received { len, more } = q.try_recv(&mut buf)? else { panic!() };
    /// assert_eq!((&buf[..len], more), (&b"hello"[..], false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Error> {
        let rx = self.check_recv_buffer(buf)?;
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let raw = self.hyp.msgq_receive(rx.cap, buf);
        match RecvReply::decode(raw, buf.len()) {
            Ok(RecvReply::Message { len, more }) => {
                self.counters.received.bump();
                Ok(RecvOutcome::Received { len, more })
            }
            Ok(RecvReply::Empty) => Ok(RecvOutcome::Empty),
            Err(e) => {
                match e {
                    Error::Abi(_) => self.counters.malformed.bump(),
                    _ => self.counters.faults.bump(),
                }
                Err(e)
            }
        }
    }
}
