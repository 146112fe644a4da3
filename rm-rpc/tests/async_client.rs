//! The async client against a resource manager played by hand: a scripted `AsyncMailbox`
//! and a clock that counts, on `futures-executor`'s `block_on` (and by hand, for the
//! cancellations).

mod common;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{Future, pending};
use std::pin::pin;
use std::task::{Context, Waker};

use common::{RecvStep, Seen, SendStep, frames, header, notification, reply};
use embedded_hal_async::delay::DelayNs;
use futures_executor::block_on;
use gunyah_msgq::{AsyncMailbox, CapId, ErrorKind, ErrorType, SendFlags};
use gunyah_rm_rpc::calls::{VM_GET_HYP_RESOURCES, VM_GET_VMID};
use gunyah_rm_rpc::wire::{MAX_PAYLOAD, MsgType};
use gunyah_rm_rpc::{AsyncClient, ClientConfig, ClientStats, Notification, RmError, RpcError};

type Responder = Box<dyn FnMut(&[u8], SendFlags) -> Vec<Vec<u8>>>;

/// The scripted link. A receive takes the next step at its first poll: a frame, an error,
/// or (`Empty`, or nothing left) a wait that only ends when the future is dropped. A send
/// takes the next send step at each attempt (`Sent` once the script runs out); on
/// `WouldBlock` it waits one slice of the delay it is given, and tries again.
#[derive(Default)]
struct AsyncRm {
    send_script: RefCell<VecDeque<SendStep>>,
    rx: RefCell<VecDeque<RecvStep>>,
    offered: RefCell<Vec<(Vec<u8>, SendFlags, SendStep)>>,
    responder: RefCell<Option<Responder>>,
    receives: Cell<usize>,
}

impl AsyncRm {
    fn answering(respond: impl FnMut(&[u8], SendFlags) -> Vec<Vec<u8>> + 'static) -> AsyncRm {
        let rm = AsyncRm::default();
        *rm.responder.borrow_mut() = Some(Box::new(respond));
        rm
    }

    fn queue_rx(&self, frames: impl IntoIterator<Item = Vec<u8>>) {
        self.rx
            .borrow_mut()
            .extend(frames.into_iter().map(RecvStep::Frame));
    }

    fn queue_rx_step(&self, step: RecvStep) {
        self.rx.borrow_mut().push_back(step);
    }

    fn script_sends(&self, steps: impl IntoIterator<Item = SendStep>) {
        self.send_script.borrow_mut().extend(steps);
    }

    fn sent(&self) -> Vec<(Vec<u8>, SendFlags)> {
        self.offered
            .borrow()
            .iter()
            .filter(|(_, _, step)| *step == SendStep::Sent)
            .map(|(frame, flags, _)| (frame.clone(), *flags))
            .collect()
    }
}

impl ErrorType for AsyncRm {
    type Error = ErrorKind;
}

impl AsyncMailbox for AsyncRm {
    async fn send<D: DelayNs>(
        &self,
        msg: &[u8],
        flags: SendFlags,
        delay: &mut D,
        slice_us: u32,
    ) -> Result<(), ErrorKind> {
        loop {
            let step = self
                .send_script
                .borrow_mut()
                .pop_front()
                .unwrap_or(SendStep::Sent);
            self.offered.borrow_mut().push((msg.to_vec(), flags, step));
            match step {
                SendStep::Sent => {
                    let answers = match self.responder.borrow_mut().as_mut() {
                        Some(respond) => respond(msg, flags),
                        None => Vec::new(),
                    };
                    self.queue_rx(answers);
                    return Ok(());
                }
                SendStep::WouldBlock => delay.delay_us(slice_us).await,
                SendStep::Fail(kind) => return Err(kind),
            }
        }
    }

