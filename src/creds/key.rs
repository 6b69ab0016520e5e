//! Private and public keys: loading (PKCS#8 plain/encrypted, PKCS#1, SEC1, legacy encrypted PEM,
//! PKCS#12, SubjectPublicKeyInfo, certificates), generation, signing with the AlgorithmIdentifier X.509
//! and CMP expect, and signature verification.

use super::tlv;
use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Decode, Tagged};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use super::alg::{Digest, KeyKind};
use super::evp::{self, Kind, Pkey, Pss};
use super::pass::Secret;
use super::{cert, pem, pkcs12, read_file};
use crate::asn1::oid::{ED25519, MGF1, ML_DSA_44, ML_DSA_65, ML_DSA_87, RSASSA_PSS as RSA_PSS};
use crate::error::{Error, Result};

/// Upper bound for PBKDF2 iterations in encrypted keys (OpenSSL writes 2048; this keeps a hostile file
/// from stalling us for hours).
pub const MAX_KDF_ITERATIONS: u32 = 10_000_000;

/// Elliptic curves we handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn nid(self) -> i32 {
        match self {
            Curve::P256 => evp::NID_P256,
            Curve::P384 => evp::NID_P384,
            Curve::P521 => evp::NID_P521,
        }
    }
}

/// The type of a key. New algorithms (ML-DSA) will be added as variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyType {
    Rsa {
        bits: u32,
    },
    /// An RSA key restricted to RSASSA-PSS (SPKI algorithm id-RSASSA-PSS).
    RsaPss {
        bits: u32,
    },
    Ec(Curve),
    Ed25519,
    MlDsa(MlDsa),
}

/// ML-DSA parameter sets (FIPS 204).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MlDsa {
    L44,
    L65,
    L87,
}

impl MlDsa {
    const ALL: [MlDsa; 3] = [MlDsa::L44, MlDsa::L65, MlDsa::L87];
    /// id-ml-dsa-44/65/87: the key's and the signature's algorithm OID (no parameters).
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            MlDsa::L44 => ML_DSA_44,
            MlDsa::L65 => ML_DSA_65,
            MlDsa::L87 => ML_DSA_87,
        }
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySpec {
    Rsa(u32),
    Ec(Curve),
    Ed25519,
}

fn key_type(k: &Pkey) -> Result<KeyType> {
    Ok(match k.kind() {
        Kind::Rsa => KeyType::Rsa { bits: k.bits() },
        Kind::RsaPss => KeyType::RsaPss { bits: k.bits() },
        Kind::Ec(n) if n == evp::NID_P256 => KeyType::Ec(Curve::P256),
        Kind::Ec(n) if n == evp::NID_P384 => KeyType::Ec(Curve::P384),
        Kind::Ec(n) if n == evp::NID_P521 => KeyType::Ec(Curve::P521),
        Kind::Ec(n) => {
            return Err(Error::cmp(format!(
                "EC curve with NID {n} not supported yet"
            )))
        }
        Kind::Ed25519 => KeyType::Ed25519,
        Kind::Pqdsa => {
            let spki = k
                .spki_der()
                .ok_or_else(|| Error::cmp("cannot encode ML-DSA public key"))?;
            let alg = spki::SubjectPublicKeyInfoRef::from_der(&spki)
                .map_err(|e| Error::cmp(format!("bad ML-DSA public key: {e}")))?
                .algorithm
                .oid;
            match MlDsa::ALL.iter().find(|m| m.oid() == alg) {
                Some(m) => KeyType::MlDsa(*m),
                None => {
                    return Err(Error::cmp(format!(
                        "post-quantum key type {alg} not supported yet"
                    )))
                }
            }
        }
        Kind::Other(id) => {
            return Err(Error::cmp(format!(
                "key type with NID {id} not supported yet"
            )))
        }
    })
}

/// A private key. Cloning is cheap (the key is reference counted); memory is cleared by AWS-LC on free.
#[derive(Clone)]
pub struct PrivateKey {
    pkey: Pkey,
    ktype: KeyType,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({:?})", self.ktype)
    }
}

/// A public key alone (checked to be one rcmp can use when parsed; only its DER and type are kept).
#[derive(Clone)]
pub struct PublicKey {
    ktype: KeyType,
    spki: Vec<u8>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({:?})", self.ktype)
    }
}

