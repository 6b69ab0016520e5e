//! HTTP/1.x message framing for CMP (RFC 6712/9811), shared by the client and the mock server's
//! listener: request and response heads, bounded line reading, and the body rules OpenSSL applies
//! (a DER SEQUENCE whose own length must agree with any Content-Length).
//!
//! Everything read from the peer is bounded: line length, number of header lines, body size.
//! Error texts follow OpenSSL's HTTP error reasons (`failed reading data`, `missing asn1
//! encoding`, ...) so logs read the same.

use std::io::{self, Read, Write};

/// The only content type CMP uses over HTTP.
pub const CONTENT_TYPE_PKIXCMP: &str = "application/pkixcmp";
/// Longest header line accepted (OpenSSL's default buffer size).
pub const MAX_LINE_LEN: usize = 4 * 1024;
/// Most header lines accepted in one message (OpenSSL's default for responses).
pub const MAX_HEADER_LINES: usize = 256;
/// Largest response body the client accepts: OpenSSL's default for CMP (100 KiB).
pub const MAX_RESPONSE_LEN: usize = 100 * 1024;

/// A failure while exchanging one message; converted to the crate error by the callers, which
/// add where it happened.
#[derive(Debug)]
pub enum HttpError {
    /// The deadline passed.
    Timeout,
    /// An I/O error or an early end of the stream; OpenSSL says `failed reading data`.
    Read(String),
    /// The same before the first byte of a response's status line: the peer gave no HTTP answer
    /// at all (printed as `Read`; only the hint differs).
    NoAnswer(String),
    /// Writing failed.
    Write(String),
    /// The peer's data violates the protocol; the lines are OpenSSL's reason texts.
    Protocol(Vec<String>),
}

impl HttpError {
    pub(crate) fn proto(msg: impl Into<String>) -> Self {
        HttpError::Protocol(vec![msg.into()])
    }

    pub(crate) fn from_read(e: io::Error) -> Self {
        if is_timeout(&e) {
            HttpError::Timeout
        } else {
            HttpError::Read(e.to_string())
        }
    }

    pub(crate) fn from_write(e: io::Error) -> Self {
        if is_timeout(&e) {
            HttpError::Timeout
        } else {
            HttpError::Write(e.to_string())
        }
    }
}

pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// A reader with its own buffer, so lines and bodies can be taken from one stream without
/// reading past the end of a message (needed for keep-alive).
pub struct MsgReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
}

