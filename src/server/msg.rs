//! Reading a request PKIMessage (RFC 9810 section 5.1) and writing response messages.
//!
//! Requests are kept as slices into the received bytes, so the protected part and the parts covered
//! by POPO signatures are checked exactly as they were sent.

use super::tlv::{self, ctx_cons, Seq, Tlv};
use crate::asn1::oid;
use crate::error::{Error, Result};
use const_oid::ObjectIdentifier as Oid;

/// PKIBody choice numbers (RFC 9810 section 5.1.2).
pub mod body {
    pub const IR: u8 = 0;
    pub const IP: u8 = 1;
    pub const CR: u8 = 2;
    pub const CP: u8 = 3;
    pub const P10CR: u8 = 4;
    pub const KUR: u8 = 7;
    pub const KUP: u8 = 8;
    pub const RR: u8 = 11;
    pub const GENM: u8 = 21;
    pub const ERROR: u8 = 23;
    pub const CERTCONF: u8 = 24;
    pub const POLLREQ: u8 = 25;
}

/// The upper-case name OpenSSL logs for a body type (`received IR`, `sending IP`).
pub fn body_name(t: u8) -> &'static str {
    const NAMES: [&str; 27] = [
        "IR", "IP", "CR", "CP", "P10CR", "POPDECC", "POPDECR", "KUR", "KUP", "KRR", "KRP", "RR",
        "RP", "CCR", "CCP", "CKUANN", "CANN", "RANN", "CRLANN", "PKICONF", "NESTED", "GENM",
        "GENP", "ERROR", "CERTCONF", "POLLREQ", "POLLREP",
    ];
    NAMES.get(t as usize).copied().unwrap_or("unknown")
}

/// Bound on extraCerts accepted in one request (OpenSSL's mock has none; requests are at most 1 MiB).
const MAX_EXTRA_CERTS: usize = 1000;

/// The header fields the server looks at.
pub struct Header<'a> {
    pub pvno: i64,
    /// The sender's Name (DER) when it is a directoryName.
    pub sender_dn: Option<&'a [u8]>,
    pub protection_alg: Option<Tlv<'a>>,
    pub sender_kid: Option<&'a [u8]>,
    pub transaction_id: Option<&'a [u8]>,
    pub sender_nonce: Option<&'a [u8]>,
    pub recip_nonce: Option<&'a [u8]>,
    /// generalInfo ITAVs.
    pub general_info: Vec<Tlv<'a>>,
}

impl Header<'_> {
    /// Whether the request asks for implicit confirmation.
    pub fn implicit_confirm(&self) -> bool {
        self.general_info
            .iter()
            .any(|itav| itav_type(itav) == Some(oid::IT_IMPLICIT_CONFIRM))
    }
}

/// The infoType of an InfoTypeAndValue.
pub fn itav_type(itav: &Tlv<'_>) -> Option<Oid> {
    let mut s = Seq::new(itav, "InfoTypeAndValue").ok()?;
    tlv::read_oid(&s.next("infoType").ok()?).ok()
}

/// A received PKIMessage.
pub struct Request<'a> {
    pub raw: &'a [u8],
    pub header: Header<'a>,
    header_raw: &'a [u8],
    /// The body's choice number.
    pub body_type: u8,
    /// The body's content (inside the EXPLICIT tag).
    pub body: Tlv<'a>,
    body_raw: &'a [u8],
    /// The protection BIT STRING's bits (without the unused-bits octet).
    pub protection: Option<&'a [u8]>,
    pub extra_certs: Vec<&'a [u8]>,
}

