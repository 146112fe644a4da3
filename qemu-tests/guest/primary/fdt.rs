//! A minimal flattened device tree reader (Devicetree Specification v0.4, chapter 5): the
//! header, a depth-first walk of the structure block, and properties by name.
//!
//! Everything is bounds-checked: a malformed tree is an [`FdtError`], never a panic or a read
//! outside the blob. The walk keeps each ancestor's name and `#address-cells` /
//! `#size-cells`, so a node's `reg` can be read with its parent's cell sizes.

use core::{fmt, str};

/// The header's magic (big-endian in the blob).
pub const MAGIC: u32 = 0xD00D_FEED;
/// The largest tree read from a bare address: the 1 MiB between the tree's address
/// (0x40F0_0000) and the image (0x4100_0000).
pub const MAX_SIZE: usize = 1 << 20;
/// The header's size (version 17).
const HEADER_LEN: usize = 40;
/// The deepest node the walk follows.
const MAX_DEPTH: usize = 16;

const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;

/// A header word, shown in hex by `Debug`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Word(pub u32);

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// Why a tree cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdtError {
    /// No tree at all: the address is 0 (or not where a tree can be).
    NoTree,
    /// The first word is not [`MAGIC`].
    BadMagic(Word),
    /// `totalsize` is smaller than the header or larger than the blob (or [`MAX_SIZE`]).
    BadSize(u32),
    /// `last_comp_version` is above 17: a layout this reader does not know.
    BadVersion(u32),
    /// The structure or strings block lies outside the blob.
    BadBlock,
    /// The structure block ends early or holds an unknown token at this offset.
    BadStructure(usize),
    /// A name is not NUL-terminated UTF-8 inside its block.
    BadString(usize),
    /// Nodes nested deeper than this reader follows.
    TooDeep,
}

/// A parsed header over its blob.
#[derive(Clone, Copy, Debug)]
pub struct Fdt<'a> {
    structs: &'a [u8],
    strings: &'a [u8],
}

