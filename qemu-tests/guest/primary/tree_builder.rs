//! Small flattened device trees built at run time, for the cases that feed the RM-node reader
//! trees the hypervisor would not give it (a missing or malformed node).
//!
//! `begin`/`end` open and close nodes, `cells`/`string`/`empty` add properties to the open
//! node, and [`TreeBuilder::finish`] lays out header, structure and strings blocks. A tree
//! that does not fit the builder's fixed buffers comes out as `None`.

/// Room for the structure block, the strings block and the whole tree.
const STRUCT_MAX: usize = 1024;
const STRINGS_MAX: usize = 512;
const TREE_MAX: usize = 40 + 16 + STRUCT_MAX + STRINGS_MAX;

/// A tree being built.
pub struct TreeBuilder {
    structs: [u8; STRUCT_MAX],
    structs_len: usize,
    strings: [u8; STRINGS_MAX],
    strings_len: usize,
    out: [u8; TREE_MAX],
    overflow: bool,
}

impl TreeBuilder {
    /// An empty tree.
    #[must_use]
    pub const fn new() -> TreeBuilder {
        TreeBuilder {
            structs: [0; STRUCT_MAX],
            structs_len: 0,
            strings: [0; STRINGS_MAX],
            strings_len: 0,
            out: [0; TREE_MAX],
            overflow: false,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let end = self.structs_len + bytes.len();
        match self.structs.get_mut(self.structs_len..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.structs_len = end;
            }
            None => self.overflow = true,
        }
    }

    fn pad(&mut self) {
        while !self.structs_len.is_multiple_of(4) && !self.overflow {
            self.push(&[0]);
        }
    }

    /// The offset of `name` in the strings block, added if new.
    fn string_offset(&mut self, name: &str) -> u32 {
        let end = self.strings_len + name.len() + 1;
        let off = self.strings_len;
        match self.strings.get_mut(off..end) {
            Some(dst) => {
                dst[..name.len()].copy_from_slice(name.as_bytes());
                dst[name.len()] = 0;
                self.strings_len = end;
            }
            None => self.overflow = true,
        }
        off as u32
    }

    /// Opens node `name` ("" for the root).
    pub fn begin(&mut self, name: &str) -> &mut Self {
        self.push(&1u32.to_be_bytes());
        self.push(name.as_bytes());
        self.push(&[0]);
        self.pad();
        self
    }

    /// Closes the open node.
    pub fn end(&mut self) -> &mut Self {
        self.push(&2u32.to_be_bytes());
        self
    }

    /// A property with raw bytes.
    pub fn bytes(&mut self, name: &str, value: &[u8]) -> &mut Self {
        let off = self.string_offset(name);
        self.push(&3u32.to_be_bytes());
        self.push(&(value.len() as u32).to_be_bytes());
        self.push(&off.to_be_bytes());
        self.push(value);
        self.pad();
        self
    }

    /// A property of 32-bit cells.
    pub fn cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
        let mut value = [0; 64];
        let n = cells.len().min(16);
        for (i, c) in cells[..n].iter().enumerate() {
            value[4 * i..4 * i + 4].copy_from_slice(&c.to_be_bytes());
        }
        if cells.len() > n {
            self.overflow = true;
        }
        self.bytes(name, &value[..4 * n])
    }

    /// A string property (one string).
    pub fn string(&mut self, name: &str, value: &str) -> &mut Self {
        let mut v = [0; 64];
        match v.get_mut(..value.len()) {
            Some(dst) => dst.copy_from_slice(value.as_bytes()),
            None => self.overflow = true,
        }
        let len = (value.len() + 1).min(v.len());
        self.bytes(name, &v[..len])
    }

    /// The finished tree, or `None` if it did not fit.
    pub fn finish(&mut self) -> Option<&[u8]> {
        self.push(&9u32.to_be_bytes());
        if self.overflow {
            return None;
        }
        // Header (40 bytes), an empty memory reservation map (16), structure, strings.
        let off_rsv = 40;
        let off_struct = off_rsv + 16;
        let off_strings = off_struct + self.structs_len;
        let total = off_strings + self.strings_len;
        let header = [
            0xD00D_FEED,
            total as u32,
            off_struct as u32,
            off_strings as u32,
            off_rsv as u32,
            17,
            16,
            0,
            self.strings_len as u32,
            self.structs_len as u32,
        ];
        self.out = [0; TREE_MAX];
        for (i, w) in header.iter().enumerate() {
            self.out[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        self.out[off_struct..off_strings].copy_from_slice(&self.structs[..self.structs_len]);
        self.out[off_strings..total].copy_from_slice(&self.strings[..self.strings_len]);
        Some(&self.out[..total])
    }
}

impl Default for TreeBuilder {
    fn default() -> Self {
        Self::new()
    }
}
