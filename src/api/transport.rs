//! How request messages reach a CMP server: the [`Transport`] trait and the transports built in.

use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::cert::{Certificate, PrivateKey};
use super::error::{Error, ErrorKind, Result};
use crate::transfer::{HttpClient, HttpOptions, TlsConfig};

/// What a transport is told about one exchange besides the request itself.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Exchange {
    /// More messages of this transaction will follow (e.g. certConf after ip): a connection may be
    /// kept open for them.
    pub keep_alive: bool,
    /// When the whole transaction must be over, if the client has a total timeout.
    pub deadline: Option<Instant>,
}

/// Moves one DER-encoded request PKIMessage to the server and returns the DER-encoded response.
///
/// HTTP(S) as of RFC 6712 / RFC 9811 is built in (set with [`ClientBuilder::server`]); anything
/// else (a message queue, files, a test double) plugs in by implementing this trait and handing it
/// to [`ClientBuilder::transport`]. A closure `FnMut(&[u8]) -> Result<Vec<u8>>` is a transport too.
///
/// [`ClientBuilder::server`]: super::ClientBuilder::server
/// [`ClientBuilder::transport`]: super::ClientBuilder::transport
pub trait Transport: Send {
    /// Send `request` and return the response. Report failures with [`ErrorKind::Transport`].
    fn exchange(&mut self, request: &[u8], exchange: &Exchange) -> Result<Vec<u8>>;

    /// Called when a transaction is over, whatever its result: a connection kept open for it can
    /// be closed here. The default does nothing.
    fn finish(&mut self) {}
}

impl<F> Transport for F
where
    F: FnMut(&[u8]) -> Result<Vec<u8>> + Send,
{
    fn exchange(&mut self, request: &[u8], _exchange: &Exchange) -> Result<Vec<u8>> {
        self(request)
    }
}

/// The transaction's view of a transport: errors become internal ones, so the transaction
/// reports them as it reports its own transfer errors.
pub(crate) struct Adapter(pub(crate) Box<dyn Transport>);

impl crate::client::Transfer for Adapter {
    fn exchange(
        &mut self,
        req_der: &[u8],
        keep_alive: bool,
        deadline: Option<Instant>,
    ) -> crate::Result<Vec<u8>> {
        self.0
            .exchange(
                req_der,
                &Exchange {
                    keep_alive,
                    deadline,
                },
            )
            .map_err(Error::into_internal)
    }

    fn finish(&mut self) {
        self.0.finish();
    }
}

/// HTTP settings of the built-in transport.
#[derive(Clone, Debug, Default)]
pub(crate) struct HttpSettings {
    pub(crate) server: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) proxy: Option<String>,
    pub(crate) no_proxy: Option<String>,
    pub(crate) msg_timeout: Option<Duration>,
    pub(crate) tls: bool,
    pub(crate) tls_trusted: Vec<Vec<u8>>,
    pub(crate) tls_host: Option<String>,
    /// The TLS client certificate, its chain, and its key.
    pub(crate) tls_client: Option<(Vec<Certificate>, PrivateKey)>,
    pub(crate) keep_alive: KeepAlive,
}

/// Whether the HTTP transport keeps the connection open between the messages of a transaction
/// (RFC 9811 section 3.4 lets a server close it after each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeepAlive {
    /// One connection per message.
    Never,
    /// Ask the server to keep the connection, and carry on with a new one if it does not.
    #[default]
    Prefer,
    /// Ask the server to keep the connection, and fail if it closes it mid-transaction.
    Require,
}

/// The built-in HTTP(S) transport, made by [`super::ClientBuilder::http_transport`] (or
/// implicitly by [`super::ClientBuilder::build`] when a server is given).
pub struct HttpTransport(HttpClient);

impl HttpTransport {
    pub(crate) fn new(s: &HttpSettings, server: &str) -> Result<HttpTransport> {
        let url = crate::transfer::url::parse_server(server)
            .map_err(Error::config)?
            .with_path(s.path.as_deref());
        let tls = if s.tls || url.tls {
            Some(tls_config(s)?)
        } else {
            None
        };
        let opts = HttpOptions {
            // None: from the environment (`http_proxy`, `https_proxy`), as `openssl cmp` does.
            proxy: s.proxy.clone(),
            no_proxy: s.no_proxy.clone(),
            keep_alive: match s.keep_alive {
                KeepAlive::Never => crate::transfer::KeepAlive::Off,
                KeepAlive::Prefer => crate::transfer::KeepAlive::Prefer,
                KeepAlive::Require => crate::transfer::KeepAlive::Require,
            },
            msg_timeout: s.msg_timeout,
            tls,
            max_response: 0,
        };
        HttpClient::new(url, opts)
            .map(HttpTransport)
            .map_err(Error::config)
    }

    /// Check the syntax of a server address as [`super::ClientBuilder::server`] takes it (reporting
    /// what `openssl cmp` reports for a bad `-server`), and tell whether it asks for HTTPS.
    pub fn server_uses_tls(server: &str) -> Result<bool> {
        crate::transfer::url::parse_server(server)
            .map(|u| u.tls)
            .map_err(Error::config)
    }

    /// Where messages go, in the words of `openssl cmp`'s log line, e.g.
    /// `will contact http://ca.example:80/pkix/ via proxy.example:3128`.
    pub fn contact_line(&self) -> String {
        self.0.contact_line().trim_end().to_string()
    }
}

fn tls_config(s: &HttpSettings) -> Result<TlsConfig> {
    let mut cfg = TlsConfig {
        trusted: s
            .tls_trusted
            .iter()
            .map(|d| CertificateDer::from(d.clone()))
            .collect(),
        host: s.tls_host.clone(),
        ..TlsConfig::default()
    };
    if let Some((chain, key)) = &s.tls_client {
        cfg.cert_chain = chain
            .iter()
            .map(|c| CertificateDer::from(c.der().to_vec()))
            .collect();
        let pkcs8 = key.to_pkcs8_der()?;
        cfg.key = Some(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            pkcs8.to_vec(),
        )));
    }
    Ok(cfg)
}

impl Transport for HttpTransport {
    fn exchange(&mut self, request: &[u8], exchange: &Exchange) -> Result<Vec<u8>> {
        self.0
            .exchange(request, exchange.keep_alive, exchange.deadline)
            .map_err(|e| Error::from_internal(e, None).with_kind(ErrorKind::Transport))
    }

    /// Servers close the connection when a transaction ends; a new one starts afresh.
    fn finish(&mut self) {
        self.0.close();
    }
}
