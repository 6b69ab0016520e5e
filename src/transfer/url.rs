//! `-server`, `-proxy` and `-no_proxy` as OpenSSL's cmp app reads them.
//!
//! The grammar is `[http[s]://][userinfo@]host[:port][/path][?query][#fragment]`, parsed the way
//! OpenSSL's URL parser does it (including its quirks: an empty host is accepted, a port of "0"
//! means the scheme's default port, the query stays part of the path, the fragment is dropped), so
//! that the same strings are accepted and rejected with the same reasons.

use crate::error::{Error, Result};

/// Where the CMP server is, as given with `-server` (and possibly `-path`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUrl {
    /// The scheme was `https`.
    pub tls: bool,
    /// Host name or address as written; IPv6 addresses keep their brackets (`[::1]`), as OpenSSL
    /// keeps them for the `Host:` header and the log line.
    pub host: String,
    /// The port number to connect to (80/443 when none was given).
    pub port: u16,
    /// The port as written (e.g. `0080`), used where OpenSSL prints the string.
    pub port_str: String,
    /// The HTTP path, always starting with `/` (query included, fragment dropped).
    pub path: String,
}

/// One reason a URL does not parse, worded as OpenSSL's HTTP error reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    InvalidPort(String),
    InvalidPath,
    Parse,
    InvalidScheme,
}

impl UrlError {
    /// The detail lines OpenSSL prints below "cannot parse -server URL: ...".
    pub fn lines(&self) -> Vec<String> {
        match self {
            UrlError::InvalidPort(p) => vec![format!("invalid port number:{p}")],
            UrlError::InvalidPath => vec!["invalid url path".into(), "error parsing url".into()],
            UrlError::Parse => vec!["error parsing url".into()],
            UrlError::InvalidScheme => vec!["invalid url scheme".into()],
        }
    }
}

/// Parse like `OSSL_HTTP_parse_url`. Returns the URL with the path as found in the string.
pub fn parse_url(url: &str) -> std::result::Result<ServerUrl, UrlError> {
    let (scheme, rest) = match url.find("://") {
        Some(0) => return Err(UrlError::Parse),
        Some(i) => (&url[..i], &url[i + 3..]),
        None => ("", url),
    };
    // Userinfo: OpenSSL looks for the first '@' anywhere in the rest, path included.
    let rest = match rest.find('@') {
        Some(i) => &rest[i + 1..],
        None => rest,
    };
    let (host, after_host) = if rest.starts_with('[') {
        match rest.find(']') {
            Some(i) => (&rest[..=i], &rest[i + 1..]),
            None => return Err(UrlError::Parse),
        }
    } else {
        let end = rest.find([':', '/', '?', '#']).unwrap_or(rest.len());
        (&rest[..end], &rest[end..])
    };
    let (port_given, port_spec) = match after_host.strip_prefix(':') {
        Some(p) => (true, p),
        None => (false, "0"),
    };
    let port_num =
        scan_unsigned(port_spec).ok_or_else(|| UrlError::InvalidPort(port_spec.to_string()))?;
    let digits = port_spec.bytes().take_while(u8::is_ascii_digit).count();
    let port_digits = &port_spec[..digits];
    let path_part = if port_given {
        &port_spec[digits..]
    } else {
        after_host
    };
    if !(path_part.is_empty() || path_part.starts_with(['/', '?', '#'])) {
        return Err(UrlError::InvalidPath);
    }
    // The fragment is cut; the query stays in the path because the cmp app asks for no query.
    let path_end = path_part.find('#').unwrap_or(path_part.len());
    let raw_path = &path_part[..path_end];
    let path = if raw_path.starts_with('/') {
        raw_path.to_string()
    } else {
        format!("/{raw_path}")
    };
    let tls = match scheme {
        "https" => true,
        "" | "http" => false,
        _ => return Err(UrlError::InvalidScheme),
    };
    let (port, port_str) = if port_digits == "0" || !port_given {
        let p: u16 = if tls { 443 } else { 80 };
        (p, p.to_string())
    } else {
        // scan_unsigned bounded the value to 0..=65535 already.
        (
            u16::try_from(port_num).map_err(|_| UrlError::InvalidPort(port_spec.to_string()))?,
            port_digits.to_string(),
        )
    };
    Ok(ServerUrl {
        tls,
        host: host.to_string(),
        port,
        port_str,
        path,
    })
}

/// `sscanf("%u")` followed by OpenSSL's range check: optional leading whitespace and sign, then
/// digits; a negative number wraps around and so is out of range, as in C.
fn scan_unsigned(s: &str) -> Option<u32> {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'+') => (false, &t[1..]),
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let value: u64 = digits.parse().unwrap_or(u64::MAX);
    if neg && value != 0 {
        return None;
    }
    if value > 65535 {
        return None;
    }
    u32::try_from(value).ok()
}

