//! Case lines and the verdict: `case NAME: ok`, `case NAME: FAILED: ...` (each optionally
//! followed by a note in parentheses) or `case NAME: skipped: REASON`, then exactly one
//! `N passed, N failed` line (`, N skipped` appended when cases were skipped).

use core::fmt::{self, Write};

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

    /// Runs one case that may write a note (what it saw) and prints its line: `case NAME: ok
    /// (note)` or `case NAME: FAILED: ... (note)`.
    pub fn check(&mut self, name: &str, case: impl FnOnce(&mut Note) -> Outcome) {
        let mut note = Note::new();
        let outcome = case(&mut note);
        let note = Parens(note.as_str());
        match outcome {
            Ok(()) => {
                self.passed += 1;
                println!("case {name}: ok{note}");
            }
            Err(fail) => {
                self.failed += 1;
                println!("case {name}: FAILED: {fail}{note}");
            }
        }
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

/// A short text a case writes about what it saw (`write!(note, ...)`); what does not fit in
/// its 200 bytes is cut, marked with `~`.
pub struct Note {
    buf: [u8; 200],
    len: usize,
    cut: bool,
}

impl Note {
    /// An empty note.
    #[must_use]
    pub const fn new() -> Note {
        Note {
            buf: [0; 200],
            len: 0,
            cut: false,
        }
    }

    /// The text so far (ending with `~` if some was cut).
    #[must_use]
    pub fn as_str(&self) -> &str {
        let end = if self.cut { self.len + 1 } else { self.len };
        // Only whole UTF-8 characters are ever copied in, and `~` is ASCII.
        core::str::from_utf8(&self.buf[..end]).unwrap_or("?")
    }
}

impl Default for Note {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for Note {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut {
            return Ok(());
        }
        // One byte stays free for the `~` that marks a cut.
        let room = self.buf.len() - 1 - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() {
            self.cut = true;
            self.buf[self.len] = b'~';
        }
        Ok(())
    }
}

/// ` (text)`, or nothing for an empty text.
struct Parens<'a>(&'a str);

impl fmt::Display for Parens<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, " ({})", self.0)
        }
    }
}
