//! CMP (RFC 9810, with the RFC 9480 updates and RFC 9483 profile) and CRMF (RFC 4211) message types,
//! DER-encoded with `der` 0.8, reusing `x509-cert` and `spki` types for certificates, names and keys.
//!
//! Every type carries its ASN.1 definition. The CMP module uses EXPLICIT tags, CRMF IMPLICIT ones;
//! the golden tests in `src/asn1/tests_golden.rs` decode and re-encode messages captured from OpenSSL to
//! prove the tags. Received messages go through [`PkiMessage::from_der_bounded`], which bounds size and
//! nesting. Nothing here does I/O or cryptography.

pub mod body;
pub mod certrep;
pub mod crmf;
pub mod header;
pub mod itav;
pub mod message;
pub mod oid;
pub mod pbmac1;
pub mod poll;
pub mod rev;
pub mod status;
#[cfg(test)]
mod tests_golden;

pub use body::{body_type_name, PkiBody};
pub use certrep::{CertOrEncCert, CertRepMessage, CertResponse, CertifiedKeyPair, CmpCertificate};
pub use crmf::{
    AttributeTypeAndValue, CertId, CertReqMsg, CertRequest, CertTemplate, OptionalValidity,
    PbmParameter, PopoPrivKey, PopoSigningKey, ProofOfPossession,
};
pub use header::{directory_name, CmpTime, PkiHeader};
pub use itav::{
    cert_profile_names, CertReqTemplateContent, CrlSource, CrlStatus, GenMsgContent,
    InfoTypeAndValue, RootCaKeyUpdateContent,
};
pub use message::{protected_part_der, protected_part_der_raw, PkiMessage};
pub use pbmac1::{Pbkdf2Params, Pbmac1Params};
pub use poll::{PollRep, PollReq, PollReqContent};
pub use rev::{RevDetails, RevRepContent, RevReqContent};
pub use status::{CertConfirmContent, CertStatus, ErrorMsgContent, PkiStatus, PkiStatusInfo};
// Used by the tests only (the golden files, hostile server answers).
#[cfg(test)]
pub use {
    body::BODY_TYPE_NAMES,
    crmf::EncryptedKey,
    header::{PVNO_CMP2000, PVNO_CMP2021},
    itav::{CrlStatusListValue, CrlsValue, RootCaCertValue},
    message::{MAX_MESSAGE_SIZE, MAX_NESTING},
    status::failure_names,
};
