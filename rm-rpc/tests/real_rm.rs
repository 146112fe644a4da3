//! The exchanges the real resource manager had with a guest (`shared/gunyah-real/README.md`),
//! byte for byte, and the typed calls.
//!
//! The README gives the reply payloads (`00000000 03000000` for `VM_GET_VMID`, error word
//! `0xffffffff` for an unknown msg_id), the reply's size (16 bytes) and the header layout
//! (`0x21`, `fragments << 2 | type`, le16 seq, le32 msg_id): the frames below are built from
//! exactly that.

mod common;

use core::num::NonZeroU8;

use common::*;
use gunyah_msgq::{CapId, DescError, Direction, QueueDesc, RmLink, SendFlags, Trigger};
use gunyah_rm_rpc::calls::{
    DEFAULT_DEPTH, DEFAULT_MSG_SIZE, HypResources, RESOURCE_ENTRY_LEN, ResourceType,
    VM_GET_HYP_RESOURCES, VM_GET_ID, VM_GET_VMID,
};
use gunyah_rm_rpc::{Client, ClientConfig, RmError, RpcError};

/// The RM's 16-byte answer to `VM_GET_VMID` with seq `seq`: OK, VMID 3.
fn vmid_reply(seq: u16) -> Vec<u8> {
    let [s0, s1] = seq.to_le_bytes();
    vec![
        0x21, 0x02, s0, s1, 0x24, 0x00, 0x00, 0x56, // header: reply, no continuations
        0x00, 0x00, 0x00, 0x00, // RM error word: OK
        0x03, 0x00, 0x00, 0x00, // VMID 3
    ]
}

#[test]
fn vm_get_vmid_on_the_wire() {
    let rm = ScriptedRm::new();
    rm.queue_rx([vmid_reply(0)]);
    let (mut c, _) = client(&rm);
    assert_eq!(c.vm_get_vmid(), Ok(3));
    assert_eq!(
        rm.sent(),
        [vec![0x21, 0x01, 0x00, 0x00, 0x24, 0x00, 0x00, 0x56]]
    );
    assert_eq!(rm.sent_flags(), [SendFlags::PUSH]);
    assert_eq!(VM_GET_VMID, 0x5600_0024);
    // The second call: seq 1.
    rm.queue_rx([vmid_reply(1)]);
    assert_eq!(c.vm_get_vmid(), Ok(3));
    assert_eq!(
        rm.sent()[1],
        [0x21, 0x01, 0x01, 0x00, 0x24, 0x00, 0x00, 0x56]
    );
}

#[test]
fn an_unknown_msg_id_on_the_wire() {
    let rm = ScriptedRm::new();
    // 12 bytes: header, error word 0xffffffff, nothing else.
    rm.queue_rx([vec![
        0x21, 0x02, 0x00, 0x00, 0xEF, 0xBE, 0x00, 0x56, 0xFF, 0xFF, 0xFF, 0xFF,
    ]]);
    let (mut c, _) = client(&rm);
    assert_eq!(
        c.call(0x5600_BEEF, &[]),
        Err(RpcError::Rm(RmError::Unimplemented))
    );
    assert_eq!(
        rm.sent(),
        [vec![0x21, 0x01, 0x00, 0x00, 0xEF, 0xBE, 0x00, 0x56]]
    );
}

#[test]
fn vm_get_vmid_refuses_odd_replies() {
    for payload in [&[3, 0, 0][..], &[3, 0, 0, 0, 0], &[0, 0, 1, 0], &[]] {
        let rm = ScriptedRm::new();
        rm.queue_rx(reply(0, VM_GET_VMID, 0, payload));
        let (mut c, _) = client(&rm);
        assert_eq!(c.vm_get_vmid(), Err(RpcError::Malformed), "{payload:?}");
    }
    let rm = ScriptedRm::new();
    rm.queue_rx(reply(0, VM_GET_VMID, 0, &[0xFF, 0xFF, 0, 0]));
    let (mut c, _) = client(&rm);
    assert_eq!(c.vm_get_vmid(), Ok(0xFFFF));
    let rm = ScriptedRm::new();
    rm.queue_rx(reply(0, VM_GET_VMID, 5, &[]));
    let (mut c, _) = client(&rm);
    assert_eq!(c.vm_get_vmid(), Err(RpcError::Rm(RmError::Busy)));
}

/// One 44-byte entry.
#[allow(clippy::too_many_arguments)]
fn entry(
    kind: u8,
    partner: u16,
    handle: u32,
    label: u32,
    cap: u64,
    virq_handle: u32,
    virq: u32,
    base: u64,
    size: u64,
) -> Vec<u8> {
    let mut e = vec![kind, 0xEE];
    e.extend(partner.to_le_bytes());
    e.extend(handle.to_le_bytes());
    e.extend(label.to_le_bytes());
    e.extend(cap.to_le_bytes());
    e.extend(virq_handle.to_le_bytes());
    e.extend(virq.to_le_bytes());
    e.extend(base.to_le_bytes());
    e.extend(size.to_le_bytes());
    assert_eq!(e.len(), RESOURCE_ENTRY_LEN);
    e
}

