//! A fixed set of script slots shared through `&self`, with no allocation.
//!
//! The slots live in a `critical_section::Mutex<RefCell<_>>`: the wrappers are used through
//! `&self` from tasks and interrupt handlers at once. The critical section covers only the
//! bookkeeping (counting a call, deciding what to inject); the wrapped hypercall and interrupt
//! handlers always run outside it, so a handler fired from inside a hypercall can re-enter.

use core::cell::RefCell;
use core::sync::atomic::{AtomicUsize, Ordering};

use critical_section::Mutex;

use crate::when::Rule;

/// Names a script added to a wrapper, for [`fired`](crate::FaultHypercall::fired) and
/// [`remove`](crate::FaultHypercall::remove).
///
/// An id stays tied to its script: once the script is removed, the id names nothing, even if
/// its slot is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScriptId {
    slot: usize,
    generation: u32,
}

/// Why a script could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScriptError {
    /// Every slot is taken: remove a script, or build the wrapper with more slots.
    Full,
    /// The script's target and action share no call kind (for example a stuck-receive reply on
    /// `msgq_send`), so it could never fire.
    NeverApplies,
    /// The script would inject code 0 (OK) as an error: an "error" that the client reads as
    /// success, which would lose the message without anyone noticing. Use
    /// [`Lossy::Drop`](crate::Lossy::Drop) if that is what a control run wants.
    NotAnError,
}

impl core::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ScriptError::Full => "no free script slot",
            ScriptError::NeverApplies => "the script's action never applies to its target",
            ScriptError::NotAnError => "code 0 (OK) cannot be injected as an error",
        })
    }
}

impl core::error::Error for ScriptError {}

/// One installed script: its trigger state and what it does.
pub(crate) struct Entry<A> {
    pub(crate) rule: Rule,
    pub(crate) action: A,
}

struct Slots<A, const N: usize> {
    entries: [Option<Entry<A>>; N],
    /// Bumped when a slot is emptied, so stale ids name nothing.
    generations: [u32; N],
}

/// `N` script slots of action type `A`.
pub(crate) struct Table<A, const N: usize> {
    slots: Mutex<RefCell<Slots<A, N>>>,
    /// Installed scripts: lets a call with none skip the critical section entirely.
    active: AtomicUsize,
}

impl<A, const N: usize> Table<A, N> {
    pub(crate) const fn new() -> Self {
        Table {
            slots: Mutex::new(RefCell::new(Slots {
                entries: [const { None }; N],
                generations: [0; N],
            })),
            active: AtomicUsize::new(0),
        }
    }

    /// Whether no script is installed (the fast path: one relaxed load).
    pub(crate) fn is_idle(&self) -> bool {
        self.active.load(Ordering::Relaxed) == 0
    }

    pub(crate) fn add(&self, rule: Rule, action: A) -> Result<ScriptId, ScriptError> {
        critical_section::with(|cs| {
            let mut slots = self.slots.borrow_ref_mut(cs);
            let slots = &mut *slots;
            let slot = slots
                .entries
                .iter()
                .position(Option::is_none)
                .ok_or(ScriptError::Full)?;
            slots.entries[slot] = Some(Entry { rule, action });
            self.active.fetch_add(1, Ordering::Relaxed);
            Ok(ScriptId {
                slot,
                generation: slots.generations[slot],
            })
        })
    }

    pub(crate) fn remove(&self, id: ScriptId) -> bool {
        critical_section::with(|cs| {
            let mut slots = self.slots.borrow_ref_mut(cs);
            let slots = &mut *slots;
            if slots.generations.get(id.slot) != Some(&id.generation) {
                return false;
            }
            match slots.entries[id.slot].take() {
                Some(_) => {
                    slots.generations[id.slot] = slots.generations[id.slot].wrapping_add(1);
                    self.active.fetch_sub(1, Ordering::Relaxed);
                    true
                }
                None => false,
            }
        })
    }

    pub(crate) fn clear(&self) {
        critical_section::with(|cs| {
            let mut slots = self.slots.borrow_ref_mut(cs);
            let slots = &mut *slots;
            for (entry, generation) in slots.entries.iter_mut().zip(&mut slots.generations) {
                if entry.take().is_some() {
                    *generation = generation.wrapping_add(1);
                }
            }
            self.active.store(0, Ordering::Relaxed);
        });
    }

    /// How many times the script's action was applied; `None` for an id that names nothing.
    pub(crate) fn fired(&self, id: ScriptId) -> Option<u32> {
        critical_section::with(|cs| {
            let slots = self.slots.borrow_ref(cs);
            if slots.generations.get(id.slot) != Some(&id.generation) {
                return None;
            }
            slots.entries[id.slot].as_ref().map(|e| e.rule.fired)
        })
    }

    /// Runs `f` over the slots (empty ones are `None`) in slot order, inside one critical
    /// section. `f` must be short bookkeeping: it runs with interrupts masked on a target.
    pub(crate) fn with_slots<R>(&self, f: impl FnOnce(&mut [Option<Entry<A>>]) -> R) -> R {
        critical_section::with(|cs| f(&mut self.slots.borrow_ref_mut(cs).entries))
    }
}
