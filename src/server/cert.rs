//! A read-only view of an X.509 certificate: the fields the mock server compares, chains and signs with,
//! as slices into the certificate's DER.

use super::crypto;
use super::tlv::{self, ctx_cons, Seq, Tlv};
use crate::error::{Error, Result};

pub const OID_SKI: &str = "2.5.29.14";
pub const OID_AKI: &str = "2.5.29.35";
pub const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
pub const OID_KEY_USAGE: &str = "2.5.29.15";

pub struct CertView<'a> {
    pub raw: &'a [u8],
    pub tbs: &'a [u8],
    pub sig_alg: Tlv<'a>,
    pub signature: &'a [u8],
    /// The serialNumber INTEGER element (whole TLV).
    pub serial: Tlv<'a>,
    pub issuer: &'a [u8],
    pub subject: &'a [u8],
    pub not_before: i64,
    pub not_after: i64,
    pub spki: Tlv<'a>,
    /// (OID, critical, extnValue content) of each extension.
    pub extensions: Vec<(String, bool, &'a [u8])>,
}

impl<'a> CertView<'a> {
    pub fn parse(der: &'a [u8]) -> Result<CertView<'a>> {
        let top = tlv::parse_one(der).map_err(|e| e.context("certificate"))?;
        let mut s = Seq::new(&top, "Certificate")?;
        let tbs = s.next("tbsCertificate")?;
        let sig_alg = s.next("signatureAlgorithm")?;
        let sig = s
            .next("signature")?
            .expect_tag(tlv::BIT_STRING, "signature")?;
        let mut t = Seq::new(&tbs, "TBSCertificate")?;
        let _version = t.opt(ctx_cons(0));
        let serial = t
            .next("serialNumber")?
            .expect_tag(tlv::INTEGER, "serialNumber")?;
        let _sig = t.next("signature")?;
        let issuer = t.next("issuer")?.raw;
        let validity = t.next("validity")?;
        let mut v = Seq::new(&validity, "Validity")?;
        let not_before = tlv::read_time(&v.next("notBefore")?)?;
        let not_after = tlv::read_time(&v.next("notAfter")?)?;
        let subject = t.next("subject")?.raw;
        let spki = t.next("subjectPublicKeyInfo")?;
        let _iuid = t.opt(tlv::ctx_prim(1));
        let _suid = t.opt(tlv::ctx_prim(2));
        let extensions = match t.opt(ctx_cons(3)) {
            Some(e) => parse_extensions(&e.inner()?)?,
            None => Vec::new(),
        };
        Ok(CertView {
            raw: der,
            tbs: tbs.raw,
            sig_alg,
            signature: sig
                .value
                .get(1..)
                .ok_or_else(|| Error::cmp("empty certificate signature"))?,
            serial,
            issuer,
            subject,
            not_before,
            not_after,
            spki,
            extensions,
        })
    }

    pub fn extension(&self, oid: &str) -> Option<&'a [u8]> {
        self.extensions
            .iter()
            .find(|(o, ..)| o == oid)
            .map(|(_, _, v)| *v)
    }

