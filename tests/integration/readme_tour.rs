//! The README's quick tour works as written: its shell block (between `<!-- tour:begin -->` and
//! `<!-- tour:end -->`) is run with `rcmp` and the machine's `openssl` on PATH, in an empty folder.
//! Two lines are the harness's business rather than the shell's: the mock server line (`... &`) is
//! started here on port 0 instead of 8080, and its port replaces 8080 in the other lines; `kill %1`
//! becomes killing that server on drop. Everything else runs unchanged, under `sh -e`.

use crate::common;

use common::*;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

const SERVER_PREFIX: &str = "rcmp -port 8080 ";
const STOP_LINE: &str = "kill %1";

/// The tour's shell block, split into the lines before the server, the server line, and the rest.
fn tour() -> (String, String, String) {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let (_, rest) = readme
        .split_once("<!-- tour:begin -->\n```sh\n")
        .expect("README.md: no tour block");
    let (block, _) = rest
        .split_once("```\n<!-- tour:end -->")
        .expect("README.md: unterminated tour block");
    let (mut before, mut server, mut after) = (String::new(), None, String::new());
    let mut stopped = false;
    for line in block.lines() {
        let code = line.split(" #").next().unwrap_or("").trim_end();
        if code.starts_with(SERVER_PREFIX) && code.ends_with(" &") {
            server = Some(code.trim_end_matches(" &").to_string());
        } else if code == STOP_LINE {
            stopped = true;
        } else if server.is_none() {
            before.push_str(line);
            before.push('\n');
        } else {
            after.push_str(line);
            after.push('\n');
        }
    }
    let server = server.expect("README tour: no `rcmp -port 8080 ... &` line");
    assert!(stopped, "README tour: no `{STOP_LINE}` line");
    (before, server, after)
}

/// The mock server of the tour, killed with its process group on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: signals the process group of a child we started as group leader and have not reaped.
        unsafe { libc::kill(-(self.0.id() as libc::pid_t), libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

/// Start the server line on port 0 and return it with the port from its ACCEPT line.
fn start(line: &str, dir: &Path, path: &str) -> (Server, String, u16) {
    let line = line.replacen("-port 8080", "-port 0", 1);
    let mut child = Command::new("sh")
        .args(["-c", &format!("exec {line}")])
        .current_dir(dir)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the tour's mock server");
    let out = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if l.starts_with("ACCEPT ") {
                let _ = tx.send(l);
            }
        }
    });
    let accept = rx
        .recv_timeout(default_timeout())
        .unwrap_or_else(|_| panic!("the tour's mock server printed no ACCEPT line: {line}"));
    let (host, port, _) = parse_accept(&accept).expect("ACCEPT host:port PID=n");
    (server, host, port)
}

fn sh(script: &str, dir: &Path, path: &str) {
    let mut cmd = Command::new("sh");
    cmd.args(["-e", "-c", script])
        .current_dir(dir)
        .env("PATH", path);
    run_ok(&mut cmd);
}

#[test]
fn readme_tour_runs_as_written() {
    let (before, server, after) = tour();
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = rcmp_bin();
    let path = format!(
        "{}:{}",
        bin.parent().expect("binary folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // `rcmp` on that PATH must be this build, not some other one.
    assert_eq!(bin.file_name().and_then(|n| n.to_str()), Some("rcmp"));
    sh(&before, dir.path(), &path);
    let (_server, host, port) = start(&server, dir.path(), &path);
    // The README says what the ACCEPT line shows.
    assert!(host == "[::]" || host == "0.0.0.0", "ACCEPT host {host}");
    sh(&after.replace("8080", &port.to_string()), dir.path(), &path);

    // What the tour claims: cert.pem and the updated cert2.pem are real certificates of the tour CA,
    // cert2.pem for the new key.
    let d = dir.path();
    for cert in ["cert.pem", "cert2.pem"] {
        run_ok(
            openssl()
                .args(["verify", "-CAfile", "ca.crt", cert])
                .current_dir(d),
        );
    }
    let pubkey = |args: &[&str]| {
        let out = run_ok(openssl().args(args).current_dir(d));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(
        pubkey(&["x509", "-in", "cert2.pem", "-noout", "-pubkey"]),
        pubkey(&["pkey", "-in", "key2.pem", "-pubout"])
    );
    let subject = pubkey(&["x509", "-in", "cert.pem", "-noout", "-subject", "-issuer"]);
    assert_eq!(subject, "subject=CN = me\nissuer=CN = Tour CA\n");
}
