//! Certificate responses (ip, cp, kup, ccp): CertRepMessage and its parts (RFC 9810 section 5.3.4).

use der::asn1::OctetString;
use der::{Any, Choice, Sequence};
use x509_cert::Certificate;

use super::status::PkiStatusInfo;

/// ```text
/// CMPCertificate ::= CHOICE { x509v3PKCert Certificate, ... }
/// ```
/// RFC 9810 section 5.1 (only the X.509 alternative exists, so it is a plain Certificate).
pub type CmpCertificate = Certificate;

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
