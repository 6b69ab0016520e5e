//! Shared harness for rcmp's tests: where the peers are (`openssl`, OpenSSL 3.5 and 4.0, our own
//! binary, the conformance corpora: the last three through `deps`, i.e. `scripts/fetch-deps`), mock
//! servers started on port 0 and killed by PID on drop, and running commands with a time limit so a
//! hung child fails the test instead of hanging it.
//!
//! `tests/integration/main.rs` includes it as `common`, and its modules `use crate::common;`; the
//! library includes it for its unit tests as `crate::testutil`. Interop tests must not skip when a
//! peer is missing: every lookup here panics with a message saying what is missing and how to get it.

#![allow(dead_code)] // each test file uses a different part of the harness

mod deps;
pub use deps::*;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Time limit of [`run`] and of a mock server's start-up; `RCMP_TEST_TIMEOUT` (seconds) overrides it
/// for slow machines. Generous on purpose: it only catches hangs, it never measures speed.
pub fn default_timeout() -> Duration {
    let secs = std::env::var("RCMP_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&s| s > 0)
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// The machine's `openssl` (OpenSSL 3.0). Panics loudly when it is missing: interop tests must fail.
pub fn openssl_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|d| d.join("openssl"))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "HARNESS: `openssl` is not on PATH; interop tests need it \
                     (Debian: apt-get install openssl)"
                )
            })
    })
    .clone()
}

/// `openssl` as a command, ready for arguments (e.g. `openssl().arg("cmp")`).
pub fn openssl() -> Command {
    Command::new(openssl_bin())
}

/// OpenSSL 3.5 as a command, ready for arguments (fetched by `scripts/fetch-deps`; see [`deps`]).
pub fn openssl35() -> Command {
    Command::new(openssl_release("3.5"))
}

/// OpenSSL 4.0 as a command, ready for arguments (fetched the same way).
pub fn openssl40() -> Command {
    Command::new(openssl_release("4.0"))
}

/// Our binary, as built by cargo for this test run. Cargo names it to integration tests only; the
/// library's unit tests (which include this harness too) look beside their own executable's folder,
/// where `cargo test` builds it (`cargo test --lib` alone does not: then this fails, saying so).
pub fn rcmp_bin() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_rcmp") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("HARNESS: path of the test executable");
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/rcmp
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("rcmp"))
        .unwrap_or_default();
    assert!(
        bin.is_file(),
        "HARNESS: no rcmp binary at {}; build it first (`cargo build`, or run plain `cargo test`)",
        bin.display()
    );
    bin
}

/// `rcmp` as a command, ready for arguments (drop-in: `rcmp -cmd ir ...` as `openssl cmp -cmd ir ...`).
pub fn rcmp() -> Command {
    Command::new(rcmp_bin())
}

/// Human-readable account of a finished command, for assertion messages.
pub fn describe(cmd: &Command, out: &Output) -> String {
    format!(
        "command: {}\nexit: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        show_cmd(cmd),
        show_status(out.status),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn show_cmd(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&quote(a));
    }
    if let Some(dir) = cmd.get_current_dir() {
        s = format!("(cd {} && {s})", quote(dir.as_os_str()));
    }
    s
}

fn quote(a: &OsStr) -> String {
    let a = a.to_string_lossy();
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c))
    {
        a.into_owned()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

fn show_status(st: ExitStatus) -> String {
    match (st.code(), st.signal()) {
        (Some(c), _) => c.to_string(),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "unknown".into(),
    }
}

/// Whether a child has exited, without reaping it: while it stays a zombie its PID and process-group
/// id cannot be reused, so signalling them afterwards still reaches only what we started.
fn exited_unreaped(child: &Child) -> bool {
    // SAFETY: waitid with WNOWAIT only inspects our own child; siginfo_t is plain data, zeroed so that
    // si_pid reads 0 when WNOHANG finds nothing.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            child.id() as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT | libc::WNOHANG,
        );
        r == 0 && info.si_pid() != 0
    }
}

/// Kill a child's whole process group (the harness starts every child as a group leader), then reap.
/// Callers never reap the child before this, so the ids still name our processes.
fn kill_group(child: &mut Child) {
    let pid = child.id() as libc::pid_t;
    // SAFETY: plain syscalls on the PID/group of a child we started and have not reaped yet.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
    }
    let _ = child.wait();
}

fn spawn_reader<R: Read + Send + 'static>(mut r: R) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// Run a command to completion with [`default_timeout`]; stdin is empty. A hung command is killed
/// (with its process group) and the test fails showing what it printed so far.
pub fn run(cmd: &mut Command) -> Output {
    run_timeout(cmd, default_timeout())
}

