//! Interop: rcmp's client against the real `openssl cmp` mock server (OpenSSL's own test PKI from the
//! `30` conformance data). Each test starts its own server on 127.0.0.1 port 0 and kills it by PID.

use crate::testutil as common;
use common::MockServer;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::client::{self, Cmd, Ctx, Transfer};
use crate::creds::{self, Cert, KeyOrPub};
use crate::verify::{TrustStore, VerifyParams};
use crate::Result;
use zeroize::Zeroizing;

/// OpenSSL's mock server on OpenSSL's CMP test PKI (corpus 30), started by the harness.
fn start_server(extra: &[&str]) -> MockServer {
    // To compare log lines with OpenSSL's by eye: RCMP_TEST_VERBOSITY=7 cargo test ... -- --test-threads=1
    if let Some(v) = std::env::var("RCMP_TEST_VERBOSITY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        crate::log::set_verbosity(v);
    }
    MockServer::start_openssl("30", extra)
}

/// Minimal HTTP/1.0 transfer, enough for the mock server.
struct Http {
    port: u16,
    sent: Vec<Vec<u8>>,
}

impl Transfer for Http {
    fn exchange(
        &mut self,
        req: &[u8],
        _keep_alive: bool,
        _deadline: Option<Instant>,
    ) -> Result<Vec<u8>> {
        self.sent.push(req.to_vec());
        let mut s = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| crate::Error::cmp(e.to_string()))?;
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let head = format!(
            "POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nPragma: no-cache\r\nContent-Type: application/pkixcmp\r\nContent-Length: {}\r\n\r\n",
            req.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(req).unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).unwrap();
        let pos = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("no HTTP header end");
        let status = String::from_utf8_lossy(&buf[..pos]).to_string();
        assert!(
            status.starts_with("HTTP/1.") && status.contains(" 200"),
            "HTTP status: {status}"
        );
        Ok(buf[pos + 4..].to_vec())
    }
}

fn p(dir: &Path, f: &str) -> String {
    dir.join(f).to_string_lossy().into_owned()
}

fn cert(dir: &Path, f: &str) -> Cert {
    creds::load_cert(&p(dir, f), None, "test cert").unwrap()
}

fn pbm_ctx(dir: &Path, cmd: Cmd) -> Ctx {
    Ctx {
        cmd,
        secret: Some(Zeroizing::new(b"test".to_vec())),
        subject: Some(creds::parse_dn("/CN=leaf", "subject").unwrap()),
        newkey: Some(KeyOrPub::Private(
            creds::load_key(&p(dir, "signer.key"), None, "key").unwrap(),
        )),
        total_timeout: Some(Duration::from_secs(30)),
        ..Ctx::default()
    }
}

fn sig_ctx(dir: &Path, cmd: Cmd) -> Ctx {
    let trusted = cert(dir, "trusted.crt");
    let pass = creds::get_passwd("pass:12345", "keypass").unwrap();
    let p12 = p(dir, "signer.p12");
    Ctx {
        cmd,
        cert: Some(cert(dir, "signer.crt")),
        key: Some(creds::load_key(&p12, Some(&pass), "key").unwrap()),
        // The PKCS#12 file holds the signer's chain up to its root.
        untrusted: creds::load_certs(&p12, Some(&pass), "chain").unwrap(),
        srvcert: None,
        trusted: Some(TrustStore::new(vec![trusted], VerifyParams::default())),
        total_timeout: Some(Duration::from_secs(30)),
        ..Ctx::default()
    }
}

fn expected_cert(dir: &Path) -> Cert {
    cert(dir, "signer_only.crt")
}

#[test]
fn ir_with_pbm() {
    let srv = start_server(&[]);
    let ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let out = client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    assert_eq!(out.new_cert.unwrap().der(), expected_cert(srv.dir()).der());
    assert_eq!(t.sent.len(), 2, "ir and certConf");
    assert_eq!(out.ca_pubs.len(), 1);
    // No -out_trusted: the approximate chain from the extraCerts received.
    let subjects: Vec<String> = out.new_chain.iter().map(|c| c.subject_oneline()).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects[0].ends_with("/CN=subinterCA") && subjects[1].ends_with("/CN=interCA"),
        "{subjects:?}"
    );
    assert_eq!(
        out.ca_pubs[0].der(),
        cert(srv.dir(), "signer_root.crt").der()
    );
}

