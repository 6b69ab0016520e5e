//! HTTP proxies: the absolute-form request target for plain HTTP, and the `CONNECT` tunnel that
//! TLS goes through, both as OpenSSL's HTTP client does them.

use std::io::{Read, Write};

use super::http::{self, HttpError, LineError, MsgReader, MAX_HEADER_LINES, MAX_LINE_LEN};

/// The request target when talking plain HTTP through a proxy: `http://host:port/path`.
pub fn absolute_target(host: &str, port: u16, path: &str) -> String {
    format!("http://{host}:{port}{path}")
}

/// The `CONNECT` request OpenSSL sends to open a tunnel to `host:port`.
pub fn connect_request(host: &str, port: &str) -> String {
    format!("CONNECT {host}:{port} HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n\r\n")
}

/// Send `CONNECT` on `stream` and read the proxy's answer; any 2xx status opens the tunnel.
/// Returns the bytes the proxy already sent beyond its header (normally none).
pub fn tunnel<S: Read + Write>(
    stream: &mut S,
    host: &str,
    port: &str,
) -> Result<Vec<u8>, HttpError> {
    http::write_all(stream, connect_request(host, port).as_bytes())?;
    let mut r = MsgReader::new(&mut *stream);
    let first = read_line(&mut r)?;
    let Some(rest) = first.strip_prefix("HTTP/") else {
        return Err(HttpError::Protocol(vec![
            "header parse error".into(),
            "HTTP CONNECT failed, non-HTTP response".into(),
        ]));
    };
    if !rest.starts_with("1.") {
        return Err(HttpError::proto(format!(
            "received wrong http version:HTTP CONNECT failed, bad HTTP version {}",
            rest.chars().take(3).collect::<String>()
        )));
    }
    let status = rest.get(3..).unwrap_or("").trim();
    if !status.starts_with('2') {
        return Err(HttpError::proto(format!("connect failure:reason={status}")));
    }
    for _ in 0..MAX_HEADER_LINES {
        if read_line(&mut r)?.is_empty() {
            let extra = r.buffered();
            return if extra == 0 {
                Ok(Vec::new())
            } else {
                r.read_exact_bytes(extra)
            };
        }
    }
    Err(HttpError::proto("response too many hdrlines"))
}

fn read_line<R: Read>(r: &mut MsgReader<R>) -> Result<String, HttpError> {
    match r.read_line(MAX_LINE_LEN) {
        Ok(Some(l)) => Ok(http::line_text(&l)),
        Ok(None) | Err(LineError::Eof) => Err(HttpError::Read("failed reading data".into())),
        Err(LineError::TooLong) => Err(HttpError::proto("response line too long")),
        Err(LineError::Io(e)) => Err(HttpError::from_read(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    struct Duplex {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }
    impl Read for Duplex {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            self.input.read(b)
        }
    }
    impl Write for Duplex {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.output.write(b)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn connect_ok_and_refused() {
        let mut d = Duplex {
            input: Cursor::new(b"HTTP/1.1 200 Connection established\r\nX: y\r\n\r\n".to_vec()),
            output: vec![],
        };
        assert!(tunnel(&mut d, "h", "443").unwrap().is_empty());
        assert_eq!(
            d.output,
            b"CONNECT h:443 HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n\r\n"
        );
        let mut d = Duplex {
            input: Cursor::new(b"HTTP/1.0 403 Forbidden\r\n\r\n".to_vec()),
            output: vec![],
        };
        match tunnel(&mut d, "h", "443") {
            Err(HttpError::Protocol(l)) => assert_eq!(l, ["connect failure:reason=403 Forbidden"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            absolute_target("[::1]", 80, "/pkix/"),
            "http://[::1]:80/pkix/"
        );
    }
}
