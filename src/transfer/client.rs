//! The CMP client's HTTP transfer: one POST per CMP message, over plain TCP or TLS, directly or
//! through a proxy, with keep-alive across the messages of a transaction and deadlines.
//!
//! The request body and response body are opaque DER here; the client area decides which message
//! is sent and whether more follow in the same transaction.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::http::{self, HttpError, MsgReader, MAX_RESPONSE_LEN};
use super::proxy;
use super::tls::{self, TlsConfig};
use super::url::{self, Env, ProcessEnv, ServerUrl};
use crate::error::{Error, Result};

/// `-keep_alive`: 0 = close after each response, 1 = ask to keep the connection open while a
/// transaction needs more round trips, 2 = insist (an error if the server does not agree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeepAlive {
    Off,
    #[default]
    Prefer,
    Require,
}

/// Transfer settings from the command line.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// `-proxy`; None = take it from the environment.
    pub proxy: Option<String>,
    /// `-no_proxy`; None = take it from the environment.
    pub no_proxy: Option<String>,
    pub keep_alive: KeepAlive,
    /// `-msg_timeout` for each round trip (connect + send + receive); None = no limit.
    pub msg_timeout: Option<Duration>,
    /// Some = use TLS (`-tls_used`, or implied by `https://` in 3.5).
    pub tls: Option<TlsConfig>,
    /// Largest response accepted; 0 = OpenSSL's default (100 KiB).
    pub max_response: usize,
}

/// A stream with a deadline: every read and write first sets the socket timeouts to the time
/// left, so a peer that trickles bytes cannot stretch a round trip past the deadline.
struct Conn {
    inner: Inner,
    deadline: Option<Instant>,
    /// The socket's timeouts are known to be off, so that without a deadline each read and write
    /// does not cost two more system calls to switch them off again.
    untimed: bool,
}

enum Inner {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match &self.inner {
            Inner::Plain(s) => s,
            Inner::Tls(s) => &s.sock,
        }
    }

    fn arm(&mut self) -> io::Result<()> {
        if self.deadline.is_none() && self.untimed {
            return Ok(());
        }
        arm_socket(self.tcp(), self.deadline)?;
        self.untimed = self.deadline.is_none();
        Ok(())
    }
}

fn arm_socket(s: &TcpStream, deadline: Option<Instant>) -> io::Result<()> {
    let left = match deadline {
        None => None,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
            }
            Some(left)
        }
    };
    s.set_read_timeout(left)?;
    s.set_write_timeout(left)
}

/// A plain socket with a deadline, for talking to a proxy before TLS starts.
struct Timed<'a> {
    sock: &'a mut TcpStream,
    deadline: Option<Instant>,
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        arm_socket(self.sock, self.deadline)?;
        self.sock.read(buf)
    }
}

impl Write for Timed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        arm_socket(self.sock, self.deadline)?;
        self.sock.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

