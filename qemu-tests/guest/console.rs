//! Output on the PL011 UART ([`gunyah_msgq_qemu_baremetal::console`]).

use core::fmt;

pub use gunyah_msgq_qemu_baremetal::console::Uart;

/// Writes a line.
pub fn line(args: fmt::Arguments<'_>) {
    gunyah_msgq_qemu_baremetal::console::line("", args);
}

/// Prints a line: `println!("format", args)`.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::line(format_args!($($arg)*))
    };
}
