//! Typed errors of the library API.

use std::fmt;
use std::sync::Arc;

use crate::asn1::{PkiStatus as WireStatus, PkiStatusInfo};

/// What kind of failure an [`Error`] is, for a caller deciding what to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The context or a request is not usable (missing credentials, unreadable key, bad name, ...).
    /// Nothing was sent.
    Config,
    /// The request did not reach the server or no response came back (connection, HTTP, timeout).
    Transport,
    /// The server refused the request: [`Error::status`] holds what it said.
    Rejected,
    /// A response broke the protocol or could not be authenticated (wrong protection, unexpected
    /// message type, transactionID or nonce mismatch, ...), or the new certificate was not accepted.
    Protocol,
}

/// The PKIStatus values of RFC 9810 section 5.2.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PkiStatus {
    /// `accepted` (0).
    Accepted,
    /// `grantedWithMods` (1): granted, but not exactly as requested.
    GrantedWithMods,
    /// `rejection` (2).
    Rejection,
    /// `waiting` (3): the request is not yet processed; poll for the answer.
    Waiting,
    /// `revocationWarning` (4).
    RevocationWarning,
    /// `revocationNotification` (5).
    RevocationNotification,
    /// `keyUpdateWarning` (6).
    KeyUpdateWarning,
    /// Any other value (a protocol violation by the server).
    Other(i64),
}

impl PkiStatus {
    fn from_wire(s: WireStatus) -> PkiStatus {
        match s.0 {
            0 => PkiStatus::Accepted,
            1 => PkiStatus::GrantedWithMods,
            2 => PkiStatus::Rejection,
            3 => PkiStatus::Waiting,
            4 => PkiStatus::RevocationWarning,
            5 => PkiStatus::RevocationNotification,
            6 => PkiStatus::KeyUpdateWarning,
            n => PkiStatus::Other(n),
        }
    }
}

/// A PKIStatusInfo as received from the server (RFC 9810 section 5.2.3):
///
/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText     OPTIONAL,
///     failInfo      PKIFailureInfo  OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The status.
    pub status: PkiStatus,
    /// The PKIFailureInfo bits (bit 0 = badAlg ... bit 26 = duplicateCertReq); 0 when absent.
    pub fail_info: u32,
    /// The statusString texts, as the server sent them.
    pub texts: Vec<String>,
    /// The whole status in the words `openssl cmp` prints, e.g.
    /// `PKIStatus: rejection; PKIFailureInfo: badRequest; StatusString: "..."`.
    pub summary: String,
}

impl Status {
    pub(crate) fn from_wire(si: &PkiStatusInfo) -> Status {
        Status {
            status: PkiStatus::from_wire(si.status),
            fail_info: si.fail_bits(),
            texts: si.status_string.clone().unwrap_or_default(),
            summary: si.to_text(),
        }
    }

    /// Whether failure bit `bit` (0..=26, as numbered in RFC 9810's PKIFailureInfo) is set.
    pub fn has_failure(&self, bit: u8) -> bool {
        bit < 32 && self.fail_info & (1 << bit) != 0
    }
}

/// A failed operation of the library API.
///
/// The reasons are the lines `openssl cmp` prints for the failure, in its order: first the
/// failures of the steps that led to it (earliest first, as OpenSSL's error queue lists them), then
/// what failed (e.g. `transfer error`), then details; one `CMP error:` line each.
#[derive(Clone, Debug)]
pub struct Error(Box<Inner>);

/// The error's content, boxed so that results stay small.
#[derive(Clone, Debug)]
struct Inner {
    kind: ErrorKind,
    reasons: Vec<String>,
    hint: Option<String>,
    status: Option<Status>,
    /// The internal error this one was made from, kept so that the `rcmp` command reports it
    /// exactly as before (which stream, which lines) after going through the API.
    internal: Option<Arc<crate::Error>>,
}

