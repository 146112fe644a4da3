//! The resource manager (RM) link of a primary VM, as the real hypervisor and RM set it up under
//! QEMU (`shared/gunyah-real/README.md`), and the RM RPC framing over it (spec §6).
//!
//! The device tree names the link in `/hypervisor/qcom,resource-manager-rpc@0`: `reg` = TX
//! capability, RX capability; `interrupts` = TX, then RX, each `<0 spi 1>` (GIC SPI, edge);
//! 240-byte messages, depth 8. The primary-VM variant of the model builds exactly this link
//! (with the public source's quirks, as the real hypervisor has them) and answers requests on
//! it as the RM did.

/// The capability the primary VM sends to the RM with (SEND only).
pub const TX_CAP: u64 = 0;
/// The capability the primary VM receives from the RM with (RECEIVE only).
pub const RX_CAP: u64 = 1;
/// The TX line's SPI number (`interrupts = <0 0x3a0 1>`).
pub const TX_SPI: u32 = 0x3A0;
/// The RX line's SPI number (`interrupts = <0 0x3a1 1>`).
pub const RX_SPI: u32 = 0x3A1;
/// The TX line's INTID (SPI + 32).
pub const TX_INTID: u32 = TX_SPI + 32;
/// The RX line's INTID (SPI + 32).
pub const RX_INTID: u32 = RX_SPI + 32;
/// Both queues' maximum message size.
pub const MSG_SIZE: usize = 240;
/// Both queues' depth.
pub const QUEUE_DEPTH: usize = 8;
/// The primary VM's VMID (`qcom,vmid = 3`), what `VM_GET_VMID` answers.
pub const PRIMARY_VMID: u16 = 3;

/// `VM_GET_VMID`: no payload; the reply's payload is the RM error word, then the le32 VMID.
pub const VM_GET_VMID: u32 = 0x5600_0024;

/// `VM_GET_HYP_RESOURCES` (spec §5): the request's payload is the le16 VMID and two bytes of
/// padding; the reply's payload is the RM error word, a le32 count and that many
/// [`RESOURCE_ENTRY_LEN`]-byte entries.
pub const VM_GET_HYP_RESOURCES: u32 = 0x5600_0020;
/// The length of one `VM_GET_HYP_RESOURCES` entry: u8 type, u8 reserved, le16 partner VMID,
/// le32 handle, le32 label, le64 capability, le32 vIRQ handle, le32 vIRQ, le64 base, le64 size.
pub const RESOURCE_ENTRY_LEN: usize = 44;
/// Entry type: a message queue this VM sends into.
pub const RESOURCE_MSGQ_TX: u8 = 2;
/// Entry type: a message queue this VM receives from.
pub const RESOURCE_MSGQ_RX: u8 = 3;
/// The resource manager's own VMID (`VMID_RM` in its public source), the partner of the
/// link's queues.
pub const RM_VMID: u16 = 0xFF;
/// The label the model gives the link's two queues in `VM_GET_HYP_RESOURCES`.
pub const RM_LINK_LABEL: u32 = 0;

/// RM error word: OK.
pub const RM_OK: u32 = 0;
/// RM error word: unimplemented (what an unknown msg_id is answered with).
pub const RM_ERROR_UNIMPLEMENTED: u32 = 0xFFFF_FFFF;
/// RM error word: a malformed request (the spec's `INVALID`, the source's `MSG_INVALID`).
pub const RM_ERROR_MSG_INVALID: u32 = 4;
/// RM error word: no VM with that VMID.
pub const RM_ERROR_VMID_INVALID: u32 = 13;

/// The header's length in bytes.
pub const HEADER_LEN: usize = 8;
/// Header byte 0: API version 1 (low nibble), 2 header words (high nibble). The RM drops
/// messages with anything else.
pub const HEADER_BYTE0: u8 = 0x21;
/// The most continuation fragments a message may announce (bits 7:2 of byte 1).
pub const MAX_FRAGMENTS: u8 = 0x3F;

/// Byte 1, bits 1:0: what a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgType {
    /// 0: a continuation fragment.
    Continuation = 0,
    /// 1: a request (VM → RM).
    Request = 1,
    /// 2: a reply (RM → VM); its payload starts with the le32 RM error word.
    Reply = 2,
    /// 3: a notification (RM → VM).
    Notification = 3,
}

impl MsgType {
    /// The type in bits 1:0 of `bits`.
    #[must_use]
    pub const fn from_bits(bits: u8) -> MsgType {
        match bits & 3 {
            0 => MsgType::Continuation,
            1 => MsgType::Request,
            2 => MsgType::Reply,
            _ => MsgType::Notification,
        }
    }
}

/// The 8-byte RM RPC header (little-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Byte 1, bits 1:0.
    pub kind: MsgType,
    /// Byte 1, bits 7:2: how many continuation fragments follow (0 for one-fragment messages).
    pub fragments: u8,
    /// Bytes 2-3: chosen by the requester, echoed in the reply.
    pub seq: u16,
    /// Bytes 4-7: the message id (0 is reserved).
    pub msg_id: u32,
}

impl Header {
    /// A one-fragment request.
    #[must_use]
    pub const fn request(seq: u16, msg_id: u32) -> Header {
        Header {
            kind: MsgType::Request,
            fragments: 0,
            seq,
            msg_id,
        }
    }

    /// The one-fragment reply to this message.
    #[must_use]
    pub const fn reply(self) -> Header {
        Header {
            kind: MsgType::Reply,
            fragments: 0,
            seq: self.seq,
            msg_id: self.msg_id,
        }
    }

    /// The header's bytes (`fragments` above [`MAX_FRAGMENTS`] is cut to its 6 bits).
    #[must_use]
    pub const fn encode(self) -> [u8; HEADER_LEN] {
        let seq = self.seq.to_le_bytes();
        let id = self.msg_id.to_le_bytes();
        [
            HEADER_BYTE0,
            (self.fragments & MAX_FRAGMENTS) << 2 | self.kind as u8,
            seq[0],
            seq[1],
            id[0],
            id[1],
            id[2],
            id[3],
        ]
    }

    /// The header at the start of `msg`; `None` if `msg` is shorter than [`HEADER_LEN`] or its
    /// byte 0 is not [`HEADER_BYTE0`].
    #[must_use]
    pub const fn decode(msg: &[u8]) -> Option<Header> {
        if msg.len() < HEADER_LEN || msg[0] != HEADER_BYTE0 {
            return None;
        }
        Some(Header {
            kind: MsgType::from_bits(msg[1]),
            fragments: msg[1] >> 2,
            seq: u16::from_le_bytes([msg[2], msg[3]]),
            msg_id: u32::from_le_bytes([msg[4], msg[5], msg[6], msg[7]]),
        })
    }
}
