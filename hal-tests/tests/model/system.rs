//! The system under test: the core's queue on the simulated hypervisor, wrapped in the fault
//! backend, with the fault scripts the operations install.

use gunyah_msgq::{DrainOutcome, Error, RecvOutcome, SendFlags, SendOutcome};
use gunyah_msgq_fault::{
    Action, FaultHypercall, Hostile, IrqFault, Script, ScriptId, Target, When,
};
use gunyah_msgq_hal_tests::cases::faults::FaultFixture;
use gunyah_msgq_hal_tests::message::{MIN_STAMPED_LEN, stamp};
use gunyah_msgq_hal_tests::{ErrorMode, Fixture, Harness, Line, Setup};
use gunyah_msgq_mock::Guest;

use crate::common::{Faulty, MAX, MockFixture, MockHarness};
use crate::ops::{Call, EdgeFault, Fault, PEER_MAX};

/// Message `seq` of `len` bytes. Distinct for every `seq < 256` of one length, so a case's
/// messages (fewer than 256 each way) can be told apart however short they are.
pub fn message(seq: u32, len: usize) -> Vec<u8> {
    if len >= MIN_STAMPED_LEN {
        let mut buf = vec![0u8; len];
        stamp(seq, len, &mut buf).to_vec()
    } else {
        seq.to_le_bytes()[..len].to_vec()
    }
}

pub type Queue = MockFixture<FaultHypercall<Guest>, MAX>;

/// The fixture and the ids of the scripts it runs (one per call kind and line at most, so a
/// new fault replaces the one not yet fired).
pub struct System {
    pub f: Queue,
    calls: [Option<ScriptId>; 3],
    edges: [Option<ScriptId>; 2],
}

fn target(call: Call) -> Target {
    match call {
        Call::Send => Target::Send,
        Call::Receive => Target::Receive,
        Call::Flush => Target::Flush,
    }
}

impl System {
    pub fn new(depth: u8, mode: ErrorMode, threaded: bool) -> System {
        let mut harness = Faulty(MockHarness { mode, threaded });
        let f = Harness::<MAX>::fixture(
            &mut harness,
            Setup {
                depth,
                peer_max: PEER_MAX,
                ..Setup::DEFAULT
            },
        )
        .expect("the mock builds every setup of the model test");
        System {
            f,
            calls: [None; 3],
            edges: [None; 2],
        }
    }

    pub fn inject(&mut self, call: Call, fault: Fault) {
        let action = match fault {
            Fault::Fail(e) => Action::Fail(e),
            Fault::Oversized { excess } => Action::Hostile(Hostile::OversizedReceive { excess }),
            Fault::Stuck => Action::Hostile(Hostile::StuckReceive),
            Fault::LieNotFull => Action::Hostile(Hostile::LieNotFull),
            Fault::LieNotEmpty => Action::Hostile(Hostile::LieNotEmpty),
            Fault::Junk => Action::Hostile(Hostile::Junk),
        };
        let faults = self.f.faults();
        let slot = &mut self.calls[call as usize];
        if let Some(old) = slot.take() {
            faults.remove(old);
        }
        let script = Script::new(target(call), When::Call(1), action);
        *slot = Some(faults.add(script).expect("three slots at most"));
    }

    pub fn edge_fault(&mut self, line: Line, fault: EdgeFault) {
        let faults = self.f.irq_faults(line);
        let slot = &mut self.edges[line as usize];
        if let Some(old) = slot.take() {
            faults.remove(old);
        }
        let fault = match fault {
            EdgeFault::Drop => IrqFault::Drop,
            EdgeFault::Duplicate => IrqFault::Duplicate,
        };
        *slot = Some(
            faults
                .add(When::Call(1), fault, None)
                .expect("one slot at most"),
        );
    }

    /// Removes every fault not yet fired (the end of a case drains with none left).
    pub fn clear_faults(&mut self) {
        self.f.faults().clear();
        self.f.irq_faults(Line::Tx).clear();
        self.f.irq_faults(Line::Rx).clear();
    }

    pub fn send(&self, msg: &[u8], push: bool) -> Result<SendOutcome, Error> {
        self.f.queue().try_send(msg, SendFlags::with_push(push))
    }

    pub fn peer_send(&self, msg: &[u8], push: bool) -> SendOutcome {
        self.f
            .peer_send(msg, push)
            .expect("the peer's own sends never fail")
    }

    pub fn peer_recv(&self) -> Option<(Vec<u8>, bool)> {
        let mut buf = [0u8; MAX];
        match self.f.peer_recv(&mut buf) {
            Ok(RecvOutcome::Received { len, more }) => Some((buf[..len].to_vec(), more)),
            Ok(RecvOutcome::Empty) => None,
            Err(e) => panic!("the peer's receive failed: {e:?}"),
        }
    }

    pub fn try_recv(&self) -> Result<(RecvOutcome, Vec<u8>), Error> {
        let mut buf = [0u8; MAX];
        let r = self.f.queue().try_recv(&mut buf)?;
        let msg = match r {
            RecvOutcome::Received { len, .. } => buf[..len].to_vec(),
            RecvOutcome::Empty => Vec::new(),
        };
        Ok((r, msg))
    }

    pub fn poll(&self) -> Result<DrainOutcome, Error> {
        self.f.poll()
    }

    pub fn take_delivered(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        self.f.take_delivered(&mut |m| out.push(m.to_vec()));
        out
    }
}
