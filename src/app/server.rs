//! Mock server set-up from the options (`-port`, `-use_mock_srv` and the `-srv_*`/`-rsp_*` options), in the
//! order and with the checks of `openssl cmp`'s own set-up, so the same mistakes give the same first error.

use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::creds::{self, pass::get_passwd};
use crate::opts::{Opt, RawOpts};
use crate::server::{Server, SrvConfig};
use crate::transfer;
use crate::Result;

use super::pass_of;

fn ders(certs: Vec<creds::Cert>) -> Vec<Vec<u8>> {
    certs.iter().map(|c| c.der().to_vec()).collect()
}

/// Load a list of certificate files as OpenSSL 3.5's set-up does for the mock's untrusted, extra
/// and caPubs certificates: each file on its own, with a warning on stderr for every certificate out
/// of its validity period (unless `-no_check_time`) and every end-entity (v3, not a CA) certificate.
/// OpenSSL 3.0 loads them silently.
fn load_certs_warned(
    raw: &RawOpts,
    sources: &str,
    pass: Option<&creds::pass::Secret>,
    desc: &str,
) -> Result<Vec<creds::Cert>> {
    if crate::compat::get() == crate::compat::Compat::V3_0 {
        return creds::load_certs(sources, pass, desc);
    }
    let at = (!raw.flag(Opt::NoCheckTime)).then(|| {
        raw.int(Opt::Attime)
            .and_then(|t| u64::try_from(t).ok())
            .map(|t| std::time::UNIX_EPOCH + Duration::from_secs(t))
            .unwrap_or_else(std::time::SystemTime::now)
    });
    let mut out = Vec::new();
    for file in creds::split_sources(sources) {
        let certs = creds::load_certs(file, pass, desc)?;
        for line in certs.iter().flat_map(|c| c.load_warnings(file, at, true)) {
            crate::log::raw_stderr(&format!("{line}\n"));
        }
        out.extend(certs);
    }
    if out.is_empty() {
        return creds::load_certs(sources, pass, desc);
    }
    Ok(out)
}

/// The TLS options of the mock server (rcmp extensions).
const SRV_TLS_OPTS: [Opt; 4] = [
    Opt::SrvTlsCert,
    Opt::SrvTlsKey,
    Opt::SrvTlsKeypass,
    Opt::SrvTlsTrusted,
];

/// `-srv_tls_cert`, `-srv_tls_key`, `-srv_tls_keypass`, `-srv_tls_trusted`: the HTTPS set-up of `-port`,
/// or None when none of them is given.
fn srv_tls(raw: &RawOpts) -> Result<Option<Arc<rustls::ServerConfig>>> {
    let (Some(cert_file), Some(key_file)) = (raw.str(Opt::SrvTlsCert), raw.str(Opt::SrvTlsKey))
    else {
        if raw.is_set(Opt::SrvTlsCert) || raw.is_set(Opt::SrvTlsKey) {
            return Err(cmp_err!(
                "must give both {} and {} options or neither",
                Opt::SrvTlsCert,
                Opt::SrvTlsKey
            ));
        }
        if let Some(o) = SRV_TLS_OPTS.iter().find(|o| raw.is_set(**o)) {
            return Err(cmp_err!("{o} option requires {}", Opt::SrvTlsCert));
        }
        return Ok(None);
    };
    let pass = pass_of(raw, Opt::SrvTlsKeypass, "mock server TLS key (and cert)")?;
    let certs = creds::load_certs(cert_file, pass.as_ref(), "mock server TLS certificate")
        .map_err(|e| e.context(Opt::SrvTlsCert))?;
    let key = creds::load_key(key_file, pass.as_ref(), "mock server TLS key")
        .map_err(|e| e.context(Opt::SrvTlsKey))?;
    let der = |c: &creds::Cert| rustls::pki_types::CertificateDer::from(c.der().to_vec());
    let mut client_trusted = Vec::new();
    if let Some(f) = raw.str(Opt::SrvTlsTrusted) {
        let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
        let certs = creds::load_certs(f, other.as_ref(), "trust anchors for TLS clients")
            .map_err(|e| e.context(Opt::SrvTlsTrusted))?;
        client_trusted = certs.iter().map(der).collect();
    }
    let tls = transfer::tls::ServerTls {
        cert_chain: certs.iter().map(der).collect(),
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.to_pkcs8_der()?.to_vec().into()),
        client_trusted,
    };
    transfer::tls::server_config(&tls).map(Some)
}

