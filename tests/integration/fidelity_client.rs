//! The client side of issue 13, each case run side by side with the real OpenSSL against the same
//! mock server: OpenSSL 3.5 for the default behaviour, OpenSSL 3.0 for `RCMP_COMPAT=3.0`. Compared per
//! case: exit status, every `CMP info:` / `CMP warning:` line with its stream (OpenSSL's
//! `func:file:line:` prefix dropped), which stream carries `CMP error:` lines, the certificate
//! warnings on stderr, and the output files (which exist, how many certificates each holds).

use crate::common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Which client runs against the mock, and as which OpenSSL release.
#[derive(Clone, Copy, Debug)]
enum Client {
    OpenSsl35,
    OpenSsl30,
    Rcmp,
    RcmpCompat30,
}

impl Client {
    fn command(self) -> Command {
        match self {
            Client::OpenSsl35 => {
                let mut c = openssl35();
                c.arg("cmp");
                c
            }
            Client::OpenSsl30 => {
                let mut c = openssl();
                c.arg("cmp");
                c
            }
            Client::Rcmp => {
                let mut c = rcmp();
                c.env_remove("RCMP_COMPAT");
                c
            }
            Client::RcmpCompat30 => {
                let mut c = rcmp();
                c.env("RCMP_COMPAT", "3.0");
                c
            }
        }
    }
}

/// What a client run shows a script, canonicalised.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    exit: Option<i32>,
    /// `CMP info:` / `CMP warning:` lines with their stream, the app's own `cmp warning:` lines (a name
    /// parser's, say) and stderr's `Warning: certificate ...`.
    lines: Vec<String>,
    /// The streams that carry `CMP error:` lines.
    error_streams: Vec<&'static str>,
    /// Output files: name and number of PEM certificates (or bytes for other files).
    files: Vec<String>,
}

fn canon(line: &str, out: &Path) -> String {
    // OpenSSL's `func:file:line:` prefix on the app's own lines.
    let mut s = line.trim_end().to_string();
    if let Some(i) = s.find(":CMP ") {
        let head = &s[..i];
        if head.split(':').count() == 3
            && head
                .rsplit(':')
                .next()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        {
            s = s[i + 1..].to_string();
        }
    }
    s.replace(&out.display().to_string(), "OUT")
}

/// Run `client` with `args` (`OUT` stands for a fresh output folder) from the server's folder.
fn run_client(srv: &MockServer, client: Client, args: &[&str]) -> (Seen, String) {
    let out = srv.out_dir().join(format!("{client:?}"));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("create output folder");
    let server = srv.server_arg();
    let mut cmd = client.command();
    for a in args {
        cmd.arg(
            a.replace("OUT", &out.display().to_string())
                .replace("SERVER", &server),
        );
    }
    cmd.args(["-config", ""]).current_dir(srv.dir());
    let o = run(&mut cmd);
    let text = describe(&cmd, &o);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    let mut lines = Vec::new();
    let mut error_streams = Vec::new();
    for (name, body) in [("stdout", &stdout), ("stderr", &stderr)] {
        let canon_lines: Vec<String> = body.lines().map(|l| canon(l, &out)).collect();
        for l in &canon_lines {
            if l.starts_with("CMP info:")
                || l.starts_with("CMP warning:")
                || l.starts_with("cmp warning:")
                || l.starts_with("Warning: certificate")
            {
                lines.push(format!("{name} {l}"));
            }
        }
        if canon_lines.iter().any(|l| l.starts_with("CMP error:")) {
            error_streams.push(name);
        }
    }
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("read output folder")
        .filter_map(|e| e.ok())
        .map(|e| file_summary(&e.path()))
        .collect();
    files.sort();
    let seen = Seen {
        exit: o.status.code(),
        lines,
        error_streams,
        files,
    };
    (seen, text)
}

fn file_summary(p: &Path) -> String {
    let name = p
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let data = std::fs::read(p).unwrap_or_default();
    let text = String::from_utf8_lossy(&data);
    if name.ends_with(".pem") {
        format!(
            "{name}: {} certificate(s)",
            text.matches("-----BEGIN CERTIFICATE-----").count()
        )
    } else {
        format!("{name}: {} bytes", data.len())
    }
}

