//! The only place that talks to AWS-LC's EVP layer directly.
//!
//! aws-lc-rs fixes the (key type, digest) pairs it signs and verifies with, but CMP lets the user pick any
//! `-digest` for any key and peers send RSA-PSS with explicit parameters, so signing, verification, key
//! parsing and key generation go through `aws-lc-sys` here. Every unsafe block is confined to this module;
//! callers see safe types that own their EVP objects.

use std::ffi::{c_char, c_int, c_long, c_void};
use std::ptr;

use aws_lc_sys as sys;
use zeroize::Zeroizing;

use super::alg::Digest;

mod rsa_blind;
mod rsa_parse;

/// An owned, reference-counted `EVP_PKEY`.
pub(crate) struct Pkey(*mut sys::EVP_PKEY);

// SAFETY: EVP_PKEY is reference counted with atomic counts, and everything done through a shared `&Pkey`
// here (sign, verify, marshal) uses a fresh context per operation and does not mutate the key.
unsafe impl Send for Pkey {}
unsafe impl Sync for Pkey {}

impl Drop for Pkey {
    fn drop(&mut self) {
        // SAFETY: self.0 is a valid, owned reference obtained from AWS-LC.
        unsafe { sys::EVP_PKEY_free(self.0) }
    }
}

impl Clone for Pkey {
    fn clone(&self) -> Self {
        // SAFETY: valid key; up_ref adds the reference that the new value's Drop releases.
        unsafe { sys::EVP_PKEY_up_ref(self.0) };
        Pkey(self.0)
    }
}

/// The kind of key, as far as rcmp needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Rsa,
    RsaPss,
    Ec(c_int),
    Ed25519,
    /// ML-DSA (any parameter set; the SPKI's OID tells which).
    Pqdsa,
    Other(c_int),
}

fn clear_errors() {
    // SAFETY: touches only the thread-local error queue.
    unsafe { sys::ERR_clear_error() }
}

/// Run `f` on a CBS over `der`, returning the key only if all input was consumed.
fn parse_with(der: &[u8], f: impl FnOnce(*mut sys::CBS) -> *mut sys::EVP_PKEY) -> Option<Pkey> {
    // SAFETY: CBS is a plain struct; CBS_init points it at `der`, which outlives the call.
    let mut cbs: sys::CBS = unsafe { std::mem::zeroed() };
    unsafe { sys::CBS_init(&mut cbs, der.as_ptr(), der.len()) };
    let k = f(&mut cbs);
    clear_errors();
    if k.is_null() {
        return None;
    }
    let key = Pkey(k);
    // SAFETY: cbs is still valid.
    if unsafe { sys::CBS_len(&cbs) } != 0 {
        return None;
    }
    Some(key)
}

fn with_cbb(f: impl FnOnce(*mut sys::CBB) -> c_int) -> Option<Vec<u8>> {
    // SAFETY: CBB_init allocates; CBB_finish hands the buffer to us, which we copy and free. On failure
    // CBB_cleanup releases it.
    unsafe {
        let mut cbb: sys::CBB = std::mem::zeroed();
        if sys::CBB_init(&mut cbb, 256) != 1 {
            return None;
        }
        if f(&mut cbb) != 1 {
            sys::CBB_cleanup(&mut cbb);
            clear_errors();
            return None;
        }
        let mut out: *mut u8 = ptr::null_mut();
        let mut len: usize = 0;
        if sys::CBB_finish(&mut cbb, &mut out, &mut len) != 1 {
            sys::CBB_cleanup(&mut cbb);
            return None;
        }
        let v = std::slice::from_raw_parts(out, len).to_vec();
        sys::OPENSSL_free(out as *mut c_void);
        Some(v)
    }
}

pub(crate) fn md(d: Digest) -> *const sys::EVP_MD {
    d.md()
}

