//! PBMAC1 protection (RFC 9481 section 6.1.2, built on RFC 8018 section 7.1): the key is
//! PBKDF2(secret, salt, iterationCount, keyLength) with an HMAC-SHA2 as PRF, and the protection value
//! is an HMAC-SHA2 under that key over DER(ProtectedPart). OpenSSL's `cmp` has no PBMAC1; this is an
//! rcmp extension (`-pbmac1`), checked against Bouncy Castle in `src/protect/tests_pbmac1_interop.rs`.
//!
//! Limits, applied to what we send and to what we accept alike:
//! - PRF and MAC: HMAC with SHA-256, SHA-384 or SHA-512 (RFC 9481's list; SHA-1 is not taken).
//! - iterationCount from [`MIN_ITERATIONS`] (NIST SP 800-132's floor) to [`MAX_ITERATIONS`], so a peer
//!   cannot make us derive keys without bound.
//! - salt from [`MIN_SALT_LEN`] (RFC 8018's minimum) to [`MAX_SALT_LEN`] bytes, `specified` only.
//! - keyLength, when present, from [`MIN_KEY_LEN`] to 64 bytes; when absent, the MAC's output length.
//!
//! Bouncy Castle (at least up to 1.80, and EJBCA with it) names the key derivation function with the
//! PBES2 OID instead of PBKDF2's while putting PBKDF2-params under it. Such parameters are accepted as
//! PBKDF2, since nothing else could be meant; we always send the PBKDF2 OID.

use std::num::NonZeroU32;

use aws_lc_rs::{hmac, pbkdf2, rand};
use der::asn1::{Null, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Tag, Tagged};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use crate::asn1::{oid, Pbkdf2Params, Pbmac1Params};
use crate::creds::{Digest, MacAlg};
use crate::error::Result;

/// Iteration count used when `-pbm_iterations` is not given (no OpenSSL default exists to follow).
pub const DEFAULT_ITERATIONS: u32 = 10_000;
/// Smallest iterationCount sent or accepted.
pub const MIN_ITERATIONS: u32 = 1_000;
/// Largest iterationCount sent or accepted.
pub const MAX_ITERATIONS: u32 = 1_000_000;
/// Shortest salt sent or accepted.
pub const MIN_SALT_LEN: usize = 8;
/// Longest salt sent or accepted (the same bound as for PBM).
pub const MAX_SALT_LEN: usize = super::pbm::MAX_SALT_LEN;
/// Shortest derived key accepted when a peer states keyLength.
pub const MIN_KEY_LEN: usize = 16;

/// A SHA-2 hash PBMAC1 may use, as PRF (HMAC-SHA2 inside PBKDF2) or as MAC: one of the registry's
/// digests (`creds::Digest`), restricted to SHA-256/384/512.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Sha2(Digest);

#[allow(non_upper_case_globals)]
impl Sha2 {
    pub const Sha256: Sha2 = Sha2(Digest::Sha256);
    pub const Sha384: Sha2 = Sha2(Digest::Sha384);
    pub const Sha512: Sha2 = Sha2(Digest::Sha512);

    /// The hash of a `-digest` (for the PRF) or `-mac` (for the MAC) choice, if PBMAC1 takes it.
    pub fn from_digest(d: Digest) -> Option<Sha2> {
        matches!(d, Digest::Sha256 | Digest::Sha384 | Digest::Sha512).then_some(Sha2(d))
    }

    /// `hmacWithSHA256` etc. (RFC 8018 appendix B.1.2), the OID of both the PRF and the MAC.
    pub fn hmac_oid(self) -> ObjectIdentifier {
        MacAlg::Hmac(self.0).oid()
    }

    fn from_hmac_oid(o: &ObjectIdentifier) -> Option<Sha2> {
        [Sha2::Sha256, Sha2::Sha384, Sha2::Sha512]
            .into_iter()
            .find(|s| s.hmac_oid() == *o)
    }

    /// The HMAC's output length, which is also the key length we send.
    pub fn out_len(self) -> usize {
        self.0.output_len()
    }

