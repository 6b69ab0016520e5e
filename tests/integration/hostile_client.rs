//! rcmp's mock server (`rcmp -port 0` on corpus 30) against hostile clients: bytes that are not HTTP,
//! stalled and idle connections, oversized requests, a replayed request, a certConf nobody asked
//! for. After (or during) each, a well-behaved client must still get a certificate enrolled, and the
//! server must not have panicked.

use crate::common;
use common::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::thread;
use std::time::Duration;

/// PKIBody choices (RFC 9810 section 5.1.2) the mock may answer with.
const BODY_IP: u8 = 1;
const BODY_ERROR: u8 = 23;

fn connect(srv: &MockServer) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", srv.port())).expect("connect to mock server");
    s.set_read_timeout(Some(Duration::from_secs(20))).ok();
    s.set_write_timeout(Some(Duration::from_secs(20))).ok();
    s
}

/// Sends raw bytes, half-closes, and returns whatever the server answered (possibly nothing).
fn send_raw(srv: &MockServer, bytes: &[u8]) -> Vec<u8> {
    let mut s = connect(srv);
    // The server may answer and close before reading everything; a failed write is fine here.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn post(body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/pkixcmp\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// Status code and body of an HTTP response.
fn parse_response(resp: &[u8]) -> (u16, Vec<u8>) {
    let text = String::from_utf8_lossy(resp);
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let at = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(resp.len());
    (code, resp[at..].to_vec())
}

fn client_args(srv: &MockServer, certout: &Path) -> Vec<String> {
    vec![
        "-cmd".into(),
        "ir".into(),
        "-server".into(),
        srv.server_arg(),
        "-ref".into(),
        "1".into(),
        "-secret".into(),
        "pass:test".into(),
        "-newkey".into(),
        "new.key".into(),
        "-subject".into(),
        "/CN=good client".into(),
        "-certout".into(),
        certout.display().to_string(),
        "-msg_timeout".into(),
        "20".into(),
        "-config".into(),
        "".into(),
    ]
}

/// A well-behaved enrollment with OpenSSL's client must succeed, and the server must be alive and
/// free of panics.
fn assert_still_serves(srv: &MockServer) {
    let certout = srv.out_dir().join("good.pem");
    let _ = std::fs::remove_file(&certout);
    let mut cmd = openssl();
    cmd.arg("cmp")
        .args(client_args(srv, &certout))
        .current_dir(srv.dir());
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "good enrollment failed\n{}\n{}",
        describe(&cmd, &out),
        srv.logs()
    );
    assert!(certout.is_file(), "no certificate written");
    assert!(srv.is_running(), "server died\n{}", srv.logs());
    assert!(
        !srv.logs().contains("panicked"),
        "server panicked\n{}",
        srv.logs()
    );
}

/// One real enrollment with rcmp, saving its requests (ir, certConf) with -reqout.
fn captured_requests(srv: &MockServer) -> (Vec<u8>, Vec<u8>) {
    let out_dir = srv.out_dir();
    let ir = out_dir.join("ir.der");
    let cc = out_dir.join("certconf.der");
    let mut cmd = rcmp();
    cmd.args(client_args(srv, &out_dir.join("captured.pem")))
        .arg("-reqout")
        .arg(format!("{},{}", ir.display(), cc.display()))
        .current_dir(srv.dir());
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "capture run\n{}",
        describe(&cmd, &out)
    );
    (
        std::fs::read(&ir).expect("ir saved"),
        std::fs::read(&cc).expect("certConf saved"),
    )
}

/// The PKIBody choice of the CMP message in an HTTP 200 answer.
fn body_of(resp: &[u8]) -> u8 {
    let (code, body) = parse_response(resp);
    assert_eq!(code, 200, "HTTP status");
    pki_body_choice(&body).expect("server answers with a CMP message")
}

#[test]
fn garbage_bytes() {
    let srv = MockServer::start_rcmp("30", &[]);
    let answer = send_raw(
        &srv,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage, not HTTP\r\n\r\n",
    );
    assert_eq!(parse_response(&answer).0, 400, "garbage gets 400");
    let answer = send_raw(&srv, &post(b"hello, not DER"));
    assert_eq!(parse_response(&answer).0, 400, "non-DER body gets 400");
    // DER, but no PKIMessage: an HTTP error, never a hang or a crash.
    let answer = send_raw(&srv, &post(b"\x30\x03\x02\x01\x05 trailing junk"));
    assert!(parse_response(&answer).0 >= 400, "undecodable CMP body");
    assert_still_serves(&srv);
}

#[test]
fn undecodable_cmp_body_gets_400() {
    let srv = MockServer::start_rcmp("30", &[]);
    let answer = send_raw(&srv, &post(b"\x30\x03\x02\x01\x05 trailing junk"));
    assert_eq!(parse_response(&answer).0, 400);
}

