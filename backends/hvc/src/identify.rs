//! What the hypervisor says about itself: `hypervisor_identify`, SMCCC `CALL_UID` and
//! `REVISION`, decoded from their output registers (spec §1, §5).

use crate::call::Regs;
use gunyah_msgq::abi;

/// The `api_info` word of `hypervisor_identify` (also the answer to SMCCC `REVISION`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ApiInfo(pub u64);

impl ApiInfo {
    /// The API version this crate speaks.
    pub const SUPPORTED_VERSION: u16 = 1;

    /// The raw word.
    #[must_use]
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// The API version (bits 13:0; the API document's mask 0x1FFF is one bit short).
    #[must_use]
    pub const fn version(self) -> u16 {
        (self.0 & 0x3FFF) as u16
    }

    /// The hypervisor's ABI is big-endian (bit 14).
    #[must_use]
    pub const fn big_endian(self) -> bool {
        self.0 & (1 << 14) != 0
    }

    /// The hypervisor's ABI is 64-bit (bit 15).
    #[must_use]
    pub const fn is_64bit(self) -> bool {
        self.0 & (1 << 15) != 0
    }

    /// The build variant (bits 63:56).
    #[must_use]
    pub const fn variant(self) -> Variant {
        Variant::from_raw((self.0 >> 56) as u8)
    }
}

/// The build variant of `api_info` (bits 63:56).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// 0x48 (`'H'`): what the API document names.
    Gunyah,
    /// 0x51 (`'Q'`): what the public source builds and the real hypervisor answered.
    Qualcomm,
    /// Any other value, kept as returned.
    Other(u8),
}

impl Variant {
    /// Decodes the variant byte.
    #[must_use]
    pub const fn from_raw(raw: u8) -> Variant {
        match raw {
            0x48 => Variant::Gunyah,
            0x51 => Variant::Qualcomm,
            other => Variant::Other(other),
        }
    }

    /// The variant byte.
    #[must_use]
    pub const fn raw(self) -> u8 {
        match self {
            Variant::Gunyah => 0x48,
            Variant::Qualcomm => 0x51,
            Variant::Other(raw) => raw,
        }
    }
}

/// The feature flags of `hypervisor_identify` (`x1`-`x3`: `flags[0..3]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Features(pub [u64; 3]);

impl Features {
    /// Bit 1 of `flags[0]`.
    pub const DOORBELL: u64 = 1 << 1;
    /// Bit 2 of `flags[0]`.
    pub const MSGQUEUE: u64 = 1 << 2;
    /// Bit 3 of `flags[0]`.
    pub const VIC: u64 = 1 << 3;
    /// Bit 5 of `flags[0]`.
    pub const VCPU: u64 = 1 << 5;
    /// Bit 6 of `flags[0]`.
    pub const MEMEXTENT: u64 = 1 << 6;
    /// Bit 11 of `flags[0]`.
    pub const VCPU_RUN: u64 = 1 << 11;

    /// The three raw flag words.
    #[must_use]
    pub const fn raw(self) -> [u64; 3] {
        self.0
    }

    /// Whether every bit of `mask` is set in `flags[0]`.
    #[must_use]
    pub const fn has(self, mask: u64) -> bool {
        self.0[0] & mask == mask
    }

    /// Doorbells are available.
    #[must_use]
    pub const fn doorbell(self) -> bool {
        self.has(Self::DOORBELL)
    }

    /// Message queues are available: what this crate needs.
    #[must_use]
    pub const fn msgqueue(self) -> bool {
        self.has(Self::MSGQUEUE)
    }

    /// The virtual interrupt controller API is available.
    #[must_use]
    pub const fn vic(self) -> bool {
        self.has(Self::VIC)
    }

    /// The vCPU API is available.
    #[must_use]
    pub const fn vcpu(self) -> bool {
        self.has(Self::VCPU)
    }

    /// Memory extents are available.
    #[must_use]
    pub const fn memextent(self) -> bool {
        self.has(Self::MEMEXTENT)
    }

