//! Log lines on the PL011 UART (QEMU's needs no setup), prefixed `[el2] `.

use core::fmt::{self, Write};

const UART_DR: *mut u32 = 0x0900_0000 as *mut u32;

/// The UART as a `fmt::Write`.
pub struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            // SAFETY: 0x0900_0000 is the PL011 data register on QEMU's `virt` board, mapped
            // as device memory (MMU off); writing a byte transmits it.
            unsafe { UART_DR.write_volatile(u32::from(b)) };
        }
        Ok(())
    }
}

/// Writes one log line.
pub fn line(args: fmt::Arguments<'_>) {
    // The UART never fails.
    let _ = writeln!(Uart, "[el2] {args}");
}

/// Logs a line: `log!("format", args)`.
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::console::line(format_args!($($arg)*))
    };
}

pub(crate) use log;
