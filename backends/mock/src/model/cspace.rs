//! Capabilities: which VM may do what to which object.
//!
//! The model keeps one table for every VM; an entry is valid only for the VM it was granted
//! to, so another VM's capability id looks null, as it would in the caller's own cspace.

use core::fmt;
use core::ops::BitOr;

use gunyah_msgq::{CapId, GunyahError};

use super::ids::{QueueId, VmId};

/// Capability rights (`cap_rights_msgqueue_t` and the generic object rights).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rights(u32);

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// `msgq_send` and `msgq_configure_send`.
    pub const SEND: Rights = Rights(0x1);
    /// `msgq_receive`, `msgq_flush` and `msgq_configure_receive`.
    pub const RECEIVE: Rights = Rights(0x2);
    /// Binding the TX vIRQ.
    pub const BIND_SEND: Rights = Rights(0x4);
    /// Binding the RX vIRQ.
    pub const BIND_RECEIVE: Rights = Rights(0x8);
    /// Generic object right needed by `msgq_configure` (resource manager only).
    pub const OBJECT_ACTIVATE: Rights = Rights(0x8000_0000);

    /// Rights from their ABI bits (any bits are kept).
    #[must_use]
    pub const fn from_bits(bits: u32) -> Rights {
        Rights(bits)
    }

    /// The ABI bits.
    #[must_use]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every right in `needed` is present.
    #[must_use]
    pub const fn contains(self, needed: Rights) -> bool {
        self.0 & needed.0 == needed.0
    }

    /// Both sets of rights.
    #[must_use]
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }
}

impl BitOr for Rights {
    type Output = Rights;

    fn bitor(self, other: Rights) -> Rights {
        self.union(other)
    }
}

/// What a capability names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Object {
    /// A message queue.
    Msgq(QueueId),
    /// An object of another type (say, a doorbell): a msgq call on it answers
    /// CSPACE_WRONG_OBJECT_TYPE.
    Other,
}

/// One capability of one VM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CapEntry {
    /// The VM whose cspace holds it.
    pub vm: VmId,
    /// Its id in that cspace.
    pub cap: CapId,
    /// The object it names.
    pub object: Object,
    /// What it allows.
    pub rights: Rights,
    /// Revoked capabilities stay in the table and answer CSPACE_CAP_REVOKED.
    pub revoked: bool,
}

/// A change to the capability table that cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CspaceError {
    /// Every slot is in use.
    Full,
    /// The VM already has a capability with this id.
    Duplicate(CapId),
    /// The VM has no capability with this id.
    NotFound(CapId),
    /// [`CapId::INVALID`] cannot name a capability.
    InvalidId,
}

impl CspaceError {
    /// The hypervisor error that stands for this.
    #[must_use]
    pub const fn error(self) -> GunyahError {
        match self {
            CspaceError::Full => GunyahError::CspaceFull,
            CspaceError::Duplicate(_) | CspaceError::InvalidId => GunyahError::ArgumentInvalid,
            CspaceError::NotFound(_) => GunyahError::CspaceCapNull,
        }
    }
}

impl fmt::Display for CspaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CspaceError::Full => f.write_str("capability space full"),
            CspaceError::Duplicate(c) => write!(f, "capability {:#x} already exists", c.0),
            CspaceError::NotFound(c) => write!(f, "no capability {:#x}", c.0),
            CspaceError::InvalidId => f.write_str("CapId::INVALID names no capability"),
        }
    }
}

impl core::error::Error for CspaceError {}

/// The capability table of every VM, with room for `CAPS` capabilities in all.
pub struct CSpace<const CAPS: usize> {
    entries: [Option<CapEntry>; CAPS],
    next_id: u64,
}

impl<const CAPS: usize> CSpace<CAPS> {
    /// The first id [`grant`](Self::grant) hands out. Ids are never reused, so a capability
    /// of one VM is never valid in another.
    pub const FIRST_ID: u64 = 0x100;

    /// An empty table.
    #[must_use]
    pub const fn new() -> Self {
        CSpace {
            entries: [None; CAPS],
            next_id: Self::FIRST_ID,
        }
    }

    /// Capabilities in the table (revoked ones included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    /// Whether the table is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots.
    #[must_use]
    pub fn free(&self) -> usize {
        CAPS - self.len()
    }

    /// Every capability.
    pub fn iter(&self) -> impl Iterator<Item = &CapEntry> {
        self.entries.iter().flatten()
    }

    /// The capability `cap` of `vm`.
    #[must_use]
    pub fn get(&self, vm: VmId, cap: CapId) -> Option<&CapEntry> {
        self.iter().find(|e| e.vm == vm && e.cap == cap)
    }

