//! A queue's configuration: its limits and how it answers bad buffers.

use core::fmt;

use gunyah_msgq::GunyahError;

/// The largest queue depth the hypervisor accepts (`queue_depth < 256`).
pub const MAX_DEPTH: usize = 255;
/// The largest message size the hypervisor accepts (`max_msg_size < 1024`).
pub const MAX_MSG_SIZE: usize = gunyah_msgq::MAX_MSG_SIZE;

/// How a queue answers a bad message size or a buffer it cannot use (spec §4, "Quirks").
///
/// Clients must be tested against both: the documented errors are what the API promises, the
/// quirks are what the public hypervisor source does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `gunyah_api.md`: a send of size 0 or above the maximum fails with ARGUMENT_SIZE, an
    /// unreadable send buffer with ADDR_INVALID; a receive buffer that is too small fails with
    /// ADDR_OVERFLOW (or ARGUMENT_SIZE, see [`SmallBufferError`]), an unwritable one with
    /// ADDR_INVALID. The message stays queued.
    #[default]
    Documented,
    /// The public source since 4a4f0af: the copy error is dropped. A bad send answers OK with
    /// `not_full = true`, queues nothing and raises no vIRQ; a bad receive answers OK, size 0,
    /// `not_empty = true`, and the message stays at the head.
    PublicSourceQuirks,
}

/// The error a [`Mode::Documented`] queue returns for a receive buffer smaller than the head
/// message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SmallBufferError {
    /// ADDR_OVERFLOW (20), as the API documentation says.
    #[default]
    AddrOverflow,
    /// ARGUMENT_SIZE (2), what 7ecf251's copy helper reports.
    ArgumentSize,
}

impl SmallBufferError {
    /// The hypervisor error this choice stands for.
    #[must_use]
    pub const fn error(self) -> GunyahError {
        match self {
            SmallBufferError::AddrOverflow => GunyahError::AddrOverflow,
            SmallBufferError::ArgumentSize => GunyahError::ArgumentSize,
        }
    }
}

/// The parameters of one message queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueueConfig {
    /// How many messages the queue holds: `1..=255`.
    pub depth: usize,
    /// The largest message in bytes: `1..=1023`.
    pub max_size: usize,
    /// How bad sizes and buffers are answered.
    pub mode: Mode,
    /// The error for a too-small receive buffer in [`Mode::Documented`].
    pub small_buffer: SmallBufferError,
}

impl QueueConfig {
    /// The resource manager's link: 8 messages of up to 240 bytes, documented errors.
    pub const RM_LINK: QueueConfig = QueueConfig::new(8, 240);

    /// A queue of `depth` messages of up to `max_size` bytes, documented errors. The values
    /// are checked when the queue is created.
    #[must_use]
    pub const fn new(depth: usize, max_size: usize) -> QueueConfig {
        QueueConfig {
            depth,
            max_size,
            mode: Mode::Documented,
            small_buffer: SmallBufferError::AddrOverflow,
        }
    }

    /// The same configuration in `mode`.
    #[must_use]
    pub const fn with_mode(self, mode: Mode) -> QueueConfig {
        QueueConfig { mode, ..self }
    }

    /// The same configuration answering a too-small receive buffer with `error`.
    #[must_use]
    pub const fn with_small_buffer(self, error: SmallBufferError) -> QueueConfig {
        QueueConfig {
            small_buffer: error,
            ..self
        }
    }

    /// Checks the limits against the hypervisor's and against a storage of `slots` messages of
    /// `slot_size` bytes.
    ///
    /// # Errors
    /// The first limit that is broken.
    pub const fn validate(&self, slots: usize, slot_size: usize) -> Result<(), ConfigError> {
        if self.depth == 0 || self.depth > MAX_DEPTH {
            return Err(ConfigError::Depth(self.depth));
        }
        if self.max_size == 0 || self.max_size > MAX_MSG_SIZE {
            return Err(ConfigError::MaxSize(self.max_size));
        }
        if self.depth > slots {
            return Err(ConfigError::DepthExceedsStorage {
                depth: self.depth,
                slots,
            });
        }
        if self.max_size > slot_size {
            return Err(ConfigError::MaxSizeExceedsStorage {
                max_size: self.max_size,
                slot_size,
            });
        }
        Ok(())
    }
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig::RM_LINK
    }
}

/// A queue configuration that cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigError {
    /// The depth is 0 or above 255 (the hypervisor says ARGUMENT_INVALID).
    Depth(usize),
    /// The maximum size is 0 or above 1023 (the hypervisor says ARGUMENT_INVALID).
    MaxSize(usize),
    /// The depth is valid but the storage has fewer slots.
    DepthExceedsStorage {
        /// The depth asked for.
        depth: usize,
        /// The slots the storage has.
        slots: usize,
    },
    /// The maximum size is valid but the storage's slots are smaller.
    MaxSizeExceedsStorage {
        /// The maximum size asked for.
        max_size: usize,
        /// The size of one storage slot.
        slot_size: usize,
    },
}

impl ConfigError {
    /// The hypervisor error that stands for this: ARGUMENT_INVALID for a limit the hypervisor
    /// rejects, NOMEM for storage that is too small (the hypervisor's allocation failing).
    #[must_use]
    pub const fn error(self) -> GunyahError {
        match self {
            ConfigError::Depth(_) | ConfigError::MaxSize(_) => GunyahError::ArgumentInvalid,
            ConfigError::DepthExceedsStorage { .. } | ConfigError::MaxSizeExceedsStorage { .. } => {
                GunyahError::Nomem
            }
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ConfigError::Depth(d) => write!(f, "queue depth {d} is not in 1..={MAX_DEPTH}"),
            ConfigError::MaxSize(s) => {
                write!(f, "maximum message size {s} is not in 1..={MAX_MSG_SIZE}")
            }
            ConfigError::DepthExceedsStorage { depth, slots } => {
                write!(f, "queue depth {depth} exceeds the storage's {slots} slots")
            }
            ConfigError::MaxSizeExceedsStorage {
                max_size,
                slot_size,
            } => write!(
                f,
                "maximum message size {max_size} exceeds the storage's {slot_size}-byte slots"
            ),
        }
    }
}

impl core::error::Error for ConfigError {}
