//! Case lines and the verdict: `case NAME: ok`, `case NAME: FAILED: ...` or
//! `case NAME: skipped: REASON`, then exactly one `N passed, N failed` line (`, N skipped`
//! appended when cases were skipped).

use core::fmt;

use crate::println;

/// Why a case failed: what was checked, what came, what was expected.
#[derive(Clone, Copy, Debug)]
pub struct Fail {
    /// The check.
    pub what: &'static str,
    /// The value seen.
    pub got: u64,
    /// The value expected.
    pub want: u64,
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: got {:#x}, want {:#x}",
            self.what, self.got, self.want
        )
    }
}

/// A case's result.
pub type Outcome = Result<(), Fail>;

/// Fails the case unless `got == want` (both converted to `u64`).
#[macro_export]
macro_rules! check_eq {
    ($got:expr, $want:expr, $what:expr) => {{
        let (got, want) = (($got) as u64, ($want) as u64);
        if got != want {
            return Err($crate::report::Fail {
                what: $what,
                got,
                want,
            });
        }
    }};
}

/// Fails the case unless the call's registers `x` hold error `err` and then x1, x2, ... as
/// listed.
#[macro_export]
macro_rules! check_regs {
    ($x:expr, $err:expr, [$($v:expr),*], $what:expr) => {{
        let x: [u64; 8] = $x;
        $crate::check_eq!($crate::hvc::error(x[0]), $err, $what);
        let mut _i = 1;
        $(
            $crate::check_eq!(x[_i], $v, $what);
            _i += 1;
        )*
    }};
}

/// Fails the case unless `cond` holds.
#[macro_export]
macro_rules! check {
    ($cond:expr, $what:expr) => {{
        if !$cond {
            return Err($crate::report::Fail {
                what: $what,
                got: 0,
                want: 1,
            });
        }
    }};
}

/// The tally of one image.
#[derive(Debug, Default)]
pub struct Report {
    passed: u32,
    failed: u32,
    skipped: u32,
}

impl Report {
    /// Nothing run yet.
    #[must_use]
    pub const fn new() -> Report {
        Report {
            passed: 0,
            failed: 0,
            skipped: 0,
        }
    }

    /// Runs one case and prints its line.
    pub fn case(&mut self, name: &str, case: fn() -> Outcome) {
        self.record(name, case());
    }

    /// Counts a case that ran elsewhere and prints its line.
    pub fn record<E: fmt::Display>(&mut self, name: impl fmt::Display, result: Result<(), E>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("case {name}: ok");
            }
            Err(fail) => {
                self.failed += 1;
                println!("case {name}: FAILED: {fail}");
            }
        }
    }

    /// Counts a case that did not run, and prints its line with the reason.
    pub fn skip(&mut self, name: impl fmt::Display, reason: impl fmt::Display) {
        self.skipped += 1;
        println!("case {name}: skipped: {reason}");
    }

    /// Prints the closing line; the exit status: 0 if every case that ran passed, else 1.
    #[must_use]
    pub fn finish(self) -> u32 {
        if self.skipped == 0 {
            println!("{} passed, {} failed", self.passed, self.failed);
        } else {
            println!(
                "{} passed, {} failed, {} skipped",
                self.passed, self.failed, self.skipped
            );
        }
        u32::from(self.failed != 0)
    }
}
