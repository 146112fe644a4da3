//! The vIRQ line abstraction.

/// How a vIRQ line is triggered in the guest's interrupt controller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Edge-rising, as the resource manager declares every msgq vIRQ: one TX edge per
    /// full → not-full transition, one RX edge per empty → non-empty transition or PUSH.
    #[default]
    Edge,
    /// Level: the hypervisor re-asserts the line while its condition holds, so a TX line fires
    /// continuously while the queue has room. The queue masks such a TX line while it is
    /// `Ready` and unmasks it only while `Full`.
    Level,
}

/// One vIRQ line of a message queue, as the platform's interrupt controller exposes it.
///
/// The queue never owns an interrupt handler: the platform's handler calls
/// [`MsgQueue::on_tx_interrupt`](crate::MsgQueue::on_tx_interrupt) or
/// [`MsgQueue::on_rx_interrupt`](crate::MsgQueue::on_rx_interrupt), and the queue uses this trait
/// only to unmask, mask and acknowledge the line.
///
/// # For implementers
/// - [`enable`](IrqLine::enable) must deliver an edge that arrived while the line was masked
///   (the GIC keeps it pending), or the queue can miss the TX event it is waiting for.
/// - After [`disable`](IrqLine::disable) returns, the platform must start no new invocation of
///   the line's handler. A handler already running on another CPU may finish; the queue treats
///   that late call as a no-op once it is closed.
/// - The methods may be called from the line's own handler and with interrupts masked.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IrqLine {
    /// Unmasks the line.
    fn enable(&self);
    /// Masks the line.
    fn disable(&self);
    /// Acknowledges the line at the start of its handler, for platforms whose controller needs
    /// it from the driver. The default does nothing.
    fn acknowledge(&self) {}
}

impl<T: IrqLine + ?Sized> IrqLine for &T {
    fn enable(&self) {
        T::enable(self);
    }

    fn disable(&self) {
        T::disable(self);
    }

    fn acknowledge(&self) {
        T::acknowledge(self);
    }
}