/// Big-endian u32 at `off`, if it lies in `bytes`.
fn be32(bytes: &[u8], off: usize) -> Option<u32> {
    let b = bytes.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The NUL-terminated string at `off`, and the offset just past its NUL.
fn cstr(bytes: &[u8], off: usize) -> Result<(&str, usize), FdtError> {
    let rest = bytes.get(off..).ok_or(FdtError::BadString(off))?;
    let len = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(FdtError::BadString(off))?;
    let s = str::from_utf8(&rest[..len]).map_err(|_| FdtError::BadString(off))?;
    Ok((s, off + len + 1))
}

const fn align4(off: usize) -> usize {
    (off + 3) & !3
}

impl<'a> Fdt<'a> {
    /// Checks the header of `blob` and finds its blocks.
    ///
    /// # Errors
    /// Any [`FdtError`] but `NoTree` and `TooDeep`.
    pub fn new(blob: &'a [u8]) -> Result<Fdt<'a>, FdtError> {
        let word = |i: usize| be32(blob, 4 * i).ok_or(FdtError::BadSize(blob.len() as u32));
        let magic = word(0)?;
        if magic != MAGIC {
            return Err(FdtError::BadMagic(Word(magic)));
        }
        let total = word(1)?;
        if (total as usize) < HEADER_LEN || total as usize > blob.len() {
            return Err(FdtError::BadSize(total));
        }
        let blob = &blob[..total as usize];
        let (off_struct, off_strings) = (word(2)? as usize, word(3)? as usize);
        let last_comp = word(6)?;
        if last_comp > 17 {
            return Err(FdtError::BadVersion(last_comp));
        }
        let (size_strings, size_struct) = (word(8)? as usize, word(9)? as usize);
        let block = |off: usize, size: usize| -> Result<&'a [u8], FdtError> {
            off.checked_add(size)
                .and_then(|end| blob.get(off..end))
                .ok_or(FdtError::BadBlock)
        };
        Ok(Fdt {
            structs: block(off_struct, size_struct)?,
            strings: block(off_strings, size_strings)?,
        })
    }

    /// The tree the hypervisor left at `addr` (the x0 of the primary VM's entry).
    ///
    /// # Errors
    /// As [`blob_at`], then as [`Fdt::new`].
    pub fn at_address(addr: u64) -> Result<Fdt<'static>, FdtError> {
        Fdt::new(blob_at(addr)?)
    }

    /// Every node, depth first (the root first, named "").
    #[must_use]
    pub fn nodes(&self) -> Nodes<'a> {
        Nodes {
            fdt: *self,
            pos: 0,
            depth: 0,
            stack: [Level::ROOT_PARENT; MAX_DEPTH],
            done: false,
        }
    }

    /// The first node for which `pick` answers true (or its error).
    ///
    /// # Errors
    /// The walk's, or `pick`'s.
    pub fn find(
        &self,
        mut pick: impl FnMut(&Node<'a>) -> Result<bool, FdtError>,
    ) -> Result<Option<Node<'a>>, FdtError> {
        for node in self.nodes() {
            let node = node?;
            if pick(&node)? {
                return Ok(Some(node));
            }
        }
        Ok(None)
    }

    fn token(&self, off: usize) -> Result<u32, FdtError> {
        be32(self.structs, off).ok_or(FdtError::BadStructure(off))
    }

    /// The property at `off` (a PROP token): its name, value and the offset after it.
    fn prop_at(&self, off: usize) -> Result<(&'a str, &'a [u8], usize), FdtError> {
        let len = self.token(off + 4)? as usize;
        let name_off = self.token(off + 8)? as usize;
        let start = off + 12;
        let value = start
            .checked_add(len)
            .and_then(|end| self.structs.get(start..end))
            .ok_or(FdtError::BadStructure(off))?;
        let (name, _) = cstr(self.strings, name_off)?;
        Ok((name, value, align4(start + len)))
    }
}

/// The bytes of the tree the hypervisor left at `addr` (the x0 of the primary VM's entry), cut
/// at its header's `totalsize`: for readers that take a slice (the RTOS port's
/// `gunyah-msgq-dt`). Only the magic and the size are checked.
///
/// # Errors
/// [`FdtError::NoTree`] for address 0 or one that is not 4-byte aligned,
/// [`FdtError::BadMagic`], [`FdtError::BadSize`] above [`MAX_SIZE`].
pub fn blob_at(addr: u64) -> Result<&'static [u8], FdtError> {
    if addr == 0 || !addr.is_multiple_of(4) {
        return Err(FdtError::NoTree);
    }
    let word = |i: u64| {
        // SAFETY: the boot contract puts a tree (at least its 8-byte magic and size) in RAM at
        // `addr` (non-null, aligned); it is never written while the guest runs.
        u32::from_be(unsafe { ((addr + 4 * i) as *const u32).read_volatile() })
    };
    let magic = word(0);
    if magic != MAGIC {
        return Err(FdtError::BadMagic(Word(magic)));
    }
    let total = word(1);
    if total as usize > MAX_SIZE {
        return Err(FdtError::BadSize(total));
    }
    // SAFETY: the header says the tree is `total` bytes (at most MAX_SIZE, the room the boot
    // contract leaves it); that memory is RAM the hypervisor filled before the entry and
    // nothing writes while the slice lives (the guest never writes its tree).
    Ok(unsafe { core::slice::from_raw_parts(addr as *const u8, total as usize) })
}

/// What the walk keeps of each open node.
#[derive(Clone, Copy, Debug)]
struct Level<'a> {
    name: &'a str,
    address_cells: u32,
    size_cells: u32,
}

impl Level<'_> {
    /// The defaults the specification gives a node without the properties.
    const ROOT_PARENT: Level<'static> = Level {
        name: "",
        address_cells: 2,
        size_cells: 1,
    };
}

