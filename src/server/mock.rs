//! The mock's answers per body type: certificate responses (fixed `-rsp_cert` or a freshly issued
//! certificate), polling, revocation, general messages, error and certConf handling.

use super::ca::{self, CertRequestData};
use super::crypto;
use super::msg::{body, Request};
use super::process::{bad_body, certs_of, dispatch, reason, Fail, Res, Rsp};
use super::process::{ERR_LIB_CRMF, FAIL_BAD_POP};
use super::state::Txn;
use super::Server;
use crate::asn1::crmf::{CertReqMsg, CertTemplate, Controls, ProofOfPossession};
use crate::asn1::oid;
use crate::asn1::status::PkiStatus;
use crate::asn1::{
    CertId, CertOrEncCert, CertRepMessage, CertResponse, CertifiedKeyPair, CmpCertificate,
    CrlSource, CrlStatus, InfoTypeAndValue, PkiBody, PkiStatusInfo, PollRep, RevRepContent,
    RootCaKeyUpdateContent,
};
use crate::compat::Compat;
use crate::creds::{self, names_equal, Cert, PrivateKey};
use const_oid::db::rfc5912;
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

/// The certificate the mock compares kur's oldCertID and rr's target with.
fn ref_cert(srv: &Server) -> Option<&[u8]> {
    if srv.cfg.compat == Compat::V3_0 {
        srv.cfg.rsp_cert.as_deref()
    } else {
        srv.cfg.ref_cert.as_deref()
    }
}

/// Whether (issuer, serial), as far as given, match the reference cert (or, without one in CA mode,
/// were issued by us).
fn matches_ref(srv: &Server, issuer: Option<&Name>, serial: Option<&[u8]>) -> bool {
    match ref_cert(srv).and_then(|c| Cert::from_der(c).ok()) {
        Some(r) => {
            issuer.is_none_or(|i| names_equal(i, r.issuer()))
                && serial.is_none_or(|s| s == r.serial())
        }
        // In CA mode without -rsp_cert, what we issued: the issuer must be our subject.
        None if srv.is_ca && srv.cfg.rsp_cert.is_none() => {
            let ca = srv
                .cfg
                .srv_cert
                .as_deref()
                .and_then(|c| Cert::from_der(c).ok());
            issuer.is_none_or(|i| ca.is_some_and(|ca| names_equal(i, ca.subject())))
        }
        // 3.0 without -rsp_cert cannot check anything; 3.5 accepts anything without -ref_cert.
        None => srv.cfg.compat != Compat::V3_0,
    }
}

/// `-send_error`: every request that gets this far is answered with an error.
fn refuse_if_send_error(srv: &Server) -> Res<()> {
    match srv.cfg.send_error {
        true => Err(reason::ERROR_PROCESSING_MESSAGE.into()),
        false => Ok(()),
    }
}

fn status_out(srv: &Server) -> PkiStatusInfo {
    PkiStatusInfo::new(
        PkiStatus(srv.cfg.pkistatus.into()),
        srv.cfg.failure_info(),
        srv.cfg.statusstring.as_deref(),
    )
}

/// What a CertTemplate (RFC 4211 section 5) asks for, to be certified for `spki`.
fn template_data(t: &CertTemplate, spki: Vec<u8>) -> CertRequestData {
    let unix = |t: Option<x509_cert::time::Time>| t.map(|t| t.to_unix_duration().as_secs() as i64);
    let validity = t.validity.clone().unwrap_or_default();
    CertRequestData {
        subject: t.subject.clone(),
        spki,
        extensions: t.extensions.clone().unwrap_or_default(),
        not_before: unix(validity.not_before),
        not_after: unix(validity.not_after),
    }
}

/// A bad POPO: the request is answered with a rejection, not an error message.
struct PopoFail(String);

