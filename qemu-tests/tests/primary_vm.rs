//! The primary-VM image: the real Gunyah resource manager's boot contract (entered at EL1 at
//! 0x4100_0000 with x0 = the device tree), on `gunyah-msgq` + `gunyah-msgq-hvc`. Its header
//! asks the EL2 model for the primary-VM variant; a real hypervisor just runs the header's
//! branch. See `gunyah_msgq_qemu::primary`.
#![no_std]
#![no_main]

gunyah_msgq_qemu::guest!(
    gunyah_msgq_qemu::primary::main,
    gunyah_msgq_qemu::abi::header::FLAG_PRIMARY_VM
);
