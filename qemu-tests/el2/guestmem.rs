//! Guest buffers by address: with the MMU off at EL1 and no stage 2 (or the primary-VM
//! variant's identity map), the guest's addresses are physical addresses the model can use
//! directly.

use core::sync::atomic::{AtomicBool, Ordering};

use gunyah_msgq_qemu_abi::layout::{in_guest_ram, in_primary_ram};

/// The guest's RAM is the primary-VM variant's (`MODEL_END..PRIMARY_RAM_END`), not the
/// default `GUEST_BASE..RAM_END`.
static PRIMARY_VM: AtomicBool = AtomicBool::new(false);

/// Selects the primary-VM variant's RAM (at boot, before the guest runs).
pub fn use_primary_vm_ram() {
    PRIMARY_VM.store(true, Ordering::Relaxed);
}

fn usable(addr: u64, len: u64) -> bool {
    if PRIMARY_VM.load(Ordering::Relaxed) {
        in_primary_ram(addr, len)
    } else {
        in_guest_ram(addr, len)
    }
}

/// The `len` bytes at guest address `addr`, if they lie in guest RAM; `None` for a buffer the
/// hypervisor cannot use (the model's own memory, a device, unmapped space, wrap-around).
pub fn read(addr: u64, len: u64) -> Option<&'static [u8]> {
    if !usable(addr, len) {
        return None;
    }
    // SAFETY: the range lies in guest RAM (checked above), which the model never uses for its
    // own data, identity-mapped (MMU off at EL2; stage 2, if on, is the identity). The guest is stopped in this trap, so nothing
    // writes the bytes while the model reads them; the slice does not outlive the trap.
    Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) })
}

/// The `len` bytes at guest address `addr`, writable, if they lie in guest RAM.
pub fn write(addr: u64, len: u64) -> Option<&'static mut [u8]> {
    if !usable(addr, len) {
        return None;
    }
    // SAFETY: as in `read`; the model holds no other reference into guest RAM during a call.
    Some(unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len as usize) })
}