#[test]
fn ir_with_pbm_through_the_transfer_areas_http_client() {
    let srv = start_server(&[]);
    let mut ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    ctx.out_trusted = Some(TrustStore::new(
        vec![cert(srv.dir(), "signer_root.crt")],
        VerifyParams::default(),
    ));
    let url = crate::transfer::parse_server(&format!("127.0.0.1:{}", srv.port())).unwrap();
    let mut http =
        crate::transfer::HttpClient::new(url, crate::transfer::HttpOptions::default()).unwrap();
    let out = client::run(&ctx, &mut http).unwrap_or_else(|f| panic!("{}", f.error));
    assert_eq!(out.new_cert.unwrap().der(), expected_cert(srv.dir()).der());
    assert_eq!(
        out.new_chain.len(),
        2,
        "validated chain without the trust anchor"
    );
}

#[test]
fn cr_with_signature() {
    let srv = start_server(&[]);
    let ctx = sig_ctx(srv.dir(), Cmd::Cr);
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let out = client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    assert_eq!(out.new_cert.unwrap().der(), expected_cert(srv.dir()).der());
    assert_eq!(
        out.srv_cert.unwrap().der(),
        cert(srv.dir(), "server.crt").der()
    );
}

#[test]
fn kur_with_signature_and_pinned_srvcert() {
    let srv = start_server(&[]);
    let mut ctx = sig_ctx(srv.dir(), Cmd::Kur);
    ctx.srvcert = Some(cert(srv.dir(), "server.crt"));
    ctx.trusted = None;
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let out = client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    assert_eq!(out.new_cert.unwrap().der(), expected_cert(srv.dir()).der());
}

#[test]
fn p10cr_with_csr() {
    let srv = start_server(&[]);
    let dir = srv.dir();
    let mut ctx = pbm_ctx(dir, Cmd::P10cr);
    ctx.newkey = None;
    ctx.subject = None;
    ctx.csr = Some(creds::load_csr(&p(dir, "csr.pem"), "csr").unwrap());
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    // The mock returns signer_only.crt whatever the CSR asks for; OpenSSL 3.0 and 3.5 accept it.
    let out = client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    assert_eq!(out.new_cert.unwrap().der(), expected_cert(dir).der());
    assert_eq!(t.sent.len(), 2, "p10cr and certConf");
    let cc = crate::client::wire::Received::decode(&t.sent[1], "test").unwrap();
    let crate::client::wire::PkiBody::CertConf(cs) = &cc.msg.body else {
        panic!("not a certConf")
    };
    assert_eq!(
        cs[0].cert_req_id, -1,
        "certReqId learnt from the cp, which OpenSSL's mock sets to -1"
    );
}

#[test]
fn out_trusted_rejection_sends_negative_certconf() {
    let srv = start_server(&[]);
    let mut ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    // The enrolled cert chains to signer_root.crt, not to the server's root in trusted.crt.
    ctx.out_trusted = Some(TrustStore::new(
        vec![cert(srv.dir(), "trusted.crt")],
        VerifyParams::default(),
    ));
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let f = client::run(&ctx, &mut t).unwrap_err();
    assert_eq!(
        f.error.to_string(),
        "certificate not accepted:rejecting newly enrolled cert with subject: /C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf; CMP client did not accept it"
    );
    let cc = crate::client::wire::Received::decode(&t.sent[1], "test").unwrap();
    let crate::client::wire::PkiBody::CertConf(cs) = &cc.msg.body else {
        panic!("not a certConf")
    };
    let si = cs[0].status_info.as_ref().unwrap();
    assert_eq!(si.status, crate::client::wire::PkiStatus::REJECTION);
    assert_eq!(si.fail_bits(), 1 << 7, "incorrectData");
    assert_eq!(
        si.status_string.as_deref(),
        Some(&["CMP client did not accept it".to_string()][..])
    );
}

