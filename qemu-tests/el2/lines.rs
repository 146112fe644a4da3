//! The guest's two vIRQ lines: the model's TX/RX signals, latched while the guest has the
//! INTID disabled and delivered through the list registers once it is enabled.
//!
//! - Edge line: each `Assert` latches one edge; the latch is delivered (and cleared) at the
//!   first trap where the guest has the INTID enabled, so an edge raised while masked arrives
//!   on enable. Edges merge while one is pending, as on a GIC. `Clear` withdraws an
//!   undelivered edge. An injected edge the guest disables before taking it goes back to the
//!   latch.
//! - Level line: pending whenever the queue's condition holds (and the line is enabled); the
//!   model re-checks at every trap and re-injects after the guest's EOI while it still holds.
//!   It drops a pending, unacknowledged injection when the condition goes away.

use gunyah_msgq_mock::model::{LineKind, LineSignal, QueueId};

use crate::gicd::Gicd;
use crate::vgic::Vgic;

/// One line of the guest.
#[derive(Clone, Copy, Debug)]
pub struct Line {
    /// Its INTID; `None` when the endpoint lacks this side.
    pub intid: Option<u32>,
    /// The queue and signal it follows.
    pub source: (QueueId, LineKind),
    /// Level-triggered (else edge).
    pub level: bool,
    /// An edge (or a spurious injection) waiting for the guest to enable the line.
    pub latched: bool,
    /// Edges the model raised (before masking or merging).
    pub edges: u64,
    /// Times the INTID went into a list register.
    pub injected: u64,
}

impl Line {
    /// A quiet line.
    pub const fn new(intid: Option<u32>, source: (QueueId, LineKind), level: bool) -> Line {
        Line {
            intid,
            source,
            level,
            latched: false,
            edges: 0,
            injected: 0,
        }
    }

    /// Applies one signal of the line's queue.
    pub fn signal(&mut self, signal: LineSignal, vgic: &mut Vgic) {
        match signal {
            LineSignal::Idle => {}
            LineSignal::Assert => {
                self.edges += 1;
                if !self.level {
                    self.latched = true;
                }
            }
            LineSignal::Clear => {
                self.latched = false;
                if let Some(id) = self.intid {
                    let _ = vgic.withdraw(id);
                }
            }
        }
    }

    /// Delivers what is due: called at the end of every trap with the queue's current level.
    pub fn sync(&mut self, condition: bool, vgic: &mut Vgic, gicd: &Gicd) {
        let Some(id) = self.intid else { return };
        if self.level && !condition {
            let _ = vgic.withdraw(id);
        }
        if !gicd.enabled(id) {
            // Disabled after it was injected but before the guest took it: the pending state
            // goes back to the model, as a distributor keeps it for a disabled INTID.
            if vgic.withdraw(id) && !self.level {
                self.latched = true;
            }
            return;
        }
        let level_due = self.level && condition && !vgic.live(id);
        if self.latched || level_due {
            vgic.raise(id);
            self.latched = false;
            self.injected += 1;
        }
    }
}
