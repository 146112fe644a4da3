//! The physical memory and interrupt layout of a boot (`-M virt -m 128M`, MMU off, IPA = PA).

/// Where the guest image is loaded and entered, at EL1 with the MMU off, IRQs masked, x0 = 0
/// (the real resource manager starts its primary VM at the same address, with x0 = its device
/// tree).
pub const GUEST_BASE: u64 = 0x4100_0000;
/// The end of RAM with `-m 128M`. Guest buffers must lie in `GUEST_BASE..RAM_END`; anything
/// else (the model's own memory, devices, unmapped space) is a buffer the model cannot use.
pub const RAM_END: u64 = 0x4800_0000;
/// The INTID of the guest's TX line (SPI 192; QEMU's `virt` board leaves SPIs 176..255 unused).
pub const TX_INTID: u32 = 224;
/// The INTID of the guest's RX line (SPI 193).
pub const RX_INTID: u32 = 225;
/// The INTID the setup call answers for a line the endpoint does not have.
pub const NO_INTID: u32 = 1023;

/// Whether `len` bytes at `addr` lie in guest RAM (no wrap-around). A zero-length buffer at a
/// guest address is in RAM.
#[must_use]
pub const fn in_guest_ram(addr: u64, len: u64) -> bool {
    match addr.checked_add(len) {
        Some(end) => addr >= GUEST_BASE && end <= RAM_END,
        None => false,
    }
}
