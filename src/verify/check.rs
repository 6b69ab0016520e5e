//! The checks OpenSSL runs on a built chain, in its order: extensions and CA flags (with purpose and path
//! length), key and digest strength (-auth_level), host/e-mail/IP of the target, then signatures and
//! validity periods from the anchor down.

use super::build::{time_ok, Node};
use super::info::*;
use super::params::{Purpose, VerifyParams};
use super::{code, names, sig, VerifyFailure};
use crate::asn1::oid::{
    KP_ANY as EKU_ANY, KP_CLIENT_AUTH as EKU_CLIENT, KP_CODE_SIGNING as EKU_CODE_SIGN,
    KP_EMAIL_PROTECTION as EKU_EMAIL, KP_MS_SGC as EKU_MS_SGC, KP_NS_SGC as EKU_NS_SGC,
    KP_SERVER_AUTH as EKU_SERVER, KP_TIME_STAMPING as EKU_TIMESTAMP,
};

type Check = Result<(), VerifyFailure>;

fn fail(err: i32, depth: usize, node: &Node) -> Check {
    Err(VerifyFailure::at(err, depth, &node.info))
}

/// OpenSSL's check_extensions.
pub(crate) fn check_extensions(chain: &[Node], params: &VerifyParams) -> Check {
    let num = chain.len();
    let strict = params.x509_strict;
    let mut plen: i64 = 0;
    let mut must_be_ca: i8 = -1;
    for (i, node) in chain.iter().enumerate() {
        let x = &node.info;
        if x.duplicate_ext {
            return fail(code::DUPLICATE_EXTENSION, i, node);
        }
        if !params.ignore_critical && x.unhandled_critical {
            return fail(code::UNHANDLED_CRITICAL_EXTENSION, i, node);
        }
        if !params.allow_proxy_certs && x.is_proxy {
            return fail(code::PROXY_CERTIFICATES_NOT_ALLOWED, i, node);
        }
        let ret = x.check_ca();
        match must_be_ca {
            -1 => {
                if strict && ret != 1 && ret != 0 {
                    return fail(code::INVALID_CA, i, node);
                }
            }
            0 => {
                if ret != 0 {
                    return fail(code::INVALID_NON_CA, i, node);
                }
            }
            _ => {
                if ret == 0 || ((i + 1 < num || strict) && ret != 1) {
                    return fail(code::INVALID_CA, i, node);
                }
            }
        }
        if strict && num > 1 {
            strict_checks(x, i, num, node)?;
        }
        if let Some(p) = params.purpose {
            check_purpose(node, p, i, must_be_ca > 0, strict)?;
        }
        if i > 1 && x.pathlen() != -1 && plen > x.pathlen() {
            return fail(code::PATH_LENGTH_EXCEEDED, i, node);
        }
        if i > 0 && !x.self_issued {
            plen += 1;
        }
        must_be_ca = if x.is_proxy { 0 } else { 1 };
    }
    Ok(())
}

/// The -x509_strict well-formedness checks (RFC 5280 profile).
fn strict_checks(x: &Info, i: usize, num: usize, node: &Node) -> Check {
    let is_ca = x.is_ca_flag();
    if x.pathlen() != -1 {
        if !is_ca {
            return fail(code::PATHLEN_INVALID_FOR_NON_CA, i, node);
        }
        if !matches!(x.ku, Some(k) if k & KU_KEY_CERT_SIGN != 0) {
            return fail(code::PATHLEN_WITHOUT_KU_KEY_CERT_SIGN, i, node);
        }
    }
    if is_ca {
        if !x.bc_critical {
            return fail(code::CA_BCONS_NOT_CRITICAL, i, node);
        }
        if x.ku.is_none() {
            return fail(code::CA_CERT_MISSING_KEY_USAGE, i, node);
        }
    } else if matches!(x.ku, Some(k) if k & KU_KEY_CERT_SIGN != 0) {
        return fail(code::KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA, i, node);
    }
    if x.issuer_empty {
        return fail(code::ISSUER_NAME_EMPTY, i, node);
    }
    let crl_sign = matches!(x.ku, Some(k) if k & KU_CRL_SIGN != 0);
    if (is_ca || crl_sign || x.san.is_none()) && x.subject_empty {
        return fail(code::SUBJECT_NAME_EMPTY, i, node);
    }
    if matches!(&x.san, Some(s) if s.is_empty()) {
        return fail(code::EMPTY_SUBJECT_ALT_NAME, i, node);
    }
    if !x.sig_alg_consistent {
        return fail(code::SIGNATURE_ALGORITHM_INCONSISTENCY, i, node);
    }
    if x.aki.is_some() && x.aki_critical {
        return fail(code::AUTHORITY_KEY_IDENTIFIER_CRITICAL, i, node);
    }
    if x.ski.is_some() && x.ski_critical {
        return fail(code::SUBJECT_KEY_IDENTIFIER_CRITICAL, i, node);
    }
    if x.version >= 2 {
        let check_akid = i + 1 < num && !x.self_signed;
        if check_akid && x.aki.is_none() {
            return fail(code::MISSING_AUTHORITY_KEY_IDENTIFIER, i, node);
        }
        if is_ca && x.ski.is_none() {
            return fail(code::MISSING_SUBJECT_KEY_IDENTIFIER, i, node);
        }
    } else if x.ext_count > 0 {
        return fail(code::EXTENSIONS_REQUIRE_VERSION_3, i, node);
    }
    Ok(())
}

