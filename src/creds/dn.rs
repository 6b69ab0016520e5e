//! Distinguished names in OpenSSL's command-line syntax (`/CN=a/O=b+UID=c`, `\` escapes, `/` alone
//! for the empty name) and the two ways OpenSSL prints them: the one-line `/C=AU/O=.../CN=leaf` form used
//! in cmp's log lines, and the `C = AU, O = ...` form of `openssl x509 -subject`.

use super::tlv;
use const_oid::ObjectIdentifier;
use der::{Decode, Tag, Tagged};
#[cfg(any(test, fuzzing, feature = "bench"))]
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

use crate::asn1::oid;
use crate::error::{Error, Result};

/// How OpenSSL encodes a value of an attribute typed on the command line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum StrType {
    Utf8,
    Printable,
    Ia5,
}

/// (short name, long name, OID, string type), as OpenSSL's object table and string table have them.
const ATTRS: &[(&str, &str, ObjectIdentifier, StrType)] = &[
    ("C", "countryName", oid::AT_COUNTRY, StrType::Printable),
    ("ST", "stateOrProvinceName", oid::AT_STATE, StrType::Utf8),
    ("L", "localityName", oid::AT_LOCALITY, StrType::Utf8),
    ("O", "organizationName", oid::AT_ORGANIZATION, StrType::Utf8),
    (
        "OU",
        "organizationalUnitName",
        oid::AT_ORGANIZATIONAL_UNIT,
        StrType::Utf8,
    ),
    ("CN", "commonName", oid::AT_COMMON_NAME, StrType::Utf8),
    (
        "emailAddress",
        "emailAddress",
        oid::AT_EMAIL_ADDRESS,
        StrType::Ia5,
    ),
    (
        "serialNumber",
        "serialNumber",
        oid::AT_SERIAL_NUMBER,
        StrType::Printable,
    ),
    ("UID", "userId", oid::AT_USER_ID, StrType::Utf8),
    (
        "DC",
        "domainComponent",
        oid::AT_DOMAIN_COMPONENT,
        StrType::Ia5,
    ),
    ("street", "streetAddress", oid::AT_STREET, StrType::Utf8),
    ("title", "title", oid::AT_TITLE, StrType::Utf8),
    ("GN", "givenName", oid::AT_GIVEN_NAME, StrType::Utf8),
    ("SN", "surname", oid::AT_SURNAME, StrType::Utf8),
    ("initials", "initials", oid::AT_INITIALS, StrType::Utf8),
    ("pseudonym", "pseudonym", oid::AT_PSEUDONYM, StrType::Utf8),
    (
        "generationQualifier",
        "generationQualifier",
        oid::AT_GENERATION_QUALIFIER,
        StrType::Utf8,
    ),
    (
        "dnQualifier",
        "dnQualifier",
        oid::AT_DN_QUALIFIER,
        StrType::Printable,
    ),
    ("name", "name", oid::AT_NAME, StrType::Utf8),
    (
        "postalCode",
        "postalCode",
        oid::AT_POSTAL_CODE,
        StrType::Utf8,
    ),
    (
        "businessCategory",
        "businessCategory",
        oid::AT_BUSINESS_CATEGORY,
        StrType::Utf8,
    ),
    (
        "description",
        "description",
        oid::AT_DESCRIPTION,
        StrType::Utf8,
    ),
    ("role", "role", oid::AT_ROLE, StrType::Utf8),
    (
        "organizationIdentifier",
        "organizationIdentifier",
        oid::AT_ORGANIZATION_ID,
        StrType::Utf8,
    ),
    (
        "unstructuredName",
        "unstructuredName",
        oid::AT_UNSTRUCTURED_NAME,
        StrType::Ia5,
    ),
];

fn lookup(name: &str) -> Option<(&'static str, ObjectIdentifier, StrType)> {
    let a = ATTRS
        .iter()
        .find(|(s, l, o, _)| *s == name || *l == name || o.to_string() == name)?;
    Some((a.0, a.2, a.3))
}

fn short_name(oid: &ObjectIdentifier) -> String {
    ATTRS
        .iter()
        .find(|a| a.2 == *oid)
        .map_or_else(|| oid.to_string(), |a| a.0.to_string())
}

/// At most this many attributes in one name.
const MAX_AVAS: usize = 256;

fn is_printable(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c))
}

