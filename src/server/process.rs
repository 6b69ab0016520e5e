//! One request in, one response out: the checks OpenSSL's generic CMP server makes on every request
//! (sender name, transaction, protection, pvno, nonces, polling state), dispatch to the per-body
//! handlers in `mock`, and the response's header, protection and extraCerts.

use std::sync::atomic::{AtomicBool, Ordering};

use super::crypto::{self, Signer};
use super::msg::unix;
use super::msg::{body, body_name, Request};
use super::state::Txn;
use super::{mock, Answer, Server, SrvConfig};
use crate::asn1::status::PkiStatus;
use crate::asn1::{
    oid, CmpTime, ErrorMsgContent, InfoTypeAndValue, PkiBody, PkiHeader, PkiMessage, PkiStatusInfo,
};
use crate::compat::Compat;
use crate::creds::{random_bytes, Cert};
use crate::error::{Error, Result};
use crate::log::hex_colon;
use der::asn1::{BitString, OctetString};
use der::Decode;
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::KeyUsages;
use x509_cert::name::Name;

/// OpenSSL's library numbers (as ERR_PACK puts them into `errorCode`) and names (the first
/// errorDetails string), for the libraries whose errors the mock reports.
pub const ERR_LIB_X509: u32 = 11;
pub const ERR_LIB_CRMF: u32 = 56;
pub const ERR_LIB_CMP: u32 = 58;

fn lib_name(lib: u32) -> &'static str {
    match lib {
        ERR_LIB_X509 => "x509 certificate routines",
        ERR_LIB_CRMF => "CRMF routines",
        _ => "CMP routines",
    }
}

/// PKIFailureInfo bits used by the server itself.
pub const FAIL_BAD_REQUEST: u32 = 1 << 2;
pub const FAIL_BAD_POP: u32 = 1 << 9;

/// Why a request cannot be answered normally; becomes an `error` message. Like OpenSSL's error
/// queue, the first error names the answer (statusString, errorCode, errorDetails) and any later
/// ones are only logged.
#[derive(Debug)]
pub struct Fail {
    /// OpenSSL's library number of the first error (CMP unless said otherwise).
    pub lib: u32,
    /// OpenSSL's reason code.
    pub code: u32,
    /// OpenSSL's reason string (goes into the statusString).
    pub reason: &'static str,
    /// Extra detail (goes into errorDetails).
    pub details: Option<String>,
    /// Errors queued after the first one, as logged (`reason` or `reason:details`).
    pub also: Vec<String>,
}

