//! Certificate path building and validation as OpenSSL's X.509 verifier does it, for CMP: the server's
//! signer certificate against -trusted (with -untrusted and extraCerts as intermediates), newly enrolled
//! certificates against -out_trusted, the client's own chain against -own_trusted, and, in the mock
//! server, clients against -srv_trusted.
//!
//! The verdicts, the chain built and the error reasons (with OpenSSL's verify error strings and depths)
//! follow `X509_verify_cert`; tests compare them with the real `openssl verify`.

mod build;
mod check;
mod cmp;
mod crl;
mod info;
mod names;
mod params;
mod sig;
mod store;

// Unit tests against the real `openssl verify` and OpenSSL's test PKI (they use the test harness).
#[cfg(test)]
mod tests_cmp;
#[cfg(test)]
mod tests_openssl;

pub use crate::creds::{Cert, Crl};
pub use cmp::{find_and_validate_signer, SignerQuery, TaInIp};
pub use names::oneline;
pub use params::{VerifyParams, DEFAULT_DEPTH};
pub use store::TrustStore;

use crate::error::{Error, Result};
use build::{Builder, Node};

/// OpenSSL's X509_V_ERR_* codes used here.
pub mod code {
    pub const UNSPECIFIED: i32 = 1;
    pub const UNABLE_TO_GET_ISSUER_CERT: i32 = 2;
    pub const UNABLE_TO_GET_CRL: i32 = 3;
    pub const CERT_SIGNATURE_FAILURE: i32 = 7;
    pub const CRL_SIGNATURE_FAILURE: i32 = 8;
    pub const CERT_NOT_YET_VALID: i32 = 9;
    pub const CERT_HAS_EXPIRED: i32 = 10;
    pub const CRL_NOT_YET_VALID: i32 = 11;
    pub const CRL_HAS_EXPIRED: i32 = 12;
    pub const DEPTH_ZERO_SELF_SIGNED_CERT: i32 = 18;
    pub const SELF_SIGNED_CERT_IN_CHAIN: i32 = 19;
    pub const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
    pub const UNABLE_TO_VERIFY_LEAF_SIGNATURE: i32 = 21;
    pub const CERT_CHAIN_TOO_LONG: i32 = 22;
    pub const CERT_REVOKED: i32 = 23;
    pub const INVALID_CA: i32 = 79;
    pub const PATH_LENGTH_EXCEEDED: i32 = 25;
    pub const INVALID_PURPOSE: i32 = 26;
    pub const KEYUSAGE_NO_CERTSIGN: i32 = 32;
    pub const UNABLE_TO_GET_CRL_ISSUER: i32 = 33;
    pub const UNHANDLED_CRITICAL_EXTENSION: i32 = 34;
    pub const KEYUSAGE_NO_CRL_SIGN: i32 = 35;
    pub const UNHANDLED_CRITICAL_CRL_EXTENSION: i32 = 36;
    pub const INVALID_NON_CA: i32 = 37;
    pub const PROXY_CERTIFICATES_NOT_ALLOWED: i32 = 40;
    pub const HOSTNAME_MISMATCH: i32 = 62;
    pub const EMAIL_MISMATCH: i32 = 63;
    pub const IP_ADDRESS_MISMATCH: i32 = 64;
    pub const EE_KEY_TOO_SMALL: i32 = 66;
    pub const CA_KEY_TOO_SMALL: i32 = 67;
    pub const CA_MD_TOO_WEAK: i32 = 68;
    pub const SIGNATURE_ALGORITHM_INCONSISTENCY: i32 = 78;
    pub const PATHLEN_INVALID_FOR_NON_CA: i32 = 80;
    pub const PATHLEN_WITHOUT_KU_KEY_CERT_SIGN: i32 = 81;
    pub const KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA: i32 = 82;
    pub const ISSUER_NAME_EMPTY: i32 = 83;
    pub const SUBJECT_NAME_EMPTY: i32 = 84;
    pub const MISSING_AUTHORITY_KEY_IDENTIFIER: i32 = 85;
    pub const MISSING_SUBJECT_KEY_IDENTIFIER: i32 = 86;
    pub const EMPTY_SUBJECT_ALT_NAME: i32 = 87;
    pub const CA_BCONS_NOT_CRITICAL: i32 = 89;
    pub const AUTHORITY_KEY_IDENTIFIER_CRITICAL: i32 = 90;
    pub const SUBJECT_KEY_IDENTIFIER_CRITICAL: i32 = 91;
    pub const CA_CERT_MISSING_KEY_USAGE: i32 = 92;
    pub const EXTENSIONS_REQUIRE_VERSION_3: i32 = 93;
    pub const DUPLICATE_EXTENSION: i32 = 95;

