//! Certificate extensions described in openssl.cnf sections (the x509v3_config(5) syntax), as used by
//! `-reqexts` and `-policies`, and the `-sans` / `-policy_oids` shorthands of the cmp command.
//!
//! Only the syntax OpenSSL documents is accepted; an extension or a field we do not know is an error naming
//! it, never silently dropped, because a certificate request missing an extension the user asked for is
//! worse than no request.

use std::net::IpAddr;

use der::asn1::{Ia5String, ObjectIdentifier, OctetString, Utf8StringRef};
#[cfg(test)]
use der::Tag;
use der::{Any, Encode};
use x509_cert::ext::pkix::certpolicy::{
    CertificatePolicies, DisplayText, PolicyInformation, PolicyQualifierInfo,
};
use x509_cert::ext::pkix::constraints::{BasicConstraints, PolicyConstraints};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, CrlDistributionPoints, ExtendedKeyUsage,
    KeyUsage, KeyUsages,
};
use x509_cert::ext::Extension;

use crate::asn1::oid::EXT_KEY_USAGE_NAMES as EKU_NAMES;
use crate::error::Result;

/// RFC 5280 4.2.1.4 `UserNotice ::= SEQUENCE { noticeRef NoticeReference OPTIONAL, explicitText
/// DisplayText OPTIONAL }`. Our own because x509-cert 0.3 types `noticeRef` wrongly (as GeneralizedTime).
#[derive(Clone, Debug, der::Sequence)]
struct UserNotice {
    notice_ref: Option<NoticeReference>,
    explicit_text: Option<DisplayText>,
}

/// RFC 5280 4.2.1.4 `NoticeReference ::= SEQUENCE { organization DisplayText, noticeNumbers SEQUENCE OF
/// INTEGER }`.
#[derive(Clone, Debug, der::Sequence)]
struct NoticeReference {
    organization: DisplayText,
    notice_numbers: Vec<der::asn1::Uint>,
}

/// Looks up the name/value pairs of a config section, in file order (`None`: no such section).
pub type SectionLookup<'a> = &'a dyn Fn(&str) -> Option<Vec<(String, String)>>;

/// What extension building may need beyond the config text itself.
pub struct ExtCtx<'a> {
    /// The config file's sections, for `@section` references.
    pub sections: SectionLookup<'a>,
    /// DER of the subject public key (BIT STRING contents), for `subjectKeyIdentifier = hash`.
    pub subject_public_key: Option<&'a [u8]>,
}

mod oids {
    pub use crate::asn1::oid::{
        AD_CA_ISSUERS, AD_CA_REPOSITORY, AD_DVCS, AD_OCSP, AD_TIMESTAMPING,
        CE_BASIC_CONSTRAINTS as BASIC_CONSTRAINTS, CE_CERTIFICATE_POLICIES as CERT_POLICIES,
        CE_CRL_DISTRIBUTION_POINTS as CRL_DP, CE_EXT_KEY_USAGE as EXT_KEY_USAGE,
        CE_INHIBIT_ANY_POLICY as INHIBIT_ANY_POLICY, CE_ISSUER_ALT_NAME as ISSUER_ALT_NAME,
        CE_KEY_USAGE as KEY_USAGE, CE_POLICY_CONSTRAINTS as POLICY_CONSTRAINTS,
        CE_SUBJECT_ALT_NAME as SUBJECT_ALT_NAME, CE_SUBJECT_KEY_ID as SUBJECT_KEY_ID,
        PE_AUTHORITY_INFO_ACCESS as AIA, QT_CPS, QT_UNOTICE,
    };
}

