//! Interrupt faults: each fires when scripted, and a real `MsgQueue` survives each one; a
//! dropped edge is recovered by a poll (RX) or by a blocking send's slice retry (TX).

mod common;

use std::cell::Cell;

use common::{DEPTH, FakeDelay, MAX, NoLine, hyp, msg, queue, seq_of};
use gunyah_msgq::{
    CapId, DrainOutcome, MsgQueue, RxConfig, SendFlags, SendOutcome, TxConfig, TxState, WaitPolicy,
};
use gunyah_msgq_fault::{
    Delivery, FaultHypercall, FaultIrqLine, IrqFault, IrqFaults, LineRecord, ScriptError, When,
};

#[test]
fn each_fault_fires_on_its_edge() {
    let faults = IrqFaults::new();
    faults.add(When::Call(2), IrqFault::Drop, None).unwrap();
    faults
        .add(When::Call(3), IrqFault::Duplicate, None)
        .unwrap();
    faults.add(When::Call(4), IrqFault::Delay, None).unwrap();
    let runs = Cell::new(0);
    let handler = || runs.set(runs.get() + 1);
    let deliveries: Vec<_> = (0..5).map(|_| faults.deliver(handler)).collect();
    assert_eq!(
        deliveries,
        [
            Delivery::Delivered,
            Delivery::Dropped,
            Delivery::Duplicated,
            Delivery::Delayed,
            Delivery::Delivered,
        ]
    );
    assert_eq!(runs.get(), 1 + 2 + 1);
    assert_eq!(faults.held(), 1);
    assert_eq!(faults.release_delayed(handler), 1);
    assert_eq!(runs.get(), 5);
    assert_eq!(
        faults.release_delayed(handler),
        0,
        "nothing held: handler not run"
    );
    faults.spurious(handler);
    assert_eq!(runs.get(), 6);
    let s = faults.stats();
    assert_eq!(
        (
            s.edges,
            s.runs,
            s.dropped,
            s.duplicated,
            s.delayed,
            s.released,
            s.spurious
        ),
        (5, 6, 1, 1, 1, 1, 1)
    );
    faults.reset_stats();
    assert_eq!(faults.stats(), Default::default());
}

#[test]
fn held_edges_merge_into_one_run() {
    let faults = IrqFaults::new();
    faults.add(When::ALWAYS, IrqFault::Delay, Some(3)).unwrap();
    let runs = Cell::new(0);
    for _ in 0..4 {
        faults.deliver(|| runs.set(runs.get() + 1));
    }
    assert_eq!(runs.get(), 1, "the 4th edge is past the limit");
    assert_eq!(faults.release_delayed(|| runs.set(runs.get() + 1)), 3);
    assert_eq!(runs.get(), 2);
}

#[test]
fn held_counts_each_delayed_edge_until_released() {
    let faults = IrqFaults::new();
    assert_eq!(faults.held(), 0, "nothing delayed yet");
    faults
        .add(When::EveryNth(2), IrqFault::Delay, None)
        .unwrap();
    let runs = Cell::new(0);
    let handler = || runs.set(runs.get() + 1);
    for expected in [0, 1, 1, 2, 2, 3] {
        faults.deliver(handler);
        assert_eq!(faults.held(), expected);
    }
    assert_eq!(runs.get(), 3, "the odd edges were delivered");
    faults.clear();
    assert_eq!(faults.held(), 3, "clear keeps held edges");
    assert_eq!(faults.release_delayed(handler), 3);
    assert_eq!(faults.held(), 0);
    assert_eq!(runs.get(), 4);
}

#[test]
fn remove_is_true_only_for_an_installed_script() {
    let faults = IrqFaults::new();
    let drop = faults.add(When::ALWAYS, IrqFault::Drop, None).unwrap();
    let dup = faults.add(When::ALWAYS, IrqFault::Duplicate, None).unwrap();
    assert!(faults.remove(drop));
    assert!(!faults.remove(drop), "already removed");
    assert_eq!(
        faults.deliver(|| {}),
        Delivery::Duplicated,
        "only dup is left"
    );
    faults.clear();
    assert!(!faults.remove(dup), "removed by clear");
    let again = faults.add(When::ALWAYS, IrqFault::Drop, None).unwrap();
    assert!(
        !faults.remove(drop),
        "a stale id does not name the slot's new script"
    );
    assert_eq!(faults.deliver(|| {}), Delivery::Dropped);
    assert!(faults.remove(again));
    assert_eq!(faults.deliver(|| {}), Delivery::Delivered);
}

#[test]
fn irq_faults_debug_shows_held_edges_and_stats() {
    let faults = IrqFaults::new();
    assert_eq!(
        format!("{faults:?}"),
        "IrqFaults { held: 0, stats: IrqStats { edges: 0, runs: 0, dropped: 0, duplicated: 0, \
         delayed: 0, released: 0, spurious: 0 }, .. }"
    );
    faults.add(When::Call(2), IrqFault::Delay, None).unwrap();
    faults.deliver(|| {});
    faults.deliver(|| {});
    faults.spurious(|| {});
    assert_eq!(
        format!("{faults:?}"),
        "IrqFaults { held: 1, stats: IrqStats { edges: 2, runs: 2, dropped: 0, duplicated: 0, \
         delayed: 1, released: 0, spurious: 1 }, .. }"
    );
}

