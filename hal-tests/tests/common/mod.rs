//! The simulated hypervisor as a conformance-suite backend: a [`Harness`] over
//! `gunyah-msgq-mock`, plain or wrapped in `gunyah-msgq-fault`.

#![allow(dead_code)] // Each test binary uses part of this module.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gunyah_msgq::abi::{RecvReply, SendReply};
use gunyah_msgq::{
    CapId, DrainOutcome, Error, Hypercall, MsgQueue, RecvOutcome, RxConfig, SendFlags, SendOutcome,
    TxConfig,
};
use gunyah_msgq_fault::{FaultHypercall, IrqFaults};
use gunyah_msgq_hal_tests::cases::faults::FaultFixture;
use gunyah_msgq_hal_tests::{Caps, CaseError, ErrorMode, Fixture, Harness, Line, Setup, Sides};
use gunyah_msgq_mock::model::{Mode, QueueConfig, VmId};
use gunyah_msgq_mock::{Guest, Link, LinkConfig, MockHypervisor, MockIrq};

/// How the harness builds its hypervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MockHarness {
    /// The hypervisor's error mode.
    pub mode: ErrorMode,
    /// Interrupts delivered from delivery threads rather than inline.
    pub threaded: bool,
}

/// A backend the fixture can wrap its guest in: the guest itself, or the fault wrapper.
pub trait Wrap: Hypercall + Sized {
    fn wrap(guest: Guest) -> Self;
    /// Hypercalls the queue under test made (including ones a wrapper answered itself).
    fn calls(&self) -> u64;
}

impl Wrap for Guest {
    fn wrap(guest: Guest) -> Self {
        guest
    }
    fn calls(&self) -> u64 {
        let s = self.stats();
        s.sends + s.receives + s.flushes
    }
}

impl Wrap for FaultHypercall<Guest> {
    fn wrap(guest: Guest) -> Self {
        FaultHypercall::new(guest)
    }
    fn calls(&self) -> u64 {
        u64::from(self.stats().calls.total())
    }
}

/// One queue under test (VM 1) on a link to a peer driven by hand (VM 2).
pub struct MockFixture<B: Wrap, const MAX: usize> {
    hyp: MockHypervisor,
    link: Link,
    queue: Arc<MsgQueue<B, MockIrq, MAX>>,
    delivered: Arc<Mutex<VecDeque<Vec<u8>>>>,
    /// What the RX handler's drains returned as errors, for `take_handler_errors`.
    handler_errors: Arc<Mutex<Vec<Error>>>,
    handlers: [Arc<dyn Fn() + Send + Sync>; 2],
    runs: Arc<[AtomicU64; 2]>,
    irq_faults: Arc<[IrqFaults; 2]>,
    mode: ErrorMode,
}

const fn index(line: Line) -> usize {
    match line {
        Line::Tx => 0,
        Line::Rx => 1,
    }
}

