//! PKIStatus, PKIFailureInfo, PKIStatusInfo and the contents that carry them (error, certConf), plus the
//! status text OpenSSL's client prints for a negative answer.

use der::asn1::{BitString, OctetString};
use der::{DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag, Writer};
use spki::AlgorithmIdentifierOwned;

/// ```text
/// PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
/// ```
/// RFC 9810 section 5.1.1.
pub type PkiFreeText = Vec<String>;

/// ```text
/// PKIStatus ::= INTEGER {
///     accepted               (0),
///     grantedWithMods        (1),
///     rejection              (2),
///     waiting                (3),
///     revocationWarning      (4),
///     revocationNotification (5),
///     keyUpdateWarning       (6) }
/// ```
/// RFC 9810 section 5.2.3. Kept as the raw integer so an out-of-range value still decodes and can be
/// reported instead of failing the whole message.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd, Hash)]
pub struct PkiStatus(pub i64);

impl PkiStatus {
    pub const ACCEPTED: PkiStatus = PkiStatus(0);
    pub const GRANTED_WITH_MODS: PkiStatus = PkiStatus(1);
    pub const REJECTION: PkiStatus = PkiStatus(2);
    pub const WAITING: PkiStatus = PkiStatus(3);
    pub const REVOCATION_WARNING: PkiStatus = PkiStatus(4);
    pub const REVOCATION_NOTIFICATION: PkiStatus = PkiStatus(5);
    pub const KEY_UPDATE_WARNING: PkiStatus = PkiStatus(6);

    /// The ASN.1 name, as OpenSSL prints it in e.g. `revocation accepted (PKIStatus=grantedWithMods)`.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "accepted",
            1 => "grantedWithMods",
            2 => "rejection",
            3 => "waiting",
            4 => "revocationWarning",
            5 => "revocationNotification",
            6 => "keyUpdateWarning",
            _ => return None,
        })
    }

    /// The long description OpenSSL uses at the start of a status text (`PKIStatus: ...`).
    pub fn description(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "PKIStatus: accepted",
            1 => "PKIStatus: granted with modifications",
            2 => "PKIStatus: rejection",
            3 => "PKIStatus: waiting",
            4 => "PKIStatus: revocation warning - a revocation of the cert is imminent",
            5 => "PKIStatus: revocation notification - a revocation of the cert has occurred",
            6 => "PKIStatus: key update warning - update already done for the cert",
            _ => return None,
        })
    }

    /// accepted or grantedWithMods: the request was granted.
    pub fn is_positive(self) -> bool {
        self.0 == 0 || self.0 == 1
    }
}

impl FixedTag for PkiStatus {
    const TAG: Tag = Tag::Integer;
}

impl<'a> DecodeValue<'a> for PkiStatus {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        i64::decode_value(reader, header).map(PkiStatus)
    }
}

impl EncodeValue for PkiStatus {
    fn value_len(&self) -> der::Result<Length> {
        self.0.value_len()
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode_value(writer)
    }
}

/// Names of the PKIFailureInfo bits 0..=26 (RFC 9810 section 5.2.3), as OpenSSL prints them.
pub const FAILURE_NAMES: [&str; 27] = [
    "badAlg",
    "badMessageCheck",
    "badRequest",
    "badTime",
    "badCertId",
    "badDataFormat",
    "wrongAuthority",
    "incorrectData",
    "missingTimeStamp",
    "badPOP",
    "certRevoked",
    "certConfirmed",
    "wrongIntegrity",
    "badRecipientNonce",
    "timeNotAvailable",
    "unacceptedPolicy",
    "unacceptedExtension",
    "addInfoNotAvailable",
    "badSenderNonce",
    "badCertTemplate",
    "signerNotTrusted",
    "transactionIdInUse",
    "unsupportedVersion",
    "notAuthorized",
    "systemUnavail",
    "systemFailure",
    "duplicateCertReq",
];

/// Highest named failure bit (duplicateCertReq).
pub const FAILURE_MAX_BIT: u32 = 26;

