//! The hypercall ABI as pure register marshalling: no `asm!`, testable on any host.
//!
//! A [`Call`] names one hypercall with its arguments as plain integers;
//! [`Call::marshal`] turns it into an [`HvcInput`]: the `hvc` immediate and the values of
//! `x0`-`x7`, for one [`Convention`]. A [`Conduit`](crate::Conduit) executes an `HvcInput` and
//! returns `x0`-`x7` as [`Regs`].
//!
//! Rules applied here, for both conventions (spec §1):
//! - reserved-zero inputs are 0, reserved-one inputs are all-ones, unused inputs are 0;
//! - holdoff (configure calls) is -1, i.e. `u64::MAX`;
//! - capability ids are passed whole (64 bits);
//! - send flags come from [`SendFlags`], which can only express PUSH.
//!
//! The SMCCC service calls ([`Call::CallUid`], [`Call::Revision`]) are `hvc #0` calls with the
//! function id in `x0` whatever the convention: they are how a guest learns that it runs on
//! Gunyah at all.

use gunyah_msgq::{CapId, SendFlags};

/// `x0`-`x7` of a call: its inputs going in, its outputs coming back.
pub type Regs = [u64; 8];

/// The `hvc` immediate of every SMCCC call.
pub const SMCCC_IMM: u16 = 0;

/// The first native hypercall immediate: a native call `N` is `hvc #(0x6000 + N)`.
pub const NATIVE_IMM_BASE: u16 = 0x6000;

/// The SMCCC function id of the Gunyah hypercall `N` (fast call, SMC64, owner 6 = vendor
/// hypervisor, hypercall class): `0xC600_8000 | N`.
pub const SMCCC_HYPERCALL_BASE: u32 = 0xC600_8000;

/// SMCCC vendor-hypervisor service call `CALL_UID` (SMC32): `x0`-`x3` carry a UUID.
pub const SMCCC_CALL_UID: u32 = 0x8600_FF01;

/// SMCCC vendor-hypervisor service call `REVISION` (SMC32): Gunyah answers its `api_info`.
pub const SMCCC_REVISION: u32 = 0x8600_FF03;

/// Hypercall numbers (`N`) of the calls this crate makes.
pub mod number {
    /// `hypervisor_identify`.
    pub const HYPERVISOR_IDENTIFY: u16 = 0x00;
    /// `msgq_bind_send_virq`.
    pub const MSGQ_BIND_SEND_VIRQ: u16 = 0x17;
    /// `msgq_bind_receive_virq`.
    pub const MSGQ_BIND_RECEIVE_VIRQ: u16 = 0x18;
    /// `msgq_unbind_send_virq`.
    pub const MSGQ_UNBIND_SEND_VIRQ: u16 = 0x19;
    /// `msgq_unbind_receive_virq`.
    pub const MSGQ_UNBIND_RECEIVE_VIRQ: u16 = 0x1A;
    /// `msgq_send`.
    pub const MSGQ_SEND: u16 = 0x1B;
    /// `msgq_receive`.
    pub const MSGQ_RECEIVE: u16 = 0x1C;
    /// `msgq_flush`.
    pub const MSGQ_FLUSH: u16 = 0x1D;
    /// `msgq_configure_send`.
    pub const MSGQ_CONFIGURE_SEND: u16 = 0x1F;
    /// `msgq_configure_receive`.
    pub const MSGQ_CONFIGURE_RECEIVE: u16 = 0x20;
}

/// Reserved-one input value.
const RES1: u64 = u64::MAX;
/// The only holdoff value the hypervisor accepts (-1).
const HOLDOFF_NONE: u64 = u64::MAX;

/// How Gunyah hypercalls are made (spec §1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Convention {
    /// `hvc #0` with `x0 = 0xC600_8000 | N`; inputs from `x1`. Upstream Linux (v2+); public
    /// hypervisor since 2023-06.
    #[default]
    Smccc,
    /// `hvc #(0x6000 + N)`; inputs from `x0`; reserved inputs are checked. Qualcomm's downstream
    /// drivers and the resource manager; every hypervisor version.
    Native,
}

