//! Signature-based message protection (RFC 9810 section 5.1.3.3) and its verification.
//!
//! Signing goes through the [`Signer`] trait so the client does not care where a key came from: the
//! `creds` area's keys implement it, and [`KeyPair`] here implements it on aws-lc-rs for the common cases
//! (RSA PKCS#1 v1.5, ECDSA on P-256/P-384/P-521, Ed25519). Verification needs only the signer's
//! SubjectPublicKeyInfo and the algorithm named in the message.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use der::asn1::{BitString, ObjectIdentifier as Oid};
use der::{Any, Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::cmp_err;
use crate::error::{Error, Result};

/// A message digest, as `-digest` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Digest {
    /// Parse an OpenSSL digest name (`sha256`, `SHA-256`, `sha1` ...).
    pub fn from_name(name: &str) -> Result<Digest> {
        let n = name.to_ascii_lowercase().replace('-', "");
        Ok(match n.as_str() {
            "sha1" => Digest::Sha1,
            "sha224" => Digest::Sha224,
            "sha256" => Digest::Sha256,
            "sha384" => Digest::Sha384,
            "sha512" => Digest::Sha512,
            _ => return Err(cmp_err!("digest algorithm name not recognized: '{name}'")),
        })
    }

    pub fn oid(self) -> Oid {
        match self {
            Digest::Sha1 => oids::SHA1,
            Digest::Sha224 => oids::SHA224,
            Digest::Sha256 => oids::SHA256,
            Digest::Sha384 => oids::SHA384,
            Digest::Sha512 => oids::SHA512,
        }
    }

    pub fn from_oid(oid: &Oid) -> Option<Digest> {
        [Digest::Sha1, Digest::Sha224, Digest::Sha256, Digest::Sha384, Digest::Sha512]
            .into_iter()
            .find(|d| d.oid() == *oid)
    }

    fn ring(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            Digest::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Digest::Sha224 => &aws_lc_rs::digest::SHA224,
            Digest::Sha256 => &aws_lc_rs::digest::SHA256,
            Digest::Sha384 => &aws_lc_rs::digest::SHA384,
            Digest::Sha512 => &aws_lc_rs::digest::SHA512,
        }
    }

    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(self.ring(), data).as_ref().to_vec()
    }

    pub fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Digest::Sha1 => aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Digest::Sha224 => aws_lc_rs::hmac::HMAC_SHA224,
            Digest::Sha256 => aws_lc_rs::hmac::HMAC_SHA256,
            Digest::Sha384 => aws_lc_rs::hmac::HMAC_SHA384,
            Digest::Sha512 => aws_lc_rs::hmac::HMAC_SHA512,
        };
        aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(alg, key), data).as_ref().to_vec()
    }
}

/// A private key that can sign CMP messages and POPOs.
pub trait Signer: Send + Sync {
    /// The public half, as it goes into a certificate template.
    fn public_key(&self) -> SubjectPublicKeyInfoOwned;
    /// The signature AlgorithmIdentifier this key produces with `digest` (ignored by Ed25519).
    fn algorithm(&self, digest: Digest) -> Result<AlgorithmIdentifierOwned>;
    /// Sign `data` (hashing it with `digest` where the algorithm uses one).
    fn sign(&self, digest: Digest, data: &[u8]) -> Result<Vec<u8>>;
}

enum Inner {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ec(sig::EcdsaKeyPair, Curve),
    Ed25519(sig::Ed25519KeyPair),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
    P521,
}

/// A private key held by aws-lc-rs.
pub struct KeyPair {
    inner: Inner,
    spki: SubjectPublicKeyInfoOwned,
}

impl KeyPair {
    /// Load a private key from DER: PKCS#8, PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey.
    pub fn from_der(der_bytes: &[u8]) -> Result<KeyPair> {
        if let Ok(k) = aws_lc_rs::rsa::KeyPair::from_pkcs8(der_bytes).or_else(|_| aws_lc_rs::rsa::KeyPair::from_der(der_bytes)) {
            let spki = spki_from_der(k.public_key().as_der().map_err(|_| cmp_err!("cannot encode RSA public key"))?.as_ref())?;
            return Ok(KeyPair { inner: Inner::Rsa(k), spki });
        }
        for (curve, alg) in [
            (Curve::P256, &sig::ECDSA_P256_SHA256_ASN1_SIGNING),
            (Curve::P384, &sig::ECDSA_P384_SHA384_ASN1_SIGNING),
            (Curve::P521, &sig::ECDSA_P521_SHA512_ASN1_SIGNING),
        ] {
            if let Ok(k) = sig::EcdsaKeyPair::from_pkcs8(alg, der_bytes).or_else(|_| sig::EcdsaKeyPair::from_private_key_der(alg, der_bytes)) {
                let spki = spki_from_der(k.public_key().as_der().map_err(|_| cmp_err!("cannot encode EC public key"))?.as_ref())?;
                return Ok(KeyPair { inner: Inner::Ec(k, curve), spki });
            }
        }
        if let Ok(k) = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der_bytes) {
            let spki = spki_from_der(k.public_key().as_der().map_err(|_| cmp_err!("cannot encode Ed25519 public key"))?.as_ref())?;
            return Ok(KeyPair { inner: Inner::Ed25519(k), spki });
        }
        Err(cmp_err!("unsupported or malformed private key"))
    }

    /// Load a private key from PEM (any of the DER forms `from_der` takes).
    pub fn from_pem(text: &str) -> Result<KeyPair> {
        let (_label, der_bytes) = der::pem::decode_vec(text.as_bytes()).map_err(|e| cmp_err!("cannot decode PEM private key: {e}"))?;
        KeyPair::from_der(&der_bytes)
    }
}