/// ```text
/// PKIFailureInfo ::= BIT STRING {
///     badAlg               (0),  badMessageCheck      (1),  badRequest           (2),
///     badTime              (3),  badCertId            (4),  badDataFormat        (5),
///     wrongAuthority       (6),  incorrectData        (7),  missingTimeStamp     (8),
///     badPOP               (9),  certRevoked          (10), certConfirmed        (11),
///     wrongIntegrity       (12), badRecipientNonce    (13), timeNotAvailable     (14),
///     unacceptedPolicy     (15), unacceptedExtension  (16), addInfoNotAvailable  (17),
///     badSenderNonce       (18), badCertTemplate      (19), signerNotTrusted     (20),
///     transactionIdInUse   (21), unsupportedVersion   (22), notAuthorized        (23),
///     systemUnavail        (24), systemFailure        (25), duplicateCertReq     (26) }
/// ```
/// RFC 9810 section 5.2.3. The received BIT STRING is kept as it came (unused-bit count and bytes) so it
/// re-encodes identically; [`bits`](Self::bits) gives bit n as `1 << n` (OpenSSL's representation).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct PkiFailureInfo {
    unused_bits: u8,
    bytes: Vec<u8>,
}

impl PkiFailureInfo {
    /// DER for the given bits (`1 << n` for bit n): trailing zero bits dropped as DER requires for a
    /// BIT STRING with named bits; no bit set gives the empty BIT STRING.
    pub fn from_bits(bits: u32) -> Self {
        if bits == 0 {
            return PkiFailureInfo {
                unused_bits: 0,
                bytes: Vec::new(),
            };
        }
        let highest = 31 - bits.leading_zeros();
        let mut bytes = vec![0u8; (highest / 8 + 1) as usize];
        for n in 0..=highest {
            if bits & (1 << n) != 0 {
                bytes[(n / 8) as usize] |= 0x80 >> (n % 8);
            }
        }
        PkiFailureInfo {
            unused_bits: (7 - highest % 8) as u8,
            bytes,
        }
    }

    fn bit(&self, n: usize) -> bool {
        let total = self.bytes.len() * 8 - self.unused_bits as usize;
        n < total && self.bytes[n / 8] & (0x80 >> (n % 8)) != 0
    }

    /// The set bits as `1 << n`; bits above 31 are ignored (no such bit is defined).
    pub fn bits(&self) -> u32 {
        (0..32)
            .filter(|&n| self.bit(n))
            .fold(0, |acc, n| acc | (1 << n))
    }

    /// Whether any bit above [`FAILURE_MAX_BIT`] is set (OpenSSL rejects such values).
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn has_unknown_bits(&self) -> bool {
        (FAILURE_MAX_BIT as usize + 1..self.bytes.len() * 8).any(|n| self.bit(n))
    }
}

impl FixedTag for PkiFailureInfo {
    const TAG: Tag = Tag::BitString;
}

impl<'a> DecodeValue<'a> for PkiFailureInfo {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        // BitString checks the unused-bit count and that the unused bits are zero.
        let b = BitString::decode_value(reader, header)?;
        Ok(PkiFailureInfo {
            unused_bits: b.unused_bits(),
            bytes: b.raw_bytes().to_vec(),
        })
    }
}

impl EncodeValue for PkiFailureInfo {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.bytes.len() + 1)
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write_byte(self.unused_bits)?;
        writer.write(&self.bytes)
    }
}

/// The names of the failure bits set in `bits`, lowest bit first.
pub fn failure_names(bits: u32) -> Vec<&'static str> {
    (0..=FAILURE_MAX_BIT)
        .filter(|n| bits & (1 << n) != 0)
        .map(|n| FAILURE_NAMES[n as usize])
        .collect()
}

/// The bit number of a failure name (`badRequest` -> 2).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn failure_bit_by_name(name: &str) -> Option<u32> {
    FAILURE_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|p| p as u32)
}

