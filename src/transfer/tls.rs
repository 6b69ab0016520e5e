//! TLS for CMP over HTTPS (`-tls_used`, `-tls_cert`, `-tls_key`, `-tls_extra`, `-tls_trusted`,
//! `-tls_host`), with rustls and the aws-lc-rs provider; and the mock server's side of it
//! (`-srv_tls_cert`, `-srv_tls_key`, `-srv_tls_trusted`, rcmp extensions: [`server_config`]).
//!
//! OpenSSL's cmp app verifies the server only when `-tls_trusted` is given, and then also checks
//! the host name (`-tls_host`, else the `-server` host). Without trust anchors it accepts any
//! server certificate. The verifier below does the same; handshake signatures are always checked.
//! This module takes DER only; loading files and pass phrases is the creds area's job.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::error::Result;

/// TLS settings for the client, all as DER.
#[derive(Debug, Default)]
pub struct TlsConfig {
    /// `-tls_cert` followed by `-tls_extra` certificates: the chain sent to the server.
    pub cert_chain: Vec<CertificateDer<'static>>,
    /// `-tls_key`; required when `cert_chain` is not empty.
    pub key: Option<PrivateKeyDer<'static>>,
    /// `-tls_trusted`: when empty the server certificate is not verified at all (as OpenSSL).
    pub trusted: Vec<CertificateDer<'static>>,
    /// `-tls_host`: the name or address the server certificate must match (default: the host of
    /// `-server`).
    pub host: Option<String>,
}

impl Clone for TlsConfig {
    fn clone(&self) -> Self {
        TlsConfig {
            cert_chain: self.cert_chain.clone(),
            key: self.key.as_ref().map(|k| k.clone_key()),
            trusted: self.trusted.clone(),
            host: self.host.clone(),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Build the rustls client configuration. `server_host` is the `-server` host without brackets,
/// used for the name check when `-tls_host` is absent.
pub fn client_config(cfg: &TlsConfig, server_host: &str) -> Result<Arc<ClientConfig>> {
    let provider = provider();
    let check_name = cfg.host.clone().unwrap_or_else(|| server_host.to_string());
    let verifier = Arc::new(Verifier::new(&cfg.trusted, &check_name, provider.clone())?);
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| cmp_err!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&cfg.key, cfg.cert_chain.is_empty()) {
        (Some(key), false) => builder
            .with_client_auth_cert(cfg.cert_chain.clone(), key.clone_key())
            .map_err(|e| cmp_err!("cannot use -tls_cert and -tls_key: {e}"))?,
        (None, false) => return Err(cmp_err!("missing -tls_key option")),
        (Some(_), true) => return Err(cmp_err!("missing -tls_cert option")),
        (None, true) => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// TLS settings of the mock server, all as DER.
#[derive(Debug)]
pub struct ServerTls {
    /// `-srv_tls_cert`: the server certificate, then any chain certificates from the same file.
    pub cert_chain: Vec<CertificateDer<'static>>,
    /// `-srv_tls_key`.
    pub key: PrivateKeyDer<'static>,
    /// `-srv_tls_trusted`: when not empty, clients must present a certificate chaining to one of
    /// these (checked by webpki: validity, clientAuth extended key usage if the certificate has the
    /// extension); when empty, no client certificate is asked for.
    pub client_trusted: Vec<CertificateDer<'static>>,
}

/// Build the rustls server configuration for the mock server. A key that does not belong to the
/// certificate is refused here, before the server starts listening.
pub fn server_config(tls: &ServerTls) -> Result<Arc<ServerConfig>> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| cmp_err!("cannot set up TLS: {e}"))?;
    let builder = if tls.client_trusted.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        for (i, c) in tls.client_trusted.iter().enumerate() {
            roots.add(c.clone()).map_err(|e| {
                cmp_err!(
                    "cannot use certificate #{} of -srv_tls_trusted as trust anchor: {e}",
                    i + 1
                )
            })?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| cmp_err!("cannot set up TLS client verification: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    };
    let config = builder
        .with_single_cert(tls.cert_chain.clone(), tls.key.clone_key())
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => {
                cmp_err!("-srv_tls_key does not match the certificate of -srv_tls_cert")
            }
            e => cmp_err!("cannot use -srv_tls_cert and -srv_tls_key: {e}"),
        })?;
    Ok(Arc::new(config))
}

/// The name used for SNI and for starting the handshake: DNS names as such, IP addresses as
/// addresses (for which rustls, like OpenSSL's app, sends no SNI).
pub fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_string()).map_err(|_| cmp_err!("invalid TLS server name '{host}'"))
}

