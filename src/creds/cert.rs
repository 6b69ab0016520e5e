//! X.509 certificates: loading from PEM, DER and PKCS#12 files and lists of files, and the accessors the
//! CMP code needs (names, keys, extensions, the exact signed bytes).

use std::sync::Arc;
use std::time::SystemTime;

use const_oid::db::rfc5280 as oids;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
#[cfg(any(test, fuzzing, feature = "bench"))]
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectAltName};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::Certificate;

use super::pass::Secret;
use super::{dn, pem, pkcs12, read_file, split_sources};
use crate::error::{Error, Result};

/// PEM labels OpenSSL's store reads as certificates.
const CERT_LABELS: [&str; 3] = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];

/// At most this many certificates are taken from one file or list.
pub const MAX_CERTS: usize = 10_000;

struct Inner {
    der: Vec<u8>,
    cert: Certificate,
}

/// A certificate: its original DER (kept byte for byte, as signatures and hashes need it) and the parsed
/// form. Cloning is cheap.
#[derive(Clone)]
pub struct Cert(Arc<Inner>);

impl std::fmt::Debug for Cert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cert({})", self.subject_oneline())
    }
}

/// The certificates of `certs` in order, each distinct certificate (by its DER) once. Linear in the
/// number of certificates, so trust stores of thousands of certificates stay cheap.
pub fn distinct<'a>(certs: impl IntoIterator<Item = &'a Cert>) -> Vec<Cert> {
    let mut seen = std::collections::HashSet::new();
    certs
        .into_iter()
        .filter(|c| seen.insert((*c).der()))
        .cloned()
        .collect()
}

impl PartialEq for Cert {
    fn eq(&self, other: &Self) -> bool {
        self.0.der == other.0.der
    }
}
impl Eq for Cert {}

impl Cert {
    /// Parse one DER certificate (the whole input must be the certificate).
    pub fn from_der(der: &[u8]) -> Result<Cert> {
        let cert = Certificate::from_der(der)
            .map_err(|e| Error::cmp(format!("invalid certificate: {e}")))?;
        Ok(Cert(Arc::new(Inner {
            der: der.to_vec(),
            cert,
        })))
    }

    /// A decoded certificate with the bytes it was decoded from (kept as they are: a received
    /// certificate is saved and compared as sent, see `asn1::CmpCertificate`).
    pub(crate) fn from_parts(cert: Certificate, der: Vec<u8>) -> Cert {
        Cert(Arc::new(Inner { der, cert }))
    }

    pub fn from_parsed(cert: Certificate) -> Result<Cert> {
        let der = cert
            .to_der()
            .map_err(|e| Error::cmp(format!("cannot encode certificate: {e}")))?;
        Ok(Cert(Arc::new(Inner { der, cert })))
    }