    /// OpenSSL's X509_verify_cert_error_string for the codes above.
    pub fn reason(code: i32) -> &'static str {
        match code {
            0 => "ok",
            UNABLE_TO_GET_ISSUER_CERT => "unable to get issuer certificate",
            UNABLE_TO_GET_CRL => "unable to get certificate CRL",
            CERT_SIGNATURE_FAILURE => "certificate signature failure",
            CRL_SIGNATURE_FAILURE => "CRL signature failure",
            CERT_NOT_YET_VALID => "certificate is not yet valid",
            CERT_HAS_EXPIRED => "certificate has expired",
            CRL_NOT_YET_VALID => "CRL is not yet valid",
            CRL_HAS_EXPIRED => "CRL has expired",
            DEPTH_ZERO_SELF_SIGNED_CERT => "self-signed certificate",
            SELF_SIGNED_CERT_IN_CHAIN => "self-signed certificate in certificate chain",
            UNABLE_TO_GET_ISSUER_CERT_LOCALLY => "unable to get local issuer certificate",
            UNABLE_TO_VERIFY_LEAF_SIGNATURE => "unable to verify the first certificate",
            CERT_CHAIN_TOO_LONG => "certificate chain too long",
            CERT_REVOKED => "certificate revoked",
            INVALID_CA => "invalid CA certificate",
            PATH_LENGTH_EXCEEDED => "path length constraint exceeded",
            INVALID_PURPOSE => "unsuitable certificate purpose",
            KEYUSAGE_NO_CERTSIGN => "key usage does not include certificate signing",
            UNABLE_TO_GET_CRL_ISSUER => "unable to get CRL issuer certificate",
            UNHANDLED_CRITICAL_EXTENSION => "unhandled critical extension",
            KEYUSAGE_NO_CRL_SIGN => "key usage does not include CRL signing",
            UNHANDLED_CRITICAL_CRL_EXTENSION => "unhandled critical CRL extension",
            INVALID_NON_CA => "invalid non-CA certificate (has CA markings)",
            PROXY_CERTIFICATES_NOT_ALLOWED => {
                "proxy certificates not allowed, please set the appropriate flag"
            }
            HOSTNAME_MISMATCH => "hostname mismatch",
            EMAIL_MISMATCH => "email address mismatch",
            IP_ADDRESS_MISMATCH => "IP address mismatch",
            EE_KEY_TOO_SMALL => "EE certificate key too weak",
            CA_KEY_TOO_SMALL => "CA certificate key too weak",
            CA_MD_TOO_WEAK => "CA signature digest algorithm too weak",
            SIGNATURE_ALGORITHM_INCONSISTENCY => {
                "cert info signature and signature algorithm mismatch"
            }
            PATHLEN_INVALID_FOR_NON_CA => "Path length invalid for non-CA cert",
            PATHLEN_WITHOUT_KU_KEY_CERT_SIGN => "Path length given without key usage keyCertSign",
            KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA => "Key usage keyCertSign invalid for non-CA cert",
            ISSUER_NAME_EMPTY => "Issuer name empty",
            SUBJECT_NAME_EMPTY => "Subject name empty",
            MISSING_AUTHORITY_KEY_IDENTIFIER => "Missing Authority Key Identifier",
            MISSING_SUBJECT_KEY_IDENTIFIER => "Missing Subject Key Identifier",
            EMPTY_SUBJECT_ALT_NAME => "Empty Subject Alternative Name extension",
            CA_BCONS_NOT_CRITICAL => "Basic Constraints of CA cert not marked critical",
            AUTHORITY_KEY_IDENTIFIER_CRITICAL => "Authority Key Identifier marked critical",
            SUBJECT_KEY_IDENTIFIER_CRITICAL => "Subject Key Identifier marked critical",
            CA_CERT_MISSING_KEY_USAGE => "CA cert does not include key usage extension",
            EXTENSIONS_REQUIRE_VERSION_3 => "Using cert extension requires at least X509v3",
            DUPLICATE_EXTENSION => "Duplicate extension",
            _ => "unspecified certificate verification error",
        }
    }
}

/// Why a chain did not verify: OpenSSL's error code, the depth at which it was found (0 = target) and
/// the certificate concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyFailure {
    pub code: i32,
    pub depth: usize,
    /// The certificate's subject in one-line form (`/CN=...`).
    pub subject: String,
    pub issuer: String,
}

impl VerifyFailure {
    pub(crate) fn at(code: i32, depth: usize, info: &info::Info) -> Self {
        VerifyFailure {
            code,
            depth,
            subject: oneline(info.x509().tbs_certificate().subject()),
            issuer: oneline(info.x509().tbs_certificate().issuer()),
        }
    }