/// What `-newkey` may name: a key pair, or (for requests whose proof of possession is not a signature)
/// just a public key.
#[derive(Clone, Debug)]
pub enum KeyOrPub {
    Private(PrivateKey),
    Public(PublicKey),
}

/// Whether `cert` holds the public key of the SubjectPublicKeyInfo `spki_der`, compared as keys (not as
/// bytes), as OpenSSL's X509_check_private_key does also for a public key.
pub fn spki_matches_cert(spki_der: &[u8], cert: &cert::Cert) -> bool {
    let Some(ours) = Pkey::parse_spki(spki_der) else {
        return false;
    };
    cert.spki_der()
        .ok()
        .and_then(|d| Pkey::parse_spki(&d))
        .is_some_and(|theirs| ours.public_eq(&theirs))
}

impl KeyOrPub {
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        match self {
            KeyOrPub::Private(k) => k.public_key_der(),
            KeyOrPub::Public(p) => Ok(p.spki.clone()),
        }
    }
    pub fn private(&self) -> Option<&PrivateKey> {
        match self {
            KeyOrPub::Private(k) => Some(k),
            KeyOrPub::Public(_) => None,
        }
    }
}

impl PrivateKey {
    fn new(pkey: Pkey) -> Result<Self> {
        let ktype = key_type(&pkey)?;
        Ok(PrivateKey { pkey, ktype })
    }

