//! Runs one client against one fresh mock server and records what a script would see: exit code,
//! stdout, stderr and the output files.

use crate::common::{openssl, openssl35, rcmp, run, MockServer};
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    OpenSsl,
    Rcmp,
    /// The machine's OpenSSL 3.0 and rcmp imitating it, for checks of 3.0-vs-3.5 differences.
    OpenSsl30,
    Rcmp30,
}

impl Side {
    fn command(self) -> Command {
        match self {
            Side::OpenSsl => {
                let mut c = openssl35();
                c.arg("cmp");
                c
            }
            Side::Rcmp => rcmp(),
            Side::OpenSsl30 => {
                let mut c = openssl();
                c.arg("cmp");
                c
            }
            Side::Rcmp30 => {
                let mut c = rcmp();
                c.env("RCMP_COMPAT", "3.0");
                c
            }
        }
    }

    /// How the command line is shown in a report (runnable after `cd` into the scenario folder).
    fn shown(self) -> &'static str {
        match self {
            Side::OpenSsl => "openssl-version trixie cmp",
            Side::Rcmp => "rcmp",
            Side::OpenSsl30 => "openssl cmp",
            Side::Rcmp30 => "RCMP_COMPAT=3.0 rcmp",
        }
    }
}

/// An output file as found after the run.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FileSeen {
    Missing,
    /// PEM certificates, each as its base64 body (so equal DER compares equal).
    Certs(Vec<String>),
    /// Anything else, by content.
    Bytes(Vec<u8>),
}

pub struct Outcome {
    pub server_cmd: String,
    pub client_cmd: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub files: BTreeMap<String, FileSeen>,
    /// The client's working folder, masked out of its lines.
    pub workdir: PathBuf,
    /// How long the client ran (reported for slow runs, never asserted).
    pub elapsed: std::time::Duration,
}

/// The corpus-shaped folder `MockServer::start` copies: a `Mock/server.cnf` with an empty `[cmp]`, so
/// that the server's options all come from the command line.
fn mock_cfg() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let t = tempfile::Builder::new()
            .prefix("rcmp-diff-mockcfg-")
            .tempdir()
            .expect("HARNESS: temp dir");
        std::fs::create_dir_all(t.path().join("Mock")).expect("HARNESS: mkdir Mock");
        std::fs::write(t.path().join("Mock/server.cnf"), "[cmp]\n").expect("HARNESS: server.cnf");
        t
    })
    .path()
}

pub fn quote_args(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Run `client` against a fresh mock of `server`, both configured as `s` says.
pub fn run_pair(s: &Scenario, server: Side, client: Side) -> Outcome {
    let args: Vec<&str> = s.server.iter().map(String::as_str).collect();
    let srv = MockServer::start(server.command(), &mock_cfg().display().to_string(), &args);
    let work = tempfile::Builder::new()
        .prefix("rcmp-diff-run-")
        .tempdir()
        .expect("HARNESS: temp dir");
    let mut full = vec![
        "-config".to_string(),
        String::new(),
        "-server".into(),
        srv.server_arg(),
    ];
    full.extend(s.client.iter().cloned());
    let mut cmd = client.command();
    cmd.args(&full).current_dir(work.path());
    let started = std::time::Instant::now();
    let out = run(&mut cmd);
    let elapsed = started.elapsed();
    let files = s
        .outputs
        .iter()
        .map(|f| (f.clone(), read_output(&work.path().join(f))))
        .collect();
    Outcome {
        server_cmd: format!(
            "{} -config '' -port 0 {}",
            server.shown(),
            quote_args(&s.server)
        ),
        client_cmd: format!("{} {}", client.shown(), quote_args(&full)),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        files,
        workdir: work.path().to_path_buf(),
        elapsed,
    }
}

fn read_output(path: &Path) -> FileSeen {
    let Ok(bytes) = std::fs::read(path) else {
        return FileSeen::Missing;
    };
    let text = String::from_utf8_lossy(&bytes);
    if bytes.is_empty() || text.contains("-----BEGIN CERTIFICATE-----") {
        let mut certs = Vec::new();
        let mut body: Option<String> = None;
        for line in text.lines() {
            match (line.trim(), body.as_mut()) {
                ("-----BEGIN CERTIFICATE-----", _) => body = Some(String::new()),
                ("-----END CERTIFICATE-----", Some(_)) => certs.extend(body.take()),
                (l, Some(b)) => b.push_str(l),
                _ => {}
            }
        }
        return FileSeen::Certs(certs);
    }
    FileSeen::Bytes(bytes)
}