    /// The subjectKeyIdentifier value, if present.
    pub fn ski(&self) -> Option<&'a [u8]> {
        let v = self.extension(OID_SKI)?;
        Some(
            tlv::parse_one(v)
                .ok()?
                .expect_tag(tlv::OCTET_STRING, "SKI")
                .ok()?
                .value,
        )
    }

    /// Whether basicConstraints says cA = TRUE.
    pub fn is_ca(&self) -> bool {
        let Some(v) = self.extension(OID_BASIC_CONSTRAINTS) else {
            return false;
        };
        let Ok(t) = tlv::parse_one(v) else {
            return false;
        };
        let Ok(mut s) = Seq::new(&t, "BasicConstraints") else {
            return false;
        };
        s.opt(0x01)
            .is_some_and(|b| b.value.first().is_some_and(|&x| x != 0))
    }

    /// Whether keyUsage (if present) allows signing certificates.
    pub fn may_sign_certs(&self) -> bool {
        let Some(v) = self.extension(OID_KEY_USAGE) else {
            return true;
        };
        match tlv::parse_one(v).and_then(|t| tlv::read_named_bits(&t)) {
            Ok(mask) => mask & (1 << 5) != 0,
            Err(_) => false,
        }
    }

    /// Whether keyUsage (if present) allows digital signatures, which OpenSSL requires of a
    /// request's signer certificate.
    pub fn may_sign_data(&self) -> bool {
        let Some(v) = self.extension(OID_KEY_USAGE) else {
            return true;
        };
        match tlv::parse_one(v).and_then(|t| tlv::read_named_bits(&t)) {
            Ok(mask) => mask & 1 != 0,
            Err(_) => false,
        }
    }

    pub fn self_issued(&self) -> bool {
        self.issuer == self.subject
    }

    /// Verify this certificate's signature with `issuer`'s public key.
    pub fn verify_signed_by(&self, issuer: &CertView<'_>) -> Result<()> {
        crypto::verify(&issuer.spki, &self.sig_alg, self.tbs, self.signature)
    }
}

pub fn parse_extensions<'a>(exts: &Tlv<'a>) -> Result<Vec<(String, bool, &'a [u8])>> {
    let mut out = Vec::new();
    for e in exts.expect_tag(tlv::SEQUENCE, "Extensions")?.children()? {
        let mut s = Seq::new(&e, "Extension")?;
        let oid = tlv::oid_string(&s.next("extnID")?)?;
        let critical = s
            .opt(0x01)
            .is_some_and(|b| b.value.first().is_some_and(|&x| x != 0));
        let value = s
            .next("extnValue")?
            .expect_tag(tlv::OCTET_STRING, "extnValue")?
            .value;
        out.push((oid, critical, value));
    }
    Ok(out)
}

/// Compare two DER Names as OpenSSL's X509_NAME_cmp does in practice: equal encodings are equal;
/// otherwise compare attribute by attribute with string values case-folded and whitespace-collapsed.
pub fn names_equal(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match (canonical_name(a), canonical_name(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn canonical_name(der: &[u8]) -> Option<Vec<(String, String)>> {
    let t = tlv::parse_one(der).ok()?;
    let mut out = Vec::new();
    for rdn in t.expect_tag(tlv::SEQUENCE, "Name").ok()?.children().ok()? {
        for atv in rdn.children().ok()? {
            let mut s = Seq::new(&atv, "AttributeTypeAndValue").ok()?;
            let oid = tlv::oid_string(&s.next("type").ok()?).ok()?;
            let v = s.next("value").ok()?;
            let text = String::from_utf8_lossy(v.value);
            let folded = text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            out.push((oid, folded));
        }
    }
    Some(out)
}

/// Render a DER Name OpenSSL-style (`/CN=x/O=y`) for log lines.
pub fn name_oneline(der: &[u8]) -> String {
    let Ok(t) = tlv::parse_one(der) else {
        return "<invalid name>".into();
    };
    let Ok(rdns) = t.children() else {
        return "<invalid name>".into();
    };
    let mut s = String::new();
    for rdn in rdns {
        for atv in rdn.children().unwrap_or_default() {
            let Ok(mut q) = Seq::new(&atv, "ATV") else {
                continue;
            };
            let (Ok(o), Ok(v)) = (q.next("type"), q.next("value")) else {
                continue;
            };
            let oid = tlv::oid_string(&o).unwrap_or_default();
            let key = match oid.as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.6" => "C",
                "2.5.4.7" => "L",
                "2.5.4.8" => "ST",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                _ => oid.as_str(),
            };
            s.push('/');
            s.push_str(key);
            s.push('=');
            s.push_str(&String::from_utf8_lossy(v.value));
        }
    }
    s
}
