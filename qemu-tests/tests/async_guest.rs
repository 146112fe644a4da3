//! The async image: `AsyncQueue` under real vIRQs, a `wfi` executor, the model's peer acting
//! while the guest sleeps (see `guest/async_guest/`). Quiet model.
#![no_std]
#![no_main]

gunyah_msgq_qemu::guest!(
    gunyah_msgq_qemu::async_guest::image,
    gunyah_msgq_qemu::abi::header::FLAG_QUIET
);
