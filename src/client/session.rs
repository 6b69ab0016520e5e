//! The transaction state machine: request, response, polling while the server says `waiting`, certConf
//! and pkiConf, as OpenSSL's `OSSL_CMP_exec_*_ses` functions run them.

use std::time::{Duration, Instant};

use super::ctx::{Cmd, Ctx};
use super::files;
use super::request::{self, CERTREQID, CERTREQID_NONE};
use super::status::*;
use super::txn::TxnState;
use super::validate::{self, log_err};
use super::wire::*;
use crate::creds::{self, Cert};
use crate::error::{Error, Kind, Result};

/// How request bytes reach the server and response bytes come back (HTTP, files, an in-process mock).
pub trait Transfer {
    /// Send one DER-encoded request and return the DER-encoded response. `keep_alive`: more messages of
    /// this transaction are expected to follow. `deadline`: when the whole transaction must be over
    /// (`-total_timeout`); the transfer applies its own `-msg_timeout` within it.
    fn exchange(
        &mut self,
        req_der: &[u8],
        keep_alive: bool,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>>;

    /// The transaction is over: a connection kept open for it may be closed (the server may have
    /// closed its end already). Callers running several transactions over one transfer call it.
    fn finish(&mut self) {}
}

/// What a transaction produced, for the caller to write or print.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The newly enrolled certificate (ir/cr/kur/p10cr).
    pub new_cert: Option<Cert>,
    /// Its chain (without the certificate itself), as validated with `-out_trusted` or built from the
    /// certificates received (`-chainout`).
    pub new_chain: Vec<Cert>,
    /// caPubs of the certificate response (`-cacertsout`).
    pub ca_pubs: Vec<Cert>,
    /// extraCerts of the last response that carries them (`-extracertsout`).
    pub extra_certs_in: Vec<Cert>,
    /// The server certificate that validated the responses, if they were signed (`-srvcertout`).
    pub srv_cert: Option<Cert>,
    /// The ITAVs of the genp (genm).
    pub genp_itavs: Vec<InfoTypeAndValue>,
    /// The last PKIStatusInfo received (certificate response, rp, or error).
    pub status: Option<PkiStatusInfo>,
    /// The centrally generated private key (`-centralkeygen`, for `-newkeyout`).
    pub new_key: Option<crate::creds::PrivateKey>,
}

/// A failed transaction: the error, and whatever had been received before it.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub outcome: Box<Outcome>,
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        f.error
    }
}

/// Start a transaction over `transfer`: a fresh transactionID, nothing sent yet.
pub(crate) fn begin<'a>(ctx: &'a Ctx, transfer: &'a mut dyn Transfer) -> Result<Session<'a>> {
    if ctx.cert_key_mismatch {
        return Err(Error::from_lines(
            [
                "key values mismatch",
                "cert and key do not match",
                "error protecting message",
            ]
            .map(String::from),
        ));
    }
    Session::new(ctx, transfer)
}

/// Run the transaction `ctx.cmd` over `transfer`.
pub fn run(ctx: &Ctx, transfer: &mut dyn Transfer) -> std::result::Result<Outcome, Failure> {
    let mut s = match begin(ctx, transfer) {
        Ok(s) => s,
        Err(error) => {
            return Err(Failure {
                error,
                outcome: Box::default(),
            })
        }
    };
    if let Some(path) = &ctx.files.reqout_only {
        // -reqout_only: build and save the first request, send nothing.
        let r = request::first_body(ctx)
            .inspect(|body| crate::info!("sending {}", BodyType::of(body).name()))
            .and_then(|body| request::message(ctx, &s.st, body, 2))
            .and_then(|(msg, _)| msg.to_der_vec())
            .and_then(|der_bytes| files::write_msg(path, &der_bytes, "request"));
        return match r {
            Ok(()) => Ok(s.outcome),
            Err(error) => Err(Failure {
                error,
                outcome: Box::new(s.outcome),
            }),
        };
    }
    let r = match ctx.cmd {
        Cmd::Ir | Cmd::Cr | Cmd::Kur | Cmd::P10cr => s.enroll(),
        Cmd::Rr => s.revoke(),
        Cmd::Genm => s.genm(),
    };
    match r {
        Ok(()) => Ok(s.outcome),
        Err(error) => Err(Failure {
            error,
            outcome: Box::new(s.outcome),
        }),
    }
}

