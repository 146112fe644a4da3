//! The typed calls and the raw msgq calls, through fake conduits.

mod common;

use common::{API_INFO, FLAGS0, Fake, FakeNative, FakeSmccc, UID_QUALCOMM, UID_STANDARD, UNKNOWN};
use gunyah_msgq::{CapId, GunyahError, RawOutput, SendFlags};
use gunyah_msgq_hvc::{
    ApiInfo, Conduit, Features, GunyahUid, HvcInput, HypervisorUid, Identity, NotEmptyThreshold,
    NotFullThreshold, Variant, Virq, raw,
};

const CAP: CapId = CapId(0x8000_0000_0000_0011);
const VIC: CapId = CapId(0x42);

fn regs(r: &[u64]) -> [u64; 8] {
    let mut out = [0; 8];
    out[..r.len()].copy_from_slice(r);
    out
}

// --- hypervisor_identify -----------------------------------------------------------------

#[test]
fn identify_decodes_the_real_answer() {
    for identity in [
        FakeSmccc::constant(regs(&[API_INFO, FLAGS0, 2, 3])).hypervisor_identify(),
        FakeNative::constant(regs(&[API_INFO, FLAGS0, 2, 3])).hypervisor_identify(),
    ] {
        let identity = identity.unwrap();
        assert_eq!(identity.api, ApiInfo(API_INFO));
        assert_eq!(identity.api.raw(), API_INFO);
        assert_eq!(identity.api.version(), 1);
        assert!(!identity.api.big_endian());
        assert!(identity.api.is_64bit());
        assert_eq!(identity.api.variant(), Variant::Qualcomm);
        assert_eq!(identity.features, Features([FLAGS0, 2, 3]));
        assert_eq!(identity.features.raw(), [FLAGS0, 2, 3]);
        assert!(identity.features.msgqueue());
        assert!(identity.features.doorbell());
        assert!(identity.features.vic());
        assert!(identity.features.vcpu());
        assert!(identity.features.memextent());
        assert!(identity.features.vcpu_run());
    }
}

#[test]
fn identify_is_one_call_in_the_conduits_convention() {
    let smccc = FakeSmccc::constant(regs(&[API_INFO]));
    smccc.hypervisor_identify().unwrap();
    assert_eq!(
        smccc.log(),
        [HvcInput {
            imm: 0,
            regs: regs(&[0xC600_8000])
        }]
    );
    let native = FakeNative::constant(regs(&[API_INFO]));
    native.hypervisor_identify().unwrap();
    assert_eq!(
        native.log(),
        [HvcInput {
            imm: 0x6000,
            regs: [0; 8]
        }]
    );
}

#[test]
fn api_info_fields() {
    let info = ApiInfo(0x4800_0000_0000_7FFF);
    assert_eq!(info.version(), 0x3FFF);
    assert!(info.big_endian());
    assert!(!info.is_64bit());
    assert_eq!(info.variant(), Variant::Gunyah);
    assert_eq!(ApiInfo(0x0000_0000_0000_C002).version(), 2);
    assert_eq!(ApiInfo(0x0000_0000_0000_C002).variant(), Variant::Other(0));
    assert_eq!(
        ApiInfo(0xAB00_0000_0000_0000).variant(),
        Variant::Other(0xAB)
    );
    assert_eq!(ApiInfo(1 << 14).version(), 0);
    assert!(ApiInfo(1 << 14).big_endian());
    assert!(ApiInfo(1 << 15).is_64bit());
    assert!(!ApiInfo(1 << 15).big_endian());
    assert_eq!(ApiInfo::SUPPORTED_VERSION, 1);
}

#[test]
fn variants_round_trip() {
    for raw in 0..=u8::MAX {
        assert_eq!(Variant::from_raw(raw).raw(), raw);
    }
    assert_eq!(Variant::from_raw(0x48), Variant::Gunyah);
    assert_eq!(Variant::from_raw(0x51), Variant::Qualcomm);
    assert_eq!(Variant::Gunyah.raw(), 0x48);
    assert_eq!(Variant::Qualcomm.raw(), 0x51);
}

