//! Reader for OpenSSL configuration files (the NCONF format of `openssl.cnf`), following OpenSSL's own
//! parser: sections, `name = value`, `#` comments outside quotes, `"..."`/`'...'` quoting, backslash
//! escapes, line continuation, eager `$var`/`${var}`/`$(var)`/`$sec::var`/`$ENV::NAME` expansion with
//! fallback to the default section, `.include` of files and directories, and `.pragma`.
//!
//! It only reads; what the values mean is up to the callers (`opts` for option defaults, later stages for
//! `-reqexts`/`-policies` sections). Input sizes, include depth and value lengths are bounded.

use crate::error::Error;
use crate::Result;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Longest value after variable expansion, as in OpenSSL.
const MAX_VALUE_LEN: usize = 65536;
/// Most bytes read in total, the main file and all included files together.
const MAX_TOTAL_BYTES: usize = 16 * 1024 * 1024;
/// Deepest nesting of `.include` (OpenSSL has no limit; a file including itself would never end).
const MAX_INCLUDE_DEPTH: usize = 16;

/// A loaded configuration: named sections of `name = value` pairs in file order. The unnamed top of the
/// file is the section `default`, which is also where lookups fall back to.
#[derive(Clone, Debug, Default)]
pub struct Conf {
    sections: Vec<(String, Vec<(String, String)>)>,
    index: HashMap<String, usize>,
}

impl Conf {
    /// Read and parse a file.
    pub fn load(path: impl AsRef<Path>) -> Result<Conf> {
        let path = path.as_ref();
        let mut p = Parser::new();
        let text = p.read_file(path)?;
        p.process(&text, &path.display().to_string(), 0, false)?;
        Ok(p.conf)
    }

    /// Parse text; `origin` names it in error messages (usually the file name). Relative `.include`
    /// paths are taken relative to the current directory, as OpenSSL does.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn parse(text: &str, origin: &str) -> Result<Conf> {
        let mut p = Parser::new();
        p.total = text.len();
        if p.total > MAX_TOTAL_BYTES {
            return Err(Error::cmp(format!("config file \"{origin}\" is too large")));
        }
        p.process(text.as_bytes(), origin, 0, false)?;
        Ok(p.conf)
    }

    /// The value of `name` in `section`, else in the default section (NCONF's lookup). The environment
    /// is consulted only while reading, for `$ENV::NAME`, not here.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn get(&self, section: &str, name: &str) -> Option<&str> {
        if let Some(v) = self.get_in(section, name) {
            return Some(v);
        }
        self.get_in("default", name)
    }

    /// The value of `name` in exactly this section, without fallback.
    pub fn get_in(&self, section: &str, name: &str) -> Option<&str> {
        let sec = self.section(section)?;
        sec.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The pairs of a section in file order (a name set twice keeps its last value, at its last place).
    pub fn section(&self, name: &str) -> Option<&[(String, String)]> {
        self.index.get(name).map(|&i| self.sections[i].1.as_slice())
    }

    pub fn has_section(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Section names in order of first appearance, starting with `default`.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|(n, _)| n.as_str())
    }

    fn section_mut(&mut self, name: &str) -> &mut Vec<(String, String)> {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.sections.push((name.to_string(), Vec::new()));
                self.index.insert(name.to_string(), self.sections.len() - 1);
                self.sections.len() - 1
            }
        };
        &mut self.sections[i].1
    }

    fn add(&mut self, section: &str, name: String, value: String) {
        let sec = self.section_mut(section);
        sec.retain(|(n, _)| *n != name);
        sec.push((name, value));
    }

    /// NCONF's variable lookup while loading: the named section, then (for `ENV`) the environment,
    /// then the default section.
    fn lookup_var(&self, section: Option<&str>, name: &str) -> Option<String> {
        if let Some(s) = section {
            if let Some(v) = self.get_in(s, name) {
                return Some(v.to_string());
            }
            if s == "ENV" {
                if let Ok(v) = std::env::var(name) {
                    return Some(v);
                }
            }
        }
        self.get_in("default", name).map(str::to_string)
    }
}

// Character classes of OpenSSL's default (non-Windows) config syntax.
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}
fn is_quote(c: u8) -> bool {
    matches!(c, b'"' | b'\'' | b'`')
}
fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
fn is_punct(c: u8) -> bool {
    b"!%&*+,-./;?@^|~".contains(&c)
}

struct Parser {
    conf: Conf,
    section: String,
    dollarid: bool,
    abspath: bool,
    includedir: Option<String>,
    total: usize,
}