    /// aws-lc-rs's PBKDF2 with this HMAC (the registry's `EVP_MD` handles do not reach PBKDF2; the
    /// three cases are all PBMAC1 takes).
    fn prf(self) -> pbkdf2::Algorithm {
        match self.0 {
            Digest::Sha384 => pbkdf2::PBKDF2_HMAC_SHA384,
            Digest::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
            _ => pbkdf2::PBKDF2_HMAC_SHA256,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self.0 {
            Digest::Sha384 => hmac::HMAC_SHA384,
            Digest::Sha512 => hmac::HMAC_SHA512,
            _ => hmac::HMAC_SHA256,
        }
    }
}

/// Checked PBMAC1 parameters.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Params {
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub key_len: usize,
    pub prf: Sha2,
    pub mac: Sha2,
}

impl Params {
    /// Fresh parameters: a random salt of `salt_len` bytes, keyLength the MAC's output length.
    pub fn new(prf: Sha2, mac: Sha2, iterations: u32, salt_len: usize) -> Result<Params> {
        let mut salt = vec![0u8; salt_len];
        rand::fill(&mut salt).map_err(|_| cmp_err!("cannot generate random PBMAC1 salt"))?;
        let p = Params {
            salt,
            iterations,
            key_len: mac.out_len(),
            prf,
            mac,
        };
        p.check()?;
        Ok(p)
    }

    /// The same kind of parameters with a fresh salt of the same length (how the mock answers).
    pub fn renewed(&self) -> Result<Params> {
        let mut p = Params::new(self.prf, self.mac, self.iterations, self.salt.len())?;
        p.key_len = self.key_len;
        Ok(p)
    }

    fn check(&self) -> Result<()> {
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&self.iterations) {
            return Err(cmp_err!(
                "bad PBMAC1 iterationCount: {} (must be from {MIN_ITERATIONS} to {MAX_ITERATIONS})",
                self.iterations
            ));
        }
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&self.salt.len()) {
            return Err(cmp_err!(
                "bad PBMAC1 salt length: {} (must be from {MIN_SALT_LEN} to {MAX_SALT_LEN} bytes)",
                self.salt.len()
            ));
        }
        if !(MIN_KEY_LEN..=Sha2::Sha512.out_len()).contains(&self.key_len) {
            return Err(cmp_err!(
                "bad PBMAC1 keyLength: {} (must be from {MIN_KEY_LEN} to {})",
                self.key_len,
                Sha2::Sha512.out_len()
            ));
        }
        Ok(())
    }

    fn mac_key(&self, secret: &[u8]) -> Result<hmac::Key> {
        self.check()?;
        let n = NonZeroU32::new(self.iterations)
            .ok_or_else(|| cmp_err!("bad PBMAC1 iterationCount: 0"))?;
        let mut k = Zeroizing::new(vec![0u8; self.key_len]);
        pbkdf2::derive(self.prf.prf(), n, &self.salt, secret, &mut k);
        Ok(hmac::Key::new(self.mac.hmac(), &k))
    }
}

/// An HMAC AlgorithmIdentifier with NULL parameters, as RFC 8018 writes the PRF (and Bouncy Castle the
/// MAC too); on receipt both NULL and absent parameters are taken.
fn hmac_alg(s: Sha2) -> Result<AlgorithmIdentifierOwned> {
    let null = Any::encode_from(&Null).map_err(|e| cmp_err!("cannot encode NULL: {e}"))?;
    Ok(AlgorithmIdentifierOwned {
        oid: s.hmac_oid(),
        parameters: Some(null),
    })
}

fn any_of<T: der::EncodeValue + Tagged>(v: &T, what: &str) -> Result<Any> {
    Any::encode_from(v).map_err(|e| cmp_err!("cannot encode {what}: {e}"))
}

/// The protectionAlg for these parameters: id-PBMAC1 with PBMAC1-params.
pub fn algorithm_identifier(p: &Params) -> Result<AlgorithmIdentifierOwned> {
    let kdf = Pbkdf2Params {
        salt: OctetString::new(p.salt.clone()).map_err(|e| cmp_err!("bad PBMAC1 salt: {e}"))?,
        iteration_count: u64::from(p.iterations),
        key_length: Some(p.key_len as u64),
        prf: Some(hmac_alg(p.prf)?),
    };
    let params = Pbmac1Params {
        key_derivation_func: AlgorithmIdentifierOwned {
            oid: oid::PBKDF2,
            parameters: Some(any_of(&kdf, "PBKDF2 parameters")?),
        },
        message_auth_scheme: hmac_alg(p.mac)?,
    };
    Ok(AlgorithmIdentifierOwned {
        oid: oid::PBMAC1,
        parameters: Some(any_of(&params, "PBMAC1 parameters")?),
    })
}

