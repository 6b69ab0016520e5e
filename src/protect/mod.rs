//! Message protection (RFC 9810 section 5.1.3): what is protected (ProtectedPart) and the MAC-based
//! protection with a shared secret (PBM, [`pbm`]). Signature protection lives beside it once written.
//! This module only computes and checks protection values; deciding which protection to use or accept
//! is the client's and the server's business.

pub mod pbm;

pub use crate::asn1::protected_part_der;

use crate::asn1::{oid, PkiMessage};
use crate::cmp_err;
use crate::error::Result;
use der::asn1::BitString;

/// Whether the message's protectionAlg is id-PasswordBasedMac.
pub fn is_pbm_protected(msg: &PkiMessage) -> bool {
    msg.header
        .protection_alg
        .as_ref()
        .is_some_and(|a| a.oid == oid::PASSWORD_BASED_MAC)
}

/// Fills `msg.protection` with the PBM value for `secret`, using the PBMParameter already placed in
/// `msg.header.protection_alg` (see [`pbm::algorithm_identifier`]).
pub fn pbm_protect_message(msg: &mut PkiMessage, secret: &[u8]) -> Result<()> {
    let alg = msg
        .header
        .protection_alg
        .as_ref()
        .ok_or_else(|| cmp_err!("cannot protect message: no protectionAlg in its header"))?;
    let params = pbm::params_from_alg(alg)?;
    let value = pbm::protect(secret, &params, &msg.protected_part_der()?)?;
    msg.protection = Some(
        BitString::from_bytes(&value).map_err(|e| cmp_err!("cannot encode PBM protection: {e}"))?,
    );
    Ok(())
}

/// Checks the PBM protection of a received message against `secret`.
pub fn pbm_verify_message(msg: &PkiMessage, secret: &[u8]) -> Result<()> {
    let alg = msg
        .header
        .protection_alg
        .as_ref()
        .ok_or_else(|| cmp_err!("missing protection algorithm in message header"))?;
    let params = pbm::params_from_alg(alg)?;
    let prot = msg
        .protection
        .as_ref()
        .ok_or_else(|| cmp_err!("missing protection"))?;
    let value = prot
        .as_bytes()
        .ok_or_else(|| cmp_err!("PBM protection value has unused bits"))?;
    pbm::verify(secret, &params, &msg.protected_part_der()?, value)
}
