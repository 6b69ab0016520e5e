//! The mock server's HTTP listener (`-port`, `-max_msgs`): accepts connections, reads CMP
//! requests, hands each DER body to the CA logic (a handler supplied by the server area) and sends
//! its answer back.
//!
//! The server runs a few identical event loops, one per CPU by default (`ServerConfig::workers`),
//! each on its own thread. Every loop waits with its own epoll set for the one shared listening
//! socket and the connections it accepted itself; whichever loop is free when a client connects
//! takes it (`EPOLLEXCLUSIVE` wakes one idle loop; a loop that comes too late to `accept` on the
//! non-blocking socket gets EAGAIN). A connection
//! stays with its loop until it is closed, so its requests are answered in order. A loop reads
//! what arrives into a bounded per-connection buffer, notices incrementally when a request is
//! complete (`http::RequestFramer`), only then parses it, runs the CA logic right there and writes
//! what the socket takes of the answer; the rest waits in the epoll set for room. No request is
//! handed between threads: an earlier design with one event thread and a pool of workers spent
//! four to five context switches per enrollment on hand-offs and wake-ups, a fifth of its CPU.
//!
//! So an idle or trickling client costs a descriptor and a buffer, never a thread, and holds up
//! nobody: other clients of its loop wait at most for the handler call in progress (unlike
//! OpenSSL's single-threaded mock, which serves one connection at a time). What must hold across
//! loops is shared through atomics: the `-max_msgs` count (exact: a loop only counts below the
//! limit), the number of open connections against `max_connections` and a stop flag, which a
//! loop announces to the others asleep in epoll through a socket that becomes readable.
//!
//! What goes on the wire and into the log follows OpenSSL's mock: only `POST` on `/` or `/pkix/`,
//! `404 Not Found` for other paths, `400 Bad Request` for malformed requests, `Connection:
//! keep-alive` granted when asked for.
//!
//! With `ServerConfig::tls` (`-srv_tls_cert`, an rcmp extension) every connection speaks TLS: the
//! same non-blocking loop feeds the socket's bytes to a rustls `ServerConnection` and works on the
//! plaintext it yields, so framing, limits and timeouts are those of plain HTTP.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::http::{self, Framing, MsgReader, RequestError, RequestFramer};
use crate::compat::Compat;
use crate::error::Result;
use crate::log::{self, Level};

