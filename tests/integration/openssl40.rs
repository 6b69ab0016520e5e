//! OpenSSL 4.0's changes to `openssl cmp`, checked side by side with the real OpenSSL 4.0
//! (Debian's 4.0 package, fetched by scripts/fetch-deps): `-ta_in_ip_extracerts`, `-engine` gone, the
//! capitalised log lines, the PBM iteration count 1024, the `-help` listing. rcmp runs with
//! `RCMP_COMPAT=4.0`; without it, it stays OpenSSL 3.5.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::{describe, run, MockServer};

/// OpenSSL 4.0's client as a command (fetched by scripts/fetch-deps; fails loudly when missing).
fn openssl40() -> Command {
    let mut c = common::openssl40();
    c.arg("cmp");
    c
}

fn rcmp40() -> Command {
    let mut c = common::rcmp();
    c.env("RCMP_COMPAT", "4.0");
    c
}

/// The `CMP info:`/`CMP warning:` lines of a run, without OpenSSL's `func:file:line:` prefix.
fn log_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .filter_map(|l| l.find("CMP ").map(|i| l[i..].trim_end().to_string()))
        .filter(|l| l.starts_with("CMP info:") || l.starts_with("CMP warning:"))
        .collect()
}

/// A small PKI made with the machine's openssl: two self-signed roots A and B, the server's
/// certificate `srv` and the certificate to hand out `ee` under A, and `eeB` under B.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Pki { dir };
        for root in ["rootA", "rootB"] {
            p.openssl(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &p.path(&format!("{root}.key")),
                "-out",
                &p.path(&format!("{root}.pem")),
                "-subj",
                &format!("/CN={root}"),
                "-days",
                "3650",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ]);
        }
        let ext = p.path("leaf.ext");
        std::fs::write(
            &ext,
            "keyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .expect("write ext");
        for (leaf, ca) in [("srv", "rootA"), ("ee", "rootA"), ("eeB", "rootB")] {
            p.openssl(&[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &p.path(&format!("{leaf}.key")),
                "-out",
                &p.path(&format!("{leaf}.csr")),
                "-subj",
                &format!("/CN={leaf}"),
            ]);
            p.openssl(&[
                "x509",
                "-req",
                "-in",
                &p.path(&format!("{leaf}.csr")),
                "-CA",
                &p.path(&format!("{ca}.pem")),
                "-CAkey",
                &p.path(&format!("{ca}.key")),
                "-days",
                "3650",
                "-extfile",
                &ext,
                "-out",
                &p.path(&format!("{leaf}.pem")),
            ]);
        }
        p
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn openssl(&self, args: &[&str]) {
        let mut c = common::openssl();
        c.args(args);
        let out = run(&mut c);
        assert!(out.status.success(), "{}", describe(&c, &out));
    }
}

/// OpenSSL 4.0's mock signing with `srv` (under root A), sending root A as extraCert and handing
/// out `rsp_cert`, taking unprotected requests.
fn mock40(pki: &Pki, rsp_cert: &str) -> MockServer {
    let (srv, key, root_a, rsp) = (
        pki.path("srv.pem"),
        pki.path("srv.key"),
        pki.path("rootA.pem"),
        pki.path(rsp_cert),
    );
    let args = [
        "-srv_secret",
        "",
        "-srv_cert",
        &srv,
        "-srv_key",
        &key,
        "-rsp_extracerts",
        &root_a,
        "-rsp_cert",
        &rsp,
        "-accept_unprotected",
    ];
    MockServer::start(openssl40(), "latest", &args)
}

/// Exit codes of OpenSSL 4.0 and of rcmp (RCMP_COMPAT=4.0) for the same client command.
fn both(mock: &MockServer, pki: &Pki, extra: &[&str]) -> (i32, i32, String) {
    let out_dir = mock.out_dir();
    let mut codes = Vec::new();
    let mut shown = String::new();
    for (i, mut c) in [openssl40(), rcmp40()].into_iter().enumerate() {
        let certout = out_dir.join(format!("out{i}.pem"));
        c.args([
            "-config",
            "",
            "-server",
            &mock.server_arg(),
            "-unprotected_requests",
        ])
        .args(["-newkey", &pki.path("ee.key"), "-subject", "/CN=x"])
        .args(["-certout", &certout.display().to_string()])
        .args(extra)
        .current_dir(mock.dir());
        let out = run(&mut c);
        shown.push_str(&describe(&c, &out));
        codes.push(out.status.code().unwrap_or(-1));
    }
    (codes[0], codes[1], shown)
}