/// [`run`] with an explicit time limit.
pub fn run_timeout(cmd: &mut Command, limit: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("HARNESS: cannot start {}: {e}", show_cmd(cmd)));
    let out_t = spawn_reader(child.stdout.take().expect("piped stdout"));
    let err_t = spawn_reader(child.stderr.take().expect("piped stderr"));
    let end = Instant::now() + limit;
    let mut timed_out = false;
    while !exited_unreaped(&child) {
        if Instant::now() >= end {
            timed_out = true;
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    // Also on success: kill what is left of the group (a daemonised grandchild would keep the pipes
    // open and the readers waiting), then reap.
    kill_group(&mut child);
    let status = child.wait().expect("HARNESS: reap child");
    let out = Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    };
    if timed_out {
        panic!(
            "HARNESS: command did not finish within {} s and was killed\n{}",
            limit.as_secs(),
            describe(cmd, &out)
        );
    }
    out
}

/// [`run`], asserting exit status 0 (the failure message shows the command and its output).
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "expected success\n{}",
        describe(cmd, &out)
    );
    out
}

/// [`run`], asserting a non-zero exit status.
pub fn run_fail(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        !out.status.success(),
        "expected failure\n{}",
        describe(cmd, &out)
    );
    out
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst)
        .unwrap_or_else(|e| panic!("HARNESS: mkdir {}: {e}", dst.display()));
    let entries =
        std::fs::read_dir(src).unwrap_or_else(|e| panic!("HARNESS: read {}: {e}", src.display()));
    for entry in entries {
        let entry = entry.expect("HARNESS: read_dir entry");
        let to = dst.join(entry.file_name());
        let ty = entry.file_type().expect("HARNESS: file type");
        if ty.is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap_or_else(|e| {
                panic!(
                    "HARNESS: copy {} -> {}: {e}",
                    entry.path().display(),
                    to.display()
                )
            });
        }
    }
}

fn mock_tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("rcmp-mock-")
        .tempdir()
        .expect("HARNESS: create temp dir")
}

/// A mock CMP server (OpenSSL's or ours) serving a private copy of a conformance corpus' `Mock/`
/// folder on 127.0.0.1 with a port chosen by the system. Killed (whole process group) on drop.
pub struct MockServer {
    child: Child,
    accept_pid: Option<u32>,
    port: u16,
    host: String,
    tmp: tempfile::TempDir,
    dir: PathBuf,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr_path: PathBuf,
}

impl MockServer {
    /// `openssl cmp -config server.cnf -port 0 <args>` (OpenSSL 3.0) in a copy of `corpus`'s `Mock/`
    /// ("30", "latest", "40" or a corpus path).
    pub fn start_openssl(corpus: &str, args: &[&str]) -> MockServer {
        let mut c = openssl();
        c.arg("cmp");
        Self::start(c, corpus, args)
    }

    /// The same with OpenSSL 3.5.
    pub fn start_openssl35(corpus: &str, args: &[&str]) -> MockServer {
        let mut c = openssl35();
        c.arg("cmp");
        Self::start(c, corpus, args)
    }

    /// Our own mock server: `rcmp -config server.cnf -port 0 <args>`.
    pub fn start_rcmp(corpus: &str, args: &[&str]) -> MockServer {
        Self::start(rcmp(), corpus, args)
    }

    /// Start `program` (a command with its leading arguments, e.g. `openssl cmp`) as mock server with
    /// `-config server.cnf -port 0 <args>` and wait (bounded) for its `ACCEPT host:port PID=n` line.
    pub fn start(mut program: Command, corpus: &str, args: &[&str]) -> MockServer {
        let src = corpus_mock_dir(corpus);
        let tmp = mock_tmp();
        let dir = tmp.path().join("Mock");
        copy_dir(&src, &dir);
        program.args(["-config", "server.cnf"]);
        Self::launch(program, tmp, dir, args)
    }

    /// Start `program` (e.g. `openssl cmp`) as mock server with `-port 0 <args>` and nothing else: no
    /// corpus, the working folder `dir()` starts empty. For servers wholly set up by options, such as
    /// a PBM-only mock (`-config "" -srv_secret ... -srv_ref ...`).
    pub fn start_plain(program: Command, args: &[&str]) -> MockServer {
        let tmp = mock_tmp();
        let dir = tmp.path().join("Mock");
        std::fs::create_dir_all(&dir).expect("HARNESS: create mock dir");
        Self::launch(program, tmp, dir, args)
    }

