//! The subset of CMP (RFC 9810) and CRMF (RFC 4211) messages the client builds and reads.
//!
//! Interim: these types stand in for the `asn1` area's types until that branch is merged; the field names
//! follow the RFCs so the switch is mechanical. Only DER encoding and decoding live here, no policy.

use der::asn1::{BitString, GeneralizedTime, Null, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Sequence, Tag, TagNumber, Tagged};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extensions;
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::cmp_err;
use crate::error::{Error, Result};

/// Most certificates a peer may put into one list (extraCerts, caPubs); bounds memory and work.
pub const MAX_CERTS: usize = 100;

/// `PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String`
pub type FreeText = Vec<String>;

/// ```text
/// PKIMessage ::= SEQUENCE {
///     header           PKIHeader,
///     body             PKIBody,
///     protection   [0] PKIProtection OPTIONAL,
///     extraCerts   [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL }
/// ```
#[derive(Clone, Debug)]
pub struct PkiMessage {
    pub header: PkiHeader,
    pub body: PkiBody,
    pub protection: Option<BitString>,
    pub extra_certs: Vec<Certificate>,
}

/// The wire form of a message: header and body kept as received, since protection is computed over
/// exactly these bytes.
#[derive(Sequence)]
struct RawMessage {
    header: Any,
    body: Any,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    protection: Option<BitString>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    extra_certs: Option<Vec<Certificate>>,
}

/// `ProtectedPart ::= SEQUENCE { header PKIHeader, body PKIBody }`, from already encoded parts.
pub fn protected_part(header_der: &[u8], body_der: &[u8]) -> Vec<u8> {
    let len = header_der.len() + body_der.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(0x30);
    push_len(&mut out, len);
    out.extend_from_slice(header_der);
    out.extend_from_slice(body_der);
    out
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// A decoded message together with the DER of its protected part.
#[derive(Clone, Debug)]
pub struct Received {
    pub msg: PkiMessage,
    pub protected_part: Vec<u8>,
}

fn der_err(what: &str, e: der::Error) -> Error {
    cmp_err!("error decoding {what}: {e}")
}

impl PkiMessage {
    /// Decode a message received from the peer, keeping the protected part as received.
    pub fn decode(der_bytes: &[u8]) -> Result<Received> {
        let raw = RawMessage::from_der(der_bytes).map_err(|e| der_err("PKIMessage", e))?;
        let header_der = raw.header.to_der().map_err(|e| der_err("PKIHeader", e))?;
        let body_der = raw.body.to_der().map_err(|e| der_err("PKIBody", e))?;
        let header = PkiHeader::from_der(&header_der).map_err(|e| der_err("PKIHeader", e))?;
        let body = PkiBody::decode_any(&raw.body)?;
        let extra_certs = raw.extra_certs.unwrap_or_default();
        if extra_certs.len() > MAX_CERTS {
            return Err(cmp_err!(
                "too many extraCerts in received message: {}",
                extra_certs.len()
            ));
        }
        Ok(Received {
            msg: PkiMessage {
                header,
                body,
                protection: raw.protection,
                extra_certs,
            },
            protected_part: protected_part(&header_der, &body_der),
        })
    }

    /// DER of `ProtectedPart` for this message, which protection is computed over.
    pub fn protected_part(&self) -> Result<Vec<u8>> {
        let h = self.header.to_der().map_err(|e| der_err("PKIHeader", e))?;
        let b = self
            .body
            .encode_any()?
            .to_der()
            .map_err(|e| der_err("PKIBody", e))?;
        Ok(protected_part(&h, &b))
    }

    pub fn to_der(&self) -> Result<Vec<u8>> {
        let raw = RawMessage {
            header: Any::encode_from(&self.header).map_err(|e| der_err("PKIHeader", e))?,
            body: self.body.encode_any()?,
            protection: self.protection.clone(),
            extra_certs: if self.extra_certs.is_empty() {
                None
            } else {
                Some(self.extra_certs.clone())
            },
        };
        raw.to_der()
            .map_err(|e| cmp_err!("error encoding PKIMessage: {e}"))
    }
}

/// ```text
/// PKIHeader ::= SEQUENCE {
///     pvno                INTEGER     { cmp1999(1), cmp2000(2), cmp2021(3) },
///     sender              GeneralName,
///     recipient           GeneralName,
///     messageTime     [0] GeneralizedTime         OPTIONAL,
///     protectionAlg   [1] AlgorithmIdentifier     OPTIONAL,
///     senderKID       [2] KeyIdentifier           OPTIONAL,
///     recipKID        [3] KeyIdentifier           OPTIONAL,
///     transactionID   [4] OCTET STRING            OPTIONAL,
///     senderNonce     [5] OCTET STRING            OPTIONAL,
///     recipNonce      [6] OCTET STRING            OPTIONAL,
///     freeText        [7] PKIFreeText             OPTIONAL,
///     generalInfo     [8] SEQUENCE SIZE (1..MAX) OF InfoTypeAndValue OPTIONAL }
/// ```
#[derive(Clone, Debug, Sequence)]
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
    pub free_text: Option<FreeText>,
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT", optional = "true")]
    pub general_info: Option<Vec<InfoTypeAndValue>>,
}

