//! `gunyah-msgq-hvc`'s discovery on the hostile model variant (every call answers -1): both
//! conduits must fail cleanly with typed errors.
#![no_std]
#![no_main]

gunyah_msgq_qemu::guest!(
    gunyah_msgq_qemu::conformance::hostile,
    gunyah_msgq_qemu::abi::header::FLAG_HOSTILE
);
