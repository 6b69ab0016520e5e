//! The rcmp client against hostile CMP servers: a scripted fake HTTP server in this test (127.0.0.1,
//! port 0, one thread per scenario) answers an `ir` with broken HTTP, broken DER, or a response that
//! looks valid but breaks one CMP rule. Valid-looking responses come from a real `rcmp -port 0` mock
//! behind the fake server, which then mutates the answer and re-protects it with the shared secret, so
//! only the one broken rule can be the reason for the failure.
//!
//! Every scenario must end in bounded time with exit 1, one final block of `CMP error:` lines (as
//! OpenSSL prints its error queue) whose first line names what went wrong, no panic, no new output file, and a pre-existing `-certout` file left as it was.

use crate::testutil as common;
use common::*;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;
use std::time::Duration;

use crate::asn1::message::{protected_part_der, PkiMessage};
use crate::protect::pbm;
use der::asn1::{BitString, OctetString};

/// The secret the corpus' mock server uses (`srv_secret = pass:test` in server.cnf).
const SECRET: &[u8] = b"test";

/// Bytes the pre-existing `-certout` file holds; it must still hold them after a failed run.
const OLD_CERTOUT: &[u8] = b"old certout contents, must survive a failed enrollment\n";

/// One HTTP request as the fake server read it.
struct Request {
    body: Vec<u8>,
}

/// Reads one HTTP request (head and Content-Length body); None if the peer closed first.
fn read_request(s: &mut TcpStream) -> Option<Request> {
    let msg = read_http_message(s)?;
    Some(Request {
        body: http_body(&msg).to_vec(),
    })
}

/// Posts `body` to the real mock server and returns its response body.
fn forward(port: u16, body: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the real mock");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let head = format!(
        "POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/pkixcmp\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write to mock");
    s.write_all(body).expect("write to mock");
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let at = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("mock response has a head");
    resp[at + 4..].to_vec()
}

fn http_ok(body: &[u8], content_type: &str) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn pkix_ok(body: &[u8]) -> Vec<u8> {
    http_ok(body, "application/pkixcmp")
}

/// What the fake server does with a connection once it has read the client's request. `mock` is the
/// real mock server's port.
type Script = fn(TcpStream, Request, u16);

/// Starts the fake server: every connection is read and handed to `script` in its own thread.
/// `script` may be a closure (the regression scenarios capture certificates and keys).
fn fake_server(script: impl Fn(TcpStream, Request, u16) + Send + Sync + 'static, mock: u16) -> u16 {
    let script = std::sync::Arc::new(script);
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().expect("local addr").port();
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let script = std::sync::Arc::clone(&script);
            thread::spawn(move || {
                if let Some(req) = read_request(&mut conn) {
                    script(conn, req, mock);
                }
            });
        }
    });
    port
}

/// Closes a socket with RST instead of FIN (SO_LINGER with a zero timeout).
fn reset(s: TcpStream) {
    use std::os::fd::AsRawFd;
    let lg = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket we own, with a correctly sized linger struct.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &lg as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(s);
}

/// Decodes a mock response, lets `edit` change it, and re-protects it with PBM under [`SECRET`].
fn mutate(resp: &[u8], edit: impl FnOnce(&mut PkiMessage)) -> Vec<u8> {
    let mut msg = PkiMessage::from_der_bounded(resp, "mock").expect("mock response decodes");
    edit(&mut msg);
    reprotect(&mut msg);
    msg.to_der_vec().expect("encode mutated message")
}

fn reprotect(msg: &mut PkiMessage) {
    let alg = msg
        .header
        .protection_alg
        .as_ref()
        .expect("mock answers PBM requests with PBM protection");
    let params = pbm::params_from_alg(alg).expect("PBM parameters");
    let part = protected_part_der(&msg.header, &msg.body).expect("protected part");
    let mac = pbm::protect(SECRET, &params, &part).expect("PBM");
    msg.protection = Some(BitString::from_bytes(&mac).expect("bit string"));
}

/// Replaces the PBMParameter of a message, keeping its old protection value (which cannot be computed
/// for hostile parameters anyway).
fn set_pbm_params(msg: &mut PkiMessage, params: &crate::asn1::crmf::PbmParameter) {
    msg.header.protection_alg = Some(pbm::algorithm_identifier(params).expect("alg id"));
}

struct Outcome {
    stdout: String,
}

