//! Proves the shared test harness (tests/common) against the real OpenSSL: a mock server from the
//! conformance corpus starts on port 0, a client enrolls a certificate from it, children are bounded
//! and killed. If these fail, every interop test built on the harness is suspect.

use crate::common;

use common::*;
use std::time::Duration;

#[test]
fn accept_lines_are_parsed() {
    assert_eq!(
        parse_accept("ACCEPT [::]:41479 PID=18363"),
        Some(("[::]".to_string(), 41479, Some(18363)))
    );
    assert_eq!(
        parse_accept("ACCEPT 0.0.0.0:80 PID=1"),
        Some(("0.0.0.0".to_string(), 80, Some(1)))
    );
    assert_eq!(parse_accept("ACCEPT 127.0.0.1:0 PID=1"), None);
    assert_eq!(parse_accept("CMP info: using section(s) 'cmp'"), None);
}

/// The same enrollment as the conformance row "newkey" of the enrollment aspect (corpus 30), with the
/// options the conformance runner adds spelt out.
#[test]
fn openssl_client_enrolls_from_openssl_mock_server() {
    let srv = MockServer::start_openssl("30", &[]);
    assert_ne!(srv.port(), 0);
    let certout = srv.out_dir().join("enrolled.pem");
    let mut cmd = openssl();
    cmd.current_dir(srv.dir())
        .args(["cmp", "-config", "test.cnf", "-section", "Mock enrollment"]);
    cmd.args([
        "-server",
        &srv.server_arg(),
        "-no_proxy",
        "127.0.0.1",
        "-proxy",
        "",
    ]);
    cmd.args([
        "-cmd",
        "ir",
        "-newkey",
        "new.key",
        "-newkeypass",
        "pass:",
        "-out_trusted",
        "root.crt",
    ]);
    cmd.arg("-certout").arg(&certout);
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "enrollment failed\n{}\n{}",
        describe(&cmd, &out),
        srv.logs()
    );
    let pem = std::fs::read_to_string(&certout).unwrap_or_default();
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "no certificate written to {}\n{}",
        certout.display(),
        describe(&cmd, &out)
    );
    // The enrolled certificate is the server's rsp_cert, so the subject is known.
    let text = run_ok(
        openssl()
            .arg("x509")
            .arg("-noout")
            .arg("-subject")
            .arg("-in")
            .arg(&certout),
    );
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("CN"),
        "unexpected subject: {}",
        String::from_utf8_lossy(&text.stdout)
    );
    assert!(srv.is_running(), "mock server died\n{}", srv.logs());
}

/// A client pointed at a server that has gone away fails (exit 1), so the enrollment above is not a
/// test that cannot fail.
#[test]
fn enrollment_fails_once_server_is_gone() {
    let srv = MockServer::start_openssl("30", &[]);
    let dir = srv.out_dir();
    let server = srv.server_arg();
    let mock = corpus_mock_dir("30");
    drop(srv);
    let certout = dir.join("none.pem");
    let mut cmd = openssl();
    cmd.current_dir(&mock)
        .args(["cmp", "-config", "test.cnf", "-section", "Mock enrollment"]);
    cmd.args([
        "-server",
        &server,
        "-no_proxy",
        "127.0.0.1",
        "-proxy",
        "",
        "-msg_timeout",
        "5",
    ]);
    cmd.args(["-cmd", "ir", "-newkey", "new.key", "-newkeypass", "pass:"]);
    cmd.arg("-certout").arg(&certout);
    let out = run_fail(&mut cmd);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
    assert!(!certout.exists());
}

/// A hung child is killed at the time limit and the test sees a panic naming the command.
#[test]
fn hung_command_is_killed() {
    let res = std::panic::catch_unwind(|| {
        let mut cmd = std::process::Command::new("sleep");
        cmd.arg("30");
        run_timeout(&mut cmd, Duration::from_millis(300))
    });
    let msg = match res {
        Ok(out) => panic!("sleep 30 was not stopped: {out:?}"),
        Err(e) => e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    };
    assert!(
        msg.contains("did not finish") && msg.contains("sleep 30"),
        "{msg}"
    );
}

