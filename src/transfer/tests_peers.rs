//! Tests of CMP over HTTP(S): the client against scripted servers, proxies and a real
//! `openssl s_server`; the mock server's listener against many clients, bad clients, and the real
//! `openssl cmp` client; and our client against the real OpenSSL mock server.
//!
//! Servers bind 127.0.0.1 on port 0 (or a port found free that way, for `openssl s_server`), and
//! child processes are killed by PID when a test ends.

use crate::testutil as common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::transfer::{
    parse_server, HttpClient, HttpOptions, KeepAlive, Reply, ServerConfig, TlsConfig,
};
use common::{openssl, read_http_message, run_ok, MockServer};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A tiny DER SEQUENCE standing in for a CMP message.
const DER: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x05];

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/transfer")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", p.display()))
}

fn ok_response(body: &[u8], keep_alive: bool) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.0 200 OK\r\n{}Content-Type: application/pkixcmp\r\nContent-Length: {}\r\n\r\n",
        if keep_alive {
            "Connection: keep-alive\r\n"
        } else {
            ""
        },
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A scripted server: accepts `conns` connections in turn and runs `f` on each; returns the
/// port and a handle yielding how many connections were accepted.
fn raw_server<F>(conns: usize, f: F) -> (u16, JoinHandle<usize>)
where
    F: Fn(usize, TcpStream) + Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = thread::spawn(move || {
        let mut n = 0;
        for i in 0..conns {
            let Ok((s, _)) = l.accept() else { break };
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            n += 1;
            f(i, s);
        }
        n
    });
    (port, h)
}

fn client(server: &str, opts: HttpOptions) -> HttpClient {
    HttpClient::with_env(parse_server(server).unwrap(), opts, &NoEnv).unwrap()
}

struct NoEnv;
impl crate::transfer::url::Env for NoEnv {
    fn get(&self, _: &str) -> Option<String> {
        None
    }
}

struct FakeEnv(Vec<(&'static str, String)>);
impl crate::transfer::url::Env for FakeEnv {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

fn opts_timeout(secs: u64) -> HttpOptions {
    HttpOptions {
        msg_timeout: Some(Duration::from_secs(secs)),
        ..Default::default()
    }
}

// ------------------------------------------------------------------------------------------
// Client: request form, keep-alive, response checks, timeouts

/// Expected request heads, captured from OpenSSL 3.0.19 and 3.5.9 (`openssl cmp -config '' -cmd ir
/// -server 127.0.0.1:PORT/pkix/ ...` and `-cmd genm`) against a Python listener on 127.0.0.1 that
/// printed the received bytes: ir asks for keep-alive, genm does not.
const CAPTURED_IR_HEAD: &str = "POST /pkix/ HTTP/1.0\r\nPragma: no-cache\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\n";
const CAPTURED_GENM_HEAD: &str = "POST /pkix/ HTTP/1.0\r\nPragma: no-cache\r\nHost: 127.0.0.1\r\nContent-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\n";

#[test]
fn request_bytes_match_openssl_capture() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let (port, h) = raw_server(2, move |_, mut s| {
        let req = read_http_message(&mut s).unwrap();
        s2.lock().unwrap().push(req);
        s.write_all(&ok_response(DER, false)).unwrap();
    });
    let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(10));
    assert_eq!(c.exchange(DER, true, None).unwrap(), DER);
    assert_eq!(c.exchange(DER, false, None).unwrap(), DER);
    assert_eq!(h.join().unwrap(), 2);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0], [CAPTURED_IR_HEAD.as_bytes(), DER].concat());
    assert_eq!(seen[1], [CAPTURED_GENM_HEAD.as_bytes(), DER].concat());
}

#[test]
fn keep_alive_reuses_one_connection() {
    // One connection serving three requests, granting keep-alive to those that ask for it.
    let (port, h) = raw_server(1, |_, mut s| {
        while let Some(req) = read_http_message(&mut s) {
            let asked = find(&req, b"Connection: keep-alive").is_some();
            s.write_all(&ok_response(DER, asked)).unwrap();
            if !asked {
                break;
            }
        }
    });
    let mut c = client(&format!("127.0.0.1:{port}"), opts_timeout(10));
    c.exchange(DER, true, None).unwrap();
    assert!(c.is_connected());
    c.exchange(DER, true, None).unwrap();
    c.exchange(DER, false, None).unwrap();
    assert!(!c.is_connected());
    assert_eq!(h.join().unwrap(), 1);
}

#[test]
fn keep_alive_off_and_required() {
    // -keep_alive 0: never asks, so a new connection per message.
    let (port, h) = raw_server(2, |_, mut s| {
        let req = read_http_message(&mut s).unwrap();
        assert!(find(&req, b"Connection:").is_none());
        s.write_all(&ok_response(DER, false)).unwrap();
    });
    let opts = HttpOptions {
        keep_alive: KeepAlive::Off,
        ..opts_timeout(10)
    };
    let mut c = client(&format!("127.0.0.1:{port}"), opts);
    c.exchange(DER, true, None).unwrap();
    c.exchange(DER, true, None).unwrap();
    assert_eq!(h.join().unwrap(), 2);

    // -keep_alive 2: a server that does not grant it is an error.
    let (port, h) = raw_server(1, |_, mut s| {
        read_http_message(&mut s).unwrap();
        s.write_all(&ok_response(DER, false)).unwrap();
    });
    let opts = HttpOptions {
        keep_alive: KeepAlive::Require,
        ..opts_timeout(10)
    };
    let e = client(&format!("127.0.0.1:{port}"), opts)
        .exchange(DER, true, None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("server canceled connection"), "{e}");
    h.join().unwrap();
}

