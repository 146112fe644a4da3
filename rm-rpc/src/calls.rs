//! Typed calls: `VM_GET_VMID` and `VM_GET_HYP_RESOURCES`, on [`Client`] and (feature
//! `async`) on `AsyncClient`, which decode their replies alike.
//!
//! - [`Client::vm_get_vmid`] (`0x56000024`): the calling VM's own VMID. No request payload;
//!   the reply's payload is the le32 VMID. Not in the spec; the real resource manager
//!   answered it with `00000000 03000000` (OK, VMID 3 for the primary VM).
//! - [`Client::vm_get_hyp_resources`] (`0x56000020`, spec §5): the hypervisor resources a VM
//!   has, as [`HypResources`]; [`HypResources::msgq_links`] pairs its message queues into the
//!   core's [`LinkDesc`]s.
//!
//! **Which VMID means "self"?** None, for `VM_GET_HYP_RESOURCES`: the spec names no such
//! value, and in the resource manager's source (bf31a9a, not tried on the real one) the
//! request's VMID is looked up as given, and VMID 0 is the hypervisor's own. Ask with the
//! VMID [`Client::vm_get_vmid`] returns. (`VM_GET_ID`, below, is the call where 0 means the
//! caller.)
//!
//! **`VM_GET_ID` (`0x56000010`) is not typed here.** It is in neither the spec nor the real
//! resource manager's observations, and despite its name it does not return a VMID: in the
//! resource manager's source it answers a VM's identities (GUID, URI, name, signing
//! authority) as a variable list. [`VM_GET_VMID`] is the call the real resource manager
//! answered with the VMID. [`Client::call`] can send it.

use core::num::NonZeroU8;

use embedded_hal::delay::DelayNs;
use gunyah_msgq::{
    CapId, DescError, Direction, LinkDesc, Mailbox, QueueDesc, RM_MSG_SIZE, Trigger,
};
use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use crate::client::{Client, Notification};
use crate::error::RpcError;

/// `VM_GET_VMID`: the caller's VMID.
pub const VM_GET_VMID: u32 = 0x5600_0024;
/// `VM_GET_HYP_RESOURCES`: a VM's hypervisor resources.
pub const VM_GET_HYP_RESOURCES: u32 = 0x5600_0020;
/// `VM_GET_ID`: a VM's identities (see the [module docs](self) for why it is not typed).
pub const VM_GET_ID: u32 = 0x5600_0010;

/// The length of one `VM_GET_HYP_RESOURCES` entry.
pub const RESOURCE_ENTRY_LEN: usize = 44;
/// The maximum message size given to queues found by `VM_GET_HYP_RESOURCES`, which does not
/// say: the resource manager's 240.
pub const DEFAULT_MSG_SIZE: usize = RM_MSG_SIZE;
/// The depth given to queues found by `VM_GET_HYP_RESOURCES`, which does not say: the
/// resource manager's 8.
pub const DEFAULT_DEPTH: NonZeroU8 = match NonZeroU8::new(8) {
    Some(depth) => depth,
    None => NonZeroU8::MIN,
};

/// One entry on the wire (spec §5).
#[derive(Clone, Copy, FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawResource {
    kind: u8,
    reserved: u8,
    partner_vmid: U16,
    handle: U32,
    label: U32,
    cap: U64,
    virq_handle: U32,
    virq: U32,
    base: U64,
    size: U64,
}

const _: () = assert!(size_of::<RawResource>() == RESOURCE_ENTRY_LEN);

/// What a resource is (an entry's first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// 0: a doorbell this VM rings.
    DoorbellSource,
    /// 1: a doorbell this VM is rung by.
    Doorbell,
    /// 2: a message queue this VM sends into.
    MsgqTx,
    /// 3: a message queue this VM receives from.
    MsgqRx,
    /// 4: a vCPU.
    Vcpu,
    /// 5: a virtual power manager.
    Vpm,
    /// 6: a virtio-mmio device.
    VirtioMmio,
    /// 7: a virtual RTC.
    Vrtc,
    /// 8: a watchdog.
    Watchdog,
    /// Anything else (for example Android's 9 and 10).
    Unknown(u8),
}

