//! RSA private keys built from their parsed parts, without AWS-LC's full key check on load.
//!
//! Why: AWS-LC's parsers (`RSA_parse_private_key`, which `EVP_parse_private_key` and
//! `d2i_AutoPrivateKey` use) always run `RSA_check_key`. Its constant-time divisions cost about 2.5 M
//! instructions (0.2 ms) per 2048-bit key, a tenth of an `ir` with PBM; OpenSSL checks nothing when
//! it loads a key.
//!
//! What is still checked before a key is accepted here is what AWS-LC's private-key code needs to
//! compute with it safely: the public part (as for any RSA public key: odd n of at most 16384 bits,
//! odd e of 2 to 33 bits), n = p * q, and each private value below its modulus (0 < d < n, dmp1 < p,
//! dmq1 < q, iqmp < p). With these its CRT code stays within its bounds. Not checked are the
//! congruences between the values (d * e = 1 mod p - 1 and q - 1, dmp1 = d mod p - 1, ...): AWS-LC
//! checks the result of every private-key operation with the public key before releasing it (against
//! fault attacks, `rsa_default_private_transform`), so a key whose values do not belong together
//! cannot sign or decrypt anything; it fails when used rather than when loaded.
//!
//! Everything else goes to AWS-LC's own parser, exactly as before: other key types, RSA-PSS keys,
//! other versions, PKCS#8 attributes, "stripped" keys without e, and keys failing the checks above
//! (which AWS-LC then refuses, or accepts if only one of these bounds is unusual but the key is valid).

use aws_lc_sys as sys;

use super::Pkey;

/// rsaEncryption (1.2.840.113549.1.1.1), content octets.
const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const SEQUENCE: sys::CBS_ASN1_TAG = sys::CBS_ASN1_SEQUENCE as sys::CBS_ASN1_TAG;

/// An owned BIGNUM, cleared when freed (most of them are secret).
struct Bn(*mut sys::BIGNUM);

impl Drop for Bn {
    fn drop(&mut self) {
        // SAFETY: self.0 is null or an owned BIGNUM from BN_new.
        unsafe { sys::BN_clear_free(self.0) }
    }
}

impl Bn {
    /// The next INTEGER of `cbs`, which must be non-negative and minimally encoded.
    fn parse(cbs: &mut sys::CBS) -> Option<Bn> {
        // SAFETY: BN_new returns an owned BIGNUM or null; cbs is a valid CBS.
        unsafe {
            let bn = Bn(sys::BN_new());
            (!bn.0.is_null() && sys::BN_parse_asn1_unsigned(cbs, bn.0) == 1).then_some(bn)
        }
    }

    /// Hand ownership to AWS-LC.
    fn into_raw(self) -> *mut sys::BIGNUM {
        let p = self.0;
        std::mem::forget(self);
        p
    }
}

/// `a < b`. BN_cmp's time depends on the values only as far as AWS-LC's own key check does.
fn less(a: &Bn, b: &Bn) -> bool {
    // SAFETY: both valid BIGNUMs.
    unsafe { sys::BN_cmp(a.0, b.0) < 0 }
}

fn is_zero(a: &Bn) -> bool {
    // SAFETY: valid BIGNUM.
    unsafe { sys::BN_is_zero(a.0) == 1 }
}

/// The eight numbers of a two-prime RSAPrivateKey (RFC 8017, A.1.2).
struct Parts {
    n: Bn,
    e: Bn,
    d: Bn,
    p: Bn,
    q: Bn,
    dmp1: Bn,
    dmq1: Bn,
    iqmp: Bn,
}

fn cbs_over(der: &[u8]) -> sys::CBS {
    // SAFETY: CBS is a plain struct; CBS_init points it at `der`, which the caller keeps alive while
    // the CBS is in use.
    unsafe {
        let mut cbs: sys::CBS = std::mem::zeroed();
        sys::CBS_init(&mut cbs, der.as_ptr(), der.len());
        cbs
    }
}

