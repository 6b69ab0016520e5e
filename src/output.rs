//! The only place that writes result files (-certout, -chainout, -cacertsout, -extracertsout, -srvcertout,
//! -newkeyout, -crlout, ...).
//!
//! Files are first staged in memory while the transaction's outcome is turned into outputs, and written
//! only when everything succeeded: each to a temporary file in the target's directory, then renamed over
//! the target. So a failed run never leaves a half-written file, and a failed `kur` whose `-certout` is the
//! current `-cert` keeps the old certificate.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Result;

/// `-certform` / `-crlform`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Pem,
    Der,
}

impl Form {
    /// Parse a format name as OpenSSL's `opt_format` does for PEM/DER (case-insensitive, first letter
    /// decides: `PEM`, `pem`, `DER`, `der`, `ASN1`).
    pub fn parse(s: &str) -> Option<Form> {
        match s.to_ascii_lowercase().as_str() {
            "pem" | "p" => Some(Form::Pem),
            "der" | "d" | "asn1" | "a" => Some(Form::Der),
            _ => None,
        }
    }
}

/// Who may read a written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// The process umask decides, as for any file OpenSSL writes.
    Default,
    /// Owner only (0600): private keys.
    OwnerOnly,
}

#[derive(Debug)]
enum Staged {
    Write {
        path: PathBuf,
        data: Vec<u8>,
        access: Access,
    },
    Delete {
        path: PathBuf,
        desc: String,
    },
    /// A log line OpenSSL prints only once the files staged before it are written.
    Log(crate::log::Level, String),
}

/// Files to be written once the transaction has succeeded, in the order they were staged.
#[derive(Debug, Default)]
pub struct Outputs {
    staged: Vec<Staged>,
}

/// PEM-armour DER data under `label` with 64-character lines, as OpenSSL writes it.
pub fn pem(label: &str, der: &[u8]) -> Vec<u8> {
    // Encoding only fails for labels with invalid characters, which our fixed labels never have.
    der::pem::encode_string(label, der::pem::LineEnding::LF, der)
        .map(String::into_bytes)
        .unwrap_or_default()
}

impl Outputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stage certificates (DER each) for `path`, logging as OpenSSL does:
    /// `received N <desc> certificate(s), saving to file '<path>'`.
    pub fn certs(&mut self, path: &str, certs: &[&[u8]], form: Form, desc: &str) {
        // Like OpenSSL (3.0 and 3.5), also when nothing was received: the line says 0 and the file
        // is emptied.
        crate::info!(
            "received {} {} certificate(s), saving to file '{}'",
            certs.len(),
            desc,
            path
        );
        if certs.len() > 1 && form != Form::Pem {
            crate::warn!("saving more than one certificate in non-PEM format");
        }
        let mut data = Vec::new();
        for der in certs {
            match form {
                Form::Pem => data.extend_from_slice(&pem("CERTIFICATE", der)),
                Form::Der => data.extend_from_slice(der),
            }
        }
        self.stage(path, data, Access::Default);
    }

    /// Stage a CRL (DER) for `path`.
    pub fn crl(&mut self, path: &str, der: &[u8], form: Form, desc: &str) {
        crate::info!("received {}, saving to file '{}'", desc, path);
        let data = match form {
            Form::Pem => pem("X509 CRL", der),
            Form::Der => der.to_vec(),
        };
        self.stage(path, data, Access::Default);
    }

    /// Stage a private key file (already encoded, e.g. PEM), written owner-only.
    pub fn private_key(&mut self, path: &str, data: Vec<u8>) {
        self.stage(path, data, Access::OwnerOnly);
    }

    /// Stage arbitrary bytes (e.g. a DER certTemplate).
    pub fn raw(&mut self, path: &str, data: Vec<u8>) {
        self.stage(path, data, Access::Default);
    }

    /// Stage the removal of `path`: OpenSSL deletes an output file to say "nothing of this kind was
    /// received" (e.g. no root CA update). A file that does not exist is fine.
    pub fn delete(&mut self, path: &str, desc: &str) {
        self.staged.push(Staged::Delete {
            path: PathBuf::from(path),
            desc: desc.to_string(),
        });
    }

    /// Stage a log line, printed when everything staged before it has been written.
    pub fn log_after(&mut self, level: crate::log::Level, line: String) {
        self.staged.push(Staged::Log(level, line));
    }

    fn stage(&mut self, path: &str, data: Vec<u8>, access: Access) {
        // Staging the same file twice keeps the last content, as writing it twice would.
        self.staged
            .retain(|s| !matches!(s, Staged::Write { path: p, .. } if p == Path::new(path)));
        self.staged.push(Staged::Write {
            path: PathBuf::from(path),
            data,
            access,
        });
    }

    /// Write everything staged. Each file is complete or untouched; the first failure stops.
    pub fn commit(self) -> Result<()> {
        for s in self.staged {
            match s {
                Staged::Write { path, data, access } => write_atomically(&path, &data, access)?,
                Staged::Log(level, line) => {
                    crate::log::log(crate::log::Side::Client, level, format_args!("{line}"))
                }
                Staged::Delete { path, desc } => match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(cmp_err!(
                            "failed to delete '{}', which should be done to indicate there is no {}: {}",
                            path.display(),
                            desc,
                            e
                        ))
                    }
                },
            }
        }
        Ok(())
    }
}