    /// From unencrypted PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        Self::new(Pkey::parse_pkcs8(der).ok_or_else(|| Error::cmp("invalid PKCS#8 private key"))?)
    }

    pub fn key_type(&self) -> KeyType {
        self.ktype
    }

    /// SubjectPublicKeyInfo DER of the public half.
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        self.pkey
            .spki_der()
            .ok_or_else(|| Error::cmp("cannot encode public key"))
    }

    /// Unencrypted PKCS#8 DER (for writing `-newkeyout` and the like).
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.pkey
            .pkcs8_der()
            .ok_or_else(|| Error::cmp("cannot encode private key"))
    }

    /// Unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        Ok(Zeroizing::new(pem::encode(
            "PRIVATE KEY",
            &self.to_pkcs8_der()?,
        )))
    }

    /// Encrypted PKCS#8 DER as OpenSSL 3 writes it by default: PBES2, PBKDF2 with HMAC-SHA256
    /// (2048 iterations, 16-byte random salt), AES-256-CBC.
    pub fn to_encrypted_pkcs8_der(&self, pass: &Secret) -> Result<Vec<u8>> {
        use der::Encode;
        let fail =
            |e: &dyn std::fmt::Display| Error::cmp(format!("cannot encrypt private key: {e}"));
        let salt = super::alg::random_bytes(16)?;
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&super::alg::random_bytes(16)?);
        let params =
            pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(2048, &salt, iv)
                .map_err(|e| fail(&e))?;
        let plain = self.to_pkcs8_der()?;
        let enc = params
            .encrypt(pass.as_bytes(), &plain)
            .map_err(|e| fail(&e))?;
        let info = pkcs8::EncryptedPrivateKeyInfoRef {
            encryption_algorithm: params.into(),
            encrypted_data: der::asn1::OctetStringRef::new(&enc).map_err(|e| fail(&e))?,
        };
        info.to_der().map_err(|e| fail(&e))
    }

    /// Encrypted PKCS#8 PEM (`-----BEGIN ENCRYPTED PRIVATE KEY-----`); see
    /// [`PrivateKey::to_encrypted_pkcs8_der`].
    pub fn to_encrypted_pkcs8_pem(&self, pass: &Secret) -> Result<String> {
        Ok(pem::encode(
            "ENCRYPTED PRIVATE KEY",
            &self.to_encrypted_pkcs8_der(pass)?,
        ))
    }

    /// Mark the key as one that makes only a few signatures, as a client run does before it exits:
    /// an RSA key is then blinded per signature by rcmp rather than by AWS-LC's per-key set-up, which
    /// costs less for up to about ten signatures and more after that (creds/evp/rsa_blind.rs). Other
    /// keys are unchanged. Call it before the key is shared between threads; earlier clones share it.
    pub(crate) fn for_few_signatures(self) -> Self {
        self.pkey.blind_per_signature();
        self
    }

    /// Whether [`PrivateKey::for_few_signatures`] marked this key (and it is an RSA key).
    #[cfg(test)]
    pub(crate) fn blinds_per_signature(&self) -> bool {
        self.pkey.blinds_per_signature()
    }

    /// Whether `spki_der` (e.g. of a certificate) is this key's public key.
    pub fn matches_public_key(&self, spki_der: &[u8]) -> bool {
        Pkey::parse_spki(spki_der).is_some_and(|p| self.pkey.public_eq(&p))
    }

    /// Whether `cert` holds this key's public key.
    pub fn matches_cert(&self, cert: &cert::Cert) -> bool {
        cert.spki_der().is_ok_and(|d| self.matches_public_key(&d))
    }

    /// Sign `data` as X.509/CMP signatures are made: RSA PKCS#1 v1.5 (PSS for RSA-PSS keys), ECDSA as DER
    /// (r, s), Ed25519 over the data itself (`digest` is ignored).
    pub fn sign(&self, digest: Digest, data: &[u8]) -> Result<Vec<u8>> {
        match self.ktype {
            KeyType::RsaPss { .. } => self.sign_pss(digest, data),
            KeyType::Ed25519 | KeyType::MlDsa(_) => self
                .pkey
                .sign(None, None, data)
                .ok_or_else(|| Error::cmp(format!("{:?} signing failed", self.ktype))),
            _ => self
                .pkey
                .sign(Some(digest), None, data)
                .ok_or_else(|| self.sign_failed(format!("signing with {} failed", digest.name()))),
        }
    }

    /// The error of a failed signature. RSA keys are loaded without checking that their values
    /// belong together (evp/rsa_parse.rs), and AWS-LC refuses to release a signature made with
    /// such a key, so that is the likely reason and worth naming.
    fn sign_failed(&self, what: String) -> Error {
        if matches!(self.ktype, KeyType::Rsa { .. } | KeyType::RsaPss { .. })
            && !self.pkey.rsa_consistent()
        {
            return Error::cmp(format!(
                "{what}: the RSA private key is inconsistent (its values do not belong together)"
            ));
        }
        Error::cmp(what)
    }

    /// RSASSA-PSS signature with MGF1 over the same digest and a salt as long as the digest.
    pub fn sign_pss(&self, digest: Digest, data: &[u8]) -> Result<Vec<u8>> {
        if !matches!(self.ktype, KeyType::Rsa { .. } | KeyType::RsaPss { .. }) {
            return Err(Error::cmp("RSA-PSS signing needs an RSA key"));
        }
        let pss = Pss {
            hash: digest,
            mgf1: digest,
            salt_len: digest.output_len() as u32,
        };
        self.pkey
            .sign(Some(digest), Some(pss), data)
            .ok_or_else(|| {
                self.sign_failed(format!("RSA-PSS signing with {} failed", digest.name()))
            })
    }

    /// The AlgorithmIdentifier of what [`PrivateKey::sign`] produces with `digest`.
    pub fn signature_algorithm(&self, digest: Digest) -> Result<AlgorithmIdentifierOwned> {
        match self.ktype {
            KeyType::Rsa { .. } => rsa_pkcs1_alg(digest),
            KeyType::RsaPss { .. } => pss_alg(digest),
            KeyType::Ec(_) => ecdsa_alg(digest),
            KeyType::Ed25519 => Ok(AlgorithmIdentifierOwned {
                oid: ED25519,
                parameters: None,
            }),
            KeyType::MlDsa(m) => Ok(AlgorithmIdentifierOwned {
                oid: m.oid(),
                parameters: None,
            }),
        }
    }

    /// The AlgorithmIdentifier of what [`PrivateKey::sign_pss`] produces.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn signature_algorithm_pss(&self, digest: Digest) -> Result<AlgorithmIdentifierOwned> {
        pss_alg(digest)
    }
}

impl PublicKey {
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let pkey =
            Pkey::parse_spki(der).ok_or_else(|| Error::cmp("invalid or unsupported public key"))?;
        let ktype = key_type(&pkey)?;
        Ok(PublicKey {
            ktype,
            spki: der.to_vec(),
        })
    }
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }
    /// PEM `-----BEGIN PUBLIC KEY-----`.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki)
    }
}

/// The registry's signature algorithm for a key of kind `kind` with digest `d`.
fn sig_alg_of(kind: KeyKind, d: Digest) -> Option<ObjectIdentifier> {
    super::alg::sig_alg_for(kind, d).map(|a| a.oid)
}

const DER_NULL: [u8; 2] = [0x05, 0x00];