/// Parameters of an AlgorithmIdentifier that must be a SEQUENCE of type `T`, and nothing else.
fn sequence_params<T: for<'a> Decode<'a>>(p: Option<&Any>, what: &str) -> Result<T> {
    let p = p.ok_or_else(|| cmp_err!("{what} missing"))?;
    if p.tag() != Tag::Sequence {
        return Err(cmp_err!("{what} are not a SEQUENCE (found {})", p.tag()));
    }
    let der = p.to_der().map_err(|e| cmp_err!("bad {what}: {e}"))?;
    T::from_der(&der).map_err(|e| cmp_err!("bad {what}: {e}"))
}

/// An HMAC-SHA2 AlgorithmIdentifier, with NULL or absent parameters.
fn hmac_of(alg: &AlgorithmIdentifierOwned, what: &str) -> Result<Sha2> {
    let s = Sha2::from_hmac_oid(&alg.oid)
        .ok_or_else(|| cmp_err!("unsupported algorithm: PBMAC1 {what} {}", alg.oid))?;
    match &alg.parameters {
        None => Ok(s),
        Some(a) if a.tag() == Tag::Null && a.value().is_empty() => Ok(s),
        Some(_) => Err(cmp_err!("bad PBMAC1 {what}: unexpected parameters")),
    }
}

/// The checked parameters of a PBMAC1 protectionAlg.
pub fn params_from_alg(alg: &AlgorithmIdentifierOwned) -> Result<Params> {
    if alg.oid != oid::PBMAC1 {
        return Err(cmp_err!("protection algorithm {} is not PBMAC1", alg.oid));
    }
    let p: Pbmac1Params = sequence_params(alg.parameters.as_ref(), "PBMAC1 parameters")?;
    let kdf = &p.key_derivation_func;
    if kdf.oid != oid::PBKDF2 && kdf.oid != oid::PBES2 {
        return Err(cmp_err!(
            "unsupported algorithm: PBMAC1 key derivation function {}",
            kdf.oid
        ));
    }
    let k: Pbkdf2Params = sequence_params(kdf.parameters.as_ref(), "PBKDF2 parameters")?;
    let prf = match &k.prf {
        Some(a) => hmac_of(a, "PRF")?,
        None => return Err(cmp_err!("unsupported algorithm: PBMAC1 PRF hmacWithSHA1")),
    };
    let mac = hmac_of(&p.message_auth_scheme, "MAC")?;
    let iterations = u32::try_from(k.iteration_count).unwrap_or(u32::MAX);
    let key_len = match k.key_length {
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => mac.out_len(),
    };
    let params = Params {
        salt: k.salt.as_bytes().to_vec(),
        iterations,
        key_len,
        prf,
        mac,
    };
    params.check()?;
    Ok(params)
}

/// The PBMAC1 value (the bytes of PKIMessage.protection) of `protected_part_der` under `secret`.
pub fn protect(secret: &[u8], p: &Params, protected_part_der: &[u8]) -> Result<Vec<u8>> {
    let key = p.mac_key(secret)?;
    Ok(hmac::sign(&key, protected_part_der).as_ref().to_vec())
}

