//! Command-line and config-file behaviour of `crate::opts`, checked against the real `openssl cmp`
//! wherever its output shows the behaviour (usage errors, value checks, which config value wins).
//! These tests need `openssl` (3.0) and, for 3.5-only behaviour, OpenSSL 3.5 from `scripts/fetch-deps`;
//! they fail loudly when those are missing.

use crate::testutil as common;

use crate::opts::{self, Opt, Parsed, RawOpts, Source};
use crate::Error;
use std::ffi::OsString;
use std::path::Path;

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Run a real `openssl cmp` (3.0 by default, 3.5 when `v35`) and return its stderr.
fn openssl_stderr(v35: bool, args: &[&str], cwd: Option<&Path>) -> String {
    let mut cmd = if v35 {
        let mut c = common::openssl35();
        c.arg("cmp");
        c
    } else {
        let mut c = common::openssl();
        c.arg("cmp");
        c
    };
    cmd.args(args).env_remove("OPENSSL_CONF");
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl (v35={v35}): {e}"));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The first `cmp: ` line OpenSSL prints, without the prefix (the usage error proper).
fn openssl_usage_error(v35: bool, args: &[&str]) -> String {
    let mut all = vec!["-config", ""];
    all.extend_from_slice(args);
    let err = openssl_stderr(v35, &all, None);
    let line = err
        .lines()
        .find(|l| l.starts_with("cmp: ") && !l.contains("Use -help for summary"))
        .unwrap_or_else(|| panic!("openssl printed no usage error for {args:?}: {err}"));
    line["cmp: ".len()..].to_string()
}

/// The first `CMP error: ` line OpenSSL 3.5 prints, without its C-location prefix.
fn openssl_cmp_error(args: &[&str]) -> String {
    let mut all = vec!["-config", ""];
    all.extend_from_slice(args);
    let err = openssl_stderr(true, &all, None);
    let line = err
        .lines()
        .find(|l| l.contains("CMP error: "))
        .unwrap_or_else(|| panic!("no CMP error: {err}"));
    line[line.find("CMP error: ").unwrap() + "CMP error: ".len()..].to_string()
}

fn ours(args: &[&str]) -> Result<Parsed, Error> {
    let mut all = vec!["-config", ""];
    all.extend_from_slice(args);
    opts::parse(&os(&all))
}

fn run(args: &[&str]) -> RawOpts {
    match ours(args) {
        Ok(Parsed::Run(o)) => o,
        Ok(Parsed::Help { .. }) => panic!("unexpected help for {args:?}"),
        Err(e) => panic!("unexpected error for {args:?}: {e}"),
    }
}

#[test]
fn usage_errors_match_openssl() {
    let cases: &[&[&str]] = &[
        &["-foo"],
        &["--foo=bar"],
        &["-"],
        &["-=x"],
        &["-cmd"],
        &["-days", "x"],
        &["-days", ""],
        &["-days", "5 "],
        &["-days", "-1"],
        &["-days", " -1"],
        &["-days", "09"],
        &["-days", "0x1g"],
        &["-days", "0X1g"],
        &["-days", "-09"],
        &["-days", " 09"],
        &["-days", "3000000000"],
        &["-days", "010000000000000000000"],
        &["-days", "99999999999999999999999"],
        &["-repeat", "0"],
        &["-repeat", "-0"],
        &["-keep_alive", "-1"],
        &["-attime", "x"],
        &["-attime", "99999999999999999999999"],
        &["-verify_depth", "4294967296"],
        &["-tls_used=1"],
        &["-h=1"],
        &["-verbosity", "x"],
        &["-cmd", "ir", "-popo"],
    ];
    for args in cases {
        let expected = openssl_usage_error(false, args);
        match ours(args) {
            Err(Error::Usage(m)) => assert_eq!(m, expected, "for {args:?}"),
            other => panic!("for {args:?} expected usage error {expected:?}, got {other:?}"),
        }
    }
}

/// OpenSSL 3.0 prints no text for leftover arguments; 3.5 names them, and we follow 3.5.
#[test]
fn extra_arguments_match_openssl_35() {
    let cases: &[&[&str]] = &[
        &["x"],
        &["-cmd", "ir", "x", "y"],
        &["--", "x"],
        &["--", "-cmd"],
        &["-cmd=ir", "x"],
    ];
    for args in cases {
        let expected = openssl_usage_error(true, args);
        match ours(args) {
            Err(Error::Usage(m)) => assert_eq!(m, expected, "for {args:?}"),
            other => panic!("for {args:?} expected {expected:?}, got {other:?}"),
        }
    }
}

#[test]
fn value_checks_match_openssl() {
    let cases: &[&[&str]] = &[
        &["-keep_alive", "3"],
        &["-popo", "3"],
        &["-popo", "-2"],
        &["-revreason", "7"],
        &["-revreason", "11"],
        &["-revreason", "-2"],
        &["-verbosity=9"],
        &["--verbosity", "9"],
    ];
    for args in cases {
        let expected = openssl_cmp_error(args);
        match ours(args) {
            Err(Error::BadValue(m)) => assert_eq!(m, expected, "for {args:?}"),
            other => panic!("for {args:?} expected bad value {expected:?}, got {other:?}"),
        }
    }
    // Seen by the prescan: an error without usage hint.
    let expected = openssl_cmp_error(&["-verbosity", "9"]);
    match ours(&["-verbosity", "9"]) {
        Err(Error::Cmp {
            msg, hint: None, ..
        }) => assert_eq!(msg, expected),
        other => panic!("got {other:?}"),
    }
}

#[test]
fn accepted_forms() {
    let o = run(&[
        "--cmd",
        "ir",
        "-days=0x10",
        "-popo",
        "-1",
        "-revreason",
        "-1",
        "-attime",
        "-5",
    ]);
    assert_eq!(o.str(Opt::Cmd), Some("ir"));
    assert_eq!(o.int(Opt::Days), Some(16));
    assert_eq!(o.int(Opt::Popo), Some(-1));
    assert_eq!(o.int(Opt::Revreason), Some(-1));
    assert_eq!(o.int(Opt::Attime), Some(-5));
    let o = run(&[
        "-days",
        "010",
        "-days",
        " +7",
        "-repeat",
        "2",
        "-keep_alive",
        "0",
    ]);
    assert_eq!(o.int(Opt::Days), Some(7), "last one wins");
    assert_eq!(o.int(Opt::Repeat), Some(2));
    assert_eq!(o.int(Opt::KeepAlive), Some(0));
    // A value is the next argument even when it looks like an option.
    let o = run(&["-path", "-cmd", "-tls_used", "-implicit_confirm"]);
    assert_eq!(o.str(Opt::Path), Some("-cmd"));
    assert!(o.flag(Opt::TlsUsed) && o.flag(Opt::ImplicitConfirm));
    assert!(!o.flag(Opt::Batch));
    assert_eq!(o.source(Opt::Path), Some(&Source::CommandLine));
    // Empty strings reset string options; provider and validation options keep them.
    let o = run(&[
        "-path",
        "x",
        "-path",
        "",
        "-subject",
        "",
        "-oldcert",
        "",
        "-provider",
        "",
    ]);
    assert_eq!(o.str(Opt::Path), None);
    assert_eq!(o.str(Opt::Subject), None);
    assert_eq!(o.str(Opt::Oldcert), None);
    assert_eq!(o.str(Opt::Provider), Some(""));
    // Repeatable options keep every value.
    let o = run(&["-provider", "default", "-provider", "legacy"]);
    assert_eq!(o.all(Opt::Provider), ["default", "legacy"]);
    // A leading `cmp` is skipped; an empty leftover argument is accepted, as OpenSSL does.
    assert!(matches!(
        opts::parse(&os(&["cmp", "-config", "", "-cmd", "ir"])),
        Ok(Parsed::Run(_))
    ));
    assert!(matches!(ours(&["-cmd", "ir", ""]), Ok(Parsed::Run(_))));
}

#[test]
fn help_and_no_arguments() {
    match ours(&["-h", "-foo"]) {
        Ok(Parsed::Help {
            text, status: 0, ..
        }) => assert_eq!(text, opts::help_text()),
        other => panic!("{other:?}"),
    }
    // Errors before -help win, as options are handled in order.
    assert!(matches!(ours(&["-foo", "-help"]), Err(Error::Usage(_))));
    match opts::parse(&[]) {
        Ok(Parsed::Help {
            text, status: 1, ..
        }) => {
            assert!(text.starts_with("Usage: openssl help cmp [options]\n"))
        }
        other => panic!("{other:?}"),
    }
    match opts::parse(&os(&["cmp"])) {
        Ok(Parsed::Help { status: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
}

/// Names, placeholders, order, group headers and continuation-line counts of our help equal those of
/// OpenSSL 3.5 (the help texts themselves are our own words).
#[test]
fn help_layout_matches_openssl_35() {
    let real = openssl_stderr(true, &["-config", "", "-help"], None);
    let column = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| {
                if l.starts_with(" -") {
                    l.chars()
                        .take(24)
                        .collect::<String>()
                        .trim_end()
                        .to_string()
                } else if l.starts_with(' ') {
                    String::new()
                } else {
                    l.to_string()
                }
            })
            .collect()
    };
    // rcmp's own options come last, under a header of their own; the part before it is OpenSSL's.
    let full = opts::help_text();
    let (ours, extensions) = full
        .split_once("\nrcmp extensions (not in openssl cmp):\n")
        .expect("extensions group");
    assert!(extensions.starts_with(" -pbmac1 "), "{extensions}");
    assert_eq!(column(ours), column(&real));
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/opts/help-3.5-option-column.txt"
    ))
    .expect("fixture");
    assert_eq!(column(ours), fixture.lines().collect::<Vec<_>>());
    assert_eq!(ours.lines().filter(|l| l.starts_with(" -")).count(), 157);
    // Help texts start in column 24 and continuation lines are indented to it.
    for l in ours.lines().filter(|l| l.starts_with(' ')) {
        assert_eq!(l.as_bytes()[22..24], *b"  ", "{l}");
        assert_ne!(l.as_bytes()[24], b' ', "{l}");
    }
}