/// Verify the proof of possession of one CertReqMsg (RFC 4211 section 4); `cert_req` is the
/// CertRequest as received, which a signature without poposkInput covers.
fn verify_popo(
    srv: &Server,
    cert_req: &[u8],
    popo: Option<&ProofOfPossession>,
    tmpl: &CertTemplate,
) -> Result<(), PopoFail> {
    let fail = |text: &str| Err(PopoFail(text.into()));
    let sk = match popo {
        None => return fail("popo missing"),
        Some(ProofOfPossession::RaVerified(_)) if srv.cfg.accept_raverified => return Ok(()),
        Some(ProofOfPossession::RaVerified(_)) => return fail("popo raverified not accepted"),
        Some(ProofOfPossession::Signature(sk)) => sk,
        Some(_) => return fail("unsupported popo method"),
    };
    let Some(key) = &tmpl.public_key else {
        return fail("popo inconsistent public key");
    };
    let input = match &sk.poposk_input {
        // Without poposkInput the signature covers the CertRequest, whose template must then name
        // the subject (RFC 4211 section 4.1).
        None if tmpl.subject.is_none() => return fail("popo missing subject"),
        None => Ok(cert_req.to_vec()),
        // POPOSigningKeyInput must carry the template's public key, as OpenSSL checks.
        Some(inp) if inp.public_key != *key => return fail("popo inconsistent public key"),
        Some(inp) => inp.to_der(),
    };
    let (input, key) = match (input, key.to_der()) {
        (Ok(input), Ok(key)) => (input, key),
        (Err(e), _) | (_, Err(e)) => return Err(PopoFail(e.to_string())),
    };
    match creds::signature_verifies(
        &key,
        &sk.algorithm_identifier,
        &input,
        sk.signature.raw_bytes(),
    ) {
        Ok(true) => Ok(()),
        _ => Err(PopoFail("popo invalid signature".into())),
    }
}

/// What a certificate request asks for, and how its proof of possession fared.
struct Asked {
    cert_req_id: i64,
    popo: Result<(), PopoFail>,
    /// None when there is no public key to certify.
    data: Option<CertRequestData>,
    old_cert_id: Option<OldCertId>,
    /// The key is to be generated centrally (from `-rsp_key`).
    central: bool,
}

/// p10cr: the CSR's subject, key and extensions; its self-signature is the POPO.
fn p10cr(der: &[u8]) -> Res<Asked> {
    let csr = creds::Csr::from_der(der).map_err(bad_body)?;
    let data = CertRequestData {
        subject: Some(csr.subject().clone()),
        spki: csr.public_key_der().map_err(bad_body)?,
        extensions: csr.extensions().map_err(bad_body)?,
        not_before: None,
        not_after: None,
    };
    let popo = csr.verify_signature();
    Ok(Asked {
        cert_req_id: -1,
        popo: popo.map_err(|e| PopoFail(format!("CSR signature: {e}"))),
        data: Some(data),
        old_cert_id: None,
        central: false,
    })
}