/// `InfoTypeAndValue ::= SEQUENCE { infoType OBJECT IDENTIFIER, infoValue ANY DEFINED BY infoType OPTIONAL }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct InfoTypeAndValue {
    pub info_type: ObjectIdentifier,
    pub info_value: Option<Any>,
}

/// The body kinds, numbered as the `PKIBody` CHOICE tags are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyType {
    Ir = 0,
    Ip = 1,
    Cr = 2,
    Cp = 3,
    P10cr = 4,
    Popdecc = 5,
    Popdecr = 6,
    Kur = 7,
    Kup = 8,
    Krr = 9,
    Krp = 10,
    Rr = 11,
    Rp = 12,
    Ccr = 13,
    Ccp = 14,
    Ckuann = 15,
    Cann = 16,
    Rann = 17,
    Crlann = 18,
    Pkiconf = 19,
    Nested = 20,
    Genm = 21,
    Genp = 22,
    Error = 23,
    CertConf = 24,
    PollReq = 25,
    PollRep = 26,
}

impl BodyType {
    const ALL: [BodyType; 27] = [
        BodyType::Ir,
        BodyType::Ip,
        BodyType::Cr,
        BodyType::Cp,
        BodyType::P10cr,
        BodyType::Popdecc,
        BodyType::Popdecr,
        BodyType::Kur,
        BodyType::Kup,
        BodyType::Krr,
        BodyType::Krp,
        BodyType::Rr,
        BodyType::Rp,
        BodyType::Ccr,
        BodyType::Ccp,
        BodyType::Ckuann,
        BodyType::Cann,
        BodyType::Rann,
        BodyType::Crlann,
        BodyType::Pkiconf,
        BodyType::Nested,
        BodyType::Genm,
        BodyType::Genp,
        BodyType::Error,
        BodyType::CertConf,
        BodyType::PollReq,
        BodyType::PollRep,
    ];

    pub fn from_tag(n: u32) -> Option<BodyType> {
        Self::ALL.get(n as usize).copied()
    }

    /// The upper-case name OpenSSL logs (`sending IR`, `received PKICONF`).
    pub fn name(self) -> &'static str {
        match self {
            BodyType::Ir => "IR",
            BodyType::Ip => "IP",
            BodyType::Cr => "CR",
            BodyType::Cp => "CP",
            BodyType::P10cr => "P10CR",
            BodyType::Popdecc => "POPDECC",
            BodyType::Popdecr => "POPDECR",
            BodyType::Kur => "KUR",
            BodyType::Kup => "KUP",
            BodyType::Krr => "KRR",
            BodyType::Krp => "KRP",
            BodyType::Rr => "RR",
            BodyType::Rp => "RP",
            BodyType::Ccr => "CCR",
            BodyType::Ccp => "CCP",
            BodyType::Ckuann => "CKUANN",
            BodyType::Cann => "CANN",
            BodyType::Rann => "RANN",
            BodyType::Crlann => "CRLANN",
            BodyType::Pkiconf => "PKICONF",
            BodyType::Nested => "NESTED",
            BodyType::Genm => "GENM",
            BodyType::Genp => "GENP",
            BodyType::Error => "ERROR",
            BodyType::CertConf => "CERTCONF",
            BodyType::PollReq => "POLLREQ",
            BodyType::PollRep => "POLLREP",
        }
    }
}