#[test]
fn random_irq_faults_are_reproducible() {
    let pattern = |seed| {
        let faults = IrqFaults::new();
        faults
            .add(When::probability(0.25, seed), IrqFault::Drop, None)
            .unwrap();
        (0..2000)
            .map(|_| faults.deliver(|| {}) == Delivery::Dropped)
            .collect::<Vec<_>>()
    };
    let a = pattern(5);
    assert_eq!(a, pattern(5));
    assert_ne!(a, pattern(6));
    let dropped = a.iter().filter(|&&d| d).count();
    assert!((400..=600).contains(&dropped), "{dropped}");
}

#[test]
fn first_fault_wins_and_slots_are_bounded() {
    let faults = IrqFaults::<2>::with_slots();
    let drop = faults.add(When::Call(1), IrqFault::Drop, None).unwrap();
    let dup = faults.add(When::ALWAYS, IrqFault::Duplicate, None).unwrap();
    assert_eq!(
        faults.add(When::ALWAYS, IrqFault::Delay, None),
        Err(ScriptError::Full)
    );
    assert_eq!(faults.deliver(|| {}), Delivery::Dropped);
    assert_eq!(faults.deliver(|| {}), Delivery::Duplicated);
    assert_eq!((faults.fired(drop), faults.fired(dup)), (Some(1), Some(1)));
    assert!(faults.remove(dup));
    faults.clear();
    assert_eq!(faults.fired(drop), None);
    assert_eq!(faults.deliver(|| {}), Delivery::Delivered);
}

#[test]
fn a_dropped_rx_edge_is_recovered_by_poll_rx() {
    let q = queue();
    let rx_faults = IrqFaults::new();
    rx_faults.add(When::Call(1), IrqFault::Drop, None).unwrap();
    let mut got = vec![];

    for seq in 0..3 {
        hyp(&q).peer_send(&msg(seq));
    }
    assert!(hyp(&q).take_rx_edge());
    let d = rx_faults.deliver(|| {
        let _ = q.on_rx_interrupt(|m| got.push(seq_of(m)));
    });
    assert_eq!(d, Delivery::Dropped);
    assert!(got.is_empty());
    // More messages into a non-empty queue raise no new edge: only a poll finds them.
    hyp(&q).peer_send(&msg(3));
    assert!(!hyp(&q).take_rx_edge());
    assert_eq!(
        q.poll_rx(|m| got.push(seq_of(m))),
        Ok(DrainOutcome::Done { delivered: 4 })
    );
    assert_eq!(got, [0, 1, 2, 3]);

    // Later edges are delivered normally.
    hyp(&q).peer_send(&msg(4));
    assert!(hyp(&q).take_rx_edge());
    let d = rx_faults.deliver(|| {
        let _ = q.on_rx_interrupt(|m| got.push(seq_of(m)));
    });
    assert_eq!(d, Delivery::Delivered);
    assert_eq!(got, [0, 1, 2, 3, 4]);
}

#[test]
fn duplicated_and_spurious_rx_edges_deliver_nothing_twice() {
    let q = queue();
    let rx_faults = IrqFaults::new();
    rx_faults
        .add(When::ALWAYS, IrqFault::Duplicate, None)
        .unwrap();
    let got = std::cell::RefCell::new(vec![]);
    let handler = || {
        let _ = q.on_rx_interrupt(|m| got.borrow_mut().push(seq_of(m)));
    };
    for seq in 0..5 {
        hyp(&q).peer_send(&msg(seq));
        if hyp(&q).take_rx_edge() {
            rx_faults.deliver(handler);
        }
    }
    rx_faults.spurious(handler);
    assert_eq!(*got.borrow(), [0, 1, 2, 3, 4]);
    // Each duplicate and the spurious run found the queue empty at once.
    assert_eq!(q.stats().spurious_rx, 5 + 1);
}

#[test]
fn a_delayed_rx_edge_lands_when_released() {
    let q = queue();
    let rx_faults = IrqFaults::new();
    rx_faults.add(When::Call(1), IrqFault::Delay, None).unwrap();
    let got = std::cell::RefCell::new(vec![]);
    let handler = || {
        let _ = q.on_rx_interrupt(|m| got.borrow_mut().push(seq_of(m)));
    };
    hyp(&q).peer_send(&msg(0));
    assert!(hyp(&q).take_rx_edge());
    assert_eq!(rx_faults.deliver(handler), Delivery::Delayed);
    hyp(&q).peer_send(&msg(1));
    assert!(got.borrow().is_empty());
    assert_eq!(rx_faults.release_delayed(handler), 1);
    assert_eq!(*got.borrow(), [0, 1]);
}

