//! Stack painting (feature `paint`, for `stack.sh`): each entry point is called on a stack
//! whose next [`PAINT`] bytes below the caller's SP hold a pattern; afterwards the lowest word
//! that changed gives the entry point's high-water mark: its own frame plus everything it
//! called, as run. Each entry point is run in the states that reach its deeper paths (a send
//! that fills the queue and one that finds it full; a TX interrupt in `Full` and in `Ready`;
//! drains of one message, of several and of none; a receive of a message and of nothing), and
//! the largest mark is printed: `paint: ENTRY BYTES`.
//!
//! The other VM is played with the EL2 model's `PeerSend` control call, so this runs on the
//! model only. IRQs stay masked throughout (the EL2 model enters with DAIF all set and nothing
//! here unmasks), so nothing else writes below SP while a measurement runs.

use core::arch::asm;

use gunyah_msgq_qemu_baremetal::console;

/// Bytes painted below the caller's SP: far more than any entry point may use.
const PAINT: usize = 4096;
const PATTERN: u64 = 0x5A5A_C0DE_A5A5_0DEC;

/// The image's entry points.
pub struct Entries {
    /// `entry_start`.
    pub start: fn() -> u32,
    /// `entry_try_send`.
    pub try_send: fn(&[u8]) -> u32,
    /// `entry_try_recv`.
    pub try_recv: fn(&mut [u8]) -> u32,
    /// `entry_rx_irq`.
    pub rx_irq: fn() -> u32,
    /// `entry_tx_irq`.
    pub tx_irq: fn(),
}

/// SP of the caller (the function that calls this is never inlined into anything that uses
/// stack below it).
#[inline(always)]
fn sp() -> usize {
    let sp: usize;
    // SAFETY: reads SP; no side effect.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// Fills `PAINT` bytes below `top` with the pattern.
#[inline(always)]
fn paint(top: usize) {
    let mut a = top - PAINT;
    while a < top {
        // SAFETY: the words below SP belong to no Rust object: AArch64 has no red zone, and
        // nothing else runs (IRQs masked) before the call that may use them.
        unsafe { (a as *mut u64).write_volatile(PATTERN) };
        a += 8;
    }
}

/// How many bytes below `top` were written since [`paint`].
#[inline(always)]
fn high_water(top: usize) -> usize {
    let mut a = top - PAINT;
    // SAFETY: the painted words, read back; nothing uses them any more.
    while a < top && unsafe { (a as *const u64).read_volatile() } == PATTERN {
        a += 8;
    }
    top - a
}

// One function per entry-point signature: SP is read in the frame that makes the call, and
// the call is the entry point itself, so the mark is the entry point's use and nothing else's.

#[inline(never)]
fn mark_u32(f: fn() -> u32) -> (usize, u32) {
    let top = sp();
    paint(top);
    let r = f();
    (high_water(top), r)
}

#[inline(never)]
fn mark_unit(f: fn()) -> usize {
    let top = sp();
    paint(top);
    f();
    high_water(top)
}

#[inline(never)]
fn mark_send(f: fn(&[u8]) -> u32, msg: &[u8]) -> (usize, u32) {
    let top = sp();
    paint(top);
    let r = f(msg);
    (high_water(top), r)
}

#[inline(never)]
fn mark_recv(f: fn(&mut [u8]) -> u32, buf: &mut [u8]) -> (usize, u32) {
    let top = sp();
    paint(top);
    let r = f(buf);
    (high_water(top), r)
}

/// The model's `PeerSend` control call (`hvc #0x6102`): the other VM sends `msg` into the
/// queue this image receives from. Whether it was accepted.
fn peer_send(msg: &[u8]) -> bool {
    let mut x0 = msg.as_ptr() as u64;
    // SAFETY: a control call of the EL2 model: it reads `msg.len()` bytes at `msg` (borrowed
    // for the call) and changes only x0-x17, declared here.
    unsafe {
        asm!(
            "hvc #0x6102",
            inout("x0") x0,
            inout("x1") msg.len() as u64 => _,
            inout("x2") 0u64 => _,
            out("x3") _, out("x4") _, out("x5") _, out("x6") _, out("x7") _,
            out("x8") _, out("x9") _, out("x10") _, out("x11") _, out("x12") _,
            out("x13") _, out("x14") _, out("x15") _, out("x16") _, out("x17") _,
            options(nostack),
        );
    }
    x0 as u32 == 0
}

/// Runs every entry point in its states and prints the largest mark of each.
pub fn run(e: Entries) {
    let msg = core::hint::black_box([0x21u8; 8]);
    let mut buf = [0u8; crate::MSG_SIZE];

    let start = mark_u32(e.start).0;

    // Fill the TX queue (the last accepted send leaves it full: the core enters `Full`), then
    // one more send that finds it full.
    let mut try_send = 0;
    for _ in 0..=crate::DEPTH {
        let (m, r) = mark_send(e.try_send, &msg);
        try_send = try_send.max(m);
        if r != crate::code::OK {
            break;
        }
    }

    // `Full` → `Ready`, then a spurious one in `Ready`.
    let tx_irq = mark_unit(e.tx_irq).max(mark_unit(e.tx_irq));

    // Drains of one message, of three, of none.
    let mut rx_irq = 0;
    for n in [1, 3, 0] {
        for _ in 0..n {
            let _ = peer_send(&msg);
        }
        rx_irq = rx_irq.max(mark_u32(e.rx_irq).0);
    }

    // A receive of a message, then of nothing.
    let _ = peer_send(&msg);
    let try_recv = mark_recv(e.try_recv, &mut buf)
        .0
        .max(mark_recv(e.try_recv, &mut buf).0);

    for (name, bytes) in [
        ("entry_start", start),
        ("entry_try_send", try_send),
        ("entry_try_recv", try_recv),
        ("entry_rx_irq", rx_irq),
        ("entry_tx_irq", tx_irq),
    ] {
        console::line("", format_args!("paint: {name} {bytes}"));
    }
}
