//! Just enough DER reading to find the few fields the lean load generator looks at in a response,
//! without decoding the certificates around them (a full decode of OpenSSL's ip, with caPubs and
//! extraCerts, would cost more than the rest of an enrollment on the client side).

/// One element: its tag byte, its content, and the whole encoding (tag, length and content).
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub whole: &'a [u8],
}

/// The element at the start of `buf` and what follows it.
pub fn read(buf: &[u8]) -> Result<(Tlv<'_>, &[u8]), String> {
    let tag = *buf.first().ok_or("truncated DER: no tag")?;
    if tag & 0x1f == 0x1f {
        return Err(format!("unexpected multi-byte DER tag 0x{tag:02x}"));
    }
    let l0 = *buf.get(1).ok_or("truncated DER: no length")?;
    let (hlen, len) = if l0 < 0x80 {
        (2, l0 as usize)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 {
            return Err(format!("unsupported DER length form 0x{l0:02x}"));
        }
        let bytes = buf.get(2..2 + n).ok_or("truncated DER length")?;
        (
            2 + n,
            bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize),
        )
    };
    let end = hlen
        .checked_add(len)
        .filter(|e| *e <= buf.len())
        .ok_or_else(|| {
            format!(
                "truncated DER: element of {len} bytes, {} left",
                buf.len() - hlen
            )
        })?;
    Ok((
        Tlv {
            tag,
            value: &buf[hlen..end],
            whole: &buf[..end],
        },
        &buf[end..],
    ))
}

/// The elements of a constructed value, in order.
pub fn children(mut value: &[u8]) -> Result<Vec<Tlv<'_>>, String> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (t, rest) = read(value)?;
        out.push(t);
        value = rest;
    }
    Ok(out)
}

/// Reads a single element that must have the given tag.
pub fn expect<'a>(buf: &'a [u8], tag: u8, what: &str) -> Result<Tlv<'a>, String> {
    let (t, _) = read(buf)?;
    if t.tag != tag {
        return Err(format!(
            "{what}: expected tag 0x{tag:02x}, found 0x{:02x}",
            t.tag
        ));
    }
    Ok(t)
}

/// The value of a small non-negative INTEGER.
pub fn small_int(t: &Tlv<'_>) -> Result<i64, String> {
    if t.tag != 0x02 || t.value.is_empty() || t.value.len() > 8 {
        return Err(format!(
            "expected a small INTEGER, found tag 0x{:02x}",
            t.tag
        ));
    }
    let neg = t.value[0] & 0x80 != 0;
    let v = t
        .value
        .iter()
        .fold(if neg { -1i64 } else { 0 }, |a, b| (a << 8) | *b as i64);
    Ok(v)
}

/// DER SEQUENCE header for `len` content bytes.
pub fn seq_header(len: usize) -> Vec<u8> {
    let mut out = vec![0x30];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let b = len.to_be_bytes();
        let skip = b.iter().take_while(|x| **x == 0).count();
        out.push(0x80 | (b.len() - skip) as u8);
        out.extend_from_slice(&b[skip..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_forms() {
        let mut d = vec![0x30, 0x82, 0x01, 0x00];
        d.extend(std::iter::repeat_n(0u8, 256));
        d.push(0x05);
        let (t, rest) = read(&d).unwrap();
        assert_eq!(t.tag, 0x30);
        assert_eq!(t.value.len(), 256);
        assert_eq!(t.whole.len(), 260);
        assert_eq!(rest, &[0x05]);
        assert!(read(&d[..100]).is_err());
        assert_eq!(seq_header(256), vec![0x30, 0x82, 0x01, 0x00]);
        assert_eq!(seq_header(5), vec![0x30, 0x05]);
        let (i, _) = read(&[0x02, 0x01, 0xff]).unwrap();
        assert_eq!(small_int(&i).unwrap(), -1);
    }
}
