//! The guest image header: how a test image asks the model for a variant at boot.
//!
//! At the image's first byte (`layout::GUEST_BASE`), like the Linux arm64 `Image` header:
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 4 | a branch to the entry point (executed: the image is entered at its first byte) |
//! | 4 | 4 | reserved, 0 |
//! | 8 | 8 | [`MAGIC`] |
//! | 16 | 8 | flags: [`FLAG_HOSTILE`], [`FLAG_QUIET`], [`FLAG_PRIMARY_VM`], [`FLAG_QEMU_TREE`] |
//!
//! A hypervisor that knows nothing of it (the real one) just runs the branch. Without the magic
//! the model boots its default variant, or the primary-VM variant if a device tree was loaded
//! at [`DTB_BASE`](crate::layout::DTB_BASE).

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
/// Boot the primary-VM variant: the real resource manager's contract (see [`crate::rm`]). The
/// model loads nothing: QEMU's loader has put the image (a raw binary is enough) at
/// [`GUEST_BASE`](crate::layout::GUEST_BASE) and a device tree at
/// [`DTB_BASE`](crate::layout::DTB_BASE); the guest is entered with x0 = `DTB_BASE`.
pub const FLAG_PRIMARY_VM: u64 = 1 << 2;
/// For the runner only (the model ignores it): with [`FLAG_PRIMARY_VM`], boot with QEMU's own
/// `virt` tree for the run's machine options plus the resource manager's node
/// (`dt/rm-node.dtsi`), built at boot, instead of the project's `dt/primary-vm.dts`. What a
/// guest that must find everything in a real tree (the RTOS port image) boots with.
pub const FLAG_QEMU_TREE: u64 = 1 << 3;

/// The model variant an image asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// [`FLAG_HOSTILE`].
    pub hostile: bool,
    /// [`FLAG_QUIET`].
    pub quiet: bool,
    /// [`FLAG_PRIMARY_VM`].
    pub primary_vm: bool,
}

impl Request {
    /// Whether the image starts with this header (its magic word is [`MAGIC`]).
    #[must_use]
    pub const fn has_header(magic: u64) -> bool {
        magic == MAGIC
    }

    /// What the model boots when the image has no header.
    pub const DEFAULT: Request = Request {
        hostile: false,
        quiet: false,
        primary_vm: false,
    };

    /// Decodes the header's magic and flags words.
    #[must_use]
    pub const fn decode(magic: u64, flags: u64) -> Request {
        if !Request::has_header(magic) {
            return Request::DEFAULT;
        }
        Request {
            hostile: flags & FLAG_HOSTILE != 0,
            quiet: flags & FLAG_QUIET != 0,
            primary_vm: flags & FLAG_PRIMARY_VM != 0,
        }
    }
}