fn spki_from_der(d: &[u8]) -> Result<SubjectPublicKeyInfoOwned> {
    SubjectPublicKeyInfoOwned::from_der(d).map_err(|e| cmp_err!("cannot decode public key: {e}"))
}

fn alg_id(oid: Oid, null_params: bool) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid, parameters: null_params.then(|| Any::from(der::asn1::Null)) }
}

fn rsa_sig_oid(d: Digest) -> Oid {
    match d {
        Digest::Sha1 => oids::SHA1_WITH_RSA,
        Digest::Sha224 => oids::SHA224_WITH_RSA,
        Digest::Sha256 => oids::SHA256_WITH_RSA,
        Digest::Sha384 => oids::SHA384_WITH_RSA,
        Digest::Sha512 => oids::SHA512_WITH_RSA,
    }
}

fn ecdsa_sig_oid(d: Digest) -> Oid {
    match d {
        Digest::Sha1 => oids::ECDSA_WITH_SHA1,
        Digest::Sha224 => oids::ECDSA_WITH_SHA224,
        Digest::Sha256 => oids::ECDSA_WITH_SHA256,
        Digest::Sha384 => oids::ECDSA_WITH_SHA384,
        Digest::Sha512 => oids::ECDSA_WITH_SHA512,
    }
}

impl Signer for KeyPair {
    fn public_key(&self) -> SubjectPublicKeyInfoOwned {
        self.spki.clone()
    }

    fn algorithm(&self, digest: Digest) -> Result<AlgorithmIdentifierOwned> {
        Ok(match &self.inner {
            Inner::Rsa(_) => alg_id(rsa_sig_oid(digest), true),
            Inner::Ec(..) => alg_id(ecdsa_sig_oid(digest), false),
            Inner::Ed25519(_) => alg_id(oids::ED25519, false),
        })
    }

    fn sign(&self, digest: Digest, data: &[u8]) -> Result<Vec<u8>> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match &self.inner {
            Inner::Rsa(k) => {
                let pad: &'static dyn sig::RsaEncoding = match digest {
                    Digest::Sha256 => &sig::RSA_PKCS1_SHA256,
                    Digest::Sha384 => &sig::RSA_PKCS1_SHA384,
                    Digest::Sha512 => &sig::RSA_PKCS1_SHA512,
                    other => return Err(cmp_err!("signing with RSA and digest {other:?} is not supported yet")),
                };
                let mut out = vec![0u8; k.public_modulus_len()];
                k.sign(pad, &rng, data, &mut out).map_err(|_| cmp_err!("RSA signing failed"))?;
                Ok(out)
            }
            Inner::Ec(k, curve) => {
                let wanted = match (curve, digest) {
                    (Curve::P256, Digest::Sha256) | (Curve::P384, Digest::Sha384) | (Curve::P521, Digest::Sha512) => true,
                    _ => false,
                };
                if !wanted {
                    return Err(cmp_err!("signing with ECDSA on {curve:?} and digest {digest:?} is not supported yet"));
                }
                Ok(k.sign(&rng, data).map_err(|_| cmp_err!("ECDSA signing failed"))?.as_ref().to_vec())
            }
            Inner::Ed25519(k) => Ok(k.sign(data).as_ref().to_vec()),
        }
    }
}

/// Sign `data` with `key`, returning the algorithm and the signature as they go into a message.
pub fn sign(key: &dyn Signer, digest: Digest, data: &[u8]) -> Result<(AlgorithmIdentifierOwned, BitString)> {
    let alg = key.algorithm(digest)?;
    let s = key.sign(digest, data)?;
    let bits = BitString::from_bytes(&s).map_err(|e| cmp_err!("cannot encode signature: {e}"))?;
    Ok((alg, bits))
}

