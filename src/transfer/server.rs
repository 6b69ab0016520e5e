//! The mock server's HTTP listener (`-port`, `-max_msgs`): accepts connections, reads CMP
//! requests, hands each DER body to the CA logic (a handler supplied by the server area) and sends
//! its answer back.
//!
//! One event thread watches the listening socket and every open connection with `poll(2)`; it
//! reads whatever arrives into a bounded per-connection buffer, notices incrementally when a
//! request is complete (`http::RequestFramer`) and only then parses it. Complete requests go to a
//! fixed pool of worker threads that run the CA logic. So an idle or trickling client costs a
//! descriptor and a buffer, never a thread, and no thread is created per connection (which cost
//! measurable CPU per request and oversubscribed the cores under load). Unlike OpenSSL's
//! single-threaded mock, one slow client therefore holds up nobody.
//!
//! What goes on the wire and into the log follows OpenSSL's mock: only `POST` on `/` or `/pkix/`,
//! `404 Not Found` for other paths, `400 Bad Request` for malformed requests, `Connection:
//! keep-alive` granted when asked for.
//!
//! With `ServerConfig::tls` (`-srv_tls_cert`, an rcmp extension) every connection speaks TLS: the
//! same non-blocking loop feeds the socket's bytes to a rustls `ServerConnection` and works on the
//! plaintext it yields, so framing, limits and timeouts are those of plain HTTP.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
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
    /// is incomplete longest) is closed for it, so idle clients cannot lock out new ones.
    pub max_connections: usize,
    /// How long a connection may wait for its next request, and how long a client may take to
    /// read an answer.
    pub io_timeout: Duration,
    /// How long a client may take to send one whole request, from its first byte (so a client
    /// trickling bytes cannot keep a connection forever).
    pub request_timeout: Duration,
    /// Worker threads running the CA logic; 0 = one per CPU, at least 2.
    pub workers: usize,
    /// Largest request body accepted (larger ones get `413 Payload Too Large`).
    pub max_request: usize,
    /// Most bytes of incomplete requests buffered over all connections. Each connection may hold up
    /// to a head plus `max_request`, which times `max_connections` would be gigabytes; when a large
    /// request would go beyond this budget, the connection holding the most buffered bytes is closed
    /// (it is the one costing most, and a CMP request of that size is rare).
    pub max_buffered: usize,
    /// Serve HTTPS with this configuration (`-srv_tls_cert` ...); None: plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Stop serving once this is set (checked whenever the listener wakes up; an in-process owner
    /// sets it and then connects once to wake it). None: run until `max_msgs`.
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
/// output files, the CA's own files, the worker wake-up socket).
const FD_MARGIN: usize = 64;
/// Most bytes taken from one connection per wake-up, so one fast sender cannot starve the rest.
const READ_CHUNK: usize = 64 * 1024;
/// Most connections accepted per wake-up, for the same reason.
const ACCEPT_BURST: usize = 64;
/// A kept-alive connection's buffer is given back to the allocator beyond this size.
const IDLE_BUF: usize = 16 * 1024;

/// One client connection. It is either in the event thread's poll set or with a worker, never
/// both, so the requests of one connection are answered in order.
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
    /// When the event thread took over writing `out`.
    write_since: Instant,
    /// Close once `out` is written.
    close_after: bool,
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

/// A complete, well-formed request for the CA logic, with the connection to answer on.
struct Job {
    conn: Conn,
    body: Vec<u8>,
    keep_alive: bool,
}

/// What the event thread and the workers share.
struct Pool {
    handler: Handler,
    compat: Compat,
    jobs: Mutex<Jobs>,
    job_ready: Condvar,
    /// Connections answered by a worker, waiting for the event thread.
    done: Mutex<Vec<Conn>>,
    /// Written to (one byte) after pushing to `done`, to wake the event thread from poll.
    wake: UnixStream,
    /// Connections a worker closed itself after their last answer (the event thread subtracts
    /// them from its count of connections with a worker).
    closed: AtomicUsize,
    /// Set by the event thread once `-max_msgs` is reached: from then on it waits for the workers
    /// to finish, so a worker closing a connection wakes it.
    stopping: AtomicBool,
    /// The listening port, for the 3.5 mock's `awaiting new connection` line.
    port: u16,
}