impl Parser {
    fn new() -> Self {
        let mut conf = Conf::default();
        conf.section_mut("default");
        Parser {
            conf,
            section: "default".to_string(),
            dollarid: false,
            abspath: false,
            includedir: None,
            total: 0,
        }
    }

    /// Read a config file, at most one byte beyond what the size bound still allows: `/dev/zero`, a
    /// pipe that never ends or a huge file must fail on the bound, not fill memory before the check.
    fn read_file(&mut self, path: &Path) -> Result<Vec<u8>> {
        use std::io::Read;
        let open_err = |e: &std::io::Error| {
            Error::cmp(format!(
                "Can't open \"{}\" for reading, {}",
                path.display(),
                io_reason(e)
            ))
        };
        let file = std::fs::File::open(path).map_err(|e| open_err(&e))?;
        let room = MAX_TOTAL_BYTES.saturating_sub(self.total);
        let mut data = Vec::with_capacity(crate::creds::read_capacity(&file, room as u64));
        file.take(room as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| open_err(&e))?;
        self.total += data.len();
        if self.total > MAX_TOTAL_BYTES {
            return Err(Error::cmp(format!(
                "config file \"{}\" is too large (more than {MAX_TOTAL_BYTES} bytes with its includes)",
                path.display()
            )));
        }
        Ok(data)
    }

    /// Process one file's text. `in_dir` tells that the file came from an included directory, where
    /// OpenSSL ignores further directory includes.
    fn process(&mut self, text: &[u8], origin: &str, depth: usize, in_dir: bool) -> Result<()> {
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        let mut buf: Vec<u8> = Vec::new();
        let mut lineno = 0usize;
        let mut lines = text.split(|&c| c == b'\n').peekable();
        while let Some(raw) = lines.next() {
            if lines.peek().is_none() && raw.is_empty() {
                // The file ended with a newline; a line continued into end of file still counts.
                if !buf.is_empty() {
                    let logical = std::mem::take(&mut buf);
                    self.line(&logical, depth, in_dir)
                        .map_err(|e| located(e, lineno, origin))?;
                }
                break;
            }
            lineno += 1;
            let mut line = raw;
            while let Some((&last, rest)) = line.split_last() {
                if last == b'\r' {
                    line = rest;
                } else {
                    break;
                }
            }
            buf.extend_from_slice(line);
            // A trailing backslash (not itself escaped) joins the next line.
            let n = buf.len();
            if n >= 1 && buf[n - 1] == b'\\' && (n == 1 || buf[n - 2] != b'\\') {
                buf.pop();
                if lines.peek().is_some() {
                    continue;
                }
            }
            let logical = std::mem::take(&mut buf);
            self.line(&logical, depth, in_dir)
                .map_err(|e| located(e, lineno, origin))?;
        }
        Ok(())
    }

    fn line(
        &mut self,
        raw: &[u8],
        depth: usize,
        in_dir: bool,
    ) -> std::result::Result<(), LineError> {
        let mut b = raw.to_vec();
        if let Some(nul) = b.iter().position(|&c| c == 0) {
            b.truncate(nul);
        }
        clear_comments(&mut b);
        let s = eat_ws(&b, 0);
        if s >= b.len() {
            return Ok(());
        }
        if b[s] == b'[' {
            let start = eat_ws(&b, s + 1);
            let mut ss = start;
            let end = loop {
                let end = self.eat_alpha_numeric(&b, ss);
                let p = eat_ws(&b, end);
                if b.get(p) == Some(&b']') {
                    break end;
                }
                if p < b.len() && ss != p {
                    ss = p;
                    continue;
                }
                return Err(LineError::Msg("missing close square bracket".into()));
            };
            self.section = self.str_copy(None, &b[start..end])?;
            let name = self.section.clone();
            self.conf.section_mut(&name);
            return Ok(());
        }
        let mut pname = s;
        let mut end = self.eat_alpha_numeric(&b, s);
        let mut psection = self.section.clone();
        if b.get(end) == Some(&b':') && b.get(end + 1) == Some(&b':') {
            psection = lossy(&b[pname..end]);
            pname = end + 2;
            end = self.eat_alpha_numeric(&b, pname);
        }
        let mut p = eat_ws(&b, end);
        let word = &b[pname..];
        if directive(word, b".pragma", pname, p, &b) {
            if b.get(p) == Some(&b'=') {
                p = eat_ws(&b, p + 1);
            }
            let rest = trim_ws(&b[p..]);
            let colon = rest.iter().position(|&c| c == b':');
            let Some(colon) = colon.filter(|&c| c > 0 && c + 1 < rest.len()) else {
                return Err(LineError::Msg("invalid pragma".into()));
            };
            let key = trim_ws(&rest[..colon]);
            let val = &rest[eat_ws(rest, colon + 1)..];
            match key {
                b"dollarid" => self.dollarid = parse_bool(val)?,
                b"abspath" => self.abspath = parse_bool(val)?,
                b"includedir" => self.includedir = Some(lossy(val)),
                _ => {} // OpenSSL ignores unknown pragmas.
            }
            return Ok(());
        }
        if directive(word, b".include", pname, p, &b) {
            if b.get(p) == Some(&b'=') {
                p = eat_ws(&b, p + 1);
            }
            let target = self.str_copy(Some(&psection), trim_ws(&b[p..]))?;
            return self.include(&target, depth, in_dir).map_err(LineError::Err);
        }
        if b.get(p) != Some(&b'=') {
            return Err(LineError::Msg(format!(
                "missing equal sign: HERE-->{}",
                lossy(&b[p..])
            )));
        }
        let name = lossy(&b[pname..end]);
        let start = eat_ws(&b, p + 1);
        let value = self.str_copy(Some(&psection), trim_ws(&b[start..]))?;
        self.conf.add(&psection, name, value);
        Ok(())
    }