/// ir/cr/kur: the one CertReqMsg of the CertReqMessages `der`.
fn crmf(srv: &Server, der: &[u8]) -> Res<Asked> {
    let msgs = Vec::<der::AnyRef<'_>>::from_der(der).map_err(bad_body)?;
    let [msg] = msgs.as_slice() else {
        return Err(reason::MULTIPLE_REQUESTS_NOT_SUPPORTED.into());
    };
    if msg.value().is_empty() {
        return Err(reason::CERTREQMSG_NOT_FOUND.into());
    }
    let msg_der = msg.to_der().map_err(bad_body)?;
    let crm = CertReqMsg::from_der(&msg_der).map_err(bad_body)?;
    let (id, tmpl) = (crm.cert_req.cert_req_id, &crm.cert_req.cert_template);
    if id != 0 {
        return Err(reason::BAD_REQUEST_ID.into());
    }
    let old_cert_id = old_cert_id(crm.cert_req.controls.as_ref())?;
    // Central key generation (3.5): no public key in the template. From 3.5 on, a POPO must be
    // present exactly when the key is not generated centrally, else the request is an error
    // (3.0 answers a missing POPO with a badPOP rejection instead).
    let central = srv.cfg.compat != Compat::V3_0 && key_is_empty(tmpl);
    if srv.cfg.compat != Compat::V3_0 && central == crm.popo.is_some() {
        return Err(Fail {
            lib: ERR_LIB_CRMF,
            ..reason::POPO_INCONSISTENT_CENTRAL_KEYGEN.into()
        });
    }
    let (popo, spki) = if central {
        (Ok(()), central_public_key(srv))
    } else {
        let cert_req = first_element(&msg_der).map_err(bad_body)?;
        let spki = tmpl.public_key.as_ref().map(Encode::to_der);
        let spki = spki.transpose().map_err(bad_body)?;
        (verify_popo(srv, cert_req, crm.popo.as_ref(), tmpl), spki)
    };
    Ok(Asked {
        cert_req_id: id,
        popo,
        data: spki.map(|spki| template_data(tmpl, spki)),
        old_cert_id,
        central,
    })
}

/// ir/cr/p10cr/kur → ip/cp/kup.
pub fn cert_request(srv: &Server, req: &Request<'_>, txn: &mut Txn) -> Res {
    let asked = if req.body_type == body::P10CR {
        p10cr(req.body)?
    } else {
        crmf(srv, req.body)?
    };
    txn.cert_req_id = Some(asked.cert_req_id);
    finish_cert_request(srv, req, txn, asked)
}

/// Whether a template has no public key or an empty one: a central key generation request.
fn key_is_empty(t: &CertTemplate) -> bool {
    t.public_key
        .as_ref()
        .is_none_or(|k| k.subject_public_key.raw_bytes().is_empty())
}

/// The first element of a SEQUENCE (DER), as received.
fn first_element(seq: &[u8]) -> der::Result<&[u8]> {
    use der::Reader;
    der::SliceReader::new(seq)?.sequence(|s| {
        let first = s.tlv_bytes()?;
        s.read_slice(s.remaining_len())?;
        Ok(first)
    })
}

/// The public key of `-rsp_key`, for issuing a certificate to a centrally generated key.
fn central_public_key(srv: &Server) -> Option<Vec<u8>> {
    let der = srv.cfg.rsp_key.as_deref()?;
    PrivateKey::from_pkcs8_der(der).ok()?.public_key_der().ok()
}

/// The centrally generated key (`-rsp_key`) wrapped for the client whose signature certificate
/// validated the request, signed by the server's own certificate and key.
fn central_key(srv: &Server, txn: &Txn) -> Res<Vec<u8>> {
    let fail = Fail::because(reason::ERROR_CREATING_CERTREP);
    let cfg = &srv.cfg;
    let Some(key) = cfg.rsp_key.as_deref() else {
        return Err(reason::ERROR_PROCESSING_MESSAGE.into());
    };
    let key = PrivateKey::from_pkcs8_der(key).map_err(fail)?;
    // Like OpenSSL's server context, the recipient is the client signer certificate validated last,
    // which for a PBM-protected request is one of an earlier transaction (if any).
    let Some(recip) = txn.signer_cert.clone().or_else(|| srv.last_signer()) else {
        return Err(reason::ERROR_CREATING_CERTREP.into());
    };
    let recip = Cert::from_der(&recip).map_err(fail)?;
    let (Some(own_cert), Some(own_key)) = (cfg.srv_cert.as_deref(), cfg.srv_key.as_deref()) else {
        return Err(reason::ERROR_CREATING_CERTREP.into());
    };
    let own_cert = Cert::from_der(own_cert).map_err(fail)?;
    let own_key = PrivateKey::from_pkcs8_der(own_key).map_err(fail)?;
    let chain = certs_of(srv.own_chain.iter().map(Vec::as_slice));
    crate::protect::keywrap::wrap_key(&key, &recip, &own_cert, &own_key, &chain).map_err(fail)
}

