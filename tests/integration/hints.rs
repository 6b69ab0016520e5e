//! The `hint:` line: every error a user can cause ends with exactly one `hint: ...` line on stderr,
//! after the lines OpenSSL prints for it (so scripts that read those keep working). One test per hint
//! of docs/HINTS.md, each made the way a new user would make the mistake.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use common::{describe, run, MockServer};

/// Runs rcmp, expects exit 1, and returns (stderr lines before the hint, the hint text).
fn fails_with_hint(c: &mut Command) -> (Vec<String>, String, Output) {
    let out = run(c);
    assert_eq!(out.status.code(), Some(1), "{}", describe(c, &out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let lines: Vec<String> = err.lines().map(str::to_string).collect();
    let hints: Vec<&String> = lines.iter().filter(|l| l.starts_with("hint: ")).collect();
    assert_eq!(
        hints.len(),
        1,
        "exactly one hint line: {}",
        describe(c, &out)
    );
    assert!(
        lines.last().is_some_and(|l| l.starts_with("hint: ")),
        "the hint comes last: {}",
        describe(c, &out)
    );
    let hint = lines[lines.len() - 1]["hint: ".len()..].to_string();
    // What OpenSSL's own lines say, on either stream (the CMP library's errors go to stdout).
    let mut before: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    before.extend_from_slice(&lines[..lines.len() - 1]);
    (before, hint, out)
}

fn rcmp(args: &[&str]) -> Command {
    let mut c = common::rcmp();
    c.args(["-config", ""]).args(args);
    c
}

#[test]
fn misspelled_option() {
    let (before, hint, _) = fails_with_hint(&mut rcmp(&["-serer", "127.0.0.1:1"]));
    // OpenSSL's usage lines stay as they are.
    assert_eq!(
        before,
        ["cmp: Unknown option: -serer", "cmp: Use -help for summary."]
    );
    assert_eq!(hint, "did you mean -server?");
    let (_, hint, _) = fails_with_hint(&mut rcmp(&["-implicitconfirm2"]));
    assert_eq!(hint, "did you mean -implicit_confirm?");
    let (_, hint, _) = fails_with_hint(&mut rcmp(&["-tls_use"]));
    assert_eq!(hint, "did you mean -tls_used?");
    // Nothing near: no hint, OpenSSL's lines only.
    let mut c = rcmp(&["-qqqqqqqqqq"]);
    let out = run(&mut c);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("hint:"),
        "{}",
        describe(&c, &out)
    );
}

#[test]
fn engine_under_40() {
    let mut c = rcmp(&["-engine", "pkcs11"]);
    c.env("RCMP_COMPAT", "4.0");
    let (before, hint, _) = fails_with_hint(&mut c);
    assert_eq!(
        before,
        [
            "cmp: Unknown option: -engine",
            "cmp: Use -help for summary."
        ]
    );
    assert!(hint.contains("OpenSSL 4.0 has no -engine"), "{hint}");
}

#[test]
fn misspelled_cmd_value() {
    let (before, hint, _) = fails_with_hint(&mut rcmp(&["-cmd", "ri", "-server", "127.0.0.1:1"]));
    assert_eq!(before, ["CMP error: unknown cmp command 'ri'"]);
    assert_eq!(hint, "did you mean one of -cmd ir, -cmd rr?");
    let (_, hint, _) = fails_with_hint(&mut rcmp(&["-cmd", "enroll", "-server", "127.0.0.1:1"]));
    assert_eq!(hint, "-cmd takes one of ir, cr, kur, p10cr, rr, genm");
}

#[test]
fn misspelled_infotype() {
    let args = [
        "-cmd",
        "genm",
        "-infotype",
        "caCert",
        "-server",
        "127.0.0.1:1",
    ];
    let (before, hint, _) = fails_with_hint(&mut rcmp(&args));
    assert_eq!(
        before.last().map(String::as_str),
        Some("CMP error: unknown OID name in -infotype option")
    );
    assert_eq!(hint, "did you mean -infotype caCerts?");
    let args = [
        "-cmd",
        "genm",
        "-infotype",
        "everything",
        "-server",
        "127.0.0.1:1",
    ];
    let (_, hint, _) = fails_with_hint(&mut rcmp(&args));
    assert!(
        hint.starts_with("-infotype takes an InfoType name: caProtEncCert, "),
        "{hint}"
    );
    assert!(hint.contains("rootCaCert"), "{hint}");
}

#[test]
fn missing_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("my.cnf");
    std::fs::write(
        &f,
        "[insta]\nserver = x\n[kur]\ncmd = kur\n[rr]\ncmd = rr\n",
    )
    .expect("write");
    let f = f.display().to_string();
    let mut c = common::rcmp();
    c.args(["-config", &f, "-section", "insta,krr", "-cmd", "ir"]);
    let (before, hint, _) = fails_with_hint(&mut c);
    assert_eq!(
        before.last().cloned(),
        Some(format!(
            "CMP error: no [krr] section found in config file '{f}'"
        ))
    );
    assert_eq!(
        hint,
        "did you mean one of [kur], [rr]? (the file has [insta] [kur] [rr])"
    );
    let mut c = common::rcmp();
    c.args(["-config", &f, "-section", "zzzzzz", "-cmd", "ir"]);
    let (_, hint, _) = fails_with_hint(&mut c);
    assert_eq!(hint, "the file has [insta] [kur] [rr]");
}

