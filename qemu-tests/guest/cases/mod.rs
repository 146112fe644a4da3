//! The cases the images run: [`smoke`] on the msgq model, [`hostile`] on the hostile variant.

use crate::abi::control::{Line, Setup, SetupReply};
use crate::report::{Fail, Report};
use crate::{control, gic, irq};

mod discovery;
mod hostile_cases;
mod msgq;
mod registers;
mod virq;

/// Every case of the smoke image, in order.
#[must_use]
pub fn smoke() -> u32 {
    gic::init();
    irq::unmask();
    let mut r = Report::new();
    discovery::run(&mut r);
    msgq::run(&mut r);
    virq::run(&mut r);
    registers::run(&mut r);
    r.finish()
}

/// Every case of the hostile image.
#[must_use]
pub fn hostile() -> u32 {
    let mut r = Report::new();
    hostile_cases::run(&mut r);
    r.finish()
}

/// A fresh link, or the case fails.
fn link(setup: Setup) -> Result<SetupReply, Fail> {
    control::setup(setup).map_err(|e| Fail {
        what: "control setup",
        got: e as u64,
        want: 0,
    })
}

/// The INTID of `line` on `link`.
fn intid(link: &SetupReply, line: Line) -> u32 {
    match line {
        Line::Tx => link.tx_intid,
        Line::Rx => link.rx_intid,
    }
}

/// Configures and enables `line`'s INTID (edge unless `level`); its count so far.
fn arm(link: &SetupReply, line: Line, level: bool) -> u32 {
    let id = intid(link, line);
    gic::configure(id, !level);
    gic::enable(id);
    irq::count(id)
}

/// Disables both lines of `link` (cases leave the GIC as they found it).
fn disarm(link: &SetupReply) {
    gic::disable(link.tx_intid);
    gic::disable(link.rx_intid);
    irq::set_hook(None);
}