    /// OpenSSL's text for the error code.
    pub fn reason(&self) -> &'static str {
        code::reason(self.code)
    }
}

impl std::fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "certificate verification failed at depth = {} error = {} ({}) for subject = {}",
            self.depth,
            self.code,
            self.reason(),
            self.subject
        )
    }
}

impl From<VerifyFailure> for Error {
    fn from(v: VerifyFailure) -> Error {
        Error::cmp(v.to_string())
    }
}

/// Result of a verification: the chain (target first, anchor last) or why it failed.
pub type VerifyResult = std::result::Result<Vec<Cert>, VerifyFailure>;

fn nodes(certs: &[Cert], what: &str) -> Result<Vec<Node>> {
    certs
        .iter()
        .map(|c| Node::new(c).map_err(|e| Error::cmp(format!("{what}: {e}"))))
        .collect()
}

/// Verify `target` against the trust anchors in `trusted`, using `untrusted` as intermediates, and
/// return the chain built (target .. anchor). No CRLs: with -crl_check this fails as OpenSSL does
/// without CRLs ("unable to get certificate CRL").
pub fn verify_chain(
    target: &Cert,
    trusted: &[Cert],
    untrusted: &[Cert],
    params: &VerifyParams,
) -> Result<Vec<Cert>> {
    verify_chain_with_crls(target, trusted, untrusted, &[], params)
}

/// [`verify_chain`] with CRLs for -crl_check / -crl_check_all.
pub fn verify_chain_with_crls(
    target: &Cert,
    trusted: &[Cert],
    untrusted: &[Cert],
    crls: &[Crl],
    params: &VerifyParams,
) -> Result<Vec<Cert>> {
    Ok(verify_detailed(target, trusted, untrusted, crls, params)??)
}

/// The full verification with a structured failure: the outer error is for unusable input or unsupported
/// options, the inner one is OpenSSL's verdict.
pub fn verify_detailed(
    target: &Cert,
    trusted: &[Cert],
    untrusted: &[Cert],
    crls: &[Crl],
    params: &VerifyParams,
) -> Result<VerifyResult> {
    params.check_supported()?;
    let target =
        Node::new(target).map_err(|e| Error::cmp(format!("certificate to verify: {e}")))?;
    let trusted = nodes(trusted, "trusted certificate")?;
    let untrusted = nodes(untrusted, "untrusted certificate")?;
    Ok(run(target, &trusted, untrusted, crls, params))
}

fn run(
    target: Node,
    trusted: &[Node],
    untrusted: Vec<Node>,
    crls: &[Crl],
    params: &VerifyParams,
) -> VerifyResult {
    let time = params.check_time();
    check::check_leaf_key_level(&target, params)?;
    let mut b = Builder::new(
        target,
        trusted,
        untrusted,
        time,
        params.partial_chain,
        params.depth(),
    );
    b.build()?;
    let chain = b.chain;
    check::check_extensions(&chain, params)?;
    check::check_auth_level(&chain, params)?;
    check::check_id(&chain, params)?;
    if params.crl_check || params.crl_check_all {
        let last = if params.crl_check_all {
            chain.len() - 1
        } else {
            0
        };
        for i in 0..=last {
            crl::check_cert(&chain, i, crls, time)?;
        }
    }
    check::internal_verify(&chain, params, time)?;
    if let Some((i, n)) = chain
        .iter()
        .enumerate()
        .find(|(_, n)| n.info.has_name_constraints)
    {
        // Name constraints are not evaluated yet; refusing is safer than ignoring them.
        return Err(VerifyFailure::at(code::UNSPECIFIED, i, &n.info));
    }
    Ok(chain.into_iter().map(|n| n.cert).collect())
}

/// The best chain for `target` from `certs` alone, as OpenSSL's X509_build_chain with no trust store
/// (used for -chainout and for sending the own chain in extraCerts): issuers are looked up among `certs`
/// as if they were trusted, and the chain stops where no issuer is found. With `with_self_signed`
/// false, a self-signed certificate at the end is left out (unless it is the target itself).
pub fn build_approx_chain(
    target: &Cert,
    certs: &[Cert],
    with_self_signed: bool,
) -> Result<Vec<Cert>> {
    let t = Node::new(target).map_err(|e| Error::cmp(format!("certificate: {e}")))?;
    let pool = nodes(certs, "certificate")?;
    let mut b = Builder::new(t, &pool, Vec::new(), None, false, DEFAULT_DEPTH as usize);
    let _ = b.build();
    let n = b.chain.len();
    Ok(b.chain
        .into_iter()
        .filter(|node| with_self_signed || n == 1 || !node.info.self_signed)
        .map(|node| node.cert)
        .collect())
}
