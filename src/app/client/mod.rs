//! Client set-up from the options, in the order and with the checks of `openssl cmp`'s own set-up
//! (`setup_client_ctx` and the functions it calls), so that the same mistakes give the same first error;
//! then the transaction(s) and the result files.
//!
//! [`checks`] holds the cross-option checks (pure, testable without files), [`load`] what reads
//! credentials from files, [`outputs`] what is written and printed after a transaction.
//!
//! The client is made with the library API's [`api::ClientBuilder`] (transport, trust,
//! protection, message files, header); the options' request contents become an [`api::Request`]
//! that [`api::Client::execute`] runs, and results come back as [`api::Response`] (genp answers
//! decoded by [`api::Client::genm_answer`]). Nothing is read back from the builder: the command
//! keeps what it needs of its own settings.

mod checks;
mod geninfo;
mod load;
mod outputs;

use std::path::PathBuf;
use std::time::Duration;

use crate::api::{
    self, CertRequest, ClientBuilder, Exchange, GenmAnswer, GenmQuery, InfoItem, PkiStatus,
    Request, RequestKind, Transport,
};
use crate::error::Error;
use crate::opts::{Opt, RawOpts, Stage};
use crate::output::{Form, Outputs};
use crate::Result;
use checks::Cmd;

use checks::noted;

/// A list of file names separated by commas and/or whitespace (-reqin, -rspout, ...).
fn file_list(raw: &RawOpts, opt: Opt) -> Vec<PathBuf> {
    raw.str(opt)
        .map(|s| api::file_list(s).into_iter().map(PathBuf::from).collect())
        .unwrap_or_default()
}

/// Where requests go: HTTP(S), the in-process mock server, or nowhere (`-rspin` only).
enum Peer {
    Http(Box<api::HttpTransport>),
    /// A server configured on the builder; its transport is made once TLS is set up.
    Server,
    Mock(Box<dyn Transport>),
    None,
}

/// The command's transports plug into the library API as any caller's would; errors keep their
/// internal form, so they are reported as before.
impl Transport for Peer {
    fn exchange(&mut self, req: &[u8], x: &Exchange) -> api::Result<Vec<u8>> {
        match self {
            Peer::Http(c) => c.exchange(req, x),
            Peer::Mock(s) => s.exchange(req, x),
            Peer::None | Peer::Server => {
                // OpenSSL's app says so from its transfer callback, on stderr.
                crate::log::app_error(format_args!(
                    "missing {} or {} option, or too few {} filename arguments",
                    Opt::Server,
                    Opt::UseMockSrv,
                    Opt::Rspin
                ));
                Err(api::Error::from_internal(Error::Reported, None))
            }
        }
    }
}

/// Apply a setting of the library API's builder (its methods take and return it by value).
fn with(b: &mut ClientBuilder, f: impl FnOnce(ClientBuilder) -> ClientBuilder) {
    *b = f(std::mem::take(b));
}

/// Everything set up for the client: the library API's builder, the transfer, and what to do
/// with the results.
struct Setup {
    builder: ClientBuilder,
    peer: Peer,
    certform: Form,
    crlform: Form,
    /// The transaction with everything it asks for.
    request: Request,
    /// genm with an info type that has specific support.
    genm_plan: Option<GenmQuery>,
    /// What the command reads back of its own settings after the transaction.
    cmd: Cmd,
    generic_genm: bool,
    central_keygen: bool,
}

/// The transfer options (`-server`, `-path`, proxies, timeouts); also says whether TLS is to be used.
fn setup_transfer(
    raw: &RawOpts,
    b: &mut ClientBuilder,
    srv: Option<Box<dyn Transport>>,
) -> Result<(Peer, bool)> {
    if let Some(s) = srv {
        return Ok((Peer::Mock(s), false));
    }
    let Some(server) = raw.str(Opt::Server) else {
        noted(|n| {
            checks::unused_proxy(raw, n);
            Ok(())
        })?;
        return Ok((Peer::None, false));
    };
    // Parsed here too, as OpenSSL reports a bad URL and the HTTPS warning before anything else.
    let https = api::HttpTransport::server_uses_tls(server).map_err(api::Error::into_internal)?;
    let mut tls_used = raw.flag(Opt::TlsUsed);
    if https && !tls_used {
        crate::warn!(
            "assuming {} since {} URL indicates HTTPS",
            Opt::TlsUsed,
            Opt::Server
        );
        tls_used = true;
    }
    let keep_alive = match raw.int(Opt::KeepAlive).unwrap_or(1) {
        0 => api::KeepAlive::Never,
        1 => api::KeepAlive::Prefer,
        2 => api::KeepAlive::Require,
        _ => return Err(cmp_err!("{} argument must be 0, 1, or 2", Opt::KeepAlive)),
    };
    let server = server.to_string();
    with(b, |b| b.server(server).keep_alive(keep_alive).tls(tls_used));
    if let Some(p) = raw.str(Opt::Path) {
        let p = p.to_string();
        with(b, |b| b.path(p));
    }
    if let Some(t) = raw.int(Opt::MsgTimeout).filter(|n| *n > 0) {
        with(b, |b| b.msg_timeout(Duration::from_secs(t as u64)));
    }
    if let Some(p) = raw.str(Opt::Proxy) {
        let p = p.to_string();
        with(b, |b| b.proxy(p));
    }
    if let Some(n) = raw.str(Opt::NoProxy) {
        let n = n.to_string();
        with(b, |b| b.no_proxy(n));
    }
    Ok((Peer::Server, tls_used))
}

