//! RSA signatures for keys that sign only a few times, blinded here instead of inside AWS-LC.
//!
//! Every RSA private-key operation is blinded: the input is multiplied by `r^e` for a fresh random `r`
//! and the result by `r^-1`, so that the exponentiation never sees a value an attacker could choose
//! or predict. AWS-LC sets this up once per key and then updates it cheaply for later signatures,
//! which suits a long-running server, but the set-up computes `r^-1` with a binary extended GCD that
//! costs about 0.25 ms for RSA-2048: one sixth of a whole `-cmd ir` of a client process that signs
//! once (docs/PERFORMANCE.md, "Eighth pass"). For keys marked with [`enable`] (the client's `-key` and
//! `-newkey`) AWS-LC's blinding is switched off and the same blinding is done here, with the inverse
//! taken by dashu-int's Lehmer extended GCD (about 12 µs). That GCD's running time depends on its
//! input, so, as AWS-LC's own `BN_mod_inverse_blinded` does, it inverts `r*b` for a second random `b`
//! (a value independent of `r`) and multiplies `b` back in, and the result is checked (`r * r^-1 = 1`)
//! before it is used: the one value not computed by AWS-LC. The exponentiation itself stays AWS-LC's
//! raw private operation (CRT, constant time, and checked against the public key to catch faults).
//!
//! What a signature looks like does not change: PKCS#1 v1.5 signatures are identical to AWS-LC's
//! (tested), PSS ones verify with AWS-LC.

use std::ffi::c_int;
use std::ptr;

use aws_lc_sys as sys;
use dashu_int::{fast_div::ConstDivisor, UBig};
use zeroize::Zeroizing;

use super::{md, Pkey, Pss};
use crate::creds::alg::Digest;

/// The RSA object of a plain RSA key (not an RSA-PSS-restricted one), borrowed from `pkey`.
fn plain_rsa(pkey: &Pkey) -> Option<*mut sys::RSA> {
    // SAFETY: valid key; get0 borrows its RSA for as long as the key lives.
    unsafe {
        if sys::EVP_PKEY_id(pkey.0) != sys::EVP_PKEY_RSA {
            return None;
        }
        let rsa = sys::EVP_PKEY_get0_RSA(pkey.0);
        (!rsa.is_null()).then_some(rsa)
    }
}

/// Mark a plain RSA key for this module's blinding. Returns whether the key is now marked. Must
/// happen before the key is shared between threads.
pub(super) fn enable(pkey: &Pkey) -> bool {
    let Some(rsa) = plain_rsa(pkey) else {
        return false;
    };
    // SAFETY: a live RSA. Only the flags word is written, and the caller guarantees no other thread
    // uses the key yet.
    unsafe {
        if sys::RSA_get0_e(rsa).is_null() {
            return false;
        }
        sys::RSA_set_flags(rsa, sys::RSA_FLAG_NO_BLINDING as c_int);
    }
    true
}

/// Whether [`enable`] marked this key; such a key must be signed with [`sign`] only.
pub(super) fn enabled(pkey: &Pkey) -> bool {
    // SAFETY: a live RSA.
    plain_rsa(pkey).is_some_and(
        |rsa| unsafe { sys::RSA_test_flags(rsa, sys::RSA_FLAG_NO_BLINDING as c_int) } != 0,
    )
}

/// Sign `data` hashed with `hash`, PKCS#1 v1.5 or (with `pss`) RSASSA-PSS, with a marked key.
pub(super) fn sign(pkey: &Pkey, hash: Digest, pss: Option<Pss>, data: &[u8]) -> Option<Vec<u8>> {
    let m_hash = super::digest(hash, data)?;
    let rsa = plain_rsa(pkey)?;
    // SAFETY: valid RSA.
    let k = unsafe { sys::RSA_size(rsa) } as usize;
    let em = match pss {
        Some(p) => encode_pss(rsa, k, hash, p, &m_hash)?,
        None => encode_pkcs1(k, hash, &m_hash)?,
    };
    Bns::new()?.sign(rsa, &em)
}

/// EMSA-PSS encoding (RFC 8017, 9.1.1), by AWS-LC.
fn encode_pss(
    rsa: *mut sys::RSA,
    k: usize,
    hash: Digest,
    p: Pss,
    m_hash: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let salt = c_int::try_from(p.salt_len).ok()?;
    let mut em = Zeroizing::new(vec![0u8; k]);
    // SAFETY: em has RSA_size bytes, as the function requires; m_hash is a digest of `hash`.
    let ok = unsafe {
        sys::RSA_padding_add_PKCS1_PSS_mgf1(
            rsa,
            em.as_mut_ptr(),
            m_hash.as_ptr(),
            md(hash),
            md(p.mgf1),
            salt,
        )
    };
    (ok == 1).then_some(em)
}

