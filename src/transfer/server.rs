//! The mock server's HTTP listener (`-port`, `-max_msgs`): accepts connections, reads CMP
//! requests, hands each DER body to the CA logic (a handler supplied by the server area) and sends
//! its answer back.
//!
//! Unlike OpenSSL's single-threaded mock, each connection gets its own thread (up to a cap), with
//! read/write timeouts, so one slow or idle client never holds up the others. What goes on the
//! wire and into the log follows OpenSSL's mock: only `POST` on `/` or `/pkix/`, `404 Not Found`
//! for other paths, `400 Bad Request` for malformed requests, `Connection: keep-alive` granted when
//! asked for.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::http::{self, MsgReader, RequestError};
use crate::error::Result;
use crate::log::{self, Level};

/// Which OpenSSL mock to imitate in what is visible from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Flavor {
    /// OpenSSL 3.0: listens on `[::]` (both IPv4 and IPv6), prints `ACCEPT [::]:PORT PID=N`,
    /// logs `cmp: Received request, 1st line: ...`.
    V30,
    /// OpenSSL 3.5: listens on `0.0.0.0`, prints `ACCEPT 0.0.0.0:PORT PID=N`, logs
    /// `cmp: received request, 1st line: ...` and `cmp: sending response, 1st line: ...`.
    #[default]
    V35,
}

/// Listener settings.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// `-port`; 0 = any free port.
    pub port: u16,
    /// Bind to this address instead of the flavor's wildcard (tests use 127.0.0.1).
    pub bind_addr: Option<std::net::IpAddr>,
    pub flavor: Flavor,
    /// `-max_msgs`: stop after this many requests (0 = never). As in OpenSSL, every request
    /// that arrived counts, also those answered with an HTTP error.
    pub max_msgs: u64,
    /// Most connections served at once; further clients wait in the accept queue.
    pub max_connections: usize,
    /// How long a connection may sit idle or stall in the middle of a request or response.
    pub io_timeout: Duration,
    /// Largest request body accepted (larger ones get `413 Payload Too Large`).
    pub max_request: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: 0,
            bind_addr: None,
            flavor: Flavor::default(),
            max_msgs: 0,
            max_connections: 100,
            io_timeout: Duration::from_secs(60),
            max_request: 1024 * 1024,
        }
    }
}

/// The CA logic's answer to one request.
#[derive(Clone, Debug)]
pub struct Reply {
    /// DER of the response message.
    pub body: Vec<u8>,
    /// Close the connection after this answer even if the client asked for keep-alive (OpenSSL
    /// does so when the transaction has ended).
    pub close: bool,
}

impl From<Vec<u8>> for Reply {
    fn from(body: Vec<u8>) -> Self {
        Reply { body, close: false }
    }
}

/// Turns a request body into a response body. `None` means the body is not a message the handler can
/// read, and the listener answers `400 Bad Request`, as OpenSSL's mock does for a body that does not
/// decode as a PKIMessage.
pub type Handler = Arc<dyn Fn(&[u8]) -> Option<Reply> + Send + Sync>;

/// A bound listening socket, not yet serving.
pub struct Listener {
    sock: TcpListener,
    cfg: ServerConfig,
}

/// Bind as configured and print `ACCEPT host:port PID=n` on stdout, as OpenSSL's mock does.
pub fn bind(cfg: ServerConfig) -> Result<Listener> {
    let port = cfg.port;
    let (sock, shown) = match (cfg.bind_addr, cfg.flavor) {
        (Some(ip), _) => (TcpListener::bind(SocketAddr::new(ip, port)), None),
        (None, Flavor::V30) => match TcpListener::bind(("::", port)) {
            // Linux accepts IPv4 on an IPv6 wildcard socket unless bindv6only is set.
            Ok(s) => (Ok(s), Some("[::]")),
            Err(_) => (TcpListener::bind(("0.0.0.0", port)), Some("0.0.0.0")),
        },
        (None, Flavor::V35) => (TcpListener::bind(("0.0.0.0", port)), Some("0.0.0.0")),
    };
    let sock = sock.map_err(|e| cmp_err!("error setting accept on port {port}: {e}"))?;
    let local = sock
        .local_addr()
        .map_err(|e| cmp_err!("cannot get port listening on: {e}"))?;
    let host = match shown {
        Some(h) => h.to_string(),
        None => match local {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        },
    };
    log::raw_stdout(&format!(
        "ACCEPT {host}:{} PID={}\n",
        local.port(),
        std::process::id()
    ));
    Ok(Listener { sock, cfg })
}

