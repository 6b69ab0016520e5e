//! genm with the info types OpenSSL 3.2+ supports specifically (rootCaCert, crlStatusList,
//! certReqTemplate), run against OpenSSL 3.5's own mock server: exit codes, and result files
//! byte-identical to what OpenSSL 3.5's client writes for the same server.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// Run `client` (rcmp or OpenSSL 3.5) in the server's folder with the corpus' `Mock commands`
/// section; `{out}` in an argument is replaced by `out`.
fn client(mut cmd: Command, srv: &MockServer, out: &Path, args: &[&str]) -> (Command, Output) {
    cmd.current_dir(srv.dir())
        .args(["-config", "test.cnf", "-section", "Mock commands"])
        .args([
            "-server",
            &srv.server_arg(),
            "-proxy",
            "",
            "-no_proxy",
            "127.0.0.1",
        ]);
    for a in args {
        cmd.arg(a.replace("{out}", out.to_str().expect("utf-8 path")));
    }
    let output = run(&mut cmd);
    (cmd, output)
}

fn openssl35_cmp() -> Command {
    let mut c = openssl35();
    c.arg("cmp");
    c
}

/// Output folders for rcmp and for OpenSSL.
fn out_dirs(srv: &MockServer) -> (PathBuf, PathBuf) {
    let base = srv.out_dir();
    let ours = base.join("rcmp");
    let theirs = base.join("openssl");
    std::fs::create_dir_all(&ours).expect("mkdir");
    std::fs::create_dir_all(&theirs).expect("mkdir");
    (ours, theirs)
}

/// Run the same invocation with both clients, assert both exit with `ok`, and that each of `files`
/// exists in both output folders with the same bytes, or in neither.
fn same_as_openssl(srv: &MockServer, args: &[&str], ok: bool, files: &[&str]) -> Output {
    let (ours, theirs) = out_dirs(srv);
    let (cmd, out) = client(rcmp(), srv, &ours, args);
    let (ocmd, oout) = client(openssl35_cmp(), srv, &theirs, args);
    assert_eq!(
        oout.status.success(),
        ok,
        "OpenSSL 3.5 itself did not behave as expected\n{}",
        describe(&ocmd, &oout)
    );
    assert_eq!(out.status.success(), ok, "{}", describe(&cmd, &out));
    for f in files {
        let a = std::fs::read(ours.join(f)).ok();
        let b = std::fs::read(theirs.join(f)).ok();
        assert_eq!(
            a.is_some(),
            b.is_some(),
            "file {f}: rcmp wrote it: {}, OpenSSL wrote it: {}\n{}",
            a.is_some(),
            b.is_some(),
            describe(&cmd, &out)
        );
        assert!(
            a == b,
            "file {f} differs from OpenSSL's\n{}",
            describe(&cmd, &out)
        );
    }
    out
}

/// Put a stale file in both output folders (to see it deleted when nothing is received).
fn stale(srv: &MockServer, name: &str) {
    let (ours, theirs) = out_dirs(srv);
    for d in [ours, theirs] {
        std::fs::write(d.join(name), b"stale").expect("write stale file");
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn root_ca_key_update_is_saved_like_openssl() {
    let srv = MockServer::start_openssl35("latest", &[]);
    same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "rootCaCert",
            "-oldwithold",
            "oldWithOld.pem",
            "-newwithnew",
            "{out}/nwn.pem",
            "-newwithold",
            "{out}/nwo.pem",
            "-oldwithnew",
            "{out}/own.pem",
        ],
        true,
        &["nwn.pem", "nwo.pem", "own.pem"],
    );
    // Without -oldwithold, newWithNew is validated with -trusted; oldWithNew is then useless.
    let out = same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "rootCaCert",
            "-newwithnew",
            "{out}/nwn0.pem",
        ],
        true,
        &["nwn0.pem"],
    );
    assert!(
        stdout(&out).contains("oldWithNew certificate received in genp for verifying oldWithOld, but oldWithOld was not provided"),
        "{}",
        stdout(&out)
    );
    // A root the server does not know: no update, and the old output files are removed.
    stale(&srv, "nwn1.pem");
    stale(&srv, "nwo1.pem");
    let out = same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "rootCaCert",
            "-oldwithold",
            "signer.crt",
            "-newwithnew",
            "{out}/nwn1.pem",
            "-newwithold",
            "{out}/nwo1.pem",
        ],
        true,
        &["nwn1.pem", "nwo1.pem"],
    );
    assert!(stdout(&out).contains("no root CA certificate update available"));
    let (ours, _) = out_dirs(&srv);
    assert!(!ours.join("nwn1.pem").exists());
}

