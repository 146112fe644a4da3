//! The pure msgq model: `no_std`, no allocation, no lock, no handler.
//!
//! - [`Msgq`]: one queue object with the send, receive, flush and configure semantics of the
//!   public hypervisor source (spec §4), in either [`Mode`].
//! - [`CSpace`]: capabilities with rights, per VM.
//! - [`Hyp`]: queues plus capabilities; dispatches the hypercalls of a VM.
//!
//! Every operation returns the hypervisor's output registers and the vIRQ signals it raised
//! ([`Output`], [`Dispatch`]); the owner of the interrupt lines applies them. The std layer of
//! this crate does that with threads and handlers; a bare-metal hypervisor model does it with
//! list registers, reusing this code unchanged.
//!
//! ```
//! use gunyah_msgq::SendFlags;
//! use gunyah_msgq_mock::model::{Hyp, QueueConfig, VmId};
//!
//! // Two queues of 8 × 240 bytes, 8 capabilities, all inline.
//! let mut hyp: Hyp<2, 8, 8, 240> = Hyp::new();
//! let ab = hyp.create_queue(QueueConfig::RM_LINK)?;
//! let ba = hyp.create_queue(QueueConfig::RM_LINK)?;
//! let link = hyp.connect(VmId(1), VmId(2), ab, ba)?;
//!
//! let d = hyp.send(VmId(1), link.a.tx_cap, b"ping", SendFlags::NONE);
//! assert_eq!(d.raw.x0, 0); // OK
//! assert!(d.edges.rx_asserted()); // 0 → 1 raises VM 2's RX vIRQ
//!
//! let mut buf = [0; 240];
//! let d = hyp.receive(VmId(2), link.b.rx_cap, &mut buf);
//! assert_eq!((d.raw.x1, d.raw.x2), (4, 0)); // size 4, now empty
//! # Ok::<(), gunyah_msgq_mock::model::HypError>(())
//! ```

mod config;
mod cspace;
mod hyp;
mod ids;
mod queue;
mod signal;
mod stats;
#[cfg(test)]
mod tests;

pub use config::{ConfigError, MAX_DEPTH, MAX_MSG_SIZE, Mode, QueueConfig, SmallBufferError};
pub use cspace::{CSpace, CapEntry, CspaceError, Object, Rights};
pub use hyp::{Dispatch, EndpointCaps, Hyp, HypError, LinkCaps};
pub use ids::{QueueId, VmId};
pub use queue::{HOLDOFF_UNCHANGED, Msgq, THRESHOLD_MAXIMUM, THRESHOLD_UNCHANGED};
pub use signal::{Edges, LineKind, LineSignal, Output};
pub use stats::{QueueSnapshot, QueueStats};
