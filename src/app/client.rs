//! Client set-up from the options, in the order and with the checks of `openssl cmp`'s own set-up
//! (`setup_client_ctx` and the functions it calls), so that the same mistakes give the same first error;
//! then the transaction(s) and the result files.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::client::{self, Cmd, Ctx, MsgFiles, Outcome, Transfer};
use crate::creds::{self, dn::parse_dn, pass::get_passwd, Cert, Digest, MacAlg};
use crate::error::Error;
use crate::extconf::{self, ExtCtx};
use crate::opts::{Opt, RawOpts};
use crate::output::{Form, Outputs};
use crate::server::Server;
use crate::transfer::{self, url::ServerUrl, HttpClient, HttpOptions, KeepAlive, TlsConfig};
use crate::verify;
use crate::Result;

use super::pass_of;

/// A list of file names separated by commas and/or whitespace (-reqin, -rspout, ...).
fn file_list(raw: &RawOpts, opt: Opt) -> Vec<PathBuf> {
    raw.str(opt)
        .map(|s| {
            creds::split_sources(s)
                .into_iter()
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

fn name_opt(raw: &RawOpts, opt: Opt, desc: &str) -> Result<Option<x509_cert::name::Name>> {
    raw.str(opt).map(|s| parse_dn(s, desc)).transpose()
}

/// Verification parameters from the validation options (`-attime`, `-partial_chain`, ...).
fn verify_params(raw: &RawOpts) -> Result<verify::VerifyParams> {
    let mut params = verify::VerifyParams::default();
    for (opt, value, _) in raw.iter() {
        if opt.group() != crate::opts::Group::Validation {
            continue;
        }
        let v = match value {
            crate::opts::Value::Str(s) => Some(s.as_str()),
            crate::opts::Value::Int(0) => continue,
            crate::opts::Value::Int(_) if opt.kind() == crate::opts::Kind::Flag => None,
            crate::opts::Value::Int(n) => {
                params.set_option(opt.name(), Some(&n.to_string()))?;
                continue;
            }
        };
        params.set_option(opt.name(), v)?;
    }
    Ok(params)
}

/// A serial number as OpenSSL's `s2i_ASN1_INTEGER` reads it (decimal, or hex after `0x`), as the
/// big-endian two's-complement content octets of the DER INTEGER.
fn serial_number(s: &str) -> Option<Vec<u8>> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (radix, digits) = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => (16u32, hex),
        None => (10u32, digits),
    };
    if digits.is_empty() || digits.len() > 128 {
        return None;
    }
    // Magnitude as big-endian bytes, built digit by digit.
    let mut mag: Vec<u8> = vec![0];
    for c in digits.chars() {
        let mut carry = c.to_digit(radix)?;
        for b in mag.iter_mut().rev() {
            let v = u32::from(*b) * radix + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    while mag.len() > 1 && mag[0] == 0 {
        mag.remove(0);
    }
    if neg && mag != [0] {
        // Two's complement of the magnitude, with a sign byte if needed.
        let mut out: Vec<u8> = mag.iter().map(|b| !b).collect();
        for b in out.iter_mut().rev() {
            let (v, overflow) = b.overflowing_add(1);
            *b = v;
            if !overflow {
                break;
            }
        }
        if out[0] & 0x80 == 0 {
            out.insert(0, 0xff);
        }
        return Some(out);
    }
    if mag[0] & 0x80 != 0 {
        mag.insert(0, 0);
    }
    Some(mag)
}

/// The certProfile generalInfo ITAV for `-profile`.
fn profile_itav(name: &str) -> Result<crate::asn1::InfoTypeAndValue> {
    let value: crate::asn1::itav::CertProfileValue = vec![name.to_string()];
    Ok(crate::asn1::InfoTypeAndValue {
        info_type: crate::asn1::oid::IT_CERT_PROFILE,
        info_value: Some(der::Any::encode_from(&value)?),
    })
}

/// Where requests go: HTTP(S), the in-process mock server, or nowhere (`-rspin` only).
enum Peer {
    Http(Box<HttpClient>),
    Mock(Arc<Server>),
    None,
}

impl Transfer for Peer {
    fn exchange(
        &mut self,
        req: &[u8],
        keep_alive: bool,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>> {
        match self {
            Peer::Http(c) => c.exchange(req, keep_alive, deadline),
            Peer::Mock(s) => Ok(s.handle(req)),
            Peer::None => {
                // OpenSSL's app says so from its transfer callback, on stderr.
                crate::log::app_error(format_args!(
                    "missing -server or -use_mock_srv option, or too few -rspin filename arguments"
                ));
                Err(Error::Reported)
            }
        }
    }
}

/// The command to run (`transform_opts`).
fn command(raw: &RawOpts) -> Result<Cmd> {
    Ok(match raw.str(Opt::Cmd) {
        None => return Err(cmp_err!("no cmp command to execute")),
        Some("ir") => Cmd::Ir,
        Some("cr") => Cmd::Cr,
        Some("kur") => Cmd::Kur,
        Some("p10cr") => Cmd::P10cr,
        Some("rr") => Cmd::Rr,
        Some("genm") => Cmd::Genm,
        Some(other) => {
            let known = ["ir", "cr", "kur", "p10cr", "rr", "genm"];
            let hint = crate::opts::suggest::did_you_mean(other, known, |c| format!("-cmd {c}"))
                .unwrap_or_else(|| format!("-cmd takes one of {}", known.join(", ")));
            return Err(cmp_err!("unknown cmp command '{other}'").with_hint(hint));
        }
    })
}

/// The InfoType names nearest to a misspelt `-infotype`, else all of them.
fn infotype_hint(name: &str) -> String {
    let names = crate::asn1::oid::INFO_TYPES
        .iter()
        .filter_map(|(_, n)| n.strip_prefix("id-it-"));
    let typed = name.strip_prefix("id-it-").unwrap_or(name);
    crate::opts::suggest::did_you_mean(typed, names.clone(), |n| format!("-infotype {n}"))
        .unwrap_or_else(|| {
            format!(
                "-infotype takes an InfoType name: {}",
                names.collect::<Vec<_>>().join(", ")
            )
        })
}

fn form(raw: &RawOpts, opt: Opt, default: Form, what: &str) -> Result<Form> {
    match raw.str(opt) {
        None => Ok(default),
        Some(s) => Form::parse(s).ok_or_else(|| cmp_err!("unknown option given for {what} format")),
    }
}

/// Everything set up for the client: the context, the transfer, and what to do with the results.
struct Setup {
    ctx: Ctx,
    peer: Peer,
    certform: Form,
    crlform: Form,
    /// genm with an info type that has specific support.
    genm_plan: Option<super::genm::Plan>,
}

/// The transfer options (`-server`, `-path`, proxies, timeouts, TLS) and the "will contact" line.
fn setup_transfer(raw: &RawOpts, srv: Option<Arc<Server>>) -> Result<Peer> {
    if let Some(s) = srv {
        return Ok(Peer::Mock(s));
    }
    let Some(server) = raw.str(Opt::Server) else {
        warn_unused_proxy(raw);
        return Ok(Peer::None);
    };
    let url: ServerUrl = transfer::url::parse_server(server)?.with_path(raw.str(Opt::Path));
    let mut tls_used = raw.flag(Opt::TlsUsed);
    if url.tls && !tls_used {
        crate::warn!("assuming -tls_used since -server URL indicates HTTPS");
        tls_used = true;
    }
    let keep_alive = KeepAlive::from_level(raw.int(Opt::KeepAlive).unwrap_or(1))
        .ok_or_else(|| cmp_err!("-keep_alive argument must be 0, 1, or 2"))?;
    let msg_timeout = raw
        .int(Opt::MsgTimeout)
        .filter(|n| *n > 0)
        .map(|n| Duration::from_secs(n as u64));
    let tls = if tls_used {
        Some(tls_config(raw)?)
    } else {
        None
    };
    let opts = HttpOptions {
        proxy: raw.str(Opt::Proxy).map(str::to_string),
        no_proxy: raw.str(Opt::NoProxy).map(str::to_string),
        keep_alive,
        msg_timeout,
        tls,
        max_response: 0,
    };
    Ok(Peer::Http(Box::new(HttpClient::new(url, opts)?)))
}

/// The warnings for proxy options when no server is contacted.
fn warn_unused_proxy(raw: &RawOpts) {
    if raw.is_set(Opt::Proxy) {
        crate::warn!("ignoring -proxy option since -server is not given");
    }
    if raw.is_set(Opt::NoProxy) {
        crate::warn!("ignoring -no_proxy option since -server is not given");
    }
}

/// The `will contact ...` line. OpenSSL 3.5 ends it with a blank and says, with `-rspin`, that the
/// server is a fallback; 3.0 has no blank and calls the missing server "mock server".
fn contact_line(peer: &Peer, rspin: bool) -> Option<String> {
    let v30 = crate::compat::get() == crate::compat::Compat::V3_0;
    let target = match peer {
        Peer::Http(c) => c.contact_line().trim_end().to_string(),
        Peer::Mock(_) => "will contact mock server".to_string(),
        Peer::None if !rspin => return None,
        Peer::None if v30 => "will contact mock server".to_string(),
        Peer::None => "will contact no server".to_string(),
    };
    let fallback = if rspin {
        " only if -rspin argument gives too few filenames"
    } else {
        ""
    };
    Some(format!("{target}{fallback}{}", if v30 { "" } else { " " }))
}

/// TLS client settings (`setup_ssl_ctx`).
fn tls_config(raw: &RawOpts) -> Result<TlsConfig> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    if raw.is_set(Opt::TlsCert) || raw.is_set(Opt::TlsKey) || raw.is_set(Opt::TlsKeypass) {
        if !raw.is_set(Opt::TlsKey) {
            return Err(cmp_err!("missing -tls_key option"));
        }
        if !raw.is_set(Opt::TlsCert) {
            return Err(cmp_err!("missing -tls_cert option"));
        }
    }
    let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
    let mut cfg = TlsConfig {
        host: raw.str(Opt::TlsHost).map(str::to_string),
        ..TlsConfig::default()
    };
    match raw.str(Opt::TlsTrusted) {
        Some(f) => {
            cfg.trusted = creds::load_certs(f, other.as_ref(), "trusted TLS certs")
                .map_err(|e| e.context(Opt::TlsTrusted))?
                .iter()
                .map(|c| CertificateDer::from(c.der().to_vec()))
                .collect()
        }
        None => crate::warn!(
            "-tls_used given without -tls_trusted; will not authenticate the TLS server"
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
            cfg.cert_chain
                .push(CertificateDer::from(cert.der().to_vec()));
            cfg.cert_chain
                .extend(chain.iter().map(|c| CertificateDer::from(c.der().to_vec())));
            if let Some(f) = raw.str(Opt::TlsExtra) {
                let extra = creds::load_certs(f, other.as_ref(), "extra certificates for TLS")
                    .map_err(|e| e.context(Opt::TlsExtra))?;
                cfg.cert_chain
                    .extend(extra.iter().map(|c| CertificateDer::from(c.der().to_vec())));
            }
            let pkcs8 = key.to_pkcs8_der()?;
            cfg.key = Some(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                pkcs8.to_vec(),
            )));
        }
        _ => {
            crate::warn!("-tls_used given without -tls_key; cannot authenticate to the TLS server")
        }
    }
    Ok(cfg)
}

/// Load the certificates of a list of files (`-trusted`, `-untrusted`, ...), warning on stderr for
/// each one as OpenSSL's app does.
fn load_certs_warn(
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
fn warn_certs(file: &str, certs: &[Cert], warn_ee: bool, params: &verify::VerifyParams) {
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

/// `setup_verification_ctx`: trust for responses and for the newly enrolled certificate.
fn setup_verification(raw: &RawOpts, ctx: &mut Ctx, params: &verify::VerifyParams) -> Result<()> {
    let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
    if let Some(f) = raw.str(Opt::Untrusted) {
        ctx.untrusted = load_certs_warn(f, other.as_ref(), "untrusted certificates", params)
            .map_err(|e| e.context(Opt::Untrusted))?;
    }
    let mut use_trusted = raw.is_set(Opt::Trusted);
    if let Some(f) = raw.str(Opt::Srvcert) {
        if use_trusted {
            crate::warn!("-trusted option is ignored since -srvcert option is present");
            use_trusted = false;
        }
        if raw.is_set(Opt::Recipient) {
            crate::warn!("-recipient option is ignored since -srvcert option is present");
        }
        ctx.srvcert = Some(
            creds::load_cert(f, other.as_ref(), "directly trusted CMP server certificate")
                .map_err(|e| e.context(Opt::Srvcert))?,
        );
    }
    if use_trusted {
        if let Some(f) = raw.str(Opt::Trusted) {
            let certs = load_certs_warn(f, other.as_ref(), "certs trusted by client", params)
                .map_err(|e| e.context(Opt::Trusted))?;
            ctx.trusted = Some(verify::TrustStore::new(certs, params.clone()));
        }
    }
    ctx.unprotected_errors = raw.flag(Opt::UnprotectedErrors);
    if raw.flag(Opt::TaInIpExtracerts) {
        ctx.ta_in_ip_extracerts = true;
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
        // As OpenSSL's certConf callback does: new certificates are current anyway (no -attime), and
        // status/revocation and the other flag-like checks are switched off; only the time, partial
        // chain and policy flags survive. Depth, purpose, level and names still apply.
        let out_params = verify::VerifyParams {
            attime: None,
            crl_check: false,
            crl_check_all: false,
            x509_strict: false,
            check_ss_sig: false,
            ignore_critical: false,
            allow_proxy_certs: false,
            explicit_policy: false,
            inhibit_any: false,
            inhibit_map: false,
            ..params.clone()
        };
        ctx.out_trusted = Some(verify::TrustStore::new(certs, out_params));
    }
    ctx.disable_confirm = raw.flag(Opt::DisableConfirm);
    ctx.implicit_confirm = raw.flag(Opt::ImplicitConfirm);
    Ok(())
}

/// `setup_protection_ctx`: how requests are protected.
fn setup_protection(raw: &RawOpts, ctx: &mut Ctx) -> Result<()> {
    if !raw.flag(Opt::UnprotectedRequests) && !raw.is_set(Opt::Secret) && !raw.is_set(Opt::Key) {
        return Err(cmp_err!(
            "must give -key or -secret unless -unprotected_requests is used"
        ));
    }
    if !raw.is_set(Opt::Ref) && !raw.is_set(Opt::Cert) && !raw.is_set(Opt::Subject) {
        return Err(cmp_err!("must give -ref if no -cert and no -subject given"));
    }
    if !raw.is_set(Opt::Secret) && raw.is_set(Opt::Cert) != raw.is_set(Opt::Key) {
        return Err(cmp_err!("must give both -cert and -key options or neither"));
    }
    if let Some(src) = raw.str(Opt::Secret) {
        let s = get_passwd(src, "PBMAC")?;
        ctx.secret = Some(Zeroizing::new(s.as_bytes().to_vec()));
        if raw.is_set(Opt::Cert) || raw.is_set(Opt::Key) {
            crate::warn!("-cert and -key not used for protection since -secret is given");
        }
    }
    if let Some(r) = raw.str(Opt::Ref) {
        ctx.reference = Some(r.as_bytes().to_vec());
    }
    let keypass = pass_of(raw, Opt::Keypass, "private key for CMP client certificate")?;
    if let Some(f) = raw.str(Opt::Key) {
        ctx.key = Some(
            creds::load_key(
                f,
                keypass.as_ref(),
                "private key for CMP client certificate",
            )
            .map_err(|e| e.context(Opt::Key))?,
        );
    }
    if !raw.is_set(Opt::Secret) && !raw.is_set(Opt::Srvcert) && !raw.is_set(Opt::Trusted) {
        crate::warn!("will not authenticate server due to missing -secret, -trusted, or -srvcert");
    }
    if let Some(f) = raw.str(Opt::Cert) {
        let (cert, chain) = creds::load_cert_with_chain(
            f,
            keypass.as_ref(),
            "CMP client certificate (optionally with chain)",
        )
        .map_err(|e| e.context(Opt::Cert))?;
        let params = verify_params(raw)?;
        warn_certs(f, std::slice::from_ref(&cert), false, &params);
        warn_certs(f, &chain, true, &params);
        if let Some(key) = &ctx.key {
            ctx.cert_key_mismatch = ctx.secret.is_none() && !key.matches_cert(&cert);
        }
        ctx.untrusted.extend(chain);
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
            let chain = store.verify(&cert, &ctx.untrusted)?;
            crate::debug!("success building chain for own CMP signer cert");
            ctx.own_chain = Some(chain.into_iter().skip(1).collect());
        }
        ctx.cert = Some(cert);
    } else if raw.is_set(Opt::OwnTrusted) {
        crate::warn!("-own_trusted option is ignored without -cert");
    }
    if let Some(f) = raw.str(Opt::Extracerts) {
        let other = pass_of(raw, Opt::Otherpass, "certificates of others")?;
        ctx.extracerts = load_certs_warn(
            f,
            other.as_ref(),
            "extra certificates for CMP",
            &verify_params(raw)?,
        )
        .map_err(|e| e.context(Opt::Extracerts))?;
    }
    ctx.unprotected_requests = raw.flag(Opt::UnprotectedRequests);
    if let Some(d) = raw.str(Opt::Digest) {
        ctx.digest = Digest::from_name(d).map_err(|e| digest_error(d, e))?;
    }
    if let Some(m) = raw.str(Opt::Mac) {
        ctx.mac = MacAlg::from_name(m)?;
    }
    ctx.mac_options =
        crate::protect::MacOptions::from_opts(raw, ctx.secret.is_some(), ctx.digest, ctx.mac)?;
    Ok(())
}

/// A -digest name rcmp does not take. OpenSSL (3.0 and 3.5) knows the legacy digests by name but has
/// no implementation in its default provider: for those it says "not supported", with its library's
/// reason on stdout; other names are "not recognized", the app's line only.
fn digest_error(name: &str, e: Error) -> Error {
    const LEGACY: &[&str] = &["md2", "md4", "mdc2", "whirlpool"];
    if LEGACY.iter().any(|l| l.eq_ignore_ascii_case(name)) {
        cmp_err!("digest algorithm name not supported: '{name}'\nCMP error: unsupported algorithm")
    } else {
        e
    }
}

/// The warning OpenSSL gives for an enrollment option used with another command.
const NOT_FOR_THIS_CMD: &str = "option is ignored for commands other than 'ir', 'cr', and 'kur'";

/// `setup_request_ctx`: what goes into the request.
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

/// A -reqexts/-policies section that cannot be used: OpenSSL's app line, plus the library's reason
/// (stdout) when the section exists but its content is wrong.
fn section_error<T>(what: &str, name: &str, section: Option<T>, e: Error) -> Error {
    match section {
        Some(_) => cmp_err!("cannot load {what} section '{name}'\nCMP error: {e}"),
        None => cmp_err!("cannot load {what} section '{name}'"),
    }
}

fn setup_request(raw: &RawOpts, ctx: &mut Ctx) -> Result<()> {
    let cmd = ctx.cmd;
    let v30 = crate::compat::get() == crate::compat::Compat::V3_0;
    let enroll = matches!(cmd, Cmd::Ir | Cmd::Cr | Cmd::Kur);
    if !raw.is_set(Opt::Subject)
        && !raw.is_set(Opt::Csr)
        && !raw.is_set(Opt::Oldcert)
        && !raw.is_set(Opt::Cert)
        && !matches!(cmd, Cmd::Rr | Cmd::Genm)
    {
        crate::warn!("no -subject given; no -csr or -oldcert or -cert available for fallback");
    }
    ctx.issuer = name_opt(raw, Opt::Issuer, "issuer")?;
    let mut popo = raw.int(Opt::Popo);
    let mut central = raw.flag(Opt::Centralkeygen);
    if enroll {
        if !raw.is_set(Opt::Reqin)
            && !raw.is_set(Opt::Newkey)
            && !central
            && !raw.is_set(Opt::Key)
            && !raw.is_set(Opt::Csr)
            && !raw.is_set(Opt::Oldcert)
        {
            return Err(cmp_err!(
                "missing -newkey (or -key) to be certified and no -csr, -oldcert, -cert, or -reqin option given, \
                 which could provide fallback public key. Neither central key generation is requested."
            ));
        }
        // OpenSSL 3.0 has no central key generation: there -popo -1 just sends no POPO.
        if popo == Some(-1) && !central && crate::compat::get() != crate::compat::Compat::V3_0 {
            crate::info!("POPO is disabled, which implies -centralkeygen");
            central = true;
        }
        if central {
            if let Some(p) = popo.filter(|p| *p > -1) {
                return Err(cmp_err!(
                    "-popo value {p} is inconsistent with -centralkeygen"
                ));
            }
            if !raw.is_set(Opt::Newkeyout) {
                return Err(cmp_err!(
                    "-newkeyout not given, nowhere to save centrally generated key"
                ));
            }
            popo = Some(-1);
            ctx.popo = -1;
        }
        if !raw.is_set(Opt::Newkey) && popo.unwrap_or(1) > 0 {
            if raw.is_set(Opt::Csr) {
                let extra = if raw.is_set(Opt::Key) {
                    ", and -key option superseded by -csr"
                } else {
                    ""
                };
                return Err(cmp_err!(
                    "no -newkey option given with private key for POPO, -csr option provides just public key{extra}"
                ));
            }
            if !raw.is_set(Opt::Key) {
                return Err(cmp_err!(
                    "missing -newkey (or -key) option for key to be certified and for POPO"
                ));
            }
        }
        if !raw.is_set(Opt::Certout) && !raw.is_set(Opt::ReqoutOnly) {
            return Err(cmp_err!(
                "-certout not given, nowhere to save newly enrolled certificate"
            ));
        }
        ctx.subject = name_opt(raw, Opt::Subject, "subject")?;
    } else {
        if raw.is_set(Opt::Subject) {
            if !raw.is_set(Opt::Ref) && !raw.is_set(Opt::Cert) {
                ctx.subject = name_opt(raw, Opt::Subject, "subject")?;
            } else {
                let why = if v30 {
                    "since -ref or -cert is given"
                } else {
                    "since sender is taken from -ref or -cert"
                };
                crate::warn!("-subject {NOT_FOR_THIS_CMD} {why}");
            }
        }
        if raw.is_set(Opt::Issuer) && cmd != Cmd::Rr {
            crate::warn!("-issuer {NOT_FOR_THIS_CMD} and 'rr'");
        }
        for (opt, set) in [
            (Opt::Reqexts, raw.is_set(Opt::Reqexts)),
            (Opt::SanNodefault, raw.flag(Opt::SanNodefault)),
            (Opt::Sans, raw.is_set(Opt::Sans)),
            (Opt::Policies, raw.is_set(Opt::Policies)),
            (Opt::PolicyOids, raw.is_set(Opt::PolicyOids)),
            (Opt::Popo, raw.is_set(Opt::Popo)),
        ] {
            if set {
                crate::warn!("{opt} {NOT_FOR_THIS_CMD}");
            }
        }
        if central {
            crate::warn!("-popo -1 or -centralkeygen {NOT_FOR_THIS_CMD}");
        }
        if raw.is_set(Opt::Newkeyout) {
            crate::warn!("-newkeyout {NOT_FOR_THIS_CMD}");
        }
        if cmd != Cmd::P10cr {
            for (opt, set) in [
                (Opt::ImplicitConfirm, raw.flag(Opt::ImplicitConfirm)),
                (Opt::DisableConfirm, raw.flag(Opt::DisableConfirm)),
                // OpenSSL 3.0 says nothing about -certout.
                (Opt::Certout, raw.is_set(Opt::Certout) && !v30),
                (Opt::Chainout, raw.is_set(Opt::Chainout)),
            ] {
                if set {
                    crate::warn!("{opt} {NOT_FOR_THIS_CMD}, and 'p10cr'");
                }
            }
        }
    }
    if cmd == Cmd::Kur {
        let refcert = raw.str(Opt::Oldcert).or(raw.str(Opt::Cert));
        if refcert.is_none() && !raw.is_set(Opt::Csr) {
            return Err(cmp_err!(
                "missing -oldcert for certificate to be updated and no -csr given"
            ));
        }
        if let Some(s) = raw.str(Opt::Subject) {
            crate::warn!(
                "given -subject '{s}' overrides the subject of '{}' for KUR",
                refcert.or(raw.str(Opt::Csr)).unwrap_or("")
            );
        }
    }
    if cmd == Cmd::Rr {
        if !raw.is_set(Opt::Issuer) && !raw.is_set(Opt::Serial) {
            if !raw.is_set(Opt::Oldcert) && !raw.is_set(Opt::Csr) {
                return Err(cmp_err!(
                    "missing -oldcert or -issuer and -serial for certificate to be revoked and no -csr given"
                ));
            }
            if raw.is_set(Opt::Oldcert) && raw.is_set(Opt::Csr) {
                crate::warn!("ignoring -csr since certificate to be revoked is given");
            }
        } else {
            if !raw.is_set(Opt::Issuer) || !raw.is_set(Opt::Serial) {
                return Err(cmp_err!(
                    "must give both -issuer and -serial options or neither"
                ));
            }
            if raw.is_set(Opt::Oldcert) {
                crate::warn!(
                    "Ignoring -oldcert since -issuer and -serial is given for command 'rr'"
                );
            }
            if raw.is_set(Opt::Csr) {
                crate::warn!("Ignoring -csr since -issuer and -serial is given for command 'rr'");
            }
        }
        if let Some(s) = raw.str(Opt::Serial) {
            ctx.serial = Some(serial_number(s).ok_or_else(|| {
                cmp_err!("cannot read serial number: '{s}'\nCMP error: not a decimal or 0x-prefixed hexadecimal number")
            })?);
        }
        ctx.revreason = raw.int(Opt::Revreason).unwrap_or(-1) as i32;
    } else if raw.is_set(Opt::Serial) {
        crate::warn!("Ignoring -serial for command other than 'rr'");
    }
    if cmd == Cmd::P10cr && !raw.is_set(Opt::Csr) {
        return Err(cmp_err!("missing PKCS#10 CSR for p10cr"));
    }
    if !raw.is_set(Opt::Recipient)
        && !raw.is_set(Opt::Srvcert)
        && !raw.is_set(Opt::Issuer)
        && !raw.is_set(Opt::Oldcert)
        && !raw.is_set(Opt::Cert)
    {
        let which = if crate::compat::get() == crate::compat::Compat::V3_0 {
            ""
        } else {
            " for any requests not covered by -reqin"
        };
        crate::warn!(
            "missing -recipient, -srvcert, -issuer, -oldcert or -cert; recipient{which} will be set to \"NULL-DN\""
        );
    }
    if matches!(cmd, Cmd::P10cr | Cmd::Rr) || (cmd == Cmd::Genm && !v30) {
        // OpenSSL 3.0 leaves genm out and calls -newkeypass "-newkeytype" here.
        let (msg, newkeypass) = if v30 {
            (
                "option is ignored for 'p10cr' and 'rr' commands",
                "-newkeytype",
            )
        } else {
            (
                "option is ignored for 'p10cr', 'rr', and 'genm' commands",
                "-newkeypass",
            )
        };
        for (opt, set) in [
            (newkeypass, raw.is_set(Opt::Newkeypass)),
            ("-newkey", raw.is_set(Opt::Newkey)),
            ("-days", raw.int(Opt::Days).unwrap_or(0) != 0),
            ("-popo", raw.is_set(Opt::Popo)),
        ] {
            if set {
                crate::warn!("{opt} {msg}");
            }
        }
        // 3.5 warns for p10cr too; 3.0 says nothing.
        if raw.is_set(Opt::OutTrusted) && crate::compat::get() != crate::compat::Compat::V3_0 {
            crate::warn!("-out_trusted option is ignored for 'p10cr', 'rr', and 'genm' commands");
        }
    } else if let Some(f) = raw.str(Opt::Newkey) {
        ctx.newkey = Some(match same_key_as_client_key(raw, ctx.key.as_ref()) {
            Some(key) => creds::KeyOrPub::Private(key),
            None => {
                let pass = pass_of(
                    raw,
                    Opt::Newkeypass,
                    "new private key for cert to be enrolled",
                )?;
                creds::load_key_or_pubkey(
                    f,
                    pass.as_ref(),
                    "new private key for cert to be enrolled",
                )
                .map_err(|e| e.context(Opt::Newkey))?
            }
        });
    }
    ctx.days = raw
        .int(Opt::Days)
        .unwrap_or(0)
        .clamp(0, i64::from(u32::MAX)) as u32;
    if raw.is_set(Opt::Policies) && raw.is_set(Opt::PolicyOids) {
        return Err(cmp_err!(
            "cannot have policies both via -policies and via -policy_oids"
        ));
    }
    if let Some(f) = raw.str(Opt::Csr) {
        if cmd == Cmd::Genm {
            crate::warn!("-csr option is ignored for 'genm' command");
        } else {
            ctx.csr = Some(creds::load_csr(f, "PKCS#10 CSR").map_err(|e| e.context(Opt::Csr))?);
        }
    }
    if raw.is_set(Opt::Reqexts) || raw.is_set(Opt::Policies) {
        let conf = raw.conf();
        let lookup = |name: &str| {
            conf.and_then(|c| c.section(name))
                .map(<[(String, String)]>::to_vec)
        };
        let ectx = ExtCtx {
            sections: &lookup,
            subject_public_key: None,
        };
        if let Some(s) = raw.str(Opt::Reqexts) {
            let exts = extconf::extensions_from_section(s, &ectx)
                .map_err(|e| section_error("certificate request extension", s, lookup(s), e))?;
            ctx.reqexts.extend(exts);
        }
        if let Some(s) = raw.str(Opt::Policies) {
            let exts = extconf::extensions_from_section(s, &ectx)
                .map_err(|e| section_error("policy cert request extension", s, lookup(s), e))?;
            ctx.reqexts.extend(exts);
        }
    }
    let reqexts_have_san = ctx
        .reqexts
        .iter()
        .any(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME);
    if reqexts_have_san && raw.is_set(Opt::Sans) {
        return Err(cmp_err!(
            "cannot have Subject Alternative Names both via -reqexts and via -sans"
        ));
    }
    if let Some(s) = raw.str(Opt::Sans) {
        let (critical, names) = extconf::sans_option(s)?;
        ctx.sans = names;
        ctx.san_critical = critical;
    }
    if raw.flag(Opt::SanNodefault) {
        if raw.is_set(Opt::Sans) {
            crate::warn!("-opt_san_nodefault has no effect when -sans is used");
        }
        ctx.san_nodefault = true;
    }
    if raw.flag(Opt::PolicyOidsCritical) {
        if !raw.is_set(Opt::PolicyOids) {
            crate::warn!("-opt_policy_oids_critical has no effect unless -policy_oids is given");
        }
        ctx.policy_oids_critical = true;
    }
    if let Some(s) = raw.str(Opt::PolicyOids) {
        for item in creds::split_sources(s) {
            let oid = der::asn1::ObjectIdentifier::new(item)
                .map_err(|_| cmp_err!("Invalid -policy_oids arg '{item}'"))?;
            ctx.policy_oids.push(oid);
        }
    }
    if let Some(p) = popo {
        ctx.popo = p as i32;
    }
    if let Some(f) = raw.str(Opt::Oldcert) {
        if cmd == Cmd::Genm {
            crate::warn!("-oldcert option is ignored for 'genm' command");
        } else {
            let desc = match cmd {
                Cmd::Kur => "certificate to be updated",
                Cmd::Rr => "certificate to be revoked",
                _ => "reference certificate (oldcert)",
            };
            let keypass = pass_of(raw, Opt::Keypass, desc)?;
            ctx.oldcert = Some(
                creds::load_cert(f, keypass.as_ref(), desc).map_err(|e| e.context(Opt::Oldcert))?,
            );
        }
    }
    Ok(())
}

/// `setup_client_ctx`.
fn setup(raw: &RawOpts) -> Result<Setup> {
    let use_mock = raw.flag(Opt::UseMockSrv);
    if !use_mock
        && !raw.is_set(Opt::Rspin)
        && !raw.is_set(Opt::Server)
        && !raw.is_set(Opt::ReqoutOnly)
    {
        return Err(cmp_err!(
            "missing -server or -use_mock_srv or -rspin option"
        ));
    }
    let srv = if use_mock {
        Some(Arc::new(Server::new(super::server::srv_config(raw)?)?))
    } else {
        None
    };
    if raw.is_set(Opt::Rspin) {
        if raw.is_set(Opt::Server) {
            crate::warn!("-server option is not used if enough filenames given for -rspin");
        }
        if use_mock {
            crate::warn!("-use_mock_srv option is not used if enough filenames given for -rspin");
        }
    }
    let peer = if raw.is_set(Opt::ReqoutOnly) {
        for opt in [
            Opt::Server,
            Opt::UseMockSrv,
            Opt::Reqout,
            Opt::Rspin,
            Opt::Rspout,
        ] {
            if raw.is_set(opt) {
                crate::warn!("{opt} option is ignored since -reqout_only option is given");
            }
        }
        warn_unused_proxy(raw);
        Peer::None
    } else {
        setup_transfer(raw, srv)?
    };
    let cmd = command(raw)?;
    let certform = form(raw, Opt::Certform, Form::Pem, "certificate storing")?;
    let crlform = form(raw, Opt::Crlform, Form::Der, "CRL storing")?;
    if let Some(k) = raw.str(Opt::Keyform) {
        if !matches!(
            k.to_ascii_uppercase().as_str(),
            "PEM" | "DER" | "P12" | "PKCS12"
        ) {
            return Err(cmp_err!("unknown option given for key loading format"));
        }
    }
    let mut ctx = Ctx {
        cmd,
        ..Ctx::default()
    };
    let mut infotype = None;
    match raw.str(Opt::Infotype) {
        None if cmd == Cmd::Genm => crate::warn!("no -infotype option given for genm"),
        None => {}
        // OpenSSL 3.0 has no note for this.
        Some(_) if cmd != Cmd::Genm && crate::compat::get() == crate::compat::Compat::V3_0 => {}
        Some(_) if cmd != Cmd::Genm => {
            crate::warn!("-infotype option is ignored for commands other than 'genm'")
        }
        Some(name) => {
            infotype = Some(
                crate::asn1::oid::info_type_by_name(name)
                    .filter(|_| !name.contains('.'))
                    .ok_or_else(|| {
                        cmp_err!("unknown OID name in -infotype option")
                            .with_hint(infotype_hint(name))
                    })?,
            );
        }
    }
    super::genm::check_options(raw, cmd == Cmd::Genm, infotype);
    let params = verify_params(raw)?;
    setup_verification(raw, &mut ctx, &params)?;
    let msg_timeout = raw.int(Opt::MsgTimeout).unwrap_or(-1);
    let total_timeout = raw.int(Opt::TotalTimeout).unwrap_or(-1);
    if total_timeout > 0 && msg_timeout > 0 && total_timeout < msg_timeout {
        return Err(cmp_err!(
            "-total_timeout argument = {total_timeout} must not be < {msg_timeout} (-msg_timeout)"
        ));
    }
    if total_timeout > 0 {
        ctx.total_timeout = Some(Duration::from_secs(total_timeout as u64));
    }
    if raw.is_set(Opt::Rspin) && raw.is_set(Opt::Reqin) {
        crate::warn!("-reqin is ignored since -rspin is present");
    }
    if raw.flag(Opt::ReqinNewTid) && !raw.is_set(Opt::Reqin) {
        crate::warn!("-reqin_new_tid is ignored since -reqin is not present");
    }
    ctx.files = MsgFiles {
        reqin: if raw.is_set(Opt::Rspin) {
            Vec::new()
        } else {
            file_list(raw, Opt::Reqin)
        },
        reqin_new_tid: raw.flag(Opt::ReqinNewTid),
        reqout: file_list(raw, Opt::Reqout),
        reqout_only: raw.str(Opt::ReqoutOnly).map(PathBuf::from),
        rspin: file_list(raw, Opt::Rspin),
        rspout: file_list(raw, Opt::Rspout),
        rspin_fallback: match peer {
            Peer::Http(_) => {
                Some("too few -rspin filename arguments; resorting to contacting server")
            }
            Peer::Mock(_) => {
                Some("too few -rspin filename arguments; resorting to using mock server")
            }
            Peer::None => None,
        },
    };
    setup_protection(raw, &mut ctx)?;
    setup_request(raw, &mut ctx)?;
    if !raw.is_set(Opt::Srvcert) {
        ctx.recipient = name_opt(raw, Opt::Recipient, "recipient")?;
    }
    ctx.expect_sender = name_opt(raw, Opt::ExpectSender, "expected sender")?;
    if let Some(g) = raw.str(Opt::Geninfo) {
        ctx.geninfo = client::request::parse_geninfo(g)?;
    }
    if let Some(p) = raw.str(Opt::Profile) {
        ctx.geninfo.push(profile_itav(p)?);
    }
    ctx.ignore_keyusage = raw.flag(Opt::IgnoreKeyusage);
    ctx.no_cache_extracerts = raw.flag(Opt::NoCacheExtracerts);
    // Printed only now, as OpenSSL does, so a set-up error is not preceded by it.
    if let Some(line) = contact_line(&peer, raw.is_set(Opt::Rspin)) {
        crate::info!("{line}");
    }
    let mut genm_plan = None;
    if let (Cmd::Genm, Some(oid)) = (cmd, infotype) {
        // As OpenSSL's do_genm: these checks and loads come after the rest of the set-up.
        genm_plan = super::genm::prepare(raw, &mut ctx, oid)?;
        if genm_plan.is_none() {
            if oid == crate::asn1::oid::IT_CA_CERTS && !raw.is_set(Opt::Cacertsout) {
                return Err(cmp_err!("Missing -cacertsout option for -infotype caCerts"));
            }
            if oid != crate::asn1::oid::IT_CA_CERTS {
                crate::warn!(
                    "No specific support for -infotype {} available",
                    raw.str(Opt::Infotype).unwrap_or_default()
                );
            }
            ctx.genm_itavs.push(crate::asn1::InfoTypeAndValue {
                info_type: oid,
                info_value: None,
            });
        }
    }
    Ok(Setup {
        ctx,
        peer,
        certform,
        crlform,
        genm_plan,
    })
}

/// Stage the files a successful transaction writes, in OpenSSL's order.
fn stage_outputs(raw: &RawOpts, cmd: Cmd, outcome: &Outcome, certform: Form, out: &mut Outputs) {
    let ders = |certs: &[Cert]| certs.iter().map(|c| c.der().to_vec()).collect::<Vec<_>>();
    let stage = |out: &mut Outputs, opt: Opt, certs: &[Vec<u8>], desc: &str| {
        if let Some(path) = raw.str(opt) {
            let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
            out.certs(path, &refs, certform, desc);
        }
    };
    if let Some(path) = raw.str(Opt::Srvcertout) {
        match &outcome.srv_cert {
            Some(c) => out.certs(path, &[c.der()], certform, "validated server"),
            None => out.delete(path, "validated server certificate"),
        }
    }
    stage(
        out,
        Opt::Extracertsout,
        &ders(&outcome.extra_certs_in),
        "extra",
    );
    if cmd == Cmd::Genm {
        stage_ca_certs(raw, outcome, certform, out);
    }
    let Some(new_cert) = &outcome.new_cert else {
        return;
    };
    if !matches!(cmd, Cmd::Ir | Cmd::Cr | Cmd::Kur | Cmd::P10cr) {
        return;
    }
    let chain = ders(&outcome.new_chain);
    let new_cert = [new_cert.der().to_vec()];
    if crate::compat::get() == crate::compat::Compat::V3_0 {
        // OpenSSL 3.0's order and wording (it has no certificate-and-chain file).
        stage(out, Opt::Cacertsout, &ders(&outcome.ca_pubs), "CA");
        stage(out, Opt::Certout, &new_cert, "enrolled");
        stage(out, Opt::Chainout, &chain, "chain");
        return;
    }
    match (raw.str(Opt::Certout), raw.str(Opt::Chainout)) {
        (Some(c), Some(ch)) if c == ch => {
            let all: Vec<Vec<u8>> = new_cert.into_iter().chain(chain).collect();
            stage(out, Opt::Chainout, &all, "newly enrolled cert and chain");
        }
        _ => {
            stage(out, Opt::Chainout, &chain, "chain");
            stage(out, Opt::Certout, &new_cert, "newly enrolled");
        }
    }
    stage(out, Opt::Cacertsout, &ders(&outcome.ca_pubs), "CA");
}

/// genm caCerts: save the CA certificates of the genp (`-cacertsout`).
fn stage_ca_certs(raw: &RawOpts, outcome: &Outcome, certform: Form, out: &mut Outputs) {
    let wanted = raw
        .str(Opt::Infotype)
        .and_then(crate::asn1::oid::info_type_by_name);
    if wanted != Some(crate::asn1::oid::IT_CA_CERTS) {
        return;
    }
    let certs: Vec<Vec<u8>> = outcome
        .genp_itavs
        .iter()
        .filter(|i| i.info_type == crate::asn1::oid::IT_CA_CERTS)
        .filter_map(|i| {
            i.value_as::<crate::asn1::itav::CaCertsValue>()
                .ok()
                .flatten()
        })
        .flatten()
        .filter_map(|c| der::Encode::to_der(&c).ok())
        .collect();
    match raw.str(Opt::Cacertsout) {
        Some(path) if !certs.is_empty() => {
            let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
            out.certs(path, &refs, certform, "CA");
        }
        _ => crate::warn!("no CA certificates provided by server"),
    }
}

/// After a successful transaction, OpenSSL's app reports on stderr a status that is not plainly
/// `accepted` (grantedWithMods, revocationWarning, ...), naming the server as given.
fn print_status(raw: &RawOpts, outcome: &Outcome) {
    let Some(si) = &outcome.status else {
        return;
    };
    if si.status == client::status::ACCEPTED {
        return;
    }
    let from = raw
        .str(Opt::Server)
        .map(|s| format!(" from {s}"))
        .unwrap_or_default();
    crate::log::app_line(
        crate::log::Level::Warn,
        format_args!("received{from} {}", si.to_text()),
    );
}

/// Print the ITAVs of a genp as OpenSSL does.
fn print_itavs(outcome: &Outcome) {
    if outcome.genp_itavs.is_empty() {
        crate::info!("genp does not contain any ITAV");
    }
    for (i, itav) in outcome.genp_itavs.iter().enumerate() {
        let name = crate::asn1::oid::info_type_name(&itav.info_type)
            .map(str::to_string)
            .unwrap_or_else(|| itav.info_type.to_string());
        crate::info!("ITAV #{} from genp infoType={}", i + 1, name);
    }
}

/// Central key generation: save the received private key to `-newkeyout` (PEM PKCS#8, encrypted with
/// `-newkeypass` if given), owner-only.
fn stage_new_key(raw: &RawOpts, outcome: &Outcome, out: &mut Outputs) -> Result<()> {
    let Some(path) = raw.str(Opt::Newkeyout) else {
        return Ok(());
    };
    crate::info!("saving centrally generated key to file '{path}'");
    let key = outcome.new_key.as_ref().ok_or_else(|| {
        cmp_err!("cannot write centrally generated key to file '{path}': no key received")
    })?;
    let pass = pass_of(raw, Opt::Newkeypass, "centrally generated private key")?;
    let pem = match &pass {
        Some(p) => key.to_encrypted_pkcs8_pem(p)?.into_bytes(),
        None => key.to_pkcs8_pem()?.as_bytes().to_vec(),
    };
    out.private_key(path, pem);
    Ok(())
}

/// A genm that OpenSSL's `do_genm` handles in its generic branch: no -infotype, or one without
/// specific support (caCerts, rootCaCert, crlStatusList and certReqTemplate have their own).
fn is_generic_genm(ctx: &Ctx, has_plan: bool) -> bool {
    ctx.cmd == Cmd::Genm
        && !has_plan
        && !ctx
            .genm_itavs
            .iter()
            .any(|i| i.info_type == crate::asn1::oid::IT_CA_CERTS)
}

/// The app's own line (stderr) when the generic genm got no usable genp; OpenSSL 3.0 has none.
fn genm_failed_line() {
    if crate::compat::get() != crate::compat::Compat::V3_0 {
        crate::log::app_error(format_args!(
            "Did not receive response on genm or genp is not valid"
        ));
    }
}

/// Act as CMP client (possibly with the in-process mock server): set up, run `-repeat` transactions,
/// and write the results of each.
pub fn run_client(raw: &RawOpts) -> Result<()> {
    let Setup {
        ctx,
        mut peer,
        certform,
        crlform,
        genm_plan,
    } = setup(raw)?;
    let repeat = raw.int(Opt::Repeat).unwrap_or(1).max(1);
    let generic_genm = is_generic_genm(&ctx, genm_plan.is_some());
    for _ in 0..repeat {
        let outcome = client::run(&ctx, &mut peer).map_err(|f| {
            if generic_genm {
                genm_failed_line();
            }
            // A failed transaction still reports a warning-type status it received (e.g. an rp
            // with keyUpdateWarning); rejection and waiting are told by the error lines.
            if f.outcome.status.as_ref().is_some_and(|si| {
                si.status != client::status::REJECTION && si.status != client::status::WAITING
            }) {
                print_status(raw, &f.outcome);
            }
            Error::from(f).in_transaction()
        })?;
        if ctx.files.reqout_only.is_some() && outcome.status.is_none() {
            // 3.3+ reports even this as a genm without (valid) genp, though the run succeeds.
            if generic_genm {
                genm_failed_line();
            }
            return Ok(());
        }
        print_status(raw, &outcome);
        let mut out = Outputs::new();
        if let Some(plan) = &genm_plan {
            // What the genp holds is checked by OpenSSL's library: its errors go to stdout.
            super::genm::stage(raw, &ctx, plan, &outcome, certform, crlform, &mut out)
                .map_err(Error::in_transaction)?;
        } else if generic_genm {
            print_itavs(&outcome);
        }
        stage_outputs(raw, ctx.cmd, &outcome, certform, &mut out);
        if ctx.central_keygen() && matches!(ctx.cmd, Cmd::Ir | Cmd::Cr | Cmd::Kur) {
            stage_new_key(raw, &outcome, &mut out)?;
        }
        out.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::serial_number;

    #[test]
    fn serial_numbers_read_like_openssl() {
        assert_eq!(serial_number("0"), Some(vec![0]));
        assert_eq!(serial_number("255"), Some(vec![0, 0xff]));
        assert_eq!(serial_number("0x1234"), Some(vec![0x12, 0x34]));
        assert_eq!(serial_number("-1"), Some(vec![0xff]));
        assert_eq!(serial_number("-128"), Some(vec![0x80]));
        assert_eq!(serial_number("-129"), Some(vec![0xff, 0x7f]));
        assert_eq!(
            serial_number("12345678901234567890"),
            Some(vec![0, 0xab, 0x54, 0xa9, 0x8c, 0xeb, 0x1f, 0x0a, 0xd2])
        );
        assert_eq!(serial_number("12a"), None);
        assert_eq!(serial_number(""), None);
    }
}
