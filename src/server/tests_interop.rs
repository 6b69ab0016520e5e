//! Interop of the mock server with the real `openssl cmp` client.
//!
//! The server runs in-process behind a minimal HTTP/1.0 responder on 127.0.0.1 port 0, configured like
//! the conformance corpus's `server.cnf`; the real OpenSSL client enrolls against it with the corpus's
//! `test.cnf`. These tests need `openssl` on PATH and fail loudly without it.

use crate::testutil as common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compat::Compat;
use crate::server::{Server, SrvConfig};
use crate::transfer;
use zeroize::Zeroizing;

fn pem_blocks(path: &Path) -> Vec<Vec<u8>> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("-----BEGIN ") {
        let tail = &rest[start..];
        let end_marker = tail.find("-----END ").expect("PEM END line");
        let end = end_marker
            + tail[end_marker..]
                .find('\n')
                .map_or(tail.len() - end_marker, |n| n + 1);
        let block = &tail[..end];
        let (_, der) = der::pem::decode_vec(block.as_bytes()).expect("valid PEM");
        out.push(der);
        rest = &tail[end..];
    }
    out
}

fn cert(dir: &Path, name: &str) -> Vec<u8> {
    pem_blocks(&dir.join(name)).remove(0)
}

fn certs(dir: &Path, name: &str) -> Vec<Vec<u8>> {
    pem_blocks(&dir.join(name))
}

/// The configuration `server.cnf` of the corpus describes.
fn mock_config(dir: &Path) -> SrvConfig {
    SrvConfig {
        compat: Compat::V3_0,
        srv_cert: Some(cert(dir, "server.crt")),
        srv_key: Some(Zeroizing::new(
            pem_blocks(&dir.join("server.key")).remove(0),
        )),
        srv_secret: Some(Zeroizing::new(b"test".to_vec())),
        no_check_time: true,
        srv_trusted: certs(dir, "signer_root.crt"),
        rsp_cert: Some(cert(dir, "signer_only.crt")),
        rsp_capubs: certs(dir, "signer_root.crt"),
        rsp_extracerts: certs(dir, "signer_issuing.crt"),
        ..SrvConfig::default()
    }
}

/// Serve `server` with the project's HTTP listener on 127.0.0.1, an ephemeral port; returns the port.
/// The listener thread ends with the test process.
fn serve(server: Server) -> u16 {
    let cfg = transfer::ServerConfig {
        bind_addr: Some("127.0.0.1".parse().expect("ip")),
        ..transfer::ServerConfig::default()
    };
    let listener = transfer::bind(cfg).expect("bind");
    let port = listener.port();
    let server = Arc::new(server);
    let handler: transfer::Handler = Arc::new(move |req: &[u8]| {
        server.answer(req).map(|a| transfer::Reply {
            body: a.der,
            close: a.transaction_ended,
        })
    });
    std::thread::spawn(move || listener.serve(handler));
    port
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        for e in
            std::fs::read_dir(common::corpus_mock_dir("30")).expect("conformance corpus present")
        {
            let e = e.expect("entry");
            std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
        }
        Env { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Run `openssl cmp` with the corpus's client config against `port`; returns (success, output).
    fn client(&self, port: u16, args: &[&str]) -> (bool, String) {
        let server = format!("127.0.0.1:{port}");
        let mut cmd = common::openssl();
        cmd.current_dir(self.dir.path()).args([
            "cmp",
            "-config",
            "test.cnf",
            "-section",
            "Mock enrollment",
            "-server",
            &server,
            "-path",
            "pkix/",
        ]);
        cmd.args(args);
        let out = cmd
            .output()
            .expect("the real `openssl` binary must be on PATH for interop tests");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

fn enrolled(env: &Env, name: &str) -> Vec<u8> {
    cert(env.dir.path(), name)
}

#[test]
fn ir_signature_protected() {
    let env = Env::new();
    let port = serve(Server::new(mock_config(env.dir.path())).expect("server"));
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "ir",
            "-newkey",
            "new.key",
            "-newkeypass",
            "pass:",
            "-certout",
            "out.crt",
            "-out_trusted",
            "root.crt",
        ],
    );
    assert!(ok, "client failed:\n{out}");
    assert_eq!(
        enrolled(&env, "out.crt"),
        cert(env.dir.path(), "signer_only.crt")
    );
}

#[test]
fn ir_pbm_protected() {
    let env = Env::new();
    let port = serve(Server::new(mock_config(env.dir.path())).expect("server"));
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "ir",
            "-secret",
            "pass:test",
            "-ref",
            "1234",
            "-cert",
            "",
            "-key",
            "",
            "-newkey",
            "new.key",
            "-newkeypass",
            "pass:",
            "-certout",
            "out.crt",
            "-out_trusted",
            "root.crt",
        ],
    );
    assert!(ok, "client failed:\n{out}");
    assert_eq!(
        enrolled(&env, "out.crt"),
        cert(env.dir.path(), "signer_only.crt")
    );
}