/// oldCertID's issuer name (if a directoryName) and serial number octets.
type OldCertId = (Option<Name>, Vec<u8>);

/// The oldCertID registration control (RFC 4211 section 6.5) among a CertRequest's controls.
fn old_cert_id(controls: Option<&Controls>) -> Res<Option<OldCertId>> {
    let Some(ctrl) = controls
        .into_iter()
        .flatten()
        .find(|c| c.attr_type == oid::REG_CTRL_OLD_CERT_ID)
    else {
        return Ok(None);
    };
    let cid: CertId = ctrl.value.decode_as().map_err(bad_body)?;
    let issuer = crate::asn1::directory_name(&cid.issuer).cloned();
    Ok(Some((issuer, cid.serial_number.as_bytes().to_vec())))
}

/// The answer to a certificate request once its content is known.
fn finish_cert_request(srv: &Server, req: &Request<'_>, txn: &mut Txn, asked: Asked) -> Res {
    let cfg = &srv.cfg;
    let rep_type = match req.body_type {
        body::IR => body::IP,
        body::KUR => body::KUP,
        _ => body::CP,
    };
    let cert_req_id = asked.cert_req_id;
    let mut cert_out: Option<Vec<u8>> = None;
    let mut chain = Vec::new();
    let mut ca_pubs = Vec::new();
    let si = match asked.popo {
        Err(PopoFail(text)) => {
            srv_log!(Err, "{text}");
            PkiStatusInfo::new(PkiStatus::REJECTION, FAIL_BAD_POP, Some(&text))
        }
        Ok(()) => {
            refuse_if_send_error(srv)?;
            if cfg.poll_count > 0 && txn.curr_poll_count == 0 {
                txn.delayed_req = Some(req.raw.to_vec());
                txn.polling = true;
                let waiting = PkiStatusInfo::new(PkiStatus::WAITING, 0, None);
                let body = cert_rep(rep_type, cert_req_id, waiting, None, None, &[])?;
                return Ok(Rsp::new(body));
            }
            if txn.curr_poll_count >= cfg.poll_count {
                txn.curr_poll_count = 0;
            }
            if cfg.compat != Compat::V3_0 && req.body_type == body::CR {
                check_profile(req)?;
            }
            if req.body_type == body::KUR && ref_cert(srv).is_some() {
                let Some((issuer, serial)) = asked.old_cert_id else {
                    return Err(reason::MISSING_CERTID.into());
                };
                if !matches_ref(srv, issuer.as_ref(), Some(&serial)) {
                    return Err(reason::WRONG_CERTID.into());
                }
            }
            cert_out = match (&cfg.rsp_cert, srv.is_ca, asked.data) {
                (Some(c), ..) => Some(c.clone()),
                (None, true, Some(d)) => Some(issue(srv, &d)?),
                _ => None,
            };
            chain = cfg.rsp_extracerts.clone();
            if rep_type == body::IP {
                ca_pubs = cfg.rsp_capubs.clone();
            }
            status_out(srv)
        }
    };
    let status = si.status;
    let positive = !matches!(status, PkiStatus::REJECTION | PkiStatus::WAITING);
    let included = if positive { cert_out.as_deref() } else { None };
    let enc_key = match included {
        Some(_) if asked.central => Some(central_key(srv, txn)?),
        _ => None,
    };
    let body = cert_rep(
        rep_type,
        cert_req_id,
        si,
        included,
        enc_key.as_deref(),
        &ca_pubs,
    )?;
    let implicit = req.header.implicit_confirm() && cfg.grant_implicitconf && cert_out.is_some();
    txn.cert_out = cert_out;
    let mut rsp = Rsp::new(body);
    rsp.chain = chain;
    rsp.implicit = implicit;
    rsp.rejection = status == PkiStatus::REJECTION;
    Ok(rsp)
}

