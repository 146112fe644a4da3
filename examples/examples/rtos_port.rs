//! The RTOS port pattern on the host: `examples/rtos_port/port.rs` (the half a porter copies
//! unchanged) on the simulated hypervisor, with a thread playing the resource manager.
//!
//! ```sh
//! cargo run -p gunyah-msgq-examples --example rtos_port
//! ```
//!
//! The platform half here, and what the aarch64 guest (`qemu-tests/tests/rtos_port.rs`) does
//! instead:
//! - critical section: `critical-section/std` (the guest: `gunyah-msgq-hvc`'s
//!   `critical-section-single-core`);
//! - discovery: none to make (the guest: `Smccc.probe()`);
//! - the device tree: written here with the RM node the real resource manager writes, carrying
//!   the simulated link's capabilities (the guest: the tree the hypervisor passes in x0);
//! - IRQ lines: the simulated link's two lines, found by INTID (the guest: `GicLine`s);
//! - interrupt vectors: the lines' handlers call the port's `on_rx_irq` / `on_tx_irq`;
//! - delay: `StdDelay` (the guest: the generic timer).

#[path = "../rtos_port/port.rs"]
mod port;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use gunyah_msgq::{CapId, SendFlags};
use gunyah_msgq_mock::{
    Endpoint, Guest, LinkConfig, MockHypervisor, MockIrq, StdDelay, model::VmId,
};
use port::{Inbox, LinkSlot, RpcHeader, VM_GET_VMID};
use zerocopy::{FromBytes, IntoBytes};

/// The statics a port keeps: the link, once built, and the RX handler's inbox.
static LINK: LinkSlot<Guest, MockIrq> = LinkSlot::new();
static INBOX: Inbox = Inbox::new();

/// The INTIDs the resource manager gives the link under QEMU (SPIs 928 and 929).
const TX_INTID: u32 = 960;
const RX_INTID: u32 = 961;
/// The VM id the simulated resource manager answers with.
const OUR_VMID: u16 = 3;

/// The resource manager's node, as the real one writes it (`shared/gunyah-real/README.md`),
/// with the simulated link's capabilities.
fn rm_tree(tx: CapId, rx: CapId) -> Result<Vec<u8>, vm_fdt::Error> {
    let cells = |cap: CapId| [(cap.0 >> 32) as u32, cap.0 as u32];
    let mut w = vm_fdt::FdtWriter::new()?;
    let root = w.begin_node("")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    let hyp = w.begin_node("hypervisor")?;
    w.property_string_list(
        "compatible",
        vec!["gunyah-hypervisor".into(), "simple-bus".into()],
    )?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 0)?;
    let rm = w.begin_node("qcom,resource-manager-rpc@0")?;
    w.property_string_list(
        "compatible",
        vec![
            "gunyah-resource-manager".into(),
            "qcom,resource-manager-1-0".into(),
            "qcom,resource-manager".into(),
        ],
    )?;
    let [tx_hi, tx_lo] = cells(tx);
    let [rx_hi, rx_lo] = cells(rx);
    w.property_array_u32("reg", &[tx_hi, tx_lo, rx_hi, rx_lo])?;
    w.property_array_u32("interrupts", &[0, TX_INTID - 32, 1, 0, RX_INTID - 32, 1])?;
    for name in ["qcom,tx-message-size", "qcom,rx-message-size"] {
        w.property_u32(name, 240)?;
    }
    for name in ["qcom,tx-queue-depth", "qcom,rx-queue-depth"] {
        w.property_u32(name, 8)?;
    }
    w.property_null("qcom,is-full-duplex")?;
    w.property_u32("qcom,free-irq-start", 960)?;
    w.end_node(rm)?;
    w.end_node(hyp)?;
    w.end_node(root)?;
    w.finish()
}

/// The resource manager's side of the link: answers `VM_GET_VMID` until told to stop.
fn resource_manager(rm: &Endpoint, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(Some(request)) = rm.recv() else {
            thread::sleep(Duration::from_micros(50));
            continue;
        };
        let Ok((header, _)) = RpcHeader::read_from_prefix(&request) else {
            continue;
        };
        let mut reply = RpcHeader::reply_to(&header).as_bytes().to_vec();
        if header.msg_id.get() == VM_GET_VMID {
            reply.extend_from_slice(&0u32.to_le_bytes());
            reply.extend_from_slice(&u32::from(OUR_VMID).to_le_bytes());
        } else {
            reply.extend_from_slice(&u32::MAX.to_le_bytes());
        }
        // The guest's RX queue may be full: retry until it drains.
        while !stop.load(Ordering::Relaxed) && rm.send(&reply, SendFlags::PUSH).x0 != 0 {
            thread::sleep(Duration::from_micros(50));
        }
    }
}

/// Brings the link up and asks for the VM id `requests` times.
fn run(requests: u16) -> Result<(), String> {
    let hyp = MockHypervisor::threaded();
    let vms = hyp
        .link(VmId(OUR_VMID), VmId(0), &LinkConfig::RM_LINK)
        .map_err(|e| e.to_string())?;
    let (guest, rm) = (vms.a, vms.b);

    // The "interrupt vectors": each line's handler calls the port, once the link is up.
    guest.tx_irq().set_handler(|| {
        if let Some(link) = LINK.try_get() {
            port::on_tx_irq(link);
        }
    });
    guest.rx_irq().set_handler(|| {
        if let Some(link) = LINK.try_get() {
            port::on_rx_irq(link, &INBOX);
        }
    });

    let stop = Arc::new(AtomicBool::new(false));
    let rm_thread = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || resource_manager(&rm, &stop))
    };

    let result = (|| {
        let dtb = rm_tree(guest.tx_cap(), guest.rx_cap()).map_err(|e| e.to_string())?;
        let lines = [
            (TX_INTID, guest.tx_irq().clone()),
            (RX_INTID, guest.rx_irq().clone()),
        ];
        let link = port::bring_up(&LINK, &INBOX, guest.guest(), &dtb, |intid, _trigger| {
            lines
                .iter()
                .find(|(id, _)| *id == intid)
                .map(|(_, line)| line.clone())
        })
        .map_err(|e| e.to_string())?;
        for seq in 0..requests {
            let vmid = port::get_vmid(link, &INBOX, &mut StdDelay, seq, 1_000_000)
                .map_err(|e| format!("request {seq}: {e}"))?;
            if vmid != OUR_VMID {
                return Err(format!("request {seq}: VM id {vmid}, expected {OUR_VMID}"));
            }
        }
        link.shutdown();
        Ok(())
    })();

    stop.store(true, Ordering::Relaxed);
    let _ = rm_thread.join();
    hyp.shutdown();
    result?;
    if INBOX.dropped() + INBOX.unexpected() + INBOX.stuck() != 0 {
        return Err(format!(
            "{} dropped, {} unexpected, {} stuck",
            INBOX.dropped(),
            INBOX.unexpected(),
            INBOX.stuck()
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    const REQUESTS: u16 = 100;
    match run(REQUESTS) {
        Ok(()) => {
            println!("rtos_port: {REQUESTS} VM_GET_VMID requests answered (VM id {OUR_VMID})");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rtos_port: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_port_talks_to_the_resource_manager() {
        // One run per process: the link lives in a `static`, as on a guest.
        super::run(20).unwrap();
    }
}
