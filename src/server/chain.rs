//! Path validation of a client's CMP signer certificate against `-srv_trusted`, and building the
//! server's own chain for extraCerts.
//!
//! This is the subset of X.509 path validation the mock server needs: issuer/subject chaining,
//! signatures, CA basic constraints on intermediates, and validity periods (unless `-no_check_time`).
//! As with OpenSSL, a trusted certificate may be the signer itself (pinning), and self-signed
//! anchors are not required.

use super::cert::{names_equal, CertView};
use crate::error::{Error, Result};

/// Longest chain considered (OpenSSL's default verify depth is 100; CMP chains are short).
const MAX_DEPTH: usize = 16;

pub struct Policy {
    pub check_time: bool,
    pub at: i64,
}

fn time_ok(c: &CertView<'_>, p: &Policy) -> bool {
    !p.check_time || (c.not_before <= p.at && p.at <= c.not_after)
}

/// Validate `leaf` up to a certificate in `trusted`, using `untrusted` for intermediates.
pub fn validate(leaf: &[u8], untrusted: &[&[u8]], trusted: &[Vec<u8>], p: &Policy) -> Result<()> {
    let leaf = CertView::parse(leaf)?;
    let trusted: Vec<CertView<'_>> = trusted
        .iter()
        .filter_map(|c| CertView::parse(c).ok())
        .collect();
    let untrusted: Vec<CertView<'_>> = untrusted
        .iter()
        .filter_map(|c| CertView::parse(c).ok())
        .collect();
    if trusted.is_empty() {
        return Err(Error::cmp(
            "missing trust store (-srv_trusted) for validating the client's signer cert",
        ));
    }
    if !time_ok(&leaf, p) {
        return Err(Error::cmp("certificate has expired or is not yet valid"));
    }
    // The signer cert itself trusted: accepted as pinned.
    if trusted.iter().any(|t| t.raw == leaf.raw) {
        return Ok(());
    }
    let mut cur = leaf;
    for _ in 0..MAX_DEPTH {
        // A trust anchor that issued the current cert ends the path.
        for t in &trusted {
            if names_equal(t.subject, cur.issuer)
                && time_ok(t, p)
                && cur.verify_signed_by(t).is_ok()
            {
                return Ok(());
            }
        }
        if cur.self_issued() {
            break;
        }
        let next = untrusted.iter().find(|u| {
            u.raw != cur.raw
                && names_equal(u.subject, cur.issuer)
                && u.is_ca()
                && time_ok(u, p)
                && cur.verify_signed_by(u).is_ok()
        });
        match next {
            Some(n) => cur = CertView::parse(n.raw)?,
            None => break,
        }
    }
    Err(Error::cmp("unable to get local issuer certificate"))
}

/// srv_cert followed by its issuers found in `pool`, leaving out self-signed ones (as OpenSSL does for
/// extraCerts of its own messages).
pub fn own_chain(cert: &[u8], pool: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = vec![cert.to_vec()];
    let Ok(mut cur) = CertView::parse(cert) else {
        return out;
    };
    let certs: Vec<CertView<'_>> = pool
        .iter()
        .filter_map(|c| CertView::parse(c).ok())
        .collect();
    for _ in 0..MAX_DEPTH {
        if cur.self_issued() {
            break;
        }
        let Some(n) = certs
            .iter()
            .find(|u| names_equal(u.subject, cur.issuer) && cur.verify_signed_by(u).is_ok())
        else {
            break;
        };
        if n.self_issued() || out.iter().any(|c| c.as_slice() == n.raw) {
            break;
        }
        out.push(n.raw.to_vec());
        cur = match CertView::parse(n.raw) {
            Ok(c) => c,
            Err(_) => break,
        };
    }
    out
}
