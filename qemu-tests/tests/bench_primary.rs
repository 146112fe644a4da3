//! The bench image on the primary-VM contract (the RM link from the device tree, no control
//! calls): runs on the model's primary-VM variant and, unchanged, under a real Gunyah build
//! (see `gunyah_msgq_qemu::bench::primary`).
#![no_std]
#![no_main]

gunyah_msgq_qemu::guest!(
    gunyah_msgq_qemu::bench::primary::main,
    gunyah_msgq_qemu::abi::header::FLAG_PRIMARY_VM | gunyah_msgq_qemu::abi::header::FLAG_QUIET
);
