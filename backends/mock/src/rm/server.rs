//! `SimulatedRm`: the RM's end of the link, its state and how it answers.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::vec::Vec;

use gunyah_msgq::SendFlags;
use gunyah_msgq::abi::SendReply;

use super::misbehaviour::{Effects, Injection, Misbehaviour, Plan, Request};
use super::resources::{HypResource, encode_list, kind};
use super::wire::{self, Header, MAX_CONTINUATIONS, Malformed, MsgType};
use super::{DEFAULT_RX_VIRQ, DEFAULT_TX_VIRQ, DEFAULT_VMID, error};
use crate::delivery::lock;
use crate::error::MockError;
use crate::hypervisor::MockHypervisor;
use crate::irq::MockIrq;
use crate::link::{Endpoint, LinkConfig};
use crate::model::VmId;

/// The RM's VM in the mock hypervisor by default, and the partner VMID of the RM link's
/// resource entries.
pub const RM_VM: VmId = VmId(0xFF);

/// What the simulated RM did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RmStats {
    /// Requests received whole (every fragment reassembled).
    pub requests: u64,
    /// Replies put in the outbox (a late one when it is released; not the ones suppressed).
    pub replies: u64,
    /// Notifications put in the outbox (sent or interleaved).
    pub notifications: u64,
    /// Fragments the hypervisor accepted into the guest's RX queue.
    pub fragments_sent: u64,
    /// Reply fragments left out on purpose ([`Misbehaviour::DropFragment`]).
    pub fragments_dropped: u64,
    /// Fragments from the guest dropped as malformed.
    pub malformed: u64,
    /// Partial requests abandoned because a new request began.
    pub abandoned: u64,
    /// Replies a misbehaviour applied to.
    pub misbehaviours: u64,
    /// Sends the hypervisor refused with an error other than FULL (the fragment is dropped).
    pub send_errors: u64,
}

/// A notification payload longer than one RM message carries
/// ([`wire::MAX_PAYLOAD`] bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TooLong {
    /// The payload's length.
    pub len: usize,
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an RM payload of {} bytes does not fit in one message ({} at most)",
            self.len,
            wire::MAX_PAYLOAD
        )
    }
}

impl std::error::Error for TooLong {}

/// How to set up a [`SimulatedRm`].
#[derive(Clone, Debug)]
pub struct RmBuilder {
    vmid: u16,
    rm_vm: VmId,
    link: LinkConfig,
    tx_virq: u32,
    rx_virq: u32,
    extra: Vec<HypResource>,
}

impl Default for RmBuilder {
    fn default() -> Self {
        SimulatedRm::builder()
    }
}

impl RmBuilder {
    /// The VMID the RM answers (default 3); [`build`](Self::build) also gives the guest this
    /// VM id in the mock hypervisor.
    #[must_use]
    pub fn vmid(self, vmid: u16) -> RmBuilder {
        RmBuilder { vmid, ..self }
    }

    /// The RM's own VM in the mock hypervisor (default [`RM_VM`]).
    #[must_use]
    pub fn rm_vm(self, rm_vm: VmId) -> RmBuilder {
        RmBuilder { rm_vm, ..self }
    }

    /// The link's queues and triggers (default [`LinkConfig::RM_LINK`]: 8 × 240 bytes, edge).
    #[must_use]
    pub fn link_config(self, link: LinkConfig) -> RmBuilder {
        RmBuilder { link, ..self }
    }

    /// The vIRQ numbers reported for the guest's TX and RX lines (default 960, 961).
    #[must_use]
    pub fn virqs(self, tx: u32, rx: u32) -> RmBuilder {
        RmBuilder {
            tx_virq: tx,
            rx_virq: rx,
            ..self
        }
    }

    /// Adds an entry to the `VM_GET_HYP_RESOURCES` answer, after the link's two.
    #[must_use]
    pub fn resource(mut self, entry: HypResource) -> RmBuilder {
        self.extra.push(entry);
        self
    }

    /// Links a guest VM (id = the VMID) to the RM (id [`rm_vm`](Self::rm_vm)) and returns the
    /// guest's end with the RM.
    ///
    /// # Errors
    /// As [`MockHypervisor::link`] (the two VM ids must differ).
    pub fn build(self, hyp: &MockHypervisor) -> Result<(Endpoint, SimulatedRm), MockError> {
        let link = hyp.link(VmId(self.vmid), self.rm_vm, &self.link)?;
        let rm = self.attach(&link.a, link.b);
        Ok((link.a, rm))
    }

