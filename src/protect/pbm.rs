//! Password-based MAC protection (PBM, RFC 9810 section 5.1.3.1; RFC 4211 section 4.4).
//!
//! The key is K = OWF^iterationCount(secret || salt): the first hash over secret and salt, each further
//! iteration hashing the previous result. The protection is MAC_K(DER(ProtectedPart)). Limits follow
//! OpenSSL 3.x (`OSSL_CRMF_pbm_new`): iterationCount from 100 to 100000; anything outside is refused
//! rather than letting a peer make us hash without bound.

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Tag, Tagged};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use crate::asn1::{oid, PbmParameter};
use crate::creds::{Digest, MacAlg};
use crate::error::Result;

/// OpenSSL's default iteration count (up to 3.6; see [`default_iterations`]).
pub const DEFAULT_ITERATIONS: i64 = 500;
/// OpenSSL 4.0's default iteration count.
pub const DEFAULT_ITERATIONS_4_0: i64 = 1024;

/// The iteration count the imitated release (`RCMP_COMPAT`) uses when none is chosen.
pub fn default_iterations() -> i64 {
    match crate::compat::get() {
        crate::compat::Compat::V4_0 => DEFAULT_ITERATIONS_4_0,
        _ => DEFAULT_ITERATIONS,
    }
}
/// OpenSSL's default salt length in bytes.
pub const DEFAULT_SALT_LEN: usize = 16;
/// Smallest iterationCount accepted (RFC 4211 section 4.4's recommended minimum, enforced by OpenSSL).
pub const MIN_ITERATIONS: i64 = 100;
/// Largest iterationCount accepted (OpenSSL's `OSSL_CRMF_PBM_MAX_ITERATION_COUNT`).
pub const MAX_ITERATIONS: i64 = 100_000;
/// Longest salt accepted; OpenSSL sends 16 bytes, so this only stops abuse.
pub const MAX_SALT_LEN: usize = 1024;

/// A one-way function a PBMParameter may name: one of the registry's digests (`creds::Digest`),
/// restricted to SHA-1 and SHA-2 as OpenSSL's PBM is.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Owf(Digest);

#[allow(non_upper_case_globals)]
impl Owf {
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub const Sha1: Owf = Owf(Digest::Sha1);
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub const Sha224: Owf = Owf(Digest::Sha224);
    pub const Sha256: Owf = Owf(Digest::Sha256);
    // Only bench/loadgen names this one (the tests reach SHA-384 by name or OID).
    #[cfg(any(fuzzing, feature = "bench"))]
    pub const Sha384: Owf = Owf(Digest::Sha384);
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub const Sha512: Owf = Owf(Digest::Sha512);

    /// The OWF for a digest, if PBM takes it.
    pub fn from_digest(d: Digest) -> Option<Self> {
        let sha = matches!(
            d,
            Digest::Sha1 | Digest::Sha224 | Digest::Sha256 | Digest::Sha384 | Digest::Sha512
        );
        sha.then_some(Owf(d))
    }

    pub fn from_oid(o: &ObjectIdentifier) -> Option<Self> {
        Digest::from_oid(o).and_then(Owf::from_digest)
    }

    /// By `-digest` name (`sha256`, `SHA256`, `sha2-256`, `sha-256`) or dotted OID.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name
            .to_ascii_lowercase()
            .replace("sha2-", "sha")
            .replace("sha-", "sha");
        match Digest::from_name(&n).ok().and_then(Owf::from_digest) {
            Some(owf) => Some(owf),
            None => ObjectIdentifier::new(name)
                .ok()
                .and_then(|o| Owf::from_oid(&o)),
        }
    }

    pub fn oid(self) -> ObjectIdentifier {
        self.0.oid()
    }

    pub fn digest(self) -> Digest {
        self.0
    }
}

/// A MAC algorithm a PBMParameter may name: HMAC with SHA-1 or SHA-2 from the registry
/// (`creds::MacAlg`), keeping the OID it was named by (hmac-sha1 and hmacWithSHA1 are the same
/// function under two OIDs).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Mac {
    oid: ObjectIdentifier,
    alg: MacAlg,
}

