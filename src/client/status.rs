//! How PKIStatusInfo, failure bits and error messages are worded in log lines and errors, as OpenSSL's
//! `OSSL_CMP_snprint_PKIStatusInfo` words them (scripts grep for these texts).

use super::wire::{fail_bits, PkiStatusInfo};

pub const ACCEPTED: i64 = 0;
pub const GRANTED_WITH_MODS: i64 = 1;
pub const REJECTION: i64 = 2;
pub const WAITING: i64 = 3;
pub const REVOCATION_WARNING: i64 = 4;
pub const REVOCATION_NOTIFICATION: i64 = 5;
pub const KEY_UPDATE_WARNING: i64 = 6;

/// PKIFailureInfo bit numbers used by the client.
pub const BAD_REQUEST: u32 = 2;
pub const INCORRECT_DATA: u32 = 7;

const FAILURE_NAMES: [&str; 27] = [
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

/// `PKIStatus: ...` wording of a status value.
pub fn status_text(status: i64) -> &'static str {
    match status {
        ACCEPTED => "PKIStatus: accepted",
        GRANTED_WITH_MODS => "PKIStatus: granted with modifications",
        REJECTION => "PKIStatus: rejection",
        WAITING => "PKIStatus: waiting",
        REVOCATION_WARNING => {
            "PKIStatus: revocation warning - a revocation of the cert is imminent"
        }
        REVOCATION_NOTIFICATION => {
            "PKIStatus: revocation notification - a revocation of the cert has occurred"
        }
        KEY_UPDATE_WARNING => "PKIStatus: key update warning - update already done for the cert",
        _ => "PKIStatus: invalid",
    }
}

/// Names of the failure bits set, in bit order.
pub fn failure_names(bits: u32) -> Vec<&'static str> {
    (0..FAILURE_NAMES.len())
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| FAILURE_NAMES[i])
        .collect()
}

/// The full one-line rendering: `PKIStatus: rejection; PKIFailureInfo: badPOP; StatusString: "..."`.
pub fn pkisi_text(si: &PkiStatusInfo) -> String {
    let mut out = status_text(si.status).to_string();
    let bits = si.fail_info.as_ref().map(fail_bits).unwrap_or(0);
    let names = failure_names(bits);
    if !names.is_empty() {
        out.push_str("; PKIFailureInfo: ");
        out.push_str(&names.join(", "));
    } else if si.status != ACCEPTED && si.status != GRANTED_WITH_MODS {
        out.push_str("; <no failure info>");
    }
    if let Some(strings) = si.status_string.as_ref().filter(|s| !s.is_empty()) {
        out.push_str(if strings.len() > 1 {
            "; StatusStrings: "
        } else {
            "; StatusString: "
        });
        let quoted: Vec<String> = strings.iter().map(|s| format!("\"{s}\"")).collect();
        out.push_str(&quoted.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::wire::fail_bitstring;

    #[test]
    fn renders_like_openssl() {
        let si = PkiStatusInfo {
            status: REJECTION,
            status_string: Some(vec!["xyz".into()]),
            fail_info: Some(fail_bitstring(1 << 20).unwrap()),
        };
        assert_eq!(
            pkisi_text(&si),
            "PKIStatus: rejection; PKIFailureInfo: signerNotTrusted; StatusString: \"xyz\""
        );
        let si = PkiStatusInfo {
            status: WAITING,
            status_string: None,
            fail_info: None,
        };
        assert_eq!(pkisi_text(&si), "PKIStatus: waiting; <no failure info>");
        let si = PkiStatusInfo {
            status: ACCEPTED,
            status_string: Some(vec!["a".into(), "b".into()]),
            fail_info: None,
        };
        assert_eq!(
            pkisi_text(&si),
            "PKIStatus: accepted; StatusStrings: \"a\", \"b\""
        );
        assert_eq!(
            failure_names((1 << 9) | (1 << 26)),
            vec!["badPOP", "duplicateCertReq"]
        );
    }
}
