//! The cryptography the mock server needs: digests, PBM (RFC 4211 section 4.4 password-based MAC),
//! signature verification against a SubjectPublicKeyInfo, and signing with the server key.
//!
//! Everything goes through aws-lc-rs. Algorithms are identified by their DER AlgorithmIdentifier, so
//! the same code serves CMP protection, POPO signatures, CSR signatures and certificate chains.

use aws_lc_rs::{digest, hmac, rand, signature};
use zeroize::Zeroizing;

use super::tlv::{self, Seq, Tlv};
use crate::error::{Error, Result};

pub mod oids {
    pub const SHA1: &str = "1.3.14.3.2.26";
    pub const SHA224: &str = "2.16.840.1.101.3.4.2.4";
    pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
    pub const SHA384: &str = "2.16.840.1.101.3.4.2.2";
    pub const SHA512: &str = "2.16.840.1.101.3.4.2.3";
    pub const RSA: &str = "1.2.840.113549.1.1.1";
    pub const RSA_PSS: &str = "1.2.840.113549.1.1.10";
    pub const SHA1_RSA: &str = "1.2.840.113549.1.1.5";
    pub const SHA256_RSA: &str = "1.2.840.113549.1.1.11";
    pub const SHA384_RSA: &str = "1.2.840.113549.1.1.12";
    pub const SHA512_RSA: &str = "1.2.840.113549.1.1.13";
    pub const SHA224_RSA: &str = "1.2.840.113549.1.1.14";
    pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
    pub const P256: &str = "1.2.840.10045.3.1.7";
    pub const P384: &str = "1.3.132.0.34";
    pub const P521: &str = "1.3.132.0.35";
    pub const ECDSA_SHA1: &str = "1.2.840.10045.4.1";
    pub const ECDSA_SHA224: &str = "1.2.840.10045.4.3.1";
    pub const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
    pub const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
    pub const ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
    pub const ED25519: &str = "1.3.101.112";
    pub const PBM: &str = "1.2.840.113533.7.66.13";
    pub const HMAC_SHA1: &str = "1.3.6.1.5.5.8.1.2";
    pub const HMAC_WITH_SHA1: &str = "1.2.840.113549.2.7";
    pub const HMAC_WITH_SHA224: &str = "1.2.840.113549.2.8";
    pub const HMAC_WITH_SHA256: &str = "1.2.840.113549.2.9";
    pub const HMAC_WITH_SHA384: &str = "1.2.840.113549.2.10";
    pub const HMAC_WITH_SHA512: &str = "1.2.840.113549.2.11";
}

/// Upper bound on PBM iterations we are willing to compute for a request (OpenSSL's own limit).
const PBM_MAX_ITERATIONS: i64 = 100_000;
/// Upper bound on a PBM salt (a request could otherwise make us hash megabytes per iteration).
const PBM_MAX_SALT: usize = 1024;

/// Digest algorithms the server understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn from_oid(oid: &str) -> Option<Hash> {
        Some(match oid {
            oids::SHA1 => Hash::Sha1,
            oids::SHA224 => Hash::Sha224,
            oids::SHA256 => Hash::Sha256,
            oids::SHA384 => Hash::Sha384,
            oids::SHA512 => Hash::Sha512,
            _ => return None,
        })
    }
    fn alg(self) -> &'static digest::Algorithm {
        match self {
            Hash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha224 => &digest::SHA224,
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
            Hash::Sha512 => &digest::SHA512,
        }
    }
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        digest::digest(self.alg(), data).as_ref().to_vec()
    }
}

/// Fresh random bytes (transactionIDs, nonces, salts, serial numbers).
pub fn random(n: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; n];
    rand::fill(&mut v).map_err(|_| Error::cmp("random number generator failed"))?;
    Ok(v)
}

/// Split an AlgorithmIdentifier into its OID string and optional parameters.
pub fn alg_id<'a>(t: &Tlv<'a>) -> Result<(String, Option<Tlv<'a>>)> {
    let mut s = Seq::new(t, "AlgorithmIdentifier")?;
    let oid = tlv::oid_string(&s.next("algorithm")?)?;
    Ok((oid, s.peek()))
}