#[allow(non_upper_case_globals)]
impl Mac {
    /// `hmac-sha1` (IPsec arc), RFC 4210's and OpenSSL's default.
    pub const HmacSha1: Mac = Mac::of(oid::HMAC_SHA1_IPSEC, Digest::Sha1);
    /// `hmacWithSHA1` (RSADSI arc): the same function under another OID.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub const HmacWithSha1: Mac = Mac::of(oid::HMAC_SHA1, Digest::Sha1);
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub const HmacSha224: Mac = Mac::of(oid::HMAC_SHA224, Digest::Sha224);
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub const HmacSha256: Mac = Mac::of(oid::HMAC_SHA256, Digest::Sha256);
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub const HmacSha384: Mac = Mac::of(oid::HMAC_SHA384, Digest::Sha384);
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub const HmacSha512: Mac = Mac::of(oid::HMAC_SHA512, Digest::Sha512);

    const fn of(oid: ObjectIdentifier, d: Digest) -> Mac {
        Mac {
            oid,
            alg: MacAlg::Hmac(d),
        }
    }

    pub fn from_oid(o: &ObjectIdentifier) -> Option<Self> {
        let alg = MacAlg::from_oid(o)?;
        Owf::from_digest(alg.digest()).map(|_| Mac { oid: *o, alg })
    }

    /// By `-mac` name as OpenSSL spells it (`hmac-sha1`, `hmacWithSHA256`, case-insensitive) or dotted OID.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let by_name = [
            Mac::HmacSha1,
            Mac::HmacWithSha1,
            Mac::HmacSha224,
            Mac::HmacSha256,
            Mac::HmacSha384,
            Mac::HmacSha512,
        ]
        .into_iter()
        .find(|m| oid::algorithm_name(&m.oid).is_some_and(|n| n.eq_ignore_ascii_case(&lower)));
        by_name.or_else(|| {
            ObjectIdentifier::new(name)
                .ok()
                .and_then(|o| Mac::from_oid(&o))
        })
    }

    pub fn oid(self) -> ObjectIdentifier {
        self.oid
    }
}