/// Parse `-server`. The error carries OpenSSL's lines: `cannot parse -server URL: X` and the reason.
pub fn parse_server(s: &str) -> Result<ServerUrl> {
    parse_url(s).map_err(|e| {
        let mut lines = vec![format!("cannot parse -server URL: {s}")];
        lines.extend(e.lines());
        Error::from_lines(lines)
    })
}

impl ServerUrl {
    /// Apply `-path`: a non-empty value replaces the path from `-server` (OpenSSL resets an empty
    /// `-path` and warns; the option layer does that, so `Some("")` here also keeps the URL's path).
    pub fn with_path(mut self, path: Option<&str>) -> Self {
        if let Some(p) = path.filter(|p| !p.is_empty()) {
            self.path = p.to_string();
        }
        self
    }

    /// The path as sent on the request line: OpenSSL prepends `/` when it is missing.
    pub fn request_path(&self) -> String {
        if self.path.starts_with('/') {
            self.path.clone()
        } else {
            format!("/{}", self.path)
        }
    }

    /// The host without IPv6 brackets, for connecting, SNI and certificate name checks.
    pub fn bare_host(&self) -> &str {
        strip_brackets(&self.host)
    }

    /// `http[s]://host:port/path` as the cmp app prints it (one leading `/` of the path is folded
    /// into the separator, so `//x` stays `//x`).
    pub fn display(&self, tls_used: bool) -> String {
        let p = self.path.strip_prefix('/').unwrap_or(&self.path);
        format!(
            "http{}://{}:{}/{}",
            if tls_used { "s" } else { "" },
            self.host,
            self.port_str,
            p
        )
    }

    /// The info line OpenSSL 3.5 prints before the first exchange, without the `CMP info: `
    /// prefix: `will contact http://host:port/path[ via PROXY] ` (3.5 ends it with a space; 3.0
    /// prints the same text without the trailing space and with no `via` part).
    pub fn contact_line(&self, tls_used: bool, proxy: Option<&str>) -> String {
        let via = proxy.map(|p| format!(" via {p}")).unwrap_or_default();
        format!("will contact {}{via} ", self.display(tls_used))
    }
}

pub(crate) fn strip_brackets(h: &str) -> &str {
    h.strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h)
}

/// Reads one environment variable; a seam so tests need not touch the process environment.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// The proxy to use for `host`, as `OSSL_HTTP_adapt_proxy` decides: `-proxy`, else `http_proxy`
/// then `HTTP_PROXY` (or the `https_` pair when TLS is used); none when empty or when `host` is
/// listed in `-no_proxy` (else `no_proxy`, then `NO_PROXY`). Returns the proxy string as given.
pub fn adapt_proxy(
    proxy: Option<&str>,
    no_proxy: Option<&str>,
    host: &str,
    tls: bool,
    env: &dyn Env,
) -> Option<String> {
    let proxy = match proxy {
        Some(p) => Some(p.to_string()),
        None => {
            let (lower, upper) = if tls {
                ("https_proxy", "HTTPS_PROXY")
            } else {
                ("http_proxy", "HTTP_PROXY")
            };
            env.get(lower).or_else(|| env.get(upper))
        }
    }?;
    if proxy.is_empty() {
        return None;
    }
    let no_proxy = match no_proxy {
        Some(n) => Some(n.to_string()),
        None => env.get("no_proxy").or_else(|| env.get("NO_PROXY")),
    };
    if let Some(list) = no_proxy {
        if no_proxy_matches(&list, host) {
            return None;
        }
    }
    Some(proxy)
}

/// OpenSSL's matching: the host (IPv6 brackets removed) must occur in the list as a whole item,
/// delimited by start/end, whitespace or commas. No suffix or wildcard matching.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = strip_brackets(host);
    if host.is_empty() {
        return false;
    }
    list.split(|c: char| c == ',' || c.is_ascii_whitespace())
        .any(|item| item == host)
}

