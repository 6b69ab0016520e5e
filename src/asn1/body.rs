//! PKIBody: the 27 message kinds (RFC 9810 section 5.1.2) and the names OpenSSL logs for them.

use der::asn1::Null;
use der::{Any, Choice};

use super::certrep::CertRepMessage;
use super::crmf::CertReqMessages;
use super::itav::{GenMsgContent, GenRepContent};
use super::message::PkiMessage;
use super::poll::{PollRepContent, PollReqContent};
use super::rev::{RevRepContent, RevReqContent};
use super::status::{CertConfirmContent, ErrorMsgContent};

/// ```text
/// PKIBody ::= CHOICE {       -- message-specific body elements
///     ir       [0]  CertReqMessages,        --Initialization Request
///     ip       [1]  CertRepMessage,         --Initialization Response
///     cr       [2]  CertReqMessages,        --Certification Request
///     cp       [3]  CertRepMessage,         --Certification Response
///     p10cr    [4]  CertificationRequest,   --imported from [PKCS10]
///     popdecc  [5]  POPODecKeyChallContent, --pop Challenge
///     popdecr  [6]  POPODecKeyRespContent,  --pop Response
///     kur      [7]  CertReqMessages,        --Key Update Request
///     kup      [8]  CertRepMessage,         --Key Update Response
///     krr      [9]  CertReqMessages,        --Key Recovery Request
///     krp      [10] KeyRecRepContent,       --Key Recovery Response
///     rr       [11] RevReqContent,          --Revocation Request
///     rp       [12] RevRepContent,          --Revocation Response
///     ccr      [13] CertReqMessages,        --Cross-Cert. Request
///     ccp      [14] CertRepMessage,         --Cross-Cert. Response
///     ckuann   [15] CAKeyUpdAnnContent,     --CA Key Update Ann.
///     cann     [16] CertAnnContent,         --Certificate Ann.
///     rann     [17] RevAnnContent,          --Revocation Ann.
///     crlann   [18] CRLAnnContent,          --CRL Announcement
///     pkiconf  [19] PKIConfirmContent,      --Confirmation
///     nested   [20] NestedMessageContent,   --Nested Message
///     genm     [21] GenMsgContent,          --General Message
///     genp     [22] GenRepContent,          --General Response
///     error    [23] ErrorMsgContent,        --Error Message
///     certConf [24] CertConfirmContent,     --Certificate Confirm
///     pollReq  [25] PollReqContent,         --Polling Request
///     pollRep  [26] PollRepContent          --Polling Response
/// }
/// PKIConfirmContent ::= NULL
/// NestedMessageContent ::= PKIMessages
/// ```
/// RFC 9810 section 5.1.2 (EXPLICIT tags). The bodies no OpenSSL client or mock produces (p10cr's
/// CertificationRequest, popdecc, popdecr, krp, ckuann, cann, rann, crlann) are kept as the complete
/// inner TLV (`Any`) and re-encode unchanged; p10cr's CSR can be decoded with [`PkiBody::p10cr_der`].
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
#[allow(clippy::large_enum_variant)]
pub enum PkiBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", constructed = "true")]
    Ir(CertReqMessages),
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    Ip(CertRepMessage),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    Cr(CertReqMessages),
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", constructed = "true")]
    Cp(CertRepMessage),
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT", constructed = "true")]
    P10cr(Any),
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT", constructed = "true")]
    Popdecc(Any),
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT", constructed = "true")]
    Popdecr(Any),
    #[asn1(context_specific = "7", tag_mode = "EXPLICIT", constructed = "true")]
    Kur(CertReqMessages),
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT", constructed = "true")]
    Kup(CertRepMessage),
    #[asn1(context_specific = "9", tag_mode = "EXPLICIT", constructed = "true")]
    Krr(CertReqMessages),
    #[asn1(context_specific = "10", tag_mode = "EXPLICIT", constructed = "true")]
    Krp(Any),
    #[asn1(context_specific = "11", tag_mode = "EXPLICIT", constructed = "true")]
    Rr(RevReqContent),
    #[asn1(context_specific = "12", tag_mode = "EXPLICIT", constructed = "true")]
    Rp(RevRepContent),
    #[asn1(context_specific = "13", tag_mode = "EXPLICIT", constructed = "true")]
    Ccr(CertReqMessages),
    #[asn1(context_specific = "14", tag_mode = "EXPLICIT", constructed = "true")]
    Ccp(CertRepMessage),
    #[asn1(context_specific = "15", tag_mode = "EXPLICIT", constructed = "true")]
    Ckuann(Any),
    #[asn1(context_specific = "16", tag_mode = "EXPLICIT", constructed = "true")]
    Cann(Any),
    #[asn1(context_specific = "17", tag_mode = "EXPLICIT", constructed = "true")]
    Rann(Any),
    #[asn1(context_specific = "18", tag_mode = "EXPLICIT", constructed = "true")]
    Crlann(Any),
    #[asn1(context_specific = "19", tag_mode = "EXPLICIT", constructed = "true")]
    PkiConf(Null),
    #[asn1(context_specific = "20", tag_mode = "EXPLICIT", constructed = "true")]
    Nested(Vec<PkiMessage>),
    #[asn1(context_specific = "21", tag_mode = "EXPLICIT", constructed = "true")]
    Genm(GenMsgContent),
    #[asn1(context_specific = "22", tag_mode = "EXPLICIT", constructed = "true")]
    Genp(GenRepContent),
    #[asn1(context_specific = "23", tag_mode = "EXPLICIT", constructed = "true")]
    Error(ErrorMsgContent),
    #[asn1(context_specific = "24", tag_mode = "EXPLICIT", constructed = "true")]
    CertConf(CertConfirmContent),
    #[asn1(context_specific = "25", tag_mode = "EXPLICIT", constructed = "true")]
    PollReq(PollReqContent),
    #[asn1(context_specific = "26", tag_mode = "EXPLICIT", constructed = "true")]
    PollRep(PollRepContent),
}

