//! Central key generation (RFC 9810 section 4.1.6, RFC 9483 section 4.1.6): the private key a CA
//! generated for the client travels in `CertifiedKeyPair.privateKey` as a CMS EnvelopedData whose
//! content is a SignedData (signed by the key generation authority) holding the key.
//!
//! Both directions live here, shared by both roles: [`unwrap_key`] for the client (through
//! `client::ckg`) and [`wrap_key`] for the mock server. The
//! variant is the one OpenSSL 3.5 produces and accepts: key transport (KeyTransRecipientInfo, RSA
//! PKCS#1 v1.5) to the client's signature certificate, AES-CBC content encryption, and a SignedData
//! with signed attributes whose signer must be trusted and authorised for key generation (a CA
//! certificate or one with the cmKGA extended key usage).

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::CmsVersion;
use cms::enveloped_data::{
    EncryptedContentInfo, EnvelopedData, KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo,
    RecipientInfos,
};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, OctetString, SetOfVec};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use zeroize::Zeroizing;

use crate::asn1::crmf::EncryptedKey;
use crate::asn1::oid::{
    AA_CONTENT_TYPE as CONTENT_TYPE, AA_MESSAGE_DIGEST as MESSAGE_DIGEST,
    AA_SIGNING_TIME as SIGNING_TIME, AES128_CBC, AES192_CBC, AES256_CBC, CT_DATA as ID_DATA,
    CT_SIGNED_DATA as ID_SIGNED_DATA, KP_CM_KGA, PKCS1, RSASSA_PSS, RSA_ENCRYPTION,
};
use crate::creds::key::key_from_bytes;
use crate::creds::{Cert, Digest, PrivateKey};
use crate::error::{Error, Result};
use crate::verify::TrustStore;

/// Ciphertexts and keys larger than this are not key packages.
const MAX_CONTENT: usize = 1 << 20;

fn bad(what: &str) -> Error {
    Error::cmp(format!("failed extracting central gen key: {what}"))
}

/// What the client needs to open a centrally generated key.
pub struct UnwrapParams<'a> {
    /// The client's own key (`-key`), to which the content-encryption key was transported.
    pub own_key: Option<&'a PrivateKey>,
    /// The client's certificate (`-cert`): only a recipient info naming it is tried, so a response
    /// cannot make the client try its key on ciphertexts meant for someone else (a padding oracle,
    /// the class of OpenSSL's CVE-2026-42768 fix).
    pub own_cert: Option<&'a Cert>,
    /// Trust anchors for the key generation authority's signature (`-trusted`).
    pub trusted: Option<&'a TrustStore>,
    /// Further certificates for building its chain (`-untrusted`, extraCerts received).
    pub untrusted: &'a [Cert],
}

/// Decrypt and verify a centrally generated private key.
pub fn unwrap_key(enc: &EncryptedKey, p: &UnwrapParams<'_>) -> Result<PrivateKey> {
    let der = match enc {
        EncryptedKey::EnvelopedData(d) => d,
        EncryptedKey::EncryptedValue(_) => {
            return Err(Error::cmp(
                "centrally generated key as EncryptedValue is not supported yet",
            ))
        }
    };
    let env = EnvelopedData::from_der(der).map_err(|e| bad(&format!("EnvelopedData: {e}")))?;
    // RFC 9810 section 5.2.2: the enveloped content is a SignedData; OpenSSL labels it id-data.
    let ct = &env.encrypted_content.content_type;
    if *ct != ID_DATA && *ct != ID_SIGNED_DATA {
        return Err(bad(&format!(
            "unexpected content type {ct} of the EnvelopedData (expected id-signedData or id-data)"
        )));
    }
    let cek = recover_cek(&env, p.own_key, p.own_cert)?;
    let plain = decrypt_content(&env.encrypted_content, &cek)?;
    let sd = parse_signed_data(&plain)?;
    let content = verify_signed_data(&sd, p.trusted, p.untrusted)?;
    key_from_bytes(
        &content,
        None,
        "central key generation response",
        "centrally generated key",
    )
    .map_err(|_| bad("cannot decode the private key in the key package"))
}

