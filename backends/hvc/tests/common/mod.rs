//! Fake conduits for host tests: they log every input and answer from a closure.
#![allow(dead_code)]

use gunyah_msgq_hvc::{Conduit, Convention, HvcInput, Regs};
use std::cell::RefCell;
use std::vec::Vec;

/// The answer `hypervisor_identify` gave on the real hypervisor.
pub const API_INFO: u64 = 0x5100_0000_0000_8001;
/// The `flags[0]` it gave.
pub const FLAGS0: u64 = 0x1000_0EFF;
/// The standard Gunyah UUID as `CALL_UID` returns it.
pub const UID_STANDARD: [u64; 4] = [0xCD8F_D5C1, 0xDB5F_53A4, 0x36CE_6592, 0x145F_3D67];
/// Qualcomm's Gunyah UUID as `CALL_UID` returns it.
pub const UID_QUALCOMM: [u64; 4] = [0xBD54_BD19, 0x1B57_370B, 0x9B60_6F94, 0xE69D_5354];
/// SMCCC "unknown function" in every output register.
pub const UNKNOWN: Regs = [u64::MAX; 8];

type Answer = Box<dyn Fn(&HvcInput) -> Regs>;

/// A conduit of convention `Smccc` (`NATIVE = false`) or `Native` that logs its inputs.
pub struct Fake<const NATIVE: bool> {
    log: RefCell<Vec<HvcInput>>,
    answer: Answer,
}

pub type FakeSmccc = Fake<false>;
pub type FakeNative = Fake<true>;

impl<const NATIVE: bool> Fake<NATIVE> {
    pub fn new(answer: impl Fn(&HvcInput) -> Regs + 'static) -> Self {
        Fake {
            log: RefCell::new(Vec::new()),
            answer: Box::new(answer),
        }
    }

    /// Answers every call with `regs`.
    pub fn constant(regs: Regs) -> Self {
        Self::new(move |_| regs)
    }

    /// Every input so far.
    pub fn log(&self) -> Vec<HvcInput> {
        self.log.borrow().clone()
    }

    /// The immediates used so far.
    pub fn immediates(&self) -> Vec<u16> {
        self.log.borrow().iter().map(|i| i.imm).collect()
    }
}

impl<const NATIVE: bool> Conduit for Fake<NATIVE> {
    const CONVENTION: Convention = if NATIVE {
        Convention::Native
    } else {
        Convention::Smccc
    };

    unsafe fn call(&self, input: HvcInput) -> Regs {
        self.log.borrow_mut().push(input);
        (self.answer)(&input)
    }
}

/// Which call an input is, by convention: `Some(N)` for hypercall N, `Some(0xFFFF)` for
/// CALL_UID, `Some(0xFFFE)` for REVISION, `None` for anything else.
pub fn decode(input: &HvcInput, native: bool) -> Option<u16> {
    match (input.imm, input.regs[0]) {
        (0, 0x8600_FF01) => Some(0xFFFF),
        (0, 0x8600_FF03) => Some(0xFFFE),
        (0, fid) if !native && fid & !0x3FFF == 0xC600_8000 => Some((fid & 0x3FFF) as u16),
        (imm, _) if native && (0x6000..0x6200).contains(&imm) => Some(imm - 0x6000),
        _ => None,
    }
}

/// A hypervisor that answers like the real one did (spec §10): identify, UID, REVISION, every
/// other known call OK; native calls zero their non-output registers, SMCCC calls keep them.
pub fn gunyah<const NATIVE: bool>() -> Fake<NATIVE> {
    Fake::new(|input| {
        let mut out = if NATIVE { [0; 8] } else { input.regs };
        match decode(input, NATIVE) {
            Some(0xFFFF) => {
                return [
                    UID_STANDARD[0],
                    UID_STANDARD[1],
                    UID_STANDARD[2],
                    UID_STANDARD[3],
                    0,
                    0,
                    0,
                    0,
                ];
            }
            Some(0xFFFE) => out[0] = API_INFO,
            Some(0x00) => {
                out[..4].copy_from_slice(&[API_INFO, FLAGS0, 0, 0]);
            }
            Some(0x1B) => {
                out[0] = 0;
                out[1] = 1;
            }
            Some(_) => out[0] = 0,
            None => return UNKNOWN,
        }
        out
    })
}
