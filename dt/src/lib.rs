//! # gunyah-msgq-dt
//!
//! Finds Gunyah message queues in a flattened device tree (spec §5, "Finding the queues"), in a
//! `no_std` guest, without allocating, and turns them into [`gunyah_msgq`]'s
//! [`TxConfig`](gunyah_msgq::TxConfig) / [`RxConfig`](gunyah_msgq::RxConfig).
//!
//! - [`Tree::rm_link`]: the resource manager's link, the node compatible with
//!   `"gunyah-resource-manager"`. The real resource manager writes it as
//!   `/hypervisor/qcom,resource-manager-rpc@0`:
//!   ```text
//!   hypervisor {
//!       compatible = "gunyah-hypervisor", "qcom,gunyah-hypervisor-1.0",
//!                    "qcom,gunyah-hypervisor", "simple-bus";
//!       #address-cells = <2>;
//!       #size-cells = <0>;
//!       qcom,resource-manager-rpc@0 {
//!           compatible = "gunyah-resource-manager", "qcom,resource-manager-1-0",
//!                        "qcom,resource-manager";
//!           reg = <0x0 0x0 0x0 0x1>;                    // TX cap 0, RX cap 1
//!           interrupts = <0 0x3a0 1>, <0 0x3a1 1>;      // SPI 928 (TX), 929 (RX), edge
//!           qcom,tx-message-size = <240>;  qcom,rx-message-size = <240>;
//!           qcom,tx-queue-depth = <8>;     qcom,rx-queue-depth = <8>;
//!           qcom,is-full-duplex;
//!           qcom,free-irq-start = <960>;
//!       };
//!   };
//!   ```
//! - [`Tree::message_queues`] / [`Tree::message_queue`]: the other queues, nodes compatible
//!   with `"qcom,gunyah-message-queue"` that carry a `qcom,label`. `qcom,is-full-duplex` makes
//!   a pair, `qcom,is-sender` a TX queue, `qcom,is-receiver` an RX queue; `reg` and
//!   `interrupts` hold the TX queue's entry first, then the RX queue's (as Qualcomm's
//!   `gh_msgq` driver reads them). Their size properties are read under the same names as
//!   the resource manager's (unverified, spec §9).
//!
//! How each property is read:
//! - `reg`: one entry per queue in the parent's `#address-cells` (1 or 2; the capability)
//!   and `#size-cells` (0 under `/hypervisor`; a size, if any, is ignored). Its length must be
//!   exactly what the node's queues need.
//! - `interrupts`: one 3-cell GIC specifier per queue, `<type spi flags>`: the type must be 0
//!   (SPI), the INTID is `spi + 32` (at most 1019), the flags are 1 (edge rising, what the
//!   resource manager declares) or 4 (level high).
//! - `qcom,{tx,rx}-message-size`: `1..=1023`, 240 if absent; `qcom,{tx,rx}-queue-depth`:
//!   `1..=255`, 8 if absent.
//!
//! Anything else is a [`DtError`]: a bad tree never panics (a property test feeds the
//! reader random bytes and corrupted trees).
//!
//! ## Example
//! ```
//! use gunyah_msgq::{CapId, RM_MSG_SIZE, Trigger};
//! use gunyah_msgq_dt::Tree;
//!
//! # fn rm_tree() -> Result<Vec<u8>, vm_fdt::Error> {
//! #     let mut w = vm_fdt::FdtWriter::new()?;
//! #     let root = w.begin_node("")?;
//! #     w.property_u32("#address-cells", 2)?;
//! #     w.property_u32("#size-cells", 2)?;
//! #     let hyp = w.begin_node("hypervisor")?;
//! #     w.property_u32("#address-cells", 2)?;
//! #     w.property_u32("#size-cells", 0)?;
//! #     let rm = w.begin_node("qcom,resource-manager-rpc@0")?;
//! #     w.property_string_list("compatible", vec!["gunyah-resource-manager".into()])?;
//! #     w.property_array_u32("reg", &[0, 0, 0, 1])?;
//! #     w.property_array_u32("interrupts", &[0, 0x3a0, 1, 0, 0x3a1, 1])?;
//! #     w.end_node(rm)?;
//! #     w.end_node(hyp)?;
//! #     w.end_node(root)?;
//! #     w.finish()
//! # }
//! // On a guest: the tree the hypervisor left at x0, cut at `Tree::total_size` of its header.
//! let blob: Vec<u8> = rm_tree()?;
//!
//! let link = Tree::new(&blob)?.rm_link()?;
//! assert_eq!((link.tx.cap, link.rx.cap), (CapId(0), CapId(1)));
//! assert_eq!((link.tx.intid, link.rx.intid), (960, 961));
//! assert_eq!(link.rx.trigger, Trigger::Edge);
//! assert_eq!((link.rx.max_msg_size, link.rx.depth.get()), (240, 8)); // the defaults
//!
//! // The platform makes the IRQ lines (this crate cannot): here a stand-in.
//! #[derive(Clone, Copy, Debug)]
//! struct Line(u32);
//! let (tx, rx) = link.configs::<RM_MSG_SIZE, _>(Line(link.tx.intid), Line(link.rx.intid))?;
//! assert_eq!(rx.depth.get(), 8);
//! # let _ = tx;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Parser
//! The tree is parsed by [`dtoolkit`] (Google; `Apache-2.0 OR MIT`, the workspace's own
//! licence; `no_std` and allocation-free without features; safe code but for the raw-pointer
//! constructors, which this crate does not use; it checks the whole blob once in
//! `Fdt::new`, so walking it afterwards cannot fail). It needs Rust 1.88, so this crate
//! declares `rust-version = "1.88"` while the rest of the workspace stays at 1.85: the queue
//! crates do not depend on this one. The alternatives, as of this crate's writing:
//! - `fdt`, `flat_device_tree`, `fdt-parser`: `MPL-2.0`, a file-level copyleft every user
//!   would have to clear; `fdt`'s newest release is a pre-release (`0.2.0-alpha3`).
//! - `fdt-rs` (`MIT`): `std` by default, much `unsafe` (and the `unsafe_unwrap` crate); a
//!   handful of commits since 2021, the last release in February 2024.
//! - `hermit-dtb` (`MIT OR Apache-2.0`): reads only from a raw pointer (`unsafe`), by path
//!   only; one release line (0.1).
//! - `device_tree` (2016, needs `std`), `dtb` (`MIT`, 2019), `dtb-walker` (`MIT`, a 2022
//!   pre-release).
//!
//! One consequence: dtoolkit holds names to the Devicetree Specification (node and property
//! names of at most 31 characters, a fixed character set), which `dtc` only warns about. A
//! tree that breaks that rule anywhere is [`DtError::Malformed`] as a whole.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod parse;
mod walk;