/// EMSA-PKCS1-v1_5 encoding (RFC 8017, 9.2): 00 01 FF.. 00 DigestInfo. AWS-LC builds the DigestInfo
/// but does not export the padding step.
fn encode_pkcs1(k: usize, hash: Digest, m_hash: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut info: *mut u8 = ptr::null_mut();
    let mut info_len: usize = 0;
    let mut allocated: c_int = 0;
    // SAFETY: the out-pointers are valid; on success `info` points at info_len bytes, owned by us
    // when `allocated` is set.
    let ok = unsafe {
        sys::RSA_add_pkcs1_prefix(
            &mut info,
            &mut info_len,
            &mut allocated,
            sys::EVP_MD_type(md(hash)),
            m_hash.as_ptr(),
            m_hash.len(),
        )
    };
    if ok != 1 || info.is_null() {
        return None;
    }
    // SAFETY: see above.
    let t = Zeroizing::new(unsafe { std::slice::from_raw_parts(info, info_len) }.to_vec());
    if allocated != 0 {
        // SAFETY: AWS-LC allocated it for us.
        unsafe { sys::OPENSSL_free(info.cast()) };
    }
    // At least eight bytes of 0xFF (RFC 8017, 9.2, step 3).
    if t.len() + 11 > k {
        return None;
    }
    let mut em = Zeroizing::new(vec![0xffu8; k]);
    em[0] = 0;
    em[1] = 1;
    em[k - t.len() - 1] = 0;
    em[k - t.len()..].copy_from_slice(&t);
    Some(em)
}

/// The BIGNUM context of one signature; every number lives in it and is cleared when it ends.
struct Bns {
    ctx: *mut sys::BN_CTX,
    mont: *mut sys::BN_MONT_CTX,
    held: Vec<*mut sys::BIGNUM>,
}

impl Drop for Bns {
    fn drop(&mut self) {
        // SAFETY: every pointer was allocated by AWS-LC for this value and is freed once.
        unsafe {
            for &b in &self.held {
                sys::BN_clear_free(b);
            }
            sys::BN_MONT_CTX_free(self.mont);
            sys::BN_CTX_free(self.ctx);
        }
    }
}

impl Bns {
    fn new() -> Option<Bns> {
        // SAFETY: allocation only; Drop frees it.
        let ctx = unsafe { sys::BN_CTX_new() };
        (!ctx.is_null()).then_some(Bns {
            ctx,
            mont: ptr::null_mut(),
            held: Vec::with_capacity(12),
        })
    }

    fn bn(&mut self) -> Option<*mut sys::BIGNUM> {
        // SAFETY: allocation only; Drop frees it.
        let b = unsafe { sys::BN_new() };
        if b.is_null() {
            return None;
        }
        self.held.push(b);
        Some(b)
    }

    fn bn_from(&mut self, bytes: &[u8]) -> Option<*mut sys::BIGNUM> {
        let b = self.bn()?;
        // SAFETY: b is a live BIGNUM; bytes is readable.
        let ok = unsafe { !sys::BN_bin2bn(bytes.as_ptr(), bytes.len(), b).is_null() };
        ok.then_some(b)
    }

