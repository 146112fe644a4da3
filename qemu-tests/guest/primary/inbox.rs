//! Messages the RX interrupt handler received, for the code that waits for them.
//!
//! The handler (`MsgQueue::on_rx_interrupt`'s callback) [`push`]es each message; code that
//! expects one [`wait`]s: with IRQs masked it looks, and if nothing is there it waits for an
//! interrupt (`wfi` wakes on a pending IRQ even while masked), then unmasks so the handler
//! runs. No wake-up is lost between the look and the `wfi`. Code that expects none
//! [`settle`]s instead: it spins for a while with IRQs unmasked (a `wfi` with nothing to come
//! would never return on a real hypervisor).

use core::cell::RefCell;

use critical_section::Mutex;

use crate::irq;

/// The longest message kept (longer ones are cut; [`Msg::cut`] says so).
pub const MSG_MAX: usize = gunyah_msgq::RM_MSG_SIZE;
/// As many as the RM link's RX queue holds (its depth, 8): one drain fits.
const SLOTS: usize = 8;

/// One received message.
#[derive(Clone, Copy, Debug)]
pub struct Msg {
    bytes: [u8; MSG_MAX],
    len: usize,
    /// It was longer than [`MSG_MAX`].
    pub cut: bool,
}

impl Msg {
    /// Its bytes.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

struct Inbox {
    slots: [Msg; SLOTS],
    head: usize,
    len: usize,
    lost: u32,
}

const EMPTY: Msg = Msg {
    bytes: [0; MSG_MAX],
    len: 0,
    cut: false,
};

static INBOX: Mutex<RefCell<Inbox>> = Mutex::new(RefCell::new(Inbox {
    slots: [EMPTY; SLOTS],
    head: 0,
    len: 0,
    lost: 0,
}));

/// Keeps `msg` (from the RX handler); a full inbox counts it as lost.
pub fn push(msg: &[u8]) {
    critical_section::with(|cs| {
        let mut inbox = INBOX.borrow_ref_mut(cs);
        if inbox.len == SLOTS {
            inbox.lost += 1;
            return;
        }
        let len = msg.len().min(MSG_MAX);
        let slot = (inbox.head + inbox.len) % SLOTS;
        let m = &mut inbox.slots[slot];
        m.bytes[..len].copy_from_slice(&msg[..len]);
        m.len = len;
        m.cut = len < msg.len();
        inbox.len += 1;
    });
}

/// The oldest message kept, if any.
pub fn take() -> Option<Msg> {
    critical_section::with(|cs| {
        let mut inbox = INBOX.borrow_ref_mut(cs);
        if inbox.len == 0 {
            return None;
        }
        let m = inbox.slots[inbox.head];
        inbox.head = (inbox.head + 1) % SLOTS;
        inbox.len -= 1;
        Some(m)
    })
}

/// How many messages are kept.
pub fn pending() -> usize {
    critical_section::with(|cs| INBOX.borrow_ref(cs).len)
}

/// Messages dropped because the inbox was full.
pub fn lost() -> u32 {
    critical_section::with(|cs| INBOX.borrow_ref(cs).lost)
}

/// Waits for a message, through at most `wakeups` interrupts (or `wfi` returns: under the EL2
/// model a `wfi` traps and returns at once).
pub fn wait(wakeups: u32) -> Option<Msg> {
    for _ in 0..wakeups {
        irq::mask();
        if let Some(m) = take() {
            irq::unmask();
            return Some(m);
        }
        // SAFETY: waits for an interrupt; wakes on a pending IRQ even with PSTATE.I set.
        unsafe { core::arch::asm!("dsb sy", "wfi", options(nostack)) };
        irq::unmask();
    }
    take()
}

/// Spins for `ms` milliseconds of the virtual counter with IRQs unmasked, then returns the
/// oldest message kept, if any.
pub fn settle(ms: u64) -> Option<Msg> {
    let (freq, start) = (counter_frequency(), counter());
    let ticks = freq / 1000 * ms;
    while counter().wrapping_sub(start) < ticks {
        core::hint::spin_loop();
    }
    take()
}

fn counter() -> u64 {
    let v: u64;
    // SAFETY: reading CNTVCT_EL0 has no side effect (EL1 may always read it).
    unsafe { core::arch::asm!("isb", "mrs {}, cntvct_el0", out(reg) v, options(nomem, nostack)) };
    v
}

fn counter_frequency() -> u64 {
    let v: u64;
    // SAFETY: reading CNTFRQ_EL0 has no side effect.
    unsafe { core::arch::asm!("mrs {}, cntfrq_el0", out(reg) v, options(nomem, nostack)) };
    v
}
