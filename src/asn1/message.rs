//! PKIMessage and PKIMessages (RFC 9810 section 5.1), ProtectedPart (section 5.1.3), and the bounded
//! decoder every received message goes through.

use der::asn1::BitString;
use der::{Decode, Encode, Reader, Sequence, SliceReader};

use super::body::PkiBody;
use super::certrep::CmpCertificate;
use super::header::PkiHeader;
use crate::error::{Error, Result};

/// Largest CMP message rcmp accepts (OpenSSL's HTTP client caps responses at 100 kB by default; a
/// message with big CRLs or many extraCerts may legitimately exceed that, so be generous but finite).
pub const MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// Deepest chain of `nested` bodies accepted (a message inside a message inside a message ...).
/// RFC 9810 section 5.1.3.4 needs one level per RA on the path; a few suffice.
pub const MAX_NESTING: usize = 4;

/// ```text
/// PKIMessage ::= SEQUENCE {
///     header           PKIHeader,
///     body             PKIBody,
///     protection   [0] PKIProtection OPTIONAL,
///     extraCerts   [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate
///                   OPTIONAL }
/// PKIProtection ::= BIT STRING
/// ```
/// RFC 9810 section 5.1 (EXPLICIT tags).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiMessage {
    pub header: PkiHeader,
    pub body: PkiBody,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub protection: Option<BitString>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub extra_certs: Option<Vec<CmpCertificate>>,
}

impl PkiMessage {
    /// Decodes a received message: refuses more than [`MAX_MESSAGE_SIZE`] bytes, trailing data, and
    /// `nested` bodies deeper than [`MAX_NESTING`] (der itself bounds ASN.1 nesting, so decoding cannot
    /// exhaust the stack). `what` names the source for the error text, e.g. the file or URL.
    pub fn from_der_bounded(bytes: &[u8], what: &str) -> Result<Self> {
        if bytes.len() > MAX_MESSAGE_SIZE {
            return Err(cmp_err!(
                "CMP message from {what} is too large ({} bytes, at most {MAX_MESSAGE_SIZE} accepted)",
                bytes.len()
            ));
        }
        let msg = PkiMessage::from_der(bytes)
            .map_err(|e| cmp_err!("cannot decode CMP message from {what}: {e}"))?;
        if msg.nesting_depth() > MAX_NESTING {
            return Err(cmp_err!(
                "CMP message from {what} nests messages deeper than {MAX_NESTING} levels"
            ));
        }
        Ok(msg)
    }

    /// DER encoding of the whole message.
    pub fn to_der_vec(&self) -> Result<Vec<u8>> {
        self.to_der()
            .map_err(|e| cmp_err!("cannot encode CMP message: {e}"))
    }

    /// Number of `nested` levels below this message (0 for a plain message).
    pub fn nesting_depth(&self) -> usize {
        match &self.body {
            PkiBody::Nested(msgs) => {
                1 + msgs
                    .iter()
                    .map(PkiMessage::nesting_depth)
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// The DER of ProtectedPart (header and body) of this message.
    pub fn protected_part_der(&self) -> Result<Vec<u8>> {
        protected_part_der(&self.header, &self.body)
    }
}

/// DER of `ProtectedPart ::= SEQUENCE { header, body }`, the input to signing or MACing.
pub fn protected_part_der(header: &PkiHeader, body: &PkiBody) -> Result<Vec<u8>> {
    // Encode by reference: cloning a body with many certificates just to encode it would be wasteful.
    let h = header.to_der().map_err(enc_err)?;
    let b = body.to_der().map_err(enc_err)?;
    let len = der::Length::try_from(h.len() + b.len()).map_err(enc_err)?;
    let mut out = Vec::with_capacity(h.len() + b.len() + 6);
    der::Header::new(der::Tag::Sequence, len)
        .encode_to_vec(&mut out)
        .map_err(enc_err)?;
    out.extend_from_slice(&h);
    out.extend_from_slice(&b);
    Ok(out)
}

/// DER of ProtectedPart taken from a received message's own bytes: its header and body TLVs copied as they
/// came. Use this to check received protection: re-encoding decoded certificates is not always
/// byte-identical (x509-cert re-encodes a GeneralizedTime validity before 2050 as UTCTime, as RFC 5280
/// requires), and a MAC or signature must cover exactly what the peer sent.
pub fn protected_part_der_raw(message_der: &[u8]) -> Result<Vec<u8>> {
    let dec_err = |e: der::Error| cmp_err!("cannot decode CMP message: {e}");
    let mut reader = SliceReader::new(message_der).map_err(dec_err)?;
    let (header, body) = reader
        .sequence(|seq| {
            let header = seq.tlv_bytes()?;
            let body = seq.tlv_bytes()?;
            seq.read_slice(seq.remaining_len())?;
            Ok::<_, der::Error>((header, body))
        })
        .map_err(dec_err)?;
    wrap_sequence(&[header, body])
}

fn wrap_sequence(parts: &[&[u8]]) -> Result<Vec<u8>> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let len = der::Length::try_from(total).map_err(enc_err)?;
    let mut out = Vec::with_capacity(total + 6);
    der::Header::new(der::Tag::Sequence, len)
        .encode_to_vec(&mut out)
        .map_err(enc_err)?;
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(out)
}

fn enc_err(e: der::Error) -> Error {
    cmp_err!("cannot encode CMP message protected part: {e}")
}
