//! Guest buffers by address: with the MMU off at EL1 and no stage 2, the guest's addresses are
//! physical addresses the model can use directly.

use gunyah_msgq_qemu_abi::layout::in_guest_ram;

/// The `len` bytes at guest address `addr`, if they lie in guest RAM; `None` for a buffer the
/// hypervisor cannot use (the model's own memory, a device, unmapped space, wrap-around).
pub fn read(addr: u64, len: u64) -> Option<&'static [u8]> {
    if !in_guest_ram(addr, len) {
        return None;
    }
    // SAFETY: the range lies in guest RAM (checked above), which the model never uses for its
    // own data, identity-mapped with the MMU off. The guest is stopped in this trap, so nothing
    // writes the bytes while the model reads them; the slice does not outlive the trap.
    Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) })
}

/// The `len` bytes at guest address `addr`, writable, if they lie in guest RAM.
pub fn write(addr: u64, len: u64) -> Option<&'static mut [u8]> {
    if !in_guest_ram(addr, len) {
        return None;
    }
    // SAFETY: as in `read`; the model holds no other reference into guest RAM during a call.
    Some(unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len as usize) })
}
