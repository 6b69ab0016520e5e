//! Building request messages: the PKIHeader, the bodies (ir/cr/kur/p10cr, rr, genm, certConf, pollReq,
//! error), and their protection (PBM with `-secret`, else a signature with `-key`).

use std::time::{Duration, SystemTime};

use der::asn1::{BitString, Null, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode};
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::Time;

use super::ctx::{Cmd, Ctx};
use super::wire::*;
use crate::creds::{self, Cert, PrivateKey};
use crate::error::Result;
use crate::protect::sig;

/// The certReqId the client uses for its single request (OpenSSL's `OSSL_CMP_CERTREQID`).
pub const CERTREQID: i64 = 0;
/// "No specific request" (p10cr, and polling for non-certificate responses).
pub const CERTREQID_NONE: i64 = -1;

/// The per-transaction values that go into every header: the one transaction state (kept under
/// this name for the callers that build single requests).
pub type HeaderState = super::txn::TxnState;

fn octets(v: &[u8]) -> Result<OctetString> {
    OctetString::new(v.to_vec()).map_err(|e| cmp_err!("OCTET STRING: {e}"))
}

/// The header sender: subject of `-cert`, else of `-oldcert`, else of the CSR, else `-subject`, else the
/// NULL-DN.
pub fn sender(ctx: &Ctx) -> Name {
    if let Some(c) = &ctx.cert {
        return c.subject().clone();
    }
    if let Some(c) = &ctx.oldcert {
        return c.subject().clone();
    }
    if let Some(c) = &ctx.csr {
        return c.subject().clone();
    }
    ctx.subject.clone().unwrap_or_default()
}

/// The header recipient: `-recipient`, else subject of `-srvcert`, else `-issuer`, else issuer of
/// `-oldcert`, else issuer of `-cert`, else the NULL-DN.
pub fn recipient(ctx: &Ctx) -> Name {
    if let Some(r) = &ctx.recipient {
        return r.clone();
    }
    if let Some(c) = &ctx.srvcert {
        return c.subject().clone();
    }
    if let Some(i) = &ctx.issuer {
        return i.clone();
    }
    if let Some(c) = &ctx.oldcert {
        return c.issuer().clone();
    }
    if let Some(c) = &ctx.cert {
        return c.issuer().clone();
    }
    Name::default()
}

/// A fresh header; returns it with the senderNonce it carries.
pub fn header(ctx: &Ctx, st: &HeaderState, implicit_confirm: bool) -> Result<(PkiHeader, Vec<u8>)> {
    let nonce = creds::random_bytes(16)?;
    let mut general_info = Vec::new();
    if implicit_confirm {
        general_info.push(InfoTypeAndValue {
            info_type: oids::IT_IMPLICIT_CONFIRM,
            info_value: Some(Any::from(Null)),
        });
    }
    general_info.extend(ctx.geninfo.iter().cloned());
    let now = crate::asn1::CmpTime::from_system_time(truncate_secs(SystemTime::now()))
        .map_err(|e| cmp_err!("cannot encode messageTime: {e}"))?;
    let h = PkiHeader {
        pvno: 2,
        sender: GeneralName::DirectoryName(sender(ctx)),
        recipient: GeneralName::DirectoryName(recipient(ctx)),
        message_time: Some(now),
        protection_alg: None,
        sender_kid: None,
        recip_kid: None,
        transaction_id: Some(octets(&st.transaction_id)?),
        sender_nonce: Some(octets(&nonce)?),
        recip_nonce: st.recip_nonce.as_deref().map(octets).transpose()?,
        free_text: None,
        general_info: if general_info.is_empty() {
            None
        } else {
            Some(general_info)
        },
    };
    Ok((h, nonce))
}

