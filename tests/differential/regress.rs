//! Side-by-side checks for differences the tester found and that were fixed here: each runs one
//! fixed scenario with OpenSSL 3.5 and rcmp as clients against OpenSSL 3.5's mock and asserts what
//! the fix changed, so that the behaviour stays even where other lines of the run still differ (and
//! are listed in known-differences.txt).

use crate::compare::Seen;
use crate::pki::Pki;
use crate::run::{run_pair, Outcome, Side};
use crate::scenario::Scenario;
use std::path::Path;

fn scenario(pki: &Path, server: &[&str], client: &[&str]) -> Scenario {
    // Arguments starting with "PKI/" name files of the test PKI.
    let conv = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|a| match a.strip_prefix("PKI/") {
                Some(f) => pki.join(f).display().to_string(),
                None => a.to_string(),
            })
            .collect()
    };
    Scenario {
        server: conv(server),
        client: conv(client),
        outputs: Vec::new(),
    }
}

fn warnings(o: &Outcome) -> Vec<String> {
    o.stdout
        .lines()
        .chain(o.stderr.lines())
        .filter(|l| l.contains("CMP warning: "))
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// Without `-trusted` (and no pinned `-srvcert`), a signed response cannot be authenticated. OpenSSL
/// skips path validation with `missing trust store` and closes the logged signer search with `no
/// trusted store`; rcmp used to validate against an empty store (`unable to get local issuer
/// certificate`) and close with `no certs in trusted store`.
#[test]
fn signer_search_without_trust_store_ends_as_openssl_does() {
    let pki = Pki::get();
    let s = scenario(
        pki.dir(),
        &[
            "-srv_cert",
            "PKI/server.crt",
            "-srv_key",
            "PKI/server.key",
            "-rsp_cert",
            "PKI/new.crt",
            "-rsp_extracerts",
            "PKI/chain.pem",
        ],
        &[
            "-cmd",
            "cr",
            "-cert",
            "PKI/client.crt",
            "-key",
            "PKI/client.key",
            "-untrusted",
            "PKI/inter.crt",
            "-recipient",
            "/CN=Diff Mock Server",
            "-newkey",
            "PKI/new.key",
            "-subject",
            "/CN=Diff New",
            "-certout",
            "cert.pem",
        ],
    );
    for client in [Side::OpenSsl, Side::Rcmp] {
        let o = run_pair(&s, Side::OpenSsl, client);
        let what = format!("{}\n{}{}", o.client_cmd, o.stdout, o.stderr);
        assert_eq!(o.code, Some(1), "{what}");
        let w = warnings(&o);
        assert_eq!(
            w.last()
                .map(String::as_str)
                .and_then(|l| l.split("CMP warning: ").nth(1)),
            Some("no trusted store"),
            "{what}"
        );
        assert!(
            !w.iter().any(|l| l.contains("no certs in trusted store")),
            "{what}"
        );
        let seen = Seen::of(&o, pki.dir());
        assert_eq!(
            seen.first_error.as_deref(),
            Some("CMP error: missing trust store"),
            "{what}"
        );
    }
}

/// When no certificate in a response's extraCerts is acceptable (here: all expired at `-attime`),
/// OpenSSL 3.5 warns `no acceptable extraCerts`, 3.0 `no acceptable cert in extraCerts`; rcmp follows
/// `RCMP_COMPAT`.
#[test]
fn no_acceptable_extracerts_warning_follows_the_release() {
    let pki = Pki::get();
    let s = scenario(
        pki.dir(),
        &[
            "-srv_cert",
            "PKI/server.crt",
            "-srv_key",
            "PKI/server.key",
            "-rsp_cert",
            "PKI/new.crt",
            "-accept_unprotected",
        ],
        &[
            "-cmd",
            "genm",
            "-cert",
            "PKI/client.crt",
            "-key",
            "PKI/client.key",
            "-untrusted",
            "PKI/inter.crt",
            "-trusted",
            "PKI/root.crt",
            "-recipient",
            "/CN=Diff Mock Server",
            "-attime",
            "4102444800",
        ],
    );
    let new = "CMP warning: no acceptable extraCerts";
    let old = "CMP warning: no acceptable cert in extraCerts";
    for (client, want, not) in [
        (Side::OpenSsl, new, old),
        (Side::Rcmp, new, old),
        (Side::OpenSsl30, old, new),
        (Side::Rcmp30, old, new),
    ] {
        let o = run_pair(&s, Side::OpenSsl, client);
        let what = format!("{}\n{}{}", o.client_cmd, o.stdout, o.stderr);
        assert_eq!(o.code, Some(1), "{what}");
        let w = warnings(&o);
        assert!(w.iter().any(|l| l.ends_with(want)), "{what}");
        assert!(!w.iter().any(|l| l.ends_with(not)), "{what}");
    }
}
