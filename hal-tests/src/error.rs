//! How a case reports a failure without panicking (a bare-metal runner prints it).

use core::panic::Location;

/// A failed check: what was expected, where, and the queue error involved, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseError {
    /// What did not hold.
    pub what: &'static str,
    /// Where the check is.
    pub line: u32,
    /// The queue error that made the check fail, if one did.
    pub error: Option<gunyah_msgq::Error>,
}

impl CaseError {
    /// A failed check at the caller's location.
    #[track_caller]
    #[must_use]
    pub fn new(what: &'static str) -> Self {
        CaseError {
            what,
            line: Location::caller().line(),
            error: None,
        }
    }
}

impl From<gunyah_msgq::Error> for CaseError {
    #[track_caller]
    fn from(error: gunyah_msgq::Error) -> Self {
        CaseError {
            what: "unexpected queue error",
            line: Location::caller().line(),
            error: Some(error),
        }
    }
}

impl core::fmt::Display for CaseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} (line {})", self.what, self.line)?;
        if let Some(e) = self.error {
            write!(f, ": {e}")?;
        }
        Ok(())
    }
}

/// The result of one case.
pub type CaseResult = Result<(), CaseError>;

/// Fails the case with `$what` unless `$cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $what:literal) => {
        if !$cond {
            return Err($crate::CaseError::new($what));
        }
    };
}

impl From<crate::ledger::LedgerFull> for CaseError {
    #[track_caller]
    fn from(_: crate::ledger::LedgerFull) -> Self {
        CaseError::new("ledger full: the case accepted more messages than it logs")
    }
}