/// Body type names indexed by tag number, spelled as OpenSSL logs them (`sending IR`, `received PKICONF`).
pub const BODY_TYPE_NAMES: [&str; 27] = [
    "IR", "IP", "CR", "CP", "P10CR", "POPDECC", "POPDECR", "KUR", "KUP", "KRR", "KRP", "RR", "RP",
    "CCR", "CCP", "CKUANN", "CANN", "RANN", "CRLANN", "PKICONF", "NESTED", "GENM", "GENP", "ERROR",
    "CERTCONF", "POLLREQ", "POLLREP",
];

/// The name OpenSSL logs for a body tag number, or `None` outside 0..=26.
pub fn body_type_name(tag: u32) -> Option<&'static str> {
    BODY_TYPE_NAMES.get(tag as usize).copied()
}

impl PkiBody {
    /// The context tag number of this body (OpenSSL's `OSSL_CMP_PKIBODY_*` value).
    pub fn type_number(&self) -> u32 {
        match self {
            PkiBody::Ir(_) => 0,
            PkiBody::Ip(_) => 1,
            PkiBody::Cr(_) => 2,
            PkiBody::Cp(_) => 3,
            PkiBody::P10cr(_) => 4,
            PkiBody::Popdecc(_) => 5,
            PkiBody::Popdecr(_) => 6,
            PkiBody::Kur(_) => 7,
            PkiBody::Kup(_) => 8,
            PkiBody::Krr(_) => 9,
            PkiBody::Krp(_) => 10,
            PkiBody::Rr(_) => 11,
            PkiBody::Rp(_) => 12,
            PkiBody::Ccr(_) => 13,
            PkiBody::Ccp(_) => 14,
            PkiBody::Ckuann(_) => 15,
            PkiBody::Cann(_) => 16,
            PkiBody::Rann(_) => 17,
            PkiBody::Crlann(_) => 18,
            PkiBody::PkiConf(_) => 19,
            PkiBody::Nested(_) => 20,
            PkiBody::Genm(_) => 21,
            PkiBody::Genp(_) => 22,
            PkiBody::Error(_) => 23,
            PkiBody::CertConf(_) => 24,
            PkiBody::PollReq(_) => 25,
            PkiBody::PollRep(_) => 26,
        }
    }

    /// The name OpenSSL logs for this body (`IR`, `CERTCONF`, ...).
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn type_name(&self) -> &'static str {
        BODY_TYPE_NAMES[self.type_number() as usize]
    }

    /// The CertReqMessages of ir, cr, kur, krr and ccr.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn cert_req_messages(&self) -> Option<&CertReqMessages> {
        match self {
            PkiBody::Ir(m)
            | PkiBody::Cr(m)
            | PkiBody::Kur(m)
            | PkiBody::Krr(m)
            | PkiBody::Ccr(m) => Some(m),
            _ => None,
        }
    }

    /// The CertRepMessage of ip, cp, kup and ccp.
    pub fn cert_rep_message(&self) -> Option<&CertRepMessage> {
        match self {
            PkiBody::Ip(m) | PkiBody::Cp(m) | PkiBody::Kup(m) | PkiBody::Ccp(m) => Some(m),
            _ => None,
        }
    }

    /// The DER of p10cr's PKCS#10 CertificationRequest, exactly as received.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn p10cr_der(&self) -> Option<der::Result<Vec<u8>>> {
        match self {
            PkiBody::P10cr(csr) => Some(der::Encode::to_der(csr)),
            _ => None,
        }
    }

    /// pkiconf's body (`PKIConfirmContent ::= NULL`).
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn pkiconf() -> Self {
        PkiBody::PkiConf(Null)
    }
}
