//! PEM blocks as OpenSSL reads and writes them.
//!
//! OpenSSL's reader is lenient: text outside `-----BEGIN X-----` / `-----END X-----` is skipped (that is
//! how `openssl x509 -text` output or a key and its certs can share one file), and RFC 1421 headers such
//! as `Proc-Type:`/`DEK-Info:` may follow the BEGIN line. We keep the same leniency, with bounds.

/// One decoded PEM block.
#[derive(Clone, Debug)]
pub struct Block {
    pub label: String,
    /// RFC 1421 headers (name, value), e.g. `Proc-Type`, `DEK-Info`.
    pub headers: Vec<(String, String)>,
    pub der: Vec<u8>,
    /// The block's text from BEGIN through END line as it is in the file, for parsers that need the
    /// original (legacy keys).
    pub text: String,
}

/// At most this many blocks are read from one file (a bound against hostile input).
pub const MAX_BLOCKS: usize = 10_000;

/// Whether `data` looks like PEM at all (contains a BEGIN line).
pub fn looks_like_pem(data: &[u8]) -> bool {
    data.windows(11).any(|w| w == b"-----BEGIN ")
}

/// The blocks of `data`, in order, decoded one at a time as the caller asks for them, so that a file of
/// thousands of certificates never holds all of its decoded blocks at once. Malformed blocks (bad
/// base64, missing END) come as `Err(label)` entries so callers can say what was wrong instead of
/// "nothing found". At most [`MAX_BLOCKS`] entries are produced.
pub fn parse(data: &[u8]) -> Blocks<'_> {
    Blocks {
        text: String::from_utf8_lossy(data),
        pos: 0,
        produced: 0,
    }
}

/// Iterator over the PEM blocks of one file; see [`parse`].
pub struct Blocks<'a> {
    text: std::borrow::Cow<'a, str>,
    /// Byte offset of the first line not yet looked at.
    pos: usize,
    produced: usize,
}

impl Blocks<'_> {
    /// The next line (without its line ending), advancing past it.
    fn next_line(&mut self) -> Option<&str> {
        let rest = self.text.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let (line, used) = match rest.find('\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += used;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

impl Iterator for Blocks<'_> {
    type Item = Result<Block, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.produced >= MAX_BLOCKS {
            return None;
        }
        let (label, start) = loop {
            let start = self.pos;
            let line = self.next_line()?.trim_end();
            if let Some(label) = line
                .strip_prefix("-----BEGIN ")
                .and_then(|l| l.strip_suffix("-----"))
            {
                break (label.to_string(), start);
            }
        };
        self.produced += 1;
        let end = format!("-----END {label}-----");
        // Sized up front: growing the output line by line cost a copy and a fresh allocator page
        // per doubling, a measurable part of loading a certificate file.
        let rest = self.text.get(self.pos..).unwrap_or_default();
        let span = rest.find("\n-----END ").map_or(rest.len(), |i| i + 1);
        let mut headers = Vec::new();
        let mut b64 = Base64Decoder::with_capacity(span);
        let mut in_headers = true;
        let mut ended = false;
        while let Some(l) = self.next_line() {
            let l = l.trim_end();
            if l == end {
                ended = true;
                break;
            }
            if in_headers {
                if l.is_empty() {
                    in_headers = false;
                    continue;
                }
                if let Some((k, v)) = l.split_once(':') {
                    if !k.contains(' ') && !k.is_empty() {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                        continue;
                    }
                }
                in_headers = false;
            }
            b64.feed(l.trim().as_bytes());
        }
        if !ended {
            return Some(Err(label));
        }
        Some(match b64.finish() {
            Some(der) => Ok(Block {
                label,
                headers,
                der,
                text: self
                    .text
                    .get(start..self.pos)
                    .unwrap_or_default()
                    .to_string(),
            }),
            None => Err(label),
        })
    }
}

/// Encode as PEM with 64-character lines, as OpenSSL writes.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b = base64_encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        s.push_str(&String::from_utf8_lossy(chunk));
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Value of each base64 character; `SKIP` for whitespace, `PAD` for '=', `BAD` for anything else.
const SKIP: u8 = 0x40;
const PAD: u8 = 0x41;
const BAD: u8 = 0xff;
static B64: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'=' as usize] = PAD;
    // the characters `u8::is_ascii_whitespace` accepts
    t[b' ' as usize] = SKIP;
    t[b'\t' as usize] = SKIP;
    t[b'\n' as usize] = SKIP;
    t[0x0c] = SKIP;
    t[b'\r' as usize] = SKIP;
    t
};

/// Base64 decoding that ignores whitespace and fails (`None`) on any other stray character or bad
/// padding, fed line by line. Table-driven with a four-character fast path: every certificate and
/// key file goes through here at each start.
struct Base64Decoder {
    out: Vec<u8>,
    acc: u32,
    nbits: u32,
    pad: u32,
    bad: bool,
}

