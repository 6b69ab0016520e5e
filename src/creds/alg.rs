//! Digest and MAC algorithms by the names `-digest`, `-mac` (and `-keyspec`-like places) accept, with their
//! OIDs and the hashing/HMAC they stand for; plus secure random bytes.
//!
//! `openssl cmp` looks these names up with OpenSSL's long-name table, so the match is case-sensitive
//! (`sha256` works, `SHA256` does not; `hmac-sha1` works, `HMAC-SHA1` does not). We keep that.

use aws_lc_sys as sys;
use const_oid::ObjectIdentifier;

use super::evp;
use crate::asn1::oid;
use crate::error::{Error, Result};

/// A hash function usable for signatures, PBM's one-way function and certConf hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Digest {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha512_224,
    Sha512_256,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

/// One row of the digest registry: the enum value, OpenSSL's name, the OID, and aws-lc's `EVP_MD`.
pub(crate) struct DigestInfo {
    pub(crate) digest: Digest,
    pub(crate) name: &'static str,
    pub(crate) oid: ObjectIdentifier,
    pub(crate) md: unsafe extern "C" fn() -> *const sys::EVP_MD,
}

const fn dig(
    digest: Digest,
    name: &'static str,
    oid: ObjectIdentifier,
    md: unsafe extern "C" fn() -> *const sys::EVP_MD,
) -> DigestInfo {
    DigestInfo {
        digest,
        name,
        oid,
        md,
    }
}

/// The digest registry, in the order `-digest` help lists the names.
#[rustfmt::skip]
pub(crate) const DIGESTS: [DigestInfo; 12] = [
    dig(Digest::Md5, "md5", oid::MD5, sys::EVP_md5),
    dig(Digest::Sha1, "sha1", oid::SHA1, sys::EVP_sha1),
    dig(Digest::Sha224, "sha224", oid::SHA224, sys::EVP_sha224),
    dig(Digest::Sha256, "sha256", oid::SHA256, sys::EVP_sha256),
    dig(Digest::Sha384, "sha384", oid::SHA384, sys::EVP_sha384),
    dig(Digest::Sha512, "sha512", oid::SHA512, sys::EVP_sha512),
    dig(Digest::Sha512_224, "sha512-224", oid::SHA512_224, sys::EVP_sha512_224),
    dig(Digest::Sha512_256, "sha512-256", oid::SHA512_256, sys::EVP_sha512_256),
    dig(Digest::Sha3_224, "sha3-224", oid::SHA3_224, sys::EVP_sha3_224),
    dig(Digest::Sha3_256, "sha3-256", oid::SHA3_256, sys::EVP_sha3_256),
    dig(Digest::Sha3_384, "sha3-384", oid::SHA3_384, sys::EVP_sha3_384),
    dig(Digest::Sha3_512, "sha3-512", oid::SHA3_512, sys::EVP_sha3_512),
];

fn digest_info(d: Digest) -> &'static DigestInfo {
    // The table is indexed by the enum's order; `digest_table_follows_the_enum` checks that.
    &DIGESTS[d as usize]
}

/// The kind of key a signature algorithm needs, or a public key is: the one key-kind enum of the
/// registry (`KeyType` in `creds::key` adds sizes and curves for keys rcmp holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Rsa,
    /// RSASSA-PSS: a signature any RSA key can make, and a key restricted to it.
    RsaPss,
    Ec,
    Dsa,
    Ed25519,
    Ed448,
    MlDsa,
    Other,
}

/// A signature algorithm of the registry: its OID, the key kind it needs, the digest it fixes (`None`
/// for RSASSA-PSS, whose parameters name it, and for algorithms that hash internally) and the long
/// name OpenSSL prints for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigAlg {
    pub oid: ObjectIdentifier,
    pub key: KeyKind,
    pub digest: Option<Digest>,
    pub name: &'static str,
}

const fn sig(
    oid: ObjectIdentifier,
    key: KeyKind,
    digest: Option<Digest>,
    name: &'static str,
) -> SigAlg {
    SigAlg {
        oid,
        key,
        digest,
        name,
    }
}

use Digest as D;
use KeyKind as K;

