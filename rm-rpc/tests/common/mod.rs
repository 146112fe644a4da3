//! The resource manager, played by hand: a scripted [`Mailbox`] and a clock that counts.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use embedded_hal::delay::DelayNs;
use gunyah_msgq::{ErrorKind, ErrorType, Mailbox, RecvOutcome, SendFlags, SendOutcome};
use gunyah_rm_rpc::wire::{Header, MsgType};
use gunyah_rm_rpc::{Client, ClientConfig, Fragmenter, Notification};

/// What the scripted TX queue answers to one send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendStep {
    /// Accepted.
    Sent,
    /// Full: not sent.
    WouldBlock,
    /// A mailbox error: not sent.
    Fail(ErrorKind),
}

/// What the scripted RX queue answers to one receive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecvStep {
    /// A frame.
    Frame(Vec<u8>),
    /// One "empty" answer, then the script goes on.
    Empty,
    /// A mailbox error.
    Fail(ErrorKind),
}

type Responder = Box<dyn FnMut(&[u8], SendFlags) -> Vec<Vec<u8>>>;

/// The scripted link.
#[derive(Default)]
pub struct ScriptedRm {
    /// Answers to sends, in order; `Sent` once it runs out.
    pub send_script: RefCell<VecDeque<SendStep>>,
    /// Frames (and empty answers) to receive, in order; `Empty` once it runs out.
    pub rx: RefCell<VecDeque<RecvStep>>,
    /// Every frame the client offered, with its flags, and whether it was accepted.
    pub offered: RefCell<Vec<(Vec<u8>, SendFlags, SendStep)>>,
    /// Makes the RM's answer to each accepted frame (queued on the RX side).
    pub responder: RefCell<Option<Responder>>,
    /// Receives made.
    pub receives: Cell<usize>,
}

impl ScriptedRm {
    pub fn new() -> ScriptedRm {
        ScriptedRm::default()
    }

    /// An RM that answers every accepted frame with `respond(frame, flags)`.
    pub fn answering(
        respond: impl FnMut(&[u8], SendFlags) -> Vec<Vec<u8>> + 'static,
    ) -> ScriptedRm {
        let rm = ScriptedRm::default();
        *rm.responder.borrow_mut() = Some(Box::new(respond));
        rm
    }

    pub fn queue_rx(&self, frames: impl IntoIterator<Item = Vec<u8>>) {
        self.rx
            .borrow_mut()
            .extend(frames.into_iter().map(RecvStep::Frame));
    }

    pub fn queue_rx_step(&self, step: RecvStep) {
        self.rx.borrow_mut().push_back(step);
    }

    pub fn script_sends(&self, steps: impl IntoIterator<Item = SendStep>) {
        self.send_script.borrow_mut().extend(steps);
    }

    /// The frames accepted, in order.
    pub fn sent(&self) -> Vec<Vec<u8>> {
        self.offered
            .borrow()
            .iter()
            .filter(|(_, _, step)| *step == SendStep::Sent)
            .map(|(frame, _, _)| frame.clone())
            .collect()
    }

    /// The flags of the frames accepted, in order.
    pub fn sent_flags(&self) -> Vec<SendFlags> {
        self.offered
            .borrow()
            .iter()
            .filter(|(_, _, step)| *step == SendStep::Sent)
            .map(|(_, flags, _)| *flags)
            .collect()
    }
}

impl ErrorType for ScriptedRm {
    type Error = ErrorKind;
}

impl Mailbox for ScriptedRm {
    fn try_send(&self, msg: &[u8], flags: SendFlags) -> Result<SendOutcome, ErrorKind> {
        assert!(!msg.is_empty(), "an empty message reached the mailbox");
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
                Ok(SendOutcome::Sent { not_full: true })
            }
            SendStep::WouldBlock => Ok(SendOutcome::WouldBlock),
            SendStep::Fail(kind) => Err(kind),
        }
    }

    fn try_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, ErrorKind> {
        assert!(
            buf.len() >= 240,
            "receive buffer below the link's 240 bytes"
        );
        self.receives.set(self.receives.get() + 1);
        match self.rx.borrow_mut().pop_front() {
            Some(RecvStep::Frame(frame)) => {
                buf[..frame.len()].copy_from_slice(&frame);
                Ok(RecvOutcome::Received {
                    len: frame.len(),
                    more: false,
                })
            }
            Some(RecvStep::Fail(kind)) => Err(kind),
            Some(RecvStep::Empty) | None => Ok(RecvOutcome::Empty),
        }
    }
}

/// A clock that only adds up what it was asked to wait.
#[derive(Debug, Default)]
pub struct Clock {
    pub waited_ns: u64,
    pub calls: usize,
}

impl DelayNs for Clock {
    fn delay_ns(&mut self, ns: u32) {
        self.waited_ns += u64::from(ns);
        self.calls += 1;
    }
}

/// Notifications seen by a test client's handler.
pub type Seen = std::rc::Rc<RefCell<Vec<(u32, Vec<u8>)>>>;

/// The client the tests drive: 1024-byte reply buffer, 1 ms timeout in 10 µs steps.
pub type TestClient<'a> = Client<&'a ScriptedRm, Clock, Box<dyn FnMut(Notification<'_>)>, 1024>;

pub fn config() -> ClientConfig {
    ClientConfig::new().with_timeout_us(1000).with_poll_us(10)
}

pub fn client(rm: &ScriptedRm) -> (TestClient<'_>, Seen) {
    client_with(rm, config())
}

pub fn client_with(rm: &ScriptedRm, config: ClientConfig) -> (TestClient<'_>, Seen) {
    let seen = Seen::default();
    let log = seen.clone();
    let handler: Box<dyn FnMut(Notification<'_>)> =
        Box::new(move |n: Notification<'_>| log.borrow_mut().push((n.msg_id, n.payload.to_vec())));
    (Client::new(rm, Clock::default(), config, handler), seen)
}

/// The frames of a message, through the crate's own fragmenter (240-byte link).
pub fn frames(kind: MsgType, seq: u16, msg_id: u32, payload: &[u8]) -> Vec<Vec<u8>> {
    Fragmenter::new(kind, seq, msg_id, payload, 240)
        .unwrap()
        .map(|f| f.frame().as_bytes().to_vec())
        .collect()
}

/// A reply's frames: the RM error word, then `payload`.
pub fn reply(seq: u16, msg_id: u32, error: u32, payload: &[u8]) -> Vec<Vec<u8>> {
    let mut body = error.to_le_bytes().to_vec();
    body.extend_from_slice(payload);
    frames(MsgType::Reply, seq, msg_id, &body)
}

/// One notification frame.
pub fn notification(msg_id: u32, payload: &[u8]) -> Vec<u8> {
    let mut frame = Header::new(MsgType::Notification, 0, 0, msg_id)
        .encode()
        .to_vec();
    frame.extend_from_slice(payload);
    frame
}

/// The header of a frame the client sent.
pub fn header(frame: &[u8]) -> Header {
    Header::decode(frame).unwrap().0
}

/// An RM that answers each request's last frame (the one with PUSH) with an OK reply
/// carrying `payload`.
pub fn echo_rm(payload: Vec<u8>) -> ScriptedRm {
    ScriptedRm::answering(move |frame, flags| {
        if !flags.push() {
            return Vec::new();
        }
        let h = header(frame);
        reply(h.seq, h.msg_id, 0, &payload)
    })
}
