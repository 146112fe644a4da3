//! What the model says it is: the Gunyah UUID and `hypervisor_identify`.

/// CALL_UID: `c1d58fcd-a453-5fdb-9265-ce36673d5f14`, 4 bytes per register, little-endian.
pub const UUID_REGS: [u64; 4] = [0xCD8F_D5C1, 0xDB5F_53A4, 0x36CE_6592, 0x145F_3D67];
/// api_info: API version 1, 64-bit, little-endian, variant 0x51 (what the real build answers).
pub const API_INFO: u64 = 0x5100_0000_0000_8001;
/// flags[0]: only the msgqueue bit (2): the model implements no doorbell, VIC or vCPU calls.
pub const FLAGS0: u64 = 1 << 2;
/// `hypervisor_identify`'s outputs: api_info, flags[0..2] (no error word).
pub const IDENTIFY: [u64; 4] = [API_INFO, FLAGS0, 0, 0];