impl ResourceType {
    /// The type of byte `raw`.
    #[must_use]
    pub const fn from_raw(raw: u8) -> ResourceType {
        match raw {
            0 => ResourceType::DoorbellSource,
            1 => ResourceType::Doorbell,
            2 => ResourceType::MsgqTx,
            3 => ResourceType::MsgqRx,
            4 => ResourceType::Vcpu,
            5 => ResourceType::Vpm,
            6 => ResourceType::VirtioMmio,
            7 => ResourceType::Vrtc,
            8 => ResourceType::Watchdog,
            other => ResourceType::Unknown(other),
        }
    }

    /// The byte.
    #[must_use]
    pub const fn raw(self) -> u8 {
        match self {
            ResourceType::DoorbellSource => 0,
            ResourceType::Doorbell => 1,
            ResourceType::MsgqTx => 2,
            ResourceType::MsgqRx => 3,
            ResourceType::Vcpu => 4,
            ResourceType::Vpm => 5,
            ResourceType::VirtioMmio => 6,
            ResourceType::Vrtc => 7,
            ResourceType::Watchdog => 8,
            ResourceType::Unknown(raw) => raw,
        }
    }
}

/// One hypervisor resource, as `VM_GET_HYP_RESOURCES` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HypResource {
    /// What it is.
    pub kind: ResourceType,
    /// The VM at its other end.
    pub partner_vmid: u16,
    /// The resource manager's handle for it.
    pub handle: u32,
    /// Its label: which service it is for.
    pub label: u32,
    /// Its capability.
    pub cap: CapId,
    /// The resource manager's handle for its vIRQ.
    pub virq_handle: u32,
    /// Its vIRQ as a GIC INTID (the numbers the resource manager hands out from
    /// `qcom,free-irq-start`, 960 on the real one; Linux reads them the same way); 0 = none.
    pub virq: u32,
    /// Its base address, for resources that have one.
    pub base: u64,
    /// Its size, for resources that have one.
    pub size: u64,
}

impl HypResource {
    fn from_raw(raw: &RawResource) -> HypResource {
        HypResource {
            kind: ResourceType::from_raw(raw.kind),
            partner_vmid: raw.partner_vmid.get(),
            handle: raw.handle.get(),
            label: raw.label.get(),
            cap: CapId(raw.cap.get()),
            virq_handle: raw.virq_handle.get(),
            virq: raw.virq.get(),
            base: raw.base.get(),
            size: raw.size.get(),
        }
    }

    /// The queue this entry describes, if it is a message queue: edge-triggered (as the
    /// resource manager declares every msgq vIRQ), [`DEFAULT_MSG_SIZE`]-byte messages,
    /// [`DEFAULT_DEPTH`] deep.
    ///
    /// # Errors
    /// [`DescError::BadIntid`] if its vIRQ is not an SPI's INTID (0, "none", included).
    pub fn queue_desc(&self) -> Option<Result<QueueDesc, DescError>> {
        let direction = match self.kind {
            ResourceType::MsgqTx => Direction::Tx,
            ResourceType::MsgqRx => Direction::Rx,
            _ => return None,
        };
        Some(QueueDesc::new(
            direction,
            self.cap,
            self.virq,
            Trigger::Edge,
            DEFAULT_MSG_SIZE,
            DEFAULT_DEPTH,
        ))
    }

    fn pairs_with(&self, other: &HypResource, kind: ResourceType) -> bool {
        other.kind == kind && other.label == self.label && other.partner_vmid == self.partner_vmid
    }
}