/// Write a config file into a fresh directory.
fn conf_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.cnf");
    std::fs::write(&path, text).expect("write");
    (dir, path.display().to_string())
}

/// Which `cmd` value OpenSSL ends up with: it names an unknown one in its error.
fn openssl_cmd(file: &str, extra: &[&str]) -> String {
    let mut args = vec!["-config", file];
    args.extend_from_slice(extra);
    let err = openssl_stderr(true, &args, None);
    let key = "unknown cmp command '";
    let i = err.find(key).unwrap_or_else(|| panic!("no cmd in: {err}"));
    let rest = &err[i + key.len()..];
    rest[..rest.find('\'').unwrap()].to_string()
}

fn ours_with(file: &str, extra: &[&str]) -> Result<Parsed, Error> {
    let mut args = vec!["-config", file];
    args.extend_from_slice(extra);
    opts::parse(&os(&args))
}

fn run_with(file: &str, extra: &[&str]) -> RawOpts {
    match ours_with(file, extra) {
        Ok(Parsed::Run(o)) => o,
        other => panic!("for {extra:?}: {other:?}"),
    }
}

const SECTIONS: &str = "cmd = topcmd\nserver = 127.0.0.1:1\n[default]\nx = 1\n[s1]\ncmd = s1cmd\n\
                        [s2]\ncmd = s2cmd\n[s3]\ncmd =\n[s4]\nkeep_alive = 0\n";

