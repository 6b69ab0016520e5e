//! Log wording that differs between the OpenSSL releases rcmp imitates (`RCMP_COMPAT`).
//!
//! OpenSSL 4.0 starts many of the `cmp` app's own log lines (those OpenSSL prefixes with
//! `func:file:line:`) with a capital letter: `Will contact ...`, `Received 1 newly enrolled
//! certificate(s), ...`, `Cannot parse -server URL: ...`. The CMP library's lines (`sending IR`,
//! `received IP`, `missing protection`) and some app lines (`no -subject given; ...`) keep their lower
//! case. Which lines changed was found by comparing the message texts in the 4.0.3 and 3.5.9
//! binaries and checked on the runs of the CLI test tables; the list below is that set, as glob
//! patterns (`*` for whatever OpenSSL fills in). A few warnings are reworded as well. The logger
//! applies this to every line, so no call site needs to know.

use std::borrow::Cow;

use crate::compat::{self, Compat};

/// The messages OpenSSL 4.0 capitalises, as 3.5 spells them; a message matches when a pattern matches
/// its start.
const CAPITALISED_IN_4_0: &[&str] = &[
    "bad syntax of * '*'",
    "cannot add policy with OID '*'",
    "cannot have Subject Alternative Names both via -reqexts and via -sans",
    "cannot have policies both via -policies and via -policy_oids",
    "cannot load certificate request extension section '*'",
    "cannot load policy cert request extension section '*'",
    "cannot parse -server URL:",
    "cannot read PKIMessage from file '*'",
    "cannot read serial number: '*'",
    "cannot set up CMP context",
    "cannot set up error reporting and logging for",
    "cannot set up server-side error reporting and logging for",
    "cannot use both -server and -use_mock_srv options",
    "cannot write * certificate to file '*'",
    "cannot write * to file '*'",
    "cannot write PKIMessage to file '*'",
    "cannot write request PKIMessage to file '*'",
    "could not add untrusted cert to TLS client cert chain",
    "could not get ITAV #* from genp",
    "could not open file '*' for * * certificate(s)",
    "could not open file '*' for writing",
    "could not set requested cert validity period",
    "digest algorithm name not recognized: '*'",
    "digest algorithm name not supported: '*'",
    "error parsing type of ITAV #* from genp",
    "error saving certTemplate from genp: cannot open file",
    "error saving certTemplate from genp: cannot write file",
    "error saving keySpec from genp: cannot open file",
    "error saving keySpec from genp: cannot write file",
    "expecting empty path or 'pkix/' but got '*'",
    "failed to get fallback public key from ir/cr/kur file '*'",
    "failed to load ir/cr/kur file '*' attempting to get fallback public key",
    "for option '*' in config file section '*'",
    "given -subject '*' overrides the subject of '*' for KUR",
    "ignoring -csr since certificate to be revoked is given",
    "ignoring -no_proxy option since -server is not given",
    "ignoring -proxy option since -server is not given",
    "ignoring -tls_used option since -server is not given or -use_mock_srv is given",
    "internal: unsupported type '*' for option '*'",
    "invalid popo spec. Valid values are -1 .. 2",
    "invalid revreason. Valid values are -1 .. 6, 8 .. 10",
    "missing -newkey (or -key) option for key to be certified and for POPO",
    "missing -newkey (or -key) to be certified and no -csr, -oldcert, -cert, or -reqin option given, which could provide fallback public key. Neither central key generation is requested.",
    "missing -oldcert for certificate to be updated and no -csr given",
    "missing -oldcert or -issuer and -serial for certificate to be revoked and no -csr given",
    "missing -recipient, -srvcert, -issuer, -oldcert or -cert; recipient for any requests not covered by -reqin will be set to \"NULL-DN\"",
    "missing -server or -use_mock_srv option, or too few -rspin filename arguments",
    "missing -server or -use_mock_srv or -rspin option",
    "missing -template option for genm with infotype certReqTemplate",
    "missing -tls_cert option",
    "missing -tls_key option",
    "missing PKCS#10 CSR for p10cr",
    "must give -key or -secret unless -unprotected_requests is used",
    "must give -srv_ref for mock server if no -srv_cert given",
    "must give both -cert and -key options or neither",
    "must give both -srv_cert and -srv_key options or neither",
    "no -newkey option given with private key for POPO, -csr option provides just public key",
    "no CA certificates provided by server",
    "no CRL update available",
    "no [*] section found in config file '*'",
    "no [*] section found in config file '*'; will thus use just [default] and unnamed section if present",
    "no certificate request template available",
    "no cmp command to execute",
    "no key specifications available",
    "no root CA certificate update available",
    "oldWithNew certificate received in genp for verifying oldWithOld, but oldWithOld was not provided",
    "out of memory",
    "received * * certificate(s), saving to file '*'",
    "received *, saving to file '*'",
    "saving centrally generated key to file '*'",
    "saving more than one certificate in non-PEM format",
    "server credentials (-srv_secret or -srv_cert) must be given if -use_mock_srv or -port is used",
    "stored certTemplate from genp to file '*'",
    "stored keySpec from genp to file '*'",
    "success building cert chain for own TLS cert",
    "too few -rspin filename arguments; resorting to contacting server",
    "trying to build cert chain for own TLS cert",
    "unable to use TLS client private key '*'",
    "unable to use client TLS certificate file '*'",
    "unknown OID name in -infotype option",
    "unknown cmp command '*'",
    "unknown option given for CRL storing format",
    "unknown option given for certificate storing format",
    "unknown option given for key loading format",
    "using only first * characters of section name starting with \"*\"",
    "using section(s) '*' of OpenSSL configuration file '*'",
    "will contact *",
    "will not contact any server",
];