fn truncate_secs(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

/// The chain of `-cert` sent in extraCerts: what the caller built, else the issuers found among
/// `-untrusted` (following issuer links, without validation, up to a self-issued certificate).
pub fn own_chain(ctx: &Ctx, cert: &Cert) -> Vec<Cert> {
    if let Some(c) = &ctx.own_chain {
        return c.clone();
    }
    crate::debug!("trying to build chain for own CMP signer cert");
    match crate::verify::build_approx_chain(cert, &ctx.untrusted, true) {
        Ok(mut chain) => {
            crate::debug!("success building chain for own CMP signer cert");
            if !chain.is_empty() {
                chain.remove(0); // the certificate itself
            }
            chain
        }
        Err(e) => {
            crate::warn!("could not build chain for own CMP signer cert: {e}");
            Vec::new()
        }
    }
}

/// Add protection (and the extraCerts that go with it) to a message, as OpenSSL's
/// `ossl_cmp_msg_protect` does: nothing with `-unprotected_requests`; PBM (or PBMAC1 with `-pbmac1`)
/// when a secret is given;
/// else a signature with `-key` (and `-cert` plus its chain in extraCerts).
pub fn protect(ctx: &Ctx, st: &HeaderState, msg: &mut PkiMessage) -> Result<()> {
    msg.protection = None;
    msg.header.protection_alg = None;
    let mut extra: Vec<CmpCertificate> = Vec::new();
    if ctx.unprotected_requests {
        // Nothing to add; extraCerts still go out below.
    } else if let Some(secret) = &ctx.secret {
        let params = ctx.mac_options.fresh(ctx.digest, ctx.mac)?;
        msg.header.protection_alg = Some(params.algorithm_identifier()?);
        msg.header.sender_kid = ctx.reference.as_deref().map(octets).transpose()?;
        let value = params.protect(secret, &msg.protected_part_der()?)?;
        msg.protection = Some(
            BitString::from_bytes(&value)
                .map_err(|e| cmp_err!("cannot encode PBM protection: {e}"))?,
        );
    } else if let (Some(key), Some(cert)) = (&ctx.key, &ctx.cert) {
        // OpenSSL puts the signature algorithm's OID alone into the header (no NULL parameters for
        // RSA, unlike in certificates and POPO signatures), and so do we.
        let mut alg = key.signature_algorithm(ctx.digest)?;
        if alg.oid != crate::asn1::oid::RSASSA_PSS {
            alg.parameters = None;
        }
        msg.header.protection_alg = Some(alg);
        msg.header.sender_kid = cert.subject_key_id().as_deref().map(octets).transpose()?;
        let data = msg.protected_part_der()?;
        let (_, bits) = sig::protect(key, ctx.digest, &data)?;
        msg.protection = Some(bits);
        push_unique(&mut extra, cert)?;
        // Like OpenSSL, leave self-signed certificates of the chain out: the peer must have them anyway.
        for c in st
            .own_chain
            .iter()
            .filter(|c| !(c.is_self_issued() && c.verify_issued_by(c).is_ok()))
        {
            push_unique(&mut extra, c)?;
        }
    } else if ctx.key.is_some() {
        return Err(cmp_err!(
            "missing -cert for signature-based protection of requests"
        ));
    } else {
        return Err(cmp_err!(
            "missing key credentials: -secret, or -cert and -key, or -unprotected_requests"
        ));
    }
    for c in &ctx.extracerts {
        push_unique(&mut extra, c)?;
    }
    msg.extra_certs = if extra.is_empty() { None } else { Some(extra) };
    Ok(())
}

fn serial(bytes: &[u8]) -> Result<x509_cert::serial_number::SerialNumber> {
    x509_cert::serial_number::SerialNumber::new(bytes)
        .map_err(|e| cmp_err!("bad serial number: {e}"))
}

/// Add a certificate to extraCerts unless the same bytes are there already (OpenSSL compares
/// certificates by their encoding).
fn push_unique(v: &mut Vec<CmpCertificate>, c: &Cert) -> Result<()> {
    if !v.iter().any(|x| x.der() == c.der()) {
        v.push(
            CmpCertificate::from_cert(c).map_err(|e| cmp_err!("cannot encode extraCerts: {e}"))?,
        );
    }
    Ok(())
}

/// Assemble and protect a message with the given body.
pub fn message(
    ctx: &Ctx,
    st: &HeaderState,
    body: PkiBody,
    pvno: i64,
) -> Result<(PkiMessage, Vec<u8>)> {
    let with_ic = ctx.implicit_confirm
        && matches!(
            BodyType::of(&body),
            BodyType::Ir | BodyType::Cr | BodyType::Kur | BodyType::P10cr
        );
    let (mut header, nonce) = header(ctx, st, with_ic)?;
    header.pvno = pvno;
    let mut msg = PkiMessage {
        header,
        body,
        protection: None,
        extra_certs: None,
    };
    protect(ctx, st, &mut msg)?;
    Ok((msg, nonce))
}

// ---------------------------------------------------------------- certificate requests

fn has_san(ctx: &Ctx) -> bool {
    !ctx.sans.is_empty()
        || ctx
            .reqexts
            .iter()
            .any(|e| e.extn_id == oids::CE_SUBJECT_ALT_NAME)
}

/// Add or replace an extension (same OID replaces, as OpenSSL's `X509V3_ADD_REPLACE`).
fn put_ext(exts: &mut Vec<Extension>, e: Extension) {
    if let Some(slot) = exts.iter_mut().find(|x| x.extn_id == e.extn_id) {
        *slot = e;
    } else {
        exts.push(e);
    }
}

fn ext<T: Encode>(oid: ObjectIdentifier, critical: bool, value: &T) -> Result<Extension> {
    let v = value
        .to_der()
        .map_err(|e| cmp_err!("cannot encode extension {oid}: {e}"))?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: octets(&v)?,
    })
}