fn rsa_pkcs1_alg(d: Digest) -> Result<AlgorithmIdentifierOwned> {
    let Some(oid) = sig_alg_of(KeyKind::Rsa, d) else {
        return Err(Error::cmp(format!(
            "RSA signature with digest {} not supported",
            d.name()
        )));
    };
    let null = der::Any::from_der(&DER_NULL).map_err(|e| Error::cmp(e.to_string()))?;
    Ok(AlgorithmIdentifierOwned {
        oid,
        parameters: Some(null),
    })
}

fn ecdsa_alg(d: Digest) -> Result<AlgorithmIdentifierOwned> {
    let Some(oid) = sig_alg_of(KeyKind::Ec, d) else {
        return Err(Error::cmp(format!(
            "ECDSA signature with digest {} not supported",
            d.name()
        )));
    };
    Ok(AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    })
}

fn hash_alg_der(d: Digest) -> Vec<u8> {
    // OpenSSL writes NULL parameters for the hash AlgorithmIdentifiers inside PSS parameters.
    let oid = d.oid();
    tlv(
        0x30,
        &[tlv(0x06, oid.as_bytes()), DER_NULL.to_vec()].concat(),
    )
}

/// RSASSA-PSS-params with hash = MGF1 hash = `d`, salt length = digest length, trailer field default.
fn pss_alg(d: Digest) -> Result<AlgorithmIdentifierOwned> {
    let mut body = Vec::new();
    if d != Digest::Sha1 {
        body.extend(tlv(0xa0, &hash_alg_der(d)));
        let mgf = [tlv(0x06, MGF1.as_bytes()), hash_alg_der(d)].concat();
        body.extend(tlv(0xa1, &tlv(0x30, &mgf)));
    }
    let salt = d.output_len();
    if salt != 20 {
        body.extend(tlv(0xa2, &int_der(salt)));
    }
    let params = der::Any::from_der(&tlv(0x30, &body)).map_err(|e| Error::cmp(e.to_string()))?;
    Ok(AlgorithmIdentifierOwned {
        oid: RSA_PSS,
        parameters: Some(params),
    })
}

fn int_der(n: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (n as u64)
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    if bytes.is_empty() || bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    tlv(0x02, &bytes)
}

/// Parse RSASSA-PSS-params (RFC 4055), applying the SHA-1/MGF1-SHA-1/20 defaults.
fn parse_pss(params: Option<&der::Any>) -> Result<Pss> {
    let bad = || Error::cmp("invalid RSASSA-PSS parameters");
    let mut p = Pss {
        hash: Digest::Sha1,
        mgf1: Digest::Sha1,
        salt_len: 20,
    };
    let Some(params) = params else { return Ok(p) };
    let mut rest: &[u8] = params.value();
    while !rest.is_empty() {
        let field = super::first_tlv(rest).ok_or_else(bad)?;
        rest = &rest[field.len()..];
        let inner = super::tlv_content(field).ok_or_else(bad)?;
        let digest_of = |alg_der: &[u8]| -> Result<Digest> {
            let a = AlgorithmIdentifierOwned::from_der(alg_der).map_err(|_| bad())?;
            Digest::from_oid(&a.oid)
                .ok_or_else(|| Error::cmp(format!("unsupported RSASSA-PSS hash {}", a.oid)))
        };
        match field[0] {
            0xa0 => p.hash = digest_of(inner)?,
            0xa1 => {
                let mgf = AlgorithmIdentifierOwned::from_der(inner).map_err(|_| bad())?;
                if mgf.oid != MGF1 {
                    return Err(Error::cmp(format!(
                        "unsupported RSASSA-PSS mask generation function {}",
                        mgf.oid
                    )));
                }
                let h = mgf.parameters.as_ref().ok_or_else(bad)?;
                let h_der = der::Encode::to_der(h).map_err(|_| bad())?;
                p.mgf1 = digest_of(&h_der)?;
            }
            0xa2 => {
                let i = AnyRef::from_der(inner).map_err(|_| bad())?;
                let v = i.value();
                if i.tag() != der::Tag::Integer || v.is_empty() || v.len() > 4 || v[0] & 0x80 != 0 {
                    return Err(bad());
                }
                p.salt_len = v.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b));
            }
            0xa3 => {
                if inner != [0x02, 0x01, 0x01] {
                    return Err(Error::cmp("unsupported RSASSA-PSS trailer field"));
                }
            }
            _ => return Err(bad()),
        }
    }
    Ok(p)
}

