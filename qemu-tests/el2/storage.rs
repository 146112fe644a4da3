//! Message storage for the model's two queues, outside the [`Hyp`](gunyah_msgq_mock::model::Hyp)
//! value so that replacing the hypervisor at each setup does not move half a megabyte.

use gunyah_msgq_mock::model::{MAX_DEPTH, MAX_MSG_SIZE};

/// One queue's slots.
pub type Slots = &'static mut [[u8; MAX_MSG_SIZE]; MAX_DEPTH];

static mut STORAGE: [[[u8; MAX_MSG_SIZE]; MAX_DEPTH]; 2] = [[[0; MAX_MSG_SIZE]; MAX_DEPTH]; 2];

/// The storage of both queues, for a fresh link.
///
/// The caller must have dropped every `Slots` an earlier call returned (the model drops its
/// old `Hyp`, which holds them, right before it calls this).
pub fn fresh() -> [Slots; 2] {
    let storage = &raw mut STORAGE;
    // SAFETY: the only references into STORAGE are the ones this function returns, and the
    // caller (Model::setup, the only one) drops the previous pair first, so the new `&mut`
    // aliases nothing. Single CPU, no interrupt at EL2.
    let all = unsafe { &mut *storage };
    let [a, b] = all;
    [a, b]
}