/// The public key to be certified, as OpenSSL's library picks it (also for the certConf key check):
/// `-newkey`, else the CSR's, else that of `-oldcert`, else of `-cert`, else `-key`'s.
pub(crate) fn new_public_key(ctx: &Ctx) -> Result<Option<Vec<u8>>> {
    if let Some(k) = &ctx.newkey {
        return k.public_key_der().map(Some);
    }
    if let Some(c) = &ctx.csr {
        return c.public_key_der().map(Some);
    }
    if let Some(c) = ctx.refcert() {
        return c.spki_der().map(Some);
    }
    if let Some(k) = &ctx.key {
        return k.public_key_der().map(Some);
    }
    Ok(None)
}

/// The key for a signature POPO: `-newkey` if it is private (none if it is only public), else `-key`.
fn popo_key(ctx: &Ctx) -> Option<&PrivateKey> {
    match &ctx.newkey {
        Some(k) => k.private(),
        None => ctx.key.as_ref(),
    }
}

fn utc_or_generalized(t: SystemTime) -> Result<Time> {
    Time::try_from(truncate_secs(t)).map_err(|e| cmp_err!("cannot encode validity time: {e}"))
}

/// The CertTemplate as OpenSSL's `OSSL_CMP_CTX_setup_CRM` fills it.
pub fn cert_template(ctx: &Ctx, for_kur: bool) -> Result<CertTemplate> {
    let refcert = ctx.refcert();
    let ref_subj = refcert.map(|c| c.subject().clone());
    let subject = if let Some(s) = &ctx.subject {
        if s.is_empty() {
            None
        } else {
            Some(s.clone())
        }
    } else if let Some(c) = &ctx.csr {
        Some(c.subject().clone())
    } else if for_kur || !has_san(ctx) {
        ref_subj
    } else {
        None
    };
    let issuer = match (&ctx.issuer, refcert) {
        (Some(i), _) => {
            if i.is_empty() {
                None
            } else {
                Some(i.clone())
            }
        }
        (None, Some(r)) => Some(r.issuer().clone()),
        (None, None) => None,
    };
    let central = ctx.central_keygen();
    let public_key = match new_public_key(ctx)? {
        Some(pubkey) => {
            let mut pk = spki::SubjectPublicKeyInfoOwned::from_der(&pubkey)
                .map_err(|e| cmp_err!("cannot decode public key: {e}"))?;
            if central {
                // Central key generation: the key's algorithm tells the CA which key type to
                // generate; the empty key value marks the request as such (RFC 9483 section 4.1.6).
                pk.subject_public_key = der::asn1::BitString::from_bytes(&[])
                    .map_err(|e| cmp_err!("cannot encode public key: {e}"))?;
            }
            Some(pk)
        }
        None if central => None,
        None => return Err(cmp_err!("missing public key")),
    };
    let validity = if ctx.days > 0 {
        let now = SystemTime::now();
        let later = now + Duration::from_secs(u64::from(ctx.days) * 86_400);
        Some(OptionalValidity {
            not_before: Some(utc_or_generalized(now)?),
            not_after: Some(utc_or_generalized(later)?),
        })
    } else {
        None
    };

    let mut exts: Vec<Extension> = match &ctx.csr {
        Some(c) => c.extensions()?,
        None => Vec::new(),
    };
    let san_crit = ctx.san_critical || subject.is_none();
    if !ctx.san_nodefault && !has_san(ctx) {
        if let Some(r) = refcert {
            if let Some(e) = r.extension(&oids::CE_SUBJECT_ALT_NAME) {
                let mut e = e.clone();
                e.critical = san_crit;
                put_ext(&mut exts, e);
            }
        }
    }
    for e in &ctx.reqexts {
        put_ext(&mut exts, e.clone());
    }
    if !ctx.sans.is_empty() {
        put_ext(
            &mut exts,
            ext(oids::CE_SUBJECT_ALT_NAME, san_crit, &ctx.sans)?,
        );
    }
    if !ctx.policy_oids.is_empty() {
        let pols: Vec<PolicyInformation> = ctx
            .policy_oids
            .iter()
            .map(|o| PolicyInformation {
                policy_identifier: *o,
                policy_qualifiers: None,
            })
            .collect();
        put_ext(
            &mut exts,
            ext(
                oids::CE_CERTIFICATE_POLICIES,
                ctx.policy_oids_critical,
                &pols,
            )?,
        );
    }
    Ok(CertTemplate {
        issuer,
        validity,
        subject,
        public_key,
        extensions: if exts.is_empty() { None } else { Some(exts) },
        ..CertTemplate::default()
    })
}

