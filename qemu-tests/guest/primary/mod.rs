//! The primary-VM image: a guest that meets the real Gunyah resource manager's boot contract
//! (`shared/gunyah-real/README.md`) on `gunyah-msgq` and `gunyah-msgq-hvc`, so the same image
//! boots on the EL2 model's primary-VM variant and on a real Gunyah build.
//!
//! In order: the entry state; `probe()` (SMCCC UID, then identify); the RM link from the
//! device tree in x0 (and the reader's typed errors on bad trees); the GICv3 and the link's two
//! vIRQs as `GicLine`s; the `MsgQueue` built with `try_duplex` from the tree's sizes; then
//! checks through the core: refused sizes, EMPTY; the RM calls through `gunyah-rm-rpc`'s
//! `Client` (`VM_GET_VMID`, an unknown msg_id, `VM_GET_HYP_RESOURCES`), answered by
//! interrupt; a reply's edge held while the RX line is disabled, and the capability errors 50
//! and 53; then the link handed over to an `AsyncQueue` and the same three calls through
//! `AsyncClient` on a `wfi` executor. One line per check, then
//! `N passed, N failed`; the exit status (semihosting) is the verdict.

mod async_cases;
mod async_link;
mod counted;
mod entry;
pub mod fdt;
pub mod gic_up;
mod inbox;
mod link;
mod link_cases;
pub mod rm_node;
mod rpc;
mod tree_builder;
mod tree_cases;

use core::fmt::Write;

use gunyah_msgq::DrainOutcome;
use gunyah_msgq_hvc::{Conduit, Smccc};

use self::entry::Entry;
use self::fdt::Fdt;
use self::link::Link;
use self::rm_node::RmLink;
use crate::abi::rm;
use crate::report::{Fail, Note, Outcome, Report};
use crate::{boot, check, check_eq, irq};

/// Runs every check; the exit status.
#[must_use]
pub fn main() -> u32 {
    let mut r = Report::new();
    let (tree, config) = boot_checks(&mut r);
    tree_cases::run(&mut r);
    let gic_ok = gic_check(&mut r, tree);
    let mut installed = None;
    r.check("queue_from_tree", |note| {
        let (Some(config), true) = (config, gic_ok) else {
            return Err(missing("the RM node and the GIC (see above)"));
        };
        installed = Some(start_queue(config, note)?);
        Ok(())
    });
    let tree_vmid = tree.ok().and_then(|t| rm_node::vm_id(&t).ok().flatten());
    link_cases::run(&mut r, installed, tree_vmid);
    async_cases::run(&mut r, installed, tree_vmid);
    r.finish()
}

/// The boot tree (at x0), as the contract gives it.
pub type Tree = Result<Fdt<'static>, fdt::FdtError>;

/// The first checks of any image on the RM contract, one line each: the entry state, `probe`,
/// and the RM link read from the tree in x0 (`None` if it could not be read). Shared with the
/// primary-VM bench image.
pub fn boot_checks(r: &mut Report) -> (Tree, Option<RmLink>) {
    r.check("boot_entry", boot_entry);
    r.check("probe", probe);
    let tree = Fdt::at_address(boot::entry_x0());
    let mut config = None;
    r.check("dt_rm_node", |note| {
        config = Some(rm_link(tree, note)?);
        Ok(())
    });
    (tree, config)
}

/// The GICv3 bring-up from the tree's frames (one line); whether it is up. The driver is in
/// [`gic_up::GIC`], the lines come from [`gic_up::line`].
pub fn gic_check(r: &mut Report, tree: Tree) -> bool {
    let mut gic_ok = false;
    r.check("gic_bring_up", |note| {
        bring_up_gic(tree, note)?;
        gic_ok = true;
        Ok(())
    });
    gic_ok
}

/// A failure for a check whose prerequisite failed.
fn missing(what: &'static str) -> Fail {
    Fail {
        what,
        got: 0,
        want: 1,
    }
}

/// The entry-state check (EL1, MMU off, the image at 0x4100_0000, x0 = 0x40F0_0000). Shared
/// with the RTOS port image.
pub fn boot_entry(note: &mut Note) -> Outcome {
    let e = entry::read();
    let _ = write!(
        note,
        "EL{}, SCTLR_EL1 {:#x}, DAIF {:#x}, image at {:#x}, x0 {:#x}",
        e.el, e.sctlr, e.daif, e.base, e.x0
    );
    check_eq!(e.el, 1, "CurrentEL");
    check!(e.mmu_off(), "MMU off at entry");
    check_eq!(e.base, Entry::BASE, "image address");
    check_eq!(e.x0, Entry::X0, "x0 = the device tree");
    Ok(())
}