/// An ir with the corpus' `Mock enrollment` settings against `mock`, run in its folder.
fn ir_against(mock: &MockServer, extra: &[&str]) -> Command {
    let mut c = common::rcmp();
    let certout = mock.out_dir().join("c.pem").display().to_string();
    c.args(["-config", "test.cnf", "-section", "Mock enrollment"])
        .args(["-server", &mock.server_arg()])
        .args(extra)
        .args(["-cmd", "ir", "-newkey", "new.key", "-newkeypass", "pass:"])
        .args(["-certout", &certout])
        .current_dir(mock.dir());
    c
}

/// [`fails_with_hint`], returning stdout and the stderr lines before the hint as one text, and the hint.
fn all_and_hint(c: &mut Command) -> (String, String) {
    let (before, hint, out) = fails_with_hint(c);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        before.join("\n")
    );
    (all, hint)
}

/// OpenSSL's mock (here rcmp's) sending an unprotected error: the hint shows what it said.
#[test]
fn refused_unprotected_error_response() {
    let mock = MockServer::start_rcmp(
        "latest",
        &[
            "-send_error",
            "-send_unprot_err",
            "-statusstring",
            "alias not configured",
        ],
    );
    let mut c = ir_against(&mock, &[]);
    let (all, hint) = all_and_hint(&mut c);
    assert!(all.contains("CMP error: missing protection"), "{all}");
    assert!(
        hint.starts_with("the server's error response is not (validly) protected; unauthenticated, it says: PKIStatus: rejection; PKIFailureInfo: "),
        "{hint}\n{}",
        mock.logs()
    );
    assert!(hint.ends_with("; -unprotected_errors accepts it"), "{hint}");
    // With -unprotected_errors the client accepts the error and reports the server's text itself.
    c.arg("-unprotected_errors");
    let out = run(&mut c);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("hint: the server's error"),
        "{}",
        describe(&c, &out)
    );
}

#[test]
fn http_404_names_the_path() {
    let mock = MockServer::start_rcmp("latest", &[]);
    let mut c = ir_against(&mock, &["-path", "ejbca/publicweb/cmp/alias1"]);
    let (all, hint) = all_and_hint(&mut c);
    assert!(
        all.contains("status code unsupported:code=404, reason=Not Found"),
        "{all}"
    );
    assert_eq!(
        hint,
        "the server has nothing at path '/ejbca/publicweb/cmp/alias1' (HTTP 404): check -path or the CMP alias in -server (OpenSSL's mock serves only / and /pkix/)"
    );
}

