//! The client end to end against the simulated resource manager (`gunyah_msgq_mock::rm`):
//! real mock queues and vIRQs between them, and an RM whose framing was written
//! independently of this crate's, from the spec and the real RM's bytes. Where the two
//! framings disagree, one of them is wrong.
//!
//! Every scenario runs twice:
//! - **inline**: one thread, an inline-delivery hypervisor; the client's clock runs
//!   [`SimulatedRm::serve_pending`] at every wait step, so waits cost no real time;
//! - **thread**: the RM on its own thread woken by its vIRQs, on a threaded-delivery
//!   hypervisor (as a real guest sees it), and a clock that sleeps.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use embedded_hal::delay::DelayNs;
use gunyah_msgq::{DescError, Direction, LinkDesc, MsgQueue, RecvOutcome, Trigger};
use gunyah_msgq_mock::rm::{
    self, HypResource, Misbehaviour, RmBuilder, RmThread, SimulatedRm, kind,
};
use gunyah_msgq_mock::{Endpoint, Guest, MockHypervisor, MockIrq, StdDelay};
use gunyah_rm_rpc::calls::{DEFAULT_DEPTH, DEFAULT_MSG_SIZE, VM_GET_HYP_RESOURCES, VM_GET_VMID};
use gunyah_rm_rpc::wire::MAX_PAYLOAD;
use gunyah_rm_rpc::{Client, ClientConfig, ClientStats, Notification, RmError, RpcError};

type Q = MsgQueue<Guest, MockIrq, 240>;

/// A msg_id the RM does not implement.
const UNKNOWN: u32 = 0x5600_00FF;
/// A notification's msg_id (any nonzero one will do).
const NOTE: u32 = 0x5610_0001;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Inline,
    Thread,
}

const MODES: [Mode; 2] = [Mode::Inline, Mode::Thread];

/// The client's clock.
enum Clock {
    /// Each wait step lets the RM answer what is queued (inline mode): no real time passes.
    Serve(SimulatedRm),
    /// Each wait step sleeps (thread mode).
    Sleep,
}

impl DelayNs for Clock {
    fn delay_ns(&mut self, ns: u32) {
        match self {
            Clock::Serve(rm) => {
                rm.serve_pending();
            }
            Clock::Sleep => StdDelay.delay_ns(ns),
        }
    }
}

/// The notifications the client's handler was given.
type Notes = Rc<RefCell<Vec<(u32, Vec<u8>)>>>;

/// A guest, its queue on the RM link, and the RM.
struct Rig {
    mode: Mode,
    hyp: MockHypervisor,
    guest: Endpoint,
    q: Q,
    rm: SimulatedRm,
    thread: Option<RmThread>,
}

impl Rig {
    fn new(mode: Mode, builder: RmBuilder) -> Rig {
        let hyp = match mode {
            Mode::Inline => MockHypervisor::new(),
            Mode::Thread => MockHypervisor::threaded(),
        };
        let (guest, rm) = builder.build(&hyp).unwrap();
        // Not started: the client polls, and nothing else drains the RX queue.
        let q = guest.msg_queue::<240>().unwrap();
        let thread = (mode == Mode::Thread).then(|| rm.spawn().unwrap());
        Rig {
            mode,
            hyp,
            guest,
            q,
            rm,
            thread,
        }
    }

    fn default(mode: Mode) -> Rig {
        Rig::new(mode, SimulatedRm::builder())
    }

    /// A client on the guest's queue, with a reply buffer for any reply.
    ///
    /// Timeouts: 10 ms of virtual time inline (100 steps, each one a serve); 500 ms in thread
    /// mode, far above what an answer takes there.
    fn client(
        &self,
    ) -> (
        Client<&Q, Clock, impl FnMut(Notification<'_>) + use<>, MAX_PAYLOAD>,
        Notes,
    ) {
        let (clock, timeout_us) = match self.mode {
            Mode::Inline => (Clock::Serve(self.rm.clone()), 10_000),
            Mode::Thread => (Clock::Sleep, 500_000),
        };
        let config = ClientConfig::new()
            .with_timeout_us(timeout_us)
            .with_poll_us(100);
        let notes = Notes::default();
        let sink = Rc::clone(&notes);
        let client = Client::new(&self.q, clock, config, move |n: Notification<'_>| {
            sink.borrow_mut().push((n.msg_id, n.payload.to_vec()));
        });
        (client, notes)
    }

