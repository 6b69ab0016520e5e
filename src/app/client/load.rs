//! The client set-up steps that read files: TLS credentials, trust stores, the client's own key and
//! certificate, and the new key, CSR and reference certificate of the request. Each step keeps
//! OpenSSL's order of checks and loads, so the same mistakes give the same first error.

use std::time::Duration;

use super::checks::set;
use super::checks::Cmd;
use crate::api::CertRequest;
use crate::api::{self, ClientBuilder};
use crate::creds::{self, pass::get_passwd, Cert, Digest, MacAlg};
use crate::opts::{Opt, RawOpts};
use crate::verify;
use crate::Result;

use super::super::pass_of;
use super::{api_certs, checks, with};

/// TLS client settings (`setup_ssl_ctx`), handed to the library API's HTTP transport.
pub(super) fn tls_config(raw: &RawOpts, b: &mut ClientBuilder) -> Result<()> {
    if raw.is_set(Opt::TlsCert) || raw.is_set(Opt::TlsKey) || raw.is_set(Opt::TlsKeypass) {
        if !raw.is_set(Opt::TlsKey) {
            return Err(cmp_err!("missing {} option", Opt::TlsKey));
        }
        if !raw.is_set(Opt::TlsCert) {
            return Err(cmp_err!("missing {} option", Opt::TlsCert));
        }
    }
    let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
    if let Some(host) = raw.str(Opt::TlsHost) {
        let host = host.to_string();
        with(b, |b| b.tls_host(host));
    }
    match raw.str(Opt::TlsTrusted) {
        Some(f) => {
            let certs = creds::load_certs(f, other.as_ref(), "trusted TLS certs")
                .map_err(|e| e.context(Opt::TlsTrusted))?;
            with(b, |b| b.tls_trusted(api_certs(certs)));
        }
        None => crate::warn!(
            "{} given without {}; will not authenticate the TLS server",
            Opt::TlsUsed,
            Opt::TlsTrusted
        ),
    }
    match (raw.str(Opt::TlsCert), raw.str(Opt::TlsKey)) {
        (Some(cert_file), Some(key_file)) => {
            let pass = pass_of(raw, Opt::TlsKeypass, "TLS client private key")?;
            let (cert, chain) = creds::load_cert_with_chain(
                cert_file,
                pass.as_ref(),
                "TLS client certificate (optionally with chain)",
            )
            .map_err(|e| e.context(Opt::TlsCert))?;
            let key = creds::load_key(key_file, pass.as_ref(), "TLS client private key")
                .map_err(|e| e.context(Opt::TlsKey))?;
            if !key.matches_cert(&cert) {
                return Err(cmp_err!(
                    "TLS private key '{key_file}' does not match the TLS certificate '{cert_file}'"
                ));
            }
            let mut all = vec![cert];
            all.extend(chain);
            if let Some(f) = raw.str(Opt::TlsExtra) {
                let extra = creds::load_certs(f, other.as_ref(), "extra certificates for TLS")
                    .map_err(|e| e.context(Opt::TlsExtra))?;
                all.extend(extra);
            }
            // Checked here as before, where a key that cannot be exported would be reported.
            key.to_pkcs8_der()?;
            with(b, |b| {
                b.tls_client(api_certs(all), crate::api::PrivateKey(key))
            });
        }
        _ => {
            crate::warn!(
                "{} given without {}; cannot authenticate to the TLS server",
                Opt::TlsUsed,
                Opt::TlsKey
            )
        }
    }
    Ok(())
}

/// Load the certificates of a list of files (`-trusted`, `-untrusted`, ...), warning on stderr for
/// each one as OpenSSL's app does.
pub(super) fn load_certs_warn(
    src: &str,
    pass: Option<&creds::Secret>,
    desc: &str,
    params: &verify::VerifyParams,
) -> Result<Vec<Cert>> {
    let files = creds::split_sources(src);
    if files.len() <= 1 {
        let certs = creds::load_certs(src, pass, desc)?;
        warn_certs(src.trim(), &certs, true, params);
        return Ok(certs);
    }
    let mut all = Vec::new();
    for f in files {
        let certs = creds::load_certs(f, pass, desc)?;
        warn_certs(f, &certs, true, params);
        all.extend(certs);
    }
    Ok(all)
}