    /// `vcpu_run` (a proxy-scheduled VM's host runs its vCPUs) is available.
    #[must_use]
    pub const fn vcpu_run(self) -> bool {
        self.has(Self::VCPU_RUN)
    }
}

/// The answer of `hypervisor_identify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    /// `x0`: version, endianness, width, variant.
    pub api: ApiInfo,
    /// `x1`-`x3`.
    pub features: Features,
}

impl Identity {
    /// Decodes identify's output registers. `hypervisor_identify` has no error word; an
    /// `x0` whose low 32 bits are -1 is the "unknown call" answer (no Gunyah `api_info` has
    /// them all set), reported as `None`.
    #[must_use]
    pub const fn decode(out: &Regs) -> Option<Identity> {
        if abi::error_code(out[0]) == -1 {
            return None;
        }
        Some(Identity {
            api: ApiInfo(out[0]),
            features: Features([out[1], out[2], out[3]]),
        })
    }
}

/// Which Gunyah UUID `CALL_UID` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GunyahUid {
    /// `c1d58fcd-a453-5fdb-9265-ce36673d5f14`: the public hypervisor, upstream Linux.
    Standard,
    /// `19bd54bd-0b37-571b-946f-609b54539de6`: "Qualcomm's version of Gunyah", also accepted
    /// by v13-era Linux.
    Qualcomm,
}

impl GunyahUid {
    /// The UUID as `CALL_UID` returns it: four little-endian 32-bit words in `w0`-`w3`.
    #[must_use]
    pub const fn words(self) -> [u32; 4] {
        match self {
            GunyahUid::Standard => [0xCD8F_D5C1, 0xDB5F_53A4, 0x36CE_6592, 0x145F_3D67],
            GunyahUid::Qualcomm => [0xBD54_BD19, 0x1B57_370B, 0x9B60_6F94, 0xE69D_5354],
        }
    }

    /// The UUID's 16 bytes in string order.
    #[must_use]
    pub const fn bytes(self) -> [u8; 16] {
        let [w0, w1, w2, w3] = self.words();
        let (a, b, c, d) = (
            w0.to_le_bytes(),
            w1.to_le_bytes(),
            w2.to_le_bytes(),
            w3.to_le_bytes(),
        );
        [
            a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], c[0], c[1], c[2], c[3], d[0], d[1],
            d[2], d[3],
        ]
    }
}

/// The answer of SMCCC `CALL_UID`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HypervisorUid {
    /// One of the two Gunyah UUIDs.
    Gunyah(GunyahUid),
    /// `w0` = -1: the hypervisor does not implement `CALL_UID` (it may still be a Gunyah older
    /// than its SMCCC interface: see [`Conduit::probe_after_dt`](crate::Conduit::probe_after_dt)).
    Unimplemented,
    /// Another hypervisor's UUID, as the four words `w0`-`w3`.
    Other([u32; 4]),
}

impl HypervisorUid {
    /// Decodes `CALL_UID`'s output registers. Only the low 32 bits of `x0`-`x3` count, as in
    /// SMCCC and Linux.
    #[must_use]
    pub const fn decode(out: &Regs) -> HypervisorUid {
        let words = [out[0] as u32, out[1] as u32, out[2] as u32, out[3] as u32];
        if words[0] == u32::MAX {
            HypervisorUid::Unimplemented
        } else if eq4(words, GunyahUid::Standard.words()) {
            HypervisorUid::Gunyah(GunyahUid::Standard)
        } else if eq4(words, GunyahUid::Qualcomm.words()) {
            HypervisorUid::Gunyah(GunyahUid::Qualcomm)
        } else {
            HypervisorUid::Other(words)
        }
    }

    /// The Gunyah UUID seen, if any.
    #[must_use]
    pub const fn gunyah(self) -> Option<GunyahUid> {
        match self {
            HypervisorUid::Gunyah(uid) => Some(uid),
            _ => None,
        }
    }
}

const fn eq4(a: [u32; 4], b: [u32; 4]) -> bool {
    a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3]
}