/// Run the reference and rcmp (as `ours`) with the same arguments against `srv`; they must agree.
fn same_as(srv: &MockServer, reference: Client, ours: Client, args: &[&str]) -> Seen {
    let (want, want_text) = run_client(srv, reference, args);
    let (got, got_text) = run_client(srv, ours, args);
    assert_eq!(
        got, want,
        "rcmp differs from {reference:?}\n=== {reference:?} ===\n{want_text}\n=== rcmp ===\n{got_text}\n{}",
        srv.logs()
    );
    got
}

fn same_as_35(srv: &MockServer, args: &[&str]) -> Seen {
    same_as(srv, Client::OpenSsl35, Client::Rcmp, args)
}

/// A 3.5 mock with everything on its command line (the corpus' server.cnf is not read).
fn mock35(extra: &[&str]) -> MockServer {
    let mut args = vec![
        "-config",
        "",
        "-srv_secret",
        "pass:test",
        "-srv_cert",
        "server.crt",
        "-srv_key",
        "server.key",
        "-srv_trusted",
        "signer_root.crt",
        "-rsp_cert",
        "signer_only.crt",
        "-max_msgs",
        "0",
    ];
    args.extend_from_slice(extra);
    MockServer::start_openssl35("latest", &args)
}

const IR_PBM: &[&str] = &[
    "-server",
    "SERVER",
    "-cmd",
    "ir",
    "-secret",
    "pass:test",
    "-ref",
    "x",
    "-newkey",
    "new.key",
    "-newkeypass",
    "pass:",
    "-subject",
    "/CN=x",
    "-certout",
    "OUT/cert.pem",
];

fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn empty_result_files_are_announced_and_written_in_openssl_order() {
    let srv = mock35(&[]);
    let args = with(
        IR_PBM,
        &[
            "-extracertsout",
            "OUT/extra.pem",
            "-cacertsout",
            "OUT/ca.pem",
            "-chainout",
            "OUT/chain.pem",
        ],
    );
    let seen = same_as_35(&srv, &args);
    let received: Vec<&String> = seen
        .lines
        .iter()
        .filter(|l| l.contains("certificate(s), saving"))
        .collect();
    assert_eq!(received.len(), 4, "{seen:?}");
    assert!(
        received[0].contains("received 0 extra") && received[1].contains("received 0 chain"),
        "{seen:?}"
    );
    assert!(
        received[2].contains("1 newly enrolled") && received[3].contains("received 0 CA"),
        "{seen:?}"
    );
    assert!(
        seen.files
            .contains(&"extra.pem: 0 certificate(s)".to_string()),
        "{seen:?}"
    );
}

#[test]
fn chainout_never_holds_the_trust_anchor() {
    // The mock sends the chain of the new certificate up to and including its root.
    let srv = mock35(&["-rsp_extracerts", "signer_issuing.crt,signer_root.crt"]);
    // Without -out_trusted (approximate chain) and with it (validated chain).
    let seen = same_as_35(&srv, &with(IR_PBM, &["-chainout", "OUT/chain.pem"]));
    assert!(
        seen.files
            .contains(&"chain.pem: 2 certificate(s)".to_string()),
        "{seen:?}"
    );
    let seen = same_as_35(
        &srv,
        &with(
            IR_PBM,
            &[
                "-chainout",
                "OUT/chain.pem",
                "-out_trusted",
                "signer_root.crt",
            ],
        ),
    );
    assert!(
        seen.files
            .contains(&"chain.pem: 2 certificate(s)".to_string()),
        "{seen:?}"
    );
}

