//! Mock server set-up from the options (`-port`, `-use_mock_srv` and the `-srv_*`/`-rsp_*` options), in the
//! order and with the checks of `openssl cmp`'s own set-up, so the same mistakes give the same first error.

use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::api::{Certificate, Crl, LoadOptions, PrivateKey};
use crate::opts::{Opt, RawOpts};
use crate::server::{Server, SrvConfig};
use crate::transfer;
use crate::Result;

use super::{failed_at, pass_of, pass_opts};

fn ders(certs: Vec<Certificate>) -> Vec<Vec<u8>> {
    certs.iter().map(|c| c.der().to_vec()).collect()
}

/// All certificates of a list of files, an error as the command reports it.
fn load_list(sources: &str, opts: &LoadOptions) -> Result<Vec<Certificate>> {
    Certificate::load_list(sources, opts).map_err(crate::api::Error::into_internal)
}

/// The first certificate of `file` for `opt`, DER-encoded.
fn cert_der(file: &str, opts: &LoadOptions, opt: Opt) -> Result<Vec<u8>> {
    let cert = Certificate::load_first(file, opts).map_err(failed_at(opt))?;
    Ok(cert.der().to_vec())
}

/// The private key of `file` for `opt`, as unencrypted PKCS#8 DER.
fn key_der(file: &str, opts: &LoadOptions, opt: Opt) -> Result<Zeroizing<Vec<u8>>> {
    let key = PrivateKey::load_with(file, opts).map_err(failed_at(opt))?;
    let der = key
        .to_pkcs8_der()
        .map_err(crate::api::Error::into_internal)?;
    Ok(Zeroizing::new(der.to_vec()))
}

