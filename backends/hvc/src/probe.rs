//! Discovery: is this Gunyah, and does it have message queues (spec §5)?

use crate::conduit::Conduit;
use crate::identify::{ApiInfo, GunyahUid, HypervisorUid, Identity, Variant};
use core::fmt;

/// A Gunyah hypervisor with message queues, as discovery found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Gunyah {
    /// The UUID `CALL_UID` returned; `None` after
    /// [`probe_after_dt`](Conduit::probe_after_dt), which does not ask.
    pub uid: Option<GunyahUid>,
    /// What `hypervisor_identify` returned.
    pub identity: Identity,
}

/// Why discovery rejected the hypervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProbeError {
    /// `CALL_UID` answered no Gunyah UUID (or -1). No Gunyah hypercall was made.
    NotGunyah {
        /// What `CALL_UID` answered.
        uid: HypervisorUid,
    },
    /// `hypervisor_identify` answered -1 in this conduit's convention: a Gunyah without this
    /// convention (for example one older than its SMCCC interface: use `Native`).
    IdentifyUnimplemented,
    /// The API version is not 1.
    UnsupportedVersion {
        /// The version reported (bits 13:0 of `api_info`).
        version: u16,
        /// The build variant reported.
        variant: Variant,
    },
    /// API version 1, but the msgqueue feature bit (`flags[0]` bit 2) is clear.
    NoMsgQueue {
        /// What `hypervisor_identify` returned.
        identity: Identity,
    },
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::NotGunyah { uid } => {
                write!(f, "not a Gunyah hypervisor (CALL_UID: {uid:?})")
            }
            ProbeError::IdentifyUnimplemented => {
                f.write_str("hypervisor_identify is not implemented in this calling convention")
            }
            ProbeError::UnsupportedVersion { version, variant } => {
                write!(
                    f,
                    "unsupported Gunyah API version {version} (variant {variant:?})"
                )
            }
            ProbeError::NoMsgQueue { .. } => f.write_str("the hypervisor has no message queues"),
        }
    }
}

impl core::error::Error for ProbeError {}

/// `CALL_UID`, then identify.
pub(crate) fn probe<C: Conduit + ?Sized>(conduit: &C) -> Result<Gunyah, ProbeError> {
    match conduit.call_uid() {
        HypervisorUid::Gunyah(uid) => identify_checked(conduit, Some(uid)),
        uid => Err(ProbeError::NotGunyah { uid }),
    }
}

/// Identify, then the version and feature checks.
pub(crate) fn identify_checked<C: Conduit + ?Sized>(
    conduit: &C,
    uid: Option<GunyahUid>,
) -> Result<Gunyah, ProbeError> {
    let identity = conduit
        .hypervisor_identify()
        .map_err(|_| ProbeError::IdentifyUnimplemented)?;
    check(identity)?;
    Ok(Gunyah { uid, identity })
}

/// The version and feature checks of an identity.
fn check(identity: Identity) -> Result<(), ProbeError> {
    let api: ApiInfo = identity.api;
    if api.version() != ApiInfo::SUPPORTED_VERSION {
        return Err(ProbeError::UnsupportedVersion {
            version: api.version(),
            variant: api.variant(),
        });
    }
    if !identity.features.msgqueue() {
        return Err(ProbeError::NoMsgQueue { identity });
    }
    Ok(())
}