#[test]
fn rr_and_genm() {
    let srv = start_server(&[]);
    let dir = srv.dir();
    let mut ctx = sig_ctx(dir, Cmd::Rr);
    ctx.oldcert = Some(cert(dir, "signer_only.crt"));
    ctx.revreason = 1;
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    let ctx = pbm_ctx(dir, Cmd::Genm);
    let out = client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    assert!(out.genp_itavs.is_empty());
}

#[test]
fn implicit_confirm_granted() {
    let srv = start_server(&["-grant_implicitconf"]);
    let mut ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    ctx.implicit_confirm = true;
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let out = client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    assert!(out.new_cert.is_some());
    assert_eq!(
        t.sent.len(),
        1,
        "no certConf when implicit confirmation is granted"
    );
}

#[test]
fn polling() {
    let srv = start_server(&["-poll_count", "2", "-check_after", "1"]);
    let ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let out = client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    assert_eq!(out.new_cert.unwrap().der(), expected_cert(srv.dir()).der());
    assert_eq!(t.sent.len(), 4, "ir, two pollReqs, certConf");
}

#[test]
fn rejection_text() {
    let srv = start_server(&["-pkistatus", "2", "-failure", "20", "-statusstring", "xyz"]);
    let ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let f = client::run(&ctx, &mut t).unwrap_err();
    // What OpenSSL logs on meeting the status comes first, then the failure itself.
    assert_eq!(
        f.error.lines(),
        [
            "received \"rejection\" status rather than cert",
            "request rejected by server:PKIStatus: rejection; PKIFailureInfo: signerNotTrusted; StatusString: \"xyz\"; cannot extract certificate from response"
        ]
    );
    assert_eq!(f.error.kind(), crate::error::Kind::Protocol);
}

#[test]
fn send_error() {
    let srv = start_server(&["-send_error"]);
    let ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let f = client::run(&ctx, &mut t).unwrap_err();
    assert!(
        f.error
            .to_string()
            .starts_with("received error:PKIStatus: rejection"),
        "{}",
        f.error
    );
}

#[test]
fn wrong_secret_fails_validation() {
    let srv = start_server(&[]);
    let mut ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    ctx.secret = Some(Zeroizing::new(b"wrong".to_vec()));
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    // The server rejects our MAC with an error message that is itself protected with its secret.
    assert!(client::run(&ctx, &mut t).is_err());
}

/// A transfer for runs that must be served entirely from `-rspin` files.
struct NoServer;

impl Transfer for NoServer {
    fn exchange(&mut self, _req: &[u8], _k: bool, _d: Option<Instant>) -> Result<Vec<u8>> {
        Err(crate::Error::cmp("no server in this test"))
    }
}

#[test]
fn reqout_rspout_then_rspin_and_reqin_new_tid() {
    let srv = start_server(&[]);
    let dir = srv.dir();
    let f = |n: &str| dir.join(n);
    let mut ctx = pbm_ctx(dir, Cmd::Ir);
    ctx.files.reqout = vec![f("q0.der"), f("q1.der")];
    ctx.files.rspout = vec![f("s0.der"), f("s1.der")];
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let out = client::run(&ctx, &mut t).unwrap_or_else(|e| panic!("{}", e.error));
    assert_eq!(std::fs::read(f("q0.der")).unwrap(), t.sent[0]);
    assert_eq!(std::fs::read(f("q1.der")).unwrap(), t.sent[1]);

    // Offline: the same responses again, without any server.
    let mut ctx2 = pbm_ctx(dir, Cmd::Ir);
    ctx2.files.rspin = vec![f("s0.der"), f("s1.der")];
    let out2 = client::run(&ctx2, &mut NoServer).unwrap_or_else(|e| panic!("{}", e.error));
    assert_eq!(out2.new_cert.unwrap().der(), out.new_cert.unwrap().der());

    // Too few -rspin files: the rest goes to the server, which is absent here.
    let mut ctx3 = pbm_ctx(dir, Cmd::Ir);
    ctx3.files.rspin = vec![f("s0.der")];
    assert!(client::run(&ctx3, &mut NoServer).is_err());

    // The saved ir sent again with a fresh transactionID; the server accepts it as a new transaction.
    let mut ctx4 = pbm_ctx(dir, Cmd::Ir);
    ctx4.files.reqin = vec![f("q0.der")];
    ctx4.files.reqin_new_tid = true;
    let mut t4 = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let out4 = client::run(&ctx4, &mut t4).unwrap_or_else(|e| panic!("{}", e.error));
    assert!(out4.new_cert.is_some());
    assert_ne!(
        t4.sent[0], t.sent[0],
        "re-protected with a new transactionID"
    );
    assert_eq!(t4.sent.len(), 2);
}

