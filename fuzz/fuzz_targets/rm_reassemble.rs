//! The resource-manager RPC layer (`gunyah-rm-rpc`) against arbitrary message sequences.
//!
//! The input is a buffer size and a sequence of frames: raw bytes, well-formed first frames
//! and continuations (seq and msg_id from small sets, so that they often match), and whole
//! messages cut by the crate's own `Fragmenter` for any queue size.
//!
//! What must hold (each an `assert!` below):
//! - no panic, whatever the frames;
//! - `Reassembler::push` does exactly what the rules of `rm-rpc/src/reassemble.rs`, re-derived
//!   here in a model, say: which frames are dropped and why (not of the protocol, orphan,
//!   too large), which partial message each frame aborts, when a message completes and with
//!   which header and payload, and what is left partial;
//! - every `Fragmenter` frame fits the queue and the 240-byte limit, PUSH only on the last,
//!   and its frames reassemble to the payload;
//! - a `Client` whose link delivers the same frames (and a TX queue that is full when the
//!   input says) never waits longer than its timeout, never sends a frame larger than its
//!   queue's maximum, and ends its call as the frames it received say: `Ok` with the payload
//!   of the first complete reply with its seq and msg_id (error word 0), `Rm` with that
//!   reply's error word, `Timeout` only if no such reply completed;
//! - `poll` takes at most `POLL_LIMIT` frames.
#![no_main]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use arbitrary::Arbitrary;
use embedded_hal::delay::DelayNs;
use gunyah_msgq::{ErrorKind, ErrorType, Mailbox, RecvOutcome, SendFlags, SendOutcome};
use gunyah_rm_rpc::wire::{Header, MsgType};
use gunyah_rm_rpc::{
    Client, ClientConfig, Fragmenter, Progress, ReassembleError, Reassembler, RmError, RpcError,
};
use libfuzzer_sys::fuzz_target;

/// The client's reassembly buffer.
const BUF: usize = 512;

