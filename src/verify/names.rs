//! Distinguished names as the verifier compares and prints them, and the host name, e-mail address and
//! IP address checks of -verify_hostname, -verify_email and -verify_ip.
//!
//! Names compare with `creds::dn`'s one comparison (OpenSSL's canonical encoding, see there).

use const_oid::ObjectIdentifier;
use der::Tagged;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use super::info::Info;
use crate::asn1::oid::{
    AT_COMMON_NAME, AT_COUNTRY, AT_DOMAIN_COMPONENT, AT_EMAIL_ADDRESS, AT_GIVEN_NAME, AT_LOCALITY,
    AT_ORGANIZATION, AT_ORGANIZATIONAL_UNIT, AT_SERIAL_NUMBER, AT_STATE, AT_STREET, AT_SURNAME,
    AT_TITLE, AT_USER_ID,
};

use crate::creds::dn::string_value;
pub(crate) use crate::creds::dn::{canon_name, CanonName};

/// A name in OpenSSL's one-line form `/C=DE/O=Org/CN=Name` (X509_NAME_oneline), used in log lines.
pub fn oneline(name: &Name) -> String {
    let mut out = String::new();
    for rdn in name.iter_rdn() {
        for (i, atv) in rdn.iter().enumerate() {
            out.push(if i == 0 { '/' } else { '+' });
            out.push_str(&short_name(&atv.oid));
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

/// The short names the verifier's log lines have always used; other attributes print dotted.
fn short_name(oid: &ObjectIdentifier) -> String {
    let name = match *oid {
        AT_COMMON_NAME => "CN",
        AT_COUNTRY => "C",
        AT_LOCALITY => "L",
        AT_STATE => "ST",
        AT_ORGANIZATION => "O",
        AT_ORGANIZATIONAL_UNIT => "OU",
        AT_SERIAL_NUMBER => "serialNumber",
        AT_STREET => "street",
        AT_TITLE => "title",
        AT_GIVEN_NAME => "GN",
        AT_SURNAME => "SN",
        AT_DOMAIN_COMPONENT => "DC",
        AT_USER_ID => "UID",
        AT_EMAIL_ADDRESS => "emailAddress",
        _ => return oid.to_string(),
    };
    name.to_string()
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
    attr_values(cert.x509(), AT_COMMON_NAME)
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
    attr_values(cert.x509(), AT_EMAIL_ADDRESS)
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

fn attr_values(cert: &x509_cert::Certificate, oid: ObjectIdentifier) -> Vec<String> {
    let mut out = Vec::new();
    for atv in cert.tbs_certificate().subject().iter() {
        if atv.oid == oid {
            if let Some(s) = string_value(atv.value.tag(), atv.value.value()) {
                out.push(s);
            }
        }
    }
    out
}
