//! The HTTPS mock server (`-srv_tls_cert`, `-srv_tls_key`, `-srv_tls_trusted`, rcmp extensions) with
//! real clients: `openssl cmp -tls_used` of OpenSSL 3.0 and 3.5, and rcmp's own client. The TLS
//! certificates are made with the `openssl` command line for each run. Needs `openssl` and OpenSSL
//! 3.5 (shared tools); fails loudly without them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{describe, openssl, openssl35, rcmp, run, run_fail, run_ok, MockServer};

/// A throw-away TLS PKI: a CA, a server certificate for 127.0.0.1, a client certificate from the CA
/// and one from another CA.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::Builder::new()
            .prefix("rcmp-tls-")
            .tempdir()
            .unwrap();
        let pki = Pki { dir };
        pki.ca("ca");
        pki.ca("other_ca");
        pki.leaf(
            "srv",
            "ca",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
        );
        pki.leaf(
            "cli",
            "ca",
            "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n",
        );
        pki.leaf(
            "stranger",
            "other_ca",
            "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n",
        );
        pki
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn openssl(&self, args: &[&str]) {
        let mut c = openssl();
        c.current_dir(self.dir.path()).args(args);
        run_ok(&mut c);
    }

    /// `openssl req` making a new P-256 key `<name>.key` and, with `what`, a CA certificate or a CSR.
    fn new_key(&self, name: &str, what: &[&str]) {
        let (key, subj) = (format!("{name}.key"), format!("/CN={name}"));
        let mut args = vec![
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ];
        args.extend_from_slice(&["-nodes", "-keyout", &key, "-subj", &subj]);
        args.extend_from_slice(what);
        self.openssl(&args);
    }

    fn ca(&self, name: &str) {
        let crt = format!("{name}.crt");
        self.new_key(
            name,
            &[
                "-x509",
                "-out",
                &crt,
                "-days",
                "30",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
    }

    fn leaf(&self, name: &str, ca: &str, ext: &str) {
        std::fs::write(self.dir.path().join(format!("{name}.ext")), ext).unwrap();
        self.new_key(name, &["-out", &format!("{name}.csr")]);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-set_serial",
            "2",
            "-days",
            "30",
            "-out",
            &format!("{name}.crt"),
            "-extfile",
            &format!("{name}.ext"),
        ]);
    }

    /// Our mock serving HTTPS, with `extra` options.
    fn mock(&self, extra: &[&str]) -> MockServer {
        let (cert, key) = (self.path("srv.crt"), self.path("srv.key"));
        let mut args = vec!["-srv_tls_cert", &cert, "-srv_tls_key", &key];
        args.extend_from_slice(extra);
        MockServer::start_rcmp("latest", &args)
    }
}

/// `cmd` (a CMP client ready for options) enrolls with PBM against `srv`; returns the outcome and
/// where the certificate was to go.
fn enroll(srv: &MockServer, cmd: Command, extra: &[&str]) -> (std::process::Output, PathBuf) {
    let cert = srv.out_dir().join("cert.pem");
    let _ = std::fs::remove_file(&cert);
    // `extra` names the server again (https:// or not): as in OpenSSL, the last -server wins.
    let mut cmd = common::pbm_ir(srv, cmd, "/CN=tls");
    cmd.args(["-msg_timeout", "20", "-certout"])
        .arg(&cert)
        .args(extra);
    let out = run(&mut cmd);
    assert!(
        out.status.code().is_some(),
        "client did not exit by itself\n{}",
        describe(&cmd, &out)
    );
    (out, cert)
}

fn openssl_cmp(v35: bool) -> Command {
    let mut c = if v35 { openssl35() } else { openssl() };
    c.arg("cmp");
    c
}

fn assert_enrolled(out: &std::process::Output, cert: &Path, srv: &MockServer) {
    assert!(
        out.status.success() && cert.is_file(),
        "enrollment over TLS failed\nexit {:?}\n{}{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        srv.logs()
    );
}

