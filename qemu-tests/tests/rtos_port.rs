//! The RTOS port on an aarch64 guest: the platform half of `examples/rtos_port/port.rs`, which
//! it includes unchanged (the host half, on the simulated hypervisor, is
//! `examples/examples/rtos_port.rs`; this one mirrors it).
//!
//! It meets the real resource manager's primary-VM contract (`shared/gunyah-real/README.md`):
//! a raw binary entered at 0x4100_0000, EL1, MMU off, x0 = the device tree, and no call of the
//! EL2 model's control ABI, so it boots unchanged under a real Gunyah build. The platform half:
//! - critical section: `gunyah-msgq-hvc`'s `critical-section-single-core` (one vCPU);
//! - discovery: `Smccc.probe()` before any other hypercall; if it fails, nothing else is called
//!   (the remaining checks are not run and the image fails);
//! - the device tree: the one in x0, read by `port::bring_up` (`gunyah-msgq-dt`). Under the
//!   model the runner builds it from QEMU's own `virt` tree plus the RM node (header flag
//!   `FLAG_QEMU_TREE`, see README.md); under a real Gunyah the RM adds that node itself;
//! - IRQ lines: `GicLine`s for the INTIDs and triggers the tree gives, on the GICv3 brought up
//!   as the primary-VM image does (`primary::gic_up`);
//! - interrupt vectors: the guest library's IRQ vector acknowledges each INTID and calls
//!   [`on_irq`], which hands the link's RX and TX INTIDs to `port::on_rx_irq` / `port::on_tx_irq`;
//! - delay: the generic timer ([`CounterDelay`]).
//!
//! Then the application: [`REQUESTS`] `VM_GET_VMID` requests through `port::get_vmid`, each
//! answer checked against the tree's `qcom,gunyah-vm` / `qcom,vmid` (the model's RM answers 3,
//! as the real one did), the inbox's counters, and a shutdown. One `case NAME: ...` line per
//! check, then `N passed, N failed`; the exit status (semihosting) is the verdict.
#![no_std]
#![no_main]

// The port is a file to copy unchanged, written for every platform: this one uses all of it but
// `RpcHeader::reply_to` (the resource manager's side, which the host half plays).
#[allow(dead_code)]
#[path = "../../examples/rtos_port/port.rs"]
mod port;

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};

use gunyah_msgq::{Error, SendFlags};
use gunyah_msgq_dt::Tree;
use gunyah_msgq_hvc::Smccc;
use gunyah_msgq_hvc::gic::{GicLine, LineError};
use gunyah_msgq_qemu::abi::header::{FLAG_PRIMARY_VM, FLAG_QEMU_TREE, FLAG_QUIET};
use gunyah_msgq_qemu::bench::clock;
use gunyah_msgq_qemu::delay::CounterDelay;
use gunyah_msgq_qemu::primary::{self, fdt, gic_up, rm_node};
use gunyah_msgq_qemu::report::{Fail, Note, Report};
use gunyah_msgq_qemu::{boot, check, check_eq, irq};

use port::{Inbox, LinkSlot};

gunyah_msgq_qemu::guest!(main, FLAG_PRIMARY_VM | FLAG_QUIET | FLAG_QEMU_TREE);

/// The link, once `port::bring_up` built it, and the RX handler's inbox: statics, so that the
/// interrupt vector reaches them.
static LINK: LinkSlot<Smccc, GicLine<'static, 'static>> = LinkSlot::new();
static INBOX: Inbox = Inbox::new();

/// No INTID (the GIC's spurious one): what [`on_irq`] matches before the tree is read.
const NO_INTID: u32 = 1023;
/// The link's INTIDs as the tree gives them, for [`on_irq`].
static TX_INTID: AtomicU32 = AtomicU32::new(NO_INTID);
static RX_INTID: AtomicU32 = AtomicU32::new(NO_INTID);

/// `VM_GET_VMID` requests made (the host half's test makes as many).
const REQUESTS: u16 = 20;
/// How long one request may take to be sent, and its reply to come. The model answers within
/// the send's trap; the real RM once took about a second.
const TIMEOUT_US: u32 = 3_000_000;

/// The interrupt vectors' dispatch: run by the guest library's IRQ vector for every INTID it
/// acknowledges (before the EOI).
fn on_irq(intid: u32) {
    let Some(link) = LINK.try_get() else { return };
    if intid == RX_INTID.load(Ordering::Relaxed) {
        port::on_rx_irq(link, &INBOX);
    } else if intid == TX_INTID.load(Ordering::Relaxed) {
        port::on_tx_irq(link);
    }
}

fn fail(what: &'static str) -> Fail {
    Fail {
        what,
        got: 0,
        want: 1,
    }
}

