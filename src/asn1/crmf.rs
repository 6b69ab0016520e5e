//! CRMF (RFC 4211) request structures as CMP carries them: CertReqMessages, CertTemplate,
//! ProofOfPossession, CertId. The CRMF module is `DEFINITIONS IMPLICIT TAGS`; tags on CHOICE types
//! (Name, GeneralName, Time, POPOPrivKey) are explicit whatever the module default, as X.680 requires.

use der::asn1::{BitString, Null, ObjectIdentifier, OctetString};
use der::{
    Any, Choice, DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tagged,
    Writer,
};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extensions;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

/// ```text
/// CertReqMessages ::= SEQUENCE SIZE (1..MAX) OF CertReqMsg
/// ```
/// RFC 4211 section 3.
pub type CertReqMessages = Vec<CertReqMsg>;

/// ```text
/// CertReqMsg ::= SEQUENCE {
///     certReq   CertRequest,
///     popo       ProofOfPossession  OPTIONAL,
///     regInfo   SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue OPTIONAL }
/// ```
/// RFC 4211 section 3.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertReqMsg {
    pub cert_req: CertRequest,
    #[asn1(optional = "true")]
    pub popo: Option<ProofOfPossession>,
    #[asn1(optional = "true")]
    pub reg_info: Option<Vec<AttributeTypeAndValue>>,
}

/// ```text
/// CertRequest ::= SEQUENCE {
///     certReqId     INTEGER,
///     certTemplate  CertTemplate,
///     controls      Controls OPTIONAL }
/// ```
/// RFC 4211 section 5.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertRequest {
    pub cert_req_id: i64,
    pub cert_template: CertTemplate,
    #[asn1(optional = "true")]
    pub controls: Option<Controls>,
}

impl CertRequest {
    /// The value of the oldCertID control (RFC 4211 section 6.5), if present and well-formed.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn old_cert_id(&self) -> Option<der::Result<CertId>> {
        let ctrl = self
            .controls
            .as_ref()?
            .iter()
            .find(|c| c.attr_type == super::oid::REG_CTRL_OLD_CERT_ID)?;
        Some(ctrl.value.decode_as())
    }
}

/// ```text
/// Controls  ::= SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue
/// ```
/// RFC 4211 section 5.
pub type Controls = Vec<AttributeTypeAndValue>;

/// ```text
/// AttributeTypeAndValue ::= SEQUENCE {
///     type         OBJECT IDENTIFIER,
///     value        ANY DEFINED BY type }
/// ```
/// RFC 4211 section 5 (used for controls and regInfo).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct AttributeTypeAndValue {
    pub attr_type: ObjectIdentifier,
    pub value: Any,
}

/// ```text
/// CertTemplate ::= SEQUENCE {
///     version      [0] Version               OPTIONAL,
///     serialNumber [1] INTEGER               OPTIONAL,
///     signingAlg   [2] AlgorithmIdentifier   OPTIONAL,
///     issuer       [3] Name                  OPTIONAL,
///     validity     [4] OptionalValidity      OPTIONAL,
///     subject      [5] Name                  OPTIONAL,
///     publicKey    [6] SubjectPublicKeyInfo  OPTIONAL,
///     issuerUID    [7] UniqueIdentifier      OPTIONAL,
///     subjectUID   [8] UniqueIdentifier      OPTIONAL,
///     extensions   [9] Extensions            OPTIONAL }
/// ```
/// RFC 4211 section 5. IMPLICIT tags except issuer and subject (Name is a CHOICE, so EXPLICIT).
#[derive(Clone, Debug, Default, Eq, PartialEq, Sequence)]
pub struct CertTemplate {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub version: Option<i64>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub serial_number: Option<SerialNumber>,
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", optional = "true")]
    pub signing_alg: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub issuer: Option<Name>,
    #[asn1(context_specific = "4", tag_mode = "IMPLICIT", optional = "true")]
    pub validity: Option<OptionalValidity>,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT", optional = "true")]
    pub subject: Option<Name>,
    #[asn1(context_specific = "6", tag_mode = "IMPLICIT", optional = "true")]
    pub public_key: Option<SubjectPublicKeyInfoOwned>,
    #[asn1(context_specific = "7", tag_mode = "IMPLICIT", optional = "true")]
    pub issuer_uid: Option<BitString>,
    #[asn1(context_specific = "8", tag_mode = "IMPLICIT", optional = "true")]
    pub subject_uid: Option<BitString>,
    #[asn1(context_specific = "9", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// ```text
/// OptionalValidity ::= SEQUENCE {
///     notBefore  [0] Time OPTIONAL,
///     notAfter   [1] Time OPTIONAL } -- at least one MUST be present
/// ```
/// RFC 4211 section 5. Time is a CHOICE, so both tags are EXPLICIT.
#[derive(Clone, Debug, Default, Eq, PartialEq, Sequence)]
pub struct OptionalValidity {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub not_before: Option<Time>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub not_after: Option<Time>,
}

/// ```text
/// CertId ::= SEQUENCE {
///     issuer           GeneralName,
///     serialNumber     INTEGER }
/// ```
/// RFC 4211 section 6.5.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertId {
    pub issuer: GeneralName,
    pub serial_number: SerialNumber,
}