    /// Waits until the RM's counters satisfy `done` (at once inline).
    fn wait_rm(&self, what: &str, done: impl Fn(&rm::RmStats) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done(&self.rm.stats()) {
            assert!(
                Instant::now() < deadline,
                "{:?}: waited for {what}",
                self.mode
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Lets the RM send everything it has for the guest, and `c` take it with
    /// [`Client::poll`] (no call waiting); returns how many frames the polls took.
    fn drain<M, D, N, const BUF: usize>(&self, c: &mut Client<M, D, N, BUF>) -> usize
    where
        M: gunyah_msgq::Mailbox,
        M::Error: core::fmt::Debug,
        D: DelayNs,
        N: FnMut(Notification<'_>),
    {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut taken = 0;
        loop {
            if self.mode == Mode::Inline {
                self.rm.serve_pending();
            }
            taken += c.poll().unwrap();
            let idle = self.rm.outbox_len() == 0
                && self.guest.rx_len() == 0
                && self.rm.endpoint().rx_len() == 0;
            if idle {
                return taken;
            }
            assert!(
                Instant::now() < deadline,
                "{:?}: the RM did not settle",
                self.mode
            );
            if self.mode == Mode::Thread {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let clean = thread.stop();
            if !std::thread::panicking() {
                assert!(clean, "the RM thread panicked");
            }
        }
        self.hyp.shutdown();
    }
}

/// `n` extra entries: msgq TX/RX pairs to VM 4 with labels 100.., then vCPUs.
fn extras(n: u32) -> impl Iterator<Item = HypResource> {
    (0..n).map(|i| {
        let pair = i < 8;
        HypResource {
            kind: match (pair, i % 2) {
                (true, 0) => kind::MSGQ_TX,
                (true, _) => kind::MSGQ_RX,
                (false, _) => kind::VCPU,
            },
            partner_vmid: if pair { 4 } else { 0 },
            handle: 100 + i,
            label: if pair { 100 + i / 2 } else { 0 },
            cap_id: 0x1000 + u64::from(i),
            virq_handle: 200 + i,
            virq: if pair { 970 + i } else { 0 },
            base: 0,
            size: 0,
        }
    })
}

fn with_extras(n: u32) -> RmBuilder {
    extras(n).fold(SimulatedRm::builder(), RmBuilder::resource)
}

/// The RM link's queues as the mock link created them, read from the guest's endpoint.
fn expected_rm_link(rig: &Rig) -> LinkDesc {
    let desc = |direction, cap, virq: u32| {
        gunyah_msgq::QueueDesc::new(
            direction,
            cap,
            virq,
            Trigger::Edge,
            DEFAULT_MSG_SIZE,
            DEFAULT_DEPTH,
        )
        .unwrap()
    };
    let tx = desc(Direction::Tx, rig.guest.tx_cap(), rm::DEFAULT_TX_VIRQ);
    let rx = desc(Direction::Rx, rig.guest.rx_cap(), rm::DEFAULT_RX_VIRQ);
    LinkDesc::new(0, Some(tx), Some(rx)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The calls, answered.

#[test]
fn vm_get_vmid_is_3() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, _) = rig.client();
        for _ in 0..3 {
            assert_eq!(c.vm_get_vmid(), Ok(3), "{mode:?}");
        }
        let s = c.stats();
        assert_eq!((s.requests, s.replies, s.timeouts), (3, 3, 0), "{mode:?}");
        assert_eq!(
            rig.rm.requests().iter().map(|r| r.seq).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!(
            rig.rm
                .requests()
                .iter()
                .all(|r| r.msg_id == VM_GET_VMID && r.payload.is_empty())
        );
    }
}

#[test]
fn vm_get_vmid_answers_the_configured_vmid() {
    for mode in MODES {
        for vmid in [1, 0x42, 0x0201, 0xFFFE] {
            let rig = Rig::new(mode, SimulatedRm::builder().vmid(vmid));
            let (mut c, _) = rig.client();
            assert_eq!(c.vm_get_vmid(), Ok(vmid), "{mode:?}");
        }
    }
}

#[test]
fn own_resources_describe_the_link_the_mock_created() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, _) = rig.client();
        let vmid = c.vm_get_vmid().unwrap();
        let resources = c.vm_get_hyp_resources(vmid).unwrap();
        assert_eq!(resources.len(), 2);
        let links: Vec<LinkDesc> = resources.msgq_links().map(Result::unwrap).collect();
        assert_eq!(links, [expected_rm_link(&rig)], "{mode:?}");
        // The INTIDs name the guest's own lines, and the caps are its own.
        let link = links[0];
        let (tx, rx) = (link.tx.unwrap(), link.rx.unwrap());
        assert_eq!(
            rig.rm.guest_irq(tx.intid).unwrap().id(),
            rig.guest.tx_irq().id()
        );
        assert_eq!(
            rig.rm.guest_irq(rx.intid).unwrap().id(),
            rig.guest.rx_irq().id()
        );
        assert_eq!(
            (tx.max_msg_size, rx.depth),
            (rig.guest.tx_max_size(), rig.guest.rx_depth())
        );
        let entries: Vec<_> = resources.iter().collect();
        assert!(entries.iter().all(|e| e.partner_vmid == rm::RM_VM.0));
    }
}

/// The queues the RM described carry RM RPC: a second queue built from the `LinkDesc`
/// alone (caps, INTIDs mapped to lines, size, depth) asks again.
#[test]
fn the_described_link_carries_a_call() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, _) = rig.client();
        let link = c
            .vm_get_hyp_resources(3)
            .unwrap()
            .msgq_link(0)
            .unwrap()
            .unwrap();
        drop(c);
        let (tx, rx) = (link.tx.unwrap(), link.rx.unwrap());
        let tx_cfg = tx
            .tx_config::<240, _>(rig.rm.guest_irq(tx.intid).unwrap())
            .unwrap();
        let rx_cfg = rx
            .rx_config::<240, _>(rig.rm.guest_irq(rx.intid).unwrap())
            .unwrap();
        let q: Q = MsgQueue::try_duplex(rig.guest.guest(), tx_cfg, rx_cfg).unwrap();
        let clock = match mode {
            Mode::Inline => Clock::Serve(rig.rm.clone()),
            Mode::Thread => Clock::Sleep,
        };
        let mut c2: Client<_, _, _, 64> =
            Client::new(&q, clock, ClientConfig::new(), |_: Notification<'_>| {});
        assert_eq!(c2.vm_get_vmid(), Ok(3), "{mode:?}");
    }
}

