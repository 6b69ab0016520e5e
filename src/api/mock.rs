//! The mock CA as a library: an in-process CMP test server on a free 127.0.0.1 port, configured
//! like `openssl cmp`'s `-srv_*` and `-rsp_*` options and stopped when dropped.

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use zeroize::Zeroizing;

use super::cert::{Certificate, PrivateKey};
use super::error::{Error, ErrorKind, PkiStatus, Result};
use super::transport::{Exchange, Transport};
use crate::server::{Server, SrvConfig};
use crate::transfer::server as listener;

/// Configures a [`MockServer`]. Each method matches the mock server option of `openssl cmp` it
/// names.
///
/// When no response certificate is set and the server's certificate and key form a CA, the mock
/// issues a real certificate for each request (an rcmp extension); so a CA certificate and key are
/// all a test needs.
#[derive(Default)]
pub struct MockServerBuilder {
    cfg: SrvConfig,
}

fn ders(certs: &[Certificate]) -> Vec<Vec<u8>> {
    certs.iter().map(|c| c.der().to_vec()).collect()
}

impl MockServerBuilder {
    /// `-srv_cert` and `-srv_key`: the server's signing certificate and key.
    pub fn srv_cert(mut self, cert: &Certificate, key: &PrivateKey) -> Result<Self> {
        self.cfg.srv_cert = Some(cert.der().to_vec());
        self.cfg.srv_key = Some(key.to_pkcs8_der()?);
        Ok(self)
    }

    /// `-srv_ref` and `-srv_secret`: the shared secret for PBM-protected messages.
    pub fn srv_secret(mut self, reference: &[u8], secret: &[u8]) -> Self {
        self.cfg.srv_ref = Some(reference.to_vec());
        self.cfg.srv_secret = Some(Zeroizing::new(secret.to_vec()));
        self
    }

    /// `-srv_trusted`: anchors for validating signed requests.
    pub fn srv_trusted(mut self, certs: &[Certificate]) -> Self {
        self.cfg.srv_trusted = ders(certs);
        self
    }

    /// `-srv_untrusted`: intermediate certificates.
    pub fn srv_untrusted(mut self, certs: &[Certificate]) -> Self {
        self.cfg.srv_untrusted = ders(certs);
        self
    }

    /// `-ref_cert`: the certificate expected in kur and rr.
    pub fn ref_cert(mut self, cert: &Certificate) -> Self {
        self.cfg.ref_cert = Some(cert.der().to_vec());
        self
    }

    /// `-rsp_cert`: a fixed certificate returned for every certificate request.
    pub fn rsp_cert(mut self, cert: &Certificate) -> Self {
        self.cfg.rsp_cert = Some(cert.der().to_vec());
        self
    }

    /// `-rsp_extracerts`: added to the extraCerts of certificate responses.
    pub fn rsp_extracerts(mut self, certs: &[Certificate]) -> Self {
        self.cfg.rsp_extracerts = ders(certs);
        self
    }

    /// `-rsp_capubs`: sent in caPubs.
    pub fn rsp_capubs(mut self, certs: &[Certificate]) -> Self {
        self.cfg.rsp_capubs = ders(certs);
        self
    }

    /// `-poll_count`: how many polls the client must make before getting the answer.
    pub fn poll_count(mut self, n: u32) -> Self {
        self.cfg.poll_count = n;
        self
    }

    /// `-check_after`: the checkAfter seconds of polling responses.
    pub fn check_after(mut self, seconds: u32) -> Self {
        self.cfg.check_after = seconds;
        self
    }

    /// `-grant_implicitconf`: grant implicit confirmation when asked.
    pub fn grant_implicit_confirm(mut self, on: bool) -> Self {
        self.cfg.grant_implicitconf = on;
        self
    }

