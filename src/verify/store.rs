//! A trust store: the trusted certificates of one option (-trusted, -out_trusted, -own_trusted,
//! -srv_trusted), the CRLs given with it, and the verification options that go with it, as OpenSSL
//! keeps them together in an X509_STORE.

use super::{verify_detailed, Cert, Crl, VerifyParams, VerifyResult};
use crate::error::Result;

#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    pub certs: Vec<Cert>,
    pub crls: Vec<Crl>,
    pub params: VerifyParams,
}

impl TrustStore {
    pub fn new(certs: Vec<Cert>, params: VerifyParams) -> Self {
        TrustStore {
            certs,
            crls: Vec::new(),
            params,
        }
    }

    /// Add certificates (e.g. caPubs of a PBM-protected response), skipping duplicates.
    pub fn add_certs(&mut self, certs: &[Cert]) {
        for c in certs {
            if !self.certs.contains(c) {
                self.certs.push(c.clone());
            }
        }
    }

    /// Verify `target` with `untrusted` intermediates; returns the chain (target .. anchor).
    pub fn verify(&self, target: &Cert, untrusted: &[Cert]) -> Result<Vec<Cert>> {
        Ok(self.verify_detailed(target, untrusted)??)
    }

    /// [`TrustStore::verify`] keeping OpenSSL's verdict apart from input errors.
    pub fn verify_detailed(&self, target: &Cert, untrusted: &[Cert]) -> Result<VerifyResult> {
        verify_detailed(target, &self.certs, untrusted, &self.crls, &self.params)
    }
}