/// A resource list long enough that the reply needs continuations: 62 entries, 2,740
/// payload bytes with the error word, 12 fragments, more than the guest's RX queue holds (8).
#[test]
fn a_long_resource_list_comes_in_continuations() {
    for mode in MODES {
        let rig = Rig::new(mode, with_extras(60));
        let (mut c, _) = rig.client();
        let sent_before = rig.rm.stats().fragments_sent;
        let resources = c.vm_get_hyp_resources(3).unwrap();
        assert_eq!(resources.len(), 62);
        let got: Vec<HypResource> = resources
            .iter()
            .map(|e| HypResource {
                kind: e.kind.raw(),
                partner_vmid: e.partner_vmid,
                handle: e.handle,
                label: e.label,
                cap_id: e.cap.raw(),
                virq_handle: e.virq_handle,
                virq: e.virq,
                base: e.base,
                size: e.size,
            })
            .collect();
        assert_eq!(got, rig.rm.resources(), "{mode:?}");
        let links: Vec<LinkDesc> = resources.msgq_links().map(Result::unwrap).collect();
        assert_eq!(links.len(), 5);
        assert_eq!(links[0], expected_rm_link(&rig));
        for (i, link) in links[1..].iter().enumerate() {
            let i = u32::try_from(i).unwrap();
            assert_eq!(link.label, 100 + i);
            let (tx, rx) = (link.tx.unwrap(), link.rx.unwrap());
            assert_eq!(
                (tx.cap.raw(), tx.intid),
                (0x1000 + u64::from(2 * i), 970 + 2 * i)
            );
            assert_eq!(
                (rx.cap.raw(), rx.intid),
                (0x1001 + u64::from(2 * i), 971 + 2 * i)
            );
        }
        assert_eq!(rig.rm.stats().fragments_sent - sent_before, 12, "{mode:?}");
        assert_eq!(c.stats().dropped, 0);
    }
}