/// OpenSSL sets TLS up whenever `-tls_used` holds (with `-server`, so also with `-reqout_only`), after
/// the verification and `-reqin`/`-rspin` checks and before the protection and the request, so its
/// warnings and errors come in that order. Then the HTTP transport can be made.
fn setup_tls(raw: &RawOpts, b: &mut ClientBuilder, peer: Peer, tls_used: bool) -> Result<Peer> {
    if tls_used {
        load::tls_config(raw, b)?;
    }
    Ok(match peer {
        Peer::Server => Peer::Http(Box::new(
            b.http_transport().map_err(api::Error::into_internal)?,
        )),
        other => other,
    })
}

/// The `will contact ...` line. OpenSSL 3.5 ends it with a blank and says, with `-rspin`, that the
/// server is a fallback; 3.0 has no blank and calls the missing server "mock server". 4.0 says
/// with `-reqout_only` that no server will be contacted, where the earlier releases say nothing.
fn contact_line(peer: &Peer, rspin: bool, reqout_only: bool) -> Option<String> {
    let compat = crate::compat::get();
    if reqout_only && compat == crate::compat::Compat::V4_0 {
        return Some(checks::NO_SERVER.to_string());
    }
    let v30 = compat == crate::compat::Compat::V3_0;
    let target = match peer {
        Peer::Http(c) => c.contact_line(),
        Peer::Server => return None,
        Peer::Mock(_) => "will contact mock server".to_string(),
        Peer::None if !rspin => return None,
        Peer::None if v30 => "will contact mock server".to_string(),
        Peer::None => "will contact no server".to_string(),
    };
    let fallback = if rspin {
        format!(" only if {} argument gives too few filenames", Opt::Rspin)
    } else {
        String::new()
    };
    Some(format!("{target}{fallback}{}", if v30 { "" } else { " " }))
}

/// `setup_client_ctx`.
fn setup(raw: &RawOpts) -> Result<Setup> {
    checks::peer_given(raw)?;
    // With -reqout_only nothing is sent, and OpenSSL does not set its mock server up either (so
    // none of the mock's own options can fail the run).
    let srv = if raw.flag(Opt::UseMockSrv) && !raw.is_set(Opt::ReqoutOnly) {
        let mock = super::server::mock_builder(raw)?.in_process();
        Some(Box::new(mock.map_err(api::Error::into_internal)?) as Box<dyn Transport>)
    } else {
        None
    };
    noted(|n| {
        checks::peer_warnings(raw, n);
        Ok(())
    })?;
    let mut b = api::Client::builder();
    let (peer, tls_used) = if raw.is_set(Opt::ReqoutOnly) {
        (Peer::None, super::tls_in_use(raw))
    } else {
        setup_transfer(raw, &mut b, srv)?
    };
    let cmd = checks::command(raw)?;
    let certform = checks::form(raw, Opt::Certform, Form::Pem, "certificate storing")?;
    let crlform = checks::form(raw, Opt::Crlform, Form::Der, "CRL storing")?;
    checks::keyform(raw)?;
    let infotype = noted(|n| checks::infotype(raw, cmd, n))?;
    super::genm::check_options(raw, cmd == Cmd::Genm, infotype);
    let opts = checks::verify_options(raw)?;
    let trust = load::setup_verification(raw, &mut b, &opts)?;
    // The transaction reports missing credentials, as OpenSSL's does.
    with(&mut b, |b| b.late_protection_check(true));
    if let Some(t) = checks::total_timeout(raw)? {
        with(&mut b, |b| b.total_timeout(t));
    }
    noted(|n| {
        checks::reqin_warnings(raw, n);
        Ok(())
    })?;
    let peer = setup_tls(raw, &mut b, peer, tls_used)?;
    let files = msg_files(raw, &peer);
    with(&mut b, |b| b.message_files(files));
    let client_key = load::setup_protection(raw, &mut b, &trust.untrusted)?;
    let (contents, central_keygen) = setup_request(raw, cmd, client_key.as_ref())?;
    setup_header(raw, &mut b)?;
    // Printed only now, as OpenSSL does, so a set-up error is not preceded by it.
    if let Some(line) = contact_line(&peer, raw.is_set(Opt::Rspin), raw.is_set(Opt::ReqoutOnly)) {
        crate::info!("{line}");
    }
    let (items, genm_plan) = match (cmd, infotype) {
        (Cmd::Genm, Some(oid)) => genm_request(raw, oid)?,
        _ => (Vec::new(), None),
    };
    let generic_genm = is_generic_genm(cmd, infotype, genm_plan.is_some());
    let request = match cmd {
        Cmd::Ir => Request::Cert(RequestKind::Ir, contents),
        Cmd::Cr => Request::Cert(RequestKind::Cr, contents),
        Cmd::Kur => Request::Cert(RequestKind::Kur, contents),
        Cmd::P10cr => Request::Cert(RequestKind::P10cr, contents),
        Cmd::Rr => Request::Revoke(contents),
        Cmd::Genm => Request::Genm(items, contents),
    };
    Ok(Setup {
        builder: b,
        peer,
        certform,
        crlform,
        request,
        genm_plan,
        cmd,
        generic_genm,
        central_keygen,
    })
}

