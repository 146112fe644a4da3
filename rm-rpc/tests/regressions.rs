//! The RPC-layer bugs of earlier drivers (spec §7, "Linux bugs → required behaviour"), one
//! test each.

mod common;

use common::*;
use gunyah_rm_rpc::wire::MsgType;
use gunyah_rm_rpc::{ClientConfig, RpcError};

/// Bug 13: v17 checked sizes only against the 232-byte RPC payload. On a queue whose real
/// maximum is smaller, a 240-byte frame would pass that check and be dropped by the
/// hypervisor with an OK answer. The client sizes every frame to the queue's real maximum,
/// and refuses a payload that 63 such frames cannot carry before sending anything.
#[test]
fn bug13_frames_fit_the_queues_real_maximum() {
    let rm = echo_rm(b"done".to_vec());
    let (mut c, _) = client_with(&rm, config().with_tx_max_msg_size(64));
    let payload = vec![0x42; 232];
    assert_eq!(c.call(9, &payload), Ok(&b"done"[..]));
    let sent = rm.sent();
    assert!(
        sent.iter().all(|f| f.len() <= 64),
        "every frame within 64 bytes"
    );
    assert_eq!(sent.len(), 5, "232 bytes in 56-byte pieces");
    assert_eq!(header(&sent[0]).continuations, 4);
    // 63 × 56 bytes is the most; one more is refused, and nothing is sent.
    rm.offered.borrow_mut().clear();
    assert_eq!(
        c.call(9, &vec![0; 63 * 56 + 1]),
        Err(RpcError::PayloadTooLarge {
            len: 63 * 56 + 1,
            max: 63 * 56
        })
    );
    assert!(rm.offered.borrow().is_empty());
}

/// Bug 15: the mailbox core's shared completion woke the wrong waiter, and a message that had
/// timed out could still be sent later. Here a request that times out while the TX queue is
/// full is never sent afterwards (nothing is queued behind the caller), and a reply belongs
/// only to its own request.
#[test]
fn bug15_a_timed_out_request_is_never_sent_later() {
    let rm = ScriptedRm::new();
    // Full for the whole first call (100 waits + the first try).
    rm.script_sends(std::iter::repeat_n(SendStep::WouldBlock, 101));
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(0x11, b"first"), Err(RpcError::Timeout));
    assert!(rm.sent().is_empty());
    assert_eq!(rm.offered.borrow().len(), 101);
    // Room again: the next call sends its own request, and only that.
    rm.queue_rx(reply(1, 0x22, 0, b"second's"));
    assert_eq!(c.call(0x22, b"second"), Ok(&b"second's"[..]));
    let sent = rm.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(header(&sent[0]).msg_id, 0x22);
    assert_eq!(&sent[0][8..], b"second");
    assert_eq!(c.stats().timeouts, 1);
}

/// Bug 15, the other half: a request whose first frames went out but whose rest timed out is
/// not completed later either; the next request starts afresh.
#[test]
fn bug15_the_rest_of_a_timed_out_fragmented_request_is_dropped() {
    let rm = ScriptedRm::new();
    rm.script_sends([SendStep::Sent]);
    rm.script_sends(std::iter::repeat_n(SendStep::WouldBlock, 101));
    let (mut c, _) = client(&rm);
    assert_eq!(c.call(0x11, &[1; 300]), Err(RpcError::Timeout));
    assert_eq!(rm.sent().len(), 1, "only the first frame");
    rm.queue_rx(reply(1, 0x22, 0, &[]));
    assert_eq!(c.call(0x22, &[]), Ok(&[][..]));
    let sent = rm.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(header(&sent[1]).kind, MsgType::Request);
    assert_eq!(header(&sent[1]).msg_id, 0x22);
}

/// Bug 20: concurrent calls against the resource manager's single reply slot could lose a
/// reply and hang the waiter forever; an interrupted waiter could free a reply being filled.
/// Here: one request at a time (`call` takes `&mut self`, and the next request goes out only
/// after the reply or the timeout), every wait is bounded, and a reply that arrives for an
/// earlier request is dropped and counted, never handed to the current one.
#[test]
fn bug20_one_request_at_a_time_bounded_waits_late_replies_dropped() {
    let rm = ScriptedRm::new();
    let (mut c, _) = client_with(
        &rm,
        ClientConfig::new().with_timeout_us(500).with_poll_us(50),
    );
    // The RM "lost" the first reply: the wait ends, it does not hang.
    assert_eq!(c.call(0x5600_0024, &[]), Err(RpcError::Timeout));
    assert_eq!(c.delay().waited_ns, 500_000);
    assert_eq!(rm.sent().len(), 1);
    // Its reply turns up during the second call, before the second's own.
    rm.queue_rx(reply(0, 0x5600_0024, 0, &[1, 0, 0, 0]));
    rm.queue_rx(reply(1, 0x5600_0024, 0, &[3, 0, 0, 0]));
    assert_eq!(c.vm_get_vmid(), Ok(3));
    // And a reply for the third request while none is outstanding is dropped too.
    rm.queue_rx(reply(2, 0x5600_0024, 0, &[9, 9, 0, 0]));
    assert_eq!(c.poll(), Ok(1));
    let s = c.stats();
    assert_eq!(
        (s.requests, s.replies, s.late_replies, s.timeouts),
        (2, 1, 2, 1)
    );
    // Each request went out only once the previous one had ended.
    let seqs: Vec<u16> = rm.sent().iter().map(|f| header(f).seq).collect();
    assert_eq!(seqs, [0, 1]);
}
