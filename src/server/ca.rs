//! Issuing real certificates when the server's own credentials are a CA and no `-rsp_cert` is set.
//!
//! The new certificate takes from the request: the subject, the public key, the requested extensions
//! and the validity period. Anything not requested gets a default: validity from now for 365 days,
//! an empty subject if none was given. The CA adds subjectKeyIdentifier (SHA-1 of the public key,
//! RFC 5280 section 4.2.1.2 method 1) and authorityKeyIdentifier (the CA's SKI), replacing any such
//! extension in the request. Serial numbers are 16 random bytes, positive.

use super::crypto::{self, Hash, Signer};
use super::tlv::{self, ctx_cons, ctx_prim};
use crate::creds::Cert;
use crate::error::Result;

use const_oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER as OID_AKI, ID_CE_SUBJECT_KEY_IDENTIFIER as OID_SKI,
};
use const_oid::ObjectIdentifier as Oid;

/// Default validity when the request gives none.
pub const DEFAULT_DAYS: i64 = 365;

/// What a request asks for.
pub struct CertRequestData {
    pub subject: Option<Vec<u8>>,
    pub spki: Vec<u8>,
    /// Requested extensions as (OID, critical, extnValue content).
    pub extensions: Vec<(Oid, bool, Vec<u8>)>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
}

fn extension(oid: Oid, critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![tlv::oid(oid)];
    if critical {
        parts.push(tlv::tlv(0x01, &[0xff]));
    }
    parts.push(tlv::octets(value));
    tlv::tlv(tlv::SEQUENCE, &parts.concat())
}

/// Issue a certificate signed by `ca_cert`/`signer`.
pub fn issue(ca_cert: &Cert, signer: &Signer, req: &CertRequestData) -> Result<Vec<u8>> {
    let mut serial = crypto::random(16)?;
    serial[0] &= 0x7f;
    if serial[0] == 0 {
        serial[0] = 0x01;
    }
    let now = tlv::now();
    let not_before = req.not_before.unwrap_or(now);
    let not_after = req.not_after.unwrap_or(not_before + DEFAULT_DAYS * 86_400);
    let subject = req.subject.clone().unwrap_or_else(|| tlv::seq(&[]));

    let spki = tlv::parse_one(&req.spki)?;
    let mut s = tlv::Seq::new(&spki, "SubjectPublicKeyInfo")?;
    let _alg = s.next("algorithm")?;
    let key_bits = s
        .next("subjectPublicKey")?
        .expect_tag(tlv::BIT_STRING, "subjectPublicKey")?;
    let ski = Hash::Sha1.hash(key_bits.value.get(1..).unwrap_or_default())?;

    let mut exts: Vec<Vec<u8>> = req
        .extensions
        .iter()
        .filter(|(o, ..)| *o != OID_SKI && *o != OID_AKI)
        .map(|(o, c, v)| extension(*o, *c, v))
        .collect();
    exts.push(extension(OID_SKI, false, &tlv::octets(&ski)));
    if let Some(aki) = ca_cert.subject_key_id() {
        exts.push(extension(
            OID_AKI,
            false,
            &tlv::seq(&[&tlv::tlv(ctx_prim(0), &aki)]),
        ));
    }

    let sig_alg = signer.alg_id();
    let tbs = tlv::seq(&[
        &tlv::tlv(ctx_cons(0), &tlv::int(2)),
        &tlv::tlv(tlv::INTEGER, &serial),
        &sig_alg,
        &super::msg::name_der(ca_cert.subject()),
        &tlv::seq(&[&tlv::x509_time(not_before)?, &tlv::x509_time(not_after)?]),
        &subject,
        &req.spki,
        &tlv::tlv(ctx_cons(3), &tlv::tlv(tlv::SEQUENCE, &exts.concat())),
    ]);
    let sig = signer.sign(&tbs)?;
    Ok(tlv::seq(&[&tbs, &sig_alg, &tlv::bits(&sig)]))
}