/// The largest reply: 332 entries fill 63 fragments (14,616 bytes) exactly; one more and the
/// RM answers NOMEM.
#[test]
fn the_largest_resource_list_and_one_too_many() {
    for mode in MODES {
        let rig = Rig::new(mode, with_extras(330));
        let (mut c, _) = rig.client();
        assert_eq!(c.vm_get_hyp_resources(3).unwrap().len(), 332, "{mode:?}");
        let rig = Rig::new(mode, with_extras(331));
        let (mut c, _) = rig.client();
        assert_eq!(
            c.vm_get_hyp_resources(3).unwrap_err(),
            RpcError::Rm(RmError::NoMem)
        );
    }
}

#[test]
fn the_rm_refuses_typed() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, _) = rig.client();
        assert_eq!(
            c.vm_get_hyp_resources(4).unwrap_err(),
            RpcError::Rm(RmError::VmidInvalid)
        );
        assert_eq!(
            c.call(UNKNOWN, &[]),
            Err(RpcError::Rm(RmError::Unimplemented))
        );
        assert_eq!(
            c.call(gunyah_rm_rpc::calls::VM_GET_ID, &[0; 4]),
            Err(RpcError::Rm(RmError::Unimplemented))
        );
        // A payload too short for the VMID.
        assert_eq!(
            c.call(VM_GET_HYP_RESOURCES, &[3]),
            Err(RpcError::Rm(RmError::ArgumentInvalid))
        );
        assert_eq!(c.stats().replies, 4);
    }
}

/// Requests in continuations, up to the largest (63 fragments, far more than the RM's RX queue
/// holds): the RM reassembles exactly the payload sent.
#[test]
fn long_requests_reach_the_rm_whole() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, _) = rig.client();
        for len in [232, 233, 1000, MAX_PAYLOAD] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            assert_eq!(
                c.call(UNKNOWN, &payload),
                Err(RpcError::Rm(RmError::Unimplemented)),
                "{mode:?} {len}"
            );
            let got = rig.rm.requests().pop().unwrap();
            assert_eq!((got.msg_id, got.payload), (UNKNOWN, payload));
        }
        assert_eq!(
            c.call(UNKNOWN, &vec![0; MAX_PAYLOAD + 1]),
            Err(RpcError::PayloadTooLarge {
                len: MAX_PAYLOAD + 1,
                max: MAX_PAYLOAD
            })
        );
        let s = rig.rm.stats();
        assert_eq!(
            (s.requests, s.malformed, s.abandoned),
            (4, 0, 0),
            "{mode:?}"
        );
    }
}

#[test]
fn notifications_short_and_long_reach_the_handler() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, notes) = rig.client();
        let long: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        rig.rm.send_notification(NOTE, &[1, 2, 3]).unwrap();
        rig.rm.send_notification(NOTE + 1, &long).unwrap();
        rig.rm.send_notification(NOTE + 2, &[]).unwrap();
        // `send_notification` sends at once: a poll takes them (1 + 5 + 1 frames).
        assert_eq!(c.poll(), Ok(7), "{mode:?}");
        // A call takes what arrives while it waits.
        rig.rm.send_notification(NOTE + 3, &[4]).unwrap();
        assert_eq!(c.vm_get_vmid(), Ok(3));
        assert_eq!(
            *notes.borrow(),
            [
                (NOTE, vec![1, 2, 3]),
                (NOTE + 1, long),
                (NOTE + 2, vec![]),
                (NOTE + 3, vec![4])
            ],
            "{mode:?}"
        );
        assert_eq!(c.stats().notifications, 4);
    }
}