    /// `-pkistatus`: the status of responses.
    pub fn pkistatus(mut self, status: PkiStatus) -> Self {
        self.cfg.pkistatus = match status {
            PkiStatus::Accepted | PkiStatus::Other(_) => 0,
            PkiStatus::GrantedWithMods => 1,
            PkiStatus::Rejection => 2,
            PkiStatus::Waiting => 3,
            PkiStatus::RevocationWarning => 4,
            PkiStatus::RevocationNotification => 5,
            PkiStatus::KeyUpdateWarning => 6,
        };
        self
    }

    /// `-failurebits`: the failInfo bits of responses.
    pub fn failure_bits(mut self, bits: u32) -> Self {
        self.cfg.failurebits = bits;
        self
    }

    /// `-statusstring`: the statusString of responses.
    pub fn status_string(mut self, text: impl Into<String>) -> Self {
        self.cfg.statusstring = Some(text.into());
        self
    }

    /// `-send_error`: answer every request with an error message.
    pub fn send_error(mut self, on: bool) -> Self {
        self.cfg.send_error = on;
        self
    }

    /// `-accept_unprotected`: accept requests without protection.
    pub fn accept_unprotected(mut self, on: bool) -> Self {
        self.cfg.accept_unprotected = on;
        self
    }

    /// `-accept_raverified`: accept raVerified proof of possession.
    pub fn accept_raverified(mut self, on: bool) -> Self {
        self.cfg.accept_raverified = on;
        self
    }

    /// `-no_check_time`: skip validity-period checks of client certificates.
    pub fn no_check_time(mut self, on: bool) -> Self {
        self.cfg.no_check_time = on;
        self
    }

    /// The builder for a configuration already made from the `-srv_*`/`-rsp_*` options (the `rcmp`
    /// command parses them all itself, with OpenSSL's messages).
    pub(crate) fn from_config(cfg: SrvConfig) -> Self {
        MockServerBuilder { cfg }
    }

    /// A mock server without a listener, reached in-process through the returned transport (as
    /// `openssl cmp -use_mock_srv` does); it lives as long as the transport.
    pub fn in_process(self) -> Result<impl Transport + 'static> {
        self.server().map(InProcess)
    }

    /// Make the server without a listener: [`MockServer::transport`] reaches it in-process.
    fn server(self) -> Result<Arc<Server>> {
        Server::new(self.cfg).map(Arc::new).map_err(Error::config)
    }

    /// Start serving HTTP on a free port of 127.0.0.1.
    pub fn start(self) -> Result<MockServer> {
        let server = self.server()?;
        let stop = Arc::new(AtomicBool::new(false));
        let cfg = listener::ServerConfig {
            bind_addr: Some(std::net::Ipv4Addr::LOCALHOST.into()),
            compat: server.config().compat,
            stop: Some(stop.clone()),
            ..listener::ServerConfig::default()
        };
        let bound = listener::bind(cfg).map_err(Error::config)?;
        let addr = SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, bound.port()));
        let srv = server.clone();
        let handler: listener::Handler = Arc::new(move |req: &[u8]| {
            srv.answer(req).map(|a| listener::Reply {
                body: a.der,
                close: a.transaction_ended,
            })
        });
        let thread = std::thread::Builder::new()
            .name("rcmp-mock".into())
            .spawn(move || {
                let _ = bound.serve(handler);
            })
            .map_err(|e| Error::new(ErrorKind::Config, format!("cannot start mock server: {e}")))?;
        Ok(MockServer {
            server,
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

/// A running mock CA; it stops when dropped.
pub struct MockServer {
    server: Arc<Server>,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Start configuring a mock server.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// Where it listens, as [`super::ClientBuilder::server`] takes it: `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A transport that hands requests to this server directly, without HTTP.
    pub fn transport(&self) -> impl Transport + 'static {
        InProcess(self.server.clone())
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the listener so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct InProcess(Arc<Server>);

impl Transport for InProcess {
    fn exchange(&mut self, request: &[u8], _exchange: &Exchange) -> Result<Vec<u8>> {
        Ok(self.0.handle(request))
    }
}
