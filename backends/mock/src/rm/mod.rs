//! A simulated resource manager (RM): the VM at the far end of a guest's RM link, speaking RM
//! RPC (spec §6) over the same mock queues and vIRQs a guest's `MsgQueue` uses.
//!
//! [`SimulatedRm::builder`] links a guest VM to the RM and returns the guest's [`Endpoint`]
//! with the RM; the guest builds its queue from the endpoint as on any mock link. The RM
//! receives what the guest sent on its own capability, reassembles multi-fragment requests,
//! and answers:
//! - `VM_GET_VMID` ([`VM_GET_VMID`]): RM OK and the configured VMID (default 3, as the real
//!   RM answered): `21 02 <seq> 24 00 00 56 00 00 00 00 03 00 00 00`;
//! - `VM_GET_HYP_RESOURCES` ([`VM_GET_HYP_RESOURCES`], request le16 VMID + le16 padding):
//!   le32 count and 44-byte [`HypResource`] entries: the guest's msgq TX (type 2) and RX
//!   (type 3) capabilities as the mock link created them, with vIRQ numbers that
//!   [`SimulatedRm::guest_irq`] maps back to the guest's real [`MockIrq`] lines, then any
//!   entries added with [`RmBuilder::resource`];
//! - anything else, `VM_GET_ID` ([`VM_GET_ID`]) included: RM error `0xFFFFFFFF`
//!   (unimplemented), `21 02 <seq> <msg_id> ff ff ff ff`, as the real RM answered an unknown
//!   call.
//!
//! Replies longer than one fragment go out as continuations (232 payload bytes each, the RM
//! error word counting), without PUSH, as the RM sends. A fragment that finds the guest's RX
//! queue full waits in an outbox, in order, until the guest makes room.
//!
//! Two ways to run it: [`SimulatedRm::serve_pending`] answers what is queued now, on the
//! caller's thread (for single-threaded tests); [`SimulatedRm::spawn`] starts a thread
//! woken by the RM's RX vIRQ (a request arrived) and TX vIRQ (room in the guest's queue), with
//! a clean stop ([`RmThread::stop`], or dropping it).
//!
//! Misbehaviour is injected per reply ([`Injection`], [`Misbehaviour`]); [`RmStats`] counts
//! what the RM did; [`SimulatedRm::send_notification`] pushes an RM notification.
//!
//! # Usage
//! ```
//! use gunyah_msgq::{RecvOutcome, SendFlags};
//! use gunyah_msgq_mock::MockHypervisor;
//! use gunyah_msgq_mock::rm::SimulatedRm;
//!
//! let hyp = MockHypervisor::new();
//! let (guest, rm) = SimulatedRm::builder().build(&hyp)?;
//! let q = guest.msg_queue::<240>()?;
//! // VM_GET_VMID, seq 7: 21 01 <seq> <msg_id>, no payload.
//! q.try_send(&[0x21, 0x01, 7, 0, 0x24, 0, 0, 0x56], SendFlags::PUSH)?;
//! rm.serve_pending();
//! let mut buf = [0; 240];
//! let RecvOutcome::Received { len, .. } = q.try_recv(&mut buf)? else { panic!("no reply") };
//! assert_eq!(buf[..len], [0x21, 0x02, 7, 0, 0x24, 0, 0, 0x56, 0, 0, 0, 0, 3, 0, 0, 0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Spec and the real RM
//! Where the spec (§5, §6) and the real RM (`shared/gunyah-real/README.md`) differ, this RM
//! does what the real one did:
//! - Header byte 1 is `continuations << 2 | type` in both; the README calls the field
//!   "fragments", but the real one-fragment reply carried 0 there (`21 02 ...`), so it counts
//!   continuations, as the spec says.
//! - `VM_GET_VMID` is sent with no payload at all (8 bytes) and answered with a le32 VMID
//!   after the error word (`00000000 03000000`); the spec does not describe the call. The
//!   VMID is a le16 written into that word (the upper bytes are 0).
//! - The error reply is the header and the error word only (12 bytes); the README shows the
//!   error word, the spec's framing gives the length.
//!
//! Choices of this simulation, not confirmed by either source:
//! - `VM_GET_ID` (0x56000010) is answered unimplemented: neither the spec nor the README says
//!   what its reply holds, so inventing one would let a client's guess pass.
//! - `VM_GET_HYP_RESOURCES` lists the RM link's own queues (the real RM may not: the guest finds
//!   that link in the device tree). vIRQ numbers are the INTIDs the real RM gave the RM link
//!   under QEMU (960 TX, 961 RX; configurable). The partner VMID is the RM's VM in the mock
//!   ([`RM_VM`], 0xFF). A VMID other than the configured one answers `VMID_INVALID` (13), a
//!   payload under 4 bytes `ARGUMENT_INVALID` (6), a list longer than one message `NOMEM` (1).
//! - Notifications carry seq 0 (the spec says to ignore it).
//! - Malformed fragments are dropped and counted, never answered: under 8 bytes, byte 0 not
//!   `0x21` (the RM drops those), a reply or notification type, msg_id 0 (reserved), more than
//!   62 continuations (the RM rejects them), a continuation without a partial request, or one
//!   whose seq, msg_id or count differ (the RM drops just that fragment). A new request
//!   abandons a partial one (counted in [`RmStats::abandoned`]).
//! - Not modelled: the RM's single pending reply per VM (a newer reply replacing an unsent
//!   older one) and its 256-notification bound; the outbox keeps everything, in order.
//!
//! [`Endpoint`]: crate::Endpoint
//! [`MockIrq`]: crate::MockIrq