/// ```text
/// ProofOfPossession ::= CHOICE {
///     raVerified        [0] NULL,
///     signature         [1] POPOSigningKey,
///     keyEncipherment   [2] POPOPrivKey,
///     keyAgreement      [3] POPOPrivKey }
/// ```
/// RFC 4211 section 4. POPOPrivKey is a CHOICE, so `[2]` and `[3]` are EXPLICIT.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
#[allow(clippy::large_enum_variant)]
pub enum ProofOfPossession {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    RaVerified(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Signature(PopoSigningKey),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    KeyEncipherment(PopoPrivKey),
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", constructed = "true")]
    KeyAgreement(PopoPrivKey),
}

impl ProofOfPossession {
    /// The `-popo` number OpenSSL uses for this kind (0 raVerified, 1 signature, 2 keyEnc, 3 keyAgree).
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn method(&self) -> u8 {
        match self {
            ProofOfPossession::RaVerified(_) => 0,
            ProofOfPossession::Signature(_) => 1,
            ProofOfPossession::KeyEncipherment(_) => 2,
            ProofOfPossession::KeyAgreement(_) => 3,
        }
    }
}

/// ```text
/// POPOSigningKey ::= SEQUENCE {
///     poposkInput           [0] POPOSigningKeyInput OPTIONAL,
///     algorithmIdentifier   AlgorithmIdentifier,
///     signature             BIT STRING }
/// ```
/// RFC 4211 section 4.1.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PopoSigningKey {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub poposk_input: Option<PopoSigningKeyInput>,
    pub algorithm_identifier: AlgorithmIdentifierOwned,
    pub signature: BitString,
}

/// ```text
/// POPOSigningKeyInput ::= SEQUENCE {
///     authInfo            CHOICE {
///         sender              [0] GeneralName,
///         publicKeyMAC        PKMACValue },
///     publicKey           SubjectPublicKeyInfo }
/// ```
/// RFC 4211 section 4.1.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PopoSigningKeyInput {
    pub auth_info: PopoSigningKeyAuthInfo,
    pub public_key: SubjectPublicKeyInfoOwned,
}

/// The `authInfo` CHOICE of [`PopoSigningKeyInput`]; GeneralName is a CHOICE, so `sender` is EXPLICIT.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
pub enum PopoSigningKeyAuthInfo {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", constructed = "true")]
    Sender(GeneralName),
    PublicKeyMac(PkMacValue),
}

/// ```text
/// PKMACValue ::= SEQUENCE {
///     algId  AlgorithmIdentifier,
///     value  BIT STRING }
/// ```
/// RFC 4211 section 4.1.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkMacValue {
    pub alg_id: AlgorithmIdentifierOwned,
    pub value: BitString,
}

/// ```text
/// POPOPrivKey ::= CHOICE {
///     thisMessage       [0] BIT STRING,         -- Deprecated
///     subsequentMessage [1] SubsequentMessage,
///     dhMAC             [2] BIT STRING,         -- Deprecated
///     agreeMAC          [3] PKMACValue,
///     encryptedKey      [4] EnvelopedData }
/// SubsequentMessage ::= INTEGER { encrCert (0), challengeResp (1) }
/// ```
/// RFC 4211 section 4.2 (IMPLICIT tags). The EnvelopedData is kept as raw content bytes.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
pub enum PopoPrivKey {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    ThisMessage(BitString),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT")]
    SubsequentMessage(i64),
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    DhMac(BitString),
    #[asn1(context_specific = "3", tag_mode = "IMPLICIT", constructed = "true")]
    AgreeMac(PkMacValue),
    #[asn1(context_specific = "4", tag_mode = "IMPLICIT", constructed = "true")]
    EncryptedKey(RawConstructed),
}

