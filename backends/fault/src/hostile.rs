//! Hostile replies: what a buggy or malicious hypervisor may put in the output registers.
//!
//! A correct client decodes them into typed errors (or ignores them, for junk) and never
//! loses, duplicates or reorders an accepted message because of them.

use gunyah_msgq::RawOutput;
use gunyah_msgq::abi::{error_code, flag};

/// A reply that breaks, or bends, the msgq ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hostile {
    /// `msgq_receive` answers OK with a size `excess` bytes larger than the buffer it was given
    /// (an `excess` of 0 counts as 1: a size equal to the buffer would be a valid reply).
    ///
    /// **The inner call is not made**, so no message is consumed: the violation is the
    /// hypervisor lying about a message it does not hand over, and the stream stays intact
    /// for the loss checks. (Had the call been made, the reported message would be gone from
    /// the queue and a loss check could not tell the wrapper's fault from the client's.)
    /// A correct client reports `Error::Abi(SizeExceedsBuffer)` and keeps draining.
    OversizedReceive {
        /// How far past the buffer the reported size lies (saturating).
        excess: u64,
    },
    /// `msgq_receive` answers OK, size 0, not_empty: the public hypervisor's answer when the
    /// head message does not fit, which repeats for as long as it stays at the head. With
    /// [`When::ALWAYS`](crate::When::ALWAYS) it repeats forever (the quirk loop). The inner
    /// call is not made. A correct client ends the drain with `Error::RxStuck`.
    StuckReceive,
    /// The inner call is made, then `not_full` of an OK `msgq_send` reply is inverted. A
    /// correct client never wedges: a false "full" moves it to `Full`, where its next send
    /// still asks the hypervisor and learns the truth; a false "not full" costs one
    /// `WouldBlock` on the next send.
    LieNotFull,
    /// The inner call is made, then `not_empty` of an OK `msgq_receive` reply is inverted. A
    /// false "empty" ends a drain early: the rest waits for `poll_rx` (no new edge comes for
    /// messages already queued). A false "not empty" costs one EMPTY receive.
    LieNotEmpty,
    /// Junk where a correct decoder must not look: bits 32..64 of `x0`, bits 8..64 of each
    /// boolean, every bit of an output that is unused or, after an error, meaningless. The
    /// low 32 bits of `x0`, the low byte of each boolean and an OK receive's size are kept.
    /// Applies to whatever reply the call returns, injected or not.
    Junk,
    /// The call is not made and answers exactly these registers.
    Reply(RawOutput),
}

/// Junk for the upper half of `x0`.
pub(crate) const JUNK_X0: u64 = 0xDEAD_BEEF_0000_0000;
/// Junk for bits 8..64 of a boolean.
pub(crate) const JUNK_FLAG: u64 = 0xA5A5_A5A5_A5A5_A500;
/// Junk for a whole register the decoder must ignore.
pub(crate) const JUNK_ALL: u64 = 0x5A5A_5A5A_C3C3_C3C3;

/// Which output registers of a call hold booleans or sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `msgq_send`: x1 = not_full (boolean), x2 unused.
    Send,
    /// `msgq_receive`: x1 = size, x2 = not_empty (boolean).
    Receive,
    /// `msgq_flush`: x1 and x2 unused.
    Flush,
}

/// The OK reply of an oversized receive into a buffer of `capacity` bytes.
pub(crate) fn oversized(capacity: usize, excess: u64) -> RawOutput {
    let capacity = u64::try_from(capacity).unwrap_or(u64::MAX);
    RawOutput::received(capacity.saturating_add(excess.max(1)), false)
}

/// Inverts a boolean register's low byte, keeping its upper bits (which a decoder ignores).
///
/// Here and in [`junk`], the two parts of a register are added: they occupy disjoint bits, so
/// `+` is `|` (and `^`), but unlike `|` it has no mutation that gives the same value.
pub(crate) fn invert_flag(reg: u64) -> u64 {
    (reg & !0xFF) + u64::from(!flag(reg))
}

/// Inverts the boolean of an OK reply (`x1` for send, `x2` for receive). An error reply is
/// left alone: its booleans mean nothing, so there is nothing to lie about.
pub(crate) fn lie(out: &mut RawOutput, shape: Shape) {
    if error_code(out.x0) != 0 {
        return;
    }
    match shape {
        Shape::Send => out.x1 = invert_flag(out.x1),
        Shape::Receive => out.x2 = invert_flag(out.x2),
        Shape::Flush => {}
    }
}