/// One CertReqMsg for ir/cr/kur, with the POPO `-popo` asks for.
pub fn cert_req_msg(ctx: &Ctx, for_kur: bool) -> Result<CertReqMsg> {
    if ctx.popo >= 1 && popo_key(ctx).is_none() {
        return Err(cmp_err!("missing private key for popo"));
    }
    if for_kur && ctx.refcert().is_none() && ctx.csr.is_none() {
        return Err(cmp_err!("missing reference cert"));
    }
    let template = cert_template(ctx, for_kur)?;
    let mut controls = Vec::new();
    if for_kur {
        if let Some(r) = ctx.refcert() {
            let cid = CertId {
                issuer: GeneralName::DirectoryName(r.issuer().clone()),
                serial_number: serial(r.serial())?,
            };
            controls.push(AttributeTypeAndValue {
                attr_type: oids::REG_CTRL_OLD_CERT_ID,
                value: Any::encode_from(&cid).map_err(|e| cmp_err!("oldCertID: {e}"))?,
            });
        }
    }
    let cert_req = CertRequest {
        cert_req_id: CERTREQID,
        cert_template: template,
        controls: if controls.is_empty() {
            None
        } else {
            Some(controls)
        },
    };
    let popo = match ctx.popo {
        // Central key generation: no key to prove possession of.
        -1 => None,
        0 => Some(ProofOfPossession::RaVerified(Null)),
        1 => {
            let key = popo_key(ctx).ok_or_else(|| cmp_err!("missing private key for popo"))?;
            // The key signing the POPO must be the one to be certified (e.g. -key against the
            // key of -oldcert for kur without -newkey), as OpenSSL checks.
            if let Some(pk) = new_public_key(ctx)? {
                if !key.matches_public_key(&pk) {
                    return Err(cmp_err!("key values mismatch"));
                }
            }
            let data = cert_req
                .to_der()
                .map_err(|e| cmp_err!("cannot encode CertRequest: {e}"))?;
            let (alg, signature) = sig::protect(key, ctx.digest, &data)?;
            Some(ProofOfPossession::Signature(PopoSigningKey {
                poposk_input: None,
                algorithm_identifier: alg,
                signature,
            }))
        }
        2 => {
            // POPOPrivKey subsequentMessage [1] encrCert (0): the CA is to return the certificate
            // encrypted for the new key.
            Some(ProofOfPossession::KeyEncipherment(
                PopoPrivKey::SubsequentMessage(0),
            ))
        }
        n => return Err(cmp_err!("invalid -popo value {n}")),
    };
    Ok(CertReqMsg {
        cert_req,
        popo,
        reg_info: None,
    })
}