    /// Run `program -port 0 <args>` in `dir` and wait (bounded) for its `ACCEPT` line.
    fn launch(mut program: Command, tmp: tempfile::TempDir, dir: PathBuf, args: &[&str]) -> Self {
        let stderr_path = tmp.path().join("server.stderr");
        let stderr = std::fs::File::create(&stderr_path).expect("HARNESS: create server.stderr");
        program
            .args(["-port", "0"])
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .process_group(0);
        let what = show_cmd(&program);
        let mut child = program
            .spawn()
            .unwrap_or_else(|e| panic!("HARNESS: cannot start mock server {what}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        {
            // Reads every stdout line: the ACCEPT line goes to the waiting test, and the rest is kept so
            // the server never blocks on a full pipe and its output can be shown on failure.
            let reader = BufReader::new(child.stdout.take().expect("piped stdout"));
            let store = Arc::clone(&stdout);
            thread::spawn(move || {
                let mut sent = false;
                for line in reader.split(b'\n') {
                    let Ok(line) = line else { break };
                    if let Ok(mut s) = store.lock() {
                        s.extend_from_slice(&line);
                        s.push(b'\n');
                    }
                    let text = String::from_utf8_lossy(&line).trim_end().to_string();
                    if !sent && text.starts_with("ACCEPT ") {
                        sent = tx.send(text).is_ok();
                    }
                }
            });
        }
        let limit = default_timeout();
        let end = Instant::now() + limit;
        let accept = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => break Some(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break None,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if Instant::now() >= end || exited_unreaped(&child) {
                        // Give the reader a moment to deliver a line printed just before exiting.
                        break rx.recv_timeout(Duration::from_millis(200)).ok();
                    }
                }
            }
        };
        let parsed = accept.as_deref().and_then(parse_accept);
        let Some((host, port, accept_pid)) = parsed else {
            kill_group(&mut child);
            let out = stdout.lock().map(|s| s.clone()).unwrap_or_default();
            panic!(
                "HARNESS: mock server gave no `ACCEPT host:port PID=n` line within {} s: {what}\n\
                 exit: {}\n--- stdout ---\n{}--- stderr ---\n{}",
                limit.as_secs(),
                child
                    .try_wait()
                    .ok()
                    .flatten()
                    .map(show_status)
                    .unwrap_or_default(),
                String::from_utf8_lossy(&out),
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        };
        MockServer {
            child,
            accept_pid,
            port,
            host,
            tmp,
            dir,
            stdout,
            stderr_path,
        }
    }

    /// The port the server bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host part of the ACCEPT line as printed (`[::]`, `0.0.0.0`, `127.0.0.1`, ...).
    pub fn accept_host(&self) -> &str {
        &self.host
    }

