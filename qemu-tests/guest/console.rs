//! Output on the PL011 UART (QEMU's needs no setup).

use core::fmt::{self, Write};

const UART_DR: *mut u32 = 0x0900_0000 as *mut u32;

/// The UART as a `fmt::Write`.
pub struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            // SAFETY: 0x0900_0000 is the PL011 data register on QEMU's `virt` board (device
            // memory, MMU off, not stage-2 translated); writing a byte transmits it.
            unsafe { UART_DR.write_volatile(u32::from(b)) };
        }
        Ok(())
    }
}

/// Writes a line.
pub fn line(args: fmt::Arguments<'_>) {
    // The UART never fails.
    let _ = writeln!(Uart, "{args}");
}

/// Prints a line: `println!("format", args)`.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::line(format_args!($($arg)*))
    };
}