#[test]
fn feature_bits_one_by_one() {
    type Getter = fn(Features) -> bool;
    let checks: [(u64, Getter); 6] = [
        (1 << 1, Features::doorbell),
        (1 << 2, Features::msgqueue),
        (1 << 3, Features::vic),
        (1 << 5, Features::vcpu),
        (1 << 6, Features::memextent),
        (1 << 11, Features::vcpu_run),
    ];
    for (bit, get) in checks {
        assert!(get(Features([bit, 0, 0])), "{bit:#x}");
        assert!(!get(Features([!bit, u64::MAX, u64::MAX])), "{bit:#x}");
        // Only flags[0] counts.
        assert!(!get(Features([0, bit, bit])), "{bit:#x}");
    }
    assert!(Features([0b110, 0, 0]).has(0b110));
    assert!(!Features([0b100, 0, 0]).has(0b110));
    assert!(Features::default().has(0));
}

#[test]
fn identify_unimplemented() {
    for x0 in [u64::MAX, 0xFFFF_FFFF, 0x1234_5678_FFFF_FFFF] {
        let fake = FakeSmccc::constant(regs(&[x0, FLAGS0]));
        assert_eq!(fake.hypervisor_identify(), Err(GunyahError::Unimplemented));
    }
    // Junk in the upper half alone is not -1.
    let fake = FakeNative::constant(regs(&[0xFFFF_FFFF_0000_8001, 4]));
    assert_eq!(
        fake.hypervisor_identify(),
        Ok(Identity {
            api: ApiInfo(0xFFFF_FFFF_0000_8001),
            features: Features([4, 0, 0]),
        })
    );
    assert_eq!(Identity::decode(&UNKNOWN), None);
}

// --- CALL_UID and REVISION ---------------------------------------------------------------

fn uid_answer(words: [u64; 4]) -> [u64; 8] {
    regs(&words)
}

#[test]
fn call_uid_recognises_both_uuids_in_both_conduits() {
    assert_eq!(
        FakeSmccc::constant(uid_answer(UID_STANDARD)).call_uid(),
        HypervisorUid::Gunyah(GunyahUid::Standard)
    );
    assert_eq!(
        FakeNative::constant(uid_answer(UID_STANDARD)).call_uid(),
        HypervisorUid::Gunyah(GunyahUid::Standard)
    );
    assert_eq!(
        FakeSmccc::constant(uid_answer(UID_QUALCOMM)).call_uid(),
        HypervisorUid::Gunyah(GunyahUid::Qualcomm)
    );
    assert_eq!(
        FakeNative::constant(uid_answer(UID_QUALCOMM)).call_uid(),
        HypervisorUid::Gunyah(GunyahUid::Qualcomm)
    );
}

#[test]
fn call_uid_is_hvc_0_in_both_conduits() {
    let expected = [HvcInput {
        imm: 0,
        regs: regs(&[0x8600_FF01]),
    }];
    let smccc = FakeSmccc::constant(UNKNOWN);
    smccc.call_uid();
    assert_eq!(smccc.log(), expected);
    let native = FakeNative::constant(UNKNOWN);
    native.call_uid();
    assert_eq!(native.log(), expected);
}

#[test]
fn call_uid_ignores_upper_halves() {
    let junk = UID_STANDARD.map(|w| w | 0xDEAD_BEEF_0000_0000);
    assert_eq!(
        FakeSmccc::constant(uid_answer(junk)).call_uid(),
        HypervisorUid::Gunyah(GunyahUid::Standard)
    );
}

#[test]
fn call_uid_unimplemented_and_others() {
    assert_eq!(
        FakeSmccc::constant(UNKNOWN).call_uid(),
        HypervisorUid::Unimplemented
    );
    assert_eq!(
        FakeSmccc::constant(regs(&[0xFFFF_FFFF])).call_uid(),
        HypervisorUid::Unimplemented
    );
    // KVM's UUID (28b46fb6-2ec5-11e9-a9ca-4b564d003a74), as KVM returns it.
    let kvm = [0xB66F_B428, 0xE911_C52E, 0x564B_CAA9, 0x743A_004D];
    assert_eq!(
        FakeSmccc::constant(uid_answer(kvm.map(u64::from))).call_uid(),
        HypervisorUid::Other(kvm)
    );
    assert_eq!(
        FakeSmccc::constant([0; 8]).call_uid(),
        HypervisorUid::Other([0; 4])
    );
}

