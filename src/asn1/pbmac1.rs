//! The parameters of PBMAC1 (RFC 8018 section 7.1 and appendix A.2), as RFC 9481 section 6.1.2 uses
//! them for CMP message protection. Only the structures: deriving keys and checking values is
//! `protect::pbmac1`'s job.

use der::asn1::OctetString;
use der::Sequence;
use spki::AlgorithmIdentifierOwned;

/// ```text
/// PBMAC1-params ::= SEQUENCE {
///     keyDerivationFunc AlgorithmIdentifier {{PBMAC1-KDFs}},
///     messageAuthScheme AlgorithmIdentifier {{PBMAC1-MACs}} }
/// ```
/// RFC 8018 appendix A.5: the parameters of id-PBMAC1.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct Pbmac1Params {
    pub key_derivation_func: AlgorithmIdentifierOwned,
    pub message_auth_scheme: AlgorithmIdentifierOwned,
}

/// ```text
/// PBKDF2-params ::= SEQUENCE {
///     salt CHOICE {
///         specified OCTET STRING,
///         otherSource AlgorithmIdentifier {{PBKDF2-SaltSources}} },
///     iterationCount INTEGER (1..MAX),
///     keyLength INTEGER (1..MAX) OPTIONAL,
///     prf AlgorithmIdentifier {{PBKDF2-PRFs}} DEFAULT algid-hmacWithSHA1 }
/// ```
/// RFC 8018 appendix A.2. RFC 9481 section 6.1.2 allows only the `specified` salt, so the CHOICE is
/// narrowed to the OCTET STRING here: an `otherSource` does not decode. An absent `prf` means the
/// default, hmacWithSHA1.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct Pbkdf2Params {
    pub salt: OctetString,
    pub iteration_count: u64,
    #[asn1(optional = "true")]
    pub key_length: Option<u64>,
    #[asn1(optional = "true")]
    pub prf: Option<AlgorithmIdentifierOwned>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    /// The PBKDF2-params of an AlgorithmIdentifier Bouncy Castle 1.80 made with
    /// `new JcePBMac1CalculatorBuilder("HmacSHA256", 256).setPrf(PRF_SHA256)` (salt shortened).
    #[test]
    fn decodes_and_reencodes_bouncy_castle_params() {
        let der = [
            0x30, 0x1b, 0x04, 0x04, 1, 2, 3, 4, 0x02, 0x02, 0x20, 0x00, 0x02, 0x01, 0x20, 0x30,
            0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09, 0x05, 0x00,
        ];
        let p = Pbkdf2Params::from_der(&der).unwrap();
        assert_eq!(p.salt.as_bytes(), [1, 2, 3, 4]);
        assert_eq!(p.iteration_count, 8192);
        assert_eq!(p.key_length, Some(32));
        assert_eq!(p.prf.as_ref().unwrap().oid, crate::asn1::oid::HMAC_SHA256);
        assert_eq!(p.to_der().unwrap(), der);
        // A salt given as otherSource (an AlgorithmIdentifier) is not taken.
        let other = [0x30, 0x08, 0x30, 0x03, 0x06, 0x01, 0x00, 0x02, 0x01, 0x01];
        assert!(Pbkdf2Params::from_der(&other).is_err());
    }
}