#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    /// None: accept any server certificate (no -tls_trusted).
    webpki: Option<Arc<WebPkiServerVerifier>>,
    trusted: Vec<CertificateDer<'static>>,
    check_name: ServerName<'static>,
    check_name_text: String,
}

impl Verifier {
    fn new(
        trusted: &[CertificateDer<'static>],
        check_name: &str,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self> {
        let webpki = if trusted.is_empty() {
            None
        } else {
            let mut roots = RootCertStore::empty();
            for (i, c) in trusted.iter().enumerate() {
                roots.add(c.clone()).map_err(|e| {
                    cmp_err!(
                        "cannot use certificate #{} of -tls_trusted as trust anchor: {e}",
                        i + 1
                    )
                })?;
            }
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| cmp_err!("cannot set up TLS server verification: {e}"))?,
            )
        };
        let host = crate::transfer::url::strip_brackets(check_name);
        let check_name = ServerName::try_from(host.to_string())
            .map_err(|_| cmp_err!("invalid host name for TLS verification: '{check_name}'"))?;
        Ok(Verifier {
            provider,
            webpki,
            trusted: trusted.to_vec(),
            check_name,
            check_name_text: host.to_string(),
        })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        // A server certificate that is itself a trust anchor is accepted by OpenSSL; webpki
        // would want an issuer, so check only the name in that case.
        if self
            .trusted
            .iter()
            .any(|t| t.as_ref() == end_entity.as_ref())
        {
            return if names::cert_matches(end_entity.as_ref(), &self.check_name_text) {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName,
                ))
            };
        }
        webpki.verify_server_cert(end_entity, intermediates, &self.check_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Host name and IP address matching against a certificate, for the pinned-certificate case.
mod names {
    use der::Decode;
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::Certificate;

    /// DNS SANs (with a leading `*.` wildcard for one label) or IP SANs; the subject CN only when
    /// there is no DNS SAN, as OpenSSL's host check does.
    pub fn cert_matches(der: &[u8], name: &str) -> bool {
        let Ok(cert) = Certificate::from_der(der) else {
            return false;
        };
        let ip: Option<std::net::IpAddr> = name.parse().ok();
        let mut saw_dns = false;
        if let Ok(Some(san)) = cert.tbs_certificate().get_extension::<SubjectAltName>() {
            for gn in san.1 .0.iter() {
                match (gn, ip) {
                    (GeneralName::DnsName(d), None) => {
                        saw_dns = true;
                        if dns_matches(d.as_str(), name) {
                            return true;
                        }
                    }
                    (GeneralName::DnsName(_), Some(_)) => saw_dns = true,
                    (GeneralName::IpAddress(o), Some(addr)) => {
                        let b = o.as_bytes();
                        let ok = match addr {
                            std::net::IpAddr::V4(v4) => b == v4.octets(),
                            std::net::IpAddr::V6(v6) => b == v6.octets(),
                        };
                        if ok {
                            return true;
                        }
                    }
                    _ => {}
                }
            }
        }
        if saw_dns || ip.is_some() {
            return false;
        }
        // Only the common names are consulted here; their string type does not matter.
        match cert.tbs_certificate().subject().common_name() {
            Ok(Some(cn)) => dns_matches(&cn.value(), name),
            _ => false,
        }
    }

    fn dns_matches(pattern: &str, name: &str) -> bool {
        let (p, n) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
        let n = n.trim_end_matches('.');
        if let Some(suffix) = p.strip_prefix("*.") {
            return n
                .split_once('.')
                .is_some_and(|(first, rest)| !first.is_empty() && rest == suffix);
        }
        p == n
    }
}
