//! Every synchronisation primitive the queue uses, in one place, so that a model-checking
//! build (`--cfg loom`) swaps them without touching the state machine.
//!
//! - [`CsWord`]: a small `Copy` value packed into one atomic word, read anywhere with a single
//!   load and changed only inside a critical section. Used for the TX state and its event
//!   counts, which must change together with the TX line's mask, and which every send, receive
//!   and drained message reads.
//! - [`RequestLock`]: the RX drain's hand-off: a lock that is only ever tried, plus a request
//!   flag that whoever finds the lock taken leaves for the holder.
//! - [`Counter`]: a relaxed statistics counter (not swapped: it orders nothing).
//! - [`WakerSlot`], [`Signal`] and [`Claim`] (feature `async`): the waker an interrupt handler
//!   wakes, the same with an event flag, and the flag that admits one receiver at a time.
//!   Unlike [`CsWord`], they need atomic read-modify-write (`swap`, as `atomic-waker` does),
//!   which every aarch64 core has.
//!
//! # The loom build
//! Under `cfg(loom)` the critical section becomes a `loom::sync::Mutex` per cell (each cell
//! is only ever changed inside its own critical section, so this is equivalent), the try-lock a
//! loom atomic lock word with `spin`'s orderings, and the atomics and fences loom's. loom's types
//! have no `const fn new` (loom issue #170), so the constructors that are `const` in a normal
//! build are plain functions under loom: [`const_unless_loom!`] writes each of them once for
//! both builds. The waker slot becomes `loom::future::AtomicWaker` (loom's model of the same
//! register/wake contract), the claim flag a loom atomic.

#[cfg(not(loom))]
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering, fence};
#[cfg(loom)]
use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering, fence};

/// A value that fits in 32 bits, so that [`CsWord`] can read it with one atomic load.
pub(crate) trait Packed: Copy {
    fn pack(self) -> u32;
    fn unpack(word: u32) -> Self;
}

/// A [`Packed`] value shared between tasks and interrupt handlers.
///
/// Changes run inside a critical section, so they are serialised with each other and with
/// whatever they must happen together with (masking a line). Reads need no critical section:
/// the value is one word, so a single atomic load sees a whole value some change stored. The
/// read is `Acquire` so that it is ordered before everything after it, a hypercall's effects
/// included: a reader that acts on a snapshot only ever acts on one taken before its
/// hypercall. Only loads and stores are atomic (the critical section does the rest), so this
/// works on cores without atomic read-modify-write too.
pub(crate) struct CsWord<T: Packed> {
    word: AtomicU32,
    #[cfg(loom)]
    critical_section: loom::sync::Mutex<()>,
    value: core::marker::PhantomData<T>,
}

impl<T: Packed> CsWord<T> {
    const_unless_loom! {
        pub(crate) fn new(word: u32) -> Self {
            // A `const fn` cannot call the trait's `pack`: callers pass the packed word.
            CsWord {
                word: AtomicU32::new(word),
                #[cfg(loom)]
                critical_section: loom::sync::Mutex::new(()),
                value: core::marker::PhantomData,
            }
        }
    }

    /// The value as the last change left it (or a newer one): one atomic load.
    pub(crate) fn get(&self) -> T {
        T::unpack(self.word.load(Ordering::Acquire))
    }

    /// [`get`](Self::get) without unpacking: for a caller that keeps the snapshot across a
    /// call and unpacks only what it needs, after it (one register live, not one per field).
    pub(crate) fn get_packed(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }

    /// The value, read inside the critical section: ordered against every change, as
    /// [`get`](Self::get) is not against a change that races with the reader's own earlier
    /// writes. A caller that writes something (unmasks a line) and then must see any change
    /// made before that write (a shutdown that masked the line first) needs this: with a plain
    /// load, both sides may miss the other's write (store buffering).
    pub(crate) fn get_ordered(&self) -> T {
        #[cfg(not(loom))]
        return critical_section::with(|_| self.get());
        #[cfg(loom)]
        {
            let _cs = self.critical_section.lock().unwrap();
            self.get()
        }
    }