/// Checks a received PBMAC1 value in constant time; a mismatch reads as a wrong PBM value does.
pub fn verify(secret: &[u8], p: &Params, protected_part_der: &[u8], value: &[u8]) -> Result<()> {
    let key = p.mac_key(secret)?;
    hmac::verify(&key, protected_part_der, value).map_err(|_| cmp_err!("wrong pbm value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7914 section 11's PBKDF2-HMAC-SHA256 test vector (P "passwd", S "salt", c 1, 64 bytes),
    /// checked through our key derivation by MACing with the derived key.
    #[test]
    fn derivation_matches_published_vector() {
        let p = Params {
            salt: b"salt".to_vec(),
            iterations: 1,
            key_len: 64,
            prf: Sha2::Sha256,
            mac: Sha2::Sha256,
        };
        let want_key = hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
        let n = NonZeroU32::new(1).unwrap();
        let mut k = [0u8; 64];
        pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, n, &p.salt, b"passwd", &mut k);
        assert_eq!(k.to_vec(), want_key);
        // protect() refuses this single iteration (below the floor) ...
        assert!(protect(b"passwd", &p, b"m").is_err());
        // ... and with a legal count it is HMAC under the PBKDF2 key.
        let p = Params {
            iterations: 1000,
            salt: b"saltSALTsaltSALT".to_vec(),
            ..p
        };
        let mut k = [0u8; 64];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(1000).unwrap(),
            b"saltSALTsaltSALT",
            b"passwd",
            &mut k,
        );
        let want = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &k), b"m");
        assert_eq!(protect(b"passwd", &p, b"m").unwrap(), want.as_ref());
        verify(b"passwd", &p, b"m", want.as_ref()).unwrap();
        assert!(verify(b"passwD", &p, b"m", want.as_ref()).is_err());
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn alg_id_round_trip_and_bouncy_castle_oid() {
        let p = Params::new(Sha2::Sha384, Sha2::Sha512, 2048, 16).unwrap();
        let alg = algorithm_identifier(&p).unwrap();
        assert_eq!(params_from_alg(&alg).unwrap(), p);
        // The AlgorithmIdentifier Bouncy Castle 1.80 writes (PBES2 OID as KDF), byte for byte.
        let bc = hex("306106092a864886f70d01050e3054304406092a864886f70d01050d303704206e0006144ee5ee7c2e0cb0e09cea9062d92d44266b35c060e40eb3de8a090b4f02022000020120300c06082a864886f70d02090500300c06082a864886f70d02090500");
        let alg = AlgorithmIdentifierOwned::from_der(&bc).unwrap();
        let got = params_from_alg(&alg).unwrap();
        assert_eq!(
            (
                got.iterations,
                got.key_len,
                got.salt.len(),
                got.prf,
                got.mac
            ),
            (8192, 32, 32, Sha2::Sha256, Sha2::Sha256)
        );
    }

    #[test]
    fn bounds() {
        for (n, ok) in [
            (999, false),
            (1000, true),
            (1_000_000, true),
            (1_000_001, false),
        ] {
            assert_eq!(
                Params::new(Sha2::Sha256, Sha2::Sha256, n, 16).is_ok(),
                ok,
                "{n}"
            );
        }
        for (len, ok) in [(7, false), (8, true), (1024, true), (1025, false)] {
            assert_eq!(
                Params::new(Sha2::Sha256, Sha2::Sha256, 1000, len).is_ok(),
                ok,
                "{len}"
            );
        }
        let mut p = Params::new(Sha2::Sha256, Sha2::Sha256, 1000, 16).unwrap();
        p.key_len = 15;
        assert!(protect(b"x", &p, b"m").is_err());
    }

    #[test]
    fn refused_parameters() {
        let p = Params::new(Sha2::Sha256, Sha2::Sha256, 1000, 16).unwrap();
        let mut alg = algorithm_identifier(&p).unwrap();
        alg.oid = oid::PASSWORD_BASED_MAC;
        assert!(params_from_alg(&alg).is_err());
        // PRF left at its default (hmacWithSHA1): refused.
        let kdf = Pbkdf2Params {
            salt: OctetString::new(vec![0; 16]).unwrap(),
            iteration_count: 1000,
            key_length: None,
            prf: None,
        };
        let params = Pbmac1Params {
            key_derivation_func: AlgorithmIdentifierOwned {
                oid: oid::PBKDF2,
                parameters: Some(Any::encode_from(&kdf).unwrap()),
            },
            message_auth_scheme: hmac_alg(Sha2::Sha256).unwrap(),
        };
        let alg = AlgorithmIdentifierOwned {
            oid: oid::PBMAC1,
            parameters: Some(Any::encode_from(&params).unwrap()),
        };
        let e = params_from_alg(&alg).unwrap_err().to_string();
        assert!(e.contains("hmacWithSHA1"), "{e}");
        // Another KDF OID (scrypt) is refused by name.
        let mut other = params.clone();
        other.key_derivation_func.oid = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.4.11");
        let alg = AlgorithmIdentifierOwned {
            oid: oid::PBMAC1,
            parameters: Some(Any::encode_from(&other).unwrap()),
        };
        let e = params_from_alg(&alg).unwrap_err().to_string();
        assert!(e.contains("key derivation function"), "{e}");
    }
}
