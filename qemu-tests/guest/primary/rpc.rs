//! One RM call over the link: a one-fragment request built by hand (header byte 0 0x21, byte 1
//! `fragments << 2 | type`, le16 seq, le32 msg_id), sent through the core with PUSH, and its
//! reply as the RX interrupt handler received it, matched on seq and msg_id (spec §6).
//!
//! Anything else the handler received meanwhile (an RM notification, say) is skipped and
//! counted: [`skipped`].

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};

use gunyah_msgq::{SendFlags, SendOutcome};

use super::inbox::{self, Msg};
use super::link::Link;
use crate::abi::rm::{Header, MsgType};
use crate::irq;
use crate::report::{Fail, Note};

/// How many interrupts (or returns from `wfi`) a reply may take.
const WAKEUPS: u32 = 1000;
/// How many other messages may come before the reply.
const MAX_SKIPPED: u32 = 16;

static SKIPPED: AtomicU32 = AtomicU32::new(0);

/// Messages received that were not the reply a call waited for.
pub fn skipped() -> u32 {
    SKIPPED.load(Ordering::Relaxed)
}

/// A reply and the RX interrupts its wait took.
pub struct Answer {
    /// The message.
    pub msg: Msg,
    /// RX interrupts taken between the send and the reply.
    pub rx_interrupts: u32,
    /// Other messages received meanwhile.
    pub skipped: u32,
}

/// Whether `msg` is the reply to (`seq`, `msg_id`).
fn is_reply(msg: &Msg, seq: u16, msg_id: u32) -> bool {
    Header::decode(msg.bytes())
        .is_some_and(|h| h.kind == MsgType::Reply && h.seq == seq && h.msg_id == msg_id)
}

/// Sends the request (`seq`, `msg_id`, no payload) and waits for its reply.
///
/// # Errors
/// The send was not accepted, or no reply came.
pub fn call(link: &Link, seq: u16, msg_id: u32, note: &mut Note) -> Result<Answer, Fail> {
    let before = irq::count(link.config.rx.intid);
    send(link, seq, msg_id, note)?;
    reply(link, seq, msg_id, before, note)
}

/// Sends the request (`seq`, `msg_id`, no payload) with PUSH.
///
/// # Errors
/// The core or the hypervisor did not accept it.
pub fn send(link: &Link, seq: u16, msg_id: u32, note: &mut Note) -> Result<(), Fail> {
    let request = Header::request(seq, msg_id).encode();
    let _ = write!(note, "request {request:02x?}; ");
    match link.queue.try_send(&request, SendFlags::PUSH) {
        Ok(SendOutcome::Sent { .. }) => Ok(()),
        other => {
            let _ = write!(note, "send: {other:?}");
            Err(Fail {
                what: "request accepted",
                got: 0,
                want: 1,
            })
        }
    }
}

/// Waits for the reply to (`seq`, `msg_id`); `rx_before` is the RX interrupt count before the
/// request was sent.
///
/// # Errors
/// No reply came.
pub fn reply(
    link: &Link,
    seq: u16,
    msg_id: u32,
    rx_before: u32,
    note: &mut Note,
) -> Result<Answer, Fail> {
    let mut skipped = 0;
    loop {
        let msg = inbox::wait(WAKEUPS).ok_or(Fail {
            what: "a reply received by the RX interrupt handler",
            got: 0,
            want: 1,
        })?;
        if is_reply(&msg, seq, msg_id) {
            let _ = write!(note, "reply {:02x?}", msg.bytes());
            return Ok(Answer {
                msg,
                rx_interrupts: irq::count(link.config.rx.intid) - rx_before,
                skipped,
            });
        }
        let _ = write!(
            note,
            "skipped {:02x?}; ",
            &msg.bytes()[..msg.bytes().len().min(8)]
        );
        skipped += 1;
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        if skipped == MAX_SKIPPED {
            return Err(Fail {
                what: "the reply among the messages received",
                got: u64::from(skipped),
                want: 0,
            });
        }
    }
}