#[test]
fn a_spurious_tx_edge_is_counted_and_harmless() {
    let q = queue();
    let tx_faults = IrqFaults::new();
    tx_faults.spurious(|| q.on_tx_interrupt());
    assert_eq!(q.stats().spurious_tx, 1);
    assert_eq!(q.tx_state(), TxState::Ready);
    assert!(matches!(
        q.try_send(b"a", SendFlags::PUSH),
        Ok(SendOutcome::Sent { .. })
    ));
}

#[test]
fn a_dropped_tx_edge_is_recovered_by_the_blocking_send_slice_retry() {
    let q = queue();
    let tx_faults = IrqFaults::new();
    let drop = tx_faults.add(When::ALWAYS, IrqFault::Drop, None).unwrap();
    for seq in 0..DEPTH as u32 {
        assert!(matches!(
            q.try_send(&msg(seq), SendFlags::PUSH),
            Ok(SendOutcome::Sent { .. })
        ));
    }
    assert_eq!(
        q.try_send(&msg(99), SendFlags::PUSH),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(q.tx_state(), TxState::Full);

    // While the sender waits, the peer drains one message; its TX edge is dropped.
    let mut drained = vec![];
    let mut delay = FakeDelay {
        waited_ns: 0,
        on_step: |_| {
            if drained.is_empty() {
                drained.push(seq_of(&hyp(&q).peer_recv().unwrap()));
                assert!(hyp(&q).take_tx_edge());
                tx_faults.deliver(|| q.on_tx_interrupt());
            }
        },
    };
    let policy = WaitPolicy {
        timeout_us: 10_000,
        slice_us: 1_000,
        poll_us: 10,
    };
    assert_eq!(
        q.send_blocking(&msg(DEPTH as u32), SendFlags::PUSH, &mut delay, policy),
        Ok(())
    );
    let waited_us = delay.waited_ns / 1_000;
    assert_eq!(
        waited_us, 1_000,
        "completed by the first slice retry, not by an edge"
    );
    assert_eq!(drained, [0]);
    assert_eq!(tx_faults.fired(drop), Some(1));
    assert_eq!(tx_faults.stats().runs, 0);
    // Everything accepted arrives once and in order.
    let mut rest = vec![];
    while let Some(m) = hyp(&q).peer_recv() {
        rest.push(seq_of(&m));
    }
    assert_eq!(rest, [1, 2, 3, 4]);
}

#[test]
fn a_delivered_tx_edge_wakes_the_blocking_send_before_the_slice_ends() {
    // The control for the test above: without the drop, the edge ends the wait at once.
    let q = queue();
    let tx_faults = IrqFaults::new();
    for seq in 0..DEPTH as u32 {
        let _ = q.try_send(&msg(seq), SendFlags::PUSH);
    }
    let _ = q.try_send(&msg(99), SendFlags::PUSH);
    let mut done = false;
    let mut delay = FakeDelay {
        waited_ns: 0,
        on_step: |_| {
            if !done {
                done = true;
                hyp(&q).peer_recv();
                if hyp(&q).take_tx_edge() {
                    tx_faults.deliver(|| q.on_tx_interrupt());
                }
            }
        },
    };
    let policy = WaitPolicy::timeout_us(10_000);
    assert_eq!(
        q.send_blocking(&msg(4), SendFlags::PUSH, &mut delay, policy),
        Ok(())
    );
    assert!(delay.waited_ns / 1_000 < 1_000);
    assert_eq!(tx_faults.stats().runs, 1);
}

#[test]
fn fault_irq_line_records_what_the_queue_does() {
    let tx_line = FaultIrqLine::new(NoLine);
    let rx_line = FaultIrqLine::new(NoLine);
    let q: MsgQueue<_, &FaultIrqLine<NoLine>, MAX> = MsgQueue::duplex(
        FaultHypercall::new(common::Loopback::new(DEPTH)),
        TxConfig::new(CapId(1), &tx_line, MAX),
        RxConfig::new(
            CapId(2),
            &rx_line,
            std::num::NonZeroU8::new(DEPTH as u8).unwrap(),
            MAX,
        ),
    );
    assert!(!tx_line.is_enabled() && !rx_line.is_enabled());
    assert_eq!(q.start(|_| {}), Ok(DrainOutcome::Done { delivered: 0 }));
    assert!(
        tx_line.is_enabled() && rx_line.is_enabled(),
        "both lines unmasked by start"
    );
    let rx_faults = IrqFaults::new();
    rx_faults
        .add(When::Call(1), IrqFault::Duplicate, None)
        .unwrap();
    rx_faults.deliver(|| {
        let _ = q.on_rx_interrupt(|_| {});
    });
    assert_eq!(
        rx_line.record(),
        LineRecord {
            enables: 1,
            disables: 0,
            acknowledges: 2
        }
    );
    q.shutdown();
    assert!(
        !tx_line.is_enabled() && !rx_line.is_enabled(),
        "both lines masked by shutdown"
    );
    assert_eq!(tx_line.record().disables, 1);
    // Late interrupts after shutdown are no-ops.
    rx_faults.spurious(|| {
        let _ = q.on_rx_interrupt(|_| panic!("no delivery after shutdown"));
    });
}
