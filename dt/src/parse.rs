//! One node's properties decoded into queue descriptions (spec §5 and the real resource
//! manager's tree).

use core::num::NonZeroU8;

use dtoolkit::fdt::{FdtNode, FdtProperty};
use dtoolkit::{Node, Property};
use gunyah_msgq::{CapId, Direction, MAX_MSG_SIZE, RM_MSG_SIZE, Trigger};

use crate::walk::{CellCount, Cells};
use crate::{DtError, LinkDesc, QueueDesc, RmLink};

/// The compatible string of the resource manager's node (the only one its binding requires).
pub const RM_COMPATIBLE: &str = "gunyah-resource-manager";
/// The compatible string of other message-queue nodes.
pub const MSGQ_COMPATIBLE: &str = "qcom,gunyah-message-queue";

/// A queue's depth when the tree does not give it (the resource manager's link: 8).
const DEFAULT_DEPTH: u8 = 8;
/// Cells of one GIC interrupt specifier: type, number, flags.
const INTERRUPT_CELLS: usize = 3;
/// The specifier's type cell of an SPI.
const GIC_SPI: u32 = 0;
/// INTID of SPI 0.
const SPI_BASE: u32 = 32;
/// The last SPI's INTID (1020..=1023 are special).
const MAX_SPI_INTID: u32 = 1019;
/// Flags cell: `IRQ_TYPE_EDGE_RISING`.
const EDGE_RISING: u32 = 1;
/// Flags cell: `IRQ_TYPE_LEVEL_HIGH`.
const LEVEL_HIGH: u32 = 4;

/// The properties of one direction.
struct Names {
    direction: Direction,
    message_size: &'static str,
    queue_depth: &'static str,
}

const TX: Names = Names {
    direction: Direction::Tx,
    message_size: "qcom,tx-message-size",
    queue_depth: "qcom,tx-queue-depth",
};

const RX: Names = Names {
    direction: Direction::Rx,
    message_size: "qcom,rx-message-size",
    queue_depth: "qcom,rx-queue-depth",
};

/// Whether `node`'s `compatible` list holds `compatible`.
pub(crate) fn is_compatible(node: &FdtNode<'_>, compatible: &str) -> bool {
    node.property("compatible").is_some_and(|p| {
        p.value()
            .split(|&b| b == 0)
            .any(|s| s == compatible.as_bytes())
    })
}

/// The resource manager's node: always a pair, TX then RX.
pub(crate) fn rm_link(node: &FdtNode<'_>, cells: Cells) -> Result<RmLink, DtError> {
    let caps = caps(node, cells, 2)?;
    let irqs = interrupts(node, &[&TX, &RX])?;
    Ok(RmLink::new(
        queue(node, &TX, caps[0], irqs[0])?,
        queue(node, &RX, caps[1], irqs[1])?,
    )?)
}

/// A labelled message-queue node's label.
pub(crate) fn label(node: &FdtNode<'_>) -> Result<u32, DtError> {
    u32_prop(node, "qcom,label")?.ok_or(DtError::Missing {
        property: "qcom,label",
    })
}

/// A labelled message-queue node: its flags say which queues it has, and `reg` and
/// `interrupts` hold the TX queue's entry first (if it has one), then the RX queue's.
pub(crate) fn link(node: &FdtNode<'_>, cells: Cells) -> Result<LinkDesc, DtError> {
    let label = label(node)?;
    let duplex = node.property("qcom,is-full-duplex").is_some();
    let tx = duplex || node.property("qcom,is-sender").is_some();
    let rx = duplex || node.property("qcom,is-receiver").is_some();
    let order: &[&Names] = match (tx, rx) {
        (true, true) => &[&TX, &RX],
        (true, false) => &[&TX],
        (false, true) => &[&RX],
        (false, false) => return Err(DtError::NoDirection),
    };
    let caps = caps(node, cells, order.len())?;
    let irqs = interrupts(node, order)?;
    let (mut tx, mut rx) = (None, None);
    for (i, names) in order.iter().enumerate() {
        let desc = Some(queue(node, names, caps[i], irqs[i])?);
        match names.direction {
            Direction::Tx => tx = desc,
            Direction::Rx => rx = desc,
        }
    }
    Ok(LinkDesc::new(label, tx, rx)?)
}

/// One queue: its `reg` and `interrupts` entries, decoded, and its size properties.
fn queue(
    node: &FdtNode<'_>,
    names: &Names,
    cap: CapId,
    (intid, trigger): (u32, Trigger),
) -> Result<QueueDesc, DtError> {
    Ok(QueueDesc::new(
        names.direction,
        cap,
        intid,
        trigger,
        message_size(node, names.message_size)?,
        queue_depth(node, names.queue_depth)?,
    )?)
}

