//! The client channel, in the style of embedded-hal 1.0: an [`ErrorType`] supertrait whose
//! error has a [`kind`](Error::kind) generic code can match, and one small [`Mailbox`] trait.

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
    /// The hypervisor object is busy.
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
