//! What two runs are compared on, as `compare-records` in the shared conformance folder does: the exit
//! code, every `CMP info`/`CMP warning` line with its stream (OpenSSL's `func:file:line:` prefix
//! stripped; ports, folders, transaction IDs, serials and times masked), which stream carried the
//! `CMP error` lines, and each output file (exists, how many certificates, the same DER). Error wording
//! is not compared; the first error line of each side is kept for the report only.

use crate::run::{FileSeen, Outcome};
use std::path::Path;

/// A log line as compared: (stream, normalised text).
type Line = (&'static str, String);

pub struct Seen {
    code: Option<i32>,
    lines: Vec<Line>,
    error_streams: &'static str,
    pub first_error: Option<String>,
}

/// Drop OpenSSL's `func:file:line:` prefix (`setup_client_ctx:../apps/cmp.c:2403:`).
fn strip_prefix(line: &str) -> &str {
    let mut parts = line.splitn(4, ':');
    let (Some(func), Some(_file), Some(num), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return line;
    };
    let ident = !func.is_empty() && func.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident && !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()) {
        rest
    } else {
        line
    }
}

/// Replace every run of characters accepted by `part` that `start` begins (and that is at least `min`
/// long) by `mask`.
fn mask_runs(s: &str, min: usize, part: impl Fn(char) -> bool, mask: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let mut j = i;
        while j < chars.len() && part(chars[j]) {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        let boundary = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if j - i >= min && boundary && run.chars().filter(char::is_ascii_digit).count() > 0 {
            out.push_str(mask);
            i = j;
        } else if j > i {
            out.push_str(&run);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn normalise(line: &str, workdir: &Path, pki: &Path) -> String {
    let mut s = strip_prefix(line).trim_end().to_string();
    s = s.replace(&workdir.display().to_string(), "RUN");
    s = s.replace(&pki.display().to_string(), "PKI");
    // Ports: 127.0.0.1:NNNNN
    if let Some(p) = s.find("127.0.0.1:") {
        let tail = &s[p + 10..];
        let n = tail.chars().take_while(char::is_ascii_digit).count();
        s = format!("{}127.0.0.1:PORT{}", &s[..p], &tail[n..]);
    }
    // Transaction IDs, serials, key IDs: long hex runs with or without colons; times hh:mm:ss.
    s = mask_runs(&s, 8, |c| c.is_ascii_hexdigit() || c == ':', "HEX");
    s
}

impl Seen {
    pub fn of(o: &Outcome, pki: &Path) -> Seen {
        let mut lines = Vec::new();
        let mut errors_on = String::new();
        let mut first_error = None;
        for (stream, text) in [("out", &o.stdout), ("err", &o.stderr)] {
            let mut any_error = false;
            for raw in text.lines() {
                let l = normalise(raw, &o.workdir, pki);
                if l.starts_with("CMP info:") || l.starts_with("CMP warning:") {
                    lines.push((stream, l));
                } else if l.starts_with("CMP error:") {
                    any_error = true;
                    first_error.get_or_insert(l);
                }
            }
            if any_error {
                errors_on.push_str(stream);
            }
        }
        let error_streams = match errors_on.as_str() {
            "out" => "out",
            "err" => "err",
            "outerr" => "out+err",
            _ => "none",
        };
        Seen {
            code: o.code,
            lines,
            error_streams,
            first_error,
        }
    }
}

/// Lines only in `a` ("-") and only in `b` ("+"), in order (longest common subsequence).
fn line_diff(a: &[Line], b: &[Line]) -> Vec<String> {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("line only in rcmp: {} {}", b[j].0, b[j].1));
            j += 1;
        } else {
            out.push(format!("line only in openssl: {} {}", a[i].0, a[i].1));
            i += 1;
        }
    }
    out
}

fn show_file(f: &FileSeen) -> String {
    match f {
        FileSeen::Missing => "missing".into(),
        FileSeen::Certs(c) => format!("{} cert(s)", c.len()),
        FileSeen::Bytes(b) => format!("{} bytes", b.len()),
    }
}

/// The differences between OpenSSL's run `a` and rcmp's run `b`, one line each (error wording aside).
pub fn differences(a: &Outcome, sa: &Seen, b: &Outcome, sb: &Seen) -> Vec<String> {
    let mut out = Vec::new();
    if sa.code != sb.code {
        out.push(format!(
            "exit code: openssl {:?}, rcmp {:?}",
            sa.code, sb.code
        ));
    }
    out.extend(line_diff(&sa.lines, &sb.lines));
    if sa.error_streams != sb.error_streams {
        out.push(format!(
            "CMP error lines on: openssl {}, rcmp {}",
            sa.error_streams, sb.error_streams
        ));
    }
    for (name, fa) in &a.files {
        let fb = b.files.get(name).unwrap_or(&FileSeen::Missing);
        if fa == fb {
            continue;
        }
        let (da, db) = (show_file(fa), show_file(fb));
        if da == db {
            out.push(format!("file {name}: same count ({da}), different content"));
        } else {
            out.push(format!("file {name}: openssl {da}, rcmp {db}"));
        }
    }
    out
}
