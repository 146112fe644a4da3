//! Is this Gunyah with message queues? The spec's discovery order: CALL_UID, then identify
//! (SMCCC form only: native calls are never probed on an unknown hypervisor).

use crate::hvc;
use crate::msgq::identify_smccc;

/// CALL_UID of Gunyah (`c1d58fcd-a453-5fdb-9265-ce36673d5f14`).
pub const GUNYAH_UID: [u64; 4] = [0xCD8F_D5C1, 0xDB5F_53A4, 0x36CE_6592, 0x145F_3D67];
/// The UID v13-era Linux also accepted (`19bd54bd-0b37-571b-946f-609b54539de6`).
pub const LEGACY_UID: [u64; 4] = [0xBD54_BD19, 0x1B57_370B, 0x9B60_6F94, 0xE69D_5354];
const CALL_UID: u64 = 0x8600_FF01;

/// What the probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gunyah {
    /// The legacy UID answered.
    pub legacy_uid: bool,
    /// api_info.
    pub api_info: u64,
    /// flags[0].
    pub flags0: u64,
}

/// Why the probe says no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotGunyah {
    /// CALL_UID answered something else (x0 as answered).
    Uid(u64),
    /// identify answered an API version other than 1.
    Version(u64),
    /// No message queues (flags[0] bit 2 clear).
    NoMsgq(u64),
}

/// Probes the hypervisor.
pub fn probe() -> Result<Gunyah, NotGunyah> {
    let r = hvc::smccc([CALL_UID, 0, 0, 0, 0, 0, 0, 0]);
    let uid = [
        r[0] & 0xFFFF_FFFF,
        r[1] & 0xFFFF_FFFF,
        r[2] & 0xFFFF_FFFF,
        r[3] & 0xFFFF_FFFF,
    ];
    let legacy_uid = match uid {
        GUNYAH_UID => false,
        LEGACY_UID => true,
        _ => return Err(NotGunyah::Uid(r[0])),
    };
    let id = identify_smccc();
    if id[0] & 0x3FFF != 1 {
        return Err(NotGunyah::Version(id[0]));
    }
    if id[1] & (1 << 2) == 0 {
        return Err(NotGunyah::NoMsgq(id[1]));
    }
    Ok(Gunyah {
        legacy_uid,
        api_info: id[0],
        flags0: id[1],
    })
}
