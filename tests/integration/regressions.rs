//! Regression tests for bug classes that do not need a hostile CMP server (those live in
//! src/client/tests_hostile_server.rs): config files that never end, and rcmp's mock server answering a
//! revocation request built from a CSR (no serialNumber, no issuer in its CertTemplate), compared
//! with OpenSSL 3.5's mock. docs/ROBUSTNESS.md lists which OpenSSL fix each test stands for.

use crate::common;
use common::*;

use std::time::Duration;

/// The config loader must read at most its size bound (16 MiB) plus one byte of any file: an endless
/// file such as /dev/zero, given directly or through `.include`, ends in a clear error, not in a read
/// that fills memory. (Before the fix, `std::fs::read` read /dev/zero until the allocator gave up.)
#[test]
fn config_from_dev_zero_fails_on_the_size_bound() {
    let dir = tempfile::tempdir().expect("temp dir");
    let including = dir.path().join("including.cnf");
    std::fs::write(
        &including,
        "[cmp]\nserver = 127.0.0.1:1\n.include /dev/zero\n",
    )
    .expect("write config");
    for config in [std::path::Path::new("/dev/zero"), including.as_path()] {
        let mut cmd = rcmp();
        cmd.arg("-config").arg(config).args(["-cmd", "ir"]);
        let out = run_timeout(&mut cmd, Duration::from_secs(60));
        let what = describe(&cmd, &out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}");
        assert!(!stderr.contains("panicked"), "{what}");
        assert!(
            stderr.contains("CMP error: config file \"/dev/zero\" is too large"),
            "no clear size error\n{what}"
        );
    }
}

/// Revocation with `-csr` (OpenSSL 3.5 accepts it instead of `-oldcert`): the rr's CertTemplate comes
/// from the CSR, so it has neither serialNumber nor issuer. OpenSSL's mock revokes without comparing
/// them against its reference certificate; ours must answer the same way and not trip over the
/// missing fields. Checked with both clients against both mocks.
#[test]
fn csr_based_rr_is_answered_by_both_mocks() {
    for ours in [true, false] {
        let srv = if ours {
            MockServer::start_rcmp("latest", &[])
        } else {
            MockServer::start_openssl35("latest", &[])
        };
        for rcmp_client in [true, false] {
            let mut cmd = if rcmp_client {
                rcmp()
            } else {
                let mut c = openssl35();
                c.arg("cmp");
                c
            };
            cmd.current_dir(srv.dir())
                .args(["-config", "", "-server", &srv.server_arg()])
                .args(["-cmd", "rr", "-csr", "csr.pem", "-revreason", "1"])
                .args(["-ref", "1", "-secret", "pass:test", "-recipient", "/CN=x"]);
            let out = run(&mut cmd);
            let what = format!("{}\n{}", describe(&cmd, &out), srv.logs());
            assert!(out.status.success(), "CSR-based rr fails\n{what}");
            assert!(
                String::from_utf8_lossy(&out.stdout)
                    .contains("revocation accepted (PKIStatus=accepted)"),
                "{what}"
            );
            assert!(srv.is_running(), "mock server died\n{what}");
            assert!(!srv.logs().contains("panicked"), "{what}");
        }
    }
}

/// `-rsp_extracerts` goes into the extraCerts of certificate responses exactly as given: OpenSSL's
/// mocks (3.0 and 3.5) send self-signed certificates too, and a former version of ours dropped them,
/// so a client's `-extracertsout` differed between the two mocks. Compared with OpenSSL 3.0's mock,
/// the OpenSSL client fetching from both.
#[test]
fn rsp_extracerts_are_sent_as_given_like_openssl() {
    let mut saved = Vec::new();
    for ours in [true, false] {
        // signer_root.crt is self-signed; signer_issuing.crt holds two CA certificates below it.
        let args = ["-rsp_extracerts", "signer_root.crt,signer_issuing.crt"];
        let srv = if ours {
            MockServer::start_rcmp("30", &args)
        } else {
            MockServer::start_openssl("30", &args)
        };
        let out_file = srv.out_dir().join("extra.pem");
        let mut cmd = openssl();
        cmd.arg("cmp")
            .current_dir(srv.dir())
            .args([
                "-config",
                "",
                "-server",
                &srv.server_arg(),
                "-path",
                "pkix/",
            ])
            .args(["-cmd", "ir", "-ref", "1234", "-secret", "pass:test"])
            .args(["-recipient", "/CN=Root CA", "-newkey", "new.key"])
            .args(["-subject", "/CN=leaf", "-certout"])
            .arg(srv.out_dir().join("cert.pem"))
            .arg("-extracertsout")
            .arg(&out_file);
        run_ok(&mut cmd);
        let text = std::fs::read_to_string(&out_file).expect("extracertsout written");
        assert_eq!(
            text.matches("-----BEGIN CERTIFICATE-----").count(),
            3,
            "all three certificates, the self-signed one included ({})",
            if ours { "rcmp mock" } else { "OpenSSL mock" }
        );
        saved.push(text);
    }
    assert_eq!(
        saved[0], saved[1],
        "same extraCerts, same order, from both mocks"
    );
}