/// A certificate issued by our own CA certificate and key (CA mode, see `ca`).
fn issue(srv: &Server, d: &CertRequestData) -> Res<Vec<u8>> {
    let (Some(ca_der), Some(signer)) = (srv.cfg.srv_cert.as_deref(), srv.signer.as_ref()) else {
        return Err(reason::ERROR_PROCESSING_MESSAGE.into());
    };
    let r = reason::ERROR_PROCESSING_MESSAGE;
    let fail = |e: crate::error::Error| Fail::with(r, format!("cannot issue certificate: {e}"));
    ca::issue(&Cert::from_der(ca_der).map_err(fail)?, signer, d).map_err(fail)
}

/// 3.5's mock accepts a certProfile in cr only if it is `profile1`.
fn check_profile(req: &Request<'_>) -> Res<()> {
    for itav in req.header.general_info.iter().flatten() {
        if itav.info_type != oid::IT_CERT_PROFILE {
            continue;
        }
        let names = crate::asn1::cert_profile_names(itav).unwrap_or_default();
        return match names.first() {
            Some(n) if n == "profile1" => Ok(()),
            _ => Err(reason::UNEXPECTED_CERTPROFILE.into()),
        };
    }
    Ok(())
}

/// A certificate (DER) as the asn1 types carry it; a certificate we cannot decode cannot be sent.
fn cmp_cert(der: &[u8]) -> Res<CmpCertificate> {
    CmpCertificate::from_der(der).map_err(Fail::because(reason::ERROR_CREATING_CERTREP))
}

/// ip/cp/kup with one CertResponse; `enc_key` is an EnvelopedData (DER SEQUENCE) holding a centrally
/// generated key.
fn cert_rep(
    rep_type: u8,
    cert_req_id: i64,
    status: PkiStatusInfo,
    cert: Option<&[u8]>,
    enc_key: Option<&[u8]>,
    ca_pubs: &[Vec<u8>],
) -> Res<PkiBody> {
    let bad = Fail::because(reason::ERROR_CREATING_CERTREP);
    // privateKey [0] EncryptedKey, whose envelopedData alternative is [0] IMPLICIT.
    let ctx0 = der::Tag::ContextSpecific {
        constructed: true,
        number: der::TagNumber(0),
    };
    let private_key = enc_key
        .map(|k| der::Any::from_der(k).and_then(|env| der::Any::new(ctx0, env.value())))
        .transpose()
        .map_err(bad)?;
    let certified_key_pair = cert.map(cmp_cert).transpose()?.map(|c| CertifiedKeyPair {
        cert_or_enc_cert: CertOrEncCert::Certificate(c),
        private_key,
        publication_info: None,
    });
    let ca_pubs: Vec<_> = ca_pubs.iter().map(|c| cmp_cert(c)).collect::<Res<_>>()?;
    let rep = CertRepMessage {
        ca_pubs: (!ca_pubs.is_empty()).then_some(ca_pubs),
        response: vec![CertResponse {
            cert_req_id,
            status,
            certified_key_pair,
            rsp_info: None,
        }],
    };
    Ok(match rep_type {
        body::IP => PkiBody::Ip(rep),
        body::KUP => PkiBody::Kup(rep),
        _ => PkiBody::Cp(rep),
    })
}

