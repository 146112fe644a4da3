//! Ending the run: semihosting `SYS_EXIT` carries the exit status to QEMU
//! ([`gunyah_msgq_qemu_baremetal::semihosting`]).

pub use gunyah_msgq_qemu_baremetal::semihosting::exit;

/// Exit statuses of the model itself (the guest's verdict is 0 or 1; `boot.rs` exits with 3
/// when QEMU does not start it at EL2).
pub mod status {
    /// An exception the model cannot handle, or a panic (logged first).
    pub const FATAL: u32 = 2;
}