/// Our binary is found and runs (whatever it implements so far, it must exit, not hang).
#[test]
fn rcmp_binary_runs() {
    let out = run(&mut rcmp());
    assert!(out.status.code().is_some(), "{}", describe(&rcmp(), &out));
}

/// OpenSSL 3.5 (from scripts/fetch-deps), as client and as mock server on the `latest` corpus.
#[test]
fn openssl35_client_enrolls_from_openssl35_mock_server() {
    let srv = MockServer::start_openssl35("latest", &[]);
    let certout = srv.out_dir().join("enrolled35.pem");
    let mut cmd = openssl35();
    cmd.current_dir(srv.dir())
        .args(["cmp", "-config", "test.cnf", "-section", "Mock enrollment"]);
    cmd.args([
        "-server",
        &srv.server_arg(),
        "-no_proxy",
        "127.0.0.1",
        "-proxy",
        "",
    ]);
    cmd.args([
        "-cmd",
        "ir",
        "-newkey",
        "new.key",
        "-newkeypass",
        "pass:",
        "-out_trusted",
        "root.crt",
    ]);
    cmd.arg("-certout").arg(&certout);
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "enrollment failed\n{}\n{}",
        describe(&cmd, &out),
        srv.logs()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // 3.5's wording (3.0 says "enrolled"): proves the 3.5 binary really ran.
    assert!(
        stdout.contains("newly enrolled certificate(s), saving to file"),
        "{}",
        describe(&cmd, &out)
    );
    let pem = std::fs::read_to_string(&certout).unwrap_or_default();
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "no certificate in {}",
        certout.display()
    );
}

/// A "server" that exits without an ACCEPT line makes the test fail loudly, quickly, with its output.
#[test]
fn server_without_accept_line_fails_loudly() {
    let res = std::panic::catch_unwind(|| {
        let mut sh = std::process::Command::new("sh");
        sh.args(["-c", "echo starting; echo oops >&2; exit 1", "fake-server"]);
        MockServer::start(sh, "30", &[])
    });
    let msg = match res {
        Ok(_) => panic!("a server without ACCEPT line was accepted"),
        Err(e) => e.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    assert!(msg.contains("no `ACCEPT host:port PID=n` line"), "{msg}");
    assert!(msg.contains("starting") && msg.contains("oops"), "{msg}");
}

/// The fetched inputs are the releases and tables they claim to be: OpenSSL 4.0 reports 4.0, and each
/// corpus has OpenSSL's five CSV tables beside its `Mock/`.
#[test]
fn fetched_inputs_are_what_they_claim() {
    let out = run_ok(openssl40().arg("version"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("OpenSSL 4.0."), "{text}");
    for corpus in ["30", "latest", "40"] {
        let dir = corpus_dir(corpus);
        for aspect in [
            "connection",
            "verification",
            "credentials",
            "commands",
            "enrollment",
        ] {
            let csv = dir.join(format!("test_{aspect}.csv"));
            assert!(csv.is_file(), "{} missing", csv.display());
        }
        assert!(corpus_mock_dir(corpus).join("test.cnf").is_file());
    }
}

#[test]
fn pki_body_choice_reads_captured_messages() {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    for (file, choice) in [
        ("ir.der", 0),
        ("ip.der", 1),
        ("certconf.der", 24),
        ("genm.der", 21),
        ("error.der", 23),
    ] {
        let der = std::fs::read(golden.join(file)).expect("golden message");
        assert_eq!(pki_body_choice(&der), Some(choice), "{file}");
        assert_eq!(
            pki_body_choice(&der[..der.len() - 1]),
            None,
            "{file} cut short"
        );
    }
    assert_eq!(pki_body_choice(b"\x30\x00"), None);
}