/// `PKIBody ::= CHOICE { ir [0] CertReqMessages, ip [1] CertRepMessage, ... }` (all tags explicit).
/// Bodies the client never sends nor reads are kept undecoded.
#[derive(Clone, Debug)]
pub enum PkiBody {
    Ir(Vec<CertReqMsg>),
    Cr(Vec<CertReqMsg>),
    Kur(Vec<CertReqMsg>),
    P10cr(CertReq),
    Ip(CertRepMessage),
    Cp(CertRepMessage),
    Kup(CertRepMessage),
    Rr(Vec<RevDetails>),
    Rp(RevRepContent),
    Pkiconf,
    Genm(Vec<InfoTypeAndValue>),
    Genp(Vec<InfoTypeAndValue>),
    Error(ErrorMsgContent),
    CertConf(Vec<CertStatus>),
    PollReq(Vec<PollReq>),
    PollRep(Vec<PollRep>),
    Other(BodyType, Any),
}

fn dec<'a, T: Decode<'a>>(bytes: &'a [u8], what: BodyType) -> Result<T> {
    T::from_der(bytes).map_err(|e| cmp_err!("error decoding {} body: {e}", what.name()))
}

impl PkiBody {
    pub fn body_type(&self) -> BodyType {
        match self {
            PkiBody::Ir(_) => BodyType::Ir,
            PkiBody::Cr(_) => BodyType::Cr,
            PkiBody::Kur(_) => BodyType::Kur,
            PkiBody::P10cr(_) => BodyType::P10cr,
            PkiBody::Ip(_) => BodyType::Ip,
            PkiBody::Cp(_) => BodyType::Cp,
            PkiBody::Kup(_) => BodyType::Kup,
            PkiBody::Rr(_) => BodyType::Rr,
            PkiBody::Rp(_) => BodyType::Rp,
            PkiBody::Pkiconf => BodyType::Pkiconf,
            PkiBody::Genm(_) => BodyType::Genm,
            PkiBody::Genp(_) => BodyType::Genp,
            PkiBody::Error(_) => BodyType::Error,
            PkiBody::CertConf(_) => BodyType::CertConf,
            PkiBody::PollReq(_) => BodyType::PollReq,
            PkiBody::PollRep(_) => BodyType::PollRep,
            PkiBody::Other(t, _) => *t,
        }
    }

    fn decode_any(any: &Any) -> Result<PkiBody> {
        let tag = any.tag();
        let n = match tag {
            Tag::ContextSpecific {
                constructed: true,
                number,
            } => number.0,
            _ => return Err(cmp_err!("error decoding PKIBody: unexpected tag {tag}")),
        };
        let bt = BodyType::from_tag(n)
            .ok_or_else(|| cmp_err!("error decoding PKIBody: unknown body type {n}"))?;
        let v = any.value();
        Ok(match bt {
            BodyType::Ir => PkiBody::Ir(dec(v, bt)?),
            BodyType::Cr => PkiBody::Cr(dec(v, bt)?),
            BodyType::Kur => PkiBody::Kur(dec(v, bt)?),
            BodyType::P10cr => PkiBody::P10cr(dec(v, bt)?),
            BodyType::Ip => PkiBody::Ip(dec(v, bt)?),
            BodyType::Cp => PkiBody::Cp(dec(v, bt)?),
            BodyType::Kup => PkiBody::Kup(dec(v, bt)?),
            BodyType::Rr => PkiBody::Rr(dec(v, bt)?),
            BodyType::Rp => PkiBody::Rp(dec(v, bt)?),
            BodyType::Pkiconf => {
                let _: Null = dec(v, bt)?;
                PkiBody::Pkiconf
            }
            BodyType::Genm => PkiBody::Genm(dec(v, bt)?),
            BodyType::Genp => PkiBody::Genp(dec(v, bt)?),
            BodyType::Error => PkiBody::Error(dec(v, bt)?),
            BodyType::CertConf => PkiBody::CertConf(dec(v, bt)?),
            BodyType::PollReq => PkiBody::PollReq(dec(v, bt)?),
            BodyType::PollRep => PkiBody::PollRep(dec(v, bt)?),
            other => PkiBody::Other(other, any.clone()),
        })
    }