#[test]
fn section_precedence_matches_openssl() {
    let (_d, f) = conf_file(SECTIONS);
    for sec in ["s1", "s1,s2", "s2 s1", "s2, s1", "s1,s4", ""] {
        let expected = openssl_cmd(&f, &["-section", sec]);
        let o = run_with(&f, &["-section", sec]);
        assert_eq!(o.str(Opt::Cmd), Some(expected.as_str()), "-section {sec:?}");
    }
    // The command line wins over the config file.
    assert_eq!(
        openssl_cmd(&f, &["-section", "s1", "-cmd", "clicmd"]),
        "clicmd"
    );
    let o = run_with(&f, &["-section", "s1", "-cmd", "clicmd"]);
    assert_eq!(o.str(Opt::Cmd), Some("clicmd"));
    // An empty value resets the option (OpenSSL then has no command to run).
    let o = run_with(&f, &["-section", "s1,s3"]);
    assert_eq!(o.str(Opt::Cmd), None);
    let o = run_with(&f, &["-section", "s1"]);
    assert_eq!(
        o.source(Opt::Cmd),
        Some(&Source::Config {
            section: "s1".into()
        })
    );
    assert_eq!(
        o.describe(Opt::Cmd),
        "option 'cmd' in config file section 's1'"
    );
    assert_eq!(o.str(Opt::Server), Some("127.0.0.1:1"));
    assert_eq!(o.sections(), ["s1"]);
    assert_eq!(o.config_file(), Some(f.as_str()));
    assert!(o.conf().is_some_and(|c| c.has_section("s4")));
}

