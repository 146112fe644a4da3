//! The RM link as one `MsgQueue` in a static, built at run time from the device tree's sizes
//! (`try_duplex`), and the interrupt hook that feeds it: the RX vIRQ runs
//! `on_rx_interrupt` (messages go to the [`inbox`](super::inbox)), the TX vIRQ
//! `on_tx_interrupt`. Once the link was handed over to the async queue
//! ([`async_link`](super::async_link)), the hook routes both INTIDs to that queue instead.

use gunyah_msgq::{ConfigError, MAX_MSG_SIZE, MsgQueue, RxConfig, TxConfig};
use gunyah_msgq_hvc::Smccc;
use gunyah_msgq_hvc::gic::GicLine;
use spin::Once;

use super::counted::Counted;
use super::inbox;
use super::rm_node::RmLink;
use crate::irq;

/// The queue: SMCCC conduit (counted), GICv3 lines, an RX buffer for any size the tree may
/// give (up to the hypervisor's 1023).
pub type RmQueue = MsgQueue<Counted<Smccc>, GicLine<'static, 'static>, MAX_MSG_SIZE>;

/// The link in use.
pub struct Link {
    /// The queue.
    pub queue: RmQueue,
    /// What the tree said.
    pub config: RmLink,
}

static LINK: Once<Link> = Once::new();

/// Builds the link once from `config` and its two configured lines; later calls return the
/// first one.
///
/// # Errors
/// [`ConfigError`] if a size from the tree does not fit the queue.
pub fn install(
    config: RmLink,
    tx_line: GicLine<'static, 'static>,
    rx_line: GicLine<'static, 'static>,
) -> Result<&'static Link, ConfigError> {
    LINK.try_call_once(|| {
        let mut tx = TxConfig::new(config.tx.cap, tx_line, config.tx.msg_size);
        tx.trigger = config.tx.trigger;
        let rx = RxConfig::new(config.rx.cap, rx_line, config.rx.depth, config.rx.msg_size);
        let queue = MsgQueue::try_duplex(Counted::new(Smccc), tx, rx)?;
        irq::set_hook(Some(on_irq));
        Ok(Link { queue, config })
    })
}

/// The link, once installed.
pub fn get() -> Option<&'static Link> {
    LINK.get()
}

/// Runs in the IRQ vector for every INTID taken (after `irq` counted it, before the EOI).
fn on_irq(intid: u32) {
    if let Some(link) = super::async_link::get() {
        if intid == link.config.rx.intid {
            link.queue.on_rx_interrupt();
        } else if intid == link.config.tx.intid {
            link.queue.on_tx_interrupt();
        }
        return;
    }
    let Some(link) = get() else { return };
    if intid == link.config.rx.intid {
        // Errors stay visible as the queue's counters and `rx_pending`.
        let _ = link.queue.on_rx_interrupt(inbox::push);
    } else if intid == link.config.tx.intid {
        link.queue.on_tx_interrupt();
    }
}
