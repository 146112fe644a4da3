//! The msgq hypercalls in both forms, raw: each returns x0-x7 as the hypervisor left them.

use crate::hvc;

/// SMCCC function id of hypercall `n` (fast, SMC64, vendor hyp, hypercall class).
#[must_use]
pub const fn smccc_id(n: u16) -> u64 {
    0xC600_8000 | n as u64
}

/// msgq_send, SMCCC form.
pub fn send_smccc(cap: u64, msg: &[u8], flags: u64) -> [u64; 8] {
    hvc::smccc([
        smccc_id(0x1B),
        cap,
        msg.len() as u64,
        msg.as_ptr() as u64,
        flags,
        0,
        0,
        0,
    ])
}

/// msgq_send, native form (`res0` = x4, which must be 0).
pub fn send_native(cap: u64, msg: &[u8], flags: u64, res0: u64) -> [u64; 8] {
    hvc::native::<0x601B>([
        cap,
        msg.len() as u64,
        msg.as_ptr() as u64,
        flags,
        res0,
        0,
        0,
        0,
    ])
}

/// msgq_send, native form, of `size` bytes at a raw address.
pub fn send_raw(cap: u64, addr: u64, size: u64) -> [u64; 8] {
    hvc::native::<0x601B>([cap, size, addr, 0, 0, 0, 0, 0])
}

/// msgq_receive, SMCCC form.
pub fn recv_smccc(cap: u64, buf: &mut [u8]) -> [u64; 8] {
    let (p, n) = (buf.as_mut_ptr() as u64, buf.len() as u64);
    hvc::smccc([smccc_id(0x1C), cap, p, n, 0, 0, 0, 0])
}

/// msgq_receive, native form (`res0` = x3, which must be 0).
pub fn recv_native(cap: u64, buf: &mut [u8], res0: u64) -> [u64; 8] {
    let (p, n) = (buf.as_mut_ptr() as u64, buf.len() as u64);
    hvc::native::<0x601C>([cap, p, n, res0, 0, 0, 0, 0])
}

/// msgq_configure_send, native form (res1 = all-ones).
pub fn configure_send(cap: u64, threshold: u64, holdoff: u64) -> [u64; 8] {
    hvc::native::<0x601F>([cap, threshold, holdoff, u64::MAX, 0, 0, 0, 0])
}

/// hypervisor_identify, native form.
pub fn identify_native() -> [u64; 8] {
    hvc::native::<0x6000>([0; 8])
}

/// hypervisor_identify, SMCCC form.
pub fn identify_smccc() -> [u64; 8] {
    hvc::smccc([smccc_id(0), 0, 0, 0, 0, 0, 0, 0])
}
