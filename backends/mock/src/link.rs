//! Links: two queues connecting two VMs, and each VM's `Endpoint` on them.

use std::num::NonZeroU8;
use std::sync::Arc;
use std::vec::Vec;

use gunyah_msgq::abi::RecvReply;
use gunyah_msgq::{
    CapId, ConfigError, DrainOutcome, Error, MsgQueue, RawOutput, RxConfig, SendFlags, Trigger,
    TxConfig,
};

use crate::guest::Guest;
use crate::hypervisor::MockHypervisor;
use crate::irq::MockIrq;
use crate::model::{EndpointCaps, MAX_MSG_SIZE, Mode, QueueConfig, QueueId, VmId};

/// The two queues of a link and how their lines are triggered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkConfig {
    /// The queue VM A sends into.
    pub a_to_b: QueueConfig,
    /// The queue VM B sends into.
    pub b_to_a: QueueConfig,
    /// The trigger of both TX lines.
    pub tx_trigger: Trigger,
    /// The trigger of both RX lines.
    pub rx_trigger: Trigger,
}

impl LinkConfig {
    /// The resource manager's link: 8 × 240 bytes each way, edge-triggered, documented errors.
    pub const RM_LINK: LinkConfig = LinkConfig::symmetric(QueueConfig::RM_LINK);

    /// Both queues configured as `queue`, edge-triggered lines.
    #[must_use]
    pub const fn symmetric(queue: QueueConfig) -> LinkConfig {
        LinkConfig {
            a_to_b: queue,
            b_to_a: queue,
            tx_trigger: Trigger::Edge,
            rx_trigger: Trigger::Edge,
        }
    }

    /// The same link with both queues in `mode`.
    #[must_use]
    pub const fn with_mode(self, mode: Mode) -> LinkConfig {
        LinkConfig {
            a_to_b: self.a_to_b.with_mode(mode),
            b_to_a: self.b_to_a.with_mode(mode),
            ..self
        }
    }

    /// The same link with TX lines triggered by `trigger`.
    #[must_use]
    pub const fn with_tx_trigger(self, trigger: Trigger) -> LinkConfig {
        LinkConfig {
            tx_trigger: trigger,
            ..self
        }
    }

    /// The same link with RX lines triggered by `trigger`.
    #[must_use]
    pub const fn with_rx_trigger(self, trigger: Trigger) -> LinkConfig {
        LinkConfig {
            rx_trigger: trigger,
            ..self
        }
    }
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig::RM_LINK
    }
}

/// Both ends of a link.
#[derive(Clone, Debug)]
pub struct Link {
    /// VM A's end.
    pub a: Endpoint,
    /// VM B's end.
    pub b: Endpoint,
}

/// One VM's end of a link: its capabilities, its two vIRQ lines, and the calls a test makes
/// on its behalf (the "peer operations").
#[derive(Clone, Debug)]
pub struct Endpoint {
    guest: Guest,
    caps: EndpointCaps,
    tx_irq: MockIrq,
    rx_irq: MockIrq,
    rx_depth: NonZeroU8,
    tx_max_size: usize,
    rx_max_size: usize,
}

impl Endpoint {
    pub(crate) fn new(hyp: MockHypervisor, caps: EndpointCaps) -> Option<Endpoint> {
        Some(Endpoint {
            tx_irq: hyp.tx_irq(caps.tx_queue)?,
            rx_irq: hyp.rx_irq(caps.rx_queue)?,
            rx_depth: hyp.queue_snapshot(caps.rx_queue)?.depth,
            tx_max_size: hyp.queue_snapshot(caps.tx_queue)?.max_size,
            rx_max_size: hyp.queue_snapshot(caps.rx_queue)?.max_size,
            guest: hyp.guest(caps.vm),
            caps,
        })
    }

    /// The VM.
    #[must_use]
    pub fn vm(&self) -> VmId {
        self.caps.vm
    }

    /// Its capabilities and queues.
    #[must_use]
    pub fn caps(&self) -> EndpointCaps {
        self.caps
    }

    /// Its TX capability (SEND only).
    #[must_use]
    pub fn tx_cap(&self) -> CapId {
        self.caps.tx_cap
    }

    /// Its RX capability (RECEIVE only).
    #[must_use]
    pub fn rx_cap(&self) -> CapId {
        self.caps.rx_cap
    }

    /// The queue it sends into.
    #[must_use]
    pub fn tx_queue(&self) -> QueueId {
        self.caps.tx_queue
    }

    /// The queue it receives from.
    #[must_use]
    pub fn rx_queue(&self) -> QueueId {
        self.caps.rx_queue
    }

    /// Its TX vIRQ (room appeared in the queue it sends into).
    #[must_use]
    pub fn tx_irq(&self) -> &MockIrq {
        &self.tx_irq
    }

    /// Its RX vIRQ (messages arrived in the queue it receives from).
    #[must_use]
    pub fn rx_irq(&self) -> &MockIrq {
        &self.rx_irq
    }

    /// The depth of the queue it receives from.
    #[must_use]
    pub fn rx_depth(&self) -> NonZeroU8 {
        self.rx_depth
    }

    /// The maximum message size of the queue it sends into.
    #[must_use]
    pub fn tx_max_size(&self) -> usize {
        self.tx_max_size
    }

    /// The maximum message size of the queue it receives from.
    #[must_use]
    pub fn rx_max_size(&self) -> usize {
        self.rx_max_size
    }