#[test]
fn certificate_for_another_key_is_rejected_in_certconf() {
    // The mock answers with server.crt whatever key is asked for.
    let srv = mock35(&["-rsp_cert", "server.crt"]);
    let seen = same_as_35(
        &srv,
        &with(IR_PBM, &["-reqout", "OUT/ir.der,OUT/certconf.der"]),
    );
    assert_eq!(seen.exit, Some(1));
    assert!(
        !seen.files.iter().any(|f| f.starts_with("cert.pem")),
        "no certificate may be saved: {seen:?}"
    );
    // rcmp's certConf carries the rejection with OpenSSL's reason text.
    let out = srv.out_dir().join("Rcmp");
    let conf = std::fs::read(out.join("certconf.der")).expect("certConf written by -reqout");
    let reason = b"public key in new certificate does not match our enrollment key";
    assert!(
        conf.windows(reason.len()).any(|w| w == reason),
        "certConf without the rejection reason"
    );
    // A key that matches (the one the certificate was issued for) is accepted.
    let ok = same_as_35(
        &srv,
        &[
            "-server",
            "SERVER",
            "-cmd",
            "ir",
            "-secret",
            "pass:test",
            "-ref",
            "x",
            "-newkey",
            "server.key",
            "-subject",
            "/CN=x",
            "-certout",
            "OUT/cert.pem",
        ],
    );
    assert_eq!(ok.exit, Some(0));
}

#[test]
fn error_lines_go_where_openssl_puts_them() {
    let srv = mock35(&[]);
    // A failed transaction: the library's lines, stdout only.
    let seen = same_as_35(&srv, &with(IR_PBM, &["-secret", "pass:wrong"]));
    assert_eq!(seen.error_streams, ["stdout"]);
    // A set-up error with an underlying reason: the app's line on stderr, the reason on stdout.
    let seen = same_as_35(&srv, &with(IR_PBM, &["-server", "127.0.0.1:-10"]));
    assert_eq!(seen.error_streams, ["stdout", "stderr"]);
    let seen = same_as_35(&srv, &with(IR_PBM, &["-geninfo", "1.333:int:9"]));
    assert_eq!(seen.error_streams, ["stdout", "stderr"]);
    // A plain set-up error: stderr only.
    same_as_35(&srv, &with(IR_PBM, &["-cmd", "rr"]));
    // -cert and -key that do not match: found when protecting the first request.
    same_as_35(
        &srv,
        &[
            "-server",
            "SERVER",
            "-cmd",
            "ir",
            "-cert",
            "server.crt",
            "-key",
            "new.key",
            "-keypass",
            "pass:",
            "-certout",
            "OUT/cert.pem",
        ],
    );
}

#[test]
fn message_file_and_proxy_lines() {
    let srv = mock35(&[]);
    let args = with(
        IR_PBM,
        &[
            "-reqout",
            "OUT/ir.der,OUT/cc.der",
            "-rspout",
            "OUT/ip.der,OUT/pc.der",
        ],
    );
    same_as_35(&srv, &args);
    // Replay OpenSSL's own messages with both clients.
    let files = srv.dir().join("files");
    std::fs::create_dir_all(&files).expect("mkdir");
    for f in ["ir.der", "cc.der", "ip.der", "pc.der"] {
        std::fs::copy(srv.out_dir().join("OpenSsl35").join(f), files.join(f)).expect("copy");
    }
    let no_server: Vec<&str> = IR_PBM.iter().skip(2).copied().collect();
    same_as_35(
        &srv,
        &with(&no_server, &["-rspin", "files/ip.der,files/pc.der"]),
    );
    same_as_35(&srv, &with(&no_server, &["-rspin", "files/ip.der"]));
    same_as_35(&srv, &with(IR_PBM, &["-rspin", "files/ip.der"]));
    same_as_35(
        &srv,
        &with(IR_PBM, &["-reqin", "files/ir.der,files/cc.der"]),
    );
    same_as_35(
        &srv,
        &with(
            &no_server,
            &["-reqout_only", "OUT/only.der", "-no_proxy", "127.0.0.1"],
        ),
    );
    // TLS is set up whenever -tls_used holds, even when nothing is sent, after the verification
    // set-up and before the protection: its warnings come in OpenSSL's place.
    same_as_35(
        &srv,
        &with(
            &no_server,
            &["-reqout_only", "OUT/only.der", "-tls_used", "-cmd", "genm"],
        ),
    );
    // -reqout_only with -use_mock_srv: the mock is not set up, so its missing -srv_ref fails nothing.
    same_as_35(
        &srv,
        &with(
            &no_server,
            &["-reqout_only", "OUT/only.der", "-use_mock_srv"],
        ),
    );
    // A proxy that cannot work is still named in the `will contact` line.
    same_as_35(
        &srv,
        &with(
            IR_PBM,
            &["-proxy", "127.0.0.1:x*/8888", "-msg_timeout", "3"],
        ),
    );
}