/// One node of the walk.
#[derive(Clone, Copy, Debug)]
pub struct Node<'a> {
    fdt: Fdt<'a>,
    /// Its name (unit address included), "" for the root.
    pub name: &'a str,
    /// 0 for the root.
    pub depth: usize,
    /// Its parent's name ("" for the root's children and the root).
    pub parent: &'a str,
    /// The parent's `#address-cells` (2 if absent).
    pub address_cells: u32,
    /// The parent's `#size-cells` (1 if absent).
    pub size_cells: u32,
    /// Where its properties start in the structure block.
    props: usize,
}

impl<'a> Node<'a> {
    /// The value of property `name`, if the node has it.
    ///
    /// # Errors
    /// A malformed property list.
    pub fn prop(&self, name: &str) -> Result<Option<&'a [u8]>, FdtError> {
        let mut off = self.props;
        loop {
            match self.fdt.token(off)? {
                PROP => {
                    let (n, value, next) = self.fdt.prop_at(off)?;
                    if n == name {
                        return Ok(Some(value));
                    }
                    off = next;
                }
                NOP => off += 4,
                _ => return Ok(None),
            }
        }
    }

    /// Whether its `compatible` string list holds `compatible`.
    ///
    /// # Errors
    /// As [`prop`](Self::prop).
    pub fn is_compatible(&self, compatible: &str) -> Result<bool, FdtError> {
        Ok(self
            .prop("compatible")?
            .is_some_and(|list| list.split(|&b| b == 0).any(|s| s == compatible.as_bytes())))
    }
}

/// The depth-first walk: yields each node at its BEGIN_NODE token; an error ends it.
pub struct Nodes<'a> {
    fdt: Fdt<'a>,
    pos: usize,
    depth: usize,
    /// `stack[d]` is the open node at depth `d` (for d < depth).
    stack: [Level<'a>; MAX_DEPTH],
    done: bool,
}

impl<'a> Nodes<'a> {
    fn step(&mut self) -> Result<Option<Node<'a>>, FdtError> {
        loop {
            let off = self.pos;
            match self.fdt.token(off)? {
                BEGIN_NODE => {
                    let (name, after) = cstr(self.fdt.structs, off + 4)?;
                    let props = align4(after);
                    if self.depth == MAX_DEPTH {
                        return Err(FdtError::TooDeep);
                    }
                    let parent = match self.depth {
                        0 => Level::ROOT_PARENT,
                        d => self.stack[d - 1],
                    };
                    let node = Node {
                        fdt: self.fdt,
                        name,
                        depth: self.depth,
                        parent: parent.name,
                        address_cells: parent.address_cells,
                        size_cells: parent.size_cells,
                        props,
                    };
                    // The node's own cell sizes, for its children (its properties come first).
                    let cells = |prop: &str, default: u32| -> Result<u32, FdtError> {
                        Ok(match node.prop(prop)? {
                            Some(v) if v.len() == 4 => be32(v, 0).unwrap_or(default),
                            _ => default,
                        })
                    };
                    self.stack[self.depth] = Level {
                        name,
                        address_cells: cells("#address-cells", 2)?,
                        size_cells: cells("#size-cells", 1)?,
                    };
                    self.depth += 1;
                    self.pos = props;
                    return Ok(Some(node));
                }
                END_NODE => {
                    if self.depth == 0 {
                        return Err(FdtError::BadStructure(off));
                    }
                    self.depth -= 1;
                    self.pos = off + 4;
                }
                PROP => self.pos = self.fdt.prop_at(off)?.2,
                NOP => self.pos = off + 4,
                END if self.depth == 0 => return Ok(None),
                _ => return Err(FdtError::BadStructure(off)),
            }
        }
    }
}

impl<'a> Iterator for Nodes<'a> {
    type Item = Result<Node<'a>, FdtError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(node)) => Some(Ok(node)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
