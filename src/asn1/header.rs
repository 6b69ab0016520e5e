//! PKIHeader (RFC 9810 section 5.1.1).

use der::asn1::{GeneralizedTime, OctetString};
use der::Sequence;
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;

use super::itav::InfoTypeAndValue;
use super::status::PkiFreeText;

/// pvno `cmp1999`.
pub const PVNO_CMP1999: i64 = 1;
/// pvno `cmp2000`: what OpenSSL sends unless a feature needs `cmp2021`.
pub const PVNO_CMP2000: i64 = 2;
/// pvno `cmp2021` (RFC 9480): needed e.g. for certConf hashAlg or EnvelopedData.
pub const PVNO_CMP2021: i64 = 3;

/// ```text
/// PKIHeader ::= SEQUENCE {
///     pvno                INTEGER     { cmp1999(1), cmp2000(2),
///                                       cmp2021(3) },
///     sender              GeneralName,
///     recipient           GeneralName,
///     messageTime     [0] GeneralizedTime         OPTIONAL,
///     protectionAlg   [1] AlgorithmIdentifier{ALGORITHM, {...}}
///                         OPTIONAL,
///     senderKID       [2] KeyIdentifier           OPTIONAL,
///     recipKID        [3] KeyIdentifier           OPTIONAL,
///     transactionID   [4] OCTET STRING            OPTIONAL,
///     senderNonce     [5] OCTET STRING            OPTIONAL,
///     recipNonce      [6] OCTET STRING            OPTIONAL,
///     freeText        [7] PKIFreeText             OPTIONAL,
///     generalInfo     [8] SEQUENCE SIZE (1..MAX) OF
///                         InfoTypeAndValue     OPTIONAL
/// }
/// KeyIdentifier ::= OCTET STRING
/// ```
/// RFC 9810 section 5.1.1 (module tags are EXPLICIT).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiHeader {
    pub pvno: i64,
    pub sender: GeneralName,
    pub recipient: GeneralName,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub message_time: Option<GeneralizedTime>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub protection_alg: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub sender_kid: Option<OctetString>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub recip_kid: Option<OctetString>,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT", optional = "true")]
    pub transaction_id: Option<OctetString>,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT", optional = "true")]
    pub sender_nonce: Option<OctetString>,
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT", optional = "true")]
    pub recip_nonce: Option<OctetString>,
    #[asn1(context_specific = "7", tag_mode = "EXPLICIT", optional = "true")]
    pub free_text: Option<PkiFreeText>,
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT", optional = "true")]
    pub general_info: Option<Vec<InfoTypeAndValue>>,
}

impl PkiHeader {
    /// A header with only the mandatory fields.
    pub fn new(pvno: i64, sender: GeneralName, recipient: GeneralName) -> Self {
        PkiHeader {
            pvno,
            sender,
            recipient,
            message_time: None,
            protection_alg: None,
            sender_kid: None,
            recip_kid: None,
            transaction_id: None,
            sender_nonce: None,
            recip_nonce: None,
            free_text: None,
            general_info: None,
        }
    }

    /// The generalInfo entry of the given type, if any.
    pub fn general_info_of(&self, oid: &der::asn1::ObjectIdentifier) -> Option<&InfoTypeAndValue> {
        self.general_info
            .as_ref()?
            .iter()
            .find(|i| &i.info_type == oid)
    }

    /// Whether generalInfo carries implicitConfirm (RFC 9810 section 5.1.1.1).
    pub fn implicit_confirm(&self) -> bool {
        self.general_info_of(&super::oid::IT_IMPLICIT_CONFIRM)
            .is_some()
    }
}