    /// Its hypercall backend.
    #[must_use]
    pub fn guest(&self) -> Guest {
        self.guest.clone()
    }

    /// The hypervisor.
    #[must_use]
    pub fn hypervisor(&self) -> &MockHypervisor {
        self.guest.hypervisor()
    }

    /// The TX half of a queue configuration, with the TX line's current trigger and the TX
    /// queue's real maximum message size.
    #[must_use]
    pub fn tx_config(&self) -> TxConfig<MockIrq> {
        TxConfig {
            trigger: self.tx_irq.trigger(),
            ..TxConfig::new(self.caps.tx_cap, self.tx_irq.clone(), self.tx_max_size)
        }
    }

    /// The RX half of a queue configuration, with the RX queue's real depth and maximum
    /// message size.
    #[must_use]
    pub fn rx_config(&self) -> RxConfig<MockIrq> {
        RxConfig::new(
            self.caps.rx_cap,
            self.rx_irq.clone(),
            self.rx_depth,
            self.rx_max_size,
        )
    }

    /// A duplex [`MsgQueue`] on this endpoint (not started; install handlers first, e.g. with
    /// [`bind_queue`](Self::bind_queue)).
    ///
    /// # Errors
    /// [`ConfigError`] if either queue's maximum message size is larger than `MAX`.
    pub fn msg_queue<const MAX: usize>(
        &self,
    ) -> Result<MsgQueue<Guest, MockIrq, MAX>, ConfigError> {
        MsgQueue::try_duplex(self.guest(), self.tx_config(), self.rx_config())
    }

    /// Installs this endpoint's interrupt handlers for `queue`: TX calls
    /// [`MsgQueue::on_tx_interrupt`], RX calls [`MsgQueue::on_rx_interrupt`] with `on_msg`.
    ///
    /// When a drain stops at its bound of `depth + 1` receives
    /// ([`DrainOutcome::Pending`]), no edge will announce the messages it left, so the RX
    /// handler re-raises its own line, as a driver reschedules its bottom half: the next drain
    /// runs after this handler returns, never inside it. Errors ([`Error::RxStuck`], a
    /// hypervisor error) are left to the owner: `rx_pending` stays set and nothing is retried.
    /// Write your own handlers to see each drain's result.
    ///
    /// The handlers hold the queue and the line weakly: dropping the queue makes them no-ops.
    pub fn bind_queue<const MAX: usize>(
        &self,
        queue: &Arc<MsgQueue<Guest, MockIrq, MAX>>,
        on_msg: impl Fn(&[u8]) + Send + Sync + 'static,
    ) {
        let tx = Arc::downgrade(queue);
        self.tx_irq.set_handler(move || {
            if let Some(q) = tx.upgrade() {
                q.on_tx_interrupt();
            }
        });
        let rx = Arc::downgrade(queue);
        let line = self.rx_irq.downgrade();
        self.rx_irq.set_handler(move || {
            let Some(q) = rx.upgrade() else { return };
            if let Ok(DrainOutcome::Pending { .. }) = q.on_rx_interrupt(&on_msg) {
                if let Some(line) = line.upgrade() {
                    line.raise();
                }
            }
        });
    }

    /// Peer operation: `msgq_send` on its TX capability.
    pub fn send(&self, msg: &[u8], flags: SendFlags) -> RawOutput {
        use gunyah_msgq::Hypercall;
        self.guest.msgq_send(self.caps.tx_cap, msg, flags)
    }

    /// Peer operation: `msgq_receive` on its RX capability.
    pub fn receive(&self, buf: &mut [u8]) -> RawOutput {
        use gunyah_msgq::Hypercall;
        self.guest.msgq_receive(self.caps.rx_cap, buf)
    }

    /// Peer operation: `msgq_flush` of the queue it receives from.
    pub fn flush(&self) -> RawOutput {
        use gunyah_msgq::Hypercall;
        self.guest.msgq_flush(self.caps.rx_cap)
    }

    /// Peer operation: receives one message into a 1023-byte buffer and decodes it with
    /// the core's ABI rules. `Ok(None)` means EMPTY.
    ///
    /// # Errors
    /// The decoded error ([`Error::RxStuck`] for the quirk's size-0 answer, say).
    pub fn recv(&self) -> Result<Option<Vec<u8>>, Error> {
        let mut buf = [0u8; MAX_MSG_SIZE];
        match RecvReply::decode(self.receive(&mut buf), buf.len())? {
            RecvReply::Message { len, .. } => Ok(Some(buf[..len].to_vec())),
            RecvReply::Empty => Ok(None),
        }
    }

    /// Peer operation: receives until EMPTY or an error, at most `depth + 1` times; returns
    /// the messages.
    pub fn drain(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for _ in 0..=self.rx_depth.get() {
            match self.recv() {
                Ok(Some(m)) => out.push(m),
                Ok(None) | Err(_) => break,
            }
        }
        out
    }

    /// Messages waiting in the queue it receives from.
    #[must_use]
    pub fn rx_len(&self) -> usize {
        self.hypervisor().queue_len(self.caps.rx_queue).unwrap_or(0)
    }

    /// Messages waiting in the queue it sends into.
    #[must_use]
    pub fn tx_len(&self) -> usize {
        self.hypervisor().queue_len(self.caps.tx_queue).unwrap_or(0)
    }
}