fn msgq(kind: u8, partner: u16, label: u32, cap: u64, virq: u32) -> Vec<u8> {
    entry(kind, partner, 0, label, cap, 0, virq, 0, 0)
}

fn resources_payload(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut p = (entries.len() as u32).to_le_bytes().to_vec();
    for e in entries {
        p.extend_from_slice(e);
    }
    p
}

fn queue(direction: Direction, cap: u64, intid: u32) -> QueueDesc {
    QueueDesc::new(
        direction,
        CapId(cap),
        intid,
        Trigger::Edge,
        240,
        NonZeroU8::new(8).unwrap(),
    )
    .unwrap()
}

#[test]
fn vm_get_hyp_resources_on_the_wire() {
    let entries = [
        entry(4, 3, 1, 0, 0x30, 0, 0, 0, 0), // a vCPU
        msgq(2, 4, 1, 0x10, 970),            // label 1 TX to VM 4
        msgq(3, 5, 1, 0x12, 972),            // label 1 RX from VM 5: not a partner
        msgq(3, 4, 1, 0x11, 971),            // label 1 RX from VM 4
        msgq(3, 4, 2, 0x21, 975),            // label 2 RX only
        msgq(2, 4, 3, 0x31, 976),            // label 3 TX only
    ];
    let rm = ScriptedRm::new();
    rm.queue_rx(reply(
        0,
        VM_GET_HYP_RESOURCES,
        0,
        &resources_payload(&entries),
    ));
    let (mut c, _) = client(&rm);
    let resources = c.vm_get_hyp_resources(0x0103).unwrap();
    assert_eq!(
        rm.sent(),
        [vec![
            0x21, 0x01, 0x00, 0x00, 0x20, 0x00, 0x00, 0x56, 0x03, 0x01, 0x00, 0x00
        ]]
    );
    assert_eq!((resources.len(), resources.is_empty()), (6, false));
    let kinds: Vec<_> = resources.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            ResourceType::Vcpu,
            ResourceType::MsgqTx,
            ResourceType::MsgqRx,
            ResourceType::MsgqRx,
            ResourceType::MsgqRx,
            ResourceType::MsgqTx
        ]
    );
    let links: Vec<_> = resources.msgq_links().map(Result::unwrap).collect();
    assert_eq!(links.len(), 4);
    assert_eq!(links[0].label, 1);
    assert_eq!(links[0].tx, Some(queue(Direction::Tx, 0x10, 970)));
    assert_eq!(links[0].rx, Some(queue(Direction::Rx, 0x11, 971)));
    assert_eq!((links[1].label, links[1].tx), (1, None));
    assert_eq!(links[1].rx, Some(queue(Direction::Rx, 0x12, 972)));
    assert_eq!((links[2].label, links[2].tx), (2, None));
    assert_eq!(links[2].rx, Some(queue(Direction::Rx, 0x21, 975)));
    assert_eq!((links[3].label, links[3].rx), (3, None));
    assert_eq!(links[3].tx, Some(queue(Direction::Tx, 0x31, 976)));
    assert_eq!(resources.msgq_link(1), Some(Ok(links[0])));
    assert_eq!(resources.msgq_link(2), Some(Ok(links[2])));
    assert_eq!(resources.msgq_link(3), Some(Ok(links[3])));
    assert_eq!(resources.msgq_link(0), None, "label 0 is only a vCPU's");
    assert_eq!(resources.msgq_link(9), None);
    assert!(format!("{resources:?}").contains("Vcpu"));
}

#[test]
fn an_rx_entry_before_its_tx_partner() {
    let entries = [msgq(3, 4, 1, 0x11, 971), msgq(2, 4, 1, 0x10, 970)];
    let payload = resources_payload(&entries);
    let resources = HypResources::parse(&payload).unwrap();
    let links: Vec<_> = resources.msgq_links().map(Result::unwrap).collect();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].tx, Some(queue(Direction::Tx, 0x10, 970)));
    assert_eq!(links[0].rx, Some(queue(Direction::Rx, 0x11, 971)));
    assert_eq!(resources.msgq_link(1), Some(Ok(links[0])));
}

#[test]
fn every_field_of_an_entry() {
    let e = entry(
        6,
        0x0102,
        0x0304_0506,
        0x0708_090A,
        0x1112_1314_1516_1718,
        0x2122_2324,
        0x3132_3334,
        0x4142_4344_4546_4748,
        0x5152_5354_5556_5758,
    );
    let payload = resources_payload(&[e]);
    let r = HypResources::parse(&payload)
        .unwrap()
        .iter()
        .next()
        .unwrap();
    assert_eq!(r.kind, ResourceType::VirtioMmio);
    assert_eq!(r.partner_vmid, 0x0102);
    assert_eq!(r.handle, 0x0304_0506);
    assert_eq!(r.label, 0x0708_090A);
    assert_eq!(r.cap, CapId(0x1112_1314_1516_1718));
    assert_eq!(r.virq_handle, 0x2122_2324);
    assert_eq!(r.virq, 0x3132_3334);
    assert_eq!(r.base, 0x4142_4344_4546_4748);
    assert_eq!(r.size, 0x5152_5354_5556_5758);
    assert_eq!(r.queue_desc(), None);
}

