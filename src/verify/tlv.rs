//! Minimal DER TLV walking, to take the exact signed bytes out of a signed structure (re-encoding a
//! decoded structure could change them).

/// Header length and content length of the TLV at the start of `data`.
fn header(data: &[u8]) -> Option<(usize, usize)> {
    let first_len = *data.get(1)?;
    if first_len < 0x80 {
        return Some((2, first_len as usize));
    }
    let n = (first_len & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *data.get(2 + i)? as usize;
    }
    Some((2 + n, len))
}

/// The first TLV inside the outer TLV of `data` (e.g. tbsCertificate inside Certificate).
pub(crate) fn first_inner_tlv(data: &[u8]) -> Option<&[u8]> {
    let (h, len) = header(data)?;
    let content = data.get(h..h.checked_add(len)?)?;
    let (h2, len2) = header(content)?;
    content.get(..h2.checked_add(len2)?)
}