/// One transaction in progress: what it is about (`ctx`), how messages travel, and its state.
pub(crate) struct Session<'a> {
    ctx: &'a Ctx,
    transfer: &'a mut dyn Transfer,
    /// IDs, nonces and learnt certificates: the one state of the transaction.
    st: TxnState,
    outcome: Outcome,
    deadline: Option<Instant>,
    msg_index: usize,
    /// The certReqId of the certificate request (CERTREQID_NONE until known for p10cr).
    rid: i64,
    /// A caller-driven certificate request is polling (see [`Session::try_certreq`]).
    polling: bool,
    /// Polling rounds of a caller-driven request so far.
    polled: usize,
}

/// Time OpenSSL reserves for the last response when shortening a checkAfter (`OSSL_CMP_EXPECTED_RESP_TIME`).
const EXPECTED_RESP_TIME: Duration = Duration::from_secs(2);
/// Most polling rounds; bounds a server that keeps answering `waiting` without a timeout set.
const MAX_POLLS: usize = 1000;

/// One polling round's result.
enum Polled {
    /// Ask again after this long.
    Wait(Duration),
    /// The final response.
    Final(Box<Received>),
}

/// Where a caller-driven certificate request stands after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// The server is not done: step again after this long.
    Pending(Duration),
    /// The transaction is over (the outcome holds the certificate).
    Done,
}

/// A polling error: `polling failed`, after the error that made polling fail, as OpenSSL does.
fn polling_failed(e: Error) -> Error {
    proto_err!("polling failed").caused_by(&e)
}

fn crep_of(msg: &PkiMessage) -> Option<&CertRepMessage> {
    match &msg.body {
        PkiBody::Ip(c) | PkiBody::Cp(c) | PkiBody::Kup(c) => Some(c),
        _ => None,
    }
}

fn is_error_with_waiting(msg: &PkiMessage) -> bool {
    matches!(&msg.body, PkiBody::Error(e) if e.pki_status_info.status == WAITING)
}

fn find_response(c: &CertRepMessage, rid: i64) -> Result<&CertResponse> {
    for r in &c.response {
        if rid == CERTREQID_NONE {
            return Ok(r);
        }
        match Some(r.cert_req_id) {
            Some(id) if id == rid => return Ok(r),
            Some(id) if id < CERTREQID_NONE => return Err(proto_err!("bad request id")),
            None => return Err(proto_err!("bad request id")),
            _ => {}
        }
    }
    Err(proto_err!(
        "certresponse not found:expected certReqId = {rid}"
    ))
}

fn is_crep_with_waiting(msg: &PkiMessage, rid: i64) -> bool {
    crep_of(msg)
        .and_then(|c| find_response(c, rid).ok())
        .is_some_and(|r| r.status.status == WAITING)
}

impl<'a> Session<'a> {
    /// What the transaction has produced so far.
    pub(crate) fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// Tell the transfer that the transaction is over.
    pub(crate) fn finish(&mut self) {
        self.transfer.finish();
    }

    /// Take what the transaction produced.
    pub(crate) fn take_outcome(&mut self) -> Outcome {
        std::mem::take(&mut self.outcome)
    }