/// The reply of `VM_GET_HYP_RESOURCES`: its entries, borrowed from the reply.
///
/// ```
/// use gunyah_msgq::CapId;
/// use gunyah_rm_rpc::calls::{HypResources, ResourceType};
///
/// // One entry: a msgq TX (type 2) to VM 4, label 7, cap 0x10, vIRQ 970.
/// let mut reply = 1u32.to_le_bytes().to_vec();
/// reply.extend([2, 0]);
/// reply.extend(4u16.to_le_bytes());
/// reply.extend(0u32.to_le_bytes()); // handle
/// reply.extend(7u32.to_le_bytes()); // label
/// reply.extend(0x10u64.to_le_bytes()); // cap
/// reply.extend(0u32.to_le_bytes()); // vIRQ handle
/// reply.extend(970u32.to_le_bytes()); // vIRQ
/// reply.extend([0; 16]); // base, size
/// let resources = HypResources::parse(&reply).unwrap();
/// let entry = resources.iter().next().unwrap();
/// assert_eq!((entry.kind, entry.cap, entry.virq), (ResourceType::MsgqTx, CapId(0x10), 970));
///
/// let link = resources.msgq_link(7).unwrap()?;
/// assert_eq!(link.tx.map(|q| q.intid), Some(970));
/// assert_eq!(link.rx, None);
/// # Ok::<(), gunyah_msgq::DescError>(())
/// ```
#[derive(Clone, Copy)]
pub struct HypResources<'r> {
    entries: &'r [RawResource],
}

impl core::fmt::Debug for HypResources<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'r> HypResources<'r> {
    /// The entries of a reply's payload (after the RM error word): le32 count, then exactly
    /// that many 44-byte entries. `None` if the lengths do not agree.
    #[must_use]
    pub fn parse(payload: &'r [u8]) -> Option<HypResources<'r>> {
        let (count, rest) = payload.split_first_chunk::<4>()?;
        let entries = <[RawResource]>::ref_from_bytes(rest).ok()?;
        (usize::try_from(u32::from_le_bytes(*count)) == Ok(entries.len()))
            .then_some(HypResources { entries })
    }

    /// How many entries there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in the reply's order.
    pub fn iter(&self) -> impl Iterator<Item = HypResource> + use<'r> {
        self.entries.iter().map(HypResource::from_raw)
    }

    /// The message-queue links: a TX entry (type 2) and an RX entry (type 3) with the same
    /// label and partner VMID make one link (the spec's pairing rule, unverified); an entry
    /// without a partner of the other direction makes a one-way link. In the order of each
    /// link's first entry; each item is checked like [`HypResource::queue_desc`].
    pub fn msgq_links(&self) -> impl Iterator<Item = Result<LinkDesc, DescError>> + use<'r> {
        let all = *self;
        all.iter().filter_map(move |entry| match entry.kind {
            ResourceType::MsgqTx => Some(all.link_of(entry)),
            // An RX entry goes with its TX partner's link, if there is one.
            ResourceType::MsgqRx if all.partner(&entry, ResourceType::MsgqTx).is_none() => {
                Some(all.link_of(entry))
            }
            _ => None,
        })
    }

    /// The message-queue link with `label` (made from the first msgq entry with that label
    /// and its partner), if there is one.
    pub fn msgq_link(&self, label: u32) -> Option<Result<LinkDesc, DescError>> {
        self.iter()
            .find(|e| e.label == label && e.queue_desc().is_some())
            .map(|entry| self.link_of(entry))
    }

    /// The link of msgq `entry`: it and its partner of the other direction.
    fn link_of(&self, entry: HypResource) -> Result<LinkDesc, DescError> {
        let (tx, rx) = if entry.kind == ResourceType::MsgqTx {
            (Some(entry), self.partner(&entry, ResourceType::MsgqRx))
        } else {
            (self.partner(&entry, ResourceType::MsgqTx), Some(entry))
        };
        let tx = tx.and_then(|e| e.queue_desc()).transpose()?;
        let rx = rx.and_then(|e| e.queue_desc()).transpose()?;
        LinkDesc::new(entry.label, tx, rx)
    }

    /// The first entry of type `kind` that pairs with `entry`.
    fn partner(&self, entry: &HypResource, kind: ResourceType) -> Option<HypResource> {
        self.iter().find(|other| entry.pairs_with(other, kind))
    }
}