/// The content-encryption key, from the first key-transport recipient our key opens.
fn recover_cek(
    env: &EnvelopedData,
    own_key: Option<&PrivateKey>,
    own_cert: Option<&Cert>,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut seen = false;
    let mut named = false;
    for ri in env.recip_infos.0.iter() {
        let RecipientInfo::Ktri(k) = ri else { continue };
        seen = true;
        if own_cert.is_some_and(|c| !matches_rid(c, &k.rid)) {
            continue;
        }
        named = true;
        if k.key_enc_alg.oid != RSA_ENCRYPTION {
            continue;
        }
        let Some(key) = own_key else {
            return Err(bad("no -key for decrypting the content-encryption key"));
        };
        let pkcs8 = key.to_pkcs8_der()?;
        let Ok(dk) = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&pkcs8) else {
            continue;
        };
        let Ok(dk) = aws_lc_rs::rsa::Pkcs1PrivateDecryptingKey::new(dk) else {
            continue;
        };
        let mut out = Zeroizing::new(vec![0u8; dk.min_output_size()]);
        if let Ok(pt) = dk.decrypt(k.enc_key.as_bytes(), &mut out) {
            return Ok(Zeroizing::new(pt.to_vec()));
        }
    }
    Err(bad(if seen && !named {
        "no recipient info for the client's certificate"
    } else if seen {
        "cannot decrypt the content-encryption key with the client's key"
    } else {
        "no supported recipient info (only RSA key transport is supported yet)"
    }))
}

fn aes_alg(oid: &ObjectIdentifier) -> Option<&'static aws_lc_rs::cipher::Algorithm> {
    use aws_lc_rs::cipher::{AES_128, AES_192, AES_256};
    match *oid {
        AES128_CBC => Some(&AES_128),
        AES192_CBC => Some(&AES_192),
        AES256_CBC => Some(&AES_256),
        _ => None,
    }
}

fn decrypt_content(eci: &EncryptedContentInfo, cek: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    use aws_lc_rs::cipher::{DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
    let alg = aes_alg(&eci.content_enc_alg.oid)
        .ok_or_else(|| bad("unsupported content-encryption algorithm"))?;
    let iv = eci
        .content_enc_alg
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<OctetString>().ok())
        .ok_or_else(|| bad("missing IV"))?;
    let iv: [u8; 16] = iv.as_bytes().try_into().map_err(|_| bad("malformed IV"))?;
    let ct = eci
        .encrypted_content
        .as_ref()
        .ok_or_else(|| bad("no encrypted content"))?;
    if ct.as_bytes().len() > MAX_CONTENT {
        return Err(bad("encrypted content too large"));
    }
    let key = UnboundCipherKey::new(alg, cek).map_err(|_| bad("bad content-encryption key"))?;
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(key).map_err(|_| bad("cipher set-up"))?;
    let mut buf = Zeroizing::new(ct.as_bytes().to_vec());
    let n = key
        .decrypt(&mut buf, DecryptionContext::Iv128(iv.into()))
        .map_err(|_| bad("content decryption failed"))?
        .len();
    buf.truncate(n);
    Ok(buf)
}

/// The SignedData, bare (as OpenSSL sends it) or inside a ContentInfo.
fn parse_signed_data(plain: &[u8]) -> Result<SignedData> {
    if let Ok(sd) = SignedData::from_der(plain) {
        return Ok(sd);
    }
    let ci = cms::content_info::ContentInfo::from_der(plain)
        .map_err(|_| bad("decrypted content is not a SignedData"))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(bad("decrypted content is not a SignedData"));
    }
    ci.content
        .decode_as::<SignedData>()
        .map_err(|e| bad(&format!("SignedData: {e}")))
}

fn attr_value<'a>(attrs: &'a [Attribute], oid: &ObjectIdentifier) -> Option<&'a Any> {
    attrs
        .iter()
        .find(|a| a.oid == *oid)
        .and_then(|a| a.values.iter().next())
}

/// The signature algorithm to check a SignerInfo with: CMS names RSA signatures by the key
/// algorithm (rsaEncryption) and the digest separately.
fn effective_sig_alg(si: &SignerInfo) -> Result<AlgorithmIdentifierOwned> {
    if si.signature_algorithm.oid != RSA_ENCRYPTION {
        return Ok(si.signature_algorithm.clone());
    }
    let d = Digest::from_oid(&si.digest_alg.oid).ok_or_else(|| bad("unsupported digest"))?;
    let sha = matches!(
        d,
        Digest::Sha1 | Digest::Sha224 | Digest::Sha256 | Digest::Sha384 | Digest::Sha512
    );
    let oid = crate::creds::sig_alg_for(crate::creds::KeyKind::Rsa, d)
        .filter(|_| sha)
        .ok_or_else(|| bad("unsupported digest for RSA signature"))?
        .oid;
    Ok(AlgorithmIdentifierOwned {
        oid,
        parameters: Some(Any::null()),
    })
}