/// Notifications of every length around the fragment boundaries, up to the largest (63
/// fragments, far more than the guest's RX queue holds: the RM waits for room).
#[test]
fn notifications_at_the_fragment_boundaries() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, notes) = rig.client();
        let lens = [
            0,
            1,
            231,
            232,
            233,
            463,
            464,
            465,
            MAX_PAYLOAD - 1,
            MAX_PAYLOAD,
        ];
        let mut frames = 0;
        for (i, len) in lens.into_iter().enumerate() {
            let payload: Vec<u8> = (0..len).map(|b| (b + i) as u8).collect();
            rig.rm.send_notification(NOTE, &payload).unwrap();
            frames += rig.drain(&mut c);
            let got = notes.borrow_mut().pop();
            assert_eq!(got, Some((NOTE, payload)), "{mode:?} {len}");
        }
        assert_eq!(frames, 1 + 1 + 1 + 1 + 2 + 2 + 2 + 3 + 63 + 63, "{mode:?}");
        assert_eq!(counts(c.stats()), (0, 0, 0, 0, 0));
        assert_eq!(c.stats().notifications, 10);
    }
}

// ---------------------------------------------------------------------------------------------
// Misbehaviour: what the client documents for each.

/// The client's counters, as a tuple: (replies, late, timeouts, aborted, dropped).
fn counts(s: ClientStats) -> (u32, u32, u32, u32, u32) {
    (s.replies, s.late_replies, s.timeouts, s.aborted, s.dropped)
}

/// Spec §6: "match on seq and msg_id". A reply with another seq or msg_id is not the answer:
/// dropped and counted as late, and the call times out. The next call gets its own answer.
#[test]
fn a_reply_with_a_wrong_seq_or_msg_id_is_dropped_then_timeout() {
    for mode in MODES {
        for what in [
            Misbehaviour::WrongSeq(0x7777),
            Misbehaviour::WrongMsgId(0x5600_00EE),
        ] {
            // One fragment (VM_GET_VMID), then twelve (the long list).
            let rig = Rig::new(mode, with_extras(60));
            let (mut c, _) = rig.client();
            rig.rm.inject_next(2, what.clone());
            assert_eq!(c.vm_get_vmid(), Err(RpcError::Timeout), "{mode:?} {what:?}");
            assert_eq!(counts(c.stats()), (0, 1, 1, 0, 0), "{mode:?} {what:?}");
            assert_eq!(
                c.vm_get_hyp_resources(3).unwrap_err(),
                RpcError::Timeout,
                "{mode:?} {what:?}"
            );
            assert_eq!(counts(c.stats()), (0, 2, 2, 0, 0), "{mode:?} {what:?}");
            assert_eq!(c.vm_get_vmid(), Ok(3));
            assert_eq!(c.vm_get_hyp_resources(3).unwrap().len(), 62);
            assert_eq!(counts(c.stats()), (2, 2, 2, 0, 0), "{mode:?} {what:?}");
            assert_eq!(rig.rm.stats().misbehaviours, 2);
        }
    }
}

