//! The openssl.cnf reader, checked value by value against OpenSSL's own reader: for every name we
//! read, `openssl asn1parse -genconf` is given a wrapper config that includes the file and expands
//! `${section::name}` into a UTF8String, whose bytes are the value OpenSSL stored. Needs `openssl`.

use crate::testutil as common;

use crate::nconf::Conf;
use crate::Error;
use std::path::Path;

const ENV_NAME: &str = "RCMP_NCONF_TEST";
const ENV_VALUE: &str = "from the environment";

fn fixture(name: &str) -> String {
    // Tests run in the package root, which is also where the fixtures' relative includes start.
    format!("fixtures/nconf/{name}")
}

/// The value OpenSSL stores for `section::name` after reading `file`, or its error output.
fn openssl_value(file: &str, section: &str, name: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let wrapper = dir.path().join("w.cnf");
    let abs = std::fs::canonicalize(file).expect("fixture path");
    std::fs::write(
        &wrapper,
        format!(
            ".include {}\ndefault::asn1 = UTF8:[${{{section}::{name}}}]\n",
            abs.display()
        ),
    )
    .expect("write wrapper");
    let der = dir.path().join("o.der");
    let out = common::openssl()
        .args(["asn1parse", "-noout", "-genconf"])
        .arg(&wrapper)
        .arg("-out")
        .arg(&der)
        .env(ENV_NAME, ENV_VALUE)
        .output()
        .expect("cannot run openssl");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let der = std::fs::read(der).expect("der");
    // Short or long definite length; the value is bracketed to keep blanks visible.
    let body = if der[1] < 0x80 {
        &der[2..]
    } else {
        &der[2 + (der[1] & 0x7f) as usize..]
    };
    let s = String::from_utf8(body.to_vec()).expect("utf8");
    Ok(s[1..s.len() - 1].to_string())
}