/// Every signature algorithm rcmp signs or verifies with.
#[rustfmt::skip]
pub const SIGNATURES: &[SigAlg] = &[
    sig(oid::MD5_WITH_RSA, K::Rsa, Some(D::Md5), "md5WithRSAEncryption"),
    sig(oid::SHA1_WITH_RSA, K::Rsa, Some(D::Sha1), "sha1WithRSAEncryption"),
    sig(oid::SHA224_WITH_RSA, K::Rsa, Some(D::Sha224), "sha224WithRSAEncryption"),
    sig(oid::SHA256_WITH_RSA, K::Rsa, Some(D::Sha256), "sha256WithRSAEncryption"),
    sig(oid::SHA384_WITH_RSA, K::Rsa, Some(D::Sha384), "sha384WithRSAEncryption"),
    sig(oid::SHA512_WITH_RSA, K::Rsa, Some(D::Sha512), "sha512WithRSAEncryption"),
    sig(oid::SHA512_224_WITH_RSA, K::Rsa, Some(D::Sha512_224), "sha512-224WithRSAEncryption"),
    sig(oid::SHA512_256_WITH_RSA, K::Rsa, Some(D::Sha512_256), "sha512-256WithRSAEncryption"),
    sig(oid::SHA3_224_WITH_RSA, K::Rsa, Some(D::Sha3_224), "RSA-SHA3-224"),
    sig(oid::SHA3_256_WITH_RSA, K::Rsa, Some(D::Sha3_256), "RSA-SHA3-256"),
    sig(oid::SHA3_384_WITH_RSA, K::Rsa, Some(D::Sha3_384), "RSA-SHA3-384"),
    sig(oid::SHA3_512_WITH_RSA, K::Rsa, Some(D::Sha3_512), "RSA-SHA3-512"),
    sig(oid::RSASSA_PSS, K::RsaPss, None, "rsassaPss"),
    sig(oid::ECDSA_WITH_SHA1, K::Ec, Some(D::Sha1), "ecdsa-with-SHA1"),
    sig(oid::ECDSA_WITH_SHA224, K::Ec, Some(D::Sha224), "ecdsa-with-SHA224"),
    sig(oid::ECDSA_WITH_SHA256, K::Ec, Some(D::Sha256), "ecdsa-with-SHA256"),
    sig(oid::ECDSA_WITH_SHA384, K::Ec, Some(D::Sha384), "ecdsa-with-SHA384"),
    sig(oid::ECDSA_WITH_SHA512, K::Ec, Some(D::Sha512), "ecdsa-with-SHA512"),
    sig(oid::ECDSA_WITH_SHA3_224, K::Ec, Some(D::Sha3_224), "ecdsa_with_SHA3-224"),
    sig(oid::ECDSA_WITH_SHA3_256, K::Ec, Some(D::Sha3_256), "ecdsa_with_SHA3-256"),
    sig(oid::ECDSA_WITH_SHA3_384, K::Ec, Some(D::Sha3_384), "ecdsa_with_SHA3-384"),
    sig(oid::ECDSA_WITH_SHA3_512, K::Ec, Some(D::Sha3_512), "ecdsa_with_SHA3-512"),
    sig(oid::DSA_WITH_SHA1, K::Dsa, Some(D::Sha1), "dsaWithSHA1"),
    sig(oid::DSA_WITH_SHA224, K::Dsa, Some(D::Sha224), "dsa_with_SHA224"),
    sig(oid::DSA_WITH_SHA256, K::Dsa, Some(D::Sha256), "dsa_with_SHA256"),
    sig(oid::DSA_WITH_SHA384, K::Dsa, Some(D::Sha384), "dsa_with_SHA384"),
    sig(oid::DSA_WITH_SHA512, K::Dsa, Some(D::Sha512), "dsa_with_SHA512"),
    sig(oid::ED25519, K::Ed25519, None, "ED25519"),
    sig(oid::ED448, K::Ed448, None, "ED448"),
    sig(oid::ML_DSA_44, K::MlDsa, None, "ML-DSA-44"),
    sig(oid::ML_DSA_65, K::MlDsa, None, "ML-DSA-65"),
    sig(oid::ML_DSA_87, K::MlDsa, None, "ML-DSA-87"),
];

/// The registry's entry for a signature algorithm OID.
pub fn sig_alg(oid: &ObjectIdentifier) -> Option<&'static SigAlg> {
    SIGNATURES.iter().find(|a| a.oid == *oid)
}

/// The signature algorithm a key of kind `key` makes with digest `d` (PKCS#1 v1.5 for RSA), if any.
pub fn sig_alg_for(key: KeyKind, d: Digest) -> Option<&'static SigAlg> {
    SIGNATURES
        .iter()
        .find(|a| a.key == key && a.digest == Some(d))
}