/// An RM error word gives `RpcError::Rm` with the word typed, whatever the call.
#[test]
fn an_injected_error_word_is_typed() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, _) = rig.client();
        for (word, typed) in [
            (rm::error::BUSY, RmError::Busy),
            (rm::error::DENIED, RmError::Denied),
            (rm::error::INVALID, RmError::MsgInvalid),
            (rm::error::HANDLE_INVALID, RmError::HandleInvalid),
            (rm::error::UNIMPLEMENTED, RmError::Unimplemented),
            (20, RmError::VmState),
            (99, RmError::Unknown(99)),
        ] {
            rig.rm.inject_next(2, Misbehaviour::Error(word));
            assert_eq!(c.vm_get_vmid(), Err(RpcError::Rm(typed)), "{mode:?}");
            assert_eq!(c.vm_get_hyp_resources(3).unwrap_err(), RpcError::Rm(typed));
            assert_eq!(RmError::from_word(word), Some(typed));
        }
        // "OK" with no data: not a VMID.
        rig.rm.inject_next(1, Misbehaviour::Error(rm::error::OK));
        assert_eq!(c.vm_get_vmid(), Err(RpcError::Malformed));
        assert_eq!(c.vm_get_vmid(), Ok(3));
        assert_eq!(counts(c.stats()), (16, 0, 0, 0, 0));
    }
}

/// A reply that never comes: `Timeout`, and the next call is answered.
#[test]
fn no_reply_is_a_timeout() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, _) = rig.client();
        rig.rm.inject_next(1, Misbehaviour::NoReply);
        assert_eq!(c.vm_get_vmid(), Err(RpcError::Timeout), "{mode:?}");
        assert_eq!(c.vm_get_vmid(), Ok(3));
        assert_eq!(counts(c.stats()), (1, 0, 1, 0, 0));
        let s = rig.rm.stats();
        assert_eq!((s.requests, s.replies, s.misbehaviours), (2, 1, 1));
    }
}

/// A late reply (held until the next request, then sent before that request's reply): the
/// first call times out; the next one drops the late reply, counts it, and returns its own
/// answer, not the late one.
#[test]
fn a_late_reply_is_dropped_and_the_next_call_gets_its_own() {
    for mode in MODES {
        let rig = Rig::new(mode, SimulatedRm::builder().vmid(7));
        let (mut c, _) = rig.client();
        rig.rm.inject_next(1, Misbehaviour::Late);
        assert_eq!(c.vm_get_vmid(), Err(RpcError::Timeout), "{mode:?}");
        // The late reply is a VMID (seq 0); this call wants the resource list (seq 1).
        let resources = c.vm_get_hyp_resources(7).unwrap();
        assert_eq!(resources.len(), 2);
        assert_eq!(counts(c.stats()), (1, 1, 1, 0, 0), "{mode:?}");
        // Same msg_id, late: the seq tells them apart.
        rig.rm.inject_next(1, Misbehaviour::Late);
        assert_eq!(c.vm_get_vmid(), Err(RpcError::Timeout));
        assert_eq!(c.vm_get_vmid(), Ok(7));
        assert_eq!(counts(c.stats()), (2, 2, 2, 0, 0), "{mode:?}");
        // Held until release, with no call waiting: a poll drops it.
        rig.rm.inject_next(1, Misbehaviour::Late);
        assert_eq!(c.vm_get_vmid(), Err(RpcError::Timeout));
        rig.rm.release_late();
        assert_eq!(rig.drain(&mut c), 1);
        assert_eq!(counts(c.stats()), (2, 3, 3, 0, 0), "{mode:?}");
        assert_eq!(rig.rm.stats().replies, 5);
    }
}

