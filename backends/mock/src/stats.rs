//! Per-VM hypercall counters.

use gunyah_msgq::GunyahError;
use gunyah_msgq::abi::error_code;

use crate::model::Dispatch;

/// The hypercalls one VM made, by outcome. An OK of the quirk mode (nothing queued, or a
/// size-0 receive) counts as OK: it is what the guest saw; the queue's
/// [`QueueStats`](crate::model::QueueStats) say what really happened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CallStats {
    /// `msgq_send` calls.
    pub sends: u64,
    /// ... answered OK.
    pub sends_ok: u64,
    /// ... answered FULL.
    pub sends_full: u64,
    /// ... answered with another error.
    pub sends_failed: u64,
    /// `msgq_receive` calls.
    pub receives: u64,
    /// ... answered OK.
    pub receives_ok: u64,
    /// ... answered EMPTY.
    pub receives_empty: u64,
    /// ... answered with another error.
    pub receives_failed: u64,
    /// `msgq_flush` calls.
    pub flushes: u64,
    /// `msgq_configure_send` and `msgq_configure_receive` calls.
    pub configures: u64,
}

/// Which hypercall a dispatch was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    Send,
    Receive,
    Flush,
    Configure,
}

const FULL: i32 = GunyahError::MsgqueueFull.code();
const EMPTY: i32 = GunyahError::MsgqueueEmpty.code();

impl CallStats {
    pub(crate) fn record(&mut self, call: Call, d: &Dispatch) {
        let code = error_code(d.raw.x0);
        match call {
            Call::Send => {
                self.sends += 1;
                match code {
                    0 => self.sends_ok += 1,
                    FULL => self.sends_full += 1,
                    _ => self.sends_failed += 1,
                }
            }
            Call::Receive => {
                self.receives += 1;
                match code {
                    0 => self.receives_ok += 1,
                    EMPTY => self.receives_empty += 1,
                    _ => self.receives_failed += 1,
                }
            }
            Call::Flush => self.flushes += 1,
            Call::Configure => self.configures += 1,
        }
    }
}