/// Runs an `ir` against `port` and checks the common rules; returns stdout for scenario keywords.
fn run_ir(port: u16, extra: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    let certout = dir.path().join("cert.pem");
    std::fs::write(&certout, OLD_CERTOUT).expect("pre-create certout");
    let key = corpus_mock_dir("30").join("new.key");
    let mut cmd = rcmp();
    cmd.args(["-cmd", "ir", "-server"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-ref", "1", "-secret", "pass:test", "-newkey"])
        .arg(&key)
        .args(["-subject", "/CN=x", "-certout"])
        .arg(&certout)
        .arg("-extracertsout")
        .arg(dir.path().join("extra.pem"))
        .arg("-cacertsout")
        .arg(dir.path().join("ca.pem"))
        .args(["-msg_timeout", "2", "-total_timeout", "5", "-config", ""])
        .args(extra)
        .current_dir(dir.path());
    let out = run_timeout(&mut cmd, Duration::from_secs(30));
    check_failure(&cmd, &out, &certout, OLD_CERTOUT)
}

/// The rules every failed run against a hostile server must keep: exit 1, no panic, one final block
/// of distinct `CMP error:` lines, the pre-existing output file `guarded` still holding `old`, and
/// no other file in its folder.
fn check_failure(cmd: &Command, out: &Output, guarded: &Path, old: &[u8]) -> Outcome {
    let certout = guarded.to_path_buf();
    let dir = guarded.parent().expect("output folder");
    let what = describe(cmd, out);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "exit code 1 expected\n{what}");
    assert!(!stderr.contains("panicked"), "panic\n{what}");
    // OpenSSL prints its error queue as one block of `CMP error:` lines, the cause first and the
    // context (`error receiving`, `transfer error`) after it, on stdout (the CMP library's stream);
    // rcmp does the same. So: one block, at the very end, no line repeated, and its first line names
    // the cause.
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    let first = lines.iter().position(|l| l.starts_with("CMP error:"));
    let first = first.unwrap_or_else(|| panic!("no CMP error line\n{what}"));
    assert!(
        lines[first..].iter().all(|l| l.starts_with("CMP error:")),
        "the CMP error lines are one final block\n{what}"
    );
    let mut block = lines[first..].to_vec();
    block.sort();
    block.dedup();
    assert_eq!(
        block.len(),
        lines.len() - first,
        "an error line repeated\n{what}"
    );
    assert_eq!(
        std::fs::read(&certout).expect("output file still there"),
        old,
        "existing output file changed\n{what}"
    );
    assert_eq!(
        files_in(dir),
        vec![certout.clone()],
        "files created\n{what}"
    );
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

/// The first (cause) error line, lower-cased, must contain one of the `any` words.
fn assert_says(o: &Outcome, any: &[&str]) {
    let line = o
        .stdout
        .lines()
        .find(|l| l.contains("CMP error:"))
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        any.iter().any(|w| line.contains(&w.to_lowercase())),
        "error line should say one of {any:?}:\n{}",
        o.stdout
    );
}

fn scenario(script: Script, words: &[&str]) {
    scenario_with(script, &[], words)
}

fn scenario_with(script: Script, extra: &[&str], words: &[&str]) {
    let mock = MockServer::start_rcmp("30", &[]);
    let port = fake_server(script, mock.port());
    let o = run_ir(port, extra);
    assert_says(&o, words);
}

#[test]
fn garbage_body() {
    scenario(
        |mut s, _, _| {
            let _ = s.write_all(&pkix_ok(b"this is not DER at all, just some bytes\n"));
        },
        &["missing asn1 encoding"],
    );
}

#[test]
fn truncated_der() {
    scenario(
        |mut s, req, mock| {
            let resp = forward(mock, &req.body);
            let _ = s.write_all(&pkix_ok(&resp[..resp.len() / 2]));
        },
        &["inconsistent content length"],
    );
}

#[test]
fn over_long_der_length() {
    scenario(
        |mut s, _, _| {
            // A SEQUENCE claiming 2 GiB of content, with Content-Length telling the truth (10 bytes).
            let body = [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x02, 0x00];
            let _ = s.write_all(&pkix_ok(&body));
        },
        &["max resp len exceeded"],
    );
}

#[test]
fn html_instead_of_cmp() {
    scenario(
        |mut s, _, _| {
            let _ = s.write_all(&http_ok(
                b"<html><body>Welcome to our portal</body></html>",
                "text/html",
            ));
        },
        &["content type", "text/html"],
    );
}

#[test]
fn redirect() {
    scenario(
        |mut s, _, _| {
            let _ = s.write_all(
                b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        },
        &["redirection not enabled"],
    );
}

#[test]
fn gigabyte_content_length() {
    scenario(
        |mut s, _, _| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n\
                  Content-Length: 5000000000\r\n\r\n\x30\x82",
            );
            thread::sleep(Duration::from_secs(10));
        },
        &["max resp len exceeded"],
    );
}

#[test]
fn trickling_body() {
    scenario(
        |mut s, req, mock| {
            let resp = forward(mock, &req.body);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: {}\r\n\r\n",
                resp.len()
            );
            let _ = s.write_all(head.as_bytes());
            for b in resp {
                if s.write_all(&[b]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_secs(1));
            }
        },
        &["transfer timeout"],
    );
}

#[test]
fn endless_chunked_body() {
    scenario(
        |mut s, _, _| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n\
                  Transfer-Encoding: chunked\r\n\r\n",
            );
            // Fast enough for no read to time out, forever.
            for _ in 0..100_000 {
                if s.write_all(b"10\r\n0123456789abcdef\r\n").is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(5));
            }
        },
        &["transfer timeout", "max resp len exceeded"],
    );
}

#[test]
fn reset_mid_body() {
    scenario(
        |mut s, req, mock| {
            let resp = forward(mock, &req.body);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: {}\r\n\r\n",
                resp.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&resp[..resp.len() / 3]);
            let _ = s.flush();
            thread::sleep(Duration::from_millis(200));
            reset(s);
        },
        &["failed reading data"],
    );
}

#[test]
fn closed_without_answer() {
    scenario(
        |s, _, _| {
            let _ = s.shutdown(Shutdown::Both);
        },
        &["failed reading data"],
    );
}

#[test]
fn wrong_transaction_id() {
    scenario(
        |mut s, req, mock| {
            let resp = mutate(&forward(mock, &req.body), |m| {
                m.header.transaction_id = Some(OctetString::new(vec![0x42; 16]).expect("tid"));
            });
            let _ = s.write_all(&pkix_ok(&resp));
        },
        &["transactionid unmatched"],
    );
}

#[test]
fn wrong_recip_nonce() {
    scenario(
        |mut s, req, mock| {
            let resp = mutate(&forward(mock, &req.body), |m| {
                m.header.recip_nonce = Some(OctetString::new(vec![0x17; 16]).expect("nonce"));
            });
            let _ = s.write_all(&pkix_ok(&resp));
        },
        &["recipnonce unmatched"],
    );
}

