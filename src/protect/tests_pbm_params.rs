//! Settable PBM parameters and PBMAC1 (`-pbm_iterations`, `-pbm_saltlen`, `-pbmac1`, rcmp extensions):
//! what goes on the wire (read back with `openssl asn1parse` and our decoder), interop of tuned PBM
//! with OpenSSL 3.5's mock and client, the mock's answer rule, and refused values. Needs `openssl`
//! and OpenSSL 3.5 (shared tools); fails loudly without them.

use crate::testutil as common;

use std::path::Path;

use crate::asn1::{oid, PkiMessage};
use crate::protect::{pbm, pbmac1};
use common::{describe, openssl, openssl35, rcmp, run, run_fail, run_ok, MockServer};

fn read_msg(p: &Path) -> PkiMessage {
    let der = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    PkiMessage::from_der_bounded(&der, "test message").expect("PKIMessage")
}

fn pbm_params(p: &Path) -> crate::asn1::PbmParameter {
    let m = read_msg(p);
    pbm::params_from_alg(m.header.protection_alg.as_ref().expect("protectionAlg")).expect("PBM")
}

/// `openssl asn1parse` of a DER file (the machine's OpenSSL, an independent decoder).
fn asn1parse(p: &Path) -> String {
    let mut c = openssl();
    c.args(["asn1parse", "-inform", "DER", "-in"]).arg(p);
    let out = run_ok(&mut c);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An `ir` with PBM against `srv` with `extra` options; the certificate goes to `cert.pem` in the
/// server's scratch folder.
fn enroll(srv: &MockServer, client: std::process::Command, extra: &[&str]) -> std::process::Output {
    let cert = srv.out_dir().join("cert.pem");
    let mut c = common::pbm_ir(srv, client, "/CN=params");
    c.arg("-certout").arg(&cert).args(extra);
    run_ok(&mut c)
}

fn cmp_cmd(mut c: std::process::Command) -> std::process::Command {
    c.arg("cmp");
    c
}

/// OpenSSL 3.5's mock verifies PBM with a chosen iteration count, salt length, OWF and MAC, and the
/// request carries exactly those (decoded by us and by `openssl asn1parse`).
#[test]
fn tuned_pbm_is_accepted_by_openssl_35_mock() {
    let srv = MockServer::start_openssl35("latest", &[]);
    let out = srv.out_dir();
    let ir = out.join("ir.der");
    let cert = out.join("cert.pem");
    let _ = std::fs::remove_file(&cert);
    enroll(
        &srv,
        rcmp(),
        &[
            "-pbm_iterations",
            "2047",
            "-pbm_saltlen",
            "32",
            "-digest",
            "sha512",
            "-mac",
            "hmacWithSHA256",
            "-reqout",
            ir.to_str().unwrap(),
        ],
    );
    assert!(cert.is_file(), "{}", srv.logs());
    let p = pbm_params(&ir);
    assert_eq!(p.iteration_count, 2047);
    assert_eq!(p.salt.as_bytes().len(), 32);
    assert_eq!(p.owf.oid, oid::SHA512);
    assert_eq!(p.mac.oid, oid::HMAC_SHA256);
    let text = asn1parse(&ir);
    for want in [
        ":password based MAC",
        "INTEGER           :07FF",
        ":sha512",
        ":hmacWithSHA256",
    ] {
        assert!(text.contains(want), "{want} not in\n{text}");
    }
}

/// Without the new options the client sends OpenSSL's defaults, unchanged.
#[test]
fn default_pbm_is_openssls() {
    let srv = MockServer::start_rcmp("latest", &[]);
    let ir = srv.out_dir().join("ir.der");
    enroll(&srv, rcmp(), &["-reqout", ir.to_str().unwrap()]);
    let p = pbm_params(&ir);
    assert_eq!(
        (
            p.iteration_count,
            p.salt.as_bytes().len(),
            p.owf.oid,
            p.mac.oid
        ),
        (500, 16, oid::SHA256, oid::HMAC_SHA1_IPSEC)
    );
}

/// The mock answers a PBM request with the request's OWF, MAC, iteration count and salt length (fresh
/// salt): OpenSSL 3.5's client with `-digest sha512 -mac hmacWithSHA256` gets those back, and with
/// its defaults gets OpenSSL's defaults, as from OpenSSL's own mock.
#[test]
fn mock_answers_with_the_request_pbm_parameters() {
    let srv = MockServer::start_rcmp("latest", &[]);
    let out = srv.out_dir();
    let ip = out.join("ip.der");
    let ir = out.join("ir.der");
    let files = [
        "-reqout",
        ir.to_str().unwrap(),
        "-rspout",
        ip.to_str().unwrap(),
    ];
    let mut tuned = vec!["-digest", "sha512", "-mac", "hmacWithSHA256"];
    tuned.extend_from_slice(&files);
    enroll(&srv, cmp_cmd(openssl35()), &tuned);
    let (q, r) = (pbm_params(&ir), pbm_params(&ip));
    assert_eq!(r.owf.oid, oid::SHA512);
    assert_eq!(r.mac.oid, oid::HMAC_SHA256);
    assert_eq!(r.iteration_count, 500);
    assert_eq!(r.salt.as_bytes().len(), q.salt.as_bytes().len());
    assert_ne!(r.salt, q.salt, "fresh salt");

    enroll(&srv, cmp_cmd(openssl35()), &files);
    let r = pbm_params(&ip);
    assert_eq!(
        (
            r.iteration_count,
            r.salt.as_bytes().len(),
            r.owf.oid,
            r.mac.oid
        ),
        (500, 16, oid::SHA256, oid::HMAC_SHA1_IPSEC)
    );

    // rcmp's own tuned PBM comes back tuned too.
    enroll(
        &srv,
        rcmp(),
        &[
            "-pbm_iterations",
            "1500",
            "-pbm_saltlen",
            "24",
            "-rspout",
            ip.to_str().unwrap(),
        ],
    );
    let r = pbm_params(&ip);
    assert_eq!((r.iteration_count, r.salt.as_bytes().len()), (1500, 24));
}

/// PBMAC1 on the wire, as `openssl asn1parse` reads it: PBMAC1 with PBKDF2 (salt, 4096 iterations,
/// keyLength 64, PRF hmacWithSHA384) and HMAC-SHA512; the mock answers with the same.
#[test]
fn pbmac1_wire_format() {
    let srv = MockServer::start_rcmp("latest", &[]);
    let out = srv.out_dir();
    let (ir, ip) = (out.join("ir.der"), out.join("ip.der"));
    enroll(
        &srv,
        rcmp(),
        &[
            "-pbmac1",
            "-pbm_iterations",
            "4096",
            "-digest",
            "sha384",
            "-mac",
            "hmacWithSHA512",
            "-reqout",
            ir.to_str().unwrap(),
            "-rspout",
            ip.to_str().unwrap(),
        ],
    );
    for f in [&ir, &ip] {
        let text = asn1parse(f);
        let order = [
            ":PBMAC1",
            ":PBKDF2",
            "OCTET STRING      [HEX DUMP]:",
            "INTEGER           :1000",
            "INTEGER           :40",
            ":hmacWithSHA384",
            ":hmacWithSHA512",
        ];
        let mut at = 0;
        for want in order {
            let i = text[at..]
                .find(want)
                .unwrap_or_else(|| panic!("{want} missing (in order) in {}:\n{text}", f.display()));
            at += i + want.len();
        }
        let m = read_msg(f);
        let p = pbmac1::params_from_alg(m.header.protection_alg.as_ref().unwrap()).unwrap();
        assert_eq!(
            (p.iterations, p.salt.len(), p.key_len, p.prf, p.mac),
            (4096, 16, 64, pbmac1::Sha2::Sha384, pbmac1::Sha2::Sha512)
        );
    }
}

/// OpenSSL has no PBMAC1: its 3.5 mock refuses such a request, and the client fails (exit 1).
#[test]
fn openssl_mock_refuses_pbmac1() {
    let srv = MockServer::start_openssl35("latest", &[]);
    let mut c = common::pbm_ir(&srv, rcmp(), "/CN=x");
    c.arg("-pbmac1");
    run_fail(&mut c);
}

/// Bad values: one precise `CMP error:` line on stderr, exit 1, nothing sent or written.
#[test]
fn bad_values_are_refused() {
    let dir = common::corpus_mock_dir("latest");
    let tmp = tempfile::tempdir().unwrap();
    let cert = tmp.path().join("cert.pem");
    for (extra, want) in [
        (
            &["-pbm_iterations", "99"][..],
            "CMP error: -pbm_iterations argument must be from 100 to 100000 for PBM",
        ),
        (
            &["-pbm_iterations", "100001"][..],
            "CMP error: -pbm_iterations argument must be from 100 to 100000 for PBM",
        ),
        (
            &["-pbmac1", "-pbm_iterations", "999"][..],
            "CMP error: -pbm_iterations argument must be from 1000 to 1000000 for PBMAC1",
        ),
        (
            &["-pbm_saltlen", "7"][..],
            "CMP error: -pbm_saltlen argument must be from 8 to 1024",
        ),
        (
            &["-pbm_saltlen", "1025"][..],
            "CMP error: -pbm_saltlen argument must be from 8 to 1024",
        ),
        (
            &["-pbm_iterations", "0"][..],
            "cmp: Non-positive number \"0\" for option -pbm_iterations",
        ),
        (
            &["-pbmac1", "-mac", "hmac-sha1"][..],
            "CMP error: MAC algorithm hmac-sha1 is not supported for PBMAC1 (use hmacWithSHA256, hmacWithSHA384 or hmacWithSHA512)",
        ),
        (
            &["-pbmac1", "-digest", "sha1"][..],
            "CMP error: digest sha1 is not supported for the PBKDF2 PRF of PBMAC1 (use sha256, sha384 or sha512)",
        ),
    ] {
        let mut c = rcmp();
        c.current_dir(&dir).args([
            "-config",
            "",
            "-server",
            "127.0.0.1:1",
            "-cmd",
            "ir",
            "-ref",
            "1",
            "-secret",
            "pass:x",
            "-newkey",
            "new.key",
            "-subject",
            "/CN=x",
            "-certout",
            cert.to_str().unwrap(),
        ]);
        c.args(extra);
        let out = run(&mut c);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(1), "{}", describe(&c, &out));
        assert_eq!(stderr.lines().next(), Some(want), "{}", describe(&c, &out));
        assert!(
            !stdout.contains("will contact"),
            "refused before any transfer\n{}",
            describe(&c, &out)
        );
        assert!(!cert.exists());
    }
}

