//! `StdDelay`: the host's `DelayNs`, for `MsgQueue::send_blocking` in tests and examples.

use std::thread;
use std::time::Duration;

use embedded_hal::delay::DelayNs;

/// Waits by sleeping the current thread. Sleeps last at least as long as asked (usually a
/// few tens of microseconds more), which is what a blocking send's timeout needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StdDelay;

impl DelayNs for StdDelay {
    fn delay_ns(&mut self, ns: u32) {
        thread::sleep(Duration::from_nanos(u64::from(ns)));
    }
}
