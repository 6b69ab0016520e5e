//! The client set-up steps that read files: TLS credentials, trust stores, the client's own key and
//! certificate, and the new key, CSR and reference certificate of the request. Each step keeps
//! OpenSSL's order of checks and loads, so the same mistakes give the same first error.

use super::checks::set;
use super::checks::Cmd;
use crate::api::{
    self, CertRequest, Certificate, ClientBuilder, Csr, KeyOrPublic, LoadOptions, PrivateKey,
    VerifyOptions,
};
use crate::opts::{Opt, RawOpts};
use crate::Result;

use super::super::{failed_at as at, pass_of, pass_opts};
use super::{checks, with};

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
    let other = pass_opts(raw, Opt::Otherpass, "certificates of others")?;
    if let Some(host) = raw.str(Opt::TlsHost) {
        let host = host.to_string();
        with(b, |b| b.tls_host(host));
    }
    match raw.str(Opt::TlsTrusted) {
        Some(f) => {
            let certs = Certificate::load_list(f, &other.clone().description("trusted TLS certs"))
                .map_err(at(Opt::TlsTrusted))?;
            with(b, |b| b.tls_trusted(certs));
        }
        None => crate::warn!(
            "{} given without {}; will not authenticate the TLS server",
            Opt::TlsUsed,
            Opt::TlsTrusted
        ),
    }
    match (raw.str(Opt::TlsCert), raw.str(Opt::TlsKey)) {
        (Some(cert_file), Some(key_file)) => {
            let pass = pass_opts(raw, Opt::TlsKeypass, "TLS client private key")?;
            let desc = "TLS client certificate (optionally with chain)";
            let (cert, chain) =
                Certificate::load_with_chain(cert_file, &pass.clone().description(desc))
                    .map_err(at(Opt::TlsCert))?;
            let key = PrivateKey::load_with(key_file, &pass.description("TLS client private key"))
                .map_err(at(Opt::TlsKey))?;
            if !key.matches(&cert) {
                return Err(cmp_err!(
                    "TLS private key '{key_file}' does not match the TLS certificate '{cert_file}'"
                ));
            }
            let mut all = vec![cert];
            all.extend(chain);
            if let Some(f) = raw.str(Opt::TlsExtra) {
                let opts = other.description("extra certificates for TLS");
                let extra = Certificate::load_list(f, &opts).map_err(at(Opt::TlsExtra))?;
                all.extend(extra);
            }
            // Checked here as before, where a key that cannot be exported would be reported.
            key.to_pkcs8_der().map_err(api::Error::into_internal)?;
            with(b, |b| b.tls_client(all, key));
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
    opts: &LoadOptions,
    params: &VerifyOptions,
) -> Result<Vec<Certificate>> {
    let files = api::file_list(src);
    if files.len() <= 1 {
        let certs = Certificate::load_list(src, opts).map_err(api::Error::into_internal)?;
        warn_certs(src.trim(), &certs, true, params);
        return Ok(certs);
    }
    let mut all = Vec::new();
    for f in files {
        let certs = Certificate::load_list(f, opts).map_err(api::Error::into_internal)?;
        warn_certs(f, &certs, true, params);
        all.extend(certs);
    }
    Ok(all)
}

/// OpenSSL's warnings for a loaded certificate (on stderr, without a `CMP` prefix): expired or not yet
/// valid at the verification time (none with -no_check_time), and with `warn_ee` an X.509v3
/// certificate that is not a CA.
pub(super) fn warn_certs(file: &str, certs: &[Certificate], warn_ee: bool, params: &VerifyOptions) {
    let at = params.check_time();
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
    pub untrusted: Vec<Certificate>,
}

/// `setup_verification_ctx`: trust for responses and for the newly enrolled certificate.
/// `opts` serve the load warnings and the library.
pub(super) fn setup_verification(
    raw: &RawOpts,
    b: &mut ClientBuilder,
    opts: &VerifyOptions,
) -> Result<Trust> {
    let mut trust = Trust::default();
    let other = pass_opts(raw, Opt::Otherpass, "certificates of others")?;
    if let Some(f) = raw.str(Opt::Untrusted) {
        let load = other.clone().description("untrusted certificates");
        let certs = load_certs_warn(f, &load, opts).map_err(|e| e.context(Opt::Untrusted))?;
        trust.untrusted = certs.clone();
        with(b, |b| b.untrusted(certs));
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
        let load = other
            .clone()
            .description("directly trusted CMP server certificate");
        let cert = Certificate::load_first(f, &load).map_err(at(Opt::Srvcert))?;
        with(b, |b| b.srvcert(cert));
    }
    if use_trusted {
        if let Some(f) = raw.str(Opt::Trusted) {
            let load = other.clone().description("certs trusted by client");
            let certs = load_certs_warn(f, &load, opts).map_err(|e| e.context(Opt::Trusted))?;
            with(b, |b| b.trusted_with(certs, opts));
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
        let load = other.description("trusted certs for verifying newly enrolled cert");
        let certs = load_certs_warn(f, &load, opts).map_err(|e| e.context(Opt::OutTrusted))?;
        with(b, |b| b.out_trusted_with(certs, opts));
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
    untrusted: &[Certificate],
) -> Result<Option<PrivateKey>> {
    checks::protection(raw)?;
    let mut secret_given = false;
    if let Some(s) = pass_of(raw, Opt::Secret, "PBMAC")? {
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
    let keypass = pass_opts(raw, Opt::Keypass, "private key for CMP client certificate")?;
    let mut client_key = None;
    if let Some(f) = raw.str(Opt::Key) {
        let load = keypass
            .clone()
            .description("private key for CMP client certificate");
        let key = for_this_run(raw, PrivateKey::load_with(f, &load).map_err(at(Opt::Key))?);
        client_key = Some(key.clone());
        with(b, |b| b.client_key(key));
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
        client_cert(raw, f, keypass, untrusted, b)?;
    } else if raw.is_set(Opt::OwnTrusted) {
        crate::warn!(
            "{} option is ignored without {}",
            Opt::OwnTrusted,
            Opt::Cert
        );
    }
    if let Some(f) = raw.str(Opt::Extracerts) {
        let other = pass_opts(raw, Opt::Otherpass, "certificates of others")?;
        let load = other.description("extra certificates for CMP");
        let certs = load_certs_warn(f, &load, &checks::verify_options(raw)?)
            .map_err(|e| e.context(Opt::Extracerts))?;
        with(b, |b| b.extracerts(certs));
    }
    with(b, |b| {
        b.unprotected_requests(raw.flag(Opt::UnprotectedRequests))
    });
    // The builder reports unknown names in OpenSSL's words.
    if let Some(d) = raw.str(Opt::Digest) {
        *b = std::mem::take(b)
            .digest(d)
            .map_err(api::Error::into_internal)?;
    }
    if let Some(m) = raw.str(Opt::Mac) {
        *b = std::mem::take(b)
            .mac_algorithm(m)
            .map_err(api::Error::into_internal)?;
    }
    mac_options(raw, secret_given, b)?;
    Ok(client_key)
}

/// `-pbmac1`, `-pbm_iterations`, `-pbm_saltlen` (rcmp extensions): values checked first; without
/// `-secret` they have no effect, which a warning says (as OpenSSL warns of options it ignores);
/// with it, PBMAC1's digest and MAC are checked before anything is sent, as it is our own option.
fn mac_options(raw: &RawOpts, secret_given: bool, b: &mut ClientBuilder) -> Result<()> {
    let (iterations, salt_len) = (raw.int(Opt::PbmIterations), raw.int(Opt::PbmSaltlen));
    *b = std::mem::take(b)
        .checked_mac_params(raw.flag(Opt::Pbmac1), iterations, salt_len)
        .map_err(api::Error::into_internal)?;
    if !secret_given {
        for opt in [Opt::Pbmac1, Opt::PbmIterations, Opt::PbmSaltlen] {
            if raw.is_set(opt) {
                crate::warn!("{opt} option is ignored without -secret");
            }
        }
        return Ok(());
    }
    b.check_pbmac1().map_err(api::Error::into_internal)
}

/// `-cert` (with its chain) and, with `-own_trusted`, the validated chain to send with it.
fn client_cert(
    raw: &RawOpts,
    f: &str,
    keypass: LoadOptions,
    untrusted: &[Certificate],
    b: &mut ClientBuilder,
) -> Result<()> {
    let load = keypass.description("CMP client certificate (optionally with chain)");
    let (cert, chain) = Certificate::load_with_chain(f, &load).map_err(at(Opt::Cert))?;
    let params = checks::verify_options(raw)?;
    warn_certs(f, std::slice::from_ref(&cert), false, &params);
    warn_certs(f, &chain, true, &params);
    with(b, |b| b.client_cert(cert.clone(), chain.clone()));
    if let Some(f) = raw.str(Opt::OwnTrusted) {
        let other = pass_opts(raw, Opt::Otherpass, "certificates of others")?;
        let load = other.description("trusted certs for verifying own CMP signer cert");
        let certs = load_certs_warn(f, &load, &params).map_err(|e| e.context(Opt::OwnTrusted))?;
        crate::debug!("trying to build chain for own CMP signer cert");
        // The builder's untrusted certificates: `-untrusted`, then the chain given with `-cert`.
        let pool: Vec<Certificate> = untrusted.iter().chain(&chain).cloned().collect();
        let chain = params
            .build_chain(&certs, &cert, &pool)
            .map_err(api::Error::into_internal)?;
        crate::debug!("success building chain for own CMP signer cert");
        let own: Vec<Certificate> = chain.into_iter().skip(1).collect();
        with(b, |b| b.own_chain(own));
    }
    Ok(())
}

/// A private key the run signs with, marked for per-signature RSA blinding when the run makes only a
/// few signatures with it (creds/evp/rsa_blind.rs): at most three repetitions of at most three
/// signatures each (ir, certConf, proof of possession). AWS-LC's per-key blinding set-up costs about
/// as much as nine of rcmp's per-signature ones, so longer `-repeat` runs keep AWS-LC's.
fn for_this_run(raw: &RawOpts, key: PrivateKey) -> PrivateKey {
    if raw.int(Opt::Repeat).unwrap_or(1) <= 3 {
        key.for_few_signatures()
    } else {
        key
    }
}

/// The client key already loaded for `-key`, when `-newkey` names the same file with the same pass
/// phrase source (a common set-up: renewing with the same key pair). Parsing an RSA key includes a
/// consistency check that costs about as much as a signature, so it is done once. Sources that could
/// yield something else when read again (`stdin`, `fd:`) are not taken as the same.
fn same_key_as_client_key(raw: &RawOpts, key: Option<&PrivateKey>) -> Option<PrivateKey> {
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
    client_key: Option<&PrivateKey>,
    req: &mut CertRequest,
) -> Result<()> {
    let Some(f) = raw.str(Opt::Newkey) else {
        return Ok(());
    };
    let key = match same_key_as_client_key(raw, client_key) {
        Some(key) => KeyOrPublic::Private(key),
        None => {
            let desc = "new private key for cert to be enrolled";
            let pass = pass_opts(raw, Opt::Newkeypass, desc)?;
            KeyOrPublic::load_with(f, &pass.description(desc)).map_err(at(Opt::Newkey))?
        }
    };
    match key {
        KeyOrPublic::Private(k) => set(req, |r| r.key(for_this_run(raw, k))),
        KeyOrPublic::Public(p) => set(req, |r| r.public_key(p)),
    }
    Ok(())
}

/// `-csr`: the PKCS#10 request to send (p10cr) or to take values from.
pub(super) fn csr(raw: &RawOpts, req: &mut CertRequest) -> Result<()> {
    if let Some(f) = raw.str(Opt::Csr) {
        let load = LoadOptions::new().description("PKCS#10 CSR");
        let csr = Csr::load_with(f, &load).map_err(at(Opt::Csr))?;
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
    let keypass = pass_opts(raw, Opt::Keypass, desc)?;
    let cert = Certificate::load_first(f, &keypass.description(desc)).map_err(at(Opt::Oldcert))?;
    set(req, |r| r.old_cert(cert));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::checks::tests::raw;
    use super::*;

    fn key(name: &str) -> PrivateKey {
        let path = format!("{}/fixtures/creds/{name}", env!("CARGO_MANIFEST_DIR"));
        PrivateKey::load(path, None).expect("fixture key")
    }

    #[test]
    fn rsa_keys_of_short_runs_are_blinded_per_signature() {
        for (args, per_signature) in [
            ("-cmd ir", true),
            ("-cmd ir -repeat 3", true),
            ("-cmd ir -repeat 4", false),
            ("-cmd ir -repeat 1000", false),
        ] {
            let k = for_this_run(&raw(args), key("rsa2048.pkcs8.pem"));
            assert_eq!(k.blinds_per_signature(), per_signature, "{args}");
        }
        // other key types are left as they are
        let ec = for_this_run(&raw("-cmd ir"), key("p256.pkcs8.pem"));
        assert!(!ec.blinds_per_signature());
    }
}