    fn encode_any(&self) -> Result<Any> {
        let inner = match self {
            PkiBody::Ir(v) | PkiBody::Cr(v) | PkiBody::Kur(v) => v.to_der(),
            PkiBody::P10cr(c) => c.to_der(),
            PkiBody::Ip(c) | PkiBody::Cp(c) | PkiBody::Kup(c) => c.to_der(),
            PkiBody::Rr(v) => v.to_der(),
            PkiBody::Rp(v) => v.to_der(),
            PkiBody::Pkiconf => Null.to_der(),
            PkiBody::Genm(v) | PkiBody::Genp(v) => v.to_der(),
            PkiBody::Error(v) => v.to_der(),
            PkiBody::CertConf(v) => v.to_der(),
            PkiBody::PollReq(v) => v.to_der(),
            PkiBody::PollRep(v) => v.to_der(),
            PkiBody::Other(_, any) => return Ok(any.clone()),
        }
        .map_err(|e| cmp_err!("error encoding PKIBody: {e}"))?;
        let tag = Tag::ContextSpecific {
            constructed: true,
            number: TagNumber(self.body_type() as u32),
        };
        Any::new(tag, inner).map_err(|e| cmp_err!("error encoding PKIBody: {e}"))
    }
}

/// `CertReqMsg ::= SEQUENCE { certReq CertRequest, popo ProofOfPossession OPTIONAL, regInfo ... OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct CertReqMsg {
    pub cert_req: CertRequest,
    pub popo: Option<ProofOfPossession>,
    pub reg_info: Option<Vec<AttributeTypeAndValue>>,
}

/// `CertRequest ::= SEQUENCE { certReqId INTEGER, certTemplate CertTemplate, controls Controls OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct CertRequest {
    pub cert_req_id: i64,
    pub cert_template: CertTemplate,
    pub controls: Option<Vec<AttributeTypeAndValue>>,
}

/// `AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY DEFINED BY type }`
#[derive(Clone, Debug, Sequence)]
pub struct AttributeTypeAndValue {
    pub oid: ObjectIdentifier,
    pub value: Any,
}

/// ```text
/// CertTemplate ::= SEQUENCE {            -- IMPLICIT TAGS, but Name and Time are CHOICEs (explicit)
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
#[derive(Clone, Debug, Default, Sequence)]
pub struct CertTemplate {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub version: Option<i64>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub serial_number: Option<der::asn1::Int>,
    #[asn1(
        context_specific = "2",
        tag_mode = "IMPLICIT",
        optional = "true",
        constructed = "true"
    )]
    pub signing_alg: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub issuer: Option<Name>,
    #[asn1(
        context_specific = "4",
        tag_mode = "IMPLICIT",
        optional = "true",
        constructed = "true"
    )]
    pub validity: Option<OptionalValidity>,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT", optional = "true")]
    pub subject: Option<Name>,
    #[asn1(
        context_specific = "6",
        tag_mode = "IMPLICIT",
        optional = "true",
        constructed = "true"
    )]
    pub public_key: Option<SubjectPublicKeyInfoOwned>,
    #[asn1(context_specific = "7", tag_mode = "IMPLICIT", optional = "true")]
    pub issuer_uid: Option<BitString>,
    #[asn1(context_specific = "8", tag_mode = "IMPLICIT", optional = "true")]
    pub subject_uid: Option<BitString>,
    #[asn1(
        context_specific = "9",
        tag_mode = "IMPLICIT",
        optional = "true",
        constructed = "true"
    )]
    pub extensions: Option<Extensions>,
}

/// `OptionalValidity ::= SEQUENCE { notBefore [0] Time OPTIONAL, notAfter [1] Time OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct OptionalValidity {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub not_before: Option<Time>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub not_after: Option<Time>,
}

