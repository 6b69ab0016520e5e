//! Checks on every response before its content is used, as OpenSSL's `ossl_cmp_msg_check_update` and
//! `OSSL_CMP_validate_msg` make them: expected sender, protection (PBM with our secret, or a signature by
//! a pinned or validated server certificate), pvno, transactionID and recipNonce.

use crate::log::hex_colon;
use der::asn1::OctetString;

use super::ctx::Ctx;
use super::status::REJECTION;
use super::wire::{extra_certs, oids, BodyType, CmpCertificate, PkiBody, PkiMessage, Received};
use crate::creds::{self, Cert};
use crate::error::{Error, Result};
use crate::log::{self, Level, Side};
use crate::protect::sig;
use crate::verify::{find_and_validate_signer, SignerQuery, TaInIp};

/// What validation keeps across the messages of one transaction: the one transaction state.
pub type ValidationState = super::txn::TxnState;

/// Log an error line at the moment it is met. Only for events whose place among the other log
/// lines matters (e.g. why a new certificate is rejected, logged before `sending CERTCONF`); a
/// failure that ends the transaction is carried in the returned error instead.
pub(crate) fn log_err(msg: &str) {
    log::log(Side::Client, Level::Err, format_args!("{msg}"));
}

fn sender_name(msg: &PkiMessage) -> Option<&x509_cert::name::Name> {
    match &msg.header.sender {
        x509_cert::ext::pkix::name::GeneralName::DirectoryName(n) => Some(n),
        _ => None,
    }
}

