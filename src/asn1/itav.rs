//! InfoTypeAndValue: the typed extension slots of genm/genp and PKIHeader generalInfo
//! (RFC 9810 section 5.3.19, RFC 9480 sections 2.3-2.8). Values stay `ANY` here; the meaning of each
//! InfoType is for the code that requests or answers it.

use der::asn1::ObjectIdentifier;
use der::asn1::Utf8StringRef;
use der::{Any, Choice, Decode, Encode, Sequence};
#[cfg(any(test, fuzzing, feature = "bench"))]
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::time::Time;

use super::certrep::CmpCertificate;
use super::crmf::{CertTemplate, Controls};
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

    /// An InfoTypeAndValue whose value is `value`'s DER.
    pub fn with_value<T: Encode>(info_type: ObjectIdentifier, value: &T) -> der::Result<Self> {
        Ok(InfoTypeAndValue {
            info_type,
            info_value: Some(Any::from_der(&value.to_der()?)?),
        })
    }

    /// The value decoded as `T` (`None` when absent). The caller picks `T` by `info_type`, e.g.
    /// [`CaCertsValue`] for id-it-caCerts.
    pub fn value_as<T: for<'a> Decode<'a, Error = der::Error>>(&self) -> der::Result<Option<T>> {
        self.info_value
            .as_ref()
            .map(|v| T::from_der(&v.to_der()?))
            .transpose()
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

/// ```text
/// CaCertsValue ::= SEQUENCE SIZE (1..MAX) OF CMPCertificate
/// ```
/// RFC 9810 section 5.3.19.15 (id-it-caCerts; the genm carries no value).
pub type CaCertsValue = Vec<CmpCertificate>;

/// ```text
/// RootCaCertValue ::= CMPCertificate
/// ```
/// RFC 9810 section 5.3.19.16 (id-it-rootCaCert, in genm: the old root the client trusts).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub type RootCaCertValue = CmpCertificate;

/// ```text
/// RootCaKeyUpdateValue ::= RootCaKeyUpdateContent
/// RootCaKeyUpdateContent ::= SEQUENCE {
///     newWithNew       CMPCertificate,
///     newWithOld   [0] CMPCertificate OPTIONAL,
///     oldWithNew   [1] CMPCertificate OPTIONAL }
/// ```
/// RFC 9810 section 5.3.19.16 (id-it-rootCaKeyUpdate, in genp; EXPLICIT tags).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct RootCaKeyUpdateContent {
    pub new_with_new: CmpCertificate,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub new_with_old: Option<CmpCertificate>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub old_with_new: Option<CmpCertificate>,
}

/// ```text
/// CertReqTemplateValue  ::= CertReqTemplateContent
/// CertReqTemplateContent ::= SEQUENCE {
///     certTemplate           CertTemplate,
///     keySpec                Controls OPTIONAL }
/// ```
/// RFC 9810 section 5.3.19.17 (id-it-certReqTemplate, in genp). keySpec holds id-regCtrl-algId
/// (an AlgorithmIdentifier) and id-regCtrl-rsaKeyLen (an INTEGER) controls.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertReqTemplateContent {
    pub cert_template: CertTemplate,
    #[asn1(optional = "true")]
    pub key_spec: Option<Controls>,
}

/// ```text
/// CRLStatusListValue ::= SEQUENCE SIZE (1..MAX) OF CRLStatus
/// CRLStatus ::= SEQUENCE {
///     source       CRLSource,
///     thisUpdate   Time OPTIONAL }
/// ```
/// RFC 9810 section 5.3.19.19 (id-it-crlStatusList, in genm).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub type CrlStatusListValue = Vec<CrlStatus>;

/// One entry of [`CrlStatusListValue`].
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CrlStatus {
    pub source: CrlSource,
    #[asn1(optional = "true")]
    pub this_update: Option<Time>,
}

/// ```text
/// CRLSource ::= CHOICE {
///     dpn          [0] DistributionPointName,
///     issuer       [1] GeneralNames }
/// ```
/// RFC 9810 section 5.3.19.19 (EXPLICIT tags).
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
pub enum CrlSource {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", constructed = "true")]
    Dpn(DistributionPointName),
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    Issuer(Vec<GeneralName>),
}

/// ```text
/// CRLsValue ::= SEQUENCE SIZE (1..MAX) OF CertificateList
/// ```
/// RFC 9810 section 5.3.19.19 (id-it-crls, in genp; absent when no CRL is newer).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub type CrlsValue = Vec<CertificateList>;

/// ```text
/// CertProfileValue ::= SEQUENCE SIZE (1..MAX) OF UTF8String
/// ```
/// RFC 9810 section 5.1.1.4 (id-it-certProfile, in generalInfo, as `-profile` sends it).
pub type CertProfileValue = Vec<String>;

/// The profile names of a certProfile generalInfo value.
pub fn cert_profile_names(itav: &InfoTypeAndValue) -> der::Result<Vec<String>> {
    let v = itav
        .info_value
        .as_ref()
        .ok_or_else(|| der::Tag::Sequence.value_error())?;
    let names: Vec<Utf8StringRef<'_>> = v.decode_as()?;
    Ok(names.iter().map(|n| n.as_str().to_string()).collect())
}
