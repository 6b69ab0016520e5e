//! PBM protection against OpenSSL: our MAC over messages OpenSSL protected must equal OpenSSL's value
//! (captured fixtures and a live run), and OpenSSL's mock server must accept messages we protect.
//! The live tests need the real `openssl` (3.x) and fail loudly without it.

use crate::testutil as common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{openssl, rcmp, run, MockServer};

use crate::asn1::{oid, PkiBody, PkiMessage};
use crate::protect::{self, pbm};
use der::asn1::OctetString;

fn golden(name: &str) -> PkiMessage {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/golden")
        .join(name);
    let der = std::fs::read(&p).unwrap_or_else(|e| panic!("missing {}: {e}", p.display()));
    PkiMessage::from_der_bounded(&der, name).unwrap()
}

/// Recomputes the protection of an OpenSSL-protected message with secret "test" and compares bytes.
fn check_same_mac(msg: &PkiMessage, what: &str) -> pbm::Owf {
    let alg = msg
        .header
        .protection_alg
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: no protectionAlg"));
    assert_eq!(
        alg.oid,
        oid::PASSWORD_BASED_MAC,
        "{what}: not PBM-protected"
    );
    let params = pbm::params_from_alg(alg).unwrap();
    let ours = pbm::protect(b"test", &params, &msg.protected_part_der().unwrap()).unwrap();
    let theirs = msg.protection.as_ref().unwrap().as_bytes().unwrap();
    assert_eq!(ours, theirs, "{what}: our PBM differs from OpenSSL's");
    protect::pbm_verify_message(msg, b"test").unwrap();
    let e = protect::pbm_verify_message(msg, b"wrong").unwrap_err();
    assert_eq!(e.to_string(), "wrong pbm value", "OpenSSL's wording");
    pbm::Owf::from_oid(&params.owf.oid).unwrap()
}

#[test]
fn captured_default_pbm_matches_openssl() {
    for name in [
        "pbm_ir.der",
        "pbm_ip.der",
        "pbm_certconf.der",
        "pbm_pkiconf.der",
    ] {
        let msg = golden(name);
        let params = pbm::params_from_alg(msg.header.protection_alg.as_ref().unwrap()).unwrap();
        if name == "pbm_ir.der" || name == "pbm_certconf.der" {
            // The client's choices are OpenSSL's defaults.
            assert_eq!(params.owf.oid, oid::SHA256, "{name}");
            assert_eq!(params.mac.oid, oid::HMAC_SHA1_IPSEC, "{name}");
            assert_eq!(params.iteration_count, 500, "{name}");
            assert_eq!(params.salt.as_bytes().len(), 16, "{name}");
            assert!(params.owf.parameters.is_none() && params.mac.parameters.is_none());
            assert_eq!(
                msg.header.sender_kid.as_ref().map(OctetString::as_bytes),
                Some(&b"1234"[..])
            );
        }
        check_same_mac(&msg, name);
    }
}

#[test]
fn captured_pbm_with_other_owf_and_mac_matches_openssl() {
    for (name, owf, mac) in [
        ("pbm512_cr.der", oid::SHA512, oid::HMAC_SHA256),
        ("pbm512_certconf.der", oid::SHA512, oid::HMAC_SHA256),
        ("pbm384_genm.der", oid::SHA384, oid::HMAC_SHA512),
    ] {
        let msg = golden(name);
        let params = pbm::params_from_alg(msg.header.protection_alg.as_ref().unwrap()).unwrap();
        assert_eq!((params.owf.oid, params.mac.oid), (owf, mac), "{name}");
        check_same_mac(&msg, name);
    }
    for name in ["pbm512_cp.der", "pbm512_pkiconf.der", "pbm384_genp.der"] {
        check_same_mac(&golden(name), name);
    }
}