/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText     OPTIONAL,
///     failInfo      PKIFailureInfo  OPTIONAL }
/// ```
/// RFC 9810 section 5.2.3.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo {
    pub status: PkiStatus,
    #[asn1(optional = "true")]
    pub status_string: Option<PkiFreeText>,
    #[asn1(optional = "true")]
    pub fail_info: Option<PkiFailureInfo>,
}

impl PkiStatusInfo {
    /// A status info as OpenSSL's mock builds it: failInfo only when some bit is set, statusString only
    /// when a text is given.
    pub fn new(status: PkiStatus, fail_bits: u32, text: Option<&str>) -> Self {
        PkiStatusInfo {
            status,
            status_string: text.map(|t| vec![t.to_string()]),
            fail_info: (fail_bits != 0).then(|| PkiFailureInfo::from_bits(fail_bits)),
        }
    }

    pub fn accepted() -> Self {
        Self::new(PkiStatus::ACCEPTED, 0, None)
    }

    /// The failure bits, 0 when failInfo is absent.
    pub fn fail_bits(&self) -> u32 {
        self.fail_info.as_ref().map_or(0, PkiFailureInfo::bits)
    }

    /// The text OpenSSL's client prints for this status, e.g.
    /// `PKIStatus: rejection; PKIFailureInfo: badRequest, badCertTemplate; StatusString: "text"`.
    pub fn to_text(&self) -> String {
        status_text(
            self.status,
            self.fail_bits(),
            self.status_string.as_deref().unwrap_or(&[]),
        )
    }
}

/// OpenSSL's status text (checked against OpenSSL 3.0 and 3.5 clients): the status description; then
/// `; PKIFailureInfo: a, b` when bits are set, or `; <no failure info>` for a status other than accepted /
/// grantedWithMods without bits; then `; StatusString: "x"` (`StatusStrings: "x", "y"` for several).
/// For a status outside 0..=6 OpenSSL prints only `PKIStatus: invalid=N` (as the data of its
/// `error parsing pkistatus` error), so that is what this returns.
pub fn status_text(status: PkiStatus, fail_bits: u32, status_strings: &[String]) -> String {
    let Some(desc) = status.description() else {
        return format!("PKIStatus: invalid={}", status.0);
    };
    let mut s = desc.to_string();
    if fail_bits != 0 {
        s.push_str("; PKIFailureInfo: ");
        s.push_str(&failure_names(fail_bits).join(", "));
    } else if !status.is_positive() {
        s.push_str("; <no failure info>");
    }
    if !status_strings.is_empty() {
        s.push_str(if status_strings.len() > 1 {
            "; StatusStrings: "
        } else {
            "; StatusString: "
        });
        let quoted: Vec<String> = status_strings.iter().map(|t| format!("\"{t}\"")).collect();
        s.push_str(&quoted.join(", "));
    }
    s
}

/// ```text
/// ErrorMsgContent ::= SEQUENCE {
///     pKIStatusInfo          PKIStatusInfo,
///     errorCode              INTEGER           OPTIONAL,
///     errorDetails           PKIFreeText       OPTIONAL }
/// ```
/// RFC 9810 section 5.3.21.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct ErrorMsgContent {
    pub pki_status_info: PkiStatusInfo,
    #[asn1(optional = "true")]
    pub error_code: Option<i64>,
    #[asn1(optional = "true")]
    pub error_details: Option<PkiFreeText>,
}

impl ErrorMsgContent {
    /// The text OpenSSL's client appends to `received error:` (checked against 3.0 and 3.5): the status
    /// text, then `; errorCode: %08lX` and `; errorDetails: a, b` when present.
    pub fn to_text(&self) -> String {
        let mut s = self.pki_status_info.to_text();
        if let Some(code) = self.error_code {
            // %08lX of a C long: negative values print as their 64-bit two's complement.
            s.push_str(&format!("; errorCode: {:08X}", code as u64));
        }
        if let Some(details) = &self.error_details {
            if !details.is_empty() {
                s.push_str("; errorDetails: ");
                s.push_str(&details.join(", "));
            }
        }
        s
    }
}

