//! CMP for OpenSSL's old option names: the three commands of the EJBCA guide among the seed documents
//! ("Using CMP with the CMP for OpenSSL tool", 2014) run as written against rcmp's mock server acting
//! as a CA, each old name answered by a warning that names the current option.
//!
//! What the guide's text lost: the `-server` address (its argument is missing in the page, the next
//! word being `-path`), so the mock's address goes there. Its `-path` values are EJBCA CMP aliases;
//! like OpenSSL's, rcmp's mock answers only on `/`, so a small front on loopback plays EJBCA's alias
//! routing: `.../cmp` and `.../alias2` (HMAC authentication) go to a mock with the shared secret,
//! `.../alias1` (certificate authentication) to one without, both on `/`.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

use common::{describe, read_http_message, run, MockServer};

/// The EJBCA alias front: listens on 127.0.0.1 port 0, maps each request's alias path to `/` of the
/// matching mock, one request per connection (the client reconnects). Returns the port.
fn alias_front(hmac_port: u16, cert_port: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind front");
    let port = listener.local_addr().expect("addr").port();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut client) = conn else { continue };
            let _ = client.set_read_timeout(Some(Duration::from_secs(20)));
            let Some(req) = read_http_message(&mut client) else {
                continue;
            };
            let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let text = String::from_utf8_lossy(&req[..end + 4]).to_string();
            let first = text.lines().next().unwrap_or_default().to_string();
            let path = first.split(' ').nth(1).unwrap_or_default().to_string();
            let backend = if path.starts_with("/ejbca/publicweb/cmp/alias1") {
                cert_port
            } else if path.starts_with("/ejbca/publicweb/cmp") {
                hmac_port
            } else {
                let _ = client.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                continue;
            };
            let rewritten = text
                .replacen(&first, &first.replacen(&path, "/", 1), 1)
                .replace("Connection: keep-alive\r\n", "");
            let Ok(mut up) = TcpStream::connect(("127.0.0.1", backend)) else {
                continue;
            };
            let _ = up.set_read_timeout(Some(Duration::from_secs(20)));
            let _ = up.write_all(rewritten.as_bytes());
            let _ = up.write_all(&req[end + 4..]);
            let mut rsp = Vec::new();
            let _ = up.read_to_end(&mut rsp);
            let _ = client.write_all(&rsp);
        }
    });
    port
}

fn openssl_ok(dir: &Path, args: &[&str]) {
    let mut c = common::openssl();
    c.args(args).current_dir(dir);
    let out = run(&mut c);
    assert!(out.status.success(), "{}", describe(&c, &out));
}

/// Splits a command line of the guide into arguments (double quotes group words).
fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The guide's three commands, word for word after `./openssl cmp`; `-server` has lost its value.
const GUIDE: [&str; 3] = [
    r#"-cmd ir -server -path ejbca/publicweb/cmp -srvcert MyCA.cacert.pem -user username -pass password -certout clcert1.pem -newkey key1.pem -keyfmt PEM -certfmt PEM -subject "/CN=username/O=My Organization/C=SE""#,
    r#"-cmd ir -server -path ejbca/publicweb/cmp/alias1 -srvcert MyCA.cacert.pem -cert clcert1.pem -key key1.pem -certout clcert2.pem -newkey key1.pem -keyfmt PEM -certfmt PEM"#,
    r#"-cmd ir -server -path ejbca/publicweb/cmp/alias2 -srvcert MyCA.cacert.pem -user user4711 -pass password -certout clcert1.pem -newkey key1.pem -keyfmt PEM -certfmt PEM -subject "/CN=user4711/O=My Organization/C=SE""#,
];

