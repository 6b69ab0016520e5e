//! Secret option values are wiped from the process's visible arguments (/proc/PID/cmdline, `ps`), as
//! OpenSSL does, while the process goes on using them.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn secrets_do_not_show_in_proc_cmdline() {
    let mut child = Command::new(common::rcmp_bin())
        .args(["-config", "", "-port", "0", "-srv_ref", "1"])
        .args(["-srv_secret", "pass:visible-nowhere-1"])
        .arg("--srv_keypass=pass:visible-nowhere-2")
        .args(["-max_msgs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rcmp -port 0");
    // Warnings about the sparse configuration come first; the ACCEPT line says it is running.
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    loop {
        let mut line = String::new();
        let n = out.read_line(&mut line).expect("read stdout");
        assert!(n > 0 && seen.len() < 20, "no ACCEPT line: {seen:?}");
        if line.starts_with("ACCEPT ") {
            break;
        }
        seen.push(line);
    }
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).expect("read cmdline");
    let _ = child.kill();
    let _ = child.wait();
    let shown = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(!shown.contains("visible-nowhere"), "secret shown: {shown}");
    // The other arguments are untouched, and the server used the secret (it started).
    assert!(shown.contains("-srv_ref 1"), "{shown}");
    assert!(shown.contains("--srv_keypass="), "{shown}");
}
