//! Deliberately lossy actions: **test controls only**.
//!
//! A loss checker that never reports a loss proves nothing until it has been shown to catch
//! one. These actions break the one rule every other action keeps (an accepted message is
//! delivered exactly once), so that a control run can check that the checker says
//! `lost >= 1` (or `duplicated >= 1`). Never use them to test a client's correctness: a
//! correct client cannot survive them, by design.

use gunyah_msgq::GunyahError;

/// A fault that loses or doubles messages behind the client's back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lossy {
    /// An accepted message vanishes.
    /// - `msgq_send`: answers OK (`not_full`) **without making the inner call**: the client
    ///   logs the message as accepted, and nobody ever receives it.
    /// - `msgq_receive`: makes the inner call, which takes the head message off the queue,
    ///   and answers EMPTY: the message is consumed and never delivered.
    Drop,
    /// The inner call is made and succeeds, but the reply is replaced by this error.
    /// - `msgq_send`: the message is queued yet reported failed; a client that retries it
    ///   delivers it twice ("accepted but reported failed").
    /// - `msgq_receive`: the head message is consumed and the client sees only the error.
    AcceptedButFailed(GunyahError),
}