/// Verify `sig` over `data` with the public key `spki_der` under the signature algorithm `alg`
/// (RSA PKCS#1 v1.5, RSA-PSS with explicit parameters, ECDSA, Ed25519).
pub fn verify_signature(
    spki_der: &[u8],
    alg: &AlgorithmIdentifierOwned,
    data: &[u8],
    sig: &[u8],
) -> Result<()> {
    verified(signature_verifies(spki_der, alg, data, sig)?)
}

/// A signature check's answer as a result: `Err` when the signature does not verify.
fn verified(ok: bool) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::cmp("signature verification failed"))
    }
}

/// Like [`verify_signature`], but tells a signature that does not verify (`Ok(false)`) apart from a key
/// or algorithm that cannot be used at all (`Err`), for callers that word the two cases differently.
pub fn signature_verifies(
    spki_der: &[u8],
    alg: &AlgorithmIdentifierOwned,
    data: &[u8],
    sig: &[u8],
) -> Result<bool> {
    let key = Pkey::parse_spki(spki_der)
        .ok_or_else(|| Error::cmp("invalid or unsupported public key"))?;
    check_with(&key, alg, data, sig)
}

/// The RSASSA-PSS hash of a signature AlgorithmIdentifier's parameters (SHA-1 when absent, as RFC 4055
/// defaults it); an error for malformed or unsupported parameters.
pub fn pss_hash(params: Option<&der::Any>) -> Result<Digest> {
    parse_pss(params).map(|p| p.hash)
}

fn check_with(key: &Pkey, alg: &AlgorithmIdentifierOwned, data: &[u8], sig: &[u8]) -> Result<bool> {
    let mismatch = || {
        Error::cmp(format!(
            "signature algorithm {} does not fit the public key type",
            alg.oid
        ))
    };
    let entry = super::alg::sig_alg(&alg.oid);
    if let Some(a) = entry.filter(|a| a.key == KeyKind::Dsa) {
        // DSA keys are only verified (a client may prove possession of one to the mock server), never
        // used or generated, so `key_type` does not know them.
        if key.kind() != Kind::Other(evp::EVP_PKEY_DSA) {
            return Err(mismatch());
        }
        return Ok(key.verify(a.digest, None, data, sig));
    }
    let kt = key_type(key)?;
    let unsupported = || Error::cmp(format!("unsupported signature algorithm {}", alg.oid));
    let entry = entry.ok_or_else(unsupported)?;
    let fits = match entry.key {
        KeyKind::Rsa => matches!(kt, KeyType::Rsa { .. }),
        // OpenSSL lets plain RSA keys make RSASSA-PSS signatures.
        KeyKind::RsaPss => matches!(kt, KeyType::Rsa { .. } | KeyType::RsaPss { .. }),
        KeyKind::Ec => matches!(kt, KeyType::Ec(_)),
        KeyKind::Ed25519 => kt == KeyType::Ed25519,
        KeyKind::MlDsa => matches!(kt, KeyType::MlDsa(m) if m.oid() == alg.oid),
        _ => return Err(unsupported()),
    };
    if !fits {
        return Err(mismatch());
    }
    if entry.key == KeyKind::RsaPss {
        let p = parse_pss(alg.parameters.as_ref())?;
        return Ok(key.verify(Some(p.hash), Some(p), data, sig));
    }
    Ok(key.verify(entry.digest, None, data, sig))
}

/// Generate a new key pair.
pub fn generate_key(spec: KeySpec) -> Result<PrivateKey> {
    let (kind, bits) = match spec {
        KeySpec::Rsa(bits) if (1024..=16384).contains(&bits) => (Kind::Rsa, bits),
        KeySpec::Rsa(bits) => {
            return Err(Error::cmp(format!("RSA key length {bits} not supported")))
        }
        KeySpec::Ec(c) => (Kind::Ec(c.nid()), 0),
        KeySpec::Ed25519 => (Kind::Ed25519, 0),
    };
    PrivateKey::new(Pkey::generate(kind, bits).ok_or_else(|| Error::cmp("key generation failed"))?)
}

