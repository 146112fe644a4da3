//! The boot code's steps that the EL2 model's `_start` and the guest's `guest_start` share, as
//! assembly text for `global_asm!` (each macro expands to a string literal; `global_asm!`
//! joins its template strings with newlines). They use the local labels `1`, `2`, `9` and
//! `10`: a boot sequence is [`boot_entry!`], its own setup with [`set_stack!`] and
//! [`zero_bss!`], its call into Rust, and last [`wrong_el_exit!`].

/// The entry point `name` (global, in section `.text.boot`), which branches to `9f`
/// ([`wrong_el_exit!`]) unless running at exception level `el`:
/// `boot_entry!(name: "_start", el: 2, scratch: "x0")`.
#[macro_export]
#[rustfmt::skip] // one line of assembly a line
macro_rules! boot_entry {
    (name: $name:literal, el: $el:literal, scratch: $r:literal) => {
        concat!(
            "    .section .text.boot, \"ax\"\n",
            "    .global ", $name, "\n",
            $name, ":\n",
            "    mrs     ", $r, ", CurrentEL\n",
            "    lsr     ", $r, ", ", $r, ", #2\n",
            "    cmp     ", $r, ", #", $el, "\n",
            "    b.ne    9f\n",
        )
    };
}

/// Points SP at the linker script's `__stack_top`: `set_stack!(scratch: "x0")`.
#[macro_export]
#[rustfmt::skip] // one line of assembly a line
macro_rules! set_stack {
    (scratch: $r:literal) => {
        concat!(
            "    adrp    ", $r, ", __stack_top\n",
            "    add     ", $r, ", ", $r, ", :lo12:__stack_top\n",
            "    mov     sp, ", $r, "\n",
        )
    };
}

/// Clears `__bss_start..__bss_end` (16-byte aligned) with the two scratch registers, then falls
/// through to the local label `2`: `zero_bss!(scratch: "x0", "x1")`.
#[macro_export]
#[rustfmt::skip] // one line of assembly a line
macro_rules! zero_bss {
    (scratch: $a:literal, $b:literal) => {
        concat!(
            "    adrp    ", $a, ", __bss_start\n",
            "    add     ", $a, ", ", $a, ", :lo12:__bss_start\n",
            "    adrp    ", $b, ", __bss_end\n",
            "    add     ", $b, ", ", $b, ", :lo12:__bss_end\n",
            "1:  cmp     ", $a, ", ", $b, "\n",
            "    b.hs    2f\n",
            "    stp     xzr, xzr, [", $a, "], #16\n",
            "    b       1b\n",
            "2:\n",
        )
    };
}

/// The local label `9` ([`boot_entry!`]'s target): not at the expected exception level, the
/// run ends with status 3 (semihosting `SYS_EXIT`; no stack, no Rust).
#[macro_export]
macro_rules! wrong_el_exit {
    () => {
        concat!(
            "9:  adr     x1, 10f\n",
            "    mov     x0, #0x18\n",
            "    hlt     #0xf000\n",
            "    b       .\n",
            "    .balign 8\n",
            "10: .quad   0x20026, 3\n",
        )
    };
}