impl Digest {
    /// Look up a `-digest` value. Error text as `openssl cmp` logs it, with a hint listing the names.
    pub fn from_name(name: &str) -> Result<Digest> {
        DIGESTS
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.digest)
            .ok_or_else(|| {
                Error::cmp(format!("digest algorithm name not recognized: '{name}'")).with_hint(
                    format!("supported digest names: {}", Self::names().join(", ")),
                )
            })
    }

    /// All names accepted by [`Digest::from_name`].
    pub fn names() -> Vec<&'static str> {
        DIGESTS.iter().map(|i| i.name).collect()
    }

    /// OpenSSL's long name (what `from_name` accepts).
    pub fn name(self) -> &'static str {
        digest_info(self).name
    }

    pub fn oid(self) -> ObjectIdentifier {
        digest_info(self).oid
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Digest> {
        DIGESTS.iter().find(|i| i.oid == *oid).map(|i| i.digest)
    }

    /// aws-lc's `EVP_MD` for this digest.
    pub(crate) fn md(self) -> *const sys::EVP_MD {
        // SAFETY: the EVP_* digest getters take no arguments and return pointers to static tables.
        unsafe { (digest_info(self).md)() }
    }

    /// Collision resistance in security bits, as OpenSSL's security levels rate a signature's digest
    /// (MD5 and SHA-1 get the figures of the published attacks).
    pub fn security_bits(self) -> u32 {
        match self {
            Digest::Md5 => 39,
            Digest::Sha1 => 63,
            _ => 4 * self.output_len() as u32,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Digest::Md5 => 16,
            Digest::Sha1 => 20,
            Digest::Sha224 | Digest::Sha512_224 | Digest::Sha3_224 => 28,
            Digest::Sha256 | Digest::Sha512_256 | Digest::Sha3_256 => 32,
            Digest::Sha384 | Digest::Sha3_384 => 48,
            Digest::Sha512 | Digest::Sha3_512 => 64,
        }
    }

    pub fn hash(self, data: &[u8]) -> Result<Vec<u8>> {
        evp::digest(self, data)
            .ok_or_else(|| Error::cmp(format!("cannot compute {} digest", self.name())))
    }
}

/// A MAC algorithm for `-mac` (PBM's MAC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlg {
    /// HMAC with the given hash.
    Hmac(Digest),
}

/// The MAC registry: names as OpenSSL's object table has them (long names; some short names
/// coincide), with OIDs. The HMAC itself goes through the digest's `EVP_MD`.
const MACS: [(Digest, &str, ObjectIdentifier); 9] = [
    (Digest::Md5, "hmac-md5", oid::HMAC_MD5_IPSEC),
    (Digest::Sha1, "hmac-sha1", oid::HMAC_SHA1_IPSEC),
    (Digest::Sha224, "hmacWithSHA224", oid::HMAC_SHA224),
    (Digest::Sha256, "hmacWithSHA256", oid::HMAC_SHA256),
    (Digest::Sha384, "hmacWithSHA384", oid::HMAC_SHA384),
    (Digest::Sha512, "hmacWithSHA512", oid::HMAC_SHA512),
    (
        Digest::Sha512_224,
        "hmacWithSHA512-224",
        oid::HMAC_SHA512_224,
    ),
    (
        Digest::Sha512_256,
        "hmacWithSHA512-256",
        oid::HMAC_SHA512_256,
    ),
    (Digest::Sha3_256, "hmac-sha3-256", oid::HMAC_SHA3_256),
];

/// hmacWithSHA1 (RFC 8018) is accepted on input as a synonym of hmac-sha1.
const HMAC_WITH_SHA1: ObjectIdentifier = oid::HMAC_SHA1;

impl MacAlg {
    /// Look up a `-mac` value. Error text as `openssl cmp` logs it, with a hint listing the names.
    pub fn from_name(name: &str) -> Result<MacAlg> {
        MACS.iter()
            .find(|(_, n, _)| *n == name)
            .map(|(d, _, _)| MacAlg::Hmac(*d))
            .ok_or_else(|| {
                Error::cmp(format!("MAC algorithm name not recognized: '{name}'"))
                    .with_hint(format!("supported MAC names: {}", Self::names().join(", ")))
            })
    }