/// One-shot hash.
pub(crate) fn digest(d: Digest, data: &[u8]) -> Option<Vec<u8>> {
    let mut out = [0u8; 64];
    let mut len: u32 = 0;
    // SAFETY: out has room for any digest (EVP_MAX_MD_SIZE is 64).
    let ok = unsafe {
        sys::EVP_Digest(
            data.as_ptr() as *const c_void,
            data.len(),
            out.as_mut_ptr(),
            &mut len,
            md(d),
            ptr::null_mut(),
        )
    };
    clear_errors();
    (ok == 1).then(|| out[..len as usize].to_vec())
}

/// One-shot HMAC.
pub(crate) fn hmac(d: Digest, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let mut out = [0u8; 64];
    let mut len: u32 = 0;
    // SAFETY: out has room for any digest size.
    let r = unsafe {
        sys::HMAC(
            md(d),
            key.as_ptr() as *const c_void,
            key.len(),
            data.as_ptr(),
            data.len(),
            out.as_mut_ptr(),
            &mut len,
        )
    };
    clear_errors();
    (!r.is_null()).then(|| out[..len as usize].to_vec())
}

/// RSA-PSS settings for one signature: hash, MGF1 hash, salt length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pss {
    pub hash: Digest,
    pub mgf1: Digest,
    pub salt_len: u32,
}

impl Pkey {
    /// Unencrypted PKCS#8 PrivateKeyInfo (DER).
    /// Plain RSA keys are built from their parts without AWS-LC's load-time key check (rsa_parse.rs).
    pub(crate) fn parse_pkcs8(der: &[u8]) -> Option<Pkey> {
        if let Some(k) = rsa_parse::pkcs8(der) {
            return Some(k);
        }
        // SAFETY: cbs is valid for the duration of the call.
        parse_with(der, |cbs| unsafe { sys::EVP_parse_private_key(cbs) })
    }

    /// PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey (DER), or PKCS#8 again.
    pub(crate) fn parse_traditional(der: &[u8]) -> Option<Pkey> {
        if let Some(k) = rsa_parse::pkcs1(der) {
            return Some(k);
        }
        let len = c_long::try_from(der.len()).ok()?;
        let mut p = der.as_ptr();
        // SAFETY: p points into der, len bounds the read.
        let k = unsafe { sys::d2i_AutoPrivateKey(ptr::null_mut(), &mut p, len) };
        clear_errors();
        if k.is_null() {
            return None;
        }
        let key = Pkey(k);
        // d2i advances p past what it read; trailing bytes mean this was not (only) a key.
        (p as usize - der.as_ptr() as usize == der.len()).then_some(key)
    }

    /// Encrypted PKCS#8 (PBES1 or PBES2), DER.
    pub(crate) fn parse_encrypted_pkcs8(der: &[u8], pass: &[u8]) -> Option<Pkey> {
        // SAFETY: pass is valid for pass.len() bytes; cbs is valid during the call.
        parse_with(der, |cbs| unsafe {
            sys::PKCS8_parse_encrypted_private_key(cbs, pass.as_ptr() as *const c_char, pass.len())
        })
    }