/// Build the mock server's configuration, loading every file it names.
pub fn srv_config(raw: &RawOpts) -> Result<SrvConfig> {
    if !raw.is_set(Opt::Port) {
        // Without -port (i.e. with -use_mock_srv) there is no connection to put TLS on.
        if let Some(o) = SRV_TLS_OPTS.iter().find(|o| raw.is_set(**o)) {
            return Err(cmp_err!("{o} option requires {}", Opt::Port));
        }
    }
    let mut cfg = SrvConfig {
        compat: crate::compat::get(),
        ..SrvConfig::default()
    };
    srv_credentials(raw, &mut cfg)?;
    let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
    srv_trust(raw, &mut cfg, other.as_ref())?;
    rsp_certs(raw, &mut cfg, other.as_ref())?;
    rsp_status(raw, &mut cfg)?;
    Ok(cfg)
}

/// The mock server's own credentials: `-srv_ref`, `-srv_secret`, `-srv_cert`, `-srv_key`.
fn srv_credentials(raw: &RawOpts, cfg: &mut SrvConfig) -> Result<()> {
    match raw.str(Opt::SrvRef) {
        Some(r) => cfg.srv_ref = Some(r.as_bytes().to_vec()),
        None if !raw.is_set(Opt::SrvCert) => {
            return Err(cmp_err!(
                "must give {} for mock server if no {} given",
                Opt::SrvRef,
                Opt::SrvCert
            ))
        }
        None => {}
    }
    if let Some(src) = raw.str(Opt::SrvSecret) {
        let s = get_passwd(src, "PBMAC secret of mock server")?;
        cfg.srv_secret = Some(Zeroizing::new(s.as_bytes().to_vec()));
    } else if !raw.is_set(Opt::SrvCert) {
        return Err(cmp_err!(
            "server credentials ({} or {}) must be given if {} or {} is used",
            Opt::SrvSecret,
            Opt::SrvCert,
            Opt::UseMockSrv,
            Opt::Port
        ));
    } else {
        crate::warn!(
            "server will not be able to handle PBM-protected requests since {} is not given",
            Opt::SrvSecret
        );
    }
    if !raw.is_set(Opt::SrvSecret) && raw.is_set(Opt::SrvCert) != raw.is_set(Opt::SrvKey) {
        return Err(cmp_err!(
            "must give both {} and {} options or neither",
            Opt::SrvCert,
            Opt::SrvKey
        ));
    }
    let srv_pass = pass_of(raw, Opt::SrvKeypass, "server private key (and cert)")?;
    if let Some(f) = raw.str(Opt::SrvCert) {
        cfg.srv_cert = Some(
            creds::load_cert(
                f,
                srv_pass.as_ref(),
                "signer certificate of the mock server",
            )
            .map_err(|e| e.context(Opt::SrvCert))?
            .der()
            .to_vec(),
        );
    }
    if let Some(f) = raw.str(Opt::SrvKey) {
        let key = creds::load_key(f, srv_pass.as_ref(), "private key for mock server cert")
            .map_err(|e| e.context(Opt::SrvKey))?;
        cfg.srv_key = Some(Zeroizing::new(key.to_pkcs8_der()?.to_vec()));
    }
    Ok(())
}

