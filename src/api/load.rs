//! Loading credentials from files the way the `rcmp` command does: the format is recognised from
//! the contents (PEM, DER or PKCS#12), encrypted keys and PKCS#12 files are opened with a pass
//! phrase, and a failure names the file and what it was meant to hold, in OpenSSL's words
//! (e.g. `cannot load CMP client certificate from 'cert.pem': file is empty`).

use super::cert::{Certificate, Crl, PrivateKey, PublicKey};
use super::error::{Error, Result};
use crate::creds::{self, Secret};

/// How a credentials file is loaded: the pass phrase for an encrypted key or a PKCS#12 file, and
/// what the file is for, which error messages name.
///
/// ```
/// # fn main() -> rcmp::api::Result<()> {
/// use rcmp::api::{Certificate, LoadOptions};
/// # let file = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/verify/int.pem");
/// let opts = LoadOptions::new().description("issuing CA certificate");
/// let ca = Certificate::load_first(file, &opts)?;
/// # assert!(!ca.subject().is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct LoadOptions {
    pass: Option<Secret>,
    description: Option<String>,
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pass phrase is never shown, only whether there is one.
        f.debug_struct("LoadOptions")
            .field("passphrase", &self.pass.is_some())
            .field("description", &self.description)
            .finish()
    }
}

impl LoadOptions {
    /// No pass phrase, and a generic description.
    pub fn new() -> LoadOptions {
        LoadOptions::default()
    }

    /// The pass phrase for an encrypted private key or a PKCS#12 file (kept in memory that is
    /// cleared when the options are dropped).
    pub fn passphrase(mut self, pass: &[u8]) -> LoadOptions {
        self.pass = Some(Secret::new(pass));
        self
    }

    /// What the file holds, in words, for error messages (e.g. `TLS client private key`).
    pub fn description(mut self, desc: impl Into<String>) -> LoadOptions {
        self.description = Some(desc.into());
        self
    }

    fn pass(&self) -> Option<&Secret> {
        self.pass.as_ref()
    }

    fn desc<'a>(&'a self, default: &'a str) -> &'a str {
        self.description.as_deref().unwrap_or(default)
    }
}

/// The file names in a list as `openssl cmp` options take them (`-trusted a.pem,b.pem`):
/// separated by commas and/or whitespace, empty items dropped.
pub fn file_list(list: &str) -> Vec<&str> {
    creds::split_sources(list)
}

fn certs(v: Vec<creds::Cert>) -> Vec<Certificate> {
    v.into_iter().map(Certificate).collect()
}

impl Certificate {
    /// All certificates of a list of files (see [`file_list`]), each file PEM (any number of
    /// certificates), DER or PKCS#12; an empty list is an error.
    pub fn load_list(files: &str, opts: &LoadOptions) -> Result<Vec<Certificate>> {
        creds::load_certs(files, opts.pass(), opts.desc("certificates"))
            .map(certs)
            .map_err(Error::config)
    }

    /// The first certificate of a file, and the ones after it (e.g. its chain), as `openssl cmp`
    /// takes `-cert`.
    pub fn load_with_chain(
        file: &str,
        opts: &LoadOptions,
    ) -> Result<(Certificate, Vec<Certificate>)> {
        creds::load_cert_with_chain(file, opts.pass(), opts.desc("certificate"))
            .map(|(c, chain)| (Certificate(c), certs(chain)))
            .map_err(Error::config)
    }

    /// The first certificate of a file; any others are ignored.
    pub fn load_first(file: &str, opts: &LoadOptions) -> Result<Certificate> {
        creds::load_cert(file, opts.pass(), opts.desc("certificate"))
            .map(Certificate)
            .map_err(Error::config)
    }

    /// The warnings `openssl cmp` prints when it has loaded this certificate from `file`: not
    /// yet valid or expired at `at` (none without a time), and with `ca_expected` an X.509v3
    /// certificate that is not a CA certificate. Nothing is printed here.
    pub fn load_warnings(
        &self,
        file: &str,
        at: Option<std::time::SystemTime>,
        ca_expected: bool,
    ) -> Vec<String> {
        self.0.load_warnings(file, at, ca_expected)
    }
}

impl PrivateKey {
    /// A private key from a file: PEM or DER (PKCS#8, possibly encrypted, or traditional RSA/EC)
    /// or PKCS#12.
    pub fn load_with(file: &str, opts: &LoadOptions) -> Result<PrivateKey> {
        creds::load_key(file, opts.pass(), opts.desc("private key"))
            .map(PrivateKey)
            .map_err(Error::config)
    }
}

/// A key pair or just a public key, as a key to be certified may be given.
#[derive(Clone, Debug)]
pub enum KeyOrPublic {
    /// A private key (and so its public key).
    Private(PrivateKey),
    /// A public key alone.
    Public(PublicKey),
}

impl KeyOrPublic {
    /// A private key from a file as [`PrivateKey::load_with`] reads it, or else a public key
    /// (PEM `PUBLIC KEY` or DER SubjectPublicKeyInfo). A private key that cannot be decrypted is
    /// an error, not taken as a public key; a certificate is no key.
    pub fn load_with(file: &str, opts: &LoadOptions) -> Result<KeyOrPublic> {
        match creds::load_key_or_pubkey(file, opts.pass(), opts.desc("key")) {
            Ok(creds::KeyOrPub::Private(k)) => Ok(KeyOrPublic::Private(PrivateKey(k))),
            Ok(creds::KeyOrPub::Public(p)) => Ok(KeyOrPublic::Public(PublicKey(p))),
            Err(e) => Err(Error::config(e)),
        }
    }
}

impl Crl {
    /// All CRLs of a list of files (see [`file_list`]), each PEM (any number) or DER; an empty
    /// list is an error.
    pub fn load_list(files: &str, opts: &LoadOptions) -> Result<Vec<Crl>> {
        creds::load_crls(files, opts.desc("CRLs"))
            .map(|v| v.into_iter().map(Crl).collect())
            .map_err(Error::config)
    }
}

/// A PKCS#10 certificate request (RFC 2986), e.g. for [`super::CertRequest::csr`]. Cloning is
/// cheap.
#[derive(Clone, Debug)]
pub struct Csr(creds::Csr);

impl Csr {
    /// Parse one DER-encoded request (its signature is not checked here).
    pub fn from_der(der: &[u8]) -> Result<Csr> {
        creds::Csr::from_der(der).map(Csr).map_err(Error::config)
    }

    /// A request from a PEM (`CERTIFICATE REQUEST`) or DER file.
    pub fn load_with(file: &str, opts: &LoadOptions) -> Result<Csr> {
        creds::load_csr(file, opts.desc("certificate request"))
            .map(Csr)
            .map_err(Error::config)
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        self.0.der()
    }
}