const KEY_USAGE_NAMES: &[(&str, KeyUsages)] = &[
    ("digitalSignature", KeyUsages::DigitalSignature),
    ("nonRepudiation", KeyUsages::NonRepudiation),
    ("keyEncipherment", KeyUsages::KeyEncipherment),
    ("dataEncipherment", KeyUsages::DataEncipherment),
    ("keyAgreement", KeyUsages::KeyAgreement),
    ("keyCertSign", KeyUsages::KeyCertSign),
    ("cRLSign", KeyUsages::CRLSign),
    ("encipherOnly", KeyUsages::EncipherOnly),
    ("decipherOnly", KeyUsages::DecipherOnly),
];

/// Build the extensions listed in config section `section` (e.g. the value of `-reqexts`). Later entries
/// for the same extension replace earlier ones, as x509v3_config(5) says.
pub fn extensions_from_section(section: &str, ctx: &ExtCtx<'_>) -> Result<Vec<Extension>> {
    let entries =
        (ctx.sections)(section).ok_or_else(|| cmp_err!("config section '{section}' not found"))?;
    let mut out: Vec<Extension> = Vec::new();
    for (name, value) in &entries {
        let ext = extension_from_entry(name, value, ctx)
            .map_err(|e| e.context(format_args!("in section [{section}], entry '{name}'")))?;
        if let Some(ext) = ext {
            out.retain(|e| e.extn_id != ext.extn_id);
            out.push(ext);
        }
    }
    Ok(out)
}

/// One `name = [critical,] value` entry. `Ok(None)` where the syntax asks for no extension
/// (`subjectKeyIdentifier = none`).
fn extension_from_entry(name: &str, value: &str, ctx: &ExtCtx<'_>) -> Result<Option<Extension>> {
    let (critical, value) = split_critical(value);
    let (oid, der) = match name {
        "basicConstraints" => (oids::BASIC_CONSTRAINTS, basic_constraints(value, ctx)?),
        "keyUsage" => (oids::KEY_USAGE, key_usage(value, ctx)?),
        "extendedKeyUsage" => (oids::EXT_KEY_USAGE, ext_key_usage(value, ctx)?),
        "subjectAltName" => (oids::SUBJECT_ALT_NAME, encode(&general_names(value, ctx)?)?),
        "issuerAltName" => (oids::ISSUER_ALT_NAME, encode(&general_names(value, ctx)?)?),
        "subjectKeyIdentifier" => match subject_key_id(value, ctx)? {
            Some(der) => (oids::SUBJECT_KEY_ID, der),
            None => return Ok(None),
        },
        "certificatePolicies" => (oids::CERT_POLICIES, certificate_policies(value, ctx)?),
        "policyConstraints" => (oids::POLICY_CONSTRAINTS, policy_constraints(value, ctx)?),
        "inhibitAnyPolicy" => {
            let n: u32 = value.trim().parse().map_err(|_| {
                cmp_err!("inhibitAnyPolicy needs a non-negative integer, got '{value}'")
            })?;
            (
                oids::INHIBIT_ANY_POLICY,
                encode(&der::asn1::Uint::new(&n.to_be_bytes())?)?,
            )
        }
        "authorityInfoAccess" => (oids::AIA, authority_info_access(value, ctx)?),
        "crlDistributionPoints" => (oids::CRL_DP, crl_distribution_points(value, ctx)?),
        "authorityKeyIdentifier" => {
            return Err(cmp_err!(
                "authorityKeyIdentifier is not supported yet in certificate request extensions"
            ))
        }
        other => match ObjectIdentifier::new(other) {
            // Arbitrary extension: `1.2.3.4 = [critical,] DER:<hex>`.
            Ok(oid) => (oid, arbitrary_der(value)?),
            Err(_) => return Err(cmp_err!("unknown or unsupported extension name '{other}'")),
        },
    };
    Ok(Some(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(der)?,
    }))
}

/// Strip a leading `critical,` marker.
fn split_critical(value: &str) -> (bool, &str) {
    let v = value.trim_start();
    if let Some(rest) = v.strip_prefix("critical") {
        let rest = rest.trim_start();
        if rest.is_empty() {
            return (true, rest);
        }
        if let Some(rest) = rest.strip_prefix(',') {
            return (true, rest.trim_start());
        }
    }
    (false, v)
}

