//! PKIHeader (RFC 9810 section 5.1.1).

use std::time::SystemTime;

use der::asn1::{GeneralizedTime, OctetString};
use der::{
    DateTime, DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag, Writer,
};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;

use super::itav::InfoTypeAndValue;
use super::status::PkiFreeText;

/// pvno `cmp2000`: what OpenSSL sends unless a feature needs `cmp2021`.
#[cfg(any(test, fuzzing, feature = "bench"))]
pub const PVNO_CMP2000: i64 = 2;
/// pvno `cmp2021` (RFC 9480): needed e.g. for certConf hashAlg or EnvelopedData.
#[cfg(any(test, fuzzing, feature = "bench"))]
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
    pub message_time: Option<CmpTime>,
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

/// The Name of a directoryName GeneralName (the only kind of name CMP's checks compare).
pub fn directory_name(g: &GeneralName) -> Option<&x509_cert::name::Name> {
    match g {
        GeneralName::DirectoryName(n) => Some(n),
        _ => None,
    }
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

/// A GeneralizedTime as CMP carries it (messageTime, confirmWaitTime). X.690 DER allows fractional
/// seconds (`YYYYMMDDHHMMSS.fffZ`), which `der`'s GeneralizedTime refuses (it implements RFC 5280's
/// certificate profile); some CAs send them. The text is kept as received so it re-encodes unchanged;
/// what rcmp sends has whole seconds, as OpenSSL's does.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CmpTime(String);

impl CmpTime {
    /// The given time, to the second.
    pub fn from_system_time(t: SystemTime) -> der::Result<Self> {
        let gt = GeneralizedTime::from_system_time(t)?;
        let dt = gt.to_date_time();
        Ok(CmpTime(format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}Z",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minutes(),
            dt.seconds()
        )))
    }

    /// The current time, to the second.
    pub fn now() -> der::Result<Self> {
        Self::from_system_time(SystemTime::now())
    }

    /// The text, e.g. `20261124040234Z`.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Seconds since the Unix epoch (fractions dropped).
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn unix_secs(&self) -> u64 {
        // Validated when constructed, so parsing cannot fail here; 0 keeps this total anyway.
        Self::parse(self.0.as_bytes()).map_or(0, |d| d.unix_duration().as_secs())
    }

    /// Checks `YYYYMMDDHHMMSS[.d+]Z` and a valid date and time.
    fn parse(b: &[u8]) -> Option<DateTime> {
        let digits = |r: std::ops::Range<usize>| -> Option<u16> {
            let s = b.get(r)?;
            s.iter()
                .all(u8::is_ascii_digit)
                .then(|| s.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0')))
        };
        if b.len() < 15 || b.last() != Some(&b'Z') {
            return None;
        }
        let frac = &b[14..b.len() - 1];
        if !frac.is_empty()
            && (frac[0] != b'.' || frac.len() < 2 || !frac[1..].iter().all(u8::is_ascii_digit))
        {
            return None;
        }
        let two = |i: usize| digits(i..i + 2).and_then(|v| u8::try_from(v).ok());
        DateTime::new(digits(0..4)?, two(4)?, two(6)?, two(8)?, two(10)?, two(12)?).ok()
    }
}

/// Longest GeneralizedTime text accepted (a generous number of fraction digits).
const MAX_TIME_LEN: usize = 40;

impl FixedTag for CmpTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for CmpTime {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let len = usize::try_from(header.length())?;
        if len > MAX_TIME_LEN {
            return Err(Tag::GeneralizedTime.length_error().into());
        }
        let bytes = reader.read_vec(header.length())?;
        match (Self::parse(&bytes), String::from_utf8(bytes)) {
            (Some(_), Ok(s)) => Ok(CmpTime(s)),
            _ => Err(Tag::GeneralizedTime.value_error().into()),
        }
    }
}

impl EncodeValue for CmpTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.0.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    #[test]
    fn cmp_time_accepts_fractions_and_round_trips() {
        for text in [
            "20261124040234Z",
            "20261124040234.5Z",
            "20261124040234.123Z",
        ] {
            let mut der = vec![0x18, text.len() as u8];
            der.extend_from_slice(text.as_bytes());
            let t = CmpTime::from_der(&der).unwrap();
            assert_eq!(t.as_str(), text);
            assert_eq!(t.to_der().unwrap(), der);
            assert_eq!(t.unix_secs(), 1_795_492_954);
        }
        for bad in [
            "20261124040234",
            "2026112404023Z",
            "20261324040234Z",
            "20261124040234.Z",
            "2026112404023aZ",
        ] {
            let mut der = vec![0x18, bad.len() as u8];
            der.extend_from_slice(bad.as_bytes());
            assert!(CmpTime::from_der(&der).is_err(), "{bad}");
        }
    }

    #[test]
    fn cmp_time_now_has_whole_seconds() {
        let t = CmpTime::from_system_time(
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_492_954),
        )
        .unwrap();
        assert_eq!(t.as_str(), "20261124040234Z");
        assert_eq!(t.unix_secs(), 1_795_492_954);
    }
}