/// A PBM-only mock server (`cmp -config "" -srv_secret pass:test -srv_ref 1234`) of `program`
/// (`openssl` or `rcmp`), started on port 0 by the harness and killed on drop.
fn pbm_mock(mut program: Command) -> MockServer {
    program.arg("cmp");
    MockServer::start_plain(
        program,
        &[
            "-config",
            "",
            "-srv_secret",
            "pass:test",
            "-srv_ref",
            "1234",
            "-verbosity",
            "7",
        ],
    )
}

fn client(mock: &MockServer, dir: &Path, args: &[&str]) -> std::process::Output {
    let server = format!("127.0.0.1:{}/pkix/", mock.port());
    run(openssl()
        .args([
            "cmp",
            "-config",
            "",
            "-server",
            &server,
            "-ref",
            "1234",
            "-secret",
            "pass:test",
        ])
        .args([
            "-recipient",
            "/CN=Root CA",
            "-msg_timeout",
            "10",
            "-total_timeout",
            "20",
        ])
        .args(args)
        .current_dir(dir))
}

#[test]
fn live_openssl_pbm_verifies_with_our_code() {
    let dir = tempfile::tempdir().unwrap();
    let mock = pbm_mock(openssl());
    let out = client(
        &mock,
        dir.path(),
        &[
            "-cmd",
            "genm",
            "-digest",
            "sha224",
            "-mac",
            "hmacWithSHA384",
            "-reqout",
            "req.der",
            "-rspout",
            "rsp.der",
        ],
    );
    assert!(
        out.status.success(),
        "openssl client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let req =
        PkiMessage::from_der_bounded(&std::fs::read(dir.path().join("req.der")).unwrap(), "req")
            .unwrap();
    let rsp =
        PkiMessage::from_der_bounded(&std::fs::read(dir.path().join("rsp.der")).unwrap(), "rsp")
            .unwrap();
    assert_eq!(req.body.type_name(), "GENM");
    assert_eq!(rsp.body.type_name(), "GENP");
    assert_eq!(check_same_mac(&req, "live genm"), pbm::Owf::Sha224);
    check_same_mac(&rsp, "live genp");
}

/// Re-protects a captured genm with fresh parameters and IDs, protected by our code with `secret`.
fn our_genm(owf: pbm::Owf, mac: pbm::Mac, secret: &[u8]) -> Vec<u8> {
    let mut msg = golden("pbm384_genm.der");
    assert!(matches!(msg.body, PkiBody::Genm(_)));
    let params = pbm::default_params(owf, mac).unwrap();
    msg.header.protection_alg = Some(pbm::algorithm_identifier(&params).unwrap());
    let mut tid = [0u8; 16];
    aws_lc_rs::rand::fill(&mut tid).unwrap();
    msg.header.transaction_id = Some(OctetString::new(tid.to_vec()).unwrap());
    protect::pbm_protect_message(&mut msg, secret).unwrap();
    msg.to_der_vec().unwrap()
}

#[test]
fn openssl_mock_accepts_our_pbm_and_rejects_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let mock = pbm_mock(openssl());
    for (i, (owf, mac)) in [
        (pbm::Owf::Sha256, pbm::Mac::HmacSha1),
        (pbm::Owf::Sha512, pbm::Mac::HmacSha256),
        (pbm::Owf::Sha1, pbm::Mac::HmacWithSha1),
    ]
    .into_iter()
    .enumerate()
    {
        let f = format!("ours{i}.der");
        std::fs::write(dir.path().join(&f), our_genm(owf, mac, b"test")).unwrap();
        let out = client(
            &mock,
            dir.path(),
            &["-cmd", "genm", "-reqin", &f, "-rspout", "rsp.der"],
        );
        assert!(
            out.status.success(),
            "OpenSSL refused our PBM ({owf:?}, {mac:?}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rsp = PkiMessage::from_der_bounded(
            &std::fs::read(dir.path().join("rsp.der")).unwrap(),
            "rsp",
        )
        .unwrap();
        assert_eq!(rsp.body.type_name(), "GENP");
    }
    std::fs::write(
        dir.path().join("bad.der"),
        our_genm(pbm::Owf::Sha256, pbm::Mac::HmacSha1, b"nottest"),
    )
    .unwrap();
    let out = client(
        &mock,
        dir.path(),
        &[
            "-cmd",
            "genm",
            "-reqin",
            "bad.der",
            "-rspout",
            "bad_rsp.der",
        ],
    );
    assert!(
        !out.status.success(),
        "OpenSSL accepted a PBM made with the wrong secret"
    );
    let rsp = PkiMessage::from_der_bounded(
        &std::fs::read(dir.path().join("bad_rsp.der")).unwrap(),
        "rsp",
    )
    .unwrap();
    match &rsp.body {
        PkiBody::Error(e) => assert_eq!(e.pki_status_info.status.name(), Some("rejection")),
        other => panic!("expected an error answer, got {}", other.type_name()),
    }
}