#[test]
fn https_to_plain_http_server() {
    let mock = MockServer::start_rcmp("latest", &[]);
    let mut c = common::rcmp();
    c.args([
        "-config",
        "",
        "-server",
        &format!("https://{}", mock.server_arg()),
    ])
    .args([
        "-cmd",
        "genm",
        "-ref",
        "r",
        "-secret",
        "pass:s",
        "-tls_trusted",
        "root.crt",
    ])
    .current_dir(mock.dir());
    let (_, hint, out) = fails_with_hint(&mut c);
    // On stderr, OpenSSL's own line for it comes first, then the hint.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().next(),
        Some("The server does not support (a suitable version of) TLS")
    );
    assert_eq!(
        hint,
        format!(
            "{} answers, but not with TLS: it seems to be a plain HTTP server; use http:// in -server and no -tls_used",
            mock.server_arg()
        )
    );
}

/// Kills a child started by the test (by its own handle) when the test ends, also on a failure.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A real TLS server (`openssl s_server`) given plain HTTP.
#[test]
fn plain_http_to_tls_server() {
    let (_server, port) = s_server(1);
    let mut c = rcmp(&["-server", &format!("127.0.0.1:{port}"), "-cmd", "genm"]);
    c.args(["-ref", "r", "-secret", "pass:s", "-msg_timeout", "5"]);
    let hint = fails_with_hint(&mut c).1;
    assert!(
        hint.contains("if it expects TLS, use https:// in -server or -tls_used"),
        "{hint}"
    );
}

/// `openssl s_server` with the corpus' server.crt for `n` connections, killed when the guard drops;
/// returns the guard and the port it bound.
fn s_server(n: u32) -> (KillOnDrop, u16) {
    let dir = common::corpus_mock_dir("latest");
    let mut server: Child = common::openssl()
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-naccept",
            &n.to_string(),
        ])
        .args(["-cert", "server.crt", "-key", "server.key"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("HARNESS: openssl s_server");
    let mut reader = BufReader::new(server.stdout.take().expect("stdout"));
    let guard = KillOnDrop(server);
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(p) = line.trim().strip_prefix("ACCEPT 127.0.0.1:") {
            if let Ok(port) = p.parse::<u16>() {
                return (guard, port);
            }
        }
        line.clear();
    }
    panic!("HARNESS: no ACCEPT line from openssl s_server");
}

#[test]
fn connection_refused() {
    // Port 1 on loopback: nothing listens there.
    let (before, hint, _) = fails_with_hint(&mut rcmp(&[
        "-server",
        "127.0.0.1:1",
        "-cmd",
        "genm",
        "-ref",
        "r",
        "-secret",
        "pass:s",
    ]));
    assert!(
        before.iter().any(|l| l.contains("Connection refused")),
        "{before:?}"
    );
    assert_eq!(
        hint,
        "nothing listens on 127.0.0.1:1: check the host and port in -server (and -proxy)"
    );
}

#[test]
fn credential_files_of_the_wrong_kind() {
    let dir = common::corpus_mock_dir("latest");
    let base = [
        "-server",
        "127.0.0.1:1",
        "-cmd",
        "ir",
        "-subject",
        "/CN=x",
        "-certout",
        "/nonexistent/x.pem",
    ];
    let cases: [(&[&str], &str); 4] = [
        (
            &["-ref", "r", "-secret", "pass:s", "-newkey", "server.crt"],
            "'server.crt' holds a certificate, not a key",
        ),
        (
            &["-cert", "server.key", "-key", "server.key"],
            "'server.key' holds a private key, not a certificate",
        ),
        (
            &["-cert", "server.crt", "-key", "server.crt"],
            "'server.crt' holds a certificate, not a private key",
        ),
        (
            &["-cert", "server.crt", "-key", "csr.pem"],
            "'csr.pem' holds a certificate request (CSR), not a private key",
        ),
    ];
    for (args, want) in cases {
        let mut c = rcmp(&base);
        c.args(args).current_dir(&dir);
        let (_, hint, _) = fails_with_hint(&mut c);
        assert_eq!(
            hint,
            format!("{want}: check which file goes to which option"),
            "{args:?}"
        );
    }
}

