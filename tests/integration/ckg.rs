//! Central key generation (`-centralkeygen`, `-popo -1`, `-newkeyout`, mock `-rsp_key`) against the real
//! OpenSSL 3.5: our client with OpenSSL's mock server, OpenSSL's client with our mock server, and the
//! option checks OpenSSL makes before sending anything.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// Run `cmd` (a cmp client) in the server's folder with the corpus' `Mock commands` section.
fn client(mut cmd: Command, srv: &MockServer, args: &[&str]) -> (Command, Output) {
    cmd.current_dir(srv.dir())
        .args(["-config", "test.cnf", "-section", "Mock commands"])
        .args(["-server", &srv.server_arg()])
        .args(["-proxy", "", "-no_proxy", "127.0.0.1"])
        .args(args);
    let out = run(&mut cmd);
    (cmd, out)
}

fn openssl35_cmp() -> Command {
    let mut c = openssl35();
    c.arg("cmp");
    c
}

/// The public key (PEM) of a private key file, as OpenSSL reads it.
fn pubkey_of_key(key: &Path, pass: Option<&str>) -> String {
    let mut c = openssl();
    c.args(["pkey", "-pubout", "-in"]).arg(key);
    if let Some(p) = pass {
        c.args(["-passin", p]);
    }
    String::from_utf8_lossy(&run_ok(&mut c).stdout).into_owned()
}

/// The public key (PEM) of a certificate file.
fn pubkey_of_cert(cert: &Path) -> String {
    let mut c = openssl();
    c.args(["x509", "-noout", "-pubkey", "-in"]).arg(cert);
    String::from_utf8_lossy(&run_ok(&mut c).stdout).into_owned()
}

/// The key file exists, is owner-only, is PEM with `label`, opens with `pass`, and matches the cert.
fn check_key_and_cert(key: &Path, cert: &Path, pass: Option<&str>, label: &str) {
    let text = std::fs::read_to_string(key).expect("key file written");
    assert!(
        text.starts_with(&format!("-----BEGIN {label}-----")),
        "unexpected key file: {}",
        text.lines().next().unwrap_or_default()
    );
    let mode = std::fs::metadata(key).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "key file must be owner-only");
    let k = pubkey_of_key(key, pass);
    assert!(k.contains("BEGIN PUBLIC KEY"), "key does not load: {k}");
    assert_eq!(
        k,
        pubkey_of_cert(cert),
        "key does not match the certificate"
    );
}

#[test]
fn rcmp_client_gets_key_from_openssl35_mock() {
    let srv = MockServer::start_openssl35("latest", &[]);
    let out = srv.out_dir();
    let (k1, c1) = (out.join("k1.pem"), out.join("c1.pem"));
    let (cmd, o) = client(
        rcmp(),
        &srv,
        &[
            "-cmd",
            "cr",
            "-centralkeygen",
            "-newkeyout",
            k1.to_str().expect("utf-8"),
            "-certout",
            c1.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", describe(&cmd, &o));
    let log = String::from_utf8_lossy(&o.stdout);
    assert!(
        log.contains(&format!(
            "saving centrally generated key to file '{}'",
            k1.display()
        )),
        "{}",
        describe(&cmd, &o)
    );
    check_key_and_cert(&k1, &c1, None, "PRIVATE KEY");

    // -popo -1 instead of -centralkeygen, with the key encrypted by -newkeypass
    let (k2, c2) = (out.join("k2.pem"), out.join("c2.pem"));
    let (cmd, o) = client(
        rcmp(),
        &srv,
        &[
            "-cmd",
            "ir",
            "-popo",
            "-1",
            "-newkeyout",
            k2.to_str().expect("utf-8"),
            "-newkeypass",
            "pass:12345",
            "-certout",
            c2.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", describe(&cmd, &o));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("POPO is disabled, which implies -centralkeygen"),
        "{}",
        describe(&cmd, &o)
    );
    check_key_and_cert(&k2, &c2, Some("pass:12345"), "ENCRYPTED PRIVATE KEY");
}

#[test]
fn openssl35_client_gets_key_from_rcmp_mock() {
    let srv = MockServer::start_rcmp("latest", &[]);
    let out = srv.out_dir();
    let (k, c) = (out.join("k.pem"), out.join("c.pem"));
    let (cmd, o) = client(
        openssl35_cmp(),
        &srv,
        &[
            "-cmd",
            "cr",
            "-centralkeygen",
            "-newkeyout",
            k.to_str().expect("utf-8"),
            "-newkeypass",
            "pass:12345",
            "-certout",
            c.to_str().expect("utf-8"),
        ],
    );
    assert!(
        o.status.success(),
        "{}\nserver log:\n{}",
        describe(&cmd, &o),
        srv.logs()
    );
    check_key_and_cert(&k, &c, Some("pass:12345"), "ENCRYPTED PRIVATE KEY");
    // The key is the mock's -rsp_key (new.key of the corpus).
    assert_eq!(
        pubkey_of_key(&k, Some("pass:12345")),
        pubkey_of_key(&srv.dir().join("new.key"), None)
    );
}

/// Option errors are reported before anything is sent, with OpenSSL's words and exit code.
#[test]
fn inconsistent_options_fail_like_openssl() {
    let srv = MockServer::start_openssl35("latest", &[]);
    let cases: [(&[&str], &str); 3] = [
        (
            &["-cmd", "cr", "-centralkeygen"],
            "-newkeyout not given, nowhere to save centrally generated key",
        ),
        (
            &[
                "-cmd",
                "cr",
                "-centralkeygen",
                "-popo",
                "1",
                "-newkeyout",
                "x.pem",
            ],
            "-popo value 1 is inconsistent with -centralkeygen",
        ),
        (
            &["-cmd", "cr", "-popo", "-1"],
            "-newkeyout not given, nowhere to save centrally generated key",
        ),
    ];
    for (args, msg) in cases {
        let (ocmd, oo) = client(openssl35_cmp(), &srv, args);
        let (cmd, o) = client(rcmp(), &srv, args);
        assert!(!oo.status.success(), "{}", describe(&ocmd, &oo));
        assert_eq!(o.status.code(), oo.status.code(), "{}", describe(&cmd, &o));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(all.contains(msg), "missing '{msg}'\n{}", describe(&cmd, &o));
    }
}