use dtoolkit::fdt::Fdt;

pub use error::{DtError, MalformedTree};
/// The link descriptions this crate returns. They are [`gunyah_msgq`]'s own types (its
/// [`desc`](gunyah_msgq::desc) module), so that other discovery sources return the same ones.
pub use gunyah_msgq::desc::{DescError, LinkDesc, QueueDesc, RmLink};
pub use parse::{MSGQ_COMPATIBLE, RM_COMPATIBLE};
pub use walk::MAX_DEPTH;

use walk::Walk;

/// The flattened device tree magic, big-endian at offset 0.
pub const FDT_MAGIC: u32 = 0xd00d_feed;

/// A checked flattened device tree.
#[derive(Clone, Copy, Debug)]
pub struct Tree<'a> {
    fdt: Fdt<'a>,
}

impl<'a> Tree<'a> {
    /// Checks `blob` as a flattened device tree. Bytes past the header's `totalsize` are
    /// ignored, so `blob` may be a larger window of memory that starts with the tree.
    ///
    /// # Errors
    /// [`DtError::Truncated`], [`DtError::BadMagic`] or [`DtError::Malformed`].
    pub fn new(blob: &'a [u8]) -> Result<Tree<'a>, DtError> {
        let total = Tree::total_size(blob)?;
        let blob = blob.get(..total).ok_or(DtError::Truncated {
            len: blob.len(),
            total_size: u32::try_from(total).unwrap_or(u32::MAX),
        })?;
        let fdt = Fdt::new(blob).map_err(|e| DtError::Malformed(MalformedTree(e)))?;
        Ok(Tree { fdt })
    }

    /// The length of the tree whose header starts `header` (at least its first 8 bytes): what a
    /// guest that only has the tree's address reads first, to know how long a slice to make.
    ///
    /// # Errors
    /// [`DtError::Truncated`] if `header` is shorter than 8 bytes, [`DtError::BadMagic`].
    pub fn total_size(header: &[u8]) -> Result<usize, DtError> {
        let [m0, m1, m2, m3, t0, t1, t2, t3, ..] = *header else {
            return Err(DtError::Truncated {
                len: header.len(),
                total_size: 0,
            });
        };
        let magic = u32::from_be_bytes([m0, m1, m2, m3]);
        if magic != FDT_MAGIC {
            return Err(DtError::BadMagic { magic });
        }
        let total = u32::from_be_bytes([t0, t1, t2, t3]);
        usize::try_from(total).map_err(|_| DtError::Truncated {
            len: header.len(),
            total_size: total,
        })
    }

    /// The resource manager's link: the first node compatible with
    /// [`RM_COMPATIBLE`] (`"gunyah-resource-manager"`), wherever it is.
    ///
    /// # Errors
    /// [`DtError::NoNode`] without one, [`DtError::TooDeep`], and any error of a malformed
    /// node (see the [crate docs](crate)).
    pub fn rm_link(&self) -> Result<RmLink, DtError> {
        for item in Walk::new(self.fdt) {
            let (node, cells) = item?;
            if parse::is_compatible(&node, RM_COMPATIBLE) {
                return parse::rm_link(&node, cells);
            }
        }
        Err(DtError::NoNode)
    }

    /// Every labelled message-queue node (compatible with [`MSGQ_COMPATIBLE`], and not the
    /// resource manager's), in tree order; a malformed one is an `Err` item, and the
    /// iteration goes on past it.
    #[must_use]
    pub fn message_queues(&self) -> MessageQueues<'a> {
        MessageQueues {
            walk: Walk::new(self.fdt),
        }
    }