/// Load a list of certificate files as OpenSSL 3.5's set-up does for the mock's untrusted, extra
/// and caPubs certificates: each file on its own, with a warning on stderr for every certificate out
/// of its validity period (unless `-no_check_time`) and every end-entity (v3, not a CA) certificate.
/// OpenSSL 3.0 loads them silently.
fn load_certs_warned(raw: &RawOpts, sources: &str, opts: &LoadOptions) -> Result<Vec<Certificate>> {
    if crate::compat::is(crate::compat::Compat::V3_0) {
        return load_list(sources, opts);
    }
    let at = (!raw.flag(Opt::NoCheckTime)).then(|| {
        raw.int(Opt::Attime)
            .and_then(|t| u64::try_from(t).ok())
            .map(|t| std::time::UNIX_EPOCH + Duration::from_secs(t))
            .unwrap_or_else(std::time::SystemTime::now)
    });
    let mut out = Vec::new();
    for file in crate::api::file_list(sources) {
        let certs = load_list(file, opts)?;
        for line in certs.iter().flat_map(|c| c.load_warnings(file, at, true)) {
            crate::log::raw_stderr(&format!("{line}\n"));
        }
        out.extend(certs);
    }
    if out.is_empty() {
        return load_list(sources, opts);
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
    let pass = pass_opts(raw, Opt::SrvTlsKeypass, "mock server TLS key (and cert)")?;
    let load = pass.clone().description("mock server TLS certificate");
    let certs = Certificate::load_list(cert_file, &load).map_err(failed_at(Opt::SrvTlsCert))?;
    let key = PrivateKey::load_with(key_file, &pass.description("mock server TLS key"))
        .map_err(failed_at(Opt::SrvTlsKey))?;
    let der = |c: &Certificate| rustls::pki_types::CertificateDer::from(c.der().to_vec());
    let mut client_trusted = Vec::new();
    if let Some(f) = raw.str(Opt::SrvTlsTrusted) {
        let other = pass_opts(raw, Opt::Otherpass, "certificates of others")?;
        let load = other.description("trust anchors for TLS clients");
        let certs = Certificate::load_list(f, &load).map_err(failed_at(Opt::SrvTlsTrusted))?;
        client_trusted = certs.iter().map(der).collect();
    }
    let tls = transfer::tls::ServerTls {
        cert_chain: certs.iter().map(der).collect(),
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(
            key.to_pkcs8_der()
                .map_err(crate::api::Error::into_internal)?
                .to_vec()
                .into(),
        ),
        client_trusted,
    };
    transfer::tls::server_config(&tls).map(Some)
}

/// Build the mock server's configuration, loading every file it names.
/// The `-use_mock_srv` server of the client, configured from the same options as `-port`'s.
pub fn mock_builder(raw: &RawOpts) -> Result<crate::api::MockServerBuilder> {
    srv_config(raw).map(crate::api::MockServerBuilder::from_config)
}

fn srv_config(raw: &RawOpts) -> Result<SrvConfig> {
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
    let other = pass_opts(raw, Opt::Otherpass, "certificates of others")?;
    srv_trust(raw, &mut cfg, &other)?;
    rsp_certs(raw, &mut cfg, &other)?;
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
    if let Some(s) = pass_of(raw, Opt::SrvSecret, "PBMAC secret of mock server")? {
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
    let srv_pass = pass_opts(raw, Opt::SrvKeypass, "server private key (and cert)")?;
    if let Some(f) = raw.str(Opt::SrvCert) {
        let load = srv_pass
            .clone()
            .description("signer certificate of the mock server");
        cfg.srv_cert = Some(cert_der(f, &load, Opt::SrvCert)?);
    }
    if let Some(f) = raw.str(Opt::SrvKey) {
        let load = srv_pass.description("private key for mock server cert");
        cfg.srv_key = Some(key_der(f, &load, Opt::SrvKey)?);
    }
    Ok(())
}

/// What the mock server trusts: `-srv_trusted`, `-srv_untrusted`, `-ref_cert`.
fn srv_trust(raw: &RawOpts, cfg: &mut SrvConfig, other: &LoadOptions) -> Result<()> {
    match raw.str(Opt::SrvTrusted) {
        Some(f) => {
            let load = other.clone().description("certs trusted by mock server");
            let certs = Certificate::load_list(f, &load).map_err(failed_at(Opt::SrvTrusted))?;
            cfg.srv_trusted = ders(certs);
        }
        None => crate::warn!(
            "mock server will not be able to handle signature-protected requests since {} is not given",
            Opt::SrvTrusted
        ),
    }
    if let Some(f) = raw.str(Opt::SrvUntrusted) {
        cfg.srv_untrusted = ders(
            load_certs_warned(
                raw,
                f,
                &other
                    .clone()
                    .description("untrusted certificates for mock server"),
            )
            .map_err(|e| e.context(Opt::SrvUntrusted))?,
        );
    }
    if let Some(f) = raw.str(Opt::RefCert) {
        let load = other
            .clone()
            .description("reference cert to be expected by the mock server");
        cfg.ref_cert = Some(cert_der(f, &load, Opt::RefCert)?);
    }
    Ok(())
}

/// What the mock server hands out: `-rsp_cert`, `-rsp_key`, `-rsp_crl`, and the extra, caPubs and
/// rootCaKeyUpdate certificates.
fn rsp_certs(raw: &RawOpts, cfg: &mut SrvConfig, other: &LoadOptions) -> Result<()> {
    let rsp_pass = pass_opts(raw, Opt::RspKeypass, "response private key (and cert)")?;
    match raw.str(Opt::RspCert) {
        Some(f) => {
            let load = rsp_pass
                .clone()
                .description("cert the mock server returns on certificate requests");
            cfg.rsp_cert = Some(cert_der(f, &load, Opt::RspCert)?);
        }
        None => crate::warn!("no {} given for mock server", Opt::RspCert),
    }
    if let Some(f) = raw.str(Opt::RspKey) {
        let load = rsp_pass.description("private key for enrollment cert");
        cfg.rsp_key = Some(key_der(f, &load, Opt::RspKey)?);
    }
    if let Some(f) = raw.str(Opt::RspCrl) {
        let load = LoadOptions::new().description("CRL to be returned by the mock server");
        let crl = Crl::load_list(f, &load).map_err(failed_at(Opt::RspCrl))?;
        cfg.rsp_crl = crl.first().map(|c| c.der().to_vec());
    }
    if let Some(f) = raw.str(Opt::RspExtracerts) {
        cfg.rsp_extracerts = ders(
            load_certs_warned(
                raw,
                f,
                &other
                    .clone()
                    .description("CMP extra certificates for mock server"),
            )
            .map_err(|e| e.context(Opt::RspExtracerts))?,
        );
    }
    if let Some(f) = raw.str(Opt::RspCapubs) {
        cfg.rsp_capubs = ders(
            load_certs_warned(raw, f, &other.clone().description("caPubs for mock server"))
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
            *slot = Some(cert_der(f, &other.clone().description(desc), opt)?);
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