mod misbehaviour;
mod resources;
mod server;
mod thread;
pub mod wire;

#[cfg(test)]
mod tests;

pub use misbehaviour::{Injection, Misbehaviour, Request, When};
pub use resources::{ENTRY_LEN, HypResource, encode_list, kind};
pub use server::{RM_VM, RmBuilder, RmStats, SimulatedRm, TooLong};
pub use thread::RmThread;

/// `VM_GET_VMID`: the caller's VMID.
pub const VM_GET_VMID: u32 = 0x5600_0024;
/// `VM_GET_HYP_RESOURCES`: a VM's resources as 44-byte entries (spec §5).
pub const VM_GET_HYP_RESOURCES: u32 = 0x5600_0020;
/// `VM_GET_ID`: answered unimplemented (see the module docs).
pub const VM_GET_ID: u32 = 0x5600_0010;

/// The VMID answered by default, as the real RM answered its primary VM.
pub const DEFAULT_VMID: u16 = 3;
/// The guest's TX vIRQ number by default: INTID 960 (SPI 928), as under the real RM.
pub const DEFAULT_TX_VIRQ: u32 = 960;
/// The guest's RX vIRQ number by default: INTID 961 (SPI 929), as under the real RM.
pub const DEFAULT_RX_VIRQ: u32 = 961;

/// RM error words (spec §6), the first le32 of every reply's payload.
pub mod error {
    /// Success.
    pub const OK: u32 = 0;
    /// The call is not implemented (the real RM's answer to an unknown msg_id).
    pub const UNIMPLEMENTED: u32 = 0xFFFF_FFFF;
    /// Out of memory.
    pub const NOMEM: u32 = 1;
    /// No resource.
    pub const NORESOURCE: u32 = 2;
    /// Denied.
    pub const DENIED: u32 = 3;
    /// Invalid.
    pub const INVALID: u32 = 4;
    /// Busy.
    pub const BUSY: u32 = 5;
    /// A bad argument.
    pub const ARGUMENT_INVALID: u32 = 6;
    /// A bad handle.
    pub const HANDLE_INVALID: u32 = 7;
    /// A bad VMID.
    pub const VMID_INVALID: u32 = 13;
}
