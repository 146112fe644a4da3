//! The RM on its own thread, woken by its vIRQs.

use std::fmt;
use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};

use gunyah_msgq::IrqLine;

use super::server::SimulatedRm;
use crate::delivery::lock;

/// Wake-ups for the RM thread.
#[derive(Default)]
struct Wake {
    /// `(work pending, stop)`.
    flags: Mutex<(bool, bool)>,
    changed: Condvar,
}

impl Wake {
    fn kick(&self) {
        lock(&self.flags).0 = true;
        self.changed.notify_all();
    }

    fn stop(&self) {
        lock(&self.flags).1 = true;
        self.changed.notify_all();
    }

    /// Waits for work; `false` once stopped.
    fn wait(&self) -> bool {
        let mut flags = lock(&self.flags);
        while !flags.0 && !flags.1 {
            flags = self
                .changed
                .wait(flags)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        flags.0 = false;
        !flags.1
    }
}

/// A [`SimulatedRm`] running on its own thread (see [`SimulatedRm::spawn`]). Dropping it
/// stops the thread, as [`stop`](Self::stop) does.
pub struct RmThread {
    rm: SimulatedRm,
    wake: Arc<Wake>,
    handle: Option<JoinHandle<()>>,
}

impl SimulatedRm {
    /// Runs the RM on a thread of its own: the RM's RX vIRQ (a request arrived) and TX vIRQ
    /// (room appeared in the guest's RX queue) wake it, and it then runs
    /// [`serve_pending`](Self::serve_pending). Both lines get handlers and are unmasked; what
    /// was queued before is served at once. Works with inline and threaded delivery (the
    /// handlers only wake the thread).
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn spawn(&self) -> io::Result<RmThread> {
        let wake = Arc::new(Wake::default());
        wake.kick();
        let handle = {
            let (rm, wake) = (self.clone(), Arc::clone(&wake));
            thread::Builder::new()
                .name("simulated-rm".into())
                .spawn(move || {
                    while wake.wait() {
                        rm.serve_pending();
                    }
                })?
        };
        for line in [self.endpoint().rx_irq(), self.endpoint().tx_irq()] {
            let weak = Arc::downgrade(&wake);
            line.set_handler(move || {
                if let Some(wake) = weak.upgrade() {
                    wake.kick();
                }
            });
            line.enable();
        }
        Ok(RmThread {
            rm: self.clone(),
            wake,
            handle: Some(handle),
        })
    }
}

impl RmThread {
    /// The RM it runs.
    #[must_use]
    pub fn rm(&self) -> &SimulatedRm {
        &self.rm
    }

    /// Stops the thread: masks the RM's lines, removes their handlers and joins it. Returns
    /// whether it ended cleanly (`false`: it panicked, in an injection's predicate say).
    pub fn stop(mut self) -> bool {
        self.halt()
    }

    fn halt(&mut self) -> bool {
        for line in [self.rm.endpoint().rx_irq(), self.rm.endpoint().tx_irq()] {
            line.disable();
            line.clear_handler();
        }
        self.wake.stop();
        self.handle
            .take()
            .is_none_or(|handle| handle.join().is_ok())
    }
}

impl Drop for RmThread {
    fn drop(&mut self) {
        let _ = self.halt();
    }
}

impl fmt::Debug for RmThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RmThread")
            .field("rm", &self.rm)
            .field("running", &self.handle.is_some())
            .finish()
    }
}
