//! A depth-first walk of every node that keeps, for each node, its parent's
//! `#address-cells` / `#size-cells` (a node's `reg` is read in its parent's cell sizes).
//!
//! No allocation: the open ancestors live in a fixed array of [`MAX_DEPTH`] levels.

use dtoolkit::fdt::{Fdt, FdtNode};
use dtoolkit::{Node, Property};

use crate::DtError;

/// The deepest nesting the walk follows: nodes at depth `MAX_DEPTH` (the root is depth 0) are
/// still visited, but one of them with children is [`DtError::TooDeep`]. QEMU's `virt` tree
/// and the resource manager's overlay are 3 deep.
pub const MAX_DEPTH: usize = 16;

/// A `#address-cells` or `#size-cells` property as found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CellCount {
    /// Absent: the specification's default applies.
    Absent,
    /// One cell.
    Value(u32),
    /// Not 4 bytes long.
    BadLength(usize),
}

impl CellCount {
    fn of(node: &FdtNode<'_>, name: &str) -> CellCount {
        match node.property(name) {
            None => CellCount::Absent,
            Some(p) => match *p.value() {
                [a, b, c, d] => CellCount::Value(u32::from_be_bytes([a, b, c, d])),
                ref v => CellCount::BadLength(v.len()),
            },
        }
    }
}

/// The cell sizes a node's children read their `reg` with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cells {
    pub(crate) address: CellCount,
    pub(crate) size: CellCount,
}

impl Cells {
    /// What the root's own properties would be if it had a parent: the defaults.
    const DEFAULT: Cells = Cells {
        address: CellCount::Absent,
        size: CellCount::Absent,
    };

    fn of(node: &FdtNode<'_>) -> Cells {
        Cells {
            address: CellCount::of(node, "#address-cells"),
            size: CellCount::of(node, "#size-cells"),
        }
    }
}

type Children<'a> = <FdtNode<'a> as Node>::Children<'a>;

/// An open node: its remaining children and the cells they read `reg` with.
struct Level<'a> {
    children: Children<'a>,
    cells: Cells,
}

/// Every node of a tree, depth first, each with its parent's [`Cells`].
pub(crate) struct Walk<'a> {
    root: Option<FdtNode<'a>>,
    stack: [Option<Level<'a>>; MAX_DEPTH],
    depth: usize,
    failed: bool,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(fdt: Fdt<'a>) -> Walk<'a> {
        Walk {
            root: Some(fdt.root()),
            stack: [const { None }; MAX_DEPTH],
            depth: 0,
            failed: false,
        }
    }

    /// Opens `node` (so that its children come next), unless it has none.
    fn open(&mut self, node: &FdtNode<'a>) -> Result<(), DtError> {
        let children = node.children();
        if children.clone().next().is_none() {
            return Ok(());
        }
        let slot = self.stack.get_mut(self.depth).ok_or(DtError::TooDeep)?;
        *slot = Some(Level {
            children,
            cells: Cells::of(node),
        });
        self.depth += 1;
        Ok(())
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Result<(FdtNode<'a>, Cells), DtError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let (node, parent_cells) = if let Some(root) = self.root.take() {
            (root, Cells::DEFAULT)
        } else {
            loop {
                let top = self.depth.checked_sub(1)?;
                let level = self.stack[top].as_mut()?;
                match level.children.next() {
                    Some(child) => break (child, level.cells),
                    None => {
                        self.stack[top] = None;
                        self.depth = top;
                    }
                }
            }
        };
        if let Err(e) = self.open(&node) {
            self.failed = true;
            return Some(Err(e));
        }
        Some(Ok((node, parent_cells)))
    }
}