/// The digest a signature algorithm uses, if it names one (Ed25519 does not). OpenSSL hashes a new
/// certificate with it for certConf.
pub fn sig_alg_digest(alg: &Oid) -> Option<Digest> {
    Some(match *alg {
        oids::SHA1_WITH_RSA | oids::ECDSA_WITH_SHA1 => Digest::Sha1,
        oids::SHA224_WITH_RSA | oids::ECDSA_WITH_SHA224 => Digest::Sha224,
        oids::SHA256_WITH_RSA | oids::ECDSA_WITH_SHA256 => Digest::Sha256,
        oids::SHA384_WITH_RSA | oids::ECDSA_WITH_SHA384 => Digest::Sha384,
        oids::SHA512_WITH_RSA | oids::ECDSA_WITH_SHA512 => Digest::Sha512,
        _ => return None,
    })
}

/// Check `signature` over `data` with the key in `spki`, under the algorithm `alg`.
pub fn verify(spki: &SubjectPublicKeyInfoOwned, alg: &AlgorithmIdentifierOwned, data: &[u8], signature: &[u8]) -> Result<()> {
    let key_bits = spki.subject_public_key.as_bytes().ok_or_else(|| cmp_err!("malformed public key"))?;
    let key_alg = spki.algorithm.oid;
    let curve = || -> Option<Oid> { spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<Oid>().ok()) };
    let v: &'static dyn sig::VerificationAlgorithm = match (alg.oid, key_alg) {
        (oids::SHA1_WITH_RSA, oids::RSA_ENCRYPTION) => &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        (oids::SHA256_WITH_RSA, oids::RSA_ENCRYPTION) => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        (oids::SHA384_WITH_RSA, oids::RSA_ENCRYPTION) => &sig::RSA_PKCS1_2048_8192_SHA384,
        (oids::SHA512_WITH_RSA, oids::RSA_ENCRYPTION) => &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        (oids::ED25519, oids::ED25519) => &sig::ED25519,
        (a, oids::EC_PUBLIC_KEY) => match (a, curve()) {
            (oids::ECDSA_WITH_SHA256, Some(oids::P256)) => &sig::ECDSA_P256_SHA256_ASN1,
            (oids::ECDSA_WITH_SHA384, Some(oids::P256)) => &sig::ECDSA_P256_SHA384_ASN1,
            (oids::ECDSA_WITH_SHA512, Some(oids::P256)) => &sig::ECDSA_P256_SHA512_ASN1,
            (oids::ECDSA_WITH_SHA256, Some(oids::P384)) => &sig::ECDSA_P384_SHA256_ASN1,
            (oids::ECDSA_WITH_SHA384, Some(oids::P384)) => &sig::ECDSA_P384_SHA384_ASN1,
            (oids::ECDSA_WITH_SHA512, Some(oids::P384)) => &sig::ECDSA_P384_SHA512_ASN1,
            (oids::ECDSA_WITH_SHA256, Some(oids::P521)) => &sig::ECDSA_P521_SHA256_ASN1,
            (oids::ECDSA_WITH_SHA384, Some(oids::P521)) => &sig::ECDSA_P521_SHA384_ASN1,
            (oids::ECDSA_WITH_SHA512, Some(oids::P521)) => &sig::ECDSA_P521_SHA512_ASN1,
            _ => return Err(cmp_err!("unsupported signature algorithm {a} for this EC key")),
        },
        (a, k) => return Err(cmp_err!("unsupported signature algorithm {a} for key type {k}")),
    };
    sig::UnparsedPublicKey::new(v, key_bits).verify(data, signature).map_err(|_| Error::cmp("signature verification failed"))
}

/// Check a certificate's own signature against its issuer's key (used when the caller wants a quick
/// issuer test; full path validation is the `verify` area's).
pub fn verify_cert_signed_by(cert: &x509_cert::Certificate, issuer: &x509_cert::Certificate) -> Result<()> {
    let tbs = cert.tbs_certificate().to_der().map_err(|e| cmp_err!("cannot encode certificate: {e}"))?;
    let s = cert.signature().as_bytes().ok_or_else(|| cmp_err!("malformed certificate signature"))?;
    verify(issuer.tbs_certificate().subject_public_key_info(), cert.signature_algorithm(), &tbs, s)
}

pub mod oids {
    use der::asn1::ObjectIdentifier as Oid;
    pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    pub const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
    pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
    pub const SHA224_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.14");
    pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    pub const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
    pub const ECDSA_WITH_SHA224: Oid = Oid::new_unwrap("1.2.840.10045.4.3.1");
    pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
    pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
    pub const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
    pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
    pub const P521: Oid = Oid::new_unwrap("1.3.132.0.35");
    pub const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
    pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
    pub const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_roundtrip_all_key_types() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let ec = sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let ed = sig::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let rsa_der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa).unwrap();
        for der_bytes in [ec.as_ref(), ed.as_ref(), rsa_der.as_ref()] {
            let k = KeyPair::from_der(der_bytes).unwrap();
            let (alg, s) = sign(&k, Digest::Sha256, b"data").unwrap();
            verify(&k.public_key(), &alg, b"data", s.raw_bytes()).unwrap();
            assert!(verify(&k.public_key(), &alg, b"datA", s.raw_bytes()).is_err());
        }
    }
}
