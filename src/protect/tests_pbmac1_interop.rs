//! PBMAC1 against an independent implementation: Bouncy Castle's PBMAC1 calculator (bcpkix 1.80 from
//! Debian trixie, fetched by `tests/tools/bouncycastle`), driven by `tests/bc/PbmacPeer.java`, which
//! is compiled with `javac` when the tests run.
//!
//! - Bouncy Castle verifies what rcmp's client sends and what rcmp's mock answers.
//! - rcmp (library and mock server) verifies a request Bouncy Castle protected, including Bouncy
//!   Castle's habit of naming PBES2 where PBKDF2 is meant, and the mock answers with its parameters.
//!
//! Bouncy Castle 1.80's verifier derives keys with HMAC-SHA256 whatever PRF the parameters name
//! (bc-java pull request 2070, fixed after 1.80), so it is asked to verify SHA-256-PRF messages only.
//! Java, javac and the Debian archive must be reachable: without them these tests fail, never skip.

use crate::testutil as common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::asn1::{oid, PkiBody, PkiMessage};
use crate::protect::{self, pbmac1};
use common::{describe, run, run_ok, MockServer};

/// Class path for running the compiled helper: Bouncy Castle's jars and the helper's folder.
fn peer_classpath() -> &'static str {
    static CP: OnceLock<String> = OnceLock::new();
    CP.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
        let mut fetch = Command::new(root.join("tools/bouncycastle"));
        let out = run(&mut fetch);
        assert!(
            out.status.success(),
            "Bouncy Castle 1.80+ is needed for this test\n{}",
            describe(&fetch, &out)
        );
        let jars = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let classes = tempfile::Builder::new()
            .prefix("rcmp-bc-")
            .tempdir()
            .expect("temp dir")
            .keep();
        let mut javac = Command::new("javac");
        javac
            .args(["-cp", &jars, "-d"])
            .arg(&classes)
            .arg(root.join("bc/PbmacPeer.java"));
        run_ok(&mut javac);
        format!("{jars}:{}", classes.display())
    })
}

/// Runs the helper; returns (exit success, stdout).
fn peer(args: &[&str]) -> (bool, String) {
    let mut c = Command::new("java");
    c.args(["-cp", peer_classpath(), "PbmacPeer"]).args(args);
    let out = run(&mut c);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "helper failed to run\n{}",
        describe(&c, &out)
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn read_msg(p: &Path) -> (Vec<u8>, PkiMessage) {
    let der = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let msg = PkiMessage::from_der_bounded(&der, "test message").expect("PKIMessage");
    (der, msg)
}

fn params(msg: &PkiMessage) -> pbmac1::Params {
    let alg = msg.header.protection_alg.as_ref().expect("protectionAlg");
    assert_eq!(alg.oid, oid::PBMAC1, "not PBMAC1-protected");
    pbmac1::params_from_alg(alg).expect("PBMAC1 parameters")
}

/// rcmp enrolls with PBMAC1 (2000 iterations, HMAC-SHA256 PRF, the given MAC) against its own mock,
/// saving every message; Bouncy Castle must verify all four with the right secret and none with a
/// wrong one.
fn bc_verifies_rcmp(mac: Option<&str>, mac_oid: &str) {
    let srv = MockServer::start_rcmp("latest", &[]);
    let out = srv.out_dir();
    let f = |n: &str| out.join(n).display().to_string();
    let mut c = common::pbm_ir(&srv, common::rcmp(), "/CN=pbmac1");
    c.args([
        "-pbmac1",
        "-pbm_iterations",
        "2000",
        "-certout",
        &f("cert.pem"),
        "-reqout",
        &format!("{},{}", f("ir.der"), f("certconf.der")),
        "-rspout",
        &format!("{},{}", f("ip.der"), f("pkiconf.der")),
    ]);
    if let Some(m) = mac {
        c.args(["-mac", m]);
    }
    run_ok(&mut c);
    for name in ["ir.der", "certconf.der", "ip.der", "pkiconf.der"] {
        let (ok, text) = peer(&["verify", &f(name), "test"]);
        assert!(ok && text.contains("\nverified"), "{name}: {text}");
        let want = format!(
            "kdf 1.2.840.113549.1.5.12 iterations 2000 salt 16 keyLength {} prf 1.2.840.113549.2.9 mac {mac_oid}",
            if mac_oid.ends_with(".11") { 64 } else { 32 }
        );
        assert!(text.contains(&want), "{name}: {text}\nwanted: {want}");
        let (ok, text) = peer(&["verify", &f(name), "wrong"]);
        assert!(!ok && text.contains("NOT verified"), "{name}: {text}");
    }
}

#[test]
fn bouncy_castle_verifies_rcmp_pbmac1() {
    bc_verifies_rcmp(None, "1.2.840.113549.2.9");
}

#[test]
fn bouncy_castle_verifies_rcmp_pbmac1_with_hmac_sha512() {
    bc_verifies_rcmp(Some("hmacWithSHA512"), "1.2.840.113549.2.11");
}

/// Bouncy Castle protects an IR (built by rcmp) with PBMAC1, PRF HMAC-SHA512 and 3000 iterations;
/// rcmp's library verifies it, and rcmp's mock accepts it and answers with the same parameters.
#[test]
fn rcmp_verifies_bouncy_castle_pbmac1() {
    let srv = MockServer::start_rcmp("latest", &[]);
    let out = srv.out_dir();
    let f = |n: &str| out.join(n).display().to_string();
    let mut c = common::pbm_ir(&srv, common::rcmp(), "/CN=bc");
    run_ok(c.args(["-reqout_only", &f("template.der")]));
    let (ok, text) = peer(&[
        "protect",
        &f("template.der"),
        &f("bc_ir.der"),
        "test",
        "3000",
        "sha512",
    ]);
    assert!(ok, "{text}");
    let (der, msg) = read_msg(&out.join("bc_ir.der"));
    let p = params(&msg);
    assert_eq!(
        (p.iterations, p.prf, p.mac),
        (3000, pbmac1::Sha2::Sha512, pbmac1::Sha2::Sha256)
    );
    // Bouncy Castle's own encoding, with the PBES2 OID as key derivation function.
    assert!(
        der.windows(11)
            .any(|w| w == [6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 5, 13]),
        "expected Bouncy Castle's PBES2 OID"
    );
    protect::pbm_verify_received(&der, &msg, b"test").expect("rcmp verifies Bouncy Castle");
    assert!(protect::pbm_verify_received(&der, &msg, b"tesT").is_err());

    let url = format!("http://{}/pkix/", srv.server_arg());
    let (ok, text) = peer(&["send", &url, &f("bc_ir.der"), &f("bc_ip.der")]);
    assert!(ok, "{text}\n{}", srv.logs());
    let (der, ip) = read_msg(&out.join("bc_ip.der"));
    assert!(
        matches!(&ip.body, PkiBody::Ip(r) if r.response.first().is_some_and(|c| c.status.status == crate::asn1::PkiStatus::ACCEPTED)),
        "not an accepting IP: {:?}\n{}",
        ip.body,
        srv.logs()
    );
    let q = params(&ip);
    assert_eq!(
        (q.iterations, q.prf, q.mac, q.key_len, q.salt.len()),
        (3000, pbmac1::Sha2::Sha512, pbmac1::Sha2::Sha256, 32, 32),
        "the mock answers with the request's parameters"
    );
    assert_ne!(q.salt, p.salt, "fresh salt");
    protect::pbm_verify_received(&der, &ip, b"test").expect("the answer verifies");
}
