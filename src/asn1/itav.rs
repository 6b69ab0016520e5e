//! InfoTypeAndValue: the typed extension slots of genm/genp and PKIHeader generalInfo
//! (RFC 9810 section 5.3.19, RFC 9480 sections 2.3-2.8). Values stay `ANY` here; the meaning of each
//! InfoType is for the code that requests or answers it.

use der::asn1::ObjectIdentifier;
use der::{Any, Sequence};

use super::oid;

/// ```text
/// InfoTypeAndValue ::= SEQUENCE {
///     infoType    OBJECT IDENTIFIER,
///     infoValue   ANY DEFINED BY infoType  OPTIONAL }
/// ```
/// RFC 9810 section 5.3.19 (the class-based form `INFO-TYPE-AND-VALUE` encodes the same way).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct InfoTypeAndValue {
    pub info_type: ObjectIdentifier,
    #[asn1(optional = "true")]
    pub info_value: Option<Any>,
}

impl InfoTypeAndValue {
    pub fn new(info_type: ObjectIdentifier, info_value: Option<Any>) -> Self {
        InfoTypeAndValue {
            info_type,
            info_value,
        }
    }

    /// The name OpenSSL prints for the type (`id-it-caCerts`), or the dotted OID.
    pub fn type_name(&self) -> String {
        oid::info_type_name(&self.info_type)
            .map_or_else(|| self.info_type.to_string(), str::to_string)
    }
}

/// ```text
/// GenMsgContent ::= SEQUENCE OF InfoTypeAndValue
/// ```
/// RFC 9810 section 5.3.19.
pub type GenMsgContent = Vec<InfoTypeAndValue>;

/// ```text
/// GenRepContent ::= SEQUENCE OF InfoTypeAndValue
/// ```
/// RFC 9810 section 5.3.20.
pub type GenRepContent = Vec<InfoTypeAndValue>;
