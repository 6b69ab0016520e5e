//! The one error type of rcmp and how it maps to what OpenSSL prints.
//!
//! Errors are values all the way up to `main`, which is the only place that prints them and turns them into
//! an exit code. Nothing below `main` prints an error or exits.

use std::fmt;

/// Everything that can make an invocation fail. Every variant exits with status 1, as `openssl cmp` does.
#[derive(Debug)]
pub enum Error {
    /// A command-line usage error found by the option parser. Printed as `cmp: <msg>` followed by
    /// `cmp: Use -help for summary.` (OpenSSL's opt_* wording; scripts grep for it).
    Usage(String),
    /// An option value that parsed but is not acceptable (e.g. `-keep_alive 3`). OpenSSL reports these as a
    /// `CMP error:` line and then the usage hint.
    BadValue(String),
    /// Any other failure: printed as `CMP error: <msg>`, then `hint` (if any) as a second line telling the
    /// user what to try. `msg` may hold several OpenSSL error lines joined by `"\nCMP error: "`: the
    /// first says what the app was doing, the others are the underlying reasons. `lib`: the failure
    /// happened inside the CMP transaction, where OpenSSL's library reports it (on stdout); otherwise the
    /// first line is the app's own report (stderr) and only the reasons go to stdout, as OpenSSL
    /// splits them.
    Cmp {
        msg: String,
        hint: Option<String>,
        lib: bool,
    },
    /// A failure OpenSSL's shared app code reports in its own words, without the `CMP error:`
    /// prefix (e.g. `Can't load FILE into RNG`): printed line by line as it is.
    Plain(String),
    /// A failure already reported where it happened, as OpenSSL's app reports it from a callback
    /// (its `CMP error:` line on stderr); only what it causes is printed after it.
    Reported,
    /// An error of another kind followed by a `hint:` line on stderr, after everything OpenSSL
    /// itself prints for that error (so scripts that read OpenSSL's lines keep working).
    Hinted(Box<Error>, String),
}

impl Error {
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
    pub fn bad_value(msg: impl Into<String>) -> Self {
        Error::BadValue(msg.into())
    }
    pub fn cmp(msg: impl Into<String>) -> Self {
        Error::Cmp {
            msg: msg.into(),
            hint: None,
            lib: false,
        }
    }
    /// Mark a failure as one of the CMP transaction (reported by OpenSSL's library, on stdout).
    pub fn in_transaction(self) -> Self {
        match self {
            Error::Cmp { msg, hint, .. } => Error::Cmp {
                msg,
                hint,
                lib: true,
            },
            other => other,
        }
    }
    /// Attach a line saying what the user could try; it replaces any earlier hint, so an error
    /// carries at most one. Hints must never contain a secret.
    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        match self {
            Error::Cmp { msg, lib, .. } => Error::Cmp {
                msg,
                hint: Some(hint.into()),
                lib,
            },
            Error::Hinted(inner, _) => Error::Hinted(inner, hint.into()),
            other => Error::Hinted(Box::new(other), hint.into()),
        }
    }
    /// [`Error::with_hint`] when there is a hint, else the error unchanged.
    pub fn with_hint_opt(self, hint: Option<String>) -> Self {
        match hint {
            Some(h) => self.with_hint(h),
            None => self,
        }
    }
    /// The hint line's text, if any.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Cmp { hint, .. } => hint.as_deref(),
            Error::Hinted(_, h) => Some(h),
            _ => None,
        }
    }
    /// Prefix the message with what was being done, e.g. `while loading -cert`.
    pub fn context(self, what: impl fmt::Display) -> Self {
        match self {
            Error::Cmp { msg, hint, lib } => Error::Cmp {
                msg: format!("{what}: {msg}"),
                hint,
                lib,
            },
            Error::Hinted(inner, hint) => Error::Hinted(Box::new(inner.context(what)), hint),
            other => other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::BadValue(m) | Error::Plain(m) => f.write_str(m),
            Error::Cmp { msg, .. } => f.write_str(msg),
            Error::Reported => Ok(()),
            Error::Hinted(inner, _) => inner.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

/// DER encoding/decoding failures surface as CMP errors; callers add context saying what was being
/// encoded or decoded.
impl From<der::Error> for Error {
    fn from(e: der::Error) -> Self {
        Error::cmp(format!("ASN.1 error: {e}"))
    }
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// `format!`-style constructor for [`Error::Cmp`].
macro_rules! cmp_err {
    ($($arg:tt)*) => { $crate::error::Error::cmp(format!($($arg)*)) };
}
// Also by path (`crate::cmp_err!`), as before the crate's macros stopped being exported.
pub(crate) use cmp_err;
