//! Capability identifiers and send flags: the plain values a msgq hypercall takes.

/// A Gunyah capability identifier naming one message queue endpoint.
///
/// The hypervisor checks the rights behind it on every call: a TX capability needs the SEND
/// right, an RX capability the RECEIVE right. The resource manager hands a guest its TX
/// capability with SEND only and its RX capability with RECEIVE only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CapId(pub u64);

impl CapId {
    /// The hypervisor's invalid capability (`CSPACE_CAP_INVALID`, all ones).
    pub const INVALID: CapId = CapId(u64::MAX);

    /// The raw capability value passed in the hypercall's register.
    #[must_use]
    pub const fn raw(self) -> u64 {
        self.0
    }
}

/// Flags of `msgq_send` (a `u32` in the ABI).
///
/// Only bit 0, [`SendFlags::PUSH`], is defined. The other bits are reserved and cannot be set
/// through this type, so a reserved bit never reaches the hypervisor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SendFlags(u32);

impl SendFlags {
    /// No flags: the receiver's vIRQ fires only when its not-empty threshold is reached
    /// (by default on the empty → non-empty edge).
    pub const NONE: SendFlags = SendFlags(0);
    /// Raise the receiver's vIRQ whatever its threshold (ABI bit 0).
    pub const PUSH: SendFlags = SendFlags(1);

    /// The flags word as the hypercall takes it.
    #[must_use]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether PUSH is set.
    #[must_use]
    pub const fn push(self) -> bool {
        self.0 & Self::PUSH.0 != 0
    }

    /// PUSH if `push` is true, otherwise no flags.
    #[must_use]
    pub const fn with_push(push: bool) -> SendFlags {
        if push { Self::PUSH } else { Self::NONE }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_bits() {
        assert_eq!(SendFlags::NONE.bits(), 0);
        assert_eq!(SendFlags::PUSH.bits(), 1);
        assert!(SendFlags::PUSH.push());
        assert!(!SendFlags::NONE.push());
        assert_eq!(SendFlags::with_push(true), SendFlags::PUSH);
        assert_eq!(SendFlags::with_push(false), SendFlags::NONE);
        assert_eq!(SendFlags::default(), SendFlags::NONE);
    }

    #[test]
    fn cap_raw() {
        assert_eq!(CapId(0x1234).raw(), 0x1234);
        assert_eq!(CapId::INVALID.raw(), u64::MAX);
    }
}