#[test]
fn ejbca_guide_commands_run_as_written() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    openssl_ok(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "myca.key",
            "-out",
            "MyCA.cacert.pem",
            "-subj",
            "/CN=My CA/O=My Organization/C=SE",
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        ],
    );
    openssl_ok(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "key1.pem",
        ],
    );
    let ca = dir.join("MyCA.cacert.pem").display().to_string();
    let ca_key = dir.join("myca.key").display().to_string();
    // No -rsp_cert: with a CA certificate as -srv_cert, rcmp's mock issues from each request.
    let common_args = [
        "-rsp_cert",
        "",
        "-srv_cert",
        &ca,
        "-srv_key",
        &ca_key,
        "-srv_trusted",
        &ca,
    ];
    let mut hmac_args = common_args.to_vec();
    hmac_args.extend(["-srv_secret", "pass:password"]);
    let mut cert_args = common_args.to_vec();
    cert_args.extend(["-srv_secret", ""]);
    let hmac = MockServer::start_rcmp("latest", &hmac_args);
    let cert = MockServer::start_rcmp("latest", &cert_args);
    let front = format!("127.0.0.1:{}", alias_front(hmac.port(), cert.port()));

    for (i, line) in GUIDE.iter().enumerate() {
        let mut args = split(line);
        let at = args.iter().position(|a| a == "-server").expect("-server") + 1;
        args.insert(at, front.clone());
        let mut c: Command = common::rcmp();
        c.args(["-config", ""]).args(&args).current_dir(dir);
        let out = run(&mut c);
        let shown = format!("{}\n{}\n{}", describe(&c, &out), hmac.logs(), cert.logs());
        assert!(out.status.success(), "command {}: {shown}", i + 1);
        let stdout = String::from_utf8_lossy(&out.stdout);
        for (old, new) in [
            ("user", "ref"),
            ("pass", "secret"),
            ("keyfmt", "keyform"),
            ("certfmt", "certform"),
        ] {
            let given = args.iter().any(|a| a == &format!("-{old}"));
            let warning = format!("CMP warning: -{old} is an old name of -{new}; use -{new}\n");
            assert_eq!(
                stdout.contains(&warning),
                given,
                "-{old} in command {}: {shown}",
                i + 1
            );
        }
        // The password given with -pass appears in no line.
        let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains("password"), "{shown}");
    }
    // The enrolled certificates carry the subjects asked for, issued by the CA.
    for (file, subject) in [
        ("clcert2.pem", "CN = username"),
        ("clcert1.pem", "CN = user4711"),
    ] {
        let mut c = common::openssl();
        c.args(["x509", "-noout", "-subject", "-issuer", "-in", file])
            .current_dir(dir);
        let out = run(&mut c);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(subject) && text.contains("issuer=CN = My CA"),
            "{file}: {text}"
        );
    }
}

/// `-pass` took the password itself, so a value that looks like a pass phrase source is still the
/// password (`pass:password` is not `password`): the mock refuses the request's protection.
#[test]
fn pass_takes_the_password_itself() {
    let hmac = MockServer::start_rcmp("latest", &["-srv_secret", "pass:password", "-srv_ref", "r"]);
    for (pass, want) in [("password", 0), ("pass:password", 1)] {
        let mut c = common::rcmp();
        c.args(["-config", "", "-server", &hmac.server_arg(), "-cmd", "genm"])
            .args(["-user", "r", "-pass", pass])
            .current_dir(hmac.dir());
        let out = run(&mut c);
        assert_eq!(
            out.status.code(),
            Some(want),
            "{}\n{}",
            describe(&c, &out),
            hmac.logs()
        );
    }
}

/// Old names are no options of OpenSSL: `-help` does not list them, and the current names still win
/// when both are given (the last one given wins, as for any repeated option).
#[test]
fn old_names_are_hidden_and_behave_as_the_current_option() {
    let mut c = common::rcmp();
    c.args(["-config", "", "-help"]);
    let help = String::from_utf8_lossy(&run(&mut c).stderr).to_string();
    for old in ["-user ", "-pass ", "-keyfmt ", "-certfmt ", "-extcerts "] {
        assert!(!help.contains(old), "{old}");
    }
    let mut c = common::rcmp();
    c.args([
        "-config",
        "",
        "-cmd",
        "ir",
        "-certfmt",
        "XYZ",
        "-server",
        "127.0.0.1:1",
    ]);
    let out = run(&mut c);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown option given for certificate storing format"),
        "{}",
        describe(&c, &out)
    );
}