    fn new(ctx: &'a Ctx, transfer: &'a mut dyn Transfer) -> Result<Session<'a>> {
        let tid = creds::random_bytes(16)?;
        crate::debug!(
            "Starting new transaction with ID={}",
            crate::log::hex_colon(&tid)
        );
        Ok(Session {
            ctx,
            transfer,
            st: TxnState::new(ctx, tid),
            outcome: Outcome::default(),
            deadline: None,
            msg_index: 0,
            rid: CERTREQID,
            polling: false,
            polled: 0,
        })
    }

    /// Build, protect, send a request and check the response (OpenSSL's `send_receive_check`).
    fn send_receive_check(
        &mut self,
        body: PkiBody,
        pvno: i64,
        expected: BodyType,
    ) -> Result<Received> {
        let begin = expected != BodyType::PollRep && expected != BodyType::PkiConf;
        if let Some(t) = self.ctx.total_timeout.filter(|t| !t.is_zero()) {
            if begin {
                self.deadline = Some(Instant::now() + t);
            }
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(cmp_err!("total timeout").of_kind(Kind::Transport));
            }
        }
        let req_type = BodyType::of(&body);
        let (msg, nonce) = request::message(self.ctx, &self.st, body, pvno)?;
        self.st.sender_nonce = Some(nonce);
        let der_bytes = msg.to_der_vec()?;
        crate::info!("sending {}", req_type.name());
        // OpenSSL asks to keep the connection only while an enrollment may continue.
        let keep_alive = matches!(
            req_type,
            BodyType::Ir | BodyType::Cr | BodyType::P10cr | BodyType::Kur | BodyType::PollReq
        );
        let idx = self.msg_index;
        self.msg_index += 1;
        let (ctx, hdr) = (self.ctx, &self.st);
        let rewrite = move |der_bytes: Vec<u8>| -> Result<Vec<u8>> {
            let mut m = PkiMessage::from_der_bounded(&der_bytes, "-reqin file")?;
            if ctx.files.reqin_new_tid {
                m.header.transaction_id = Some(
                    der::asn1::OctetString::new(hdr.transaction_id.clone())
                        .map_err(|e| proto_err!("transactionID: {e}"))?,
                );
            }
            if let Some(n) = &hdr.recip_nonce {
                m.header.recip_nonce = Some(
                    der::asn1::OctetString::new(n.clone())
                        .map_err(|e| proto_err!("recipNonce: {e}"))?,
                );
            }
            if m.header.protection_alg.is_some() {
                request::protect(ctx, hdr, &mut m)?;
            }
            m.to_der_vec()
        };
        let ex = files::exchange(
            self.ctx,
            &mut *self.transfer,
            idx,
            &der_bytes,
            keep_alive,
            self.deadline,
            &rewrite,
        )
        .map_err(|e| self.transfer_failed(&e, req_type, expected))?;
        self.check_response(&ex.response, ex.adopt_ids, expected)
    }

    /// Decode and check a response (learning its IDs, nonce and certificates), and see whether it
    /// is the one `expected` (OpenSSL's second half of `send_receive_check`).
    fn check_response(
        &mut self,
        response: &[u8],
        adopt_ids: bool,
        expected: BodyType,
    ) -> Result<Received> {
        let rcvd = Received::decode(response, "the CMP server")?;
        if adopt_ids {
            let h = &rcvd.msg.header;
            self.st.adopt_ids(
                h.transaction_id.as_ref().map(|t| t.as_bytes()),
                h.recip_nonce.as_ref().map(|n| n.as_bytes()),
            );
        }
        let bt = BodyType::of(&rcvd.msg.body);
        crate::info!(
            "received {}{}",
            bt.name(),
            if is_error_with_waiting(&rcvd.msg) {
                " (waiting)"
            } else {
                ""
            }
        );
        if bt != BodyType::PollRep && bt != BodyType::PkiConf {
            self.outcome.extra_certs_in = extra_certs(&rcvd.msg)
                .iter()
                .map(CmpCertificate::to_cert)
                .collect();
        }
        if let Some(c) = validate::check_update(self.ctx, &mut self.st, &rcvd)? {
            self.outcome.srv_cert = Some(c);
        }
        self.st.recip_nonce = rcvd
            .msg
            .header
            .sender_nonce
            .as_ref()
            .map(|n| n.as_bytes().to_vec());

        let fits = bt == expected
            || if expected == BodyType::PollRep {
                bt != BodyType::Error
            } else {
                is_error_with_waiting(&rcvd.msg)
            };
        if fits {
            return Ok(rcvd);
        }
        if let PkiBody::Error(e) = &rcvd.msg.body {
            self.outcome.status = Some(e.pki_status_info.clone());
            let received = proto_err!("received error:{}", e.to_text());
            if e.pki_status_info.status != REJECTION {
                return Err(proto_err!("unexpected pkistatus").caused_by(&received));
            }
            return Err(received);
        }
        Err(proto_err!(
            "unexpected pkibody:message type is '{}'",
            bt.name()
        ))
    }

    /// The error of a failed exchange: a transfer error (or the total timeout) after what made the
    /// transfer fail, keeping its hint.
    fn transfer_failed(&self, e: &Error, req_type: BodyType, expected: BodyType) -> Error {
        let what = if self.deadline.is_some_and(|d| Instant::now() >= d) {
            "total timeout"
        } else {
            "transfer error"
        };
        cmp_err!(
            "{what}:request sent: {}, expected response: {}",
            req_type.name(),
            expected.name()
        )
        .of_kind(Kind::Transport)
        .caused_by(e)
        .with_hint_opt(e.hint().map(str::to_string))
    }

    /// Send a request whose answer may be delayed by an error with status `waiting` (certConf, rr, genm).
    fn send_receive_also_delayed(
        &mut self,
        body: PkiBody,
        pvno: i64,
        expected: BodyType,
    ) -> Result<Received> {
        let mut rep = self.send_receive_check(body, pvno, expected)?;
        if is_error_with_waiting(&rep.msg) {
            self.st.first_sender_nonce = self.st.sender_nonce.clone();
            if expected != BodyType::PkiConf {
                if let PkiBody::Error(e) = &rep.msg.body {
                    self.outcome.status = Some(e.pki_status_info.clone());
                }
            }
            rep = self
                .poll_for_response(CERTREQID_NONE)
                .map_err(polling_failed)?;
        }
        if BodyType::of(&rep.msg.body) != expected {
            return Err(proto_err!("unexpected pkibody"));
        }
        Ok(rep)
    }

    /// Poll until the final response arrives (OpenSSL's `poll_for_response` with sleeping).
    fn poll_for_response(&mut self, rid: i64) -> Result<Received> {
        crate::info!("received 'waiting' PKIStatus, starting to poll for response");
        for _ in 0..MAX_POLLS {
            match self.poll_once(rid)? {
                Polled::Wait(wait) => std::thread::sleep(wait),
                Polled::Final(rep) => return Ok(*rep),
            }
        }
        Err(proto_err!("polling failed: too many polling rounds"))
    }

    /// One polling round: send pollReq, and either return how long to wait before the next round
    /// (shortened to what `-total_timeout` leaves) or the final response.
    fn poll_once(&mut self, rid: i64) -> Result<Polled> {
        let prep = self.send_receive_check(request::poll_req(rid), 2, BodyType::PollRep)?;
        if let PkiBody::PollRep(reps) = &prep.msg.body {
            if reps.len() > 1 {
                return Err(proto_err!("multiple responses not supported"));
            }
            let pr = reps
                .iter()
                .find(|p| rid == CERTREQID_NONE || Some(p.cert_req_id) == Some(rid))
                .ok_or_else(|| proto_err!("certresponse not found:expected certReqId = {rid}"))?;
            let check_after =
                Some(pr.check_after).ok_or_else(|| proto_err!("bad checkafter in pollrep"))?;
            if !(0..=i64::from(i32::MAX)).contains(&check_after) {
                return Err(proto_err!("checkafter out of range:value = {check_after}"));
            }
            let reason = match pr.reason.as_ref() {
                Some(r) => format!(" with reason = '{}'", r.join(", ")),
                None => String::new(),
            };
            crate::info!("received polling response{reason}; checkAfter = {check_after} seconds");
            let mut wait = Duration::from_secs(check_after as u64);
            if let Some(d) = self.deadline {
                // Whole seconds, as OpenSSL counts them, minus the time kept for the last answer.
                let left = d
                    .saturating_duration_since(Instant::now())
                    .as_millis()
                    .div_ceil(1000) as u64;
                let left = left.saturating_sub(EXPECTED_RESP_TIME.as_secs());
                if left == 0 {
                    return Err(cmp_err!("total timeout").of_kind(Kind::Transport));
                }
                wait = wait.min(Duration::from_secs(left));
            }
            Ok(Polled::Wait(wait))
        } else if is_crep_with_waiting(&prep.msg, rid) || is_error_with_waiting(&prep.msg) {
            let body =
                request::error_body(REJECTION, 1 << BAD_REQUEST, "polling already started", None)?;
            let err = proto_err!("unexpected pkistatus");
            // The server's answer to our error message does not change the outcome: only what
            // went wrong on the way there is reported (OpenSSL logs it as it happens).
            match self.send_receive_also_delayed(body, 2, BodyType::PkiConf) {
                Ok(_) => Err(err),
                Err(e) => Err(err.preceded_by(e.causes().to_vec())),
            }
        } else {
            crate::info!("received final response after polling");
            self.st.first_sender_nonce = None;
            Ok(Polled::Final(Box::new(prep)))
        }
    }

    // ------------------------------------------------------------ ir/cr/kur/p10cr

    /// The body type answering the certificate request, and whether it is a p10cr.
    fn expected_crep(&self) -> (BodyType, bool) {
        match self.ctx.cmd {
            Cmd::Ir => (BodyType::Ip, false),
            Cmd::Cr => (BodyType::Cp, false),
            Cmd::Kur => (BodyType::Kup, false),
            _ => (BodyType::Cp, true),
        }
    }

    pub(crate) fn enroll(&mut self) -> Result<()> {
        let mut rep = self.send_cert_request()?;
        loop {
            match self.crep_status(&rep)? {
                Some(()) => return self.cert_response(&rep, self.rid),
                None => {
                    rep = self.poll_for_response(self.rid).map_err(polling_failed)?;
                }
            }
        }
    }

    /// Send the certificate request (ir/cr/kur/p10cr) and return its first response.
    fn send_cert_request(&mut self) -> Result<Received> {
        let (expected, is_p10) = self.expected_crep();
        self.rid = if is_p10 { CERTREQID_NONE } else { CERTREQID };
        let body = request::first_body(self.ctx)?;
        let rep = self.send_receive_check(body, 2, expected)?;
        if is_crep_with_waiting(&rep.msg, self.rid) || is_error_with_waiting(&rep.msg) {
            self.st.first_sender_nonce = self.st.sender_nonce.clone();
        }
        Ok(rep)
    }

    /// Look at a response to the certificate request: `Some` when it is the final one, to be taken
    /// apart by [`Session::cert_response`]; `None` when the server said `waiting`.
    fn crep_status(&mut self, rep: &Received) -> Result<Option<()>> {
        let (expected, _) = self.expected_crep();
        let bt = BodyType::of(&rep.msg.body);
        let si = if let Some(c) = crep_of(&rep.msg) {
            if c.response.len() > 1 {
                return Err(proto_err!("multiple responses not supported"));
            }
            let r = find_response(c, self.rid)?;
            if self.rid == CERTREQID_NONE {
                self.rid = Some(r.cert_req_id)
                    .filter(|i| *i >= CERTREQID_NONE)
                    .ok_or_else(|| proto_err!("bad request id"))?;
            }
            r.status.clone()
        } else if let PkiBody::Error(e) = &rep.msg.body {
            e.pki_status_info.clone()
        } else {
            return Err(proto_err!("unexpected pkibody"));
        };
        self.outcome.status = Some(si.clone());
        if si.status == WAITING {
            return Ok(None);
        }
        if bt == BodyType::Error {
            return Err(proto_err!("received error"));
        }
        if bt != expected {
            return Err(proto_err!("unexpected pkibody"));
        }
        Ok(Some(()))
    }

    /// One step of a certificate request driven by the caller (OpenSSL's `OSSL_CMP_try_certreq`):
    /// the first call sends the request, later calls poll once each, returning checkAfter instead
    /// of sleeping. Only a delayed answer to certConf is still waited for here, as OpenSSL does.
    pub(crate) fn try_certreq(&mut self) -> Result<Step> {
        let rep = if !self.polling {
            let rep = self.send_cert_request()?;
            if self.crep_status(&rep)?.is_some() {
                self.cert_response(&rep, self.rid)?;
                return Ok(Step::Done);
            }
            crate::info!("received 'waiting' PKIStatus, starting to poll for response");
            self.polling = true;
            self.poll_step()?
        } else {
            self.poll_step()?
        };
        match rep {
            Polled::Wait(d) => Ok(Step::Pending(d)),
            Polled::Final(rep) => {
                self.polling = false;
                if self.crep_status(&rep)?.is_none() {
                    return Err(polling_failed(proto_err!("unexpected pkistatus")));
                }
                self.cert_response(&rep, self.rid)?;
                Ok(Step::Done)
            }
        }
    }

    fn poll_step(&mut self) -> Result<Polled> {
        if self.polled >= MAX_POLLS {
            return Err(polling_failed(proto_err!(
                "polling failed: too many polling rounds"
            )));
        }
        self.polled += 1;
        self.poll_once(self.rid).map_err(polling_failed)
    }

    /// Give up a transaction the caller no longer wants to wait for: tell the server with an error
    /// message (rejection, "polling aborted"), as OpenSSL's `OSSL_CMP_try_certreq` does when asked
    /// to abort, and expect its pkiConf.
    pub(crate) fn abort(&mut self) -> Result<()> {
        let body = request::error_body(REJECTION, 0, "polling aborted", Some("by application"))?;
        self.send_receive_also_delayed(body, 2, BodyType::PkiConf)
            .map(|_| ())
    }

    /// Take the final certificate response apart (OpenSSL's `cert_response`): its status, the new
    /// certificate (and centrally generated key, caPubs), then the certConf exchange.
    fn cert_response(&mut self, rep: &Received, rid: i64) -> Result<()> {
        let Some(crep) = crep_of(&rep.msg) else {
            return Err(proto_err!("unexpected pkibody"));
        };
        let r = find_response(crep, rid)?;
        self.check_cert_status(&r.status)?;
        let cert = self.take_cert(crep, r)?;
        self.confirm(rep, &cert, rid)
    }

    /// Whether the status of a certificate response lets the certificate be taken (warnings are
    /// logged as they are met).
    fn check_cert_status(&self, si: &PkiStatusInfo) -> Result<()> {
        let st_text = si.to_text();
        let cannot = "cannot extract certificate from response";
        match si.status {
            WAITING => Err(
                proto_err!("encountered waiting:{st_text}; {cannot}").preceded_by([
                    "received \"waiting\" status for cert when actually aiming to extract cert"
                        .to_string(),
                ]),
            ),
            GRANTED_WITH_MODS => {
                crate::warn!("received \"grantedWithMods\" for certificate");
                Ok(())
            }
            ACCEPTED => Ok(()),
            REJECTION => Err(proto_err!("request rejected by server:{st_text}; {cannot}")
                .preceded_by(["received \"rejection\" status rather than cert".to_string()])),
            REVOCATION_WARNING => {
                crate::warn!(
                    "received \"revocationWarning\" - a revocation of the cert is imminent"
                );
                Ok(())
            }
            REVOCATION_NOTIFICATION => {
                crate::warn!(
                    "received \"revocationNotification\" - a revocation of the cert has occurred"
                );
                Ok(())
            }
            KEY_UPDATE_WARNING if self.ctx.cmd != Cmd::Kur => Err(proto_err!(
                "encountered keyupdatewarning:{st_text}; {cannot}"
            )),
            KEY_UPDATE_WARNING => Ok(()),
            other => Err(
                proto_err!("unknown pkistatus:{st_text}; {cannot}").preceded_by([format!(
                    "received unsupported PKIStatus {} for certificate",
                    other.0
                )]),
            ),
        }
    }

    /// The new certificate of a response (and the centrally generated key, the caPubs), kept in
    /// the outcome.
    fn take_cert(&mut self, crep: &CertRepMessage, r: &CertResponse) -> Result<Cert> {
        let ctx = self.ctx;
        let kp = r.certified_key_pair.as_ref().ok_or_else(|| {
            proto_err!(
                "certificate not found:{}; cannot extract certificate from response",
                r.status.to_text()
            )
        })?;
        let new_key = match (&kp.private_key, ctx.central_keygen()) {
            (None, true) => return Err(proto_err!("missing central gen key")),
            (Some(_), false) => return Err(proto_err!("unexpected central gen key")),
            (None, false) => None,
            (Some(any), true) => Some(self.central_key(ctx, any)?),
        };
        let cert = match &kp.cert_or_enc_cert {
            CertOrEncCert::Certificate(c) => c.to_cert(),
            CertOrEncCert::EncryptedCert(_) => {
                return Err(cmp_err!(
                    "encryptedCert in certificate response (indirect POPO) is not supported yet"
                ))
            }
        };
        self.outcome.new_key = new_key;
        self.outcome.new_cert = Some(cert.clone());
        if let Some(ca_pubs) = &crep.ca_pubs {
            if ca_pubs.len() > MAX_CERTS {
                return Err(cmp_err!("too many caPubs: {}", ca_pubs.len()));
            }
            self.outcome.ca_pubs = ca_pubs.iter().map(CmpCertificate::to_cert).collect();
        }
        Ok(cert)
    }

    /// Decide whether to accept the new certificate, and tell the server with certConf unless
    /// confirmation is off or implicit.
    fn confirm(&mut self, rep: &Received, cert: &Cert, rid: i64) -> Result<()> {
        let ctx = self.ctx;
        let subj = cert.subject_oneline();
        let (fail_info, txt) = self.accept_new_cert(cert, &subj);
        let implicit = rep
            .msg
            .header
            .general_info
            .as_ref()
            .is_some_and(|g| g.iter().any(|i| i.info_type == oids::IT_IMPLICIT_CONFIRM));
        let mut conf_err = None;
        if !ctx.disable_confirm && !implicit {
            let (body, pvno) = request::cert_conf(cert, rid, fail_info, txt)?;
            if let Err(e) = self.send_receive_also_delayed(body, pvno, BodyType::PkiConf) {
                conf_err = Some(e);
            }
        }
        if fail_info != 0 {
            self.outcome.status = Some(PkiStatusInfo {
                status: REJECTION,
                status_string: None,
                fail_info: None,
            });
            let err = proto_err!(
                "certificate not accepted:rejecting newly enrolled cert with subject: {subj}; {}",
                txt.unwrap_or("")
            );
            return Err(match conf_err {
                Some(e) => err.caused_by(&e),
                None => err,
            });
        }
        match conf_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The certConf decision on the new certificate: failure bits (0: accept) and the text for the
    /// server. Why a certificate is rejected is logged here rather than carried in the error: these
    /// lines come before `sending CERTCONF`, as OpenSSL logs them while deciding.
    fn accept_new_cert(&mut self, cert: &Cert, subj: &str) -> (u32, Option<&'static str>) {
        // A certificate for another key than the one being enrolled is refused in certConf, before any
        // -out_trusted validation, as OpenSSL's client does (3.0 and 3.5 alike).
        let (fail_info, verify_err, txt) = if self.enrollment_key_mismatch(cert) {
            log_err(&format!(
                "rejecting newly enrolled cert with subject: {subj}"
            ));
            log_err("key values mismatch");
            (
                1 << INCORRECT_DATA,
                None,
                Some("public key in new certificate does not match our enrollment key"),
            )
        } else {
            let (fail_info, verify_err) = self.check_new_cert(cert);
            if fail_info != 0 {
                log_err(&format!(
                    "rejecting newly enrolled cert with subject: {subj}"
                ));
            }
            let txt = (fail_info != 0).then_some("CMP client did not accept it");
            (fail_info, verify_err, txt)
        };
        // OpenSSL prints the queued verification error just before sending certConf.
        if let Some(e) = verify_err {
            log_err(&e);
        }
        (fail_info, txt)
    }

    /// Whether `cert` does not hold the key being enrolled. That key is, in the order OpenSSL's library
    /// picks it (3.0 and 3.5 alike, checked side by side): the centrally generated key, else `-newkey`
    /// (private or public alike), else the public key of `-csr`, else that of `-oldcert`, else that of
    /// `-cert`, else the client's `-key`.
    fn enrollment_key_mismatch(&self, cert: &Cert) -> bool {
        let ctx = self.ctx;
        let spki = match &self.outcome.new_key {
            Some(k) => k.public_key_der().map(Some),
            None => request::new_public_key(ctx),
        };
        let spki = match spki {
            Ok(Some(d)) => Ok(d),
            Ok(None) => return false,
            Err(e) => Err(e),
        };
        // A key that cannot even be encoded does not match.
        spki.map_or(true, |d| !creds::key::spki_matches_cert(&d, cert))
    }

    /// The certConf callback: validate the new certificate with `-out_trusted`, or build an approximate
    /// chain. Returns failure bits (0: accept) and the validation error to print.
    /// Decrypt and verify the centrally generated key of a certificate response.
    fn central_key(&self, ctx: &Ctx, any: &der::asn1::Any) -> Result<crate::creds::PrivateKey> {
        let enc = crate::asn1::crmf::EncryptedKey::from_any(any)
            .map_err(|e| cmp_err!("failed extracting central gen key: {e}"))?;
        let mut untrusted = ctx.untrusted.clone();
        untrusted.extend(self.st.cached_certs.iter().cloned());
        untrusted.extend(self.outcome.extra_certs_in.iter().cloned());
        super::ckg::unwrap_key(
            &enc,
            &super::ckg::UnwrapParams {
                own_key: ctx.key.as_ref(),
                own_cert: ctx.cert.as_ref(),
                trusted: ctx.trusted.as_ref(),
                untrusted: &untrusted,
            },
        )
    }

    fn check_new_cert(&mut self, cert: &Cert) -> (u32, Option<String>) {
        let untrusted =
            crate::creds::cert::distinct(self.st.cached_certs.iter().chain(&self.ctx.untrusted));
        if let Some(store) = &self.ctx.out_trusted {
            crate::debug!("validating newly enrolled cert");
            match store.verify(cert, &untrusted) {
                Ok(chain) => {
                    crate::debug!("success validating newly enrolled cert");
                    self.outcome.new_chain = chain
                        .into_iter()
                        .filter(|c| c.der() != cert.der() && !c.is_self_issued())
                        .collect();
                    (0, None)
                }
                Err(e) => {
                    log_err("failed to validate newly enrolled cert");
                    (1 << INCORRECT_DATA, Some(e.to_string()))
                }
            }
        } else {
            crate::debug!("trying to build chain for newly enrolled cert");
            let chain = approximate_chain(cert, &untrusted);
            match chain {
                Some(c) => {
                    crate::debug!("success building approximate chain for newly enrolled cert");
                    // Like the validated chain, it never holds the trust anchor (OpenSSL drops it).
                    self.outcome.new_chain =
                        c.into_iter().filter(|c| !c.is_self_issued()).collect();
                }
                None => {
                    crate::warn!("could not build approximate chain for newly enrolled cert, resorting to received extraCerts");
                    self.outcome.new_chain = self.outcome.extra_certs_in.clone();
                }
            }
            (0, None)
        }
    }

    // ------------------------------------------------------------ rr

    pub(crate) fn revoke(&mut self) -> Result<()> {
        let ctx = self.ctx;
        let body = request::first_body(ctx)?;
        let sent = match &body {
            PkiBody::Rr(v) => v.first().cloned(),
            _ => None,
        };
        let rep = self.send_receive_also_delayed(body, 2, BodyType::Rp)?;
        let PkiBody::Rp(rrep) = &rep.msg.body else {
            return Err(proto_err!("unexpected pkibody"));
        };
        if rrep.status.len() != 1 {
            return Err(proto_err!("wrong rp component count"));
        }
        let si = &rrep.status[0];
        self.outcome.status = Some(si.clone());
        let text = si.to_text();
        match si.status {
            ACCEPTED => crate::info!("revocation accepted (PKIStatus=accepted)"),
            GRANTED_WITH_MODS => crate::info!("revocation accepted (PKIStatus=grantedWithMods)"),
            REJECTION => return Err(proto_err!("request rejected by server:{text}")),
            REVOCATION_WARNING => crate::info!("revocation accepted (PKIStatus=revocationWarning)"),
            REVOCATION_NOTIFICATION => {
                crate::warn!("revocation accepted (PKIStatus=revocationNotification)")
            }
            WAITING | KEY_UPDATE_WARNING => return Err(proto_err!("unexpected pkistatus:{text}")),
            _ => return Err(proto_err!("unknown pkistatus:{text}")),
        }
        if let Some(ids) = rrep.rev_certs.as_ref().filter(|v| !v.is_empty()) {
            if ids.len() != 1 {
                return Err(proto_err!("wrong rp component count:{text}"));
            }
            // Only what the request named can be compared: a template made from a CSR (`-csr`) has
            // neither issuer nor serial, and OpenSSL 3.5 then accepts any CertId (its fix for
            // comparing against the absent fields).
            if let Some(rd) = sent {
                let t = &rd.cert_details;
                if let Some(want) = &t.issuer {
                    let issuer_ok = match &ids[0].issuer {
                        x509_cert::ext::pkix::name::GeneralName::DirectoryName(a) => {
                            creds::names_equal(a, want)
                        }
                        _ => false,
                    };
                    if !issuer_ok {
                        return Err(proto_err!("wrong certid in rp:{text}"));
                    }
                }
                if t.serial_number
                    .as_ref()
                    .is_some_and(|s| *s != ids[0].serial_number)
                {
                    return Err(proto_err!("wrong serial in rp:{text}"));
                }
            }
        }
        if rrep.crls.as_ref().is_some_and(|c| c.len() != 1) {
            return Err(proto_err!("wrong rp component count:{text}"));
        }
        Ok(())
    }

    // ------------------------------------------------------------ genm

    pub(crate) fn genm(&mut self) -> Result<()> {
        let body = request::first_body(self.ctx)?;
        let rep = self.send_receive_also_delayed(body, 2, BodyType::Genp)?;
        // A genp ends the exchange as accepted, also after a `waiting` error was polled through:
        // OpenSSL reports no closing status for a genm.
        self.outcome.status = Some(PkiStatusInfo {
            status: ACCEPTED,
            status_string: None,
            fail_info: None,
        });
        if let PkiBody::Genp(itavs) = &rep.msg.body {
            self.outcome.genp_itavs = itavs.clone();
        }
        Ok(())
    }
}

/// The chain of `cert` (without it) from `pool` alone, as OpenSSL's X509_build_chain without a trust
/// store builds it; None if not even that works.
fn approximate_chain(cert: &Cert, pool: &[Cert]) -> Option<Vec<Cert>> {
    let mut chain = crate::verify::build_approx_chain(cert, pool, true).ok()?;
    if !chain.is_empty() {
        chain.remove(0);
    }
    Some(chain)
}
