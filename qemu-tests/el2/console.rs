//! Log lines on the PL011 UART ([`gunyah_msgq_qemu_baremetal::console`]), prefixed `[el2] `.

use core::fmt;

/// Writes one log line.
pub fn line(args: fmt::Arguments<'_>) {
    gunyah_msgq_qemu_baremetal::console::line("[el2] ", args);
}

/// Logs a line: `log!("format", args)`.
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::console::line(format_args!($($arg)*))
    };
}

pub(crate) use log;
