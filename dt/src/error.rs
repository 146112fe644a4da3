//! Why a tree names no usable queue.

use core::fmt;

use gunyah_msgq::Direction;
use gunyah_msgq::desc::DescError;

/// Why a device tree names no usable message queue.
///
/// Every way a tree can be wrong is one of these: the reader never panics on a bad tree.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DtError {
    /// The blob is shorter than its header says (`totalsize`), or too short to hold one.
    Truncated {
        /// The blob's length in bytes.
        len: usize,
        /// The length its header claims (0 if the blob is shorter than the 8 bytes of its
        /// magic and `totalsize`).
        total_size: u32,
    },
    /// The blob does not start with the flattened device tree magic `0xd00dfeed`.
    BadMagic {
        /// The first word, big-endian.
        magic: u32,
    },
    /// The blob is not a well-formed flattened device tree (bad magic, version, block
    /// offsets, tokens, names...).
    Malformed(MalformedTree),
    /// Nodes nested deeper than the reader follows ([`MAX_DEPTH`](crate::MAX_DEPTH)).
    TooDeep,
    /// No node of the kind asked for: no `gunyah-resource-manager` node, or no
    /// `qcom,gunyah-message-queue` node with the label asked for.
    NoNode,
    /// A required property is absent (`reg`, `interrupts`, `qcom,label`).
    Missing {
        /// The property.
        property: &'static str,
    },
    /// A property's length is not the one its format and the node's directions need (a
    /// short `reg` or `interrupts`, a one-cell property that is not 4 bytes).
    BadLength {
        /// The property.
        property: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The length it should have.
        expected: usize,
    },
    /// The parent's `#address-cells` / `#size-cells` cannot describe a capability: a
    /// capability takes 1 or 2 address cells (the resource manager's `/hypervisor` node has
    /// 2), and at most 2 size cells (it has 0).
    BadCells {
        /// The parent's `#address-cells` (2 if absent).
        address_cells: u32,
        /// The parent's `#size-cells` (1 if absent).
        size_cells: u32,
    },
    /// A message-queue node with none of `qcom,is-full-duplex`, `qcom,is-sender` or
    /// `qcom,is-receiver`: it describes no queue.
    NoDirection,
    /// An interrupt is not a GIC SPI: its first cell (the type) is not 0.
    NotSpi {
        /// The queue whose interrupt it is.
        direction: Direction,
        /// The type cell (1 = PPI, 2 = extended SPI, ...).
        kind: u32,
    },
    /// An SPI number whose INTID (SPI + 32) would be past 1019, the last SPI.
    BadSpi {
        /// The queue whose interrupt it is.
        direction: Direction,
        /// The SPI number (second cell).
        spi: u32,
    },
    /// An interrupt's flags cell is neither edge rising (1) nor level high (4), the two
    /// triggers a GIC SPI has.
    BadTrigger {
        /// The queue whose interrupt it is.
        direction: Direction,
        /// The flags cell.
        flags: u32,
    },
    /// A message size of 0 or above 1023 (the hypervisor's limits).
    BadMessageSize {
        /// The property.
        property: &'static str,
        /// Its value.
        value: u32,
    },
    /// A queue depth of 0 or above 255 (the hypervisor's limits).
    BadDepth {
        /// The property.
        property: &'static str,
        /// Its value.
        value: u32,
    },
    /// A description the tree's values make is not one of a queue the hypervisor could have
    /// made (the core's checks, [`QueueDesc::new`](crate::QueueDesc::new) and the like).
    Desc(DescError),
}

impl fmt::Display for DtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DtError::Truncated { len, total_size } => write!(
                f,
                "device tree truncated: {len} bytes, its header says {total_size}"
            ),
            DtError::BadMagic { magic } => {
                write!(f, "not a device tree: magic {magic:#010x}, not 0xd00dfeed")
            }
            DtError::Malformed(e) => write!(f, "malformed device tree: {e}"),
            DtError::TooDeep => write!(
                f,
                "device tree nodes nested deeper than {}",
                crate::MAX_DEPTH
            ),
            DtError::NoNode => write!(f, "no such message-queue node in the device tree"),
            DtError::Missing { property } => write!(f, "property `{property}` is missing"),
            DtError::BadLength {
                property,
                len,
                expected,
            } => write!(
                f,
                "property `{property}` is {len} bytes long, {expected} expected"
            ),
            DtError::BadCells {
                address_cells,
                size_cells,
            } => write!(
                f,
                "parent's #address-cells = {address_cells}, #size-cells = {size_cells} \
                 cannot hold a capability"
            ),
            DtError::NoDirection => write!(
                f,
                "message-queue node has none of qcom,is-full-duplex, qcom,is-sender, \
                 qcom,is-receiver"
            ),
            DtError::NotSpi { direction, kind } => write!(
                f,
                "{direction:?} interrupt is not a GIC SPI (type cell {kind})"
            ),
            DtError::BadSpi { direction, spi } => {
                write!(f, "{direction:?} interrupt SPI {spi} is past INTID 1019")
            }
            DtError::BadTrigger { direction, flags } => write!(
                f,
                "{direction:?} interrupt flags {flags:#x} are neither edge rising (1) nor \
                 level high (4)"
            ),
            DtError::BadMessageSize { property, value } => {
                write!(f, "`{property}` = {value} is not in 1..=1023")
            }
            DtError::BadDepth { property, value } => {
                write!(f, "`{property}` = {value} is not in 1..=255")
            }
            DtError::Desc(e) => write!(f, "bad queue description: {e}"),
        }
    }
}

impl core::error::Error for DtError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            DtError::Desc(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DescError> for DtError {
    fn from(e: DescError) -> DtError {
        DtError::Desc(e)
    }
}

/// Why the parser refused the blob (the parser's own description, kept opaque so that its
/// types are not part of this crate's API).
#[derive(Clone, PartialEq, Eq)]
pub struct MalformedTree(pub(crate) dtoolkit::error::FdtParseError);

impl fmt::Debug for MalformedTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MalformedTree({})", self.0)
    }
}

impl fmt::Display for MalformedTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
