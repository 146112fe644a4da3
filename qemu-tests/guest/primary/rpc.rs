//! The image's RM calls, through `gunyah-rm-rpc`'s [`Client`]: framing, seq and msg_id
//! matching, reassembly, the RM error word and the typed calls are the library's, so the
//! same calls run unchanged against the real resource manager.
//!
//! The client's mailbox is [`RmMailbox`]: it sends through the link's `MsgQueue`, and its
//! receive takes what the RX vIRQ handler (`on_rx_interrupt`) already put in the
//! [`inbox`]. The client only polls its mailbox, so the replies still arrive by interrupt, and
//! nothing but the handler drains the link's RX queue. Its waits spin on the generic timer
//! ([`CounterDelay`]) with IRQs unmasked, so the handler runs during them.

use gunyah_msgq::{ErrorType, Mailbox, RecvOutcome, SendFlags, SendOutcome};
use gunyah_rm_rpc::{Client, ClientConfig, Notification};

use super::inbox;
use super::link::Link;
use crate::delay::CounterDelay;

/// The reply buffer: the RM error word and 1020 bytes of payload (`VM_GET_HYP_RESOURCES`
/// with up to 23 entries).
pub const REPLY_BUF: usize = 1024;

/// The RM link as the client's mailbox: TX through the queue, RX from the inbox the RX
/// interrupt handler fills.
#[derive(Clone, Copy)]
pub struct RmMailbox(pub &'static Link);

impl ErrorType for RmMailbox {
    type Error = gunyah_msgq::Error;
}

impl Mailbox for RmMailbox {
    fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, Self::Error> {
        self.0.queue.try_send(msg, flags)
    }

    fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Self::Error> {
        let Some(msg) = inbox::take() else {
            return Ok(RecvOutcome::Empty);
        };
        // A message longer than the inbox keeps (none on a 240-byte link) arrives cut; the
        // client's reassembly then sees a short or mismatched frame.
        let len = msg.bytes().len().min(buf.len());
        buf[..len].copy_from_slice(&msg.bytes()[..len]);
        Ok(RecvOutcome::Received {
            len,
            more: inbox::pending() > 0,
        })
    }
}

/// What the client does with an RM notification: nothing (the client counts it).
pub type OnNotification = fn(Notification<'_>);

/// The image's client of the resource manager.
pub type RmClient = Client<RmMailbox, CounterDelay, OnNotification, REPLY_BUF>;

/// The client on `link`: frames sized to the tree's TX message size, the library's default
/// timeout (5 s: the real RM has been seen to wait about a second) and wait step.
#[must_use]
pub fn client(link: &'static Link) -> RmClient {
    let config = ClientConfig::new().with_tx_max_msg_size(link.config.tx.msg_size);
    let ignore: OnNotification = |_| {};
    Client::new(RmMailbox(link), CounterDelay, config, ignore)
}
