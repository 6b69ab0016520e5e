//! The test PKI of the differential tester, made fresh by the real OpenSSL 3.5 at the start of a run so
//! the tester is tied to no fixed set of certificates (the corpus' PKI in particular).
//!
//! `RCMP_DIFF_PKI=DIR` puts it in DIR instead of a temporary folder and keeps it there for reruns by
//! hand; when DIR already holds every file of [`FILES`], those are used as they are, so a PKI made
//! elsewhere (same file names and roles) can be tried. A DIR holding only some of them is refused.

use crate::common::{openssl35, run_ok};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The files the scenarios use, by role. Keys are unencrypted PEM.
pub const FILES: &[&str] = &[
    "root.crt",           // trust anchor of everything below (EC P-256)
    "inter.crt", // intermediate CA issuing the mock's, the client's and the new certificates
    "chain.pem", // inter.crt then root.crt
    "server.crt", // the mock server's signing certificate (RSA-2048: the one RSA key)
    "server.key", //
    "client.key", // the client's current key (EC)
    "client.crt", // valid client certificate for client.key
    "client_expired.crt", // same subject and key, issued by inter, expired in 2021
    "client_foreign.crt", // same subject and key, issued by foreign_root.crt
    "foreign_root.crt", // a self-signed CA that has the intermediate's subject but another key
    "new.key",   // the key the mock's -rsp_cert certifies
    "new.crt",   // that certificate (issued by inter)
    "new.csr",   // a PKCS#10 request for new.key
    "other.key", // a key the returned certificate does not match
    "other.csr", // a PKCS#10 request for other.key
];

/// Extensions for `x509 -req`: CA certificates and end-entity certificates.
const EXT_CNF: &str =
    "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
[ee]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

pub struct Pki {
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Pki {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The PKI of this run: `$RCMP_DIFF_PKI` if it is complete, else a fresh one (there or in a
    /// temporary folder).
    pub fn get() -> Pki {
        let (dir, tmp) = match std::env::var_os("RCMP_DIFF_PKI").filter(|v| !v.is_empty()) {
            Some(d) => {
                let d = PathBuf::from(d);
                std::fs::create_dir_all(&d)
                    .unwrap_or_else(|e| panic!("RCMP_DIFF_PKI={}: {e}", d.display()));
                (d, None)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("rcmp-diff-pki-")
                    .tempdir()
                    .expect("HARNESS: temp dir for the PKI");
                (t.path().to_path_buf(), Some(t))
            }
        };
        let dir = dir
            .canonicalize()
            .unwrap_or_else(|e| panic!("PKI folder {}: {e}", dir.display()));
        // Tests of this binary run in parallel and may share RCMP_DIFF_PKI: one makes it, the
        // others wait and then find it complete.
        static MAKING: Mutex<()> = Mutex::new(());
        let _guard = MAKING.lock().unwrap_or_else(|e| e.into_inner());
        let missing: Vec<&str> = FILES
            .iter()
            .copied()
            .filter(|f| !dir.join(f).is_file())
            .collect();
        if missing.len() == FILES.len() {
            generate(&dir);
        } else if !missing.is_empty() {
            // Never overwrite part of a PKI someone put there.
            panic!(
                "RCMP_DIFF_PKI={}: incomplete PKI, missing {} (use an empty folder to have one made)",
                dir.display(),
                missing.join(", ")
            );
        }
        Pki { dir, _tmp: tmp }
    }
}

fn ossl(dir: &Path, args: &[&str]) {
    let mut c = openssl35();
    c.args(args).current_dir(dir);
    run_ok(&mut c);
}

fn ec_key(dir: &Path, name: &str) {
    ossl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            name,
        ],
    );
}

fn self_signed(dir: &Path, key: &str, subject: &str, out: &str) {
    ossl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            key,
            "-subj",
            subject,
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            out,
        ],
    );
}

fn csr(dir: &Path, key: &str, subject: &str, out: &str) {
    ossl(
        dir,
        &["req", "-new", "-key", key, "-subj", subject, "-out", out],
    );
}

/// Issue `csr` with `ca`; `validity` is `-days N` or `-not_before X -not_after Y`.
fn issue(dir: &Path, csr: &str, ca: &str, ext: &str, validity: &[&str], out: &str) {
    let ca_key = format!("{ca}.key");
    let ca_crt = format!("{ca}.crt");
    let mut args = vec![
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        &ca_crt,
        "-CAkey",
        &ca_key,
        "-extfile",
        "ext.cnf",
        "-extensions",
        ext,
        "-out",
        out,
    ];
    args.extend_from_slice(validity);
    ossl(dir, &args);
}

fn generate(dir: &Path) {
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text)
            .unwrap_or_else(|e| panic!("writing {}: {e}", dir.join(name).display()));
    };
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.join(name).display()))
    };
    write("ext.cnf", EXT_CNF);
    let days: &[&str] = &["-days", "3650"];
    ec_key(dir, "root.key");
    self_signed(dir, "root.key", "/CN=Diff Root CA", "root.crt");
    ec_key(dir, "inter.key");
    csr(dir, "inter.key", "/CN=Diff Intermediate CA", "inter.csr");
    issue(dir, "inter.csr", "root", "ca", days, "inter.crt");
    write("chain.pem", &(read("inter.crt") + &read("root.crt")));
    ossl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "server.key",
        ],
    );
    csr(dir, "server.key", "/CN=Diff Mock Server", "server.csr");
    issue(dir, "server.csr", "inter", "ee", days, "server.crt");
    ec_key(dir, "client.key");
    csr(dir, "client.key", "/CN=Diff Client", "client.csr");
    issue(dir, "client.csr", "inter", "ee", days, "client.crt");
    let expired: &[&str] = &[
        "-not_before",
        "20200101000000Z",
        "-not_after",
        "20210101000000Z",
    ];
    issue(
        dir,
        "client.csr",
        "inter",
        "ee",
        expired,
        "client_expired.crt",
    );
    ec_key(dir, "foreign_root.key");
    self_signed(
        dir,
        "foreign_root.key",
        "/CN=Diff Intermediate CA",
        "foreign_root.crt",
    );
    issue(
        dir,
        "client.csr",
        "foreign_root",
        "ee",
        days,
        "client_foreign.crt",
    );
    ec_key(dir, "new.key");
    csr(dir, "new.key", "/CN=Diff New", "new.csr");
    issue(dir, "new.csr", "inter", "ee", days, "new.crt");
    ec_key(dir, "other.key");
    csr(dir, "other.key", "/CN=Diff Other", "other.csr");
    ec_key(dir, "newroot.key");
    self_signed(dir, "newroot.key", "/CN=Diff Root CA", "newroot.crt");
    csr(dir, "newroot.key", "/CN=Diff Root CA", "newroot.csr");
    issue(dir, "newroot.csr", "root", "ca", days, "newwithold.crt");
    csr(dir, "root.key", "/CN=Diff Root CA", "root.csr");
    issue(dir, "root.csr", "newroot", "ca", days, "oldwithnew.crt");
}