    /// The value for a client's `-server` option: `127.0.0.1:<port>`.
    pub fn server_arg(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's working folder: the private copy of the corpus' `Mock/` (certs, keys, test.cnf).
    /// Run clients with this as current directory, as the conformance rows do.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A fresh scratch folder next to `dir()` for a test's output files (removed on drop).
    pub fn out_dir(&self) -> PathBuf {
        let p = self.tmp.path().join("out");
        std::fs::create_dir_all(&p).expect("HARNESS: create out dir");
        p
    }

    /// What the server printed so far (stdout, then stderr), for assertion messages.
    pub fn logs(&self) -> String {
        let out = self.stdout.lock().map(|s| s.clone()).unwrap_or_default();
        format!(
            "--- server stdout ---\n{}--- server stderr ---\n{}",
            String::from_utf8_lossy(&out),
            std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
        )
    }

    /// Whether the server process is still running.
    pub fn is_running(&self) -> bool {
        !exited_unreaped(&self.child)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // The PID from the ACCEPT line is killed too, but only if it is in the group we created:
        // never signal a PID we cannot vouch for.
        if let Some(pid) = self.accept_pid {
            let pid = pid as libc::pid_t;
            // SAFETY: getpgid/kill on a PID; we only signal it if it belongs to our child's group.
            unsafe {
                if libc::getpgid(pid) == self.child.id() as libc::pid_t {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
        kill_group(&mut self.child);
    }
}

/// `ACCEPT <host>:<port> PID=<pid>` -> (host, port, pid).
pub fn parse_accept(line: &str) -> Option<(String, u16, Option<u32>)> {
    let rest = line.strip_prefix("ACCEPT ")?.trim();
    let (addr, pid) = match rest.rsplit_once(" PID=") {
        Some((a, p)) => (a, p.trim().parse().ok()),
        None => (rest, None),
    };
    let (host, port) = addr.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    (port != 0).then(|| (host.to_string(), port, pid))
}

/// `cmd` (a CMP client ready for options: `rcmp()`, or `openssl cmp`) set up for an `ir` with PBM
/// (`-ref 1234 -secret pass:test`, the corpus mock's secret) against `srv`, run in the server's folder
/// with its `new.key`; add the options of the case, then run it.
pub fn pbm_ir(srv: &MockServer, cmd: Command, subject: &str) -> Command {
    pbm_ir_with_key(srv, cmd, subject, "new.key")
}

/// `pbm_ir` with `-newkey key` (a file in the server's folder) instead of its `new.key`.
pub fn pbm_ir_with_key(srv: &MockServer, mut cmd: Command, subject: &str, key: &str) -> Command {
    cmd.current_dir(srv.dir()).args([
        "-config",
        "",
        "-server",
        &srv.server_arg(),
        "-cmd",
        "ir",
        "-ref",
        "1234",
        "-secret",
        "pass:test",
        "-newkey",
        key,
        "-subject",
        subject,
    ]);
    cmd
}

/// One HTTP message (request or response: the head, then a body of its `Content-Length`) read
/// from a raw stream, head and body as received. The head is read byte by byte so that nothing of
/// a pipelined next message is consumed; `None` when the peer closes first, a read fails (e.g. on
/// its timeout) or the head grows beyond 64 KiB. For scripted peers that speak HTTP by hand.
pub fn read_http_message(s: &mut impl Read) -> Option<Vec<u8>> {
    let mut msg = Vec::new();
    let mut byte = [0u8; 1];
    while !msg.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => msg.push(byte[0]),
            _ => return None,
        }
        if msg.len() > 64 * 1024 {
            return None;
        }
    }
    let len = String::from_utf8_lossy(&msg)
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let head_len = msg.len();
    msg.resize(head_len + len, 0);
    s.read_exact(&mut msg[head_len..]).ok()?;
    Some(msg)
}

/// The body of an HTTP message read by [`read_http_message`]: what follows the blank line.
pub fn http_body(msg: &[u8]) -> &[u8] {
    msg.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(&[][..], |end| &msg[end + 4..])
}

/// One DER element at the start of `der`: (tag byte, contents, what follows). Definite lengths of
/// up to four length bytes only, which is all a CMP message uses.
pub fn der_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The PKIBody choice of a DER PKIMessage (RFC 9810 section 5.1.2: `ip` is 1, `error` 23, ...):
/// the tag number of the element after the header, read without the library's decoder so that
/// tests of the binary need none of its internals. `None` unless `msg` is exactly one SEQUENCE
/// whose header SEQUENCE is followed by a context-specific constructed element.
pub fn pki_body_choice(msg: &[u8]) -> Option<u8> {
    let (0x30, message, []) = der_tlv(msg)? else {
        return None;
    };
    let (0x30, _header, rest) = der_tlv(message)? else {
        return None;
    };
    let (tag, _, _) = der_tlv(rest)?;
    (tag & 0xe0 == 0xa0).then_some(tag & 0x1f)
}

/// A PKCS#1 RSAPrivateKey (DER) re-encoded after `change` edited its eight numbers (n, e, d, p, q,
/// dmp1, dmq1, iqmp, as big-endian bytes): broken keys for the key-loading tests.
pub fn rsa_key_with(pkcs1_der: &[u8], change: impl FnOnce(&mut [Vec<u8>; 8])) -> Vec<u8> {
    use der::{Decode, Encode};
    use pkcs1::{RsaPrivateKeyRef, UintRef};
    let k = RsaPrivateKeyRef::from_der(pkcs1_der).expect("RSAPrivateKey");
    let mut v = [
        k.modulus,
        k.public_exponent,
        k.private_exponent,
        k.prime1,
        k.prime2,
        k.exponent1,
        k.exponent2,
        k.coefficient,
    ]
    .map(|u| u.as_bytes().to_vec());
    change(&mut v);
    fn u(b: &[u8]) -> UintRef<'_> {
        UintRef::new(b).expect("uint")
    }
    RsaPrivateKeyRef {
        modulus: u(&v[0]),
        public_exponent: u(&v[1]),
        private_exponent: u(&v[2]),
        prime1: u(&v[3]),
        prime2: u(&v[4]),
        exponent1: u(&v[5]),
        exponent2: u(&v[6]),
        coefficient: u(&v[7]),
        other_prime_infos: None,
    }
    .to_der()
    .expect("encode")
}