#[derive(Default)]
struct Jobs {
    queue: VecDeque<Job>,
    closed: bool,
}

/// A poisoned lock only means a thread panicked while holding it; the data (queues of owned
/// connections) stays consistent, so keep going.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    fn submit(&self, job: Job) {
        lock(&self.jobs).queue.push_back(job);
        self.job_ready.notify_one();
    }

    fn next_job(&self) -> Option<Job> {
        let mut jobs = lock(&self.jobs);
        loop {
            if let Some(j) = jobs.queue.pop_front() {
                return Some(j);
            }
            if jobs.closed {
                return None;
            }
            jobs = self.job_ready.wait(jobs).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn close(&self) {
        lock(&self.jobs).closed = true;
        self.job_ready.notify_all();
    }

    fn give_back(&self, conn: Conn) {
        lock(&self.done).push(conn);
        // A full socket means wake-ups are pending already; nothing else can go wrong that
        // the event thread would not notice by itself.
        let _ = (&self.wake).write(&[1]);
    }

    /// A worker: run the CA logic, start writing its answer, hand the connection back.
    fn work(&self) {
        while let Some(Job {
            mut conn,
            body,
            keep_alive,
        }) = self.next_job()
        {
            let handler = &self.handler;
            // A panicking handler must not take a worker (and the connection count) with it;
            // the client then gets no answer, as it got none from the old per-connection thread.
            let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&body)));
            match reply {
                Ok(Some(reply)) => {
                    let keep = keep_alive && !reply.close;
                    if self.compat != Compat::V3_0 && log::enabled(Level::Info) {
                        prog_line("sending response, 1st line: HTTP/1.0 200 OK");
                    }
                    // As OpenSSL's server loop: the answer grants the keep-alive the client asked
                    // for, and only then is the connection closed if the transaction has ended (a
                    // client requiring keep-alive, -keep_alive 2, reads an error answer before
                    // seeing the close).
                    let mut msg = http::response_head(keep_alive, reply.body.len()).into_bytes();
                    msg.extend_from_slice(&reply.body);
                    conn.out = msg;
                    conn.close_after = !keep;
                }
                Ok(None) => {
                    conn.out = http::status_response(400, "Bad Request").into_bytes();
                    conn.close_after = true;
                }
                Err(_) => {
                    conn.out.clear();
                    conn.close_after = true;
                }
            }
            conn.sent = 0;
            // Small answers go out here at once; the rest of a large one (or one to a client
            // that does not read) is left to the event thread, so no worker ever waits on a
            // client.
            if !conn.flush() {
                conn.out.clear();
                conn.sent = 0;
                conn.close_after = true;
            }
            if conn.close_after && !conn.writing() {
                self.close_here(conn);
            } else {
                self.give_back(conn);
            }
        }
    }

    /// Close a connection whose last answer is out, without a round through the event thread
    /// (which would cost it a wake-up per transaction).
    fn close_here(&self, conn: Conn) {
        conn.close();
        // Counted before looking at `stopping` (both sequentially consistent, against the
        // event thread's store and swap): either the event thread sees the count before it
        // waits, or this worker sees it stopping and wakes it.
        self.closed.fetch_add(1, Ordering::SeqCst);
        if self.stopping.load(Ordering::SeqCst) {
            let _ = (&self.wake).write(&[1]);
        } else {
            log_awaiting(self.compat, true, self.port);
        }
    }
}