#[test]
fn ta_in_ip_extracerts_as_openssl_40() {
    let pki = Pki::new();
    let root_b = pki.path("rootB.pem");
    let mock = mock40(&pki, "ee.pem");
    // (extra client arguments, expected exit code)
    let cases: [(&[&str], i32); 5] = [
        // The server chains to root A, which the client does not trust.
        (&["-cmd", "ir", "-trusted", &root_b], 1),
        // With the option, the self-issued root A in the ip's extraCerts anchors the signer and the
        // new certificate; the pkiconf is then checked with the signer that validated the ip.
        (
            &["-cmd", "ir", "-trusted", &root_b, "-ta_in_ip_extracerts"],
            0,
        ),
        (&["-cmd", "ir", "-ta_in_ip_extracerts"], 0),
        // Only an ip qualifies, not a cp.
        (
            &["-cmd", "cr", "-trusted", &root_b, "-ta_in_ip_extracerts"],
            1,
        ),
        (&["-cmd", "cr", "-ta_in_ip_extracerts"], 1),
    ];
    for (args, want) in cases {
        let (theirs, ours, shown) = both(&mock, &pki, args);
        assert_eq!(
            (theirs, ours),
            (want, want),
            "{args:?}\n{shown}\n{}",
            mock.logs()
        );
    }
    drop(mock);
    // The new certificate must chain to the same self-issued extraCert as the signer.
    let mock = mock40(&pki, "eeB.pem");
    let (theirs, ours, shown) = both(&mock, &pki, &["-cmd", "ir", "-ta_in_ip_extracerts"]);
    assert_eq!((theirs, ours), (1, 1), "{shown}");
}

#[test]
fn ta_in_ip_extracerts_warns_as_openssl_40() {
    let mut c = rcmp40();
    c.args([
        "-config",
        "",
        "-cmd",
        "ir",
        "-ta_in_ip_extracerts",
        "-secret",
        "pass:x",
        "-ref",
        "r",
    ]);
    c.args(["-server", "127.0.0.1:1", "-msg_timeout", "1"]);
    let out = run(&mut c);
    assert!(
        log_lines(&out).contains(
            &"CMP warning: permitting non-authenticated trust anchors in IP extracerts according to 3GPP TS 33.310"
                .to_string()
        ),
        "{}",
        describe(&c, &out)
    );
}

#[test]
fn engine_is_gone_in_40() {
    for (mut c, name) in [(openssl40(), "openssl 4.0"), (rcmp40(), "rcmp 4.0")] {
        c.args(["-config", "", "-engine", "x"]);
        let out = run(&mut c);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(
            err.starts_with("cmp: Unknown option: -engine\ncmp: Use -help for summary.\n"),
            "{name}: {}",
            describe(&c, &out)
        );
    }
    // Under the default (3.5) the option exists and is refused by name.
    let mut c = common::rcmp();
    c.args(["-config", "", "-engine", "x", "-cmd", "ir"]);
    let out = run(&mut c);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("option -engine is not supported yet"),
        "{}",
        describe(&c, &out)
    );
}

/// The option column of `-help`: names and continuation-line counts.
fn help_column(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| {
            if l.starts_with(" -") {
                l.split_whitespace().next().unwrap_or("").to_string()
            } else if l.starts_with(' ') {
                String::new()
            } else {
                l.to_string()
            }
        })
        .collect()
}

#[test]
fn help_lists_the_40_options() {
    let mut theirs = openssl40();
    theirs.args(["-config", "", "-help"]);
    let mut ours = rcmp40();
    ours.args(["-config", "", "-help"]);
    let (t, o) = (run(&mut theirs), run(&mut ours));
    // rcmp's own extensions come last, under their own header, after OpenSSL's part.
    let mut ours_col = help_column(&o);
    if let Some(i) = ours_col
        .iter()
        .position(|l| l.starts_with("rcmp extensions"))
    {
        ours_col.truncate(i.saturating_sub(1));
    }
    assert_eq!(ours_col, help_column(&t));
    assert!(help_column(&o).contains(&"-ta_in_ip_extracerts".to_string()));
    // The 3.5 help does not list it.
    let mut ours35 = common::rcmp();
    ours35.args(["-config", "", "-help"]);
    assert!(!help_column(&run(&mut ours35)).contains(&"-ta_in_ip_extracerts".to_string()));
}