/// What the mock server trusts: `-srv_trusted`, `-srv_untrusted`, `-ref_cert`.
fn srv_trust(raw: &RawOpts, cfg: &mut SrvConfig, other: Option<&creds::Secret>) -> Result<()> {
    match raw.str(Opt::SrvTrusted) {
        Some(f) => cfg.srv_trusted = ders(creds::load_certs(f, other, "certs trusted by mock server")
.map_err(|e| e.context(Opt::SrvTrusted))?),
        None => crate::warn!(
            "mock server will not be able to handle signature-protected requests since {} is not given",
            Opt::SrvTrusted
        ),
    }
    if let Some(f) = raw.str(Opt::SrvUntrusted) {
        cfg.srv_untrusted = ders(
            load_certs_warned(raw, f, other, "untrusted certificates for mock server")
                .map_err(|e| e.context(Opt::SrvUntrusted))?,
        );
    }
    if let Some(f) = raw.str(Opt::RefCert) {
        cfg.ref_cert = Some(
            creds::load_cert(f, other, "reference cert to be expected by the mock server")
                .map_err(|e| e.context(Opt::RefCert))?
                .der()
                .to_vec(),
        );
    }
    Ok(())
}

/// What the mock server hands out: `-rsp_cert`, `-rsp_key`, `-rsp_crl`, and the extra, caPubs and
/// rootCaKeyUpdate certificates.
fn rsp_certs(raw: &RawOpts, cfg: &mut SrvConfig, other: Option<&creds::Secret>) -> Result<()> {
    let rsp_pass = pass_of(raw, Opt::RspKeypass, "response private key (and cert)")?;
    match raw.str(Opt::RspCert) {
        Some(f) => {
            cfg.rsp_cert = Some(
                creds::load_cert(
                    f,
                    rsp_pass.as_ref(),
                    "cert the mock server returns on certificate requests",
                )
                .map_err(|e| e.context(Opt::RspCert))?
                .der()
                .to_vec(),
            )
        }
        None => crate::warn!("no {} given for mock server", Opt::RspCert),
    }
    if let Some(f) = raw.str(Opt::RspKey) {
        let key = creds::load_key(f, rsp_pass.as_ref(), "private key for enrollment cert")
            .map_err(|e| e.context(Opt::RspKey))?;
        cfg.rsp_key = Some(Zeroizing::new(key.to_pkcs8_der()?.to_vec()));
    }
    if let Some(f) = raw.str(Opt::RspCrl) {
        let crl = creds::load_crls(f, "CRL to be returned by the mock server")
            .map_err(|e| e.context(Opt::RspCrl))?;
        cfg.rsp_crl = crl.first().map(|c| c.der().to_vec());
    }
    if let Some(f) = raw.str(Opt::RspExtracerts) {
        cfg.rsp_extracerts = ders(
            load_certs_warned(raw, f, other, "CMP extra certificates for mock server")
                .map_err(|e| e.context(Opt::RspExtracerts))?,
        );
    }
    if let Some(f) = raw.str(Opt::RspCapubs) {
        cfg.rsp_capubs = ders(
            load_certs_warned(raw, f, other, "caPubs for mock server")
                .map_err(|e| e.context(Opt::RspCapubs))?,
        );
    }
    // The three certificates of a genm rootCaCert answer (rootCaKeyUpdate), in OpenSSL's order.
    for (opt, slot, desc) in [
        (
            Opt::RspNewwithnew,
            &mut cfg.rsp_newwithnew,
            "NewWithNew cert the mock server returns in rootCaKeyUpdate",
        ),
        (
            Opt::RspNewwithold,
            &mut cfg.rsp_newwithold,
            "NewWithOld cert the mock server returns in rootCaKeyUpdate",
        ),
        (
            Opt::RspOldwithnew,
            &mut cfg.rsp_oldwithnew,
            "OldWithNew cert the mock server returns in rootCaKeyUpdate",
        ),
    ] {
        if let Some(f) = raw.str(opt) {
            let cert = creds::load_cert(f, other, desc).map_err(|e| e.context(opt))?;
            *slot = Some(cert.der().to_vec());
        }
    }
    Ok(())
}