/// Listener settings.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// `-port`; 0 = any free port.
    pub port: u16,
    /// Bind to this address instead of the release's wildcard (tests use 127.0.0.1).
    pub bind_addr: Option<std::net::IpAddr>,
    /// Which OpenSSL mock to imitate in what is visible from outside: 3.0 listens on `[::]` (IPv4
    /// and IPv6), prints `ACCEPT [::]:PORT PID=N` and logs `cmp: Received request, 1st line: ...`;
    /// 3.5 listens on `0.0.0.0` and logs `cmp: received request, ...` and `cmp: sending response, ...`.
    pub compat: Compat,
    /// `-max_msgs`: stop after this many requests (0 = never). As in OpenSSL, every request
    /// that arrived counts, also those answered with an HTTP error.
    pub max_msgs: u64,
    /// Most connections open at once (also kept below the process's descriptor limit). A new
    /// client beyond it is still taken: the connection idle longest (else the one whose request
    /// is incomplete longest) is closed for it, so idle clients cannot lock out new ones. The limit
    /// holds over all event loops; the connection closed is one of the loop taking the new client
    /// (a loop without connections leaves new clients to the others while at the limit, and one
    /// woken for a client all the same takes it over the limit: at most one more per loop).
    pub max_connections: usize,
    /// How long a connection may wait for its next request, and how long a client may take to
    /// read an answer.
    pub io_timeout: Duration,
    /// How long a client may take to send one whole request, from its first byte (so a client
    /// trickling bytes cannot keep a connection forever).
    pub request_timeout: Duration,
    /// Event loops (threads), each serving its connections and running the CA logic for them;
    /// 0 = one per CPU, at least 2.
    pub workers: usize,
    /// Largest request body accepted (larger ones get `413 Payload Too Large`).
    pub max_request: usize,
    /// Most bytes of incomplete requests buffered over all connections. Each connection may hold up
    /// to a head plus `max_request`, which times `max_connections` would be gigabytes; when a large
    /// request would go beyond this budget, the connection holding the most buffered bytes is closed
    /// (it is the one costing most, and a CMP request of that size is rare). Each event loop keeps
    /// its connections within its equal share of this budget, so no loop looks at another's.
    pub max_buffered: usize,
    /// Serve HTTPS with this configuration (`-srv_tls_cert` ...); None: plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Stop serving once this is set (checked whenever a loop wakes up; an in-process owner sets
    /// it and then connects once to wake them). None: run until `max_msgs`.
    pub stop: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: 0,
            bind_addr: None,
            compat: Compat::default(),
            max_msgs: 0,
            max_connections: 1000,
            io_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            workers: 0,
            max_request: 1024 * 1024,
            max_buffered: 64 * 1024 * 1024,
            tls: None,
            stop: None,
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
    let (sock, shown) = match (cfg.bind_addr, cfg.compat) {
        (Some(ip), _) => (TcpListener::bind(SocketAddr::new(ip, port)), None),
        (None, Compat::V3_0) => match TcpListener::bind(("::", port)) {
            // Linux accepts IPv4 on an IPv6 wildcard socket unless bindv6only is set.
            Ok(s) => (Ok(s), Some("[::]")),
            Err(_) => (TcpListener::bind(("0.0.0.0", port)), Some("0.0.0.0")),
        },
        (None, _) => (TcpListener::bind(("0.0.0.0", port)), Some("0.0.0.0")),
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

/// Descriptors kept free below RLIMIT_NOFILE for everything else the process opens (log and
/// output files, the CA's own files, the loops' wake-up socket).
const FD_MARGIN: usize = 64;
/// Most bytes taken from one connection per wake-up, so one fast sender cannot starve the rest.
const READ_CHUNK: usize = 64 * 1024;
/// Most connections accepted per wake-up: their first requests are answered on the spot, so this
/// bounds how long the loop's other clients wait, and leaves new clients to the other loops too.
const ACCEPT_BURST: usize = 4;
/// A kept-alive connection's buffer is given back to the allocator beyond this size.
const IDLE_BUF: usize = 16 * 1024;

/// One client connection, owned by the loop that accepted it.
struct Conn {
    stream: TcpStream,
    /// The TLS session when serving HTTPS: `buf` and `out` then hold plaintext.
    tls: Option<Box<rustls::ServerConnection>>,
    /// Bytes received and not yet parsed: the current request, maybe pipelined ones after it.
    buf: Vec<u8>,
    framer: RequestFramer,
    /// When the first byte of the current request arrived (None: no request in progress).
    started: Option<Instant>,
    /// Since when the connection waits for a new request.
    idle_since: Instant,
    /// The response being written, from `sent` on.
    out: Vec<u8>,
    sent: usize,
    /// When writing `out` started.
    write_since: Instant,
    /// Close once `out` is written.
    close_after: bool,
    /// `buf` holds a pipelined request that has not been looked at yet.
    queued: bool,
    /// The events its loop's epoll set waits for on it (0: not in the set).
    interest: u32,
    /// Order of acceptance: breaks ties between connections that changed state in the same
    /// wake-up, so eviction still takes the oldest.
    seq: u64,
}

impl Conn {
    fn new(
        stream: TcpStream,
        tls: Option<Box<rustls::ServerConnection>>,
        now: Instant,
        seq: u64,
    ) -> Self {
        Conn {
            stream,
            tls,
            buf: Vec::new(),
            framer: RequestFramer::default(),
            started: None,
            idle_since: now,
            out: Vec::new(),
            sent: 0,
            write_since: now,
            close_after: false,
            queued: false,
            interest: 0,
            seq,
        }
    }

    /// Whether output is pending: the rest of an answer, or TLS records (handshake, alerts).
    fn writing(&self) -> bool {
        self.sent < self.out.len() || self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Write what the socket takes without blocking; false if the connection broke.
    fn flush(&mut self) -> bool {
        if let Some(tls) = &mut self.tls {
            // rustls takes the whole answer at once and keeps the encrypted records until the
            // socket has room for them.
            if self.sent < self.out.len() {
                if tls.writer().write_all(&self.out[self.sent..]).is_err() {
                    return false;
                }
                self.sent = self.out.len();
            }
            return flush_tls(tls, &mut self.stream);
        }
        while self.writing() {
            match self.stream.write(&self.out[self.sent..]) {
                Ok(0) => return false,
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return e.kind() == io::ErrorKind::WouldBlock,
            }
        }
        true
    }

    /// Read what has arrived into `buf` (plaintext), at most about `scratch.len()` bytes.
    fn receive(&mut self, scratch: &mut [u8]) -> Received {
        if let Some(tls) = &mut self.tls {
            return receive_tls(tls, &mut self.stream, &mut self.buf, scratch);
        }
        match self.stream.read(scratch) {
            Ok(0) => Received::Eof,
            Ok(n) => {
                self.buf.extend_from_slice(&scratch[..n]);
                Received::Bytes
            }
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock
                    || e.kind() == io::ErrorKind::Interrupted =>
            {
                Received::Nothing
            }
            Err(_) => Received::Broken,
        }
    }

    fn close(mut self) {
        if let Some(tls) = &mut self.tls {
            // A clean TLS end, so clients do not report a truncated answer.
            tls.send_close_notify();
            let _ = flush_tls(tls, &mut self.stream);
        }
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// What one read from a connection gave.
enum Received {
    /// Request bytes were added to the buffer.
    Bytes,
    /// The client will send nothing more.
    Eof,
    /// Nothing yet (or only TLS handshake records).
    Nothing,
    /// The connection failed (reset, or a TLS error, which has been logged).
    Broken,
}

/// Write pending TLS records without blocking; false if the connection broke.
fn flush_tls(tls: &mut rustls::ServerConnection, stream: &mut TcpStream) -> bool {
    while tls.wants_write() {
        match tls.write_tls(stream) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return e.kind() == io::ErrorKind::WouldBlock,
        }
    }
    true
}

/// One read of TLS records from the socket; the plaintext they carry goes into `buf`. Handshake
/// answers are written at once (what the socket does not take is left for `flush`).
fn receive_tls(
    tls: &mut rustls::ServerConnection,
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    scratch: &mut [u8],
) -> Received {
    let mut eof = false;
    match tls.read_tls(stream) {
        Ok(0) => eof = true,
        Ok(_) => {}
        Err(e)
            if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {}
        Err(_) => return Received::Broken,
    }
    if let Err(e) = tls.process_new_packets() {
        srv_log!(Warn, "TLS connection with client failed: {e}");
        // Tell the client why (the alert rustls queued), then give up the connection.
        let _ = flush_tls(tls, stream);
        return Received::Broken;
    }
    let before = buf.len();
    loop {
        match tls.reader().read(scratch) {
            // close_notify: the client is done.
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => buf.extend_from_slice(&scratch[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            // The TCP stream ended without close_notify.
            Err(_) => {
                eof = true;
                break;
            }
        }
    }
    if !flush_tls(tls, stream) {
        return Received::Broken;
    }
    if buf.len() > before {
        Received::Bytes
    } else if eof {
        Received::Eof
    } else {
        Received::Nothing
    }
}

/// What the event loops share: the listening socket, the CA logic, and the limits and state that
/// hold across loops.
struct Shared {
    cfg: ServerConfig,
    handler: Handler,
    sock: TcpListener,
    /// The listening port, for the 3.5 mock's `awaiting new connection` line.
    port: u16,
    /// Most connections open at once over all loops.
    cap: usize,
    /// Most bytes buffered per connection: a head `read_request` still accepts plus the largest
    /// body, so memory stays below `cap` times this.
    buf_limit: usize,
    /// Each loop's share of `max_buffered` (a loop only sees its own buffers).
    budget: usize,
    /// Connections open over all loops, against `cap`.
    open: AtomicUsize,
    /// Requests counted towards `-max_msgs` (only kept when there is a limit).
    msgs: AtomicU64,
    /// `-max_msgs` was reached: every loop answers what it counted, then leaves.
    stopping: AtomicBool,
    /// Leave at once: `ServerConfig::stop` was seen, or a loop failed.
    quit: AtomicBool,
    /// Made readable (one byte, never read back) when `stopping` or `quit` is set, so that loops
    /// asleep in `epoll_wait` notice. It stays readable, so no wake-up is lost to a loop that was
    /// about to wait; a loop stops watching it once it has seen either flag.
    wake_rx: UnixStream,
    wake_tx: UnixStream,
}

impl Shared {
    fn wake_all(&self) {
        // A full socket is as readable as a woken one: nothing is lost if the write fails.
        let _ = (&self.wake_tx).write(&[1]);
    }

    fn quit(&self) {
        self.quit.store(true, Ordering::SeqCst);
        self.wake_all();
    }

    /// Count a request that arrived. None: `-max_msgs` was already reached (by another loop),
    /// so this request is not served; Some(true): it is the last one to serve.
    fn count_request(&self) -> Option<bool> {
        let max = self.cfg.max_msgs;
        if max == 0 {
            // No limit: no shared counter for the loops to fight over.
            return Some(false);
        }
        self.msgs
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|before| before + 1 == max)
    }

    /// Take one of the `cap` connection slots for a new connection.
    fn reserve(&self) -> bool {
        if self.open.fetch_add(1, Ordering::SeqCst) < self.cap {
            return true;
        }
        self.open.fetch_sub(1, Ordering::SeqCst);
        false
    }

    /// Take a slot beyond `cap` (see `EventLoop::accept`).
    fn take_over_cap(&self) {
        self.open.fetch_add(1, Ordering::SeqCst);
    }

    fn release(&self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }

    /// [`log_awaiting`], but not once `-max_msgs` is reached (no further client is awaited).
    fn log_awaiting(&self, new_connection: bool) {
        if !self.stopping.load(Ordering::Relaxed) {
            log_awaiting(self.cfg.compat, new_connection, self.port);
        }
    }
}

fn loop_count(cfg: &ServerConfig) -> usize {
    if cfg.workers > 0 {
        return cfg.workers;
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

/// How many connections fit below the soft RLIMIT_NOFILE.
fn fd_headroom() -> usize {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rl` is a valid, exclusively borrowed rlimit for the duration of the call;
    // getrlimit only writes into it.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
    if rc != 0 || rl.rlim_cur == libc::RLIM_INFINITY {
        return usize::MAX;
    }
    usize::try_from(rl.rlim_cur)
        .unwrap_or(usize::MAX)
        .saturating_sub(FD_MARGIN)
}

/// One event loop's state: the connections it accepted, which no other loop touches.
struct EventLoop {
    shared: Arc<Shared>,
    /// This loop's epoll instance: the listener, the wake-up socket and its connections.
    epoll: Epoll,
    conns: Vec<Conn>,
    /// Index in `conns` by descriptor, for the events epoll reports (NONE: not this loop's).
    at: Vec<usize>,
    /// Whether the listener is in the epoll set (it is taken out while this loop cannot accept).
    listening: bool,
    /// Whether the wake-up socket is in the epoll set (until `-max_msgs` or a stop was seen).
    watching_wake: bool,
    /// Connections this loop accepted so far.
    accepted: u64,
    /// Set once `-max_msgs` was reached: answer what was counted, until this deadline.
    stop_by: Option<Instant>,
    /// Accepting is suspended until then (out of descriptors, or every slot taken by other loops).
    accept_after: Option<Instant>,
    scratch: Vec<u8>,
}

/// Sends a spawned loop's result to `serve` when the loop ends, also by a panic. A failed loop
/// makes the others leave too, as the server could not go on as configured.
struct LoopEnd {
    shared: Arc<Shared>,
    result: Option<Result<()>>,
    tx: mpsc::Sender<Result<()>>,
}

impl Drop for LoopEnd {
    fn drop(&mut self) {
        let result = self
            .result
            .take()
            .unwrap_or_else(|| Err(cmp_err!("a server thread failed")));
        if result.is_err() {
            self.shared.quit();
        }
        let _ = self.tx.send(result);
    }
}

impl Listener {
    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.sock.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Accept and serve connections until `-max_msgs` is reached. Returns once the last counted
    /// request has been answered (or could not be within the I/O timeout); connections still
    /// open are closed then.
    pub fn serve(self, handler: Handler) -> Result<()> {
        let setup = |e: io::Error| cmp_err!("cannot set up listening socket: {e}");
        self.sock.set_nonblocking(true).map_err(setup)?;
        let (wake_tx, wake_rx) = UnixStream::pair().map_err(setup)?;
        wake_tx.set_nonblocking(true).map_err(setup)?;
        let loops = loop_count(&self.cfg);
        let port = self.port();
        let shared = Arc::new(Shared {
            cap: self.cfg.max_connections.min(fd_headroom()).max(1),
            buf_limit: http::MAX_HEAD_LEN.saturating_add(self.cfg.max_request),
            budget: self.cfg.max_buffered / loops,
            cfg: self.cfg,
            handler,
            sock: self.sock,
            port,
            open: AtomicUsize::new(0),
            msgs: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            quit: AtomicBool::new(false),
            wake_rx,
            wake_tx,
        });
        shared.log_awaiting(true);
        let (tx, rx) = mpsc::channel();
        // The calling thread is one of the loops.
        let mut threads = Vec::new();
        for _ in 1..loops {
            match spawn_loop(&shared, tx.clone()) {
                Ok(h) => threads.push(h),
                Err(e) => srv_log!(Warn, "cannot start a server thread: {e}"),
            }
        }
        let mut result = EventLoop::new(shared.clone()).and_then(|mut l| l.run());
        if result.is_err() {
            shared.quit();
        }
        // The others have seen `stopping` or `quit` too; wait for their last answers, but a
        // handler still busy past the I/O timeout is left to finish alone.
        let deadline = Instant::now() + shared.cfg.io_timeout;
        let mut ended = 0;
        while ended < threads.len() {
            let Ok(r) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
                return result;
            };
            ended += 1;
            result = result.and(r);
        }
        for t in threads {
            let _ = t.join();
        }
        result
    }
}

fn spawn_loop(
    shared: &Arc<Shared>,
    tx: mpsc::Sender<Result<()>>,
) -> io::Result<std::thread::JoinHandle<()>> {
    let shared = shared.clone();
    std::thread::Builder::new()
        .name("cmp-server".into())
        .spawn(move || {
            let mut end = LoopEnd {
                shared: shared.clone(),
                result: None,
                tx,
            };
            end.result = Some(EventLoop::new(shared).and_then(|mut l| l.run()));
        })
}

impl Drop for EventLoop {
    /// Connections still open end cleanly (close_notify over TLS) rather than by being dropped.
    fn drop(&mut self) {
        while !self.conns.is_empty() {
            self.close(self.conns.len() - 1);
        }
    }
}

impl EventLoop {
    fn new(shared: Arc<Shared>) -> Result<Self> {
        let setup = |e: io::Error| cmp_err!("cannot set up waiting for connections: {e}");
        let epoll = Epoll::new().map_err(setup)?;
        epoll
            .add(shared.wake_rx.as_raw_fd(), libc::EPOLLIN as u32, WAKE_KEY)
            .map_err(setup)?;
        Ok(EventLoop {
            shared,
            epoll,
            conns: Vec::new(),
            at: Vec::new(),
            listening: false,
            watching_wake: true,
            accepted: 0,
            stop_by: None,
            accept_after: None,
            scratch: vec![0; READ_CHUNK],
        })
    }

    /// Add a new connection, watched for its request.
    fn push(&mut self, mut conn: Conn) -> bool {
        let fd = conn.stream.as_raw_fd();
        let (Ok(slot), Ok(())) = (
            usize::try_from(fd),
            self.epoll.add(fd, libc::EPOLLIN as u32, fd as u64),
        ) else {
            conn.close();
            return false;
        };
        conn.interest = libc::EPOLLIN as u32;
        if self.at.len() <= slot {
            self.at.resize(slot + 1, NONE);
        }
        self.at[slot] = self.conns.len();
        self.conns.push(conn);
        true
    }

    /// Close connection i and give its slot back. (Closing the descriptor takes it out of the
    /// epoll set.)
    fn close(&mut self, i: usize) {
        let c = self.conns.swap_remove(i);
        self.set_at(c.stream.as_raw_fd(), NONE);
        if let Some(moved) = self.conns.get(i) {
            self.set_at(moved.stream.as_raw_fd(), i);
        }
        c.close();
        self.shared.release();
    }

    fn set_at(&mut self, fd: std::os::fd::RawFd, i: usize) {
        if let Some(slot) = usize::try_from(fd).ok().and_then(|f| self.at.get_mut(f)) {
            *slot = i;
        }
    }

    /// The connection an event is for; None if it was closed since (by another event of the
    /// same batch).
    fn index_of(&self, key: u64) -> Option<usize> {
        let i = *self.at.get(usize::try_from(key).ok()?)?;
        (i != NONE).then_some(i)
    }

    fn run(&mut self) -> Result<()> {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS];
        loop {
            let now = Instant::now();
            self.expire(now);
            if self.should_leave(now) {
                return Ok(());
            }
            self.update_interest(now);
            let timeout = self.poll_timeout(now);
            let n = match self.epoll.wait(&mut events, timeout) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.shared.quit();
                    return Err(cmp_err!("error waiting for connections: {e}"));
                }
            };
            let now = Instant::now();
            let mut incoming = false;
            for ev in &events[..n] {
                let (key, bits) = (ev.u64, ev.events);
                match key {
                    LISTENER_KEY => incoming = true,
                    // Only there to end the wait: `should_leave` looks at the flags.
                    WAKE_KEY => {}
                    _ => self.ready(key, bits, now),
                }
            }
            // Backwards, so that removing connection i (swap_remove) only moves one that was
            // already looked at into its place.
            for i in (0..self.conns.len()).rev() {
                if self.conns[i].queued && !self.conns[i].writing() {
                    self.next_request(i, false, now);
                }
            }
            if incoming {
                self.accept(now);
            }
        }
    }

    /// Epoll reported the connection with descriptor `key` as ready.
    fn ready(&mut self, key: u64, bits: u32, now: Instant) {
        let Some(i) = self.index_of(key) else {
            return;
        };
        if self.conns[i].writing() {
            self.write(i, now);
        } else if bits & (libc::EPOLLIN | libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
            self.read(i, now);
        }
    }

    /// Whether this loop is done: told to quit, or `-max_msgs` reached and its answers out (or
    /// out of time for them).
    fn should_leave(&mut self, now: Instant) -> bool {
        let sh = &self.shared;
        if sh.quit.load(Ordering::SeqCst) {
            return true;
        }
        if sh
            .cfg
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            sh.quit();
            return true;
        }
        if self.stop_by.is_none() && sh.stopping.load(Ordering::SeqCst) {
            self.stop_by = Some(now + sh.cfg.io_timeout);
        }
        match self.stop_by {
            Some(by) => now >= by || !self.conns.iter().any(Conn::writing),
            None => false,
        }
    }

    /// Bring the epoll set in line with what each descriptor is waited for now (a system call
    /// only where that changed, which under plain request/answer traffic is never).
    fn update_interest(&mut self, now: Instant) {
        let sh = &self.shared;
        // At the cap, a loop without connections has nothing to evict for a new one: it leaves
        // the listener to the loops that do, rather than take the client over the cap.
        let room = !self.conns.is_empty() || sh.open.load(Ordering::Relaxed) < sh.cap;
        let accepting =
            self.stop_by.is_none() && room && self.accept_after.is_none_or(|t| now >= t);
        if accepting != self.listening {
            let fd = sh.sock.as_raw_fd();
            // EPOLLEXCLUSIVE: a new client wakes one waiting loop, not all of them (with poll(2)
            // every idle loop woke up for each connection, and all but one found nothing to
            // accept). An exclusive entry cannot be modified, only removed and added again.
            let done = if accepting {
                let exclusive = (libc::EPOLLIN | libc::EPOLLEXCLUSIVE) as u32;
                // Kernels before 4.5 know no EPOLLEXCLUSIVE: then all loops wake, as with poll.
                self.epoll
                    .add(fd, exclusive, LISTENER_KEY)
                    .or_else(|_| self.epoll.add(fd, libc::EPOLLIN as u32, LISTENER_KEY))
            } else {
                self.epoll.delete(fd)
            };
            if done.is_ok() {
                self.listening = accepting;
            }
        }
        if self.stop_by.is_some() && self.watching_wake {
            // The wake-up socket stays readable for good; it has told this loop what it had to.
            self.watching_wake = self.epoll.delete(sh.wake_rx.as_raw_fd()).is_err();
        }
        for c in &mut self.conns {
            let want = if c.writing() {
                libc::EPOLLOUT as u32
            } else if self.stop_by.is_some() {
                // Not read any more. Out of the set rather than waited for with no events, as
                // epoll reports a hang-up whatever it was asked for, over and over.
                0
            } else {
                libc::EPOLLIN as u32
            };
            if want == c.interest {
                continue;
            }
            let fd = c.stream.as_raw_fd();
            let done = match (c.interest, want) {
                (_, 0) => self.epoll.delete(fd),
                (0, _) => self.epoll.add(fd, want, fd as u64),
                _ => self.epoll.modify(fd, want, fd as u64),
            };
            // On failure (which a live descriptor does not give) the next round tries again.
            if done.is_ok() {
                c.interest = want;
            }
        }
    }

    /// Milliseconds until the nearest deadline, rounded up so that it has passed on waking; 0 if
    /// a connection has a complete request waiting.
    fn poll_timeout(&self, now: Instant) -> libc::c_int {
        let mut next = self.stop_by;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        for c in &self.conns {
            if c.queued && self.stop_by.is_none() && !c.writing() {
                return 0;
            }
            if let Some(d) = self.deadline(c) {
                consider(d);
            }
        }
        if let Some(t) = self.accept_after {
            consider(t);
        }
        match next {
            None => -1,
            Some(t) => {
                let ms = t.saturating_duration_since(now).as_micros().div_ceil(1000);
                libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
            }
        }
    }

    /// When the connection is given up: its response not written, its request not complete,
    /// or no new request in time. None while `-max_msgs` stops it from being read.
    fn deadline(&self, c: &Conn) -> Option<Instant> {
        let cfg = &self.shared.cfg;
        if c.writing() {
            Some(c.write_since + cfg.io_timeout)
        } else if self.stop_by.is_some() {
            None
        } else if let Some(t) = c.started {
            Some(t + cfg.request_timeout)
        } else {
            Some(c.idle_since + cfg.io_timeout)
        }
    }

    fn expire(&mut self, now: Instant) {
        for i in (0..self.conns.len()).rev() {
            if self.deadline(&self.conns[i]).is_some_and(|d| now >= d) {
                // A stalled request gets no answer, as a timed-out read had none before.
                self.close(i);
            }
        }
    }

    fn write(&mut self, i: usize, now: Instant) {
        if !self.conns[i].flush() {
            self.close(i);
        } else if !self.conns[i].writing() {
            self.reply_sent(i, now);
        }
    }

    /// The response on connection i is out: close, or wait for the next request. A request
    /// already buffered (pipelined) is taken on the next round, after the other connections had
    /// their turn, so one client cannot keep the loop to itself.
    fn reply_sent(&mut self, i: usize, now: Instant) {
        if self.conns[i].close_after {
            self.close(i);
            self.shared.log_awaiting(true);
            return;
        }
        self.shared.log_awaiting(false);
        let c = &mut self.conns[i];
        c.out = Vec::new();
        c.sent = 0;
        c.idle_since = now;
        c.queued = !c.buf.is_empty();
    }

    fn read(&mut self, mut i: usize, now: Instant) {
        let limit = self.shared.buf_limit;
        let c = &mut self.conns[i];
        let room = limit.saturating_sub(c.buf.len()).min(self.scratch.len());
        let mut eof = false;
        if room > 0 {
            match c.receive(&mut self.scratch[..room]) {
                Received::Eof => eof = true,
                Received::Bytes => {
                    if c.started.is_none() {
                        c.started = Some(now);
                    }
                    // Small requests (nearly all CMP messages) never look at the budget, so the
                    // sum over the loop's connections is only taken while some request grows
                    // large.
                    if c.buf.len() >= IDLE_BUF {
                        match self.make_room(i) {
                            Some(j) => i = j,
                            None => return,
                        }
                    }
                }
                Received::Nothing => {
                    // Handshake records the socket did not take wait for room (see `writing`).
                    if c.writing() {
                        c.write_since = now;
                    }
                    return;
                }
                // A reset mid-request gets no answer, as a failed read had none before.
                Received::Broken => {
                    self.close(i);
                    return;
                }
            }
        }
        self.next_request(i, eof, now);
    }

    /// Bring the bytes buffered over this loop's connections back within its budget after
    /// connection i read more (so the total never exceeds it by more than one read): while over
    /// budget, close the connection holding most. Returns connection i's index afterwards
    /// (closing others may move it), or None if it was the one closed.
    fn make_room(&mut self, mut i: usize) -> Option<usize> {
        let budget = self.shared.budget;
        loop {
            let total: usize = self.conns.iter().map(|c| c.buf.len()).sum();
            if total <= budget {
                return Some(i);
            }
            let (j, _) = self
                .conns
                .iter()
                .enumerate()
                .max_by_key(|(_, c)| c.buf.len())?;
            let last = self.conns.len() - 1;
            self.close(j);
            if j == i {
                return None;
            }
            if i == last {
                i = j;
            }
        }
    }

    /// If connection i holds a complete request (or one already refused), count it, log it and
    /// answer it. `eof`: the client will send nothing more.
    fn next_request(&mut self, i: usize, eof: bool, now: Instant) {
        if self.stop_by.is_some() {
            return;
        }
        let Some(n) = self.framed(i, eof, now) else {
            return;
        };
        let max = self.shared.cfg.max_request;
        let c = &mut self.conns[i];
        let mut rd = MsgReader::new(&c.buf[..n]);
        let result = http::read_request(&mut rd, max);
        let consumed = n - rd.get_ref().len() - rd.buffered();
        let first_line = match &result {
            Ok(q) => Some(q.first_line.clone()),
            Err(RequestError::BadRequest { first_line, .. }) => first_line.clone(),
            Err(RequestError::TooLarge { first_line, .. }) => Some(first_line.clone()),
            Err(RequestError::Closed) | Err(RequestError::Io) => None,
        };
        let Some(first_line) = first_line else {
            self.close(i);
            return;
        };
        if !self.count(now) {
            return;
        }
        let compat = self.shared.cfg.compat;
        log_first_line(compat, &first_line);
        let c = &mut self.conns[i];
        let q = match result {
            Ok(q) if q.path.is_empty() || q.path == "pkix/" => q,
            other => {
                if let Some(refusal) = refusal(compat, other, max) {
                    // HTTP errors end the connection; the few bytes go straight into the empty
                    // socket buffer, or are finished when it has room.
                    c.out = refusal.into_bytes();
                    c.sent = 0;
                    c.close_after = true;
                    c.write_since = now;
                    self.write(i, now);
                }
                return;
            }
        };
        c.buf.drain(..consumed);
        if c.buf.capacity() > IDLE_BUF {
            c.buf.shrink_to(c.buf.len().max(IDLE_BUF));
        }
        c.framer = RequestFramer::default();
        // Pipelined bytes already received belong to the next request.
        c.started = (!c.buf.is_empty()).then_some(now);
        self.answer(i, &q.body, q.keep_alive);
    }

    /// How many of connection i's buffered bytes make up its next request, to be parsed now; None
    /// if it is incomplete (or the connection was closed, having ended before another request).
    fn framed(&mut self, i: usize, eof: bool, now: Instant) -> Option<usize> {
        let c = &mut self.conns[i];
        c.queued = false;
        if c.buf.is_empty() {
            if eof {
                // The client closed a connection that was waiting for its next request. (OpenSSL
                // sometimes repeats `awaiting next request` first, depending on timing.)
                self.close(i);
                self.shared.log_awaiting(true);
            }
            return None;
        }
        if c.started.is_none() {
            c.started = Some(now);
        }
        match c.framer.advance(&c.buf, self.shared.cfg.max_request) {
            Framing::Ready(n) => Some(n),
            // With the stream ended (or the buffer full, which the framer's limits rule out),
            // the live parser would see the same end of input as a parse of the buffer.
            Framing::Partial if eof || c.buf.len() >= self.shared.buf_limit => Some(c.buf.len()),
            Framing::Partial => None,
        }
    }

    /// Count a request that arrived towards -max_msgs, as OpenSSL does with every one; false if
    /// the limit was reached before it, so it is not served. The counter is shared by the loops
    /// and only moves below the limit, so exactly -max_msgs requests are served however many
    /// clients and loops there are.
    fn count(&mut self, now: Instant) -> bool {
        let Some(last) = self.shared.count_request() else {
            self.stop_by = Some(now + self.shared.cfg.io_timeout);
            return false;
        };
        if last {
            self.stop_by = Some(now + self.shared.cfg.io_timeout);
            self.shared.stopping.store(true, Ordering::SeqCst);
            self.shared.wake_all();
        }
        true
    }

    /// Run the CA logic on connection i's request right here and start writing its answer: no
    /// other thread is involved, so a request costs no hand-off and no wake-up.
    fn answer(&mut self, i: usize, body: &[u8], keep_alive: bool) {
        let handler = &self.shared.handler;
        // A panicking handler must not take the loop (and its connections) with it; the client
        // then gets no answer.
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(body)));
        let compat = self.shared.cfg.compat;
        let c = &mut self.conns[i];
        match reply {
            Ok(Some(reply)) => {
                let keep = keep_alive && !reply.close;
                if compat != Compat::V3_0 && log::enabled(Level::Info) {
                    prog_line("sending response, 1st line: HTTP/1.0 200 OK");
                }
                // As OpenSSL's server loop: the answer grants the keep-alive the client asked
                // for, and only then is the connection closed if the transaction has ended (a
                // client requiring keep-alive, -keep_alive 2, reads an error answer before
                // seeing the close).
                let mut msg = http::response_head(keep_alive, reply.body.len()).into_bytes();
                msg.extend_from_slice(&reply.body);
                c.out = msg;
                c.close_after = !keep;
            }
            Ok(None) => {
                c.out = http::status_response(400, "Bad Request").into_bytes();
                c.close_after = true;
            }
            Err(_) => {
                c.out.clear();
                c.close_after = true;
            }
        }
        c.sent = 0;
        // The handler took a while: the answer's write deadline starts now.
        let now = Instant::now();
        c.write_since = now;
        // Small answers go out at once; the rest of a large one (or one to a client that does
        // not read) waits in the epoll set for room, so the loop never waits on a client.
        if !c.flush() {
            c.out.clear();
            c.sent = 0;
            c.close_after = true;
        }
        if !c.writing() {
            self.reply_sent(i, now);
        }
    }

    fn accept(&mut self, now: Instant) {
        for _ in 0..ACCEPT_BURST {
            match self.shared.sock.accept() {
                Ok((stream, _)) => {
                    if !self.shared.reserve() && !self.evict_for_new() {
                        // Every slot is taken and this loop has none to give (it had no
                        // connection when another loop filled the last slot, or another loop
                        // took the slot it freed): the client is taken over the limit rather
                        // than turned away unanswered. That is one connection at most per loop,
                        // and the next client of this loop closes one of its own instead.
                        self.shared.take_over_cap();
                    }
                    let Some(conn) = self.new_conn(stream, now) else {
                        self.shared.release();
                        continue;
                    };
                    if !self.push(conn) {
                        self.shared.release();
                        continue;
                    }
                    // A client writes its request right after connecting, so under load it has
                    // usually arrived by now: taking it at once saves a round through
                    // `epoll_wait`. If nothing is there, the read costs one EAGAIN and the
                    // connection waits in the epoll set.
                    self.read(self.conns.len() - 1, now);
                    if self.stop_by.is_some() {
                        break;
                    }
                }
                // Another loop took it, or there was none.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // Connection loss before accept() is routine.
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted
                        || e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    // Out of descriptors (other files of the process) or memory: make room if
                    // possible and retry shortly rather than spin on a readable listener.
                    let fds = matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE));
                    if !fds || !self.evict() {
                        srv_log!(Warn, "error accepting connection: {e}");
                    }
                    self.accept_after = Some(now + Duration::from_millis(50));
                    break;
                }
            }
        }
        self.accept_after = self.accept_after.filter(|t| *t > now);
    }

    /// At the cap: close one of this loop's connections and take its slot for the new one.
    fn evict_for_new(&mut self) -> bool {
        if !self.evict() {
            return false;
        }
        // The slot just given back may already be another loop's; then this one refuses.
        self.shared.reserve()
    }

    fn new_conn(&mut self, stream: TcpStream, now: Instant) -> Option<Conn> {
        stream.set_nonblocking(true).ok()?;
        let _ = stream.set_nodelay(true);
        let tls = match &self.shared.cfg.tls {
            None => None,
            Some(cfg) => match rustls::ServerConnection::new(cfg.clone()) {
                Ok(t) => Some(Box::new(t)),
                Err(e) => {
                    srv_log!(Warn, "cannot start TLS with client: {e}");
                    return None;
                }
            },
        };
        self.accepted += 1;
        Some(Conn::new(stream, tls, now, self.accepted))
    }

    /// Close one connection to make room for a new one: the one idle longest, else the one
    /// whose request has been incomplete longest, else the one longest stuck in writing its
    /// answer. Only this loop's connections are candidates (the others belong to other threads);
    /// a loop without any does not accept at the cap (see `update_interest`). False if there was
    /// none.
    fn evict(&mut self) -> bool {
        let victim = self
            .conns
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| {
                if c.writing() {
                    (2, c.write_since, c.seq)
                } else if let Some(t) = c.started {
                    (1, t, c.seq)
                } else {
                    (0, c.idle_since, c.seq)
                }
            })
            .map(|(i, _)| i);
        match victim {
            Some(i) => {
                self.close(i);
                true
            }
            None => false,
        }
    }
}

/// Key of the listening socket's events (connections use their descriptor).
const LISTENER_KEY: u64 = u64::MAX;
/// Key of the wake-up socket's events.
const WAKE_KEY: u64 = u64::MAX - 1;
/// `EventLoop::at` for a descriptor that is not one of the loop's connections.
const NONE: usize = usize::MAX;
/// Most events taken per wait; more stay pending for the next one.
const EVENTS: usize = 64;

/// An epoll instance (level-triggered: what is not handled is reported again).
struct Epoll(std::os::fd::OwnedFd);

impl Epoll {
    fn new() -> io::Result<Self> {
        // SAFETY: epoll_create1 takes no pointers; the descriptor it returns is owned here alone.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a freshly created descriptor nothing else owns.
        Ok(Epoll(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }))
    }

    fn ctl(
        &self,
        op: libc::c_int,
        fd: std::os::fd::RawFd,
        events: u32,
        key: u64,
    ) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: key };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call; the kernel only reads
        // it (and ignores it for EPOLL_CTL_DEL).
        let rc = unsafe { libc::epoll_ctl(self.0.as_raw_fd(), op, fd, &mut ev) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn add(&self, fd: std::os::fd::RawFd, events: u32, key: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, events, key)
    }

    fn modify(&self, fd: std::os::fd::RawFd, events: u32, key: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, events, key)
    }

    fn delete(&self, fd: std::os::fd::RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Wait up to `timeout` ms (-1: no limit) and return how many of `events` were filled.
    fn wait(&self, events: &mut [libc::epoll_event], timeout: libc::c_int) -> io::Result<usize> {
        let max = libc::c_int::try_from(events.len()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `events` is a live, exclusively borrowed array of at least `max` epoll_event
        // structs, which is all the kernel writes.
        let n = unsafe { libc::epoll_wait(self.0.as_raw_fd(), events.as_mut_ptr(), max, timeout) };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    }
}

/// The HTTP error answer to a request that does not go to the CA logic, after logging why as
/// OpenSSL's mock does; None if there is nothing to answer.
fn refusal(
    compat: Compat,
    result: std::result::Result<http::Request, RequestError>,
    max: usize,
) -> Option<String> {
    Some(match result {
        Ok(q) => {
            srv_log!(Err, "expecting empty path or 'pkix/' but got '{}'", q.path);
            http::status_response(404, "Not Found")
        }
        Err(RequestError::BadRequest { log, .. }) => {
            log_warning(compat, &log);
            http::status_response(400, "Bad Request")
        }
        Err(RequestError::TooLarge { len, .. }) => {
            log_warning(
                compat,
                &format!("request too large: length={len}, max={max}"),
            );
            http::status_response(413, "Payload Too Large")
        }
        Err(_) => return None,
    })
}

/// OpenSSL 3.5's mock announces each wait for a client: a new connection after an answer that
/// closed one (and at start), the next request on a kept-alive connection. 3.0's says nothing.
fn log_awaiting(compat: Compat, new_connection: bool, port: u16) {
    if compat == Compat::V3_0 || !log::enabled(Level::Info) {
        return;
    }
    if new_connection {
        prog_line(&format!("awaiting new connection on port {port} ..."));
    } else {
        prog_line("awaiting next request ...");
    }
}

fn prog_line(text: &str) {
    log::raw_stderr(&format!("cmp: {text}\n"));
}

fn log_first_line(compat: Compat, line: &str) {
    if log::enabled(Level::Info) {
        match compat {
            Compat::V3_0 => prog_line(&format!("Received request, 1st line: {line}")),
            _ => prog_line(&format!("received request, 1st line: {line}")),
        }
    }
}

fn log_warning(compat: Compat, text: &str) {
    if !log::enabled(Level::Warn) {
        return;
    }
    match compat {
        // 3.0 starts its server messages with a capital letter.
        Compat::V3_0 => {
            let mut c = text.chars();
            let t = match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            };
            prog_line(&t);
        }
        _ => prog_line(text),
    }
}
