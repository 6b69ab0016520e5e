//! PKIStatus values and PKIFailureInfo bits the client acts on; their wording in log lines and errors is
//! the `asn1` area's (`PkiStatusInfo::to_text`, `ErrorMsgContent::to_text`), matching OpenSSL's.

use super::wire::PkiStatus;

pub const ACCEPTED: PkiStatus = PkiStatus::ACCEPTED;
pub const GRANTED_WITH_MODS: PkiStatus = PkiStatus::GRANTED_WITH_MODS;
pub const REJECTION: PkiStatus = PkiStatus::REJECTION;
pub const WAITING: PkiStatus = PkiStatus::WAITING;
pub const REVOCATION_WARNING: PkiStatus = PkiStatus::REVOCATION_WARNING;
pub const REVOCATION_NOTIFICATION: PkiStatus = PkiStatus::REVOCATION_NOTIFICATION;
pub const KEY_UPDATE_WARNING: PkiStatus = PkiStatus::KEY_UPDATE_WARNING;

/// PKIFailureInfo bit numbers used by the client.
pub const BAD_REQUEST: u32 = 2;
pub const INCORRECT_DATA: u32 = 7;
