//! Digest and MAC algorithms by the names `-digest`, `-mac` (and `-keyspec`-like places) accept, with their
//! OIDs and the hashing/HMAC they stand for; plus secure random bytes.
//!
//! `openssl cmp` looks these names up with OpenSSL's long-name table, so the match is case-sensitive
//! (`sha256` works, `SHA256` does not; `hmac-sha1` works, `HMAC-SHA1` does not). We keep that.

use const_oid::ObjectIdentifier;

use super::evp;
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

const DIGESTS: [(Digest, &str, ObjectIdentifier); 12] = [
    (
        Digest::Md5,
        "md5",
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.5"),
    ),
    (
        Digest::Sha1,
        "sha1",
        ObjectIdentifier::new_unwrap("1.3.14.3.2.26"),
    ),
    (
        Digest::Sha224,
        "sha224",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4"),
    ),
    (
        Digest::Sha256,
        "sha256",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1"),
    ),
    (
        Digest::Sha384,
        "sha384",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2"),
    ),
    (
        Digest::Sha512,
        "sha512",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3"),
    ),
    (
        Digest::Sha512_224,
        "sha512-224",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.5"),
    ),
    (
        Digest::Sha512_256,
        "sha512-256",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.6"),
    ),
    (
        Digest::Sha3_224,
        "sha3-224",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.7"),
    ),
    (
        Digest::Sha3_256,
        "sha3-256",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.8"),
    ),
    (
        Digest::Sha3_384,
        "sha3-384",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.9"),
    ),
    (
        Digest::Sha3_512,
        "sha3-512",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.10"),
    ),
];

impl Digest {
    /// Look up a `-digest` value. Error text as `openssl cmp` logs it, with a hint listing the names.
    pub fn from_name(name: &str) -> Result<Digest> {
        DIGESTS
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(d, _, _)| *d)
            .ok_or_else(|| {
                Error::cmp(format!("digest algorithm name not recognized: '{name}'")).with_hint(
                    format!("supported digest names: {}", Self::names().join(", ")),
                )
            })
    }

    /// All names accepted by [`Digest::from_name`].
    pub fn names() -> Vec<&'static str> {
        DIGESTS.iter().map(|(_, n, _)| *n).collect()
    }

    /// OpenSSL's long name (what `from_name` accepts).
    pub fn name(self) -> &'static str {
        DIGESTS
            .iter()
            .find(|(d, _, _)| *d == self)
            .map_or("?", |(_, n, _)| n)
    }

    pub fn oid(self) -> ObjectIdentifier {
        // Every variant is in the table; the fallback is never taken.
        DIGESTS
            .iter()
            .find(|(d, _, _)| *d == self)
            .map_or(DIGESTS[3].2, |(_, _, o)| *o)
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Digest> {
        DIGESTS
            .iter()
            .find(|(d, _, _)| d.oid() == *oid)
            .map(|(d, _, _)| *d)
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

/// Names as OpenSSL's object table has them (long names; some short names coincide), with OIDs.
const MACS: [(Digest, &str, ObjectIdentifier); 9] = [
    (
        Digest::Md5,
        "hmac-md5",
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.8.1.1"),
    ),
    (
        Digest::Sha1,
        "hmac-sha1",
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.8.1.2"),
    ),
    (
        Digest::Sha224,
        "hmacWithSHA224",
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.8"),
    ),
    (
        Digest::Sha256,
        "hmacWithSHA256",
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.9"),
    ),
    (
        Digest::Sha384,
        "hmacWithSHA384",
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.10"),
    ),
    (
        Digest::Sha512,
        "hmacWithSHA512",
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.11"),
    ),
    (
        Digest::Sha512_224,
        "hmacWithSHA512-224",
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.12"),
    ),
    (
        Digest::Sha512_256,
        "hmacWithSHA512-256",
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.13"),
    ),
    (
        Digest::Sha3_256,
        "hmac-sha3-256",
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.14"),
    ),
];

/// hmacWithSHA1 (RFC 8018) is accepted on input as a synonym of hmac-sha1.
const HMAC_WITH_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.7");

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
        assert_eq!(
            MacAlg::Hmac(Digest::Sha1).oid().to_string(),
            "1.3.6.1.5.5.8.1.2"
        );
        assert_eq!(
            MacAlg::Hmac(Digest::Sha256).oid().to_string(),
            "1.2.840.113549.2.9"
        );
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
