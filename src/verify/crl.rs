//! Revocation checking with given CRLs (-crl_check, -crl_check_all), as OpenSSL does it with CRLs in
//! the trust store: pick a CRL from the certificate's issuer, check who signed it, its signature, its
//! times and critical extensions, then look for the serial number.
//! Delta CRLs, indirect CRLs and distribution-point scopes are not handled (-use_deltas and
//! -extended_crl are refused).

use der::Encode;

use super::build::Node;
use super::info::{Info, KU_CRL_SIGN};
use super::names::canon_name;
use super::{code, sig, Crl, VerifyFailure};
use crate::asn1::oid;

/// CRL extensions OpenSSL handles; a critical one not listed makes the CRL unusable.
const HANDLED_CRL_EXTENSIONS: &[const_oid::ObjectIdentifier] = &[
    oid::CE_CRL_NUMBER,
    oid::CE_AUTHORITY_KEY_ID,
    oid::CE_ISSUING_DISTRIBUTION_POINT,
    oid::CE_DELTA_CRL_INDICATOR,
    oid::CE_FRESHEST_CRL,
];

struct CrlInfo<'c> {
    crl: &'c Crl,
    tbs: Vec<u8>,
}

fn unix(t: x509_cert::time::Time) -> i64 {
    t.to_unix_duration().as_secs() as i64
}

/// Check the certificate at `depth` of `chain` against the CRLs.
pub(crate) fn check_cert(
    chain: &[Node],
    depth: usize,
    crls: &[Crl],
    time: Option<i64>,
) -> Result<(), VerifyFailure> {
    let x = &chain[depth];
    let fail = |err: i32| Err(VerifyFailure::at(err, depth, &x.info));
    // The issuer of the certificate (and so of its CRL): the next one up, or itself at the top.
    let issuer: &Info = match chain.get(depth + 1) {
        Some(n) => &n.info,
        None if x.info.self_issued => &x.info,
        None => return fail(code::UNABLE_TO_GET_CRL_ISSUER),
    };
    // Candidate CRLs: issued under the certificate's issuer name. Prefer one whose times are fine.
    let mut cands: Vec<CrlInfo> = Vec::new();
    for crl in crls {
        let c = crl.crl();
        if canon_name(&c.tbs_cert_list.issuer) != x.info.issuer {
            continue;
        }
        let Some(tbs) = crate::creds::tlv_content(crl.der()).and_then(crate::creds::first_tlv)
        else {
            continue;
        };
        cands.push(CrlInfo {
            crl,
            tbs: tbs.to_vec(),
        });
    }
    if cands.is_empty() {
        return fail(code::UNABLE_TO_GET_CRL);
    }
    let times_ok = |ci: &CrlInfo| crl_time_error(ci.crl, time).is_none();
    let best = cands.iter().find(|c| times_ok(c)).unwrap_or(&cands[0]);
    let c = best.crl.crl();

    // check_crl: issuer key usage, signature, times, critical extensions.
    if issuer.ku_reject(KU_CRL_SIGN) {
        return fail(code::KEYUSAGE_NO_CRL_SIGN);
    }
    let params = match &c.signature_algorithm.parameters {
        Some(p) => p.to_der().ok(),
        None => None,
    };
    if !sig::verify(
        &issuer.spki,
        &c.signature_algorithm.oid,
        params.as_deref(),
        &best.tbs,
        c.signature.raw_bytes(),
    ) {
        return fail(code::CRL_SIGNATURE_FAILURE);
    }
    if let Some(err) = crl_time_error(best.crl, time) {
        return fail(err);
    }
    for ext in c.tbs_cert_list.crl_extensions.iter().flatten() {
        if ext.critical && !HANDLED_CRL_EXTENSIONS.contains(&ext.extn_id) {
            return fail(code::UNHANDLED_CRITICAL_CRL_EXTENSION);
        }
    }
    // cert_crl: is the serial listed?
    for rc in c.tbs_cert_list.revoked_certificates.iter().flatten() {
        if rc.serial_number.as_bytes() == x.info.serial.as_slice() {
            for ext in rc.crl_entry_extensions.iter().flatten() {
                // removeFromCRL (8) in a reasonCode means "no longer revoked" (delta CRLs only).
                if ext.extn_id == oid::CE_CRL_REASONS
                    && ext.extn_value.as_bytes() == [0x0a, 0x01, 0x08]
                {
                    return Ok(());
                }
                if ext.critical && ext.extn_id != oid::CE_CRL_REASONS {
                    return fail(code::UNHANDLED_CRITICAL_CRL_EXTENSION);
                }
            }
            return fail(code::CERT_REVOKED);
        }
    }
    Ok(())
}

fn crl_time_error(crl: &Crl, time: Option<i64>) -> Option<i32> {
    let t = time?;
    let tbs = &crl.crl().tbs_cert_list;
    if unix(tbs.this_update) > t {
        return Some(code::CRL_NOT_YET_VALID);
    }
    match tbs.next_update {
        Some(nu) if unix(nu) < t => Some(code::CRL_HAS_EXPIRED),
        _ => None,
    }
}