#[test]
fn slow_client_does_not_block_others() {
    let srv = MockServer::start_rcmp("30", &[]);
    let port = srv.port();
    let slow = thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        for b in b"POST / HTTP/1.0\r\nContent-Length: 10\r\n" {
            if s.write_all(&[*b]).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(300));
        }
    });
    thread::sleep(Duration::from_millis(500));
    assert_still_serves(&srv);
    let _ = slow.join();
    assert_still_serves(&srv);
}

#[test]
fn many_idle_connections() {
    let srv = MockServer::start_rcmp("30", &[]);
    // Below the server's cap of 100 concurrent connections: it must still serve while they idle.
    let idle: Vec<TcpStream> = (0..60).map(|_| connect(&srv)).collect();
    assert_still_serves(&srv);
    drop(idle);
    assert_still_serves(&srv);
}

#[test]
fn more_idle_connections_than_the_cap() {
    // More than the old cap of 100: idle connections cost the event thread a descriptor each,
    // never a thread or a slot a good client needs.
    let srv = MockServer::start_rcmp("30", &[]);
    let _idle: Vec<TcpStream> = (0..150).map(|_| connect(&srv)).collect();
    assert_still_serves(&srv);
}

#[test]
fn slowloris_connections_do_not_lock_out_good_clients() {
    let srv = MockServer::start_rcmp("30", &[]);
    let port = srv.port();
    // 200 connections, each trickling a request head a byte at a time, all the while good
    // clients enroll: they cost the server a descriptor and a few bytes each, never a thread.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let trickler = thread::spawn(move || {
        let mut socks: Vec<TcpStream> = (0..200)
            .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
            .collect();
        let head = b"POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Padding: ";
        let mut i = 0;
        while !stop2.load(std::sync::atomic::Ordering::SeqCst) {
            let b = head.get(i).copied().unwrap_or(b'a');
            socks.retain_mut(|s| s.write_all(&[b]).is_ok());
            i += 1;
            thread::sleep(Duration::from_millis(20));
        }
        socks.len()
    });
    thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        assert_still_serves(&srv);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let still_open = trickler.join().expect("trickler");
    assert!(
        still_open > 0,
        "the slow connections were accepted and kept"
    );
    assert_still_serves(&srv);
}

#[test]
fn clients_that_never_read_their_answers() {
    let srv = MockServer::start_rcmp("30", &[]);
    let (ir, _) = captured_requests(&srv);
    let mut req = post(&ir);
    // Keep-alive, sent twice on each connection, answers never read.
    let at = req
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("request line")
        + 2;
    req.splice(at..at, b"Connection: keep-alive\r\n".iter().copied());
    let stuck: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = connect(&srv);
            s.write_all(&req).expect("send");
            s.write_all(&req).expect("send");
            s
        })
        .collect();
    assert_still_serves(&srv);
    drop(stuck);
    assert_still_serves(&srv);
}

#[test]
fn oversized_requests() {
    let srv = MockServer::start_rcmp("30", &[]);
    // A claimed gigabyte: refused from the head alone.
    let answer = send_raw(
        &srv,
        b"POST / HTTP/1.0\r\nContent-Type: application/pkixcmp\r\nContent-Length: 1000000000\r\n\r\n0",
    );
    let (code, _) = parse_response(&answer);
    assert_eq!(code, 413, "huge Content-Length");
    // Two real megabytes.
    let answer = send_raw(&srv, &post(&vec![0x30; 2 * 1024 * 1024]));
    let (code, _) = parse_response(&answer);
    assert_eq!(code, 413, "2 MB body");
    // A head that never ends.
    let mut head = b"POST / HTTP/1.0\r\n".to_vec();
    head.extend(std::iter::repeat_n(b'X', 1024 * 1024));
    let answer = send_raw(&srv, &head);
    assert_eq!(parse_response(&answer).0, 400, "overlong header line");
    assert_still_serves(&srv);
}

#[test]
fn replayed_request() {
    let srv = MockServer::start_rcmp("30", &[]);
    let (ir, _) = captured_requests(&srv);
    // The same ir again, twice: each gets a CMP answer (a new ip or an error), never a hang.
    for _ in 0..2 {
        let m = body_of(&send_raw(&srv, &post(&ir)));
        assert!(
            matches!(m, BODY_IP | BODY_ERROR),
            "replayed ir answered with PKIBody choice {m}"
        );
    }
    assert_still_serves(&srv);
}

#[test]
fn certconf_for_unknown_transaction() {
    let srv = MockServer::start_rcmp("30", &[]);
    let (_, certconf) = captured_requests(&srv);
    let fresh = MockServer::start_rcmp("30", &[]);
    let m = body_of(&send_raw(&fresh, &post(&certconf)));
    assert!(
        m == BODY_ERROR,
        "certConf without a transaction answered with PKIBody choice {m}"
    );
    assert_still_serves(&fresh);
}