/// OpenSSL's own warning for an expired or not yet valid `-cert`, on stderr, in the release's words.
#[test]
fn expired_cert_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut made = Vec::new();
    for (name, from, to) in [
        ("exp", "20200101000000Z", "20210101000000Z"),
        ("fut", "20400101000000Z", "20410101000000Z"),
    ] {
        let mut c = common::openssl35();
        c.args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ])
        .args([
            "-subj",
            &format!("/CN={name}"),
            "-not_before",
            from,
            "-not_after",
            to,
        ])
        .current_dir(dir.path());
        let out = run(&mut c);
        assert!(out.status.success(), "{}", describe(&c, &out));
        made.push(name);
    }
    let cases = [
        (
            "exp",
            None,
            "Warning: certificate from 'exp.pem' with subject '/CN=exp' has expired",
        ),
        (
            "fut",
            None,
            "Warning: certificate from 'fut.pem' with subject '/CN=fut' not yet valid",
        ),
        (
            "exp",
            Some("4.0"),
            "Warning: certificate from 'exp.pem' with subject '/CN=exp' certificate has expired",
        ),
    ];
    for (name, compat, want) in cases {
        let mut c = rcmp(&[
            "-server",
            "127.0.0.1:1",
            "-cmd",
            "ir",
            "-subject",
            "/CN=x",
            "-certout",
            "x.pem",
        ]);
        c.args([
            "-cert",
            &format!("{name}.pem"),
            "-key",
            &format!("{name}.key"),
        ])
        .current_dir(dir.path());
        if let Some(v) = compat {
            c.env("RCMP_COMPAT", v);
        }
        let out = run(&mut c);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.lines().any(|l| l == want), "{}", describe(&c, &out));
        // -no_check_time: no warning, as in OpenSSL.
        c.arg("-no_check_time");
        let out = run(&mut c);
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("Warning: certificate"),
            "{}",
            describe(&c, &out)
        );
    }
}

/// No hint ever shows a secret given on the command line.
#[test]
fn hints_carry_no_secret() {
    let secret = "pass:TopSecret-4711";
    let runs: [&[&str]; 3] = [
        &["-serer", "x", "-secret", secret],
        &[
            "-cmd",
            "rx",
            "-server",
            "127.0.0.1:1",
            "-ref",
            "r",
            "-secret",
            secret,
        ],
        &[
            "-cmd",
            "genm",
            "-server",
            "127.0.0.1:1",
            "-ref",
            "r",
            "-secret",
            secret,
        ],
    ];
    for args in runs {
        let mut c = rcmp(args);
        let out = run(&mut c);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("hint: "), "{}", describe(&c, &out));
        assert!(!all.contains("TopSecret"), "{}", describe(&c, &out));
    }
}

/// OpenSSL's "missing option" errors say what is missing; the hint says what to give.
#[test]
fn missing_options() {
    let base = ["-server", "127.0.0.1:1", "-ref", "r", "-secret", "pass:s"];
    let cases: [(&[&str], &str, &str); 6] = [
        (&["-server", "127.0.0.1:1"], "no cmp command to execute", "give -cmd with one of ir, cr, kur, p10cr, rr, genm"),
        (&["-cmd", "ir"], "missing -server or -use_mock_srv or -rspin option", "give -server HOST[:PORT][/PATH] of the CMP server (or -use_mock_srv for the built-in mock)"),
        (&["-cmd", "ir", "-server", "127.0.0.1:1"], "must give -key or -secret unless -unprotected_requests is used", "authenticate with -ref and -secret (shared secret) or with -cert and -key (signature)"),
        (&[&base[..], &["-cmd", "rr"]].concat(), "missing -oldcert or -issuer and -serial", "give -oldcert with the certificate to revoke (or -issuer and -serial)"),
        (&[&base[..], &["-cmd", "p10cr", "-certout", "x.pem"]].concat(), "missing PKCS#10 CSR for p10cr", "give -csr with the PKCS#10 request to send"),
        (&[&base[..], &["-cmd", "ir", "-certform", "XX"]].concat(), "unknown option given for certificate storing format", "-certform and -crlform take PEM or DER; -keyform takes PEM, DER or P12"),
    ];
    for (args, error, want) in cases {
        let (before, hint, _) = fails_with_hint(&mut rcmp(args));
        assert!(
            before
                .iter()
                .any(|l| l.starts_with(&format!("CMP error: {error}"))),
            "{args:?}: {before:?}"
        );
        assert_eq!(hint, want, "{args:?}");
    }
}
