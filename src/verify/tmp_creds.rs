//! Stand-ins for `crate::creds::{Cert, Crl}` with the same constructors and accessors, used until the
//! `creds` branch is merged; the verifier only calls `from_der`, `der`, `cert` and `crl`.

use std::sync::Arc;

use der::Decode;
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

use crate::error::{Error, Result};

/// A certificate: its DER and the parsed form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cert(Arc<(Vec<u8>, Certificate)>);

impl Cert {
    pub fn from_der(der: &[u8]) -> Result<Cert> {
        let c = Certificate::from_der(der)
            .map_err(|e| Error::cmp(format!("invalid certificate: {e}")))?;
        Ok(Cert(Arc::new((der.to_vec(), c))))
    }
    pub fn der(&self) -> &[u8] {
        &self.0 .0
    }
    pub fn cert(&self) -> &Certificate {
        &self.0 .1
    }
}

/// A CRL: its DER and the parsed form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crl(Arc<(Vec<u8>, CertificateList)>);

impl Crl {
    pub fn from_der(der: &[u8]) -> Result<Crl> {
        let c =
            CertificateList::from_der(der).map_err(|e| Error::cmp(format!("invalid CRL: {e}")))?;
        Ok(Crl(Arc::new((der.to_vec(), c))))
    }
    pub fn der(&self) -> &[u8] {
        &self.0 .0
    }
    pub fn crl(&self) -> &CertificateList {
        &self.0 .1
    }
}