#[test]
fn missing_recip_nonce() {
    scenario(
        |mut s, req, mock| {
            let resp = mutate(&forward(mock, &req.body), |m| m.header.recip_nonce = None);
            let _ = s.write_all(&pkix_ok(&resp));
        },
        &["recipnonce unmatched"],
    );
}

#[test]
fn wrong_sender() {
    // The client names the expected sender with -expect_sender; the mock's sender differs.
    scenario_with(
        |mut s, req, mock| {
            let resp = forward(mock, &req.body);
            let _ = s.write_all(&pkix_ok(&resp));
        },
        &["-expect_sender", "/CN=somebody else"],
        &["unexpected sender"],
    );
}

#[test]
fn forged_sender() {
    // A sender name replaced in transit: an unexpected sender, with -expect_sender naming the real one.
    scenario_with(
        |mut s, req, mock| {
            let resp = mutate(&forward(mock, &req.body), |m| {
                let name: x509_cert::name::Name = "CN=Mallory".parse().expect("name");
                m.header.sender = x509_cert::ext::pkix::name::GeneralName::DirectoryName(name);
            });
            let _ = s.write_all(&pkix_ok(&resp));
        },
        &["-expect_sender", "/CN=Root CA"],
        &["unexpected sender"],
    );
}

#[test]
fn wrong_pvno() {
    scenario(
        |mut s, req, mock| {
            let resp = mutate(&forward(mock, &req.body), |m| m.header.pvno = 7);
            let _ = s.write_all(&pkix_ok(&resp));
        },
        &["unexpected pvno"],
    );
}

#[test]
fn unprotected_positive_response() {
    scenario(
        |mut s, req, mock| {
            let mut m = PkiMessage::from_der_bounded(&forward(mock, &req.body), "mock")
                .expect("mock response");
            m.header.protection_alg = None;
            m.protection = None;
            let _ = s.write_all(&pkix_ok(&m.to_der_vec().expect("encode")));
        },
        &["missing protection"],
    );
}

#[test]
fn wrong_mac() {
    scenario(
        |mut s, req, mock| {
            let mut m = PkiMessage::from_der_bounded(&forward(mock, &req.body), "mock")
                .expect("mock response");
            m.protection = Some(BitString::from_bytes(&[0u8; 32]).expect("bits"));
            let _ = s.write_all(&pkix_ok(&m.to_der_vec().expect("encode")));
        },
        &["wrong pbm value"],
    );
}

#[test]
fn pbm_absurd_iteration_count() {
    scenario(
        |mut s, req, mock| {
            let mut m = PkiMessage::from_der_bounded(&forward(mock, &req.body), "mock")
                .expect("mock response");
            let params = pbm::params_with_salt(
                &[1; 16],
                pbm::Owf::Sha256,
                i64::from(i32::MAX),
                pbm::Mac::HmacSha256,
            )
            .expect("params");
            set_pbm_params(&mut m, &params);
            let _ = s.write_all(&pkix_ok(&m.to_der_vec().expect("encode")));
        },
        &["bad pbm iterationcount"],
    );
}

#[test]
fn pbm_unknown_algorithm() {
    scenario(
        |mut s, req, mock| {
            let mut m = PkiMessage::from_der_bounded(&forward(mock, &req.body), "mock")
                .expect("mock response");
            let mut params =
                pbm::params_with_salt(&[1; 16], pbm::Owf::Sha256, 500, pbm::Mac::HmacSha256)
                    .expect("params");
            params.owf.oid = der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4.5.6.7");
            set_pbm_params(&mut m, &params);
            let _ = s.write_all(&pkix_ok(&m.to_der_vec().expect("encode")));
        },
        &["unsupported algorithm"],
    );
}

#[test]
fn thousands_of_extra_certs() {
    scenario(
        |mut s, req, mock| {
            let resp = mutate(&forward(mock, &req.body), |m| {
                let certs = m.extra_certs.get_or_insert_with(Vec::new);
                let one = certs.first().cloned().expect("mock sends extraCerts");
                certs.extend(std::iter::repeat_n(one, 3000));
            });
            let _ = s.write_all(&pkix_ok(&resp));
        },
        &["max resp len exceeded"],
    );
}

