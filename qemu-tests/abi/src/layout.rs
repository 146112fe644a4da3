//! The physical memory and interrupt layout of a boot (`-M virt -m 128M`, MMU off, IPA = PA;
//! the primary-VM variant: `-m 1G`, an identity stage 2, the RM link's INTIDs in [`crate::rm`]).

/// Where the guest image is loaded and entered, at EL1 with the MMU off, IRQs masked, x0 = 0
/// (the real resource manager starts its primary VM at the same address, with x0 = its device
/// tree; so does the model's primary-VM variant, with x0 = [`DTB_BASE`]).
pub const GUEST_BASE: u64 = 0x4100_0000;
/// Where the primary VM's device tree is loaded (QEMU's `-device loader`, as for the real
/// resource manager), and what the primary-VM variant passes in x0 at entry.
pub const DTB_BASE: u64 = 0x40F0_0000;
/// The end of the EL2 model's own memory (its link script stops there). The primary-VM
/// variant's stage 2 leaves `0x4000_0000..MODEL_END` out of the guest's address space; the
/// rest of RAM, the device tree's 2 MiB included, is the guest's.
pub const MODEL_END: u64 = 0x40E0_0000;
/// The end of RAM the primary-VM variant boots with (`-m 1G`, as the real primary VM's
/// memory node says: 0x4000_0000 + 1 GiB).
pub const PRIMARY_RAM_END: u64 = 0x8000_0000;
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
    in_window(addr, len, GUEST_BASE, RAM_END)
}

/// [`in_guest_ram`] for the primary-VM variant: `MODEL_END..PRIMARY_RAM_END`.
#[must_use]
pub const fn in_primary_ram(addr: u64, len: u64) -> bool {
    in_window(addr, len, MODEL_END, PRIMARY_RAM_END)
}

const fn in_window(addr: u64, len: u64, start: u64, end: u64) -> bool {
    match addr.checked_add(len) {
        Some(last) => addr >= start && last <= end,
        None => false,
    }
}