/// rr → rp.
pub fn rr(srv: &Server, req: &Request<'_>) -> Res {
    let details = crate::asn1::RevReqContent::from_der(req.body).map_err(bad_body)?;
    let [d] = details.as_slice() else {
        return Err(reason::MULTIPLE_REQUESTS_NOT_SUPPORTED.into());
    };
    let tmpl = &d.cert_details;
    refuse_if_send_error(srv)?;
    let issuer = tmpl.issuer.as_ref();
    let serial = tmpl.serial_number.as_ref().map(SerialNumber::as_bytes);
    if (issuer.is_some() || serial.is_some()) && !matches_ref(srv, issuer, serial) {
        let r = reason::REQUEST_NOT_ACCEPTED;
        return Err(Fail::with(r, "wrong certificate to revoke"));
    }
    let rev_certs = match (&tmpl.issuer, &tmpl.serial_number) {
        (Some(i), Some(s)) => Some(vec![CertId {
            issuer: GeneralName::DirectoryName(i.clone()),
            serial_number: s.clone(),
        }]),
        _ => None,
    };
    let mut rsp = Rsp::new(PkiBody::Rp(RevRepContent {
        status: vec![status_out(srv)],
        rev_certs,
        crls: None,
    }));
    rsp.rejection = PkiStatus(srv.cfg.pkistatus.into()) == PkiStatus::REJECTION;
    Ok(rsp)
}

/// genm → genp: 3.0 echoes the ITAVs; 3.5 answers a single ITAV by type.
pub fn genm(srv: &Server, req: &Request<'_>) -> Res {
    let itavs = crate::asn1::GenMsgContent::from_der(req.body).map_err(bad_body)?;
    refuse_if_send_error(srv)?;
    if srv.cfg.compat == Compat::V3_0 {
        return Ok(Rsp::new(PkiBody::Genp(itavs)));
    }
    let one = match itavs.as_slice() {
        [] => return Ok(Rsp::new(PkiBody::Genp(Vec::new()))),
        [one] => one,
        _ => return Err(reason::ERROR_PROCESSING_MESSAGE.into()),
    };
    let value = one.info_value.as_ref().map(Encode::to_der);
    let value = value.transpose().map_err(bad_body)?;
    let answer = match one.info_type {
        oid::IT_CA_CERTS => {
            let capubs = &srv.cfg.rsp_capubs;
            let certs = (!capubs.is_empty())
                .then(|| der::Any::new(der::Tag::Sequence, capubs.concat()))
                .transpose()
                .map_err(bad_body)?;
            InfoTypeAndValue::new(oid::IT_CA_CERTS, certs)
        }
        oid::IT_ROOT_CA_CERT => root_ca_key_update(srv, value.as_deref())?,
        oid::IT_CRL_STATUS_LIST => crls(srv, value.as_deref())?,
        oid::IT_CERT_REQ_TEMPLATE => cert_req_template(srv)?,
        _ => one.clone(),
    };
    Ok(Rsp::new(PkiBody::Genp(vec![answer])))
}

/// rootCaCert → rootCaKeyUpdate with the configured certificates; an empty answer when the client's
/// root (`old_root`, DER) has a different subject than newWithNew.
fn root_ca_key_update(srv: &Server, old_root: Option<&[u8]>) -> Res<InfoTypeAndValue> {
    let cfg = &srv.cfg;
    let empty = InfoTypeAndValue::new(oid::IT_ROOT_CA_KEY_UPDATE, None);
    let Some(nwn) = cfg.rsp_newwithnew.as_deref() else {
        return Ok(empty);
    };
    if let Some(old_root) = old_root {
        let old = Cert::from_der(old_root).map_err(bad_body)?;
        let new = Cert::from_der(nwn).map_err(bad_body)?;
        if !names_equal(old.subject(), new.subject()) {
            return Ok(empty);
        }
    }
    let content = RootCaKeyUpdateContent {
        new_with_new: cmp_cert(nwn)?,
        new_with_old: cfg.rsp_newwithold.as_deref().map(cmp_cert).transpose()?,
        old_with_new: cfg.rsp_oldwithnew.as_deref().map(cmp_cert).transpose()?,
    };
    InfoTypeAndValue::with_value(oid::IT_ROOT_CA_KEY_UPDATE, &content).map_err(bad_body)
}