/// How the mock server answers: polling, status and failure info, protection, and checking.
fn rsp_status(raw: &RawOpts, cfg: &mut SrvConfig) -> Result<()> {
    cfg.poll_count = clamp_u32(raw.int(Opt::PollCount).unwrap_or(0));
    cfg.check_after = clamp_u32(raw.int(Opt::CheckAfter).unwrap_or(1));
    cfg.grant_implicitconf = raw.flag(Opt::GrantImplicitconf);

    let mut failurebits = raw.int(Opt::Failurebits).unwrap_or(0);
    if let Some(f) = raw.int(Opt::Failure) {
        if !(0..=26).contains(&f) {
            return Err(cmp_err!(
                "{} out of range, should be >= 0 and <= 26",
                Opt::Failure
            ));
        }
        if failurebits != 0 {
            crate::warn!("{} overrides {}", Opt::Failurebits, Opt::Failure);
        } else {
            failurebits = 1 << f;
        }
        cfg.failure = Some(f as u8);
    }
    if !(0..(1 << 27)).contains(&failurebits) {
        return Err(cmp_err!("{} out of range", Opt::Failurebits));
    }
    cfg.failurebits = failurebits as u32;
    let status = raw.int(Opt::Pkistatus).unwrap_or(0);
    if !(0..=6).contains(&status) {
        return Err(cmp_err!(
            "{} out of range, should be >= 0 and <= 6",
            Opt::Pkistatus
        ));
    }
    cfg.pkistatus = status as u8;
    cfg.statusstring = raw.str(Opt::Statusstring).map(str::to_string);
    cfg.send_error = raw.flag(Opt::SendError);
    cfg.send_unprotected = raw.flag(Opt::SendUnprotected);
    cfg.send_unprot_err = raw.flag(Opt::SendUnprotErr);
    cfg.accept_unprotected = raw.flag(Opt::AcceptUnprotected);
    cfg.accept_unprot_err = raw.flag(Opt::AcceptUnprotErr);
    cfg.accept_raverified = raw.flag(Opt::AcceptRaverified);
    cfg.no_cache_extracerts = raw.flag(Opt::NoCacheExtracerts);
    cfg.no_check_time = raw.flag(Opt::NoCheckTime);
    cfg.attime = raw.int(Opt::Attime);
    Ok(())
}

fn clamp_u32(n: i64) -> u32 {
    n.clamp(0, i64::from(u32::MAX)) as u32
}

/// `-port`: run the HTTP (or, with `-srv_tls_cert`, HTTPS) mock server until `-max_msgs` requests were served (forever by default).
pub fn run_port(raw: &RawOpts) -> Result<()> {
    let port_arg = raw.str(Opt::Port).unwrap_or("");
    let port: u16 = port_arg.parse().map_err(|_| {
        cmp_err!(
            "invalid {} argument '{port_arg}': must be a number from 0 to 65535",
            Opt::Port
        )
    })?;
    let cfg = srv_config(raw)?;
    let compat = cfg.compat;
    let tls = srv_tls(raw)?;
    let server = Arc::new(Server::new(cfg)?);
    let handler: transfer::server::Handler = Arc::new(move |req: &[u8]| {
        server.answer(req).map(|a| transfer::server::Reply {
            body: a.der,
            close: a.transaction_ended,
        })
    });
    let listen = transfer::server::ServerConfig {
        port,
        compat,
        max_msgs: raw.int(Opt::MaxMsgs).unwrap_or(0).max(0) as u64,
        io_timeout: Duration::from_secs(60),
        tls,
        ..transfer::server::ServerConfig::default()
    };
    transfer::server::serve(listen, handler)
}