/// ```text
/// ProofOfPossession ::= CHOICE {
///     raVerified        [0] NULL,
///     signature         [1] POPOSigningKey,
///     keyEncipherment   [2] POPOPrivKey,
///     keyAgreement      [3] POPOPrivKey }
/// ```
#[derive(Clone, Debug, der::Choice)]
pub enum ProofOfPossession {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    RaVerified(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Signature(PopoSigningKey),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    KeyEncipherment(Any),
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", constructed = "true")]
    KeyAgreement(Any),
}

/// `POPOSigningKey ::= SEQUENCE { poposkInput [0] POPOSigningKeyInput OPTIONAL,
///  algorithmIdentifier AlgorithmIdentifier, signature BIT STRING }`
#[derive(Clone, Debug, Sequence)]
/// (`poposkInput` is used only when no subject/publicKey is in the template; the client never sends it.)
pub struct PopoSigningKey {
    pub algorithm_identifier: AlgorithmIdentifierOwned,
    pub signature: BitString,
}

/// `CertId ::= SEQUENCE { issuer GeneralName, serialNumber INTEGER }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct CertId {
    pub issuer: GeneralName,
    pub serial_number: der::asn1::Int,
}

/// `CertRepMessage ::= SEQUENCE { caPubs [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL,
///  response SEQUENCE OF CertResponse }`
#[derive(Clone, Debug, Sequence)]
pub struct CertRepMessage {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub ca_pubs: Option<Vec<Certificate>>,
    pub response: Vec<CertResponse>,
}

/// `CertResponse ::= SEQUENCE { certReqId INTEGER, status PKIStatusInfo,
///  certifiedKeyPair CertifiedKeyPair OPTIONAL, rspInfo OCTET STRING OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct CertResponse {
    pub cert_req_id: der::asn1::Int,
    pub status: PkiStatusInfo,
    pub certified_key_pair: Option<CertifiedKeyPair>,
    pub rsp_info: Option<OctetString>,
}

/// `CertifiedKeyPair ::= SEQUENCE { certOrEncCert CertOrEncCert,
///  privateKey [0] EncryptedKey OPTIONAL, publicationInfo [1] PKIPublicationInfo OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct CertifiedKeyPair {
    pub cert_or_enc_cert: CertOrEncCert,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub private_key: Option<Any>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub publication_info: Option<Any>,
}

/// `CertOrEncCert ::= CHOICE { certificate [0] CMPCertificate, encryptedCert [1] EncryptedKey }`
#[derive(Clone, Debug, der::Choice)]
#[allow(clippy::large_enum_variant)]
pub enum CertOrEncCert {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", constructed = "true")]
    Certificate(Certificate),
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    EncryptedCert(Any),
}

/// `PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL,
///  failInfo PKIFailureInfo OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct PkiStatusInfo {
    pub status: i64,
    pub status_string: Option<FreeText>,
    pub fail_info: Option<BitString>,
}

/// `RevDetails ::= SEQUENCE { certDetails CertTemplate, crlEntryDetails Extensions OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct RevDetails {
    pub cert_details: CertTemplate,
    pub crl_entry_details: Option<Extensions>,
}

/// `RevRepContent ::= SEQUENCE { status SEQUENCE SIZE (1..MAX) OF PKIStatusInfo,
///  revCerts [0] SEQUENCE SIZE (1..MAX) OF CertId OPTIONAL, crls [1] SEQUENCE ... OF CertificateList OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct RevRepContent {
    pub status: Vec<PkiStatusInfo>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub rev_certs: Option<Vec<CertId>>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub crls: Option<Vec<Any>>,
}

/// `CertStatus ::= SEQUENCE { certHash OCTET STRING, certReqId INTEGER,
///  statusInfo PKIStatusInfo OPTIONAL, hashAlg [0] AlgorithmIdentifier OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct CertStatus {
    pub cert_hash: OctetString,
    pub cert_req_id: i64,
    pub status_info: Option<PkiStatusInfo>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub hash_alg: Option<AlgorithmIdentifierOwned>,
}

/// `PollReqContent ::= SEQUENCE OF SEQUENCE { certReqId INTEGER }`
#[derive(Clone, Debug, Sequence)]
pub struct PollReq {
    pub cert_req_id: i64,
}

/// `PollRepContent ::= SEQUENCE OF SEQUENCE { certReqId INTEGER, checkAfter INTEGER,
///  reason PKIFreeText OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct PollRep {
    pub cert_req_id: der::asn1::Int,
    pub check_after: der::asn1::Int,
    pub reason: Option<FreeText>,
}

/// `ErrorMsgContent ::= SEQUENCE { pKIStatusInfo PKIStatusInfo, errorCode INTEGER OPTIONAL,
///  errorDetails PKIFreeText OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
pub struct ErrorMsgContent {
    pub pki_status_info: PkiStatusInfo,
    pub error_code: Option<der::asn1::Int>,
    pub error_details: Option<FreeText>,
}

