//! Test messages stamped with a sequence number and a body derived from it, so that a
//! receiver can tell lost, duplicated, reordered and corrupted messages apart without keeping
//! a copy of what was sent.

/// The shortest stamped message: the 4-byte little-endian sequence number.
pub const MIN_STAMPED_LEN: usize = 4;

/// The body byte at `index` of a message of `len` bytes: a function of all three, so a
/// message cut short, shifted or mixed with another one fails [`verify`].
#[must_use]
pub fn body_byte(seq: u32, len: usize, index: usize) -> u8 {
    let mixed = seq
        .wrapping_mul(0x9E37_79B9)
        .wrapping_add((index as u32).wrapping_mul(31))
        .wrapping_add(len as u32);
    (mixed >> 24) as u8 ^ mixed as u8
}

/// Writes the message `seq` of `len` bytes (`MIN_STAMPED_LEN..=buf.len()`) into `buf` and
/// returns it. A shorter `len` is raised to [`MIN_STAMPED_LEN`]; a longer one is cut to
/// `buf.len()`.
pub fn stamp(seq: u32, len: usize, buf: &mut [u8]) -> &[u8] {
    let len = len
        .clamp(MIN_STAMPED_LEN, buf.len().max(MIN_STAMPED_LEN))
        .min(buf.len());
    let msg = &mut buf[..len];
    let (head, body) = msg.split_at_mut(MIN_STAMPED_LEN.min(len));
    head.copy_from_slice(&seq.to_le_bytes()[..head.len()]);
    for (i, byte) in body.iter_mut().enumerate() {
        *byte = body_byte(seq, len, i);
    }
    msg
}

/// The sequence number of a stamped message, or `None` if it is not one (too short, or a body
/// that does not match its stamp).
#[must_use]
pub fn verify(msg: &[u8]) -> Option<u32> {
    let (head, body) = msg.split_at_checked(MIN_STAMPED_LEN)?;
    let seq = u32::from_le_bytes(head.try_into().ok()?);
    body.iter()
        .enumerate()
        .all(|(i, &b)| b == body_byte(seq, msg.len(), i))
        .then_some(seq)
}

/// A message of exactly `len` bytes (any `len`, even below [`MIN_STAMPED_LEN`]) whose every
/// byte depends on `len`, for round trips of every size.
pub fn patterned(len: usize, buf: &mut [u8]) -> &[u8] {
    let msg = &mut buf[..len];
    for (i, byte) in msg.iter_mut().enumerate() {
        *byte = body_byte(u32::MAX, len, i);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamped_round_trip() {
        let mut buf = [0u8; 64];
        for len in MIN_STAMPED_LEN..=64 {
            let msg = stamp(7 + len as u32, len, &mut buf);
            assert_eq!(msg.len(), len);
            assert_eq!(verify(msg), Some(7 + len as u32));
        }
    }

    #[test]
    fn corruption_is_detected() {
        let mut buf = [0u8; 32];
        let msg = stamp(42, 32, &mut buf).to_vec();
        for i in MIN_STAMPED_LEN..32 {
            let mut bad = msg.clone();
            bad[i] ^= 1;
            assert_eq!(verify(&bad), None, "flip at {i}");
        }
        assert_eq!(verify(&msg[..31]), None, "truncated");
        assert_eq!(verify(&msg[..3]), None, "shorter than a stamp");
    }

    #[test]
    fn patterned_depends_on_length() {
        let mut a = [0u8; 16];
        let mut b = [0u8; 16];
        assert_ne!(patterned(8, &mut a)[..8], patterned(9, &mut b)[..8]);
        assert_eq!(patterned(0, &mut a).len(), 0);
    }
}