    /// An RM on an existing link: `rm` is its end, `guest` the other (its capabilities and
    /// lines go into the resource list). The link configuration and RM VM are ignored.
    #[must_use]
    pub fn attach(self, guest: &Endpoint, rm: Endpoint) -> SimulatedRm {
        let entry = |kind, cap: gunyah_msgq::CapId, handle, virq| HypResource {
            kind,
            partner_vmid: rm.vm().0,
            handle,
            cap_id: cap.raw(),
            virq,
            ..HypResource::default()
        };
        let mut resources = std::vec![
            entry(kind::MSGQ_TX, guest.tx_cap(), 1, self.tx_virq),
            entry(kind::MSGQ_RX, guest.rx_cap(), 2, self.rx_virq),
        ];
        resources.extend(self.extra);
        SimulatedRm {
            inner: Arc::new(Inner {
                guest_irqs: [
                    (self.tx_virq, guest.tx_irq().clone()),
                    (self.rx_virq, guest.rx_irq().clone()),
                ],
                end: rm,
                vmid: self.vmid,
                resources,
                state: Mutex::default(),
            }),
        }
    }
}

/// A request whose continuations are still coming.
#[derive(Debug)]
struct Partial {
    header: Header,
    payload: Vec<u8>,
    left: u8,
}

#[derive(Debug, Default)]
struct State {
    partial: Option<Partial>,
    /// Fragments waiting for room in the guest's RX queue, in order.
    outbox: VecDeque<Vec<u8>>,
    /// Replies held by [`Misbehaviour::Late`].
    late: Vec<Vec<Vec<u8>>>,
    injections: Vec<Injection>,
    requests: Vec<Request>,
    malformed: Vec<Malformed>,
    stats: RmStats,
    /// A thread is receiving; another serve request makes it go round once more.
    serving: bool,
    serve_again: bool,
    /// A thread is sending the outbox; another flush request makes it retry after FULL.
    flushing: bool,
    flush_again: bool,
}

impl State {
    fn malformed(&mut self, m: Malformed) {
        self.stats.malformed += 1;
        self.malformed.push(m);
    }

    /// Takes one fragment from the guest; returns a request it completed.
    fn take_fragment(&mut self, msg: &[u8]) -> Option<Request> {
        let h = match Header::decode(msg) {
            Ok(h) => h,
            Err(m) => {
                self.malformed(m);
                return None;
            }
        };
        let body = &msg[wire::HEADER_LEN..];
        match h.msg_type {
            MsgType::Request => self.begin(h, body),
            MsgType::Continuation => self.continuation(&h, body),
            msg_type @ (MsgType::Reply | MsgType::Notification) => {
                self.malformed(Malformed::UnexpectedType { msg_type });
                None
            }
        }
    }

    fn begin(&mut self, h: Header, body: &[u8]) -> Option<Request> {
        if h.msg_id == 0 {
            self.malformed(Malformed::ReservedMsgId);
            return None;
        }
        if h.continuations > MAX_CONTINUATIONS {
            self.malformed(Malformed::TooManyContinuations {
                continuations: h.continuations,
            });
            return None;
        }
        if self.partial.take().is_some() {
            self.stats.abandoned += 1;
        }
        let partial = Partial {
            header: h,
            payload: body.to_vec(),
            left: h.continuations,
        };
        self.complete(partial)
    }

    fn continuation(&mut self, h: &Header, body: &[u8]) -> Option<Request> {
        let Some(mut p) = self.partial.take() else {
            self.malformed(Malformed::UnexpectedContinuation);
            return None;
        };
        let want = &p.header;
        if (h.seq, h.msg_id, h.continuations) != (want.seq, want.msg_id, want.continuations) {
            self.partial = Some(p);
            self.malformed(Malformed::MismatchedContinuation);
            return None;
        }
        p.payload.extend_from_slice(body);
        p.left -= 1;
        self.complete(p)
    }

    /// A request if no continuation is left, else keeps it partial.
    fn complete(&mut self, p: Partial) -> Option<Request> {
        if p.left > 0 {
            self.partial = Some(p);
            return None;
        }
        let request = Request {
            seq: p.header.seq,
            msg_id: p.header.msg_id,
            payload: p.payload,
        };
        self.stats.requests += 1;
        self.requests.push(request.clone());
        Some(request)
    }