impl Error {
    /// An error of `kind` with one reason; for [`crate::api::Transport`] implementations.
    pub fn new(kind: ErrorKind, reason: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            reasons: vec![reason.into()],
            hint: None,
            status: None,
            internal: None,
        }))
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The reasons, in the order `openssl cmp` prints them (see [`Error`]).
    pub fn reasons(&self) -> &[String] {
        &self.0.reasons
    }

    /// A suggestion what to try, if there is one.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// The last PKIStatusInfo the server sent in this transaction, if any: for a rejection, the
    /// server's status, failure bits and texts.
    pub fn status(&self) -> Option<&Status> {
        self.0.status.as_ref()
    }

    /// An internal error, classified by the kind it was raised with; a status received in the
    /// transaction makes it a rejection (status `rejection`) or a protocol failure.
    pub(crate) fn from_internal(e: crate::Error, status: Option<&PkiStatusInfo>) -> Error {
        use crate::error::Kind;
        let hint = e.hint().map(str::to_string);
        let status = status.map(Status::from_wire);
        let kind = match e.kind() {
            Kind::Transport => ErrorKind::Transport,
            _ if status
                .as_ref()
                .is_some_and(|s| s.status == PkiStatus::Rejection) =>
            {
                ErrorKind::Rejected
            }
            Kind::Protocol => ErrorKind::Protocol,
            Kind::Config if status.is_some() => ErrorKind::Protocol,
            Kind::Config => ErrorKind::Config,
        };
        Error(Box::new(Inner {
            kind,
            reasons: e.lines(),
            hint,
            status,
            internal: Some(Arc::new(e)),
        }))
    }

    /// The same error as another kind.
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Error {
        self.0.kind = kind;
        self
    }

    /// An error of the configuration (nothing sent).
    pub(crate) fn config(e: crate::Error) -> Error {
        let mut e = Error::from_internal(e, None);
        e.0.kind = ErrorKind::Config;
        e
    }

    /// The internal error that carries this one through the transaction (for transports), and
    /// that the `rcmp` command reports: the one it was made from, if it was made from one.
    pub(crate) fn into_internal(self) -> crate::Error {
        use crate::error::Kind;
        let Inner {
            kind,
            reasons,
            hint,
            internal,
            ..
        } = *self.0;
        if let Some(Ok(e)) = internal.map(Arc::try_unwrap) {
            return e;
        }
        let kind = match kind {
            ErrorKind::Transport => Kind::Transport,
            ErrorKind::Config => Kind::Config,
            ErrorKind::Rejected | ErrorKind::Protocol => Kind::Protocol,
        };
        crate::Error::from_lines(reasons)
            .of_kind(kind)
            .with_hint_opt(hint)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.reasons.join(": "))?;
        if let Some(s) = &self.0.status {
            if !self.0.reasons.iter().any(|r| r.contains(&s.summary)) {
                write!(f, " ({})", s.summary)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Shorthand for results of the library API.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::PkiStatus as Wire;
    use crate::error::Kind;

    fn status(s: i64) -> PkiStatusInfo {
        PkiStatusInfo {
            status: Wire(s),
            status_string: None,
            fail_info: None,
        }
    }

    #[test]
    fn kind_comes_from_where_the_error_was_raised() {
        let classify = |e: crate::Error, si: Option<PkiStatusInfo>| {
            Error::from_internal(e, si.as_ref()).kind()
        };
        assert_eq!(classify(cmp_err!("x"), None), ErrorKind::Config);
        assert_eq!(classify(proto_err!("x"), None), ErrorKind::Protocol);
        // Whatever was received before, a failed exchange is a transport failure.
        let transport = || cmp_err!("x").of_kind(Kind::Transport);
        assert_eq!(classify(transport(), Some(status(2))), ErrorKind::Transport);
        assert_eq!(
            classify(proto_err!("x"), Some(status(2))),
            ErrorKind::Rejected
        );
        assert_eq!(
            classify(cmp_err!("x"), Some(status(0))),
            ErrorKind::Protocol
        );
        // The wording no longer matters.
        assert_eq!(
            classify(cmp_err!("unexpected pkibody"), None),
            ErrorKind::Config
        );
    }

    #[test]
    fn reasons_are_the_printed_lines_and_survive_the_round_trip() {
        let inner = cmp_err!("inner").because("why");
        let e = Error::from_internal(proto_err!("outer").caused_by(&inner), None);
        assert_eq!(e.reasons(), ["inner", "why", "outer"]);
        let back = e.into_internal();
        assert_eq!(back.lines(), ["inner", "why", "outer"]);
        assert_eq!(back.kind(), Kind::Protocol);
    }
}