impl Fail {
    pub fn new(code: u32, reason: &'static str) -> Fail {
        Fail {
            lib: ERR_LIB_CMP,
            code,
            reason,
            details: None,
            also: Vec::new(),
        }
    }
    pub fn with((code, reason): (u32, &'static str), details: impl Into<String>) -> Fail {
        Fail {
            details: Some(details.into()),
            ..Fail::new(code, reason)
        }
    }
    /// A `map_err` function giving this reason with the error's text as details.
    pub fn because<E: std::fmt::Display>(r: (u32, &'static str)) -> impl Fn(E) -> Fail + Copy {
        move |e| Fail::with(r, e.to_string())
    }
    /// The same failure with a further error queued after it.
    pub fn then(mut self, (_, reason): (u32, &'static str)) -> Fail {
        self.also.push(reason.to_string());
        self
    }
    /// The lines OpenSSL's server prints for its error queue.
    fn log(&self) {
        match &self.details {
            Some(d) => srv_log!(Err, "{}:{}", self.reason, d),
            None => srv_log!(Err, "{}", self.reason),
        }
        for a in &self.also {
            srv_log!(Err, "{a}");
        }
    }
}

/// OpenSSL's CMP reason codes and strings used by the server.
pub mod reason {
    pub const UNSUPPORTED_PKIBODY: (u32, &str) = (101, "unsupported pkibody");
    pub const EXPECTED_POLLREQ: (u32, &str) = (104, "expected pollreq");
    pub const UNEXPECTED_POLLREQ: (u32, &str) = (105, "unexpected pollreq");
    pub const BAD_REQUEST_ID: (u32, &str) = (108, "bad request id");
    pub const UNEXPECTED_PKIBODY: (u32, &str) = (133, "unexpected pkibody");
    pub const ERROR_VALIDATING_PROTECTION: (u32, &str) = (140, "error validating protection");
    pub const MISSING_PROTECTION: (u32, &str) = (143, "missing protection");
    pub const PKIBODY_ERROR: (u32, &str) = (146, "pkibody error");
    pub const RECIPNONCE_UNMATCHED: (u32, &str) = (148, "recipnonce unmatched");
    pub const REQUEST_NOT_ACCEPTED: (u32, &str) = (149, "request not accepted");
    pub const SENDER_GENERALNAME_TYPE_NOT_SUPPORTED: (u32, &str) =
        (150, "sender generalname type not supported");
    pub const UNEXPECTED_PVNO: (u32, &str) = (153, "unexpected pvno");
    pub const CERTHASH_UNMATCHED: (u32, &str) = (156, "certhash unmatched");
    pub const CERTREQMSG_NOT_FOUND: (u32, &str) = (157, "certreqmsg not found");
    pub const ERROR_PROCESSING_MESSAGE: (u32, &str) = (158, "error processing message");
    pub const ERROR_CREATING_CERTREP: (u32, &str) = (117, "error creating certrep");
    pub const MISSING_SECRET: (u32, &str) = (178, "missing secret");
    pub const WRONG_PBM_VALUE: (u32, &str) = (155, "wrong pbm value");
    pub const MISSING_TRUST_ANCHOR: (u32, &str) = (179, "missing trust anchor");
    pub const NO_SUITABLE_SENDER_CERT: (u32, &str) = (145, "no suitable sender cert");
    /// A CRMF reason (OpenSSL's CRMF library): POPO present although the key is to be generated
    /// centrally, or absent although it is not.
    pub const POPO_INCONSISTENT_CENTRAL_KEYGEN: (u32, &str) =
        (128, "popo inconsistent central keygen");
    pub const ERROR_UNEXPECTED_CERTCONF: (u32, &str) = (160, "error unexpected certconf");
    pub const MULTIPLE_REQUESTS_NOT_SUPPORTED: (u32, &str) =
        (161, "multiple requests not supported");
    pub const MISSING_CERTID: (u32, &str) = (165, "missing certid");
    pub const WRONG_CERTID: (u32, &str) = (189, "wrong certid");
    pub const UNEXPECTED_CERTPROFILE: (u32, &str) = (196, "unexpected certprofile");
}

/// A result whose error becomes an `error` answer.
pub type Res<T = Rsp> = std::result::Result<T, Fail>;

impl From<(u32, &'static str)> for Fail {
    fn from((code, reason): (u32, &'static str)) -> Fail {
        Fail::new(code, reason)
    }
}

/// A response body ready to be wrapped into a message.
pub struct Rsp {
    pub body: PkiBody,
    /// rsp_extracerts to append to extraCerts (certificate responses only).
    pub chain: Vec<Vec<u8>>,
    /// Implicit confirmation granted: the transaction ends here.
    pub implicit: bool,
    /// A negative answer (status rejection): sent unprotected with `-send_unprot_err`.
    pub rejection: bool,
    /// An `error` with status waiting (3.5 delayed delivery): the transaction continues.
    pub waiting: bool,
}

impl Rsp {
    pub fn new(body: PkiBody) -> Rsp {
        Rsp {
            body,
            chain: Vec::new(),
            implicit: false,
            rejection: false,
            waiting: false,
        }
    }
}

/// Bound on the server-wide cache of clients' extraCerts.
const MAX_CACHED_EXTRA_CERTS: usize = 256;

static CHAIN_LOGGED: AtomicBool = AtomicBool::new(false);

impl Server {
    /// Check the configuration and prepare the server (parses the key and certificates once).
    pub fn new(cfg: SrvConfig) -> Result<Server> {
        let signer = cfg.srv_key.as_ref().map(|k| Signer::from_pkcs8(k));
        let signer = signer.transpose()?;
        let mut own_chain = Vec::new();
        let mut is_ca = false;
        if let Some(c) = &cfg.srv_cert {
            let v = Cert::from_der(c).map_err(|e| e.context("-srv_cert"))?;
            is_ca = v.is_ca() && v.key_usage_allows(KeyUsages::KeyCertSign) && signer.is_some();
            own_chain = build_own_chain(c, &cfg.srv_untrusted);
        }
        if cfg.srv_cert.is_some() != signer.is_some() {
            return Err(Error::cmp(
                "must give both -srv_cert and -srv_key options or neither",
            ));
        }
        if cfg.srv_secret.is_none() && signer.is_none() {
            return Err(Error::cmp("server credentials (-srv_secret or -srv_cert) must be given if -use_mock_srv or -port is used"));
        }
        for (what, c) in [("-rsp_cert", &cfg.rsp_cert), ("-ref_cert", &cfg.ref_cert)] {
            if let Some(c) = c {
                Cert::from_der(c).map_err(|e| e.context(what))?;
            }
        }
        Ok(Server {
            cfg,
            signer,
            own_chain,
            is_ca,
            txns: Default::default(),
            extra_cache: Default::default(),
            last_signer: Default::default(),
            dump: super::RspDump::from_env(),
        })
    }
}

/// srv_cert followed by its issuers among -srv_untrusted, self-signed ones left out (as OpenSSL sends
/// its own chain in extraCerts).
fn build_own_chain(cert: &[u8], pool: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let built = Cert::from_der(cert).and_then(|c| {
        crate::verify::build_approx_chain(&c, &certs_of(pool.iter().map(Vec::as_slice)), false)
    });
    match built {
        Ok(chain) => chain.iter().map(|c| c.der().to_vec()).collect(),
        Err(_) => vec![cert.to_vec()],
    }
}

/// The certificates among `ders` that parse (others are left out, as OpenSSL skips them when it
/// loads a trust store).
pub(super) fn certs_of<'a>(ders: impl IntoIterator<Item = &'a [u8]>) -> Vec<Cert> {
    ders.into_iter()
        .filter_map(|d| Cert::from_der(d).ok())
        .collect()
}

/// Path validation of a candidate signer with -srv_trusted (see [`crate::verify`]). As with
/// OpenSSL, a trusted certificate may be the signer itself (pinning).
fn validate_path(srv: &Server, cand: &[u8], untrusted: &[&[u8]], s: &Signed) -> Result<()> {
    if srv.cfg.srv_trusted.is_empty() {
        return Err(Error::cmp(
            "missing trust store (-srv_trusted) for validating the client's signer cert",
        ));
    }
    let leaf = Cert::from_der(cand)?;
    if srv.cfg.srv_trusted.iter().any(|t| t.as_slice() == cand) {
        return Ok(());
    }
    let params = crate::verify::VerifyParams {
        no_check_time: !s.check_time,
        attime: s.check_time.then_some(s.at),
        ..Default::default()
    };
    let trusted = certs_of(srv.cfg.srv_trusted.iter().map(Vec::as_slice));
    let untrusted = certs_of(untrusted.iter().copied());
    crate::verify::verify_chain(&leaf, &trusted, &untrusted, &params).map(|_| ())
}

fn is_start(t: u8) -> bool {
    matches!(
        t,
        body::IR | body::CR | body::P10CR | body::KUR | body::RR | body::GENM | body::ERROR
    )
}

pub(super) fn handle(srv: &Server, der: &[u8], answer_garbage: bool) -> Option<Answer> {
    let req = match Request::parse(der) {
        Ok(r) => r,
        Err(e) => {
            srv_log!(Err, "cannot parse request: {e}");
            if !answer_garbage {
                return None;
            }
            let rsp = error_rsp(&bad_body(e), PkiStatus::REJECTION);
            let tid = random_bytes(16).ok()?;
            let built = build(srv, None, &tid, &rsp, &mut Txn::default());
            return built.ok().map(Answer::ended);
        }
    };
    srv_log!(Debug, "received {}", body_name(req.body_type));
    let tid = match &req.header.transaction_id {
        Some(t) => t.as_bytes().to_vec(),
        None => random_bytes(16).ok()?,
    };
    let mut txn = Txn::default();
    let mut verified = false;
    let result = process(srv, &req, &tid, &mut txn, &mut verified);
    let (rsp, failed) = match result {
        Ok(r) => (r, None),
        Err(f) => (error_rsp(&f, PkiStatus::REJECTION), Some(f)),
    };
    let excused = txn.excused.take();
    let built = build(srv, Some(&req), &tid, &rsp, &mut txn);
    // OpenSSL prints its error queue once the answer is built (after the chain-building lines).
    for f in excused.iter().chain(failed.iter()) {
        f.log();
    }
    let out = match built {
        Ok(o) => o,
        Err(e) => {
            srv_log!(Err, "cannot send proper CMP response: {e}");
            return answer_garbage.then(|| Answer::ended(Vec::new()));
        }
    };
    srv_log!(Debug, "sending {}", body_name(rsp.body.type_number() as u8));
    // Keep the transaction open only where OpenSSL does: awaiting certConf, polling, or after a
    // waiting indication.
    let cert_rep = matches!(rsp.body, PkiBody::Ip(_) | PkiBody::Cp(_) | PkiBody::Kup(_));
    let keep = verified
        && match rsp.body {
            PkiBody::Error(_) => rsp.waiting,
            PkiBody::PollRep(_) => true,
            _ => cert_rep && !rsp.implicit,
        };
    if keep {
        if cert_rep {
            txn.awaiting_conf = true;
        }
        if let Ok(mut m) = srv.txns.lock() {
            m.put(tid, txn);
        }
    }
    Some(Answer {
        der: out,
        transaction_ended: !keep,
    })
}

/// The checks and dispatch; on success returns the response body, with `txn` updated.
fn process(srv: &Server, req: &Request<'_>, tid: &[u8], txn: &mut Txn, verified: &mut bool) -> Res {
    if req.sender_dn.is_none() {
        return Err(reason::SENDER_GENERALNAME_TYPE_NOT_SUPPORTED.into());
    }
    let t = req.body_type;
    {
        let Ok(mut m) = srv.txns.lock() else {
            return Err(reason::ERROR_PROCESSING_MESSAGE.into());
        };
        if is_start(t) {
            // An error message is how a client aborts, also while it is expected to poll (OpenSSL
            // 3.0 and 3.5 alike then confirm it with pkiconf).
            if m.is_polling(tid) && t != body::ERROR {
                return Err(reason::EXPECTED_POLLREQ.into());
            }
            // A new transaction replaces any finished or abandoned one with the same ID.
            if m.take(tid).is_some() && srv.cfg.compat == Compat::V3_0 {
                let id = hex_colon(tid);
                srv_log!(
                    Warn,
                    "Assuming that last transaction with ID={id} got aborted"
                );
            }
        } else {
            match m.take(tid) {
                Some(old) => *txn = old,
                None => return Err(reason::UNEXPECTED_PKIBODY.into()),
            }
        }
    }
    if txn.polling && t != body::POLLREQ {
        // Put it back: the client may still poll correctly.
        let keep = std::mem::take(txn);
        if let Ok(mut m) = srv.txns.lock() {
            m.put(tid.to_vec(), keep);
        }
        return Err(reason::EXPECTED_POLLREQ.into());
    }
    check_update(srv, req, txn)?;
    *verified = true;
    // Like OpenSSL, only an authenticated request's extraCerts are kept as untrusted certificates
    // for later requests.
    if !srv.cfg.no_cache_extracerts && !req.extra_certs.is_empty() {
        if let Ok(mut cache) = srv.extra_cache.lock() {
            for c in &req.extra_certs {
                if !cache.contains(c) {
                    if cache.len() >= MAX_CACHED_EXTRA_CERTS {
                        cache.pop_front();
                    }
                    cache.push_back(c.clone());
                }
            }
        }
    }
    if t == body::POLLREQ {
        return mock::poll_req(srv, req, txn);
    }
    if srv.cfg.compat != Compat::V3_0
        && !matches!(
            t,
            body::IR | body::CR | body::P10CR | body::KUR | body::ERROR
        )
        && srv.cfg.poll_count > 0
        && txn.curr_poll_count == 0
    {
        txn.delayed_req = Some(req.raw.to_vec());
        txn.polling = true;
        let mut rsp = error_rsp(&Fail::new(0, ""), PkiStatus::WAITING);
        rsp.waiting = true;
        return Ok(rsp);
    }
    dispatch(srv, req, txn)
}

/// Process a request that is not a pollReq (also used for a delayed request when polling ends).
pub(super) fn dispatch(srv: &Server, req: &Request<'_>, txn: &mut Txn) -> Res {
    match req.body_type {
        body::IR | body::CR | body::P10CR | body::KUR => mock::cert_request(srv, req, txn),
        body::RR => mock::rr(srv, req),
        body::GENM => mock::genm(srv, req),
        body::ERROR => mock::error(srv, req),
        body::CERTCONF => mock::cert_conf(srv, req, txn),
        body::POLLREQ => Err(reason::UNEXPECTED_PKIBODY.into()),
        _ => Err(reason::UNSUPPORTED_PKIBODY.into()),
    }
}

/// Protection, pvno and nonce checks (OpenSSL's ossl_cmp_msg_check_update on the server side).
fn check_update(srv: &Server, req: &Request<'_>, txn: &mut Txn) -> Res<()> {
    let cfg = &srv.cfg;
    let exception = |invalid: bool| -> bool {
        if cfg.accept_unprotected {
            srv_log!(
                Warn,
                "ignoring {} protection of request message",
                if invalid { "invalid" } else { "missing" }
            );
            return true;
        }
        if req.body_type == body::ERROR && cfg.accept_unprot_err {
            srv_log!(Warn, "ignoring missing protection of error message");
            return true;
        }
        false
    };
    if req.header.protection_alg.is_some() {
        if let Err(f) = validate(srv, req, txn) {
            if !exception(true) {
                return Err(f.then(reason::ERROR_VALIDATING_PROTECTION));
            }
            // Accepted anyway: OpenSSL still prints the error once the answer is built.
            txn.excused = Some(f);
        }
    } else if !exception(false) {
        return Err(reason::MISSING_PROTECTION.into());
    }
    let pvno_ok = match cfg.compat {
        Compat::V3_0 => req.header.pvno == 2,
        _ => matches!(req.header.pvno, 2 | 3),
    };
    if !pvno_ok {
        return Err(reason::UNEXPECTED_PVNO.into());
    }
    if !is_start(req.body_type) && !txn.sender_nonce.is_empty() {
        let actual = req.header.recip_nonce.as_ref().map(|n| n.as_bytes());
        if actual != Some(txn.sender_nonce.as_slice()) {
            let expected = hex_colon(&txn.sender_nonce);
            let actual = actual.map_or_else(|| "(none)".to_string(), hex_colon);
            let details = format!("expected = {expected}, actual = {actual}");
            return Err(Fail::with(reason::RECIPNONCE_UNMATCHED, details));
        }
    }
    Ok(())
}

/// Verify the request's protection (OSSL_CMP_validate_msg on the server side). The error is the
/// first one OpenSSL queues, which names its `error` answer.
fn validate(srv: &Server, req: &Request<'_>, txn: &mut Txn) -> Res<()> {
    srv_log!(Debug, "validating CMP message");
    let (Some(alg), Some(prot)) = (&req.header.protection_alg, req.protection) else {
        return Err(reason::MISSING_PROTECTION.into());
    };
    let Ok(part) = req.protected_part() else {
        return Err(reason::ERROR_VALIDATING_PROTECTION.into());
    };
    if crate::protect::is_mac_oid(&alg.oid) {
        let Some(secret) = &srv.cfg.srv_secret else {
            srv_log!(
                Info,
                "no secret available for verifying PBM-based CMP message protection"
            );
            return Err(reason::MISSING_SECRET.into());
        };
        let mac = crypto::pbm_mac(secret, alg, &part);
        let equal = |m: &[u8]| aws_lc_rs::constant_time::verify_slices_are_equal(m, prot).is_ok();
        if mac.as_deref().is_ok_and(equal) {
            srv_log!(
                Debug,
                "successfully validated PBM-based CMP message protection"
            );
            return Ok(());
        }
        srv_log!(Warn, "verifying PBM-based CMP message protection failed");
        return Err(match mac {
            Ok(_) => reason::WRONG_PBM_VALUE.into(),
            Err(e) => Fail::with(reason::ERROR_VALIDATING_PROTECTION, e.to_string()),
        });
    }
    if srv.cfg.srv_trusted.is_empty() && srv.cfg.srv_secret.is_some() {
        let text = crate::wording::no_trust_store_nor_pinned(srv.cfg.compat);
        srv_log!(Info, "{text}");
        return Err(reason::MISSING_TRUST_ANCHOR.into());
    }
    let found = find_signer(srv, req, alg, prot, &part, txn)?;
    // OpenSSL 3.0 says nothing when a signature (unlike a PBM) validates.
    if srv.cfg.compat != Compat::V3_0 {
        srv_log!(
            Debug,
            "successfully validated signature-based CMP message protection using trust store"
        );
    }
    if let Ok(mut last) = srv.last_signer.lock() {
        *last = Some(found.clone());
    }
    txn.signer_cert = Some(found);
    Ok(())
}

/// The request's signature and sender as OpenSSL's cert_acceptable() takes them, and the validity
/// checks of client certificates (`-no_check_time`, or the time to check at).
struct Signed<'a> {
    sender: &'a Name,
    sender_kid: Option<&'a [u8]>,
    alg: &'a AlgorithmIdentifierOwned,
    part: &'a [u8],
    sig: &'a [u8],
    check_time: bool,
    at: i64,
}

/// Why a candidate certificate was not acceptable, as far as the answer depends on it.
enum Unacceptable {
    /// Outside its validity period: OpenSSL's verify callback queues an X509 error for it
    /// (`true` = expired, `false` = not yet valid).
    Time(bool),
    /// Any other reason (name, key identifier, key usage, signature).
    Other,
}

/// OpenSSL's cert_acceptable(): within its validity period (unless time checks are off), naming
/// the sender, with the senderKID as subject key identifier (a certificate without one does not
/// match a senderKID), keyUsage allowing signatures, and verifying the signature.
fn acceptable(cand: &[u8], s: &Signed) -> std::result::Result<(), Unacceptable> {
    let c = Cert::from_der(cand).map_err(|_| Unacceptable::Other)?;
    let (not_before, not_after) = (unix(c.not_before()), unix(c.not_after()));
    if s.check_time && !(not_before <= s.at && s.at <= not_after) {
        return Err(Unacceptable::Time(s.at > not_after));
    }
    if !crate::creds::names_equal(c.subject(), s.sender) {
        return Err(Unacceptable::Other);
    }
    if s.sender_kid.is_some() && c.subject_key_id().as_deref() != s.sender_kid {
        return Err(Unacceptable::Other);
    }
    let spki = c.spki_der().map_err(|_| Unacceptable::Other)?;
    let verifies = crate::creds::signature_verifies(&spki, s.alg, s.part, s.sig);
    if !c.key_usage_allows(KeyUsages::DigitalSignature) || !matches!(verifies, Ok(true)) {
        return Err(Unacceptable::Other);
    }
    Ok(())
}

/// Find a certificate that is acceptable (see [`acceptable`]) and chains to -srv_trusted: first
/// the one validated last, then the request's extraCerts, the untrusted certificates and the
/// trusted ones.
fn find_signer(
    srv: &Server,
    req: &Request<'_>,
    alg: &AlgorithmIdentifierOwned,
    sig: &[u8],
    part: &[u8],
    txn: &Txn,
) -> Res<Vec<u8>> {
    let sender = req
        .sender_dn
        .as_ref()
        .ok_or_else(|| Fail::from(reason::SENDER_GENERALNAME_TYPE_NOT_SUPPORTED))?;
    let s = Signed {
        sender,
        sender_kid: req.header.sender_kid.as_ref().map(|k| k.as_bytes()),
        alg,
        part,
        sig,
        check_time: !srv.cfg.no_check_time,
        at: srv.cfg.attime.unwrap_or_else(now),
    };
    let cached: Vec<Vec<u8>> = srv
        .extra_cache
        .lock()
        .map(|c| c.iter().rev().cloned().collect())
        .unwrap_or_default();
    let mut untrusted: Vec<&[u8]> = req.extra_certs.iter().map(Vec::as_slice).collect();
    untrusted.extend(cached.iter().map(Vec::as_slice));
    untrusted.extend(srv.cfg.srv_untrusted.iter().map(Vec::as_slice));
    let path_ok = |c: &[u8]| match validate_path(srv, c, &untrusted, &s) {
        Ok(()) => true,
        Err(e) => {
            srv_log!(Debug, "candidate sender cert does not validate: {e}");
            false
        }
    };
    // The signer validated last needs no chain again (OpenSSL 3.5 accepts it without extraCerts even
    // with -no_cache_extracerts), but must be acceptable for this very request.
    let last = srv.last_signer();
    for c in txn.signer_cert.iter().chain(last.iter()) {
        if acceptable(c, &s).is_ok() {
            return Ok(c.clone());
        }
    }
    // The X509 error OpenSSL's verify callback queues for an out-of-date candidate is the first
    // error of the answer, unless a later path validation printed (and so cleared) the queue.
    let mut time_error: Option<bool> = None;
    let mut seen: Vec<&[u8]> = Vec::new();
    let trusted = srv.cfg.srv_trusted.iter().map(Vec::as_slice);
    for cand in untrusted.iter().copied().chain(trusted) {
        if seen.contains(&cand) {
            continue;
        }
        seen.push(cand);
        match acceptable(cand, &s) {
            Ok(()) => {
                if path_ok(cand) {
                    return Ok(cand.to_vec());
                }
                time_error = None;
            }
            Err(Unacceptable::Time(expired)) => {
                time_error = time_error.or(Some(expired));
            }
            Err(Unacceptable::Other) => {}
        }
    }
    let sname = crate::verify::oneline(sender);
    srv_log!(
        Info,
        "trying to verify msg signature with a valid cert that.."
    );
    srv_log!(Info, "matches msg sender    = {sname}");
    let mut details = format!("for msg sender name = {sname}");
    match s.sender_kid {
        Some(k) => {
            let k = hex_colon(k);
            srv_log!(Info, "matches msg senderKID = {k}");
            details.push_str(&format!(" and for msg senderKID = {k}"));
        }
        None => srv_log!(Info, "while msg header does not contain senderKID"),
    }
    let no_cert = format!("{}:{details}", reason::NO_SUITABLE_SENDER_CERT.1);
    let Some(expired) = time_error else {
        return Err(Fail::with(reason::NO_SUITABLE_SENDER_CERT, details));
    };
    let (n, what) = if expired {
        (10, "certificate has expired")
    } else {
        (9, "certificate is not yet valid")
    };
    let d = format!("Certificate verification at depth = 0 error = {n} ({what})");
    Err(Fail {
        lib: ERR_LIB_X509,
        also: vec![no_cert],
        ..Fail::with((139, "certificate verification failed"), d)
    })
}

/// An `error` body for a failure (or, with status waiting, the 3.5 delayed-delivery indication).
/// errorDetails are OpenSSL's: the library name, the reason and any detail text.
pub fn error_rsp(f: &Fail, status: PkiStatus) -> Rsp {
    let (fail_info, text) = if status == PkiStatus::WAITING {
        (0, None)
    } else {
        (FAIL_BAD_REQUEST, Some(f.reason))
    };
    let (error_code, error_details) = if f.code != 0 {
        let mut details = vec![lib_name(f.lib).to_string(), f.reason.to_string()];
        details.extend(f.details.clone());
        (i64::from((f.lib << 23) | f.code), Some(details))
    } else {
        (0, None)
    };
    let mut r = Rsp::new(PkiBody::Error(ErrorMsgContent {
        pki_status_info: PkiStatusInfo::new(status, fail_info, text),
        error_code: Some(error_code),
        error_details,
    }));
    r.rejection = status == PkiStatus::REJECTION;
    r
}

/// How a response is protected: with a MAC (the request's parameters, or OpenSSL's defaults), with
/// our signature, or not at all.
enum Protection {
    Mac(AlgorithmIdentifierOwned),
    Sig,
    None,
}

/// Choose the response's protection as OpenSSL does: a signature when the server has a key and the
/// request was not MAC-protected, else a MAC when it has a secret.
fn protection(srv: &Server, req: Option<&Request<'_>>, rsp: &Rsp) -> Result<Protection> {
    let cfg = &srv.cfg;
    // A MAC-protected request is answered with the same kind of MAC and the same parameters.
    let req_mac_alg = req
        .and_then(|r| r.header.protection_alg.as_ref())
        .filter(|a| crate::protect::is_mac_oid(&a.oid));
    let is_error = matches!(rsp.body, PkiBody::Error(_));
    if cfg.send_unprotected || (cfg.send_unprot_err && (rsp.rejection || is_error)) {
        return Ok(Protection::None);
    }
    if cfg.srv_secret.is_some() && (srv.signer.is_none() || req_mac_alg.is_some()) {
        // Parameters the mock refused (the answer is then an error) get OpenSSL's defaults.
        return Ok(Protection::Mac(
            match req_mac_alg.map(crypto::answer_mac_alg_id) {
                Some(Ok(alg)) => alg,
                _ => crypto::pbm_alg_id()?,
            },
        ));
    }
    Ok(match srv.signer {
        Some(_) => Protection::Sig,
        None => Protection::None,
    })
}

/// The response header: our subject as sender, the request's sender as recipient, the request's
/// senderNonce as recipNonce, and implicitConfirm when it was granted.
fn response_header(
    srv: &Server,
    req: Option<&Request<'_>>,
    tid: &[u8],
    nonce: &[u8],
    prot: &Protection,
    implicit: bool,
) -> Result<PkiHeader> {
    let cfg = &srv.cfg;
    let sender_cert = cfg.srv_cert.as_deref().map(Cert::from_der).transpose()?;
    let sender = sender_cert.as_ref().map(|c| c.subject().clone());
    // An undecodable sender name cannot have passed the request checks; answer the null DN then.
    let recipient = req.and_then(|r| r.sender_dn.clone());
    let mut h = PkiHeader::new(
        2,
        GeneralName::DirectoryName(sender.unwrap_or_default()),
        GeneralName::DirectoryName(recipient.unwrap_or_default()),
    );
    let enc = |e: der::Error| Error::cmp(format!("cannot encode response header: {e}"));
    h.message_time = Some(CmpTime::now().map_err(enc)?);
    let octets = |v: &[u8]| OctetString::new(v.to_vec()).map_err(enc);
    let kid = match prot {
        Protection::Mac(alg) => {
            h.protection_alg = Some(alg.clone());
            cfg.srv_ref.clone()
        }
        Protection::Sig => {
            h.protection_alg = srv.signer.as_ref().map(Signer::alg_id);
            sender_cert.as_ref().and_then(Cert::subject_key_id)
        }
        Protection::None => None,
    };
    h.sender_kid = kid.as_deref().map(octets).transpose()?;
    h.transaction_id = Some(octets(tid)?);
    h.sender_nonce = Some(octets(nonce)?);
    h.recip_nonce = req.and_then(|r| r.header.sender_nonce.clone());
    if implicit {
        let itav = InfoTypeAndValue::with_value(oid::IT_IMPLICIT_CONFIRM, &der::asn1::Null);
        h.general_info = Some(vec![itav.map_err(enc)?]);
    }
    Ok(h)
}

/// Wrap a response body into a protected PKIMessage and remember our senderNonce in `txn`.
fn build(
    srv: &Server,
    req: Option<&Request<'_>>,
    tid: &[u8],
    rsp: &Rsp,
    txn: &mut Txn,
) -> Result<Vec<u8>> {
    let cfg = &srv.cfg;
    let nonce = random_bytes(16)?;
    let prot = protection(srv, req, rsp)?;
    let header = response_header(srv, req, tid, &nonce, &prot, rsp.implicit)?;
    let part = crate::asn1::protected_part_der(&header, &rsp.body)?;
    let value = match &prot {
        Protection::Mac(alg) => {
            let Some(secret) = &cfg.srv_secret else {
                return Err(Error::cmp("missing -srv_secret"));
            };
            Some(crypto::pbm_mac(secret, alg, &part)?)
        }
        Protection::Sig => srv.signer.as_ref().map(|s| s.sign(&part)).transpose()?,
        Protection::None => None,
    };
    let mut extra: Vec<&[u8]> = Vec::new();
    if matches!(prot, Protection::Sig) {
        if !CHAIN_LOGGED.swap(true, Ordering::Relaxed) {
            srv_log!(Debug, "trying to build chain for own CMP signer cert");
            srv_log!(Debug, "success building chain for own CMP signer cert");
        }
        extra.extend(srv.own_chain.iter().map(Vec::as_slice));
    }
    // -rsp_extracerts go out as given (self-signed ones too, as OpenSSL's mock sends them), each once.
    for c in &rsp.chain {
        if !extra.contains(&c.as_slice()) {
            extra.push(c);
        }
    }
    let enc = |e: der::Error| Error::cmp(format!("cannot encode response: {e}"));
    let extra_certs = extra
        .iter()
        .map(|c| crate::asn1::CmpCertificate::from_der(c).map_err(enc))
        .collect::<Result<Vec<_>>>()?;
    let protection = value.map(|v| BitString::from_bytes(&v)).transpose();
    let msg = PkiMessage {
        header,
        body: rsp.body.clone(),
        protection: protection.map_err(enc)?,
        extra_certs: (!extra_certs.is_empty()).then_some(extra_certs),
    };
    txn.sender_nonce = nonce;
    msg.to_der_vec()
}

/// Map a DER decoding problem to an `error` response.
pub fn bad_body(e: impl std::fmt::Display) -> Fail {
    Fail::with(reason::PKIBODY_ERROR, e.to_string())
}

/// Current Unix time in seconds.
fn now() -> i64 {
    unix(std::time::SystemTime::now())
}
