//! Interop of the mock server with the real `openssl cmp` client.
//!
//! The server runs in-process behind a minimal HTTP/1.0 responder on 127.0.0.1 port 0, configured like
//! the conformance corpus's `server.cnf`; the real OpenSSL client enrolls against it with the corpus's
//! `test.cnf`. These tests need `openssl` on PATH and fail loudly without it.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rcmp::server::{Flavor, Server, SrvConfig};
use zeroize::Zeroizing;

const CORPUS: &str = "/work/shared/conformance/openssl-cmp/30/Mock";

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
        flavor: Flavor::V3_0,
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

/// Serve `server` over HTTP/1.0 on an ephemeral port; returns the port. The listener thread ends with
/// the test process.
fn serve(server: Server) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = Arc::new(server);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let server = server.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                let header_end = loop {
                    let n = conn.read(&mut tmp).unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < header_end + len {
                    let n = conn.read(&mut tmp).unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                }
                let body = &buf[header_end..header_end + len];
                let reply = match server.respond(body) {
                    Some(r) => {
                        let mut v = format!(
                            "HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: {}\r\n\r\n",
                            r.len()
                        )
                        .into_bytes();
                        v.extend_from_slice(&r);
                        v
                    }
                    None => b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec(),
                };
                let _ = conn.write_all(&reply);
            });
        }
    });
    port
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        for e in std::fs::read_dir(CORPUS).expect("conformance corpus present") {
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
        let mut cmd = Command::new("openssl");
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