#[test]
fn ir_wrong_pbm_secret_rejected() {
    let env = Env::new();
    let port = serve(Server::new(mock_config(env.dir.path())).expect("server"));
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "ir",
            "-secret",
            "pass:wrong",
            "-ref",
            "1234",
            "-cert",
            "",
            "-key",
            "",
            "-newkey",
            "new.key",
            "-newkeypass",
            "pass:",
            "-certout",
            "out.crt",
        ],
    );
    assert!(!ok, "client should fail:\n{out}");
    assert!(!env.path("out.crt").exists());
}

fn ir_args<'a>(certout: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "-cmd",
        "ir",
        "-newkey",
        "new.key",
        "-newkeypass",
        "pass:",
        "-certout",
        certout,
        "-out_trusted",
        "root.crt",
    ];
    v.extend_from_slice(extra);
    v
}

fn start(env: &Env, tweak: impl FnOnce(&mut SrvConfig)) -> u16 {
    let mut cfg = mock_config(env.dir.path());
    tweak(&mut cfg);
    serve(Server::new(cfg).expect("server"))
}

#[test]
fn cr_and_p10cr() {
    let env = Env::new();
    let port = start(&env, |_| {});
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "cr",
            "-newkey",
            "new.key",
            "-newkeypass",
            "pass:",
            "-certout",
            "cr.crt",
        ],
    );
    assert!(ok, "cr failed:\n{out}");
    assert_eq!(
        enrolled(&env, "cr.crt"),
        cert(env.dir.path(), "signer_only.crt")
    );
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "p10cr",
            "-csr",
            "csr.pem",
            "-certout",
            "p10.crt",
            "-out_trusted",
            "root.crt",
        ],
    );
    assert!(ok, "p10cr failed:\n{out}");
    assert_eq!(
        enrolled(&env, "p10.crt"),
        cert(env.dir.path(), "signer_only.crt")
    );
}

#[test]
fn p10cr_with_bad_csr_signature_rejected() {
    let env = Env::new();
    let port = start(&env, |_| {});
    // Corrupt the CSR's signature: flip a byte near the end of the DER.
    let mut der = pem_blocks(&env.path("csr.pem")).remove(0);
    let n = der.len();
    der[n - 5] ^= 0x55;
    std::fs::write(env.path("bad_csr.der"), &der).expect("write");
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "p10cr",
            "-csr",
            "bad_csr.der",
            "-certout",
            "p10.crt",
        ],
    );
    assert!(!ok, "p10cr with a bad CSR should fail:\n{out}");
    assert!(!env.path("p10.crt").exists());
}

#[test]
fn kur_checks_old_cert_against_rsp_cert_in_3_0() {
    let env = Env::new();
    let port = start(&env, |_| {});
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "kur",
            "-newkey",
            "new.key",
            "-newkeypass",
            "pass:",
            "-certout",
            "kur.crt",
            "-oldcert",
            "signer.crt",
        ],
    );
    assert!(ok, "kur failed:\n{out}");
    assert_eq!(
        enrolled(&env, "kur.crt"),
        cert(env.dir.path(), "signer_only.crt")
    );
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "kur",
            "-newkey",
            "new.key",
            "-newkeypass",
            "pass:",
            "-certout",
            "kur2.crt",
            "-oldcert",
            "root.crt",
        ],
    );
    assert!(!ok, "kur with a wrong oldcert should fail:\n{out}");
}

#[test]
fn kur_and_rr_accept_anything_in_3_5_without_ref_cert() {
    let env = Env::new();
    let port = start(&env, |c| c.compat = Compat::V3_5);
    let (ok, out) = env.client(
        port,
        &[
            "-cmd",
            "kur",
            "-newkey",
            "new.key",
            "-newkeypass",
            "pass:",
            "-certout",
            "kur.crt",
            "-oldcert",
            "root.crt",
        ],
    );
    assert!(ok, "3.5 kur without ref_cert should succeed:\n{out}");
    let (ok, out) = env.client(
        port,
        &["-cmd", "rr", "-oldcert", "trusted.crt", "-revreason", "0"],
    );
    assert!(ok, "3.5 rr without ref_cert should succeed:\n{out}");
}