fn worker_count(cfg: &ServerConfig) -> usize {
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

/// The event thread's state: every connection not with a worker, and the request count.
struct EventLoop {
    cfg: ServerConfig,
    cap: usize,
    /// Most bytes buffered per connection: a head `read_request` still accepts plus the largest
    /// body, so memory stays below `cap` times this.
    buf_limit: usize,
    sock: TcpListener,
    wake: UnixStream,
    pool: Arc<Pool>,
    conns: Vec<Conn>,
    /// Connections with a worker (queued or being answered).
    busy: usize,
    msgs: u64,
    /// Connections accepted so far.
    accepted: u64,
    /// Set when `-max_msgs` was reached: answer what was counted, until this deadline.
    stop_by: Option<Instant>,
    /// Accepting is suspended until then (out of descriptors, or every slot busy).
    accept_after: Option<Instant>,
    scratch: Vec<u8>,
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
        wake_rx.set_nonblocking(true).map_err(setup)?;
        let pool = Arc::new(Pool {
            handler,
            compat: self.cfg.compat,
            jobs: Mutex::new(Jobs::default()),
            job_ready: Condvar::new(),
            done: Mutex::new(Vec::new()),
            wake: wake_tx,
            closed: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            port: self.port(),
        });
        let mut workers = Vec::new();
        for _ in 0..worker_count(&self.cfg) {
            let p = pool.clone();
            match std::thread::Builder::new()
                .name("cmp-worker".into())
                .spawn(move || p.work())
            {
                Ok(h) => workers.push(h),
                Err(e) => srv_log!(Warn, "cannot start a worker thread: {e}"),
            }
        }
        if workers.is_empty() {
            return Err(cmp_err!("cannot start any worker thread for the server"));
        }
        let cap = self.cfg.max_connections.min(fd_headroom()).max(1);
        let buf_limit = http::MAX_HEAD_LEN.saturating_add(self.cfg.max_request);
        let mut ev = EventLoop {
            cfg: self.cfg,
            cap,
            buf_limit,
            sock: self.sock,
            wake: wake_rx,
            pool: pool.clone(),
            conns: Vec::new(),
            busy: 0,
            msgs: 0,
            accepted: 0,
            stop_by: None,
            accept_after: None,
            scratch: vec![0; READ_CHUNK],
        };
        let result = ev.run();
        pool.close();
        // Connections still open end cleanly (close_notify over TLS) rather than by being dropped.
        for c in ev.conns.drain(..) {
            c.close();
        }
        // Idle workers leave at once; one still busy past the deadline is left to finish alone.
        let closed = pool.closed.swap(0, Ordering::SeqCst);
        if ev.busy.saturating_sub(closed) == 0 {
            for w in workers {
                let _ = w.join();
            }
        }
        result
    }
}

impl EventLoop {
    /// [`log_awaiting`], but not once `-max_msgs` is reached (no further client is awaited).
    fn log_awaiting(&self, new_connection: bool) {
        if self.stop_by.is_none() {
            log_awaiting(self.cfg.compat, new_connection, self.pool.port);
        }
    }