    /// A PEM private key of any kind AWS-LC's PEM reader knows, including the legacy
    /// `Proc-Type: 4,ENCRYPTED` form. `pem` must hold just that block.
    pub(crate) fn read_pem(pem: &[u8], pass: &[u8]) -> Option<Pkey> {
        let len = isize::try_from(pem.len()).ok()?;
        // The PEM callback protocol wants a NUL-terminated pass phrase as its user data.
        let mut cpass: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(pass.len() + 1));
        cpass.extend_from_slice(pass);
        cpass.push(0);
        // SAFETY: the BIO reads from pem (alive for the call) and is freed below; the default callback
        // copies at most the buffer size from cpass.
        unsafe {
            let bio = sys::BIO_new_mem_buf(pem.as_ptr() as *const c_void, len);
            if bio.is_null() {
                return None;
            }
            let k = sys::PEM_read_bio_PrivateKey(
                bio,
                ptr::null_mut(),
                None,
                cpass.as_mut_ptr() as *mut c_void,
            );
            sys::BIO_free(bio);
            clear_errors();
            (!k.is_null()).then_some(Pkey(k))
        }
    }

    /// SubjectPublicKeyInfo (DER).
    pub(crate) fn parse_spki(der: &[u8]) -> Option<Pkey> {
        // SAFETY: cbs is valid for the duration of the call.
        parse_with(der, |cbs| unsafe { sys::EVP_parse_public_key(cbs) })
    }

    pub(crate) fn spki_der(&self) -> Option<Vec<u8>> {
        // SAFETY: valid key and CBB.
        with_cbb(|cbb| unsafe { sys::EVP_marshal_public_key(cbb, self.0) })
    }

    pub(crate) fn pkcs8_der(&self) -> Option<Zeroizing<Vec<u8>>> {
        // SAFETY: valid key and CBB. (The intermediate CBB buffer is freed by OPENSSL_free, which
        // AWS-LC clears before release.)
        with_cbb(|cbb| unsafe { sys::EVP_marshal_private_key(cbb, self.0) }).map(Zeroizing::new)
    }

    pub(crate) fn kind(&self) -> Kind {
        // SAFETY: valid key; get0 returns a borrowed pointer used only inside this block.
        unsafe {
            match sys::EVP_PKEY_id(self.0) {
                sys::EVP_PKEY_RSA => Kind::Rsa,
                sys::EVP_PKEY_RSA_PSS => Kind::RsaPss,
                sys::EVP_PKEY_ED25519 => Kind::Ed25519,
                sys::EVP_PKEY_PQDSA => Kind::Pqdsa,
                sys::EVP_PKEY_EC => {
                    let ec = sys::EVP_PKEY_get0_EC_KEY(self.0);
                    let nid = if ec.is_null() {
                        0
                    } else {
                        let g = sys::EC_KEY_get0_group(ec);
                        if g.is_null() {
                            0
                        } else {
                            sys::EC_GROUP_get_curve_name(g)
                        }
                    };
                    Kind::Ec(nid)
                }
                other => Kind::Other(other),
            }
        }
    }

    /// Whether an RSA key passes AWS-LC's full consistency check (keys loaded through rsa_parse.rs
    /// skipped it); false for other key types.
    pub(crate) fn rsa_consistent(&self) -> bool {
        rsa_parse::full_check(self)
    }

    pub(crate) fn bits(&self) -> u32 {
        // SAFETY: valid key.
        let b = unsafe { sys::EVP_PKEY_bits(self.0) };
        u32::try_from(b).unwrap_or(0)
    }

    /// For a plain RSA key, blind each signature in rcmp instead of AWS-LC (evp/rsa_blind.rs), which
    /// is cheaper for a key that signs only a few times. Must be called before the key is shared
    /// between threads.
    pub(crate) fn blind_per_signature(&self) {
        rsa_blind::enable(self);
    }

    #[cfg(test)]
    pub(crate) fn blinds_per_signature(&self) -> bool {
        rsa_blind::enabled(self)
    }

    /// Whether both keys have the same public part.
    pub(crate) fn public_eq(&self, other: &Pkey) -> bool {
        // SAFETY: both valid keys.
        let r = unsafe { sys::EVP_PKEY_cmp(self.0, other.0) };
        clear_errors();
        r == 1
    }

    /// Sign `data`, hashing it with `hash` (None for Ed25519). With `pss`, RSA-PSS padding is used.
    pub(crate) fn sign(
        &self,
        hash: Option<Digest>,
        pss: Option<Pss>,
        data: &[u8],
    ) -> Option<Vec<u8>> {
        if let Some(h) = hash.filter(|_| rsa_blind::enabled(self)) {
            let sig = rsa_blind::sign(self, h, pss, data);
            clear_errors();
            return sig;
        }
        // SAFETY: ctx is created and freed here; pctx is owned by ctx; out is sized from the first call.
        unsafe {
            let ctx = sys::EVP_MD_CTX_new();
            if ctx.is_null() {
                return None;
            }
            let res = (|| {
                let mut pctx: *mut sys::EVP_PKEY_CTX = ptr::null_mut();
                let m = hash.map_or(ptr::null(), md);
                if sys::EVP_DigestSignInit(ctx, &mut pctx, m, ptr::null_mut(), self.0) != 1 {
                    return None;
                }
                if let Some(p) = pss {
                    set_pss(pctx, p)?;
                }
                let mut len: usize = 0;
                if sys::EVP_DigestSign(ctx, ptr::null_mut(), &mut len, data.as_ptr(), data.len())
                    != 1
                {
                    return None;
                }
                let mut out = vec![0u8; len];
                if sys::EVP_DigestSign(ctx, out.as_mut_ptr(), &mut len, data.as_ptr(), data.len())
                    != 1
                {
                    return None;
                }
                out.truncate(len);
                Some(out)
            })();
            sys::EVP_MD_CTX_free(ctx);
            clear_errors();
            res
        }
    }

    /// Verify `sig` over `data`; see [`Pkey::sign`] for the parameters.
    pub(crate) fn verify(
        &self,
        hash: Option<Digest>,
        pss: Option<Pss>,
        data: &[u8],
        sig: &[u8],
    ) -> bool {
        // SAFETY: as in sign.
        unsafe {
            let ctx = sys::EVP_MD_CTX_new();
            if ctx.is_null() {
                return false;
            }
            let ok = (|| {
                let mut pctx: *mut sys::EVP_PKEY_CTX = ptr::null_mut();
                let m = hash.map_or(ptr::null(), md);
                if sys::EVP_DigestVerifyInit(ctx, &mut pctx, m, ptr::null_mut(), self.0) != 1 {
                    return false;
                }
                if let Some(p) = pss {
                    if set_pss(pctx, p).is_none() {
                        return false;
                    }
                }
                sys::EVP_DigestVerify(ctx, sig.as_ptr(), sig.len(), data.as_ptr(), data.len()) == 1
            })();
            sys::EVP_MD_CTX_free(ctx);
            clear_errors();
            ok
        }
    }

    /// Generate an RSA key (`bits`), an EC key on curve `nid`, or an Ed25519 key.
    pub(crate) fn generate(kind: Kind, bits: u32) -> Option<Pkey> {
        let (id, nid) = match kind {
            Kind::Rsa => (sys::EVP_PKEY_RSA, 0),
            Kind::Ec(nid) => (sys::EVP_PKEY_EC, nid),
            Kind::Ed25519 => (sys::EVP_PKEY_ED25519, 0),
            _ => return None,
        };
        let bits = c_int::try_from(bits).ok()?;
        // SAFETY: the context is created and freed here; the generated key is owned by the returned Pkey.
        unsafe {
            let ctx = sys::EVP_PKEY_CTX_new_id(id, ptr::null_mut());
            if ctx.is_null() {
                return None;
            }
            let mut out: *mut sys::EVP_PKEY = ptr::null_mut();
            let ok = sys::EVP_PKEY_keygen_init(ctx) == 1
                && (id != sys::EVP_PKEY_RSA
                    || sys::EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1)
                && (id != sys::EVP_PKEY_EC
                    || sys::EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, nid) == 1)
                && sys::EVP_PKEY_keygen(ctx, &mut out) == 1;
            sys::EVP_PKEY_CTX_free(ctx);
            clear_errors();
            if ok && !out.is_null() {
                Some(Pkey(out))
            } else {
                if !out.is_null() {
                    sys::EVP_PKEY_free(out);
                }
                None
            }
        }
    }
}