    async fn recv(&self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        assert!(
            buf.len() >= 240,
            "receive buffer below the link's 240 bytes"
        );
        self.receives.set(self.receives.get() + 1);
        let step = self.rx.borrow_mut().pop_front();
        match step {
            Some(RecvStep::Frame(frame)) => {
                buf[..frame.len()].copy_from_slice(&frame);
                Ok(frame.len())
            }
            Some(RecvStep::Fail(kind)) => Err(kind),
            Some(RecvStep::Empty) | None => pending().await,
        }
    }
}

/// A clock that adds up what it was asked to wait and ends each wait at once, or (stalled)
/// never.
#[derive(Debug, Default)]
struct Clock {
    waited_ns: u64,
    calls: usize,
    stalled: bool,
}

impl DelayNs for Clock {
    async fn delay_ns(&mut self, ns: u32) {
        self.waited_ns += u64::from(ns);
        self.calls += 1;
        if self.stalled {
            pending::<()>().await;
        }
    }
}

type TestClient<'a> = AsyncClient<&'a AsyncRm, Clock, Box<dyn FnMut(Notification<'_>)>, 1024>;

/// 1 ms timeout in 10 µs steps.
fn config() -> ClientConfig {
    ClientConfig::new().with_timeout_us(1000).with_poll_us(10)
}

fn client(rm: &AsyncRm) -> (TestClient<'_>, Seen) {
    client_with(rm, config(), Clock::default())
}

fn client_with(rm: &AsyncRm, config: ClientConfig, clock: Clock) -> (TestClient<'_>, Seen) {
    let seen = Seen::default();
    let log = seen.clone();
    let handler: Box<dyn FnMut(Notification<'_>)> =
        Box::new(move |n: Notification<'_>| log.borrow_mut().push((n.msg_id, n.payload.to_vec())));
    (AsyncClient::new(rm, clock, config, handler), seen)
}

/// An RM that answers each request's last frame with an OK reply carrying `payload`.
fn echo_rm(payload: Vec<u8>) -> AsyncRm {
    AsyncRm::answering(move |frame, flags| {
        if !flags.push() {
            return Vec::new();
        }
        let h = header(frame);
        reply(h.seq, h.msg_id, 0, &payload)
    })
}

fn stats(
    requests: u32,
    replies: u32,
    notifications: u32,
    late_replies: u32,
    timeouts: u32,
    aborted: u32,
    dropped: u32,
) -> ClientStats {
    let mut s = ClientStats::default();
    s.requests = requests;
    s.replies = replies;
    s.notifications = notifications;
    s.late_replies = late_replies;
    s.timeouts = timeouts;
    s.aborted = aborted;
    s.dropped = dropped;
    s
}

/// Polls `future` once with a waker that does nothing; whether it finished.
fn poll_once<F: Future>(future: F) -> bool {
    let mut future = pin!(future);
    future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_ready()
}

#[test]
fn vm_get_vmid() {
    let rm = echo_rm(vec![3, 0, 0, 0]);
    let (mut c, _) = client(&rm);
    assert_eq!(c.next_seq(), 0);
    assert_eq!(block_on(c.vm_get_vmid()), Ok(3));
    assert_eq!(
        rm.sent(),
        [(vec![0x21, 0x01, 0, 0, 0x24, 0, 0, 0x56], SendFlags::PUSH)]
    );
    assert_eq!(c.next_seq(), 1);
    assert_eq!(c.stats(), stats(1, 1, 0, 0, 0, 0, 0));
    assert_eq!(c.delay().calls, 0, "the reply was there: no wait");
    // A VMID that does not fit 16 bits, a payload of the wrong length.
    for bad in [vec![0, 0, 1, 0], vec![3, 0]] {
        let rm = echo_rm(bad);
        let (mut c, _) = client(&rm);
        assert_eq!(block_on(c.vm_get_vmid()), Err(RpcError::Malformed));
    }
}

#[test]
fn vm_get_hyp_resources() {
    // One entry: a msgq TX (type 2) to VM 4, label 7, cap 0x10, vIRQ 970.
    let mut entries = 1u32.to_le_bytes().to_vec();
    entries.extend([2, 0]);
    entries.extend(4u16.to_le_bytes());
    entries.extend(0u32.to_le_bytes());
    entries.extend(7u32.to_le_bytes());
    entries.extend(0x10u64.to_le_bytes());
    entries.extend(0u32.to_le_bytes());
    entries.extend(970u32.to_le_bytes());
    entries.extend([0; 16]);
    let rm = echo_rm(entries.clone());
    let (mut c, _) = client(&rm);
    let resources = block_on(c.vm_get_hyp_resources(0x0103)).unwrap();
    assert_eq!(resources.len(), 1);
    let link = resources.msgq_link(7).unwrap().unwrap();
    assert_eq!(link.tx.map(|q| (q.cap, q.intid)), Some((CapId(0x10), 970)));
    let sent = rm.sent();
    assert_eq!(header(&sent[0].0).msg_id, VM_GET_HYP_RESOURCES);
    assert_eq!(sent[0].0[8..], [0x03, 0x01, 0, 0]);
    // A count that disagrees with the entries.
    entries[0] = 2;
    let rm = echo_rm(entries);
    let (mut c, _) = client(&rm);
    assert_eq!(
        block_on(c.vm_get_hyp_resources(3)).map(|r| r.len()),
        Err(RpcError::Malformed)
    );
}

#[test]
fn error_replies() {
    for (word, error) in [
        (0xFFFF_FFFF, RmError::Unimplemented),
        (3, RmError::Denied),
        (0x1234, RmError::Unknown(0x1234)),
    ] {
        let rm = AsyncRm::answering(move |frame, _| {
            let h = header(frame);
            reply(h.seq, h.msg_id, word, &[])
        });
        let (mut c, _) = client(&rm);
        assert_eq!(block_on(c.vm_get_vmid()), Err(RpcError::Rm(error)));
        assert_eq!(c.stats(), stats(1, 1, 0, 0, 0, 0, 0));
    }
    // Too short for the error word.
    let rm = AsyncRm::answering(|frame, _| {
        let h = header(frame);
        frames(MsgType::Reply, h.seq, h.msg_id, &[0; 3])
    });
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.call(2, &[])), Err(RpcError::Malformed));
}

#[test]
fn no_reply_times_out() {
    let rm = AsyncRm::default();
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.call(5, &[1])), Err(RpcError::Timeout));
    // 1 ms in 10 µs slices, each with a receive, then one last look.
    assert_eq!(c.delay().waited_ns, 1_000_000);
    assert_eq!(c.delay().calls, 100);
    assert_eq!(rm.receives.get(), 101);
    assert_eq!(c.stats(), stats(1, 0, 0, 0, 1, 0, 0));
}

