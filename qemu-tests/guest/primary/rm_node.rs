//! The resource manager's link as the device tree describes it (spec §5): the node
//! `/hypervisor/qcom,resource-manager-rpc@…`, or any node compatible with
//! "gunyah-resource-manager".
//!
//! - `reg` = TX capability, RX capability (one address each, in the parent's
//!   `#address-cells`; the parent's `#size-cells` is 0 under `/hypervisor`);
//! - `interrupts` = TX, then RX, each a GIC specifier `<0 spi flags>` (SPI; INTID = spi + 32;
//!   flags 1 = edge rising, 4 = level high);
//! - `qcom,tx-message-size`, `qcom,rx-message-size` (default 240), `qcom,tx-queue-depth`,
//!   `qcom,rx-queue-depth` (default 8), each one u32 cell.
//!
//! Anything missing or malformed is a [`NodeError`].

use core::num::NonZeroU8;

use gunyah_msgq::{CapId, MAX_MSG_SIZE, RM_MSG_SIZE, Trigger};

use super::fdt::{Fdt, FdtError, Node};

/// The compatible string that names an RM node.
pub const COMPATIBLE: &str = "gunyah-resource-manager";
/// The node name the real resource manager uses (with a unit address after it).
pub const NODE_NAME_PREFIX: &str = "qcom,resource-manager-rpc@";
/// The depth the RM puts it at if `/hypervisor` is its parent.
const NODE_DEPTH: usize = 2;
/// Depth when absent.
const DEFAULT_DEPTH: u8 = 8;
/// The GIC's `#interrupt-cells`.
const INTERRUPT_CELLS: usize = 3;
/// The largest INTID an SPI can have (1020-1023 are special).
const MAX_SPI_INTID: u32 = 1019;

/// One direction of the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side {
    /// Its capability.
    pub cap: CapId,
    /// Its vIRQ's INTID.
    pub intid: u32,
    /// How its vIRQ is triggered.
    pub trigger: Trigger,
    /// The queue's maximum message size.
    pub msg_size: usize,
    /// The queue's depth.
    pub depth: NonZeroU8,
}

/// The link: the queue this VM sends into and the one it receives from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RmLink {
    /// Sending.
    pub tx: Side,
    /// Receiving.
    pub rx: Side,
}

/// Why the tree names no usable link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeError {
    /// The tree itself is unreadable.
    Tree(FdtError),
    /// No RM node.
    NoNode,
    /// A required property is absent.
    Missing(&'static str),
    /// A property's length is not what its format needs.
    BadLength {
        /// The property.
        property: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// The parent's `#address-cells` / `#size-cells` cannot describe a capability.
    BadCells {
        /// `#address-cells`.
        address: u32,
        /// `#size-cells`.
        size: u32,
    },
    /// An interrupt is not a GIC SPI (its first cell).
    NotSpi(u32),
    /// An SPI whose INTID would be past 1019.
    BadSpi(u32),
    /// An interrupt's flags cell is neither edge rising (1) nor level high (4).
    BadTrigger(u32),
    /// A message size of 0 or above 1023.
    BadMessageSize {
        /// The property.
        property: &'static str,
        /// Its value.
        value: u32,
    },
    /// A depth of 0 or above 255.
    BadDepth {
        /// The property.
        property: &'static str,
        /// Its value.
        value: u32,
    },
}

impl From<FdtError> for NodeError {
    fn from(e: FdtError) -> Self {
        NodeError::Tree(e)
    }
}

/// Whether `node` is the RM's (by name under `/hypervisor`, or by compatible).
pub fn is_rm_node(node: &Node<'_>) -> Result<bool, FdtError> {
    let by_name = node.depth == NODE_DEPTH
        && node.parent == "hypervisor"
        && node.name.starts_with(NODE_NAME_PREFIX);
    Ok(by_name || node.is_compatible(COMPATIBLE)?)
}

/// Reads the link from `fdt`.
///
/// # Errors
/// See [`NodeError`].
pub fn read(fdt: &Fdt<'_>) -> Result<RmLink, NodeError> {
    let node = fdt.find(is_rm_node)?.ok_or(NodeError::NoNode)?;
    let (tx_cap, rx_cap) = caps(&node)?;
    let (tx_irq, rx_irq) = interrupts(&node)?;
    let side = |cap, (intid, trigger), size: &'static str, depth: &'static str| {
        Ok::<Side, NodeError>(Side {
            cap,
            intid,
            trigger,
            msg_size: msg_size(&node, size)?,
            depth: queue_depth(&node, depth)?,
        })
    };
    Ok(RmLink {
        tx: side(
            tx_cap,
            tx_irq,
            "qcom,tx-message-size",
            "qcom,tx-queue-depth",
        )?,
        rx: side(
            rx_cap,
            rx_irq,
            "qcom,rx-message-size",
            "qcom,rx-queue-depth",
        )?,
    })
}

/// The node that names this VM (the real RM writes `/hypervisor/qcom,gunyah-vm`).
const VM_NODE_NAME: &str = "qcom,gunyah-vm";

/// This VM's id as the tree gives it: `qcom,vmid` (one cell) of the `qcom,gunyah-vm` node;
/// `None` if the tree has no such node (or the node no such property).
///
/// # Errors
/// An unreadable tree, or a `qcom,vmid` that is not one cell.
pub fn vm_id(fdt: &Fdt<'_>) -> Result<Option<u32>, NodeError> {
    let is_vm_node = |n: &Node<'_>| {
        let base = n.name.split('@').next().unwrap_or(n.name);
        Ok(base == VM_NODE_NAME)
    };
    let Some(node) = fdt.find(is_vm_node)? else {
        return Ok(None);
    };
    match node.prop("qcom,vmid")? {
        None => Ok(None),
        Some(v) if v.len() == 4 => Ok(Some(cell(v, 0))),
        Some(v) => Err(NodeError::BadLength {
            property: "qcom,vmid",
            len: v.len(),
        }),
    }
}