fn assert_refused(out: &std::process::Output, cert: &Path, srv: &MockServer) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected the TLS connection to be refused\n{}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        srv.logs()
    );
    assert!(!cert.exists());
}

#[test]
fn openssl_clients_enroll_over_tls() {
    let pki = Pki::new();
    let srv = pki.mock(&[]);
    let server = srv.server_arg();
    let ca = pki.path("ca.crt");
    for v35 in [true, false] {
        let args = ["-server", &server, "-tls_used", "-tls_trusted", &ca];
        let (out, cert) = enroll(&srv, openssl_cmp(v35), &args);
        assert_enrolled(&out, &cert, &srv);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("will contact https://{server}/")),
            "{stdout}"
        );
    }
    // A server certificate from another CA is refused by the client, as it should be.
    let other = pki.path("other_ca.crt");
    let args = ["-server", &server, "-tls_used", "-tls_trusted", &other];
    let (out, cert) = enroll(&srv, openssl_cmp(true), &args);
    assert_refused(&out, &cert, &srv);
}

#[test]
fn rcmp_client_enrolls_over_tls() {
    let pki = Pki::new();
    let srv = pki.mock(&[]);
    let url = format!("https://{}", srv.server_arg());
    let ca = pki.path("ca.crt");
    let (out, cert) = enroll(&srv, rcmp(), &["-server", &url, "-tls_trusted", &ca]);
    assert_enrolled(&out, &cert, &srv);
    // Plain HTTP to the HTTPS mock fails, and the mock says why.
    let (out, cert) = enroll(&srv, rcmp(), &["-server", &srv.server_arg()]);
    assert_refused(&out, &cert, &srv);
    assert!(
        srv.logs()
            .contains("CMP warning: TLS connection with client failed: "),
        "{}",
        srv.logs()
    );
}

/// With `-srv_tls_trusted` the mock requires a client certificate from those trust anchors.
#[test]
fn client_certificates_are_required_and_checked() {
    let pki = Pki::new();
    let ca = pki.path("ca.crt");
    let srv = pki.mock(&["-srv_tls_trusted", &ca]);
    let server = srv.server_arg();
    let (cli, cli_key) = (pki.path("cli.crt"), pki.path("cli.key"));
    let base = ["-server", &server, "-tls_used", "-tls_trusted", &ca];
    let with = |cert: &str, key: &str| {
        let mut v = base.to_vec();
        v.extend_from_slice(&["-tls_cert", cert, "-tls_key", key]);
        v.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let args = with(&cli, &cli_key);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for v35 in [true, false] {
        let (out, cert) = enroll(&srv, openssl_cmp(v35), &args);
        assert_enrolled(&out, &cert, &srv);
    }
    let (out, cert) = enroll(&srv, rcmp(), &args);
    assert_enrolled(&out, &cert, &srv);

    // No client certificate: refused.
    let (out, cert) = enroll(&srv, openssl_cmp(true), &base);
    assert_refused(&out, &cert, &srv);
    let (out, cert) = enroll(&srv, rcmp(), &base);
    assert_refused(&out, &cert, &srv);
    // A client certificate from another CA: refused.
    let (s, s_key) = (pki.path("stranger.crt"), pki.path("stranger.key"));
    let args = with(&s, &s_key);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, cert) = enroll(&srv, openssl_cmp(true), &args);
    assert_refused(&out, &cert, &srv);
    let logs = srv.logs();
    assert!(
        logs.contains("TLS connection with client failed: peer sent no certificates"),
        "{logs}"
    );
    assert!(
        logs.contains("TLS connection with client failed: invalid peer certificate"),
        "{logs}"
    );
}