/// A successful ir against OpenSSL 4.0's mock: the info and warning lines are the same, in 4.0's
/// capitalised wording, with OpenSSL 3.5's wording under the default.
#[test]
fn log_wording_as_openssl_40() {
    let mock = MockServer::start(openssl40(), "latest", &[]);
    let out_dir = mock.out_dir();
    let run_ir = |mut c: Command, tag: &str| -> Output {
        let o = |n: &str| out_dir.join(format!("{tag}.{n}.pem")).display().to_string();
        c.args(["-config", "test.cnf", "-section", "Mock enrollment"])
            .args(["-server", &format!("{}/pkix/#frag", mock.server_arg())])
            .args(["-cmd", "ir", "-newkey", "new.key", "-newkeypass", "pass:"])
            .args(["-certout", &o("cert"), "-extracertsout", &o("extra")])
            .args(["-cacertsout", &o("ca"), "-chainout", &o("chain")])
            .current_dir(mock.dir());
        let out = run(&mut c);
        assert!(
            out.status.success(),
            "{}\n{}",
            describe(&c, &out),
            mock.logs()
        );
        out
    };
    let theirs = log_lines(&run_ir(openssl40(), "t"));
    let ours = log_lines(&run_ir(rcmp40(), "o"));
    let port = mock.port().to_string();
    let norm = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|l| {
                l.replace(&port, "PORT")
                    .replace("/o.", "/X.")
                    .replace("/t.", "/X.")
            })
            .collect()
    };
    let theirs = norm(theirs);
    assert_eq!(norm(ours), theirs);
    // The fragment of -server is dropped by 4.0.3 as by 3.5, whatever the 4.0 notes say.
    assert!(theirs
        .iter()
        .any(|l| l == "CMP info: Will contact http://127.0.0.1:PORT/pkix/"));
    assert!(theirs
        .iter()
        .any(|l| l.starts_with("CMP info: Received 1 newly enrolled certificate(s)")));
    let ours35 = norm(log_lines(&run_ir(common::rcmp(), "o")));
    assert!(ours35
        .iter()
        .any(|l| l == "CMP info: will contact http://127.0.0.1:PORT/pkix/"));
}

/// An error line the app prints: capitalised by 4.0.
#[test]
fn error_wording_as_openssl_40() {
    for (mut c, name) in [(openssl40(), "openssl 4.0"), (rcmp40(), "rcmp 4.0")] {
        c.args(["-config", "", "-cmd", "xx", "-server", "127.0.0.1:1"]);
        let out = run(&mut c);
        let text = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("CMP error: Unknown cmp command 'xx'"),
            "{name}: {}",
            describe(&c, &out)
        );
    }
}

/// The iterationCount of the PBMParameter in a request written with -reqout, as `openssl asn1parse`
/// shows it (the INTEGER right after the OWF in the protectionAlg).
fn pbm_iterations(reqout: &Path) -> String {
    let mut c = common::openssl();
    c.args([
        "asn1parse",
        "-inform",
        "DER",
        "-in",
        &reqout.display().to_string(),
    ]);
    let out = run(&mut c);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = text.lines().collect();
    let owf = lines
        .iter()
        .position(|l| l.contains(":password based MAC"))
        .expect("no PBM in request");
    lines[owf..]
        .iter()
        .find(|l| l.contains("prim: INTEGER"))
        .and_then(|l| l.rsplit(':').next())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn pbm_iteration_count_follows_the_release() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut got = Vec::new();
    for (i, mut c) in [openssl40(), rcmp40(), common::rcmp()]
        .into_iter()
        .enumerate()
    {
        let f = dir.path().join(format!("req{i}.der"));
        c.args([
            "-config", "", "-cmd", "genm", "-secret", "pass:x", "-ref", "r",
        ])
        .args([
            "-server",
            "127.0.0.1:1",
            "-reqout",
            &f.display().to_string(),
        ]);
        let out = run(&mut c);
        assert!(f.is_file(), "{}", describe(&c, &out));
        got.push(pbm_iterations(&f));
    }
    assert_eq!(
        got,
        ["0400", "0400", "01F4"],
        "4.0: 1024, rcmp 4.0: 1024, rcmp 3.5: 500"
    );
}