impl Base64Decoder {
    /// Room for the decoding of `text_len` characters of base64.
    fn with_capacity(text_len: usize) -> Self {
        Base64Decoder {
            out: Vec::with_capacity(text_len / 4 * 3 + 3),
            acc: 0,
            nbits: 0,
            pad: 0,
            bad: false,
        }
    }

    fn feed(&mut self, text: &[u8]) {
        let mut rest = text;
        while !self.bad && !rest.is_empty() {
            if let (0, 0, [a, b, c, d, ..]) = (self.nbits, self.pad, rest) {
                let v = [a, b, c, d].map(|ch| u32::from(B64[usize::from(*ch)]));
                if v.iter().all(|&x| x < u32::from(SKIP)) {
                    let n = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
                    self.out.extend_from_slice(&n.to_be_bytes()[1..]);
                    rest = &rest[4..];
                    continue;
                }
            }
            self.one(rest[0]);
            rest = &rest[1..];
        }
    }

    fn one(&mut self, ch: u8) {
        let v = B64[usize::from(ch)];
        if v < SKIP {
            if self.pad > 0 {
                self.bad = true;
                return;
            }
            self.acc = (self.acc << 6) | u32::from(v);
            self.nbits += 6;
            if self.nbits >= 8 {
                self.nbits -= 8;
                self.out.push((self.acc >> self.nbits) as u8);
                self.acc &= (1 << self.nbits) - 1;
            }
        } else if v == PAD {
            self.pad += 1;
        } else if v == BAD {
            self.bad = true;
        }
    }

    fn finish(self) -> Option<Vec<u8>> {
        (!self.bad && self.pad <= 2 && self.nbits < 6).then_some(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64_decode(s: &str) -> Option<Vec<u8>> {
        let mut d = Base64Decoder::with_capacity(s.len());
        d.feed(s.as_bytes());
        d.finish()
    }

    #[test]
    fn base64_round_trip() {
        for n in 0..70u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(
                base64_decode(&base64_encode(&data)).as_deref(),
                Some(&data[..])
            );
        }
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
        assert!(base64_decode("Zm9v!").is_none());
    }

    #[test]
    fn base64_whitespace_padding_and_strays() {
        // the five ASCII whitespace characters are skipped anywhere, nothing else is
        assert_eq!(
            base64_decode(" Zm\t9v\nYg\x0c=\r= ").as_deref(),
            Some(&b"foob"[..])
        );
        for bad in ["Zm9v\x0bYg==", "Zm9v\0", "Zm9v\u{e9}", "Zm-v", "Zm_v"] {
            assert!(base64_decode(bad).is_none(), "{bad:?}");
        }
        // data after padding, too much padding, a dangling 6 bits
        assert!(base64_decode("Zg==Zg==").is_none());
        assert!(base64_decode("Zg===").is_none());
        assert!(base64_decode("Zm9vY").is_none());
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
    }

    #[test]
    fn fed_in_pieces_decodes_as_a_whole() {
        // The four-character fast path must agree with the character-by-character path at any
        // alignment, including padding and strays that fall inside a group of four.
        let long = "TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsu".repeat(3);
        let inputs = [
            long.as_str(),
            "TWFu eSBo\tYW5k",
            "Zm9vYg==",
            "Zm9vYmE=",
            "Zg==Zg==",
            "Zm9vYmFy*Zm9v",
            "Zm9vY",
            "Zm9v=Zm9v",
        ];
        for text in inputs {
            let whole = base64_decode(text);
            for split in 0..=text.len() {
                let mut d = Base64Decoder::with_capacity(text.len());
                d.feed(&text.as_bytes()[..split]);
                d.feed(&text.as_bytes()[split..]);
                assert_eq!(d.finish(), whole, "{text:?} split at {split}");
            }
        }
        assert_eq!(
            base64_decode(&long).as_deref(),
            Some(&b"Many hands make light work.".repeat(3)[..])
        );
    }

    #[test]
    fn skips_text_and_reads_headers() {
        let s = "junk\n-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nZm9v\n-----END X-----\n\
                 more\n-----BEGIN Y-----\nYmFy\n-----END Y-----\n-----BEGIN Z-----\nYmFy\n";
        let b: Vec<_> = parse(s.as_bytes()).collect();
        assert_eq!(b.len(), 3);
        let x = b[0].as_ref().ok();
        assert_eq!(x.map(|x| x.der.as_slice()), Some(&b"foo"[..]));
        assert_eq!(x.map(|x| x.headers.len()), Some(2));
        assert_eq!(b[1].as_ref().ok().map(|y| y.label.as_str()), Some("Y"));
        assert!(b[2].is_err());
    }
}
