//! The baseline: the same hypercalls issued raw, as a hand-written driver would.
//!
//! It calls the [`Hypercall`] methods directly and checks what it must to use the answer
//! safely: the error word (low 32 bits of `x0`), the flag bytes, and that a received size fits
//! the buffer before slicing it. It keeps no state, takes no lock and counts nothing: whatever
//! the core does beyond this is what the benches measure.
//!
//! Every function is generic over the backend and `#[inline]`, like the core's methods, so
//! both sides are compiled into the bench binary the same way.

use gunyah_msgq::{CapId, Hypercall, IrqLine, SendFlags};

/// MSGQUEUE_EMPTY.
pub const MSGQUEUE_EMPTY: i32 = 60;
/// MSGQUEUE_FULL.
pub const MSGQUEUE_FULL: i32 = 61;
/// A reply the driver refuses (size 0 or larger than the buffer): not a hypervisor code.
pub const BAD_REPLY: i32 = i32::MIN;

/// A raw send's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Queued; `not_full` says the queue still has room.
    Queued {
        /// The queue still has room.
        not_full: bool,
    },
    /// MSGQUEUE_FULL: not queued.
    Full,
}

/// `msgq_send`, decoded by hand.
///
/// # Errors
/// The hypervisor's error code for anything but OK and FULL.
#[inline]
pub fn send<H: Hypercall>(hyp: &H, cap: CapId, msg: &[u8], flags: SendFlags) -> Result<Sent, i32> {
    let out = hyp.msgq_send(cap, msg, flags);
    match out.x0 as u32 as i32 {
        0 => Ok(Sent::Queued {
            not_full: out.x1 as u8 != 0,
        }),
        MSGQUEUE_FULL => Ok(Sent::Full),
        e => Err(e),
    }
}

/// `msgq_receive` into `buf`, decoded by hand: `Some((len, more))`, or `None` for EMPTY.
///
/// # Errors
/// The hypervisor's error code for anything but OK and EMPTY; [`BAD_REPLY`] for a size of 0
/// or larger than `buf`.
#[inline]
pub fn recv<H: Hypercall>(
    hyp: &H,
    cap: CapId,
    buf: &mut [u8],
) -> Result<Option<(usize, bool)>, i32> {
    let out = hyp.msgq_receive(cap, buf);
    match out.x0 as u32 as i32 {
        0 => {}
        MSGQUEUE_EMPTY => return Ok(None),
        e => return Err(e),
    }
    match usize::try_from(out.x1) {
        Ok(len) if len != 0 && len <= buf.len() => Ok(Some((len, out.x2 as u8 != 0))),
        _ => Err(BAD_REPLY),
    }
}

/// An RX interrupt handler's drain: receives until EMPTY or `more = false`, at most
/// `max_receives` times, handing each message to `on_msg`. Returns the messages delivered.
///
/// # Errors
/// As [`recv`], at the first failed receive.
#[inline]
pub fn drain<H: Hypercall>(
    hyp: &H,
    cap: CapId,
    buf: &mut [u8],
    max_receives: usize,
    mut on_msg: impl FnMut(&[u8]),
) -> Result<usize, i32> {
    let mut delivered = 0;
    for _ in 0..max_receives {
        let Some((len, more)) = recv(hyp, cap, buf)? else {
            break;
        };
        delivered += 1;
        on_msg(&buf[..len]);
        if !more {
            break;
        }
    }
    Ok(delivered)
}

/// A hand-written RX interrupt handler: acknowledges the line (the platform's part, which the
/// core's `on_rx_interrupt` does too), then [`drain`]s.
///
/// # Errors
/// As [`drain`].
#[inline]
pub fn on_rx_interrupt<H: Hypercall>(
    line: &impl IrqLine,
    hyp: &H,
    cap: CapId,
    buf: &mut [u8],
    max_receives: usize,
    on_msg: impl FnMut(&[u8]),
) -> Result<usize, i32> {
    line.acknowledge();
    drain(hyp, cap, buf, max_receives, on_msg)
}