/// crlStatusList → crls: the configured CRL if it is newer than what the client has, else no CRL.
fn crls(srv: &Server, value: Option<&[u8]>) -> Res<InfoTypeAndValue> {
    let statuses = value
        .map(Vec::<CrlStatus>::from_der)
        .transpose()
        .map_err(bad_body)?;
    let Some([status]) = statuses.as_deref() else {
        return Err(Fail::new(201, "unexpected crlstatuslist"));
    };
    let none = InfoTypeAndValue::new(oid::IT_CRLS, None);
    let Some(crl) = srv.cfg.rsp_crl.as_deref() else {
        return Ok(none);
    };
    // The creds reader also takes v1 CRLs, which leave out the version x509-cert insists on.
    let loaded = creds::Crl::from_der(crl).map_err(bad_body)?;
    let tbs = &loaded.crl().tbs_cert_list;
    if let CrlSource::Issuer(names) = &status.source {
        // Only a directoryName can name the CRL issuer; compare with the issuer as encoded.
        let Some(GeneralName::DirectoryName(name)) = names.first() else {
            return Err(reason::SENDER_GENERALNAME_TYPE_NOT_SUPPORTED.into());
        };
        if !names_equal(name, &tbs.issuer) {
            return Err(Fail::new(200, "unknown crl issuer"));
        }
    }
    let newer = match &status.this_update {
        Some(t) => t.to_unix_duration() < tbs.this_update.to_unix_duration(),
        None => true,
    };
    if !newer {
        return Ok(none);
    }
    // The CRL goes out with the bytes it was loaded with.
    let crl = der::Any::from_der(crl).map_err(bad_body)?;
    InfoTypeAndValue::with_value(oid::IT_CRLS, &vec![crl]).map_err(bad_body)
}

/// certReqTemplate → a template naming the reference cert's issuer, with key specs (EC or RSA-4096),
/// as OpenSSL 3.5's mock answers.
fn cert_req_template(srv: &Server) -> Res<InfoTypeAndValue> {
    let ref_cert = srv.cfg.ref_cert.as_deref().map(Cert::from_der);
    let issuer = ref_cert.and_then(|c| c.ok()).map(|c| c.issuer().clone());
    let ec = spki::AlgorithmIdentifierOwned {
        oid: rfc5912::ID_EC_PUBLIC_KEY,
        parameters: None,
    };
    let control = |attr_type, value: der::Result<der::Any>| {
        value.map(|value| crate::asn1::AttributeTypeAndValue { attr_type, value })
    };
    let key_spec = vec![
        control(oid::REG_CTRL_ALG_ID, der::Any::encode_from(&ec)).map_err(bad_body)?,
        control(oid::REG_CTRL_RSA_KEY_LEN, der::Any::encode_from(&4096i64)).map_err(bad_body)?,
    ];
    let content = crate::asn1::CertReqTemplateContent {
        cert_template: crate::asn1::CertTemplate {
            issuer,
            ..Default::default()
        },
        key_spec: Some(key_spec),
    };
    InfoTypeAndValue::with_value(oid::IT_CERT_REQ_TEMPLATE, &content).map_err(bad_body)
}

/// error from the client (e.g. a client aborting while polling): printed as OpenSSL's mock prints
/// it, answered with pkiconf.
pub fn error(srv: &Server, req: &Request<'_>) -> Res {
    let c = crate::asn1::ErrorMsgContent::from_der(req.body).ok();
    // OpenSSL 3.0 quotes each errorDetails string; 3.5 prints them bare.
    let quote = |s: &String| match srv.cfg.compat {
        Compat::V3_0 => format!("\"{s}\""),
        _ => s.clone(),
    };
    let c = c.as_ref();
    let details = c.and_then(|c| c.error_details.as_ref());
    let fields = [
        ("pkiStatusInfo", c.map(|c| c.pki_status_info.to_text())),
        (
            "errorCode",
            c.and_then(|c| c.error_code).map(|n| n.to_string()),
        ),
        (
            "errorDetails",
            details.map(|d| d.iter().map(quote).collect::<Vec<_>>().join(", ")),
        ),
    ];
    let mut text = vec!["mock server received error:\n".to_string()];
    for (name, value) in fields {
        text.push(match value {
            Some(v) => format!("{name}: {v}\n"),
            None => format!("{name} absent\n"),
        });
    }
    crate::log::raw_stderr(&text.concat());
    Ok(Rsp::new(PkiBody::PkiConf(der::asn1::Null)))
}