/// A required property.
fn required<'a>(node: &FdtNode<'a>, property: &'static str) -> Result<FdtProperty<'a>, DtError> {
    node.property(property).ok_or(DtError::Missing { property })
}

/// Big-endian cells of `value`, into `out` (extra cells are ignored; the caller checked the
/// length).
fn read_cells(value: &[u8], out: &mut [u32]) {
    for (cell, chunk) in out.iter_mut().zip(value.chunks_exact(4)) {
        *cell = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
}

/// A parent's cell count, or the specification's default.
fn cell_count(count: CellCount, property: &'static str, default: u32) -> Result<u32, DtError> {
    match count {
        CellCount::Absent => Ok(default),
        CellCount::Value(v) => Ok(v),
        CellCount::BadLength(len) => Err(DtError::BadLength {
            property,
            len,
            expected: 4,
        }),
    }
}

/// `reg`: `count` entries in the parent's cell sizes, each a capability in its address cells.
fn caps(node: &FdtNode<'_>, cells: Cells, count: usize) -> Result<[CapId; 2], DtError> {
    let reg = required(node, "reg")?;
    let reg = reg.value();
    let address = cell_count(cells.address, "#address-cells", 2)?;
    let size = cell_count(cells.size, "#size-cells", 1)?;
    if !(1..=2).contains(&address) || size > 2 {
        return Err(DtError::BadCells {
            address_cells: address,
            size_cells: size,
        });
    }
    let entry = (address + size) as usize;
    let expected = 4 * entry * count;
    if reg.len() != expected {
        return Err(DtError::BadLength {
            property: "reg",
            len: reg.len(),
            expected,
        });
    }
    let mut raw = [0u32; 8];
    read_cells(reg, &mut raw);
    let mut caps = [CapId(0); 2];
    for (i, cap) in caps.iter_mut().enumerate().take(count) {
        let first = i * entry;
        let hi = if address == 2 { raw[first] } else { 0 };
        let lo = raw[first + address as usize - 1];
        *cap = CapId((u64::from(hi) << 32) | u64::from(lo));
    }
    Ok(caps)
}

/// `interrupts`: one 3-cell GIC specifier per queue, in `order`.
fn interrupts(node: &FdtNode<'_>, order: &[&Names]) -> Result<[(u32, Trigger); 2], DtError> {
    let value = required(node, "interrupts")?;
    let value = value.value();
    let expected = 4 * INTERRUPT_CELLS * order.len();
    if value.len() != expected {
        return Err(DtError::BadLength {
            property: "interrupts",
            len: value.len(),
            expected,
        });
    }
    let mut raw = [0u32; 2 * INTERRUPT_CELLS];
    read_cells(value, &mut raw);
    let mut out = [(0, Trigger::Edge); 2];
    for (i, names) in order.iter().enumerate() {
        let direction = names.direction;
        let [kind, spi, flags] = [
            raw[INTERRUPT_CELLS * i],
            raw[INTERRUPT_CELLS * i + 1],
            raw[INTERRUPT_CELLS * i + 2],
        ];
        if kind != GIC_SPI {
            return Err(DtError::NotSpi { direction, kind });
        }
        let intid = spi
            .checked_add(SPI_BASE)
            .filter(|&id| id <= MAX_SPI_INTID)
            .ok_or(DtError::BadSpi { direction, spi })?;
        let trigger = match flags {
            EDGE_RISING => Trigger::Edge,
            LEVEL_HIGH => Trigger::Level,
            _ => return Err(DtError::BadTrigger { direction, flags }),
        };
        out[i] = (intid, trigger);
    }
    Ok(out)
}

/// A one-cell property, if present.
fn u32_prop(node: &FdtNode<'_>, property: &'static str) -> Result<Option<u32>, DtError> {
    match node.property(property) {
        None => Ok(None),
        Some(p) => match *p.value() {
            [a, b, c, d] => Ok(Some(u32::from_be_bytes([a, b, c, d]))),
            ref v => Err(DtError::BadLength {
                property,
                len: v.len(),
                expected: 4,
            }),
        },
    }
}

fn message_size(node: &FdtNode<'_>, property: &'static str) -> Result<usize, DtError> {
    match u32_prop(node, property)? {
        None => Ok(RM_MSG_SIZE),
        Some(value) => match usize::try_from(value) {
            Ok(size) if (1..=MAX_MSG_SIZE).contains(&size) => Ok(size),
            _ => Err(DtError::BadMessageSize { property, value }),
        },
    }
}

fn queue_depth(node: &FdtNode<'_>, property: &'static str) -> Result<NonZeroU8, DtError> {
    let value = u32_prop(node, property)?.unwrap_or(u32::from(DEFAULT_DEPTH));
    u8::try_from(value)
        .ok()
        .and_then(NonZeroU8::new)
        .ok_or(DtError::BadDepth { property, value })
}