/// A vIRQ as `msgq_bind_*_virq` takes it: bits 23:0 the vIRQ number, bits 31:24 the target
/// vCPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Virq(u32);

impl Virq {
    /// The largest vIRQ number (24 bits).
    pub const MAX_NUMBER: u32 = 0x00FF_FFFF;

    /// vIRQ `number` on vCPU 0, or `None` if `number` does not fit in 24 bits.
    #[must_use]
    pub const fn new(number: u32) -> Option<Virq> {
        if number > Self::MAX_NUMBER {
            None
        } else {
            Some(Virq(number))
        }
    }

    /// The same vIRQ number on vCPU `vcpu`.
    #[must_use]
    pub const fn with_vcpu(self, vcpu: u8) -> Virq {
        // Disjoint bits: `+` is `|`, but no mutation of it gives the same value.
        Virq((self.0 & Self::MAX_NUMBER) + ((vcpu as u32) << 24))
    }

    /// The vIRQ number (bits 23:0).
    #[must_use]
    pub const fn number(self) -> u32 {
        self.0 & Self::MAX_NUMBER
    }

    /// The target vCPU (bits 31:24).
    #[must_use]
    pub const fn vcpu(self) -> u8 {
        (self.0 >> 24) as u8
    }

    /// The register value.
    #[must_use]
    pub const fn raw(self) -> u32 {
        self.0
    }
}

/// The not-full threshold of `msgq_configure_send`: the TX vIRQ fires when a receive leaves
/// exactly this many messages queued (default at activation: depth - 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotFullThreshold {
    /// Keep the current threshold (-1).
    Unchanged,
    /// A message count; the hypervisor accepts `0..depth`, else ARGUMENT_INVALID.
    Count(u8),
}

impl NotFullThreshold {
    /// The register value: -1 (all-ones) for `Unchanged`, else the count.
    #[must_use]
    pub const fn raw(self) -> u64 {
        match self {
            NotFullThreshold::Unchanged => u64::MAX,
            NotFullThreshold::Count(n) => n as u64,
        }
    }
}

/// The not-empty threshold of `msgq_configure_receive`: the RX vIRQ fires when a send makes
/// exactly this many messages queued (default at activation: 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotEmptyThreshold {
    /// Keep the current threshold (-1).
    Unchanged,
    /// The queue depth (-2). Unlike an explicit value, it does not re-evaluate the vIRQ.
    Depth,
    /// A message count; the hypervisor accepts `1..=depth`, else ARGUMENT_INVALID.
    Count(u8),
}

impl NotEmptyThreshold {
    /// The register value: -1 for `Unchanged`, -2 for `Depth` (sign-extended), else the count.
    #[must_use]
    pub const fn raw(self) -> u64 {
        match self {
            NotEmptyThreshold::Unchanged => u64::MAX,
            NotEmptyThreshold::Depth => u64::MAX - 1,
            NotEmptyThreshold::Count(n) => n as u64,
        }
    }
}

