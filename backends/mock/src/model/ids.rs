//! Names of the model's objects: VMs and queues.

/// A virtual machine, as the model's capability space tells callers apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VmId(pub u16);

/// A message queue owned by a [`Hyp`](super::Hyp): its index in creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(pub usize);

impl QueueId {
    /// The queue's index.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0
    }
}
