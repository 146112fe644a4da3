//! On a hypervisor that answers -1 to everything, the guest side fails cleanly: the probe says
//! "not Gunyah", every call answers UNIMPLEMENTED, the fixture learns there is no model, and
//! nothing hangs or faults.

use crate::abi::control::Setup;
use crate::hvc::{self, error};
use crate::msgq::{identify_smccc, send_smccc};
use crate::probe::{self, NotGunyah};
use crate::report::{Outcome, Report};
use crate::{check, check_eq, control};

pub(super) fn run(r: &mut Report) {
    r.case("probe_says_not_gunyah", probe_fails);
    r.case("identify_unimplemented", identify);
    r.case("msgq_send_unimplemented", send);
    r.case("control_absent", control_absent);
}

fn probe_fails() -> Outcome {
    match probe::probe() {
        Err(NotGunyah::Uid(x0)) => check_eq!(x0, u64::MAX, "CALL_UID answers -1"),
        _ => check!(false, "probe rejects the hypervisor at CALL_UID"),
    }
    Ok(())
}

fn identify() -> Outcome {
    check_eq!(identify_smccc()[0], u64::MAX, "SMCCC identify answers -1");
    check_eq!(
        hvc::smccc([0x8600_FF03, 0, 0, 0, 0, 0, 0, 0])[0],
        u64::MAX,
        "REVISION -1"
    );
    Ok(())
}

fn send() -> Outcome {
    check_eq!(
        error(send_smccc(0, b"x", 0)[0]) as i64,
        -1i64,
        "send answers UNIMPLEMENTED"
    );
    Ok(())
}

fn control_absent() -> Outcome {
    check_eq!(
        control::hello().err().unwrap_or(0) as i64,
        -1i64,
        "hello answers -1"
    );
    check!(control::setup(Setup::DEFAULT).is_err(), "setup fails");
    Ok(())
}