fn encode<T: Encode>(v: &T) -> Result<Vec<u8>> {
    v.to_der()
        .map_err(|e| cmp_err!("cannot encode extension: {e}"))
}

/// The name/value pairs of a multi-valued extension: either `a:b, c, d:e` inline or `@section`.
fn multi_values(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if let Some(sect) = item.strip_prefix('@') {
            let entries = (ctx.sections)(sect)
                .ok_or_else(|| cmp_err!("config section '{sect}' not found"))?;
            out.extend(entries);
        } else if let Some((n, v)) = item.split_once(':') {
            out.push((n.trim().to_string(), v.trim().to_string()));
        } else {
            out.push((item.to_string(), String::new()));
        }
    }
    Ok(out)
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "y" | "yes" => Some(true),
        "false" | "n" | "no" => Some(false),
        _ => None,
    }
}

fn basic_constraints(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<u8>> {
    let mut bc = BasicConstraints {
        ca: false,
        path_len_constraint: None,
    };
    for (n, v) in multi_values(value, ctx)? {
        match n.as_str() {
            "CA" => {
                bc.ca = parse_bool(&v)
                    .ok_or_else(|| cmp_err!("basicConstraints CA needs TRUE or FALSE, got '{v}'"))?
            }
            "pathlen" => {
                bc.path_len_constraint =
                    Some(v.parse().map_err(|_| {
                        cmp_err!("basicConstraints pathlen must be 0..255, got '{v}'")
                    })?)
            }
            other => return Err(cmp_err!("unknown basicConstraints field '{other}'")),
        }
    }
    encode(&bc)
}

fn key_usage(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<u8>> {
    let mut flags = der::flagset::FlagSet::<KeyUsages>::default();
    for (n, _) in multi_values(value, ctx)? {
        let bit = KEY_USAGE_NAMES
            .iter()
            .find(|(name, _)| *name == n)
            .map(|(_, b)| *b)
            .ok_or_else(|| cmp_err!("unknown keyUsage value '{n}'"))?;
        flags |= bit;
    }
    encode(&KeyUsage(flags))
}

/// An OID given as a known short name (from `names`) or in dotted form.
fn oid_by_name(name: &str, names: &[(&str, ObjectIdentifier)]) -> Result<ObjectIdentifier> {
    if let Some((_, o)) = names.iter().find(|(n, _)| *n == name) {
        return Ok(*o);
    }
    ObjectIdentifier::new(name).map_err(|_| cmp_err!("unknown object name or invalid OID '{name}'"))
}

fn ext_key_usage(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<u8>> {
    let oids = multi_values(value, ctx)?
        .into_iter()
        .map(|(n, _)| oid_by_name(&n, EKU_NAMES))
        .collect::<Result<Vec<_>>>()?;
    encode(&ExtendedKeyUsage(oids))
}

/// One general name in the `TYPE:value` syntax of subjectAltName. `type` may carry a `.n` suffix
/// (section form: `DNS.1 = ...`), which only serves to make names unique.
pub fn general_name(typ: &str, value: &str) -> Result<GeneralName> {
    let base = match typ.split_once('.') {
        Some((b, n))
            if !n.is_empty() && n.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') =>
        {
            b
        }
        Some(_) => return Err(cmp_err!("invalid general name type '{typ}'")),
        None => typ,
    };
    let ia5 =
        |v: &str| Ia5String::new(v).map_err(|_| cmp_err!("'{v}' is not an IA5 (ASCII) string"));
    Ok(match base {
        "DNS" => GeneralName::DnsName(ia5(value)?),
        "URI" => GeneralName::UniformResourceIdentifier(ia5(value)?),
        "email" => {
            if value == "copy" || value == "move" {
                return Err(cmp_err!(
                    "email:{value} is not supported in certificate requests"
                ));
            }
            GeneralName::Rfc822Name(ia5(value)?)
        }
        "IP" => {
            let ip: IpAddr = value
                .parse()
                .map_err(|_| cmp_err!("invalid IP address '{value}'"))?;
            GeneralName::from(ip)
        }
        "RID" => GeneralName::RegisteredId(
            ObjectIdentifier::new(value).map_err(|_| cmp_err!("invalid OID '{value}' for RID"))?,
        ),
        "dirName" | "otherName" => {
            return Err(cmp_err!("general name type '{base}' is not supported yet"))
        }
        _ => return Err(cmp_err!("unsupported general name type '{typ}'")),
    })
}

fn general_names(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<GeneralName>> {
    multi_values(value, ctx)?
        .into_iter()
        .map(|(t, v)| general_name(&t, &v))
        .collect()
}

fn subject_key_id(value: &str, ctx: &ExtCtx<'_>) -> Result<Option<Vec<u8>>> {
    let v = value.trim();
    let id = match v {
        "none" => return Ok(None),
        "hash" => {
            let key = ctx.subject_public_key.ok_or_else(|| {
                cmp_err!("subjectKeyIdentifier = hash needs the subject's public key")
            })?;
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key)
                .as_ref()
                .to_vec()
        }
        hex => decode_hex(hex)?,
    };
    Ok(Some(encode(&OctetString::new(id)?)?))
}

fn decode_hex(s: &str) -> Result<Vec<u8>> {
    let digits: String = s.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return Err(cmp_err!("invalid hex string '{s}'"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .map_err(|_| cmp_err!("invalid hex string '{s}'"))
        })
        .collect()
}

fn arbitrary_der(value: &str) -> Result<Vec<u8>> {
    match value.trim().strip_prefix("DER:") {
        Some(hex) => decode_hex(hex),
        None => Err(cmp_err!(
            "only the DER:<hex> form of arbitrary extensions is supported yet"
        )),
    }
}

fn certificate_policies(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<u8>> {
    let mut ia5org = false;
    let mut policies = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item == "ia5org" {
            ia5org = true;
        } else if let Some(sect) = item.strip_prefix('@') {
            policies.push(policy_from_section(sect, ia5org, ctx)?);
        } else {
            let oid =
                ObjectIdentifier::new(item).map_err(|_| cmp_err!("invalid policy OID '{item}'"))?;
            policies.push(PolicyInformation {
                policy_identifier: oid,
                policy_qualifiers: None,
            });
        }
    }
    encode(&CertificatePolicies(policies))
}

fn policy_from_section(sect: &str, ia5org: bool, ctx: &ExtCtx<'_>) -> Result<PolicyInformation> {
    let entries =
        (ctx.sections)(sect).ok_or_else(|| cmp_err!("config section '{sect}' not found"))?;
    let mut id = None;
    let mut qualifiers = Vec::new();
    for (n, v) in entries {
        let base = n.split('.').next().unwrap_or("");
        match base {
            "policyIdentifier" => {
                id = Some(
                    ObjectIdentifier::new(&v)
                        .map_err(|_| cmp_err!("invalid policyIdentifier '{v}'"))?,
                )
            }
            "CPS" => qualifiers.push(PolicyQualifierInfo {
                policy_qualifier_id: oids::QT_CPS,
                qualifier: Some(Any::encode_from(
                    &Ia5String::new(&v).map_err(|_| cmp_err!("CPS URI '{v}' is not ASCII"))?,
                )?),
            }),
            "userNotice" => {
                let nsect = v
                    .strip_prefix('@')
                    .ok_or_else(|| cmp_err!("userNotice needs @section"))?;
                qualifiers.push(PolicyQualifierInfo {
                    policy_qualifier_id: oids::QT_UNOTICE,
                    qualifier: Some(Any::encode_from(&user_notice(nsect, ia5org, ctx)?)?),
                });
            }
            other => {
                return Err(cmp_err!(
                    "unknown field '{other}' in policy section [{sect}]"
                ))
            }
        }
    }
    let policy_identifier =
        id.ok_or_else(|| cmp_err!("policy section [{sect}] has no policyIdentifier"))?;
    Ok(PolicyInformation {
        policy_identifier,
        policy_qualifiers: if qualifiers.is_empty() {
            None
        } else {
            Some(qualifiers)
        },
    })
}

fn display_text(v: &str, ia5: bool) -> Result<DisplayText> {
    if ia5 {
        return Ok(DisplayText::Ia5String(
            Ia5String::new(v).map_err(|_| cmp_err!("'{v}' is not an IA5 string"))?,
        ));
    }
    let text = v.strip_prefix("UTF8:").unwrap_or(v);
    Ok(DisplayText::Utf8String(Utf8StringRef::new(text)?.into()))
}

fn user_notice(sect: &str, ia5org: bool, ctx: &ExtCtx<'_>) -> Result<UserNotice> {
    let entries =
        (ctx.sections)(sect).ok_or_else(|| cmp_err!("config section '{sect}' not found"))?;
    let (mut text, mut org, mut numbers) = (None, None, None);
    for (n, v) in entries {
        match n.as_str() {
            "explicitText" => text = Some(display_text(&v, false)?),
            "organization" => org = Some(display_text(&v, ia5org)?),
            "noticeNumbers" => {
                numbers = Some(
                    v.split(',')
                        .map(|s| {
                            s.trim()
                                .parse::<u32>()
                                .map_err(|_| cmp_err!("invalid notice number '{s}'"))
                                .and_then(|n| Ok(der::asn1::Uint::new(&n.to_be_bytes())?))
                        })
                        .collect::<Result<Vec<_>>>()?,
                )
            }
            other => {
                return Err(cmp_err!(
                    "unknown field '{other}' in notice section [{sect}]"
                ))
            }
        }
    }
    let notice_ref = match (org, numbers) {
        (Some(organization), Some(notice_numbers)) => Some(NoticeReference {
            organization,
            notice_numbers,
        }),
        (None, None) => None,
        _ => {
            return Err(cmp_err!(
                "notice section [{sect}] needs both organization and noticeNumbers"
            ))
        }
    };
    Ok(UserNotice {
        notice_ref,
        explicit_text: text,
    })
}

fn policy_constraints(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<u8>> {
    let mut pc = PolicyConstraints {
        require_explicit_policy: None,
        inhibit_policy_mapping: None,
    };
    for (n, v) in multi_values(value, ctx)? {
        let num: u32 = v
            .parse()
            .map_err(|_| cmp_err!("policyConstraints {n} needs a number, got '{v}'"))?;
        match n.as_str() {
            "requireExplicitPolicy" => pc.require_explicit_policy = Some(num),
            "inhibitPolicyMapping" => pc.inhibit_policy_mapping = Some(num),
            other => return Err(cmp_err!("unknown policyConstraints field '{other}'")),
        }
    }
    if pc.require_explicit_policy.is_none() && pc.inhibit_policy_mapping.is_none() {
        return Err(cmp_err!("policyConstraints needs at least one field"));
    }
    encode(&pc)
}

fn authority_info_access(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (n, v) in multi_values(value, ctx)? {
        // Entries read `method;TYPE:location`; the multi-value split already cut at the first ':'.
        let (method, typ) = n.split_once(';').ok_or_else(|| {
            cmp_err!("authorityInfoAccess entry '{n}' must read method;TYPE:value")
        })?;
        let access_method = match method {
            "OCSP" => oids::AD_OCSP,
            "caIssuers" => oids::AD_CA_ISSUERS,
            "ad_timestamping" => oids::AD_TIMESTAMPING,
            "AD_DVCS" => oids::AD_DVCS,
            "caRepository" => oids::AD_CA_REPOSITORY,
            other => ObjectIdentifier::new(other)
                .map_err(|_| cmp_err!("unknown access method '{other}'"))?,
        };
        out.push(AccessDescription {
            access_method,
            access_location: general_name(typ, &v)?,
        });
    }
    encode(&AuthorityInfoAccessSyntax(out))
}

fn crl_distribution_points(value: &str, ctx: &ExtCtx<'_>) -> Result<Vec<u8>> {
    let mut points = Vec::new();
    for (n, v) in multi_values(value, ctx)? {
        if v.is_empty() {
            return Err(cmp_err!(
                "crlDistributionPoints section form is not supported yet ('{n}')"
            ));
        }
        points.push(DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![general_name(&n, &v)?])),
            reasons: None,
            crl_issuer: None,
        });
    }
    encode(&CrlDistributionPoints(points))
}

/// The `-sans` option: names separated by commas and/or whitespace, each taken as an IP address,
/// an email address (contains `@`), a URI (contains `:`) or else a DNS name; the word `critical`
/// anywhere marks the extension critical. Returns `(critical, names)`.
pub fn sans_option(spec: &str) -> Result<(bool, Vec<GeneralName>)> {
    let mut critical = false;
    let mut names = Vec::new();
    for item in spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        if item == "critical" {
            critical = true;
            continue;
        }
        // OpenSSL's order: an IP address, else email if there is an '@', else URI if there is a ':'.
        let typ = if item.parse::<IpAddr>().is_ok() {
            "IP"
        } else if item.contains('@') {
            "email"
        } else if item.contains(':') {
            "URI"
        } else {
            "DNS"
        };
        names.push(
            general_name(typ, item).map_err(|e| e.context(format_args!("-sans value '{item}'")))?,
        );
    }
    Ok((critical, names))
}