/// What kind of negative message this is, in OpenSSL's words, if `-unprotected_errors` could accept it
/// unprotected: error messages, rejections in ip/cp/kup and rp, and pkiConf.
fn negative_kind(msg: &PkiMessage) -> Option<&'static str> {
    match &msg.body {
        PkiBody::Error(_) => Some("error response"),
        PkiBody::Rp(rp) => rp
            .status
            .first()
            .filter(|s| s.status == REJECTION)
            .map(|_| "revocation response message with rejection status"),
        PkiBody::PkiConf(_) => Some("PKI Confirmation message"),
        PkiBody::Ip(c) | PkiBody::Cp(c) | PkiBody::Kup(c) => {
            if c.response.len() == 1 && c.response[0].status.status == REJECTION {
                Some("CertRepMessage with rejection status")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The status a negative response claims (status, failure bits, texts), for the hint when its
/// protection is refused: the user sees what the server said without trusting it. Control characters
/// are shown as `?` and the text is cut, so a hostile server cannot forge or flood lines.
fn unauthenticated_status(msg: &PkiMessage) -> Option<String> {
    const MAX: usize = 300;
    let text = match &msg.body {
        PkiBody::Error(e) => e.to_text(),
        PkiBody::Rp(rp) => rp.status.first()?.to_text(),
        PkiBody::Ip(c) | PkiBody::Cp(c) | PkiBody::Kup(c) => c.response.first()?.status.to_text(),
        _ => return None,
    };
    let mut shown: String = text
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(MAX)
        .collect();
    if text.chars().count() > MAX {
        shown.push_str("...");
    }
    Some(shown)
}

/// Whether `-unprotected_errors` lets this message through without (valid) protection; logs the warning
/// OpenSSL logs when it does.
fn unprotected_exception(ctx: &Ctx, msg: &PkiMessage, invalid: bool) -> bool {
    if !ctx.unprotected_errors {
        return false;
    }
    match negative_kind(msg) {
        Some(w) => {
            crate::warn!(
                "ignoring {} protection of {w}",
                if invalid { "invalid" } else { "missing" }
            );
            true
        }
        None => false,
    }
}

/// Check a received message and learn from it (recipNonce for the next request, cached extraCerts).
/// Returns the server certificate used, if the message was signed.
pub fn check_update(ctx: &Ctx, st: &mut ValidationState, rcvd: &Received) -> Result<Option<Cert>> {
    let msg = &rcvd.msg;
    let hdr = &msg.header;
    check_sender(ctx, msg)?;
    if extra_certs(msg).len() > 10 {
        crate::warn!(
            "received CMP message contains {} extraCerts",
            extra_certs(msg).len()
        );
    }
    let mut parsed: Vec<Cert> = Vec::new();
    for c in extra_certs(msg) {
        parsed.push(c.to_cert());
    }
    // New certificates first, so that the latest are tried first; a hash set keeps this linear for
    // messages with many extraCerts.
    let received = {
        let cached: std::collections::HashSet<&[u8]> =
            st.cached_certs.iter().map(|c| c.der()).collect();
        creds::cert::distinct(parsed.iter().filter(|c| !cached.contains(c.der())))
    };
    let mut untrusted = received.clone();
    untrusted.extend(st.cached_certs.iter().cloned());

    let mut srv_cert = None;
    // Why validation failed, reported before the failure itself.
    let mut cause = None;
    let ok = if hdr.protection_alg.is_some() {
        match validate_msg(ctx, st, rcvd, &untrusted) {
            Ok(c) => {
                srv_cert = c;
                true
            }
            Err(e) => {
                let accepted = unprotected_exception(ctx, msg, true);
                cause = Some(e);
                accepted
            }
        }
    } else {
        unprotected_exception(ctx, msg, false)
    };
    if !ctx.no_cache_extracerts {
        st.cached_certs = untrusted;
    }
    if !ok {
        let err = Error::cmp(if hdr.protection_alg.is_some() {
            "error validating protection"
        } else {
            "missing protection"
        })
        .protocol();
        let err = match &cause {
            Some(e) => err.caused_by(e),
            None => err,
        };
        return Err(match negative_kind(msg) {
            // Say what the server sent and how to look at it anyway.
            Some(kind) if !ctx.unprotected_errors => err.with_hint(match unauthenticated_status(msg) {
                Some(said) => format!(
                    "the server's {kind} is not (validly) protected; unauthenticated, it says: {said}; -unprotected_errors accepts it"
                ),
                None => format!(
                    "the server's {kind} is not (validly) protected; -unprotected_errors accepts it"
                ),
            }),
            _ => err,
        });
    }
    check_header_ids(st, msg)?;
    if ctx.trusted.is_some()
        && hdr
            .protection_alg
            .as_ref()
            .is_some_and(|a| crate::protect::is_mac_oid(&a.oid))
    {
        if let Some(ca_pubs) = msg.body.cert_rep_message().and_then(|c| c.ca_pubs.as_ref()) {
            for c in ca_pubs.iter().take(super::wire::MAX_CERTS) {
                let c = c.to_cert();
                if !st.trusted_ca_pubs.contains(&c) {
                    st.trusted_ca_pubs.push(c);
                }
            }
        }
    }
    Ok(srv_cert)
}

/// The sender must be the one expected (`-expect_sender`, else the subject of `-srvcert`).
fn check_sender(ctx: &Ctx, msg: &PkiMessage) -> Result<()> {
    let expected = ctx
        .expect_sender
        .as_ref()
        .or(ctx.srvcert.as_ref().map(|c| c.subject()));
    if let Some(exp) = expected {
        let actual =
            sender_name(msg).ok_or_else(|| cmp_err!("sender generalname type not supported"))?;
        if !creds::names_equal(actual, exp) {
            crate::info!(
                " actual name in sender DN field = {}",
                creds::oneline(actual)
            );
            crate::info!(" does not match expected sender = {}", creds::oneline(exp));
            return Err(proto_err!("unexpected sender:{}", creds::oneline(actual)));
        }
    }
    Ok(())
}

/// pvno, transactionID and recipNonce of a received message must fit the transaction.
fn check_header_ids(st: &ValidationState, msg: &PkiMessage) -> Result<()> {
    let hdr = &msg.header;
    if hdr.pvno != 2 && hdr.pvno != 3 {
        return Err(proto_err!("unexpected pvno"));
    }
    check_octets(
        Some(&st.transaction_id),
        hdr.transaction_id.as_ref(),
        "transactionID unmatched",
    )?;
    if let Err(e) = check_octets(
        st.sender_nonce.as_deref(),
        hdr.recip_nonce.as_ref(),
        "recipNonce unmatched",
    ) {
        let polling_final = st.first_sender_nonce.is_some()
            && BodyType::of(&msg.body) != BodyType::PollRep
            && check_octets(
                st.first_sender_nonce.as_deref(),
                hdr.recip_nonce.as_ref(),
                "",
            )
            .is_ok();
        if !polling_final {
            return Err(e);
        }
    }
    Ok(())
}

fn check_octets(expected: Option<&[u8]>, actual: Option<&OctetString>, what: &str) -> Result<()> {
    let Some(exp) = expected else { return Ok(()) };
    match actual {
        Some(a) if a.as_bytes() == exp => Ok(()),
        Some(a) => Err(cmp_err!(
            "{what}:expected = {}, actual = {}",
            hex_colon(exp),
            hex_colon(a.as_bytes())
        )),
        None => Err(cmp_err!(
            "{what}:expected = {}, actual = (none)",
            hex_colon(exp)
        )),
    }
}

/// `OSSL_CMP_validate_msg`: is the protection valid? Returns the sender certificate for signatures.
fn validate_msg(
    ctx: &Ctx,
    st: &mut ValidationState,
    rcvd: &Received,
    untrusted: &[Cert],
) -> Result<Option<Cert>> {
    crate::debug!("validating CMP message");
    let msg = &rcvd.msg;
    let (Some(alg), Some(prot)) = (&msg.header.protection_alg, &msg.protection) else {
        return Err(proto_err!("missing protection"));
    };
    if crate::protect::is_mac_oid(&alg.oid) {
        let Some(secret) = &ctx.secret else {
            crate::info!("no secret available for verifying PBM-based CMP message protection");
            return Err(cmp_err!("missing secret"));
        };
        let checked = crate::protect::MacParams::from_alg(alg).and_then(|params| {
            let value = prot
                .as_bytes()
                .ok_or_else(|| proto_err!("wrong pbm value"))?;
            params.verify(secret, &rcvd.protected_part, value)
        });
        return match checked {
            Ok(()) => {
                crate::debug!("successfully validated PBM-based CMP message protection");
                Ok(None)
            }
            Err(e) => {
                crate::warn!("verifying PBM-based CMP message protection failed");
                Err(e)
            }
        };
    }
    if alg.oid == oids::DH_BASED_MAC {
        return Err(cmp_err!("unsupported protection alg dhbasedmac"));
    }
    if let Some(pinned) = &ctx.srvcert {
        return match sig::verify(pinned, ctx.ignore_keyusage, alg, &rcvd.protected_part, prot) {
            Ok(()) => {
                crate::debug!("successfully validated signature-based CMP message protection using pinned server cert");
                st.validated_srv_cert = Some(pinned.clone());
                Ok(Some(pinned.clone()))
            }
            Err(f) => {
                crate::warn!("CMP message signature verification failed");
                if f == sig::SigFailure::MissingDigitalSignature {
                    // Logged as it is met, not carried in the error: the message may still be
                    // accepted unprotected (-unprotected_errors), and OpenSSL prints it then too.
                    log_err("missing key usage digitalsignature");
                }
                Err(cmp_err!("srvcert does not validate msg"))
            }
        };
    }
    if ctx.trusted.is_none() && ctx.secret.is_some() {
        crate::info!(
            "{}",
            crate::wording::no_trust_store_nor_pinned(crate::compat::get())
        );
        return Err(cmp_err!("missing trust anchor"));
    }
    let sender =
        sender_name(msg).ok_or_else(|| cmp_err!("sender generalname type not supported"))?;
    // A signer that validated an earlier message of this transaction is tried first.
    let untrusted_all = crate::creds::cert::distinct(
        st.validated_srv_cert
            .iter()
            .chain(untrusted)
            .chain(ctx.untrusted.iter()),
    );
    let extra: Vec<Cert> = extra_certs(msg)
        .iter()
        .map(CmpCertificate::to_cert)
        .collect();
    let mut store = ctx.trusted.clone().unwrap_or_default();
    store.add_certs(&st.trusted_ca_pubs);
    // OpenSSL's 3GPP mode applies to the ip only; later messages of the transaction are checked
    // with the signer that validated it (tried first above).
    let is_ip = matches!(msg.body, PkiBody::Ip(_));
    let new_cert = ip_new_cert(msg);
    let q = SignerQuery {
        sender,
        sender_kid: msg.header.sender_kid.as_ref().map(|k| k.as_bytes()),
        ignore_keyusage: ctx.ignore_keyusage,
        side: Side::Client,
        no_trust_store: ctx.trusted.is_none(),
        ta_in_ip: (ctx.ta_in_ip_extracerts && is_ip).then_some(TaInIp {
            new_cert: new_cert.as_ref(),
        }),
        previous: st.validated_srv_cert.as_ref(),
    };
    // keyUsage is the signer search's business; here only the signature itself is checked.
    let mut sig_ok = |c: &Cert| sig::verify(c, true, alg, &rcvd.protected_part, prot).is_ok();
    let signer = find_and_validate_signer(&q, &extra, &untrusted_all, &store, &mut sig_ok)?;
    crate::debug!(
        "successfully validated signature-based CMP message protection using trust store"
    );
    st.validated_srv_cert = Some(signer.clone());
    Ok(Some(signer))
}

/// The newly enrolled certificate of an ip's response with certReqId 0, if sent in the clear.
fn ip_new_cert(msg: &PkiMessage) -> Option<Cert> {
    let PkiBody::Ip(rep) = &msg.body else {
        return None;
    };
    Some(rep.response_for(0)?.certificate()?.to_cert())
}