/// The message files (`-reqin`, `-reqout`, `-rspin`, ...) and what to say when `-rspin` runs out.
fn msg_files(raw: &RawOpts, peer: &Peer) -> api::MessageFiles {
    let mut f = api::MessageFiles::default();
    if !raw.is_set(Opt::Rspin) {
        f.reqin = file_list(raw, Opt::Reqin);
    }
    f.reqin_new_tid = raw.flag(Opt::ReqinNewTid);
    f.reqout = file_list(raw, Opt::Reqout);
    f.reqout_only = raw.str(Opt::ReqoutOnly).map(PathBuf::from);
    f.rspin = file_list(raw, Opt::Rspin);
    f.rspout = file_list(raw, Opt::Rspout);
    let fallback = |to: &str| {
        format!(
            "too few {} filename arguments; resorting to {to}",
            Opt::Rspin
        )
    };
    f.rspin_fallback_warning = match peer {
        Peer::Http(_) => Some(fallback("contacting server")),
        Peer::Mock(_) => Some(fallback("using mock server")),
        Peer::None | Peer::Server => None,
    };
    f
}

/// `setup_request_ctx`: what goes into the request, checks and loads in OpenSSL's order.
/// Returns the request contents and whether the server is to generate the new key.
fn setup_request(
    raw: &RawOpts,
    cmd: Cmd,
    client_key: Option<&api::PrivateKey>,
) -> Result<(CertRequest, bool)> {
    let mut req = CertRequest::new();
    let central_keygen = noted(|n| checks::request(raw, cmd, &mut req, n))?;
    if !checks::is_ignored(Opt::Newkey, cmd) {
        load::newkey(raw, client_key, &mut req)?;
    }
    checks::policies_conflict(raw)?;
    noted(|n| {
        checks::ignored(raw, Stage::Csr, cmd, n);
        Ok(())
    })?;
    if !checks::is_ignored(Opt::Csr, cmd) {
        load::csr(raw, &mut req)?;
    }
    noted(|n| checks::extensions(raw, &mut req, n))?;
    noted(|n| {
        checks::ignored(raw, Stage::Revreason, cmd, n);
        checks::reference_oldcert(raw, cmd, n);
        checks::ignored(raw, Stage::Oldcert, cmd, n);
        Ok(())
    })?;
    if !checks::is_ignored(Opt::Oldcert, cmd) {
        load::oldcert(raw, cmd, &mut req)?;
    }
    Ok((req, central_keygen))
}

/// The header fields (recipient, expected sender, generalInfo) and how responses are checked.
fn setup_header(raw: &RawOpts, b: &mut ClientBuilder) -> Result<()> {
    // The names are parsed here, where OpenSSL reports a bad one, and the builder takes them parsed,
    // so the parser's warnings are printed once.
    let recipient = if raw.is_set(Opt::Srvcert) {
        None
    } else {
        checks::name_opt(raw, Opt::Recipient, "recipient")?
    };
    if let Some(name) = recipient {
        with(b, |b| b.recipient(name));
    }
    if let Some(name) = checks::name_opt(raw, Opt::ExpectSender, "expected sender")? {
        with(b, |b| b.expect_sender(name));
    }
    let mut items = Vec::new();
    if let Some(g) = raw.str(Opt::Geninfo) {
        items = geninfo::parse_geninfo(g)?;
    }
    if let Some(p) = raw.str(Opt::Profile) {
        items.push(InfoItem::cert_profile(p).map_err(api::Error::into_internal)?);
    }
    *b = std::mem::take(b)
        .general_info(&items)
        .map_err(api::Error::into_internal)?;
    with(b, |b| {
        b.ignore_keyusage(raw.flag(Opt::IgnoreKeyusage))
            .no_cache_extracerts(raw.flag(Opt::NoCacheExtracerts))
    });
    Ok(())
}