#[test]
fn the_last_slice_is_cut_to_the_timeout() {
    let rm = AsyncRm::default();
    let cut = config().with_timeout_us(25).with_poll_us(10);
    let (mut c, _) = client_with(&rm, cut, Clock::default());
    assert_eq!(block_on(c.call(5, &[])), Err(RpcError::Timeout));
    assert_eq!((c.delay().waited_ns, c.delay().calls), (25_000, 3));
}

#[test]
fn a_zero_timeout_still_looks_once() {
    let rm = echo_rm(vec![1]);
    let (mut c, _) = client_with(&rm, config().with_timeout_us(0), Clock::default());
    assert_eq!(block_on(c.call(5, &[])), Ok(&[1][..]));
    let rm = AsyncRm::default();
    let (mut c, _) = client_with(&rm, config().with_timeout_us(0), Clock::default());
    assert_eq!(block_on(c.call(5, &[])), Err(RpcError::Timeout));
    assert_eq!((rm.receives.get(), c.delay().calls), (1, 0));
}

#[test]
fn a_reply_after_some_slices() {
    let rm = AsyncRm::default();
    for _ in 0..5 {
        rm.queue_rx_step(RecvStep::Empty);
    }
    rm.queue_rx(reply(0, 5, 0, &[4]));
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.call(5, &[])), Ok(&[4][..]));
    assert_eq!(c.delay().waited_ns, 50_000);
}