/// Decrypt an EncryptedPrivateKeyInfo. AWS-LC covers PBES1 and PBES2 with HMAC-SHA1/SHA-256 PRFs; the
/// RustCrypto implementation covers the other PBES2 PRFs (`-v2prf hmacWithSHA512`) and scrypt.
fn decrypt_pkcs8(der: &[u8], pw: &[u8]) -> Option<Pkey> {
    if let Some(k) = Pkey::parse_encrypted_pkcs8(der, pw) {
        return Some(k);
    }
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).ok()?;
    let plain = info.decrypt(pw).ok()?;
    Pkey::parse_pkcs8(plain.as_bytes())
}

fn is_encrypted_pkcs8(der: &[u8]) -> bool {
    pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).is_ok()
}

fn check_kdf_bound(der: &[u8], fail: &dyn Fn(&str) -> Error) -> Result<()> {
    if let Ok(info) = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der) {
        let iters = match &info.encryption_algorithm {
            pkcs8::pkcs5::EncryptionScheme::Pbes2(p) => p.kdf.pbkdf2().map(|k| k.iteration_count),
            pkcs8::pkcs5::EncryptionScheme::Pbes1(p) => {
                Some(u32::from(p.parameters.iteration_count))
            }
            _ => None,
        };
        if iters.is_some_and(|n| n > MAX_KDF_ITERATIONS) {
            return Err(fail(&format!(
                "key derivation iteration count above {MAX_KDF_ITERATIONS}"
            )));
        }
        if let pkcs8::pkcs5::EncryptionScheme::Pbes2(p) = &info.encryption_algorithm {
            if let Some(sc) = p.kdf.scrypt() {
                // scrypt needs 128 * r * N bytes (times p when run in parallel); refuse over 1 GiB.
                let mem = 128u128
                    * u128::from(sc.block_size)
                    * u128::from(sc.cost_parameter)
                    * u128::from(sc.parallelization.max(1));
                if mem > (1u128 << 30) {
                    return Err(fail("scrypt parameters need more than 1 GiB of memory"));
                }
            }
        }
    }
    Ok(())
}

/// Parse a private key from the bytes of one file; see [`load_key`].
pub fn key_from_bytes(
    data: &[u8],
    pass: Option<&Secret>,
    file: &str,
    desc: &str,
) -> Result<PrivateKey> {
    let fail = |why: &str| Error::cmp(format!("cannot load {desc} from '{file}': {why}"));
    let wrong_pass = || {
        if pass.is_none() {
            fail("the key is encrypted and no pass phrase was given")
        } else {
            Error::cmp(format!(
                "cannot decrypt {desc} from '{file}': wrong pass phrase?"
            ))
        }
    };
    let pw: &[u8] = pass.map_or(&[], |p| p.as_bytes());
    if data.is_empty() {
        return Err(fail("file is empty"));
    }
    if pem::looks_like_pem(data) {
        for b in pem::parse(data) {
            let b = match b {
                Ok(b) => b,
                Err(l) if l.ends_with("PRIVATE KEY") => {
                    return Err(fail(&format!("malformed PEM block '{l}'")))
                }
                Err(_) => continue,
            };
            let encrypted_legacy = b
                .headers
                .iter()
                .any(|(k, v)| k == "Proc-Type" && v.contains("ENCRYPTED"));
            let pkey = match b.label.as_str() {
                "PRIVATE KEY" => {
                    Pkey::parse_pkcs8(&b.der).ok_or_else(|| fail("invalid PKCS#8 private key"))?
                }
                "ENCRYPTED PRIVATE KEY" => {
                    check_kdf_bound(&b.der, &fail)?;
                    decrypt_pkcs8(&b.der, pw).ok_or_else(wrong_pass)?
                }
                "RSA PRIVATE KEY" | "EC PRIVATE KEY" if encrypted_legacy => {
                    Pkey::read_pem(b.text.as_bytes(), pw).ok_or_else(wrong_pass)?
                }
                "RSA PRIVATE KEY" | "EC PRIVATE KEY" => Pkey::parse_traditional(&b.der)
                    .ok_or_else(|| fail(&format!("invalid {}", b.label.to_lowercase())))?,
                _ => continue,
            };
            return PrivateKey::new(pkey)
                .map_err(|e| e.context(format!("cannot load {desc} from '{file}'")));
        }
        return Err(super::wrong_kind(
            fail("no private key found in PEM file"),
            file,
            data,
            "a private key",
        ));
    }
    if pkcs12::is_pkcs12(data) {
        let c = pkcs12::parse(data, pass, file, desc)?;
        let k = c
            .keys
            .first()
            .ok_or_else(|| fail("no private key found in PKCS#12 file"))?;
        let pkey =
            Pkey::parse_pkcs8(k).ok_or_else(|| fail("invalid private key in PKCS#12 file"))?;
        return PrivateKey::new(pkey)
            .map_err(|e| e.context(format!("cannot load {desc} from '{file}'")));
    }
    if let Some(p) = Pkey::parse_pkcs8(data).or_else(|| Pkey::parse_traditional(data)) {
        return PrivateKey::new(p)
            .map_err(|e| e.context(format!("cannot load {desc} from '{file}'")));
    }
    if is_encrypted_pkcs8(data) {
        check_kdf_bound(data, &fail)?;
        let p = decrypt_pkcs8(data, pw).ok_or_else(wrong_pass)?;
        return PrivateKey::new(p)
            .map_err(|e| e.context(format!("cannot load {desc} from '{file}'")));
    }
    Err(fail(
        "no private key found (file is neither PEM nor DER nor PKCS#12 holding one)",
    ))
}