/// The digest OpenSSL's X509_digest_sig() picks for a certificate signed with `sig_alg`: the
/// signature's own digest, SHA-512 for Ed25519, SHA-256 when there is none to take.
pub fn hash_for_sig_alg(sig_alg: &Tlv<'_>) -> Hash {
    let Ok((oid, params)) = alg_id(sig_alg) else {
        return Hash::Sha256;
    };
    match oid.as_str() {
        oids::SHA1_RSA | oids::ECDSA_SHA1 => Hash::Sha256, // SHA-1 is too weak; OpenSSL upgrades it
        oids::SHA224_RSA | oids::ECDSA_SHA224 => Hash::Sha224,
        oids::SHA256_RSA | oids::ECDSA_SHA256 => Hash::Sha256,
        oids::SHA384_RSA | oids::ECDSA_SHA384 => Hash::Sha384,
        oids::SHA512_RSA | oids::ECDSA_SHA512 => Hash::Sha512,
        oids::ED25519 => Hash::Sha512,
        oids::RSA_PSS => pss_hash(params).unwrap_or(Hash::Sha256),
        _ => Hash::Sha256,
    }
}

/// The hash inside RSASSA-PSS parameters (`[0] hashAlgorithm`, SHA-1 when absent).
fn pss_hash(params: Option<Tlv<'_>>) -> Option<Hash> {
    let Some(p) = params else {
        return Some(Hash::Sha1);
    };
    let mut s = Seq::new(&p, "RSASSA-PSS-params").ok()?;
    match s.opt(tlv::ctx_cons(0)) {
        Some(h) => Hash::from_oid(&alg_id(&h.inner().ok()?).ok()?.0),
        None => Some(Hash::Sha1),
    }
}

// ---- PBM ----

/// Parsed PBMParameter.
struct PbmParams {
    salt: Vec<u8>,
    owf: Hash,
    iterations: u32,
    mac: Hash,
}

fn parse_pbm_params(params: Option<Tlv<'_>>) -> Result<PbmParams> {
    let p = params.ok_or_else(|| Error::cmp("PBM protection without parameters"))?;
    let mut s = Seq::new(&p, "PBMParameter")?;
    let salt = s
        .next("salt")?
        .expect_tag(tlv::OCTET_STRING, "salt")?
        .value
        .to_vec();
    if salt.len() > PBM_MAX_SALT {
        return Err(Error::cmp("PBM salt too long"));
    }
    let (owf_oid, _) = alg_id(&s.next("owf")?)?;
    let owf = Hash::from_oid(&owf_oid)
        .ok_or_else(|| crate::cmp_err!("unsupported PBM one-way function {owf_oid}"))?;
    let iterations = s.next("iterationCount")?.int()?;
    if !(1..=PBM_MAX_ITERATIONS).contains(&iterations) {
        return Err(crate::cmp_err!("bad PBM iteration count {iterations}"));
    }
    let (mac_oid, _) = alg_id(&s.next("mac")?)?;
    let mac = match mac_oid.as_str() {
        oids::HMAC_SHA1 | oids::HMAC_WITH_SHA1 => Hash::Sha1,
        oids::HMAC_WITH_SHA224 => Hash::Sha224,
        oids::HMAC_WITH_SHA256 => Hash::Sha256,
        oids::HMAC_WITH_SHA384 => Hash::Sha384,
        oids::HMAC_WITH_SHA512 => Hash::Sha512,
        other => return Err(crate::cmp_err!("unsupported PBM MAC algorithm {other}")),
    };
    Ok(PbmParams {
        salt,
        owf,
        iterations: iterations as u32,
        mac,
    })
}

