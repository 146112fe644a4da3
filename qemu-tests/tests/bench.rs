//! The bench image on the model's default variant: `MsgQueue` over `gunyah-msgq-hvc` against
//! the same raw hypercalls, timed with CNTVCT_EL0 (see `gunyah_msgq_qemu::bench`). Quiet
//! model: a logged call would dominate every timing.
#![no_std]
#![no_main]

gunyah_msgq_qemu::guest!(
    gunyah_msgq_qemu::bench::model::main,
    gunyah_msgq_qemu::abi::header::FLAG_QUIET
);
