//! Which OpenSSL release rcmp imitates where releases differ (`RCMP_COMPAT`).
//!
//! The default is OpenSSL 3.5 (the 3.5/3.6 option set). `RCMP_COMPAT=3.0` switches the mock server,
//! and the client wherever 3.0 and 3.5 differ in what they send or accept, to OpenSSL 3.0's behaviour;
//! `RCMP_COMPAT=4.0` selects 4.0's. The choice comes from this variable only: nothing is guessed from
//! which options happen to be given, so the same command line always behaves the same way.

use std::sync::OnceLock;

/// An OpenSSL release whose `openssl cmp` behaviour rcmp can imitate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Compat {
    V3_0,
    V3_5,
    V4_0,
}

/// The default release: OpenSSL 3.5 (what runs without `RCMP_COMPAT`).
impl Default for Compat {
    fn default() -> Self {
        Compat::V3_5
    }
}

/// The environment variable that selects the release.
pub const VAR: &str = "RCMP_COMPAT";

impl Compat {
    /// The release named by a value of `RCMP_COMPAT`; an empty value means the default.
    pub fn parse(value: &str) -> Option<Compat> {
        match value.trim() {
            "" | "3.5" | "3.6" => Some(Compat::V3_5),
            "3.0" => Some(Compat::V3_0),
            "4.0" => Some(Compat::V4_0),
            _ => None,
        }
    }
}

static CHOSEN: OnceLock<Result<Compat, String>> = OnceLock::new();

fn chosen() -> &'static Result<Compat, String> {
    CHOSEN.get_or_init(|| match std::env::var(VAR) {
        Err(_) => Ok(Compat::V3_5),
        Ok(v) => Compat::parse(&v).ok_or(v),
    })
}

/// Checks `RCMP_COMPAT` once at start-up, so that a misspelt value stops the run instead of being
/// taken silently as the default.
pub fn check() -> crate::Result<()> {
    match chosen() {
        Ok(_) => Ok(()),
        Err(v) => Err(crate::Error::cmp(format!(
            "unknown {VAR} value '{v}': expected 3.0, 3.5 or 4.0"
        ))),
    }
}

/// The release to imitate (OpenSSL 3.5 unless `RCMP_COMPAT` says otherwise).
pub fn get() -> Compat {
    match chosen() {
        Ok(c) => *c,
        Err(_) => Compat::V3_5,
    }
}

/// Whether the release being imitated is `c`.
pub fn is(c: Compat) -> bool {
    get() == c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(Compat::parse("3.0"), Some(Compat::V3_0));
        assert_eq!(Compat::parse(""), Some(Compat::V3_5));
        assert_eq!(Compat::parse("3.5"), Some(Compat::V3_5));
        assert_eq!(Compat::parse("4.0"), Some(Compat::V4_0));
        assert_eq!(Compat::parse("3.1"), None);
        assert!(Compat::V3_0 < Compat::V3_5 && Compat::V3_5 < Compat::V4_0);
    }
}
