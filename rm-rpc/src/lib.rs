//! # gunyah-rm-rpc
//!
//! A `no_std`, allocation-free client of the Gunyah resource manager's RPC protocol (spec §6,
//! "RM RPC framing over msgq"), over any [`gunyah_msgq::Mailbox`]: the message queue pair of
//! the resource manager's link, or anything else that moves 240-byte messages. It is a
//! protocol layer, not a backend.
//!
//! | module | what |
//! |---|---|
//! | [`wire`] | the 8-byte header, message types, the size limits |
//! | [`fragment`] | [`Fragmenter`]: a payload into a first frame and up to 62 continuations, PUSH on the last |
//! | [`reassemble`] | [`Reassembler`]: frames back into messages, in a caller-provided buffer |
//! | [`error`] | [`RmError`] (the reply's RM error word) and [`RpcError`] (a call's failures) |
//! | [`client`] | [`Client`]: one request at a time, seq + msg_id matching, timeouts, notifications |
//! | `async_client` | `AsyncClient` (feature `async`): the same client over any `AsyncMailbox`, waiting as futures |
//! | [`calls`] | `VM_GET_VMID`, `VM_GET_HYP_RESOURCES` (as the core's [`LinkDesc`](gunyah_msgq::LinkDesc)s) |
//!
//! ```
//! # use core::cell::RefCell;
//! # use gunyah_msgq::{ErrorKind, ErrorType, Mailbox, RecvOutcome, SendFlags, SendOutcome};
//! # #[derive(Default)]
//! # struct RmLinkQueues(RefCell<Vec<Vec<u8>>>);
//! # impl ErrorType for RmLinkQueues { type Error = ErrorKind; }
//! # impl Mailbox for RmLinkQueues {
//! #     fn try_send(&self, msg: &[u8], _: SendFlags) -> Result<SendOutcome, ErrorKind> {
//! #         let mut reply = msg[..8].to_vec();
//! #         reply[1] = 2;
//! #         reply.extend([0, 0, 0, 0, 3, 0, 0, 0]);
//! #         self.0.borrow_mut().push(reply);
//! #         Ok(SendOutcome::Sent { not_full: true })
//! #     }
//! #     fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, ErrorKind> {
//! #         let Some(m) = self.0.borrow_mut().pop() else { return Ok(RecvOutcome::Empty) };
//! #         buf[..m.len()].copy_from_slice(&m);
//! #         Ok(RecvOutcome::Received { len: m.len(), more: false })
//! #     }
//! # }
//! # struct Clock;
//! # impl embedded_hal::delay::DelayNs for Clock { fn delay_ns(&mut self, _: u32) {} }
//! use gunyah_rm_rpc::{Client, ClientConfig};
//!
//! // `link`: the resource manager's queue pair (a `gunyah_msgq::MsgQueue` on a guest).
//! let link = RmLinkQueues::default();
//! let mut rm: Client<_, _, _, 1024> =
//!     Client::new(&link, Clock, ClientConfig::new(), |n| { let _ = n.msg_id; });
//! let vmid = rm.vm_get_vmid()?;
//! assert_eq!(vmid, 3);
//! # Ok::<(), gunyah_rm_rpc::RpcError<ErrorKind>>(())
//! ```
//!
//! ## Where the spec and the real resource manager differ
//! The real resource manager (`shared/gunyah-real/README.md`, observed on the open-source
//! hypervisor and resource manager of 2024-01-02) wins over the spec. What this crate found:
//! - **Header byte 1.** The spec: bits 7:2 are the *continuation count*. The real
//!   resource manager's description: `fragments << 2 | type`. The same field: a one-fragment
//!   request with 0 there was answered, so "fragments" counts the fragments after the first,
//!   not all of them ([`wire`] has the details).
//! - **`VM_GET_VMID` (`0x56000024`)** is not in the spec. The real resource manager answers it
//!   (no request payload) with a le32 VMID: `00000000 03000000`, VMID 3, a 16-byte message.
//! - **An unknown msg_id** is answered with RM error word `0xFFFFFFFF` and no more payload
//!   (a 12-byte message): the spec's "unimplemented", as [`RmError::Unimplemented`].
//! - **Error word 4** is `INVALID` in the spec and `MSG_INVALID` in the resource manager's
//!   source (a request of the wrong length): [`RmError::MsgInvalid`]. The spec's list ends at
//!   17; the source of the real build (bf31a9a) adds 18 `IN_USE`, 19 `IRQ_NOT_MAPPED` and
//!   20 `VM_STATE`, named here too (not observed).
//! - **Reassembly.** The spec follows Linux (abort a partial message on a continuation with
//!   another msg_id or count) and notes that the resource manager compares seq too. This
//!   crate compares all three ([`reassemble`]).
//! - **"Self" VMID.** The spec gives none for `VM_GET_HYP_RESOURCES`; the resource manager's
//!   source treats VMID 0 there as the hypervisor's. Use the VMID `VM_GET_VMID` returns
//!   ([`calls`]).
//! - **`VM_GET_ID` (`0x56000010`)** of the resource manager's headers answers identities, not
//!   the VMID; it is not typed ([`calls`] says why).
//!
//! ## What is not covered
//! Only the client side of requests and replies and the receipt of notifications: no
//! server side, no typed notifications, no other typed calls (memory sharing, VM
//! management, IRQ lending). A notification that arrives while no call or [`Client::poll`]
//! runs waits in the RX queue (the resource manager keeps at most 256 per VM).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub mod async_client;
pub mod calls;
pub mod client;
pub mod error;
pub mod fragment;
pub mod reassemble;
pub mod wire;

mod session;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_client::AsyncClient;
pub use calls::{HypResource, HypResources, ResourceType};
pub use client::{Client, ClientConfig, ClientStats, Notification};
pub use error::{RmError, RpcError};
pub use fragment::{Fragment, FragmentError, Fragmenter};
pub use reassemble::{Message, Progress, Pushed, ReassembleError, Reassembler};
pub use wire::{Header, MsgType, WireError};