unsafe fn set_pss(pctx: *mut sys::EVP_PKEY_CTX, p: Pss) -> Option<()> {
    let salt = c_int::try_from(p.salt_len).ok()?;
    // SAFETY: pctx belongs to a live EVP_MD_CTX (caller's contract).
    unsafe {
        (sys::EVP_PKEY_CTX_set_rsa_padding(pctx, sys::RSA_PKCS1_PSS_PADDING as c_int) == 1
            && sys::EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) == 1
            && sys::EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md(p.mgf1)) == 1)
            .then_some(())
    }
}

/// AWS-LC's key type id of DSA keys (verified only: proof of possession in requests to the mock).
pub(crate) const EVP_PKEY_DSA: c_int = sys::EVP_PKEY_DSA;
pub(crate) const NID_P256: c_int = sys::NID_X9_62_prime256v1;
pub(crate) const NID_P384: c_int = sys::NID_secp384r1;
pub(crate) const NID_P521: c_int = sys::NID_secp521r1;

/// Fill `buf` from the system's secure random source.
///
/// On Linux straight from the kernel (`getrandom`, which blocks only until the kernel's generator is
/// seeded at boot): the 16-byte nonces, IDs and salts of a CMP message are all a PBM-protected run
/// needs, and setting up AWS-LC's own generator for them (fork and VM-clone detection, DRBG seeding)
/// cost about 4 % of such a run. Runs that sign still set it up, for RSA blinding.
pub(crate) fn random_fill(buf: &mut [u8]) -> bool {
    #[cfg(target_os = "linux")]
    {
        let mut done = 0;
        while done < buf.len() {
            let rest = &mut buf[done..];
            // SAFETY: writes at most `rest.len()` bytes into `rest`, which is valid for writing.
            let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
            match usize::try_from(n) {
                Ok(n) => done += n,
                Err(_)
                    if std::io::Error::last_os_error().kind()
                        == std::io::ErrorKind::Interrupted => {}
                // e.g. a kernel without getrandom (ENOSYS): AWS-LC knows the older ways
                Err(_) => break,
            }
        }
        if done == buf.len() {
            return true;
        }
    }
    use aws_lc_rs::rand::SecureRandom;
    aws_lc_rs::rand::SystemRandom::new().fill(buf).is_ok()
}