/// Parse an OpenSSL-style DN (`-subject`, `-issuer`, `-recipient`, ...). `desc` is what the name is for
/// (e.g. "subject"), used in messages as OpenSSL uses it. Unknown attributes and empty values are skipped
/// with a warning on stderr, as OpenSSL does.
pub fn parse_dn(s: &str, desc: &str) -> Result<Name> {
    let bytes: Vec<char> = s.chars().collect();
    if bytes.first() != Some(&'/') {
        return Err(Error::cmp(format!(
            "{desc} name is expected to be in the format /type0=value0/type1=value1/type2=... where characters may be escaped by \\. This name is not in that format: '{s}'"
        )));
    }
    // RDNs, each a list of (oid, encoded value)
    let mut rdns: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut i = 1;
    let mut multi_next = false;
    let mut count = 0;
    while i < bytes.len() {
        let mut typ = String::new();
        while i < bytes.len() && bytes[i] != '=' {
            if bytes[i] == '\\' && i + 1 < bytes.len() {
                i += 1;
            }
            typ.push(bytes[i]);
            i += 1;
        }
        if i >= bytes.len() {
            return Err(Error::cmp(format!(
                "Missing '=' after RDN type string '{typ}' in {desc} name string"
            )));
        }
        i += 1; // '='
        let mut val = String::new();
        let mut ends_with_plus = false;
        while i < bytes.len() {
            match bytes[i] {
                '\\' => {
                    i += 1;
                    if i < bytes.len() {
                        val.push(bytes[i]);
                    } else {
                        return Err(Error::cmp(format!(
                            "Escape character at end of {desc} name string"
                        )));
                    }
                }
                '/' => break,
                '+' => {
                    ends_with_plus = true;
                    break;
                }
                c => val.push(c),
            }
            i += 1;
        }
        i += 1; // separator
        let this_multi = multi_next;
        multi_next = ends_with_plus;
        let Some((sn, oid, st)) = lookup(&typ) else {
            crate::log::raw_stderr(&format!(
                "cmp warning: Skipping unknown {desc} name attribute \"{typ}\"\n"
            ));
            continue;
        };
        if val.is_empty() {
            crate::log::raw_stderr(&format!(
                "cmp warning: No value provided for {desc} name attribute \"{typ}\", skipped\n"
            ));
            continue;
        }
        let bad = |why: &str| {
            Error::cmp(format!(
                "invalid value for {desc} name attribute \"{sn}\": {why}"
            ))
        };
        let tag = match st {
            StrType::Utf8 => 0x0c,
            StrType::Printable => {
                if !is_printable(&val) {
                    return Err(bad("characters not allowed in a PrintableString"));
                }
                if sn == "C" && val.len() != 2 {
                    return Err(bad("country code must have 2 characters"));
                }
                0x13
            }
            StrType::Ia5 => {
                if !val.is_ascii() {
                    return Err(bad("characters not allowed in an IA5String"));
                }
                0x16
            }
        };
        count += 1;
        if count > MAX_AVAS {
            return Err(Error::cmp(format!(
                "{desc} name has more than {MAX_AVAS} attributes"
            )));
        }
        let ava = tlv(
            0x30,
            &[tlv(0x06, oid.as_bytes()), tlv(tag, val.as_bytes())].concat(),
        );
        match rdns.last_mut() {
            Some(last) if this_multi => last.push(ava),
            _ => rdns.push(vec![ava]),
        }
    }
    let mut seq = Vec::new();
    for mut rdn in rdns {
        // DER orders SET OF members by their encodings.
        rdn.sort();
        seq.extend(tlv(0x31, &rdn.concat()));
    }
    Name::from_der(&tlv(0x30, &seq))
        .map_err(|e| Error::cmp(format!("cannot encode {desc} name '{s}': {e}")))
}

/// The text of a value, with the string type's bytes taken as they are (BMPString decoded).
#[cfg(any(test, fuzzing, feature = "bench"))]
fn value_text(ava: &AttributeTypeAndValue) -> (String, bool) {
    let v = &ava.value;
    let bytes = v.value();
    match v.tag() {
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from(c[0]) << 8 | u16::from(*c.get(1).unwrap_or(&0)))
                .collect();
            (String::from_utf16_lossy(&units), true)
        }
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::VisibleString => (String::from_utf8_lossy(bytes).into_owned(), true),
        _ => (bytes.iter().map(|b| format!("{b:02X}")).collect(), false),
    }
}

/// `/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf` (OpenSSL's `X509_NAME_oneline`): bytes
/// outside printable ASCII appear as `\xHH`, multi-valued RDNs joined with `+`.
pub fn oneline(name: &Name) -> String {
    let mut out = String::new();
    for rdn in name.iter_rdn() {
        let mut first = true;
        for ava in rdn.iter() {
            out.push(if first { '/' } else { '+' });
            first = false;
            out.push_str(&short_name(&ava.oid));
            out.push('=');
            let v = &ava.value;
            let is_str = matches!(
                v.tag(),
                Tag::Utf8String
                    | Tag::PrintableString
                    | Tag::Ia5String
                    | Tag::TeletexString
                    | Tag::VisibleString
            );
            let raw: Vec<u8> = if is_str {
                v.value().to_vec()
            } else {
                der::Encode::to_der(v).unwrap_or_default()
            };
            for b in raw {
                if (b' '..=b'~').contains(&b) {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("\\x{b:02X}"));
                }
            }
        }
    }
    out
}

#[cfg(any(test, fuzzing, feature = "bench"))]
fn needs_quotes(v: &str) -> bool {
    v.contains([',', '+', '"', '\\', '<', '>', ';', '/'])
        || v.starts_with(['#', ' '])
        || v.ends_with(' ')
}