#[test]
fn call_uid_needs_all_four_words() {
    for uid in [UID_STANDARD, UID_QUALCOMM] {
        for wrong in 0..4 {
            let mut words = uid;
            words[wrong] ^= 1;
            let seen = FakeSmccc::constant(uid_answer(words)).call_uid();
            assert!(matches!(seen, HypervisorUid::Other(_)), "{wrong}: {seen:?}");
            assert_eq!(seen.gunyah(), None);
        }
    }
    assert_eq!(
        HypervisorUid::Gunyah(GunyahUid::Qualcomm).gunyah(),
        Some(GunyahUid::Qualcomm)
    );
    assert_eq!(HypervisorUid::Unimplemented.gunyah(), None);
}

#[test]
fn uuid_words_match_the_uuid_strings() {
    let standard = [
        0xc1, 0xd5, 0x8f, 0xcd, 0xa4, 0x53, 0x5f, 0xdb, 0x92, 0x65, 0xce, 0x36, 0x67, 0x3d, 0x5f,
        0x14,
    ];
    let qualcomm = [
        0x19, 0xbd, 0x54, 0xbd, 0x0b, 0x37, 0x57, 0x1b, 0x94, 0x6f, 0x60, 0x9b, 0x54, 0x53, 0x9d,
        0xe6,
    ];
    assert_eq!(GunyahUid::Standard.bytes(), standard);
    assert_eq!(GunyahUid::Qualcomm.bytes(), qualcomm);
    assert_eq!(GunyahUid::Standard.words().map(u64::from), UID_STANDARD);
    assert_eq!(GunyahUid::Qualcomm.words().map(u64::from), UID_QUALCOMM);
}

#[test]
fn revision() {
    let fake = FakeNative::constant(regs(&[API_INFO]));
    assert_eq!(fake.revision(), Ok(ApiInfo(API_INFO)));
    assert_eq!(
        fake.log(),
        [HvcInput {
            imm: 0,
            regs: regs(&[0x8600_FF03])
        }]
    );
    assert_eq!(
        FakeSmccc::constant(UNKNOWN).revision(),
        Err(GunyahError::Unimplemented)
    );
    assert_eq!(
        FakeSmccc::constant(regs(&[0xFFFF_FFFF])).revision(),
        Err(GunyahError::Unimplemented)
    );
    assert_eq!(
        FakeSmccc::constant(regs(&[0xFFFF_FFFF_0000_0001])).revision(),
        Ok(ApiInfo(0xFFFF_FFFF_0000_0001))
    );
}

// --- configure, bind, unbind -------------------------------------------------------------

/// Runs `op` on a conduit answering `x0`, returns its result and the one input it made.
fn one_call<const NATIVE: bool>(
    x0: u64,
    op: impl Fn(&Fake<NATIVE>) -> Result<(), GunyahError>,
) -> (Result<(), GunyahError>, HvcInput) {
    let fake = Fake::<NATIVE>::constant(regs(&[x0, 0xAA, 0xBB]));
    let result = op(&fake);
    let log = fake.log();
    assert_eq!(log.len(), 1);
    (result, log[0])
}

fn check_error_mapping<const NATIVE: bool>(op: impl Fn(&Fake<NATIVE>) -> Result<(), GunyahError>) {
    for (x0, expected) in [
        (0, Ok(())),
        (0xFFFF_FFFF_0000_0000, Ok(())),
        (1, Err(GunyahError::ArgumentInvalid)),
        (33, Err(GunyahError::ObjectState)),
        (40, Err(GunyahError::VirqBound)),
        (53, Err(GunyahError::CspaceInsufficientRights)),
        (u64::MAX, Err(GunyahError::Unimplemented)),
        (0xFFFF_FFFF, Err(GunyahError::Unimplemented)),
        (777, Err(GunyahError::Unknown(777))),
    ] {
        assert_eq!(one_call(x0, &op).0, expected, "x0 = {x0:#x}");
    }
}

