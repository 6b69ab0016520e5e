//! `-geninfo` and `-profile`: the generalInfo items of the request header, given as text.

use der::asn1::ObjectIdentifier;
use der::{Any, Encode};

use crate::api::InfoItem;
use crate::Result;

/// An OID given by dotted number or by name (`id-it-...` InfoType names, or a name known to the OID
/// database), as OpenSSL's `OBJ_txt2obj` takes it.
fn oid_by_text(text: &str) -> Option<ObjectIdentifier> {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        return ObjectIdentifier::new(text).ok();
    }
    crate::asn1::oid::info_type_by_name(text).or_else(|| const_oid::db::DB.by_name(text).copied())
}

/// Whether OpenSSL's object table names the OID (else it warns `Unknown OID in -geninfo arg`): the
/// arcs OpenSSL names on top of the OIDs rcmp knows by name.
fn oid_is_known(oid: &ObjectIdentifier) -> bool {
    let text = oid.to_string();
    crate::asn1::oid::OPENSSL_NAMED_ARCS.contains(&text.as_str())
        || crate::asn1::oid::info_type_name(oid).is_some()
        || const_oid::db::DB.by_oid(oid).is_some()
}

/// Parse `-geninfo`: comma-separated `OID:int:number` or `OID:str:text`, with OpenSSL's messages.
pub(super) fn parse_geninfo(spec: &str) -> Result<Vec<InfoItem>> {
    let mut out = Vec::new();
    for item in spec.split(',') {
        let Some((oid_s, rest)) = item.split_once(':') else {
            return Err(cmp_err!("Missing ':' in -geninfo arg {item}"));
        };
        // OpenSSL's app line, then the library's reason (on stdout).
        let oid = oid_by_text(oid_s.trim()).ok_or_else(|| {
            cmp_err!("Invalid OID in -geninfo arg {oid_s}").because("unknown object name")
        })?;
        // OpenSSL 3.0 has no such warning.
        if !oid_is_known(&oid) && !crate::compat::is(crate::compat::Compat::V3_0) {
            crate::warn!("Unknown OID in -geninfo arg: {oid_s}");
        }
        let value = if let Some(v) = rest.strip_prefix("int:") {
            let n: i64 = v
                .trim()
                .parse()
                .map_err(|_| cmp_err!("Cannot parse int in -geninfo arg {v}"))?;
            Any::encode_from(&n).map_err(|e| cmp_err!("-geninfo: {e}"))?
        } else if let Some(v) = rest.strip_prefix("str:") {
            Any::encode_from(&v.to_string()).map_err(|e| cmp_err!("-geninfo: {e}"))?
        } else {
            return Err(cmp_err!("Missing 'int:' or 'str:' in -geninfo arg {rest}"));
        };
        out.push(InfoItem {
            info_type: oid.to_string(),
            value: Some(value.to_der().map_err(|e| cmp_err!("-geninfo: {e}"))?),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geninfo_parses_with_openssl_messages() {
        let v = parse_geninfo("1.2.3.4:int:56789, 1.2.3.5:str:name").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0].value.as_deref(),
            Some(&[0x02, 0x03, 0x00, 0xdd, 0xd5][..])
        );
        assert_eq!(v[1].info_type, "1.2.3.5");
        let err = |s: &str| parse_geninfo(s).unwrap_err().to_string();
        assert_eq!(
            err("1.2.3.4:flt:1"),
            "Missing 'int:' or 'str:' in -geninfo arg flt:1"
        );
        assert_eq!(err("1.2.3.4"), "Missing ':' in -geninfo arg 1.2.3.4");
        assert_eq!(err("1.2.3.4:int:5,1.2"), "Missing ':' in -geninfo arg 1.2");
        assert_eq!(err("1.2.3:int:x"), "Cannot parse int in -geninfo arg x");
        assert_eq!(
            err("foo:int:1"),
            "Invalid OID in -geninfo arg foo\nCMP error: unknown object name"
        );
        let v = parse_geninfo("id-it-certProfile:str:p").unwrap();
        assert_eq!(v[0].info_type, "1.3.6.1.5.5.7.4.21");
    }
}
