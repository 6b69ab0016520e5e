//! Revocation request and response contents (rr, rp; RFC 9810 sections 5.3.9 and 5.3.10).

use der::Sequence;
use x509_cert::crl::CertificateList;
use x509_cert::ext::Extensions;

use super::crmf::{CertId, CertTemplate};
use super::status::PkiStatusInfo;

/// ```text
/// RevReqContent ::= SEQUENCE OF RevDetails
/// ```
/// RFC 9810 section 5.3.9.
pub type RevReqContent = Vec<RevDetails>;

/// ```text
/// RevDetails ::= SEQUENCE {
///     certDetails         CertTemplate,
///     crlEntryDetails     Extensions{{...}}    OPTIONAL }
/// ```
/// RFC 9810 section 5.3.9 (the reason code travels as a crlEntryDetails reasonCode extension).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct RevDetails {
    pub cert_details: CertTemplate,
    #[asn1(optional = "true")]
    pub crl_entry_details: Option<Extensions>,
}

/// ```text
/// RevRepContent ::= SEQUENCE {
///     status       SEQUENCE SIZE (1..MAX) OF PKIStatusInfo,
///     revCerts [0] SEQUENCE SIZE (1..MAX) OF CertId OPTIONAL,
///     crls     [1] SEQUENCE SIZE (1..MAX) OF CertificateList
///                  OPTIONAL }
/// ```
/// RFC 9810 section 5.3.10 (EXPLICIT tags).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct RevRepContent {
    pub status: Vec<PkiStatusInfo>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub rev_certs: Option<Vec<CertId>>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub crls: Option<Vec<CertificateList>>,
}
