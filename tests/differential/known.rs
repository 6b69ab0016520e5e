//! The checked-in list of known differences (`known-differences.txt` beside this file), like
//! coreutils' list of GNU tests it cannot pass: every difference the tester finds must match an entry,
//! and in the default run every entry must still match something, so the list only shrinks.
//!
//! One entry per line, five fields separated by ` | `:
//!
//! ```text
//! class | role | scenario | difference | reason
//! ```
//!
//! - class: a short name grouping entries with one cause (what a fix would remove);
//! - role: `client` (rcmp's client against OpenSSL's mock), `server` (OpenSSL's client against
//!   rcmp's mock) or `any`;
//! - scenario: patterns over `mock: <mock options> ## client: <client options>` (PKI files shown as
//!   `PKI/name`), `*` matching any text; several joined by ` && ` must all match, and one starting
//!   with `!` must not match;
//! - difference: a pattern over one reported difference line; several joined by ` ;; ` are
//!   alternatives (the lines one cause produces);
//! - reason: why it differs and who fixes it.

use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Entry {
    pub class: String,
    role: String,
    scenario: String,
    difference: String,
    pub line_no: usize,
    pub hits: AtomicUsize,
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(p) => rest = &rest[p + mid.len()..],
            None => return false,
        }
    }
    true
}

pub fn load(text: &str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.splitn(5, " | ").map(str::trim).collect();
        if f.len() != 5 || f.iter().any(|x| x.is_empty()) {
            return Err(format!("line {}: want 5 non-empty fields: {line}", i + 1));
        }
        if !["client", "server", "any"].contains(&f[1]) {
            return Err(format!(
                "line {}: role must be client, server or any",
                i + 1
            ));
        }
        out.push(Entry {
            class: f[0].into(),
            role: f[1].into(),
            scenario: f[2].into(),
            difference: f[3].into(),
            line_no: i + 1,
            hits: AtomicUsize::new(0),
        });
    }
    Ok(out)
}

fn scenario_matches(patterns: &str, scenario: &str) -> bool {
    patterns.split(" && ").all(|p| match p.strip_prefix('!') {
        Some(neg) => !glob(neg, scenario),
        None => glob(p, scenario),
    })
}

/// The first entry covering `difference`, counting the hit.
pub fn matching<'a>(
    entries: &'a [Entry],
    role: &str,
    scenario: &str,
    difference: &str,
) -> Option<&'a Entry> {
    let e = entries.iter().find(|e| {
        (e.role == "any" || e.role == role)
            && scenario_matches(&e.scenario, scenario)
            && e.difference.split(" ;; ").any(|d| glob(d, difference))
    })?;
    e.hits.fetch_add(1, Ordering::Relaxed);
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::{glob, scenario_matches};

    #[test]
    fn glob_matches_as_documented() {
        assert!(glob("*", ""));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("*-cmd rr*", "x -cmd rr y"));
        assert!(!glob("*-cmd rr*", "x -cmd ir y"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob(
            "exit code: openssl Some(1), rcmp Some(0)",
            "exit code: openssl Some(1), rcmp Some(0)"
        ));
        assert!(!glob("a*b*c", "acb"));
        assert!(scenario_matches("*-cmd ir* && !*-newkey*", "x -cmd ir y"));
        assert!(!scenario_matches(
            "*-cmd ir* && !*-newkey*",
            "x -cmd ir -newkey k"
        ));
    }
}