    fn get_mut(&mut self, vm: VmId, cap: CapId) -> Option<&mut CapEntry> {
        self.entries
            .iter_mut()
            .flatten()
            .find(|e| e.vm == vm && e.cap == cap)
    }

    /// Whether [`grant`](Self::grant) must skip `cap`: it is the invalid id or any VM uses it.
    fn id_taken(&self, cap: CapId) -> bool {
        cap == CapId::INVALID || self.iter().any(|e| e.cap == cap)
    }

    /// Gives `vm` a new capability to `object` and returns its id.
    ///
    /// # Errors
    /// [`CspaceError::Full`].
    pub fn grant(
        &mut self,
        vm: VmId,
        object: Object,
        rights: Rights,
    ) -> Result<CapId, CspaceError> {
        if self.free() == 0 {
            return Err(CspaceError::Full);
        }
        // Skip ids a caller chose with `insert` (and the invalid id, after wrapping). The
        // `len` ids in use and the invalid id take at most `len + 1` of the candidates, so
        // one of the first `len + 2` is free: the search is bounded.
        let cap = core::iter::successors(Some(CapId(self.next_id)), |c| {
            Some(CapId(c.0.wrapping_add(1)))
        })
        .take(self.len() + 2)
        .find(|&c| !self.id_taken(c))
        .ok_or(CspaceError::Full)?;
        self.next_id = cap.0.wrapping_add(1);
        self.insert(vm, cap, object, rights)?;
        Ok(cap)
    }

    /// Gives `vm` the capability `cap` to `object` (a chosen id, e.g. the one a device tree
    /// names).
    ///
    /// # Errors
    /// [`CspaceError::InvalidId`], [`CspaceError::Duplicate`] if `vm` already has `cap`,
    /// [`CspaceError::Full`].
    pub fn insert(
        &mut self,
        vm: VmId,
        cap: CapId,
        object: Object,
        rights: Rights,
    ) -> Result<(), CspaceError> {
        if cap == CapId::INVALID {
            return Err(CspaceError::InvalidId);
        }
        if self.get(vm, cap).is_some() {
            return Err(CspaceError::Duplicate(cap));
        }
        let slot = self
            .entries
            .iter_mut()
            .find(|e| e.is_none())
            .ok_or(CspaceError::Full)?;
        *slot = Some(CapEntry {
            vm,
            cap,
            object,
            rights,
            revoked: false,
        });
        Ok(())
    }

    /// Revokes `cap` of `vm`: later calls with it answer CSPACE_CAP_REVOKED.
    ///
    /// # Errors
    /// [`CspaceError::NotFound`].
    pub fn revoke(&mut self, vm: VmId, cap: CapId) -> Result<(), CspaceError> {
        let entry = self.get_mut(vm, cap).ok_or(CspaceError::NotFound(cap))?;
        entry.revoked = true;
        Ok(())
    }

    /// Deletes `cap` of `vm`: later calls with it answer CSPACE_CAP_NULL.
    ///
    /// # Errors
    /// [`CspaceError::NotFound`].
    pub fn delete(&mut self, vm: VmId, cap: CapId) -> Result<(), CspaceError> {
        let slot = self
            .entries
            .iter_mut()
            .find(|e| matches!(e, Some(e) if e.vm == vm && e.cap == cap))
            .ok_or(CspaceError::NotFound(cap))?;
        *slot = None;
        Ok(())
    }

    /// Looks `cap` up in `vm`'s cspace as a message queue with the `needed` rights, in the
    /// hypervisor's order: CSPACE_CAP_NULL (no such capability), CSPACE_CAP_REVOKED,
    /// CSPACE_WRONG_OBJECT_TYPE, CSPACE_INSUFFICIENT_RIGHTS.
    ///
    /// # Errors
    /// The first check that fails.
    pub fn lookup_msgq(
        &self,
        vm: VmId,
        cap: CapId,
        needed: Rights,
    ) -> Result<QueueId, GunyahError> {
        let entry = self.get(vm, cap).ok_or(GunyahError::CspaceCapNull)?;
        if entry.revoked {
            return Err(GunyahError::CspaceCapRevoked);
        }
        let Object::Msgq(queue) = entry.object else {
            return Err(GunyahError::CspaceWrongObjectType);
        };
        if !entry.rights.contains(needed) {
            return Err(GunyahError::CspaceInsufficientRights);
        }
        Ok(queue)
    }
}

impl<const CAPS: usize> Default for CSpace<CAPS> {
    fn default() -> Self {
        Self::new()
    }
}
