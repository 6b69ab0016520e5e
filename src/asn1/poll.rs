//! Polling contents (pollReq, pollRep; RFC 9810 section 5.3.22).

use der::Sequence;

use super::status::PkiFreeText;

/// ```text
/// PollReqContent ::= SEQUENCE OF SEQUENCE {
///     certReqId    INTEGER }
/// ```
/// RFC 9810 section 5.3.22 (certReqId -1 when polling for a non-certificate response).
pub type PollReqContent = Vec<PollReq>;

/// One entry of [`PollReqContent`].
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PollReq {
    pub cert_req_id: i64,
}

/// ```text
/// PollRepContent ::= SEQUENCE OF SEQUENCE {
///     certReqId    INTEGER,
///     checkAfter   INTEGER,  -- time in seconds
///     reason       PKIFreeText OPTIONAL }
/// ```
/// RFC 9810 section 5.3.22.
pub type PollRepContent = Vec<PollRep>;

/// One entry of [`PollRepContent`].
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PollRep {
    pub cert_req_id: i64,
    pub check_after: i64,
    #[asn1(optional = "true")]
    pub reason: Option<PkiFreeText>,
}