impl<R: Read> MsgReader<R> {
    pub fn new(inner: R) -> Self {
        MsgReader {
            inner,
            buf: Vec::new(),
            pos: 0,
        }
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Bytes received but not consumed yet.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Read more bytes into the buffer; Ok(0) at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let mut tmp = [0u8; 8192];
        loop {
            match self.inner.read(&mut tmp) {
                Ok(n) => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// One line including its end (`\n`), at most `max` bytes. `Ok(None)` at a clean end of stream
    /// before any byte of the line.
    pub fn read_line(&mut self, max: usize) -> Result<Option<Vec<u8>>, LineError> {
        let mut scanned = 0;
        loop {
            let avail = &self.buf[self.pos..];
            if let Some(i) = avail[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + i + 1;
                if end > max {
                    return Err(LineError::TooLong);
                }
                let line = avail[..end].to_vec();
                self.pos += end;
                return Ok(Some(line));
            }
            scanned = avail.len();
            if scanned >= max {
                return Err(LineError::TooLong);
            }
            match self.fill() {
                Ok(0) => {
                    return if scanned == 0 {
                        Ok(None)
                    } else {
                        Err(LineError::Eof)
                    };
                }
                Ok(_) => {}
                Err(e) => return Err(LineError::Io(e)),
            }
        }
    }

    /// Exactly `n` bytes.
    pub fn read_exact_bytes(&mut self, n: usize) -> Result<Vec<u8>, HttpError> {
        while self.buffered() < n {
            match self.fill() {
                Ok(0) => return Err(HttpError::Read("failed reading data".into())),
                Ok(_) => {}
                Err(e) => return Err(HttpError::from_read(e)),
            }
        }
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(out)
    }

    /// Make sure at least `n` bytes are buffered (fewer only at end of stream); returns a view.
    fn peek(&mut self, n: usize) -> Result<&[u8], HttpError> {
        while self.buffered() < n {
            match self.fill() {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(HttpError::from_read(e)),
            }
        }
        Ok(&self.buf[self.pos..])
    }
}

/// Why a line could not be read.
#[derive(Debug)]
pub enum LineError {
    TooLong,
    Eof,
    Io(io::Error),
}

/// Trim the line end (`\r\n` or `\n`) of a raw line and make it text.
pub fn line_text(line: &[u8]) -> String {
    let mut l = line;
    if let Some(x) = l.strip_suffix(b"\n") {
        l = x;
    }
    if let Some(x) = l.strip_suffix(b"\r") {
        l = x;
    }
    String::from_utf8_lossy(l).into_owned()
}

/// Split a header line into name and value (value without leading blanks).
pub fn split_header(text: &str) -> Option<(&str, &str)> {
    let (k, v) = text.split_once(':')?;
    Some((k, v.trim_start_matches([' ', '\t']).trim_end()))
}

// ---------------------------------------------------------------------------------------------
// Client side

/// The request head as OpenSSL's CMP client sends it (captured from `openssl cmp`, see
/// src/transfer/tests_peers.rs): `Pragma`, `Host` (no port), `Connection: keep-alive` only when asked,
/// `Content-Type`, `Content-Length`.
pub fn request_head(target: &str, host: &str, keep_alive: bool, body_len: usize) -> Vec<u8> {
    let mut h = format!("POST {target} HTTP/1.0\r\nPragma: no-cache\r\n");
    if !host.is_empty() {
        h.push_str(&format!("Host: {host}\r\n"));
    }
    if keep_alive {
        h.push_str("Connection: keep-alive\r\n");
    }
    h.push_str(&format!(
        "Content-Type: {CONTENT_TYPE_PKIXCMP}\r\nContent-Length: {body_len}\r\n\r\n"
    ));
    h.into_bytes()
}

/// What the client learned from a response.
#[derive(Debug)]
pub struct Response {
    pub body: Vec<u8>,
    /// The server agreed to keep the connection open.
    pub keep_alive: bool,
}

/// Read one response to a CMP request, checking it as OpenSSL does: status 200, Content-Type
/// `application/pkixcmp` (parameters allowed), a DER SEQUENCE body of at most `max_len` bytes whose
/// length agrees with any Content-Length. Chunked bodies are accepted (OpenSSL does not, but
/// nothing is lost by being lenient here).
pub fn read_response<R: Read>(r: &mut MsgReader<R>, max_len: usize) -> Result<Response, HttpError> {
    let first = read_head_line(r).map_err(|e| match e {
        HttpError::Read(m) => HttpError::NoAnswer(m),
        other => other,
    })?;
    let (status, reason, mut keep_alive) = parse_status_line(&first)?;
    let mut content_type: Option<String> = None;
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut location: Option<String> = None;
    let mut lines = 1;
    loop {
        let line = read_head_line(r)?;
        lines += 1;
        if lines > MAX_HEADER_LINES {
            return Err(HttpError::proto("response too many hdrlines"));
        }
        if line.is_empty() {
            break;
        }
        let Some((key, value)) = split_header(&line) else {
            continue;
        };
        if key.eq_ignore_ascii_case("Content-Type") {
            content_type = Some(value.to_string());
        } else if key.eq_ignore_ascii_case("Connection") {
            if value.eq_ignore_ascii_case("keep-alive") {
                keep_alive = true;
            } else if value.eq_ignore_ascii_case("close") {
                keep_alive = false;
            }
        } else if key.eq_ignore_ascii_case("Content-Length") {
            let n: usize = value.parse().map_err(|_| {
                HttpError::proto(format!("error parsing content length:input={value}"))
            })?;
            if n > max_len {
                return Err(HttpError::proto(format!(
                    "max resp len exceeded:response content-length length={n}, max={max_len}"
                )));
            }
            content_length = Some(n);
        } else if key.eq_ignore_ascii_case("Transfer-Encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if key.eq_ignore_ascii_case("Location") {
            location = Some(value.to_string());
        }
    }

    if status == 301 || status == 302 {
        let mut msg = "redirection not enabled".to_string();
        if let Some(l) = location {
            msg.push_str(&format!(":code={status}, Location={l}"));
        }
        return Err(HttpError::proto(msg));
    }
    // OpenSSL 3.5 takes the body of an error status (>= 400) if it is CMP content: servers
    // may report failures as CMP error messages with such a status.
    let ct_ok = content_type.as_deref().is_some_and(content_type_ok);
    let status_line = format!("status code unsupported:code={status}, reason={reason}");
    if status != 200 && (status < 400 || !ct_ok) {
        let mut errs = vec![status_line];
        if status >= 400 {
            errs.push(content_type_problem(content_type.as_deref(), status));
        }
        return Err(HttpError::Protocol(errs));
    }
    let mut errs = Vec::new();
    if !ct_ok {
        errs.push(content_type_problem(content_type.as_deref(), status));
    }
    if !errs.is_empty() {
        return Err(HttpError::Protocol(errs));
    }

    let body = if chunked {
        read_chunked(r, max_len)?
    } else {
        read_der_body(r, content_length, max_len)?
    };
    if chunked {
        check_der_length(&body, None, max_len)?;
    }
    Ok(Response { body, keep_alive })
}

fn content_type_problem(ct: Option<&str>, status: u16) -> String {
    match ct {
        None => format!("missing content type:expected={CONTENT_TYPE_PKIXCMP}"),
        Some(ct) => format!("content type mismatch:expected ASN.1 content but got http code {status} with Content-Type: {ct}"),
    }
}

/// `application/pkixcmp`, case-insensitive, optionally followed by `;` and parameters.
fn content_type_ok(ct: &str) -> bool {
    let main = ct.split(';').next().unwrap_or("").trim();
    main.eq_ignore_ascii_case(CONTENT_TYPE_PKIXCMP)
}

fn read_head_line<R: Read>(r: &mut MsgReader<R>) -> Result<String, HttpError> {
    match r.read_line(MAX_LINE_LEN) {
        Ok(Some(l)) => Ok(line_text(&l)),
        Ok(None) | Err(LineError::Eof) => Err(HttpError::Read("failed reading data".into())),
        Err(LineError::TooLong) => Err(HttpError::proto("response line too long")),
        Err(LineError::Io(e)) => Err(HttpError::from_read(e)),
    }
}

/// `HTTP/1.x CODE REASON`. Returns status, reason and whether the version keeps connections open
/// by default (1.1 and later).
pub fn parse_status_line(line: &str) -> Result<(u16, String, bool), HttpError> {
    let bad = || {
        let shown: String = line
            .chars()
            .take(60)
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        HttpError::proto(format!("header parse error:content={shown}"))
    };
    let rest = line.strip_prefix("HTTP/1.").ok_or_else(bad)?;
    let persistent_default = rest.as_bytes().first().is_some_and(|&b| b > b'0');
    let mut parts = rest.splitn(2, [' ', '\t']);
    let _minor = parts.next();
    let rest = parts.next().ok_or_else(bad)?.trim_start();
    let (code, reason) = match rest.split_once([' ', '\t']) {
        Some((c, r)) => (c, r.trim()),
        None => (rest, ""),
    };
    let code: u16 = code.parse().map_err(|_| bad())?;
    Ok((code, reason.to_string(), persistent_default))
}

/// Read a body whose end is given by its DER length (as OpenSSL does), cross-checked with any
/// Content-Length.
fn read_der_body<R: Read>(
    r: &mut MsgReader<R>,
    content_length: Option<usize>,
    max_len: usize,
) -> Result<Vec<u8>, HttpError> {
    let total = peek_der_len(r)?;
    if total > max_len {
        return Err(HttpError::proto(format!(
            "max resp len exceeded:ASN.1 DER content length={total}, max={max_len}"
        )));
    }
    if let Some(cl) = content_length {
        if cl != total {
            return Err(HttpError::proto(format!(
                "inconsistent content length:ASN.1 DER content length={total}, Content-Length={cl}"
            )));
        }
    }
    r.read_exact_bytes(total)
}

/// The total length of the DER value about to be read, peeking only at the bytes its header
/// needs (reading further could block on a kept-alive connection).
fn peek_der_len<R: Read>(r: &mut MsgReader<R>) -> Result<usize, HttpError> {
    let head = r.peek(2)?;
    let need = match head.get(1) {
        Some(&l0) if l0 & 0x80 != 0 && head.first() == Some(&0x30) => {
            2 + usize::from(l0 & 0x7f).min(4)
        }
        _ => 2,
    };
    let head = r.peek(need)?.to_vec();
    if head.is_empty() {
        return Err(HttpError::Read("failed reading data".into()));
    }
    der_total_len(&head)
}

/// Total size of the DER SEQUENCE starting `head` (tag + length + content), from at most the
/// first 6 bytes. Fails as OpenSSL does for non-SEQUENCE data, indefinite or over-long lengths.
pub fn der_total_len(head: &[u8]) -> Result<usize, HttpError> {
    use der::{Decode, Reader};
    if head.first() != Some(&0x30) {
        return Err(HttpError::proto("missing asn1 encoding"));
    }
    let bad_length = || HttpError::proto("error parsing asn1 length");
    let mut reader = der::SliceReader::new(head).map_err(|_| bad_length())?;
    let header = der::Header::decode(&mut reader).map_err(|e| match e.kind() {
        // The head ends before the length does: the peer sent less than a DER header.
        der::ErrorKind::Incomplete { .. } => HttpError::Read("failed reading data".into()),
        // Indefinite, over-long (more than 4 length bytes) or non-minimal lengths.
        _ => bad_length(),
    })?;
    let hdr_len = usize::try_from(reader.position()).map_err(|_| bad_length())?;
    let content_len = usize::try_from(header.length()).map_err(|_| bad_length())?;
    hdr_len.checked_add(content_len).ok_or_else(bad_length)
}

fn check_der_length(body: &[u8], _cl: Option<usize>, max_len: usize) -> Result<(), HttpError> {
    let total = der_total_len(body)?;
    if total > max_len {
        return Err(HttpError::proto(format!(
            "max resp len exceeded:ASN.1 DER content length={total}, max={max_len}"
        )));
    }
    if total != body.len() {
        return Err(HttpError::proto(format!(
            "inconsistent content length:ASN.1 DER content length={total}, chunked length={}",
            body.len()
        )));
    }
    Ok(())
}

fn read_chunked<R: Read>(r: &mut MsgReader<R>, max_len: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let line = read_head_line(r)?;
        let size_txt = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_txt, 16)
            .map_err(|_| HttpError::proto(format!("error parsing chunk size:input={size_txt}")))?;
        if size == 0 {
            // Skip trailers up to the empty line.
            let mut n = 0;
            loop {
                let t = read_head_line(r)?;
                n += 1;
                if t.is_empty() || n > MAX_HEADER_LINES {
                    break;
                }
            }
            return Ok(body);
        }
        // Compared without adding: a hostile chunk size near usize::MAX must not wrap around.
        if size > max_len.saturating_sub(body.len()) {
            return Err(HttpError::proto(format!(
                "max resp len exceeded:chunked content length={}, max={max_len}",
                body.len().saturating_add(size)
            )));
        }
        body.extend(r.read_exact_bytes(size)?);
        let crlf = read_head_line(r)?;
        if !crlf.is_empty() {
            return Err(HttpError::proto("error parsing chunked encoding"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Server side

/// A request as the mock server's listener understood it.
#[derive(Debug)]
pub struct Request {
    /// The request line as received (without line end), for the log.
    pub first_line: String,
    /// The path with leading `/`s and doubled trailing `/`s removed, as OpenSSL's server reduces
    /// it before comparing with "" and "pkix/".
    pub path: String,
    /// The client asked to keep the connection open (HTTP/1.1 default or `Connection:`).
    pub keep_alive: bool,
    pub body: Vec<u8>,
}

/// Why a request was refused; each maps to a status line and a log line.
#[derive(Debug)]
pub enum RequestError {
    /// The client closed the connection before sending anything (not an error: no reply).
    Closed,
    /// Timed out or broke before a full request arrived; nothing sensible can be answered.
    Io,
    /// A malformed request: answer `400 Bad Request` and log the text (OpenSSL's wording).
    BadRequest {
        first_line: Option<String>,
        log: String,
    },
    /// The body is larger than the configured bound: `413`.
    TooLarge { first_line: String, len: usize },
}

/// Read one request: `POST /path HTTP/1.x`, headers, and a DER body found by Content-Length or
/// else its DER length, at most `max_body` bytes.
pub fn read_request<R: Read>(
    r: &mut MsgReader<R>,
    max_body: usize,
) -> Result<Request, RequestError> {
    let first = match r.read_line(MAX_LINE_LEN) {
        Ok(Some(l)) => l,
        Ok(None) => return Err(RequestError::Closed),
        Err(LineError::TooLong) => {
            return Err(RequestError::BadRequest {
                first_line: None,
                log: "request line too long".into(),
            })
        }
        Err(LineError::Eof) => {
            return Err(RequestError::BadRequest {
                first_line: None,
                log: "cannot parse HTTP header: missing end of line".into(),
            })
        }
        Err(LineError::Io(_)) => return Err(RequestError::Io),
    };
    let first_line = line_text(&first);
    let bad = |log: String| RequestError::BadRequest {
        first_line: Some(first_line.clone()),
        log,
    };
    // The closure only borrows, so it is Copy and can be used again below.
    let (path, mut keep_alive) = parse_request_line(&first_line).map_err(bad)?;

    let mut content_length: Option<usize> = None;
    let mut lines = 1;
    loop {
        let line = match r.read_line(MAX_LINE_LEN) {
            Ok(Some(l)) => line_text(&l),
            Ok(None) | Err(LineError::Eof) => return Err(bad("error reading HTTP header".into())),
            Err(LineError::TooLong) => {
                return Err(bad("error reading HTTP header: line too long".into()))
            }
            Err(LineError::Io(_)) => return Err(RequestError::Io),
        };
        lines += 1;
        if lines > MAX_HEADER_LINES {
            return Err(bad("error reading HTTP header: too many lines".into()));
        }
        if line.is_empty() {
            break;
        }
        let Some((key, value)) = split_header(&line) else {
            return Err(bad("error parsing HTTP header: missing ':'".into()));
        };
        if key.eq_ignore_ascii_case("Connection") {
            if value.eq_ignore_ascii_case("keep-alive") {
                keep_alive = true;
            } else if value.eq_ignore_ascii_case("close") {
                keep_alive = false;
            }
        } else if key.eq_ignore_ascii_case("Content-Length") {
            let n: usize = value
                .parse()
                .map_err(|_| bad(format!("error parsing Content-Length: {value}")))?;
            if n > max_body {
                return Err(RequestError::TooLarge {
                    first_line: first_line.clone(),
                    len: n,
                });
            }
            content_length = Some(n);
        }
    }

    // A body that is not DER, or ends early, is answered like OpenSSL's server does (400); only
    // a stalled client gets no answer.
    let der_err = |e: HttpError| match e {
        HttpError::Timeout => RequestError::Io,
        _ => bad("error parsing DER-encoded request content".into()),
    };
    if content_length == Some(0) {
        return Err(bad("error parsing DER-encoded request content".into()));
    }
    let total = peek_der_len(r).map_err(der_err)?;
    if total > max_body {
        return Err(RequestError::TooLarge {
            first_line,
            len: total,
        });
    }
    if content_length.is_some_and(|cl| cl < total) {
        return Err(bad("error parsing DER-encoded request content".into()));
    }
    let body = r.read_exact_bytes(total).map_err(|_| RequestError::Io)?;
    // Bytes declared by Content-Length beyond the DER value are read and dropped, so a
    // following request on the same connection starts at the right place.
    if let Some(cl) = content_length {
        if cl > total {
            r.read_exact_bytes(cl - total)
                .map_err(|_| RequestError::Io)?;
        }
    }
    Ok(Request {
        first_line,
        path,
        keep_alive,
        body,
    })
}

/// The most bytes a request head can take before [`read_request`] decides on it: every line at
/// most [`MAX_LINE_LEN`], at most [`MAX_HEADER_LINES`] of them, plus a partial line.
pub const MAX_HEAD_LEN: usize = (MAX_HEADER_LINES + 1) * MAX_LINE_LEN;

/// Finds, as bytes arrive, the point at which [`read_request`] run on the bytes received so far
/// gives the same answer it would give on the live connection: the request is complete, or it
/// is already known to be refused. Each byte is looked at once (a client trickling a large head
/// byte by byte costs linear work), and the verdict follows `read_request`'s own limits and order
/// of checks, so the listener can parse buffered bytes and still answer exactly as before.
#[derive(Debug, Default)]
pub struct RequestFramer {
    /// Bytes of the buffer already searched for line ends.
    scanned: usize,
    /// Start of the line being received.
    line_start: usize,
    /// Complete head lines so far (the request line included).
    lines: usize,
    content_length: Option<usize>,
    /// Where the body starts, once the empty line ending the head was seen.
    body_start: Option<usize>,
}

/// What the bytes received so far allow.
#[derive(Debug, PartialEq, Eq)]
pub enum Framing {
    /// More bytes are needed.
    Partial,
    /// Parse the first `n` bytes: `read_request` will not need more. Either a complete request
    /// of exactly `n` bytes, or a refused one (then `n` is all the buffer).
    Ready(usize),
}

impl RequestFramer {
    /// Look at `buf`, which holds the bytes of this request received so far (and possibly more
    /// after it); `buf` must only have grown since the last call.
    pub fn advance(&mut self, buf: &[u8], max_body: usize) -> Framing {
        let refused = Framing::Ready(buf.len());
        if self.body_start.is_none() {
            while let Some(i) = buf[self.scanned..].iter().position(|&b| b == b'\n') {
                let end = self.scanned + i + 1;
                self.scanned = end;
                let line = &buf[self.line_start..end];
                self.line_start = end;
                if line.len() > MAX_LINE_LEN || !self.head_line(line, max_body) {
                    return refused;
                }
                if self.body_start.is_some() {
                    break;
                }
            }
            if self.body_start.is_none() {
                self.scanned = buf.len();
                // read_line gives up once this many bytes hold no line end.
                if buf.len() - self.line_start >= MAX_LINE_LEN {
                    return refused;
                }
                return Framing::Partial;
            }
        }
        let Some(start) = self.body_start else {
            return Framing::Partial;
        };
        if self.content_length == Some(0) {
            return refused;
        }
        let body = &buf[start..];
        // As peek_der_len: two bytes first, then the length octets they announce.
        let need = match body {
            [0x30, l0, ..] if l0 & 0x80 != 0 => 2 + usize::from(l0 & 0x7f).min(4),
            _ => 2,
        };
        if body.len() < need {
            return Framing::Partial;
        }
        let Ok(total) = der_total_len(&body[..need]) else {
            return refused;
        };
        if total > max_body {
            return refused;
        }
        let len = match self.content_length {
            Some(cl) if cl < total => return refused,
            Some(cl) => cl,
            None => total,
        };
        if body.len() >= len {
            Framing::Ready(start + len)
        } else {
            Framing::Partial
        }
    }

    /// Take one complete head line; false if `read_request` refuses the request at this line.
    fn head_line(&mut self, line: &[u8], max_body: usize) -> bool {
        self.lines += 1;
        let text = line_text(line);
        if self.lines == 1 {
            return parse_request_line(&text).is_ok();
        }
        if self.lines > MAX_HEADER_LINES {
            return false;
        }
        if text.is_empty() {
            self.body_start = Some(self.line_start);
            return true;
        }
        let Some((key, value)) = split_header(&text) else {
            return false;
        };
        if key.eq_ignore_ascii_case("Content-Length") {
            match value.parse::<usize>() {
                Ok(n) if n <= max_body => self.content_length = Some(n),
                _ => return false,
            }
        }
        true
    }
}

/// Check the request line `POST /path HTTP/1.x`; returns the reduced path and whether the
/// version keeps the connection open by default, or the log text for a `400`.
fn parse_request_line(first_line: &str) -> Result<(String, bool), String> {
    let Some(rest) = first_line.strip_prefix("POST ") else {
        return Err(format!(
            "HTTP request does not begin with POST: {first_line}"
        ));
    };
    let rest = rest.trim_start_matches(' ');
    if !rest.starts_with('/') {
        return Err(format!(
            "invalid POST -- URL does not begin with '/': {rest}"
        ));
    }
    let (url, version) = match rest.split_once(' ') {
        Some((u, v)) => (u, v),
        None => (rest, ""),
    };
    let Some(minor) = version.strip_prefix("HTTP/1.") else {
        return Err(format!(
            "invalid POST -- bad HTTP/version string: {version}"
        ));
    };
    let keep_alive = minor.as_bytes().first().is_some_and(|&b| b > b'0');
    match url_decode(url) {
        Some(p) => Ok((reduce_path(&p), keep_alive)),
        None => Err(format!("invalid POST request -- bad URL encoding: {url}")),
    }
}

/// `%xx` decoding; None on a malformed escape.
fn url_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Drop leading `/`s and collapse a doubled trailing `/`, as OpenSSL's server does.
fn reduce_path(p: &str) -> String {
    let mut s = p.trim_start_matches('/');
    while s.len() >= 2 && s.ends_with("//") {
        s = &s[..s.len() - 1];
    }
    s.to_string()
}

/// The success response head as OpenSSL's mock server writes it (note `Content-type`).
pub fn response_head(keep_alive: bool, body_len: usize) -> String {
    format!(
        "HTTP/1.0 200 OK\r\n{}Content-type: {CONTENT_TYPE_PKIXCMP}\r\nContent-Length: {body_len}\r\n\r\n",
        if keep_alive { "Connection: keep-alive\r\n" } else { "" }
    )
}

/// An error status as OpenSSL's server sends it: status line, empty line, one more CRLF; this
/// implicitly ends keep-alive.
pub fn status_response(code: u16, reason: &str) -> String {
    format!("HTTP/1.0 {code} {reason}\r\n\r\n\r\n")
}

/// Write all of `data`, mapping errors.
pub fn write_all<W: Write>(w: &mut W, data: &[u8]) -> Result<(), HttpError> {
    w.write_all(data).map_err(HttpError::from_write)?;
    w.flush().map_err(HttpError::from_write)
}

#[cfg(test)]
mod tests {
    #[test]
    fn der_lengths_as_openssl_reads_them() {
        let text = |head: &[u8]| match super::der_total_len(head) {
            Ok(n) => format!("ok {n}"),
            Err(super::HttpError::Protocol(m)) => m.join("|"),
            Err(super::HttpError::Read(m)) => format!("read: {m}"),
            Err(e) => format!("{e:?}"),
        };
        assert_eq!(text(&[0x30, 0x05]), "ok 7");
        assert_eq!(text(&[0x30, 0x82, 0x01, 0x00]), "ok 260");
        assert_eq!(text(&[0x04, 0x01]), "missing asn1 encoding");
        assert_eq!(text(&[]), "missing asn1 encoding");
        assert_eq!(text(&[0x30]), "read: failed reading data");
        assert_eq!(text(&[0x30, 0x82, 0x01]), "read: failed reading data");
        // Indefinite, longer than 4 length octets, and (DER) not in the shortest form.
        assert_eq!(text(&[0x30, 0x80]), "error parsing asn1 length");
        assert_eq!(text(&[0x30, 0x85, 1, 0, 0, 0]), "error parsing asn1 length");
        assert_eq!(text(&[0x30, 0x81, 0x05]), "error parsing asn1 length");
    }

    use super::*;

    fn resp(bytes: &[u8]) -> Result<Response, HttpError> {
        read_response(&mut MsgReader::new(bytes), MAX_RESPONSE_LEN)
    }

    fn proto_lines(r: Result<Response, HttpError>) -> Vec<String> {
        match r {
            Err(HttpError::Protocol(l)) => l,
            other => panic!("unexpected {other:?}"),
        }
    }

    const DER: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x05];

    #[test]
    fn ok_responses() {
        let mut m =
            b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\n"
                .to_vec();
        m.extend_from_slice(DER);
        let r = resp(&m).unwrap();
        assert_eq!(r.body, DER);
        assert!(!r.keep_alive);
        let mut m = b"HTTP/1.1 200 OK\r\ncontent-type: Application/PKIXCMP; x=y\r\n\r\n".to_vec();
        m.extend_from_slice(DER);
        assert!(resp(&m).unwrap().keep_alive);
        let mut m = b"HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n".to_vec();
        m.extend_from_slice(&DER[..2]);
        m.extend_from_slice(b"\r\n3\r\n");
        m.extend_from_slice(&DER[2..]);
        m.extend_from_slice(b"\r\n0\r\n\r\n");
        let r = resp(&m).unwrap();
        assert_eq!((r.body.as_slice(), r.keep_alive), (DER, false));
    }

    #[test]
    fn error_responses() {
        let l = proto_lines(resp(
            b"HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\nnope",
        ));
        assert_eq!(l[0], "status code unsupported:code=404, reason=Not Found");
        assert!(
            l[1].contains("got http code 404 with Content-Type: text/html"),
            "{l:?}"
        );
        let mut m =
            b"HTTP/1.0 400 Bad Request\r\nContent-Type: application/pkixcmp\r\n\r\n".to_vec();
        m.extend_from_slice(DER);
        assert_eq!(resp(&m).unwrap().body, DER);
        let l = proto_lines(resp(b"HTTP/1.1 100 Continue\r\n\r\n"));
        assert_eq!(l, ["status code unsupported:code=100, reason=Continue"]);
        let l = proto_lines(resp(b"HTTP/1.0 200 OK\r\n\r\n"));
        assert_eq!(l, ["missing content type:expected=application/pkixcmp"]);
        let l = proto_lines(resp(b"HTTP/1.0 302 Found\r\nLocation: http://x/y\r\n\r\n"));
        assert!(l[0].starts_with("redirection not enabled") && l[0].contains("http://x/y"));
        let l = proto_lines(resp(b"garbage here\r\n\r\n"));
        assert_eq!(l, ["header parse error:content=garbage here"]);
        let l = proto_lines(resp(b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 999999999\r\n\r\n"));
        assert_eq!(
            l,
            ["max resp len exceeded:response content-length length=999999999, max=102400"]
        );
        let l = proto_lines(resp(b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\nhello"));
        assert_eq!(l, ["missing asn1 encoding"]);
        let mut m =
            b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 7\r\n\r\n"
                .to_vec();
        m.extend_from_slice(DER);
        m.extend_from_slice(b"xx");
        let l = proto_lines(resp(&m));
        assert_eq!(
            l,
            ["inconsistent content length:ASN.1 DER content length=5, Content-Length=7"]
        );
        match resp(
            b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\n\r\n\x30\x82\x01\x00abc",
        ) {
            Err(HttpError::Read(m)) => assert_eq!(m, "failed reading data"),
            other => panic!("{other:?}"),
        }
        // Nothing (or no complete status line) at all: no HTTP answer, as the hint says.
        assert!(matches!(resp(b""), Err(HttpError::NoAnswer(_))));
        assert!(matches!(
            resp(b"\x15\x03\x03\x00\x02\x02\x46"),
            Err(HttpError::NoAnswer(_))
        ));
    }

    #[test]
    fn request_parsing() {
        let mut m = request_head("/pkix/", "h", true, 5);
        m.extend_from_slice(DER);
        let mut rd = MsgReader::new(m.as_slice());
        let q = read_request(&mut rd, 1 << 20).unwrap();
        assert_eq!(
            (q.path.as_str(), q.keep_alive, q.body.as_slice()),
            ("pkix/", true, DER)
        );
        assert_eq!(q.first_line, "POST /pkix/ HTTP/1.0");
        assert!(matches!(
            read_request(&mut rd, 1 << 20),
            Err(RequestError::Closed)
        ));
        let mut rd = MsgReader::new(&b"GET / HTTP/1.0\r\n\r\n"[..]);
        match read_request(&mut rd, 100) {
            Err(RequestError::BadRequest { log, .. }) => {
                assert_eq!(log, "HTTP request does not begin with POST: GET / HTTP/1.0")
            }
            other => panic!("{other:?}"),
        }
        let mut rd =
            MsgReader::new(&b"POST //pkix// HTTP/1.1\r\nContent-Length: 99999\r\n\r\n"[..]);
        assert!(matches!(
            read_request(&mut rd, 100),
            Err(RequestError::TooLarge { len: 99999, .. })
        ));
        assert_eq!(reduce_path("//pkix//"), "pkix/");
        assert_eq!(reduce_path("/"), "");
    }

    /// read_request's verdict on `data` and the bytes it consumed.
    fn parsed(data: &[u8], max: usize) -> (String, usize) {
        let mut rd = MsgReader::new(data);
        let r = read_request(&mut rd, max);
        let consumed = data.len() - rd.get_ref().len() - rd.buffered();
        (format!("{r:?}"), consumed)
    }

    /// Feed `data` to a framer in pieces of `step` bytes; the first Ready(n), if any.
    fn framed(data: &[u8], step: usize, max: usize) -> Option<usize> {
        let mut f = RequestFramer::default();
        let mut have = 0;
        while have < data.len() {
            have = (have + step.max(1)).min(data.len());
            if let Framing::Ready(n) = f.advance(&data[..have], max) {
                return Some(n);
            }
        }
        None
    }

    #[test]
    fn framer_finds_complete_and_refused_requests() {
        let mut one = request_head("/pkix/", "h", true, 5);
        one.extend_from_slice(DER);
        let mut two = one.clone();
        two.extend_from_slice(&one);
        for step in [1, 3, 1000] {
            assert_eq!(framed(&one, step, 100), Some(one.len()));
            assert_eq!(framed(&two, step, 100), Some(one.len()));
            assert_eq!(framed(&one[..one.len() - 1], step, 100), None);
        }
        // Without Content-Length the DER length decides; extra declared bytes are part of it.
        let mut m = b"POST / HTTP/1.0\r\n\r\n".to_vec();
        m.extend_from_slice(DER);
        assert_eq!(framed(&m, 1, 100), Some(m.len()));
        let mut m = b"POST / HTTP/1.0\nContent-Length: 7\n\n".to_vec();
        m.extend_from_slice(DER);
        assert_eq!(framed(&m, 1, 100), None);
        m.extend_from_slice(b"xx");
        assert_eq!(framed(&m, 1, 100), Some(m.len()));
        // Refused as soon as the deciding byte is there, before any body.
        let head = b"POST / HTTP/1.0\r\nContent-Length: 1000000000\r\n";
        assert_eq!(framed(head, 1, 100), Some(head.len()));
        assert_eq!(framed(b"GET / HTTP/1.0\r\n", 1, 100), Some(16));
        assert_eq!(framed(b"POST / HTTP/1.0\r\nno colon\r\n", 1, 100), Some(27));
        let long = vec![b'P'; MAX_LINE_LEN];
        assert_eq!(framed(&long, 1, 100), Some(MAX_LINE_LEN));
        let mut many = b"POST / HTTP/1.0\r\n".to_vec();
        many.extend(b"X: y\r\n".repeat(MAX_HEADER_LINES + 5));
        let n = framed(&many, 6, 100).unwrap();
        assert!(n < many.len());
        assert!(parsed(&many[..n], 100).0.contains("too many lines"));
        assert!(many.len() < MAX_HEAD_LEN);
    }

    #[test]
    fn framer_is_linear_on_a_trickled_head() {
        // One byte at a time up to the line limit: each call looks only at the new byte.
        let mut f = RequestFramer::default();
        let mut buf = b"POST / HTTP/1.0\r\nX: ".to_vec();
        for _ in 0..MAX_LINE_LEN - 8 {
            buf.push(b'a');
            assert_eq!(f.advance(&buf, 100), Framing::Partial);
        }
        assert_eq!(f.scanned, buf.len());
    }

    fn request_like() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(b"POST /pkix/ HTTP/1.1\r\n".to_vec()),
            Just(b"POST / HTTP/1.0\n".to_vec()),
            Just(b"GET / HTTP/1.0\r\n".to_vec()),
            Just(b"Connection: keep-alive\r\n".to_vec()),
            Just(b"Content-Length: 5\r\n".to_vec()),
            Just(b"Content-Length: 0\r\n".to_vec()),
            Just(b"Content-Length: 9\r\n".to_vec()),
            Just(b"Content-Length: x\r\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(DER.to_vec()),
            Just(vec![0x30, 0x81]),
            Just(vec![0x30, 0x82, 0x01]),
            Just(vec![0x30, 0x85]),
            proptest::collection::vec(any::<u8>(), 0..8),
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = read_response(&mut MsgReader::new(data.as_slice()), 300);
            let _ = read_request(&mut MsgReader::new(data.as_slice()), 300);
            let mut with_head = b"HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            with_head.extend_from_slice(&data);
            let _ = read_response(&mut MsgReader::new(with_head.as_slice()), 300);
            let mut req = b"POST /pkix/ HTTP/1.0\r\n\r\n".to_vec();
            req.extend_from_slice(&data);
            let _ = read_request(&mut MsgReader::new(req.as_slice()), 300);
        }

        /// Once the framer says Ready(n), parsing the first n bytes gives what parsing all the
        /// bytes the client will ever send gives: the same verdict and the same bytes consumed.
        #[test]
        fn framer_never_decides_early(data in request_like(), step in 1usize..20) {
            if let Some(n) = framed(&data, step, 300) {
                let mut more = data.clone();
                more.extend_from_slice(b"\r\n\r\n0123456789");
                proptest::prop_assert_eq!(parsed(&data[..n], 300), parsed(&data, 300));
                proptest::prop_assert_eq!(parsed(&data[..n], 300), parsed(&more, 300));
            }
        }
    }
}
