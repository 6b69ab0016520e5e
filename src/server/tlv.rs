//! Minimal DER reading and writing for the mock server's messages.
//!
//! The server must keep the exact bytes of what it received (the protected part of a request, the
//! `CertRequest` a POPO signature covers, certificates it echoes), so it walks the DER as
//! tag-length-value slices instead of decoding into owned structures and re-encoding. Only definite
//! lengths (DER) are accepted; nesting depth and sizes are bounded by the input slice itself.

use crate::error::{Error, Result};
use const_oid::ObjectIdentifier as Oid;

/// Universal tags used here.
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const SEQUENCE: u8 = 0x30;

/// Context-specific constructed tag `[n]` (n < 31), as used for EXPLICIT tags and constructed IMPLICIT ones.
pub const fn ctx_cons(n: u8) -> u8 {
    0xa0 | n
}
/// Context-specific primitive tag `[n]` (n < 31).
pub const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

/// One DER element inside a larger buffer.
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// The whole element: tag, length and content.
    pub raw: &'a [u8],
}

fn bad(what: &str) -> Error {
    Error::cmp(format!("malformed DER: {what}"))
}

/// Read the first element of `input`, returning it and the rest.
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input
        .split_first()
        .ok_or_else(|| bad("unexpected end of data"))?;
    if tag & 0x1f == 0x1f {
        return Err(bad("high tag numbers are not used in CMP"));
    }
    let (&l0, mut rest) = rest.split_first().ok_or_else(|| bad("missing length"))?;
    let len = if l0 < 0x80 {
        l0 as usize
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad("unsupported or truncated length"));
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | b as usize;
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(bad("element longer than its container"));
    }
    let hdr_len = input.len() - rest.len();
    let value = &rest[..len];
    let raw = &input[..hdr_len + len];
    Ok((Tlv { tag, value, raw }, &rest[len..]))
}

/// Parse `input` as exactly one element.
pub fn parse_one(input: &[u8]) -> Result<Tlv<'_>> {
    let (t, rest) = read(input)?;
    if !rest.is_empty() {
        return Err(bad("trailing data after element"));
    }
    Ok(t)
}

impl<'a> Tlv<'a> {
    /// Check the tag, naming `what` in the error.
    pub fn expect_tag(self, tag: u8, what: &str) -> Result<Self> {
        if self.tag != tag {
            return Err(bad(&format!(
                "{what}: expected tag 0x{tag:02x}, got 0x{:02x}",
                self.tag
            )));
        }
        Ok(self)
    }

    /// The elements inside a constructed element.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>> {
        let mut out = Vec::new();
        let mut rest = self.value;
        while !rest.is_empty() {
            let (t, r) = read(rest)?;
            out.push(t);
            rest = r;
        }
        Ok(out)
    }

    /// The single element inside an EXPLICIT tag.
    pub fn inner(&self) -> Result<Tlv<'a>> {
        parse_one(self.value)
    }

    /// A small INTEGER value (e.g. pvno, certReqId, status); rejects values that do not fit an i64.
    pub fn int(&self) -> Result<i64> {
        if self.tag != INTEGER || self.value.is_empty() || self.value.len() > 8 {
            return Err(bad("INTEGER expected (at most 64 bits)"));
        }
        let mut v: i64 = if self.value[0] & 0x80 != 0 { -1 } else { 0 };
        for &b in self.value {
            v = (v << 8) | b as i64;
        }
        Ok(v)
    }
}

/// A cursor over the children of a SEQUENCE, for fields with optional tagged members.
pub struct Seq<'a> {
    items: Vec<Tlv<'a>>,
    pos: usize,
}

impl<'a> Seq<'a> {
    pub fn new(t: &Tlv<'a>, what: &str) -> Result<Self> {
        if t.tag != SEQUENCE {
            return Err(bad(&format!("{what}: SEQUENCE expected")));
        }
        Ok(Seq {
            items: t.children()?,
            pos: 0,
        })
    }
    /// The next element, which must be present.
    pub fn next(&mut self, what: &str) -> Result<Tlv<'a>> {
        let t = self
            .items
            .get(self.pos)
            .copied()
            .ok_or_else(|| bad(&format!("missing {what}")))?;
        self.pos += 1;
        Ok(t)
    }
    /// The next element if it carries `tag`.
    pub fn opt(&mut self, tag: u8) -> Option<Tlv<'a>> {
        let t = self.items.get(self.pos).copied()?;
        if t.tag == tag {
            self.pos += 1;
            Some(t)
        } else {
            None
        }
    }
    /// The next element, if any, whatever its tag.
    pub fn peek(&self) -> Option<Tlv<'a>> {
        self.items.get(self.pos).copied()
    }
}

// ---- writing ----

/// Encode one element.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already encoded parts.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// An INTEGER from an i64, minimally encoded.
#[cfg(test)]
pub fn int(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    tlv(INTEGER, &bytes[start..])
}

#[cfg(test)]
pub fn octets(v: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, v)
}

/// An OBJECT IDENTIFIER element.
#[cfg(test)]
pub fn oid(o: Oid) -> Vec<u8> {
    tlv(OID, o.as_bytes())
}

/// Read an OBJECT IDENTIFIER element.
pub fn read_oid(t: &Tlv<'_>) -> Result<Oid> {
    if t.tag != OID {
        return Err(bad("OBJECT IDENTIFIER expected"));
    }
    Oid::from_bytes(t.value).map_err(|_| bad("malformed OBJECT IDENTIFIER"))
}

/// Current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_roundtrip() {
        for v in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            -1,
            -128,
            -129,
            65535,
            i64::MAX,
            i64::MIN,
        ] {
            let enc = int(v);
            assert_eq!(parse_one(&enc).unwrap().int().unwrap(), v, "value {v}");
        }
        assert_eq!(int(128), vec![2, 2, 0, 128]);
        assert_eq!(int(-1), vec![2, 1, 0xff]);
    }

    #[test]
    fn oids_roundtrip() {
        for s in [
            "1.2.840.113549.1.1.11",
            "2.5.29.14",
            "1.3.6.1.5.5.7.4.13",
            "2.5.4.3",
        ] {
            let o = Oid::new_unwrap(s);
            assert_eq!(read_oid(&parse_one(&oid(o)).unwrap()).unwrap(), o);
        }
    }

    #[test]
    fn long_lengths() {
        let content = vec![7u8; 300];
        let e = tlv(OCTET_STRING, &content);
        assert_eq!(&e[..4], &[4, 0x82, 1, 44]);
        assert_eq!(parse_one(&e).unwrap().value, &content[..]);
        assert!(parse_one(&e[..100]).is_err());
    }
}
