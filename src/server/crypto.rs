//! The mock server's bridge to the shared cryptography: digests and signatures come from `creds`, PBM
//! (RFC 4211 section 4.4) from `protect::pbm`, PBMAC1 (an rcmp extension) from `protect::pbmac1`.
//!
//! What stays here is the mock's own policy: which digest a certHash is checked with, which digest the
//! server key signs with, and the PBM limits and error texts the mock has always applied.

use spki::AlgorithmIdentifierOwned;

use crate::creds::key::Curve;
use crate::creds::{self, KeyType, PrivateKey};
use crate::error::{Error, Result};
use crate::protect::{pbm, MacParams};

pub use crate::creds::Digest as Hash;

use crate::asn1::oid;
use const_oid::db::{rfc5912, rfc8410};
use const_oid::ObjectIdentifier as Oid;

/// The digests the mock has always known for certHash (SHA-1 and SHA-2); others are not taken.
pub fn classic_hash(d: Hash) -> Option<Hash> {
    matches!(
        d,
        Hash::Sha1 | Hash::Sha224 | Hash::Sha256 | Hash::Sha384 | Hash::Sha512
    )
    .then_some(d)
}

/// A certConf hashAlg (a digest OID) the mock accepts.
pub fn hash_from_oid(oid: &Oid) -> Option<Hash> {
    Hash::from_oid(oid).and_then(classic_hash)
}

/// The digest OpenSSL's X509_digest_sig() picks for a certificate signed with `sig_alg`: the
/// signature's own digest (the client's table, `protect::sig::sig_alg_digest`), SHA-512 for Ed25519,
/// SHA-256 when there is none to take. The mock checks only SHA-1/SHA-2 digests and upgrades SHA-1
/// (and MD5) to SHA-256, as OpenSSL does.
pub fn hash_for_sig_alg(alg: &spki::AlgorithmIdentifierOwned) -> Hash {
    let d = match crate::protect::sig::sig_alg_digest(&alg.oid) {
        Some(Hash::Md5 | Hash::Sha1) => Some(Hash::Sha256),
        Some(d) => Some(d),
        None if alg.oid == rfc8410::ID_ED_25519 => Some(Hash::Sha512),
        None if alg.oid == rfc5912::ID_RSASSA_PSS => creds::pss_hash(alg.parameters.as_ref()).ok(),
        None => None,
    };
    d.and_then(classic_hash).unwrap_or(Hash::Sha256)
}

// ---- PBM ----

/// The PBMParameter of a protectionAlg, checked with the mock's limits and messages.
fn pbm_params(alg: &AlgorithmIdentifierOwned) -> Result<crate::asn1::PbmParameter> {
    if alg.parameters.is_none() {
        return Err(Error::cmp("PBM protection without parameters"));
    }
    let p = pbm::params_from_alg(alg)?;
    if p.salt.as_bytes().len() > pbm::MAX_SALT_LEN {
        return Err(Error::cmp("PBM salt too long"));
    }
    let (owf, mac) = (&p.owf.oid, &p.mac.oid);
    if pbm::Owf::from_oid(owf).is_none() {
        return Err(crate::cmp_err!("unsupported PBM one-way function {owf}"));
    }
    let n = p.iteration_count;
    // OpenSSL's limits, as for the client (`src/protect/tests_pbm.rs::iteration_limits_are_openssls` checks both
    // mocks).
    if !(pbm::MIN_ITERATIONS..=pbm::MAX_ITERATIONS).contains(&n) {
        return Err(crate::cmp_err!("bad PBM iteration count {n}"));
    }
    if pbm::Mac::from_oid(mac).is_none() {
        return Err(crate::cmp_err!("unsupported PBM MAC algorithm {mac}"));
    }
    Ok(p)
}

/// The parameters of a PBM or PBMAC1 AlgorithmIdentifier; PBM with the mock's own checks and texts.
fn mac_params(alg: &AlgorithmIdentifierOwned) -> Result<MacParams> {
    if alg.oid == oid::PBMAC1 {
        MacParams::from_alg(alg)
    } else {
        pbm_params(alg).map(MacParams::Pbm)
    }
}

/// The PBM or PBMAC1 value over `data` for the AlgorithmIdentifier `alg`.
pub fn pbm_mac(secret: &[u8], alg: &AlgorithmIdentifierOwned, data: &[u8]) -> Result<Vec<u8>> {
    mac_params(alg)?.protect(secret, data)
}

/// The protectionAlg (DER) the mock answers a MAC-protected request with: the request's kind and
/// parameters (PBM: OWF, MAC, iterationCount, salt length; PBMAC1: PRF, MAC, iterationCount,
/// keyLength, salt length) with a fresh salt. So a client that chose stronger or other parameters
/// gets them back, and one using OpenSSL's defaults gets OpenSSL's defaults.
pub fn answer_mac_alg_id(req_alg: &AlgorithmIdentifierOwned) -> Result<AlgorithmIdentifierOwned> {
    mac_params(req_alg)?.renewed()?.algorithm_identifier()
}

/// A PBM AlgorithmIdentifier with OpenSSL's defaults: 16-byte salt, SHA-256 OWF, 500 iterations,
/// HMAC-SHA1.
pub fn pbm_alg_id() -> Result<AlgorithmIdentifierOwned> {
    pbm::algorithm_identifier(&pbm::default_params(pbm::Owf::Sha256, pbm::Mac::HmacSha1)?)
}

// ---- signatures ----

/// The server's signing key, loaded once from PKCS#8, with the digest it signs with.
pub struct Signer {
    key: PrivateKey,
    digest: Hash,
    alg_id: AlgorithmIdentifierOwned,
}

