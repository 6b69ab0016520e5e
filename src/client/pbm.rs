//! Password-based MAC protection (RFC 4211 section 4.4, RFC 9810 section 5.1.3.1).
//!
//! Interim: the `asn1` area owns `protect::pbm`; this copy keeps the client working until it is merged.

use der::asn1::{BitString, OctetString};
use der::{Any, Decode};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use super::wire::{int_from_i64, int_to_i64, oids, PbmParameter};
use crate::cmp_err;
use crate::creds::{random_bytes, Digest, MacAlg};
use crate::error::Result;

/// OpenSSL refuses more iterations than this (`OSSL_CRMF_PBM_MAX_ITERATION_COUNT`); so do we, since a
/// peer chooses the count of the messages we verify.
pub const MAX_ITERATIONS: i64 = 100_000;
/// Iterations, salt length: OpenSSL's client defaults.
pub const DEFAULT_ITERATIONS: i64 = 500;
pub const SALT_LEN: usize = 16;

/// Fresh PBM parameters for one outgoing message.
pub fn new_params(owf: Digest, mac: MacAlg) -> Result<PbmParameter> {
    Ok(PbmParameter {
        salt: OctetString::new(random_bytes(SALT_LEN)?).map_err(|e| cmp_err!("PBM salt: {e}"))?,
        owf: AlgorithmIdentifierOwned {
            oid: owf.oid(),
            parameters: None,
        },
        iteration_count: int_from_i64(DEFAULT_ITERATIONS)?,
        mac: AlgorithmIdentifierOwned {
            oid: mac.oid(),
            parameters: None,
        },
    })
}

/// The header's protectionAlg for these parameters.
pub fn alg_id(p: &PbmParameter) -> Result<AlgorithmIdentifierOwned> {
    Ok(AlgorithmIdentifierOwned {
        oid: oids::PASSWORD_BASED_MAC,
        parameters: Some(Any::encode_from(p).map_err(|e| cmp_err!("PBM parameters: {e}"))?),
    })
}

/// Compute the MAC over `data` under `params` with `secret`.
pub fn mac(params: &PbmParameter, secret: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let owf = Digest::from_oid(&params.owf.oid)
        .ok_or_else(|| cmp_err!("unsupported PBM one-way function {}", params.owf.oid))?;
    let mac = MacAlg::from_oid(&params.mac.oid)
        .ok_or_else(|| cmp_err!("unsupported PBM MAC algorithm {}", params.mac.oid))?;
    let iter = int_to_i64(&params.iteration_count).unwrap_or(-1);
    if !(1..=MAX_ITERATIONS).contains(&iter) {
        return Err(cmp_err!("bad PBM iteration count"));
    }
    let salt = params.salt.as_bytes();
    let mut buf = Zeroizing::new(Vec::with_capacity(secret.len() + salt.len()));
    buf.extend_from_slice(secret);
    buf.extend_from_slice(salt);
    let mut key = Zeroizing::new(owf.hash(&buf)?);
    for _ in 1..iter {
        key = Zeroizing::new(owf.hash(&key)?);
    }
    mac.mac(&key, data)
}

/// Protect: returns the protectionAlg to put into the header (must be set before `data` is computed, so
/// callers compute `data` after calling [`new_params`]/[`alg_id`]) and the protection value.
pub fn protection(params: &PbmParameter, secret: &[u8], data: &[u8]) -> Result<BitString> {
    BitString::from_bytes(&mac(params, secret, data)?).map_err(|e| cmp_err!("PBM value: {e}"))
}

/// Parse the PBM parameters of a received protectionAlg.
pub fn params_of(alg: &AlgorithmIdentifierOwned) -> Result<PbmParameter> {
    let p = alg
        .parameters
        .as_ref()
        .ok_or_else(|| cmp_err!("missing PBM parameters"))?;
    let der_bytes = der::Encode::to_der(p).map_err(|e| cmp_err!("PBM parameters: {e}"))?;
    PbmParameter::from_der(&der_bytes).map_err(|e| cmp_err!("error decoding PBM parameters: {e}"))
}