#[test]
fn a_late_reply_after_a_timeout_is_dropped_and_counted() {
    let rm = AsyncRm::default();
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.vm_get_vmid()), Err(RpcError::Timeout));
    // The first request's reply comes now, before the second's, same msg_id.
    rm.queue_rx(reply(0, VM_GET_VMID, 0, &[1, 0, 0, 0]));
    rm.queue_rx(reply(1, VM_GET_VMID, 0, &[2, 0, 0, 0]));
    assert_eq!(block_on(c.vm_get_vmid()), Ok(2));
    assert_eq!(c.stats(), stats(2, 1, 0, 1, 1, 0, 0));
}

#[test]
fn a_reply_with_the_right_seq_but_another_msg_id_is_not_ours() {
    let rm = AsyncRm::default();
    rm.queue_rx(reply(0, 0x99, 0, &[1]));
    rm.queue_rx(reply(0, 0x10, 0, &[2]));
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.call(0x10, &[])), Ok(&[2][..]));
    assert_eq!(c.stats().late_replies, 1);
}

#[test]
fn a_call_cancelled_while_it_waits_for_the_reply() {
    let rm = AsyncRm::default();
    let stalled = Clock {
        stalled: true,
        ..Clock::default()
    };
    let (mut c, _) = client_with(&rm, config(), stalled);
    assert!(!poll_once(c.vm_get_vmid()), "no reply: the call waits");
    // Dropped: the request went, nothing else happened.
    assert_eq!(rm.sent().len(), 1);
    assert_eq!(c.stats(), stats(1, 0, 0, 0, 0, 0, 0));
    assert_eq!(c.next_seq(), 1);
    // Its reply comes now, before the next call's, same msg_id.
    rm.queue_rx(reply(0, VM_GET_VMID, 0, &[1, 0, 0, 0]));
    rm.queue_rx(reply(1, VM_GET_VMID, 0, &[2, 0, 0, 0]));
    assert_eq!(block_on(c.vm_get_vmid()), Ok(2));
    assert_eq!(c.stats(), stats(2, 1, 0, 1, 0, 0, 0));
}

#[test]
fn a_call_cancelled_between_the_frames_of_its_request() {
    let rm = AsyncRm::default();
    rm.script_sends([SendStep::Sent, SendStep::WouldBlock]);
    let stalled = Clock {
        stalled: true,
        ..Clock::default()
    };
    let (mut c, _) = client_with(&rm, config(), stalled);
    assert!(!poll_once(c.call(2, &[7; 300])), "TX full: the call waits");
    // The first frame went, the second was offered once; the rest is never sent.
    assert_eq!(rm.sent().len(), 1);
    assert_eq!(rm.offered.borrow().len(), 2);
    rm.queue_rx(reply(0, 2, 0, &[]));
    rm.queue_rx(reply(1, 3, 0, b"ok"));
    assert_eq!(block_on(c.call(3, &[])), Ok(&b"ok"[..]));
    let seqs: Vec<u16> = rm.sent().iter().map(|(f, _)| header(f).seq).collect();
    assert_eq!(seqs, [0, 1]);
    assert_eq!(c.stats(), stats(2, 1, 0, 1, 0, 0, 0));
}

#[test]
fn notifications_during_a_call_go_to_the_handler() {
    let rm = AsyncRm::answering(|frame, _| {
        let h = header(frame);
        let mut out = vec![notification(0x5610_0008, b"one")];
        out.extend(reply(h.seq, h.msg_id, 0, b"ok"));
        out.push(notification(0x5610_0009, b"two"));
        out
    });
    let (mut c, seen) = client(&rm);
    assert_eq!(block_on(c.call(2, &[])), Ok(&b"ok"[..]));
    assert_eq!(*seen.borrow(), [(0x5610_0008, b"one".to_vec())]);
    // The second one waits for a poll.
    assert_eq!(block_on(c.poll()), Ok(1));
    assert_eq!(
        *seen.borrow(),
        [
            (0x5610_0008, b"one".to_vec()),
            (0x5610_0009, b"two".to_vec())
        ]
    );
    assert_eq!(c.stats(), stats(1, 1, 2, 0, 0, 0, 0));
}