    /// Runs `f` on the value, stores it, then runs `then` on `f`'s result, all inside one
    /// critical section: whatever `then` does (mask or unmask a line) lands in the same
    /// order as the state changes, on every CPU. `then` runs after the value is stored, so an
    /// interrupt handler that `then` triggers synchronously (a simulated line) sees the new
    /// value. Keep both short: they run with interrupts masked; neither may make a hypercall
    /// or run a user callback.
    pub(crate) fn update_then<R>(&self, f: impl FnOnce(&mut T) -> R, then: impl FnOnce(&R)) -> R {
        #[cfg(not(loom))]
        return critical_section::with(|_| self.change(f, then));
        #[cfg(loom)]
        {
            let _cs = self.critical_section.lock().unwrap();
            self.change(f, then)
        }
    }

    /// The body of [`update_then`](Self::update_then), inside its critical section: no other
    /// change can run, so a relaxed load sees the last store.
    fn change<R>(&self, f: impl FnOnce(&mut T) -> R, then: impl FnOnce(&R)) -> R {
        let mut value = T::unpack(self.word.load(Ordering::Relaxed));
        let result = f(&mut value);
        self.word.store(value.pack(), Ordering::Release);
        then(&result);
        result
    }
}

#[cfg(not(loom))]
type TryLockInner<T> = spin::mutex::SpinMutex<T>;
#[cfg(loom)]
type TryLockInner<T> = loom_try_lock::TryLock<T>;

/// The guard of a [`RequestLock`]; dropping it releases the lock.
#[cfg(not(loom))]
pub(crate) type RequestGuard<'a, T> = spin::mutex::SpinMutexGuard<'a, T>;
/// The guard of a [`RequestLock`]; dropping it releases the lock.
#[cfg(loom)]
pub(crate) type RequestGuard<'a, T> = loom_try_lock::Guard<'a, T>;

/// `spin`'s try-lock as loom sees it: the same lock word with the same orderings (a CAS with
/// Acquire to take it, a Release store to let go), so loom explores the lock word's part in
/// the hand-off; the value sits in a `loom::sync::Mutex` that only the word's owner locks.
#[cfg(loom)]
mod loom_try_lock {
    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::sync::{Mutex, MutexGuard};

    pub(crate) struct TryLock<T> {
        locked: AtomicBool,
        value: Mutex<T>,
    }

    pub(crate) struct Guard<'a, T> {
        locked: &'a AtomicBool,
        value: Option<MutexGuard<'a, T>>,
    }

    impl<T> TryLock<T> {
        pub(crate) fn new(value: T) -> Self {
            TryLock {
                locked: AtomicBool::new(false),
                value: Mutex::new(value),
            }
        }

        pub(crate) fn try_lock(&self) -> Option<Guard<'_, T>> {
            self.locked
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .ok()?;
            Some(Guard {
                locked: &self.locked,
                value: Some(self.value.lock().unwrap()),
            })
        }
    }

    impl<T> core::ops::Deref for Guard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.value.as_ref().unwrap()
        }
    }

    impl<T> core::ops::DerefMut for Guard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.value.as_mut().unwrap()
        }
    }

    impl<T> Drop for Guard<'_, T> {
        fn drop(&mut self) {
            self.value = None;
            self.locked.store(false, Ordering::Release);
        }
    }
}