/// One hypercall with its arguments, as plain values.
///
/// Buffer-carrying calls hold the buffer's address and size as integers: building a `Call` is
/// always safe, executing one is not (see [`Conduit::call`](crate::Conduit::call)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    /// `hypervisor_identify` (0x00): no inputs; outputs `api_info`, `flags[0..3]`.
    HypervisorIdentify,
    /// `msgq_bind_send_virq` (0x17): the TX vIRQ of `cap`.
    MsgqBindSendVirq {
        /// The message queue (needs BIND_SEND).
        cap: CapId,
        /// The virtual interrupt controller (needs BIND_SOURCE).
        vic: CapId,
        /// The vIRQ.
        virq: Virq,
    },
    /// `msgq_bind_receive_virq` (0x18): the RX vIRQ of `cap`.
    MsgqBindReceiveVirq {
        /// The message queue (needs BIND_RECEIVE).
        cap: CapId,
        /// The virtual interrupt controller (needs BIND_SOURCE).
        vic: CapId,
        /// The vIRQ.
        virq: Virq,
    },
    /// `msgq_unbind_send_virq` (0x19).
    MsgqUnbindSendVirq {
        /// The message queue.
        cap: CapId,
    },
    /// `msgq_unbind_receive_virq` (0x1A).
    MsgqUnbindReceiveVirq {
        /// The message queue.
        cap: CapId,
    },
    /// `msgq_send` (0x1B): the hypervisor reads `size` bytes at `buf`.
    MsgqSend {
        /// The TX queue (needs SEND).
        cap: CapId,
        /// The message size in bytes.
        size: u64,
        /// The message's address (an EL1 virtual address).
        buf: u64,
        /// PUSH or nothing.
        flags: SendFlags,
    },
    /// `msgq_receive` (0x1C): the hypervisor writes up to `size` bytes at `buf`.
    MsgqReceive {
        /// The RX queue (needs RECEIVE).
        cap: CapId,
        /// The buffer's address (an EL1 virtual address).
        buf: u64,
        /// The buffer's size in bytes.
        size: u64,
    },
    /// `msgq_flush` (0x1D).
    MsgqFlush {
        /// The queue (needs RECEIVE).
        cap: CapId,
    },
    /// `msgq_configure_send` (0x1F).
    MsgqConfigureSend {
        /// The TX queue (needs SEND; configure also needs OBJECT_ACTIVATE).
        cap: CapId,
        /// The not-full threshold.
        not_full: NotFullThreshold,
    },
    /// `msgq_configure_receive` (0x20).
    MsgqConfigureReceive {
        /// The RX queue (needs RECEIVE; configure also needs OBJECT_ACTIVATE).
        cap: CapId,
        /// The not-empty threshold.
        not_empty: NotEmptyThreshold,
    },
    /// SMCCC `CALL_UID` (`0x8600_FF01`), always `hvc #0`.
    CallUid,
    /// SMCCC `REVISION` (`0x8600_FF03`), always `hvc #0`.
    Revision,
}

/// What one `hvc` needs: its immediate and the input registers `x0`-`x7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HvcInput {
    /// The `hvc` immediate: 0 for SMCCC, `0x6000 + N` for a native call.
    pub imm: u16,
    /// `x0`-`x7`.
    pub regs: Regs,
}

impl Call {
    /// The Gunyah hypercall number `N`, or `None` for an SMCCC service call.
    #[must_use]
    #[inline(always)]
    pub const fn number(self) -> Option<u16> {
        use number::*;
        Some(match self {
            Call::HypervisorIdentify => HYPERVISOR_IDENTIFY,
            Call::MsgqBindSendVirq { .. } => MSGQ_BIND_SEND_VIRQ,
            Call::MsgqBindReceiveVirq { .. } => MSGQ_BIND_RECEIVE_VIRQ,
            Call::MsgqUnbindSendVirq { .. } => MSGQ_UNBIND_SEND_VIRQ,
            Call::MsgqUnbindReceiveVirq { .. } => MSGQ_UNBIND_RECEIVE_VIRQ,
            Call::MsgqSend { .. } => MSGQ_SEND,
            Call::MsgqReceive { .. } => MSGQ_RECEIVE,
            Call::MsgqFlush { .. } => MSGQ_FLUSH,
            Call::MsgqConfigureSend { .. } => MSGQ_CONFIGURE_SEND,
            Call::MsgqConfigureReceive { .. } => MSGQ_CONFIGURE_RECEIVE,
            Call::CallUid | Call::Revision => return None,
        })
    }

    /// The SMCCC function id: `0xC600_8000 | N` for a hypercall, the service call's own id
    /// otherwise.
    #[must_use]
    #[inline(always)]
    pub const fn function_id(self) -> u32 {
        match self.number() {
            // N < 0x4000 fits below the base's bits: `+` is `|` here.
            Some(n) => SMCCC_HYPERCALL_BASE + n as u32,
            None => match self {
                Call::Revision => SMCCC_REVISION,
                _ => SMCCC_CALL_UID,
            },
        }
    }

