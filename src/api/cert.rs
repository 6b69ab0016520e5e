//! Certificates and keys as the library API takes and returns them.

use std::path::Path;

use zeroize::Zeroizing;

use super::error::{Error, Result};
use crate::creds::{self, Secret};

/// A distinguished name in OpenSSL's text form, `/type0=value0/type1=value1/...` (a backslash escapes,
/// `+` joins the attributes of a multi-valued RDN), as the names of [`super::CertRequest`] and
/// [`super::ClientBuilder`] take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(x509_cert::name::Name);

impl Name {
    /// Parse `text`; `what` names it in the error (e.g. `subject`), which has `openssl cmp`'s
    /// wording for a bad name option.
    pub fn parse(text: &str, what: &str) -> Result<Name> {
        creds::dn::parse_dn(text, what)
            .map(Name)
            .map_err(Error::config)
    }

    /// The DER encoding of the name.
    pub fn to_der(&self) -> Result<Vec<u8>> {
        use der::Encode;
        self.0
            .to_der()
            .map_err(|e| Error::new(super::ErrorKind::Config, format!("cannot encode name: {e}")))
    }
}

/// A name as the builders take it: OpenSSL's text form, parsed when the client or request is
/// built, or a [`Name`] parsed already (then its warnings, e.g. for an unknown attribute type, are
/// not printed a second time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameArg(NameSource);

#[derive(Clone, Debug, PartialEq, Eq)]
enum NameSource {
    Text(String),
    Parsed(Name),
}

impl NameArg {
    /// The name, parsed if it was given as text; `what` names it in errors and warnings.
    fn resolve(&self, what: &str) -> Result<x509_cert::name::Name> {
        match &self.0 {
            NameSource::Text(t) => Name::parse(t, what).map(|n| n.0),
            NameSource::Parsed(n) => Ok(n.0.clone()),
        }
    }

    /// [`NameArg::resolve`] for a name a builder may not have been given.
    pub(crate) fn resolve_opt(
        arg: &Option<NameArg>,
        what: &str,
    ) -> Result<Option<x509_cert::name::Name>> {
        arg.as_ref().map(|n| n.resolve(what)).transpose()
    }
}

impl From<&str> for NameArg {
    fn from(text: &str) -> NameArg {
        NameArg(NameSource::Text(text.to_string()))
    }
}

impl From<String> for NameArg {
    fn from(text: String) -> NameArg {
        NameArg(NameSource::Text(text))
    }
}

impl From<&String> for NameArg {
    fn from(text: &String) -> NameArg {
        NameArg(NameSource::Text(text.clone()))
    }
}

impl From<Name> for NameArg {
    fn from(name: Name) -> NameArg {
        NameArg(NameSource::Parsed(name))
    }
}

/// An X.509 certificate (RFC 5280). Cloning is cheap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate(pub(super) creds::Cert);

impl Certificate {
    /// Parse one DER-encoded certificate.
    pub fn from_der(der: &[u8]) -> Result<Certificate> {
        creds::Cert::from_der(der)
            .map(Certificate)
            .map_err(Error::config)
    }

    /// All certificates in the bytes of a file: PEM (any number of `CERTIFICATE` blocks), DER, or
    /// an unencrypted PKCS#12 file.
    pub fn all_from_bytes(data: &[u8]) -> Result<Vec<Certificate>> {
        creds::cert::certs_from_bytes(data, None, "(bytes)", "certificates")
            .map(|v| v.into_iter().map(Certificate).collect())
            .map_err(Error::config)
    }

    /// The first certificate in the bytes of a file (PEM, DER or PKCS#12).
    pub fn from_bytes(data: &[u8]) -> Result<Certificate> {
        Certificate::all_from_bytes(data)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::config(cmp_err!("no certificate found")))
    }

    /// All certificates in a file (PEM, DER or PKCS#12).
    pub fn load(path: impl AsRef<Path>) -> Result<Vec<Certificate>> {
        let data = read(path.as_ref())?;
        Certificate::all_from_bytes(&data)
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        self.0.der()
    }

    /// The PEM encoding (one `CERTIFICATE` block).
    pub fn to_pem(&self) -> String {
        self.0.to_pem()
    }

    /// The subject as OpenSSL's one-line form, e.g. `/O=Example/CN=alice`.
    pub fn subject(&self) -> String {
        self.0.subject_oneline()
    }

    /// The issuer, in the same form as [`Certificate::subject`].
    pub fn issuer(&self) -> String {
        self.0.issuer_oneline()
    }

    /// The serial number's big-endian bytes (DER INTEGER content).
    pub fn serial(&self) -> &[u8] {
        self.0.serial()
    }
}