#[test]
fn configure_send() {
    let (r, input) = one_call::<false>(0, |f| {
        f.msgq_configure_send(CAP, NotFullThreshold::Count(6))
    });
    assert_eq!(r, Ok(()));
    assert_eq!(
        input,
        HvcInput {
            imm: 0,
            regs: regs(&[0xC600_801F, CAP.0, 6, u64::MAX, u64::MAX])
        }
    );
    let (_, input) = one_call::<true>(0, |f| {
        f.msgq_configure_send(CAP, NotFullThreshold::Unchanged)
    });
    assert_eq!(
        input,
        HvcInput {
            imm: 0x601F,
            regs: regs(&[CAP.0, u64::MAX, u64::MAX, u64::MAX])
        }
    );
    check_error_mapping::<false>(|f| f.msgq_configure_send(CAP, NotFullThreshold::Count(1)));
    check_error_mapping::<true>(|f| f.msgq_configure_send(CAP, NotFullThreshold::Count(1)));
}

#[test]
fn configure_receive() {
    let (r, input) = one_call::<false>(0, |f| {
        f.msgq_configure_receive(CAP, NotEmptyThreshold::Depth)
    });
    assert_eq!(r, Ok(()));
    assert_eq!(
        input,
        HvcInput {
            imm: 0,
            regs: regs(&[0xC600_8020, CAP.0, u64::MAX - 1, u64::MAX, u64::MAX])
        }
    );
    let (_, input) = one_call::<true>(0, |f| {
        f.msgq_configure_receive(CAP, NotEmptyThreshold::Count(2))
    });
    assert_eq!(
        input,
        HvcInput {
            imm: 0x6020,
            regs: regs(&[CAP.0, 2, u64::MAX, u64::MAX])
        }
    );
    check_error_mapping::<false>(|f| f.msgq_configure_receive(CAP, NotEmptyThreshold::Unchanged));
    check_error_mapping::<true>(|f| f.msgq_configure_receive(CAP, NotEmptyThreshold::Unchanged));
}

#[test]
fn bind_and_unbind() {
    let virq = Virq::new(0x3C1).unwrap();
    let (_, input) = one_call::<false>(0, |f| f.msgq_bind_send_virq(CAP, VIC, virq));
    assert_eq!(
        input,
        HvcInput {
            imm: 0,
            regs: regs(&[0xC600_8017, CAP.0, VIC.0, 0x3C1])
        }
    );
    let (_, input) = one_call::<true>(0, |f| f.msgq_bind_send_virq(CAP, VIC, virq));
    assert_eq!(
        input,
        HvcInput {
            imm: 0x6017,
            regs: regs(&[CAP.0, VIC.0, 0x3C1])
        }
    );
    let (_, input) = one_call::<false>(0, |f| f.msgq_bind_receive_virq(CAP, VIC, virq));
    assert_eq!(
        input,
        HvcInput {
            imm: 0,
            regs: regs(&[0xC600_8018, CAP.0, VIC.0, 0x3C1])
        }
    );
    let (_, input) = one_call::<true>(0, |f| f.msgq_bind_receive_virq(CAP, VIC, virq));
    assert_eq!(
        input,
        HvcInput {
            imm: 0x6018,
            regs: regs(&[CAP.0, VIC.0, 0x3C1])
        }
    );
    let (_, input) = one_call::<false>(0, |f| f.msgq_unbind_send_virq(CAP));
    assert_eq!(
        input,
        HvcInput {
            imm: 0,
            regs: regs(&[0xC600_8019, CAP.0])
        }
    );
    let (_, input) = one_call::<true>(0, |f| f.msgq_unbind_send_virq(CAP));
    assert_eq!(
        input,
        HvcInput {
            imm: 0x6019,
            regs: regs(&[CAP.0])
        }
    );
    let (_, input) = one_call::<false>(0, |f| f.msgq_unbind_receive_virq(CAP));
    assert_eq!(
        input,
        HvcInput {
            imm: 0,
            regs: regs(&[0xC600_801A, CAP.0])
        }
    );
    let (_, input) = one_call::<true>(0, |f| f.msgq_unbind_receive_virq(CAP));
    assert_eq!(
        input,
        HvcInput {
            imm: 0x601A,
            regs: regs(&[CAP.0])
        }
    );

    check_error_mapping::<false>(|f| f.msgq_bind_send_virq(CAP, VIC, virq));
    check_error_mapping::<true>(|f| f.msgq_bind_receive_virq(CAP, VIC, virq));
    check_error_mapping::<false>(|f| f.msgq_unbind_send_virq(CAP));
    check_error_mapping::<true>(|f| f.msgq_unbind_receive_virq(CAP));
}

