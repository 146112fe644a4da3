//! The size image through the core: the five entry points are calls of one
//! `gunyah_msgq::MsgQueue` over `gunyah-msgq-hvc`'s `Smccc` conduit and `GicLine`s, in a
//! `static`, on the EL2 model's default link.
#![no_std]
#![no_main]

use core::num::NonZeroU8;

use gunyah_msgq::{
    DrainOutcome, MsgQueue, RecvOutcome, RxConfig, SendFlags, SendOutcome, TxConfig,
};
use gunyah_msgq_hvc::Smccc;
use gunyah_msgq_hvc::gic::GicLine;
use gunyah_msgq_qemu_size::code::{ERROR, OK, WOULD_BLOCK};
use gunyah_msgq_qemu_size::{DEPTH, MSG_SIZE, RX_CAP, RX_LINE, TX_CAP, TX_LINE, sink, size_main};

static LINK: MsgQueue<Smccc, GicLine<'static, 'static>, MSG_SIZE> = MsgQueue::duplex(
    Smccc,
    TxConfig::new(TX_CAP, TX_LINE, MSG_SIZE),
    RxConfig::new(RX_CAP, RX_LINE, NonZeroU8::new(DEPTH).unwrap(), MSG_SIZE),
);

/// `start`: enables the lines, drains RX once.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_start() -> u32 {
    match LINK.start(sink) {
        Ok(_) => OK,
        Err(_) => ERROR,
    }
}

/// One `try_send` with PUSH.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_try_send(msg: &[u8]) -> u32 {
    match LINK.try_send(msg, SendFlags::PUSH) {
        Ok(SendOutcome::Sent { .. }) => OK,
        Ok(SendOutcome::WouldBlock) => WOULD_BLOCK,
        Err(_) => ERROR,
    }
}

/// One `try_recv`.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_try_recv(buf: &mut [u8]) -> u32 {
    match LINK.try_recv(buf) {
        Ok(RecvOutcome::Received { .. }) => OK,
        Ok(RecvOutcome::Empty) => WOULD_BLOCK,
        Err(_) => ERROR,
    }
}

/// The RX interrupt's body: `on_rx_interrupt` with the trivial callback.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_rx_irq() -> u32 {
    match LINK.on_rx_interrupt(sink) {
        Ok(DrainOutcome::Done { .. } | DrainOutcome::Pending { .. } | DrainOutcome::Deferred) => OK,
        Err(_) => ERROR,
    }
}

/// The TX interrupt's body.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn entry_tx_irq() {
    LINK.on_tx_interrupt();
}

size_main!();