#[test]
fn closing_status_warning_and_option_notes() {
    let srv = mock35(&[
        "-pkistatus",
        "1",
        "-failurebits",
        "5",
        "-statusstring",
        "take this",
    ]);
    let seen = same_as_35(&srv, IR_PBM);
    assert!(
        seen.lines
            .iter()
            .any(|l| l.starts_with("stderr CMP warning: received from 127.0.0.1:")),
        "{seen:?}"
    );
    let srv = mock35(&[]);
    // No notes for -oldcert and -revreason with ir; -out_trusted is ignored for p10cr and rr.
    same_as_35(
        &srv,
        &with(IR_PBM, &["-oldcert", "signer_only.crt", "-revreason", "5"]),
    );
    same_as_35(
        &srv,
        &[
            "-server",
            "SERVER",
            "-cmd",
            "p10cr",
            "-csr",
            "csr.pem",
            "-cert",
            "signer_only.crt",
            "-key",
            "new.key",
            "-keypass",
            "pass:",
            "-out_trusted",
            "signer_root.crt",
            "-certout",
            "OUT/cert.pem",
        ],
    );
    same_as_35(
        &srv,
        &[
            "-server",
            "SERVER",
            "-cmd",
            "rr",
            "-secret",
            "pass:test",
            "-ref",
            "x",
            "-oldcert",
            "signer_only.crt",
            "-out_trusted",
            "signer_root.crt",
        ],
    );
}

#[test]
fn certificate_loading_warnings() {
    let srv = mock35(&[]);
    // A leaf among -untrusted and -trusted certificates; without a trust store the signer search
    // says `no trusted store` where OpenSSL says it.
    same_as_35(
        &srv,
        &with(
            IR_PBM,
            &[
                "-untrusted",
                "signer.crt,signer_root.crt",
                "-trusted",
                "signer.crt",
            ],
        ),
    );
    same_as_35(
        &srv,
        &[
            "-server",
            "SERVER",
            "-cmd",
            "ir",
            "-cert",
            "signer.crt",
            "-key",
            "signer.key",
            "-newkey",
            "new.key",
            "-newkeypass",
            "pass:",
            "-certout",
            "OUT/cert.pem",
            "-unprotected_errors",
        ],
    );
    // Expired at -attime (later than everything in the corpus): a warning per certificate.
    same_as_35(
        &srv,
        &with(
            IR_PBM,
            &["-untrusted", "signer.crt", "-attime", "4102444800"],
        ),
    );
}

/// With RCMP_COMPAT=3.0 the client follows OpenSSL 3.0 where 3.0 and 3.5 differ in what they print
/// for the same exchange: the order and wording of the saved files, the `will contact` and NULL-DN
/// lines.
#[test]
fn compat_30_client_lines_match_openssl_30() {
    let srv = mock35(&[
        "-rsp_extracerts",
        "signer_issuing.crt",
        "-rsp_capubs",
        "trusted.crt",
    ]);
    let args = with(
        IR_PBM,
        &[
            "-extracertsout",
            "OUT/extra.pem",
            "-cacertsout",
            "OUT/ca.pem",
            "-chainout",
            "OUT/chain.pem",
        ],
    );
    let seen = same_as(&srv, Client::OpenSsl30, Client::RcmpCompat30, &args);
    assert!(
        seen.lines
            .iter()
            .any(|l| l.contains("received 1 enrolled certificate(s)")),
        "{seen:?}"
    );
    // And without the variable the same exchange prints 3.5's lines.
    same_as_35(&srv, &args);
}

