//! The client against a resource manager played by hand.

mod common;

use common::*;
use gunyah_msgq::{ErrorKind, SendFlags};
use gunyah_rm_rpc::wire::{MAX_PAYLOAD, MsgType};
use gunyah_rm_rpc::{ClientConfig, ClientStats, RmError, RpcError};

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

#[test]
fn a_one_frame_call() {
    let rm = echo_rm(vec![9, 8, 7]);
    let (mut c, _) = client(&rm);
    assert_eq!(c.next_seq(), 0);
    assert_eq!(c.call(0x5600_0001, b"hi"), Ok(&[9, 8, 7][..]));
    let sent = rm.sent();
    assert_eq!(sent, [vec![0x21, 0x01, 0, 0, 0x01, 0, 0, 0x56, b'h', b'i']]);
    assert_eq!(rm.sent_flags(), [SendFlags::PUSH]);
    assert_eq!(c.next_seq(), 1);
    assert_eq!(c.stats(), stats(1, 1, 0, 0, 0, 0, 0));
    assert_eq!(c.delay().waited_ns, 0, "the reply was there: no wait");
}

#[test]
fn seq_counts_up_and_wraps() {
    let rm = echo_rm(vec![]);
    let (mut c, _) = client(&rm);
    for _ in 0..3 {
        assert_eq!(c.call(7, &[]), Ok(&[][..]));
    }
    let seqs: Vec<u16> = rm.sent().iter().map(|f| header(f).seq).collect();
    assert_eq!(seqs, [0, 1, 2]);
    // Around the end of u16.
    let rm = echo_rm(vec![]);
    let (mut c, _) = client(&rm);
    for _ in 0..u16::MAX {
        c.call(7, &[]).unwrap();
    }
    assert_eq!(c.next_seq(), u16::MAX);
    c.call(7, &[]).unwrap();
    assert_eq!(c.next_seq(), 0);
    c.call(7, &[]).unwrap();
    let last: Vec<u16> = rm.sent()[65534..].iter().map(|f| header(f).seq).collect();
    assert_eq!(last, [65534, 65535, 0]);
}

#[test]
fn a_fragmented_request_and_reply() {
    let request: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
    let reply_payload: Vec<u8> = (0..900u32).map(|i| (i * 3) as u8).collect();
    let rm = echo_rm(reply_payload.clone());
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(0x5600_0002, &request), Ok(&reply_payload[..]));
    let sent = rm.sent();
    assert_eq!(sent.len(), 4);
    assert_eq!(
        rm.sent_flags(),
        [
            SendFlags::NONE,
            SendFlags::NONE,
            SendFlags::NONE,
            SendFlags::PUSH
        ]
    );
    let mut joined = Vec::new();
    for (i, frame) in sent.iter().enumerate() {
        let h = header(frame);
        let kind = if i == 0 {
            MsgType::Request
        } else {
            MsgType::Continuation
        };
        assert_eq!(
            (h.kind, h.continuations, h.seq, h.msg_id),
            (kind, 3, 0, 0x5600_0002)
        );
        joined.extend_from_slice(&frame[8..]);
    }
    assert_eq!(joined, request);
}

#[test]
fn the_largest_reply_fills_a_full_buffer() {
    let payload = vec![0x5A; MAX_PAYLOAD - 4];
    let rm = echo_rm(payload.clone());
    let mut c: gunyah_rm_rpc::Client<_, _, _, MAX_PAYLOAD> =
        gunyah_rm_rpc::Client::new(&rm, Clock::default(), config(), |_| {});
    assert_eq!(c.call(3, &[]), Ok(&payload[..]));
    assert_eq!(rm.rx.borrow().len(), 0);
}

#[test]
fn an_oversized_request_is_refused_before_anything_is_sent() {
    let rm = echo_rm(vec![]);
    let (mut c, _) = client(&rm);
    let big = vec![0; MAX_PAYLOAD + 1];
    assert_eq!(
        c.call(1, &big),
        Err(RpcError::PayloadTooLarge {
            len: MAX_PAYLOAD + 1,
            max: MAX_PAYLOAD
        })
    );
    assert!(rm.offered.borrow().is_empty());
    assert_eq!(rm.receives.get(), 0);
    assert_eq!(c.stats(), ClientStats::default());
    assert_eq!(c.next_seq(), 0, "no seq spent");
    // The largest one goes.
    assert_eq!(c.call(1, &big[1..]), Ok(&[][..]));
    assert_eq!(rm.sent().len(), 63);
}

#[test]
fn msg_id_zero_is_reserved() {
    let rm = echo_rm(vec![]);
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(0, &[]), Err(RpcError::ReservedMsgId));
    assert!(rm.offered.borrow().is_empty());
    assert_eq!(c.next_seq(), 0);
}