#[test]
fn root_ca_cert_option_errors_fail_like_openssl() {
    let srv = MockServer::start_openssl35("latest", &[]);
    for args in [
        &[
            "-cmd",
            "genm",
            "-infotype",
            "rootCaCert",
            "-oldwithold",
            "oldWithOld.pem",
        ][..],
        &[
            "-cmd",
            "genm",
            "-infotype",
            "rootCaCert",
            "-oldwithold",
            "random.bin",
            "-newwithnew",
            "{out}/x.pem",
        ][..],
        &[
            "-cmd",
            "genm",
            "-infotype",
            "rootCaCert",
            "-oldwithold",
            "idontexist",
            "-newwithnew",
            "{out}/x.pem",
        ][..],
    ] {
        same_as_openssl(&srv, args, false, &["x.pem"]);
    }
}

#[test]
fn crl_update_is_saved_like_openssl() {
    let srv = MockServer::start_openssl35("latest", &[]);
    same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "crlStatusList",
            "-crlcert",
            "signer_only.crt",
            "-crlout",
            "{out}/crl1.der",
        ],
        true,
        &["crl1.der"],
    );
    same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "crlStatusList",
            "-oldcrl",
            "oldcrl.pem",
            "-crlout",
            "{out}/crl2.pem",
            "-crlform",
            "PEM",
        ],
        true,
        &["crl2.pem"],
    );
    // The server's CRL is not newer than this one: nothing received, -crlout removed.
    stale(&srv, "crl3.der");
    let out = same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "crlStatusList",
            "-oldcrl",
            "newcrl.pem",
            "-crlout",
            "{out}/crl3.der",
        ],
        true,
        &["crl3.der"],
    );
    assert!(
        stdout(&out).contains("no CRL update available"),
        "{}",
        stdout(&out)
    );
    // Issuer unknown to the server: error response.
    same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "crlStatusList",
            "-crlcert",
            "server.crt",
            "-oldcrl",
            "oldcrl.pem",
            "-crlout",
            "{out}/crl4.der",
        ],
        false,
        &["crl4.der"],
    );
    same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "crlStatusList",
            "-crlout",
            "{out}/crl5.der",
        ],
        false,
        &["crl5.der"],
    );
}

#[test]
fn cert_req_template_is_saved_like_openssl() {
    let srv = MockServer::start_openssl35("latest", &[]);
    let out = same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "certReqTemplate",
            "-template",
            "{out}/t.der",
            "-keyspec",
            "{out}/k.der",
        ],
        true,
        &["t.der", "k.der"],
    );
    assert!(
        stdout(&out).contains(
            "Key specifications contained in keySpec from genp:\nKey algorithm: id-ecPublicKey\nKey algorithm: RSA 4096\nEnd of key specifications contained in keySpec from genp"
        ),
        "{}",
        stdout(&out)
    );
    same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "certReqTemplate",
            "-keyspec",
            "{out}/k2.der",
        ],
        false,
        &["k2.der"],
    );
    same_as_openssl(
        &srv,
        &[
            "-cmd",
            "genm",
            "-infotype",
            "certReqTemplate",
            "-template",
            "{out}/idontexist/t.der",
        ],
        false,
        &[],
    );
}