/// The contents octets of an IMPLICITly tagged constructed value (e.g. a SEQUENCE such as EnvelopedData)
/// kept undecoded, so later code can decode it under its universal tag with [`RawConstructed::to_der_as_sequence`].
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct RawConstructed(pub Vec<u8>);

impl RawConstructed {
    /// The value re-wrapped as a universal SEQUENCE, ready for a SEQUENCE type's `from_der`.
    pub fn to_der_as_sequence(&self) -> der::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.0.len() + 6);
        let header = Header::new(der::Tag::Sequence, Length::try_from(self.0.len())?);
        der::Encode::encode_to_vec(&header, &mut out)?;
        out.extend_from_slice(&self.0);
        Ok(out)
    }
}

// Stands for a SEQUENCE (EnvelopedData); only ever used under an IMPLICIT tag.
impl FixedTag for RawConstructed {
    const TAG: der::Tag = der::Tag::Sequence;
}

impl<'a> DecodeValue<'a> for RawConstructed {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        Ok(RawConstructed(reader.read_vec(header.length())?))
    }
}

impl EncodeValue for RawConstructed {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(&self.0)
    }
}

/// ```text
/// EncryptedKey ::= CHOICE {
///     encryptedValue        EncryptedValue,   -- Deprecated
///     envelopedData     [0] EnvelopedData }
/// ```
/// RFC 4211 section 2.1 as updated by RFC 9045 (CRMF module, so `[0]` is IMPLICIT: it replaces the
/// EnvelopedData SEQUENCE tag, as OpenSSL encodes it). Used by CertifiedKeyPair privateKey, CertOrEncCert
/// encryptedCert and revPassphrase, which keep it as raw `ANY`; this splits it. Both alternatives are
/// given as the DER of their SEQUENCE, ready for an EncryptedValue or CMS EnvelopedData decoder.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum EncryptedKey {
    EncryptedValue(Vec<u8>),
    EnvelopedData(Vec<u8>),
}

impl EncryptedKey {
    pub fn from_any(any: &Any) -> der::Result<Self> {
        match any.tag() {
            der::Tag::Sequence => Ok(EncryptedKey::EncryptedValue(der::Encode::to_der(any)?)),
            der::Tag::ContextSpecific {
                constructed: true,
                number,
            } if number.value() == 0 => Ok(EncryptedKey::EnvelopedData(
                RawConstructed(any.value().to_vec()).to_der_as_sequence()?,
            )),
            other => Err(other.unexpected_error(None).into()),
        }
    }
}

/// ```text
/// PBMParameter ::= SEQUENCE {
///     salt                OCTET STRING,
///     owf                 AlgorithmIdentifier{DIGEST-ALGORITHM, {...}},
///     iterationCount      INTEGER,
///     mac                 AlgorithmIdentifier{MAC-ALGORITHM, {...}} }
/// ```
/// RFC 9810 section 5.1.3.1 (same as RFC 4211 section 4.4): the parameters of id-PasswordBasedMac.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PbmParameter {
    pub salt: OctetString,
    pub owf: AlgorithmIdentifierOwned,
    pub iteration_count: i64,
    pub mac: AlgorithmIdentifierOwned,
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    #[test]
    fn encrypted_key_pop_keeps_enveloped_data_bytes() {
        // [2] EXPLICIT { [4] IMPLICIT SEQUENCE { INTEGER 0 } }
        let der = [0xa2, 0x05, 0xa4, 0x03, 0x02, 0x01, 0x00];
        let popo = ProofOfPossession::from_der(&der).unwrap();
        let ProofOfPossession::KeyEncipherment(PopoPrivKey::EncryptedKey(raw)) = &popo else {
            panic!("decoded as {popo:?}");
        };
        assert_eq!(raw.0, [0x02, 0x01, 0x00]);
        assert_eq!(
            raw.to_der_as_sequence().unwrap(),
            [0x30, 0x03, 0x02, 0x01, 0x00]
        );
        assert_eq!(popo.to_der().unwrap(), der);
    }

    #[test]
    fn template_tags() {
        // serialNumber [1] IMPLICIT INTEGER 5, then version [0] would be out of order: refused.
        let t = CertTemplate::from_der(&[0x30, 0x03, 0x81, 0x01, 0x05]).unwrap();
        assert_eq!(t.serial_number.unwrap().as_bytes(), [5]);
        assert!(CertTemplate::from_der(&[0x30, 0x06, 0x81, 0x01, 0x05, 0x80, 0x01, 0x01]).is_err());
        // An empty template is a valid (all-optional) SEQUENCE.
        assert_eq!(CertTemplate::default().to_der().unwrap(), [0x30, 0x00]);
    }
}
