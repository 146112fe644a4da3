//! `AsyncClient` end to end against the simulated resource manager: the guest's side of the
//! RM link is an `AsyncQueue` woken by its real mock vIRQs (threaded delivery), the RM runs on
//! its own thread, and the futures run on `futures-executor`. The synchronous client's
//! scenarios, with every misbehaviour, are in `simulated_rm.rs`; this file shows that the
//! async path meets the same RM the same way.
#![cfg(feature = "async")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_executor::block_on;
use gunyah_msgq::{AsyncQueue, MsgQueue};
use gunyah_msgq_mock::rm::{Misbehaviour, RmThread, SimulatedRm};
use gunyah_msgq_mock::{Guest, MockHypervisor, MockIrq};
use gunyah_rm_rpc::{AsyncClient, ClientConfig, RmError, RpcError};

type Q = AsyncQueue<Guest, MockIrq, 240>;

/// An async delay that sleeps the thread: the executor has nothing else to run.
struct Sleep;

impl embedded_hal_async::delay::DelayNs for Sleep {
    async fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(Duration::from_nanos(u64::from(ns)));
    }
}

/// A started `AsyncQueue` on the guest's end of the RM link, its vIRQ handlers installed,
/// and the RM on its thread.
fn rig(vmid: u16) -> (MockHypervisor, Arc<Q>, SimulatedRm, RmThread) {
    let hyp = MockHypervisor::threaded();
    let (guest, rm) = SimulatedRm::builder().vmid(vmid).build(&hyp).unwrap();
    let q = Arc::new(AsyncQueue::new(
        MsgQueue::try_duplex(guest.guest(), guest.tx_config(), guest.rx_config()).unwrap(),
    ));
    let weak = Arc::downgrade(&q);
    guest.tx_irq().set_handler(move || {
        if let Some(q) = weak.upgrade() {
            q.on_tx_interrupt();
        }
    });
    let weak = Arc::downgrade(&q);
    guest.rx_irq().set_handler(move || {
        if let Some(q) = weak.upgrade() {
            q.on_rx_interrupt();
        }
    });
    q.start().unwrap();
    let thread = rm.spawn().unwrap();
    (hyp, q, rm, thread)
}

fn config() -> ClientConfig {
    ClientConfig::new()
        .with_timeout_us(500_000)
        .with_poll_us(1_000)
}

#[test]
fn async_calls_are_answered_by_the_simulated_rm() {
    let (_hyp, q, rm, thread) = rig(0x42);
    let mut client: AsyncClient<_, _, _, 1024> = AsyncClient::new(&*q, Sleep, config(), |_| {});
    assert_eq!(block_on(client.vm_get_vmid()), Ok(0x42));
    let resources = block_on(client.vm_get_hyp_resources(0x42)).unwrap();
    let link = resources.msgq_links().next().unwrap().unwrap();
    let (tx, rx) = (link.tx.unwrap(), link.rx.unwrap());
    assert_eq!((tx.max_msg_size, rx.max_msg_size), (240, 240));
    assert_eq!(
        block_on(client.call(0x5600_00FF, &[])),
        Err(RpcError::Rm(RmError::Unimplemented))
    );
    let stats = client.stats();
    assert_eq!((stats.requests, stats.replies, stats.timeouts), (3, 3, 0));
    assert_eq!(rm.stats().requests, 3);
    assert!(thread.stop());
}

#[test]
fn async_misbehaviour_late_reply_is_dropped_and_the_next_call_answered() {
    let (_hyp, q, rm, thread) = rig(3);
    let mut client: AsyncClient<_, _, _, 1024> = AsyncClient::new(
        &*q,
        Sleep,
        ClientConfig::new()
            .with_timeout_us(50_000)
            .with_poll_us(1_000),
        |_| {},
    );
    rm.inject_next(1, Misbehaviour::Late);
    assert_eq!(block_on(client.vm_get_vmid()), Err(RpcError::Timeout));
    // The late reply goes out when the next request arrives, before its own reply.
    assert_eq!(block_on(client.vm_get_vmid()), Ok(3));
    let stats = client.stats();
    assert_eq!(
        (stats.timeouts, stats.late_replies, stats.replies),
        (1, 1, 1)
    );
    rm.inject_next(1, Misbehaviour::Error(RmError::Busy.word()));
    assert_eq!(
        block_on(client.vm_get_vmid()),
        Err(RpcError::Rm(RmError::Busy))
    );
    assert!(thread.stop());
}

/// A delay that never ends: a call can then only finish through the queue's vIRQ wake-ups.
struct Never;

impl embedded_hal_async::delay::DelayNs for Never {
    async fn delay_ns(&mut self, _: u32) {
        core::future::pending::<()>().await
    }
}

#[test]
fn async_replies_arrive_through_the_rx_virq_not_the_wait_slices() {
    let (_hyp, q, _rm, thread) = rig(3);
    let mut client: AsyncClient<_, _, _, 1024> = AsyncClient::new(&*q, Never, config(), |_| {});
    // Without the wake-ups the calls would wait forever: fail instead of hanging.
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = Arc::clone(&done);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(20));
        if !watchdog.load(Ordering::SeqCst) {
            eprintln!("async_replies_arrive_through_the_rx_virq: no reply after 20 s");
            std::process::exit(1);
        }
    });
    for _ in 0..20 {
        assert_eq!(block_on(client.vm_get_vmid()), Ok(3));
    }
    done.store(true, Ordering::SeqCst);
    assert!(thread.stop());
}