/// An AlgorithmIdentifier without parameters, as OpenSSL writes the OWF and MAC of a PBMParameter.
fn alg_id(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

/// PBMParameter with the given salt and choices (for tests and for answering with a peer's salt).
pub fn params_with_salt(salt: &[u8], owf: Owf, iterations: i64, mac: Mac) -> Result<PbmParameter> {
    Ok(PbmParameter {
        salt: OctetString::new(salt).map_err(|e| cmp_err!("cannot encode PBM salt: {e}"))?,
        owf: alg_id(owf.oid()),
        iteration_count: iterations,
        mac: alg_id(mac.oid()),
    })
}

/// PBMParameter as OpenSSL builds it: a fresh random salt of [`DEFAULT_SALT_LEN`] bytes and
/// [`default_iterations`] iterations.
pub fn default_params(owf: Owf, mac: Mac) -> Result<PbmParameter> {
    fresh_params(owf, mac, default_iterations(), DEFAULT_SALT_LEN)
}

/// PBMParameter with a fresh random salt of `salt_len` bytes (`-pbm_iterations`, `-pbm_saltlen`).
pub fn fresh_params(owf: Owf, mac: Mac, iterations: i64, salt_len: usize) -> Result<PbmParameter> {
    if salt_len > MAX_SALT_LEN {
        return Err(cmp_err!("PBM salt longer than {MAX_SALT_LEN} bytes"));
    }
    let salt = crate::creds::random_bytes(salt_len)
        .map_err(|_| cmp_err!("cannot generate random PBM salt"))?;
    params_with_salt(&salt, owf, iterations, mac)
}

/// The same choices as `p` (OWF, MAC, iterationCount, salt length) with a fresh salt: how the mock
/// server answers a PBM-protected request.
pub fn renewed(p: &PbmParameter) -> Result<PbmParameter> {
    let salt = crate::creds::random_bytes(p.salt.as_bytes().len().min(MAX_SALT_LEN))
        .map_err(|_| cmp_err!("cannot generate random PBM salt"))?;
    Ok(PbmParameter {
        salt: OctetString::new(salt).map_err(|e| cmp_err!("cannot encode PBM salt: {e}"))?,
        ..p.clone()
    })
}

/// The protectionAlg for these parameters: id-PasswordBasedMac with the PBMParameter as parameters.
pub fn algorithm_identifier(params: &PbmParameter) -> Result<AlgorithmIdentifierOwned> {
    let der = params
        .to_der()
        .map_err(|e| cmp_err!("cannot encode PBM parameters: {e}"))?;
    let any = Any::from_der(&der).map_err(|e| cmp_err!("cannot encode PBM parameters: {e}"))?;
    Ok(AlgorithmIdentifierOwned {
        oid: oid::PASSWORD_BASED_MAC,
        parameters: Some(any),
    })
}

/// The PBMParameter of a protectionAlg. Refuses anything that is not id-PasswordBasedMac with
/// parameters that are exactly one well-formed PBMParameter SEQUENCE: parameters of another type must
/// never be read as PBM parameters.
pub fn params_from_alg(alg: &AlgorithmIdentifierOwned) -> Result<PbmParameter> {
    if alg.oid != oid::PASSWORD_BASED_MAC {
        return Err(cmp_err!(
            "protection algorithm {} is not password-based MAC",
            alg.oid
        ));
    }
    let p = alg
        .parameters
        .as_ref()
        .ok_or_else(|| cmp_err!("password-based MAC protection without PBMParameter"))?;
    if p.tag() != Tag::Sequence {
        return Err(cmp_err!(
            "password-based MAC parameters are not a PBMParameter SEQUENCE (found {})",
            p.tag()
        ));
    }
    let der = p.to_der().map_err(|e| cmp_err!("bad PBMParameter: {e}"))?;
    PbmParameter::from_der(&der).map_err(|e| cmp_err!("bad PBMParameter: {e}"))
}

/// Checks the parameters against the supported algorithms and OpenSSL's limits.
fn check(params: &PbmParameter) -> Result<(Owf, Mac, u32)> {
    let owf = Owf::from_oid(&params.owf.oid).ok_or_else(|| {
        cmp_err!(
            "unsupported algorithm: PBM one-way function {}",
            params.owf.oid
        )
    })?;
    let mac = Mac::from_oid(&params.mac.oid)
        .ok_or_else(|| cmp_err!("unsupported algorithm: PBM MAC {}", params.mac.oid))?;
    let n = params.iteration_count;
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&n) {
        return Err(cmp_err!(
            "bad pbm iterationcount: {n} (must be from {MIN_ITERATIONS} to {MAX_ITERATIONS})"
        ));
    }
    if params.salt.as_bytes().len() > MAX_SALT_LEN {
        return Err(cmp_err!("PBM salt longer than {MAX_SALT_LEN} bytes"));
    }
    Ok((owf, mac, n as u32))
}

/// K = OWF^iterationCount(secret || salt).
fn derive_key(secret: &[u8], salt: &[u8], owf: Owf, iterations: u32) -> Result<Zeroizing<Vec<u8>>> {
    let d = owf.digest();
    let input = Zeroizing::new([secret, salt].concat());
    let mut key = Zeroizing::new(d.hash(&input)?);
    if let Ok(k) = <&mut [u8; 32]>::try_from(key.as_mut_slice()) {
        if owf == Owf::Sha256 {
            crate::creds::sha256_rounds(k, iterations.saturating_sub(1));
            return Ok(key);
        }
    }
    for _ in 1..iterations {
        let next = Zeroizing::new(d.hash(&key)?);
        key.copy_from_slice(&next);
    }
    Ok(key)
}

/// The MAC of `protected_part_der` under the key the parameters derive from `secret`.
fn mac_value(secret: &[u8], params: &PbmParameter, protected_part_der: &[u8]) -> Result<Vec<u8>> {
    let (owf, mac, iterations) = check(params)?;
    let k = derive_key(secret, params.salt.as_bytes(), owf, iterations)?;
    mac.alg.mac(&k, protected_part_der)
}

/// The PBM value (the bytes of PKIMessage.protection) of `protected_part_der` under `secret`.
pub fn protect(secret: &[u8], params: &PbmParameter, protected_part_der: &[u8]) -> Result<Vec<u8>> {
    mac_value(secret, params, protected_part_der)
}