fn main() -> u32 {
    let mut r = Report::new();
    r.check("boot_entry", primary::boot_entry);
    let mut gunyah = false;
    r.check("probe", |note| {
        primary::probe(note)?;
        gunyah = true;
        Ok(())
    });
    if !gunyah {
        // Not Gunyah, or no message queues: no other hypercall may be made.
        return r.finish();
    }
    let blob = fdt::blob_at(boot::entry_x0());
    let gic_ok = primary::gic_check(&mut r, blob.and_then(fdt::Fdt::new));

    let mut link = None;
    r.check("bring_up", |note| {
        let dtb = blob.map_err(|e| {
            let _ = write!(note, "tree at x0: {e:?}");
            fail("a device tree at x0")
        })?;
        check!(gic_ok, "the GIC (see above)");
        link = Some(bring_up(dtb, note)?);
        Ok(())
    });
    let Some(link) = link else {
        return r.finish();
    };

    let tree_vmid = blob
        .and_then(fdt::Fdt::new)
        .map_err(rm_node::NodeError::Tree)
        .and_then(|t| rm_node::vm_id(&t));
    let mut answers = [None; REQUESTS as usize];
    r.check("get_vmid", |note| get_vmids(link, &mut answers, note));
    match tree_vmid {
        Ok(Some(vmid)) => r.check("vmid_matches_tree", |note| {
            let _ = write!(note, "qcom,vmid {vmid}");
            for answer in answers {
                let answer = answer.ok_or(fail("every request answered"))?;
                check_eq!(answer, vmid, "VM_GET_VMID's answer vs the tree's qcom,vmid");
            }
            Ok(())
        }),
        Ok(None) => r.skip(
            "vmid_matches_tree",
            "the tree has no qcom,gunyah-vm/qcom,vmid",
        ),
        Err(e) => r.check("vmid_matches_tree", |note| {
            let _ = write!(note, "{e:?}");
            Err(fail("a readable qcom,vmid"))
        }),
    }
    r.check("rx_by_interrupt", |note| {
        let rx = irq::count(RX_INTID.load(Ordering::Relaxed));
        let tx = irq::count(TX_INTID.load(Ordering::Relaxed));
        let _ = write!(note, "RX vIRQs {rx}, TX vIRQs {tx}");
        check!(rx >= 1, "replies delivered by the RX interrupt");
        Ok(())
    });

    link.shutdown();
    r.check("shutdown", |note| {
        let refused = link.try_send(&[0; 8], SendFlags::PUSH);
        let _ = write!(note, "a send after shutdown: {refused:?}");
        check!(
            refused == Err(Error::Closed),
            "a send after shutdown is Closed"
        );
        Ok(())
    });
    r.check("inbox_counters", |note| {
        let (dropped, unexpected, stuck) = (INBOX.dropped(), INBOX.unexpected(), INBOX.stuck());
        let _ = write!(
            note,
            "dropped {dropped}, unexpected {unexpected}, stuck {stuck}"
        );
        check_eq!(dropped, 0, "Inbox::dropped");
        check_eq!(unexpected, 0, "Inbox::unexpected");
        check_eq!(stuck, 0, "Inbox::stuck");
        Ok(())
    });
    r.finish()
}

/// Installs the vectors' dispatch for the tree's INTIDs, then builds and starts the link with
/// `port::bring_up` from the same tree, and lets interrupts in.
fn bring_up(
    dtb: &'static [u8],
    note: &mut Note,
) -> Result<&'static port::Link<Smccc, GicLine<'static, 'static>>, Fail> {
    // The vectors must know the INTIDs before `bring_up` starts the link (its lines come on
    // then): read them from the tree the port reads, with the port's own reader.
    let rm = Tree::new(dtb).and_then(|t| t.rm_link()).map_err(|e| {
        let _ = write!(note, "{e}");
        fail("the RM node")
    })?;
    for (name, q) in [("TX", rm.tx), ("RX", rm.rx)] {
        let _ = write!(
            note,
            "{name} cap {} INTID {} {:?} {} B depth {}; ",
            q.cap.0, q.intid, q.trigger, q.max_msg_size, q.depth
        );
    }
    TX_INTID.store(rm.tx.intid, Ordering::Relaxed);
    RX_INTID.store(rm.rx.intid, Ordering::Relaxed);
    irq::set_hook(Some(on_irq));

    let mut line_error: Option<(u32, LineError)> = None;
    let link = port::bring_up(&LINK, &INBOX, Smccc, dtb, |intid, trigger| {
        gic_up::line(intid, trigger)
            .map_err(|e| line_error = Some((intid, e)))
            .ok()
    })
    .map_err(|e| {
        let _ = write!(note, "{e}");
        if let Some((intid, e)) = line_error {
            let _ = write!(note, " (INTID {intid}: {e:?})");
        }
        fail("port::bring_up")
    })?;
    // IRQs were masked since entry: the vectors run from here on.
    irq::unmask();
    let _ = write!(note, "up");
    Ok(link)
}

/// [`REQUESTS`] `VM_GET_VMID` requests, one at a time; the answers in `answers`.
fn get_vmids(
    link: &port::Link<Smccc, GicLine<'static, 'static>>,
    answers: &mut [Option<u16>],
    note: &mut Note,
) -> Result<(), Fail> {
    let mut delay = CounterDelay;
    let start = clock::counter();
    for (seq, answer) in (0..).zip(answers.iter_mut()) {
        let vmid = port::get_vmid(link, &INBOX, &mut delay, seq, TIMEOUT_US).map_err(|e| {
            let _ = write!(note, "request {seq}: {e}");
            Fail {
                what: "port::get_vmid answered",
                got: u64::from(seq),
                want: u64::from(REQUESTS),
            }
        })?;
        *answer = Some(vmid);
    }
    let us = clock::counter().wrapping_sub(start) * 1_000_000 / clock::cntfrq().max(1);
    let first = answers.first().copied().flatten().unwrap_or(0);
    let _ = write!(
        note,
        "{REQUESTS} requests answered, VM id {first}, {us} us in all"
    );
    Ok(())
}
