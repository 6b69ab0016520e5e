//! PKCS#10 certificate requests (`-csr`): loading from PEM or DER, subject, public key, the extensions
//! asked for, and the self-signature check.

use std::sync::Arc;

use der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::request::CertReq;

use super::{pem, read_file};
use crate::asn1::oid::EXTENSION_REQUEST;
use crate::error::{Error, Result};

struct Inner {
    der: Vec<u8>,
    req: CertReq,
}

/// A certificate request: original DER plus the parsed form. Cloning is cheap.
#[derive(Clone)]
pub struct Csr(Arc<Inner>);

impl std::fmt::Debug for Csr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Csr({})", super::dn::oneline(self.subject()))
    }
}

impl Csr {
    pub fn from_der(der: &[u8]) -> Result<Csr> {
        let req = CertReq::from_der(der)
            .map_err(|e| Error::cmp(format!("invalid certificate request: {e}")))?;
        Ok(Csr(Arc::new(Inner {
            der: der.to_vec(),
            req,
        })))
    }
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE REQUEST", &self.0.der)
    }
    pub fn subject(&self) -> &Name {
        &self.0.req.info.subject
    }
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        self.0
            .req
            .info
            .public_key
            .to_der()
            .map_err(|e| Error::cmp(format!("cannot encode public key: {e}")))
    }
    /// Extensions from the extensionRequest attribute (empty if none).
    pub fn extensions(&self) -> Result<Vec<Extension>> {
        let mut out = Vec::new();
        for attr in self.0.req.info.attributes.iter() {
            if attr.oid != EXTENSION_REQUEST {
                continue;
            }
            for v in attr.values.iter() {
                let der = v
                    .to_der()
                    .map_err(|e| Error::cmp(format!("bad extensionRequest: {e}")))?;
                let exts = Vec::<Extension>::from_der(&der).map_err(|e| {
                    Error::cmp(format!("bad extensionRequest in certificate request: {e}"))
                })?;
                out.extend(exts);
            }
        }
        Ok(out)
    }
    /// The exact DER of CertificationRequestInfo, as signed.
    pub fn info_der(&self) -> &[u8] {
        super::tlv_content(&self.0.der)
            .and_then(super::first_tlv)
            .unwrap_or(&[])
    }
    /// Check the request's self-signature with the public key it contains.
    pub fn verify_signature(&self) -> Result<()> {
        let sig = self
            .0
            .req
            .signature
            .as_bytes()
            .ok_or_else(|| Error::cmp("malformed CSR signature"))?;
        super::key::verify_signature(
            &self.public_key_der()?,
            &self.0.req.algorithm,
            self.info_der(),
            sig,
        )
    }
}

/// Load a certificate request from a PEM (`CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`) or DER file.
pub fn load_csr(file: &str, desc: &str) -> Result<Csr> {
    let data = read_file(file, desc)?;
    let fail = |why: &str| Error::cmp(format!("cannot load {desc} from '{file}': {why}"));
    if data.is_empty() {
        return Err(fail("file is empty"));
    }
    if pem::looks_like_pem(&data) {
        for b in pem::parse(&data).flatten() {
            if b.label == "CERTIFICATE REQUEST" || b.label == "NEW CERTIFICATE REQUEST" {
                return Csr::from_der(&b.der).map_err(|e| fail(&e.to_string()));
            }
        }
        return Err(fail("no certificate request found in PEM file"));
    }
    Csr::from_der(&data)
        .map_err(|_| fail("no certificate request found (file is neither PEM nor DER)"))
}