/// Host and port of a proxy given as a URL; the scheme only selects the default port.
pub fn parse_proxy(proxy: &str) -> Result<(String, u16)> {
    let u = parse_url(proxy).map_err(|e| {
        let mut lines = vec![format!("cannot parse proxy URL: {proxy}")];
        lines.extend(e.lines());
        Error::from_lines(lines)
    })?;
    Ok((u.host, u.port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ServerUrl {
        parse_url(s).unwrap()
    }

    #[test]
    fn defaults_and_forms() {
        let u = ok("127.0.0.1");
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (false, "127.0.0.1", 80, "/")
        );
        let u = ok("https://h");
        assert_eq!((u.tls, u.port), (true, 443));
        let u = ok("[::1]:1/a/b");
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str(), u.bare_host()),
            ("[::1]", 1, "/a/b", "::1")
        );
        assert_eq!(ok("h?q=1").path, "/?q=1");
        assert_eq!(ok("http://h#f").path, "/");
        assert_eq!(ok("u@h:5").host, "h");
        let u = ok("h:0080");
        assert_eq!((u.port, u.port_str.as_str()), (80, "0080"));
        assert_eq!(ok("h:0").port, 80);
        assert_eq!(ok(":80").host, "");
        assert_eq!(ok("127.0.0.1:1//pkix").path, "//pkix");
    }

    #[test]
    fn errors_as_openssl() {
        assert_eq!(
            parse_url("127.0.0.1:65536"),
            Err(UrlError::InvalidPort("65536".into()))
        );
        assert_eq!(
            parse_url("127.0.0.1:-1"),
            Err(UrlError::InvalidPort("-1".into()))
        );
        assert_eq!(
            parse_url("host:x/+80"),
            Err(UrlError::InvalidPort("x/+80".into()))
        );
        assert_eq!(
            parse_url("host:PORT+/x."),
            Err(UrlError::InvalidPort("PORT+/x.".into()))
        );
        assert_eq!(parse_url("h:+80"), Err(UrlError::InvalidPath));
        assert_eq!(parse_url("ftp://h"), Err(UrlError::InvalidScheme));
        assert_eq!(parse_url("[::1"), Err(UrlError::Parse));
        assert_eq!(parse_url("://h"), Err(UrlError::Parse));
        let e = parse_server("127.0.0.1:65536").unwrap_err().to_string();
        assert_eq!(
            e,
            "cannot parse -server URL: 127.0.0.1:65536\nCMP error: invalid port number:65536"
        );
    }

    #[test]
    fn display_and_path() {
        let u = ok("127.0.0.1:1/a");
        assert_eq!(
            u.contact_line(false, None),
            "will contact http://127.0.0.1:1/a "
        );
        assert_eq!(
            u.clone().with_path(Some("b")).display(false),
            "http://127.0.0.1:1/b"
        );
        assert_eq!(
            u.clone().with_path(Some("")).display(false),
            "http://127.0.0.1:1/a"
        );
        assert_eq!(
            u.clone().with_path(Some("//b")).display(false),
            "http://127.0.0.1:1//b"
        );
        assert_eq!(u.clone().with_path(Some("b")).request_path(), "/b");
        assert_eq!(
            u.contact_line(true, Some("http://127.0.0.1:2/xx")),
            "will contact https://127.0.0.1:1/a via http://127.0.0.1:2/xx "
        );
        assert_eq!(ok("localhost").display(false), "http://localhost:80/");
    }

    struct Fake(Vec<(&'static str, &'static str)>);
    impl Env for Fake {
        fn get(&self, name: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn proxy_selection() {
        let env = Fake(vec![
            ("http_proxy", "p1:3128"),
            ("HTTPS_PROXY", "p2"),
            ("NO_PROXY", "a.b, c.d"),
        ]);
        assert_eq!(
            adapt_proxy(None, None, "h", false, &env).as_deref(),
            Some("p1:3128")
        );
        assert_eq!(
            adapt_proxy(None, None, "h", true, &env).as_deref(),
            Some("p2")
        );
        assert_eq!(adapt_proxy(None, None, "c.d", true, &env), None);
        assert_eq!(
            adapt_proxy(None, None, "x.c.d", true, &env).as_deref(),
            Some("p2")
        );
        assert_eq!(adapt_proxy(Some("px"), Some("h"), "h", false, &env), None);
        assert_eq!(adapt_proxy(Some(""), None, "h", false, &env), None);
        assert_eq!(adapt_proxy(None, None, "h", false, &Fake(vec![])), None);
        // An empty lower-case variable hides the upper-case one, as in OpenSSL.
        let env = Fake(vec![("http_proxy", ""), ("HTTP_PROXY", "p")]);
        assert_eq!(adapt_proxy(None, None, "h", false, &env), None);
        assert!(no_proxy_matches("x,[::1]\t::1", "[::1]"));
        assert!(!no_proxy_matches("127.0.0.10", "127.0.0.1"));
        assert_eq!(
            parse_proxy("http://127.0.0.1:2/xx").unwrap(),
            ("127.0.0.1".to_string(), 2)
        );
        assert_eq!(parse_proxy("https://p").unwrap(), ("p".to_string(), 443));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_urls_never_panic(s in "\\PC{0,40}") {
            if let Ok(u) = parse_url(&s) {
                proptest::prop_assert!(u.path.starts_with('/'));
                let _ = u.contact_line(false, None);
            }
            let _ = no_proxy_matches(&s, "h");
        }
    }
}
