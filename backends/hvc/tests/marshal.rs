//! Every call in both conventions: the exact `hvc` immediate and `x0`-`x7`.

use gunyah_msgq::{CapId, SendFlags};
use gunyah_msgq_hvc::call::{
    NATIVE_IMM_BASE, SMCCC_CALL_UID, SMCCC_HYPERCALL_BASE, SMCCC_IMM, SMCCC_REVISION, number,
};
use gunyah_msgq_hvc::{Call, Convention, HvcInput, NotEmptyThreshold, NotFullThreshold, Virq};

/// A 64-bit capability id: every bit of it must reach the register.
const CAP: CapId = CapId(0x8123_4567_89AB_CDEF);
const VIC: CapId = CapId(0xFEDC_BA98_7654_3210);
const ALL: u64 = u64::MAX;

fn smccc(call: Call) -> HvcInput {
    call.marshal(Convention::Smccc)
}

fn native(call: Call) -> HvcInput {
    call.marshal(Convention::Native)
}

fn hvc(imm: u16, regs: [u64; 8]) -> HvcInput {
    HvcInput { imm, regs }
}

#[test]
fn hypervisor_identify() {
    let call = Call::HypervisorIdentify;
    assert_eq!(smccc(call), hvc(0, [0xC600_8000, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(native(call), hvc(0x6000, [0; 8]));
    assert_eq!(call.number(), Some(0x00));
    assert_eq!(call.function_id(), 0xC600_8000);
}

#[test]
fn msgq_bind_send_virq() {
    let virq = Virq::new(0x3C0).unwrap().with_vcpu(1);
    let call = Call::MsgqBindSendVirq {
        cap: CAP,
        vic: VIC,
        virq,
    };
    // cap, vic, virq, res0
    assert_eq!(
        smccc(call),
        hvc(0, [0xC600_8017, CAP.0, VIC.0, 0x0100_03C0, 0, 0, 0, 0])
    );
    assert_eq!(
        native(call),
        hvc(0x6017, [CAP.0, VIC.0, 0x0100_03C0, 0, 0, 0, 0, 0])
    );
    assert_eq!(call.number(), Some(0x17));
}

#[test]
fn msgq_bind_receive_virq() {
    let virq = Virq::new(0xFF_FFFF).unwrap();
    let call = Call::MsgqBindReceiveVirq {
        cap: CAP,
        vic: VIC,
        virq,
    };
    assert_eq!(
        smccc(call),
        hvc(0, [0xC600_8018, CAP.0, VIC.0, 0xFF_FFFF, 0, 0, 0, 0])
    );
    assert_eq!(
        native(call),
        hvc(0x6018, [CAP.0, VIC.0, 0xFF_FFFF, 0, 0, 0, 0, 0])
    );
    assert_eq!(call.number(), Some(0x18));
}

#[test]
fn msgq_unbind_send_virq() {
    let call = Call::MsgqUnbindSendVirq { cap: CAP };
    // cap, res0
    assert_eq!(smccc(call), hvc(0, [0xC600_8019, CAP.0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(native(call), hvc(0x6019, [CAP.0, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(call.number(), Some(0x19));
}

#[test]
fn msgq_unbind_receive_virq() {
    let call = Call::MsgqUnbindReceiveVirq { cap: CAP };
    assert_eq!(smccc(call), hvc(0, [0xC600_801A, CAP.0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(native(call), hvc(0x601A, [CAP.0, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(call.number(), Some(0x1A));
}

#[test]
fn msgq_send() {
    let push = Call::MsgqSend {
        cap: CAP,
        size: 240,
        buf: 0x4100_2000,
        flags: SendFlags::PUSH,
    };
    // Native: cap x0, size x1, buffer x2, flags x3, res0 x4. SMCCC: shifted up one.
    assert_eq!(
        smccc(push),
        hvc(0, [0xC600_801B, CAP.0, 240, 0x4100_2000, 1, 0, 0, 0])
    );
    assert_eq!(
        native(push),
        hvc(0x601B, [CAP.0, 240, 0x4100_2000, 1, 0, 0, 0, 0])
    );
    let plain = Call::MsgqSend {
        cap: CapId(0),
        size: 1,
        buf: 0xFFFF_0000_0000_0010,
        flags: SendFlags::NONE,
    };
    assert_eq!(
        smccc(plain),
        hvc(0, [0xC600_801B, 0, 1, 0xFFFF_0000_0000_0010, 0, 0, 0, 0])
    );
    assert_eq!(
        native(plain),
        hvc(0x601B, [0, 1, 0xFFFF_0000_0000_0010, 0, 0, 0, 0, 0])
    );
    assert_eq!(push.number(), Some(0x1B));
}

#[test]
fn msgq_receive() {
    let call = Call::MsgqReceive {
        cap: CAP,
        buf: 0x4100_3000,
        size: 1024,
    };
    // Native: cap x0, buffer x1, size x2, res0 x3.
    assert_eq!(
        smccc(call),
        hvc(0, [0xC600_801C, CAP.0, 0x4100_3000, 1024, 0, 0, 0, 0])
    );
    assert_eq!(
        native(call),
        hvc(0x601C, [CAP.0, 0x4100_3000, 1024, 0, 0, 0, 0, 0])
    );
    assert_eq!(call.number(), Some(0x1C));
}

#[test]
fn msgq_flush() {
    let call = Call::MsgqFlush { cap: CAP };
    assert_eq!(smccc(call), hvc(0, [0xC600_801D, CAP.0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(native(call), hvc(0x601D, [CAP.0, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(call.number(), Some(0x1D));
}

#[test]
fn msgq_configure_send() {
    // cap, not_full threshold, holdoff -1, res1
    let call = Call::MsgqConfigureSend {
        cap: CAP,
        not_full: NotFullThreshold::Count(6),
    };
    assert_eq!(
        smccc(call),
        hvc(0, [0xC600_801F, CAP.0, 6, ALL, ALL, 0, 0, 0])
    );
    assert_eq!(native(call), hvc(0x601F, [CAP.0, 6, ALL, ALL, 0, 0, 0, 0]));
    let unchanged = Call::MsgqConfigureSend {
        cap: CAP,
        not_full: NotFullThreshold::Unchanged,
    };
    assert_eq!(
        smccc(unchanged),
        hvc(0, [0xC600_801F, CAP.0, ALL, ALL, ALL, 0, 0, 0])
    );
    assert_eq!(
        native(unchanged),
        hvc(0x601F, [CAP.0, ALL, ALL, ALL, 0, 0, 0, 0])
    );
    assert_eq!(call.number(), Some(0x1F));
}

#[test]
fn msgq_configure_receive() {
    let call = Call::MsgqConfigureReceive {
        cap: CAP,
        not_empty: NotEmptyThreshold::Count(1),
    };
    assert_eq!(
        smccc(call),
        hvc(0, [0xC600_8020, CAP.0, 1, ALL, ALL, 0, 0, 0])
    );
    assert_eq!(native(call), hvc(0x6020, [CAP.0, 1, ALL, ALL, 0, 0, 0, 0]));
    let depth = Call::MsgqConfigureReceive {
        cap: CAP,
        not_empty: NotEmptyThreshold::Depth,
    };
    assert_eq!(
        native(depth),
        hvc(0x6020, [CAP.0, ALL - 1, ALL, ALL, 0, 0, 0, 0])
    );
    assert_eq!(
        smccc(depth),
        hvc(0, [0xC600_8020, CAP.0, ALL - 1, ALL, ALL, 0, 0, 0])
    );
    let unchanged = Call::MsgqConfigureReceive {
        cap: CAP,
        not_empty: NotEmptyThreshold::Unchanged,
    };
    assert_eq!(
        native(unchanged),
        hvc(0x6020, [CAP.0, ALL, ALL, ALL, 0, 0, 0, 0])
    );
    assert_eq!(call.number(), Some(0x20));
}

#[test]
fn call_uid_is_smccc_in_both_conventions() {
    let expected = hvc(0, [0x8600_FF01, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(smccc(Call::CallUid), expected);
    assert_eq!(native(Call::CallUid), expected);
    assert_eq!(Call::CallUid.number(), None);
    assert_eq!(Call::CallUid.function_id(), SMCCC_CALL_UID);
}

#[test]
fn revision_is_smccc_in_both_conventions() {
    let expected = hvc(0, [0x8600_FF03, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(smccc(Call::Revision), expected);
    assert_eq!(native(Call::Revision), expected);
    assert_eq!(Call::Revision.number(), None);
    assert_eq!(Call::Revision.function_id(), SMCCC_REVISION);
}

/// One of each call.
fn every_call() -> [Call; 12] {
    let virq = Virq::new(5).unwrap();
    [
        Call::HypervisorIdentify,
        Call::MsgqBindSendVirq {
            cap: CAP,
            vic: VIC,
            virq,
        },
        Call::MsgqBindReceiveVirq {
            cap: CAP,
            vic: VIC,
            virq,
        },
        Call::MsgqUnbindSendVirq { cap: CAP },
        Call::MsgqUnbindReceiveVirq { cap: CAP },
        Call::MsgqSend {
            cap: CAP,
            size: 3,
            buf: 0x1000,
            flags: SendFlags::PUSH,
        },
        Call::MsgqReceive {
            cap: CAP,
            buf: 0x1000,
            size: 3,
        },
        Call::MsgqFlush { cap: CAP },
        Call::MsgqConfigureSend {
            cap: CAP,
            not_full: NotFullThreshold::Count(1),
        },
        Call::MsgqConfigureReceive {
            cap: CAP,
            not_empty: NotEmptyThreshold::Count(1),
        },
        Call::CallUid,
        Call::Revision,
    ]
}

#[test]
fn conventions_relate_by_one_register_shift() {
    for call in every_call() {
        let s = smccc(call);
        let n = native(call);
        assert_eq!(s.imm, SMCCC_IMM, "{call:?}");
        assert_eq!(s.regs[0], u64::from(call.function_id()), "{call:?}");
        match call.number() {
            Some(number) => {
                assert_eq!(call.function_id(), SMCCC_HYPERCALL_BASE | u32::from(number));
                assert_eq!(n.imm, NATIVE_IMM_BASE + number, "{call:?}");
                assert_eq!(n.regs[..7], s.regs[1..], "{call:?}");
                assert_eq!(n.regs[7], 0, "{call:?}");
                assert_eq!(&call.arguments()[..], &n.regs[..7], "{call:?}");
            }
            None => assert_eq!(n, s, "{call:?}"),
        }
    }
}

#[test]
fn only_send_and_receive_touch_memory() {
    for call in every_call() {
        let expected = matches!(call, Call::MsgqSend { .. } | Call::MsgqReceive { .. });
        assert_eq!(call.accesses_memory(), expected, "{call:?}");
    }
}

#[test]
fn hypercall_numbers() {
    assert_eq!(number::HYPERVISOR_IDENTIFY, 0x00);
    assert_eq!(number::MSGQ_BIND_SEND_VIRQ, 0x17);
    assert_eq!(number::MSGQ_BIND_RECEIVE_VIRQ, 0x18);
    assert_eq!(number::MSGQ_UNBIND_SEND_VIRQ, 0x19);
    assert_eq!(number::MSGQ_UNBIND_RECEIVE_VIRQ, 0x1A);
    assert_eq!(number::MSGQ_SEND, 0x1B);
    assert_eq!(number::MSGQ_RECEIVE, 0x1C);
    assert_eq!(number::MSGQ_FLUSH, 0x1D);
    assert_eq!(number::MSGQ_CONFIGURE_SEND, 0x1F);
    assert_eq!(number::MSGQ_CONFIGURE_RECEIVE, 0x20);
    assert_eq!(Convention::default(), Convention::Smccc);
}
