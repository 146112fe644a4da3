//! Who answers: CALL_UID, REVISION, identify in both forms, unknown calls, the control call.

use crate::abi::control::VERSION;
use crate::hvc::{self, error};
use crate::msgq::{identify_native, identify_smccc, smccc_id};
use crate::probe::{self, GUNYAH_UID};
use crate::report::{Outcome, Report};
use crate::{check, check_eq, control};

const API_INFO_VERSION_MASK: u64 = 0x3FFF;

pub(super) fn run(r: &mut Report) {
    r.case("call_uid", call_uid);
    r.case("smc_conduit", smc_conduit);
    r.case("revision_and_identify", revision_and_identify);
    r.case("smccc_unknown_ids", smccc_unknown_ids);
    r.case("native_unknown_calls", native_unknown_calls);
    r.case("control_hello", control_hello);
    r.case("probe", probe_gunyah);
}

fn call_uid() -> Outcome {
    let x = hvc::smccc([0x8600_FF01, 0, 0, 0, 0, 0, 0, 0]);
    for (i, want) in GUNYAH_UID.into_iter().enumerate() {
        check_eq!(x[i], want, "CALL_UID register");
    }
    Ok(())
}

fn smc_conduit() -> Outcome {
    let x = hvc::smc([0x8600_FF01, 0, 0, 0, 0, 0, 0, 0]);
    check_eq!(x[0], GUNYAH_UID[0], "CALL_UID x0 via smc #0");
    Ok(())
}

fn revision_and_identify() -> Outcome {
    let rev = hvc::smccc([0x8600_FF03, 0, 0, 0, 0, 0, 0, 0])[0];
    check_eq!(rev & API_INFO_VERSION_MASK, 1, "REVISION api version");
    check!(rev & (1 << 15) != 0, "REVISION says 64-bit");
    let s = identify_smccc();
    let n = identify_native();
    check_eq!(s[0], rev, "SMCCC identify api_info = REVISION");
    check_eq!(s[1] & (1 << 2), 1 << 2, "identify flags[0] msgqueue bit");
    for i in 0..4 {
        check_eq!(n[i], s[i], "native identify = SMCCC identify");
    }
    Ok(())
}

fn smccc_unknown_ids() -> Outcome {
    for id in [
        0x8600_FF00,    // CALL_COUNT: -1 on Gunyah
        0x8600_8000,    // hypercall class as SMC32
        0x4600_8000,    // yielding
        0xC602_8000,    // bit 17 set
        0xC600_001B,    // platform class, not Gunyah's msgq_send
        smccc_id(0x16), // reserved
        0xC400_0000,    // another owner (standard secure service)
    ] {
        let x = hvc::smccc([id, 0, 0, 0, 0, 0, 0, 0]);
        check_eq!(x[0], u64::MAX, "unknown SMCCC id answers the 64-bit -1");
    }
    Ok(())
}

fn native_unknown_calls() -> Outcome {
    check_eq!(
        error(hvc::native::<0x6016>([0; 8])[0]) as i64,
        -1i64,
        "native 0x16 (reserved)"
    );
    check_eq!(
        error(hvc::native::<0x601E>([0; 8])[0]) as i64,
        -1i64,
        "native 0x1E (reserved)"
    );
    check_eq!(
        error(hvc::native::<0x60FF>([0; 8])[0]) as i64,
        -1i64,
        "native 0xFF"
    );
    Ok(())
}

fn control_hello() -> Outcome {
    match control::hello() {
        Ok(v) => check_eq!(v, VERSION, "control ABI version"),
        Err(e) => check_eq!(e as u64, 0, "control hello error"),
    }
    Ok(())
}

fn probe_gunyah() -> Outcome {
    match probe::probe() {
        Ok(g) => check!(!g.legacy_uid, "current UID, not the legacy one"),
        Err(_) => check!(false, "probe finds Gunyah with msgq"),
    }
    Ok(())
}