/// Checks a received PBM value in constant time. A mismatch reads `wrong pbm value`, as OpenSSL's
/// client prints it.
pub fn verify(
    secret: &[u8],
    params: &PbmParameter,
    protected_part_der: &[u8],
    value: &[u8],
) -> Result<()> {
    let mac = mac_value(secret, params, protected_part_der)?;
    aws_lc_rs::constant_time::verify_slices_are_equal(&mac, value)
        .map_err(|_| cmp_err!("wrong pbm value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::{digest, hmac};

    fn reference_pbm(
        secret: &[u8],
        salt: &[u8],
        n: u32,
        owf: &'static digest::Algorithm,
        mac: hmac::Algorithm,
        msg: &[u8],
    ) -> Vec<u8> {
        // Spelled out independently of derive_key: hash secret||salt once, then n-1 more times.
        let mut buf = [secret, salt].concat();
        for _ in 0..n {
            buf = digest::digest(owf, &buf).as_ref().to_vec();
        }
        hmac::sign(&hmac::Key::new(mac, &buf), msg)
            .as_ref()
            .to_vec()
    }

    #[test]
    fn protect_matches_the_rfc_construction() {
        let p = params_with_salt(b"0123456789abcdef", Owf::Sha256, 500, Mac::HmacSha1).unwrap();
        let got = protect(b"test", &p, b"protected part").unwrap();
        let want = reference_pbm(
            b"test",
            b"0123456789abcdef",
            500,
            &digest::SHA256,
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            b"protected part",
        );
        assert_eq!(got, want);
        assert_eq!(got.len(), 20);
        verify(b"test", &p, b"protected part", &got).unwrap();
        assert!(verify(b"tesT", &p, b"protected part", &got).is_err());
        assert!(verify(b"test", &p, b"protected parT", &got).is_err());
    }

    #[test]
    fn iteration_bounds_follow_openssl() {
        for (n, ok) in [
            (99, false),
            (100, true),
            (100_000, true),
            (100_001, false),
            (-1, false),
        ] {
            let p = params_with_salt(b"salt", Owf::Sha1, n, Mac::HmacSha256).unwrap();
            assert_eq!(protect(b"x", &p, b"m").is_ok(), ok, "iterationCount {n}");
        }
    }

    #[test]
    fn alg_id_round_trip_and_wrong_parameter_types() {
        let p = default_params(Owf::Sha256, Mac::HmacSha1).unwrap();
        assert_eq!(p.salt.as_bytes().len(), 16);
        let alg = algorithm_identifier(&p).unwrap();
        assert_eq!(params_from_alg(&alg).unwrap(), p);
        // Parameters of another type (here an OCTET STRING holding a valid PBMParameter) are refused.
        let wrong = AlgorithmIdentifierOwned {
            oid: oid::PASSWORD_BASED_MAC,
            parameters: Some(Any::new(Tag::OctetString, p.to_der().unwrap()).unwrap()),
        };
        assert!(params_from_alg(&wrong).is_err());
        let none = AlgorithmIdentifierOwned {
            oid: oid::PASSWORD_BASED_MAC,
            parameters: None,
        };
        assert!(params_from_alg(&none).is_err());
        let other = AlgorithmIdentifierOwned {
            oid: oid::SHA256,
            parameters: alg.parameters.clone(),
        };
        assert!(params_from_alg(&other).is_err());
    }

    #[test]
    fn names_and_oids() {
        assert_eq!(Owf::from_name("SHA512"), Some(Owf::Sha512));
        assert_eq!(Owf::from_name("2.16.840.1.101.3.4.2.1"), Some(Owf::Sha256));
        assert_eq!(Mac::from_name("hmacWithSHA256"), Some(Mac::HmacSha256));
        assert_eq!(
            Mac::from_name("hmac-sha1").map(Mac::oid),
            Some(oid::HMAC_SHA1_IPSEC)
        );
        assert_eq!(Mac::from_name("hmac-md5"), None);
        assert_eq!(Mac::from_oid(&oid::HMAC_SHA1), Some(Mac::HmacWithSha1));
    }

    #[test]
    fn unsupported_algorithms_are_refused() {
        let mut p = params_with_salt(b"s", Owf::Sha256, 500, Mac::HmacSha1).unwrap();
        p.mac = alg_id(oid::HMAC_MD5_IPSEC);
        let e = protect(b"x", &p, b"m").unwrap_err().to_string();
        assert!(e.starts_with("unsupported algorithm: PBM MAC"), "{e}");
    }
}