/// OpenSSL's warnings for a loaded certificate (on stderr, without a `CMP` prefix): expired or not yet
/// valid at the verification time (none with -no_check_time), and with `warn_ee` an X.509v3
/// certificate that is not a CA.
pub(super) fn warn_certs(file: &str, certs: &[Cert], warn_ee: bool, params: &verify::VerifyParams) {
    let at = params
        .check_time()
        .map(|t| std::time::UNIX_EPOCH + Duration::from_secs(t.max(0) as u64));
    for line in certs
        .iter()
        .flat_map(|c| c.load_warnings(file, at, warn_ee))
    {
        crate::log::raw_stderr(&format!("{line}\n"));
    }
}

/// With `-srvcert`, the server certificate is pinned: trust anchors and recipient are not used.
fn ignored_since_srvcert(opt: Opt) {
    crate::warn!(
        "{opt} option is ignored since {} option is present",
        Opt::Srvcert
    );
}

/// What the command keeps of the trust it hands to the library API: the command itself builds
/// the chain of `-cert` with `-own_trusted`.
#[derive(Default)]
pub(super) struct Trust {
    /// `-untrusted`.
    pub untrusted: Vec<Cert>,
}

/// `setup_verification_ctx`: trust for responses and for the newly enrolled certificate.
/// `params` serve the load warnings, `opts` (the same options) the library.
pub(super) fn setup_verification(
    raw: &RawOpts,
    b: &mut ClientBuilder,
    params: &verify::VerifyParams,
    opts: &api::VerifyOptions,
) -> Result<Trust> {
    let mut trust = Trust::default();
    let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
    if let Some(f) = raw.str(Opt::Untrusted) {
        let certs = load_certs_warn(f, other.as_ref(), "untrusted certificates", params)
            .map_err(|e| e.context(Opt::Untrusted))?;
        trust.untrusted = certs.clone();
        with(b, |b| b.untrusted(api_certs(certs)));
    }
    let mut use_trusted = raw.is_set(Opt::Trusted);
    if let Some(f) = raw.str(Opt::Srvcert) {
        if use_trusted {
            ignored_since_srvcert(Opt::Trusted);
            use_trusted = false;
        }
        if raw.is_set(Opt::Recipient) {
            ignored_since_srvcert(Opt::Recipient);
        }
        let cert = creds::load_cert(f, other.as_ref(), "directly trusted CMP server certificate")
            .map_err(|e| e.context(Opt::Srvcert))?;
        with(b, |b| b.srvcert(crate::api::Certificate(cert)));
    }
    if use_trusted {
        if let Some(f) = raw.str(Opt::Trusted) {
            let certs = load_certs_warn(f, other.as_ref(), "certs trusted by client", params)
                .map_err(|e| e.context(Opt::Trusted))?;
            with(b, |b| b.trusted_with(api_certs(certs), opts));
        }
    }
    with(b, |b| {
        b.unprotected_errors(raw.flag(Opt::UnprotectedErrors))
    });
    if raw.flag(Opt::TaInIpExtracerts) {
        with(b, |b| b.ta_in_ip_extracerts(true));
        crate::warn!("permitting non-authenticated trust anchors in IP extracerts according to 3GPP TS 33.310");
    }
    if let Some(f) = raw.str(Opt::OutTrusted) {
        let certs = load_certs_warn(
            f,
            other.as_ref(),
            "trusted certs for verifying newly enrolled cert",
            params,
        )
        .map_err(|e| e.context(Opt::OutTrusted))?;
        with(b, |b| b.out_trusted_with(api_certs(certs), opts));
    }
    with(b, |b| {
        b.disable_confirm(raw.flag(Opt::DisableConfirm))
            .implicit_confirm(raw.flag(Opt::ImplicitConfirm))
    });
    Ok(trust)
}