/// Messages OpenSSL 4.0 words differently, beyond the capital letter: (3.5's words, 4.0's words),
/// replaced wherever they occur in a message.
const REWORDED_IN_4_0: &[(&str, &str)] = &[
    (
        "-tls_used given without any other TLS options",
        "-tls_used is active without any other TLS options",
    ),
    (
        "ignoring TLS options(s) since -tls_used is not given",
        "Ignoring TLS options(s) since -tls_used is not active",
    ),
    (
        " only if -rspin argument gives too few filenames",
        " only if -rspin argument does not give enough filenames",
    ),
    (
        "-server option is not used if enough filenames given for -rspin",
        "-server option etc. are not used if enough filenames given for -rspin",
    ),
];

/// Whether `pat` (where `*` stands for any text, possibly empty) matches the start of `text`.
fn glob_prefix(pat: &str, text: &str) -> bool {
    let mut parts = pat.split('*');
    let Some(first) = parts.next() else {
        return true;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in parts {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The info line before `missing trust anchor` when a signature-protected message arrives and there is
/// neither a trust store nor a pinned certificate: OpenSSL 3.0 names the missing certificate the
/// server's, later releases the sender's (checked with both roles of 3.0.19, 3.5.9 and 4.0).
pub fn no_trust_store_nor_pinned(release: Compat) -> &'static str {
    if release == Compat::V3_0 {
        "no trust store nor pinned server cert available for verifying signature-based CMP message protection"
    } else {
        "no trust store nor pinned sender cert available for verifying signature-based CMP message protection"
    }
}

/// The message as the imitated release words it.
pub fn for_release(msg: &str) -> Cow<'_, str> {
    if compat::get() != Compat::V4_0 {
        return Cow::Borrowed(msg);
    }
    let mut msg = Cow::Borrowed(msg);
    for (old, new) in REWORDED_IN_4_0 {
        if msg.contains(old) {
            msg = Cow::Owned(msg.replacen(old, new, 1));
        }
    }
    capitalise(msg)
}

/// The message with a capital first letter if OpenSSL 4.0 capitalises it.
fn capitalise(msg: Cow<'_, str>) -> Cow<'_, str> {
    if capitalised_in_4_0(&msg) {
        let mut chars = msg.chars();
        if let Some(c) = chars.next() {
            return Cow::Owned(c.to_uppercase().chain(chars).collect());
        }
    }
    msg
}

/// Whether OpenSSL 4.0 capitalises this message (independent of `RCMP_COMPAT`, for tests).
pub fn capitalised_in_4_0(msg: &str) -> bool {
    CAPITALISED_IN_4_0.iter().any(|p| glob_prefix(p, msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(glob_prefix("will contact *", "will contact http://a/"));
        assert!(glob_prefix(
            "received * * certificate(s), saving to file '*'",
            "received 1 newly enrolled certificate(s), saving to file 'x.pem'"
        ));
        assert!(!glob_prefix(
            "received * * certificate(s), saving to file '*'",
            "received IP"
        ));
        assert!(capitalised_in_4_0(
            "using section(s) 'cmp' of OpenSSL configuration file 'f'"
        ));
        assert!(capitalised_in_4_0("unknown cmp command 'x'"));
        assert!(capitalised_in_4_0(
            "will contact http://h/ only if -rspin argument does not give enough filenames"
        ));
        // The library's lines and some of the app's stay as they were.
        for m in [
            "sending IR",
            "received IP",
            "missing protection",
            "no -subject given; no -csr or -oldcert or -cert available for fallback",
        ] {
            assert!(!capitalised_in_4_0(m), "{m}");
        }
        for p in CAPITALISED_IN_4_0 {
            assert!(p.starts_with(|c: char| c.is_ascii_lowercase()), "{p}");
        }
    }
}