fn matches_rid(cert: &Cert, rid: &RecipientIdentifier) -> bool {
    match rid {
        RecipientIdentifier::IssuerAndSerialNumber(isn) => {
            crate::creds::names_equal(cert.issuer(), &isn.issuer)
                && cert.serial() == isn.serial_number.as_bytes()
        }
        RecipientIdentifier::SubjectKeyIdentifier(ski) => {
            cert.subject_key_id().as_deref() == Some(ski.0.as_bytes())
        }
    }
}

fn matches_sid(cert: &Cert, sid: &SignerIdentifier) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            crate::creds::names_equal(cert.issuer(), &isn.issuer)
                && cert.serial() == isn.serial_number.as_bytes()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            cert.subject_key_id().as_deref() == Some(ski.0.as_bytes())
        }
    }
}

/// Check the SignedData's signature and its signer's authorisation; return the signed content.
fn verify_signed_data(
    sd: &SignedData,
    trusted: Option<&TrustStore>,
    untrusted: &[Cert],
) -> Result<Zeroizing<Vec<u8>>> {
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|a| a.decode_as::<OctetString>().ok())
        .ok_or_else(|| bad("no key package in SignedData"))?;
    let content = Zeroizing::new(content.as_bytes().to_vec());
    let trusted = trusted.ok_or_else(|| {
        bad("no -trusted certificates for verifying the key generation authority")
    })?;
    let mut certs: Vec<Cert> = Vec::new();
    for c in sd.certificates.iter().flat_map(|s| s.0.iter()) {
        if let CertificateChoices::Certificate(c) = c {
            certs.push(Cert::from_parsed(c.clone())?);
        }
    }
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| bad("SignedData has no signer"))?;
    let signer = certs
        .iter()
        .chain(untrusted.iter())
        .find(|c| matches_sid(c, &si.sid))
        .ok_or_else(|| bad("signer certificate of the key package not found"))?
        .clone();
    let sig_alg = effective_sig_alg(si)?;
    let signed = match &si.signed_attrs {
        Some(attrs) => {
            let d =
                Digest::from_oid(&si.digest_alg.oid).ok_or_else(|| bad("unsupported digest"))?;
            let md = attr_value(attrs.as_slice(), &MESSAGE_DIGEST)
                .and_then(|a| a.decode_as::<OctetString>().ok())
                .ok_or_else(|| bad("no messageDigest attribute"))?;
            if md.as_bytes() != d.hash(&content)?.as_slice() {
                return Err(bad("message digest mismatch in key package"));
            }
            attrs.to_der().map_err(|e| bad(&e.to_string()))?
        }
        None => content.to_vec(),
    };
    let spki = signer.spki_der()?;
    crate::creds::key::verify_signature(&spki, &sig_alg, &signed, si.signature.as_bytes())
        .map_err(|_| bad("invalid signature on key package"))?;
    let mut pool: Vec<Cert> = certs;
    pool.extend_from_slice(untrusted);
    trusted
        .verify(&signer, &pool)
        .map_err(|e| bad(&format!("key generation authority not trusted: {e}")))?;
    let authorised = signer.is_ca()
        || signer
            .ext_key_usage()
            .is_some_and(|eku| eku.0.contains(&KP_CM_KGA));
    if !authorised {
        return Err(bad(
            "signer of key package is not authorised for key generation (neither CA nor cmKGA)",
        ));
    }
    Ok(content)
}

/// The inner private key encoding OpenSSL puts into the key package: the algorithm-specific form for
/// RSA (RSAPrivateKey), PKCS#8 otherwise.
fn key_package(key: &PrivateKey) -> Result<Zeroizing<Vec<u8>>> {
    let p8 = key.to_pkcs8_der()?;
    let info = pkcs8::PrivateKeyInfoRef::try_from(p8.as_slice())
        .map_err(|e| Error::cmp(format!("cannot encode private key: {e}")))?;
    if info.algorithm.oid == RSA_ENCRYPTION {
        return Ok(Zeroizing::new(info.private_key.as_bytes().to_vec()));
    }
    Ok(p8)
}

fn set_of<T: der::DerOrd + Clone>(v: Vec<T>) -> Result<SetOfVec<T>> {
    SetOfVec::try_from(v).map_err(|e| Error::cmp(format!("cannot encode SET OF: {e}")))
}