    /// The first message-queue node whose `qcom,label` is `label`.
    ///
    /// # Errors
    /// [`DtError::NoNode`] without one, [`DtError::TooDeep`], or that node's error. Nodes
    /// without a readable label are passed over.
    pub fn message_queue(&self, label: u32) -> Result<LinkDesc, DtError> {
        for item in Walk::new(self.fdt) {
            let (node, cells) = item?;
            if is_message_queue(&node) && parse::label(&node) == Ok(label) {
                return parse::link(&node, cells);
            }
        }
        Err(DtError::NoNode)
    }
}

fn is_message_queue(node: &dtoolkit::fdt::FdtNode<'_>) -> bool {
    parse::is_compatible(node, MSGQ_COMPATIBLE) && !parse::is_compatible(node, RM_COMPATIBLE)
}

/// The labelled message-queue nodes of a [`Tree`], from [`Tree::message_queues`].
pub struct MessageQueues<'a> {
    walk: Walk<'a>,
}

impl Iterator for MessageQueues<'_> {
    type Item = Result<LinkDesc, DtError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.walk.next()? {
                Err(e) => return Some(Err(e)),
                Ok((node, cells)) if is_message_queue(&node) => {
                    return Some(parse::link(&node, cells));
                }
                Ok(_) => {}
            }
        }
    }
}

impl core::fmt::Debug for MessageQueues<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MessageQueues").finish_non_exhaustive()
    }
}