/// Load a private key (PEM, DER or PKCS#12, encrypted or not) for `desc`.
pub fn load_key(file: &str, pass: Option<&Secret>, desc: &str) -> Result<PrivateKey> {
    let data = Zeroizing::new(read_file(file, desc)?);
    key_from_bytes(&data, pass, file, desc)
}

/// Parse a public key from the bytes of one file: PEM `PUBLIC KEY`, DER SubjectPublicKeyInfo, or the
/// key of a certificate.
pub fn pubkey_from_bytes(data: &[u8], file: &str, desc: &str) -> Result<PublicKey> {
    let fail = |why: &str| Error::cmp(format!("cannot load {desc} from '{file}': {why}"));
    if data.is_empty() {
        return Err(fail("file is empty"));
    }
    if pem::looks_like_pem(data) {
        for b in pem::parse(data).flatten() {
            match b.label.as_str() {
                "PUBLIC KEY" => {
                    return PublicKey::from_spki_der(&b.der).map_err(|e| fail(&e.to_string()))
                }
                "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                    let c = cert::Cert::from_der(super::first_tlv(&b.der).unwrap_or(&b.der))
                        .map_err(|e| fail(&e.to_string()))?;
                    return PublicKey::from_spki_der(&c.spki_der()?)
                        .map_err(|e| fail(&e.to_string()));
                }
                _ => {}
            }
        }
        return Err(fail("no public key found in PEM file"));
    }
    if let Ok(p) = PublicKey::from_spki_der(data) {
        return Ok(p);
    }
    if let Ok(c) = cert::Cert::from_der(data) {
        return PublicKey::from_spki_der(&c.spki_der()?).map_err(|e| fail(&e.to_string()));
    }
    Err(fail("no public key found (file is neither PEM nor DER)"))
}

/// Load a public key alone.
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn load_pubkey(file: &str, desc: &str) -> Result<PublicKey> {
    let data = read_file(file, desc)?;
    pubkey_from_bytes(&data, file, desc)
}

/// Load a private key, or failing that a public key (`-newkey` accepts either).
pub fn load_key_or_pubkey(file: &str, pass: Option<&Secret>, desc: &str) -> Result<KeyOrPub> {
    let data = Zeroizing::new(read_file(file, desc)?);
    match key_from_bytes(&data, pass, file, desc) {
        Ok(k) => Ok(KeyOrPub::Private(k)),
        Err(key_err) => {
            // A key that failed to decrypt must not silently turn into "public key only".
            let has_private = pem::looks_like_pem(&data)
                && pem::parse(&data)
                    .any(|b| b.as_ref().is_ok_and(|b| b.label.ends_with("PRIVATE KEY")));
            if has_private || pkcs12::is_pkcs12(&data) {
                return Err(key_err);
            }
            // OpenSSL takes a private or a public key here, not a certificate's key.
            let no_key = || {
                let e = Error::cmp(format!(
                    "cannot load {desc} from '{file}': no private or public key found"
                ));
                super::wrong_kind(e, file, &data, "a key")
            };
            if super::holds(&data) != Some("a public key") && pem::looks_like_pem(&data) {
                return Err(no_key());
            }
            if !pem::looks_like_pem(&data) && cert::Cert::from_der(&data).is_ok() {
                return Err(no_key());
            }
            pubkey_from_bytes(&data, file, desc)
                .map(KeyOrPub::Public)
                .map_err(|_| no_key())
        }
    }
}
