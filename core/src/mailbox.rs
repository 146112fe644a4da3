//! The client channel, in the style of embedded-hal 1.0: an [`ErrorType`] supertrait whose
//! error has a [`kind`](Error::kind) generic code can match, and one small [`Mailbox`] trait;
//! with the feature `async`, its waiting counterpart `AsyncMailbox` in the style of
//! embedded-hal-async 1.0.

use crate::SendFlags;

/// A class of error that generic code can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A transient hypervisor condition (`RETRY`): the same call may succeed later.
    Retry,
    /// The hypervisor does not implement the call, or this endpoint has no queue in that
    /// direction.
    Unsupported,
    /// The hypervisor rejected an argument.
    InvalidArgument,
    /// The hypervisor is out of memory.
    NoMemory,
    /// The capability is null, revoked, of the wrong type or lacks the right.
    Denied,
    /// The hypervisor object is busy, or another receive already waits on the queue
    /// ([`Error::AlreadyReceiving`](crate::Error::AlreadyReceiving)).
    Busy,
    /// A vIRQ binding problem.
    IrqBinding,
    /// The message is empty or larger than the queue's maximum; it was not sent.
    MessageSize,
    /// The receive buffer is smaller than the queue's maximum message size.
    BufferTooSmall,
    /// The queue was shut down.
    Closed,
    /// A blocking operation timed out.
    TimedOut,
    /// The RX head message cannot be read; the owner must intervene (for example flush).
    RxStuck,
    /// The hypervisor broke the ABI contract (for example a size larger than the buffer).
    HypervisorFault,
    /// Anything else, including hypervisor codes this crate does not know.
    Other,
}

/// A mailbox error: any type, as long as generic code can learn its [`ErrorKind`].
pub trait Error: core::fmt::Debug {
    /// The class of this error.
    fn kind(&self) -> ErrorKind;
}

impl Error for ErrorKind {
    fn kind(&self) -> ErrorKind {
        *self
    }
}

/// Names the error type of a mailbox.
pub trait ErrorType {
    /// The error type of every fallible method.
    type Error: Error;
}

impl<T: ErrorType + ?Sized> ErrorType for &T {
    type Error = T::Error;
}

impl<T: ErrorType + ?Sized> ErrorType for &mut T {
    type Error = T::Error;
}

/// What happened to a message passed to [`Mailbox::try_send`].
#[must_use = "WouldBlock means the message was not sent and is still the caller's"]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendOutcome {
    /// The hypervisor accepted the message; it is done, and no later completion follows.
    Sent {
        /// Whether the queue still had room after this message. `false` means the next send
        /// will most likely see [`SendOutcome::WouldBlock`] until the receiver drains.
        not_full: bool,
    },
    /// The queue was full: nothing was sent and the caller still owns the message.
    WouldBlock,
}

/// What [`Mailbox::try_recv`] found.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvOutcome {
    /// A message of `len` bytes is at the start of the buffer.
    Received {
        /// The message's length, `1..=buf.len()`.
        len: usize,
        /// Whether more messages were queued behind it.
        more: bool,
    },
    /// The queue was empty.
    Empty,
}

/// One end of a message queue pair: the client channel.
///
/// Every method takes `&self`, so one mailbox in a `static` serves tasks and interrupt
/// handlers at once.
pub trait Mailbox: ErrorType {
    /// Offers one message to the hypervisor, once.
    ///
    /// Contract:
    /// - `Ok(Sent { .. })`: accepted and done. The implementation never submits it again.
    /// - `Ok(WouldBlock)`: the queue was full, nothing was sent; retry after the TX event.
    /// - `Err(_)`: nothing was sent; the error says why (an empty or oversized message is
    ///   rejected before it reaches the hypervisor).
    fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, Self::Error>;

    /// Receives one message into `buf`, which must hold the queue's maximum message size.
    ///
    /// Contract: `Ok(Received { len, .. })` means `buf[..len]` is the message, with
    /// `1 <= len <= buf.len()`; `Ok(Empty)` means there was nothing to receive.
    fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Self::Error>;
}

impl<T: Mailbox + ?Sized> Mailbox for &T {
    fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, Self::Error> {
        T::try_send(self, msg, flags)
    }

    fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Self::Error> {
        T::try_recv(self, buf)
    }
}

/// A mailbox whose sends and receives wait, as futures, in the style of embedded-hal-async 1.0
/// (feature `async`): generic code waits for room or for a message without knowing the queue
/// type. [`AsyncQueue`](crate::AsyncQueue) implements it.
///
/// Like [`Mailbox`], every method takes `&self`; the blanket implementations for `&T` and
/// `&mut T` let a driver take the mailbox by reference, as embedded-hal-async drivers do.
///
/// # Cancel safety
/// Both futures may be dropped at any `.await` point without losing or duplicating a message:
/// - a dropped [`send`](Self::send) either had the message accepted (the outcome is final, and
///   nothing submits it again) or never offered it: there is no half-sent message;
/// - a dropped [`recv`](Self::recv) either never took the message (it stays in the
///   hypervisor's queue for the next receive) or had already copied it into `buf`.
///
/// # Example
/// A driver generic over the mailbox:
/// ```
/// use embedded_hal_async::delay::DelayNs;
/// use gunyah_msgq::{AsyncMailbox, SendFlags};
///
/// async fn echo<M: AsyncMailbox>(mb: M, delay: &mut impl DelayNs) -> Result<(), M::Error> {
///     let mut buf = [0; 240];
///     let len = mb.recv(&mut buf).await?;
///     mb.send(&buf[..len], SendFlags::PUSH, delay, 1_000).await
/// }
/// ```
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
#[allow(async_fn_in_trait)] // As embedded-hal-async: callers that need `Send` futures pin them.
pub trait AsyncMailbox: ErrorType {
    /// Sends `msg`, waiting while the queue is full.
    ///
    /// Contract: `Ok(())` means the hypervisor accepted the message, once. While the queue is
    /// full, the future waits for the TX event, and retries at least once per `slice_us`
    /// microseconds of `delay` even without one (so a lost interrupt edge costs at most one
    /// slice). It never retries faster than one attempt per wake-up or per slice.
    async fn send<D: embedded_hal_async::delay::DelayNs>(
        &self,
        msg: &[u8],
        flags: SendFlags,
        delay: &mut D,
        slice_us: u32,
    ) -> Result<(), Self::Error>;

    /// Receives one message into `buf`, which must hold the queue's maximum message size,
    /// waiting until one arrives; returns its length (`1..=buf.len()`).
    async fn recv(&self, buf: &mut [u8]) -> Result<usize, Self::Error>;
}

#[cfg(feature = "async")]
impl<T: AsyncMailbox + ?Sized> AsyncMailbox for &T {
    async fn send<D: embedded_hal_async::delay::DelayNs>(
        &self,
        msg: &[u8],
        flags: SendFlags,
        delay: &mut D,
        slice_us: u32,
    ) -> Result<(), Self::Error> {
        T::send(self, msg, flags, delay, slice_us).await
    }

    async fn recv(&self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        T::recv(self, buf).await
    }
}

#[cfg(feature = "async")]
impl<T: AsyncMailbox + ?Sized> AsyncMailbox for &mut T {
    async fn send<D: embedded_hal_async::delay::DelayNs>(
        &self,
        msg: &[u8],
        flags: SendFlags,
        delay: &mut D,
        slice_us: u32,
    ) -> Result<(), Self::Error> {
        T::send(self, msg, flags, delay, slice_us).await
    }

    async fn recv(&self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        T::recv(self, buf).await
    }
}