#[test]
fn reqout_only_writes_the_first_request_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mock = &common::corpus_mock_dir("30");
    let mut ctx = pbm_ctx(mock, Cmd::Ir);
    ctx.files.reqout_only = Some(dir.path().join("ir.der"));
    client::run(&ctx, &mut NoServer).unwrap_or_else(|f| panic!("{}", f.error));
    let r = crate::client::wire::Received::decode(
        &std::fs::read(dir.path().join("ir.der")).unwrap(),
        "test",
    )
    .unwrap();
    assert_eq!(
        crate::client::wire::BodyType::of(&r.msg.body),
        crate::client::wire::BodyType::Ir
    );
}

#[test]
fn unprotected_errors_accepted_only_when_asked() {
    let srv = start_server(&["-send_unprot_err", "-send_error"]);
    let mut ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let f = client::run(&ctx, &mut t).unwrap_err();
    assert_eq!(f.error.to_string(), "missing protection");
    // The refusal says what to try.
    match &f.error {
        crate::Error::Cmp { hint: Some(h), .. } => {
            assert!(
                h.contains("error response") && h.contains("-unprotected_errors"),
                "{h}"
            )
        }
        other => panic!("no hint in {other:?}"),
    }
    ctx.unprotected_errors = true;
    let f = client::run(&ctx, &mut t).unwrap_err();
    assert!(
        f.error
            .to_string()
            .starts_with("received error:PKIStatus: rejection"),
        "{}",
        f.error
    );
}

#[test]
fn total_timeout_ends_polling() {
    let srv = start_server(&["-poll_count", "3", "-check_after", "5"]);
    let mut ctx = pbm_ctx(srv.dir(), Cmd::Ir);
    ctx.total_timeout = Some(Duration::from_secs(3));
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    let f = client::run(&ctx, &mut t).unwrap_err();
    // The failure of the polling step comes before the polling failure.
    assert_eq!(f.error.lines(), ["total timeout", "polling failed"]);
}

#[test]
fn expect_sender_is_checked() {
    let srv = start_server(&[]);
    let mut ctx = pbm_ctx(srv.dir(), Cmd::Genm);
    ctx.expect_sender = Some(creds::parse_dn("/CN=server.example", "expect_sender").unwrap());
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    ctx.expect_sender = Some(creds::parse_dn("/CN=someone else", "expect_sender").unwrap());
    let f = client::run(&ctx, &mut t).unwrap_err();
    assert_eq!(f.error.to_string(), "unexpected sender:/CN=server.example");
}

/// Answers every request with a response recorded from another transaction.
struct Replay(Vec<u8>);

impl Transfer for Replay {
    fn exchange(&mut self, _req: &[u8], _k: bool, _d: Option<Instant>) -> Result<Vec<u8>> {
        Ok(self.0.clone())
    }
}

#[test]
fn response_of_another_transaction_is_refused() {
    let srv = start_server(&[]);
    let dir = srv.dir();
    let mut ctx = pbm_ctx(dir, Cmd::Genm);
    ctx.files.rspout = vec![dir.join("genp.der")];
    let mut t = Http {
        port: srv.port(),
        sent: Vec::new(),
    };
    client::run(&ctx, &mut t).unwrap_or_else(|f| panic!("{}", f.error));
    let ctx = pbm_ctx(dir, Cmd::Genm);
    let mut replay = Replay(std::fs::read(dir.join("genp.der")).unwrap());
    let e = client::run(&ctx, &mut replay)
        .unwrap_err()
        .error
        .to_string();
    assert!(e.starts_with("transactionID unmatched:expected = "), "{e}");
}