#[test]
fn a_fragmented_request_and_reply() {
    let request: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
    let reply_payload: Vec<u8> = (0..900u32).map(|i| (i * 3) as u8).collect();
    let rm = echo_rm(reply_payload.clone());
    let (mut c, _) = client(&rm);
    assert_eq!(
        block_on(c.call(0x5600_0002, &request)),
        Ok(&reply_payload[..])
    );
    let sent = rm.sent();
    let flags: Vec<SendFlags> = sent.iter().map(|(_, f)| *f).collect();
    assert_eq!(
        flags,
        [
            SendFlags::NONE,
            SendFlags::NONE,
            SendFlags::NONE,
            SendFlags::PUSH
        ]
    );
    let joined: Vec<u8> = sent.iter().flat_map(|(f, _)| f[8..].to_vec()).collect();
    assert_eq!(joined, request);
    assert_eq!(c.stats(), stats(1, 1, 0, 0, 0, 0, 0));
    // The largest reply fills a full buffer.
    let payload = vec![0x5A; MAX_PAYLOAD - 4];
    let rm = echo_rm(payload.clone());
    let mut c: AsyncClient<_, _, _, MAX_PAYLOAD> =
        AsyncClient::new(&rm, Clock::default(), config(), |_| {});
    assert_eq!(block_on(c.call(3, &[])), Ok(&payload[..]));
    // One too large for the buffer.
    let rm = echo_rm(vec![0; 2000]);
    let (mut c, _) = client(&rm);
    assert_eq!(
        block_on(c.call(2, &[])),
        Err(RpcError::ReplyTooLarge { capacity: 1024 })
    );
}

#[test]
fn a_notification_interleaved_in_a_fragmented_reply_aborts_it() {
    let rm = AsyncRm::answering(|frame, _| {
        let h = header(frame);
        let r = reply(h.seq, h.msg_id, 0, &[3; 400]);
        vec![r[0].clone(), notification(0x77, b"n"), r[1].clone()]
    });
    let (mut c, seen) = client(&rm);
    assert_eq!(block_on(c.call(2, &[])), Err(RpcError::Aborted));
    assert_eq!(*seen.borrow(), [(0x77, b"n".to_vec())]);
    // The orphan continuation is dropped by the next poll.
    assert_eq!(block_on(c.poll()), Ok(1));
    assert_eq!(c.stats(), stats(1, 0, 1, 0, 0, 1, 1));
}

#[test]
fn a_full_tx_queue_is_waited_out_in_slices() {
    let rm = echo_rm(vec![1]);
    rm.script_sends([SendStep::WouldBlock, SendStep::WouldBlock]);
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.call(2, &[])), Ok(&[1][..]));
    // One attempt per slice: the mailbox's own slices never end.
    assert_eq!(rm.offered.borrow().len(), 3);
    assert_eq!(rm.sent().len(), 1);
    assert_eq!(c.delay().waited_ns, 20_000);
}

#[test]
fn frames_are_taken_while_the_tx_queue_is_full() {
    let rm = echo_rm(vec![1]);
    rm.script_sends([SendStep::WouldBlock, SendStep::WouldBlock]);
    rm.queue_rx([notification(0x31, b"a"), notification(0x32, b"b")]);
    let (mut c, seen) = client(&rm);
    assert_eq!(block_on(c.call(2, &[])), Ok(&[1][..]));
    assert_eq!(
        *seen.borrow(),
        [(0x31, b"a".to_vec()), (0x32, b"b".to_vec())]
    );
    // The send is tried again after each frame taken (the peer may have made room), without
    // waiting.
    assert_eq!(rm.offered.borrow().len(), 3);
    assert_eq!(c.delay().calls, 0);
}