/// Bind and serve until `-max_msgs` requests were handled (never when 0).
pub fn serve(cfg: ServerConfig, handler: Handler) -> Result<()> {
    bind(cfg)?.serve(handler)
}

struct Shared {
    cfg: ServerConfig,
    handler: Handler,
    /// Requests counted towards `-max_msgs`.
    msgs: AtomicU64,
    /// Requests claimed but not yet answered.
    in_flight: AtomicUsize,
    stop: AtomicBool,
    /// Open connections, guarded for the cap.
    conns: Mutex<usize>,
    changed: Condvar,
}

impl Listener {
    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.sock.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Accept and serve connections until `-max_msgs` is reached. Returns once the last counted
    /// request has been answered; idle kept-alive connections are left to time out.
    pub fn serve(self, handler: Handler) -> Result<()> {
        self.sock
            .set_nonblocking(true)
            .map_err(|e| cmp_err!("cannot set up listening socket: {e}"))?;
        let shared = Arc::new(Shared {
            cfg: self.cfg.clone(),
            handler,
            msgs: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            conns: Mutex::new(0),
            changed: Condvar::new(),
        });
        while !shared.stop.load(Ordering::SeqCst) {
            if !wait_for_slot(&shared) {
                break;
            }
            match self.sock.accept() {
                Ok((stream, _)) => {
                    if let Ok(mut n) = shared.conns.lock() {
                        *n += 1;
                    }
                    let sh = shared.clone();
                    let spawned =
                        std::thread::Builder::new()
                            .name("cmp-conn".into())
                            .spawn(move || {
                                serve_connection(&sh, stream);
                                if let Ok(mut n) = sh.conns.lock() {
                                    *n = n.saturating_sub(1);
                                }
                                sh.changed.notify_all();
                            });
                    if spawned.is_err() {
                        if let Ok(mut n) = shared.conns.lock() {
                            *n = n.saturating_sub(1);
                        }
                        srv_log!(Err, "cannot start a thread for a new connection");
                    }
                }
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::Interrupted =>
                {
                    wait_readable(&self.sock);
                }
                // Connection loss before accept() is routine; anything else is logged and retried.
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    srv_log!(Warn, "error accepting connection: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
        // Let requests that were already counted get their answers before returning.
        let limit = Instant::now() + shared.cfg.io_timeout;
        while shared.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }
}

/// Block while the connection cap is reached; false when stopping.
fn wait_for_slot(sh: &Shared) -> bool {
    let Ok(mut n) = sh.conns.lock() else {
        return false;
    };
    while *n >= sh.cfg.max_connections.max(1) {
        if sh.stop.load(Ordering::SeqCst) {
            return false;
        }
        match sh.changed.wait_timeout(n, Duration::from_millis(100)) {
            Ok((g, _)) => n = g,
            Err(_) => return false,
        }
    }
    !sh.stop.load(Ordering::SeqCst)
}

/// Wait at most 50 ms for a connection, so the accept loop notices a stop soon without spinning.
fn wait_readable(sock: &TcpListener) {
    use std::os::fd::AsRawFd;
    let mut pfd = libc::pollfd {
        fd: sock.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: pfd is a valid, exclusively borrowed pollfd for the duration of the call and nfds
    // is 1; poll only writes its revents field.
    let _ = unsafe { libc::poll(&mut pfd, 1, 50) };
}

fn prog_line(text: &str) {
    log::raw_stderr(&format!("cmp: {text}\n"));
}

fn log_first_line(flavor: Flavor, line: &str) {
    if log::enabled(Level::Info) {
        match flavor {
            Flavor::V30 => prog_line(&format!("Received request, 1st line: {line}")),
            Flavor::V35 => prog_line(&format!("received request, 1st line: {line}")),
        }
    }
}

fn log_warning(flavor: Flavor, text: &str) {
    if !log::enabled(Level::Warn) {
        return;
    }
    match flavor {
        // 3.0 starts its server messages with a capital letter.
        Flavor::V30 => {
            let mut c = text.chars();
            let t = match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            };
            prog_line(&t);
        }
        Flavor::V35 => prog_line(text),
    }
}

fn send(stream: &mut TcpStream, data: &[u8]) -> bool {
    http::write_all(stream, data).is_ok()
}

fn serve_connection(sh: &Shared, stream: TcpStream) {
    let timeout = Some(sh.cfg.io_timeout.max(Duration::from_millis(1)));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut out = write_half;
    let mut reader = MsgReader::new(stream);
    let flavor = sh.cfg.flavor;
    loop {
        if sh.stop.load(Ordering::SeqCst) {
            return;
        }
        let result = http::read_request(&mut reader, sh.cfg.max_request);
        // Every request that arrived counts towards -max_msgs, as in OpenSSL.
        let first_line = match &result {
            Ok(q) => Some(q.first_line.clone()),
            Err(RequestError::BadRequest { first_line, .. }) => first_line.clone(),
            Err(RequestError::TooLarge { first_line, .. }) => Some(first_line.clone()),
            Err(RequestError::Closed) | Err(RequestError::Io(_)) => None,
        };
        let Some(first_line) = first_line else { return };
        if !claim(sh) {
            return;
        }
        log_first_line(flavor, &first_line);
        let keep_open = match result {
            Ok(q) => answer(sh, &mut out, q),
            Err(RequestError::BadRequest { log, .. }) => {
                log_warning(flavor, &log);
                send(
                    &mut out,
                    http::status_response(400, "Bad Request").as_bytes(),
                );
                false
            }
            Err(RequestError::TooLarge { len, .. }) => {
                log_warning(
                    flavor,
                    &format!(
                        "request too large: length={len}, max={}",
                        sh.cfg.max_request
                    ),
                );
                send(
                    &mut out,
                    http::status_response(413, "Payload Too Large").as_bytes(),
                );
                false
            }
            Err(_) => false,
        };
        release(sh);
        if !keep_open {
            let _ = out.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

/// Count one request; false if the limit was already reached (the request is dropped).
fn claim(sh: &Shared) -> bool {
    sh.in_flight.fetch_add(1, Ordering::SeqCst);
    let n = sh.msgs.fetch_add(1, Ordering::SeqCst) + 1;
    if sh.cfg.max_msgs > 0 && n > sh.cfg.max_msgs {
        sh.in_flight.fetch_sub(1, Ordering::SeqCst);
        return false;
    }
    true
}

fn release(sh: &Shared) {
    if sh.cfg.max_msgs > 0 && sh.msgs.load(Ordering::SeqCst) >= sh.cfg.max_msgs {
        sh.stop.store(true, Ordering::SeqCst);
    }
    sh.in_flight.fetch_sub(1, Ordering::SeqCst);
    sh.changed.notify_all();
}

/// Answer a well-formed request; returns whether the connection stays open.
fn answer(sh: &Shared, out: &mut TcpStream, q: http::Request) -> bool {
    if !q.path.is_empty() && q.path != "pkix/" {
        send(out, http::status_response(404, "Not Found").as_bytes());
        srv_log!(Err, "expecting empty path or 'pkix/' but got '{}'", q.path);
        return false;
    }
    let Some(reply) = (sh.handler)(&q.body) else {
        send(out, http::status_response(400, "Bad Request").as_bytes());
        return false;
    };
    let keep = q.keep_alive && !reply.close;
    let head = http::response_head(keep, reply.body.len());
    if sh.cfg.flavor == Flavor::V35 && log::enabled(Level::Info) {
        prog_line("sending response, 1st line: HTTP/1.0 200 OK");
    }
    let mut msg = head.into_bytes();
    msg.extend_from_slice(&reply.body);
    send(out, &msg) && keep
}