/// A public key alone (e.g. to be certified without proof of possession). Cloning is cheap.
#[derive(Clone, Debug)]
pub struct PublicKey(pub(super) creds::key::PublicKey);

impl PublicKey {
    /// Parse a DER SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7).
    pub fn from_der(spki: &[u8]) -> Result<PublicKey> {
        creds::key::PublicKey::from_spki_der(spki)
            .map(PublicKey)
            .map_err(Error::config)
    }
}

/// A certificate revocation list (RFC 5280 section 5). Cloning is cheap.
#[derive(Clone, Debug)]
pub struct Crl(pub(super) creds::Crl);

impl Crl {
    /// Parse one DER-encoded CRL.
    pub fn from_der(der: &[u8]) -> Result<Crl> {
        creds::Crl::from_der(der).map(Crl).map_err(Error::config)
    }

    /// The DER encoding, exactly as received or parsed.
    pub fn der(&self) -> &[u8] {
        self.0.der()
    }

    /// Whether the CRL's issuer is the issuer of `cert` (names compared as RFC 5280 section 7.1
    /// says, not byte for byte).
    pub fn same_issuer_as(&self, cert: &Certificate) -> bool {
        !crate::client::genm::crl_issuers_differ(&cert.0, &self.0)
    }
}

/// A private key (RSA, EC P-256/P-384/P-521, Ed25519, ML-DSA). Cloning is cheap; the key material
/// is cleared when the last clone is dropped.
#[derive(Clone)]
pub struct PrivateKey(pub(super) creds::PrivateKey);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

/// Key types [`PrivateKey::generate`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA with this many bits (2048..=16384 recommended).
    Rsa(u32),
    /// ECDSA on NIST P-256.
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
    /// Ed25519.
    Ed25519,
}

impl PrivateKey {
    /// Parse a key from the bytes of a file: PEM or DER, PKCS#8 (possibly encrypted with
    /// `pass`), traditional RSA/EC, or PKCS#12.
    pub fn from_bytes(data: &[u8], pass: Option<&str>) -> Result<PrivateKey> {
        let pass = pass.map(|p| Secret::new(p.as_bytes()));
        creds::key::key_from_bytes(data, pass.as_ref(), "(bytes)", "private key")
            .map(PrivateKey)
            .map_err(Error::config)
    }

    /// Load a key from a file; see [`PrivateKey::from_bytes`].
    pub fn load(path: impl AsRef<Path>, pass: Option<&str>) -> Result<PrivateKey> {
        let data = Zeroizing::new(read(path.as_ref())?);
        PrivateKey::from_bytes(&data, pass)
    }

    /// See creds' `PrivateKey::for_few_signatures`: for the keys of a client run.
    pub(crate) fn for_few_signatures(self) -> PrivateKey {
        PrivateKey(self.0.for_few_signatures())
    }

    #[cfg(test)]
    pub(crate) fn blinds_per_signature(&self) -> bool {
        self.0.blinds_per_signature()
    }

    /// Generate a fresh key pair.
    pub fn generate(alg: KeyAlgorithm) -> Result<PrivateKey> {
        use creds::key::{Curve, KeySpec};
        let spec = match alg {
            KeyAlgorithm::Rsa(bits) => KeySpec::Rsa(bits),
            KeyAlgorithm::EcP256 => KeySpec::Ec(Curve::P256),
            KeyAlgorithm::EcP384 => KeySpec::Ec(Curve::P384),
            KeyAlgorithm::Ed25519 => KeySpec::Ed25519,
        };
        creds::key::generate_key(spec)
            .map(PrivateKey)
            .map_err(Error::config)
    }

    /// The key as unencrypted PKCS#8 PEM (`PRIVATE KEY`).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        self.0.to_pkcs8_pem().map_err(Error::config)
    }

    /// The key as PKCS#8 PEM encrypted under `pass` (`ENCRYPTED PRIVATE KEY`, PBES2 with
    /// AES-256-CBC, as `openssl cmp -newkeypass` writes it).
    pub fn to_encrypted_pkcs8_pem(&self, pass: &[u8]) -> Result<String> {
        self.0
            .to_encrypted_pkcs8_pem(&Secret::new(pass))
            .map_err(Error::config)
    }

    /// The key as unencrypted PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.0.to_pkcs8_der().map_err(Error::config)
    }

    /// Whether `cert` certifies this key's public key.
    pub fn matches(&self, cert: &Certificate) -> bool {
        self.0.matches_cert(&cert.0)
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::config(cmp_err!("cannot read '{}': {e}", path.display())))
}