    /// The first injection that applies to the reply to `request`; spent ones are removed.
    fn misbehaviour(&mut self, request: &Request) -> Option<Misbehaviour> {
        let hit = self
            .injections
            .iter_mut()
            .find_map(|i| i.take(request).then(|| i.what.clone()));
        self.injections.retain(|i| !i.spent());
        hit
    }

    /// Moves held replies to the outbox.
    fn release_late(&mut self) {
        for frags in std::mem::take(&mut self.late) {
            self.stats.replies += 1;
            self.outbox.extend(frags);
        }
    }
}

struct Inner {
    end: Endpoint,
    vmid: u16,
    resources: Vec<HypResource>,
    /// The guest's TX and RX lines, by the vIRQ numbers the resource list reports.
    guest_irqs: [(u32, MockIrq); 2],
    state: Mutex<State>,
}

/// A simulated resource manager on the RM's end of a mock link (see the [module
/// docs](super)).
///
/// Clones share one RM.
#[derive(Clone)]
pub struct SimulatedRm {
    inner: Arc<Inner>,
}

impl fmt::Debug for SimulatedRm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatedRm")
            .field("vm", &self.inner.end.vm())
            .field("vmid", &self.inner.vmid)
            .field("stats", &self.stats())
            .finish()
    }
}

impl SimulatedRm {
    /// A builder with the defaults: VMID 3, the RM link's queues, vIRQs 960 and 961.
    #[must_use]
    pub fn builder() -> RmBuilder {
        RmBuilder {
            vmid: DEFAULT_VMID,
            rm_vm: RM_VM,
            link: LinkConfig::RM_LINK,
            tx_virq: DEFAULT_TX_VIRQ,
            rx_virq: DEFAULT_RX_VIRQ,
            extra: Vec::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }

    /// The RM's end of the link.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.end
    }

    /// The VMID it answers.
    #[must_use]
    pub fn vmid(&self) -> u16 {
        self.inner.vmid
    }

    /// The entries `VM_GET_HYP_RESOURCES` answers with.
    #[must_use]
    pub fn resources(&self) -> Vec<HypResource> {
        self.inner.resources.clone()
    }

    /// The guest's line that a resource entry's vIRQ number names.
    #[must_use]
    pub fn guest_irq(&self, virq: u32) -> Option<MockIrq> {
        self.inner
            .guest_irqs
            .iter()
            .find(|(n, _)| *n == virq)
            .map(|(_, line)| line.clone())
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> RmStats {
        self.state().stats
    }

    /// Every request received whole so far, oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<Request> {
        self.state().requests.clone()
    }

    /// Every malformed fragment dropped so far, oldest first.
    #[must_use]
    pub fn malformed(&self) -> Vec<Malformed> {
        self.state().malformed.clone()
    }

    /// Fragments waiting for room in the guest's RX queue.
    #[must_use]
    pub fn outbox_len(&self) -> usize {
        self.state().outbox.len()
    }

    /// Adds an injection; the first one that applies to a reply is used.
    pub fn inject(&self, injection: Injection) {
        self.state().injections.push(injection);
    }

    /// `what` for the next `n` replies.
    pub fn inject_next(&self, n: u32, what: Misbehaviour) {
        self.inject(Injection::next(n, what));
    }

    /// Removes every injection (held late replies stay held).
    pub fn clear_injections(&self) {
        self.state().injections.clear();
    }

    /// Injections that may still apply: a `Next(n)` one until its `n` replies are used, a
    /// `Matching` one until cleared. A test can check that what it set up was used.
    #[must_use]
    pub fn injections_left(&self) -> usize {
        self.state().injections.len()
    }

    /// Sends the replies held by [`Misbehaviour::Late`] now.
    pub fn release_late(&self) {
        self.state().release_late();
        self.flush();
    }

    /// Sends an RM notification (type 3, seq 0, continuations if longer than 232 bytes).
    ///
    /// # Errors
    /// [`TooLong`] for a payload over [`wire::MAX_PAYLOAD`] bytes.
    pub fn send_notification(&self, msg_id: u32, payload: &[u8]) -> Result<(), TooLong> {
        let frags = wire::fragments(MsgType::Notification, 0, msg_id, payload)
            .ok_or(TooLong { len: payload.len() })?;
        {
            let mut st = self.state();
            st.stats.notifications += 1;
            st.outbox.extend(frags);
        }
        self.flush();
        Ok(())
    }