#[test]
fn resource_types() {
    let named = [
        ResourceType::DoorbellSource,
        ResourceType::Doorbell,
        ResourceType::MsgqTx,
        ResourceType::MsgqRx,
        ResourceType::Vcpu,
        ResourceType::Vpm,
        ResourceType::VirtioMmio,
        ResourceType::Vrtc,
        ResourceType::Watchdog,
    ];
    for raw in 0..=255u8 {
        let t = ResourceType::from_raw(raw);
        assert_eq!(t.raw(), raw);
        match named.get(usize::from(raw)) {
            Some(n) => assert_eq!(t, *n),
            None => assert_eq!(t, ResourceType::Unknown(raw)),
        }
    }
}

#[test]
fn a_queue_without_a_virq() {
    let payload = resources_payload(&[msgq(2, 4, 1, 0x10, 0), msgq(3, 4, 1, 0x11, 971)]);
    let resources = HypResources::parse(&payload).unwrap();
    let bad = Err(DescError::BadIntid {
        direction: Direction::Tx,
        intid: 0,
    });
    assert_eq!(resources.msgq_links().collect::<Vec<_>>(), [bad]);
    assert_eq!(resources.msgq_link(1), Some(bad));
    let payload = resources_payload(&[msgq(2, 4, 1, 0x10, 970), msgq(3, 4, 1, 0x11, 1020)]);
    let resources = HypResources::parse(&payload).unwrap();
    assert_eq!(
        resources.msgq_link(1),
        Some(Err(DescError::BadIntid {
            direction: Direction::Rx,
            intid: 1020
        }))
    );
}

#[test]
fn replies_whose_count_and_entries_disagree() {
    let e = msgq(2, 4, 1, 0x10, 970);
    let mut two_claimed = resources_payload(std::slice::from_ref(&e));
    two_claimed[0] = 2;
    let mut short = resources_payload(std::slice::from_ref(&e));
    short.pop();
    let mut long = resources_payload(&[e]);
    long.push(0);
    for payload in [two_claimed, short, long, vec![0, 0, 0], vec![]] {
        assert!(HypResources::parse(&payload).is_none(), "{payload:?}");
        let rm = ScriptedRm::new();
        rm.queue_rx(reply(0, VM_GET_HYP_RESOURCES, 0, &payload));
        let (mut c, _) = client(&rm);
        assert_eq!(c.vm_get_hyp_resources(3).unwrap_err(), RpcError::Malformed);
    }
    let empty = HypResources::parse(&[0, 0, 0, 0]).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.msgq_links().count(), 0);
}

#[test]
fn vm_get_hyp_resources_errors() {
    let rm = ScriptedRm::new();
    rm.queue_rx(reply(0, VM_GET_HYP_RESOURCES, 6, &[]));
    let (mut c, _) = client(&rm);
    assert_eq!(
        c.vm_get_hyp_resources(0).unwrap_err(),
        RpcError::Rm(RmError::ArgumentInvalid)
    );
    // 30 entries need 1,328 bytes: more than a 1,024-byte buffer.
    let entries: Vec<_> = (0..30).map(|i| msgq(2, 4, i, 0x10, 970)).collect();
    let rm = ScriptedRm::new();
    rm.queue_rx(reply(
        0,
        VM_GET_HYP_RESOURCES,
        0,
        &resources_payload(&entries),
    ));
    let (mut c, _) = client(&rm);
    assert_eq!(
        c.vm_get_hyp_resources(3).unwrap_err(),
        RpcError::ReplyTooLarge { capacity: 1024 }
    );
}

#[test]
fn constants() {
    assert_eq!(VM_GET_HYP_RESOURCES, 0x5600_0020);
    assert_eq!(VM_GET_ID, 0x5600_0010);
    assert_eq!((DEFAULT_MSG_SIZE, DEFAULT_DEPTH.get()), (240, 8));
}

#[test]
fn a_config_for_the_links_tx_queue() {
    let small = QueueDesc::new(
        Direction::Tx,
        CapId(0),
        960,
        Trigger::Edge,
        100,
        NonZeroU8::new(8).unwrap(),
    )
    .unwrap();
    let link = RmLink::new(small, queue(Direction::Rx, 1, 961)).unwrap();
    let config = ClientConfig::for_link(&link);
    assert_eq!(config.tx_max_msg_size, 100);
    assert_eq!(
        (config.timeout_us, config.poll_us),
        (ClientConfig::new().timeout_us, ClientConfig::new().poll_us)
    );
    let rm = echo_rm(vec![]);
    let mut c: Client<_, _, _, 64> = Client::new(&rm, Clock::default(), config, |_| {});
    c.call(1, &[0; 200]).unwrap();
    let lens: Vec<_> = rm.sent().iter().map(Vec::len).collect();
    assert_eq!(lens, [100, 100, 24]);
}