impl<'a> Request<'a> {
    pub fn parse(der: &'a [u8]) -> Result<Request<'a>> {
        let top = tlv::parse_one(der)?;
        let mut s = Seq::new(&top, "PKIMessage")?;
        let h = s.next("header")?;
        let header = parse_header(&h)?;
        let b = s.next("body")?;
        if b.tag & 0xe0 != 0xa0 {
            return Err(Error::cmp(
                "malformed PKIMessage: body is not a context-specific tag",
            ));
        }
        let body_type = b.tag & 0x1f;
        let body = b.inner()?;
        let protection = match s.opt(ctx_cons(0)) {
            Some(p) => {
                let bits = p.inner()?.expect_tag(tlv::BIT_STRING, "protection")?;
                Some(
                    bits.value
                        .get(1..)
                        .ok_or_else(|| Error::cmp("empty protection"))?,
                )
            }
            None => None,
        };
        let mut extra_certs = Vec::new();
        if let Some(x) = s.opt(ctx_cons(1)) {
            for c in x
                .inner()?
                .expect_tag(tlv::SEQUENCE, "extraCerts")?
                .children()?
            {
                if extra_certs.len() >= MAX_EXTRA_CERTS {
                    return Err(Error::cmp("too many extraCerts"));
                }
                extra_certs.push(c.raw);
            }
        }
        if s.peek().is_some() {
            return Err(Error::cmp(
                "malformed PKIMessage: unexpected trailing field",
            ));
        }
        Ok(Request {
            raw: der,
            header,
            header_raw: h.raw,
            body_type,
            body,
            body_raw: b.raw,
            protection,
            extra_certs,
        })
    }

    /// DER of ProtectedPart ::= SEQUENCE { header, body }, the input to the protection.
    pub fn protected_part(&self) -> Vec<u8> {
        tlv::seq(&[self.header_raw, self.body_raw])
    }
}

fn parse_header<'a>(h: &Tlv<'a>) -> Result<Header<'a>> {
    let mut s = Seq::new(h, "PKIHeader")?;
    let pvno = s.next("pvno")?.int()?;
    let sender = s.next("sender")?;
    let sender_dn = if sender.tag == ctx_cons(4) {
        Some(sender.inner()?.raw)
    } else {
        None
    };
    let _recipient = s.next("recipient")?;
    let _time = s.opt(ctx_cons(0));
    let protection_alg = s.opt(ctx_cons(1)).map(|t| t.inner()).transpose()?;
    let octs = |t: Option<Tlv<'a>>| -> Result<Option<&'a [u8]>> {
        t.map(|t| {
            Ok(t.inner()?
                .expect_tag(tlv::OCTET_STRING, "header field")?
                .value)
        })
        .transpose()
    };
    let sender_kid = octs(s.opt(ctx_cons(2)))?;
    let _recip_kid = s.opt(ctx_cons(3));
    let transaction_id = octs(s.opt(ctx_cons(4)))?;
    let sender_nonce = octs(s.opt(ctx_cons(5)))?;
    let recip_nonce = octs(s.opt(ctx_cons(6)))?;
    let _free_text = s.opt(ctx_cons(7));
    let general_info = match s.opt(ctx_cons(8)) {
        Some(g) => g
            .inner()?
            .expect_tag(tlv::SEQUENCE, "generalInfo")?
            .children()?,
        None => Vec::new(),
    };
    Ok(Header {
        pvno,
        sender_dn,
        protection_alg,
        sender_kid,
        transaction_id,
        sender_nonce,
        recip_nonce,
        general_info,
    })
}

/// DER of a certificate's name (subject or issuer), as the certificate carries it.
pub fn name_der(name: &x509_cert::name::Name) -> Vec<u8> {
    der::Encode::to_der(name).unwrap_or_default()
}

/// Whether two DER Names are the same as OpenSSL's X509_NAME_cmp sees them (see
/// [`crate::creds::names_equal`]); undecodable names only equal identical bytes.
pub fn names_equal(a: &[u8], b: &[u8]) -> bool {
    use der::Decode;
    a == b
        || match (
            x509_cert::name::Name::from_der(a),
            x509_cert::name::Name::from_der(b),
        ) {
            (Ok(x), Ok(y)) => crate::creds::names_equal(&x, &y),
            _ => false,
        }
}

/// A DER Name OpenSSL-style (`/CN=x/O=y`) for log lines.
pub fn name_oneline(der: &[u8]) -> String {
    use der::Decode;
    x509_cert::name::Name::from_der(der)
        .map(|n| crate::verify::oneline(&n))
        .unwrap_or_else(|_| "<invalid name>".into())
}

/// Unix seconds of a certificate time.
pub fn unix(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// keyUsage allows `bit` (or there is no keyUsage); an undecodable keyUsage allows nothing.
pub fn key_usage_allows(c: &crate::creds::Cert, bit: x509_cert::ext::pkix::KeyUsages) -> bool {
    let oid = const_oid::db::rfc5280::ID_CE_KEY_USAGE;
    match c.extension(&oid) {
        None => true,
        Some(_) => c.key_usage().is_some_and(|ku| ku.0.contains(bit)),
    }
}
