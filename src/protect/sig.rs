//! Signature-based message protection (RFC 9810 section 5.1.3.3) and its verification.
//!
//! The key operations are the `creds` area's; this module decides what is signed (the DER of
//! `ProtectedPart`), which algorithm identifier goes into the header, and which checks a sender
//! certificate must pass before its key is used (keyUsage digitalSignature unless ignored).

use der::asn1::{BitString, ObjectIdentifier};
use spki::AlgorithmIdentifierOwned;

use crate::asn1::oid;
use crate::creds::{self, Cert, Digest, PrivateKey};
use crate::error::Result;

/// Sign the DER of a message's protected part. Returns the header's `protectionAlg` and the
/// `protection` BIT STRING.
pub fn protect(
    key: &PrivateKey,
    digest: Digest,
    protected_part: &[u8],
) -> Result<(AlgorithmIdentifierOwned, BitString)> {
    let alg = key.signature_algorithm(digest)?;
    let sig = key.sign(digest, protected_part)?;
    let bits = BitString::from_bytes(&sig)
        .map_err(|e| cmp_err!("cannot encode message protection: {e}"))?;
    Ok((alg, bits))
}

/// Why a candidate sender certificate could not verify a message.
#[derive(Debug, PartialEq, Eq)]
pub enum SigFailure {
    /// keyUsage is present without digitalSignature (and `-ignore_keyusage` is not set).
    MissingDigitalSignature,
    /// The signature does not verify with the certificate's key (or the algorithm is unsupported).
    BadSignature(String),
}

/// Verify a signature-protected message with `cert`'s key, as OpenSSL's `verify_signature` does.
pub fn verify(
    cert: &Cert,
    ignore_keyusage: bool,
    alg: &AlgorithmIdentifierOwned,
    protected_part: &[u8],
    protection: &BitString,
) -> std::result::Result<(), SigFailure> {
    if !ignore_keyusage {
        if let Some(ku) = cert.key_usage() {
            if !ku.digital_signature() {
                return Err(SigFailure::MissingDigitalSignature);
            }
        }
    }
    let spki = cert
        .spki_der()
        .map_err(|e| SigFailure::BadSignature(e.to_string()))?;
    let sig = protection
        .as_bytes()
        .ok_or_else(|| SigFailure::BadSignature("malformed protection BIT STRING".into()))?;
    creds::verify_signature(&spki, alg, protected_part, sig)
        .map_err(|e| SigFailure::BadSignature(e.to_string()))
}

/// The hash for certConf's certHash: the digest of the certificate's own signature algorithm. `None`
/// means the algorithm names no digest (Ed25519, ML-DSA), where OpenSSL 3.5 falls back to SHA-512 with
/// an explicit hashAlg (and pvno 3); see [`cert_hash`].
pub fn sig_alg_digest(alg: &ObjectIdentifier) -> Option<Digest> {
    // RSASSA-PSS names its hash in the parameters, which `cert_hash` reads from the whole
    // AlgorithmIdentifier; the registry gives it no digest.
    crate::creds::sig_alg(alg).and_then(|a| a.digest)
}

/// certHash for certConf: `(hash, Some(hashAlg))` when the hash had to fall back to a default digest
/// (then OpenSSL 3.5 also sends pvno 3), `(hash, None)` when the signature algorithm fixed it.
pub fn cert_hash(cert: &Cert) -> Result<(Vec<u8>, Option<Digest>)> {
    let alg = cert.signature_algorithm();
    if let Some(d) = sig_alg_digest(&alg.oid) {
        return Ok((d.hash(cert.der())?, None));
    }
    if alg.oid == oid::RSASSA_PSS {
        // The hashAlgorithm of RSASSA-PSS-params (SHA-1 when absent or unreadable).
        let d = crate::creds::pss_hash(alg.parameters.as_ref()).unwrap_or(Digest::Sha1);
        return Ok((d.hash(cert.der())?, None));
    }
    // RFC 8419 makes SHA-512 the companion of Ed25519; other digest-less algorithms get SHA-256.
    let d = if alg.oid == oid::ED25519 {
        Digest::Sha512
    } else {
        Digest::Sha256
    };
    Ok((d.hash(cert.der())?, Some(d)))
}
