//! System register access.

/// Reads a system register by name.
macro_rules! read_sysreg {
    ($name:expr) => {{
        let value: u64;
        // SAFETY: reading a system register has no side effect on memory; the model runs at
        // EL2, where every register it names is accessible.
        unsafe {
            core::arch::asm!(concat!("mrs {}, ", $name), out(reg) value, options(nomem, nostack, preserves_flags));
        }
        value
    }};
}

/// Writes a system register by name and synchronises the context (`isb`).
macro_rules! write_sysreg {
    ($name:expr, $value:expr) => {{
        let value: u64 = $value;
        // SAFETY: the model owns the EL2 configuration and the guest's EL1 state; callers
        // write only values this file documents. Not `nomem`: a write can change how memory
        // and interrupts behave.
        unsafe {
            core::arch::asm!(concat!("msr ", $name, ", {}"), "isb", in(reg) value, options(nostack, preserves_flags));
        }
    }};
}

pub(crate) use {read_sysreg, write_sysreg};