/// certConf → pkiconf, after checking certReqId and certHash.
pub fn cert_conf(srv: &Server, req: &Request<'_>, txn: &mut Txn) -> Res {
    if !txn.awaiting_conf {
        return Err(reason::ERROR_UNEXPECTED_CERTCONF.into());
    }
    let statuses = crate::asn1::CertConfirmContent::from_der(req.body).map_err(bad_body)?;
    let Some(st) = statuses.first() else {
        srv_log!(Err, "certificate rejected by client");
        return Ok(Rsp::new(PkiBody::PkiConf(der::asn1::Null)));
    };
    if statuses.len() > 1 {
        srv_log!(Warn, "All CertStatus but the first will be ignored");
    }
    if Some(st.cert_req_id) != txn.cert_req_id {
        return Err(reason::BAD_REQUEST_ID.into());
    }
    refuse_if_send_error(srv)?;
    let Some(cert_der) = txn.cert_out.as_deref() else {
        return Err(reason::ERROR_PROCESSING_MESSAGE.into());
    };
    let cert = Cert::from_der(cert_der).map_err(bad_body)?;
    let alg = match &st.hash_alg {
        Some(a) => crypto::hash_from_oid(&a.oid),
        None => Some(crypto::hash_for_sig_alg(cert.signature_algorithm())),
    };
    let Some(alg) = alg else {
        return Err(reason::CERTHASH_UNMATCHED.into());
    };
    let hash = alg.hash(cert_der);
    if hash.map_err(|_| Fail::from(reason::ERROR_PROCESSING_MESSAGE))? != st.cert_hash.as_bytes() {
        return Err(reason::CERTHASH_UNMATCHED.into());
    }
    if let Some(si) = &st.status_info {
        if si.status != PkiStatus::ACCEPTED {
            // OpenSSL names only the status, in its long form.
            match si.status.description() {
                Some(t) => srv_log!(Info, "certificate rejected by client with {t}"),
                None => srv_log!(Info, "certificate rejected by client without PKIStatus"),
            }
        }
    }
    Ok(Rsp::new(PkiBody::PkiConf(der::asn1::Null)))
}

/// pollReq → pollRep, or the delayed answer once the client has polled often enough.
pub fn poll_req(srv: &Server, req: &Request<'_>, txn: &mut Txn) -> Res {
    if !txn.polling {
        return Err(reason::UNEXPECTED_PKIBODY.into());
    }
    let prc = crate::asn1::PollReqContent::from_der(req.body).map_err(bad_body)?;
    let [pr] = prc.as_slice() else {
        return Err(reason::MULTIPLE_REQUESTS_NOT_SUPPORTED.into());
    };
    let id = pr.cert_req_id;
    refuse_if_send_error(srv)?;
    if txn.delayed_req.is_none() {
        return Err(reason::UNEXPECTED_POLLREQ.into());
    }
    txn.curr_poll_count += 1;
    if txn.curr_poll_count >= srv.cfg.poll_count {
        let orig = txn.delayed_req.take().unwrap_or_default();
        txn.polling = false;
        let orig_req = Request::parse(&orig).map_err(bad_body)?;
        // The delayed request is answered in the context of this pollReq (its nonces and sender).
        return dispatch(srv, &orig_req, txn);
    }
    Ok(Rsp::new(PkiBody::PollRep(vec![PollRep {
        cert_req_id: id,
        check_after: i64::from(srv.cfg.check_after),
        reason: None,
    }])))
}
