//! How request messages reach a CMP server: the [`Transport`] trait and the transports built in.

use std::time::{Duration, Instant};

use super::error::{Error, ErrorKind, Result};
use crate::transfer::{HttpClient, HttpOptions, KeepAlive, TlsConfig};

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
}

/// The built-in HTTP(S) transport.
pub(crate) struct Http(HttpClient);

impl Http {
    pub(crate) fn new(s: &HttpSettings, server: &str) -> Result<Http> {
        let url = crate::transfer::url::parse_server(server)
            .map_err(Error::config)?
            .with_path(s.path.as_deref());
        let tls = (s.tls || url.tls).then(|| TlsConfig {
            trusted: s
                .tls_trusted
                .iter()
                .map(|d| rustls::pki_types::CertificateDer::from(d.clone()))
                .collect(),
            host: s.tls_host.clone(),
            ..TlsConfig::default()
        });
        let opts = HttpOptions {
            // None: from the environment (`http_proxy`, `https_proxy`), as `openssl cmp` does.
            proxy: s.proxy.clone(),
            no_proxy: s.no_proxy.clone(),
            keep_alive: KeepAlive::Prefer,
            msg_timeout: s.msg_timeout,
            tls,
            max_response: 0,
        };
        HttpClient::new(url, opts).map(Http).map_err(Error::config)
    }
}

impl Transport for Http {
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