#[test]
fn a_queue_too_small_for_a_frame() {
    let rm = echo_rm(vec![]);
    let (mut c, _) = client_with(&rm, config().with_tx_max_msg_size(8));
    assert_eq!(
        c.call(1, &[]),
        Err(RpcError::QueueTooSmall { max_msg_size: 8 })
    );
    assert!(rm.offered.borrow().is_empty());
}

#[test]
fn no_reply_times_out() {
    let rm = ScriptedRm::new();
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(5, &[1]), Err(RpcError::Timeout));
    // 1 ms in 10 µs steps, then one last look.
    assert_eq!(c.delay().waited_ns, 1_000_000);
    assert_eq!(c.delay().calls, 100);
    assert_eq!(rm.receives.get(), 101);
    assert_eq!(c.stats(), stats(1, 0, 0, 0, 1, 0, 0));
}

#[test]
fn the_last_wait_step_is_cut_to_the_timeout() {
    let rm = ScriptedRm::new();
    let (mut c, _) = client_with(&rm, config().with_timeout_us(25).with_poll_us(10));
    assert_eq!(c.call(5, &[]), Err(RpcError::Timeout));
    assert_eq!(c.delay().waited_ns, 25_000);
    assert_eq!(c.delay().calls, 3);
}

#[test]
fn a_zero_step_still_waits() {
    let rm = ScriptedRm::new();
    let (mut c, _) = client_with(&rm, config().with_timeout_us(3).with_poll_us(0));
    assert_eq!(c.call(5, &[]), Err(RpcError::Timeout));
    assert_eq!((c.delay().waited_ns, c.delay().calls), (3_000, 3));
}

#[test]
fn a_zero_timeout_still_looks_once() {
    let rm = echo_rm(vec![1]);
    let (mut c, _) = client_with(&rm, config().with_timeout_us(0));
    assert_eq!(c.call(5, &[]), Ok(&[1][..]));
    let rm = ScriptedRm::new();
    let (mut c, _) = client_with(&rm, config().with_timeout_us(0));
    assert_eq!(c.call(5, &[]), Err(RpcError::Timeout));
    assert_eq!((rm.receives.get(), c.delay().calls), (1, 0));
}

#[test]
fn a_reply_after_some_waiting() {
    let rm = ScriptedRm::new();
    for _ in 0..5 {
        rm.queue_rx_step(RecvStep::Empty);
    }
    rm.queue_rx(reply(0, 5, 0, &[4]));
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(5, &[]), Ok(&[4][..]));
    assert_eq!(c.delay().waited_ns, 50_000);
}

#[test]
fn a_late_reply_is_dropped_and_counted() {
    let rm = ScriptedRm::new();
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(0x5600_0024, &[]), Err(RpcError::Timeout));
    // The first request's reply comes now, before the second's, same msg_id.
    rm.queue_rx(reply(0, 0x5600_0024, 0, &[1, 0, 0, 0]));
    rm.queue_rx(reply(1, 0x5600_0024, 0, &[2, 0, 0, 0]));
    assert_eq!(c.call(0x5600_0024, &[]), Ok(&[2, 0, 0, 0][..]));
    assert_eq!(c.stats(), stats(2, 1, 0, 1, 1, 0, 0));
}

#[test]
fn a_reply_with_the_right_seq_but_another_msg_id_is_not_ours() {
    let rm = ScriptedRm::new();
    rm.queue_rx(reply(0, 0x99, 0, &[1]));
    rm.queue_rx(reply(0, 0x10, 0, &[2]));
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(0x10, &[]), Ok(&[2][..]));
    assert_eq!(c.stats().late_replies, 1);
}