    pub fn names() -> Vec<&'static str> {
        MACS.iter().map(|(_, n, _)| *n).collect()
    }

    pub fn name(self) -> &'static str {
        let MacAlg::Hmac(d) = self;
        MACS.iter()
            .find(|(x, _, _)| *x == d)
            .map_or("?", |(_, n, _)| n)
    }

    pub fn digest(self) -> Digest {
        let MacAlg::Hmac(d) = self;
        d
    }

    pub fn oid(self) -> ObjectIdentifier {
        let MacAlg::Hmac(d) = self;
        MACS.iter()
            .find(|(x, _, _)| *x == d)
            .map_or(MACS[1].2, |(_, _, o)| *o)
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<MacAlg> {
        if *oid == HMAC_WITH_SHA1 {
            return Some(MacAlg::Hmac(Digest::Sha1));
        }
        MACS.iter()
            .find(|(d, _, _)| MacAlg::Hmac(*d).oid() == *oid)
            .map(|(d, _, _)| MacAlg::Hmac(*d))
    }

    pub fn mac(self, key: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        let MacAlg::Hmac(d) = self;
        evp::hmac(d, key, data)
            .ok_or_else(|| Error::cmp(format!("cannot compute {} MAC", self.name())))
    }
}

/// OpenSSL's long name of a digest, MAC or signature algorithm of the registry, or of PBM itself.
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn algorithm_name(o: &ObjectIdentifier) -> Option<&'static str> {
    if *o == oid::PASSWORD_BASED_MAC {
        return Some("password based MAC");
    }
    if *o == HMAC_WITH_SHA1 {
        return Some("hmacWithSHA1");
    }
    let digest = DIGESTS.iter().find(|i| i.oid == *o).map(|i| i.name);
    let mac = || MACS.iter().find(|(_, _, m)| m == o).map(|(_, n, _)| *n);
    digest.or_else(mac).or_else(|| sig_alg(o).map(|a| a.name))
}

/// `n` bytes from the system's secure random source (transactionIDs, nonces, salts).
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; n];
    if evp::random_fill(&mut v) {
        Ok(v)
    } else {
        Err(Error::cmp("cannot get random bytes from the system"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_sensitive_like_openssl() {
        assert_eq!(Digest::from_name("sha256").ok(), Some(Digest::Sha256));
        let e = Digest::from_name("SHA256").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("digest algorithm name not recognized: 'SHA256'")
        );
        assert_eq!(
            MacAlg::from_name("hmac-sha1").ok(),
            Some(MacAlg::Hmac(Digest::Sha1))
        );
        assert!(MacAlg::from_name("HMAC-SHA1").is_err());
        assert!(MacAlg::from_name("hmac-sha256").is_err());
        assert_eq!(
            MacAlg::from_name("hmacWithSHA256").ok(),
            Some(MacAlg::Hmac(Digest::Sha256))
        );
    }

    #[test]
    fn oids_round_trip() {
        for d in Digest::names() {
            let d = Digest::from_name(d).ok();
            assert!(d.is_some());
            let d = d.unwrap_or(Digest::Sha256);
            assert_eq!(Digest::from_oid(&d.oid()), Some(d));
            assert_eq!(d.hash(b"abc").map(|h| h.len()).ok(), Some(d.output_len()));
        }
        // RFC 4210's default MAC is the IPsec-arc hmac-sha1, the SHA-2 HMACs are RSADSI's.
        assert_eq!(MacAlg::Hmac(Digest::Sha1).oid(), oid::HMAC_SHA1_IPSEC);
        assert_eq!(MacAlg::Hmac(Digest::Sha256).oid(), oid::HMAC_SHA256);
    }

    #[test]
    fn digest_table_follows_the_enum() {
        for (i, info) in DIGESTS.iter().enumerate() {
            assert_eq!(info.digest as usize, i);
            assert!(!info.digest.md().is_null());
        }
        assert_eq!(Digest::Sha256.security_bits(), 128);
        assert_eq!(Digest::Sha1.security_bits(), 63);
    }

    #[test]
    fn signature_registry_is_consistent() {
        for a in SIGNATURES {
            assert_eq!(sig_alg(&a.oid), Some(a));
            if let Some(d) = a.digest {
                assert_eq!(sig_alg_for(a.key, d), Some(a));
            }
        }
        let rsa = sig_alg_for(KeyKind::Rsa, Digest::Sha256).map(|a| a.name);
        assert_eq!(rsa, Some("sha256WithRSAEncryption"));
        assert_eq!(sig_alg_for(KeyKind::Ec, Digest::Md5), None);
    }

    #[test]
    fn known_answers() {
        // FIPS 180-2 "abc" and RFC 4231 test case 2.
        let h = Digest::Sha256.hash(b"abc").unwrap_or_default();
        assert_eq!(
            hex(&h),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let m = MacAlg::Hmac(Digest::Sha256)
            .mac(b"Jefe", b"what do ya want for nothing?")
            .unwrap_or_default();
        assert_eq!(
            hex(&m),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(random_bytes(16).map(|v| v.len()).ok(), Some(16));
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