/// The set-up notes 4.0 added or changed, side by side with OpenSSL 4.0 without any server
/// (`-reqout_only`): `Will not contact any server` (twice), `-path` ignored with -reqout_only,
/// `-revreason` outside rr, `-oldcert` as reference cert, and no `-out_trusted` note for p10cr.
#[test]
fn setup_notes_as_openssl_40() {
    let pki = Pki::new();
    let csr = pki.path("ee.csr");
    let key = pki.path("ee.key");
    pki.openssl(&["req", "-new", "-key", &key, "-subj", "/CN=x", "-out", &csr]);
    let dir = tempfile::tempdir().expect("tempdir");
    for cmd in ["ir", "p10cr", "genm", "kur"] {
        let mut seen = Vec::new();
        for (i, mut c) in [openssl40(), rcmp40()].into_iter().enumerate() {
            let req = dir.path().join(format!("{cmd}{i}.der"));
            c.args(["-config", "", "-cmd", cmd, "-secret", "pass:x", "-ref", "r"])
                .args(["-reqout_only", &req.display().to_string()])
                .args(["-path", "pkix/", "-no_proxy", "localhost"])
                .args(["-newkey", &pki.path("ee.key"), "-subject", "/CN=x"])
                .args(["-oldcert", &pki.path("ee.pem"), "-revreason", "5"])
                .args(["-csr", &csr, "-out_trusted", &pki.path("rootA.pem")])
                .args(["-infotype", "signKeyPairTypes"]);
            let out = run(&mut c);
            seen.push((log_lines(&out), describe(&c, &out)));
        }
        assert_eq!(seen[1].0, seen[0].0, "{cmd}:\n{}\n{}", seen[0].1, seen[1].1);
        if cmd == "ir" {
            for line in [
                "CMP warning: -path option is ignored since -reqout_only option is given",
                "CMP info: Will not contact any server",
                "CMP warning: -revreason option is ignored for commands other than 'rr'",
                "CMP warning: -oldcert option used only as reference cert",
            ] {
                assert!(seen[0].0.iter().any(|l| l == line), "{line}: {}", seen[0].1);
            }
        }
    }
}

/// OpenSSL 4.0 lists its trust store in hash-table order, not by subject as 3.x: with the
/// corpus's three-certificate `signer.crt` as trust store and a server certificate it cannot
/// validate, the `considering cert from certs in trusted store` lines come in 4.0's order.
#[test]
fn trust_store_listed_as_openssl_40() {
    let mock = MockServer::start(openssl40(), "latest", &[]);
    let port = mock.port().to_string();
    let mut seen = Vec::new();
    for (i, mut c) in [openssl40(), rcmp40()].into_iter().enumerate() {
        let certout = mock.out_dir().join(format!("out{i}.pem"));
        c.args(["-config", "test.cnf", "-section", "Mock verification"])
            .args(["-server", &mock.server_arg(), "-recipient", "/CN=Root CA"])
            .args(["-trusted", "signer.crt", "-unprotected_errors"])
            .args(["-cert", "signer.crt", "-key", "signer.p12"])
            .args(["-keypass", "pass:12345"])
            .args(["-certout", &certout.display().to_string()])
            .current_dir(mock.dir());
        let out = run(&mut c);
        let lines: Vec<String> = log_lines(&out)
            .into_iter()
            .map(|l| l.replace(&port, "PORT"))
            .collect();
        seen.push((lines, describe(&c, &out)));
    }
    assert_eq!(seen[1].0, seen[0].0, "{}\n{}", seen[0].1, seen[1].1);
    let subjects: Vec<&String> = seen[0]
        .0
        .iter()
        .skip_while(|l| !l.contains("certs in trusted store"))
        .filter(|l| l.starts_with("CMP info:   subject = "))
        .collect();
    assert!(
        subjects.len() >= 3 && subjects[0].ends_with("CN=interCA"),
        "{subjects:?}"
    );
}