/// Build a subjectAltName extension from general names.
#[cfg(any(test, fuzzing))]
pub fn san_extension(critical: bool, names: &[GeneralName]) -> Result<Extension> {
    Ok(Extension {
        extn_id: oids::SUBJECT_ALT_NAME,
        critical,
        extn_value: OctetString::new(encode(&names.to_vec())?)?,
    })
}

/// The `-policy_oids` option: OIDs separated by commas and/or whitespace.
#[cfg(any(test, fuzzing))]
pub fn policy_oids_extension(spec: &str, critical: bool) -> Result<Extension> {
    let policies = spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            ObjectIdentifier::new(s)
                .map(|policy_identifier| PolicyInformation {
                    policy_identifier,
                    policy_qualifiers: None,
                })
                .map_err(|_| cmp_err!("invalid OID '{s}' in -policy_oids"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Extension {
        extn_id: oids::CERT_POLICIES,
        critical,
        extn_value: OctetString::new(encode(&CertificatePolicies(policies))?)?,
    })
}

/// Whether a DER value is of the given universal tag; used by tests below.
#[cfg(test)]
fn first_tag(der: &[u8]) -> Option<Tag> {
    der::Decode::from_der(der)
        .ok()
        .map(|a: Any| der::Tagged::tag(&a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(name: &str) -> Option<Vec<(String, String)>> {
        let pairs: &[(&str, &str)] = match name {
            "reqexts" => &[
                ("basicConstraints", "CA:FALSE"),
                ("keyUsage", "critical, digitalSignature"),
                ("extendedKeyUsage", "critical, clientAuth"),
                ("subjectAltName", "@alt_names"),
            ],
            "alt_names" => &[
                ("DNS.0", "localhost"),
                ("IP.0", "127.0.0.1"),
                ("IP.1", "192.168.1.1"),
                ("URI.0", "http://192.168.0.2"),
            ],
            "bad_alt" => &[("DNS__3", "x.example")],
            "bad_ext" => &[("subjectAltName", "@bad_alt")],
            "pol" => &[("certificatePolicies", "critical, @pkiPolicy")],
            "pkiPolicy" => &[
                ("policyIdentifier", "1.2.3.4"),
                ("CPS.1", "http://cps.example/"),
            ],
            _ => return None,
        };
        Some(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    fn ctx() -> ExtCtx<'static> {
        ExtCtx {
            sections: &conf,
            subject_public_key: None,
        }
    }

    #[test]
    fn conformance_reqexts_section_builds_four_extensions() {
        let exts = extensions_from_section("reqexts", &ctx()).unwrap();
        let ids: Vec<_> = exts.iter().map(|e| e.extn_id).collect();
        let want = [
            oids::BASIC_CONSTRAINTS,
            oids::KEY_USAGE,
            oids::EXT_KEY_USAGE,
            oids::SUBJECT_ALT_NAME,
        ];
        assert_eq!(ids, want);
        assert!(!exts[0].critical && exts[1].critical && exts[2].critical);
        // keyUsage digitalSignature only: BIT STRING with one unused-bits byte 7 and value 0x80.
        assert_eq!(exts[1].extn_value.as_bytes(), &[0x03, 0x02, 0x07, 0x80]);
        let sans: Vec<GeneralName> = der::Decode::from_der(exts[3].extn_value.as_bytes()).unwrap();
        assert_eq!(sans.len(), 4);
        assert!(matches!(&sans[1], GeneralName::IpAddress(ip) if ip.as_bytes() == [127, 0, 0, 1]));
    }

    #[test]
    fn malformed_general_name_key_is_rejected() {
        let err = extensions_from_section("bad_ext", &ctx())
            .unwrap_err()
            .to_string();
        assert!(err.contains("DNS__3"), "{err}");
    }

    #[test]
    fn missing_section_is_an_error() {
        assert!(extensions_from_section("invalid", &ctx()).is_err());
    }

    #[test]
    fn policies_section_with_cps_qualifier() {
        let exts = extensions_from_section("pol", &ctx()).unwrap();
        assert!(exts[0].critical);
        let cp: CertificatePolicies = der::Decode::from_der(exts[0].extn_value.as_bytes()).unwrap();
        assert_eq!(cp.0[0].policy_identifier.to_string(), "1.2.3.4");
        let q = cp.0[0].policy_qualifiers.as_ref().unwrap();
        assert_eq!(q[0].policy_qualifier_id, oids::QT_CPS);
        assert_eq!(
            first_tag(&q[0].qualifier.as_ref().unwrap().to_der().unwrap()),
            Some(Tag::Ia5String)
        );
    }

    #[test]
    fn sans_option_classifies_names() {
        let (crit, names) =
            sans_option("localhost critical 127.0.0.1, https://www.sample.com a@b.example")
                .unwrap();
        assert!(crit);
        assert!(matches!(names[0], GeneralName::DnsName(_)));
        assert!(matches!(names[1], GeneralName::IpAddress(_)));
        assert!(matches!(
            names[2],
            GeneralName::UniformResourceIdentifier(_)
        ));
        assert!(matches!(names[3], GeneralName::Rfc822Name(_)));
        let (crit, names) = sans_option("critical").unwrap();
        assert!(crit && names.is_empty());
    }

    #[test]
    fn policy_oids_rejects_garbage() {
        assert!(policy_oids_extension("1.2.3 4.5", true).is_err());
        let e = policy_oids_extension("1.2.3, 1.3.6.1", true).unwrap();
        assert!(e.critical);
    }

    #[test]
    fn unknown_extension_and_key_usage_fail() {
        assert!(extension_from_entry("fooBar", "x", &ctx()).is_err());
        assert!(extension_from_entry("keyUsage", "digitalSignatures", &ctx()).is_err());
        assert!(extension_from_entry("subjectKeyIdentifier", "none", &ctx())
            .unwrap()
            .is_none());
        let e = extension_from_entry("1.2.3.4", "critical,DER:01:02", &ctx())
            .unwrap()
            .unwrap();
        assert!(e.critical);
        assert_eq!(e.extn_value.as_bytes(), &[1, 2]);
    }
}
