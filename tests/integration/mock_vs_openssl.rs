//! rcmp's mock server side by side with OpenSSL's: the same OpenSSL client runs against OpenSSL's
//! mock and against rcmp's, both started the same way, and must see the same thing: exit code, the
//! lines in which the client reports the server's answer (`CMP error: ...`, `CMP info: received ...`)
//! and the files it writes. OpenSSL 3.5's mock is compared with rcmp's default; OpenSSL 3.0's (the
//! machine's `openssl`) with rcmp under `RCMP_COMPAT=3.0`. Both OpenSSL releases must be present:
//! these tests fail, never skip, without them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Which OpenSSL release a pair of mocks imitates.
#[derive(Clone, Copy)]
enum Release {
    V30,
    V35,
}

/// OpenSSL's mock and rcmp's, started with the same corpus and arguments.
struct Pair {
    theirs: MockServer,
    ours: MockServer,
    release: Release,
}

impl Pair {
    fn start(release: Release, corpus: &str, args: &[&str]) -> Pair {
        let (theirs, ours) = match release {
            Release::V35 => (
                MockServer::start_openssl35(corpus, args),
                MockServer::start_rcmp(corpus, args),
            ),
            Release::V30 => {
                let mut c = rcmp();
                c.env("RCMP_COMPAT", "3.0");
                (
                    MockServer::start_openssl(corpus, args),
                    MockServer::start(c, corpus, args),
                )
            }
        };
        Pair {
            theirs,
            ours,
            release,
        }
    }

    /// The OpenSSL client of the pair's release (3.0's `openssl cmp` also for the 3.0 pair).
    fn client(&self) -> Command {
        match self.release {
            Release::V35 => {
                let mut c = openssl35();
                c.arg("cmp");
                c
            }
            Release::V30 => {
                let mut c = openssl();
                c.arg("cmp");
                c
            }
        }
    }

    /// Run the client with `args` (`{out}` stands for an output folder of its own) against both
    /// mocks and assert the same outcome; returns the client's output against rcmp's mock.
    fn same(&self, args: &[&str], files: &[&str]) -> Seen {
        let theirs = seen(self.client(), &self.theirs, "openssl", args, files);
        let ours = seen(self.client(), &self.ours, "rcmp", args, files);
        assert_eq!(
            theirs.summary(),
            ours.summary(),
            "rcmp's mock answered differently from OpenSSL's\n--- OpenSSL's mock ---\n{}\n{}\
             \n--- rcmp's mock ---\n{}\n{}",
            theirs.text,
            self.theirs.logs(),
            ours.text,
            self.ours.logs()
        );
        ours
    }
}

/// Output files by name, with their bytes if written.
type Files = Vec<(String, Option<Vec<u8>>)>;

/// What a client run shows of the server.
struct Seen {
    ok: bool,
    /// `CMP error:` lines (OpenSSL's `func:file:line:` prefix removed) and `received ...` info lines.
    lines: Vec<String>,
    /// For each expected output file: its bytes, if written.
    files: Files,
    text: String,
}

impl Seen {
    /// Whether one of the reported lines contains `text`.
    fn says(&self, text: &str) -> bool {
        self.lines.iter().any(|l| l.contains(text))
    }
    fn summary(&self) -> (bool, &Vec<String>, &Files) {
        (self.ok, &self.lines, &self.files)
    }
}

fn strip_location(line: &str) -> &str {
    match line.find("CMP ") {
        Some(i) => &line[i..],
        None => line,
    }
}