    pub fn der(&self) -> &[u8] {
        &self.0.der
    }
    pub fn cert(&self) -> &Certificate {
        &self.0.cert
    }
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.0.der)
    }
    pub fn subject(&self) -> &Name {
        self.0.cert.tbs_certificate().subject()
    }
    pub fn issuer(&self) -> &Name {
        self.0.cert.tbs_certificate().issuer()
    }
    /// `/C=AU/O=.../CN=leaf`, as `openssl cmp` logs names.
    pub fn subject_oneline(&self) -> String {
        dn::oneline(self.subject())
    }
    pub fn issuer_oneline(&self) -> String {
        dn::oneline(self.issuer())
    }
    /// Serial number as its DER INTEGER content bytes (big-endian, two's complement).
    pub fn serial(&self) -> &[u8] {
        self.0.cert.tbs_certificate().serial_number().as_bytes()
    }
    /// X.509 version number as written (0 = v1, 2 = v3).
    pub fn version(&self) -> u8 {
        self.0.cert.tbs_certificate().version() as u8
    }
    pub fn spki(&self) -> &spki::SubjectPublicKeyInfoOwned {
        self.0.cert.tbs_certificate().subject_public_key_info()
    }
    /// The SubjectPublicKeyInfo as DER.
    pub fn spki_der(&self) -> Result<Vec<u8>> {
        self.spki()
            .to_der()
            .map_err(|e| Error::cmp(format!("cannot encode public key: {e}")))
    }
    pub fn not_before(&self) -> SystemTime {
        self.0
            .cert
            .tbs_certificate()
            .validity()
            .not_before
            .to_system_time()
    }

    /// The warnings OpenSSL's apps print on stderr when loading this certificate from `file`: out of
    /// its validity period at `at` (None: time checks off, as with `-no_check_time`), and, where
    /// `warn_ee` (files of CA certificates), an end-entity (v3, not a CA) certificate. OpenSSL 4.0
    /// words the validity problems as its verifier does.
    pub fn load_warnings(&self, file: &str, at: Option<SystemTime>, warn_ee: bool) -> Vec<String> {
        let v40 = crate::compat::get() == crate::compat::Compat::V4_0;
        let validity = at.and_then(|at| {
            if at < self.not_before() {
                Some(if v40 {
                    "certificate is not yet valid or the system clock is incorrect"
                } else {
                    "not yet valid"
                })
            } else if at > self.not_after() {
                Some(if v40 {
                    "certificate has expired"
                } else {
                    "has expired"
                })
            } else {
                None
            }
        });
        let not_ca =
            (warn_ee && self.version() != 0 && !self.is_ca()).then_some("is not a CA cert");
        [validity, not_ca]
            .into_iter()
            .flatten()
            .map(|what| {
                format!(
                    "Warning: certificate from '{file}' with subject '{}' {what}",
                    self.subject_oneline()
                )
            })
            .collect()
    }
    pub fn not_after(&self) -> SystemTime {
        self.0
            .cert
            .tbs_certificate()
            .validity()
            .not_after
            .to_system_time()
    }
    pub fn signature_algorithm(&self) -> &AlgorithmIdentifierOwned {
        self.0.cert.signature_algorithm()
    }
    /// The signature bits (no unused bits in practice; a BIT STRING with unused bits gives an empty slice).
    pub fn signature(&self) -> &[u8] {
        self.0.cert.signature().as_bytes().unwrap_or(&[])
    }
    /// The exact DER of TBSCertificate as found in the file, i.e. the bytes the signature covers.
    pub fn tbs_der(&self) -> &[u8] {
        super::tlv_content(&self.0.der)
            .and_then(super::first_tlv)
            .unwrap_or(&[])
    }
    pub fn extensions(&self) -> &[Extension] {
        self.0
            .cert
            .tbs_certificate()
            .extensions()
            .map_or(&[], |v| v.as_slice())
    }
    pub fn extension(&self, oid: &ObjectIdentifier) -> Option<&Extension> {
        self.extensions().iter().find(|e| e.extn_id == *oid)
    }
    fn ext<'a, T: Decode<'a>>(&'a self, oid: &ObjectIdentifier) -> Option<T> {
        self.extension(oid)
            .and_then(|e| T::from_der(e.extn_value.as_bytes()).ok())
    }
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.ext(&oids::ID_CE_BASIC_CONSTRAINTS)
    }
    pub fn is_ca(&self) -> bool {
        self.basic_constraints().is_some_and(|b| b.ca)
    }
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.ext(&oids::ID_CE_KEY_USAGE)
    }
    /// keyUsage allows `bit`, or there is no keyUsage; an undecodable keyUsage allows nothing.
    pub fn key_usage_allows(&self, bit: x509_cert::ext::pkix::KeyUsages) -> bool {
        self.extension(&oids::ID_CE_KEY_USAGE).is_none()
            || self.key_usage().is_some_and(|ku| ku.0.contains(bit))
    }
    pub fn ext_key_usage(&self) -> Option<ExtendedKeyUsage> {
        self.ext(&oids::ID_CE_EXT_KEY_USAGE)
    }
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn subject_alt_name(&self) -> Option<SubjectAltName> {
        self.ext(&oids::ID_CE_SUBJECT_ALT_NAME)
    }
    pub fn subject_key_id(&self) -> Option<Vec<u8>> {
        self.ext::<SubjectKeyIdentifier>(&oids::ID_CE_SUBJECT_KEY_IDENTIFIER)
            .map(|s| s.0.as_bytes().to_vec())
    }
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn authority_key_id(&self) -> Option<Vec<u8>> {
        self.ext::<AuthorityKeyIdentifier>(&oids::ID_CE_AUTHORITY_KEY_IDENTIFIER)
            .and_then(|a| a.key_identifier.map(|k| k.as_bytes().to_vec()))
    }
    /// Subject and issuer are the same name (OpenSSL's "self-issued"; not a signature check).
    pub fn is_self_issued(&self) -> bool {
        dn::names_equal(self.subject(), self.issuer())
    }
    /// Check this certificate's signature with `issuer`'s public key.
    pub fn verify_issued_by(&self, issuer: &Cert) -> Result<()> {
        let spki = issuer.spki_der()?;
        super::key::verify_signature(
            &spki,
            self.signature_algorithm(),
            self.tbs_der(),
            self.signature(),
        )
    }
}