/// SHA-256 applied `rounds` more times to a 32-byte value: x, SHA-256(x), SHA-256(SHA-256(x)), ...
/// (the iterations of a PBM key derivation). Each round hashes exactly one 64-byte block, whose
/// padding is always the same, so the block is built once and only the compression function runs:
/// about half the cost of a full hash call per round, which is most of a PBM derivation.
pub(crate) fn sha256_rounds(value: &mut [u8; 32], rounds: u32) {
    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(value);
    block[32] = 0x80;
    // message length in bits (256), big-endian, in the last 8 bytes
    block[62] = 0x01;
    let mut state = Zeroizing::new([0u32; 8]);
    for _ in 0..rounds {
        *state = IV;
        // SAFETY: `state` is 8 words and `block` one 64-byte block, as the function requires.
        unsafe { sys::SHA256_TransformBlocks(state.as_mut_ptr(), block.as_ptr(), 1) };
        for (out, word) in block[..32].chunks_exact_mut(4).zip(state.iter()) {
            out.copy_from_slice(&word.to_be_bytes());
        }
    }
    value.copy_from_slice(&block[..32]);
}

#[cfg(test)]
mod sha256_rounds_tests {
    use aws_lc_rs::digest;

    #[test]
    fn same_as_hashing_again_and_again() {
        for rounds in [0u32, 1, 2, 7, 500] {
            let mut want = *b"0123456789abcdef0123456789abcdef";
            let mut got = want;
            for _ in 0..rounds {
                let d = digest::digest(&digest::SHA256, &want);
                want.copy_from_slice(d.as_ref());
            }
            super::sha256_rounds(&mut got, rounds);
            assert_eq!(got, want, "{rounds} rounds");
        }
    }
}