/// `setup_protection_ctx`: how requests are protected. Returns the client key (`-key`), which
/// `-newkey` may name again.
pub(super) fn setup_protection(
    raw: &RawOpts,
    b: &mut ClientBuilder,
    untrusted: &[Cert],
) -> Result<Option<creds::PrivateKey>> {
    checks::protection(raw)?;
    let mut secret_given = false;
    if let Some(src) = raw.str(Opt::Secret) {
        let s = get_passwd(src, "PBMAC")?;
        with(b, |b| b.secret(s.as_bytes()));
        secret_given = true;
        if raw.is_set(Opt::Cert) || raw.is_set(Opt::Key) {
            crate::warn!(
                "{} and {} not used for protection since {} is given",
                Opt::Cert,
                Opt::Key,
                Opt::Secret
            );
        }
    }
    if let Some(r) = raw.str(Opt::Ref) {
        with(b, |b| b.reference(r.as_bytes()));
    }
    let keypass = pass_of(raw, Opt::Keypass, "private key for CMP client certificate")?;
    let mut client_key = None;
    if let Some(f) = raw.str(Opt::Key) {
        let key = creds::load_key(
            f,
            keypass.as_ref(),
            "private key for CMP client certificate",
        )
        .map_err(|e| e.context(Opt::Key))?;
        client_key = Some(key.clone());
        with(b, |b| b.client_key(crate::api::PrivateKey(key)));
    }
    if !raw.is_set(Opt::Secret) && !raw.is_set(Opt::Srvcert) && !raw.is_set(Opt::Trusted) {
        crate::warn!(
            "will not authenticate server due to missing {}, {}, or {}",
            Opt::Secret,
            Opt::Trusted,
            Opt::Srvcert
        );
    }
    if let Some(f) = raw.str(Opt::Cert) {
        client_cert(raw, f, keypass.as_ref(), untrusted, b)?;
    } else if raw.is_set(Opt::OwnTrusted) {
        crate::warn!(
            "{} option is ignored without {}",
            Opt::OwnTrusted,
            Opt::Cert
        );
    }
    if let Some(f) = raw.str(Opt::Extracerts) {
        let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
        let certs = load_certs_warn(
            f,
            other.as_ref(),
            "extra certificates for CMP",
            &checks::verify_params(raw)?,
        )
        .map_err(|e| e.context(Opt::Extracerts))?;
        with(b, |b| b.extracerts(api_certs(certs)));
    }
    with(b, |b| {
        b.unprotected_requests(raw.flag(Opt::UnprotectedRequests))
    });
    // The builder's defaults, unless given.
    let (mut digest, mut mac) = (Digest::Sha256, MacAlg::Hmac(Digest::Sha1));
    if let Some(d) = raw.str(Opt::Digest) {
        // Checked here for OpenSSL's wording; the builder takes the same name.
        digest = Digest::from_name(d).map_err(|e| checks::digest_error(d, e))?;
        *b = std::mem::take(b)
            .digest(d)
            .map_err(api::Error::into_internal)?;
    }
    if let Some(m) = raw.str(Opt::Mac) {
        mac = MacAlg::from_name(m)?;
        *b = std::mem::take(b)
            .mac_algorithm(m)
            .map_err(api::Error::into_internal)?;
    }
    let o = crate::protect::MacOptions::from_opts(raw, secret_given, digest, mac)?;
    with(b, |b| b.mac_params(o.pbmac1, o.iterations, o.salt_len));
    Ok(client_key)
}