    /// Answers everything the guest queued: receives until its queue is empty, answering each
    /// request it completes, and sends what fits into the guest's RX queue. Returns how many
    /// messages it received.
    ///
    /// Safe to call from several threads and from a guest handler it runs (inline delivery):
    /// a call that finds another one receiving asks it to go round once more and returns 0.
    pub fn serve_pending(&self) -> usize {
        {
            let mut st = self.state();
            if st.serving {
                st.serve_again = true;
                return 0;
            }
            st.serving = true;
        }
        self.flush();
        let mut received = 0;
        loop {
            match self.inner.end.recv() {
                Ok(Some(msg)) => {
                    received += 1;
                    self.take(&msg);
                    self.flush();
                }
                Ok(None) | Err(_) => {
                    let mut st = self.state();
                    if st.serve_again {
                        st.serve_again = false;
                        continue;
                    }
                    st.serving = false;
                    break;
                }
            }
        }
        received
    }

    /// Takes one message from the guest and queues the reply to a request it completes.
    fn take(&self, msg: &[u8]) {
        let mut st = self.state();
        let Some(request) = st.take_fragment(msg) else {
            return;
        };
        st.release_late();
        let what = st.misbehaviour(&request);
        let (err, data) = match &what {
            Some(Misbehaviour::Error(code)) => (*code, Vec::new()),
            _ => self.answer(&request),
        };
        let frags = wire::fragments(
            MsgType::Reply,
            request.seq,
            request.msg_id,
            &wire::reply_payload(err, &data),
        )
        .or_else(|| {
            let payload = wire::reply_payload(error::NOMEM, &[]);
            wire::fragments(MsgType::Reply, request.seq, request.msg_id, &payload)
        })
        .unwrap_or_default();
        let mut effects = Effects::default();
        let plan = match &what {
            Some(m) => {
                st.stats.misbehaviours += 1;
                m.apply(frags, &mut effects)
            }
            None => Plan::Send(frags),
        };
        st.stats.fragments_dropped += effects.dropped;
        st.stats.notifications += effects.notifications;
        match plan {
            Plan::Send(frags) => {
                st.stats.replies += 1;
                st.outbox.extend(frags);
            }
            Plan::Hold(frags) => st.late.push(frags),
            Plan::Nothing => {}
        }
    }

    /// The RM error word and reply data for `request`.
    fn answer(&self, request: &Request) -> (u32, Vec<u8>) {
        match request.msg_id {
            super::VM_GET_VMID => {
                let mut data = self.inner.vmid.to_le_bytes().to_vec();
                data.extend_from_slice(&[0, 0]);
                (error::OK, data)
            }
            super::VM_GET_HYP_RESOURCES => match request.payload.first_chunk::<4>() {
                None => (error::ARGUMENT_INVALID, Vec::new()),
                Some(&[lo, hi, _, _]) if u16::from_le_bytes([lo, hi]) == self.inner.vmid => {
                    (error::OK, encode_list(&self.inner.resources))
                }
                Some(_) => (error::VMID_INVALID, Vec::new()),
            },
            _ => (error::UNIMPLEMENTED, Vec::new()),
        }
    }

    /// Sends the outbox, in order, until it is empty or the guest's RX queue is full.
    ///
    /// One thread sends at a time; a flush that finds another one sending asks it to retry
    /// after FULL (room may have appeared meanwhile) and returns.
    fn flush(&self) {
        {
            let mut st = self.state();
            if st.flushing {
                st.flush_again = true;
                return;
            }
            st.flushing = true;
        }
        loop {
            let frag = {
                let mut st = self.state();
                let Some(frag) = st.outbox.front().cloned() else {
                    // A request to go round again is answered: nothing is left.
                    st.flushing = false;
                    st.flush_again = false;
                    return;
                };
                frag
            };
            // No lock held: inline delivery may run the guest's handler now.
            let raw = self.inner.end.send(&frag, SendFlags::NONE);
            let mut st = self.state();
            match SendReply::try_from(raw) {
                Ok(SendReply::Accepted { .. }) => {
                    st.outbox.pop_front();
                    st.stats.fragments_sent += 1;
                }
                Ok(SendReply::Full) => {
                    if !st.flush_again {
                        st.flushing = false;
                        return;
                    }
                    st.flush_again = false;
                }
                Err(_) => {
                    st.outbox.pop_front();
                    st.stats.send_errors += 1;
                }
            }
        }
    }
}