/// The body of the first request of `ctx.cmd`.
pub fn first_body(ctx: &Ctx) -> Result<PkiBody> {
    Ok(match ctx.cmd {
        Cmd::Ir => PkiBody::Ir(vec![cert_req_msg(ctx, false)?]),
        Cmd::Cr => PkiBody::Cr(vec![cert_req_msg(ctx, false)?]),
        Cmd::Kur => PkiBody::Kur(vec![cert_req_msg(ctx, true)?]),
        Cmd::P10cr => {
            let csr = ctx
                .csr
                .as_ref()
                .ok_or_else(|| cmp_err!("missing PKCS#10 CSR for p10cr"))?;
            PkiBody::P10cr(
                Any::from_der(csr.der()).map_err(|e| cmp_err!("cannot encode CSR: {e}"))?,
            )
        }
        Cmd::Rr => PkiBody::Rr(vec![rev_details(ctx)?]),
        Cmd::Genm => PkiBody::Genm(ctx.genm_itavs.clone()),
    })
}

/// RevDetails for rr: by `-serial` and `-issuer`, else by `-oldcert` (or `-cert`), else by the CSR's
/// subject and public key.
pub fn rev_details(ctx: &Ctx) -> Result<RevDetails> {
    let mut t = CertTemplate::default();
    let oldcert = ctx.oldcert.as_ref().or(ctx.cert.as_ref());
    if let (Some(serial), Some(issuer)) = (&ctx.serial, &ctx.issuer) {
        t.issuer = Some(issuer.clone());
        t.serial_number = Some(self::serial(serial)?);
    } else if let Some(c) = oldcert {
        t.issuer = Some(c.issuer().clone());
        t.serial_number = Some(self::serial(c.serial())?);
    } else if let Some(csr) = &ctx.csr {
        t.subject = Some(csr.subject().clone());
        let pk = csr.public_key_der()?;
        t.public_key = Some(
            spki::SubjectPublicKeyInfoOwned::from_der(&pk)
                .map_err(|e| cmp_err!("cannot decode public key: {e}"))?,
        );
    } else {
        return Err(cmp_err!("missing reference cert"));
    }
    let crl_entry_details = if ctx.revreason >= 0 {
        // CRLReason ::= ENUMERATED
        let v = Any::new(der::Tag::Enumerated, vec![ctx.revreason as u8])
            .map_err(|e| cmp_err!("CRLReason: {e}"))?;
        Some(vec![ext(oids::CE_CRL_REASONS, false, &v)?])
    } else {
        None
    };
    Ok(RevDetails {
        cert_details: t,
        crl_entry_details,
    })
}

/// certConf for `cert`: accepted, or rejected with `fail_info` bits and `text`. Returns the body and
/// the pvno to use (3 when certHash needs an explicit hashAlg).
pub fn cert_conf(
    cert: &Cert,
    cert_req_id: i64,
    fail_info: u32,
    text: Option<&str>,
) -> Result<(PkiBody, i64)> {
    let (hash, fallback) = sig::cert_hash(cert)?;
    let status = if fail_info != 0 {
        PkiStatus::REJECTION
    } else {
        PkiStatus::ACCEPTED
    };
    let status_info = PkiStatusInfo::new(status, fail_info, text);
    let hash_alg = fallback.map(|d| spki::AlgorithmIdentifierOwned {
        oid: d.oid(),
        parameters: None,
    });
    let pvno = if hash_alg.is_some() { 3 } else { 2 };
    Ok((
        PkiBody::CertConf(vec![CertStatus {
            cert_hash: octets(&hash)?,
            cert_req_id,
            status_info: Some(status_info),
            hash_alg,
        }]),
        pvno,
    ))
}

/// pollReq for `rid`.
pub fn poll_req(rid: i64) -> PkiBody {
    PkiBody::PollReq(vec![PollReq { cert_req_id: rid }])
}

/// An error message (sent when the client aborts, e.g. polling restarted by the server).
pub fn error_body(
    status: PkiStatus,
    fail_info: u32,
    text: &str,
    details: Option<&str>,
) -> Result<PkiBody> {
    Ok(PkiBody::Error(ErrorMsgContent {
        pki_status_info: PkiStatusInfo::new(status, fail_info, Some(text)),
        error_code: Some(0),
        error_details: details.map(|d| vec![d.to_string()]),
    }))
}