impl<B: Wrap + Send + Sync + 'static, const MAX: usize> MockFixture<B, MAX> {
    fn new(harness: &MockHarness, setup: Setup) -> Result<Self, CaseError> {
        let hyp = if harness.threaded {
            MockHypervisor::threaded()
        } else {
            MockHypervisor::new()
        };
        let mode = match harness.mode {
            ErrorMode::Documented => Mode::Documented,
            ErrorMode::PublicSourceQuirks => Mode::PublicSourceQuirks,
        };
        let depth = usize::from(setup.depth);
        let peer_max = if setup.peer_max == 0 {
            MAX
        } else {
            setup.peer_max
        };
        let config = LinkConfig {
            a_to_b: QueueConfig::new(depth, MAX).with_mode(mode),
            b_to_a: QueueConfig::new(depth, peer_max).with_mode(mode),
            tx_trigger: setup.tx_trigger,
            rx_trigger: setup.rx_trigger,
        };
        let link = hyp
            .link(VmId(1), VmId(2), &config)
            .map_err(|_| CaseError::new("mock link"))?;
        let a = &link.a;
        let (tx_cap, rx_cap) = match setup.caps {
            Caps::Granted => (a.tx_cap(), a.rx_cap()),
            Caps::Swapped => (a.rx_cap(), a.tx_cap()),
            Caps::Invalid => (CapId(0xDEAD_0001), CapId(0xDEAD_0002)),
        };
        let tx = TxConfig {
            cap: tx_cap,
            ..a.tx_config()
        };
        // What the device tree would say: a peer whose hypervisor queue allows more than `MAX`
        // is a misconfiguration the queue cannot see, and the cases that set it up test that.
        let rx = RxConfig {
            cap: rx_cap,
            max_msg_size: MAX,
            ..a.rx_config()
        };
        let backend = B::wrap(a.guest());
        let queue = match setup.sides {
            Sides::Duplex => MsgQueue::try_duplex(backend, tx, rx),
            Sides::TxOnly => MsgQueue::try_tx_only(backend, tx),
            Sides::RxOnly => MsgQueue::try_rx_only(backend, rx),
        };
        let queue = Arc::new(queue.map_err(|_| CaseError::new("queue configuration"))?);
        let delivered = Arc::new(Mutex::new(VecDeque::new()));
        let handler_errors = Arc::new(Mutex::new(Vec::new()));
        let runs = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let irq_faults = Arc::new([IrqFaults::new(), IrqFaults::new()]);

        // The platform's handlers, as a board support package would write them. They hold the
        // queue weakly so that dropping the fixture ends them.
        let tx_handler: Arc<dyn Fn() + Send + Sync> = {
            let q = Arc::downgrade(&queue);
            let runs = Arc::clone(&runs);
            let faults = Arc::clone(&irq_faults);
            Arc::new(move || {
                faults[0].deliver(|| {
                    runs[0].fetch_add(1, Ordering::Relaxed);
                    if let Some(q) = q.upgrade() {
                        q.on_tx_interrupt();
                    }
                });
            })
        };
        let rx_handler: Arc<dyn Fn() + Send + Sync> = {
            let q = Arc::downgrade(&queue);
            let runs = Arc::clone(&runs);
            let faults = Arc::clone(&irq_faults);
            let log = Arc::clone(&delivered);
            let errors = Arc::clone(&handler_errors);
            Arc::new(move || {
                faults[1].deliver(|| {
                    runs[1].fetch_add(1, Ordering::Relaxed);
                    if let Some(q) = q.upgrade() {
                        // A handler cannot return its error: it keeps it for the case. RX
                        // stays pending, and the case's next poll resumes the drain.
                        if let Err(e) =
                            q.on_rx_interrupt(|m| log.lock().unwrap().push_back(m.to_vec()))
                        {
                            errors.lock().unwrap().push(e);
                        }
                    }
                });
            })
        };
        let h = Arc::clone(&tx_handler);
        a.tx_irq().set_handler(move || h());
        let h = Arc::clone(&rx_handler);
        a.rx_irq().set_handler(move || h());
        Ok(MockFixture {
            hyp,
            link,
            queue,
            delivered,
            handler_errors,
            handlers: [tx_handler, rx_handler],
            runs,
            irq_faults,
            mode: harness.mode,
        })
    }

    fn line(&self, line: Line) -> &MockIrq {
        match line {
            Line::Tx => self.link.a.tx_irq(),
            Line::Rx => self.link.a.rx_irq(),
        }
    }

    /// The peer's endpoint.
    pub fn link(&self) -> &Link {
        &self.link
    }
}

impl<B: Wrap, const MAX: usize> Drop for MockFixture<B, MAX> {
    fn drop(&mut self) {
        self.hyp.shutdown();
    }
}

