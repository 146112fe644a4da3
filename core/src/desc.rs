//! Link descriptions: what a discovery source says about a message queue, and the
//! [`TxConfig`] / [`RxConfig`] made from it.
//!
//! Two sources describe the same queues (spec §5, "Finding the queues"): the device tree
//! (`gunyah-msgq-dt`) and the resource manager's `VM_GET_HYP_RESOURCES` call
//! (`gunyah-rm-rpc`). Both return these types, so code that starts a queue does not care
//! which one found it. The types live here, in the core, because the core is the one crate
//! both sources depend on.
//!
//! Every description is checked when it is built ([`QueueDesc::new`], [`RmLink::new`],
//! [`LinkDesc::new`]): a value of these types always names a queue the hypervisor could have
//! made. A failed check is a [`DescError`].
//!
//! ```
//! use core::num::NonZeroU8;
//! use gunyah_msgq::desc::{DescError, QueueDesc, RmLink};
//! use gunyah_msgq::{CapId, Direction, RM_MSG_SIZE, Trigger};
//!
//! let depth = NonZeroU8::new(8).unwrap();
//! // The resource manager's link as the real RM describes it: caps 0 and 1, INTIDs 960/961.
//! let tx = QueueDesc::new(Direction::Tx, CapId(0), 960, Trigger::Edge, RM_MSG_SIZE, depth)?;
//! let rx = QueueDesc::new(Direction::Rx, CapId(1), 961, Trigger::Edge, RM_MSG_SIZE, depth)?;
//! let link = RmLink::new(tx, rx)?;
//! let (tx_config, rx_config) = link.configs::<RM_MSG_SIZE, _>((), ())?;
//! assert_eq!(rx_config.depth.get(), 8);
//! # let _ = tx_config;
//!
//! // INTID 16 is a PPI, not an SPI a message queue could use.
//! assert_eq!(
//!     QueueDesc::new(Direction::Rx, CapId(1), 16, Trigger::Edge, RM_MSG_SIZE, depth),
//!     Err(DescError::BadIntid { direction: Direction::Rx, intid: 16 })
//! );
//! # Ok::<(), DescError>(())
//! ```

use core::fmt;
use core::num::NonZeroU8;

use crate::{CapId, Direction, MAX_MSG_SIZE, RxConfig, Trigger, TxConfig};

/// The INTID of the first GIC SPI (SPI 0).
pub const FIRST_SPI_INTID: u32 = 32;
/// The INTID of the last GIC SPI (1020..=1023 are special INTIDs).
pub const LAST_SPI_INTID: u32 = 1019;

/// Why a description is not one of a queue the hypervisor could have made, or why it cannot
/// become the configuration asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DescError {
    /// The vIRQ is not a GIC SPI: its INTID is outside
    /// [`FIRST_SPI_INTID`]`..=`[`LAST_SPI_INTID`] (0 is what the resource manager gives for
    /// "no vIRQ").
    BadIntid {
        /// The queue.
        direction: Direction,
        /// The INTID.
        intid: u32,
    },
    /// A maximum message size of 0 or above [`MAX_MSG_SIZE`] (the hypervisor's limits).
    BadMessageSize {
        /// The queue.
        direction: Direction,
        /// The size.
        size: usize,
    },
    /// A queue's maximum message size is larger than the endpoint's `MAX`: an RX queue could
    /// never receive its head message, a TX queue could be sent messages its peer's buffer
    /// does not hold.
    TooLarge {
        /// The queue.
        direction: Direction,
        /// Its maximum message size.
        size: usize,
        /// The endpoint's `MAX`.
        max: usize,
    },
    /// A queue of one direction where the other is needed: a TX configuration asked of an RX
    /// queue, or an RX queue given as a link's TX queue (or the reverse).
    WrongDirection {
        /// The direction needed.
        expected: Direction,
        /// The queue's direction.
        found: Direction,
    },
    /// A [`LinkDesc`] with neither a TX nor an RX queue.
    NoQueue,
}

impl fmt::Display for DescError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescError::BadIntid { direction, intid } => write!(
                f,
                "{direction:?} vIRQ INTID {intid} is not a GIC SPI \
                 ({FIRST_SPI_INTID}..={LAST_SPI_INTID})"
            ),
            DescError::BadMessageSize { direction, size } => write!(
                f,
                "{direction:?} queue's maximum message size {size} is not in 1..={MAX_MSG_SIZE}"
            ),
            DescError::TooLarge {
                direction,
                size,
                max,
            } => write!(
                f,
                "{direction:?} queue's maximum message size {size} is larger than the \
                 endpoint's MAX {max}"
            ),
            DescError::WrongDirection { expected, found } => {
                write!(f, "a {found:?} queue where a {expected:?} queue is needed")
            }
            DescError::NoQueue => write!(f, "a link without a TX or an RX queue"),
        }
    }
}