    fn to_bytes(b: *const sys::BIGNUM, k: usize) -> Option<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(vec![0u8; k]);
        // SAFETY: out has k bytes; b is live.
        let ok = unsafe { sys::BN_bn2bin_padded(out.as_mut_ptr(), k, b) };
        (ok == 1).then_some(out)
    }

    /// Montgomery product `a * b / R mod n`, constant time.
    fn mont_mul(
        &mut self,
        a: *const sys::BIGNUM,
        b: *const sys::BIGNUM,
    ) -> Option<*mut sys::BIGNUM> {
        let r = self.bn()?;
        // SAFETY: live BIGNUMs below n; mont is set up for n.
        let ok = unsafe { sys::BN_mod_mul_montgomery(r, a, b, self.mont, self.ctx) };
        (ok == 1).then_some(r)
    }

    fn montgomery(&mut self, a: *const sys::BIGNUM) -> Option<*mut sys::BIGNUM> {
        let r = self.bn()?;
        // SAFETY: as in mont_mul.
        let ok = unsafe { sys::BN_to_montgomery(r, a, self.mont, self.ctx) };
        (ok == 1).then_some(r)
    }

    /// `a^e mod n` for the public exponent.
    fn pow_e(
        &mut self,
        a: *const sys::BIGNUM,
        e: *const sys::BIGNUM,
        n: *const sys::BIGNUM,
    ) -> Option<*mut sys::BIGNUM> {
        let r = self.bn()?;
        // SAFETY: live BIGNUMs; mont is set up for n.
        let ok = unsafe { sys::BN_mod_exp_mont(r, a, e, n, self.ctx, self.mont) };
        (ok == 1).then_some(r)
    }

    /// A uniform random value in [1, n).
    fn random_below(&mut self, n: *const sys::BIGNUM) -> Option<*mut sys::BIGNUM> {
        let r = self.bn()?;
        // SAFETY: live BIGNUMs.
        let ok = unsafe { sys::BN_rand_range_ex(r, 1, n) };
        (ok == 1).then_some(r)
    }

    /// `r^-1 mod n`. The variable-time inverse only ever sees `r * b / R` for a random `b`.
    fn blinded_inverse(
        &mut self,
        r: *const sys::BIGNUM,
        n: *const sys::BIGNUM,
        k: usize,
    ) -> Option<*mut sys::BIGNUM> {
        let b = self.random_below(n)?;
        let t = self.mont_mul(r, b)?;
        let ring = ConstDivisor::new(UBig::from_be_bytes(&Self::to_bytes(n, k)?));
        let t_inv = ring
            .reduce(UBig::from_be_bytes(&Self::to_bytes(t, k)?))
            .inv()?
            .residue();
        let t_inv = self.bn_from(&Zeroizing::new(t_inv.to_be_bytes().into_vec()))?;
        // b * (r b / R)^-1 / R = r^-1
        self.mont_mul(b, t_inv)
    }

    /// Blind `em`, have AWS-LC apply the private exponent, and unblind.
    fn sign(mut self, rsa: *mut sys::RSA, em: &[u8]) -> Option<Vec<u8>> {
        let k = em.len();
        // SAFETY: valid RSA; get0 borrows its public values for as long as the key lives.
        let (n, e) = unsafe { (sys::RSA_get0_n(rsa), sys::RSA_get0_e(rsa)) };
        if n.is_null() || e.is_null() {
            return None;
        }
        // SAFETY: n is a live odd modulus; the context is freed by Drop. (The constant-time variant is
        // the cheaper one to set up: it needs no long division.)
        self.mont = unsafe { sys::BN_MONT_CTX_new_consttime(n, self.ctx) };
        if self.mont.is_null() {
            return None;
        }
        let f = self.bn_from(em)?;
        let r = self.random_below(n)?;
        let r_e = self.pow_e(r, e, n)?;
        let r_e_mont = self.montgomery(r_e)?;
        let blinded = self.mont_mul(f, r_e_mont)?;
        let input = Self::to_bytes(blinded, k)?;
        let mut raw = Zeroizing::new(vec![0u8; k]);
        // SAFETY: input and raw have RSA_size bytes; AWS-LC's blinding is off for this key (enable).
        let len = unsafe {
            sys::RSA_private_encrypt(
                k,
                input.as_ptr(),
                raw.as_mut_ptr(),
                rsa,
                sys::RSA_NO_PADDING as c_int,
            )
        };
        if usize::try_from(len).ok()? != k {
            return None;
        }
        let s_blinded = self.bn_from(&raw)?;
        let r_inv = self.blinded_inverse(r, n, k)?;
        let r_inv_mont = self.montgomery(r_inv)?;
        let one = self.mont_mul(r, r_inv_mont)?;
        // SAFETY: a live BIGNUM. Whether it is one reveals nothing: it always is, unless dashu erred.
        if unsafe { sys::BN_is_one(one) } != 1 {
            return None;
        }
        let s = self.mont_mul(s_blinded, r_inv_mont)?;
        Self::to_bytes(s, k).map(|s| s.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use der::Decode;

    use super::super::{Kind, Pkey, Pss};
    use crate::creds::alg::Digest;

    const DIGESTS: [Digest; 5] = [
        Digest::Sha1,
        Digest::Sha224,
        Digest::Sha256,
        Digest::Sha384,
        Digest::Sha512,
    ];

    /// Fresh RSA keys of a few sizes (PKCS#8 DER), made once.
    fn key_der(bits: u32) -> Vec<u8> {
        static KEYS: OnceLock<Vec<(u32, Vec<u8>)>> = OnceLock::new();
        let keys = KEYS.get_or_init(|| {
            [1024, 2048, 3072]
                .into_iter()
                .map(|b| {
                    let k = Pkey::generate(Kind::Rsa, b).expect("keygen");
                    (b, k.pkcs8_der().expect("pkcs8").to_vec())
                })
                .collect()
        });
        keys.iter()
            .find(|(b, _)| *b == bits)
            .expect("size")
            .1
            .clone()
    }

    /// The key twice, as separate AWS-LC objects: as loaded, and marked for rcmp's blinding.
    fn pair(bits: u32) -> (Pkey, Pkey) {
        let plain = Pkey::parse_pkcs8(&key_der(bits)).expect("key");
        let marked = Pkey::parse_pkcs8(&key_der(bits)).expect("key");
        assert!(super::enable(&marked));
        (plain, marked)
    }

    #[test]
    fn pkcs1_signatures_are_aws_lc_s_own() {
        for bits in [1024, 2048, 3072] {
            let (plain, marked) = pair(bits);
            assert!(super::enabled(&marked) && !super::enabled(&plain));
            for d in DIGESTS {
                for data in [&b""[..], b"data", &[7u8; 5000]] {
                    let want = plain.sign(Some(d), None, data).expect("AWS-LC signs");
                    // several signatures with one key, each with a fresh blinding
                    for _ in 0..2 {
                        let got = marked.sign(Some(d), None, data).expect("rcmp signs");
                        assert_eq!(got, want, "{bits} bits, {d:?}");
                    }
                    assert!(plain.verify(Some(d), None, data, &want));
                }
            }
        }
    }

    #[test]
    fn pss_signatures_verify_with_aws_lc() {
        let (plain, marked) = pair(2048);
        for d in DIGESTS {
            for salt_len in [0, 20, d.output_len() as u32] {
                let pss = Pss {
                    hash: d,
                    mgf1: d,
                    salt_len,
                };
                let sig = marked.sign(Some(d), Some(pss), b"data").expect("signs");
                assert!(
                    plain.verify(Some(d), Some(pss), b"data", &sig),
                    "{d:?} {salt_len}"
                );
                assert!(!plain.verify(Some(d), Some(pss), b"date", &sig));
                // PKCS#1 v1.5 verification refuses it: the padding really is PSS
                assert!(!plain.verify(Some(d), None, b"data", &sig));
            }
        }
        // SHA-256 with MGF1-SHA-1, as some peers ask
        let pss = Pss {
            hash: Digest::Sha256,
            mgf1: Digest::Sha1,
            salt_len: 32,
        };
        let sig = marked
            .sign(Some(Digest::Sha256), Some(pss), b"x")
            .expect("signs");
        assert!(plain.verify(Some(Digest::Sha256), Some(pss), b"x", &sig));
    }

    #[test]
    fn only_plain_rsa_keys_are_marked() {
        let ec = Pkey::generate(Kind::Ec(super::super::NID_P256), 0).expect("ec");
        assert!(!super::enable(&ec) && !super::enabled(&ec));
        let ed = Pkey::generate(Kind::Ed25519, 0).expect("ed25519");
        assert!(!super::enable(&ed) && !super::enabled(&ed));
        // the mark travels with clones, which share the AWS-LC object
        let (_, marked) = pair(2048);
        assert!(super::enabled(&marked.clone()));
    }

    #[test]
    fn what_does_not_fit_the_key_is_refused_like_aws_lc() {
        // RSA-1024 holds 128 bytes: PSS with SHA-512 leaves room for a salt of at most 62
        let (plain, marked) = pair(1024);
        for (salt_len, fits) in [(62, true), (63, false), (64, false)] {
            let pss = Pss {
                hash: Digest::Sha512,
                mgf1: Digest::Sha512,
                salt_len,
            };
            let ours = marked.sign(Some(Digest::Sha512), Some(pss), b"x");
            let theirs = plain.sign(Some(Digest::Sha512), Some(pss), b"x");
            assert_eq!(ours.is_some(), fits, "salt {salt_len}");
            assert_eq!(theirs.is_some(), fits, "salt {salt_len}");
        }
    }

    #[test]
    fn an_inconsistent_key_gives_no_signature() {
        // dmq1 changed: the CRT result is wrong, and AWS-LC's check of the raw operation against the
        // public key refuses it (rsa_parse.rs loads such keys without a full check).
        let der = key_der(2048);
        let info = pkcs8::PrivateKeyInfoRef::from_der(&der).expect("info");
        let rsa = crate::testutil::rsa_key_with(info.private_key.as_bytes(), |v| {
            let last = v[6].len() - 1;
            v[6][last] ^= 2;
        });
        let key = Pkey::parse_traditional(&rsa).expect("loads without a full check");
        assert!(super::enable(&key));
        assert!(key.sign(Some(Digest::Sha256), None, b"data").is_none());
    }
}