/// Names that `${...}` can reference (letters, digits, `_`).
fn referable(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Load `file` and compare every referable value of every section with OpenSSL's.
fn compare_with_openssl(file: &str) -> Conf {
    std::env::set_var(ENV_NAME, ENV_VALUE);
    let conf = Conf::load(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut checked = 0;
    for sec in conf.section_names().filter(|s| referable(s)) {
        for (name, value) in conf.section(sec).unwrap_or_default() {
            if !referable(name) {
                continue;
            }
            let real =
                openssl_value(file, sec, name).unwrap_or_else(|e| panic!("{sec}::{name}: {e}"));
            assert_eq!(value, &real, "{file}: [{sec}] {name}");
            checked += 1;
        }
    }
    assert!(checked > 0);
    conf
}

#[test]
fn quoting_escapes_comments_continuation() {
    let c = compare_with_openssl(&fixture("quoting.cnf"));
    // Spot checks that say what the rules are (OpenSSL agrees, see above).
    assert_eq!(c.get("default", "plain"), Some("some value"));
    assert_eq!(c.get("default", "dq"), Some("a # not a comment"));
    assert_eq!(c.get("default", "semicolon"), Some("a ; b ; not a comment"));
    assert_eq!(c.get("default", "esc_hash"), Some("50# of them"));
    assert_eq!(
        c.get("default", "esc_chars"),
        Some("tab\there\nnewline\rret\u{8}back")
    );
    assert_eq!(
        c.get("default", "esc_in_quotes"),
        Some("keep n as n, \" quote")
    );
    assert_eq!(c.get("default", "cont"), Some("first    second third"));
    assert_eq!(c.get("default", "double_bs"), Some("ends with two \\"));
    assert_eq!(c.get("default", "after_double"), Some("still its own line"));
    assert_eq!(c.get("default", "empty"), Some(""));
    assert_eq!(c.get("default", "name.with.dots"), Some("dotted"));
    assert_eq!(c.get("default", "1.OU"), Some("numbered"));
    assert_eq!(c.get("spaced section", "a"), Some("in spaced section"));
    assert_eq!(c.get("tabbed", "b"), Some("tab"));
    // Lookups fall back to the default section.
    assert_eq!(c.get("tabbed", "plain"), Some("some value"));
    assert_eq!(c.get_in("tabbed", "plain"), None);
    assert_eq!(c.get("nosuch", "plain"), Some("some value"));
}

#[test]
fn every_expansion_form() {
    let c = compare_with_openssl(&fixture("expand.cnf"));
    assert_eq!(c.get("base", "y"), Some("X-X-X"));
    assert_eq!(c.get("base", "from_top"), Some("T"));
    assert_eq!(c.get("base", "qualified"), Some("X/X"));
    assert_eq!(c.get("base", "env"), Some(ENV_VALUE));
    assert_eq!(c.get("base", "env_section"), Some("env section value"));
    assert_eq!(c.get("base", "in_quotes"), Some("$x $x"));
    assert_eq!(c.get("base", "escaped_dollar"), Some("$x"));
    assert_eq!(c.get("base", "home"), Some("/home/x/sub"));
    assert_eq!(c.get("expand2", "z"), Some("ZX-X-X"));
    assert_eq!(c.get("later", "fwd"), Some("T"));
    // A name set twice keeps the last value, at its last place.
    let base = c.section("base").unwrap_or_default();
    assert_eq!(c.get("base", "redefined"), Some("2"));
    assert_eq!(base.iter().filter(|(n, _)| n == "redefined").count(), 1);
    assert_eq!(base.last().map(|(n, _)| n.as_str()), Some("z_first"));
}

#[test]
fn dollarid_pragma() {
    let c = compare_with_openssl(&fixture("dollarid.cnf"));
    assert_eq!(c.get("default", "b$c"), Some("lit$eral"));
    assert_eq!(c.get("default", "d"), Some("11"));
    assert_eq!(c.get("default", "e"), Some("x$a"));
}

#[test]
fn include_file_and_directory() {
    let c = compare_with_openssl(&fixture("include_main.cnf"));
    assert_eq!(c.get("default", "from_part"), Some("part:main"));
    // The section opened in part.cnf stays current after the include, as in OpenSSL.
    assert_eq!(c.get_in("part_section", "after_part"), Some("part:main"));
    assert_eq!(c.get("inc", "a_val"), Some("A"));
    // b.conf continues in the section a.cnf opened: the directory is read in name order.
    assert_eq!(c.get_in("inc", "b_val"), Some("BA"));
    assert_eq!(c.get("main_end", "last"), Some("BA"));
    assert!(c.has_section("part_section"));
    assert!(
        !c.has_section("ignored"),
        "only .cnf/.conf files of a directory are read"
    );
    assert!(!c.has_section("subdir"), "subdirectories are not read");
    let c = compare_with_openssl(&fixture("includedir.cnf"));
    assert_eq!(c.get("default", "from_part"), Some("part:dir"));
}

/// The error names the file and line, as OpenSSL's `Error on line N of config file "F"` does.
fn assert_error_like_openssl(file: &str, what: &str) {
    let err = match Conf::load(file) {
        Err(Error::Cmp { msg, .. }) => msg,
        other => panic!("{file}: expected an error, got {other:?}"),
    };
    let real = common::openssl()
        .args(["cmp", "-config", file])
        .output()
        .expect("cannot run openssl");
    let real = String::from_utf8_lossy(&real.stderr);
    let line = real
        .lines()
        .find(|l| l.contains("Error on line"))
        .unwrap_or_else(|| panic!("openssl: {real}"));
    let head = &line[line.find("Error on line").unwrap()..];
    assert!(err.starts_with(&format!("{head}: ")), "{err} vs {head}");
    assert!(err.contains(what), "{err}");
}

#[test]
fn undefined_variables_are_errors_with_file_and_line() {
    assert_error_like_openssl(&fixture("undefined.cnf"), "variable has no value: nope");
    assert_error_like_openssl(
        &fixture("later_undefined.cnf"),
        "variable has no value: c::v",
    );
}

#[test]
fn syntax_errors_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (text, what) in [
        ("a = 1\nb = ${x\n", "no close brace"),
        ("[s\n", "missing close square bracket"),
        ("a = 1\n\njunk\n", "missing equal sign"),
        (".pragma dollarid:maybe\n", "invalid pragma"),
        ("a = $\n", "variable has no value"),
    ] {
        let f = dir.path().join("e.cnf");
        std::fs::write(&f, text).expect("write");
        assert_error_like_openssl(&f.display().to_string(), what);
    }
}

#[test]
fn parse_text_directly() {
    let c = Conf::parse("a = 1\n[s]\nb = ${a}\\\n2\n", "inline").expect("parse");
    assert_eq!(c.get("s", "b"), Some("12"));
    match Conf::parse("[s]\n\nb = $zz\n", "inline") {
        Err(Error::Cmp { msg, .. }) => {
            assert_eq!(
                msg,
                "Error on line 3 of config file \"inline\": variable has no value: zz"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bounds() {
    // A file including itself stops at the depth limit instead of looping forever.
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("self.cnf");
    std::fs::write(&f, format!(".include {}\n", f.display())).expect("write");
    assert!(matches!(Conf::load(&f), Err(Error::Cmp { .. })));
    // Values may not grow past 64 KiB by expansion.
    let mut text =
        String::from("a = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
    for i in 0..11 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("v{}", i - 1)
        };
        text.push_str(&format!("v{i} = ${prev}${prev}\n"));
    }
    match Conf::parse(&text, "big") {
        Err(Error::Cmp { msg, .. }) => {
            assert!(msg.contains("variable expansion too long"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn debian_openssl_cnf_cmp_sections() {
    let f = "/usr/lib/ssl/openssl.cnf";
    assert!(Path::new(f).exists());
    let c = compare_with_openssl(f);
    assert_eq!(c.get("kur", "oldcert"), Some("insta.cert.pem"));
    assert_eq!(c.get("pbm", "secret"), Some("pass:insta"));
    assert_eq!(c.get("signature", "secret"), Some(""));
    assert_eq!(
        c.get("insta", "recipient"),
        Some("/C=FI/O=Insta Demo/CN=Insta Demo CA")
    );
    assert_eq!(c.get("insta", "cmd"), Some("ir"));
}

#[test]
fn continuation_into_end_of_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("eof.cnf");
    std::fs::write(&f, "a = 1\nb = x\\\n").expect("write");
    let c = compare_with_openssl(&f.display().to_string());
    assert_eq!(c.get("default", "b"), Some("x"));
}