impl core::error::Error for DescError {}

/// Whether `a` and `b` are the same direction (`PartialEq` is not `const`).
const fn same(a: Direction, b: Direction) -> bool {
    matches!(
        (a, b),
        (Direction::Tx, Direction::Tx) | (Direction::Rx, Direction::Rx)
    )
}

/// `Err(WrongDirection)` unless `found` is `expected`.
const fn expect(expected: Direction, found: Direction) -> Result<(), DescError> {
    if same(expected, found) {
        Ok(())
    } else {
        Err(DescError::WrongDirection { expected, found })
    }
}

/// One message queue as a discovery source describes it: everything but the platform's IRQ
/// line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct QueueDesc {
    /// Whether this VM sends into it ([`Direction::Tx`]) or receives from it
    /// ([`Direction::Rx`]).
    pub direction: Direction,
    /// Its capability.
    pub cap: CapId,
    /// Its vIRQ's GIC INTID, an SPI: [`FIRST_SPI_INTID`]`..=`[`LAST_SPI_INTID`] (in a device
    /// tree, the SPI number of its `interrupts` specifier + 32).
    pub intid: u32,
    /// How its vIRQ is triggered (the resource manager declares every msgq vIRQ edge-rising).
    pub trigger: Trigger,
    /// Its maximum message size in bytes, `1..=1023` (240 on the resource manager's link).
    pub max_msg_size: usize,
    /// Its depth in messages, `1..=255` (8 on the resource manager's link).
    pub depth: NonZeroU8,
}

impl QueueDesc {
    /// A checked description.
    ///
    /// # Errors
    /// - [`DescError::BadIntid`] if `intid` is not an SPI's;
    /// - [`DescError::BadMessageSize`] if `max_msg_size` is 0 or above [`MAX_MSG_SIZE`].
    pub const fn new(
        direction: Direction,
        cap: CapId,
        intid: u32,
        trigger: Trigger,
        max_msg_size: usize,
        depth: NonZeroU8,
    ) -> Result<QueueDesc, DescError> {
        if intid < FIRST_SPI_INTID || intid > LAST_SPI_INTID {
            return Err(DescError::BadIntid { direction, intid });
        }
        if max_msg_size == 0 || max_msg_size > MAX_MSG_SIZE {
            return Err(DescError::BadMessageSize {
                direction,
                size: max_msg_size,
            });
        }
        Ok(QueueDesc {
            direction,
            cap,
            intid,
            trigger,
            max_msg_size,
            depth,
        })
    }

    /// The core's TX configuration of this queue, on the platform's line `irq` for
    /// [`intid`](Self::intid), for an endpoint whose largest message is `MAX` bytes.
    ///
    /// # Errors
    /// - [`DescError::WrongDirection`] if this is an RX queue;
    /// - [`DescError::TooLarge`] if [`max_msg_size`](Self::max_msg_size) is above `MAX`.
    pub fn tx_config<const MAX: usize, I>(&self, irq: I) -> Result<TxConfig<I>, DescError> {
        self.check::<MAX>(Direction::Tx)?;
        let mut config = TxConfig::new(self.cap, irq, self.max_msg_size);
        config.trigger = self.trigger;
        Ok(config)
    }

    /// The core's RX configuration of this queue, on the platform's line `irq` for
    /// [`intid`](Self::intid), for an endpoint whose largest message is `MAX` bytes.
    ///
    /// # Errors
    /// - [`DescError::WrongDirection`] if this is a TX queue;
    /// - [`DescError::TooLarge`] if [`max_msg_size`](Self::max_msg_size) is above `MAX`: the
    ///   endpoint could never receive a message of that size, and would wedge on it.
    pub fn rx_config<const MAX: usize, I>(&self, irq: I) -> Result<RxConfig<I>, DescError> {
        self.check::<MAX>(Direction::Rx)?;
        Ok(RxConfig::new(self.cap, irq, self.depth, self.max_msg_size))
    }

