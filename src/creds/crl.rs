//! Certificate revocation lists (`-crls`, `-oldcrl`, `-crlout`): loading PEM/DER files and lists of
//! them, issuer and update times, re-encoding.

use std::sync::Arc;
#[cfg(any(test, fuzzing, feature = "bench"))]
use std::time::SystemTime;

use der::Decode;
use x509_cert::crl::CertificateList;
use x509_cert::name::Name;

use super::{pem, read_file, split_sources};
use crate::error::{Error, Result};

/// At most this many CRLs from one file or list.
pub const MAX_CRLS: usize = 1_000;

struct Inner {
    der: Vec<u8>,
    crl: CertificateList,
}

/// A CRL: original DER plus the parsed form. Cloning is cheap.
#[derive(Clone)]
pub struct Crl(Arc<Inner>);

impl std::fmt::Debug for Crl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Crl({})", super::dn::oneline(self.issuer()))
    }
}

impl Crl {
    pub fn from_der(der: &[u8]) -> Result<Crl> {
        let crl = match CertificateList::from_der(der) {
            Ok(c) => c,
            // x509-cert requires the version field, which RFC 5280 leaves out of v1 CRLs: read
            // those with an explicit v1 put in (the original DER is kept as it is).
            Err(e) => with_v1_version(der)
                .and_then(|d| CertificateList::from_der(&d).ok())
                .ok_or_else(|| Error::cmp(format!("invalid CRL: {e}")))?,
        };
        Ok(Crl(Arc::new(Inner {
            der: der.to_vec(),
            crl,
        })))
    }
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }
    pub fn crl(&self) -> &CertificateList {
        &self.0.crl
    }
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn to_pem(&self) -> String {
        pem::encode("X509 CRL", &self.0.der)
    }
    pub fn issuer(&self) -> &Name {
        &self.0.crl.tbs_cert_list.issuer
    }
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn this_update(&self) -> SystemTime {
        self.0.crl.tbs_cert_list.this_update.to_system_time()
    }
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn next_update(&self) -> Option<SystemTime> {
        self.0
            .crl
            .tbs_cert_list
            .next_update
            .map(|t| t.to_system_time())
    }
    /// The exact DER of TBSCertList, as signed.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn tbs_der(&self) -> &[u8] {
        super::tlv_content(&self.0.der)
            .and_then(super::first_tlv)
            .unwrap_or(&[])
    }
}

/// A copy of a version-less (v1) CRL with `version INTEGER 0` inserted into its TBSCertList; `None`
/// if `der` is not a CertificateList whose TBSCertList starts with something other than an INTEGER.
fn with_v1_version(der: &[u8]) -> Option<Vec<u8>> {
    let outer = super::first_tlv(der)?;
    let tbs = super::first_tlv(super::tlv_content(outer)?)?;
    let tbs_body = super::tlv_content(tbs)?;
    if *tbs_body.first()? == 0x02 || *outer.first()? != 0x30 || *tbs.first()? != 0x30 {
        return None;
    }
    let rest = &super::tlv_content(outer)?[tbs.len()..];
    let new_tbs = seq(&[&[0x02, 0x01, 0x00], tbs_body].concat())?;
    seq(&[new_tbs.as_slice(), rest].concat())
}

/// A DER SEQUENCE around `content`.
fn seq(content: &[u8]) -> Option<Vec<u8>> {
    use der::Encode;
    let len = der::Length::try_from(content.len()).ok()?;
    let mut out = der::Header::new(der::Tag::Sequence, len).to_der().ok()?;
    out.extend_from_slice(content);
    Some(out)
}

/// CRLs in the bytes of one file (PEM `X509 CRL` blocks, other text skipped; or one DER CRL).
pub fn crls_from_bytes(data: &[u8], file: &str, desc: &str) -> Result<Vec<Crl>> {
    let fail = |why: &str| Error::cmp(format!("cannot load {desc} from '{file}': {why}"));
    if data.is_empty() {
        return Err(fail("file is empty"));
    }
    if pem::looks_like_pem(data) {
        let mut out = Vec::new();
        for b in pem::parse(data).flatten() {
            if b.label == "X509 CRL" {
                out.push(Crl::from_der(&b.der).map_err(|e| fail(&e.to_string()))?);
                if out.len() > MAX_CRLS {
                    return Err(fail(&format!("more than {MAX_CRLS} CRLs")));
                }
            }
        }
        if out.is_empty() {
            return Err(fail("no CRL found in PEM file"));
        }
        return Ok(out);
    }
    Crl::from_der(data)
        .map(|c| vec![c])
        .map_err(|_| fail("no CRL found (file is neither PEM nor DER)"))
}

/// Load all CRLs from a list of sources separated by commas and/or whitespace.
pub fn load_crls(sources: &str, desc: &str) -> Result<Vec<Crl>> {
    let files = split_sources(sources);
    if files.is_empty() {
        return Err(Error::cmp(format!(
            "cannot load {desc}: no file name given"
        )));
    }
    let mut out = Vec::new();
    for f in files {
        let data = read_file(f, desc)?;
        out.extend(crls_from_bytes(&data, f, desc)?);
        if out.len() > MAX_CRLS {
            return Err(Error::cmp(format!(
                "cannot load {desc}: more than {MAX_CRLS} CRLs"
            )));
        }
    }
    Ok(out)
}
