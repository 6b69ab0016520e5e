//! The one error type of rcmp and how it maps to what OpenSSL prints.
//!
//! Errors are values all the way up to `main`, which is the only place that prints them and turns them into
//! an exit code. Nothing below `main` prints an error or exits. A failure is a stack of lines (see
//! [`Error::Cmp`]) built where it is raised and passed up: [`Error::because`] adds a reason after the
//! message, [`Error::caused_by`] puts the failure of a step below before it.

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
    /// Any other failure, a stack of OpenSSL-style error lines each printed as `CMP error: <line>`:
    /// `causes` (the failures of the steps below that led to this one, earliest first, as OpenSSL's
    /// error queue lists them), then `msg` (this failure), then `reasons` (the underlying reasons the
    /// app names after its own report), then `hint` (if any) as a line telling the user what to try.
    /// `lib`: the failure happened inside the CMP transaction, where OpenSSL's library reports it
    /// (on stdout); otherwise `msg` is the app's own report (stderr) and only the other lines go to
    /// stdout, as OpenSSL splits them. `kind`: what went wrong, set where the failure is raised.
    Cmp {
        causes: Vec<String>,
        msg: String,
        reasons: Vec<String>,
        hint: Option<String>,
        lib: bool,
        kind: Kind,
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

/// What kind of failure an [`Error::Cmp`] is, decided where it is raised (the library API's
/// `ErrorKind` is derived from it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    /// Set-up, options, credentials, building a request: nothing the peer did.
    #[default]
    Config,
    /// Sending or receiving failed (connection, HTTP, timeout).
    Transport,
    /// A received message broke the protocol or could not be authenticated, or its content was
    /// not accepted.
    Protocol,
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
            causes: Vec::new(),
            msg: msg.into(),
            reasons: Vec::new(),
            hint: None,
            lib: false,
            kind: Kind::Config,
        }
    }
    /// A failure told in several lines: the first is the message, the others its reasons.
    pub fn from_lines(lines: impl IntoIterator<Item = String>) -> Self {
        let mut lines = lines.into_iter();
        let mut e = Error::cmp(lines.next().unwrap_or_default());
        if let Error::Cmp { reasons, .. } = &mut e {
            reasons.extend(lines);
        }
        e
    }
    /// Add an underlying reason, printed after the message (and after earlier reasons).
    pub fn because(mut self, reason: impl fmt::Display) -> Self {
        if let Error::Cmp { reasons, .. } = &mut self {
            reasons.push(reason.to_string());
        }
        self
    }
    /// Add the lines of `e` as reasons, after the message and earlier reasons.
    pub fn because_of(mut self, e: &Error) -> Self {
        if let Error::Cmp { reasons, .. } = &mut self {
            reasons.extend(e.lines());
        }
        self
    }
    /// Record that this failure follows from `cause`, a failure of a step below: its lines come
    /// first, as OpenSSL's error queue lists the earliest error first. Its hint is dropped (callers
    /// that want it pass it on with [`Error::with_hint_opt`]).
    pub fn caused_by(self, cause: &Error) -> Self {
        self.preceded_by(cause.lines())
    }
    /// Put `lines` before the lines this failure already has.
    pub fn preceded_by(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        if let Error::Cmp { causes, .. } = &mut self {
            let mut all: Vec<String> = lines.into_iter().collect();
            all.append(causes);
            *causes = all;
        }
        self
    }
    /// The lines before the message (see [`Error::Cmp`]).
    pub fn causes(&self) -> &[String] {
        match self {
            Error::Cmp { causes, .. } => causes,
            Error::Hinted(inner, _) => inner.causes(),
            _ => &[],
        }
    }
    /// Classify the failure (see [`Kind`]).
    pub fn of_kind(mut self, k: Kind) -> Self {
        if let Error::Cmp { kind, .. } = &mut self {
            *kind = k;
        }
        self
    }
    /// Shorthand for [`Kind::Protocol`].
    pub fn protocol(self) -> Self {
        self.of_kind(Kind::Protocol)
    }
    /// What kind of failure this is; failures other than [`Error::Cmp`] are of the configuration.
    pub fn kind(&self) -> Kind {
        match self {
            Error::Cmp { kind, .. } => *kind,
            Error::Hinted(inner, _) => inner.kind(),
            _ => Kind::Config,
        }
    }
    /// The error lines as printed, in order (without `CMP error: ` and without the hint). A failure
    /// already reported has none.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Error::Cmp {
                causes,
                msg,
                reasons,
                ..
            } => causes
                .iter()
                .chain(std::iter::once(msg))
                .chain(reasons)
                .cloned()
                .collect(),
            Error::Reported => Vec::new(),
            Error::Hinted(inner, _) => inner.lines(),
            other => vec![other.to_string()],
        }
    }
    /// Mark a failure as one of the CMP transaction (reported by OpenSSL's library, on stdout).
    pub fn in_transaction(mut self) -> Self {
        if let Error::Cmp { lib, .. } = &mut self {
            *lib = true;
        }
        self
    }
    /// Attach a line saying what the user could try; it replaces any earlier hint, so an error
    /// carries at most one. Hints must never contain a secret.
    pub fn with_hint(mut self, new: impl Into<String>) -> Self {
        match &mut self {
            Error::Cmp { hint, .. } => {
                *hint = Some(new.into());
                self
            }
            Error::Hinted(_, h) => {
                *h = new.into();
                self
            }
            _ => Error::Hinted(Box::new(self), new.into()),
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
            Error::Cmp {
                causes,
                msg,
                reasons,
                hint,
                lib,
                kind,
            } => Error::Cmp {
                causes,
                msg: format!("{what}: {msg}"),
                reasons,
                hint,
                lib,
                kind,
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
            // The lines as OpenSSL prints them, each after the first on its own `CMP error:` line.
            Error::Cmp { .. } => f.write_str(&self.lines().join("\nCMP error: ")),
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

/// [`cmp_err!`] for a failure caused by what the peer sent ([`Kind::Protocol`]).
macro_rules! proto_err {
    ($($arg:tt)*) => { $crate::error::cmp_err!($($arg)*).protocol() };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_prints_causes_then_message_then_reasons() {
        let below = cmp_err!("inner").because("why inner");
        let e = proto_err!("outer")
            .because("detail")
            .caused_by(&below)
            .preceded_by(["first".to_string()]);
        assert_eq!(
            e.lines(),
            ["first", "inner", "why inner", "outer", "detail"]
        );
        assert_eq!(e.causes(), ["first", "inner", "why inner"]);
        assert_eq!(
            e.to_string(),
            "first\nCMP error: inner\nCMP error: why inner\nCMP error: outer\nCMP error: detail"
        );
        assert_eq!(e.kind(), Kind::Protocol);
        assert_eq!(below.kind(), Kind::Config);
    }

    #[test]
    fn context_hint_and_kind_survive_each_other() {
        let e = Error::from_lines(["a".to_string(), "b".to_string()])
            .of_kind(Kind::Transport)
            .with_hint("try this")
            .context("while x");
        assert_eq!(e.lines(), ["while x: a", "b"]);
        assert_eq!(e.hint(), Some("try this"));
        assert_eq!(e.kind(), Kind::Transport);
        // A cause's hint is not taken over: the caller decides.
        assert_eq!(cmp_err!("top").caused_by(&e).hint(), None);
        // A failure already reported adds no lines.
        assert_eq!(cmp_err!("top").caused_by(&Error::Reported).lines(), ["top"]);
        assert!(Error::Reported.lines().is_empty());
    }
}
