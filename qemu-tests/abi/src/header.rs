//! The guest image header: how a test image asks the model for a variant at boot.
//!
//! At the image's first byte (`layout::GUEST_BASE`), like the Linux arm64 `Image` header:
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 4 | a branch to the entry point (executed: the image is entered at its first byte) |
//! | 4 | 4 | reserved, 0 |
//! | 8 | 8 | [`MAGIC`] |
//! | 16 | 8 | flags: [`FLAG_HOSTILE`], [`FLAG_QUIET`] |
//!
//! A hypervisor that knows nothing of it (the real one) just runs the branch. Without the magic
//! the model boots its default variant.

/// "GMSQGST1", little-endian.
pub const MAGIC: u64 = u64::from_le_bytes(*b"GMSQGST1");
/// Offset of [`MAGIC`] in the image.
pub const MAGIC_OFFSET: u64 = 8;
/// Offset of the flags in the image.
pub const FLAGS_OFFSET: u64 = 16;

/// Boot the hostile variant: every hypercall, the control calls included, answers -1
/// (unknown function), as a hypervisor that is not Gunyah would.
pub const FLAG_HOSTILE: u64 = 1 << 0;
/// Do not log every hypercall (the model still logs boot and fatal errors).
pub const FLAG_QUIET: u64 = 1 << 1;

/// The model variant an image asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// [`FLAG_HOSTILE`].
    pub hostile: bool,
    /// [`FLAG_QUIET`].
    pub quiet: bool,
}

impl Request {
    /// What the model boots when the image has no header.
    pub const DEFAULT: Request = Request {
        hostile: false,
        quiet: false,
    };

    /// Decodes the header's magic and flags words.
    #[must_use]
    pub const fn decode(magic: u64, flags: u64) -> Request {
        if magic != MAGIC {
            return Request::DEFAULT;
        }
        Request {
            hostile: flags & FLAG_HOSTILE != 0,
            quiet: flags & FLAG_QUIET != 0,
        }
    }
}