/// Names with attribute types OpenSSL does not know: each parser warning is printed once, in the
/// order of the OpenSSL release imitated (3.5 parses -issuer before -subject, 3.0 after it).
#[test]
fn unknown_name_attributes_are_warned_once_in_openssl_order() {
    let srv = mock35(&[]);
    // The later -subject replaces IR_PBM's, for OpenSSL as for rcmp.
    let args = with(
        IR_PBM,
        &[
            "-subject",
            "/CN=x/ABC=1",
            "-issuer",
            "/CN=y/DEF=2",
            "-recipient",
            "/CN=z/GHI=3",
            "-expect_sender",
            "/CN=q/JKL=4",
        ],
    );
    // Only the warnings are compared: OpenSSL also ends the run with its leftover `unknown object
    // name` error line (DEVIATIONS D12), which `same_as` would count.
    for (reference, ours) in [
        (Client::OpenSsl35, Client::Rcmp),
        (Client::OpenSsl30, Client::RcmpCompat30),
    ] {
        let (want, want_text) = run_client(&srv, reference, &args);
        let (got, got_text) = run_client(&srv, ours, &args);
        let warnings = |s: &Seen| -> Vec<String> {
            s.lines
                .iter()
                .filter(|l| l.contains("cmp warning:"))
                .cloned()
                .collect()
        };
        assert_eq!(warnings(&want).len(), 4, "{reference:?}\n{want_text}");
        assert_eq!(
            warnings(&got),
            warnings(&want),
            "=== {reference:?} ===\n{want_text}\n=== rcmp ===\n{got_text}"
        );
    }
}

/// -issuer outside ir/cr/kur: OpenSSL 3.0 ignores it for rr too (it has no -serial), with a warning,
/// and fails an rr without -oldcert in its own words; 3.5 takes it with -serial as the certificate
/// to revoke and insists on both. Each release's lines, streams and exit status.
#[test]
fn issuer_outside_enrollment_follows_each_release() {
    let srv = mock35(&[]);
    let pbm = |cmd| {
        [
            "-server",
            "SERVER",
            "-cmd",
            cmd,
            "-secret",
            "pass:test",
            "-ref",
            "x",
            "-issuer",
            "/CN=someone",
        ]
    };
    let rr = pbm("rr");
    let rr_oldcert = with(&rr, &["-oldcert", "signer_only.crt"]);
    let p10cr = with(&pbm("p10cr"), &["-csr", "csr.pem"]);
    for args in [&rr[..], &rr_oldcert[..], &p10cr[..]] {
        let seen = same_as(&srv, Client::OpenSsl30, Client::RcmpCompat30, args);
        assert!(
            seen.lines.iter().any(|l| l.contains(
                "-issuer option is ignored for commands other than 'ir', 'cr', and 'kur'"
            )),
            "{args:?}: {seen:?}"
        );
        same_as_35(&srv, args);
    }
}

/// DEVIATIONS D11: where OpenSSL's app ends a set-up failure with `cannot set up CMP context`, rcmp's
/// line names the cause itself (and drops that summary); streams and exit status stay OpenSSL's.
#[test]
fn setup_failure_names_its_cause() {
    let srv = mock35(&[]);
    let args = with(IR_PBM, &["-server", "127.0.0.1:-10"]);
    let (openssl, openssl_text) = run_client(&srv, Client::OpenSsl35, &args);
    let (ours, ours_text) = run_client(&srv, Client::Rcmp, &args);
    assert_eq!(
        (ours.exit, &ours.error_streams),
        (openssl.exit, &openssl.error_streams)
    );
    assert!(
        openssl_text.contains("cannot set up CMP context"),
        "{openssl_text}"
    );
    assert!(
        !ours_text.contains("cannot set up CMP context"),
        "{ours_text}"
    );
    let stderr = ours_text.split("--- stderr ---").nth(1).unwrap_or_default();
    assert!(
        stderr.contains("CMP error: cannot parse -server URL: 127.0.0.1:-10"),
        "{ours_text}"
    );
}

