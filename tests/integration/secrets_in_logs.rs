//! No secret in any log line: pass phrases, PBM secrets and private key material must never appear on
//! stdout or stderr of the client or of the mock server, at the highest verbosity, whether the run
//! succeeds or fails (wrong secret, wrong pass phrase, a key file that does not decode).

use crate::common;
use common::*;

use std::process::{Command, Output};

/// Distinctive values that must not show up anywhere.
const SRV_SECRET: &str = "SrvSecretQ7x";
const CLI_SECRET: &str = "CliSecretZ9k";
const WRONG_SECRET: &str = "WrongSecretB4m";
const WRONG_PASS: &str = "WrongPassJ2w";
const ENV_SECRET: &str = "EnvSecretH5p";

fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Base64 lines of the private key files the runs use: none of them may be echoed.
fn key_lines(srv: &MockServer) -> Vec<String> {
    let mut lines = Vec::new();
    for f in ["new.key", "server.key", "signer.key", "new_pass_12345.key"] {
        let text = std::fs::read_to_string(srv.dir().join(f)).expect("key file");
        lines.extend(
            text.lines()
                .filter(|l| l.len() >= 40 && !l.starts_with("-----"))
                .map(str::to_string),
        );
    }
    assert!(lines.len() > 20, "key files have base64 lines");
    lines
}

fn assert_clean(what: &str, text: &str, keys: &[String]) {
    for s in [SRV_SECRET, CLI_SECRET, WRONG_SECRET, WRONG_PASS, ENV_SECRET] {
        assert!(!text.contains(s), "{what}: secret {s} in output:\n{text}");
    }
    for l in keys {
        assert!(
            !text.contains(l.as_str()),
            "{what}: key material in output:\n{text}"
        );
    }
}

fn ir(srv: &MockServer, secret: &str) -> Command {
    let mut cmd = rcmp();
    cmd.current_dir(srv.dir())
        .args([
            "-config",
            "",
            "-server",
            &srv.server_arg(),
            "-path",
            "pkix/",
        ])
        .args(["-cmd", "ir", "-ref", "1234", "-secret", secret])
        .args(["-recipient", "/CN=Root CA", "-subject", "/CN=leaf"])
        .args(["-verbosity", "8", "-certout"])
        .arg(srv.out_dir().join("cert.pem"));
    cmd
}

#[test]
fn secrets_stay_out_of_client_and_server_logs() {
    let srv_secret = format!("pass:{SRV_SECRET}");
    let srv = MockServer::start_rcmp("30", &["-srv_secret", &srv_secret, "-verbosity", "8"]);
    let keys = key_lines(&srv);
    // The client must know the server's secret for the runs that succeed.
    let cli_secret = format!("pass:{SRV_SECRET}");

    // A successful enrollment, and one with the client's secret from the environment.
    let out = run_ok(ir(&srv, &cli_secret).args(["-newkey", "new.key"]));
    let text = all_output(&out);
    assert!(
        text.contains("CMP DEBUG:") && text.contains("newly enrolled"),
        "{text}"
    );
    assert_clean("successful ir", &text, &keys);
    let out = run_ok(
        ir(&srv, "env:RCMP_TEST_SECRET")
            .env("RCMP_TEST_SECRET", SRV_SECRET)
            .args(["-newkey", "new.key"]),
    );
    assert_clean("ir with env: secret", &all_output(&out), &keys);

    // The wrong PBM secret: the server refuses, the client fails.
    let out = run_fail(ir(&srv, &format!("pass:{WRONG_SECRET}")).args(["-newkey", "new.key"]));
    assert_clean("wrong secret", &all_output(&out), &keys);

    // An encrypted new key with the wrong pass phrase, and a CLI secret that the client never sends.
    let out = run_fail(
        ir(&srv, &format!("pass:{CLI_SECRET}"))
            .args(["-newkey", "new_pass_12345.key", "-newkeypass"])
            .arg(format!("pass:{WRONG_PASS}")),
    );
    assert_clean("wrong pass phrase", &all_output(&out), &keys);

    // A key file that is not a key: the error names the file, not its content.
    let out = run_fail(
        ir(&srv, &cli_secret)
            .args(["-newkey", "server.crt", "-newkeypass"])
            .arg(format!("pass:{WRONG_PASS}"))
            .args(["-popo", "1"]),
    );
    assert_clean("certificate given as key", &all_output(&out), &keys);

    // Signature-based protection with an encrypted client key and a wrong pass phrase.
    let out = run_fail(
        rcmp()
            .current_dir(srv.dir())
            .args([
                "-config",
                "",
                "-server",
                &srv.server_arg(),
                "-path",
                "pkix/",
            ])
            .args([
                "-cmd",
                "ir",
                "-cert",
                "signer.crt",
                "-key",
                "new_pass_12345.key",
            ])
            .arg("-keypass")
            .arg(format!("pass:{WRONG_PASS}"))
            .args([
                "-newkey",
                "new.key",
                "-subject",
                "/CN=leaf",
                "-verbosity",
                "8",
            ]),
    );
    assert_clean("wrong -keypass", &all_output(&out), &keys);

    let logs = srv.logs();
    assert!(
        logs.contains("CMP DEBUG:") || logs.contains("DEBUG"),
        "server logs at -verbosity 8:\n{logs}"
    );
    assert_clean("mock server", &logs, &keys);
}
