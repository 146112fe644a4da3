//! `VM_GET_HYP_RESOURCES` entries (spec §5): 44 packed little-endian bytes each.

use std::vec::Vec;

/// Length of one resource entry.
pub const ENTRY_LEN: usize = 44;

/// Resource types (spec §5; Android's 9 and 10 are not in the public RM).
pub mod kind {
    /// A doorbell's sending end.
    pub const DOORBELL_SOURCE: u8 = 0;
    /// A doorbell's receiving end.
    pub const DOORBELL: u8 = 1;
    /// A message queue the VM sends into (its TX capability).
    pub const MSGQ_TX: u8 = 2;
    /// A message queue the VM receives from (its RX capability).
    pub const MSGQ_RX: u8 = 3;
    /// A vCPU.
    pub const VCPU: u8 = 4;
    /// Virtual power management.
    pub const VPM: u8 = 5;
    /// A virtio-mmio device.
    pub const VIRTIO_MMIO: u8 = 6;
    /// A virtual RTC.
    pub const VRTC: u8 = 7;
    /// A watchdog.
    pub const WATCHDOG: u8 = 8;
}

/// One entry of the `VM_GET_HYP_RESOURCES` reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HypResource {
    /// The type (see [`kind`]).
    pub kind: u8,
    /// The VM at the other end (le16).
    pub partner_vmid: u16,
    /// The RM's handle of the resource (le32).
    pub handle: u32,
    /// The resource's label (le32).
    pub label: u32,
    /// The capability in the VM's cspace (le64).
    pub cap_id: u64,
    /// The RM's handle of the vIRQ (le32).
    pub virq_handle: u32,
    /// The vIRQ number, 0 for none (le32).
    pub virq: u32,
    /// Base address, for memory-backed resources (le64).
    pub base: u64,
    /// Size, for memory-backed resources (le64).
    pub size: u64,
}

impl HypResource {
    /// The entry's bytes: u8 type, u8 reserved (0), le16 partner VMID, le32 handle, le32 label,
    /// le64 cap ID, le32 vIRQ handle, le32 vIRQ, le64 base, le64 size.
    #[must_use]
    pub fn encode(&self) -> [u8; ENTRY_LEN] {
        let mut out = [0u8; ENTRY_LEN];
        out[0] = self.kind;
        out[2..4].copy_from_slice(&self.partner_vmid.to_le_bytes());
        out[4..8].copy_from_slice(&self.handle.to_le_bytes());
        out[8..12].copy_from_slice(&self.label.to_le_bytes());
        out[12..20].copy_from_slice(&self.cap_id.to_le_bytes());
        out[20..24].copy_from_slice(&self.virq_handle.to_le_bytes());
        out[24..28].copy_from_slice(&self.virq.to_le_bytes());
        out[28..36].copy_from_slice(&self.base.to_le_bytes());
        out[36..44].copy_from_slice(&self.size.to_le_bytes());
        out
    }
}

/// The reply data (after the RM error word): le32 count, then the entries.
#[must_use]
pub fn encode_list(entries: &[HypResource]) -> Vec<u8> {
    // More entries than a u32 counts cannot fit in one RM message anyway.
    let count = u32::try_from(entries.len()).unwrap_or(u32::MAX);
    let mut out = count.to_le_bytes().to_vec();
    for e in entries {
        out.extend_from_slice(&e.encode());
    }
    out
}
