//! Signature checks on certificates and CRLs, with aws-lc-rs.
//!
//! Kept private to this module: it only has to answer "does this key verify this signature", and tell the
//! verifier which key type a signature algorithm needs (OpenSSL refuses an issuer whose key type does not
//! fit the subject's signature algorithm before it even tries).

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use const_oid::ObjectIdentifier;
use der::Decode;
use spki::SubjectPublicKeyInfoRef;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// The kind of key a signature algorithm needs, or a public key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa,
    RsaPss,
    Ec,
    Ed25519,
    Ed448,
    Other,
}

/// Which digest a signature algorithm uses (for the security-level check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    /// Ed25519/Ed448 and anything not known: no separate digest.
    Intrinsic,
    Unknown,
}

impl Hash {
    /// Security bits of the digest as OpenSSL's security levels count them (collision resistance).
    pub(crate) fn bits(self) -> u32 {
        match self {
            Hash::Md5 => 39,
            Hash::Sha1 => 63,
            Hash::Sha224 => 112,
            Hash::Sha256 => 128,
            Hash::Sha384 => 192,
            Hash::Sha512 => 256,
            Hash::Intrinsic => 128,
            Hash::Unknown => 0,
        }
    }
}

/// What a signature algorithm identifier (OID) stands for: key kind and digest.
pub(crate) fn sig_alg_info(oid: &ObjectIdentifier) -> Option<(KeyKind, Hash)> {
    let s = oid.to_string();
    Some(match s.as_str() {
        "1.2.840.113549.1.1.4" => (KeyKind::Rsa, Hash::Md5),
        "1.2.840.113549.1.1.5" => (KeyKind::Rsa, Hash::Sha1),
        "1.2.840.113549.1.1.14" => (KeyKind::Rsa, Hash::Sha224),
        "1.2.840.113549.1.1.11" => (KeyKind::Rsa, Hash::Sha256),
        "1.2.840.113549.1.1.12" => (KeyKind::Rsa, Hash::Sha384),
        "1.2.840.113549.1.1.13" => (KeyKind::Rsa, Hash::Sha512),
        "1.2.840.113549.1.1.10" => (KeyKind::RsaPss, Hash::Unknown),
        "1.2.840.10045.4.1" => (KeyKind::Ec, Hash::Sha1),
        "1.2.840.10045.4.3.1" => (KeyKind::Ec, Hash::Sha224),
        "1.2.840.10045.4.3.2" => (KeyKind::Ec, Hash::Sha256),
        "1.2.840.10045.4.3.3" => (KeyKind::Ec, Hash::Sha384),
        "1.2.840.10045.4.3.4" => (KeyKind::Ec, Hash::Sha512),
        "1.3.101.112" => (KeyKind::Ed25519, Hash::Intrinsic),
        "1.3.101.113" => (KeyKind::Ed448, Hash::Intrinsic),
        _ => return None,
    })
}

/// The key kind of a SubjectPublicKeyInfo, and for EC keys the curve.
pub(crate) fn key_kind(spki_der: &[u8]) -> (KeyKind, Option<ObjectIdentifier>) {
    let Ok(spki) = SubjectPublicKeyInfoRef::from_der(spki_der) else {
        return (KeyKind::Other, None);
    };
    let oid = spki.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        (KeyKind::Rsa, None)
    } else if oid == RSASSA_PSS {
        (KeyKind::RsaPss, None)
    } else if oid == EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        (KeyKind::Ec, curve)
    } else if oid == ED25519 {
        (KeyKind::Ed25519, None)
    } else if oid == ED448 {
        (KeyKind::Ed448, None)
    } else {
        (KeyKind::Other, None)
    }
}

/// Whether a key of kind `key` may have made a signature of kind `sig` (OpenSSL lets plain RSA keys make
/// RSASSA-PSS signatures).
pub(crate) fn key_fits(key: KeyKind, sig: KeyKind) -> bool {
    key == sig || (key == KeyKind::Rsa && sig == KeyKind::RsaPss)
}

/// The strength in security bits of a public key, as OpenSSL's `EVP_PKEY_get_security_bits` rates it.
pub(crate) fn key_security_bits(spki_der: &[u8]) -> Option<u32> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der).ok()?;
    let (kind, curve) = key_kind(spki_der);
    match kind {
        KeyKind::Rsa | KeyKind::RsaPss => {
            let bits = rsa_modulus_bits(spki.subject_public_key.raw_bytes())?;
            Some(rsa_security_bits(bits))
        }
        KeyKind::Ec => {
            let c = curve?;
            Some(if c == P256 {
                128
            } else if c == P384 {
                192
            } else if c == P521 {
                256
            } else {
                // Other named curves: half the field size, read from the point length.
                let pt = spki.subject_public_key.raw_bytes();
                ((pt.len().saturating_sub(1) / 2) * 8 / 2) as u32
            })
        }
        KeyKind::Ed25519 => Some(128),
        KeyKind::Ed448 => Some(224),
        KeyKind::Other => None,
    }
}

/// NIST SP 800-57 strengths for RSA moduli, as OpenSSL rounds them.
fn rsa_security_bits(bits: u32) -> u32 {
    match bits {
        b if b >= 15360 => 256,
        b if b >= 7680 => 192,
        b if b >= 3072 => 128,
        b if b >= 2048 => 112,
        b if b >= 1024 => 80,
        _ => 0,
    }
}