/// A dropped fragment: the first one (the continuations are orphans, dropped) or a later one
/// (the message never completes): either way the call times out; the next call is answered,
/// and the partial message it finds is aborted.
#[test]
fn a_dropped_fragment_is_a_timeout() {
    for mode in MODES {
        let rig = Rig::new(mode, with_extras(60));
        let (mut c, _) = rig.client();
        // The one fragment of a VMID reply: nothing comes.
        rig.rm.inject_next(1, Misbehaviour::DropFragment(0));
        assert_eq!(c.vm_get_vmid(), Err(RpcError::Timeout), "{mode:?}");
        // The first of twelve: eleven orphans.
        rig.rm.inject_next(1, Misbehaviour::DropFragment(0));
        assert_eq!(c.vm_get_hyp_resources(3).unwrap_err(), RpcError::Timeout);
        assert_eq!(counts(c.stats()), (0, 0, 2, 0, 11), "{mode:?}");
        // The fifth: the message stays partial.
        rig.rm.inject_next(1, Misbehaviour::DropFragment(4));
        assert_eq!(c.vm_get_hyp_resources(3).unwrap_err(), RpcError::Timeout);
        assert_eq!(counts(c.stats()), (0, 0, 3, 0, 11), "{mode:?}");
        // The last.
        rig.rm.inject_next(1, Misbehaviour::DropFragment(11));
        assert_eq!(c.vm_get_hyp_resources(3).unwrap_err(), RpcError::Timeout);
        // The partial one (the fifth's) was aborted by the next reply's start; this one too.
        assert_eq!(counts(c.stats()), (0, 0, 4, 1, 11), "{mode:?}");
        assert_eq!(c.vm_get_hyp_resources(3).unwrap().len(), 62);
        assert_eq!(c.vm_get_vmid(), Ok(3));
        assert_eq!(counts(c.stats()), (2, 0, 4, 2, 11), "{mode:?}");
        assert_eq!(rig.rm.stats().fragments_dropped, 4);
    }
}

/// A duplicated fragment:
/// - of a one-fragment reply: the call takes the first copy; the second is a late reply;
/// - the first of several: the copy is a new start, which aborts the partial reply
///   (`Aborted`, spec §6); the copy and the continuations then make a whole reply that no call
///   waits for (late);
/// - a continuation: the header has no fragment index, so the copy counts as the next
///   fragment and the message completes one fragment early with the copy's bytes in it. The
///   typed call sees a list whose length disagrees with its count (`Malformed`); the real last
///   fragment is an orphan.
#[test]
fn a_duplicated_fragment() {
    for mode in MODES {
        let rig = Rig::new(mode, with_extras(60));
        let (mut c, _) = rig.client();
        rig.rm.inject_next(1, Misbehaviour::DuplicateFragment(0));
        assert_eq!(c.vm_get_vmid(), Ok(3), "{mode:?}");
        assert_eq!(rig.drain(&mut c), 1);
        assert_eq!(counts(c.stats()), (1, 1, 0, 0, 0), "{mode:?}");

        rig.rm.inject_next(1, Misbehaviour::DuplicateFragment(0));
        assert_eq!(
            c.vm_get_hyp_resources(3).unwrap_err(),
            RpcError::Aborted,
            "{mode:?}"
        );
        rig.drain(&mut c);
        assert_eq!(counts(c.stats()), (1, 2, 0, 1, 0), "{mode:?}");

        rig.rm.inject_next(1, Misbehaviour::DuplicateFragment(3));
        assert_eq!(
            c.vm_get_hyp_resources(3).unwrap_err(),
            RpcError::Malformed,
            "{mode:?}"
        );
        rig.drain(&mut c);
        assert_eq!(counts(c.stats()), (2, 2, 0, 1, 1), "{mode:?}");

        assert_eq!(c.vm_get_hyp_resources(3).unwrap().len(), 62);
        assert_eq!(c.vm_get_vmid(), Ok(3));
    }
}