#[test]
fn missing_sections() {
    let (_d, f) = conf_file(SECTIONS);
    let err = openssl_stderr(true, &["-config", &f, "-section", "s1,nosuch"], None);
    match ours_with(&f, &["-section", "s1,nosuch"]) {
        Err(Error::Cmp { msg, .. }) => {
            assert!(
                err.contains(&format!("CMP error: {msg}\n")),
                "{msg} vs {err}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A missing default section [cmp] is only reported as info.
    let o = run_with(&f, &[]);
    assert_eq!(o.str(Opt::Cmd), Some("topcmd"));
    let (_d2, g) = conf_file("[cmp]\ncmd = cmpcmd\n");
    assert_eq!(run_with(&g, &[]).str(Opt::Cmd), Some("cmpcmd"));
    // -config naming a missing file is an error.
    match opts::parse(&os(&["-config", "/nonexistent/rcmp.cnf", "-cmd", "ir"])) {
        Err(Error::Cmp { msg, .. }) => assert_eq!(
            msg,
            "Can't open \"/nonexistent/rcmp.cnf\" for reading, No such file or directory"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn config_numbers_and_flags() {
    let (_d, f) = conf_file(
        "[a]\nimplicit_confirm = 1\nbatch = 0\ndays = 10\nrepeat = 3\nverify_depth = 4\nattime = 0x10\n\
         [b]\ndays = x\nimplicit_confirm = yes\nkeep_alive = 7\npopo = 9\ntls_used = 2\n\
         [c]\ndays = -1\n[d]\nrepeat = 0\n[e]\ndays = 3000000000\n[f]\ndays = \" 5\"\ndays2 = 1\n\
         [g]\nverbosity = 9\n[h]\ndays = 99999999999999999999\n",
    );
    let o = run_with(&f, &["-section", "a"]);
    assert!(o.flag(Opt::ImplicitConfirm));
    assert!(!o.flag(Opt::Batch));
    assert_eq!(o.int(Opt::Days), Some(10));
    assert_eq!(o.int(Opt::Repeat), Some(3));
    assert_eq!(o.int(Opt::VerifyDepth), Some(4));
    assert_eq!(o.int(Opt::Attime), Some(16));
    // The command line overrides numbers too.
    assert_eq!(
        run_with(&f, &["-section", "a", "-days", "2"]).int(Opt::Days),
        Some(2)
    );
    // Non-numeric values are skipped silently; range checks of the command line do not apply.
    let o = run_with(&f, &["-section", "b"]);
    assert_eq!(o.int(Opt::Days), None);
    assert!(!o.flag(Opt::ImplicitConfirm));
    assert_eq!(o.int(Opt::KeepAlive), Some(7));
    assert_eq!(o.int(Opt::Popo), Some(9));
    assert!(o.flag(Opt::TlsUsed));
    assert_eq!(run_with(&f, &["-section", "f"]).int(Opt::Days), Some(5));
    assert_eq!(run_with(&f, &["-section", "h"]).int(Opt::Days), None);
    // Errors: same texts as OpenSSL prints (it prints them without the `cmp: ` prefix).
    for (sec, want) in [
        ("c", "Negative number \"-1\" for config option -days"),
        ("d", "Non-positive number \"0\" for config option -repeat"),
    ] {
        let real = openssl_stderr(true, &["-config", &f, "-section", sec], None);
        assert!(real.lines().any(|l| l == want), "openssl: {real}");
        match ours_with(&f, &["-section", sec]) {
            Err(Error::Usage(m)) => assert_eq!(m, want),
            other => panic!("{other:?}"),
        }
    }
    let real = openssl_stderr(true, &["-config", &f, "-section", "e"], None);
    match ours_with(&f, &["-section", "e"]) {
        Err(Error::Cmp { msg, .. }) => assert!(real.lines().any(|l| l == msg), "{msg} vs {real}"),
        other => panic!("{other:?}"),
    }
    let real = openssl_stderr(true, &["-config", &f, "-section", "g"], None);
    match ours_with(&f, &["-section", "g"]) {
        Err(Error::BadValue(m)) => {
            assert!(real.contains(&format!("CMP error: {m}\n")), "{m} vs {real}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn config_verbosity_and_ignored_names() {
    let (_d, f) =
        conf_file("[v]\nverbosity = 3\nconfig = /nonexistent\nsection = nosuch\nhelp = 1\n");
    let o = run_with(&f, &["-section", "v"]);
    assert_eq!(o.verbosity(), 3);
    assert_eq!(
        o.str(Opt::Config),
        Some(f.as_str()),
        "-config is never taken from the config file"
    );
    assert_eq!(o.sections(), ["v"]);
    let o = run_with(&f, &["-section", "v", "-verbosity", "7"]);
    assert_eq!(o.verbosity(), 7);
    // Without a configured level the prescanned one stays.
    let o = run_with(&f, &["-verbosity", "4", "-section", "", "-cmd", "ir"]);
    assert_eq!(o.verbosity(), 4);
    assert_eq!(run(&["-cmd", "ir"]).verbosity(), 6);
}

/// Debian's own openssl.cnf with its CMP sections, the classic `-section insta,kur` use.
#[test]
fn debian_openssl_cnf_insta_kur() {
    let f = "/usr/lib/ssl/openssl.cnf";
    assert!(Path::new(f).exists(), "{f} missing");
    let o = run_with(f, &["-section", "insta,kur"]);
    assert_eq!(o.str(Opt::Cmd), Some("kur"));
    assert_eq!(o.str(Opt::Oldcert), Some("insta.cert.pem"));
    assert_eq!(o.str(Opt::Server), Some("pki.certificate.fi:8700"));
    assert_eq!(o.str(Opt::Path), Some("pkix/"));
    assert_eq!(
        o.str(Opt::Recipient),
        Some("/C=FI/O=Insta Demo/CN=Insta Demo CA")
    );
    assert_eq!(o.str(Opt::Secret), Some("pass:insta"));
    assert_eq!(o.str(Opt::Ref), Some("3078"));
    assert!(o.flag(Opt::IgnoreKeyusage) && o.flag(Opt::UnprotectedErrors));
    assert_eq!(o.str(Opt::OutTrusted), Some("apps/insta.ca.crt"));
    assert_eq!(
        o.source(Opt::Cmd),
        Some(&Source::Config {
            section: "kur".into()
        })
    );
    assert_eq!(
        o.source(Opt::Server),
        Some(&Source::Config {
            section: "insta".into()
        })
    );
    // OpenSSL names the out_trusted file it fails to load: the same value.
    let dir = tempfile::tempdir().expect("tempdir");
    let err = openssl_stderr(
        true,
        &["-config", f, "-section", "insta,kur"],
        Some(dir.path()),
    );
    assert!(err.contains("from apps/insta.ca.crt:"), "{err}");
    // [signature] resets the secret with an empty value.
    let o = run_with(f, &["-section", "insta,signature"]);
    assert_eq!(o.str(Opt::Secret), None);
    assert_eq!(o.str(Opt::Cert), Some("insta.cert.pem"));
    assert_eq!(o.str(Opt::Key), Some("insta.priv.pem"));
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let o = run(&[
        "-secret",
        "pass:topsecret",
        "-srv_keypass",
        "pass:hush",
        "-ref",
        "visible",
    ]);
    let shown = format!("{o:?}");
    assert!(
        !shown.contains("topsecret") && !shown.contains("hush"),
        "{shown}"
    );
    assert!(shown.contains("visible"), "{shown}");
    assert_eq!(o.str(Opt::Secret), Some("pass:topsecret"));
    assert!(Opt::Secret.is_secret() && !Opt::Ref.is_secret());
    let empty = RawOpts::default();
    assert_eq!(empty.str(Opt::Cmd), None);
}