/// ```text
/// CertConfirmContent ::= SEQUENCE OF CertStatus
/// ```
/// RFC 9810 section 5.3.18.
pub type CertConfirmContent = Vec<CertStatus>;

/// ```text
/// CertStatus ::= SEQUENCE {
///     certHash    OCTET STRING,
///     certReqId   INTEGER,
///     statusInfo  PKIStatusInfo OPTIONAL,
///     hashAlg [0] AlgorithmIdentifier{DIGEST-ALGORITHM, {...}} OPTIONAL }
/// ```
/// RFC 9810 section 5.3.18 (hashAlg added by RFC 9480 section 2.10, only with pvno 3). EXPLICIT tag.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertStatus {
    pub cert_hash: OctetString,
    pub cert_req_id: i64,
    #[asn1(optional = "true")]
    pub status_info: Option<PkiStatusInfo>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub hash_alg: Option<AlgorithmIdentifierOwned>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    #[test]
    fn failure_bits_round_trip_through_der() {
        for bits in [
            0u32,
            1,
            1 << 2,
            (1 << 2) | (1 << 19) | (1 << 26),
            1 << 16,
            (1 << 27) - 1,
        ] {
            let fi = PkiFailureInfo::from_bits(bits);
            assert_eq!(fi.bits(), bits);
            let der = fi.to_der().unwrap();
            let back = PkiFailureInfo::from_der(&der).unwrap();
            assert_eq!(back.bits(), bits);
            assert!(!back.has_unknown_bits());
        }
        // badRequest alone is 03 02 05 20: one byte, 5 unused bits.
        assert_eq!(
            PkiFailureInfo::from_bits(1 << 2).to_der().unwrap(),
            [0x03, 0x02, 0x05, 0x20]
        );
        assert_eq!(
            PkiFailureInfo::from_bits(0).to_der().unwrap(),
            [0x03, 0x01, 0x00]
        );
    }

    #[test]
    fn status_text_matches_openssl_wording() {
        let si = PkiStatusInfo::new(
            PkiStatus::REJECTION,
            (1 << 2) | (1 << 19) | (1 << 26),
            Some("golden failure"),
        );
        assert_eq!(
            si.to_text(),
            "PKIStatus: rejection; PKIFailureInfo: badRequest, badCertTemplate, duplicateCertReq; \
             StatusString: \"golden failure\""
        );
        let si = PkiStatusInfo::new(PkiStatus::WAITING, 0, Some("s1"));
        assert_eq!(
            si.to_text(),
            "PKIStatus: waiting; <no failure info>; StatusString: \"s1\""
        );
        let si = PkiStatusInfo::new(PkiStatus::ACCEPTED, 0, None);
        assert_eq!(si.to_text(), "PKIStatus: accepted");
        let text = status_text(PkiStatus::REJECTION, 0, &["a".into(), "b".into()]);
        assert_eq!(
            text,
            "PKIStatus: rejection; <no failure info>; StatusStrings: \"a\", \"b\""
        );
        assert_eq!(
            status_text(PkiStatus(7), 4, &["a".into()]),
            "PKIStatus: invalid=7"
        );
    }

    #[test]
    fn error_text_has_code_and_details() {
        let e = ErrorMsgContent {
            pki_status_info: PkiStatusInfo::new(
                PkiStatus::REJECTION,
                1 << 2,
                Some("error processing message"),
            ),
            error_code: Some(0x1D00009E),
            error_details: Some(vec![
                "CMP routines".into(),
                "error processing message".into(),
            ]),
        };
        assert_eq!(
            e.to_text(),
            "PKIStatus: rejection; PKIFailureInfo: badRequest; StatusString: \"error processing message\"; \
             errorCode: 1D00009E; errorDetails: CMP routines, error processing message"
        );
    }

    #[test]
    fn failure_name_lookup() {
        assert_eq!(failure_bit_by_name("duplicateCertReq"), Some(26));
        assert_eq!(failure_names(1 << 25), ["systemFailure"]);
    }
}