/// `C = AU, ST = Some-State, CN = leaf` (`openssl x509 -subject -nameopt oneline`, 3.0's default).
/// With `spaced == false`: `C=AU, ST=Some-State, CN=leaf` (3.5's default `-subject` output, which
/// quotes and escapes nothing).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn to_text(name: &Name, spaced: bool) -> String {
    let eq = if spaced { " = " } else { "=" };
    let mut parts = Vec::new();
    for rdn in name.iter_rdn() {
        let mut avas = Vec::new();
        for ava in rdn.iter() {
            let (v, _) = value_text(ava);
            let v = if spaced && needs_quotes(&v) {
                format!("\"{}\"", v.replace('"', "\\\""))
            } else {
                v
            };
            avas.push(format!("{}{eq}{}", short_name(&ava.oid), v));
        }
        parts.push(avas.join(" + "));
    }
    parts.join(", ")
}

/// A name in canonical form: per RDN, the sorted list of (attribute OID, canonical value bytes).
pub(crate) type CanonName = Vec<Vec<(String, Vec<u8>)>>;

/// The one name comparison of rcmp, with OpenSSL's `X509_NAME_cmp` semantics (its canonical
/// encoding): string values (UTF8String, PrintableString, IA5String, TeletexString, VisibleString,
/// BMPString) compare as text whatever their string type, with leading, trailing and repeated inner
/// white space removed and ASCII letters case-folded; other values compare by their DER. That is
/// RFC 5280 section 7.1's case-insensitive, white-space-folded matching restricted to ASCII case
/// folding, because OpenSSL folds no other case: RFC 4518's full Unicode preparation would make names
/// equal that OpenSSL keeps apart, and so chain to or accept another certificate than `openssl cmp`.
pub(crate) fn canon_name(name: &Name) -> CanonName {
    name.iter_rdn()
        .map(|rdn| {
            let mut v: Vec<(String, Vec<u8>)> = rdn
                .iter()
                .map(|atv| {
                    let val = &atv.value;
                    let canon = match string_value(val.tag(), val.value()) {
                        Some(s) => canon_string(&s).into_bytes(),
                        None => der::Encode::to_der(val).unwrap_or_default(),
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
pub(crate) fn string_value(tag: Tag, bytes: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::VisibleString => Some(String::from_utf8_lossy(bytes).into_owned()),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from(c[0]) << 8 | u16::from(*c.get(1).unwrap_or(&0)))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

/// OpenSSL's canonical text: ASCII white space trimmed and collapsed to one space, ASCII lower case.
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

/// Whether two names are equal as OpenSSL's `X509_NAME_cmp` sees them (see [`canon_name`]).
pub fn names_equal(a: &Name, b: &Name) -> bool {
    canon_name(a) == canon_name(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Name {
        parse_dn(s, "subject").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parse_and_print() {
        let n = p("/CN=a/O=b+UID=c");
        assert_eq!(oneline(&n), "/CN=a/O=b+UID=c");
        assert_eq!(to_text(&n, true), "CN = a, O = b + UID = c");
        assert!(p("/").is_empty());
        assert_eq!(oneline(&p("/CN=a\\/b\\+c/O=d")), "/CN=a/b+c/O=d");
        assert_eq!(
            to_text(&p("/CN=a\\/b\\+c/O=d"), true),
            "CN = \"a/b+c\", O = d"
        );
        assert_eq!(oneline(&p("/commonName=x/2.5.4.10=y")), "/CN=x/O=y");
        // as `openssl x509 -subject` prints them: 3.0 (quoted) and 3.5 (plain)
        let q = p("/CN=a\\,b\"c/O= x");
        assert_eq!(to_text(&q, true), "CN = \"a,b\\\"c\", O = \" x\"");
        assert_eq!(to_text(&q, false), "CN=a,b\"c, O= x");
        assert_eq!(to_text(&n, false), "CN=a, O=b + UID=c");
    }

    #[test]
    fn errors_and_skips() {
        let e = parse_dn("CN=a", "subject")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("subject name is expected to be in the format"),
            "{e}"
        );
        let e = parse_dn("/CN", "subject").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("Missing '=' after RDN type string 'CN' in subject name string")
        );
        assert_eq!(oneline(&p("/foo=bar/CN=x")), "/CN=x");
        assert_eq!(oneline(&p("/CN=/O=x")), "/O=x");
        assert!(parse_dn("/C=DEU", "subject").is_err());
    }

    #[test]
    fn equality_is_case_insensitive() {
        assert!(names_equal(
            &p("/CN=Leaf  Cert/O=x"),
            &p("/CN=leaf cert/O=X")
        ));
        assert!(!names_equal(&p("/CN=a"), &p("/CN=b")));
        // Only ASCII letters fold, as in OpenSSL's canonical encoding.
        assert!(!names_equal(&p("/CN=\u{c4}"), &p("/CN=\u{e4}")));
    }
}