#[test]
fn notifications_go_to_the_handler() {
    let rm = ScriptedRm::answering(|frame, _| {
        let h = header(frame);
        let mut out = vec![notification(0x5610_0008, b"one")];
        out.extend(reply(h.seq, h.msg_id, 0, b"ok"));
        out.push(notification(0x5610_0009, b"two"));
        out
    });
    let (mut c, seen) = client(&rm);
    assert_eq!(c.call(2, &[]), Ok(&b"ok"[..]));
    assert_eq!(*seen.borrow(), [(0x5610_0008, b"one".to_vec())]);
    // The second one waits for a poll.
    assert_eq!(c.poll(), Ok(1));
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
fn a_notification_interleaved_in_a_fragmented_reply() {
    // The reply's first frame, a notification, then the reply's second frame: the
    // notification starts a new message, which aborts the partial reply (spec §6).
    let rm = ScriptedRm::answering(|frame, _| {
        let h = header(frame);
        let r = reply(h.seq, h.msg_id, 0, &[3; 400]);
        vec![r[0].clone(), notification(0x77, b"n"), r[1].clone()]
    });
    let (mut c, seen) = client(&rm);
    assert_eq!(c.call(2, &[]), Err(RpcError::Aborted));
    assert_eq!(*seen.borrow(), [(0x77, b"n".to_vec())]);
    assert_eq!(c.stats(), stats(1, 0, 1, 0, 0, 1, 0));
    // The reply's second frame is an orphan, dropped by the next poll.
    assert_eq!(c.poll(), Ok(1));
    assert_eq!(c.stats().dropped, 1);
    // And the next call works.
    rm.responder.borrow_mut().take();
    rm.queue_rx(reply(1, 3, 0, &[]));
    assert_eq!(c.call(3, &[]), Ok(&[][..]));
}

#[test]
fn a_fragmented_notification_between_calls_completes_in_the_next() {
    let rm = ScriptedRm::new();
    let n = frames(MsgType::Notification, 0, 0x88, &[6; 300]);
    rm.queue_rx([n[0].clone()]);
    let (mut c, seen) = client(&rm);
    assert_eq!(c.poll(), Ok(1));
    assert!(seen.borrow().is_empty());
    rm.queue_rx([n[1].clone()]);
    rm.queue_rx(reply(0, 4, 0, &[]));
    assert_eq!(c.call(4, &[]), Ok(&[][..]));
    assert_eq!(*seen.borrow(), [(0x88, vec![6; 300])]);
}

#[test]
fn a_reply_cut_by_a_mismatched_continuation() {
    let rm = ScriptedRm::answering(|frame, _| {
        let h = header(frame);
        let r = reply(h.seq, h.msg_id, 0, &[3; 400]);
        let other = reply(h.seq.wrapping_add(9), h.msg_id, 0, &[3; 400]);
        vec![r[0].clone(), other[1].clone()]
    });
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(2, &[]), Err(RpcError::Aborted));
    assert_eq!(c.stats(), stats(1, 0, 0, 0, 0, 1, 1));
}

#[test]
fn the_abort_of_someone_elses_message_does_not_end_the_call() {
    let rm = ScriptedRm::answering(|frame, _| {
        let h = header(frame);
        let n = frames(MsgType::Notification, 0, 0x66, &[1; 300]);
        let mut out = vec![n[0].clone()];
        out.extend(reply(h.seq, h.msg_id, 0, b"r"));
        out
    });
    let (mut c, seen) = client(&rm);
    assert_eq!(c.call(2, &[]), Ok(&b"r"[..]));
    assert!(seen.borrow().is_empty());
    assert_eq!(c.stats(), stats(1, 1, 0, 0, 0, 1, 0));
}

#[test]
fn rm_errors() {
    for (word, error) in [
        (0xFFFF_FFFF, RmError::Unimplemented),
        (3, RmError::Denied),
        (13, RmError::VmidInvalid),
        (0x1234, RmError::Unknown(0x1234)),
    ] {
        let rm = ScriptedRm::answering(move |frame, _| {
            let h = header(frame);
            reply(h.seq, h.msg_id, word, &[])
        });
        let (mut c, _) = client(&rm);
        assert_eq!(c.call(2, &[]), Err(RpcError::Rm(error)));
        assert_eq!(c.stats().replies, 1);
    }
}

#[test]
fn a_reply_too_short_for_the_error_word() {
    for len in 0..4 {
        let rm = ScriptedRm::answering(move |frame, _| {
            let h = header(frame);
            frames(MsgType::Reply, h.seq, h.msg_id, &[0; 3][..len])
        });
        let (mut c, _) = client(&rm);
        assert_eq!(c.call(2, &[]), Err(RpcError::Malformed), "{len}");
    }
}

#[test]
fn a_reply_too_large_for_the_buffer() {
    let rm = echo_rm(vec![0; 2000]);
    let (mut c, _) = client(&rm);
    assert_eq!(
        c.call(2, &[]),
        Err(RpcError::ReplyTooLarge { capacity: 1024 })
    );
    assert_eq!(c.stats().replies, 0);
}

#[test]
fn a_notification_too_large_for_the_buffer_is_dropped() {
    let rm = ScriptedRm::new();
    rm.queue_rx(frames(MsgType::Notification, 0, 0x5, &[0; 1300]));
    rm.queue_rx(reply(0, 2, 0, &[]));
    let (mut c, seen) = client(&rm);
    assert_eq!(c.call(2, &[]), Ok(&[][..]));
    assert!(seen.borrow().is_empty());
    // The frame that overflowed, then the orphan.
    assert_eq!(c.stats(), stats(1, 1, 0, 0, 0, 0, 2));
}

#[test]
fn junk_and_requests_from_the_peer_are_dropped() {
    let rm = ScriptedRm::new();
    rm.queue_rx([vec![0x21, 0x01], vec![0x20; 12]]);
    rm.queue_rx(frames(MsgType::Request, 0, 0x44, &[]));
    rm.queue_rx(reply(0, 2, 0, b"x"));
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(2, &[]), Ok(&b"x"[..]));
    assert_eq!(c.stats(), stats(1, 1, 0, 0, 0, 0, 3));
}