/// A lock that is only ever tried, never waited for (an interrupt handler must not spin on a
/// lock its own CPU's task may hold), plus a request flag. It lends its value out *without* a
/// critical section, so the RX buffer can be borrowed by a callback that runs with interrupts
/// enabled; a `critical_section::Mutex` could not do that.
///
/// # The hand-off
/// A caller [`request`](Self::request)s, then [`try_enter`](Self::try_enter)s. If the lock is
/// taken, it leaves: its request stays in the flag. The holder [`take`](Self::take)s requests
/// while it works and, after it lets go, [`leave`](Self::leave) looks at the flag once more.
/// That is the store-buffering pattern: the caller stores the flag then reads the lock, the
/// holder stores the lock then reads the flag. With Release/Acquire alone both reads may see
/// the old values (each store still sitting in its CPU's store buffer; on aarch64 an Acquire
/// load compiled to LDAPR may pass an earlier Release store): the caller would find the lock
/// taken *and* the holder would find no request, and the request would be lost. A
/// `fence(SeqCst)` between each side's store and load forbids that: the two fences are
/// ordered one way or the other, and whichever comes second sees the other side's store.
///
/// Every write to the flag is a read-modify-write (`swap`), never a plain store: one
/// modification order of RMWs, and no plain store for loom to misplace inside an RMW (loom
/// issues #254 and #389).
pub(crate) struct RequestLock<T> {
    requested: AtomicBool,
    lock: TryLockInner<T>,
}

impl<T> RequestLock<T> {
    const_unless_loom! {
        pub(crate) fn new(value: T) -> Self {
            RequestLock {
                requested: AtomicBool::new(false),
                lock: TryLockInner::new(value),
            }
        }
    }

    /// Leaves a request for whoever holds (or next takes) the lock.
    pub(crate) fn request(&self) {
        self.requested.swap(true, Ordering::AcqRel);
        // Store → fence → (try-lock load): see the type's docs.
        fence(Ordering::SeqCst);
    }

    /// Takes the lock if it is free.
    pub(crate) fn try_enter(&self) -> Option<RequestGuard<'_, T>> {
        self.lock.try_lock()
    }

    /// Takes the request: whether one was there.
    pub(crate) fn take(&self) -> bool {
        self.requested.swap(false, Ordering::AcqRel)
    }

    /// Releases the lock, then tells whether a request arrived that the holder has not
    /// taken: a caller that found the lock taken has left, so the holder must take it up.
    pub(crate) fn leave(&self, guard: RequestGuard<'_, T>) -> bool {
        drop(guard);
        // (Unlock store) → fence → load: see the type's docs.
        fence(Ordering::SeqCst);
        self.requested.load(Ordering::Acquire)
    }

    /// Whether a request is waiting.
    pub(crate) fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }
}

/// A statistics counter. Relaxed: counters order nothing, they are only read for diagnostics.
/// It stays a plain atomic under loom, which then has fewer operations to interleave.
pub(crate) struct Counter(core::sync::atomic::AtomicU32);

impl Counter {
    pub(crate) const fn new() -> Self {
        Counter(core::sync::atomic::AtomicU32::new(0))
    }