#[test]
fn conduit_references_are_conduits() {
    let fake = FakeNative::constant(regs(&[API_INFO, FLAGS0]));
    let by_ref = &fake;
    assert!(by_ref.hypervisor_identify().is_ok());
    assert_eq!(
        <&FakeNative as Conduit>::CONVENTION,
        gunyah_msgq_hvc::Convention::Native
    );
    assert_eq!(fake.immediates(), [0x6000]);
}

// --- raw msgq calls ----------------------------------------------------------------------

#[test]
fn raw_send_passes_the_slice_and_returns_x0_x1() {
    let msg = [1u8, 2, 3, 4, 5];
    // SMCCC keeps the other registers: x2 still holds the size, and must not be reported.
    let smccc = FakeSmccc::new(|input| {
        let mut out = input.regs;
        out[0] = 0;
        out[1] = 1;
        out
    });
    let out = raw::msgq_send(&smccc, CAP, &msg, SendFlags::PUSH);
    assert_eq!(
        out,
        RawOutput {
            x0: 0,
            x1: 1,
            x2: 0
        }
    );
    assert_eq!(
        smccc.log(),
        [HvcInput {
            imm: 0,
            regs: regs(&[0xC600_801B, CAP.0, 5, msg.as_ptr() as u64, 1])
        }]
    );

    let native = FakeNative::constant(regs(&[61, 0, 9, 9]));
    let out = raw::msgq_send(&native, CAP, &msg[..2], SendFlags::NONE);
    assert_eq!(
        out,
        RawOutput {
            x0: 61,
            x1: 0,
            x2: 0
        }
    );
    assert_eq!(
        native.log(),
        [HvcInput {
            imm: 0x601B,
            regs: regs(&[CAP.0, 2, msg.as_ptr() as u64, 0])
        }]
    );
}

#[test]
fn raw_receive_lends_the_buffer_and_returns_x0_x2() {
    let mut buf = [0u8; 16];
    let addr = buf.as_ptr() as u64;
    // A hypervisor that writes a 3-byte message into the buffer it was given.
    let native = FakeNative::new(|input| {
        let (buf, size) = (input.regs[1] as *mut u8, input.regs[2] as usize);
        assert!(size >= 3);
        // SAFETY: `raw::msgq_receive` passed the address and length of a live `&mut [u8]`
        // (checked against the expected values below), borrowed for this call.
        unsafe { core::ptr::copy_nonoverlapping([7u8, 8, 9].as_ptr(), buf, 3) };
        regs(&[0, 3, 1, 0xEE])
    });
    let out = raw::msgq_receive(&native, CAP, &mut buf);
    assert_eq!(
        out,
        RawOutput {
            x0: 0,
            x1: 3,
            x2: 1
        }
    );
    assert_eq!(&buf[..4], &[7, 8, 9, 0]);
    assert_eq!(
        native.log(),
        [HvcInput {
            imm: 0x601C,
            regs: regs(&[CAP.0, addr, 16])
        }]
    );

    let smccc = FakeSmccc::constant(regs(&[60, 0, 0, 5]));
    let out = raw::msgq_receive(&smccc, CAP, &mut buf[..8]);
    assert_eq!(
        out,
        RawOutput {
            x0: 60,
            x1: 0,
            x2: 0
        }
    );
    assert_eq!(
        smccc.log(),
        [HvcInput {
            imm: 0,
            regs: regs(&[0xC600_801C, CAP.0, addr, 8])
        }]
    );
}

#[test]
fn raw_flush_returns_x0_only() {
    let smccc = FakeSmccc::constant(regs(&[53, 7, 7]));
    assert_eq!(
        raw::msgq_flush(&smccc, CAP),
        RawOutput {
            x0: 53,
            x1: 0,
            x2: 0
        }
    );
    assert_eq!(
        smccc.log(),
        [HvcInput {
            imm: 0,
            regs: regs(&[0xC600_801D, CAP.0])
        }]
    );
    let native = FakeNative::constant(regs(&[0, 7, 7]));
    assert_eq!(
        raw::msgq_flush(&native, CAP),
        RawOutput {
            x0: 0,
            x1: 0,
            x2: 0
        }
    );
    assert_eq!(
        native.log(),
        [HvcInput {
            imm: 0x601D,
            regs: regs(&[CAP.0])
        }]
    );
}