#[test]
fn a_full_tx_queue_is_waited_out() {
    let rm = echo_rm(vec![1]);
    rm.script_sends([SendStep::WouldBlock, SendStep::WouldBlock]);
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(2, &[]), Ok(&[1][..]));
    assert_eq!(rm.offered.borrow().len(), 3);
    assert_eq!(rm.sent().len(), 1);
    assert_eq!(c.delay().waited_ns, 20_000);
}

#[test]
fn notifications_are_taken_while_the_tx_queue_is_full() {
    let rm = echo_rm(vec![1]);
    rm.script_sends([SendStep::WouldBlock]);
    rm.queue_rx([notification(0x31, b"a"), notification(0x32, b"b")]);
    let (mut c, seen) = client(&rm);
    assert_eq!(c.call(2, &[]), Ok(&[1][..]));
    assert_eq!(
        *seen.borrow(),
        [(0x31, b"a".to_vec()), (0x32, b"b".to_vec())]
    );
    // Both were taken before the request went.
    assert_eq!(rm.receives.get(), 4);
}

#[test]
fn a_reply_while_the_tx_queue_is_full_ends_the_call() {
    // A peer that answers before the request is complete (it never should): the call ends
    // with that reply and the rest of the request is not sent.
    let rm = ScriptedRm::new();
    rm.script_sends([SendStep::Sent, SendStep::WouldBlock]);
    rm.queue_rx(reply(0, 2, 0, b"early"));
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(2, &[0; 300]), Ok(&b"early"[..]));
    assert_eq!(rm.sent().len(), 1);
    assert_eq!(c.delay().waited_ns, 0);
}

#[test]
fn mailbox_errors_end_the_call() {
    let rm = echo_rm(vec![]);
    rm.script_sends([SendStep::Fail(ErrorKind::Denied)]);
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(2, &[]), Err(RpcError::Mailbox(ErrorKind::Denied)));
    assert!(rm.sent().is_empty());

    let rm = ScriptedRm::new();
    rm.queue_rx_step(RecvStep::Fail(ErrorKind::RxStuck));
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(2, &[]), Err(RpcError::Mailbox(ErrorKind::RxStuck)));

    let rm = ScriptedRm::new();
    rm.script_sends([SendStep::WouldBlock]);
    rm.queue_rx_step(RecvStep::Fail(ErrorKind::Busy));
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(2, &[]), Err(RpcError::Mailbox(ErrorKind::Busy)));

    let rm = ScriptedRm::new();
    rm.queue_rx_step(RecvStep::Fail(ErrorKind::Busy));
    let (mut c, _) = client(&rm);
    assert_eq!(c.poll(), Err(RpcError::Mailbox(ErrorKind::Busy)));
}

#[test]
fn poll_counts_late_replies_and_stops_at_its_limit() {
    let rm = ScriptedRm::new();
    rm.queue_rx(reply(0, 2, 0, &[]));
    let (mut c, _) = client(&rm);
    assert_eq!(c.poll(), Ok(1));
    assert_eq!(c.stats().late_replies, 1);
    assert_eq!(c.poll(), Ok(0));
    // A peer that never stops.
    for _ in 0..300 {
        rm.queue_rx([notification(1, &[])]);
    }
    assert_eq!(c.poll(), Ok(gunyah_rm_rpc::client::POLL_LIMIT));
    assert_eq!(c.stats().notifications, 256);
    assert_eq!(c.poll(), Ok(44));
}

#[test]
fn the_tx_drain_is_bounded_too() {
    let rm = echo_rm(vec![]);
    rm.script_sends([SendStep::WouldBlock]);
    for _ in 0..300 {
        rm.queue_rx([notification(1, &[])]);
    }
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(2, &[]), Ok(&[][..]));
    // 256 taken in the wait, then one wait step, the send, and the rest before the reply.
    assert_eq!(c.delay().calls, 1);
    assert_eq!(c.stats().notifications, 300);
}

#[test]
fn configuration() {
    let d = ClientConfig::default();
    assert_eq!(d, ClientConfig::new());
    assert_eq!(
        (d.tx_max_msg_size, d.timeout_us, d.poll_us),
        (240, 5_000_000, 100)
    );
    let c = d.with_timeout_us(1).with_poll_us(2).with_tx_max_msg_size(3);
    assert_eq!((c.tx_max_msg_size, c.timeout_us, c.poll_us), (3, 1, 2));
    let rm = ScriptedRm::new();
    let (client, _) = client_with(&rm, c);
    assert_eq!(client.config(), c);
    assert!(std::ptr::eq(*client.mailbox(), &rm));
}
