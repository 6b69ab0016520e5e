//! Credentials: certificates, private and public keys, CSRs, CRLs, PKCS#12 files, pass phrase sources,
//! distinguished names and the digest/MAC algorithms named on the command line.
//!
//! Loaders take plain strings and paths; callers add which option was involved. Every error names the
//! file and what was being loaded (`desc`, e.g. "CMP signer certificate"), and never contains a secret.
//! Files are read the way OpenSSL's `OSSL_STORE` reads them: the format (PEM, DER, PKCS#12) is detected
//! from the content, whatever the file name says.

pub mod alg;
pub mod cert;
pub mod crl;
pub mod csr;
pub mod dn;
mod evp;
pub mod key;
pub mod pass;
pub mod pem;
mod pkcs12;
#[cfg(test)]
mod tests_openssl;

pub use alg::{random_bytes, sig_alg, sig_alg_for, Digest, KeyKind, MacAlg};
pub use cert::{load_cert, load_cert_with_chain, load_certs, Cert};
pub use crl::{load_crls, Crl};
pub use csr::{load_csr, Csr};
#[cfg(test)]
pub use dn::parse_dn;
pub use dn::{names_equal, oneline};
pub(crate) use evp::sha256_rounds;
#[cfg(test)]
pub use key::{generate_key, load_pubkey, KeySpec};
pub use key::{
    load_key, load_key_or_pubkey, pss_hash, signature_verifies, verify_signature, KeyOrPub,
    KeyType, PrivateKey,
};
pub use pass::{get_passwd, Secret};

use crate::error::{Error, Result};

/// Files larger than this are refused (certificates, keys and CRLs are far smaller; the bound keeps a
/// mistaken `-trusted /dev/zero` from eating memory).
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Read a whole credentials file, with an error naming what was being loaded.
pub(crate) fn read_file(file: &str, desc: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(file).map_err(|e| {
        Error::cmp(format!(
            "cannot load {desc}: cannot open '{file}': {}",
            io_reason(&e)
        ))
    })?;
    let mut data = Vec::with_capacity(read_capacity(&f, MAX_FILE_SIZE));
    f.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut data)
        .map_err(|e| {
            Error::cmp(format!(
                "cannot load {desc}: cannot read '{file}': {}",
                io_reason(&e)
            ))
        })?;
    if data.len() as u64 > MAX_FILE_SIZE {
        return Err(Error::cmp(format!(
            "cannot load {desc} from '{file}': file is larger than {MAX_FILE_SIZE} bytes"
        )));
    }
    Ok(data)
}

/// A buffer size for reading all of `f` (at most `limit` bytes) in one `read`: reading through `take`
/// hides the file size from `read_to_end`, which then starts with 32 bytes and doubles, about ten
/// system calls for a certificate file. One byte more than the size lets the last read see the end.
pub(crate) fn read_capacity(f: &std::fs::File, limit: u64) -> usize {
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    usize::try_from(size.min(limit)).map_or(0, |n| n + 1)
}

/// The OS's text for an I/O error without Rust's "(os error N)" suffix, as OpenSSL prints it.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Split a list of sources the way OpenSSL's `-trusted`, `-untrusted`, `-extracerts` ... do: items are
/// separated by commas and/or whitespace; empty items are dropped.
pub fn split_sources(sources: &str) -> Vec<&str> {
    sources
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect()
}

/// What a credentials file holds, in words, judged from its PEM labels (or, for DER, from what it
/// parses as): for hints when a file is given to the wrong option. `None` when it is none of these.
pub(crate) fn holds(data: &[u8]) -> Option<&'static str> {
    if pem::looks_like_pem(data) {
        let labels: Vec<String> = pem::parse(data).flatten().map(|b| b.label).collect();
        let has = |f: &dyn Fn(&str) -> bool| labels.iter().any(|l| f(l));
        return if has(&|l| l.ends_with("PRIVATE KEY")) {
            Some("a private key")
        } else if has(&|l| l.ends_with("CERTIFICATE")) {
            Some("a certificate")
        } else if has(&|l| l.ends_with("CERTIFICATE REQUEST")) {
            Some("a certificate request (CSR)")
        } else if has(&|l| l == "X509 CRL") {
            Some("a CRL")
        } else if has(&|l| l == "PUBLIC KEY") {
            Some("a public key")
        } else {
            None
        };
    }
    if pkcs12::is_pkcs12(data) {
        Some("a PKCS#12 file")
    } else if cert::Cert::from_der(data).is_ok() {
        Some("a certificate")
    } else if csr::Csr::from_der(data).is_ok() {
        Some("a certificate request (CSR)")
    } else if crl::Crl::from_der(data).is_ok() {
        Some("a CRL")
    } else {
        None
    }
}

/// `err` with a hint naming the file and what it holds instead of `wanted` (e.g. "a private key").
pub(crate) fn wrong_kind(err: crate::Error, file: &str, data: &[u8], wanted: &str) -> crate::Error {
    match holds(data) {
        Some(what) if what != wanted => err.with_hint(format!(
            "'{file}' holds {what}, not {wanted}: check which file goes to which option"
        )),
        _ => err,
    }
}

/// The DER of the first TLV in `data` (used to take the exact signed bytes out of a signed structure).
pub(crate) fn first_tlv(data: &[u8]) -> Option<&[u8]> {
    let (hdr, len) = tlv_header(data)?;
    data.get(..hdr.checked_add(len)?)
}

/// The content of the outer TLV of `data`.
pub(crate) fn tlv_content(data: &[u8]) -> Option<&[u8]> {
    let (hdr, len) = tlv_header(data)?;
    data.get(hdr..hdr.checked_add(len)?)
}

/// A DER TLV with a low tag number and `content` (definite length, shortest form): the one encoder
/// for the few structures built by hand rather than through `der`'s types (see docs/DESIGN.md for why
/// `der` does not do these).
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let n = content.len();
    let mut v = vec![tag];
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let len: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        v.push(0x80 | len.len() as u8);
        v.extend(len);
    }
    v.extend_from_slice(content);
    v
}

/// (header length, content length) of the DER TLV at the start of `data`, read by `der`'s reader
/// (which refuses indefinite and non-minimal lengths, as DER does).
fn tlv_header(data: &[u8]) -> Option<(usize, usize)> {
    use der::{Decode, Reader};
    let mut reader = der::SliceReader::new(data).ok()?;
    let header = der::Header::decode(&mut reader).ok()?;
    let hdr = usize::try_from(reader.position()).ok()?;
    Some((hdr, usize::try_from(header.length()).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_split_on_commas_and_space() {
        assert_eq!(
            split_sources("a.pem,b.pem  c.pem,\td.pem,,"),
            vec!["a.pem", "b.pem", "c.pem", "d.pem"]
        );
        assert!(split_sources(" , ").is_empty());
    }

    #[test]
    fn missing_file_names_file_and_desc() {
        let e = read_file("idontexist", "CMP signer certificate")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("cannot load CMP signer certificate: cannot open 'idontexist': No such file or directory")
        );
    }

    #[test]
    fn tlv_helpers() {
        let d = [0x30, 0x03, 0x02, 0x01, 0x05, 0xff];
        assert_eq!(first_tlv(&d), Some(&d[..5]));
        assert_eq!(tlv_content(&d), Some(&d[2..5]));
        assert_eq!(first_tlv(&[0x30, 0x05, 0x00]), None);
        // The writer uses the shortest length form, which the reader takes back.
        assert_eq!(tlv(0x04, &[7]), [0x04, 0x01, 7]);
        let long = tlv(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(tlv_content(&long).map(<[u8]>::len), Some(300));
    }
}