#[test]
fn rr_checks_cert_against_rsp_cert_in_3_0() {
    let env = Env::new();
    let port = start(&env, |_| {});
    let (ok, out) = env.client(
        port,
        &["-cmd", "rr", "-oldcert", "signer.crt", "-revreason", "1"],
    );
    assert!(ok, "rr failed:\n{out}");
    assert!(
        out.contains("revocation accepted") || out.contains("RP"),
        "{out}"
    );
    let (ok, out) = env.client(
        port,
        &["-cmd", "rr", "-oldcert", "trusted.crt", "-revreason", "0"],
    );
    assert!(!ok, "rr of a foreign cert should fail:\n{out}");
}

#[test]
fn genm_is_echoed() {
    let env = Env::new();
    let port = start(&env, |_| {});
    let (ok, out) = env.client(port, &["-cmd", "genm", "-infotype", "signKeyPairTypes"]);
    assert!(ok, "genm failed:\n{out}");
    assert!(out.contains("GENP"), "{out}");
}

#[test]
fn implicit_confirm_granted() {
    let env = Env::new();
    let port = start(&env, |c| c.grant_implicitconf = true);
    let (ok, out) = env.client(
        port,
        &ir_args("imp.crt", &["-implicit_confirm", "-verbosity", "7"]),
    );
    assert!(ok, "ir with implicit confirm failed:\n{out}");
    assert!(
        !out.contains("sending CERTCONF"),
        "no certConf expected when granted:\n{out}"
    );
    assert_eq!(
        enrolled(&env, "imp.crt"),
        cert(env.dir.path(), "signer_only.crt")
    );
}

#[test]
fn implicit_confirm_not_granted_means_certconf() {
    let env = Env::new();
    let port = start(&env, |_| {});
    let (ok, out) = env.client(
        port,
        &ir_args("imp.crt", &["-implicit_confirm", "-verbosity", "7"]),
    );
    assert!(ok, "ir failed:\n{out}");
    assert!(
        out.contains("sending CERTCONF"),
        "certConf expected when not granted:\n{out}"
    );
}

#[test]
fn polling() {
    let env = Env::new();
    let port = start(&env, |c| {
        c.poll_count = 2;
        c.check_after = 1;
    });
    let (ok, out) = env.client(port, &ir_args("poll.crt", &["-verbosity", "7"]));
    assert!(ok, "ir with polling failed:\n{out}");
    assert!(out.contains("POLLREP"), "expected polling:\n{out}");
    assert_eq!(
        enrolled(&env, "poll.crt"),
        cert(env.dir.path(), "signer_only.crt")
    );
}

/// A client giving up while it should poll tells the server with an error message; OpenSSL's mock
/// (3.0 and 3.5 alike) confirms that with pkiconf rather than insisting on a pollReq.
#[test]
fn abort_while_polling_is_confirmed() {
    use crate::api::{CertRequest, Client, KeyAlgorithm, PrivateKey, Progress, RequestKind};
    for compat in [Compat::V3_0, Compat::V3_5] {
        let env = Env::new();
        let port = start(&env, |c| {
            c.compat = compat;
            c.poll_count = 3;
            c.check_after = 5;
        });
        let mut client = Client::builder()
            .server(format!("127.0.0.1:{port}"))
            .pbm(b"ref", b"test")
            .build()
            .expect("client");
        let key = PrivateKey::generate(KeyAlgorithm::EcP256).expect("key");
        let req = CertRequest::new().subject("/CN=abort").key(key);
        let mut txn = client.start_certreq(RequestKind::Ir, &req).expect("start");
        assert!(matches!(txn.step().expect("ir"), Progress::Pending(_)));
        let r = txn.abort();
        assert!(r.is_ok(), "{compat:?}: abort not confirmed: {r:?}");
    }
}

#[test]
fn polling_3_5_delays_certconf_too() {
    let env = Env::new();
    let port = start(&env, |c| {
        c.compat = Compat::V3_5;
        c.poll_count = 1;
        c.check_after = 0;
    });
    let out = common::openssl35()
        .current_dir(env.dir.path())
        .args(["cmp", "-config", "test.cnf", "-section", "Mock enrollment"])
        .args(["-server", &format!("127.0.0.1:{port}"), "-path", "pkix/"])
        .args(ir_args("poll.crt", &["-verbosity", "7"]))
        .output()
        .expect("OpenSSL 3.5 runner must exist");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "3.5 client with polling failed:\n{text}"
    );
    assert!(
        text.matches("received POLLREP").count() + text.matches("received ERROR").count() >= 1,
        "{text}"
    );
}

