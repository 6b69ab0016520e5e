//! Pass phrase sources (`pass:`, `env:`, `file:`, `fd:`, `stdin`) and the interactive prompt.
//!
//! `openssl cmp` is more forgiving than other OpenSSL commands: when a source cannot be used (no known
//! prefix, missing variable, unreadable file), it prints why on stderr, then uses the argument itself as
//! the pass phrase ("Trying plain input string"). That is why `-keypass 12345` works there while
//! `-keypass fp:4` ends up as a wrong pass phrase. We reproduce the same lines and the same fallback.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// OpenSSL reads at most this many bytes of a pass phrase line.
const MAX_PASS_LEN: usize = 1024;
/// How far OpenSSL looks for the ':' that ends a source prefix.
const PASS_SOURCE_SIZE_MAX: usize = 5;

/// A pass phrase or shared secret. Cleared from memory when dropped; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(Zeroizing::new(bytes.into()))
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// As text, for APIs that want `&str` (PKCS#12 pass phrases). Invalid UTF-8 is refused.
    pub fn as_str(&self) -> Result<&str> {
        std::str::from_utf8(&self.0).map_err(|_| Error::cmp("pass phrase is not valid UTF-8"))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// Resolve a pass phrase argument for `desc` (e.g. "private key for CMP client certificate"), the way
/// `openssl cmp` does, including its fallback to the plain argument with the same stderr lines.
pub fn get_passwd(arg: &str, desc: &str) -> Result<Secret> {
    match app_get_pass(arg) {
        Ok(s) => Ok(s),
        Err(why) => {
            crate::log::raw_stderr(&format!(
                "{why}\nError getting password for {desc}\nTrying plain input string (better precede with 'pass:')\n"
            ));
            Ok(Secret::new(arg.as_bytes()))
        }
    }
}

/// Resolve a pass phrase source strictly: `Err` carries OpenSSL's reason line (no secret in it).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn resolve_source(arg: &str) -> std::result::Result<Secret, String> {
    app_get_pass(arg)
}

fn app_get_pass(arg: &str) -> std::result::Result<Secret, String> {
    if let Some(p) = arg.strip_prefix("pass:") {
        return Ok(Secret::new(p.as_bytes()));
    }
    if let Some(var) = arg.strip_prefix("env:") {
        return match std::env::var_os(var) {
            Some(v) => Ok(Secret::new(std::os::unix::ffi::OsStrExt::as_bytes(
                v.as_os_str(),
            ))),
            None => Err(format!("No environment variable {var}")),
        };
    }
    if let Some(path) = arg.strip_prefix("file:") {
        let f = std::fs::File::open(path).map_err(|_| format!("Can't open file {path}"))?;
        use std::os::fd::AsRawFd;
        return read_line_fd(f.as_raw_fd());
    }
    if let Some(num) = arg.strip_prefix("fd:") {
        // OpenSSL takes the number with atoi(): "fd:abc" means descriptor 0.
        let fd = atoi(num);
        if fd < 0 {
            return Err(format!("Can't access file descriptor {num}"));
        }
        return read_line_fd(fd);
    }
    if arg == "stdin" {
        return read_line_fd(0);
    }
    match arg.find(':') {
        Some(i) if i <= PASS_SOURCE_SIZE_MAX => Err(format!(
            "Invalid password argument, starting with \"{}\"",
            &arg[..=i]
        )),
        _ => Err(format!(
            "Invalid password argument, missing ':' within the first {PASS_SOURCE_SIZE_MAX} chars"
        )),
    }
}

/// C's atoi(): leading blanks, optional sign, digits; anything else ends the number (saturating).
fn atoi(s: &str) -> i32 {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = (n * 10 + i64::from(b - b'0')).min(i64::from(i32::MAX) + 1);
    }
    let n = if neg { -n } else { n };
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Read one line (without its newline) from a file descriptor we do not own, byte by byte so nothing
/// past the line is consumed (a second `fd:` or `stdin` user gets the next line, as with OpenSSL).
fn read_line_fd(fd: i32) -> std::result::Result<Secret, String> {
    let mut buf: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(64));
    let mut got_any = false;
    loop {
        let mut b = [0u8; 1];
        // SAFETY: reading one byte into a local buffer from a descriptor number; a bad fd gives -1/EBADF.
        let n = unsafe { libc::read(fd, b.as_mut_ptr() as *mut libc::c_void, 1) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err("Error reading password from BIO".to_string());
        }
        if n == 0 {
            break;
        }
        got_any = true;
        if b[0] == b'\n' {
            break;
        }
        if buf.len() < MAX_PASS_LEN {
            buf.push(b[0]);
        }
    }
    if !got_any {
        return Err("Error reading password from BIO".to_string());
    }
    Ok(Secret::new(buf.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(
            resolve_source("pass:12345")
                .ok()
                .map(|s| s.as_bytes().to_vec()),
            Some(b"12345".to_vec())
        );
        assert_eq!(
            resolve_source("pass::12345")
                .ok()
                .map(|s| s.as_bytes().to_vec()),
            Some(b":12345".to_vec())
        );
        assert_eq!(
            resolve_source("12345").err().as_deref(),
            Some("Invalid password argument, missing ':' within the first 5 chars")
        );
        assert_eq!(
            resolve_source("fp:4").err().as_deref(),
            Some("Invalid password argument, starting with \"fp:\"")
        );
        assert_eq!(
            resolve_source("env:RCMP_SURELY_UNSET_VAR").err().as_deref(),
            Some("No environment variable RCMP_SURELY_UNSET_VAR")
        );
    }

    #[test]
    fn fallback_is_the_plain_argument() {
        assert_eq!(
            get_passwd("12345", "test key")
                .ok()
                .map(|s| s.as_bytes().to_vec()),
            Some(b"12345".to_vec())
        );
        assert_eq!(
            get_passwd("fp:4", "test key")
                .ok()
                .map(|s| s.as_bytes().to_vec()),
            Some(b"fp:4".to_vec())
        );
    }

    #[test]
    fn fd_numbers_as_atoi() {
        assert_eq!(atoi("4"), 4);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(" 12x"), 12);
        assert_eq!(atoi("-1"), -1);
        assert_eq!(
            resolve_source("fd:-1").err().as_deref(),
            Some("Can't access file descriptor -1")
        );
        assert_eq!(
            resolve_source("fd:999").err().as_deref(),
            Some("Error reading password from BIO")
        );
    }

    #[test]
    fn debug_hides_secret() {
        assert_eq!(
            format!("{:?}", Secret::new("topsecret")),
            "Secret(<hidden>)"
        );
    }
}