fn attr(oid: ObjectIdentifier, v: Any) -> Result<Attribute> {
    Ok(Attribute {
        oid,
        values: set_of(vec![v])?,
    })
}

fn isn(cert: &Cert) -> IssuerAndSerialNumber {
    IssuerAndSerialNumber {
        issuer: cert.issuer().clone(),
        serial_number: cert.cert().tbs_certificate().serial_number().clone(),
    }
}

fn any_of<T: der::EncodeValue + der::Tagged>(v: &T) -> Result<Any> {
    Any::encode_from(v).map_err(|e| Error::cmp(format!("cannot encode: {e}")))
}

/// The SignedData (DER) over `content`, signed by `cert`/`key` with SHA-256, carrying `cert` and
/// `chain`.
fn sign_content(content: &[u8], cert: &Cert, key: &PrivateKey, chain: &[Cert]) -> Result<Vec<u8>> {
    let fail = |e: der::Error| Error::cmp(format!("cannot encode key package: {e}"));
    let d = Digest::Sha256;
    let digest_alg = AlgorithmIdentifierOwned {
        oid: d.oid(),
        parameters: None,
    };
    let now = der::asn1::UtcTime::from_system_time(std::time::SystemTime::now()).map_err(fail)?;
    let attrs = set_of(vec![
        attr(CONTENT_TYPE, any_of(&ID_DATA)?)?,
        attr(SIGNING_TIME, any_of(&now)?)?,
        attr(
            MESSAGE_DIGEST,
            any_of(&OctetString::new(d.hash(content)?).map_err(fail)?)?,
        )?,
    ])?;
    let to_sign = attrs.to_der().map_err(fail)?;
    let sig = key.sign(d, &to_sign)?;
    let mut sig_alg = key.signature_algorithm(d)?;
    if sig_alg.oid.parent() == Some(PKCS1) && sig_alg.oid != RSASSA_PSS {
        // CMS names PKCS#1 v1.5 signatures by the key algorithm, as OpenSSL writes them.
        sig_alg = AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        };
    }
    let si = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(isn(cert)),
        digest_alg: digest_alg.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: sig_alg,
        signature: OctetString::new(sig).map_err(fail)?,
        unsigned_attrs: None,
    };
    let mut certs = vec![CertificateChoices::Certificate(cert.cert().clone())];
    certs.extend(
        chain
            .iter()
            .filter(|c| *c != cert)
            .map(|c| CertificateChoices::Certificate(c.cert().clone())),
    );
    let sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: set_of(vec![digest_alg])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: Some(any_of(&OctetString::new(content.to_vec()).map_err(fail)?)?),
        },
        certificates: Some(CertificateSet(set_of(certs)?)),
        crls: None,
        signer_infos: SignerInfos(set_of(vec![si])?),
    };
    sd.to_der().map_err(fail)
}

/// Wrap `key` for `recip` (the client's validated signature certificate) as OpenSSL's mock does:
/// SignedData by `signer_cert`/`signer_key`, enveloped with AES-256-CBC and RSA key transport.
/// Returns the EnvelopedData DER (a SEQUENCE).
pub fn wrap_key(
    key: &PrivateKey,
    recip: &Cert,
    signer_cert: &Cert,
    signer_key: &PrivateKey,
    chain: &[Cert],
) -> Result<Vec<u8>> {
    use aws_lc_rs::cipher::{
        EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey, AES_256,
    };
    let fail = |e: der::Error| Error::cmp(format!("cannot encode EnvelopedData: {e}"));
    let content = key_package(key)?;
    let sd = Zeroizing::new(sign_content(&content, signer_cert, signer_key, chain)?);
    let cek = Zeroizing::new(crate::creds::random_bytes(32)?);
    let iv: [u8; 16] = crate::creds::random_bytes(16)?
        .try_into()
        .map_err(|_| Error::cmp("cannot generate IV"))?;
    let ek = UnboundCipherKey::new(&AES_256, &cek).map_err(|_| Error::cmp("AES key set-up"))?;
    let ek = PaddedBlockEncryptingKey::cbc_pkcs7(ek).map_err(|_| Error::cmp("AES set-up"))?;
    let mut ct = sd.to_vec();
    ek.less_safe_encrypt(&mut ct, EncryptionContext::Iv128(iv.into()))
        .map_err(|_| Error::cmp("content encryption failed"))?;
    let spki = recip.spki_der()?;
    let pk = aws_lc_rs::rsa::PublicEncryptingKey::from_der(&spki).map_err(|_| {
        Error::cmp("central key generation needs an RSA client certificate for key transport")
    })?;
    let pk = aws_lc_rs::rsa::Pkcs1PublicEncryptingKey::new(pk)
        .map_err(|_| Error::cmp("RSA key set-up"))?;
    let mut wrapped = vec![0u8; pk.ciphertext_size()];
    let n = pk
        .encrypt(&cek, &mut wrapped)
        .map_err(|_| Error::cmp("key transport encryption failed"))?
        .len();
    wrapped.truncate(n);
    let ktri = KeyTransRecipientInfo {
        version: CmsVersion::V0,
        rid: RecipientIdentifier::IssuerAndSerialNumber(isn(recip)),
        key_enc_alg: AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        enc_key: OctetString::new(wrapped).map_err(fail)?,
    };
    let env = EnvelopedData {
        version: CmsVersion::V0,
        originator_info: None,
        recip_infos: RecipientInfos(set_of(vec![RecipientInfo::Ktri(ktri)])?),
        encrypted_content: EncryptedContentInfo {
            content_type: ID_DATA,
            content_enc_alg: AlgorithmIdentifierOwned {
                oid: AES256_CBC,
                parameters: Some(any_of(&OctetString::new(iv.to_vec()).map_err(fail)?)?),
            },
            encrypted_content: Some(OctetString::new(ct).map_err(fail)?),
        },
        unprotected_attrs: None,
    };
    env.to_der().map_err(fail)
}