fn cbs_len(cbs: &sys::CBS) -> usize {
    // SAFETY: valid CBS.
    unsafe { sys::CBS_len(cbs) }
}

/// Read an RSAPrivateKey from `cbs` as `RSA_parse_private_key` does (version 0, eight INTEGERs,
/// nothing after them inside the SEQUENCE).
fn parse_parts(cbs: &mut sys::CBS) -> Option<Parts> {
    // SAFETY: CBS is a plain struct; both CBSs are valid for the calls.
    let mut seq: sys::CBS = unsafe { std::mem::zeroed() };
    let mut version: u64 = 0;
    let ok = unsafe {
        sys::CBS_get_asn1(cbs, &mut seq, SEQUENCE) == 1
            && sys::CBS_get_asn1_uint64(&mut seq, &mut version) == 1
    };
    if !ok || version != 0 {
        return None;
    }
    let parts = Parts {
        n: Bn::parse(&mut seq)?,
        e: Bn::parse(&mut seq)?,
        d: Bn::parse(&mut seq)?,
        p: Bn::parse(&mut seq)?,
        q: Bn::parse(&mut seq)?,
        dmp1: Bn::parse(&mut seq)?,
        dmq1: Bn::parse(&mut seq)?,
        iqmp: Bn::parse(&mut seq)?,
    };
    (cbs_len(&seq) == 0).then_some(parts)
}

/// Whether the public part is one AWS-LC accepts for any RSA public key (its `RSA_new_public_key`
/// runs just that part of the key check).
fn public_part_ok(k: &Parts) -> bool {
    // SAFETY: n and e are valid; the temporary key holds copies and is freed here.
    unsafe {
        let rsa = sys::RSA_new_public_key(k.n.0, k.e.0);
        sys::ERR_clear_error();
        if rsa.is_null() {
            return false;
        }
        sys::RSA_free(rsa);
        true
    }
}

/// n = p * q; p and q are checked to be below n first, so the product stays small.
fn n_is_p_times_q(k: &Parts) -> bool {
    if is_zero(&k.p) || is_zero(&k.q) || !less(&k.p, &k.n) || !less(&k.q, &k.n) {
        return false;
    }
    // SAFETY: the context and the product are created and freed here; the factors are valid.
    unsafe {
        let ctx = sys::BN_CTX_new();
        if ctx.is_null() {
            return false;
        }
        let prod = Bn(sys::BN_new());
        let ok = !prod.0.is_null()
            && sys::BN_mul(prod.0, k.p.0, k.q.0, ctx) == 1
            && sys::BN_cmp(prod.0, k.n.0) == 0;
        sys::BN_CTX_free(ctx);
        ok
    }
}

/// The checks described at the top of this module.
fn fit_for_use(k: &Parts) -> bool {
    public_part_ok(k)
        && n_is_p_times_q(k)
        && !is_zero(&k.d)
        && less(&k.d, &k.n)
        && less(&k.dmp1, &k.p)
        && less(&k.dmq1, &k.q)
        && less(&k.iqmp, &k.p)
}

/// An EVP_PKEY holding an RSA key made of `k`.
fn into_pkey(k: Parts) -> Option<Pkey> {
    // SAFETY: RSA_new and EVP_PKEY_new return owned objects or null. The set0 calls take ownership
    // of non-null arguments and succeed on a fresh RSA given all of them (into_raw hands them over);
    // EVP_PKEY_assign_RSA takes the RSA on success. Each failure path frees what it still owns.
    unsafe {
        let rsa = sys::RSA_new();
        if rsa.is_null() {
            return None;
        }
        let set = sys::RSA_set0_key(rsa, k.n.into_raw(), k.e.into_raw(), k.d.into_raw()) == 1
            && sys::RSA_set0_factors(rsa, k.p.into_raw(), k.q.into_raw()) == 1
            && sys::RSA_set0_crt_params(
                rsa,
                k.dmp1.into_raw(),
                k.dmq1.into_raw(),
                k.iqmp.into_raw(),
            ) == 1;
        if !set {
            // Cannot happen with a fresh RSA and non-null values; if it did, what was not taken leaks.
            sys::RSA_free(rsa);
            return None;
        }
        let pkey = sys::EVP_PKEY_new();
        if pkey.is_null() {
            sys::RSA_free(rsa);
            return None;
        }
        if sys::EVP_PKEY_assign_RSA(pkey, rsa) != 1 {
            sys::RSA_free(rsa);
            sys::EVP_PKEY_free(pkey);
            return None;
        }
        Some(Pkey(pkey))
    }
}

