//! The smoke image: every case of `cases::smoke` against the msgq model.
#![no_std]
#![no_main]

gunyah_msgq_qemu::guest!(gunyah_msgq_qemu::cases::smoke, 0);