#[test]
fn received_messages_verify_over_their_own_bytes() {
    for name in [
        "pbm_ir.der",
        "pbm_ip.der",
        "pbm512_cp.der",
        "pbm384_genp.der",
    ] {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/golden")
            .join(name);
        let der = std::fs::read(&p).unwrap();
        let msg = PkiMessage::from_der_bounded(&der, name).unwrap();
        assert_eq!(
            crate::asn1::protected_part_der_raw(&der).unwrap(),
            msg.protected_part_der().unwrap()
        );
        protect::pbm_verify_received(&der, &msg, b"test").unwrap();
        assert!(protect::pbm_verify_received(&der, &msg, b"test1").is_err());
    }
}

/// PBM computed independently of rcmp (so it can go outside rcmp's limits): SHA-256 OWF, HMAC-SHA1.
fn independent_pbm(secret: &[u8], salt: &[u8], n: u32, data: &[u8]) -> Vec<u8> {
    use aws_lc_rs::{digest, hmac};
    let mut k = [secret, salt].concat();
    for _ in 0..n {
        k = digest::digest(&digest::SHA256, &k).as_ref().to_vec();
    }
    hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &k),
        data,
    )
    .as_ref()
    .to_vec()
}

#[test]
fn iteration_limits_are_openssls() {
    let dir = tempfile::tempdir().unwrap();
    for ours in [false, true] {
        let mock = if ours {
            pbm_mock(rcmp())
        } else {
            pbm_mock(openssl())
        };
        iteration_limits_against(&mock, dir.path());
    }
}

/// OpenSSL's limits (100..=100000) hold for the client check and for the mock server at `mock`.
fn iteration_limits_against(mock: &MockServer, dir: &Path) {
    for n in [1i64, 99, 100, 100_000, 100_001] {
        let mut msg = golden("pbm384_genm.der");
        let params =
            pbm::params_with_salt(b"0123456789abcdef", pbm::Owf::Sha256, n, pbm::Mac::HmacSha1)
                .unwrap();
        msg.header.protection_alg = Some(pbm::algorithm_identifier(&params).unwrap());
        msg.header.transaction_id =
            Some(OctetString::new(format!("iterations-{n:06}").into_bytes()).unwrap());
        let value = independent_pbm(
            b"test",
            b"0123456789abcdef",
            n as u32,
            &msg.protected_part_der().unwrap(),
        );
        msg.protection = Some(der::asn1::BitString::from_bytes(&value).unwrap());
        let ours_ok = protect::pbm_verify_message(&msg, b"test").is_ok();
        let f = format!("n{n}.der");
        std::fs::write(dir.join(&f), msg.to_der_vec().unwrap()).unwrap();
        let out = client(mock, dir, &["-cmd", "genm", "-reqin", &f]);
        assert_eq!(
            ours_ok,
            out.status.success(),
            "iterationCount {n}: rcmp accepts {ours_ok}, OpenSSL differs"
        );
        assert_eq!(ours_ok, (100..=100_000).contains(&n));
    }
}
