//! Message protection (RFC 9810 section 5.1.3): what is protected (ProtectedPart), the MAC-based
//! protection with a shared secret (PBM, [`pbm`], as OpenSSL; PBMAC1, [`pbmac1`], an rcmp extension)
//! and signatures ([`sig`]). This module only computes and checks protection values; deciding which
//! protection to use or accept is the client's and the server's business ([`choice`] turns the client's
//! options into parameters).

pub mod choice;
pub mod keywrap;
pub mod pbm;
pub mod pbmac1;
pub mod sig;
#[cfg(test)]
mod tests_pbm;
#[cfg(test)]
mod tests_pbm_params;
#[cfg(test)]
mod tests_pbmac1_interop;

pub use choice::MacOptions;

#[cfg(any(test, fuzzing, feature = "bench"))]
use crate::asn1::PkiMessage;
use crate::asn1::{oid, PbmParameter};
use crate::error::Result;
#[cfg(any(test, fuzzing, feature = "bench"))]
use der::asn1::BitString;
use der::asn1::ObjectIdentifier;
use spki::AlgorithmIdentifierOwned;

/// Whether a protectionAlg OID is one of the shared-secret MACs (PBM or PBMAC1).
pub fn is_mac_oid(o: &ObjectIdentifier) -> bool {
    *o == oid::PASSWORD_BASED_MAC || *o == oid::PBMAC1
}

/// The parameters of a shared-secret protection of either kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MacParams {
    Pbm(PbmParameter),
    Pbmac1(pbmac1::Params),
}

impl MacParams {
    /// The checked parameters of a PBM or PBMAC1 protectionAlg.
    pub fn from_alg(alg: &AlgorithmIdentifierOwned) -> Result<MacParams> {
        if alg.oid == oid::PBMAC1 {
            pbmac1::params_from_alg(alg).map(MacParams::Pbmac1)
        } else {
            pbm::params_from_alg(alg).map(MacParams::Pbm)
        }
    }

    pub fn algorithm_identifier(&self) -> Result<AlgorithmIdentifierOwned> {
        match self {
            MacParams::Pbm(p) => pbm::algorithm_identifier(p),
            MacParams::Pbmac1(p) => pbmac1::algorithm_identifier(p),
        }
    }

    /// The same kind and choices with a fresh salt of the same length.
    pub fn renewed(&self) -> Result<MacParams> {
        Ok(match self {
            MacParams::Pbm(p) => MacParams::Pbm(pbm::renewed(p)?),
            MacParams::Pbmac1(p) => MacParams::Pbmac1(p.renewed()?),
        })
    }

    pub fn protect(&self, secret: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        match self {
            MacParams::Pbm(p) => pbm::protect(secret, p, data),
            MacParams::Pbmac1(p) => pbmac1::protect(secret, p, data),
        }
    }

    /// Checks a received value in constant time (`wrong pbm value` on mismatch, for either kind).
    pub fn verify(&self, secret: &[u8], data: &[u8], value: &[u8]) -> Result<()> {
        match self {
            MacParams::Pbm(p) => pbm::verify(secret, p, data, value),
            MacParams::Pbmac1(p) => pbmac1::verify(secret, p, data, value),
        }
    }
}

/// Fills `msg.protection` with the PBM or PBMAC1 value for `secret`, using the parameters already
/// placed in `msg.header.protection_alg` (see [`MacParams::algorithm_identifier`]).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn pbm_protect_message(msg: &mut PkiMessage, secret: &[u8]) -> Result<()> {
    let alg = msg
        .header
        .protection_alg
        .as_ref()
        .ok_or_else(|| cmp_err!("cannot protect message: no protectionAlg in its header"))?;
    let params = MacParams::from_alg(alg)?;
    let value = params.protect(secret, &msg.protected_part_der()?)?;
    msg.protection = Some(
        BitString::from_bytes(&value).map_err(|e| cmp_err!("cannot encode PBM protection: {e}"))?,
    );
    Ok(())
}

/// Checks the PBM protection of a received message against `secret`, over the message's own bytes
/// (`message_der`, from which `msg` was decoded; see [`crate::asn1::protected_part_der_raw`] for why).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn pbm_verify_received(message_der: &[u8], msg: &PkiMessage, secret: &[u8]) -> Result<()> {
    let (params, value) = pbm_params_and_value(msg)?;
    params.verify(
        secret,
        &crate::asn1::protected_part_der_raw(message_der)?,
        value,
    )
}

/// Checks the PBM protection of a message by re-encoding its header and body; for messages built
/// locally. Received messages should use [`pbm_verify_received`].
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn pbm_verify_message(msg: &PkiMessage, secret: &[u8]) -> Result<()> {
    let (params, value) = pbm_params_and_value(msg)?;
    params.verify(secret, &msg.protected_part_der()?, value)
}

#[cfg(any(test, fuzzing, feature = "bench"))]
fn pbm_params_and_value(msg: &PkiMessage) -> Result<(MacParams, &[u8])> {
    let alg = msg
        .header
        .protection_alg
        .as_ref()
        .ok_or_else(|| cmp_err!("missing protection algorithm in message header"))?;
    let params = MacParams::from_alg(alg)?;
    let prot = msg
        .protection
        .as_ref()
        .ok_or_else(|| cmp_err!("missing protection"))?;
    let value = prot
        .as_bytes()
        .ok_or_else(|| cmp_err!("PBM protection value has unused bits"))?;
    Ok((params, value))
}
