//! Synchronous exceptions from the guest: `hvc`, `smc` (HCR_EL2.TSC), `wfi`/`wfe`
//! (HCR_EL2.TWI) and, under the primary-VM variant's stage 2, data aborts on the distributor.
//! Every trap ends by running the resource manager (primary-VM variant) and delivering the
//! vIRQs that are due.

use core::fmt;

use gunyah_msgq_qemu_abi::control::Control;

use crate::console::log;
use crate::frame::Frame;
use crate::model::Model;
use crate::msgq::Call;
use crate::native::{NATIVE_BASE, NATIVE_LAST};
use crate::reply::{self, Form, Reply};
use crate::semihosting::{self, status};
use crate::sysreg::read_sysreg;
use crate::{MODEL, control, mmio, native, rm, smccc};

const EC_WFX: u64 = 0x01;
const EC_HVC64: u64 = 0x16;
const EC_SMC64: u64 = 0x17;
const EC_DABT_LOWER: u64 = 0x24;

/// Handles a synchronous exception from the guest.
pub fn sync(frame: &mut Frame) {
    let esr = read_sysreg!("esr_el2");
    let imm = esr as u16;
    MODEL.with(|m| {
        m.traps += 1;
        match esr >> 26 {
            EC_HVC64 => call(m, frame, imm),
            // A trapped `smc` leaves ELR_EL2 at the `smc` itself.
            EC_SMC64 => {
                frame.elr += 4;
                if imm == 0 {
                    call(m, frame, 0);
                } else {
                    reply::apply(frame, Reply::UNKNOWN, Form::Smccc, m.regs);
                }
            }
            // `wfi`: skip it; delivering what is due below is the only wake-up there is.
            EC_WFX => frame.elr += 4,
            EC_DABT_LOWER => {
                let verbose = m.verbose;
                mmio::data_abort(m.gicd.virtual_mut(), frame, esr, verbose);
            }
            _ => fatal(8, frame),
        }
        rm::serve(m);
        m.sync_virqs();
    });
}

/// One call: `imm` 0 is SMCCC, else native (msgq or control).
fn call(m: &mut Model, frame: &mut Frame, imm: u16) {
    let x = frame.args();
    let form = if imm == 0 { Form::Smccc } else { Form::Native };
    let (reply, name, dispatch) = if m.hostile {
        (Reply::UNKNOWN, "hostile", None)
    } else if imm == 0 {
        let (r, c, d) = smccc::call(m, &x);
        (r, c.map_or("smccc", Call::name), d)
    } else if let Some(c) = Control::from_imm(imm)
        && m.rm.is_none()
    {
        // The primary-VM variant has none: the real hypervisor answers -1 to these.
        let (r, d) = control::call(m, c, &x);
        (r, "control", d)
    } else if (NATIVE_BASE..=NATIVE_LAST).contains(&imm) {
        let (r, c, d) = native::call(m, imm - NATIVE_BASE, &x);
        (r, c.map_or("native", Call::name), d)
    } else {
        (Reply::UNKNOWN, "unknown", None)
    };
    if let Some(d) = &dispatch {
        m.apply(d);
    }
    if m.verbose {
        let out = Hex(&reply.x[..reply.outputs]);
        log!(
            "hvc #{imm:#x} {name} ({:#x}, {:#x}, {:#x}, {:#x}, {:#x}) -> {out}",
            x[0],
            x[1],
            x[2],
            x[3],
            x[4]
        );
    }
    reply::apply(frame, reply, form, m.regs);
}

/// Registers as `[0x0, 0x1]`.
struct Hex<'a>(&'a [u64]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{x:#x}")?;
        }
        f.write_str("]")
    }
}

/// An exception the model cannot handle: log it and end the run.
pub fn fatal(kind: u64, frame: &Frame) -> ! {
    log!(
        "fatal: vector {kind}, ESR_EL2 {:#x}, ELR_EL2 {:#x}, FAR_EL2 {:#x}, SPSR_EL2 {:#x}",
        read_sysreg!("esr_el2"),
        frame.elr,
        read_sysreg!("far_el2"),
        frame.spsr
    );
    semihosting::exit(status::FATAL)
}