/// genm with `-infotype`: as OpenSSL's `do_genm`, these checks and loads come after the rest of
/// the set-up. Returns the genm items and the question of an info type with specific support.
fn genm_request(
    raw: &RawOpts,
    oid: der::asn1::ObjectIdentifier,
) -> Result<(Vec<InfoItem>, Option<GenmQuery>)> {
    if let Some(query) = super::genm::prepare(raw, oid)? {
        let item = query.item().map_err(api::Error::into_internal)?;
        return Ok((vec![item], Some(query)));
    }
    if oid == crate::asn1::oid::IT_CA_CERTS && !raw.is_set(Opt::Cacertsout) {
        return Err(cmp_err!(
            "Missing {} option for {} caCerts",
            Opt::Cacertsout,
            Opt::Infotype
        ));
    }
    if oid != crate::asn1::oid::IT_CA_CERTS {
        crate::warn!(
            "No specific support for {} {} available",
            Opt::Infotype,
            raw.str(Opt::Infotype).unwrap_or_default()
        );
    }
    let item = InfoItem {
        info_type: oid.to_string(),
        value: None,
    };
    Ok((vec![item], None))
}

/// A genm that OpenSSL's `do_genm` handles in its generic branch: no -infotype, or one without
/// specific support (caCerts, rootCaCert, crlStatusList and certReqTemplate have their own).
fn is_generic_genm(
    cmd: Cmd,
    infotype: Option<der::asn1::ObjectIdentifier>,
    has_plan: bool,
) -> bool {
    cmd == Cmd::Genm && !has_plan && infotype != Some(crate::asn1::oid::IT_CA_CERTS)
}

/// genm with `-infotype caCerts`: its CA certificates are saved with the other result files.
fn asks_ca_certs(raw: &RawOpts) -> bool {
    let wanted = raw
        .str(Opt::Infotype)
        .and_then(crate::asn1::oid::info_type_by_name);
    wanted == Some(crate::asn1::oid::IT_CA_CERTS)
}

/// Act as CMP client (possibly with the in-process mock server): set up, run `-repeat` transactions
/// through the library API, and write the results of each.
pub fn run_client(raw: &RawOpts) -> Result<()> {
    let Setup {
        builder,
        peer,
        certform,
        crlform,
        request,
        genm_plan,
        cmd,
        generic_genm,
        central_keygen,
    } = setup(raw)?;
    let repeat = raw.int(Opt::Repeat).unwrap_or(1).max(1);
    let reqout_only = raw.str(Opt::ReqoutOnly).is_some();
    let mut cl = builder
        .transport(peer)
        .build()
        .map_err(api::Error::into_internal)?;
    for _ in 0..repeat {
        let outcome = cl.execute(&request).map_err(|e| {
            if generic_genm {
                outputs::genm_failed_line();
            }
            // A failed transaction still reports a warning-type status it received (e.g. an rp
            // with keyUpdateWarning); rejection and waiting are told by the error lines.
            let status = e
                .status()
                .filter(|si| si.status != PkiStatus::Rejection && si.status != PkiStatus::Waiting);
            outputs::print_status(raw, status);
            e.into_internal().in_transaction()
        })?;
        if reqout_only && outcome.status.is_none() {
            // 3.3+ reports even this as a genm without (valid) genp, though the run succeeds.
            if generic_genm {
                outputs::genm_failed_line();
            }
            return Ok(());
        }
        outputs::print_status(raw, outcome.status.as_ref());
        let mut out = Outputs::new();
        if let Some(plan) = &genm_plan {
            // What the genp holds is checked by OpenSSL's library: its errors go to stdout.
            let forms = (certform, crlform);
            super::genm::stage(raw, &cl, plan, &outcome.items, forms, &mut out)
                .map_err(Error::in_transaction)?;
        } else if generic_genm {
            outputs::print_itavs(&outcome);
        }
        let ca_certs = (cmd == Cmd::Genm && asks_ca_certs(raw)).then(|| {
            match cl.genm_answer(&GenmQuery::CaCerts, &outcome.items) {
                Ok(GenmAnswer::CaCerts(certs)) => certs,
                _ => Vec::new(),
            }
        });
        outputs::stage_outputs(raw, cmd, &outcome, ca_certs, certform, &mut out);
        if central_keygen && matches!(cmd, Cmd::Ir | Cmd::Cr | Cmd::Kur) {
            outputs::stage_new_key(raw, &outcome, &mut out)?;
        }
        out.commit()?;
    }
    Ok(())
}