/// Fills every bit a correct decoder must ignore with junk.
pub(crate) fn junk(out: &mut RawOutput, shape: Shape) {
    let ok = error_code(out.x0) == 0;
    out.x0 = (out.x0 & 0xFFFF_FFFF) + JUNK_X0;
    let keep_flag = |reg: u64| (reg & 0xFF) + JUNK_FLAG;
    match (shape, ok) {
        (Shape::Send, true) => {
            out.x1 = keep_flag(out.x1);
            out.x2 = JUNK_ALL;
        }
        (Shape::Receive, true) => out.x2 = keep_flag(out.x2),
        // After an error, and on flush, no output but the error word means anything.
        _ => {
            out.x1 = JUNK_ALL;
            out.x2 = JUNK_ALL;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gunyah_msgq::abi::{RecvReply, SendReply};
    use gunyah_msgq::{AbiViolation, Error, GunyahError};

    #[test]
    fn junk_is_invisible_to_the_core_decoder() {
        let cases = [
            (RawOutput::sent(true), Shape::Send),
            (RawOutput::sent(false), Shape::Send),
            (RawOutput::error(61), Shape::Send),
            (RawOutput::error(-1), Shape::Send),
            (RawOutput::error(0x7000_0000), Shape::Send),
        ];
        for (raw, shape) in cases {
            let mut j = raw;
            junk(&mut j, shape);
            assert_ne!(j, raw);
            assert_eq!(SendReply::try_from(j), SendReply::try_from(raw), "{raw:?}");
        }
        let cases = [
            RawOutput::received(5, true),
            RawOutput::received(5, false),
            RawOutput::error(60),
            RawOutput::error(-2),
            RawOutput::received(0, true),
        ];
        for raw in cases {
            let mut j = raw;
            junk(&mut j, Shape::Receive);
            assert_ne!(j, raw);
            assert_eq!(
                RecvReply::decode(j, 8),
                RecvReply::decode(raw, 8),
                "{raw:?}"
            );
        }
        let mut f = RawOutput::error(0);
        junk(&mut f, Shape::Flush);
        assert_eq!(error_code(f.x0), 0);
        assert_eq!(f.x1, JUNK_ALL);
    }

    #[test]
    fn junk_fills_exactly_the_ignored_bits() {
        let mut s = RawOutput::sent(true);
        junk(&mut s, Shape::Send);
        assert_eq!((s.x0, s.x1, s.x2), (JUNK_X0, JUNK_FLAG + 1, JUNK_ALL));
        let mut r = RawOutput::received(5, true);
        junk(&mut r, Shape::Receive);
        assert_eq!((r.x0, r.x1, r.x2), (JUNK_X0, 5, JUNK_FLAG + 1));
        let mut e = RawOutput::error(-1);
        junk(&mut e, Shape::Receive);
        assert_eq!(
            (e.x0, e.x1, e.x2),
            (JUNK_X0 + 0xFFFF_FFFF, JUNK_ALL, JUNK_ALL)
        );
        // Junk already in the upper bits is replaced, not merged.
        let mut twice = RawOutput::sent(false);
        junk(&mut twice, Shape::Send);
        junk(&mut twice, Shape::Send);
        assert_eq!(
            (twice.x0, twice.x1, twice.x2),
            (JUNK_X0, JUNK_FLAG, JUNK_ALL)
        );
    }

    #[test]
    fn lies_flip_only_ok_replies() {
        let mut s = RawOutput::sent(true);
        lie(&mut s, Shape::Send);
        assert_eq!(
            SendReply::try_from(s),
            Ok(SendReply::Accepted { not_full: false })
        );
        lie(&mut s, Shape::Send);
        assert_eq!(s, RawOutput::sent(true));
        let mut r = RawOutput::received(3, false);
        lie(&mut r, Shape::Receive);
        assert_eq!(r, RawOutput::received(3, true));
        let mut full = RawOutput::error(61);
        lie(&mut full, Shape::Send);
        assert_eq!(full, RawOutput::error(61));
        // Upper junk survives an inversion; only the low byte decides.
        assert_eq!(invert_flag(0xFF00), 0xFF01);
        assert_eq!(invert_flag(0xFF80), 0xFF00);
        assert_eq!(invert_flag(0), 1);
        assert_eq!(invert_flag(u64::MAX), !0xFF);
    }

    #[test]
    fn oversized_is_always_past_the_buffer() {
        // A slice is at most `isize::MAX` bytes long, so `+ excess` never saturates onto a real size.
        for (cap, excess) in [
            (8, 0),
            (8, 1),
            (8, u64::MAX),
            (isize::MAX as usize, u64::MAX),
        ] {
            let raw = oversized(cap, excess);
            assert!(matches!(
                RecvReply::decode(raw, cap),
                Err(Error::Abi(AbiViolation::SizeExceedsBuffer { .. }))
            ));
        }
        assert_eq!(GunyahError::check(error_code(oversized(8, 0).x0)), Ok(()));
    }
}