/// An ir (PBM) through a fake server that lets `edit` change the extraCerts of the mock's ip, with
/// `-certout` (and `more` arguments) into a fresh folder. Returns the folder, whether the run
/// succeeded and its description.
fn ir_with_ip_extra_certs(
    edit: impl Fn(&mut Vec<crate::asn1::CmpCertificate>) + Send + Sync + 'static,
    more: impl Fn(&std::path::Path) -> Vec<std::ffi::OsString>,
) -> (tempfile::TempDir, bool, String) {
    let mock = MockServer::start_rcmp("30", &[]);
    let port = fake_server(
        move |mut s, req, mock| {
            let resp = forward(mock, &req.body);
            let m = PkiMessage::from_der_bounded(&resp, "mock").expect("mock response");
            let resp = if matches!(m.body, crate::asn1::body::PkiBody::Ip(_)) {
                mutate(&resp, |m| edit(m.extra_certs.get_or_insert_with(Vec::new)))
            } else {
                resp
            };
            let _ = s.write_all(&pkix_ok(&resp));
        },
        mock.port(),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = rcmp();
    cmd.args(["-cmd", "ir", "-server"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-ref", "1", "-secret", "pass:test", "-newkey"])
        .arg(corpus_mock_dir("30").join("new.key"))
        .args(["-subject", "/CN=x", "-certout"])
        .arg(dir.path().join("cert.pem"))
        .args(more(dir.path()))
        .args(["-msg_timeout", "2", "-total_timeout", "5", "-config", ""]);
    let out = run_timeout(&mut cmd, Duration::from_secs(30));
    let what = describe(&cmd, &out);
    (dir, out.status.success(), what)
}

/// Enroll through a fake server that adds `count` copies of `extra` (DER; None: the mock's first
/// extraCert) to the ip's extraCerts; the enrollment must succeed with a warning naming `total`.
fn enroll_with_extra_certs(extra: Option<Vec<u8>>, count: usize, total: usize) {
    let edit = move |certs: &mut Vec<crate::asn1::CmpCertificate>| {
        let one = match &extra {
            Some(der) => crate::asn1::CmpCertificate::from_der(der).expect("extra cert"),
            None => certs.first().cloned().expect("mock sends extraCerts"),
        };
        certs.extend(std::iter::repeat_n(one, count));
    };
    let (dir, ok, what) = ir_with_ip_extra_certs(edit, |_| Vec::new());
    assert!(ok, "enrollment fails\n{what}");
    assert!(
        what.contains(&format!("received CMP message contains {total} extraCerts")),
        "no warning about the many extraCerts\n{what}"
    );
    assert!(
        dir.path().join("cert.pem").is_file(),
        "no certificate written\n{what}"
    );
}

/// A certificate that is BER but not DER (an explicit DEFAULT version) in the ip's extraCerts is
/// saved by `-extracertsout` with the bytes it came as, as OpenSSL saves it: encoding the decoded
/// form again would change the signed bytes.
#[test]
fn extracertsout_keeps_a_ber_certificate_as_sent() {
    let ber = crate::asn1::certrep::tests::explicit_v1_cert();
    let injected = ber.clone();
    let edit = move |certs: &mut Vec<crate::asn1::CmpCertificate>| {
        certs.push(crate::asn1::CmpCertificate::from_der(&injected).expect("BER cert"));
    };
    let (dir, ok, what) = ir_with_ip_extra_certs(edit, |d| {
        vec!["-extracertsout".into(), d.join("extra.pem").into()]
    });
    assert!(ok, "enrollment fails\n{what}");
    let saved = std::fs::read(dir.path().join("extra.pem")).expect("extraCerts file");
    let saved: Vec<Vec<u8>> = crate::creds::pem::parse(&saved)
        .filter_map(|b| b.ok().map(|b| b.der))
        .collect();
    assert!(
        saved.contains(&ber),
        "the BER certificate is not saved as sent ({} certificates saved)\n{what}",
        saved.len()
    );
}

#[test]
fn many_extra_certs_within_the_size_limit() {
    // Sixty extraCerts fit under the 100 kB response limit: the client must cope (warn, skip the
    // duplicates) and still enroll.
    enroll_with_extra_certs(None, 60, 62);
}

#[test]
fn hundreds_of_small_extra_certs_within_the_size_limit() {
    // 250 small (P-256, self-signed) certificates fit under the 100 kB response limit; OpenSSL accepts
    // such an answer, so rcmp must too (an earlier count limit of 100 refused it).
    let dir = tempfile::tempdir().expect("temp dir");
    let small = dir.path().join("small.der");
    let mut gen = openssl();
    gen.args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ])
    .arg("-keyout")
    .arg(dir.path().join("small.key"))
    .args(["-subj", "/CN=s", "-days", "1", "-outform", "DER", "-out"])
    .arg(&small);
    run_ok(&mut gen);
    let small = std::fs::read(&small).expect("small cert");
    enroll_with_extra_certs(Some(small), 250, 252);
}

#[test]
fn waiting_forever_bounded_by_total_timeout() {
    // The real mock answers `waiting` to far more polls than the total timeout allows.
    let mock = MockServer::start_rcmp("30", &["-poll_count", "1000", "-check_after", "1"]);
    let port = fake_server(
        |mut s, req, mock| {
            let resp = forward(mock, &req.body);
            let _ = s.write_all(&pkix_ok(&resp));
        },
        mock.port(),
    );
    let o = run_ir(port, &[]);
    assert_says(&o, &["total timeout"]);
    assert!(
        o.stdout.contains("sending POLLREQ"),
        "the client polled:\n{}",
        o.stdout
    );
}

// ================================================================================================
// Regressions for the classes of bugs OpenSSL's CMP code shipped fixes for (docs/ROBUSTNESS.md,
// "Regression tests for OpenSSL's fix classes"). Each scenario would pass a client with the bug.

/// Runs `cmd` (already aimed at the fake server, its output files in the folder of `guarded`) after
/// pre-creating `guarded` with [`OLD_CERTOUT`], and checks the failure rules.
fn run_failing(mut cmd: Command, guarded: &Path) -> Outcome {
    std::fs::write(guarded, OLD_CERTOUT).expect("pre-create guarded output");
    cmd.args(["-msg_timeout", "5", "-total_timeout", "20"]);
    let out = run_timeout(&mut cmd, Duration::from_secs(60));
    check_failure(&cmd, &out, guarded, OLD_CERTOUT)
}

// ---------------------------------------------------------------- a. rp for a CSR-based rr
//
// OpenSSL 3.5 lets `-cmd rr` take `-csr` instead of `-oldcert`; the rr's CertTemplate then has no
// serialNumber and no issuer. OpenSSL's client compared the rp's revCerts CertId with those absent
// fields (crypto/cmp/cmp_client.c, OSSL_CMP_exec_RR_ses: ASN1_INTEGER_cmp on a NULL serial), the
// class fixed there. An rp must be checked field by field whatever the template holds.

/// An rr (`-csr` or `-oldcert`) through the fake server, whose rp gets `edit`ed; by rcmp, or by
/// OpenSSL 3.5 with `openssl35_client`.
fn rr_run(
    edit: fn(&mut crate::asn1::RevRepContent),
    csr_based: bool,
    openssl35_client: bool,
) -> (Command, Output) {
    let mock = MockServer::start_rcmp("latest", &[]);
    let port = fake_server(
        move |mut s, req, mock| {
            let resp = forward(mock, &req.body);
            let resp = mutate(&resp, |m| {
                if let crate::asn1::PkiBody::Rp(rp) = &mut m.body {
                    edit(rp);
                }
            });
            let _ = s.write_all(&pkix_ok(&resp));
        },
        mock.port(),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = if openssl35_client {
        let mut c = openssl35();
        c.arg("cmp");
        c
    } else {
        rcmp()
    };
    cmd.current_dir(dir.path())
        .args(["-config", "", "-cmd", "rr", "-server"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-ref", "1", "-secret", "pass:test", "-recipient", "/CN=x"])
        .arg(if csr_based { "-csr" } else { "-oldcert" })
        .arg(corpus_mock_dir("latest").join(if csr_based {
            "csr.pem"
        } else {
            "signer_only.crt"
        }))
        .args(["-msg_timeout", "5", "-total_timeout", "20"]);
    let out = run_timeout(&mut cmd, Duration::from_secs(60));
    drop(mock);
    (cmd, out)
}

fn rr_scenario(edit: fn(&mut crate::asn1::RevRepContent), csr_based: bool, words: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let guarded = dir.path().join("untouched.txt");
    std::fs::write(&guarded, OLD_CERTOUT).expect("write");
    let (cmd, out) = rr_run(edit, csr_based, false);
    let o = check_failure(&cmd, &out, &guarded, OLD_CERTOUT);
    assert_says(&o, words);
    // OpenSSL 3.5 refuses the same rp.
    let (cmd, out) = rr_run(edit, csr_based, true);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
}

fn cert_id(serial: u8, issuer: &str) -> crate::asn1::CertId {
    crate::asn1::CertId {
        issuer: x509_cert::ext::pkix::name::GeneralName::DirectoryName(
            issuer.parse().expect("name"),
        ),
        serial_number: x509_cert::serial_number::SerialNumber::new(&[serial]).expect("serial"),
    }
}

#[test]
fn rp_with_empty_status_sequence() {
    rr_scenario(|rp| rp.status.clear(), true, &["wrong rp component count"]);
}

#[test]
fn rp_with_more_statuses_than_requested() {
    rr_scenario(
        |rp| rp.status.push(rp.status[0].clone()),
        true,
        &["wrong rp component count"],
    );
}

#[test]
fn rp_with_revcerts_for_csr_based_rr() {
    // The request named no serial or issuer, so there is nothing to compare a CertId with: OpenSSL
    // 3.5 accepts the rp (after its fix it no longer compares with the absent fields), and so must we.
    for openssl in [false, true] {
        let (cmd, out) = rr_run(
            |rp| rp.rev_certs = Some(vec![cert_id(7, "CN=Root CA")]),
            true,
            openssl,
        );
        let what = describe(&cmd, &out);
        assert!(out.status.success(), "{what}");
        assert!(
            what.contains("revocation accepted (PKIStatus=accepted)"),
            "{what}"
        );
    }
}

#[test]
fn rp_with_two_revcerts() {
    rr_scenario(
        |rp| rp.rev_certs = Some(vec![cert_id(7, "CN=Root CA"), cert_id(8, "CN=Root CA")]),
        true,
        &["wrong rp component count"],
    );
}

#[test]
fn rp_revcerts_with_wrong_serial() {
    rr_scenario(
        |rp| {
            let ids = rp
                .rev_certs
                .as_mut()
                .expect("the mock names the revoked cert");
            ids[0].serial_number =
                x509_cert::serial_number::SerialNumber::new(&[0x42]).expect("serial");
        },
        false,
        &["wrong serial in rp"],
    );
}

#[test]
fn rp_revcerts_with_wrong_issuer() {
    rr_scenario(
        |rp| {
            let ids = rp
                .rev_certs
                .as_mut()
                .expect("the mock names the revoked cert");
            ids[0].issuer = cert_id(1, "CN=Somebody Else").issuer;
        },
        false,
        &["wrong certid in rp"],
    );
}

#[test]
fn rp_without_revcerts_is_accepted() {
    // revCerts is optional: an rp without it, for either kind of rr, is a successful revocation.
    for csr_based in [true, false] {
        let (cmd, out) = rr_run(|rp| rp.rev_certs = None, csr_based, false);
        let what = describe(&cmd, &out);
        assert!(out.status.success(), "{what}");
        assert!(
            what.contains("revocation accepted (PKIStatus=accepted)"),
            "{what}"
        );
    }
}

// ---------------------------------------------------------------- b. rootCaKeyUpdate validation
//
// OpenSSL's CVE-2026-42769 (fixed in 3.5.7, crypto/cmp/cmp_genm.c, selfsigned_verify_cb): the chain
// built for newWithNew put newWithOld where the trusted old root belonged, so newWithOld's signature
// was never checked and any self-signed certificate carrying the old root's name became the new
// trust anchor. Here the link must verify with the old root's key, newWithNew must be the very
// certificate the link vouches for, and oldWithNew must verify with the new key.

/// Certificates of a root key rollover, made with `openssl` (EC P-256): all named `/CN=Test Root`,
/// as a real rollover keeps the name, so only keys and signatures tell them apart.
struct Rollover {
    dir: tempfile::TempDir,
}

impl Rollover {
    fn new() -> Rollover {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        std::fs::write(
            d.join("ext.cnf"),
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .expect("ext.cnf");
        for name in ["old", "new", "evil"] {
            let mut c = openssl();
            c.current_dir(d)
                .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
                .args([
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-subj",
                    "/CN=Test Root",
                ])
                .args(["-days", "3650", "-keyout", &format!("{name}.key")])
                .args(["-out", &format!("{name}.pem")])
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
            run_ok(&mut c);
            let mut c = openssl();
            c.current_dir(d)
                .args(["x509", "-x509toreq", "-in", &format!("{name}.pem")])
                .args([
                    "-signkey",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                ]);
            run_ok(&mut c);
        }
        // subject key signed by issuer key: newWithOld, oldWithNew, and forgeries.
        for (out, subject, issuer, serial) in [
            ("new_with_old", "new", "old", "100"),
            ("old_with_new", "old", "new", "101"),
            ("new_with_evil", "new", "evil", "102"),
            ("old_with_evil", "old", "evil", "103"),
            ("evil_with_new", "evil", "new", "104"),
        ] {
            let mut c = openssl();
            c.current_dir(d)
                .args(["x509", "-req", "-in", &format!("{subject}.csr")])
                .args([
                    "-CA",
                    &format!("{issuer}.pem"),
                    "-CAkey",
                    &format!("{issuer}.key"),
                ])
                .args([
                    "-set_serial",
                    serial,
                    "-days",
                    "3650",
                    "-extfile",
                    "ext.cnf",
                ])
                .args(["-out", &format!("{out}.pem")]);
            run_ok(&mut c);
        }
        Rollover { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.pem"))
    }

    fn cert(&self, name: &str) -> crate::asn1::CmpCertificate {
        use der::{DecodePem, Encode};
        let pem = std::fs::read(self.path(name)).expect("read cert");
        let der = x509_cert::Certificate::from_pem(&pem)
            .and_then(|c| c.to_der())
            .expect("PEM cert");
        crate::asn1::CmpCertificate::from_der(&der).expect("DER cert")
    }
}

/// A genm rootCaCert through the fake server, whose genp is replaced by a rootCaKeyUpdate with the
/// named certificates of `r`. Returns the command (not yet run), the output folder and the
/// `-newwithnew` file.
fn root_update_client(
    r: &Rollover,
    nwn: &str,
    nwo: Option<&str>,
    own: Option<&str>,
    openssl35_client: bool,
) -> (Command, tempfile::TempDir, PathBuf, MockServer) {
    let content = crate::asn1::RootCaKeyUpdateContent {
        new_with_new: r.cert(nwn),
        new_with_old: nwo.map(|n| r.cert(n)),
        old_with_new: own.map(|n| r.cert(n)),
    };
    let itav = crate::asn1::InfoTypeAndValue::with_value(
        crate::asn1::oid::IT_ROOT_CA_KEY_UPDATE,
        &content,
    )
    .expect("itav");
    let mock = MockServer::start_rcmp("latest", &[]);
    let port = fake_server(
        move |mut s, req, mock| {
            let resp = mutate(&forward(mock, &req.body), |m| {
                if matches!(m.body, crate::asn1::PkiBody::Genp(_)) {
                    m.body = crate::asn1::PkiBody::Genp(vec![itav.clone()]);
                }
            });
            let _ = s.write_all(&pkix_ok(&resp));
        },
        mock.port(),
    );
    let out = tempfile::tempdir().expect("temp dir");
    let nwn_file = out.path().join("newwithnew.pem");
    let mut cmd = if openssl35_client {
        let mut c = openssl35();
        c.arg("cmp");
        c
    } else {
        rcmp()
    };
    cmd.args([
        "-config",
        "",
        "-cmd",
        "genm",
        "-infotype",
        "rootCaCert",
        "-server",
    ])
    .arg(format!("127.0.0.1:{port}"))
    .args(["-ref", "1", "-secret", "pass:test", "-recipient", "/CN=x"])
    .arg("-oldwithold")
    .arg(r.path("old"))
    .arg("-newwithnew")
    .arg(&nwn_file)
    .arg("-newwithold")
    .arg(out.path().join("newwithold.pem"))
    .arg("-oldwithnew")
    .arg(out.path().join("oldwithnew.pem"));
    (cmd, out, nwn_file, mock)
}

fn root_update_refused(nwn: &str, nwo: Option<&str>, own: Option<&str>, openssl_too: bool) {
    let r = Rollover::new();
    let (cmd, _out, nwn_file, _mock) = root_update_client(&r, nwn, nwo, own, false);
    let o = run_failing(cmd, &nwn_file);
    assert_says(&o, &["invalid rootcakeyupdate"]);
    if openssl_too {
        // OpenSSL 3.5 (with the fix) refuses it too; its error lines carry source locations, so only
        // the exit code and the untouched files are compared.
        let (mut cmd, out, nwn_file, _mock) = root_update_client(&r, nwn, nwo, own, true);
        std::fs::write(&nwn_file, OLD_CERTOUT).expect("pre-create");
        let o = run_timeout(&mut cmd, Duration::from_secs(60));
        let what = describe(&cmd, &o);
        assert_eq!(o.status.code(), Some(1), "{what}");
        assert!(what.contains("invalid rootcakeyupdate"), "{what}");
        assert_eq!(files_in(out.path()), vec![nwn_file.clone()], "{what}");
        assert_eq!(
            std::fs::read(&nwn_file).expect("read"),
            OLD_CERTOUT,
            "{what}"
        );
    }
}

#[test]
fn root_update_correct_rollover_is_saved() {
    let r = Rollover::new();
    for openssl35_client in [false, true] {
        let (mut cmd, out, nwn_file, _mock) = root_update_client(
            &r,
            "new",
            Some("new_with_old"),
            Some("old_with_new"),
            openssl35_client,
        );
        cmd.args(["-msg_timeout", "5", "-total_timeout", "20"]);
        let o = run_timeout(&mut cmd, Duration::from_secs(60));
        let what = describe(&cmd, &o);
        assert!(o.status.success(), "{what}");
        for (file, sent) in [
            (nwn_file.clone(), "new"),
            (out.path().join("newwithold.pem"), "new_with_old"),
            (out.path().join("oldwithnew.pem"), "old_with_new"),
        ] {
            use der::DecodePem;
            let got = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}: {what}"));
            let got = x509_cert::Certificate::from_pem(&got).expect("saved PEM");
            assert_eq!(got, *r.cert(sent), "{} differs\n{what}", file.display());
        }
    }
}

#[test]
fn root_update_self_signed_link_is_refused() {
    // CVE-2026-42769's attack: a fresh key pair, a self-signed "new root" and a "link" that only
    // carries the old root's name, signed by the fresh key instead of the old root's.
    root_update_refused("evil", Some("evil"), None, true);
}

#[test]
fn root_update_link_signed_by_wrong_key_is_refused() {
    root_update_refused("new", Some("new_with_evil"), None, true);
}

#[test]
fn root_update_new_cert_not_vouched_by_link_is_refused() {
    // A genuine link for the new key, but newWithNew is another self-signed certificate.
    root_update_refused("evil", Some("new_with_old"), None, true);
    // newWithNew signed by the new key but carrying a different key: the link does not vouch for
    // it (OpenSSL 3.5 accepts this one, as it checks only the signature; rcmp is stricter).
    root_update_refused("evil_with_new", Some("new_with_old"), None, false);
}

#[test]
fn root_update_without_link_needs_the_old_key() {
    // No newWithOld: newWithNew itself must be signed by the old root; a self-signed certificate with
    // the old root's name is not.
    root_update_refused("evil", None, None, true);
}

#[test]
fn root_update_old_with_new_signed_by_wrong_key_is_refused() {
    root_update_refused("new", Some("new_with_old"), Some("old_with_evil"), true);
}

// ---------------------------------------------------------------- c. key delivery (central keygen)
//
// OpenSSL's CVE-2026-42767 (fixed in 3.5.7, crypto/crmf/crmf_lib.c): an EncryptedValue whose symmAlg
// had no parameters crashed the client. rcmp does not take EncryptedValue at all; every malformed
// privateKey, EncryptedValue or EnvelopedData must end in one precise error, and neither -certout
// nor -newkeyout may be written.

use der::asn1::Any;
use der::{Decode, Encode};

/// `[0] IMPLICIT` EnvelopedData as CertifiedKeyPair.privateKey carries it, from the SEQUENCE's DER.
fn implicit0(seq_der: &[u8]) -> Any {
    let seq = Any::from_der(seq_der).expect("SEQUENCE");
    Any::new(
        der::Tag::ContextSpecific {
            constructed: true,
            number: der::TagNumber(0),
        },
        seq.value(),
    )
    .expect("[0]")
}

/// The EnvelopedData of a privateKey, decoded.
fn enveloped(any: &Any) -> cms::enveloped_data::EnvelopedData {
    match crate::asn1::EncryptedKey::from_any(any).expect("EncryptedKey") {
        crate::asn1::EncryptedKey::EnvelopedData(d) => {
            cms::enveloped_data::EnvelopedData::from_der(&d).expect("EnvelopedData")
        }
        crate::asn1::EncryptedKey::EncryptedValue(_) => panic!("mock sent EncryptedValue"),
    }
}

type KeyEdit = fn(&mut Option<Any>);

/// A `cr -centralkeygen` through the fake server, whose ip's privateKey gets `edit`ed; the ip is
/// re-signed with the mock's own key. `guard_key`: pre-create -newkeyout instead of -certout.
fn ckg_scenario(edit: KeyEdit, guard_key: bool, words: &[&str]) {
    let mock = MockServer::start_rcmp("latest", &[]);
    let key_pem = std::fs::read(mock.dir().join("server.key")).expect("server.key");
    let srv_key =
        crate::creds::key::key_from_bytes(&key_pem, None, "server.key", "key").expect("server key");
    let port = fake_server(
        move |mut s, req, mock| {
            let resp = forward(mock, &req.body);
            let mut m = PkiMessage::from_der_bounded(&resp, "mock").expect("mock response");
            if let crate::asn1::PkiBody::Cp(rep) = &mut m.body {
                let ckp = rep.response[0]
                    .certified_key_pair
                    .as_mut()
                    .expect("certifiedKeyPair");
                edit(&mut ckp.private_key);
                let part = protected_part_der(&m.header, &m.body).expect("protected part");
                let (alg, bits) =
                    crate::protect::sig::protect(&srv_key, crate::creds::Digest::Sha256, &part)
                        .expect("sign");
                m.header.protection_alg = Some(alg);
                m.protection = Some(bits);
            }
            let _ = s.write_all(&pkix_ok(&m.to_der_vec().expect("encode")));
        },
        mock.port(),
    );
    let out = tempfile::tempdir().expect("temp dir");
    let (certout, keyout) = (out.path().join("c.pem"), out.path().join("k.pem"));
    let mut cmd = rcmp();
    cmd.current_dir(mock.dir())
        .args(["-config", "test.cnf", "-section", "Mock commands"])
        .arg("-server")
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-proxy",
            "",
            "-no_proxy",
            "127.0.0.1",
            "-cmd",
            "cr",
            "-centralkeygen",
        ])
        .arg("-certout")
        .arg(&certout)
        .arg("-newkeyout")
        .arg(&keyout);
    let o = run_failing(cmd, if guard_key { &keyout } else { &certout });
    assert_says(&o, words);
}

#[test]
fn ckg_private_key_of_wrong_type() {
    ckg_scenario(
        |k| *k = Some(Any::new(der::Tag::OctetString, b"garbage".to_vec()).expect("any")),
        false,
        &["failed extracting central gen key"],
    );
}

#[test]
fn ckg_enveloped_data_garbage_and_truncated() {
    ckg_scenario(
        |k| *k = Some(implicit0(&[0x30, 0x03, 0x02, 0x01, 0x05])),
        true,
        &["failed extracting central gen key: EnvelopedData"],
    );
    ckg_scenario(
        |k| {
            let v = k.as_ref().expect("key").value().to_vec();
            let mut seq = vec![0x30, 0x82];
            let half = &v[..v.len() / 2];
            seq.extend_from_slice(&(half.len() as u16).to_be_bytes());
            seq.extend_from_slice(half);
            *k = Some(implicit0(&seq));
        },
        false,
        &["failed extracting central gen key: EnvelopedData"],
    );
}

#[test]
fn ckg_enveloped_data_without_recipients() {
    ckg_scenario(
        |k| {
            let mut env = enveloped(k.as_ref().expect("key"));
            env.recip_infos = cms::enveloped_data::RecipientInfos(der::asn1::SetOfVec::new());
            *k = Some(implicit0(&env.to_der().expect("der")));
        },
        false,
        &["no supported recipient info"],
    );
}

fn edit_ktri(k: &mut Option<Any>, f: fn(&mut cms::enveloped_data::KeyTransRecipientInfo)) {
    let mut env = enveloped(k.as_ref().expect("key"));
    let mut ris: Vec<_> = env.recip_infos.0.into_vec();
    if let cms::enveloped_data::RecipientInfo::Ktri(ktri) = &mut ris[0] {
        f(ktri);
    }
    env.recip_infos =
        cms::enveloped_data::RecipientInfos(der::asn1::SetOfVec::try_from(ris).expect("set"));
    *k = Some(implicit0(&env.to_der().expect("der")));
}

#[test]
fn ckg_recipient_info_for_someone_else() {
    // The key is still encrypted to our key, but the recipient info names another certificate: a
    // client that tries its key on any recipient info would take it (and be a padding oracle).
    ckg_scenario(
        |k| {
            edit_ktri(k, |ktri| {
                if let cms::enveloped_data::RecipientIdentifier::IssuerAndSerialNumber(isn) =
                    &mut ktri.rid
                {
                    isn.serial_number =
                        x509_cert::serial_number::SerialNumber::new(&[0x3a, 0x99]).expect("sn");
                }
            })
        },
        true,
        &["no recipient info for the client's certificate"],
    );
}

#[test]
fn ckg_encrypted_key_of_wrong_length_or_corrupted() {
    ckg_scenario(
        |k| {
            edit_ktri(k, |ktri| {
                let b = ktri.enc_key.as_bytes();
                ktri.enc_key = OctetString::new(&b[..b.len() - 1]).expect("octets");
            })
        },
        false,
        &["cannot decrypt the content-encryption key"],
    );
    ckg_scenario(
        |k| {
            edit_ktri(k, |ktri| {
                let mut b = ktri.enc_key.as_bytes().to_vec();
                b[10] ^= 0x55;
                ktri.enc_key = OctetString::new(b).expect("octets");
            })
        },
        true,
        &["cannot decrypt the content-encryption key"],
    );
}

#[test]
fn ckg_wrong_content_type_or_content() {
    ckg_scenario(
        |k| {
            let mut env = enveloped(k.as_ref().expect("key"));
            // id-encryptedData instead of the SignedData (labelled id-data by OpenSSL).
            env.encrypted_content.content_type =
                der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
            *k = Some(implicit0(&env.to_der().expect("der")));
        },
        false,
        &["unexpected content type"],
    );
    ckg_scenario(
        |k| {
            let mut env = enveloped(k.as_ref().expect("key"));
            env.encrypted_content.encrypted_content = None;
            *k = Some(implicit0(&env.to_der().expect("der")));
        },
        true,
        &["no encrypted content"],
    );
    ckg_scenario(
        |k| {
            let mut env = enveloped(k.as_ref().expect("key"));
            let ct = env
                .encrypted_content
                .encrypted_content
                .as_ref()
                .expect("ct");
            let mut b = ct.as_bytes().to_vec();
            let n = b.len();
            b[n - 1] ^= 0x01;
            b[n - 20] ^= 0x80;
            env.encrypted_content.encrypted_content = Some(OctetString::new(b).expect("octets"));
            *k = Some(implicit0(&env.to_der().expect("der")));
        },
        false,
        &[
            "content decryption failed",
            "not a SignedData",
            "SignedData",
        ],
    );
}

#[test]
fn ckg_encrypted_value_is_refused_clearly() {
    // The shape of CVE-2026-42767: EncryptedValue { [1] symmAlg aes128-CBC without parameters,
    // [2] encSymmKey, encValue }.
    ckg_scenario(
        |k| {
            let ev = [
                0x30, 0x19, // EncryptedValue
                0xa1, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01,
                0x02, // [1] IMPLICIT symmAlg: aes128-CBC, no parameters
                0x82, 0x03, 0x00, 0x01, 0x02, // [2] IMPLICIT encSymmKey
                0x03, 0x05, 0x00, 0x01, 0x02, 0x03, 0x04, // encValue
            ];
            *k = Some(Any::from_der(&ev).expect("EncryptedValue"));
        },
        true,
        &["EncryptedValue is not supported"],
    );
}