impl Signer {
    /// Load a PKCS#8 private key. SHA-256 is OpenSSL's default digest; ECDSA keys on the larger
    /// curves sign with their natural digest, as the mock always did.
    pub fn from_pkcs8(der: &[u8]) -> Result<Signer> {
        let key = PrivateKey::from_pkcs8_der(der).map_err(|_| {
            Error::cmp(
                "unsupported or invalid server private key (expected RSA, EC or Ed25519 in PKCS#8)",
            )
        })?;
        let digest = match key.key_type() {
            KeyType::Ec(Curve::P384) => Hash::Sha384,
            KeyType::Ec(Curve::P521) => Hash::Sha512,
            _ => Hash::Sha256,
        };
        let alg_id = key.signature_algorithm(digest)?;
        Ok(Signer {
            key,
            digest,
            alg_id,
        })
    }

    /// The AlgorithmIdentifier of the signatures this key makes.
    pub fn alg_id(&self) -> AlgorithmIdentifierOwned {
        self.alg_id.clone()
    }

    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>> {
        self.key
            .sign(self.digest, data)
            .map_err(|_| Error::cmp("signing with the server key failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;

    fn alg(oid: Oid, parameters: Option<der::Any>) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned { oid, parameters }
    }

    fn pbm_alg(iterations: i64) -> AlgorithmIdentifierOwned {
        let params = crate::asn1::PbmParameter {
            salt: der::asn1::OctetString::new(b"salt".to_vec()).unwrap(),
            owf: alg(oid::SHA256, None),
            iteration_count: iterations,
            mac: alg(oid::HMAC_SHA1_IPSEC, None),
        };
        alg(
            oid::PASSWORD_BASED_MAC,
            Some(der::Any::encode_from(&params).unwrap()),
        )
    }

    #[test]
    fn pbm_roundtrip_and_secret_matters() {
        let t = pbm_alg_id().unwrap();
        assert_eq!(t.oid, oid::PASSWORD_BASED_MAC);
        // The defaults OpenSSL's mock answers with.
        let p = pbm::params_from_alg(&t).unwrap();
        assert_eq!(p.salt.as_bytes().len(), 16);
        assert_eq!(p.owf, alg(oid::SHA256, None));
        assert_eq!(p.iteration_count, 500);
        assert_eq!(p.mac, alg(oid::HMAC_SHA1_IPSEC, None));
        let a = pbm_mac(b"test", &t, b"data").unwrap();
        let b = pbm_mac(b"test", &t, b"data").unwrap();
        let c = pbm_mac(b"wrong", &t, b"data").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 20);
    }

    #[test]
    fn cert_hash_digests_are_the_mocks() {
        // RSASSA-PSS-params with hashAlgorithm [0] SHA-384.
        let pss_sha384 = der::Any::from_der(&[
            0x30, 0x0f, 0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x02,
        ])
        .unwrap();
        for (oid, params, want) in [
            ("1.2.840.113549.1.1.5", None, Hash::Sha256),
            ("1.2.840.113549.1.1.4", None, Hash::Sha256),
            ("1.2.840.10045.4.3.3", None, Hash::Sha384),
            ("1.2.840.113549.1.1.14", None, Hash::Sha224),
            ("1.3.101.112", None, Hash::Sha512),
            ("2.16.840.1.101.3.4.3.14", None, Hash::Sha256),
            ("1.2.840.113549.1.1.10", None, Hash::Sha1),
            (
                "1.2.840.113549.1.1.10",
                Some(pss_sha384.clone()),
                Hash::Sha384,
            ),
            ("1.2.3.4", None, Hash::Sha256),
        ] {
            let alg = alg(Oid::new_unwrap(oid), params);
            assert_eq!(hash_for_sig_alg(&alg), want, "{oid}");
        }
        assert_eq!(hash_from_oid(&oid::SHA256), Some(Hash::Sha256));
        assert_eq!(
            hash_from_oid(&Oid::new_unwrap("2.16.840.1.101.3.4.2.8")),
            None
        );
    }

    /// A PBMAC1 protectionAlg is verified with the shared limits, and answered with the same
    /// parameters and a fresh salt.
    #[test]
    fn pbmac1_requests_and_answers() {
        use crate::protect::pbmac1::{self, Params, Sha2};
        for (n, ok) in [(1000, true), (1_000_000, true), (1_000_001, false)] {
            let p = Params {
                salt: vec![7; 16],
                iterations: n,
                key_len: 48,
                prf: Sha2::Sha512,
                mac: Sha2::Sha384,
            };
            let t = pbmac1::algorithm_identifier(&p).unwrap();
            assert!(crate::protect::is_mac_oid(&t.oid));
            if !ok {
                assert!(pbm_mac(b"x", &t, b"d").is_err(), "{n}");
                continue;
            }
            let want = pbmac1::protect(b"x", &p, b"d").unwrap();
            assert_eq!(pbm_mac(b"x", &t, b"d").unwrap(), want);
            let q = pbmac1::params_from_alg(&answer_mac_alg_id(&t).unwrap()).unwrap();
            assert_eq!(
                (q.iterations, q.key_len, q.prf, q.mac),
                (n, 48, Sha2::Sha512, Sha2::Sha384)
            );
            assert_eq!(q.salt.len(), 16);
            assert_ne!(q.salt, p.salt);
        }
    }

    #[test]
    fn pbm_iteration_bounds_are_the_mocks() {
        for (n, ok) in [
            (0, false),
            (1, false),
            (99, false),
            (100, true),
            (100_000, true),
            (100_001, false),
        ] {
            let r = pbm_mac(b"x", &pbm_alg(n), b"d");
            assert_eq!(r.is_ok(), ok, "iterationCount {n}");
            if let Err(e) = r {
                assert_eq!(e.to_string(), format!("bad PBM iteration count {n}"));
            }
        }
    }
}
