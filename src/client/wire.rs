//! The client's view of the `asn1` area's message types: re-exports, the body kinds as an enum the
//! session can match on, and decoding of received messages together with the exact bytes their
//! protection covers.

pub use crate::asn1::{
    AttributeTypeAndValue, CertId, CertOrEncCert, CertRepMessage, CertReqMsg, CertRequest,
    CertResponse, CertStatus, CertTemplate, CmpCertificate, ErrorMsgContent, InfoTypeAndValue,
    OptionalValidity, PkiBody, PkiHeader, PkiMessage, PkiStatus, PkiStatusInfo, PollReq,
    PopoPrivKey, PopoSigningKey, ProofOfPossession, RevDetails,
};

use crate::error::Result;

/// Most certificates a peer may put into one list (extraCerts, caPubs). A response is at most
/// 100 KiB (as in OpenSSL), which already bounds memory; this is about as many certificates as could
/// fit, so that no answer OpenSSL accepts is refused for its count (handling is linear in it).
pub const MAX_CERTS: usize = 1000;

/// A decoded response together with the DER of its protected part as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub msg: PkiMessage,
    pub protected_part: Vec<u8>,
}

impl Received {
    /// Decode a message from the peer (size and nesting bounded), keeping its protected part as sent.
    pub fn decode(der_bytes: &[u8], what: &str) -> Result<Received> {
        let msg = PkiMessage::from_der_bounded(der_bytes, what)?;
        if msg
            .extra_certs
            .as_ref()
            .is_some_and(|c| c.len() > MAX_CERTS)
        {
            return Err(crate::cmp_err!(
                "too many extraCerts in CMP message from {what}"
            ));
        }
        let protected_part = crate::asn1::protected_part_der_raw(der_bytes)?;
        Ok(Received {
            msg,
            protected_part,
        })
    }
}

/// The body kinds, numbered as the `PKIBody` CHOICE tags are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyType {
    Ir,
    Ip,
    Cr,
    Cp,
    P10cr,
    Kur,
    Kup,
    Rr,
    Rp,
    PkiConf,
    Genm,
    Genp,
    Error,
    CertConf,
    PollReq,
    PollRep,
    /// Any body the client neither sends nor expects.
    Other(u32),
}

impl BodyType {
    pub fn of(body: &PkiBody) -> BodyType {
        match body.type_number() {
            0 => BodyType::Ir,
            1 => BodyType::Ip,
            2 => BodyType::Cr,
            3 => BodyType::Cp,
            4 => BodyType::P10cr,
            7 => BodyType::Kur,
            8 => BodyType::Kup,
            11 => BodyType::Rr,
            12 => BodyType::Rp,
            19 => BodyType::PkiConf,
            21 => BodyType::Genm,
            22 => BodyType::Genp,
            23 => BodyType::Error,
            24 => BodyType::CertConf,
            25 => BodyType::PollReq,
            26 => BodyType::PollRep,
            n => BodyType::Other(n),
        }
    }

    fn number(self) -> u32 {
        match self {
            BodyType::Ir => 0,
            BodyType::Ip => 1,
            BodyType::Cr => 2,
            BodyType::Cp => 3,
            BodyType::P10cr => 4,
            BodyType::Kur => 7,
            BodyType::Kup => 8,
            BodyType::Rr => 11,
            BodyType::Rp => 12,
            BodyType::PkiConf => 19,
            BodyType::Genm => 21,
            BodyType::Genp => 22,
            BodyType::Error => 23,
            BodyType::CertConf => 24,
            BodyType::PollReq => 25,
            BodyType::PollRep => 26,
            BodyType::Other(n) => n,
        }
    }

    /// The upper-case name OpenSSL logs (`sending IR`, `received PKICONF`).
    pub fn name(self) -> &'static str {
        crate::asn1::body_type_name(self.number()).unwrap_or("unknown")
    }
}

pub mod oids {
    #[cfg(test)]
    pub use crate::asn1::oid::PASSWORD_BASED_MAC;
    pub use crate::asn1::oid::{
        CE_CERTIFICATE_POLICIES, CE_CRL_REASONS, CE_SUBJECT_ALT_NAME, DH_BASED_MAC,
        IT_IMPLICIT_CONFIRM, REG_CTRL_OLD_CERT_ID,
    };
}

/// The extraCerts of a message (empty when absent).
pub fn extra_certs(msg: &PkiMessage) -> &[CmpCertificate] {
    msg.extra_certs.as_deref().unwrap_or(&[])
}