impl<B: Wrap + Send + Sync + 'static, const MAX: usize> Fixture<MAX> for MockFixture<B, MAX> {
    type Hyp = B;
    type Irq = MockIrq;

    fn queue(&self) -> &MsgQueue<B, MockIrq, MAX> {
        &self.queue
    }

    fn mode(&self) -> ErrorMode {
        self.mode
    }

    fn start(&self) -> Result<DrainOutcome, Error> {
        let log = &self.delivered;
        self.queue
            .start(|m| log.lock().unwrap().push_back(m.to_vec()))
    }

    fn poll(&self) -> Result<DrainOutcome, Error> {
        let log = &self.delivered;
        self.queue
            .poll_rx(|m| log.lock().unwrap().push_back(m.to_vec()))
    }

    fn take_delivered(&self, sink: &mut dyn FnMut(&[u8])) -> usize {
        let taken: Vec<Vec<u8>> = self.delivered.lock().unwrap().drain(..).collect();
        for m in &taken {
            sink(m);
        }
        taken.len()
    }

    fn peer_send(&self, msg: &[u8], push: bool) -> Result<SendOutcome, Error> {
        match SendReply::try_from(self.link.b.send(msg, SendFlags::with_push(push)))? {
            SendReply::Accepted { not_full } => Ok(SendOutcome::Sent { not_full }),
            SendReply::Full => Ok(SendOutcome::WouldBlock),
        }
    }

    fn peer_recv(&self, buf: &mut [u8]) -> Result<RecvOutcome, Error> {
        let raw = self.link.b.receive(buf);
        match RecvReply::decode(raw, buf.len())? {
            RecvReply::Message { len, more } => Ok(RecvOutcome::Received { len, more }),
            RecvReply::Empty => Ok(RecvOutcome::Empty),
        }
    }

    fn fire(&self, line: Line) {
        (self.handlers[index(line)])();
    }

    fn line_enabled(&self, line: Line) -> bool {
        self.line(line).is_enabled()
    }

    fn edges(&self, line: Line) -> u64 {
        self.line(line).stats().raised
    }

    fn handler_runs(&self, line: Line) -> u64 {
        self.runs[index(line)].load(Ordering::Relaxed)
    }

    fn take_handler_errors(&self, sink: &mut dyn FnMut(Error)) -> usize {
        let taken: Vec<Error> = self.handler_errors.lock().unwrap().drain(..).collect();
        for &e in &taken {
            sink(e);
        }
        taken.len()
    }

    fn hypercalls(&self) -> u64 {
        self.queue.hypercall().calls()
    }

    fn settle(&self) -> bool {
        self.hyp.wait_idle(Duration::from_secs(10))
    }
}

impl<const MAX: usize> FaultFixture<MAX> for MockFixture<FaultHypercall<Guest>, MAX> {
    type Inner = Guest;

    fn irq_faults(&self, line: Line) -> &IrqFaults {
        &self.irq_faults[index(line)]
    }
}

/// The plain mock: the queue talks to the simulated hypervisor directly.
pub struct Plain(pub MockHarness);
/// The mock wrapped in the fault injector (with no script, it changes nothing).
pub struct Faulty(pub MockHarness);

impl<const MAX: usize> Harness<MAX> for Plain {
    type Fixture = MockFixture<Guest, MAX>;

    fn fixture(&mut self, setup: Setup) -> Result<Self::Fixture, CaseError> {
        MockFixture::new(&self.0, setup)
    }

    fn threaded(&self) -> bool {
        self.0.threaded
    }
}

impl<const MAX: usize> Harness<MAX> for Faulty {
    type Fixture = MockFixture<FaultHypercall<Guest>, MAX>;

    fn fixture(&mut self, setup: Setup) -> Result<Self::Fixture, CaseError> {
        MockFixture::new(&self.0, setup)
    }

    fn threaded(&self) -> bool {
        self.0.threaded
    }
}

/// The resource manager's message size: the suite's `MAX`.
pub const MAX: usize = 240;

/// Runs one case and turns its error into a test failure with the case's own message.
pub fn run<H>(case: fn(&mut H) -> gunyah_msgq_hal_tests::CaseResult, mut h: H) {
    if let Err(e) = case(&mut h) {
        panic!("{e}");
    }
}

/// Runs every case of [`cases::all`](gunyah_msgq_hal_tests::cases::all) that `h` can run,
/// printing one line per case, and fails with the list of failed cases.
pub fn run_all<H: Harness<MAX>>(label: &str, mut make: impl FnMut() -> H) {
    let mut failed = Vec::new();
    let mut passed = 0;
    for (name, case, needs_threads) in gunyah_msgq_hal_tests::cases::all::<H, MAX>() {
        let mut h = make();
        if needs_threads && !h.threaded() {
            println!("{label}: {name} ... skipped (needs threaded delivery)");
            continue;
        }
        match case(&mut h) {
            Ok(()) => {
                passed += 1;
                println!("{label}: {name} ... ok");
            }
            Err(e) => {
                println!("{label}: {name} ... FAILED: {e}");
                failed.push(format!("{name}: {e}"));
            }
        }
    }
    println!("{label}: {passed} passed, {} failed", failed.len());
    assert!(
        failed.is_empty(),
        "{label}: failed cases:\n{}",
        failed.join("\n")
    );
}
