//! Message protection (RFC 9810 section 5.1.3): what is protected (ProtectedPart) and the MAC-based
//! protection with a shared secret (PBM, [`pbm`]). Signature protection lives beside it once written.
//! This module only computes and checks protection values; deciding which protection to use or accept
//! is the client's and the server's business.

pub mod pbm;

pub use crate::asn1::{protected_part_der, protected_part_der_raw};

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

/// Checks the PBM protection of a received message against `secret`, over the message's own bytes
/// (`message_der`, from which `msg` was decoded; see [`protected_part_der_raw`] for why).
pub fn pbm_verify_received(message_der: &[u8], msg: &PkiMessage, secret: &[u8]) -> Result<()> {
    let (params, value) = pbm_params_and_value(msg)?;
    pbm::verify(
        secret,
        &params,
        &protected_part_der_raw(message_der)?,
        value,
    )
}

/// Checks the PBM protection of a message by re-encoding its header and body; for messages built
/// locally. Received messages should use [`pbm_verify_received`].
pub fn pbm_verify_message(msg: &PkiMessage, secret: &[u8]) -> Result<()> {
    let (params, value) = pbm_params_and_value(msg)?;
    pbm::verify(secret, &params, &msg.protected_part_der()?, value)
}

fn pbm_params_and_value(msg: &PkiMessage) -> Result<(crate::asn1::PbmParameter, &[u8])> {
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
    Ok((params, value))
}
