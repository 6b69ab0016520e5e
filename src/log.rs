//! OpenSSL-style CMP log lines: `CMP info: ...`, `CMP warning: ...`, `CMP error: ...`, `CMP DEBUG: ...`.
//!
//! The client logs every level to stdout, errors included, as OpenSSL's CMP library does through the
//! app's log callback; only the app's own error reports (set-up failures, see [`app_error`]) go to
//! stderr. The mock server (like OpenSSL's, which uses the library's default log callback) logs
//! everything to stderr.
//! `-verbosity` (0..8, default 6 = INFO) gates what is printed.
//!
//! Every line goes to the installed [`Sink`]; without one, nothing is printed (a library must not
//! write to its host's terminal). The `rcmp` command installs [`console_sink`] at start-up, which
//! prints each line on the stream named above; this module and `main.rs` are the only places that
//! write to stdout/stderr.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

/// Severity levels, numbered as syslog and OpenSSL's `OSSL_CMP_LOG_*` are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// The system is unusable.
    Emerg = 0,
    /// Action must be taken at once.
    Alert = 1,
    /// Critical conditions.
    Crit = 2,
    /// Errors (`CMP error:`).
    Err = 3,
    /// Warnings (`CMP warning:`).
    Warn = 4,
    /// Normal but significant conditions.
    Notice = 5,
    /// What a transaction does (`CMP info:`); the default level.
    Info = 6,
    /// Details for debugging (`CMP DEBUG:`).
    Debug = 7,
    /// Even more details.
    Trace = 8,
}

impl Level {
    /// The word OpenSSL puts after `CMP `.
    fn label(self) -> &'static str {
        match self {
            Level::Emerg => "EMERG",
            Level::Alert => "ALERT",
            Level::Crit => "CRIT",
            Level::Err => "error",
            Level::Warn => "warning",
            Level::Notice => "NOTE",
            Level::Info => "info",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }
}

/// Where a line comes from: the client (stdout/stderr split) or the mock server (all to stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// The standard stream a console prints a line on, as `openssl cmp` would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line reported by the library.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The severity of a `CMP <level>: ...` line; None for other output (help text, the mock
    /// server's `ACCEPT` line, genp contents).
    pub level: Option<Level>,
    /// The stream a console prints it on.
    pub stream: Stream,
    /// The message alone (for a log line: without `CMP <level>: ` and without the newline).
    pub message: &'a str,
    /// The line exactly as a console prints it, newline included.
    pub line: &'a str,
}

/// Receives every line the library reports (see the module header).
pub type Sink = Arc<dyn Fn(&Record<'_>) + Send + Sync>;

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Install where lines go (None: nowhere). Process-wide, as the verbosity is.
pub fn set_sink(sink: Option<Sink>) {
    if let Ok(mut s) = SINK.write() {
        *s = sink;
    }
}

/// The sink that prints as the `rcmp` command does: each line on its stream, stdout flushed at once
/// so that scripts waiting for a line see it. A closed stream must not turn into a panic; losing a
/// line is the lesser evil.
pub fn console_sink() -> Sink {
    Arc::new(|r: &Record<'_>| match r.stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(r.line.as_bytes());
            let _ = out.flush();
        }
        Stream::Stderr => {
            let _ = std::io::stderr().lock().write_all(r.line.as_bytes());
        }
    })
}

/// Hand one line to the sink, if there is one. Lines are passed whole, so concurrent server threads
/// never interleave within a line.
fn emit(level: Option<Level>, stream: Stream, message: &str, line: &str) {
    let sink = match SINK.read() {
        Ok(s) => s.clone(),
        Err(_) => return,
    };
    if let Some(sink) = sink {
        sink(&Record {
            level,
            stream,
            message,
            line,
        });
    }
}

static VERBOSITY: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Set the level up to which lines are printed (`-verbosity`). Values above 8 are clamped.
pub fn set_verbosity(v: u8) {
    VERBOSITY.store(v.min(8), Ordering::Relaxed);
}

pub fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

/// Whether a line of this level would be printed; lets callers skip building expensive messages.
pub fn enabled(level: Level) -> bool {
    level as u8 <= verbosity()
}

/// Report one log line if `level` is enabled.
pub fn log(side: Side, level: Level, args: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let stream = match side {
        Side::Server => Stream::Stderr,
        Side::Client => Stream::Stdout,
    };
    log_to(stream, level, args);
}

fn log_to(stream: Stream, level: Level, args: std::fmt::Arguments<'_>) {
    let (message, line) = render(level, args);
    emit(Some(level), stream, &message, &line);
}

/// Print an error the app itself reports (OpenSSL's `CMP_err` in apps/cmp.c): `CMP error: ...` on
/// stderr, as opposed to the library's error lines, which [`log`] puts on stdout.
pub fn app_error(args: std::fmt::Arguments<'_>) {
    app_line(Level::Err, args);
}

/// Print a line the app itself logs on stderr (OpenSSL's apps/cmp.c does so for its errors and for
/// the closing PKIStatus of a transaction).
pub fn app_line(level: Level, args: std::fmt::Arguments<'_>) {
    if enabled(level) {
        log_to(Stream::Stderr, level, args);
    }
}

/// Print a line that is not a CMP log line (e.g. the mock server's `ACCEPT host:port PID=n`, or genp
/// contents), to stdout, flushed at once so scripts waiting for it see it.
pub fn raw_stdout(text: &str) {
    emit(None, Stream::Stdout, text.trim_end_matches('\n'), text);
}

/// One log line as printed, with the imitated release's wording (RCMP_COMPAT=4.0) applied here, the
/// one place that knows about it.
fn render(level: Level, args: std::fmt::Arguments<'_>) -> (String, String) {
    let msg = args.to_string();
    let msg = crate::wording::for_release(&msg).into_owned();
    let line = format!("CMP {}: {}\n", level.label(), msg);
    (msg, line)
}

/// Print a raw line to stderr (usage errors, help text).
pub fn raw_stderr(text: &str) {
    emit(None, Stream::Stderr, text.trim_end_matches('\n'), text);
}

macro_rules! info { ($($a:tt)*) => { $crate::log::log($crate::log::Side::Client, $crate::log::Level::Info, format_args!($($a)*)) }; }
macro_rules! log_warn { ($($a:tt)*) => { $crate::log::log($crate::log::Side::Client, $crate::log::Level::Warn, format_args!($($a)*)) }; }
macro_rules! debug { ($($a:tt)*) => { $crate::log::log($crate::log::Side::Client, $crate::log::Level::Debug, format_args!($($a)*)) }; }
macro_rules! srv_log { ($lvl:ident, $($a:tt)*) => { $crate::log::log($crate::log::Side::Server, $crate::log::Level::$lvl, format_args!($($a)*)) }; }
// Also by path (`crate::info!` ...), as before the crate's macros stopped being exported.
#[allow(unused_imports)]
pub(crate) use {debug, info, log_warn as warn, srv_log};

/// Bytes as OpenSSL logs an octet string (`i2s_ASN1_OCTET_STRING`): upper-case hex pairs joined by
/// colons. Client, verifier and mock server all print transaction IDs, nonces and key IDs this way.
pub(crate) fn hex_colon(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