impl Drop for Conn {
    /// End a TLS session politely (close_notify), without waiting long for a stalled peer.
    fn drop(&mut self) {
        if let Inner::Tls(s) = &mut self.inner {
            s.conn.send_close_notify();
            let _ = s.sock.set_write_timeout(Some(Duration::from_millis(200)));
            while s.conn.wants_write() {
                if s.conn.write_tls(&mut s.sock).unwrap_or(0) == 0 {
                    break;
                }
            }
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        match &mut self.inner {
            Inner::Plain(s) => s.read(buf),
            Inner::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        match &mut self.inner {
            Inner::Plain(s) => s.write(buf),
            Inner::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.arm()?;
        match &mut self.inner {
            Inner::Plain(s) => s.flush(),
            Inner::Tls(s) => s.flush(),
        }
    }
}

/// HTTP(S) client for one CMP server. Keeps at most one connection, reused while the server
/// agrees and the caller says more messages of the transaction follow.
pub struct HttpClient {
    url: ServerUrl,
    opts: HttpOptions,
    /// The proxy string as given (for logs) and where it is.
    proxy: Option<(String, String, u16)>,
    /// A proxy that cannot be parsed, as given, and why. OpenSSL names it in its `will contact` line
    /// and fails only when sending, so the error waits for the first exchange.
    bad_proxy: Option<(String, String)>,
    tls: Option<Arc<ClientConfig>>,
    conn: Option<MsgReader<Conn>>,
}

impl HttpClient {
    /// Prepare a client; nothing is connected yet. Proxy settings are taken from the process
    /// environment where the options leave them open.
    pub fn new(url: ServerUrl, opts: HttpOptions) -> Result<Self> {
        Self::with_env(url, opts, &ProcessEnv)
    }

    /// As [`HttpClient::new`], reading proxy variables through `env`.
    pub fn with_env(url: ServerUrl, opts: HttpOptions, env: &dyn Env) -> Result<Self> {
        let use_tls = opts.tls.is_some();
        let (mut proxy, mut bad_proxy) = (None, None);
        if let Some(p) = url::adapt_proxy(
            opts.proxy.as_deref(),
            opts.no_proxy.as_deref(),
            &url.host,
            use_tls,
            env,
        ) {
            match url::parse_proxy(&p) {
                Ok((h, port)) => proxy = Some((p, h, port)),
                Err(e) => bad_proxy = Some((p, e.to_string())),
            }
        }
        let tls = match &opts.tls {
            Some(cfg) => Some(tls::client_config(cfg, url.bare_host())?),
            None => None,
        };
        Ok(HttpClient {
            url,
            opts,
            proxy,
            bad_proxy,
            tls,
            conn: None,
        })
    }

    /// The proxy in use (as given), for the `will contact ... via PROXY` line.
    pub fn proxy(&self) -> Option<&str> {
        self.proxy
            .as_ref()
            .map(|(p, _, _)| p.as_str())
            .or(self.bad_proxy.as_ref().map(|(p, _)| p.as_str()))
    }

    /// The `will contact ...` text for this client (see [`ServerUrl::contact_line`]).
    pub fn contact_line(&self) -> String {
        self.url.contact_line(self.tls.is_some(), self.proxy())
    }

    /// Whether a connection is currently kept open.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Drop any kept-open connection (end of transaction).
    pub fn close(&mut self) {
        if self.conn.take().is_some() {
            debug!("disconnected from CMP server");
        }
    }

    /// Send one CMP request and return the response body (DER, not decoded). `more_follows`
    /// says whether the transaction may need further round trips (OpenSSL asks for keep-alive for
    /// ir/cr/p10cr/kur/pollReq only). `deadline` is the overall limit from `-total_timeout`; the
    /// round trip also ends after `-msg_timeout`.
    pub fn exchange(
        &mut self,
        req: &[u8],
        more_follows: bool,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>> {
        if let Some((_, why)) = &self.bad_proxy {
            return Err(crate::error::Error::cmp(why.clone()));
        }
        let round_trip_end = self
            .opts
            .msg_timeout
            .filter(|d| !d.is_zero())
            .map(|d| Instant::now() + d);
        let deadline = match (round_trip_end, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let ask_keep_alive = self.opts.keep_alive != KeepAlive::Off && more_follows;
        let result = self.round_trip(req, ask_keep_alive, deadline);
        match result {
            Ok((body, server_keeps)) => {
                let keep = ask_keep_alive && server_keeps;
                if ask_keep_alive && !server_keeps && self.opts.keep_alive == KeepAlive::Require {
                    self.conn = None;
                    return Err(self.receive_error(HttpError::proto("server canceled connection")));
                }
                if !keep {
                    self.close();
                }
                debug!("finished reading response from CMP server");
                Ok(body)
            }
            Err(e) => {
                self.conn = None;
                debug!("disconnected from CMP server");
                Err(e)
            }
        }
    }

    fn round_trip(
        &mut self,
        req: &[u8],
        ask_keep_alive: bool,
        deadline: Option<Instant>,
    ) -> Result<(Vec<u8>, bool)> {
        let mut conn = match self.conn.take() {
            Some(mut c) => {
                c.get_mut().deadline = deadline;
                c
            }
            None => MsgReader::new(self.connect(deadline)?),
        };
        let path = self.url.request_path();
        let target = match (&self.proxy, self.tls.is_some()) {
            (Some(_), false) => proxy::absolute_target(&self.url.host, self.url.port, &path),
            _ => path,
        };
        let mut msg = http::request_head(&target, &self.url.host, ask_keep_alive, req.len());
        msg.extend_from_slice(req);
        http::write_all(conn.get_mut(), &msg).map_err(|e| self.send_error(e))?;
        let max = if self.opts.max_response == 0 {
            MAX_RESPONSE_LEN
        } else {
            self.opts.max_response
        };
        let resp = http::read_response(&mut conn, max).map_err(|e| self.receive_error(e))?;
        self.conn = Some(conn);
        Ok((resp.body, resp.keep_alive))
    }

    fn connect(&self, deadline: Option<Instant>) -> Result<Conn> {
        let (host, port) = match &self.proxy {
            Some((_, h, p)) => (url::strip_brackets(h).to_string(), *p),
            None => (self.url.bare_host().to_string(), self.url.port),
        };
        // OpenSSL prints the port number here, not the string given in -server.
        let path = self.url.path.strip_prefix('/').unwrap_or(&self.url.path);
        debug!(
            "connecting to CMP server via http{}://{}:{}/{path}",
            if self.tls.is_some() { "s" } else { "" },
            self.url.host,
            self.url.port
        );
        let mut tcp = connect_tcp(&host, port, deadline)?;
        let _ = tcp.set_nodelay(true);
        let Some(tls_config) = &self.tls else {
            return Ok(Conn {
                inner: Inner::Plain(tcp),
                deadline,
                // A fresh socket has no timeouts.
                untimed: true,
            });
        };
        if self.proxy.is_some() {
            let mut timed = Timed {
                sock: &mut tcp,
                deadline,
            };
            let extra = proxy::tunnel(&mut timed, &self.url.host, &self.url.port_str)
                .map_err(|e| self.receive_error(e))?;
            if !extra.is_empty() {
                return Err(self.receive_error(HttpError::proto(
                    "unexpected data from proxy after CONNECT response",
                )));
            }
        }
        let name = tls::server_name(self.url.bare_host())?;
        let mut tls_conn = ClientConnection::new(tls_config.clone(), name)
            .map_err(|e| cmp_err!("cannot start TLS: {e}"))?;
        while tls_conn.is_handshaking() {
            arm_socket(&tcp, deadline).map_err(|_| cmp_err!("transfer timeout"))?;
            if let Err(e) = tls_conn.complete_io(&mut tcp) {
                if http::is_timeout(&e) {
                    return Err(cmp_err!("transfer timeout"));
                }
                return Err(self.tls_error(&e));
            }
        }
        Ok(Conn {
            inner: Inner::Tls(Box::new(StreamOwned::new(tls_conn, tcp))),
            deadline,
            untimed: false,
        })
    }

    fn server_data(&self) -> String {
        let mut s = format!(
            "server=http{}://{}:{}",
            if self.tls.is_some() { "s" } else { "" },
            self.url.host,
            self.url.port_str
        );
        if let Some((p, _, _)) = &self.proxy {
            s.push_str(&format!(" proxy={p}"));
        }
        s
    }

    fn tls_error(&self, e: &io::Error) -> Error {
        let err = cmp_err!("TLS handshake failed: {e}")
            .because(format!("error sending:{}", self.server_data()));
        if let Some(line) = openssl_tls_line(e) {
            // OpenSSL's apps print this when they shut the failed TLS connection down.
            crate::log::raw_stderr(&format!("{line}\n"));
        }
        // rustls's words for a peer whose first bytes are no TLS record, e.g. `HTTP/1.0 400`.
        let text = e.to_string();
        if text.contains("InvalidContentType") || text.contains("corrupt message") {
            return err.with_hint(format!(
                "{}:{} answers, but not with TLS: it seems to be a plain HTTP server; use http:// in -server and no -tls_used",
                self.url.host, self.url.port_str
            ));
        }
        err
    }

    /// What to try when a transfer failed: a 404 names the path; a plain-HTTP request that got no
    /// HTTP answer may have reached a TLS server.
    fn hint_for(&self, e: &HttpError) -> Option<String> {
        match e {
            HttpError::Protocol(l) if l.first().is_some_and(|f| f.contains("code=404,")) => {
                Some(format!(
                    "the server has nothing at path '/{}' (HTTP 404): check -path or the CMP alias in -server (OpenSSL's mock serves only / and /pkix/)",
                    self.url.path.trim_start_matches('/')
                ))
            }
            _ if self.tls.is_some() => None,
            HttpError::NoAnswer(_) => Some(
                "the server sent no HTTP answer; if it expects TLS, use https:// in -server or -tls_used".to_string(),
            ),
            HttpError::Protocol(l) if l.first().is_some_and(|f| f.starts_with("header parse error")) => Some(
                "the server's answer is not HTTP; if it expects TLS, use https:// in -server or -tls_used".to_string(),
            ),
            _ => None,
        }
    }

    fn send_error(&self, e: HttpError) -> Error {
        self.wrap(e, "error sending")
    }

    fn receive_error(&self, e: HttpError) -> Error {
        self.wrap(e, "error receiving")
    }

    /// OpenSSL's lines: the reason(s), then `error receiving:server=...` (none for timeouts).
    fn wrap(&self, e: HttpError, what: &str) -> Error {
        let hint = self.hint_for(&e);
        self.wrap_lines(e, what).with_hint_opt(hint)
    }

    fn wrap_lines(&self, e: HttpError, what: &str) -> Error {
        let mut lines = match e {
            HttpError::Timeout => return cmp_err!("transfer timeout"),
            HttpError::Read(m) | HttpError::NoAnswer(m) if m == "failed reading data" => vec![m],
            HttpError::Read(m) | HttpError::NoAnswer(m) => {
                vec![format!("failed reading data: {m}")]
            }
            HttpError::Write(m) => vec![format!("failed writing data: {m}")],
            HttpError::Protocol(l) => l,
        };
        lines.push(format!("{what}:{}", self.server_data()));
        Error::from_lines(lines)
    }
}

/// The line OpenSSL's apps print on stderr for some TLS failures (`tls_error_hint` in apps/lib), for
/// the same failure as rustls reports it. Only the peer-speaks-no-TLS case is mapped so far: OpenSSL's
/// lines for an untrusted server certificate and for refused client certificates are not (yet).
fn openssl_tls_line(e: &io::Error) -> Option<&'static str> {
    match e.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidMessage(_) => {
            Some("The server does not support (a suitable version of) TLS")
        }
        _ => None,
    }
}

/// Connect to `host:port` before `deadline`. Like OpenSSL, a refused connection is retried
/// (every 100 ms) until the deadline, so a server that is still starting up is reached; with no
/// deadline one attempt is made.
fn connect_tcp(host: &str, port: u16, deadline: Option<Instant>) -> Result<TcpStream> {
    if host.is_empty() {
        return Err(cmp_err!("connect error: no host name given"));
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| cmp_err!("connect error: cannot resolve host '{host}': {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(cmp_err!(
            "connect error: no address found for host '{host}'"
        ));
    }
    loop {
        let mut last_err = None;
        for a in &addrs {
            let r = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(cmp_err!("connect timeout"));
                    }
                    TcpStream::connect_timeout(a, left)
                }
                None => TcpStream::connect(a),
            };
            match r {
                Ok(s) => return Ok(s),
                Err(e) => last_err = Some(e),
            }
        }
        let e = last_err.unwrap_or_else(|| io::Error::other("no address"));
        let retry = deadline.is_some()
            && matches!(
                e.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::TimedOut
                    | io::ErrorKind::WouldBlock
            );
        if !retry {
            let err = cmp_err!("connect error: cannot connect to {host}:{port}: {e}");
            return Err(if e.kind() == io::ErrorKind::ConnectionRefused {
                err.with_hint(format!(
                    "nothing listens on {host}:{port}: check the host and port in -server (and -proxy)"
                ))
            } else {
                err
            });
        }
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(cmp_err!("connect timeout"));
            }
            std::thread::sleep(left.min(Duration::from_millis(100)));
        }
    }
}