/// `-cert` (with its chain) and, with `-own_trusted`, the validated chain to send with it.
fn client_cert(
    raw: &RawOpts,
    f: &str,
    keypass: Option<&creds::Secret>,
    untrusted: &[Cert],
    b: &mut ClientBuilder,
) -> Result<()> {
    let (cert, chain) =
        creds::load_cert_with_chain(f, keypass, "CMP client certificate (optionally with chain)")
            .map_err(|e| e.context(Opt::Cert))?;
    let params = checks::verify_params(raw)?;
    warn_certs(f, std::slice::from_ref(&cert), false, &params);
    warn_certs(f, &chain, true, &params);
    let api_cert = api::Certificate(cert.clone());
    with(b, |b| b.client_cert(api_cert, api_certs(chain.clone())));
    if let Some(f) = raw.str(Opt::OwnTrusted) {
        let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
        let certs = load_certs_warn(
            f,
            other.as_ref(),
            "trusted certs for verifying own CMP signer cert",
            &params,
        )
        .map_err(|e| e.context(Opt::OwnTrusted))?;
        let store = verify::TrustStore::new(certs, params.clone());
        crate::debug!("trying to build chain for own CMP signer cert");
        // The builder's untrusted certificates: `-untrusted`, then the chain given with `-cert`.
        let pool: Vec<Cert> = untrusted.iter().chain(&chain).cloned().collect();
        let chain = store.verify(&cert, &pool)?;
        crate::debug!("success building chain for own CMP signer cert");
        let own: Vec<Cert> = chain.into_iter().skip(1).collect();
        with(b, |b| b.own_chain(api_certs(own)));
    }
    Ok(())
}

/// The client key already loaded for `-key`, when `-newkey` names the same file with the same pass
/// phrase source (a common set-up: renewing with the same key pair). Parsing an RSA key includes a
/// consistency check that costs about as much as a signature, so it is done once. Sources that could
/// yield something else when read again (`stdin`, `fd:`) are not taken as the same.
fn same_key_as_client_key(
    raw: &RawOpts,
    key: Option<&creds::PrivateKey>,
) -> Option<creds::PrivateKey> {
    let key = key?;
    if raw.str(Opt::Key)? != raw.str(Opt::Newkey)? {
        return None;
    }
    let repeatable =
        |p: Option<&str>| p.is_none_or(|p| p.starts_with("pass:") || p.starts_with("env:"));
    let (kp, np) = (raw.str(Opt::Keypass), raw.str(Opt::Newkeypass));
    (kp == np && repeatable(kp)).then(|| key.clone())
}

/// `-newkey`: the key to certify (a public key will do without POPO), unless it is the client key.
pub(super) fn newkey(
    raw: &RawOpts,
    client_key: Option<&creds::PrivateKey>,
    req: &mut CertRequest,
) -> Result<()> {
    let Some(f) = raw.str(Opt::Newkey) else {
        return Ok(());
    };
    let key = match same_key_as_client_key(raw, client_key) {
        Some(key) => creds::KeyOrPub::Private(key),
        None => {
            let desc = "new private key for cert to be enrolled";
            let pass = pass_of(raw, Opt::Newkeypass, desc)?;
            creds::load_key_or_pubkey(f, pass.as_ref(), desc).map_err(|e| e.context(Opt::Newkey))?
        }
    };
    match key {
        creds::KeyOrPub::Private(k) => set(req, |r| r.key(api::PrivateKey(k))),
        creds::KeyOrPub::Public(p) => set(req, |r| r.public_key(api::PublicKey(p))),
    }
    Ok(())
}

/// `-csr`: the PKCS#10 request to send (p10cr) or to take values from.
pub(super) fn csr(raw: &RawOpts, req: &mut CertRequest) -> Result<()> {
    if let Some(f) = raw.str(Opt::Csr) {
        let csr = creds::load_csr(f, "PKCS#10 CSR").map_err(|e| e.context(Opt::Csr))?;
        let der = csr.der().to_vec();
        set(req, |r| r.csr(der));
    }
    Ok(())
}

/// `-oldcert`: the certificate to update (kur) or revoke (rr), or the reference for the others.
pub(super) fn oldcert(raw: &RawOpts, cmd: Cmd, req: &mut CertRequest) -> Result<()> {
    let Some(f) = raw.str(Opt::Oldcert) else {
        return Ok(());
    };
    let desc = match cmd {
        Cmd::Kur => "certificate to be updated",
        Cmd::Rr => "certificate to be revoked",
        _ => "reference certificate (oldcert)",
    };
    let keypass = pass_of(raw, Opt::Keypass, desc)?;
    let cert = creds::load_cert(f, keypass.as_ref(), desc).map_err(|e| e.context(Opt::Oldcert))?;
    set(req, |r| r.old_cert(api::Certificate(cert)));
    Ok(())
}