// The tests' locator of OpenSSL's test PKI (fetched by scripts/fetch-deps), in the shared harness.
#[cfg(test)]
use crate::testutil as test_deps;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::VerifyParams;

    fn mock(name: &str) -> String {
        let dir = super::test_deps::corpus_mock_dir("latest");
        dir.join(name).to_string_lossy().into_owned()
    }
    fn cert(name: &str) -> Cert {
        crate::creds::load_cert(&mock(name), None, "test cert").expect("cert")
    }
    fn key(name: &str) -> PrivateKey {
        crate::creds::load_key(&mock(name), None, "test key").expect("key")
    }
    fn wrapped() -> EncryptedKey {
        let env = wrap_key(
            &key("new.key"),
            &cert("signer.crt"),
            &cert("server.crt"),
            &key("server.key"),
            &[],
        )
        .expect("wrap");
        EncryptedKey::EnvelopedData(env)
    }

    #[test]
    fn wrapped_key_opens_with_the_recipient_key_and_trusted_kga() {
        let store = TrustStore::new(vec![cert("trusted.crt")], VerifyParams::default());
        let own = key("signer.key");
        let me = cert("signer.crt");
        let p = UnwrapParams {
            own_key: Some(&own),
            own_cert: Some(&me),
            trusted: Some(&store),
            untrusted: &[],
        };
        let k = unwrap_key(&wrapped(), &p).expect("unwrap");
        assert_eq!(
            k.public_key_der().expect("spki"),
            key("new.key").public_key_der().expect("spki")
        );
    }

    #[test]
    fn untrusted_kga_or_wrong_recipient_key_is_refused() {
        let own = key("signer.key");
        let wrong_anchor = TrustStore::new(vec![cert("signer_root.crt")], VerifyParams::default());
        let p = UnwrapParams {
            own_key: Some(&own),
            own_cert: None,
            trusted: Some(&wrong_anchor),
            untrusted: &[],
        };
        let e = unwrap_key(&wrapped(), &p).expect_err("KGA not trusted");
        assert!(e.to_string().contains("not trusted"), "{e}");

        let store = TrustStore::new(vec![cert("trusted.crt")], VerifyParams::default());
        let other = key("server.key");
        let p = UnwrapParams {
            own_key: Some(&other),
            own_cert: None,
            trusted: Some(&store),
            untrusted: &[],
        };
        assert!(unwrap_key(&wrapped(), &p).is_err());

        // The right key, but the recipient info names another certificate: not even tried.
        let someone_else = cert("server.crt");
        let p = UnwrapParams {
            own_key: Some(&own),
            own_cert: Some(&someone_else),
            trusted: Some(&store),
            untrusted: &[],
        };
        let e = unwrap_key(&wrapped(), &p).expect_err("recipient mismatch");
        assert!(
            e.to_string()
                .contains("no recipient info for the client's certificate"),
            "{e}"
        );
    }
}