#[derive(Arbitrary, Debug)]
enum Op {
    /// Any bytes.
    Raw(Vec<u8>),
    /// A first frame (`kind` 1..=3 after `% 3 + 1`), with its own continuation count.
    Start {
        kind: u8,
        count: u8,
        seq: u8,
        msg_id: u8,
        body: u8,
    },
    /// A continuation.
    Continuation {
        count: u8,
        seq: u8,
        msg_id: u8,
        body: u8,
    },
    /// A whole message, cut for a queue of `max` bytes.
    Message {
        kind: u8,
        seq: u8,
        msg_id: u8,
        len: u16,
        max: u16,
        error_word: Option<u8>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u16,
    ops: Vec<Op>,
    /// The client's request: msg_id `1 + call_id % 4`, payload length, TX queue size.
    call_id: u8,
    call_len: u16,
    tx_max: u16,
    /// Which sends find the TX queue full.
    full: Vec<bool>,
}

fn small_seq(s: u8) -> u16 {
    u16::from(s % 3)
}

fn small_id(i: u8) -> u32 {
    u32::from(i % 4)
}

/// The frames the ops make.
fn frames(ops: &[Op]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for op in ops {
        match *op {
            Op::Raw(ref bytes) => out.push(bytes.clone()),
            Op::Start {
                kind,
                count,
                seq,
                msg_id,
                body,
            } => {
                let kind = MsgType::from_bits(kind % 3 + 1);
                let h = Header::new(kind, count % 64, small_seq(seq), small_id(msg_id));
                let mut f = h.encode().to_vec();
                f.extend(std::iter::repeat_n(body, usize::from(body)));
                out.push(f);
            }
            Op::Continuation {
                count,
                seq,
                msg_id,
                body,
            } => {
                let h = Header::new(
                    MsgType::Continuation,
                    count % 64,
                    small_seq(seq),
                    small_id(msg_id),
                );
                let mut f = h.encode().to_vec();
                f.extend(std::iter::repeat_n(body, usize::from(body)));
                out.push(f);
            }
            Op::Message {
                kind,
                seq,
                msg_id,
                len,
                max,
                error_word,
            } => {
                let kind = MsgType::from_bits(kind % 3 + 1);
                let max = usize::from(max % 1100);
                let mut payload: Vec<u8> = error_word
                    .map(|w| u32::from(w % 3).to_le_bytes().to_vec())
                    .unwrap_or_default();
                payload.extend((0..usize::from(len % 15_000)).map(|i| i as u8));
                let Ok(fragmenter) =
                    Fragmenter::new(kind, small_seq(seq), small_id(msg_id), &payload, max)
                else {
                    continue;
                };
                let n = fragmenter.len();
                let mut joined = Vec::new();
                for (i, fragment) in fragmenter.enumerate() {
                    let frame = fragment.frame();
                    assert!(frame.as_bytes().len() <= max.min(240));
                    assert_eq!(fragment.flags() == SendFlags::PUSH, i == n - 1);
                    joined.extend_from_slice(fragment.body());
                    out.push(frame.as_bytes().to_vec());
                }
                assert_eq!(joined, payload);
            }
        }
    }
    out
}

/// What the model expects of one frame.
#[derive(Debug, PartialEq)]
enum Expect {
    Complete(Header, Vec<u8>),
    Partial,
    Wire,
    Orphan(Header),
    TooLarge(Header),
}

/// The reassembly rules, written again.
struct Model {
    capacity: usize,
    partial: Option<(Header, u8, Vec<u8>)>,
}

impl Model {
    fn push(&mut self, frame: &[u8]) -> (Option<Header>, Expect) {
        if frame.len() < 8 || frame[0] != 0x21 || frame[1] >> 2 > 62 || frame.len() > 240 {
            return (None, Expect::Wire);
        }
        let h = Header::new(
            MsgType::from_bits(frame[1]),
            frame[1] >> 2,
            u16::from_le_bytes([frame[2], frame[3]]),
            u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]),
        );
        let body = &frame[8..];
        if h.kind != MsgType::Continuation {
            let aborted = self.partial.take().map(|p| p.0);
            if body.len() > self.capacity {
                return (aborted, Expect::TooLarge(h));
            }
            if h.continuations == 0 {
                return (aborted, Expect::Complete(h, body.to_vec()));
            }
            self.partial = Some((h, 0, body.to_vec()));
            return (aborted, Expect::Partial);
        }
        let Some((first, received, mut data)) = self.partial.take() else {
            return (None, Expect::Orphan(h));
        };
        if first.msg_id != h.msg_id || first.seq != h.seq || first.continuations != h.continuations
        {
            return (Some(first), Expect::Orphan(h));
        }
        data.extend_from_slice(body);
        if data.len() > self.capacity {
            return (None, Expect::TooLarge(first));
        }
        if received + 1 == first.continuations {
            return (None, Expect::Complete(first, data));
        }
        self.partial = Some((first, received + 1, data));
        (None, Expect::Partial)
    }
}

/// The link: delivers the frames in order, full when the input says.
struct Link {
    rx: RefCell<VecDeque<Vec<u8>>>,
    taken: Cell<usize>,
    full: RefCell<VecDeque<bool>>,
    sent: RefCell<Vec<Vec<u8>>>,
}

impl ErrorType for Link {
    type Error = ErrorKind;
}

impl Mailbox for Link {
    fn try_send(&self, msg: &[u8], _: SendFlags) -> Result<SendOutcome, ErrorKind> {
        if self.full.borrow_mut().pop_front() == Some(true) {
            return Ok(SendOutcome::WouldBlock);
        }
        self.sent.borrow_mut().push(msg.to_vec());
        Ok(SendOutcome::Sent { not_full: true })
    }

    fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, ErrorKind> {
        let Some(frame) = self.rx.borrow_mut().pop_front() else {
            return Ok(RecvOutcome::Empty);
        };
        self.taken.set(self.taken.get() + 1);
        // A real queue holds at most its maximum: longer frames are cut, empty ones skipped.
        let len = frame.len().min(buf.len());
        if len == 0 {
            return Ok(RecvOutcome::Empty);
        }
        buf[..len].copy_from_slice(&frame[..len]);
        Ok(RecvOutcome::Received { len, more: false })
    }
}

#[derive(Default)]
struct Clock(u64);