/// `PBMParameter ::= SEQUENCE { salt OCTET STRING, owf AlgorithmIdentifier, iterationCount INTEGER,
///  mac AlgorithmIdentifier }`
#[derive(Clone, Debug, Sequence)]
pub struct PbmParameter {
    pub salt: OctetString,
    pub owf: AlgorithmIdentifierOwned,
    pub iteration_count: der::asn1::Int,
    pub mac: AlgorithmIdentifierOwned,
}

/// Interpret a DER INTEGER as i64, if it fits.
pub fn int_to_i64(i: &der::asn1::Int) -> Option<i64> {
    let b = i.as_bytes();
    if b.is_empty() || b.len() > 8 {
        return None;
    }
    let neg = b[0] & 0x80 != 0;
    let mut v: i64 = if neg { -1 } else { 0 };
    for byte in b {
        v = (v << 8) | i64::from(*byte);
    }
    Some(v)
}

/// DER INTEGER from i64.
pub fn int_from_i64(v: i64) -> Result<der::asn1::Int> {
    let bytes = v.to_be_bytes();
    // Drop redundant leading bytes while keeping the sign bit right.
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    der::asn1::Int::new(&bytes[start..]).map_err(|e| cmp_err!("error encoding INTEGER: {e}"))
}

/// A GeneralName holding a directory name; the NULL-DN is the empty name.
pub fn dir_name(n: Option<&Name>) -> GeneralName {
    GeneralName::DirectoryName(n.cloned().unwrap_or_default())
}

/// PKIFailureInfo as a bit field (bit 0 = badAlg), from its BIT STRING.
pub fn fail_bits(bs: &BitString) -> u32 {
    let mut v = 0u32;
    for (i, byte) in bs.raw_bytes().iter().enumerate().take(4) {
        for j in 0..8 {
            if byte & (0x80 >> j) != 0 {
                v |= 1 << (i * 8 + j);
            }
        }
    }
    v
}

/// PKIFailureInfo BIT STRING (DER: no trailing zero bits) from a bit field.
pub fn fail_bitstring(bits: u32) -> Result<BitString> {
    let highest = 32 - bits.leading_zeros() as usize; // number of significant bits
    let nbytes = highest.div_ceil(8);
    let mut bytes = vec![0u8; nbytes];
    for i in 0..highest {
        if bits & (1 << i) != 0 {
            bytes[i / 8] |= 0x80 >> (i % 8);
        }
    }
    let unused = (nbytes * 8 - highest) as u8;
    BitString::new(unused, bytes).map_err(|e| cmp_err!("error encoding PKIFailureInfo: {e}"))
}

pub mod oids {
    use der::asn1::ObjectIdentifier as Oid;
    pub const PASSWORD_BASED_MAC: Oid = Oid::new_unwrap("1.2.840.113533.7.66.13");
    pub const DH_BASED_MAC: Oid = Oid::new_unwrap("1.2.840.113533.7.66.30");
    pub const IT_IMPLICIT_CONFIRM: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.13");
    pub const REG_CTRL_OLD_CERT_ID: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.5");
    pub const CE_SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
    pub const CE_CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
    pub const CE_CRL_REASONS: Oid = Oid::new_unwrap("2.5.29.21");
    pub const CE_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
    pub const CE_SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failinfo_bits_roundtrip() {
        for bits in [0u32, 1, 1 << 9, 1 << 20, (1 << 26) | 3] {
            let bs = fail_bitstring(bits).unwrap();
            assert_eq!(fail_bits(&bs), bits);
        }
        // badPOP (9) is the 10th bit: second byte, 0x40, with 6 unused bits.
        let bs = fail_bitstring(1 << 9).unwrap();
        assert_eq!(bs.raw_bytes(), &[0x00, 0x40]);
        assert_eq!(bs.unused_bits(), 6);
    }

    #[test]
    fn int_roundtrip() {
        for v in [0i64, 1, -1, 127, 128, -128, -129, 500, i64::MAX, i64::MIN] {
            assert_eq!(int_to_i64(&int_from_i64(v).unwrap()), Some(v));
        }
    }
}