/// Bit length of the modulus in a PKCS#1 RSAPublicKey.
pub(crate) fn rsa_modulus_bits(pkcs1: &[u8]) -> Option<u32> {
    #[derive(der::Sequence)]
    struct RsaPub<'a> {
        n: der::asn1::UintRef<'a>,
        _e: der::asn1::UintRef<'a>,
    }
    let k = RsaPub::from_der(pkcs1).ok()?;
    let n = k.n.as_bytes();
    let first = *n.first()?;
    Some((n.len() as u32 - 1) * 8 + (8 - first.leading_zeros()))
}

/// Verify `sig` over `data` with the public key `spki_der`, for the signature algorithm `alg_oid`
/// (with its parameters' DER for RSASSA-PSS). Returns false on any mismatch or unsupported algorithm.
pub(crate) fn verify(
    spki_der: &[u8],
    alg_oid: &ObjectIdentifier,
    alg_params: Option<&[u8]>,
    data: &[u8],
    sig: &[u8],
) -> bool {
    let Ok(spki) = SubjectPublicKeyInfoRef::from_der(spki_der) else {
        return false;
    };
    let key = spki.subject_public_key.raw_bytes();
    let (kind, curve) = key_kind(spki_der);
    let Some((sig_kind, hash)) = sig_alg_info(alg_oid) else {
        return false;
    };
    if !key_fits(kind, sig_kind) {
        return false;
    }
    let alg: &'static dyn VerificationAlgorithm = match (sig_kind, hash) {
        (KeyKind::Rsa, Hash::Sha1) => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        (KeyKind::Rsa, Hash::Sha256) => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        (KeyKind::Rsa, Hash::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (KeyKind::Rsa, Hash::Sha512) => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        (KeyKind::RsaPss, _) => match pss_hash(alg_params) {
            Some(Hash::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
            Some(Hash::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
            Some(Hash::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return false,
        },
        (KeyKind::Ec, h) => {
            let c = match curve {
                Some(c) => c,
                None => return false,
            };
            match (c, h) {
                (c, Hash::Sha256) if c == P256 => &signature::ECDSA_P256_SHA256_ASN1,
                (c, Hash::Sha384) if c == P256 => &signature::ECDSA_P256_SHA384_ASN1,
                (c, Hash::Sha512) if c == P256 => &signature::ECDSA_P256_SHA512_ASN1,
                (c, Hash::Sha1) if c == P256 => &signature::ECDSA_P256_SHA1_ASN1,
                (c, Hash::Sha256) if c == P384 => &signature::ECDSA_P384_SHA256_ASN1,
                (c, Hash::Sha384) if c == P384 => &signature::ECDSA_P384_SHA384_ASN1,
                (c, Hash::Sha512) if c == P384 => &signature::ECDSA_P384_SHA512_ASN1,
                (c, Hash::Sha256) if c == P521 => &signature::ECDSA_P521_SHA256_ASN1,
                (c, Hash::Sha384) if c == P521 => &signature::ECDSA_P521_SHA384_ASN1,
                (c, Hash::Sha512) if c == P521 => &signature::ECDSA_P521_SHA512_ASN1,
                (c, Hash::Sha1) if c == P521 => &signature::ECDSA_P521_SHA1_ASN1,
                _ => return false,
            }
        }
        (KeyKind::Ed25519, _) => &signature::ED25519,
        _ => return false,
    };
    UnparsedPublicKey::new(alg, key).verify(data, sig).is_ok()
}

/// The digest named in RSASSA-PSS parameters (only the common form where MGF1 uses the same digest).
fn pss_hash(params: Option<&[u8]>) -> Option<Hash> {
    #[derive(der::Sequence)]
    struct PssParams {
        #[asn1(context_specific = "0", optional = "true")]
        hash: Option<spki::AlgorithmIdentifierOwned>,
        #[asn1(context_specific = "1", optional = "true")]
        mgf: Option<spki::AlgorithmIdentifierOwned>,
        #[asn1(context_specific = "2", optional = "true")]
        salt: Option<u32>,
        #[asn1(context_specific = "3", optional = "true")]
        trailer: Option<u32>,
    }
    let p = PssParams::from_der(params?).ok()?;
    let h = p.hash?.oid.to_string();
    let hash = match h.as_str() {
        "2.16.840.1.101.3.4.2.1" => Hash::Sha256,
        "2.16.840.1.101.3.4.2.2" => Hash::Sha384,
        "2.16.840.1.101.3.4.2.3" => Hash::Sha512,
        _ => return None,
    };
    let _ = (p.mgf, p.salt, p.trailer);
    Some(hash)
}

/// The digest of an RSASSA-PSS signature algorithm (for the security level).
pub(crate) fn sig_hash(alg_oid: &ObjectIdentifier, alg_params: Option<&[u8]>) -> Hash {
    match sig_alg_info(alg_oid) {
        Some((KeyKind::RsaPss, _)) => pss_hash(alg_params).unwrap_or(Hash::Unknown),
        Some((_, h)) => h,
        None => Hash::Unknown,
    }
}