/// `Smccc.probe()` (CALL_UID, then identify: API 1 with the msgqueue feature). Shared with the
/// RTOS port image, which makes no other hypercall unless this passes.
pub fn probe(note: &mut Note) -> Outcome {
    let gunyah = Smccc.probe().map_err(|e| {
        let _ = write!(note, "{e}");
        missing("Smccc.probe() finds Gunyah with msgq")
    })?;
    let api = gunyah.identity.api;
    let _ = write!(
        note,
        "UID {:?}, api_info {:#x}: API {}, variant {:?} ({:#x}), {}-bit {}, flags0 {:#x}",
        gunyah.uid,
        api.raw(),
        api.version(),
        api.variant(),
        api.variant().raw(),
        if api.is_64bit() { 64 } else { 32 },
        if api.big_endian() { "BE" } else { "LE" },
        gunyah.identity.features.raw()[0]
    );
    check!(gunyah.uid.is_some(), "a Gunyah UID");
    check_eq!(api.version(), 1, "API version");
    check!(gunyah.identity.features.msgqueue(), "msgqueue feature");
    Ok(())
}

/// Reads the link from the boot tree and checks it is the real RM's.
fn rm_link(tree: Tree, note: &mut Note) -> Result<RmLink, Fail> {
    let fdt = tree.map_err(|e| {
        let _ = write!(note, "tree at x0: {e:?}");
        missing("a device tree at x0")
    })?;
    let link = rm_node::read(&fdt).map_err(|e| {
        let _ = write!(note, "{e:?}");
        missing("the RM node read")
    })?;
    if let Ok(Some(node)) = fdt.find(rm_node::is_rm_node) {
        let _ = write!(note, "{}: ", node.name);
    }
    for (name, s) in [("TX", link.tx), ("RX", link.rx)] {
        let sep = if name == "TX" { "; " } else { "" };
        let _ = write!(
            note,
            "{name} cap {} INTID {} {:?} {} B depth {}{sep}",
            s.cap.0, s.intid, s.trigger, s.msg_size, s.depth
        );
    }
    check_eq!(link.tx.cap.0, rm::TX_CAP, "TX cap");
    check_eq!(link.rx.cap.0, rm::RX_CAP, "RX cap");
    check_eq!(link.tx.intid, rm::TX_INTID, "TX INTID");
    check_eq!(link.rx.intid, rm::RX_INTID, "RX INTID");
    check_eq!(link.tx.msg_size, rm::MSG_SIZE, "TX message size");
    check_eq!(link.rx.msg_size, rm::MSG_SIZE, "RX message size");
    check_eq!(link.tx.depth.get(), rm::QUEUE_DEPTH, "TX depth");
    check_eq!(link.rx.depth.get(), rm::QUEUE_DEPTH, "RX depth");
    Ok(link)
}

fn bring_up_gic(tree: Tree, note: &mut Note) -> Outcome {
    let fdt = tree.map_err(|_| missing("a device tree at x0"))?;
    let frames = gic_up::frames(&fdt).map_err(|e| {
        let _ = write!(note, "{e:?}");
        missing("the GIC node")
    })?;
    let _ = write!(note, "GICD {:#x}, GICR {:#x}", frames.gicd, frames.gicr);
    gic_up::bring_up(frames).map_err(|e| {
        let _ = write!(note, ": {e:?}");
        missing("GIC bring-up")
    })?;
    if let Ok(spis) = gic_up::GIC.with(|gic| gic.typer().num_spis()) {
        let _ = write!(note, ", GICD_TYPER: {spis} SPIs");
    }
    Ok(())
}

/// The queue from the tree's run-time sizes, started: its lines enabled, RX drained once.
fn start_queue(config: RmLink, note: &mut Note) -> Result<&'static Link, Fail> {
    let lines = gic_up::line(config.tx.intid, config.tx.trigger)
        .and_then(|tx| Ok((tx, gic_up::line(config.rx.intid, config.rx.trigger)?)));
    let (tx, rx) = lines.map_err(|e| {
        let _ = write!(note, "{e:?}");
        missing("GicLine for both INTIDs")
    })?;
    let link = link::install(config, tx, rx).map_err(|e| {
        let _ = write!(note, "{e:?}");
        missing("MsgQueue::try_duplex with the tree's sizes")
    })?;
    let drained = link.queue.start(inbox::push);
    irq::unmask();
    let _ = write!(
        note,
        "try_duplex: TX max {:?}, RX buffer {}; start: {drained:?}",
        link.queue.tx_max_msg_size(),
        link.queue.max_msg_size()
    );
    check_eq!(
        drained == Ok(DrainOutcome::Done { delivered: 0 }),
        true,
        "start drains an empty RX queue"
    );
    Ok(link)
}