/// OpenSSL's X509_check_purpose for one certificate: 1 = fits, 0 = does not, other = fits only when not
/// strict (the CA tolerance cases of check_ca). One step per purpose family, as OpenSSL's table has one
/// check function each.
fn purpose_result(x: &Info, p: Purpose, ca: bool) -> u8 {
    match p {
        Purpose::Any => 1,
        Purpose::SslClient => ssl_client_result(x, ca),
        Purpose::SslServer | Purpose::NsSslServer => ssl_server_result(x, p, ca),
        Purpose::SmimeSign | Purpose::SmimeEncrypt => smime_purpose_result(x, p, ca),
        Purpose::CrlSign => {
            if ca {
                let r = x.check_ca();
                if r != 2 {
                    r
                } else {
                    0
                }
            } else if x.ku_reject(KU_CRL_SIGN) {
                0
            } else {
                1
            }
        }
        Purpose::OcspHelper => {
            if ca {
                x.check_ca()
            } else {
                1
            }
        }
        Purpose::TimestampSign => timestamp_result(x, ca),
        Purpose::CodeSign => code_sign_result(x, ca),
    }
}

/// check_ca for the SSL purposes: a CA known only by the Netscape cert type must have the SSL CA bit.
fn ssl_ca(x: &Info) -> u8 {
    let r = x.check_ca();
    if r == 0 {
        0
    } else if r != 5 || x.ns_cert_type.is_some_and(|t| t & NS_SSL_CA != 0) {
        r
    } else {
        0
    }
}

fn ssl_client_result(x: &Info, ca: bool) -> u8 {
    if x.eku_reject(&[EKU_CLIENT]) {
        0
    } else if ca {
        ssl_ca(x)
    } else if x.ku_reject(KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT) || x.ns_reject(NS_SSL_CLIENT) {
        0
    } else {
        1
    }
}

fn ssl_server_result(x: &Info, p: Purpose, ca: bool) -> u8 {
    if x.eku_reject(&[EKU_SERVER, EKU_NS_SGC, EKU_MS_SGC]) {
        0
    } else if ca {
        ssl_ca(x)
    } else if x.ns_reject(NS_SSL_SERVER)
        || x.ku_reject(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT)
        || (p == Purpose::NsSslServer && x.ku_reject(KU_KEY_ENCIPHERMENT))
    {
        0
    } else {
        1
    }
}

/// What S/MIME signing and encryption have in common (OpenSSL's purpose_smime).
fn smime(x: &Info, ca: bool) -> u8 {
    if x.eku_reject(&[EKU_EMAIL]) {
        return 0;
    }
    if ca {
        let r = x.check_ca();
        if r == 0 {
            return 0;
        }
        return if r != 5 || x.ns_cert_type.is_some_and(|t| t & NS_SMIME_CA != 0) {
            r
        } else {
            0
        };
    }
    match x.ns_cert_type {
        Some(t) if t & NS_SMIME != 0 => 1,
        Some(t) if t & NS_SSL_CLIENT != 0 => 2,
        Some(_) => 0,
        None => 1,
    }
}

fn smime_purpose_result(x: &Info, p: Purpose, ca: bool) -> u8 {
    let r = smime(x, ca);
    if r == 0 || ca {
        return r;
    }
    let bits = if p == Purpose::SmimeSign {
        KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION
    } else {
        KU_KEY_ENCIPHERMENT
    };
    if x.ku_reject(bits) {
        0
    } else {
        r
    }
}

fn timestamp_result(x: &Info, ca: bool) -> u8 {
    if ca {
        return x.check_ca();
    }
    if let Some(k) = x.ku {
        if k & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION) == 0
            || k & !(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION) != 0
        {
            return 0;
        }
    }
    match &x.eku {
        Some(list) if list.len() == 1 && list[0] == EKU_TIMESTAMP && x.eku_critical => 1,
        _ => 0,
    }
}

fn code_sign_result(x: &Info, ca: bool) -> u8 {
    if ca {
        return x.check_ca();
    }
    match x.ku {
        Some(k)
            if x.ku_critical
                && k & KU_DIGITAL_SIGNATURE != 0
                && k & (KU_KEY_CERT_SIGN | KU_CRL_SIGN) == 0 => {}
        _ => return 0,
    }
    match &x.eku {
        Some(list) => {
            let has = |o: const_oid::ObjectIdentifier| list.contains(&o);
            if has(EKU_CODE_SIGN) && !has(EKU_ANY) && !has(EKU_SERVER) {
                1
            } else {
                0
            }
        }
        None => 0,
    }
}