impl DelayNs for Clock {
    fn delay_ns(&mut self, ns: u32) {
        self.0 += u64::from(ns);
    }
}

fuzz_target!(|input: Input| {
    let frames = frames(&input.ops);

    // The reassembler against the model.
    let capacity = usize::from(input.capacity % 16_000);
    let mut buf = vec![0u8; capacity];
    let mut rx = Reassembler::new(&mut buf[..]);
    let mut model = Model {
        capacity,
        partial: None,
    };
    for frame in &frames {
        let (aborted, expect) = model.push(frame);
        let pushed = rx.push(frame);
        assert_eq!(pushed.aborted, aborted);
        let got = match pushed.result {
            Ok(Progress::Complete(msg)) => Expect::Complete(msg.header, msg.payload.to_vec()),
            Ok(Progress::Partial) => Expect::Partial,
            Err(ReassembleError::Wire(_)) => Expect::Wire,
            Err(ReassembleError::Orphan { header }) => Expect::Orphan(header),
            Err(ReassembleError::TooLarge {
                header,
                capacity: c,
            }) => {
                assert_eq!(c, capacity);
                Expect::TooLarge(header)
            }
        };
        assert_eq!(got, expect);
        assert_eq!(rx.partial(), model.partial.as_ref().map(|p| p.0));
    }

    // The client on a link that delivers the same frames.
    let link = Link {
        rx: RefCell::new(frames.iter().cloned().collect()),
        taken: Cell::new(0),
        full: RefCell::new(input.full.iter().copied().collect()),
        sent: RefCell::new(Vec::new()),
    };
    let tx_max = usize::from(input.tx_max % 1100);
    let config = ClientConfig::new()
        .with_timeout_us(50)
        .with_poll_us(10)
        .with_tx_max_msg_size(tx_max);
    let mut client: Client<_, _, _, BUF> = Client::new(&link, Clock::default(), config, |_| {});
    let msg_id = 1 + u32::from(input.call_id % 4);
    let payload = vec![0xC5; usize::from(input.call_len % 15_000)];
    let result = client.call(msg_id, &payload).map(<[u8]>::to_vec);
    assert!(client.delay().0 <= 50_000);
    assert!(
        link.sent
            .borrow()
            .iter()
            .all(|f| f.len() <= tx_max.min(240))
    );

    // Replay what the client received: the first complete reply to seq 0, msg_id.
    let mut replay = Reassembler::new([0u8; BUF]);
    let mut first_reply = None;
    let mut ended_otherwise = false;
    for frame in frames.iter().take(link.taken.get()) {
        let frame = &frame[..frame.len().min(gunyah_msgq::MAX_MSG_SIZE)];
        if frame.is_empty() {
            continue;
        }
        let pushed = replay.push(frame);
        let ours = |h: Header| h.kind == MsgType::Reply && h.seq == 0 && h.msg_id == msg_id;
        if pushed.aborted.is_some_and(ours) {
            ended_otherwise = true;
        }
        match pushed.result {
            Ok(Progress::Complete(msg)) if ours(msg.header) => {
                first_reply = Some(msg.payload.to_vec());
                break;
            }
            Err(ReassembleError::TooLarge { header, .. }) if ours(header) => {
                ended_otherwise = true;
            }
            _ => {}
        }
        if ended_otherwise {
            break;
        }
    }
    match result {
        Ok(reply) => {
            let full = first_reply.expect("Ok without a reply");
            assert_eq!(full[..4], [0, 0, 0, 0]);
            assert_eq!(full[4..], reply[..]);
        }
        Err(RpcError::Rm(e)) => {
            let full = first_reply.expect("Rm without a reply");
            assert_eq!(
                RmError::from_word(u32::from_le_bytes(full[..4].try_into().unwrap())),
                Some(e)
            );
        }
        Err(RpcError::Timeout) => assert!(first_reply.is_none() && !ended_otherwise),
        Err(_) => {}
    }

    // What is left goes to poll, a bounded number at a time.
    let before = link.taken.get();
    let polled = client.poll();
    assert!(link.taken.get() - before <= gunyah_rm_rpc::client::POLL_LIMIT);
    assert!(polled.is_ok());
});