/// The PBM value over `data` for the given AlgorithmIdentifier parameters.
pub fn pbm_mac(secret: &[u8], params: Option<Tlv<'_>>, data: &[u8]) -> Result<Vec<u8>> {
    let p = parse_pbm_params(params)?;
    let mut base = Zeroizing::new(Vec::with_capacity(secret.len() + p.salt.len()));
    base.extend_from_slice(secret);
    base.extend_from_slice(&p.salt);
    let mut key = Zeroizing::new(p.owf.digest(&base));
    for _ in 1..p.iterations {
        key = Zeroizing::new(p.owf.digest(&key));
    }
    let halg = match p.mac {
        Hash::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        Hash::Sha224 => hmac::HMAC_SHA224,
        Hash::Sha256 => hmac::HMAC_SHA256,
        Hash::Sha384 => hmac::HMAC_SHA384,
        Hash::Sha512 => hmac::HMAC_SHA512,
    };
    let k = hmac::Key::new(halg, &key);
    Ok(hmac::sign(&k, data).as_ref().to_vec())
}

/// A PBM AlgorithmIdentifier with OpenSSL's defaults: 16-byte salt, SHA-256 OWF, 500 iterations,
/// HMAC-SHA1.
pub fn pbm_alg_id() -> Result<Vec<u8>> {
    let params = tlv::seq(&[
        &tlv::octets(&random(16)?),
        &tlv::seq(&[&tlv::oid(oids::SHA256)]),
        &tlv::int(500),
        &tlv::seq(&[&tlv::oid(oids::HMAC_SHA1)]),
    ]);
    Ok(tlv::seq(&[&tlv::oid(oids::PBM), &params]))
}

// ---- signatures ----