    // Without LSE (ARMv8.0, the `aarch64-unknown-none` baseline) an atomic add is a
    // four-instruction exclusive loop: one shared copy costs a call, one per call site costs
    // code size in every entry point. Elsewhere (x86's `lock xadd`, LSE's `stadd`) it is one
    // instruction and stays inline.
    #[cfg_attr(
        all(target_arch = "aarch64", not(target_feature = "lse")),
        inline(never)
    )]
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u32 {
        self.0.load(core::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(all(feature = "async", not(loom)))]
type AtomicWakerInner = atomic_waker::AtomicWaker;
#[cfg(all(feature = "async", loom))]
type AtomicWakerInner = loom::future::AtomicWaker;

/// The waker of the one task waiting for an event, which an interrupt handler wakes.
///
/// `atomic-waker`'s `AtomicWaker`: lock-free, no allocation, safe to wake from an interrupt
/// handler while a task registers. The contract the async queue relies on: a waiter that
/// [`register`](Self::register)s and *then* looks at the event's condition cannot miss an
/// event whose handler changes the condition and *then* calls [`wake`](Self::wake). Both
/// sides make a read-modify-write on the slot's state word; whichever comes second sees the
/// other's (the waiter sees the condition, or the handler sees the waker). A new registration
/// replaces the previous waker: one waiter per slot.
#[cfg(feature = "async")]
pub(crate) struct WakerSlot(AtomicWakerInner);

#[cfg(feature = "async")]
impl WakerSlot {
    const_unless_loom! {
        pub(crate) fn new() -> Self {
            WakerSlot(AtomicWakerInner::new())
        }
    }

    /// Makes `waker` the one the next [`wake`](Self::wake) wakes.
    pub(crate) fn register(&self, waker: &core::task::Waker) {
        #[cfg(not(loom))]
        self.0.register(waker);
        #[cfg(loom)]
        self.0.register_by_ref(waker);
    }

    /// Wakes the registered waker, if any, and empties the slot.
    pub(crate) fn wake(&self) {
        self.0.wake();
    }
}

/// An event flag with the waker of the one task waiting for it: an interrupt handler
/// [`raise`](Self::raise)s it, the task [`register`](Self::register)s, then
/// [`take`](Self::take)s it.
///
/// The flag lets the waiting task tell a wake-up with an event behind it from any other poll
/// (an executor may poll a future whose sibling was woken), so that it makes a hypercall only
/// for the former. The handler sets the flag *then* wakes, the task registers *then* takes
/// the flag (both read-modify-writes): an event is seen either by the take or through the
/// wake-up, never lost ([`WakerSlot`] gives the argument).
#[cfg(feature = "async")]
pub(crate) struct Signal {
    raised: AtomicBool,
    waker: WakerSlot,
}

#[cfg(feature = "async")]
impl Signal {
    const_unless_loom! {
        pub(crate) fn new() -> Self {
            Signal {
                raised: AtomicBool::new(false),
                waker: WakerSlot::new(),
            }
        }
    }

    /// Records an event and wakes the waiting task.
    pub(crate) fn raise(&self) {
        self.raised.swap(true, Ordering::AcqRel);
        self.waker.wake();
    }

    /// Makes `waker` the one the next [`raise`](Self::raise) wakes.
    pub(crate) fn register(&self, waker: &core::task::Waker) {
        self.waker.register(waker);
    }

    /// Whether an event came since the last take; clears the flag.
    pub(crate) fn take(&self) -> bool {
        self.raised.swap(false, Ordering::AcqRel)
    }
}

/// A flag that one holder at a time may claim: [`try_claim`](Self::try_claim) either gets it
/// or finds it taken, never waits. Dropping the [`ClaimGuard`] gives it back, so a future that
/// holds the guard releases it however it ends: completed, failed or dropped.
///
/// A read-modify-write takes it (Acquire) and another gives it back (Release), as a lock word:
/// what one holder did is visible to the next. Both writes are `swap`s, for the reason
/// [`RequestLock`] gives (no plain store among RMWs for loom to misplace).
#[cfg(feature = "async")]
pub(crate) struct Claim(AtomicBool);

/// Proof of a [`Claim`]; dropping it releases the claim.
#[cfg(feature = "async")]
pub(crate) struct ClaimGuard<'a>(&'a AtomicBool);

#[cfg(feature = "async")]
impl Claim {
    const_unless_loom! {
        pub(crate) fn new() -> Self {
            Claim(AtomicBool::new(false))
        }
    }

    /// Takes the claim if nobody holds it.
    pub(crate) fn try_claim(&self) -> Option<ClaimGuard<'_>> {
        if self.0.swap(true, Ordering::Acquire) {
            None
        } else {
            Some(ClaimGuard(&self.0))
        }
    }
}

#[cfg(feature = "async")]
impl Drop for ClaimGuard<'_> {
    fn drop(&mut self) {
        self.0.swap(false, Ordering::Release);
    }
}
