//! Signature checks on certificates and CRLs: the verifier's policy (which signature algorithms and
//! key sizes it takes, the security bits of keys and digests, which key type a signature algorithm
//! needs: OpenSSL refuses an issuer whose key type does not fit the subject's signature algorithm before
//! it even tries). The signature arithmetic itself is `creds::signature_verifies`.

use const_oid::ObjectIdentifier;
use der::Decode;
use spki::SubjectPublicKeyInfoRef;

use crate::asn1::oid::{
    EC_PUBLIC_KEY, ED25519, ED448, P256, P384, P521, RSASSA_PSS, RSA_ENCRYPTION,
};
use crate::creds::Digest;
pub(crate) use crate::creds::KeyKind;

/// Security bits OpenSSL's security levels give the Ed25519/Ed448 signatures, which hash internally.
const INTRINSIC_HASH_BITS: u32 = 128;

/// What a signature algorithm identifier (OID) stands for, from the registry (`creds::alg`): key
/// kind and digest. Only the algorithms this verifier has always known: RSA, RSASSA-PSS and ECDSA
/// with MD5, SHA-1 or SHA-2 (not SHA-512/t), Ed25519 and Ed448; anything else is not a signature
/// algorithm to it (so a certificate signed with it is not "likely issued" by anyone).
pub(crate) fn sig_alg_info(oid: &ObjectIdentifier) -> Option<(KeyKind, Option<Digest>)> {
    use Digest as D;
    let a = crate::creds::sig_alg(oid)?;
    let known_key = matches!(
        a.key,
        KeyKind::Rsa | KeyKind::RsaPss | KeyKind::Ec | KeyKind::Ed25519 | KeyKind::Ed448
    );
    let known_digest = matches!(
        a.digest,
        None | Some(D::Md5 | D::Sha1 | D::Sha224 | D::Sha256 | D::Sha384 | D::Sha512)
    );
    (known_key && known_digest).then_some((a.key, a.digest))
}

/// The key kind of a SubjectPublicKeyInfo, and for EC keys the curve.
pub(crate) fn key_kind(spki_der: &[u8]) -> (KeyKind, Option<ObjectIdentifier>) {
    let Ok(spki) = SubjectPublicKeyInfoRef::from_der(spki_der) else {
        return (KeyKind::Other, None);
    };
    let oid = spki.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        (KeyKind::Rsa, None)
    } else if oid == RSASSA_PSS {
        (KeyKind::RsaPss, None)
    } else if oid == EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        (KeyKind::Ec, curve)
    } else if oid == ED25519 {
        (KeyKind::Ed25519, None)
    } else if oid == ED448 {
        (KeyKind::Ed448, None)
    } else {
        (KeyKind::Other, None)
    }
}

/// Whether a key of kind `key` may have made a signature of kind `sig` (OpenSSL lets plain RSA keys make
/// RSASSA-PSS signatures).
pub(crate) fn key_fits(key: KeyKind, sig: KeyKind) -> bool {
    key == sig || (key == KeyKind::Rsa && sig == KeyKind::RsaPss)
}

/// The strength in security bits of a public key, as OpenSSL's `EVP_PKEY_get_security_bits` rates it.
pub(crate) fn key_security_bits(spki_der: &[u8]) -> Option<u32> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der).ok()?;
    let (kind, curve) = key_kind(spki_der);
    match kind {
        KeyKind::Rsa | KeyKind::RsaPss => {
            let bits = rsa_modulus_bits(spki.subject_public_key.raw_bytes())?;
            Some(rsa_security_bits(bits))
        }
        KeyKind::Ec => {
            let c = curve?;
            Some(if c == P256 {
                128
            } else if c == P384 {
                192
            } else if c == P521 {
                256
            } else {
                // Other named curves: half the field size, read from the point length.
                let pt = spki.subject_public_key.raw_bytes();
                ((pt.len().saturating_sub(1) / 2) * 8 / 2) as u32
            })
        }
        KeyKind::Ed25519 => Some(128),
        KeyKind::Ed448 => Some(224),
        KeyKind::Dsa | KeyKind::MlDsa | KeyKind::Other => None,
    }
}

/// NIST SP 800-57 strengths for RSA moduli, as OpenSSL rounds them.
fn rsa_security_bits(bits: u32) -> u32 {
    match bits {
        b if b >= 15360 => 256,
        b if b >= 7680 => 192,
        b if b >= 3072 => 128,
        b if b >= 2048 => 112,
        b if b >= 1024 => 80,
        _ => 0,
    }
}

/// Bit length of the modulus in a PKCS#1 RSAPublicKey.
pub(crate) fn rsa_modulus_bits(pkcs1: &[u8]) -> Option<u32> {
    #[derive(der::Sequence)]
    struct RsaPub<'a> {
        n: der::asn1::UintRef<'a>,
        _e: der::asn1::UintRef<'a>,
    }
    let k = RsaPub::from_der(pkcs1).ok()?;
    let n = k.n.as_bytes();
    let first = *n.first()?;
    Some((n.len() as u32 - 1) * 8 + (8 - first.leading_zeros()))
}