#[test]
fn a_full_tx_queue_times_out_and_the_rest_is_never_sent() {
    let rm = echo_rm(vec![]);
    rm.script_sends([SendStep::Sent]);
    rm.script_sends([SendStep::WouldBlock; 200]);
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.call(2, &[0; 300])), Err(RpcError::Timeout));
    assert_eq!(rm.sent().len(), 1);
    // One attempt per slice and one in the last look.
    assert_eq!(rm.offered.borrow().len(), 1 + 101);
    assert_eq!(c.stats(), stats(1, 0, 0, 0, 1, 0, 0));
}

#[test]
fn a_reply_while_the_tx_queue_is_full_ends_the_call() {
    let rm = AsyncRm::default();
    rm.script_sends([SendStep::Sent, SendStep::WouldBlock]);
    rm.queue_rx(reply(0, 2, 0, b"early"));
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.call(2, &[0; 300])), Ok(&b"early"[..]));
    assert_eq!(rm.sent().len(), 1);
    assert_eq!(c.delay().calls, 0);
}

#[test]
fn mailbox_errors_end_the_call() {
    let rm = echo_rm(vec![]);
    rm.script_sends([SendStep::Fail(ErrorKind::Denied)]);
    let (mut c, _) = client(&rm);
    assert_eq!(
        block_on(c.call(2, &[])),
        Err(RpcError::Mailbox(ErrorKind::Denied))
    );
    assert!(rm.sent().is_empty());

    let rm = AsyncRm::default();
    rm.queue_rx_step(RecvStep::Fail(ErrorKind::RxStuck));
    let (mut c, _) = client(&rm);
    assert_eq!(
        block_on(c.call(2, &[])),
        Err(RpcError::Mailbox(ErrorKind::RxStuck))
    );

    let rm = AsyncRm::default();
    rm.queue_rx_step(RecvStep::Fail(ErrorKind::Busy));
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.poll()), Err(RpcError::Mailbox(ErrorKind::Busy)));
}

#[test]
fn requests_refused_before_anything_is_sent() {
    let rm = echo_rm(vec![]);
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.call(0, &[])), Err(RpcError::ReservedMsgId));
    let big = vec![0; MAX_PAYLOAD + 1];
    assert_eq!(
        block_on(c.call(1, &big)),
        Err(RpcError::PayloadTooLarge {
            len: MAX_PAYLOAD + 1,
            max: MAX_PAYLOAD
        })
    );
    assert!(rm.offered.borrow().is_empty());
    assert_eq!(rm.receives.get(), 0);
    assert_eq!((c.next_seq(), c.stats()), (0, ClientStats::default()));
}

#[test]
fn poll_takes_what_is_there_and_stops_at_its_limit() {
    let rm = AsyncRm::default();
    rm.queue_rx(reply(0, 2, 0, &[]));
    let (mut c, _) = client(&rm);
    assert_eq!(block_on(c.poll()), Ok(1));
    assert_eq!(c.stats().late_replies, 1);
    assert_eq!(block_on(c.poll()), Ok(0));
    for _ in 0..300 {
        rm.queue_rx([notification(1, &[])]);
    }
    assert_eq!(block_on(c.poll()), Ok(gunyah_rm_rpc::client::POLL_LIMIT));
    assert_eq!(c.stats().notifications, 256);
    assert_eq!(block_on(c.poll()), Ok(44));
    assert_eq!(c.delay().calls, 0, "poll never waits");
}

#[test]
fn accessors() {
    let rm = AsyncRm::default();
    let cfg = config().with_tx_max_msg_size(120);
    let (c, _) = client_with(&rm, cfg, Clock::default());
    assert_eq!(c.config(), cfg);
    assert!(std::ptr::eq(*c.mailbox(), &rm));
    assert_eq!(c.delay().calls, 0);
}