/// A notification in the middle of a reply. Before the reply's first fragment or after its
/// last: the handler gets it and the reply completes. Between two fragments: spec §6 (as
/// Linux) aborts the partial reply, so the call ends in `Aborted`, the handler still gets
/// the notification, and the reply's remaining continuations are orphans, dropped.
#[test]
fn an_interleaved_notification() {
    for mode in MODES {
        let rig = Rig::new(mode, with_extras(60));
        let (mut c, notes) = rig.client();
        let note = |after| Misbehaviour::InterleavedNotification {
            after,
            msg_id: NOTE,
            payload: vec![0xAB; 300],
        };
        // Before a one-fragment reply.
        rig.rm.inject_next(1, note(0));
        assert_eq!(c.vm_get_vmid(), Ok(3), "{mode:?}");
        assert_eq!(notes.borrow().len(), 1);
        // After it: left for the next poll or call.
        rig.rm.inject_next(1, note(1));
        assert_eq!(c.vm_get_vmid(), Ok(3), "{mode:?}");
        rig.drain(&mut c);
        assert_eq!(notes.borrow().len(), 2);
        // Before and after a twelve-fragment reply.
        rig.rm.inject_next(1, note(0));
        assert_eq!(c.vm_get_hyp_resources(3).unwrap().len(), 62, "{mode:?}");
        rig.rm.inject_next(1, note(12));
        assert_eq!(c.vm_get_hyp_resources(3).unwrap().len(), 62, "{mode:?}");
        rig.drain(&mut c);
        assert_eq!(notes.borrow().len(), 4);
        assert_eq!(counts(c.stats()), (4, 0, 0, 0, 0), "{mode:?}");
        // Inside it: after the third fragment.
        rig.rm.inject_next(1, note(3));
        assert_eq!(
            c.vm_get_hyp_resources(3).unwrap_err(),
            RpcError::Aborted,
            "{mode:?}"
        );
        rig.drain(&mut c);
        assert_eq!(notes.borrow().len(), 5);
        assert_eq!(counts(c.stats()), (4, 0, 0, 1, 9), "{mode:?}");
        assert!(
            notes
                .borrow()
                .iter()
                .all(|(id, p)| *id == NOTE && *p == [0xAB; 300])
        );
        assert_eq!(c.vm_get_hyp_resources(3).unwrap().len(), 62);
        assert_eq!(c.stats().notifications, 5);
        assert_eq!(rig.rm.stats().notifications, 5);
    }
}

/// The RM's view and the client's agree after a mixed run.
#[test]
fn both_sides_count_the_same() {
    for mode in MODES {
        let rig = Rig::new(mode, with_extras(20));
        let (mut c, _) = rig.client();
        for i in 0..20u32 {
            match i % 4 {
                0 => assert_eq!(c.vm_get_vmid(), Ok(3)),
                1 => assert_eq!(c.vm_get_hyp_resources(3).unwrap().len(), 22),
                2 => assert_eq!(
                    c.call(UNKNOWN, &[0; 300]),
                    Err(RpcError::Rm(RmError::Unimplemented))
                ),
                _ => {
                    rig.rm.send_notification(NOTE, &[i as u8]).unwrap();
                    rig.drain(&mut c);
                }
            }
        }
        rig.wait_rm("every reply", |s| s.replies == 15);
        let (s, r) = (c.stats(), rig.rm.stats());
        assert_eq!(u64::from(s.requests), r.requests, "{mode:?}");
        assert_eq!(u64::from(s.replies), r.replies);
        assert_eq!(u64::from(s.notifications), r.notifications);
        assert_eq!((r.malformed, r.abandoned, r.send_errors), (0, 0, 0));
        assert_eq!(counts(s), (15, 0, 0, 0, 0));
        assert_eq!(rig.q.stats().malformed, 0);
    }
}

#[test]
fn a_queue_without_a_virq_is_a_desc_error() {
    // A resource whose vIRQ is not an SPI (0 = none) gives a `DescError`, not a panic.
    let rig = Rig::new(
        Mode::Inline,
        SimulatedRm::builder().resource(HypResource {
            kind: kind::MSGQ_TX,
            partner_vmid: 9,
            label: 5,
            cap_id: 0x77,
            ..HypResource::default()
        }),
    );
    let (mut c, _) = rig.client();
    let resources = c.vm_get_hyp_resources(3).unwrap();
    let links: Vec<_> = resources.msgq_links().collect();
    assert_eq!(links.len(), 2);
    assert!(links[0].is_ok());
    assert!(matches!(links[1], Err(DescError::BadIntid { .. })));
}

#[test]
fn the_guest_queue_is_left_empty() {
    for mode in MODES {
        let rig = Rig::default(mode);
        let (mut c, _) = rig.client();
        assert_eq!(c.vm_get_vmid(), Ok(3));
        let mut buf = [0; 240];
        assert_eq!(rig.q.try_recv(&mut buf).unwrap(), RecvOutcome::Empty);
    }
}
