//! The RM link handed over to a `gunyah_msgq::AsyncQueue` (feature `async`), for the RM calls
//! through `gunyah-rm-rpc`'s `AsyncClient`.
//!
//! A shut-down `MsgQueue` stays closed (closing is final) and its static cannot give it up,
//! so the handover builds a second queue on the same capabilities and INTIDs (new `GicLine`s
//! on the same lines), wraps it in an `AsyncQueue` and starts it. `MsgQueue::shutdown` only
//! masks the lines and closes, with no hypercall: whatever is left in the hypervisor's RX
//! queue stays there, and since `AsyncQueue::start` drains nothing either, the first receive
//! takes it (the client counts it as a notification or a late reply). The image's IRQ hook
//! ([`link`](super::link)) routes the two INTIDs to this queue once it is installed: its
//! entry points only do bookkeeping and wake the task.

use gunyah_msgq::{AsyncQueue, ConfigError, MAX_MSG_SIZE, MsgQueue, RxConfig, TxConfig};
use gunyah_msgq_hvc::Smccc;
use gunyah_msgq_hvc::gic::GicLine;
use spin::Once;

use super::counted::Counted;
use super::rm_node::RmLink;

/// The async queue: the same conduit (counted), lines and RX buffer as the synchronous one.
pub type AsyncRmQueue = AsyncQueue<Counted<Smccc>, GicLine<'static, 'static>, MAX_MSG_SIZE>;

/// The link after the handover.
pub struct AsyncLink {
    /// The queue (started by [`install`]'s caller).
    pub queue: AsyncRmQueue,
    /// What the tree said.
    pub config: RmLink,
}

static ASYNC_LINK: Once<AsyncLink> = Once::new();

/// Builds the async link once from `config` and two configured lines (not started); later
/// calls return the first one. From then on the IRQ hook routes the link's INTIDs to it.
///
/// # Errors
/// [`ConfigError`] if a size from the tree does not fit the queue.
pub fn install(
    config: RmLink,
    tx_line: GicLine<'static, 'static>,
    rx_line: GicLine<'static, 'static>,
) -> Result<&'static AsyncLink, ConfigError> {
    ASYNC_LINK.try_call_once(|| {
        let mut tx = TxConfig::new(config.tx.cap, tx_line, config.tx.msg_size);
        tx.trigger = config.tx.trigger;
        let rx = RxConfig::new(config.rx.cap, rx_line, config.rx.depth, config.rx.msg_size);
        let queue = AsyncQueue::new(MsgQueue::try_duplex(Counted::new(Smccc), tx, rx)?);
        Ok(AsyncLink { queue, config })
    })
}

/// The async link, once installed.
pub fn get() -> Option<&'static AsyncLink> {
    ASYNC_LINK.get()
}