/// Write `data` to a fresh temporary file beside `path` and rename it over `path`.
///
/// Two kinds of targets are not replaced: a symbolic link is followed (the file it points to is
/// replaced, the link stays), and anything that is not a regular file (`/dev/null`, a FIFO, a terminal)
/// is written in place, as OpenSSL does; renaming over a device would destroy it.
fn write_atomically(path: &Path, data: &[u8], access: Access) -> Result<()> {
    // Two lines, as OpenSSL reports it: the app's (stderr) and the system's reason (stdout).
    let fail =
        |what: &str, e: std::io::Error| cmp_err!("cannot {what} '{}'", path.display()).because(e);
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    };
    if let Ok(m) = fs::metadata(&target) {
        if !m.is_file() {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(|e| fail("open for writing", e))?;
            return f.write_all(data).map_err(|e| fail("write", e));
        }
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| cmp_err!("output file name '{}' is not a file", path.display()))?;
    // Unique per process and per call, so threads writing the same file never collide.
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".rcmp-{}-{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);

    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(match access {
            Access::OwnerOnly => 0o600,
            Access::Default => 0o666,
        });
    }
    let result = (|| {
        let mut f = opts
            .open(&tmp)
            .map_err(|e| fail("create a temporary file to write", e))?;
        f.write_all(data).map_err(|e| fail("write", e))?;
        // Durable before it becomes visible: a crash never leaves an empty certificate behind.
        f.sync_all().map_err(|e| fail("write", e))?;
        fs::rename(&tmp, &target).map_err(|e| fail("write", e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_matches_known_encoding() {
        let p = String::from_utf8(pem("X", b"hello world")).unwrap();
        assert_eq!(p, "-----BEGIN X-----\naGVsbG8gd29ybGQ=\n-----END X-----\n");
        let long = pem("Y", &[0u8; 60]);
        let lines: Vec<&str> = std::str::from_utf8(&long).unwrap().lines().collect();
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2], "AAAAAAAAAAAAAAAA");
    }

    #[test]
    fn nothing_is_written_before_commit_and_all_after() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.pem");
        let k = dir.path().join("k.pem");
        let mut out = Outputs::new();
        out.certs(a.to_str().unwrap(), &[b"\x30\x00"], Form::Der, "test");
        out.private_key(k.to_str().unwrap(), b"secret".to_vec());
        assert!(!a.exists());
        out.commit().unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"\x30\x00");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&k).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        // No temporary files left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn failed_write_leaves_existing_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("missing-dir").join("x.pem");
        let mut out = Outputs::new();
        out.certs(target.to_str().unwrap(), &[b"\x30\x00"], Form::Pem, "test");
        let err = out.commit().unwrap_err().to_string();
        assert!(err.contains("x.pem"), "{err}");
    }

    #[test]
    fn special_files_are_written_in_place_not_replaced() {
        // A FIFO stands in for /dev/null and friends: renaming over it would turn it into a file.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        let mut out = Outputs::new();
        out.raw(fifo.to_str().unwrap(), b"through the pipe".to_vec());
        out.commit().unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn symlink_target_is_replaced_and_link_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.pem");
        let link = dir.path().join("link.pem");
        fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut out = Outputs::new();
        out.raw(link.to_str().unwrap(), b"new".to_vec());
        out.commit().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn delete_of_missing_file_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Outputs::new();
        out.delete(dir.path().join("nope").to_str().unwrap(), "thing");
        out.commit().unwrap();
    }
}