/// Verify `sig` over `data` made with algorithm `sig_alg` by the key in SubjectPublicKeyInfo `spki`.
pub fn verify(spki: &Tlv<'_>, sig_alg: &Tlv<'_>, data: &[u8], sig: &[u8]) -> Result<()> {
    let mut s = Seq::new(spki, "SubjectPublicKeyInfo")?;
    let (key_oid, key_params) = alg_id(&s.next("algorithm")?)?;
    let key_bits = s
        .next("subjectPublicKey")?
        .expect_tag(tlv::BIT_STRING, "subjectPublicKey")?;
    let key = key_bits
        .value
        .get(1..)
        .ok_or_else(|| Error::cmp("empty public key"))?;
    let (sig_oid, sig_params) = alg_id(sig_alg)?;
    let alg: &'static dyn signature::VerificationAlgorithm =
        match (key_oid.as_str(), sig_oid.as_str()) {
            (oids::RSA | oids::RSA_PSS, oids::SHA1_RSA) => {
                &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY
            }
            (oids::RSA | oids::RSA_PSS, oids::SHA256_RSA) => {
                &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
            }
            (oids::RSA | oids::RSA_PSS, oids::SHA384_RSA) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (oids::RSA | oids::RSA_PSS, oids::SHA512_RSA) => {
                &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
            }
            (oids::RSA | oids::RSA_PSS, oids::RSA_PSS) => match pss_hash(sig_params) {
                Some(Hash::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
                Some(Hash::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
                Some(Hash::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
                _ => return Err(Error::cmp("unsupported RSASSA-PSS hash")),
            },
            (oids::EC_PUBLIC_KEY, _) => {
                let curve = key_params
                    .map(|p| tlv::oid_string(&p))
                    .transpose()?
                    .unwrap_or_default();
                match (curve.as_str(), sig_oid.as_str()) {
                    (oids::P256, oids::ECDSA_SHA1) => &signature::ECDSA_P256_SHA1_ASN1,
                    (oids::P256, oids::ECDSA_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
                    (oids::P256, oids::ECDSA_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
                    (oids::P256, oids::ECDSA_SHA512) => &signature::ECDSA_P256_SHA512_ASN1,
                    (oids::P384, oids::ECDSA_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
                    (oids::P384, oids::ECDSA_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
                    (oids::P384, oids::ECDSA_SHA512) => &signature::ECDSA_P384_SHA512_ASN1,
                    (oids::P521, oids::ECDSA_SHA1) => &signature::ECDSA_P521_SHA1_ASN1,
                    (oids::P521, oids::ECDSA_SHA224) => &signature::ECDSA_P521_SHA224_ASN1,
                    (oids::P521, oids::ECDSA_SHA256) => &signature::ECDSA_P521_SHA256_ASN1,
                    (oids::P521, oids::ECDSA_SHA384) => &signature::ECDSA_P521_SHA384_ASN1,
                    (oids::P521, oids::ECDSA_SHA512) => &signature::ECDSA_P521_SHA512_ASN1,
                    _ => {
                        return Err(crate::cmp_err!(
                            "unsupported EC curve/signature combination {curve} / {sig_oid}"
                        ))
                    }
                }
            }
            (oids::ED25519, oids::ED25519) => &signature::ED25519,
            _ => {
                return Err(crate::cmp_err!(
                    "unsupported key/signature algorithm combination {key_oid} / {sig_oid}"
                ))
            }
        };
    signature::UnparsedPublicKey::new(alg, key)
        .verify(data, sig)
        .map_err(|_| Error::cmp("signature does not verify"))
}

enum KeyPair {
    Rsa(signature::RsaKeyPair),
    Ecdsa(signature::EcdsaKeyPair, &'static str),
    Ed25519(signature::Ed25519KeyPair),
}

/// The server's signing key, loaded once from PKCS#8.
pub struct Signer {
    key: KeyPair,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<private key>)")
    }
}

impl Signer {
    /// Load a PKCS#8 private key (RSA, EC P-256/P-384/P-521 or Ed25519).
    pub fn from_pkcs8(der: &[u8]) -> Result<Signer> {
        if let Ok(k) = signature::RsaKeyPair::from_pkcs8(der) {
            return Ok(Signer {
                key: KeyPair::Rsa(k),
            });
        }
        for (alg, oid) in [
            (
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                oids::ECDSA_SHA256,
            ),
            (
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                oids::ECDSA_SHA384,
            ),
            (
                &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
                oids::ECDSA_SHA512,
            ),
        ] {
            if let Ok(k) = signature::EcdsaKeyPair::from_pkcs8(alg, der) {
                return Ok(Signer {
                    key: KeyPair::Ecdsa(k, oid),
                });
            }
        }
        if let Ok(k) = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(Signer {
                key: KeyPair::Ed25519(k),
            });
        }
        Err(Error::cmp(
            "unsupported or invalid server private key (expected RSA, EC or Ed25519 in PKCS#8)",
        ))
    }

    /// The AlgorithmIdentifier of the signatures this key makes (SHA-256 with RSA as OpenSSL's default
    /// digest; the curve's natural digest for ECDSA).
    pub fn alg_id(&self) -> Vec<u8> {
        match &self.key {
            KeyPair::Rsa(_) => tlv::seq(&[&tlv::oid(oids::SHA256_RSA), &tlv::tlv(tlv::NULL, &[])]),
            KeyPair::Ecdsa(_, oid) => tlv::seq(&[&tlv::oid(oid)]),
            KeyPair::Ed25519(_) => tlv::seq(&[&tlv::oid(oids::ED25519)]),
        }
    }

    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>> {
        let rng = rand::SystemRandom::new();
        let fail = |_| Error::cmp("signing with the server key failed");
        match &self.key {
            KeyPair::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, data, &mut sig)
                    .map_err(fail)?;
                Ok(sig)
            }
            KeyPair::Ecdsa(k, _) => Ok(k.sign(&rng, data).map_err(fail)?.as_ref().to_vec()),
            KeyPair::Ed25519(k) => Ok(k.sign(data).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbm_roundtrip_and_secret_matters() {
        let alg = pbm_alg_id().unwrap();
        let t = tlv::parse_one(&alg).unwrap();
        let (oid, params) = alg_id(&t).unwrap();
        assert_eq!(oid, oids::PBM);
        let a = pbm_mac(b"test", params, b"data").unwrap();
        let b = pbm_mac(b"test", params, b"data").unwrap();
        let c = pbm_mac(b"wrong", params, b"data").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 20);
    }

    #[test]
    fn pbm_rejects_huge_iteration_count() {
        let params = tlv::seq(&[
            &tlv::octets(b"salt"),
            &tlv::seq(&[&tlv::oid(oids::SHA256)]),
            &tlv::int(10_000_000),
            &tlv::seq(&[&tlv::oid(oids::HMAC_SHA1)]),
        ]);
        let p = tlv::parse_one(&params).unwrap();
        assert!(pbm_mac(b"x", Some(p), b"d").is_err());
    }
}