fn seen(mut cmd: Command, srv: &MockServer, tag: &str, args: &[&str], files: &[&str]) -> Seen {
    let out_dir = srv.out_dir().join(tag);
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let out_s = out_dir.to_str().expect("utf-8 path").to_string();
    cmd.current_dir(srv.dir())
        .args(["-config", "", "-server", &srv.server_arg()]);
    for a in args {
        cmd.arg(a.replace("{out}", &out_s));
    }
    let out = run(&mut cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines = stdout
        .lines()
        .map(strip_location)
        .filter(|l| l.starts_with("CMP error:") || l.starts_with("CMP info: received"))
        .map(|l| l.replace(&out_s, "{out}"))
        .collect();
    let files = files
        .iter()
        .map(|f| (f.to_string(), std::fs::read(out_dir.join(f)).ok()))
        .collect();
    Seen {
        ok: out.status.success(),
        lines,
        files,
        text: describe(&cmd, &out),
    }
}

/// A corpus folder (`<dir>/Mock`) with a test PKI and `server.cnf`, made with OpenSSL 3.5: a root, the
/// server's certificate, a client key with a valid certificate without subject key identifier, an
/// expired one and one from a foreign root (both with the same subject and key), a DSA key, the
/// certificate the mock returns and a v1 CRL (no version field).
fn make_corpus(dir: &Path) -> PathBuf {
    let m = dir.join("Mock");
    std::fs::create_dir_all(&m).expect("mkdir");
    let o = |args: &[&str]| {
        let mut c = openssl35();
        c.current_dir(&m).args(args);
        run_ok(&mut c);
    };
    for (name, subj) in [("root", "/CN=Test Root"), ("foreign", "/CN=Foreign Root")] {
        o(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-subj",
            subj,
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        ]);
    }
    std::fs::write(
        m.join("skid.ext"),
        "keyUsage=digitalSignature\nsubjectKeyIdentifier=hash\n",
    )
    .expect("write");
    std::fs::write(
        m.join("noskid.ext"),
        "keyUsage=digitalSignature\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n",
    )
    .expect("write");
    for (key, subj) in [
        ("server", "/CN=server"),
        ("client", "/CN=client"),
        ("new", "/CN=new"),
    ] {
        o(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &format!("{key}.key"),
        ]);
        o(&[
            "req",
            "-new",
            "-key",
            &format!("{key}.key"),
            "-subj",
            subj,
            "-out",
            &format!("{key}.csr"),
        ]);
    }
    let sign = |csr: &str, ca: &str, out: &str, ext: &str, validity: &[&str]| {
        let key = ca.replace(".crt", ".key");
        let mut a = vec![
            "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", &key, "-out", out, "-extfile", ext,
        ];
        a.extend_from_slice(validity);
        o(&a);
    };
    let days = ["-days", "3650"];
    let past = [
        "-not_before",
        "20200101000000Z",
        "-not_after",
        "20210101000000Z",
    ];
    sign("server.csr", "root.crt", "server.crt", "skid.ext", &days);
    sign("new.csr", "root.crt", "issued.crt", "skid.ext", &days);
    sign(
        "client.csr",
        "root.crt",
        "good_noskid.crt",
        "noskid.ext",
        &days,
    );
    sign("client.csr", "root.crt", "expired.crt", "skid.ext", &past);
    sign(
        "client.csr",
        "foreign.crt",
        "foreign_leaf.crt",
        "skid.ext",
        &days,
    );
    o(&[
        "genpkey",
        "-genparam",
        "-algorithm",
        "DSA",
        "-pkeyopt",
        "dsa_paramgen_bits:2048",
        "-out",
        "dsa.param",
    ]);
    o(&["genpkey", "-paramfile", "dsa.param", "-out", "dsa.key"]);
    // No crlnumber and no CRL extensions: `openssl ca` writes a v1 CRL.
    std::fs::write(m.join("index.txt"), "").expect("write");
    std::fs::write(
        m.join("ca.cnf"),
        "[ca]\ndefault_ca = c\n[c]\ndatabase = index.txt\ndefault_md = sha256\ndefault_crl_days = 30\n",
    )
    .expect("write");
    o(&[
        "ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "root.key", "-cert", "root.crt", "-out",
        "v1.crl",
    ]);
    std::fs::write(
        m.join("server.cnf"),
        "[cmp]\nsrv_cert = server.crt\nsrv_key = server.key\nsrv_secret = pass:test\n\
         srv_trusted = root.crt\nrsp_cert = issued.crt\nrsp_crl = v1.crl\n",
    )
    .expect("write");
    dir.to_path_buf()
}

fn temp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("rcmp-mockcmp-")
        .tempdir()
        .expect("tempdir")
}

const PBM: [&str; 6] = [
    "-secret",
    "pass:test",
    "-ref",
    "1",
    "-recipient",
    "/CN=server",
];