    fn include(&mut self, target: &str, depth: usize, in_dir: bool) -> Result<()> {
        let mut path = PathBuf::from(target);
        let prefix = std::env::var("OPENSSL_CONF_INCLUDE")
            .ok()
            .or_else(|| self.includedir.clone());
        if let Some(dir) = prefix {
            if !path.is_absolute() {
                path = Path::new(&dir).join(target);
            }
        }
        if self.abspath && !path.is_absolute() {
            return Err(Error::cmp(format!(
                "relative path in .include of \"{}\" not allowed",
                path.display()
            )));
        }
        if depth + 1 > MAX_INCLUDE_DEPTH {
            return Err(Error::cmp(format!(
                "includes nested more than {MAX_INCLUDE_DEPTH} deep at \"{}\"",
                path.display()
            )));
        }
        // As in OpenSSL, a missing include is not an error.
        let Ok(meta) = std::fs::metadata(&path) else {
            return Ok(());
        };
        if meta.is_dir() {
            if in_dir {
                return Ok(());
            }
            let Ok(rd) = std::fs::read_dir(&path) else {
                return Ok(());
            };
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    let n = p
                        .file_name()
                        .map(|n| n.to_string_lossy().to_ascii_lowercase())
                        .unwrap_or_default();
                    (n.len() > 5 && n.ends_with(".conf")) || (n.len() > 4 && n.ends_with(".cnf"))
                })
                .collect();
            files.sort();
            for f in files {
                if f.is_dir() {
                    continue;
                }
                let text = self.read_file(&f)?;
                self.process(&text, &f.display().to_string(), depth + 1, true)?;
            }
            return Ok(());
        }
        let text = self.read_file(&path)?;
        self.process(&text, &path.display().to_string(), depth + 1, in_dir)
    }

    fn eat_alpha_numeric(&self, b: &[u8], mut p: usize) -> usize {
        while p < b.len() {
            let c = b[p];
            if c == b'\\' {
                p = if p + 1 >= b.len() { p + 1 } else { p + 2 };
                continue;
            }
            if !(is_alnum(c) || is_punct(c) || (self.dollarid && c == b'$')) {
                return p;
            }
            p += 1;
        }
        b.len()
    }

    /// Unquote, unescape and expand variables in a value, as OpenSSL's `str_copy` does.
    fn str_copy(
        &self,
        section: Option<&str>,
        from: &[u8],
    ) -> std::result::Result<String, LineError> {
        let mut out: Vec<u8> = Vec::with_capacity(from.len());
        let mut i = 0;
        while i < from.len() {
            let c = from[i];
            if is_quote(c) {
                i += 1;
                while i < from.len() && from[i] != c {
                    if from[i] == b'\\' {
                        i += 1;
                        if i >= from.len() {
                            break;
                        }
                    }
                    out.push(from[i]);
                    i += 1;
                }
                if i < from.len() {
                    i += 1;
                }
            } else if c == b'\\' {
                i += 1;
                let Some(&v) = from.get(i) else { break };
                i += 1;
                out.push(match v {
                    b'r' => b'\r',
                    b'n' => b'\n',
                    b'b' => 0x08,
                    b't' => b'\t',
                    other => other,
                });
            } else if c == b'$' && (!self.dollarid || matches!(from.get(i + 1), Some(b'{' | b'(')))
            {
                let mut s = i + 1;
                let close = match from.get(s) {
                    Some(b'{') => Some(b'}'),
                    Some(b'(') => Some(b')'),
                    _ => None,
                };
                if close.is_some() {
                    s += 1;
                }
                let name_char = |c: u8| is_alnum(c) || (self.dollarid && c == b'$');
                let mut e = s;
                while e < from.len() && name_char(from[e]) {
                    e += 1;
                }
                let mut sec = section.map(str::to_string);
                let mut np = s;
                let qualified = from.get(e) == Some(&b':') && from.get(e + 1) == Some(&b':');
                if qualified {
                    sec = Some(lossy(&from[s..e]));
                    np = e + 2;
                    e = np;
                    while e < from.len() && name_char(from[e]) {
                        e += 1;
                    }
                }
                let name = lossy(&from[np..e]);
                if let Some(q) = close {
                    if from.get(e) != Some(&q) {
                        return Err(LineError::Msg("no close brace".into()));
                    }
                    e += 1;
                }
                let Some(val) = self.conf.lookup_var(sec.as_deref(), &name) else {
                    let shown = match &sec {
                        Some(s) if qualified => format!("{s}::{name}"),
                        _ => name.clone(),
                    };
                    return Err(LineError::Msg(format!("variable has no value: {shown}")));
                };
                if out.len() + val.len() + (from.len() - e) > MAX_VALUE_LEN {
                    return Err(LineError::Msg("variable expansion too long".into()));
                }
                out.extend_from_slice(val.as_bytes());
                i = e;
            } else {
                out.push(c);
                i += 1;
            }
        }
        Ok(lossy(&out))
    }
}