/// Without `-secret` the options have no effect, and a warning says so for each.
#[test]
fn options_without_secret_warn() {
    let dir = common::corpus_mock_dir("latest");
    let tmp = tempfile::tempdir().unwrap();
    let req = tmp.path().join("req.der");
    let mut c = rcmp();
    c.current_dir(&dir).args([
        "-config",
        "",
        "-cmd",
        "ir",
        "-cert",
        "signer.crt",
        "-key",
        "signer.key",
        "-newkey",
        "new.key",
        "-subject",
        "/CN=x",
        "-pbmac1",
        "-pbm_iterations",
        "2000",
        "-reqout_only",
        req.to_str().unwrap(),
    ]);
    let out = run_ok(&mut c);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for o in ["-pbmac1", "-pbm_iterations"] {
        let line = format!("CMP warning: {o} option is ignored without -secret");
        assert!(stdout.contains(&line), "{line}\n{}", describe(&c, &out));
    }
    let m = read_msg(&req);
    assert_ne!(
        m.header.protection_alg.as_ref().map(|a| a.oid),
        Some(oid::PBMAC1)
    );
}

/// The extensions work from a config section like any option (`pbmac1 = 1`), and the command line
/// overrides them.
#[test]
fn extensions_from_config_file() {
    let srv = MockServer::start_rcmp("latest", &[]);
    let out = srv.out_dir();
    let cnf = out.join("ext.cnf");
    std::fs::write(
        &cnf,
        "[ext]\npbmac1 = 1\npbm_iterations = 3000\npbm_saltlen = 12\n",
    )
    .unwrap();
    let ir = out.join("ir.der");
    let mut c = common::pbm_ir(&srv, rcmp(), "/CN=cnf");
    c.arg("-config")
        .arg(&cnf)
        .args(["-section", "ext", "-pbm_iterations", "2500", "-certout"])
        .arg(out.join("cert.pem"))
        .arg("-reqout")
        .arg(&ir);
    run_ok(&mut c);
    let m = read_msg(&ir);
    let p = pbmac1::params_from_alg(m.header.protection_alg.as_ref().unwrap()).unwrap();
    assert_eq!((p.iterations, p.salt.len()), (2500, 12));
}
