//! The size image with raw hypercalls: the same five entry points as `size-core`, making the
//! same `hvc`s through `gunyah_msgq_hvc::raw` on the `Smccc` conduit, with the least decoding
//! a caller needs (the error word, `not_full`, the size bounded by the buffer, `not_empty`),
//! and the same `GicLine`s enabled at start. No state machine: what the core adds is the
//! difference between the two images.
#![no_std]
#![no_main]

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};

use gunyah_msgq::{IrqLine, SendFlags};
use gunyah_msgq_hvc::{Smccc, raw};
use gunyah_msgq_qemu_size::code::{ERROR, OK, WOULD_BLOCK};
use gunyah_msgq_qemu_size::{DEPTH, MSG_SIZE, RX_CAP, RX_LINE, TX_CAP, TX_LINE, sink, size_main};

/// Gunyah's MSGQUEUE_EMPTY and MSGQUEUE_FULL.
const EMPTY: i32 = 60;
const FULL: i32 = 61;

/// The RX drain's buffer (the core keeps one inside its queue).
struct RxBuf(UnsafeCell<[u8; MSG_SIZE]>);
// SAFETY: only `drain` uses it, and two drains never overlap: in this image every entry point
// is called from `size_main` with IRQs masked throughout. (A real raw user would run it from
// the RX interrupt, which does not nest, and from start before the line is enabled.)
unsafe impl Sync for RxBuf {}
static RX_BUF: RxBuf = RxBuf(UnsafeCell::new([0; MSG_SIZE]));

/// TX interrupts seen (what a raw user would wake its sender with).
static TX_EVENTS: AtomicU32 = AtomicU32::new(0);

/// Receives until EMPTY or `not_empty` = 0, at most `depth + 1` times, each message to `sink`.
fn drain() -> u32 {
    // SAFETY: see `RxBuf`.
    let buf = unsafe { &mut *RX_BUF.0.get() };
    for _ in 0..=DEPTH {
        let out = raw::msgq_receive(&Smccc, RX_CAP, buf);
        match out.x0 as u32 as i32 {
            0 => {
                sink(&buf[..(out.x1 as usize).min(buf.len())]);
                if out.x2 as u8 == 0 {
                    return OK;
                }
            }
            EMPTY => return OK,
            _ => return ERROR,
        }
    }
    OK
}

/// Enables both lines, drains RX once.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_start() -> u32 {
    TX_LINE.enable();
    RX_LINE.enable();
    drain()
}

/// One `msgq_send` with PUSH.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_try_send(msg: &[u8]) -> u32 {
    let out = raw::msgq_send(&Smccc, TX_CAP, msg, SendFlags::PUSH);
    match out.x0 as u32 as i32 {
        0 => OK,
        FULL => WOULD_BLOCK,
        _ => ERROR,
    }
}

/// One `msgq_receive`.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_try_recv(buf: &mut [u8]) -> u32 {
    let out = raw::msgq_receive(&Smccc, RX_CAP, buf);
    match out.x0 as u32 as i32 {
        0 => OK,
        EMPTY => WOULD_BLOCK,
        _ => ERROR,
    }
}

/// The RX interrupt's body: the drain.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_rx_irq() -> u32 {
    drain()
}

/// The TX interrupt's body: count it.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_tx_irq() {
    TX_EVENTS.fetch_add(1, Ordering::Relaxed);
}

size_main!();
