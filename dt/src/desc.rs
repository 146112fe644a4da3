//! What the tree says about a queue, and the core's configurations made from it.

use core::num::NonZeroU8;

use gunyah_msgq::{CapId, Direction, RxConfig, Trigger, TxConfig};

use crate::DtError;

/// One message queue as the device tree describes it: everything but the platform's IRQ line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct QueueDesc {
    /// Whether this VM sends into it ([`Direction::Tx`]) or receives from it
    /// ([`Direction::Rx`]).
    pub direction: Direction,
    /// Its capability (from `reg`).
    pub cap: CapId,
    /// Its vIRQ's GIC INTID: the SPI number of its `interrupts` specifier + 32.
    pub intid: u32,
    /// How its vIRQ is triggered (the specifier's flags cell: 1 edge, 4 level).
    pub trigger: Trigger,
    /// Its maximum message size in bytes, `1..=1023` (`qcom,{tx,rx}-message-size`, 240 when
    /// absent).
    pub max_msg_size: usize,
    /// Its depth in messages, `1..=255` (`qcom,{tx,rx}-queue-depth`, 8 when absent).
    pub depth: NonZeroU8,
}

impl QueueDesc {
    /// The core's TX configuration of this queue, on the platform's line `irq` for
    /// [`intid`](Self::intid), for an endpoint whose largest message is `MAX` bytes.
    ///
    /// # Errors
    /// - [`DtError::WrongDirection`] if this is an RX queue;
    /// - [`DtError::TooLarge`] if [`max_msg_size`](Self::max_msg_size) is above `MAX`.
    pub fn tx_config<const MAX: usize, I>(&self, irq: I) -> Result<TxConfig<I>, DtError> {
        self.check::<MAX>(Direction::Tx)?;
        let mut config = TxConfig::new(self.cap, irq, self.max_msg_size);
        config.trigger = self.trigger;
        Ok(config)
    }

    /// The core's RX configuration of this queue, on the platform's line `irq` for
    /// [`intid`](Self::intid), for an endpoint whose largest message is `MAX` bytes.
    ///
    /// # Errors
    /// - [`DtError::WrongDirection`] if this is a TX queue;
    /// - [`DtError::TooLarge`] if [`max_msg_size`](Self::max_msg_size) is above `MAX`: the
    ///   endpoint could never receive a message of that size, and would wedge on it.
    pub fn rx_config<const MAX: usize, I>(&self, irq: I) -> Result<RxConfig<I>, DtError> {
        self.check::<MAX>(Direction::Rx)?;
        Ok(RxConfig::new(self.cap, irq, self.depth, self.max_msg_size))
    }

    fn check<const MAX: usize>(&self, expected: Direction) -> Result<(), DtError> {
        if self.direction != expected {
            return Err(DtError::WrongDirection {
                expected,
                found: self.direction,
            });
        }
        if self.max_msg_size > MAX {
            return Err(DtError::TooLarge {
                direction: self.direction,
                size: self.max_msg_size,
                max: MAX,
            });
        }
        Ok(())
    }
}

/// The resource manager's link: the queue this VM sends its requests into and the one it
/// receives replies and notifications from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RmLink {
    /// The queue to the resource manager (`reg` and `interrupts` entry 0).
    pub tx: QueueDesc,
    /// The queue from the resource manager (`reg` and `interrupts` entry 1).
    pub rx: QueueDesc,
}

impl RmLink {
    /// Both configurations, for an endpoint whose largest message is `MAX` bytes (the RM's
    /// messages are [`RM_MSG_SIZE`](gunyah_msgq::RM_MSG_SIZE) = 240), on the platform's lines
    /// for [`tx.intid`](QueueDesc::intid) and [`rx.intid`](QueueDesc::intid).
    ///
    /// # Errors
    /// [`DtError::TooLarge`] if either queue's maximum message size is above `MAX`.
    pub fn configs<const MAX: usize, I>(
        &self,
        tx_irq: I,
        rx_irq: I,
    ) -> Result<(TxConfig<I>, RxConfig<I>), DtError> {
        Ok((
            self.tx.tx_config::<MAX, I>(tx_irq)?,
            self.rx.rx_config::<MAX, I>(rx_irq)?,
        ))
    }
}

/// A labelled `qcom,gunyah-message-queue` node: one queue (`qcom,is-sender` or
/// `qcom,is-receiver`) or a pair (`qcom,is-full-duplex`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LinkDesc {
    /// Its `qcom,label`: which service the queues are for (the same number the resource
    /// manager's `VM_GET_HYP_RESOURCES` gives).
    pub label: u32,
    /// The queue this VM sends into, if it has one.
    pub tx: Option<QueueDesc>,
    /// The queue this VM receives from, if it has one.
    pub rx: Option<QueueDesc>,
}