/// Name the file and line of a failed line, as OpenSSL's `Error on line N of config file "F"` does.
fn located(e: LineError, lineno: usize, origin: &str) -> Error {
    match e {
        LineError::Msg(m) => Error::cmp(format!(
            "Error on line {lineno} of config file \"{origin}\": {m}"
        )),
        LineError::Err(e) => e,
    }
}

enum LineError {
    Msg(String),
    Err(Error),
}

impl From<String> for LineError {
    fn from(m: String) -> Self {
        LineError::Msg(m)
    }
}

/// Whether the line is the directive `word` (`.include`/`.pragma`): the name starts with it and
/// something (blank or `=`) follows, as OpenSSL tests it.
fn directive(name: &[u8], word: &[u8], pname: usize, p: usize, b: &[u8]) -> bool {
    name.starts_with(word) && (p != pname + word.len() || b.get(p) == Some(&b'='))
}

fn parse_bool(v: &[u8]) -> std::result::Result<bool, LineError> {
    let v = lossy(v).to_ascii_lowercase();
    match v.as_str() {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(LineError::Msg("invalid pragma".into())),
    }
}

/// Cut a line at its comment: `#` outside quotes and not escaped.
fn clear_comments(b: &mut Vec<u8>) {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            b.truncate(i);
            return;
        }
        if is_quote(c) {
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' {
                    i += 1;
                    if i >= b.len() {
                        return;
                    }
                }
                i += 1;
            }
            if i < b.len() {
                i += 1;
            }
            continue;
        }
        if c == b'\\' {
            i += if i + 1 >= b.len() { 1 } else { 2 };
            continue;
        }
        i += 1;
    }
}

fn eat_ws(b: &[u8], mut p: usize) -> usize {
    while p < b.len() && is_ws(b[p]) {
        p += 1;
    }
    p
}

fn trim_ws(b: &[u8]) -> &[u8] {
    let mut e = b.len();
    while e > 0 && is_ws(b[e - 1]) {
        e -= 1;
    }
    &b[..e]
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The OS reason of an I/O error without Rust's `(os error N)` suffix, as OpenSSL prints `strerror`.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let c = Conf::parse("a = 1 # c\n[s]\nb = $a$(a)${a}\nc = \"x # y\"\n", "t").unwrap();
        assert_eq!(c.get("s", "b"), Some("111"));
        assert_eq!(c.get("s", "a"), Some("1"));
        assert_eq!(c.get("s", "c"), Some("x # y"));
    }

    #[test]
    fn endless_files_fail_on_the_size_bound() {
        // /dev/zero never ends: the read must stop one byte past the bound and report it.
        let e = Conf::load("/dev/zero").unwrap_err().to_string();
        assert!(e.contains("is too large"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let cnf = dir.path().join("a.cnf");
        std::fs::write(&cnf, "x = 1\n.include /dev/zero\n").unwrap();
        let e = Conf::load(&cnf).unwrap_err().to_string();
        assert!(e.contains("\"/dev/zero\" is too large"), "{e}");
    }
}

#[cfg(test)]
mod tests_openssl;
