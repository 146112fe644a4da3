//! The core's `MsgQueue` over the raw calls of a fake conduit that really reads and writes
//! the buffers it is handed: the path `Smccc` and `Native` take on the target, minus the
//! `hvc`.

mod common;

use common::{Fake, decode};
use core::num::NonZeroU8;
use gunyah_msgq::{
    CapId, DrainOutcome, Hypercall, IrqLine, MsgQueue, RawOutput, RecvOutcome, RxConfig, SendFlags,
    SendOutcome, TxConfig,
};
use gunyah_msgq_hvc::{Conduit, raw};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::vec::Vec;

const TX: CapId = CapId(0);
const RX: CapId = CapId(1);
const DEPTH: usize = 2;

/// `Hypercall` over any conduit, as `Smccc`/`Native` implement it on the target.
struct Hvc<C>(C);

impl<C: Conduit> Hypercall for Hvc<C> {
    fn msgq_send(&self, cap: CapId, msg: &[u8], flags: SendFlags) -> RawOutput {
        raw::msgq_send(&self.0, cap, msg, flags)
    }
    fn msgq_receive(&self, cap: CapId, buf: &mut [u8]) -> RawOutput {
        raw::msgq_receive(&self.0, cap, buf)
    }
    fn msgq_flush(&self, cap: CapId) -> RawOutput {
        raw::msgq_flush(&self.0, cap)
    }
}

#[derive(Clone, Copy)]
struct NoIrq;

impl IrqLine for NoIrq {
    fn enable(&self) {}
    fn disable(&self) {}
}

/// A loopback hypervisor: what is sent on TX can be received on RX (depth 2, PUSH recorded).
/// The queued messages with the flags they were sent with.
type Queue = Rc<RefCell<VecDeque<(Vec<u8>, u64)>>>;

fn loopback<const NATIVE: bool>(queue: Queue) -> Fake<NATIVE> {
    Fake::new(move |input| {
        // Native inputs start at x0, SMCCC ones at x1.
        let a = if NATIVE {
            &input.regs[..]
        } else {
            &input.regs[1..]
        };
        let mut q = queue.borrow_mut();
        match decode(input, NATIVE) {
            Some(0x1B) if a[0] == TX.0 => {
                if q.len() == DEPTH {
                    return [61, 0, 0, 0, 0, 0, 0, 0];
                }
                let mut msg = vec![0u8; a[1] as usize];
                // SAFETY: `raw::msgq_send` passed the address and length of a live `&[u8]`.
                unsafe {
                    core::ptr::copy_nonoverlapping(a[2] as *const u8, msg.as_mut_ptr(), msg.len())
                };
                q.push_back((msg, a[3]));
                [0, u64::from(q.len() < DEPTH), 0, 0, 0, 0, 0, 0]
            }
            Some(0x1C) if a[0] == RX.0 => match q.pop_front() {
                None => [60, 0, 0, 0, 0, 0, 0, 0],
                Some((msg, _)) => {
                    assert!(msg.len() <= a[2] as usize);
                    // SAFETY: `raw::msgq_receive` passed the address and length of a live
                    // `&mut [u8]`, at least `msg.len()` long (checked above).
                    unsafe {
                        core::ptr::copy_nonoverlapping(msg.as_ptr(), a[1] as *mut u8, msg.len())
                    };
                    [0, msg.len() as u64, u64::from(!q.is_empty()), 0, 0, 0, 0, 0]
                }
            },
            _ => [53, 0, 0, 0, 0, 0, 0, 0],
        }
    })
}

fn round_trip<const NATIVE: bool>() {
    let queue = Queue::default();
    let link: MsgQueue<_, NoIrq, 240> = MsgQueue::duplex(
        Hvc(loopback::<NATIVE>(queue.clone())),
        TxConfig::new(TX, NoIrq),
        RxConfig::new(RX, NoIrq, NonZeroU8::new(DEPTH as u8).unwrap()),
    );
    assert_eq!(
        link.start(|_| panic!("nothing queued yet")),
        Ok(DrainOutcome::Done { delivered: 0 })
    );
    assert_eq!(
        link.try_send(b"ping", SendFlags::PUSH),
        Ok(SendOutcome::Sent { not_full: true })
    );
    assert_eq!(
        link.try_send(&[7u8; 240], SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: false })
    );
    assert_eq!(
        link.try_send(b"third", SendFlags::NONE),
        Ok(SendOutcome::WouldBlock)
    );
    assert_eq!(queue.borrow()[0].1, 1, "PUSH reached the flags register");
    assert_eq!(queue.borrow()[1].1, 0);

    let mut buf = [0u8; 240];
    assert_eq!(
        link.try_recv(&mut buf),
        Ok(RecvOutcome::Received { len: 4, more: true })
    );
    assert_eq!(&buf[..4], b"ping");
    let mut got = Vec::new();
    assert_eq!(
        link.poll_rx(|m| got.push(m.to_vec())),
        Ok(DrainOutcome::Done { delivered: 1 })
    );
    assert_eq!(got, [vec![7u8; 240]]);
    assert_eq!(link.try_recv(&mut buf), Ok(RecvOutcome::Empty));
    assert!(link.hypercall().0.log().len() >= 6);
}

#[test]
fn round_trip_smccc() {
    round_trip::<false>();
}

#[test]
fn round_trip_native() {
    round_trip::<true>();
}