impl<M, D, N, const BUF: usize> Client<M, D, N, BUF>
where
    M: Mailbox,
    D: DelayNs,
    N: FnMut(Notification<'_>),
{
    /// `VM_GET_VMID`: this VM's VMID (3 for the primary VM on the real resource manager).
    ///
    /// # Errors
    /// Those of [`Client::call`]; [`RpcError::Malformed`] if the reply's payload is not a
    /// le32 VMID below 65,536.
    pub fn vm_get_vmid(&mut self) -> Result<u16, RpcError<M::Error>> {
        vmid_of(self.call(VM_GET_VMID, &[])?)
    }

    /// `VM_GET_HYP_RESOURCES` for `vmid` (this VM's own: the one
    /// [`vm_get_vmid`](Self::vm_get_vmid) returns; see the [module docs](self)). The request
    /// is the le16 VMID and two bytes of padding.
    ///
    /// # Errors
    /// Those of [`Client::call`] ([`RpcError::ReplyTooLarge`] if `BUF` cannot hold 8 bytes
    /// and 44 per entry); [`RpcError::Malformed`] if the count and the entries disagree.
    pub fn vm_get_hyp_resources(
        &mut self,
        vmid: u16,
    ) -> Result<HypResources<'_>, RpcError<M::Error>> {
        hyp_resources_of(self.call(VM_GET_HYP_RESOURCES, &hyp_resources_request(vmid))?)
    }
}

#[cfg(feature = "async")]
impl<M, D, N, const BUF: usize> crate::AsyncClient<M, D, N, BUF>
where
    M: gunyah_msgq::AsyncMailbox,
    D: embedded_hal_async::delay::DelayNs,
    N: FnMut(Notification<'_>),
{
    /// `VM_GET_VMID`, as [`Client::vm_get_vmid`].
    ///
    /// # Errors
    /// As [`Client::vm_get_vmid`].
    ///
    /// # Cancel safety
    /// As [`AsyncClient::call`](crate::AsyncClient::call).
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn vm_get_vmid(&mut self) -> Result<u16, RpcError<M::Error>> {
        vmid_of(self.call(VM_GET_VMID, &[]).await?)
    }

    /// `VM_GET_HYP_RESOURCES` for `vmid`, as [`Client::vm_get_hyp_resources`].
    ///
    /// # Errors
    /// As [`Client::vm_get_hyp_resources`].
    ///
    /// # Cancel safety
    /// As [`AsyncClient::call`](crate::AsyncClient::call).
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn vm_get_hyp_resources(
        &mut self,
        vmid: u16,
    ) -> Result<HypResources<'_>, RpcError<M::Error>> {
        let reply = self
            .call(VM_GET_HYP_RESOURCES, &hyp_resources_request(vmid))
            .await?;
        hyp_resources_of(reply)
    }
}

/// The VMID in a `VM_GET_VMID` reply's payload: a le32 below 65,536.
pub(crate) fn vmid_of<E>(reply: &[u8]) -> Result<u16, RpcError<E>> {
    let Ok(word) = <[u8; 4]>::try_from(reply) else {
        return Err(RpcError::Malformed);
    };
    u16::try_from(u32::from_le_bytes(word)).map_err(|_| RpcError::Malformed)
}

/// The payload of a `VM_GET_HYP_RESOURCES` request: the le16 VMID and two bytes of padding.
pub(crate) fn hyp_resources_request(vmid: u16) -> [u8; 4] {
    let [lo, hi] = vmid.to_le_bytes();
    [lo, hi, 0, 0]
}

/// The entries of a `VM_GET_HYP_RESOURCES` reply's payload.
pub(crate) fn hyp_resources_of<E>(reply: &[u8]) -> Result<HypResources<'_>, RpcError<E>> {
    HypResources::parse(reply).ok_or(RpcError::Malformed)
}
