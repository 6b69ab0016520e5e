//! Issuing real certificates when the server's own credentials are a CA and no `-rsp_cert` is set.
//!
//! The new certificate takes from the request: the subject, the public key, the requested extensions
//! and the validity period. Anything not requested gets a default: validity from now for 365 days,
//! an empty subject if none was given. The CA adds subjectKeyIdentifier (SHA-1 of the public key,
//! RFC 5280 section 4.2.1.2 method 1) and authorityKeyIdentifier (the CA's SKI), replacing any such
//! extension in the request. Serial numbers are 16 random bytes, positive.

use super::crypto::{Hash, Signer};
use crate::creds::Cert;
use crate::error::{Error, Result};

use const_oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER as OID_AKI, ID_CE_SUBJECT_KEY_IDENTIFIER as OID_SKI,
};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{BitString, OctetString, UintRef};
use der::{Any, Decode, Encode, Sequence};
use x509_cert::ext::pkix::AuthorityKeyIdentifier;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::{Time, Validity};

/// Default validity when the request gives none.
pub const DEFAULT_DAYS: i64 = 365;

/// What a request asks for.
pub struct CertRequestData {
    pub subject: Option<Name>,
    /// SubjectPublicKeyInfo (DER).
    pub spki: Vec<u8>,
    pub extensions: Vec<Extension>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
}

/// TBSCertificate (RFC 5280 section 4.1) as this CA writes it: v3, no unique IDs; the parts taken
/// from the request or the signer stay in the bytes they came in.
#[derive(Sequence)]
struct Tbs<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: u8,
    serial: UintRef<'a>,
    signature: Any,
    issuer: Name,
    validity: Validity,
    subject: Name,
    spki: Any,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    extensions: Vec<Extension>,
}

/// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
#[derive(Sequence)]
struct Signed {
    tbs: Any,
    alg: Any,
    sig: BitString,
}

fn extension(oid: Oid, critical: bool, value: Vec<u8>) -> Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value)?,
    })
}

/// X.509 Time of Unix seconds: UTCTime up to 2049, GeneralizedTime after (RFC 5280).
fn x509_time(unix: i64) -> Result<Time> {
    let secs = u64::try_from(unix).map_err(|_| Error::cmp("malformed DER: time before 1970"))?;
    let dt = der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs))
        .map_err(|_| Error::cmp("malformed DER: time out of range"))?;
    Ok(Time::from(dt))
}

/// Issue a certificate signed by `ca_cert`/`signer`.
pub fn issue(ca_cert: &Cert, signer: &Signer, req: &CertRequestData) -> Result<Vec<u8>> {
    let mut serial = crate::creds::random_bytes(16)?;
    serial[0] &= 0x7f;
    if serial[0] == 0 {
        serial[0] = 0x01;
    }
    let now = super::msg::unix(std::time::SystemTime::now());
    let not_before = req.not_before.unwrap_or(now);
    let not_after = req.not_after.unwrap_or(not_before + DEFAULT_DAYS * 86_400);

    let spki = spki::SubjectPublicKeyInfoRef::from_der(&req.spki)?;
    let ski = Hash::Sha1.hash(spki.subject_public_key.raw_bytes())?;

    let mut exts: Vec<Extension> = (req.extensions.iter())
        .filter(|e| e.extn_id != OID_SKI && e.extn_id != OID_AKI)
        .cloned()
        .collect();
    exts.push(extension(OID_SKI, false, OctetString::new(ski)?.to_der()?)?);
    if let Some(aki) = ca_cert.subject_key_id() {
        let value = AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(aki)?),
            ..Default::default()
        };
        exts.push(extension(OID_AKI, false, value.to_der()?)?);
    }

    let sig_alg = Any::encode_from(&signer.alg_id())?;
    let tbs = Tbs {
        version: 2,
        serial: UintRef::new(&serial)?,
        signature: sig_alg.clone(),
        issuer: ca_cert.subject().clone(),
        validity: Validity::new(x509_time(not_before)?, x509_time(not_after)?),
        subject: req.subject.clone().unwrap_or_default(),
        spki: Any::from_der(&req.spki)?,
        extensions: exts,
    }
    .to_der()?;
    let sig = signer.sign(&tbs)?;
    let cert = Signed {
        tbs: Any::from_der(&tbs)?,
        alg: sig_alg,
        sig: BitString::from_bytes(&sig)?,
    };
    Ok(cert.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_roundtrip_and_switch_to_generalized_time_in_2050() {
        for (t, utc) in [
            (0i64, true),
            (951_782_400, true),
            (1_700_000_000, true),
            (2_524_608_000, false),
            (4_102_444_800, false),
        ] {
            let x = x509_time(t).unwrap();
            assert_eq!(x.to_unix_duration().as_secs() as i64, t);
            assert_eq!(matches!(x, Time::UtcTime(_)), utc, "time {t}");
        }
        assert!(x509_time(-1).is_err());
    }
}
