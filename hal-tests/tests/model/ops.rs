//! What a case does: the operations, and the proptest strategy that draws them.

use gunyah_msgq::GunyahError;
use gunyah_msgq_hal_tests::Line;
use gunyah_msgq_hal_tests::cases::faults::every_code;
use proptest::prelude::*;

use crate::common::MAX;

/// The hypervisor's maximum message size of the queue the peer sends into, above our `MAX`:
/// a peer message longer than `MAX` is one our buffer cannot hold (the head gets stuck).
pub const PEER_MAX: usize = MAX + 16;

/// Which of our hypercalls a fault is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Send,
    Receive,
    Flush,
}

/// What an injected fault makes the next call of its kind answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// This error instead of the call (the call is not made).
    Fail(GunyahError),
    /// Receive: OK with a size `excess` past the buffer; the call is not made.
    Oversized { excess: u64 },
    /// Receive: OK, size 0, not empty (the quirk's answer for a head that does not fit); the
    /// call is not made.
    Stuck,
    /// Send: the call is made and its `not_full` inverted.
    LieNotFull,
    /// Receive: the call is made and its `not_empty` inverted.
    LieNotEmpty,
    /// Junk in every register bit a decoder must ignore.
    Junk,
}

/// What happens to the next delivery of an interrupt line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeFault {
    Drop,
    Duplicate,
}

/// One step of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `try_send` of a message of `len` bytes (0 and `MAX + 1` included).
    Send { len: usize, push: bool },
    /// The peer sends `len` bytes into the queue we receive from (up to [`PEER_MAX`]).
    PeerSend { len: usize, push: bool },
    /// The peer receives one message from the queue we send into.
    PeerRecv,
    /// `poll_rx`.
    Poll,
    /// `try_recv` into a `MAX`-byte buffer.
    TryRecv,
    /// `flush_rx`.
    Flush,
    /// `start`.
    Start,
    /// `shutdown`.
    Shutdown,
    /// The line's handler runs with no edge behind it.
    Spurious(Line),
    /// The next delivery of the line is dropped or duplicated.
    Edge(Line, EdgeFault),
    /// The next call of this kind answers the fault.
    Inject(Call, Fault),
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![Just(Line::Tx), Just(Line::Rx)]
}

fn code() -> impl Strategy<Value = GunyahError> {
    let codes: Vec<GunyahError> = every_code().collect();
    proptest::sample::select(codes)
}

fn fault() -> impl Strategy<Value = (Call, Fault)> {
    let call = prop_oneof![Just(Call::Send), Just(Call::Receive), Just(Call::Flush)];
    prop_oneof![
        4 => (call.clone(), code()).prop_map(|(c, e)| (c, Fault::Fail(e))),
        // FULL and EMPTY are outcomes, not errors: inject them more often than one in 40.
        1 => Just((Call::Send, Fault::Fail(GunyahError::MsgqueueFull))),
        1 => Just((Call::Receive, Fault::Fail(GunyahError::MsgqueueEmpty))),
        1 => (1u64..=2048).prop_map(|excess| (Call::Receive, Fault::Oversized { excess })),
        1 => Just((Call::Receive, Fault::Stuck)),
        1 => Just((Call::Send, Fault::LieNotFull)),
        1 => Just((Call::Receive, Fault::LieNotEmpty)),
        1 => call.prop_map(|c| (c, Fault::Junk)),
    ]
}

/// A message length: mostly valid, with the boundaries (`0`, `1`, `max`, `max + 1`) drawn
/// often enough to matter.
fn length(max: usize, over: usize) -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => 1..=max,
        1 => Just(1),
        1 => Just(max),
        1 => Just(over),
        1 => Just(0),
    ]
}

/// One operation. `oversized_peer` lets the peer send messages our buffer cannot hold.
pub fn op(oversized_peer: bool) -> impl Strategy<Value = Op> {
    let peer_over = if oversized_peer { PEER_MAX } else { MAX };
    prop_oneof![
        12 => (length(MAX, MAX + 1), any::<bool>()).prop_map(|(len, push)| Op::Send { len, push }),
        // The peer's own bad sizes are not under test: 1..=its maximum.
        12 => (prop_oneof![9 => 1..=MAX, 1 => MAX..=peer_over], any::<bool>())
            .prop_map(|(len, push)| Op::PeerSend { len, push }),
        10 => Just(Op::PeerRecv),
        3 => Just(Op::Poll),
        2 => Just(Op::TryRecv),
        1 => Just(Op::Flush),
        3 => Just(Op::Start),
        1 => Just(Op::Shutdown),
        2 => line().prop_map(Op::Spurious),
        2 => (line(), prop_oneof![Just(EdgeFault::Drop), Just(EdgeFault::Duplicate)])
            .prop_map(|(l, f)| Op::Edge(l, f)),
        4 => fault().prop_map(|(c, f)| Op::Inject(c, f)),
    ]
}

/// A case: the queues' depth and up to `max_ops` operations. Most cases start the queue
/// first (a queue used before `start` is a case of its own, drawn less often).
pub fn case(oversized_peer: bool, max_ops: usize) -> impl Strategy<Value = (u8, Vec<Op>)> {
    (
        1u8..=4,
        any::<bool>(),
        proptest::collection::vec(op(oversized_peer), 1..=max_ops),
    )
        .prop_map(|(depth, started_late, mut ops)| {
            if !started_late {
                ops.insert(0, Op::Start);
            }
            (depth, ops)
        })
}