#[test]
fn rejection_status_and_failure_bit() {
    let env = Env::new();
    let port = start(&env, |c| {
        c.pkistatus = 2;
        c.failure = Some(20);
        c.statusstring = Some("mock says no".into());
    });
    let (ok, out) = env.client(port, &ir_args("rej.crt", &[]));
    assert!(!ok, "rejected ir should fail:\n{out}");
    assert!(
        out.contains("mock says no"),
        "status string should be shown:\n{out}"
    );
    assert!(!env.path("rej.crt").exists());
}

#[test]
fn send_error() {
    let env = Env::new();
    let port = start(&env, |c| c.send_error = true);
    let (ok, out) = env.client(port, &ir_args("err.crt", &[]));
    assert!(!ok, "ir should fail with -send_error:\n{out}");
    assert!(out.contains("error processing message"), "{out}");
}

#[test]
fn unprotected_request_rejected_unless_accepted() {
    let env = Env::new();
    let port = start(&env, |_| {});
    let args = ir_args("u.crt", &["-unprotected_requests"]);
    let (ok, out) = env.client(port, &args);
    assert!(!ok, "unprotected ir should fail:\n{out}");
    let port = start(&env, |c| c.accept_unprotected = true);
    let (ok, out) = env.client(port, &args);
    assert!(
        ok,
        "unprotected ir should pass with -accept_unprotected:\n{out}"
    );
}

/// Make a CA whose subject is the `expect_sender` of test.cnf, so the client accepts its responses.
fn make_ca(env: &Env) {
    let ext = env.path("ca.ext");
    std::fs::write(&ext, "[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\n").expect("write");
    let st = common::openssl()
        .current_dir(env.dir.path())
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
        ])
        .args([
            "-out",
            "ca.crt",
            "-subj",
            "/CN=server.example",
            "-days",
            "30",
            "-config",
            "ca.ext",
            "-extensions",
            "v3",
        ])
        .output()
        .expect("openssl");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

#[test]
fn real_ca_issues_from_template() {
    let env = Env::new();
    make_ca(&env);
    let dir = env.dir.path().to_path_buf();
    let port = start(&env, |c| {
        c.srv_cert = Some(cert(&dir, "ca.crt"));
        c.srv_key = Some(Zeroizing::new(pem_blocks(&dir.join("ca.key")).remove(0)));
        c.rsp_cert = None;
        c.rsp_extracerts.clear();
        c.rsp_capubs = vec![cert(&dir, "ca.crt")];
    });
    let pbm = [
        "-secret",
        "pass:test",
        "-ref",
        "1234",
        "-cert",
        "",
        "-key",
        "",
    ];
    let mut args = vec![
        "-cmd",
        "ir",
        "-newkey",
        "new.key",
        "-newkeypass",
        "pass:",
        "-certout",
        "a.crt",
    ];
    args.extend_from_slice(&["-out_trusted", "ca.crt", "-reqexts", "reqexts"]);
    args.extend_from_slice(&pbm);
    let (ok, out) = env.client(port, &args);
    assert!(ok, "ir against the real CA failed:\n{out}");
    args[7] = "b.crt";
    let (ok, out) = env.client(port, &args);
    assert!(ok, "second ir failed:\n{out}");

    let verify = common::openssl()
        .current_dir(&dir)
        .args(["verify", "-CAfile", "ca.crt", "a.crt", "b.crt"])
        .output()
        .expect("openssl");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let show = |f: &str, what: &[&str]| {
        let o = common::openssl()
            .current_dir(&dir)
            .args(["x509", "-in", f, "-noout"])
            .args(what)
            .output()
            .expect("openssl");
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let text = show("a.crt", &["-text"]);
    assert!(
        text.contains("CN = leaf") || text.contains("CN=leaf"),
        "{text}"
    );
    assert!(
        text.contains("DNS:localhost") && text.contains("IP Address:127.0.0.1"),
        "{text}"
    );
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    let key_pub = common::openssl()
        .current_dir(&dir)
        .args(["pkey", "-in", "new.key", "-pubout"])
        .output()
        .expect("openssl");
    assert_eq!(
        show("a.crt", &["-pubkey"]),
        String::from_utf8_lossy(&key_pub.stdout)
    );
    assert_ne!(show("a.crt", &["-serial"]), show("b.crt", &["-serial"]));
}

#[test]
fn concurrent_clients() {
    let env = Env::new();
    let port = start(&env, |c| c.poll_count = 1);
    let env = Arc::new(env);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let env = env.clone();
            std::thread::spawn(move || {
                let name = format!("c{i}.crt");
                let args = ir_args(&name, &[]);
                env.client(port, &args)
            })
        })
        .collect();
    for h in handles {
        let (ok, out) = h.join().expect("thread");
        assert!(ok, "concurrent client failed:\n{out}");
    }
}
