//! The std layer's error type.

use std::fmt;

use crate::model::{ConfigError, CspaceError, HypError};

/// A setup step of the [`MockHypervisor`](crate::MockHypervisor) that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MockError {
    /// The model refused it (bad configuration, no room, unknown queue, cspace error).
    Model(HypError),
    /// A delivery thread could not be started. The queue exists but its lines are shut down
    /// (they would never deliver); create another hypervisor.
    ThreadSpawn,
    /// The hypervisor was shut down.
    ShutDown,
}

impl From<HypError> for MockError {
    fn from(e: HypError) -> Self {
        MockError::Model(e)
    }
}

impl From<ConfigError> for MockError {
    fn from(e: ConfigError) -> Self {
        MockError::Model(HypError::Config(e))
    }
}

impl From<CspaceError> for MockError {
    fn from(e: CspaceError) -> Self {
        MockError::Model(HypError::Cspace(e))
    }
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MockError::Model(e) => e.fmt(f),
            MockError::ThreadSpawn => f.write_str("could not start a vIRQ delivery thread"),
            MockError::ShutDown => f.write_str("the mock hypervisor was shut down"),
        }
    }
}

impl std::error::Error for MockError {}
