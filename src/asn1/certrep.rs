//! Certificate responses (ip, cp, kup, ccp): CertRepMessage and its parts (RFC 9810 section 5.3.4).

use der::asn1::OctetString;
use der::{
    Any, Choice, Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader,
    Sequence, SliceReader, Tag, Writer,
};
use x509_cert::Certificate;

use super::status::PkiStatusInfo;

/// ```text
/// CMPCertificate ::= CHOICE { x509v3PKCert Certificate, ... }
/// ```
/// RFC 9810 section 5.1 (only the X.509 alternative exists): a decoded certificate together with
/// the bytes it came as. OpenSSL keeps a received certificate's encoding and writes that, so a
/// certificate that is BER but not DER (an explicitly encoded DEFAULT version, say) is saved by
/// `-certout`, `-extracertsout` and `-cacertsout` as the CA signed it; encoding the decoded form
/// again would change the signed bytes and break the signature. Encoding writes the kept bytes.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CmpCertificate {
    cert: Certificate,
    der: Vec<u8>,
    /// Length of the SEQUENCE header at the start of `der`.
    header_len: usize,
}

impl CmpCertificate {
    /// A loaded certificate, to be sent with the bytes it was loaded as (as OpenSSL sends it).
    pub fn from_cert(cert: &crate::creds::Cert) -> der::Result<Self> {
        Self::with_der(cert.cert().clone(), cert.der().to_vec())
    }

    fn with_der(cert: Certificate, der: Vec<u8>) -> der::Result<Self> {
        let header = Header::decode(&mut SliceReader::new(&der)?)?;
        let header_len = usize::try_from(header.encoded_len()?)?;
        Ok(CmpCertificate {
            cert,
            der,
            header_len,
        })
    }

    /// The bytes the certificate came as (or, for one of our own, its DER).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate for credential and verification code, with the bytes it came as.
    pub fn to_cert(&self) -> crate::creds::Cert {
        crate::creds::Cert::from_parts(self.cert.clone(), self.der.clone())
    }
}

impl std::ops::Deref for CmpCertificate {
    type Target = Certificate;
    fn deref(&self) -> &Certificate {
        &self.cert
    }
}

impl FixedTag for CmpCertificate {
    const TAG: Tag = Tag::Sequence;
}

impl<'a> DecodeValue<'a> for CmpCertificate {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let mut der = header.to_der()?;
        let header_len = der.len();
        der.extend_from_slice(reader.read_slice(header.length())?);
        Ok(CmpCertificate {
            cert: Certificate::from_der(&der)?,
            der,
            header_len,
        })
    }
}

impl EncodeValue for CmpCertificate {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.der.len().saturating_sub(self.header_len))
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.der.get(self.header_len..).unwrap_or_default())
    }
}

/// ```text
/// CertRepMessage ::= SEQUENCE {
///     caPubs          [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate
///                         OPTIONAL,
///     response            SEQUENCE OF CertResponse }
/// ```
/// RFC 9810 section 5.3.4 (EXPLICIT tag).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertRepMessage {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub ca_pubs: Option<Vec<CmpCertificate>>,
    pub response: Vec<CertResponse>,
}

/// ```text
/// CertResponse ::= SEQUENCE {
///     certReqId           INTEGER,
///     status              PKIStatusInfo,
///     certifiedKeyPair    CertifiedKeyPair    OPTIONAL,
///     rspInfo             OCTET STRING        OPTIONAL
///     -- analogous to the id-regInfo-utf8Pairs string defined
///     -- for regInfo in CertReqMsg [RFC4211]
/// }
/// ```
/// RFC 9810 section 5.3.4.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertResponse {
    pub cert_req_id: i64,
    pub status: PkiStatusInfo,
    #[asn1(optional = "true")]
    pub certified_key_pair: Option<CertifiedKeyPair>,
    #[asn1(optional = "true")]
    pub rsp_info: Option<OctetString>,
}

/// ```text
/// CertifiedKeyPair ::= SEQUENCE {
///     certOrEncCert       CertOrEncCert,
///     privateKey      [0] EncryptedKey        OPTIONAL,
///     -- See [RFC4211] for comments on encoding.
///     publicationInfo [1] PKIPublicationInfo  OPTIONAL }
/// EncryptedKey ::= CHOICE {
///     encryptedValue        EncryptedValue, -- Deprecated
///     envelopedData     [0] EnvelopedData }
/// ```
/// RFC 9810 section 5.3.4 (EXPLICIT tags). The EncryptedKey and PKIPublicationInfo are kept as raw `ANY`
/// (the complete inner TLV) for the code that decrypts or interprets them.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertifiedKeyPair {
    pub cert_or_enc_cert: CertOrEncCert,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub private_key: Option<Any>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub publication_info: Option<Any>,
}

/// ```text
/// CertOrEncCert ::= CHOICE {
///     certificate     [0] CMPCertificate,
///     encryptedCert   [1] EncryptedKey }
/// ```
/// RFC 9810 section 5.3.4 (EXPLICIT tags). The EncryptedKey is kept as raw `ANY`.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
#[allow(clippy::large_enum_variant)]
pub enum CertOrEncCert {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", constructed = "true")]
    Certificate(CmpCertificate),
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    EncryptedCert(Any),
}

impl CertRepMessage {
    /// The response for a certReqId.
    pub fn response_for(&self, cert_req_id: i64) -> Option<&CertResponse> {
        self.response.iter().find(|r| r.cert_req_id == cert_req_id)
    }
}

impl CertResponse {
    /// The plain certificate, when the response carries one (not an encrypted one).
    pub fn certificate(&self) -> Option<&CmpCertificate> {
        match &self.certified_key_pair.as_ref()?.cert_or_enc_cert {
            CertOrEncCert::Certificate(c) => Some(c),
            CertOrEncCert::EncryptedCert(_) => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use der::{Decode, Encode};
    use x509_cert::Certificate;

    use super::CmpCertificate;

    /// A certificate whose TBS carries the DEFAULT version v1 explicitly: BER, not DER, and
    /// accepted by the decoder. Its bytes must survive decoding, sending and saving unchanged.
    pub(crate) fn explicit_v1_cert() -> Vec<u8> {
        let pem = include_str!("../../fixtures/creds/p256.crt");
        let der = crate::creds::pem::parse(pem.as_bytes())
            .next()
            .and_then(|b| b.ok())
            .map(|b| b.der)
            .unwrap_or_default();
        let version = [0xa0, 0x03, 0x02, 0x01, 0x02];
        let at = der
            .windows(version.len())
            .position(|w| w == version)
            .unwrap_or_default();
        let mut ber = der;
        ber[at + 4] = 0x00;
        ber
    }

    #[test]
    fn keeps_the_bytes_it_was_decoded_from() {
        let ber = explicit_v1_cert();
        let plain = Certificate::from_der(&ber).expect("the decoder takes an explicit v1");
        assert_ne!(
            plain.to_der().ok(),
            Some(ber.clone()),
            "x509-cert re-encodes as DER"
        );
        let cert = CmpCertificate::from_der(&ber).expect("decodes");
        assert_eq!(cert.der(), &ber[..]);
        assert_eq!(cert.to_der().ok(), Some(ber.clone()));
        assert_eq!(cert.to_cert().der(), &ber[..]);
        // Inside a SEQUENCE OF, as in extraCerts and caPubs.
        let list = vec![cert.clone(), cert];
        let encoded = list.to_der().expect("encodes");
        let back = Vec::<CmpCertificate>::from_der(&encoded).expect("decodes again");
        assert!(back.iter().all(|c| c.der() == &ber[..]));
    }
}