/// Mistakes in the TLS options stop the server before it listens, with one clear error.
#[test]
fn bad_tls_options_are_refused() {
    let pki = Pki::new();
    let dir = common::corpus_mock_dir("latest");
    let (srv_crt, srv_key, cli_key, ca) = (
        pki.path("srv.crt"),
        pki.path("srv.key"),
        pki.path("cli.key"),
        pki.path("ca.crt"),
    );
    for (extra, want) in [
        (
            vec!["-port", "0", "-srv_tls_cert", &srv_crt, "-srv_tls_key", &cli_key],
            "CMP error: -srv_tls_key does not match the certificate of -srv_tls_cert".to_string(),
        ),
        (
            vec!["-port", "0", "-srv_tls_cert", &srv_crt],
            "CMP error: must give both -srv_tls_cert and -srv_tls_key options or neither"
                .to_string(),
        ),
        (
            vec!["-port", "0", "-srv_tls_key", &srv_key],
            "CMP error: must give both -srv_tls_cert and -srv_tls_key options or neither"
                .to_string(),
        ),
        (
            vec!["-port", "0", "-srv_tls_trusted", &ca],
            "CMP error: -srv_tls_trusted option requires -srv_tls_cert".to_string(),
        ),
        (
            vec!["-port", "0", "-srv_tls_cert", &srv_key, "-srv_tls_key", &srv_key],
            format!(
                "CMP error: -srv_tls_cert: cannot load mock server TLS certificate from '{srv_key}': no certificate found in PEM file"
            ),
        ),
        (
            vec!["-use_mock_srv", "-cmd", "genm", "-srv_tls_cert", &srv_crt],
            "CMP error: -srv_tls_cert option requires -port".to_string(),
        ),
    ] {
        let mut c = rcmp();
        c.current_dir(&dir)
            .args(["-config", "", "-srv_ref", "1234", "-srv_secret", "pass:test"])
            .args(&extra);
        let out = run_fail(&mut c);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&c, &out));
        assert!(
            stderr.lines().any(|l| l == want),
            "wanted {want}\n{}",
            describe(&c, &out)
        );
        assert!(!stdout.contains("ACCEPT"), "{}", describe(&c, &out));
    }
}

/// `-max_msgs` counts TLS requests as plain ones: after ir and certConf the HTTPS mock stops by itself,
/// and the client has its certificate.
#[test]
fn max_msgs_ends_the_https_mock() {
    let pki = Pki::new();
    let srv = pki.mock(&["-max_msgs", "2"]);
    let ca = pki.path("ca.crt");
    let args = [
        "-server",
        &srv.server_arg(),
        "-tls_used",
        "-tls_trusted",
        &ca,
    ];
    let (out, cert) = enroll(&srv, openssl_cmp(true), &args);
    assert_enrolled(&out, &cert, &srv);
    let end = std::time::Instant::now() + common::default_timeout();
    while srv.is_running() && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !srv.is_running(),
        "still serving after -max_msgs 2\n{}",
        srv.logs()
    );
}

/// Clients stalled inside the TLS handshake (a partial ClientHello), or sending garbage, hold up
/// nobody: an OpenSSL client enrolls while they wait, and the garbage is logged as a TLS failure.
#[test]
fn stalled_handshakes_block_nobody() {
    use std::io::Write;
    let pki = Pki::new();
    let srv = pki.mock(&[]);
    let addr = srv.server_arg();
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        // A TLS record header announcing a handshake message that never comes.
        s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).unwrap();
        stalled.push(s);
    }
    let mut junk = std::net::TcpStream::connect(&addr).expect("connect");
    junk.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let ca = pki.path("ca.crt");
    let args = ["-server", &addr, "-tls_used", "-tls_trusted", &ca];
    let (out, cert) = enroll(&srv, openssl_cmp(true), &args);
    assert_enrolled(&out, &cert, &srv);
    drop(stalled);
    // The junk was sent first, but nothing orders its handling before the enrollment: wait (bounded).
    let want = "CMP warning: TLS connection with client failed: ";
    let end = std::time::Instant::now() + common::default_timeout();
    while !srv.logs().contains(want) && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(srv.logs().contains(want), "{}", srv.logs());
}