/// PBM-protected client arguments followed by `more` (split at blanks).
fn pbm(more: &'static str) -> Vec<&'static str> {
    PBM.iter().copied().chain(more.split_whitespace()).collect()
}

/// Signature-protected ir with client.key and the given certificate.
fn signed_ir(cert: &str) -> Vec<&str> {
    vec![
        "-cmd",
        "ir",
        "-cert",
        cert,
        "-key",
        "client.key",
        "-trusted",
        "root.crt",
        "-newkey",
        "new.key",
        "-subject",
        "/CN=new",
        "-certout",
        "{out}/cert.pem",
    ]
}

#[test]
fn genm_root_ca_cert_answers_with_the_rsp_newwith_certs() {
    let p = Pair::start(Release::V35, "latest", &[]);
    let args = [
        "-cmd",
        "genm",
        "-infotype",
        "rootCaCert",
        "-secret",
        "pass:test",
        "-ref",
        "1",
        "-recipient",
        "/CN=Root CA",
        "-oldwithold",
        "oldWithOld.pem",
        "-newwithnew",
        "{out}/nwn.pem",
        "-newwithold",
        "{out}/nwo.pem",
        "-oldwithnew",
        "{out}/own.pem",
    ];
    let s = p.same(&args, &["nwn.pem", "nwo.pem", "own.pem"]);
    assert!(
        s.ok && s.files.iter().all(|(_, f)| f.is_some()),
        "{}",
        s.text
    );
}

#[test]
fn genm_ca_certs_is_answered_by_default_and_echoed_under_compat_30() {
    let args = [
        "-cmd",
        "genm",
        "-infotype",
        "caCerts",
        "-secret",
        "pass:test",
        "-ref",
        "1",
        "-recipient",
        "/CN=Root CA",
        "-cacertsout",
        "{out}/ca.pem",
    ];
    let s = Pair::start(Release::V35, "30", &[]).same(&args, &["ca.pem"]);
    assert!(s.ok && s.files[0].1.is_some(), "{}", s.text);
    // OpenSSL 3.0's mock echoes the ITAV; its client then has no caCerts to save.
    let args30: Vec<&str> = args[..args.len() - 2].to_vec();
    Pair::start(Release::V30, "30", &[]).same(&args30, &[]);
}

#[test]
fn signer_certificates_are_checked_on_every_request() {
    let t = temp();
    let corpus = make_corpus(t.path());
    let p = Pair::start(Release::V35, corpus.to_str().expect("utf-8"), &[]);
    // A valid certificate without subject key identifier is accepted and becomes the cached signer...
    let s = p.same(&signed_ir("good_noskid.crt"), &["cert.pem"]);
    assert!(s.ok, "{}", s.text);
    // ... which does not make certificates with the same subject and key acceptable: an expired one
    // (refused with the X509 error), one from a foreign root (no suitable sender cert).
    let s = p.same(&signed_ir("expired.crt"), &["cert.pem"]);
    assert!(!s.ok && s.says("certificate has expired"), "{}", s.text);
    let s = p.same(&signed_ir("foreign_leaf.crt"), &["cert.pem"]);
    assert!(!s.ok && s.says("no suitable sender cert"), "{}", s.text);
    // A wrong PBM secret names its own reason.
    let mut args = pbm("-cmd genm -unprotected_errors");
    args[1] = "pass:wrong";
    let s = p.same(&args, &[]);
    assert!(s.says("wrong pbm value"), "{}", s.text);
}

#[test]
fn popo_is_checked_as_openssl_checks_it() {
    let t = temp();
    let corpus = make_corpus(t.path());
    let p = Pair::start(Release::V35, corpus.to_str().expect("utf-8"), &[]);
    let args = pbm("-cmd ir -newkey new.key -certout {out}/cert.pem");
    // No subject: the signature POPO cannot cover one.
    let s = p.same(&args, &["cert.pem"]);
    assert!(s.says("popo missing subject"), "{}", s.text);
    // A DSA key's POPO verifies (the client then refuses the fixed -rsp_cert, which is not for its key).
    let dsa = pbm("-cmd ir -newkey dsa.key -subject /CN=dsa -certout {out}/c.pem");
    let s = p.same(&dsa, &[]);
    assert!(s.lines.iter().all(|l| !l.contains("badPOP")), "{}", s.text);
    assert!(s.says("does not match our enrollment key"), "{}", s.text);
}

#[test]
fn popo_less_ir_is_an_error_in_35_and_a_bad_pop_rejection_in_30() {
    let t = temp();
    let corpus = make_corpus(t.path());
    let corpus = corpus.to_str().expect("utf-8");
    // OpenSSL 3.0's client can send an ir for a given key without POPO (3.5's would ask for central
    // key generation instead).
    let mut args = pbm("-cmd ir -newkey new.key -subject /CN=x -popo -1 -certout {out}/c.pem");
    args.push("-unprotected_errors");
    let p35 = Pair::start(Release::V35, corpus, &[]);
    let mut c = openssl();
    c.arg("cmp");
    let theirs = seen(c, &p35.theirs, "openssl", &args, &[]);
    let mut c = openssl();
    c.arg("cmp");
    let ours = seen(c, &p35.ours, "rcmp", &args, &[]);
    assert_eq!(
        theirs.summary(),
        ours.summary(),
        "{}\n{}",
        theirs.text,
        ours.text
    );
    assert!(
        ours.says("popo inconsistent central keygen"),
        "{}",
        ours.text
    );
    let s = Pair::start(Release::V30, corpus, &[]).same(&args, &[]);
    assert!(s.says("badPOP"), "{}", s.text);
}

#[test]
fn v1_crls_are_served_and_compared() {
    let t = temp();
    let corpus = make_corpus(t.path());
    let p = Pair::start(Release::V35, corpus.to_str().expect("utf-8"), &[]);
    let mut args = pbm("-cmd genm -infotype crlStatusList -crlcert issued.crt");
    let mut fresh = args.clone();
    fresh.extend(["-crlout", "{out}/crl.pem"]);
    let s = p.same(&fresh, &["crl.pem"]);
    assert!(s.ok && s.files[0].1.is_some(), "{}", s.text);
    // The same v1 CRL as -oldcrl: no update.
    args.extend(["-oldcrl", "v1.crl", "-crlout", "{out}/crl2.pem"]);
    let s = p.same(&args, &["crl2.pem"]);
    assert!(s.ok && s.says("received GENP"), "{}", s.text);
    // rcmp's client takes the v1 CRL as -oldcrl too, and OpenSSL's mock finds it current.
    let ours = seen(rcmp(), &p.theirs, "rcmp-client", &args, &["crl2.pem"]);
    let theirs = seen(
        p.client(),
        &p.theirs,
        "openssl-client",
        &args,
        &["crl2.pem"],
    );
    assert!(ours.ok && ours.files[0].1.is_none(), "{}", ours.text);
    assert!(
        ours.text.contains("no CRL update available"),
        "{}",
        ours.text
    );
    assert_eq!(theirs.ok, ours.ok, "{}\n{}", theirs.text, ours.text);
}

/// The mock's own log as a script watching it would compare it: OpenSSL's `func:file:line:` prefix
/// and the port left out, up to the last answer sent (what follows it races with the client's end).
fn mock_log(srv: &MockServer) -> Vec<String> {
    let port = srv.port().to_string();
    let mut lines: Vec<String> = srv
        .logs()
        .lines()
        .filter(|l| !l.starts_with("ACCEPT ") && !l.starts_with("--- server"))
        .map(|l| strip_location(l).replace(&port, "PORT"))
        .collect();
    let end = lines
        .iter()
        .rposition(|l| l.contains("sending response") || l.starts_with("CMP DEBUG: sending "))
        .map_or(0, |i| i + 1);
    lines.truncate(end);
    lines
}

#[test]
fn mock_log_lines_match_openssl() {
    for (release, corpus) in [(Release::V35, "latest"), (Release::V30, "30")] {
        let p = Pair::start(release, corpus, &[]);
        let base = ["-config", "test.cnf", "-section", "Mock"];
        for extra in [
            &["-cmd", "ir", "-certout", "{out}/c.pem"][..],
            &["-cmd", "genm"][..],
            &["-cmd", "rr", "-oldcert", "trusted.crt"][..],
        ] {
            let args: Vec<&str> = base.iter().chain(extra).copied().collect();
            p.same(&args, &["c.pem"]);
        }
        assert_eq!(
            mock_log(&p.theirs),
            mock_log(&p.ours),
            "the mocks' logs differ\n--- OpenSSL ---\n{}\n--- rcmp ---\n{}",
            p.theirs.logs(),
            p.ours.logs()
        );
    }
}

/// docs/DEVIATIONS.md D15: rcmp's mock keeps every transaction apart, so a certConf for a
/// transaction it never saw is `unexpected pkibody`, also while another client's transaction waits for
/// its certConf (OpenSSL 3.5's single-transaction mock then answers `error unexpected certconf`).
#[test]
fn certconf_of_an_unknown_transaction_is_an_unexpected_pkibody() {
    let srv = MockServer::start_rcmp("latest", &[]);
    let out = srv.out_dir();
    let o = out.to_str().expect("utf-8 path");
    let base = |extra: &[&str]| {
        let mut c = openssl35();
        c.current_dir(srv.dir())
            .args(["cmp", "-config", "test.cnf", "-section", "Mock commands"])
            .args([
                "-server",
                &srv.server_arg(),
                "-certout",
                &format!("{o}/c.pem"),
            ])
            .args(extra);
        c
    };
    run_ok(&mut base(&[
        "-cmd",
        "ir",
        "-rspout",
        &format!("{o}/ip.der {o}/conf.der"),
    ]));
    let mut c = base(&[
        "-cmd",
        "ir",
        "-rspin",
        &format!("{o}/ip.der"),
        "-secret",
        "pass:test",
    ]);
    let r = run_fail(&mut c);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("StatusString: \"unexpected pkibody\""),
        "{}",
        describe(&c, &r)
    );
}
