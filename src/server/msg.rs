//! Reading a request PKIMessage (RFC 9810 section 5.1) and the name and time helpers the checks share.
//!
//! The header is decoded with the shared asn1 types; the body stays the bytes as received until its
//! handler decodes it, so a malformed body is answered (after the protection checks) like OpenSSL's
//! mock answers it, and the protected part and POPO inputs are checked exactly as they were sent.

use der::asn1::{AnyRef, BitStringRef};
use der::{Decode, Encode, Sequence};
use x509_cert::name::Name;

use crate::asn1::PkiHeader;
use crate::error::{Error, Result};

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
    crate::asn1::body_type_name(t.into()).unwrap_or("unknown")
}

/// Bound on extraCerts accepted in one request (OpenSSL's mock has none; requests are at most 1 MiB).
const MAX_EXTRA_CERTS: usize = 1000;

/// PKIMessage with the body and extraCerts left undecoded (see the module header).
#[derive(Sequence)]
struct Envelope<'a> {
    header: PkiHeader,
    body: AnyRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    protection: Option<BitStringRef<'a>>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    extra_certs: Option<Vec<AnyRef<'a>>>,
}

/// A received PKIMessage.
pub struct Request<'a> {
    pub raw: &'a [u8],
    pub header: PkiHeader,
    /// The sender's Name when it is a directoryName.
    pub sender_dn: Option<Name>,
    /// The body's choice number.
    pub body_type: u8,
    /// The body's content (the one element inside the EXPLICIT tag), as received.
    pub body: &'a [u8],
    /// The protection BIT STRING's bits (without the unused-bits octet).
    pub protection: Option<&'a [u8]>,
    /// extraCerts (DER), as received.
    pub extra_certs: Vec<Vec<u8>>,
}

impl<'a> Request<'a> {
    pub fn parse(der: &'a [u8]) -> Result<Request<'a>> {
        let bad = |e: der::Error| Error::cmp(format!("malformed PKIMessage: {e}"));
        let env = Envelope::from_der(der).map_err(bad)?;
        let der::Tag::ContextSpecific {
            constructed: true,
            number,
        } = der::Tagged::tag(&env.body)
        else {
            return Err(Error::cmp(
                "malformed PKIMessage: body is not a context-specific tag",
            ));
        };
        // The EXPLICIT tag holds exactly one element.
        AnyRef::from_der(env.body.value()).map_err(bad)?;
        let certs = env.extra_certs.unwrap_or_default();
        if certs.len() > MAX_EXTRA_CERTS {
            return Err(Error::cmp("too many extraCerts"));
        }
        let extra_certs: der::Result<_> = certs.iter().map(Encode::to_der).collect();
        let sender_dn = crate::asn1::directory_name(&env.header.sender).cloned();
        Ok(Request {
            raw: der,
            header: env.header,
            sender_dn,
            body_type: u8::try_from(number.value()).unwrap_or(u8::MAX),
            body: env.body.value(),
            protection: env.protection.map(|p| p.raw_bytes()),
            extra_certs: extra_certs.map_err(bad)?,
        })
    }

    /// DER of ProtectedPart ::= SEQUENCE { header, body } over the bytes as received.
    pub fn protected_part(&self) -> Result<Vec<u8>> {
        crate::asn1::protected_part_der_raw(self.raw)
    }
}

/// Unix seconds of a certificate time.
pub fn unix(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::{PkiBody, PkiMessage};
    use x509_cert::ext::pkix::name::GeneralName;

    fn header() -> PkiHeader {
        let name = Name::default();
        PkiHeader::new(
            2,
            GeneralName::DirectoryName(name.clone()),
            GeneralName::DirectoryName(name),
        )
    }

    /// SEQUENCE { header, `body` } with `body` given as raw DER.
    fn message(body: &[u8]) -> Vec<u8> {
        let mut content = header().to_der().unwrap();
        content.extend_from_slice(body);
        let mut out = vec![0x30, content.len() as u8];
        out.extend(content);
        out
    }

    #[test]
    fn keeps_the_body_as_received() {
        let msg = PkiMessage {
            header: header(),
            body: PkiBody::PkiConf(der::asn1::Null),
            protection: None,
            extra_certs: None,
        };
        let der = msg.to_der().unwrap();
        let req = Request::parse(&der).unwrap();
        assert_eq!(req.body_type, 19);
        assert_eq!(req.body, [0x05, 0x00]);
        assert_eq!(req.sender_dn, Some(Name::default()));
        assert!(req.protection.is_none() && req.extra_certs.is_empty());
        assert_eq!(
            req.protected_part().unwrap(),
            msg.protected_part_der().unwrap()
        );
    }

    #[test]
    fn malformed_envelopes_are_refused() {
        assert!(Request::parse(b"not DER").is_err());
        // A universal SEQUENCE where the body's context-specific tag belongs.
        let e = Request::parse(&message(&[0x30, 0x00])).err().unwrap();
        assert!(e.to_string().contains("not a context-specific tag"), "{e}");
        // An EXPLICIT body tag holding two elements, or none.
        assert!(Request::parse(&message(&[0xb3, 0x04, 0x05, 0x00, 0x05, 0x00])).is_err());
        assert!(Request::parse(&message(&[0xb3, 0x00])).is_err());
        // Trailing data after the message.
        let mut der = message(&[0xb3, 0x02, 0x05, 0x00]);
        assert!(Request::parse(&der).is_ok());
        der.push(0);
        assert!(Request::parse(&der).is_err());
    }
}