fn checked_key(cbs: &mut sys::CBS) -> Option<Pkey> {
    let parts = parse_parts(cbs)?;
    if !fit_for_use(&parts) {
        return None;
    }
    into_pkey(parts)
}

/// A PKCS#1 RSAPrivateKey (DER, nothing after it), or None to leave it to AWS-LC's parser.
pub(super) fn pkcs1(der: &[u8]) -> Option<Pkey> {
    let mut cbs = cbs_over(der);
    let key = checked_key(&mut cbs)?;
    (cbs_len(&cbs) == 0).then_some(key)
}

/// A PKCS#8 PrivateKeyInfo holding an rsaEncryption key (DER, nothing after it), read as
/// `EVP_parse_private_key` reads it; None for anything else, to leave it to AWS-LC's parser.
pub(super) fn pkcs8(der: &[u8]) -> Option<Pkey> {
    let mut outer = cbs_over(der);
    // SAFETY: plain structs filled by CBS calls over `der`, which outlives them.
    let (mut info, mut alg, mut key, mut oid, mut null): (
        sys::CBS,
        sys::CBS,
        sys::CBS,
        sys::CBS,
        sys::CBS,
    ) = unsafe { std::mem::zeroed() };
    let mut version: u64 = 0;
    // SAFETY: every CBS is valid; the tags are AWS-LC's own constants.
    let ok = unsafe {
        sys::CBS_get_asn1(&mut outer, &mut info, SEQUENCE) == 1
            && cbs_len(&outer) == 0
            && sys::CBS_get_asn1_uint64(&mut info, &mut version) == 1
            && version <= 1
            && sys::CBS_get_asn1(&mut info, &mut alg, SEQUENCE) == 1
            && sys::CBS_get_asn1(&mut info, &mut key, sys::CBS_ASN1_OCTETSTRING as _) == 1
            && sys::CBS_get_asn1(&mut alg, &mut oid, sys::CBS_ASN1_OBJECT as _) == 1
            && cbs_bytes(&oid) == RSA_ENCRYPTION
            && sys::CBS_get_asn1(&mut alg, &mut null, sys::CBS_ASN1_NULL as _) == 1
            && cbs_len(&null) == 0
            && cbs_len(&alg) == 0
            // attributes, a public key or anything else after the key: AWS-LC's parser decides
            && cbs_len(&info) == 0
    };
    if !ok {
        return None;
    }
    let pkey = checked_key(&mut key)?;
    (cbs_len(&key) == 0).then_some(pkey)
}

fn cbs_bytes(cbs: &sys::CBS) -> &[u8] {
    // SAFETY: the CBS points into a live slice of cbs_len bytes.
    unsafe {
        let p = sys::CBS_data(cbs);
        if p.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(p, cbs_len(cbs))
    }
}

