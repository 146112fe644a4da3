//! Output on the PL011 UART (QEMU's needs no setup).

use core::fmt::{self, Write};

const UART_DR: *mut u32 = 0x0900_0000 as *mut u32;

/// The UART as a `fmt::Write`.
pub struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            // SAFETY: 0x0900_0000 is the PL011 data register on QEMU's `virt` board, device
            // memory with the MMU off (at EL2, and at EL1, where stage 2 is off or maps it
            // through at the same address); writing a byte transmits it.
            unsafe { UART_DR.write_volatile(u32::from(b)) };
        }
        Ok(())
    }
}

/// Writes one line: `prefix`, then `args`, then a newline.
pub fn line(prefix: &str, args: fmt::Arguments<'_>) {
    // The UART never fails.
    let _ = writeln!(Uart, "{prefix}{args}");
}