/// Verify `sig` over `data` with the public key `spki_der`, for the signature algorithm `alg_oid`
/// (with its parameters' DER for RSASSA-PSS). Returns false on any mismatch or on an algorithm this
/// verifier does not accept (see [`accepted`]); the signature itself is checked by `creds`.
pub(crate) fn verify(
    spki_der: &[u8],
    alg_oid: &ObjectIdentifier,
    alg_params: Option<&[u8]>,
    data: &[u8],
    sig: &[u8],
) -> bool {
    let Ok(spki) = SubjectPublicKeyInfoRef::from_der(spki_der) else {
        return false;
    };
    let (kind, curve) = key_kind(spki_der);
    let Some((sig_kind, _)) = sig_alg_info(alg_oid) else {
        return false;
    };
    if !key_fits(kind, sig_kind) {
        return false;
    }
    let hash = sig_hash(alg_oid, alg_params);
    let rsa_bits = match kind {
        KeyKind::Rsa | KeyKind::RsaPss => rsa_modulus_bits(spki.subject_public_key.raw_bytes()),
        _ => None,
    };
    if !accepted(sig_kind, hash, curve, rsa_bits) {
        return false;
    }
    let Ok(parameters) = alg_params.map(der::Any::from_der).transpose() else {
        return false;
    };
    let alg = spki::AlgorithmIdentifierOwned {
        oid: *alg_oid,
        parameters,
    };
    crate::creds::signature_verifies(spki_der, &alg, data, sig).unwrap_or(false)
}

/// The signature algorithms this verifier takes: RSA (PKCS#1 v1.5 with SHA-1 or SHA-256/384/512,
/// RSASSA-PSS with SHA-256/384/512) with moduli of 1024 to 8192 bits (2048 for SHA-384 and PSS),
/// ECDSA on P-256/P-384/P-521 with SHA-1 (not on P-384) or SHA-256/384/512, and Ed25519. This is
/// the set the verifier has accepted since it was written; MD5, SHA-224 and Ed448 signatures fail.
fn accepted(
    sig: KeyKind,
    hash: Option<Digest>,
    curve: Option<ObjectIdentifier>,
    rsa_bits: Option<u32>,
) -> bool {
    let sha2 = matches!(hash, Some(Digest::Sha256 | Digest::Sha384 | Digest::Sha512));
    let sha1 = hash == Some(Digest::Sha1);
    match sig {
        KeyKind::Rsa | KeyKind::RsaPss => {
            let min = if sig == KeyKind::RsaPss || hash == Some(Digest::Sha384) {
                2048
            } else {
                1024
            };
            let size_ok = rsa_bits.is_some_and(|b| (min..=8192).contains(&b));
            let hash_ok = sha2 || (sig == KeyKind::Rsa && sha1);
            size_ok && hash_ok
        }
        KeyKind::Ec => match curve {
            Some(c) if c == P256 || c == P521 => sha2 || sha1,
            Some(c) if c == P384 => sha2,
            _ => false,
        },
        KeyKind::Ed25519 => true,
        _ => false,
    }
}

/// The digest named in RSASSA-PSS parameters, if it is one of SHA-256/384/512.
fn pss_hash(params: Option<&[u8]>) -> Option<Digest> {
    let any = der::Any::from_der(params?).ok()?;
    let d = crate::creds::pss_hash(Some(&any)).ok()?;
    matches!(d, Digest::Sha256 | Digest::Sha384 | Digest::Sha512).then_some(d)
}

/// The digest of a signature algorithm, RSASSA-PSS's from its parameters; `None` when the algorithm is
/// unknown, hashes internally, or names a digest this verifier does not take.
fn sig_hash(alg_oid: &ObjectIdentifier, alg_params: Option<&[u8]>) -> Option<Digest> {
    match sig_alg_info(alg_oid)? {
        (KeyKind::RsaPss, _) => pss_hash(alg_params),
        (_, h) => h,
    }
}

/// The security bits of a signature algorithm's digest (for the security level): 128 for the
/// algorithms that hash internally, 0 for unknown ones.
pub(crate) fn sig_hash_bits(alg_oid: &ObjectIdentifier, alg_params: Option<&[u8]>) -> u32 {
    match (sig_alg_info(alg_oid), sig_hash(alg_oid, alg_params)) {
        (_, Some(d)) => d.security_bits(),
        (Some((KeyKind::Ed25519 | KeyKind::Ed448, None)), None) => INTRINSIC_HASH_BITS,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::key::Curve;
    use crate::creds::{generate_key, Digest, KeySpec};
    use der::Encode;

    #[test]
    fn verifies_through_creds_within_the_verifiers_policy() {
        let key = generate_key(KeySpec::Ec(Curve::P256)).unwrap();
        let spki = key.public_key_der().unwrap();
        let sign = |d: Digest| {
            let alg = key.signature_algorithm(d).unwrap();
            let params = alg.parameters.as_ref().map(|p| p.to_der().unwrap());
            (alg.oid, params, key.sign(d, b"tbs").unwrap())
        };
        let (oid, params, sig) = sign(Digest::Sha256);
        assert!(verify(&spki, &oid, params.as_deref(), b"tbs", &sig));
        assert!(!verify(&spki, &oid, params.as_deref(), b"tbS", &sig));
        // creds checks ECDSA with SHA-224 fine; this verifier has never taken it.
        let (oid, params, sig) = sign(Digest::Sha224);
        let alg = spki::AlgorithmIdentifierOwned {
            oid,
            parameters: None,
        };
        assert!(crate::creds::verify_signature(&spki, &alg, b"tbs", &sig).is_ok());
        assert!(!verify(&spki, &oid, params.as_deref(), b"tbs", &sig));
    }
}
