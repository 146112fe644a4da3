//! Ending the run: semihosting `SYS_EXIT` carries the exit status to QEMU.

/// Ends the QEMU run with `code` as its exit status.
pub fn exit(code: u32) -> ! {
    // ADP_Stopped_ApplicationExit and the status: the AArch64 SYS_EXIT parameter block.
    let block: [u64; 2] = [0x2_0026, u64::from(code)];
    // SAFETY: `hlt #0xf000` with w0 = 0x18 is the semihosting SYS_EXIT call (QEMU handles it at
    // EL2 and at EL1 alike: it does not trap to the hypervisor); QEMU reads the two-word block
    // at x1 and ends the run. It does not return.
    unsafe {
        core::arch::asm!(
            "hlt #0xf000",
            in("x0") 0x18u64,
            in("x1") block.as_ptr(),
            options(nostack, noreturn)
        );
    }
}