fn check_purpose(node: &Node, p: Purpose, depth: usize, ca: bool, strict: bool) -> Check {
    match purpose_result(&node.info, p, ca) {
        1 => Ok(()),
        0 => fail(code::INVALID_PURPOSE, depth, node),
        _ if !strict => Ok(()),
        _ => fail(code::INVALID_PURPOSE, depth, node),
    }
}

/// -auth_level: minimal security bits by level (OpenSSL's table).
fn min_bits(level: i32) -> u32 {
    const TABLE: [u32; 5] = [80, 112, 128, 192, 256];
    TABLE[(level.clamp(1, 5) - 1) as usize]
}

/// The target's key strength, checked before the chain is built.
pub(crate) fn check_leaf_key_level(target: &Node, params: &VerifyParams) -> Check {
    match params.auth_level {
        Some(l) if l > 0 => {
            if sig::key_security_bits(&target.info.spki).unwrap_or(0) < min_bits(l) {
                return fail(code::EE_KEY_TOO_SMALL, 0, target);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// OpenSSL's check_auth_level: issuer keys, and signature digests of all but the anchor.
pub(crate) fn check_auth_level(chain: &[Node], params: &VerifyParams) -> Check {
    let Some(level) = params.auth_level.filter(|l| *l > 0) else {
        return Ok(());
    };
    let need = min_bits(level);
    let num = chain.len();
    for (i, node) in chain.iter().enumerate() {
        if i > 0 && sig::key_security_bits(&node.info.spki).unwrap_or(0) < need {
            return fail(code::CA_KEY_TOO_SMALL, i, node);
        }
        if i + 1 < num {
            let h = sig::sig_hash_bits(&node.info.sig_oid, node.info.sig_params.as_deref());
            if h < need {
                return fail(code::CA_MD_TOO_WEAK, i, node);
            }
        }
    }
    Ok(())
}

/// OpenSSL's check_id: host name, e-mail and IP address of the target.
pub(crate) fn check_id(chain: &[Node], params: &VerifyParams) -> Check {
    let leaf = &chain[0];
    if let Some(h) = &params.verify_hostname {
        if !names::host_matches(&leaf.info, h) {
            return fail(code::HOSTNAME_MISMATCH, 0, leaf);
        }
    }
    if let Some(e) = &params.verify_email {
        if !names::email_matches(&leaf.info, e) {
            return fail(code::EMAIL_MISMATCH, 0, leaf);
        }
    }
    if let Some(ip) = &params.verify_ip {
        if !names::ip_matches(&leaf.info, ip) {
            return fail(code::IP_ADDRESS_MISMATCH, 0, leaf);
        }
    }
    Ok(())
}

fn verify_sig(issuer: &Info, subject: &Info) -> bool {
    sig::verify(
        &issuer.spki,
        &subject.sig_oid,
        subject.sig_params.as_deref(),
        subject.tbs(),
        &subject.signature,
    )
}

/// A certificate's validity period against the verification time.
pub(crate) fn check_time(node: &Node, depth: usize, time: Option<i64>) -> Check {
    let Some(t) = time else {
        return Ok(());
    };
    if time_ok(&node.info, Some(t)) {
        return Ok(());
    }
    if node.info.not_before > t {
        fail(code::CERT_NOT_YET_VALID, depth, node)
    } else {
        fail(code::CERT_HAS_EXPIRED, depth, node)
    }
}

/// OpenSSL's internal_verify: from the top of the chain down, each signature (not the self-signature of
/// the anchor unless -check_ss_sig) with the issuer's keyUsage, then each validity period.
pub(crate) fn internal_verify(chain: &[Node], params: &VerifyParams, time: Option<i64>) -> Check {
    let mut n = chain.len() - 1;
    let mut xi = &chain[n];
    let mut xs;
    let mut skip_sig = false;
    if likely_issued(&xi.info, &xi.info) {
        xs = xi;
    } else if params.partial_chain {
        xs = xi;
        skip_sig = true;
    } else if n == 0 {
        return fail(code::UNABLE_TO_VERIFY_LEAF_SIGNATURE, 0, xi);
    } else {
        n -= 1;
        xs = &chain[n];
    }
    loop {
        let same = std::ptr::eq(xs, xi);
        if !skip_sig && (!same || (params.check_ss_sig && xi.info.self_signed)) {
            let issuer_depth = if same { n } else { n + 1 };
            let needs_certsign = !same || xi.info.is_ca_flag();
            if needs_certsign && xi.info.ku_reject(KU_KEY_CERT_SIGN) {
                return fail(code::KEYUSAGE_NO_CERTSIGN, issuer_depth, xi);
            }
            if !verify_sig(&xi.info, &xs.info) {
                return fail(code::CERT_SIGNATURE_FAILURE, n, xs);
            }
        }
        skip_sig = false;
        check_time(xs, n, time)?;
        if n == 0 {
            return Ok(());
        }
        n -= 1;
        xi = xs;
        xs = &chain[n];
    }
}