/// Whether an RSA key passes AWS-LC's full key check (used to explain a failed signature).
pub(super) fn full_check(pkey: &Pkey) -> bool {
    // SAFETY: valid key; get0 borrows the RSA for the duration of the call.
    unsafe {
        let rsa = sys::EVP_PKEY_get0_RSA(pkey.0);
        let ok = !rsa.is_null() && sys::RSA_check_key(rsa) == 1;
        sys::ERR_clear_error();
        ok
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use der::{Decode, Encode};

    use super::super::{Kind, Pkey};
    use super::{pkcs1, pkcs8};
    use crate::creds::alg::Digest;

    /// A fresh 2048-bit key (PKCS#8 DER), made once.
    fn base_pkcs8() -> &'static [u8] {
        static KEY: OnceLock<Vec<u8>> = OnceLock::new();
        KEY.get_or_init(|| {
            let k = Pkey::generate(Kind::Rsa, 2048).expect("keygen");
            k.pkcs8_der().expect("pkcs8").to_vec()
        })
    }

    /// The RSAPrivateKey inside the base key, with its eight numbers changed by `change`
    /// (n, e, d, p, q, dmp1, dmq1, iqmp as big-endian bytes).
    fn pkcs1_with(change: impl FnOnce(&mut [Vec<u8>; 8])) -> Vec<u8> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(base_pkcs8()).expect("info");
        crate::testutil::rsa_key_with(info.private_key.as_bytes(), change)
    }

    /// The same key wrapped in PKCS#8 as AWS-LC writes it.
    fn pkcs8_of(rsa: &[u8]) -> Vec<u8> {
        let base = base_pkcs8();
        let info = pkcs8::PrivateKeyInfoRef::from_der(base).expect("info");
        let key = der::asn1::OctetStringRef::new(rsa).expect("octets");
        pkcs8::PrivateKeyInfoRef {
            private_key: key,
            ..info
        }
        .to_der()
        .expect("encode")
    }

    /// What AWS-LC's own parser (with its full key check) makes of the key.
    fn aws_lc_accepts(rsa: &[u8]) -> bool {
        // SAFETY: the CBS points into `rsa`, which outlives the call; the key is freed at once.
        unsafe {
            let mut cbs = super::cbs_over(rsa);
            let k = aws_lc_sys::RSA_parse_private_key(&mut cbs);
            aws_lc_sys::ERR_clear_error();
            if k.is_null() {
                return false;
            }
            aws_lc_sys::RSA_free(k);
            true
        }
    }

    fn signs_verifiably(k: &Pkey) -> bool {
        let Some(sig) = k.sign(Some(Digest::Sha256), None, b"data") else {
            return false;
        };
        let public = Pkey::parse_spki(&k.spki_der().expect("spki")).expect("public");
        public.verify(Some(Digest::Sha256), None, b"data", &sig)
    }

    /// Subtract `k` from a big-endian number (the numbers here are far above `k`).
    fn minus(b: &mut [u8], k: u8) {
        let mut sub = i16::from(k);
        for byte in b.iter_mut().rev() {
            let v = i16::from(*byte) - sub;
            if v >= 0 {
                *byte = v as u8;
                return;
            }
            *byte = (v + 256) as u8;
            sub = 1;
        }
    }

    fn minus_two(b: &mut [u8]) {
        minus(b, 2)
    }

    #[test]
    fn valid_keys_take_the_short_way_and_sign() {
        let rsa = pkcs1_with(|_| {});
        assert!(aws_lc_accepts(&rsa));
        for k in [
            pkcs1(&rsa).expect("pkcs1"),
            pkcs8(&pkcs8_of(&rsa)).expect("pkcs8"),
        ] {
            assert!(signs_verifiably(&k));
            assert!(k.rsa_consistent());
            assert_eq!(k.kind(), Kind::Rsa);
            assert_eq!(k.bits(), 2048);
        }
        // the same key as AWS-LC's parser reads it: same public key, same private key encoding
        let slow = Pkey::parse_pkcs8(base_pkcs8()).expect("base");
        let fast = pkcs8(base_pkcs8()).expect("base");
        assert!(fast.public_eq(&slow));
        assert_eq!(
            *fast.pkcs8_der().expect("der"),
            *slow.pkcs8_der().expect("der")
        );
        // trailing bytes are left to AWS-LC's parser (which refuses them)
        let mut long = rsa.clone();
        long.push(0);
        assert!(pkcs1(&long).is_none() && Pkey::parse_traditional(&long).is_none());
    }

    #[test]
    fn wrong_crt_values_load_but_cannot_sign() {
        // dmp1 and iqmp no longer fit the primes: AWS-LC's check refused such keys on load, OpenSSL
        // loads them and signs with d instead; here they load, and AWS-LC's check of each signature
        // against the public key refuses to release one.
        for i in [5, 6, 7] {
            let rsa = pkcs1_with(|v| minus_two(&mut v[i]));
            assert!(!aws_lc_accepts(&rsa), "value {i}");
            for k in [
                Pkey::parse_traditional(&rsa).expect("pkcs1"),
                Pkey::parse_pkcs8(&pkcs8_of(&rsa)).expect("pkcs8"),
            ] {
                assert!(
                    k.sign(Some(Digest::Sha256), None, b"data").is_none(),
                    "value {i}"
                );
                assert!(!k.rsa_consistent());
            }
        }
    }

    #[test]
    fn wrong_private_exponent_with_right_crt_values_signs() {
        // d is not used when the CRT values are there; OpenSSL signs with such a key too.
        let rsa = pkcs1_with(|v| minus_two(&mut v[2]));
        assert!(!aws_lc_accepts(&rsa));
        let k = Pkey::parse_traditional(&rsa).expect("loads");
        assert!(signs_verifiably(&k));
    }

    #[test]
    fn keys_outside_the_bounds_are_refused_as_before() {
        let p = |v: &[Vec<u8>; 8]| v[3].clone();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "q changed, n != p * q",
                pkcs1_with(|v| minus_two(&mut v[4])),
            ),
            ("iqmp = p", pkcs1_with(|v| v[7] = p(v))),
            ("dmp1 = p", pkcs1_with(|v| v[5] = p(v))),
            ("d = 0", pkcs1_with(|v| v[2] = vec![0])),
            ("d = n", pkcs1_with(|v| v[2] = v[0].clone())),
            ("p = 0", pkcs1_with(|v| v[3] = vec![0])),
            ("e even", pkcs1_with(|v| v[1] = vec![1, 0, 0])),
            ("e = 1", pkcs1_with(|v| v[1] = vec![1])),
            ("n even", pkcs1_with(|v| minus(&mut v[0], 1))),
        ];
        for (what, rsa) in cases {
            assert!(pkcs1(&rsa).is_none(), "{what}: short way");
            assert!(
                pkcs8(&pkcs8_of(&rsa)).is_none(),
                "{what}: short way (PKCS#8)"
            );
            assert!(!aws_lc_accepts(&rsa), "{what}");
            assert!(Pkey::parse_traditional(&rsa).is_none(), "{what}");
            assert!(Pkey::parse_pkcs8(&pkcs8_of(&rsa)).is_none(), "{what}");
        }
    }

    #[test]
    fn other_pkcs8_forms_go_to_aws_lc() {
        // version 1 (OneAsymmetricKey) without a public key: AWS-LC's parser accepts it, and so
        // does the short way; with attributes only AWS-LC's parser reads it.
        let with_attrs = {
            let mut d = base_pkcs8().to_vec();
            // append an empty [0] attributes SET to the outer SEQUENCE (long-form length, 2 bytes)
            assert_eq!(&d[..2], &[0x30, 0x82]);
            d.extend_from_slice(&[0xa0, 0x00]);
            let len = u16::try_from(d.len() - 4).expect("len").to_be_bytes();
            d[2..4].copy_from_slice(&len);
            d
        };
        assert!(pkcs8(&with_attrs).is_none());
        let k = Pkey::parse_pkcs8(&with_attrs).expect("AWS-LC reads attributes");
        assert!(signs_verifiably(&k));
        // not RSA at all
        let ec = Pkey::generate(Kind::Ec(super::super::NID_P256), 0).expect("ec");
        let ec_der = ec.pkcs8_der().expect("der");
        assert!(pkcs8(&ec_der).is_none());
        assert!(Pkey::parse_pkcs8(&ec_der).is_some());
    }
}
