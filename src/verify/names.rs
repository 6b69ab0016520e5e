//! Distinguished names as the verifier compares and prints them, and the host name, e-mail address and
//! IP address checks of -verify_hostname, -verify_email and -verify_ip.
//!
//! OpenSSL compares names by a canonical encoding: string values are case-folded (ASCII) with leading,
//! trailing and repeated inner white space removed; other values compare byte for byte.

use der::{Encode, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use super::info::Info;

/// A name in canonical form: per RDN, the sorted list of (attribute OID, canonical value bytes).
pub(crate) type CanonName = Vec<Vec<(String, Vec<u8>)>>;

pub(crate) fn canon_name(name: &Name) -> CanonName {
    name.iter_rdn()
        .map(|rdn| {
            let mut v: Vec<(String, Vec<u8>)> = rdn
                .iter()
                .map(|atv| {
                    let val = &atv.value;
                    let canon = match string_value(val.tag(), val.value()) {
                        Some(s) => canon_string(&s).into_bytes(),
                        None => val.to_der().unwrap_or_default(),
                    };
                    (atv.oid.to_string(), canon)
                })
                .collect();
            v.sort();
            v
        })
        .collect()
}

/// The text of a string-typed attribute value, or None for non-string types.
fn string_value(tag: Tag, bytes: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::VisibleString => Some(String::from_utf8_lossy(bytes).into_owned()),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

fn canon_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s
        .split(|c: char| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// A name in OpenSSL's one-line form `/C=DE/O=Org/CN=Name` (X509_NAME_oneline), used in log lines.
pub fn oneline(name: &Name) -> String {
    let mut out = String::new();
    for rdn in name.iter_rdn() {
        for (i, atv) in rdn.iter().enumerate() {
            out.push(if i == 0 { '/' } else { '+' });
            out.push_str(&short_name(&atv.oid.to_string()));
            out.push('=');
            match string_value(atv.value.tag(), atv.value.value()) {
                Some(s) => out.push_str(&s),
                None => {
                    for b in atv.value.value() {
                        out.push_str(&format!("\\x{b:02X}"));
                    }
                }
            }
        }
    }
    out
}

fn short_name(oid: &str) -> String {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.9" => "street",
        "2.5.4.12" => "title",
        "2.5.4.42" => "GN",
        "2.5.4.4" => "SN",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        other => return other.to_string(),
    }
    .to_string()
}

/// Whether two names are equal as OpenSSL's X509_NAME_cmp sees them.
pub fn names_equal(a: &Name, b: &Name) -> bool {
    canon_name(a) == canon_name(b)
}

/// -verify_hostname: a DNS name in subjectAltName matches (with a leftmost `*` wildcard label), or, when
/// there is no DNS name in subjectAltName, a commonName does.
pub(crate) fn host_matches(cert: &Info, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let mut had_dns = false;
    for gn in cert.san.iter().flatten() {
        if let GeneralName::DnsName(d) = gn {
            had_dns = true;
            if dns_match(d.as_str(), &host) {
                return true;
            }
        }
    }
    if had_dns {
        return false;
    }
    attr_values(cert.x509(), "2.5.4.3")
        .iter()
        .any(|cn| dns_match(cn, &host))
}

fn dns_match(pattern: &str, host: &str) -> bool {
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    if p == host {
        return true;
    }
    // A wildcard only as the whole leftmost label, never matching an IDNA label, and with at least two
    // labels after it.
    if let Some(rest) = p.strip_prefix("*.") {
        if rest.matches('.').count() >= 1 {
            if let Some((first, tail)) = host.split_once('.') {
                return !first.is_empty() && !first.starts_with("xn--") && tail == rest;
            }
        }
    }
    false
}

/// -verify_email: an rfc822Name in subjectAltName matches (local part exactly, domain case-insensitive),
/// or, when there is none, an emailAddress attribute of the subject.
pub(crate) fn email_matches(cert: &Info, email: &str) -> bool {
    let mut had = false;
    for gn in cert.san.iter().flatten() {
        if let GeneralName::Rfc822Name(e) = gn {
            had = true;
            if email_eq(e.as_str(), email) {
                return true;
            }
        }
    }
    if had {
        return false;
    }
    attr_values(cert.x509(), "1.2.840.113549.1.9.1")
        .iter()
        .any(|e| email_eq(e, email))
}

fn email_eq(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la == lb && da.eq_ignore_ascii_case(db),
        _ => a.eq_ignore_ascii_case(b),
    }
}

/// -verify_ip: an iPAddress in subjectAltName equals the address.
pub(crate) fn ip_matches(cert: &Info, ip: &std::net::IpAddr) -> bool {
    let want: Vec<u8> = match ip {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    };
    cert.san
        .iter()
        .flatten()
        .any(|gn| matches!(gn, GeneralName::IpAddress(o) if o.as_bytes() == want.as_slice()))
}

fn attr_values(cert: &x509_cert::Certificate, oid: &str) -> Vec<String> {
    let mut out = Vec::new();
    for atv in cert.tbs_certificate().subject().iter() {
        if atv.oid.to_string() == oid {
            if let Some(s) = string_value(atv.value.tag(), atv.value.value()) {
                out.push(s);
            }
        }
    }
    out
}