/// DEVIATIONS D12: a DN with an unknown attribute is used without it; OpenSSL then still prints
/// `CMP error: unknown object name` at the end of a successful run, rcmp prints no error line.
#[test]
fn skipped_dn_attribute_leaves_no_error_line_on_success() {
    let srv = mock35(&[]);
    let args = with(IR_PBM, &["-recipient", "/CN=Root CA/ABC=123"]);
    let (openssl, _) = run_client(&srv, Client::OpenSsl35, &args);
    let (ours, ours_text) = run_client(&srv, Client::Rcmp, &args);
    assert_eq!(
        (ours.exit, &ours.lines, &ours.files),
        (Some(0), &openssl.lines, &openssl.files)
    );
    assert_eq!(openssl.error_streams, ["stdout"]);
    assert!(ours.error_streams.is_empty(), "{ours_text}");
}

/// DEVIATIONS D13: when the signer search logs the certificates of the trust store, OpenSSL lists
/// them in its store's internal order, rcmp in file order: the same lines, maybe in another order.
#[test]
fn signer_search_logs_the_same_candidates() {
    let srv = mock35(&[]);
    let args = [
        "-server",
        "SERVER",
        "-cmd",
        "ir",
        "-cert",
        "signer.crt",
        "-key",
        "signer.key",
        "-newkey",
        "new.key",
        "-newkeypass",
        "pass:",
        "-certout",
        "OUT/cert.pem",
        "-trusted",
        "signer.crt",
        "-recipient",
        "/CN=Root CA",
        "-unprotected_errors",
    ];
    let (mut openssl, _) = run_client(&srv, Client::OpenSsl35, &args);
    let (mut ours, ours_text) = run_client(&srv, Client::Rcmp, &args);
    assert!(
        ours.lines
            .iter()
            .any(|l| l.contains("certs in trusted store")),
        "{ours_text}"
    );
    openssl.lines.sort();
    ours.lines.sort();
    assert_eq!(ours, openssl, "{ours_text}");
}

#[test]
fn certconf_checks_the_key_openssl_picks() {
    // The mock answers with signer_only.crt, issued for new.key, whatever is asked for.
    let srv = mock35(&[]);
    let kur_pbm = |oldcert: &'static str| -> Vec<&'static str> {
        vec![
            "-server",
            "SERVER",
            "-cmd",
            "kur",
            "-secret",
            "pass:test",
            "-ref",
            "x",
            "-oldcert",
            oldcert,
            "-key",
            "new.key",
            "-keypass",
            "pass:",
            "-certout",
            "OUT/cert.pem",
        ]
    };
    // Without -newkey and -csr, OpenSSL compares the key of -oldcert, not -key: a certificate for
    // -key's key is refused when -oldcert holds another key ...
    let seen = same_as_35(&srv, &kur_pbm("server.crt"));
    assert_eq!(seen.exit, Some(1));
    assert!(!seen.files.iter().any(|f| f.starts_with("cert.pem")));
    // ... and accepted when -oldcert holds that key.
    let seen = same_as_35(&srv, &kur_pbm("signer_only.crt"));
    assert_eq!(seen.exit, Some(0));
    // -csr: the CSR's public key is compared.
    let srv = mock35(&["-rsp_cert", "server.crt"]);
    let seen = same_as_35(
        &srv,
        &[
            "-server",
            "SERVER",
            "-cmd",
            "p10cr",
            "-secret",
            "pass:test",
            "-ref",
            "x",
            "-csr",
            "csr.pem",
            "-certout",
            "OUT/cert.pem",
        ],
    );
    assert_eq!(seen.exit, Some(1));
    assert!(!seen.files.iter().any(|f| f.starts_with("cert.pem")));
}

#[test]
fn failed_genm_reports_on_stderr_too() {
    let srv = mock35(&[]);
    let genm = [
        "-server",
        "SERVER",
        "-cmd",
        "genm",
        "-secret",
        "pass:wrong",
        "-ref",
        "x",
    ];
    // The generic genm: the library's lines on stdout, the app's on stderr.
    let seen = same_as_35(&srv, &genm);
    assert_eq!(seen.exit, Some(1));
    assert_eq!(seen.error_streams, ["stdout", "stderr"]);
    // An info type with its own handling (caCerts) has no such app line.
    let seen = same_as_35(
        &srv,
        &with(
            &genm,
            &["-infotype", "caCerts", "-cacertsout", "OUT/ca.pem"],
        ),
    );
    assert_eq!(seen.error_streams, ["stdout"]);
}
