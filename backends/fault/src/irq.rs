//! Interrupt faults, applied where the platform's handler calls the core's entry point.
//!
//! The core owns no interrupt handler: the platform's handler (or a simulator's delivery
//! thread) calls `MsgQueue::on_tx_interrupt` / `on_rx_interrupt`. So the faults sit exactly
//! there: the platform passes the call to the core's entry point as a closure to
//! [`IrqFaults::deliver`] instead of making it directly, and the line's script decides whether
//! the closure runs never, once, twice, or later.

use crate::stats::{IrqCounters, IrqStats};
use crate::table::{ScriptError, ScriptId, Table};
use crate::when::{Rule, When};

/// What happens to one edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IrqFault {
    /// The edge is lost: the handler is not run. An edge-triggered line never repeats it, so
    /// the client must recover by itself (`poll_rx`, a blocking send's slice retry).
    Drop,
    /// The handler runs twice for one edge (the second run finds nothing new to do).
    Duplicate,
    /// The edge is held until [`IrqFaults::release_delayed`] lets it go, so that a test
    /// decides exactly when a late interrupt lands.
    Delay,
}

/// How [`IrqFaults::deliver`] handled one edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// No fault: the handler ran once.
    Delivered,
    /// [`IrqFault::Drop`]: the handler did not run.
    Dropped,
    /// [`IrqFault::Duplicate`]: the handler ran twice.
    Duplicated,
    /// [`IrqFault::Delay`]: the handler did not run yet; the edge is held.
    Delayed,
}

/// A fault script for one interrupt line: install one `IrqFaults` per line.
///
/// Each script counts the edges offered to [`deliver`](Self::deliver) (1-based) and fires by
/// its [`When`]. The faults are exclusive: on each edge the first script in slot order that
/// fires decides; a later one that fires too is shadowed (its edge is counted, its fault is not
/// applied).
///
/// The handler always runs outside any critical section, so it may take the core's locks and
/// make hypercalls.
///
/// ```
/// # use core::cell::Cell;
/// use gunyah_msgq_fault::{Delivery, IrqFault, IrqFaults, When};
///
/// let rx_faults = IrqFaults::new();
/// rx_faults.add(When::Call(2), IrqFault::Drop, None).unwrap();
/// let runs = Cell::new(0);
/// // In the platform's (or simulator's) RX handler, instead of calling the core directly:
/// let handler = || runs.set(runs.get() + 1); // e.g. `let _ = QUEUE.on_rx_interrupt(on_msg);`
/// assert_eq!(rx_faults.deliver(handler), Delivery::Delivered);
/// assert_eq!(rx_faults.deliver(handler), Delivery::Dropped);
/// assert_eq!(runs.get(), 1);
/// assert_eq!(rx_faults.stats().dropped, 1);
/// ```
pub struct IrqFaults<const N: usize = DEFAULT_IRQ_SLOTS> {
    scripts: Table<IrqFault, N>,
    /// Edges held by [`IrqFault::Delay`], not yet released.
    held: crate::stats::Counter,
    counters: IrqCounters,
}

/// The script slots an [`IrqFaults::new`] line has.
pub const DEFAULT_IRQ_SLOTS: usize = 4;

impl IrqFaults<DEFAULT_IRQ_SLOTS> {
    /// A line with [`DEFAULT_IRQ_SLOTS`] script slots and no script: every edge is delivered.
    pub const fn new() -> Self {
        Self::with_slots()
    }
}

impl Default for IrqFaults<DEFAULT_IRQ_SLOTS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> IrqFaults<N> {
    /// A line with `N` script slots.
    pub const fn with_slots() -> Self {
        IrqFaults {
            scripts: Table::new(),
            held: crate::stats::Counter::new(),
            counters: IrqCounters::new(),
        }
    }

    /// Installs a script: `fault` on the edges `when` picks, at most `limit` times.
    ///
    /// # Errors
    /// [`ScriptError::Full`] if all `N` slots are taken.
    pub fn add(
        &self,
        when: When,
        fault: IrqFault,
        limit: Option<u32>,
    ) -> Result<ScriptId, ScriptError> {
        self.scripts.add(Rule::new(when, limit), fault)
    }

    /// Removes a script; `false` if `id` names none.
    pub fn remove(&self, id: ScriptId) -> bool {
        self.scripts.remove(id)
    }

    /// Removes every script. Held edges stay held until released.
    pub fn clear(&self) {
        self.scripts.clear();
    }

    /// How many times the script's fault was applied; `None` if `id` names no script.
    pub fn fired(&self, id: ScriptId) -> Option<u32> {
        self.scripts.fired(id)
    }

    /// Offers one edge: runs `handler` as the script says (once, never, twice, or later).
    pub fn deliver(&self, mut handler: impl FnMut()) -> Delivery {
        self.counters.edges.bump();
        match self.decide() {
            None => {
                self.run(&mut handler);
                Delivery::Delivered
            }
            Some(IrqFault::Drop) => {
                self.counters.dropped.bump();
                Delivery::Dropped
            }
            Some(IrqFault::Duplicate) => {
                self.counters.duplicated.bump();
                self.run(&mut handler);
                self.run(&mut handler);
                Delivery::Duplicated
            }
            Some(IrqFault::Delay) => {
                self.counters.delayed.bump();
                self.held.bump();
                Delivery::Delayed
            }
        }
    }

    /// Runs `handler` once with no edge behind it: a spurious interrupt.
    pub fn spurious(&self, mut handler: impl FnMut()) {
        self.counters.spurious.bump();
        self.run(&mut handler);
    }

    /// Lets every held edge go: runs `handler` once if at least one edge was held (pending
    /// edges of one line merge into one delivery, as in the interrupt controller) and returns
    /// how many were held.
    pub fn release_delayed(&self, mut handler: impl FnMut()) -> u32 {
        let held = self.take_held();
        if held > 0 {
            self.counters.released.add(held);
            self.run(&mut handler);
        }
        held
    }

    /// Edges held by a delay and not yet released.
    pub fn held(&self) -> u32 {
        self.held.get()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> IrqStats {
        self.counters.snapshot()
    }

    /// Sets every counter to 0. Held edges stay held.
    pub fn reset_stats(&self) {
        self.counters.reset();
    }

    fn run(&self, handler: &mut impl FnMut()) {
        self.counters.runs.bump();
        handler();
    }

    /// Takes the held edges in one atomic step, so two releases racing never run for the same
    /// edge and an edge held meanwhile is never lost.
    fn take_held(&self) -> u32 {
        self.held.take()
    }

    /// Counts the edge in every script; the first that fires decides.
    fn decide(&self) -> Option<IrqFault> {
        if self.scripts.is_idle() {
            return None;
        }
        self.scripts.with_slots(|slots| {
            let mut decided = None;
            for entry in slots.iter_mut().flatten() {
                if entry.rule.step() && decided.is_none() {
                    entry.rule.record();
                    decided = Some(entry.action);
                }
            }
            decided
        })
    }
}

impl<const N: usize> core::fmt::Debug for IrqFaults<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IrqFaults")
            .field("held", &self.held())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
