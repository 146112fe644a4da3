//! Discovery (spec §5): CALL_UID, then identify; never a Gunyah call on an unknown hypervisor.

mod common;

use common::{
    API_INFO, FLAGS0, Fake, FakeNative, FakeSmccc, UID_QUALCOMM, UID_STANDARD, UNKNOWN, decode,
    gunyah,
};
use gunyah_msgq_hvc::{
    ApiInfo, Conduit, Features, Gunyah, GunyahUid, HvcInput, HypervisorUid, Identity, ProbeError,
    Regs, Variant,
};
use std::string::ToString;

const REAL_IDENTITY: Identity = Identity {
    api: ApiInfo(API_INFO),
    features: Features([FLAGS0, 0, 0]),
};

/// A hypervisor answering CALL_UID with `uid` and identify with `identify`; anything else -1.
fn hyp<const NATIVE: bool>(uid: Regs, identify: Regs) -> Fake<NATIVE> {
    Fake::new(move |input| match decode(input, NATIVE) {
        Some(0xFFFF) => uid,
        Some(0) => identify,
        _ => UNKNOWN,
    })
}

fn uid(words: [u64; 4]) -> Regs {
    [words[0], words[1], words[2], words[3], 0, 0, 0, 0]
}

fn identify(api: u64, flags0: u64) -> Regs {
    [api, flags0, 0, 0, 0, 0, 0, 0]
}

#[test]
fn smccc_probe_on_the_real_hypervisor() {
    let fake = gunyah::<false>();
    assert_eq!(
        fake.probe(),
        Ok(Gunyah {
            uid: Some(GunyahUid::Standard),
            identity: REAL_IDENTITY,
        })
    );
    assert_eq!(
        fake.log(),
        [
            HvcInput {
                imm: 0,
                regs: [0x8600_FF01, 0, 0, 0, 0, 0, 0, 0]
            },
            HvcInput {
                imm: 0,
                regs: [0xC600_8000, 0, 0, 0, 0, 0, 0, 0]
            },
        ]
    );
}

#[test]
fn native_probe_on_the_real_hypervisor() {
    let fake = gunyah::<true>();
    assert_eq!(
        fake.probe(),
        Ok(Gunyah {
            uid: Some(GunyahUid::Standard),
            identity: REAL_IDENTITY,
        })
    );
    assert_eq!(
        fake.log(),
        [
            HvcInput {
                imm: 0,
                regs: [0x8600_FF01, 0, 0, 0, 0, 0, 0, 0]
            },
            HvcInput {
                imm: 0x6000,
                regs: [0; 8]
            },
        ]
    );
}

#[test]
fn the_qualcomm_uuid_is_accepted() {
    let fake = hyp::<false>(uid(UID_QUALCOMM), identify(API_INFO, FLAGS0));
    assert_eq!(fake.probe().map(|g| g.uid), Ok(Some(GunyahUid::Qualcomm)));
}

#[test]
fn unknown_hypervisor_is_not_gunyah_after_one_smccc_call() {
    let smccc = FakeSmccc::constant(UNKNOWN);
    assert_eq!(
        smccc.probe(),
        Err(ProbeError::NotGunyah {
            uid: HypervisorUid::Unimplemented
        })
    );
    assert_eq!(smccc.immediates(), [0]);
    assert_eq!(smccc.log()[0].regs[0], 0x8600_FF01);

    // Native: still only the SMCCC CALL_UID, never a native immediate.
    let native = FakeNative::constant(UNKNOWN);
    assert_eq!(
        native.probe(),
        Err(ProbeError::NotGunyah {
            uid: HypervisorUid::Unimplemented
        })
    );
    assert_eq!(native.immediates(), [0]);
}

#[test]
fn another_hypervisors_uuid_is_not_gunyah() {
    let kvm = [0xB66F_B428u32, 0xE911_C52E, 0x564B_CAA9, 0x743A_004D];
    let native = hyp::<true>(uid(kvm.map(u64::from)), identify(API_INFO, FLAGS0));
    assert_eq!(
        native.probe(),
        Err(ProbeError::NotGunyah {
            uid: HypervisorUid::Other(kvm)
        })
    );
    assert_eq!(native.immediates(), [0]);
}

