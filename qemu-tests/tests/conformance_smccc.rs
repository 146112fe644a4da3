//! The conformance suite on `gunyah-msgq-hvc`'s SMCCC conduit (`hvc #0`), in both error modes,
//! with the image's own cases: an interrupt during a send, registers across every call,
//! discovery. Quiet model: the streams make tens of thousands of calls.
#![no_std]
#![no_main]

gunyah_msgq_qemu::guest!(
    gunyah_msgq_qemu::conformance::image::<gunyah_msgq_hvc::Smccc>,
    gunyah_msgq_qemu::abi::header::FLAG_QUIET
);
