//! One RM call over the link: a one-fragment request built by hand (header byte 0 0x21, byte 1
//! `fragments << 2 | type`, le16 seq, le32 msg_id), sent through the core with PUSH, and its
//! reply as the RX interrupt handler received it.

use core::fmt::Write;

use gunyah_msgq::{SendFlags, SendOutcome};

use super::inbox::{self, Msg};
use super::link::Link;
use crate::abi::rm::Header;
use crate::irq;
use crate::report::{Fail, Note};

/// How many interrupts (or returns from `wfi`) a reply may take.
const WAKEUPS: u32 = 1000;

/// A reply and the RX interrupts its wait took.
pub struct Answer {
    /// The message.
    pub msg: Msg,
    /// RX interrupts taken between the send and the reply.
    pub rx_interrupts: u32,
}

/// Sends the request (`seq`, `msg_id`, no payload) and waits for the next message the RX
/// handler receives.
///
/// # Errors
/// The send was not accepted, or no message came.
pub fn call(link: &Link, seq: u16, msg_id: u32, note: &mut Note) -> Result<Answer, Fail> {
    let rx = link.config.rx.intid;
    let before = irq::count(rx);
    let request = Header::request(seq, msg_id).encode();
    let _ = write!(note, "request {request:02x?}; ");
    match link.queue.try_send(&request, SendFlags::PUSH) {
        Ok(SendOutcome::Sent { .. }) => {}
        other => {
            let _ = write!(note, "send: {other:?}");
            return Err(Fail {
                what: "request accepted",
                got: 0,
                want: 1,
            });
        }
    }
    let msg = inbox::wait(WAKEUPS).ok_or(Fail {
        what: "a reply received by the RX interrupt handler",
        got: 0,
        want: 1,
    })?;
    let _ = write!(note, "reply {:02x?}", msg.bytes());
    Ok(Answer {
        msg,
        rx_interrupts: irq::count(rx) - before,
    })
}
