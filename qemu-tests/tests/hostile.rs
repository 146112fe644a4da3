//! The same guest against the hostile model variant (asked for in the image header): the guest
//! side must fail cleanly.
#![no_std]
#![no_main]

gunyah_msgq_qemu::guest!(
    gunyah_msgq_qemu::cases::hostile,
    gunyah_msgq_qemu::abi::header::FLAG_HOSTILE
);