    fn run(&mut self) -> Result<()> {
        let mut fds: Vec<libc::pollfd> = Vec::new();
        self.log_awaiting(true);
        loop {
            let now = Instant::now();
            self.take_back(now);
            self.expire(now);
            if self
                .cfg
                .stop
                .as_ref()
                .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
            {
                return Ok(());
            }
            if let Some(by) = self.stop_by {
                let answered = self.busy == 0 && !self.conns.iter().any(Conn::writing);
                if answered || now >= by {
                    return Ok(());
                }
            }
            let accepting = self.stop_by.is_none() && self.accept_after.is_none_or(|t| now >= t);
            fds.clear();
            fds.push(pollfd(
                self.sock.as_raw_fd(),
                if accepting { libc::POLLIN } else { 0 },
            ));
            fds.push(pollfd(self.wake.as_raw_fd(), libc::POLLIN));
            for c in &self.conns {
                let fd = c.stream.as_raw_fd();
                fds.push(if c.writing() {
                    pollfd(fd, libc::POLLOUT)
                } else if self.stop_by.is_some() {
                    // Not read any more; a negative fd keeps poll from reporting a hang-up on
                    // it over and over.
                    pollfd(-1, 0)
                } else {
                    pollfd(fd, libc::POLLIN)
                });
            }
            let timeout = self.poll_timeout(now);
            // SAFETY: `fds` is a live, exclusively borrowed array of `fds.len()` pollfd
            // structs; poll only writes their revents fields.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(cmp_err!("error waiting for connections: {e}"));
            }
            let now = Instant::now();
            if fds[1].revents != 0 {
                self.drain_wake();
            }
            // Backwards, so that removing connection i (swap_remove) only moves one that was
            // already handled into its place.
            for i in (0..self.conns.len()).rev() {
                let rev = fds[i + 2].revents;
                if rev == 0 {
                    continue;
                }
                if self.conns[i].writing() {
                    self.write(i, now);
                } else if rev & (libc::POLLIN | libc::POLLERR | libc::POLLHUP) != 0 {
                    self.read(i, now);
                }
            }
            if fds[0].revents != 0 {
                self.accept(now);
            }
        }
    }

    /// Milliseconds until the nearest deadline, rounded up so that it has passed on waking.
    fn poll_timeout(&self, now: Instant) -> libc::c_int {
        let mut next = self.stop_by;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        for c in &self.conns {
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
        if c.writing() {
            Some(c.write_since + self.cfg.io_timeout)
        } else if self.stop_by.is_some() {
            None
        } else if let Some(t) = c.started {
            Some(t + self.cfg.request_timeout)
        } else {
            Some(c.idle_since + self.cfg.io_timeout)
        }
    }

    fn expire(&mut self, now: Instant) {
        for i in (0..self.conns.len()).rev() {
            if self.deadline(&self.conns[i]).is_some_and(|d| now >= d) {
                // A stalled request gets no answer, as a timed-out read had none before.
                self.conns.swap_remove(i).close();
            }
        }
    }

    fn drain_wake(&mut self) {
        let mut sink = [0u8; 256];
        // A short read means the socket is empty: no second call just to see EAGAIN.
        while matches!((&self.wake).read(&mut sink), Ok(n) if n == sink.len()) {}
    }

    /// Take the connections the workers are done with.
    fn take_back(&mut self, now: Instant) {
        let closed = self.pool.closed.swap(0, Ordering::SeqCst);
        self.busy = self.busy.saturating_sub(closed);
        let done = std::mem::take(&mut *lock(&self.pool.done));
        for mut c in done {
            self.busy = self.busy.saturating_sub(1);
            c.write_since = now;
            self.conns.push(c);
            let i = self.conns.len() - 1;
            if self.conns[i].writing() {
                // The worker wrote what the socket took; poll for room for the rest.
                continue;
            }
            self.reply_sent(i, now);
        }
    }

    fn write(&mut self, i: usize, now: Instant) {
        if !self.conns[i].flush() {
            self.conns.swap_remove(i).close();
        } else if !self.conns[i].writing() {
            self.reply_sent(i, now);
        }
    }

    /// The response on connection i is out: close, or wait for (or take) the next request.
    fn reply_sent(&mut self, i: usize, now: Instant) {
        if self.conns[i].close_after {
            self.conns.swap_remove(i).close();
            self.log_awaiting(true);
            return;
        }
        self.log_awaiting(false);
        let c = &mut self.conns[i];
        c.out = Vec::new();
        c.sent = 0;
        c.idle_since = now;
        self.next_request(i, false, now);
    }

    fn read(&mut self, mut i: usize, now: Instant) {
        let limit = self.buf_limit;
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
                    // sum over all connections is only taken while some request grows large.
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
                    self.conns.swap_remove(i).close();
                    return;
                }
            }
        }
        self.next_request(i, eof, now);
    }

    /// Bring the bytes buffered over all connections back within `max_buffered` after connection i
    /// read more (so the total never exceeds it by more than one read): while over budget, close
    /// the connection holding most. Returns connection i's index afterwards (closing others may move
    /// it), or None if it was the one closed.
    fn make_room(&mut self, mut i: usize) -> Option<usize> {
        let budget = self.cfg.max_buffered;
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
            self.conns.swap_remove(j).close();
            if j == i {
                return None;
            }
            if i == last {
                i = j;
            }
        }
    }

    /// If connection i holds a complete request (or one already refused), count it, log it and
    /// answer it or pass it to a worker. `eof`: the client will send nothing more.
    fn next_request(&mut self, i: usize, eof: bool, now: Instant) {
        if self.stop_by.is_some() {
            return;
        }
        let max = self.cfg.max_request;
        let c = &mut self.conns[i];
        if c.buf.is_empty() {
            if eof {
                // The client closed a connection that was waiting for its next request. (OpenSSL
                // sometimes repeats `awaiting next request` first, depending on timing.)
                self.conns.swap_remove(i).close();
                self.log_awaiting(true);
            }
            return;
        }
        if c.started.is_none() {
            c.started = Some(now);
        }
        let n = match c.framer.advance(&c.buf, max) {
            Framing::Ready(n) => n,
            // With the stream ended (or the buffer full, which the framer's limits rule out),
            // the live parser would see the same end of input as a parse of the buffer.
            Framing::Partial if eof || c.buf.len() >= self.buf_limit => c.buf.len(),
            Framing::Partial => return,
        };
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
            self.conns.swap_remove(i).close();
            return;
        };
        // Every request that arrived counts towards -max_msgs, as in OpenSSL; this thread is
        // the only one counting, so the limit is exact however many clients there are.
        self.msgs += 1;
        if self.cfg.max_msgs > 0 && self.msgs >= self.cfg.max_msgs {
            self.stop_by = Some(now + self.cfg.io_timeout);
            self.pool.stopping.store(true, Ordering::SeqCst);
        }
        let compat = self.cfg.compat;
        log_first_line(compat, &first_line);
        let refusal = match result {
            Ok(q) if q.path.is_empty() || q.path == "pkix/" => {
                c.buf.drain(..consumed);
                if c.buf.capacity() > IDLE_BUF {
                    c.buf.shrink_to(c.buf.len().max(IDLE_BUF));
                }
                c.framer = RequestFramer::default();
                // Pipelined bytes already received belong to the next request.
                c.started = (!c.buf.is_empty()).then_some(now);
                let conn = self.conns.swap_remove(i);
                self.busy += 1;
                self.pool.submit(Job {
                    conn,
                    body: q.body,
                    keep_alive: q.keep_alive,
                });
                return;
            }
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
            Err(_) => return,
        };
        // HTTP errors end the connection; the few bytes go straight into the empty socket
        // buffer, or are finished when it has room.
        c.out = refusal.into_bytes();
        c.sent = 0;
        c.close_after = true;
        c.write_since = now;
        self.write(i, now);
    }

    fn accept(&mut self, now: Instant) {
        for _ in 0..ACCEPT_BURST {
            match self.sock.accept() {
                Ok((stream, _)) => {
                    if self.conns.len() + self.busy >= self.cap && !self.evict() {
                        // Every slot is with a worker: refuse this one and wait a little.
                        drop(stream);
                        self.accept_after = Some(now + Duration::from_millis(20));
                        return;
                    }
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let tls = match &self.cfg.tls {
                        None => None,
                        Some(cfg) => match rustls::ServerConnection::new(cfg.clone()) {
                            Ok(t) => Some(Box::new(t)),
                            Err(e) => {
                                srv_log!(Warn, "cannot start TLS with client: {e}");
                                continue;
                            }
                        },
                    };
                    self.accepted += 1;
                    self.conns.push(Conn::new(stream, tls, now, self.accepted));
                    // A client writes its request right after connecting, so under load it has
                    // usually arrived by now: taking it at once saves a round through poll (one
                    // wake-up of this thread per connection). If nothing is there, the read costs
                    // one EAGAIN and the connection waits in the poll set as before.
                    self.read(self.conns.len() - 1, now);
                    if self.stop_by.is_some() {
                        break;
                    }
                }
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

    /// Close one connection to make room for a new one: the one idle longest, else the one
    /// whose request has been incomplete longest, else the one longest stuck in writing its
    /// answer. Connections with a worker are not touched. False if there was none.
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
                self.conns.swap_remove(i).close();
                true
            }
            None => false,
        }
    }
}

fn pollfd(fd: std::os::fd::RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
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
