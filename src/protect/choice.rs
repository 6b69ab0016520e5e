//! Which MAC-based protection the client sends with `-secret`, from `-pbmac1`, `-pbm_iterations`,
//! `-pbm_saltlen` (rcmp extensions) and OpenSSL's `-digest` and `-mac`.
//!
//! Without the extensions nothing changes: PBM with `-digest` as one-way function (default SHA-256),
//! `-mac` (default hmac-sha1), OpenSSL's iteration count and a 16-byte salt. With `-pbmac1`, `-digest`
//! names the hash of PBKDF2's HMAC PRF and `-mac` the HMAC; without `-mac` the HMAC takes the PRF's
//! hash (hmac-sha1, `-mac`'s default, is not allowed in PBMAC1).
//!
//! The option values are checked when the options are read ([`MacOptions::checked`]) (so a bad count stops the run before any
//! message is built); the `-digest`/`-mac` pairing only when a message is protected, as before, so a
//! digest that suits signatures but not PBM still fails only where it is used for PBM.

use super::{pbm, pbmac1, MacParams};
use crate::creds::{Digest, MacAlg};
use crate::error::Result;
use crate::opts::Opt;

/// The client's settings for MAC-based protection beyond `-digest` and `-mac`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MacOptions {
    /// `-pbmac1`: PBMAC1 instead of PBM.
    pub pbmac1: bool,
    /// `-pbm_iterations`; None: the kind's default.
    pub iterations: Option<u32>,
    /// `-pbm_saltlen`; None: 16 bytes, as OpenSSL.
    pub salt_len: Option<usize>,
    /// Whether `-mac` was given (its default does not apply to PBMAC1).
    pub mac_given: bool,
}

/// Longest salt `-pbm_saltlen` takes.
const SALT_MAX: usize = pbm::MAX_SALT_LEN;
/// Shortest salt `-pbm_saltlen` takes, for either kind (RFC 8018's minimum).
const SALT_MIN: usize = pbmac1::MIN_SALT_LEN;

impl MacOptions {
    /// The settings from `-pbmac1`, `-pbm_iterations`, `-pbm_saltlen` and whether `-mac` was
    /// given, with the option values checked (out-of-range counts are errors in the options' words).
    pub fn checked(
        pbmac1: bool,
        iterations: Option<i64>,
        salt_len: Option<i64>,
        mac_given: bool,
    ) -> Result<MacOptions> {
        let o = MacOptions {
            pbmac1,
            iterations: iterations.map(|n| n.clamp(0, u32::MAX.into()) as u32),
            salt_len: salt_len.map(|n| n.clamp(0, 1 << 20) as usize),
            mac_given,
        };
        if let Some(n) = o.iterations {
            let (lo, hi, kind) = if o.pbmac1 {
                (pbmac1::MIN_ITERATIONS, pbmac1::MAX_ITERATIONS, "PBMAC1")
            } else {
                (
                    pbm::MIN_ITERATIONS as u32,
                    pbm::MAX_ITERATIONS as u32,
                    "PBM",
                )
            };
            if !(lo..=hi).contains(&n) {
                return Err(cmp_err!(
                    "{} argument must be from {lo} to {hi} for {kind}",
                    Opt::PbmIterations
                ));
            }
        }
        if let Some(n) = o.salt_len {
            if !(SALT_MIN..=SALT_MAX).contains(&n) {
                return Err(cmp_err!(
                    "{} argument must be from {SALT_MIN} to {SALT_MAX}",
                    Opt::PbmSaltlen
                ));
            }
        }
        Ok(o)
    }

    /// Fresh parameters (new random salt) for protecting one message.
    pub fn fresh(&self, digest: Digest, mac: MacAlg) -> Result<MacParams> {
        let salt_len = self.salt_len.unwrap_or(pbm::DEFAULT_SALT_LEN);
        if self.pbmac1 {
            return self
                .fresh_pbmac1(digest, mac, salt_len)
                .map(MacParams::Pbmac1);
        }
        let owf = pbm::Owf::from_oid(&digest.oid()).ok_or_else(|| {
            cmp_err!(
                "digest {} is not supported as PBM one-way function",
                digest.name()
            )
        })?;
        let mac = pbm::Mac::from_oid(&mac.oid())
            .ok_or_else(|| cmp_err!("MAC algorithm {} is not supported for PBM", mac.name()))?;
        let n = self
            .iterations
            .map_or_else(pbm::default_iterations, i64::from);
        pbm::fresh_params(owf, mac, n, salt_len).map(MacParams::Pbm)
    }

    fn fresh_pbmac1(&self, digest: Digest, mac: MacAlg, salt_len: usize) -> Result<pbmac1::Params> {
        let prf = pbmac1::Sha2::from_digest(digest).ok_or_else(|| {
            cmp_err!(
                "digest {} is not supported for the PBKDF2 PRF of PBMAC1 (use sha256, sha384 or sha512)",
                digest.name()
            )
        })?;
        let mac = if self.mac_given {
            pbmac1::Sha2::from_digest(mac.digest()).ok_or_else(|| {
                cmp_err!(
                    "MAC algorithm {} is not supported for PBMAC1 (use hmacWithSHA256, hmacWithSHA384 or hmacWithSHA512)",
                    mac.name()
                )
            })?
        } else {
            prf
        };
        let n = self.iterations.unwrap_or(pbmac1::DEFAULT_ITERATIONS);
        pbmac1::Params::new(prf, mac, n, salt_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_openssls_pbm() {
        let o = MacOptions::default();
        let MacParams::Pbm(p) = o.fresh(Digest::Sha256, MacAlg::Hmac(Digest::Sha1)).unwrap() else {
            panic!("not PBM")
        };
        assert_eq!(p.iteration_count, 500);
        assert_eq!(p.salt.as_bytes().len(), 16);
        assert_eq!(p.owf.oid, crate::asn1::oid::SHA256);
        assert_eq!(p.mac.oid, crate::asn1::oid::HMAC_SHA1_IPSEC);
    }

    #[test]
    fn pbmac1_takes_digest_and_mac() {
        let mut o = MacOptions {
            pbmac1: true,
            iterations: Some(4096),
            salt_len: Some(20),
            mac_given: false,
        };
        let sha1 = MacAlg::Hmac(Digest::Sha1);
        let MacParams::Pbmac1(p) = o.fresh(Digest::Sha384, sha1).unwrap() else {
            panic!("not PBMAC1")
        };
        assert_eq!(
            (p.prf, p.mac, p.iterations, p.salt.len(), p.key_len),
            (pbmac1::Sha2::Sha384, pbmac1::Sha2::Sha384, 4096, 20, 48)
        );
        o.mac_given = true;
        let e = o.fresh(Digest::Sha384, sha1).unwrap_err().to_string();
        assert!(e.contains("hmac-sha1 is not supported for PBMAC1"), "{e}");
        let MacParams::Pbmac1(p) = o
            .fresh(Digest::Sha256, MacAlg::Hmac(Digest::Sha512))
            .unwrap()
        else {
            panic!("not PBMAC1")
        };
        assert_eq!((p.prf, p.mac), (pbmac1::Sha2::Sha256, pbmac1::Sha2::Sha512));
        let e = o.fresh(Digest::Sha1, sha1).unwrap_err().to_string();
        assert!(e.contains("PBKDF2 PRF"), "{e}");
    }
}