/// Certificates in the bytes of one file: PEM (any number, other blocks and text skipped), DER, or
/// PKCS#12 (decrypted with `pass`).
pub fn certs_from_bytes(
    data: &[u8],
    pass: Option<&Secret>,
    file: &str,
    desc: &str,
) -> Result<Vec<Cert>> {
    let fail = |why: &str| Error::cmp(format!("cannot load {desc} from '{file}': {why}"));
    if data.is_empty() {
        return Err(fail("file is empty"));
    }
    if pem::looks_like_pem(data) {
        let mut out = Vec::new();
        for b in pem::parse(data) {
            match b {
                Ok(b) if CERT_LABELS.contains(&b.label.as_str()) => {
                    // A TRUSTED CERTIFICATE carries OpenSSL's trust settings after the certificate.
                    let der = super::first_tlv(&b.der).unwrap_or(&b.der);
                    let c = Cert::from_der(der).map_err(|e| fail(&e.to_string()))?;
                    out.push(c);
                    if out.len() > MAX_CERTS {
                        return Err(fail(&format!("more than {MAX_CERTS} certificates")));
                    }
                }
                Err(label) if CERT_LABELS.contains(&label.as_str()) => {
                    return Err(fail(&format!("malformed PEM block '{label}'")));
                }
                _ => {}
            }
        }
        if out.is_empty() {
            return Err(super::wrong_kind(
                fail("no certificate found in PEM file"),
                file,
                data,
                "a certificate",
            ));
        }
        return Ok(out);
    }
    if pkcs12::is_pkcs12(data) {
        let c = pkcs12::parse(data, pass, file, desc)?;
        if c.certs.is_empty() {
            return Err(fail("no certificate found in PKCS#12 file"));
        }
        return c
            .certs
            .iter()
            .map(|d| Cert::from_der(d).map_err(|e| fail(&e.to_string())))
            .collect();
    }
    if data.first() == Some(&0x30) {
        if let Some(tlv) = super::first_tlv(data) {
            if tlv.len() == data.len() {
                if let Ok(c) = Cert::from_der(data) {
                    return Ok(vec![c]);
                }
            }
        }
    }
    Err(fail(
        "no certificate found (file is neither PEM nor DER nor PKCS#12 holding one)",
    ))
}

/// Load all certificates from a list of sources (files separated by commas and/or whitespace).
pub fn load_certs(sources: &str, pass: Option<&Secret>, desc: &str) -> Result<Vec<Cert>> {
    let mut out = Vec::new();
    let files = split_sources(sources);
    if files.is_empty() {
        return Err(Error::cmp(format!(
            "cannot load {desc}: no file name given"
        )));
    }
    for f in files {
        let data = read_file(f, desc)?;
        out.extend(certs_from_bytes(&data, pass, f, desc)?);
        if out.len() > MAX_CERTS {
            return Err(Error::cmp(format!(
                "cannot load {desc}: more than {MAX_CERTS} certificates"
            )));
        }
    }
    Ok(out)
}

/// Load one certificate. Like OpenSSL's `load_cert`, a file holding several takes the first and ignores
/// the rest; use [`load_cert_with_chain`] where the rest matters (`-cert`).
pub fn load_cert(file: &str, pass: Option<&Secret>, desc: &str) -> Result<Cert> {
    Ok(load_cert_with_chain(file, pass, desc)?.0)
}

/// Load a certificate and the certificates after it in the same file (for `-cert`, where OpenSSL uses
/// the first as the client certificate and the rest as untrusted chain certificates).
pub fn load_cert_with_chain(
    file: &str,
    pass: Option<&Secret>,
    desc: &str,
) -> Result<(Cert, Vec<Cert>)> {
    let data = read_file(file, desc)?;
    let mut certs = certs_from_bytes(&data, pass, file, desc)?;
    if certs.is_empty() {
        return Err(Error::cmp(format!(
            "cannot load {desc} from '{file}': no certificate found"
        )));
    }
    let first = certs.remove(0);
    Ok((first, certs))
}