fn one_shot(response: &'static [u8]) -> (u16, JoinHandle<usize>) {
    raw_server(1, move |_, mut s| {
        read_http_message(&mut s);
        let _ = s.write_all(response);
    })
}

#[test]
fn response_errors_are_reported_as_openssl_does() {
    let (port, _h) = one_shot(
        b"HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nnope!",
    );
    let e = client(&format!("127.0.0.1:{port}/x"), opts_timeout(10))
        .exchange(DER, false, None)
        .unwrap_err();
    let e = e.to_string();
    assert!(
        e.starts_with("status code unsupported:code=404, reason=Not Found\n"),
        "{e}"
    );
    assert!(e.contains("Content-Type: text/html"), "{e}");
    assert!(
        e.ends_with(&format!(
            "CMP error: error receiving:server=http://127.0.0.1:{port}"
        )),
        "{e}"
    );

    let (port, _h) =
        one_shot(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello");
    let e = client(&format!("127.0.0.1:{port}"), opts_timeout(10))
        .exchange(DER, false, None)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("got http code 200 with Content-Type: text/html"),
        "{e}"
    );

    let (port, _h) =
        one_shot(b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://elsewhere/pkix/\r\n\r\n");
    let e = client(&format!("127.0.0.1:{port}"), opts_timeout(10))
        .exchange(DER, false, None)
        .unwrap_err();
    let e = e.to_string();
    assert!(
        e.starts_with("redirection not enabled") && e.contains("http://elsewhere/pkix/"),
        "{e}"
    );

    // Body shorter than announced (by both Content-Length and the DER length).
    let (port, _h) = one_shot(b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 300\r\n\r\n\x30\x82\x01\x28abc");
    let e = client(&format!("127.0.0.1:{port}"), opts_timeout(10))
        .exchange(DER, false, None)
        .unwrap_err();
    assert!(e.to_string().starts_with("failed reading data\n"), "{e}");

    // Larger than the bound: refused from the header alone.
    let (port, _h) = one_shot(b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 200000000\r\n\r\n");
    let e = client(&format!("127.0.0.1:{port}"), opts_timeout(10))
        .exchange(DER, false, None)
        .unwrap_err();
    assert!(
        e.to_string().starts_with(
            "max resp len exceeded:response content-length length=200000000, max=102400"
        ),
        "{e}"
    );

    // The server closes without answering.
    let (port, _h) = one_shot(b"");
    let e = client(&format!("127.0.0.1:{port}"), opts_timeout(10))
        .exchange(DER, false, None)
        .unwrap_err();
    assert!(e.to_string().starts_with("failed reading data"), "{e}");
}

#[test]
fn silent_and_trickling_servers_hit_the_timeout() {
    let (port, _h) = raw_server(1, |_, mut s| {
        read_http_message(&mut s);
        thread::sleep(Duration::from_secs(4));
    });
    let e = client(&format!("127.0.0.1:{port}"), opts_timeout(1))
        .exchange(DER, false, None)
        .unwrap_err();
    assert_eq!(e.to_string(), "transfer timeout");

    // One byte every 100 ms, never finishing: each read succeeds, but the round trip may not
    // exceed -msg_timeout.
    let (port, _h) = raw_server(1, |_, mut s| {
        read_http_message(&mut s);
        for b in b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter() {
            if s.write_all(&[*b]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let e = client(&format!("127.0.0.1:{port}"), opts_timeout(1))
        .exchange(DER, false, None)
        .unwrap_err();
    assert_eq!(e.to_string(), "transfer timeout");

    // The overall deadline (-total_timeout) applies without -msg_timeout.
    let (port, _h) = raw_server(1, |_, mut s| {
        read_http_message(&mut s);
        thread::sleep(Duration::from_secs(4));
    });
    let deadline = Instant::now() + Duration::from_secs(1);
    let e = client(&format!("127.0.0.1:{port}"), HttpOptions::default())
        .exchange(DER, false, Some(deadline))
        .unwrap_err();
    assert_eq!(e.to_string(), "transfer timeout");
}

#[test]
fn refused_connection_is_retried_until_the_timeout() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let e = client(&format!("127.0.0.1:{port}"), opts_timeout(1))
        .exchange(DER, false, None)
        .unwrap_err();
    assert_eq!(e.to_string(), "connect timeout");
    let e = client(&format!("127.0.0.1:{port}"), HttpOptions::default())
        .exchange(DER, false, None)
        .unwrap_err();
    assert!(e.to_string().starts_with("connect error"), "{e}");
}

// ------------------------------------------------------------------------------------------
// Proxies

#[test]
fn plain_http_through_proxy_uses_absolute_form() {
    let seen = Arc::new(Mutex::new(String::new()));
    let s2 = seen.clone();
    let (pport, h) = raw_server(2, move |_, mut s| {
        let req = read_http_message(&mut s).unwrap();
        let line = String::from_utf8_lossy(&req)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        s2.lock().unwrap().push_str(&format!("{line}\n"));
        s.write_all(&ok_response(DER, false)).unwrap();
    });
    // From -proxy; the proxy's path is ignored.
    let opts = HttpOptions {
        proxy: Some(format!("http://127.0.0.1:{pport}/ignored")),
        ..opts_timeout(10)
    };
    let mut c = client("127.0.0.1:1/pkix/", opts);
    assert_eq!(
        c.proxy(),
        Some(format!("http://127.0.0.1:{pport}/ignored").as_str())
    );
    assert_eq!(
        c.contact_line(),
        format!("will contact http://127.0.0.1:1/pkix/ via http://127.0.0.1:{pport}/ignored ")
    );
    c.exchange(DER, false, None).unwrap();
    // From the environment.
    let env = FakeEnv(vec![
        ("HTTP_PROXY", format!("127.0.0.1:{pport}")),
        ("https_proxy", "127.0.0.1:1".into()),
    ]);
    let mut c =
        HttpClient::with_env(parse_server("[::1]:2").unwrap(), opts_timeout(10), &env).unwrap();
    c.exchange(DER, false, None).unwrap();
    h.join().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        "POST http://127.0.0.1:1/pkix/ HTTP/1.0\nPOST http://[::1]:2/ HTTP/1.0\n"
    );

    // -no_proxy names the server: the proxy is bypassed.
    let (port, h) = one_shot(Box::leak(ok_response(DER, false).into_boxed_slice()));
    let opts = HttpOptions {
        proxy: Some("127.0.0.1:1".into()),
        no_proxy: Some("localhost, 127.0.0.1".into()),
        ..opts_timeout(10)
    };
    let mut c = client(&format!("127.0.0.1:{port}"), opts);
    assert_eq!(c.proxy(), None);
    c.exchange(DER, false, None).unwrap();
    assert_eq!(h.join().unwrap(), 1);
}

#[test]
fn tls_through_proxy_uses_connect() {
    let pki = Pki::new();
    let sport = free_port();
    let server = SServer::start(&pki, sport, &[], &ok_response(DER, false));
    // The proxy records the CONNECT line, answers 200 and then relays bytes both ways.
    let seen = Arc::new(Mutex::new(String::new()));
    let s2 = seen.clone();
    let (pport, h) = raw_server(1, move |_, mut s| {
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while find(&head, b"\r\n\r\n").is_none() && s.read(&mut b).unwrap_or(0) == 1 {
            head.push(b[0]);
        }
        s2.lock().unwrap().push_str(&String::from_utf8_lossy(&head));
        let up = connect_retry(sport);
        s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        relay(s, up);
    });
    let tls = TlsConfig {
        trusted: vec![pki.der("ca.crt")],
        ..Default::default()
    };
    let opts = HttpOptions {
        proxy: Some(format!("127.0.0.1:{pport}")),
        tls: Some(tls),
        ..opts_timeout(10)
    };
    let mut c = client(&format!("https://127.0.0.1:{sport}/pkix/"), opts);
    assert_eq!(c.exchange(DER, false, None).unwrap(), DER);
    drop(c);
    h.join().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        format!("CONNECT 127.0.0.1:{sport} HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n\r\n")
    );
    assert!(
        server.output().contains("POST /pkix/ HTTP/1.0"),
        "{}",
        server.output()
    );
}

fn connect_retry(port: u16) -> TcpStream {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => return s,
            Err(e) if Instant::now() < end => {
                let _ = e;
                thread::sleep(Duration::from_millis(50))
            }
            Err(e) => panic!("cannot reach s_server: {e}"),
        }
    }
}

fn relay(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let (mut a, mut b) = (a, b);
    let t = thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(Shutdown::Write);
    let _ = t.join();
}

// ------------------------------------------------------------------------------------------
// TLS against a real `openssl s_server`

/// `openssl cmp`, ready for the mock server's options.
fn openssl_cmp() -> Command {
    let mut c = openssl();
    c.arg("cmp");
    c
}

fn run_openssl(dir: &Path, args: &[&str]) {
    run_ok(openssl().args(args).current_dir(dir));
}

/// A small test PKI made with openssl: a CA, a server cert for localhost/127.0.0.1, a client
/// cert, and an unrelated CA.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        for (name, cn) in [("ca", "Test CA"), ("other", "Other CA")] {
            let (k, c, s) = (
                format!("{name}.key"),
                format!("{name}.crt"),
                format!("/CN={cn}"),
            );
            let mut a = vec!["req", "-x509"];
            a.extend(ec);
            a.extend(["-keyout", &k, "-out", &c, "-subj", &s, "-days", "30"]);
            run_openssl(d, &a);
        }
        std::fs::write(
            d.join("srv.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        std::fs::write(d.join("cli.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        for name in ["srv", "cli"] {
            let (k, r, c, e) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.crt"),
                format!("{name}.ext"),
            );
            let s = format!("/CN={name}");
            let mut a = vec!["req"];
            a.extend(ec);
            a.extend(["-keyout", &k, "-out", &r, "-subj", &s]);
            run_openssl(d, &a);
            run_openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &r,
                    "-CA",
                    "ca.crt",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    &c,
                    "-days",
                    "30",
                    "-extfile",
                    &e,
                ],
            );
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn der(&self, crt: &str) -> CertificateDer<'static> {
        let out = openssl()
            .args(["x509", "-outform", "DER", "-in"])
            .arg(self.path(crt))
            .output()
            .unwrap();
        assert!(out.status.success());
        CertificateDer::from(out.stdout)
    }

    fn key(&self, key: &str) -> PrivateKeyDer<'static> {
        let out = openssl()
            .args(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in"])
            .arg(self.path(key))
            .output()
            .unwrap();
        assert!(out.status.success());
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(out.stdout))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl s_server` answering one connection with a canned response written to its stdin
/// (it buffers stdin until a client is connected); what the client sent shows up on its stdout.
struct SServer {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    _stdin: std::process::ChildStdin,
}

impl SServer {
    fn start(pki: &Pki, port: u16, extra: &[&str], response: &[u8]) -> SServer {
        let mut child = openssl()
            .args([
                "s_server",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-naccept",
                "1",
                "-cert",
            ])
            .arg(pki.path("srv.crt"))
            .arg("-key")
            .arg(pki.path("srv.key"))
            .args(extra)
            .current_dir(pki.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the openssl binary is needed for these tests");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(response).unwrap();
        stdin.flush().unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        for mut pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let o = out.clone();
            thread::spawn(move || {
                let mut b = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut b) {
                    if n == 0 {
                        break;
                    }
                    o.lock().unwrap().extend_from_slice(&b[..n]);
                }
            });
        }
        SServer {
            child,
            out,
            _stdin: stdin,
        }
    }

    fn output(&self) -> String {
        // Give the reader threads a moment to collect what s_server printed last.
        thread::sleep(Duration::from_millis(200));
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tls_exchange(
    pki: &Pki,
    extra: &[&str],
    server: &str,
    tls: TlsConfig,
) -> (crate::Result<Vec<u8>>, String) {
    let port = free_port();
    let s = SServer::start(pki, port, extra, &ok_response(DER, false));
    let opts = HttpOptions {
        tls: Some(tls),
        ..opts_timeout(10)
    };
    let r = HttpClient::with_env(
        parse_server(&server.replace("PORT", &port.to_string())).unwrap(),
        opts,
        &NoEnv,
    )
    .and_then(|mut c| c.exchange(DER, false, None));
    let out = s.output();
    (r, out)
}

#[test]
fn tls_without_trust_anchors_accepts_any_server() {
    let pki = Pki::new();
    let (r, out) = tls_exchange(
        &pki,
        &[],
        "https://127.0.0.1:PORT/pkix/",
        TlsConfig::default(),
    );
    assert_eq!(r.unwrap(), DER);
    assert!(out.contains("POST /pkix/ HTTP/1.0"), "{out}");
}

#[test]
fn tls_verifies_chain_and_host_when_trusted_given() {
    let pki = Pki::new();
    let trusted = || TlsConfig {
        trusted: vec![pki.der("ca.crt")],
        ..Default::default()
    };
    let (r, _) = tls_exchange(&pki, &[], "https://127.0.0.1:PORT", trusted());
    assert_eq!(r.unwrap(), DER);
    let (r, _) = tls_exchange(&pki, &[], "https://localhost:PORT", trusted());
    assert_eq!(r.unwrap(), DER);
    // -tls_host overrides the name checked.
    let (r, _) = tls_exchange(
        &pki,
        &[],
        "https://127.0.0.1:PORT",
        TlsConfig {
            host: Some("wrong.example".into()),
            ..trusted()
        },
    );
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("TLS handshake failed") && e.contains("not valid for name \"wrong.example\""),
        "{e}"
    );
    let (r, _) = tls_exchange(
        &pki,
        &[],
        "https://127.0.0.1:PORT",
        TlsConfig {
            host: Some("localhost".into()),
            ..trusted()
        },
    );
    assert_eq!(r.unwrap(), DER);
    // A CA that did not issue the server cert.
    let (r, _) = tls_exchange(
        &pki,
        &[],
        "https://127.0.0.1:PORT",
        TlsConfig {
            trusted: vec![pki.der("other.crt")],
            ..Default::default()
        },
    );
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("TLS handshake failed: invalid peer certificate"),
        "{e}"
    );
    // The server cert itself pinned as trust anchor, as OpenSSL allows.
    let (r, _) = tls_exchange(
        &pki,
        &[],
        "https://127.0.0.1:PORT",
        TlsConfig {
            trusted: vec![pki.der("srv.crt")],
            ..Default::default()
        },
    );
    assert_eq!(r.unwrap(), DER);
}

#[test]
fn tls_sends_sni_for_host_names_only() {
    // s_server with -servername_fatal aborts the handshake when the client's SNI differs from
    // its -servername (it needs a second cert for that mode); a client sending no SNI passes.
    let pki = Pki::new();
    let (crt, key) = (pki.path("srv.crt"), pki.path("srv.key"));
    let (crt, key) = (crt.to_str().unwrap(), key.to_str().unwrap());
    let strict = |name: &'static str| {
        [
            "-cert2",
            crt,
            "-key2",
            key,
            "-servername",
            name,
            "-servername_fatal",
        ]
    };
    let (r, out) = tls_exchange(
        &pki,
        &strict("other.example"),
        "https://localhost:PORT",
        TlsConfig::default(),
    );
    assert!(r.is_err(), "SNI 'localhost' must be sent and rejected");
    assert!(
        out.contains("Hostname in TLS extension: \"localhost\""),
        "{out}"
    );
    let (r, out) = tls_exchange(
        &pki,
        &strict("other.example"),
        "https://127.0.0.1:PORT",
        TlsConfig::default(),
    );
    assert_eq!(r.unwrap(), DER, "no SNI for an IP address: {out}");
    assert!(!out.contains("Hostname in TLS extension"), "{out}");
    let (r, out) = tls_exchange(
        &pki,
        &strict("localhost"),
        "https://localhost:PORT",
        TlsConfig::default(),
    );
    assert_eq!(r.unwrap(), DER, "{out}");
}

#[test]
fn tls_client_certificate_when_server_requires_one() {
    let pki = Pki::new();
    let ca = pki.path("ca.crt");
    let ca = ca.to_str().unwrap();
    let require = ["-Verify", "1", "-CAfile", ca];
    let (r, _) = tls_exchange(
        &pki,
        &require,
        "https://127.0.0.1:PORT",
        TlsConfig::default(),
    );
    assert!(
        r.is_err(),
        "a server requiring a client cert must fail without one"
    );
    let with_cert = TlsConfig {
        cert_chain: vec![pki.der("cli.crt")],
        key: Some(pki.key("cli.key")),
        ..Default::default()
    };
    let (r, out) = tls_exchange(&pki, &require, "https://127.0.0.1:PORT", with_cert);
    assert_eq!(r.unwrap(), DER, "{out}");
    assert!(
        out.contains("CN = cli") || out.contains("CN=cli"),
        "s_server should show the client cert: {out}"
    );
}

// ------------------------------------------------------------------------------------------
// The mock server's listener

fn test_server(
    max_msgs: u64,
    handler: crate::transfer::Handler,
) -> (u16, JoinHandle<crate::Result<()>>) {
    test_server_with(
        ServerConfig {
            max_msgs,
            io_timeout: Duration::from_secs(5),
            ..Default::default()
        },
        handler,
    )
}

/// A listener on 127.0.0.1 with 64 KiB requests and otherwise `cfg`'s settings.
fn test_server_with(
    cfg: ServerConfig,
    handler: crate::transfer::Handler,
) -> (u16, JoinHandle<crate::Result<()>>) {
    let cfg = ServerConfig {
        bind_addr: Some("127.0.0.1".parse().unwrap()),
        max_request: 64 * 1024,
        ..cfg
    };
    let l = crate::transfer::bind(cfg).unwrap();
    let port = l.port();
    (port, thread::spawn(move || l.serve(handler)))
}

/// A handler that answers each request with its own body, counting calls.
fn echo(count: Arc<AtomicUsize>) -> crate::transfer::Handler {
    Arc::new(move |req: &[u8]| {
        count.fetch_add(1, Ordering::SeqCst);
        Some(Reply::from(req.to_vec()))
    })
}

fn der_of(n: u32) -> Vec<u8> {
    let b = n.to_be_bytes();
    vec![0x30, 0x06, 0x02, 0x04, b[0], b[1], b[2], b[3]]
}

#[test]
fn listener_serves_many_clients_at_once_despite_an_idle_one() {
    let count = Arc::new(AtomicUsize::new(0));
    let (port, server) = test_server(50 * 3, echo(count.clone()));
    // A client that connects and says nothing must not hold up the others.
    let idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let workers: Vec<_> = (0..50u32)
        .map(|i| {
            thread::spawn(move || {
                let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(20));
                for j in 0..3 {
                    let m = der_of(i * 10 + j);
                    assert_eq!(c.exchange(&m, j < 2, None).unwrap(), m);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    // max_msgs was reached: serve() returns on its own.
    server.join().unwrap().unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 150);
    drop(idle);
}

fn raw_exchange(port: u16, data: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(data).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn listener_rejects_bad_requests_and_keeps_serving() {
    let count = Arc::new(AtomicUsize::new(0));
    let (port, server) = test_server(0, echo(count.clone()));
    let post = |path: &str, body: &[u8]| {
        let mut m = format!("POST {path} HTTP/1.0\r\nContent-Type: application/pkixcmp\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        m.extend_from_slice(body);
        m
    };
    assert_eq!(
        raw_exchange(port, &post("/other", DER)),
        "HTTP/1.0 404 Not Found\r\n\r\n\r\n"
    );
    assert_eq!(
        raw_exchange(port, b"GET /pkix/ HTTP/1.0\r\n\r\n"),
        "HTTP/1.0 400 Bad Request\r\n\r\n\r\n"
    );
    assert_eq!(
        raw_exchange(port, &post("/pkix/", b"garbage")),
        "HTTP/1.0 400 Bad Request\r\n\r\n\r\n"
    );
    assert_eq!(
        raw_exchange(port, b"\x00\x01 not http at all\r\n\r\n"),
        "HTTP/1.0 400 Bad Request\r\n\r\n\r\n"
    );
    let big = format!(
        "POST /pkix/ HTTP/1.0\r\nContent-Length: {}\r\n\r\n",
        10 * 1024 * 1024
    );
    assert!(raw_exchange(port, big.as_bytes()).starts_with("HTTP/1.0 413 "));
    assert_eq!(count.load(Ordering::SeqCst), 0);
    // Still serving, on both accepted paths, with the exact head OpenSSL's mock sends.
    let ok = raw_exchange(port, &post("/", DER));
    assert_eq!(
        ok.as_bytes(),
        [
            b"HTTP/1.0 200 OK\r\nContent-type: application/pkixcmp\r\nContent-Length: 5\r\n\r\n"
                .as_slice(),
            DER
        ]
        .concat()
    );
    let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(10));
    assert_eq!(c.exchange(DER, false, None).unwrap(), DER);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(!server.is_finished());
}

#[test]
fn listener_counts_every_request_towards_max_msgs() {
    let count = Arc::new(AtomicUsize::new(0));
    let (port, server) = test_server(2, echo(count.clone()));
    assert!(raw_exchange(port, b"GET / HTTP/1.0\r\n\r\n").starts_with("HTTP/1.0 400"));
    let mut c = client(&format!("127.0.0.1:{port}"), opts_timeout(10));
    assert_eq!(c.exchange(DER, false, None).unwrap(), DER);
    server.join().unwrap().unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn handler_none_gives_400_and_reply_close_ends_keep_alive() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let handler: crate::transfer::Handler = Arc::new(move |req: &[u8]| {
        let n = c2.fetch_add(1, Ordering::SeqCst);
        match n {
            0 => Some(Reply {
                body: req.to_vec(),
                close: true,
            }),
            _ => None,
        }
    });
    let (port, _server) = test_server(0, handler);
    // As OpenSSL's server loop: the answer grants the keep-alive asked for (a client requiring it
    // reads the answer), then the connection is closed since the transaction has ended.
    let mut m = format!(
        "POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Type: application/pkixcmp\r\nContent-Length: {}\r\n\r\n",
        DER.len()
    )
    .into_bytes();
    m.extend_from_slice(DER);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&m).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("the server ended the transaction, so the connection is closed");
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("Connection: keep-alive\r\n"), "{text}");
    assert!(out.ends_with(DER), "{text}");
    let mut c = client(&format!("127.0.0.1:{port}"), opts_timeout(10));
    let e = c.exchange(DER, false, None).unwrap_err().to_string();
    assert!(e.contains("code=400"), "{e}");
}

/// `POST /pkix/` with `body`, asking for keep-alive or not.
fn post_request(body: &[u8], keep_alive: bool) -> Vec<u8> {
    let mut m =
        format!(
        "POST /pkix/ HTTP/1.0\r\n{}Content-Type: application/pkixcmp\r\nContent-Length: {}\r\n\r\n",
        if keep_alive { "Connection: keep-alive\r\n" } else { "" },
        body.len()
    )
        .into_bytes();
    m.extend_from_slice(body);
    m
}

/// Split a byte stream of responses into (status code, body) pairs, using Content-Length.
fn split_responses(mut data: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(end) = find(data, b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&data[..end]).into_owned();
        let code: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map_or(0, |v| v.parse().unwrap());
        out.push((code, data[end + 4..end + 4 + len].to_vec()));
        data = &data[end + 4 + len..];
    }
    out
}

#[test]
fn listener_answers_pipelined_requests_in_order() {
    let count = Arc::new(AtomicUsize::new(0));
    let (port, _server) = test_server(0, echo(count.clone()));
    let mut all = Vec::new();
    for i in 0..20u32 {
        all.extend(post_request(&der_of(i), i < 19));
    }
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // In odd pieces, so that requests straddle reads.
    for piece in all.chunks(37) {
        s.write_all(piece).unwrap();
    }
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    let answers = split_responses(&got);
    let expected: Vec<_> = (0..20u32).map(|i| (200, der_of(i))).collect();
    assert_eq!(answers, expected);
    assert_eq!(count.load(Ordering::SeqCst), 20);
}

#[test]
fn listener_max_msgs_is_exact_under_concurrency() {
    let count = Arc::new(AtomicUsize::new(0));
    let (port, server) = test_server(25, echo(count.clone()));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8u32)
        .map(|t| {
            let answered = answered.clone();
            thread::spawn(move || {
                for j in 0..10u32 {
                    // Once the server has stopped, connecting or reading fails: that ends the
                    // client, never the test.
                    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
                        return;
                    };
                    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                    let m = der_of(t * 100 + j);
                    if s.write_all(&post_request(&m, false)).is_err() {
                        return;
                    }
                    let mut got = Vec::new();
                    let _ = s.read_to_end(&mut got);
                    if split_responses(&got) == [(200, m)] {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    server.join().unwrap().unwrap();
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 25, "requests handled");
    assert_eq!(answered.load(Ordering::SeqCst), 25, "answers received");
}

/// A DER SEQUENCE of `n` content bytes (n < 65536).
fn big_der(n: usize) -> Vec<u8> {
    let mut v = vec![0x30, 0x82, (n >> 8) as u8, n as u8];
    v.resize(4 + n, 0x55);
    v
}

#[test]
fn listener_serves_others_while_clients_do_not_read_their_answers() {
    let count = Arc::new(AtomicUsize::new(0));
    let cfg = ServerConfig {
        workers: 2,
        io_timeout: Duration::from_secs(600),
        ..Default::default()
    };
    let (port, _server) = test_server_with(cfg, echo(count.clone()));
    // More stuck clients than workers, each with megabytes of answers it never reads: the
    // socket buffers fill up, and a worker that waited for them would be lost.
    let body = big_der(60 * 1024);
    let stuck: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let writers: Vec<_> = stuck
        .iter()
        .map(|s| {
            let mut s = s.try_clone().unwrap();
            let req = post_request(&body, true);
            thread::spawn(move || {
                for _ in 0..200 {
                    if s.write_all(&req).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    // Wait until the stuck clients have had many requests answered (into full buffers).
    let start = Instant::now();
    while count.load(Ordering::SeqCst) < 40 && start.elapsed() < Duration::from_secs(60) {
        thread::sleep(Duration::from_millis(20));
    }
    for i in 0..10u32 {
        let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(20));
        let m = der_of(i);
        assert_eq!(c.exchange(&m, false, None).unwrap(), m);
    }
    for s in &stuck {
        s.shutdown(Shutdown::Both).unwrap();
    }
    for w in writers {
        w.join().unwrap();
    }
}

#[test]
fn listener_evicts_idle_connections_beyond_its_cap() {
    let count = Arc::new(AtomicUsize::new(0));
    let cfg = ServerConfig {
        max_connections: 10,
        io_timeout: Duration::from_secs(600),
        request_timeout: Duration::from_secs(600),
        ..Default::default()
    };
    let (port, _server) = test_server_with(cfg, echo(count.clone()));
    let mut idle: Vec<TcpStream> = Vec::new();
    for _ in 0..30 {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        idle.push(s);
        // One at a time, so the server sees them in this order.
        let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(20));
        assert_eq!(c.exchange(DER, false, None).unwrap(), DER);
    }
    // The oldest idle connection made room for a newer one: the server closed it.
    let mut b = [0u8; 1];
    assert_eq!(idle[0].read(&mut b).unwrap(), 0);
    // Slowloris connections (a head never finished) are evicted as well once no idle one is left:
    // of 30 (plus a good client), at least 20 must have been closed, without an answer.
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..30 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"POST / HTTP/1.0\r\nX-Slow: ").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let tx = tx.clone();
        // Which ones go depends on when the server read their bytes; each waits on its own.
        thread::spawn(move || {
            let mut b = [0u8; 1];
            // A reset counts as closed too: the server may close before reading the bytes.
            let closed = match s.read(&mut b) {
                Ok(n) => n == 0,
                Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
            };
            let _ = tx.send(closed);
        });
    }
    let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(20));
    assert_eq!(c.exchange(DER, false, None).unwrap(), DER);
    for _ in 0..20 {
        let closed = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert!(closed, "closed without an answer");
    }
}

#[test]
fn listener_enforces_idle_and_request_deadlines() {
    let count = Arc::new(AtomicUsize::new(0));
    let cfg = ServerConfig {
        io_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_millis(600),
        ..Default::default()
    };
    let (port, _server) = test_server_with(cfg, echo(count.clone()));
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let trickler = thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        // A byte every 50 ms keeps the connection from being idle, but the header line never
        // ends (and stays far below the line limit): the server must give up on it at the
        // request deadline (a write fails, or the probe sees the close).
        s.write_all(b"POST / HTTP/1.0\r\nX-Slow: ").unwrap();
        s.set_nonblocking(true).unwrap();
        for _ in 0..2000 {
            if s.write_all(b"a").is_err() {
                return Vec::new();
            }
            thread::sleep(Duration::from_millis(50));
            let mut probe = [0u8; 64];
            match s.read(&mut probe) {
                Ok(n) => return probe[..n].to_vec(),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return Vec::new(),
            }
        }
        panic!("the server never closed a trickling connection");
    });
    let mut b = [0u8; 1];
    assert_eq!(idle.read(&mut b).unwrap(), 0, "idle connection closed");
    assert_eq!(trickler.join().unwrap(), b"", "closed without an answer");
    let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(20));
    assert_eq!(c.exchange(DER, false, None).unwrap(), DER);
}

// ------------------------------------------------------------------------------------------
// Interoperation with the real OpenSSL client and mock server

#[test]
fn openssl_client_talks_to_our_listener() {
    let ip = fixture("ip.der");
    let handler: crate::transfer::Handler =
        Arc::new(move |_req: &[u8]| Some(Reply::from(ip.clone())));
    let (port, server) = test_server(1, handler);
    let dir = tempfile::tempdir().unwrap();
    run_openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "new.key",
        ],
    );
    let out = openssl()
        .args([
            "cmp",
            "-config",
            "",
            "-cmd",
            "ir",
            "-server",
            &format!("127.0.0.1:{port}/pkix/"),
        ])
        .args([
            "-secret",
            "pass:1234",
            "-ref",
            "1",
            "-newkey",
            "new.key",
            "-subject",
            "/CN=x",
        ])
        .args([
            "-certout",
            "out.pem",
            "-msg_timeout",
            "10",
            "-verbosity",
            "7",
        ])
        .current_dir(dir.path())
        .output()
        .expect("the openssl binary is needed for these tests");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The canned IP does not belong to this transaction, so OpenSSL rejects its content; the
    // HTTP exchange itself must have worked.
    assert!(
        stdout.contains("CMP info: received IP"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("error receiving"), "{stderr}");
    server.join().unwrap().unwrap();
}

#[test]
fn our_client_talks_to_openssl_mock_server() {
    let pki = Pki::new();
    let srv_crt = pki.path("srv.crt").to_string_lossy().into_owned();
    let mock = MockServer::start_plain(
        openssl_cmp(),
        &[
            "-config",
            "",
            "-srv_secret",
            "pass:test",
            "-srv_ref",
            "1234",
            "-max_msgs",
            "1",
            "-rsp_cert",
            &srv_crt,
        ],
    );
    let port = mock.port();
    let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(10));
    let r = c.exchange(&fixture("ir.der"), true, None);
    drop(mock);
    let body = r.unwrap();
    assert_eq!(body[0], 0x30, "a DER PKIMessage comes back");
}

/// A full enrollment (ir, ip, certConf, pkiConf) by the real OpenSSL client through our listener,
/// whose handler relays each request with our client to the real OpenSSL mock server: both sides
/// of this module carry a real CMP transaction end to end.
#[test]
fn openssl_enrollment_through_our_listener_and_client() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "new.key",
            "-out",
            "new.crt",
            "-subj",
            "/CN=newcert",
            "-days",
            "30",
        ],
    );
    let new_crt = d.join("new.crt").to_string_lossy().into_owned();
    let mock = MockServer::start_plain(
        openssl_cmp(),
        &[
            "-config",
            "",
            "-srv_secret",
            "pass:test",
            "-srv_ref",
            "1234",
            "-rsp_cert",
            &new_crt,
        ],
    );
    let mock_port = mock.port();

    let upstream = Mutex::new(client(
        &format!("127.0.0.1:{mock_port}/pkix/"),
        opts_timeout(10),
    ));
    let handler: crate::transfer::Handler = Arc::new(move |req: &[u8]| {
        upstream
            .lock()
            .ok()?
            .exchange(req, false, None)
            .ok()
            .map(Reply::from)
    });
    let (port, server) = test_server(2, handler);
    let out = openssl()
        .args([
            "cmp",
            "-config",
            "",
            "-cmd",
            "ir",
            "-server",
            &format!("127.0.0.1:{port}/pkix/"),
        ])
        .args([
            "-secret",
            "pass:test",
            "-ref",
            "1234",
            "-newkey",
            "new.key",
            "-subject",
            "/CN=newcert",
        ])
        .args(["-certout", "out.crt", "-msg_timeout", "10"])
        .current_dir(d)
        .output()
        .expect("the openssl binary is needed for these tests");
    drop(mock);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("received PKICONF"), "{stdout}");
    assert!(d.join("out.crt").exists());
    server.join().unwrap().unwrap();
}

#[test]
fn listener_keeps_buffered_requests_within_its_budget() {
    let count = Arc::new(AtomicUsize::new(0));
    // Six clients each start a 60,000-byte request and stop after 40,000 bytes: 240 KB would be
    // buffered, but the budget is 128 KiB, so the server must close some of them (those holding
    // most) and still serve a good client.
    let cfg = ServerConfig {
        max_buffered: 128 * 1024,
        io_timeout: Duration::from_secs(600),
        request_timeout: Duration::from_secs(600),
        ..Default::default()
    };
    let (port, _server) = test_server_with(cfg, echo(count.clone()));
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..6 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut req = b"POST / HTTP/1.0\r\nContent-Type: application/pkixcmp\r\nContent-Length: 60000\r\n\r\n"
            .to_vec();
        req.extend(std::iter::repeat_n(0x30, 40_000));
        // The server may close while the bytes are still going out.
        let _ = s.write_all(&req);
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let tx = tx.clone();
        thread::spawn(move || {
            let mut b = [0u8; 1];
            let closed = match s.read(&mut b) {
                Ok(n) => n == 0,
                Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
            };
            let _ = tx.send(closed);
        });
    }
    let mut c = client(&format!("127.0.0.1:{port}/pkix/"), opts_timeout(20));
    assert_eq!(c.exchange(DER, false, None).unwrap(), DER);
    let closed = (0..6)
        .filter(|_| rx.recv_timeout(Duration::from_secs(60)).unwrap())
        .count();
    assert!(
        closed >= 2,
        "only {closed} of 6 over-budget connections closed"
    );
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "no partial request reached the handler"
    );
}