fn required<'a>(node: &Node<'a>, property: &'static str) -> Result<&'a [u8], NodeError> {
    node.prop(property)?.ok_or(NodeError::Missing(property))
}

/// Big-endian cells of a property whose length was checked.
fn cell(value: &[u8], i: usize) -> u32 {
    let b = &value[4 * i..4 * i + 4];
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// `reg`: two entries, the TX then the RX capability.
fn caps(node: &Node<'_>) -> Result<(CapId, CapId), NodeError> {
    let (address, size) = (node.address_cells, node.size_cells);
    if !(1..=2).contains(&address) || size > 2 {
        return Err(NodeError::BadCells { address, size });
    }
    let reg = required(node, "reg")?;
    let entry = (address + size) as usize;
    if reg.len() != 2 * 4 * entry {
        return Err(NodeError::BadLength {
            property: "reg",
            len: reg.len(),
        });
    }
    let cap = |i: usize| {
        let first = i * entry;
        let hi = if address == 2 { cell(reg, first) } else { 0 };
        let lo = cell(reg, first + address as usize - 1);
        CapId(u64::from(hi) << 32 | u64::from(lo))
    };
    Ok((cap(0), cap(1)))
}

/// An interrupt specifier decoded: INTID and trigger.
type Irq = (u32, Trigger);

/// `interrupts`: two GIC specifiers, TX then RX.
fn interrupts(node: &Node<'_>) -> Result<(Irq, Irq), NodeError> {
    let irqs = required(node, "interrupts")?;
    if irqs.len() != 2 * 4 * INTERRUPT_CELLS {
        return Err(NodeError::BadLength {
            property: "interrupts",
            len: irqs.len(),
        });
    }
    let one = |i: usize| {
        let (kind, spi, flags) = (
            cell(irqs, 3 * i),
            cell(irqs, 3 * i + 1),
            cell(irqs, 3 * i + 2),
        );
        if kind != 0 {
            return Err(NodeError::NotSpi(kind));
        }
        let intid = spi
            .checked_add(32)
            .filter(|&id| id <= MAX_SPI_INTID)
            .ok_or(NodeError::BadSpi(spi))?;
        let trigger = match flags {
            1 => Trigger::Edge,
            4 => Trigger::Level,
            other => return Err(NodeError::BadTrigger(other)),
        };
        Ok((intid, trigger))
    };
    Ok((one(0)?, one(1)?))
}

/// A one-cell property, if present.
fn u32_prop(node: &Node<'_>, property: &'static str) -> Result<Option<u32>, NodeError> {
    match node.prop(property)? {
        None => Ok(None),
        Some(v) if v.len() == 4 => Ok(Some(cell(v, 0))),
        Some(v) => Err(NodeError::BadLength {
            property,
            len: v.len(),
        }),
    }
}

fn msg_size(node: &Node<'_>, property: &'static str) -> Result<usize, NodeError> {
    match u32_prop(node, property)? {
        None => Ok(RM_MSG_SIZE),
        Some(value) if (1..=MAX_MSG_SIZE as u32).contains(&value) => Ok(value as usize),
        Some(value) => Err(NodeError::BadMessageSize { property, value }),
    }
}

fn queue_depth(node: &Node<'_>, property: &'static str) -> Result<NonZeroU8, NodeError> {
    let value = u32_prop(node, property)?.unwrap_or(u32::from(DEFAULT_DEPTH));
    u8::try_from(value)
        .ok()
        .and_then(NonZeroU8::new)
        .ok_or(NodeError::BadDepth { property, value })
}