    /// Whether the hypervisor reads or writes memory at an address this call carries.
    #[must_use]
    pub const fn accesses_memory(self) -> bool {
        matches!(self, Call::MsgqSend { .. } | Call::MsgqReceive { .. })
    }

    /// The inputs in native order (input *i* is element *i*); unused ones are 0.
    #[must_use]
    #[inline(always)]
    pub const fn arguments(self) -> [u64; 7] {
        match self {
            Call::HypervisorIdentify | Call::CallUid | Call::Revision => [0; 7],
            Call::MsgqBindSendVirq { cap, vic, virq }
            | Call::MsgqBindReceiveVirq { cap, vic, virq } => {
                // cap, vic, virq, res0
                [cap.raw(), vic.raw(), virq.raw() as u64, 0, 0, 0, 0]
            }
            Call::MsgqUnbindSendVirq { cap }
            | Call::MsgqUnbindReceiveVirq { cap }
            | Call::MsgqFlush { cap } => {
                // cap, res0
                [cap.raw(), 0, 0, 0, 0, 0, 0]
            }
            Call::MsgqSend {
                cap,
                size,
                buf,
                flags,
            } => {
                // cap, size, buffer, flags, res0
                [cap.raw(), size, buf, flags.bits() as u64, 0, 0, 0]
            }
            Call::MsgqReceive { cap, buf, size } => {
                // cap, buffer, size, res0
                [cap.raw(), buf, size, 0, 0, 0, 0]
            }
            Call::MsgqConfigureSend { cap, not_full } => {
                // cap, threshold, holdoff, res1
                [cap.raw(), not_full.raw(), HOLDOFF_NONE, RES1, 0, 0, 0]
            }
            Call::MsgqConfigureReceive { cap, not_empty } => {
                [cap.raw(), not_empty.raw(), HOLDOFF_NONE, RES1, 0, 0, 0]
            }
        }
    }

    /// The `hvc` immediate and `x0`-`x7` for this call in `convention`.
    ///
    /// SMCCC: `hvc #0`, `x0` = [`function_id`](Call::function_id), the inputs from `x1`.
    /// Native: `hvc #(0x6000 + N)`, the inputs from `x0`. Service calls are SMCCC in both.
    #[must_use]
    #[inline(always)]
    pub const fn marshal(self, convention: Convention) -> HvcInput {
        let args = self.arguments();
        match (convention, self.number()) {
            (Convention::Native, Some(n)) => HvcInput {
                imm: NATIVE_IMM_BASE + n,
                regs: [
                    args[0], args[1], args[2], args[3], args[4], args[5], args[6], 0,
                ],
            },
            _ => HvcInput {
                imm: SMCCC_IMM,
                regs: [
                    self.function_id() as u64,
                    args[0],
                    args[1],
                    args[2],
                    args[3],
                    args[4],
                    args[5],
                    args[6],
                ],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virq_fields() {
        assert_eq!(Virq::new(0x00FF_FFFF).map(Virq::raw), Some(0x00FF_FFFF));
        assert_eq!(Virq::new(0x0100_0000), None);
        let v = Virq::new(0x3C1).unwrap().with_vcpu(2);
        assert_eq!(v.raw(), 0x0200_03C1);
        assert_eq!(v.number(), 0x3C1);
        assert_eq!(v.vcpu(), 2);
        assert_eq!(v.with_vcpu(0xFF).raw(), 0xFF00_03C1);
        assert_eq!(Virq::default().raw(), 0);
    }

    #[test]
    fn thresholds() {
        assert_eq!(NotFullThreshold::Unchanged.raw(), u64::MAX);
        assert_eq!(NotFullThreshold::Count(7).raw(), 7);
        assert_eq!(NotEmptyThreshold::Unchanged.raw(), u64::MAX);
        assert_eq!(NotEmptyThreshold::Depth.raw(), 0xFFFF_FFFF_FFFF_FFFE);
        assert_eq!(NotEmptyThreshold::Count(255).raw(), 255);
    }
}