    fn check<const MAX: usize>(&self, expected: Direction) -> Result<(), DescError> {
        expect(expected, self.direction)?;
        if self.max_msg_size > MAX {
            return Err(DescError::TooLarge {
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
    /// The queue to the resource manager (in a device tree, `reg` and `interrupts` entry 0).
    pub tx: QueueDesc,
    /// The queue from the resource manager (in a device tree, `reg` and `interrupts` entry 1).
    pub rx: QueueDesc,
}

impl RmLink {
    /// A checked link.
    ///
    /// # Errors
    /// [`DescError::WrongDirection`] unless `tx` is a TX queue and `rx` an RX queue.
    pub const fn new(tx: QueueDesc, rx: QueueDesc) -> Result<RmLink, DescError> {
        if let Err(e) = expect(Direction::Tx, tx.direction) {
            return Err(e);
        }
        if let Err(e) = expect(Direction::Rx, rx.direction) {
            return Err(e);
        }
        Ok(RmLink { tx, rx })
    }

    /// Both configurations, for an endpoint whose largest message is `MAX` bytes (the RM's
    /// messages are [`RM_MSG_SIZE`](crate::RM_MSG_SIZE) = 240), on the platform's lines for
    /// [`tx.intid`](QueueDesc::intid) and [`rx.intid`](QueueDesc::intid).
    ///
    /// # Errors
    /// [`DescError::TooLarge`] if either queue's maximum message size is above `MAX`.
    pub fn configs<const MAX: usize, I>(
        &self,
        tx_irq: I,
        rx_irq: I,
    ) -> Result<(TxConfig<I>, RxConfig<I>), DescError> {
        Ok((
            self.tx.tx_config::<MAX, I>(tx_irq)?,
            self.rx.rx_config::<MAX, I>(rx_irq)?,
        ))
    }
}

/// A labelled link to another VM: one queue or a pair. In a device tree, a
/// `qcom,gunyah-message-queue` node (`qcom,is-sender`, `qcom,is-receiver` or
/// `qcom,is-full-duplex`); from the resource manager, the msgq TX (type 2) and RX (type 3)
/// entries of `VM_GET_HYP_RESOURCES` that share a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LinkDesc {
    /// Its label: which service the queues are for (a device tree's `qcom,label`, the same
    /// number the resource manager's `VM_GET_HYP_RESOURCES` gives).
    pub label: u32,
    /// The queue this VM sends into, if it has one.
    pub tx: Option<QueueDesc>,
    /// The queue this VM receives from, if it has one.
    pub rx: Option<QueueDesc>,
}

impl LinkDesc {
    /// A checked link.
    ///
    /// # Errors
    /// - [`DescError::NoQueue`] if both `tx` and `rx` are `None`;
    /// - [`DescError::WrongDirection`] if `tx` is an RX queue or `rx` a TX queue.
    pub const fn new(
        label: u32,
        tx: Option<QueueDesc>,
        rx: Option<QueueDesc>,
    ) -> Result<LinkDesc, DescError> {
        if tx.is_none() && rx.is_none() {
            return Err(DescError::NoQueue);
        }
        if let Some(q) = &tx {
            if let Err(e) = expect(Direction::Tx, q.direction) {
                return Err(e);
            }
        }
        if let Some(q) = &rx {
            if let Err(e) = expect(Direction::Rx, q.direction) {
                return Err(e);
            }
        }
        Ok(LinkDesc { label, tx, rx })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPTH: NonZeroU8 = NonZeroU8::new(8).unwrap();

    fn q(direction: Direction, intid: u32, size: usize) -> Result<QueueDesc, DescError> {
        QueueDesc::new(direction, CapId(7), intid, Trigger::Level, size, DEPTH)
    }

    #[test]
    fn intid_bounds() {
        for intid in [0, 31, 1020, 1023, 4096, u32::MAX] {
            assert_eq!(
                q(Direction::Tx, intid, 240),
                Err(DescError::BadIntid {
                    direction: Direction::Tx,
                    intid
                })
            );
        }
        for intid in [32, 33, 960, 1019] {
            assert_eq!(q(Direction::Rx, intid, 240).unwrap().intid, intid);
        }
    }

    #[test]
    fn message_size_bounds() {
        for size in [0, 1024, usize::MAX] {
            assert_eq!(
                q(Direction::Rx, 40, size),
                Err(DescError::BadMessageSize {
                    direction: Direction::Rx,
                    size
                })
            );
        }
        for size in [1, 240, 1023] {
            assert_eq!(q(Direction::Rx, 40, size).unwrap().max_msg_size, size);
        }
    }

    #[test]
    fn fields_are_kept() {
        let d = q(Direction::Tx, 100, 64).unwrap();
        assert_eq!(
            (
                d.direction,
                d.cap,
                d.intid,
                d.trigger,
                d.max_msg_size,
                d.depth
            ),
            (Direction::Tx, CapId(7), 100, Trigger::Level, 64, DEPTH)
        );
    }

    #[test]
    fn configs_check_direction_and_size() {
        let tx = q(Direction::Tx, 960, 240).unwrap();
        let rx = q(Direction::Rx, 961, 240).unwrap();
        let c = tx.tx_config::<240, _>(()).unwrap();
        assert_eq!(
            (c.cap, c.trigger, c.max_msg_size),
            (CapId(7), Trigger::Level, 240)
        );
        let c = rx.rx_config::<240, _>(()).unwrap();
        assert_eq!((c.cap, c.depth, c.max_msg_size), (CapId(7), DEPTH, 240));
        assert_eq!(
            tx.tx_config::<239, _>(()).unwrap_err(),
            DescError::TooLarge {
                direction: Direction::Tx,
                size: 240,
                max: 239
            }
        );
        assert_eq!(
            rx.tx_config::<240, _>(()).unwrap_err(),
            DescError::WrongDirection {
                expected: Direction::Tx,
                found: Direction::Rx
            }
        );
        assert_eq!(
            tx.rx_config::<240, _>(()).unwrap_err(),
            DescError::WrongDirection {
                expected: Direction::Rx,
                found: Direction::Tx
            }
        );
    }

    #[test]
    fn rm_link_checks_directions() {
        let tx = q(Direction::Tx, 960, 240).unwrap();
        let rx = q(Direction::Rx, 961, 240).unwrap();
        let link = RmLink::new(tx, rx).unwrap();
        assert_eq!((link.tx, link.rx), (tx, rx));
        assert!(link.configs::<240, _>((), ()).is_ok());
        let wrong_tx = DescError::WrongDirection {
            expected: Direction::Tx,
            found: Direction::Rx,
        };
        let wrong_rx = DescError::WrongDirection {
            expected: Direction::Rx,
            found: Direction::Tx,
        };
        assert_eq!(RmLink::new(rx, rx), Err(wrong_tx));
        assert_eq!(RmLink::new(tx, tx), Err(wrong_rx));
        assert_eq!(RmLink::new(rx, tx), Err(wrong_tx));
    }

    #[test]
    fn link_desc_checks_directions() {
        let tx = q(Direction::Tx, 960, 240).unwrap();
        let rx = q(Direction::Rx, 961, 240).unwrap();
        assert_eq!(LinkDesc::new(5, None, None), Err(DescError::NoQueue));
        let both = LinkDesc::new(5, Some(tx), Some(rx)).unwrap();
        assert_eq!((both.label, both.tx, both.rx), (5, Some(tx), Some(rx)));
        assert!(LinkDesc::new(5, Some(tx), None).is_ok());
        assert!(LinkDesc::new(5, None, Some(rx)).is_ok());
        let wrong_tx = DescError::WrongDirection {
            expected: Direction::Tx,
            found: Direction::Rx,
        };
        let wrong_rx = DescError::WrongDirection {
            expected: Direction::Rx,
            found: Direction::Tx,
        };
        assert_eq!(LinkDesc::new(5, Some(rx), None), Err(wrong_tx));
        assert_eq!(LinkDesc::new(5, None, Some(tx)), Err(wrong_rx));
        assert_eq!(LinkDesc::new(5, Some(tx), Some(tx)), Err(wrong_rx));
    }

    #[test]
    fn errors_display() {
        use std::string::ToString;
        let all = [
            DescError::BadIntid {
                direction: Direction::Tx,
                intid: 5,
            },
            DescError::BadMessageSize {
                direction: Direction::Rx,
                size: 0,
            },
            DescError::TooLarge {
                direction: Direction::Rx,
                size: 1000,
                max: 240,
            },
            DescError::WrongDirection {
                expected: Direction::Tx,
                found: Direction::Rx,
            },
            DescError::NoQueue,
        ];
        let texts = [
            "Tx vIRQ INTID 5 is not a GIC SPI (32..=1019)",
            "Rx queue's maximum message size 0 is not in 1..=1023",
            "Rx queue's maximum message size 1000 is larger than the endpoint's MAX 240",
            "a Rx queue where a Tx queue is needed",
            "a link without a TX or an RX queue",
        ];
        for (e, text) in all.iter().zip(texts) {
            assert_eq!(e.to_string(), text);
        }
    }
}