#[test]
fn identify_unimplemented_in_this_convention() {
    let fake = hyp::<false>(uid(UID_STANDARD), UNKNOWN);
    assert_eq!(fake.probe(), Err(ProbeError::IdentifyUnimplemented));
    assert_eq!(fake.log().len(), 2);
}

#[test]
fn unsupported_version() {
    let fake = hyp::<true>(uid(UID_STANDARD), identify(0x4800_0000_0000_8002, FLAGS0));
    assert_eq!(
        fake.probe(),
        Err(ProbeError::UnsupportedVersion {
            version: 2,
            variant: Variant::Gunyah
        })
    );
    let fake = hyp::<true>(uid(UID_STANDARD), identify(0x5100_0000_0000_8000, FLAGS0));
    assert_eq!(
        fake.probe(),
        Err(ProbeError::UnsupportedVersion {
            version: 0,
            variant: Variant::Qualcomm
        })
    );
}

#[test]
fn no_msgqueue() {
    let identity = identify(API_INFO, FLAGS0 & !(1 << 2));
    let fake = hyp::<false>(uid(UID_STANDARD), identity);
    assert_eq!(
        fake.probe(),
        Err(ProbeError::NoMsgQueue {
            identity: Identity {
                api: ApiInfo(API_INFO),
                features: Features([FLAGS0 & !(1 << 2), 0, 0]),
            }
        })
    );
    // The msgqueue bit alone is enough.
    let fake = hyp::<false>(uid(UID_STANDARD), identify(API_INFO, 1 << 2));
    assert!(fake.probe().is_ok());
}

/// A Gunyah older than its SMCCC interface: CALL_UID and every `hvc #0` answer -1, native calls
/// work. The device tree said "gunyah-hypervisor", so the guest calls `probe_after_dt`.
fn old_gunyah() -> FakeNative {
    Fake::new(|input| match (input.imm, decode(input, true)) {
        (0, _) => UNKNOWN,
        (_, Some(0)) => identify(API_INFO, FLAGS0),
        _ => UNKNOWN,
    })
}

#[test]
fn old_gunyah_needs_the_device_tree_path() {
    let native = old_gunyah();
    assert_eq!(
        native.probe(),
        Err(ProbeError::NotGunyah {
            uid: HypervisorUid::Unimplemented
        })
    );
    assert_eq!(native.immediates(), [0]);

    let native = old_gunyah();
    assert_eq!(
        native.probe_after_dt(),
        Ok(Gunyah {
            uid: None,
            identity: REAL_IDENTITY,
        })
    );
    // Only the native identify: no CALL_UID.
    assert_eq!(
        native.log(),
        [HvcInput {
            imm: 0x6000,
            regs: [0; 8]
        }]
    );
}

#[test]
fn probe_after_dt_checks_identify() {
    let fake = FakeSmccc::constant(UNKNOWN);
    assert_eq!(
        fake.probe_after_dt(),
        Err(ProbeError::IdentifyUnimplemented)
    );
    let fake = FakeNative::constant(identify(0x5100_0000_0000_8003, FLAGS0));
    assert_eq!(
        fake.probe_after_dt(),
        Err(ProbeError::UnsupportedVersion {
            version: 3,
            variant: Variant::Qualcomm
        })
    );
    let fake = FakeNative::constant(identify(API_INFO, 0));
    assert!(matches!(
        fake.probe_after_dt(),
        Err(ProbeError::NoMsgQueue { .. })
    ));
    let fake = FakeSmccc::constant(identify(API_INFO, FLAGS0));
    assert_eq!(
        fake.probe_after_dt(),
        Ok(Gunyah {
            uid: None,
            identity: REAL_IDENTITY
        })
    );
}

#[test]
fn probe_errors_display() {
    let cases = [
        (
            ProbeError::NotGunyah {
                uid: HypervisorUid::Unimplemented,
            },
            "not a Gunyah hypervisor (CALL_UID: Unimplemented)",
        ),
        (
            ProbeError::IdentifyUnimplemented,
            "hypervisor_identify is not implemented in this calling convention",
        ),
        (
            ProbeError::UnsupportedVersion {
                version: 2,
                variant: Variant::Other(7),
            },
            "unsupported Gunyah API version 2 (variant Other(7))",
        ),
        (
            ProbeError::NoMsgQueue {
                identity: REAL_IDENTITY,
            },
            "the hypervisor has no message queues",
        ),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
        let _: &dyn core::error::Error = &error;
    }
}
