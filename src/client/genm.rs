//! The genm types with specific support (RFC 9480 sections 4.3.2-4.3.4, as OpenSSL 3.2+ does them):
//! the ITAV each request carries, and how the matching ITAV of the genp is picked, decoded and
//! validated (root CA key update, CRL update, certificate request template). Saving the results is
//! the app's business; nothing here writes files.

use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Encode, Sequence};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};

use super::wire::{CmpCertificate, InfoTypeAndValue};
use crate::asn1::itav::{CrlSource, CrlStatus, RootCaKeyUpdateContent};
use crate::asn1::oid;
use crate::asn1::oid::{
    CE_CRL_DISTRIBUTION_POINTS as ID_CE_CRL_DISTRIBUTION_POINTS,
    CE_ISSUING_DISTRIBUTION_POINT as ID_CE_ISSUING_DISTRIBUTION_POINT,
};
use crate::creds::{names_equal, Cert, Crl};
use crate::error::Result;
use crate::verify::{TrustStore, VerifyParams};

/// Most ITAVs of one genp looked at, and most CRLs accepted in a crls value.
const MAX_ITAVS: usize = 1000;

/// The genm ITAV asking for a root CA key update: id-it-rootCaCert with the root the client trusts
/// (`-oldwithold`), or without value.
pub fn root_ca_cert_request(old_with_old: Option<&Cert>) -> Result<InfoTypeAndValue> {
    let value = old_with_old.map(|c| Any::from_der(c.der())).transpose()?;
    Ok(InfoTypeAndValue::new(oid::IT_ROOT_CA_CERT, value))
}

/// The genm ITAV asking for a certificate request template (id-it-certReqTemplate, no value).
pub fn cert_req_template_request() -> InfoTypeAndValue {
    InfoTypeAndValue::new(oid::IT_CERT_REQ_TEMPLATE, None)
}

/// Just the distributionPoint field of an IssuingDistributionPoint (the rest is not needed here).
#[derive(Sequence)]
struct IdpName {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    distribution_point: Option<DistributionPointName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    only_contains_user_certs: Option<bool>,
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", optional = "true")]
    only_contains_ca_certs: Option<bool>,
    #[asn1(context_specific = "3", tag_mode = "IMPLICIT", optional = "true")]
    only_some_reasons: Option<der::asn1::BitString>,
    #[asn1(context_specific = "4", tag_mode = "IMPLICIT", optional = "true")]
    indirect_crl: Option<bool>,
    #[asn1(context_specific = "5", tag_mode = "IMPLICIT", optional = "true")]
    only_contains_attribute_certs: Option<bool>,
}

/// The CRLSource for a CRL status request, as OpenSSL picks it: the first CRL distribution point of
/// `crlcert` that names the point (else its CRL issuer), then the issuing distribution point of
/// `oldcrl`, and failing all that the issuer name of the certificate or CRL.
fn crl_source(crlcert: Option<&Cert>, oldcrl: Option<&Crl>) -> Result<CrlSource> {
    if let Some(cert) = crlcert {
        if let Some(ext) = cert.extension(&ID_CE_CRL_DISTRIBUTION_POINTS) {
            let dps = Vec::<DistributionPoint>::from_der(ext.extn_value.as_bytes())
                .map_err(|e| cmp_err!("cannot decode CRL distribution points of -crlcert: {e}"))?;
            for dp in dps {
                if let Some(name) = dp.distribution_point {
                    return Ok(CrlSource::Dpn(name));
                }
                if let Some(issuers) = dp.crl_issuer {
                    return Ok(CrlSource::Issuer(issuers));
                }
            }
        }
    }
    if let Some(crl) = oldcrl {
        let idp = crl
            .crl()
            .tbs_cert_list
            .crl_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == ID_CE_ISSUING_DISTRIBUTION_POINT);
        if let Some(ext) = idp {
            let idp = IdpName::from_der(ext.extn_value.as_bytes()).map_err(|e| {
                cmp_err!("cannot decode issuing distribution point of -oldcrl: {e}")
            })?;
            if let Some(name) = idp.distribution_point {
                return Ok(CrlSource::Dpn(name));
            }
        }
    }
    let issuer = match (crlcert, oldcrl) {
        (Some(cert), _) => cert.issuer().clone(),
        (None, Some(crl)) => crl.issuer().clone(),
        (None, None) => {
            return Err(cmp_err!(
                "null argument: must provide either crlcert or oldcrl"
            ))
        }
    };
    Ok(CrlSource::Issuer(vec![GeneralName::DirectoryName(issuer)]))
}

/// The genm ITAV asking for a CRL update: id-it-crlStatusList with one CRLStatus built from the
/// certificate whose CRL is wanted and/or the CRL the client has (its thisUpdate says how old it is).
pub fn crl_status_list_request(
    crlcert: Option<&Cert>,
    oldcrl: Option<&Crl>,
) -> Result<InfoTypeAndValue> {
    let status = CrlStatus {
        source: crl_source(crlcert, oldcrl)?,
        this_update: oldcrl.map(|c| c.crl().tbs_cert_list.this_update),
    };
    Ok(InfoTypeAndValue::with_value(
        oid::IT_CRL_STATUS_LIST,
        &vec![status],
    )?)
}

/// Whether the issuer of `oldcrl` differs from that of `crlcert` (OpenSSL warns, then goes on).
pub fn crl_issuers_differ(crlcert: &Cert, oldcrl: &Crl) -> bool {
    !names_equal(crlcert.issuer(), oldcrl.issuer())
}

/// The ITAV of type `expected` in the genp, as OpenSSL's client picks it: warnings for others and for
/// extra ones, an error if there is none. `desc` is the type name without `id-it-`.
pub fn select_itav<'a>(
    itavs: &'a [InfoTypeAndValue],
    expected: ObjectIdentifier,
    desc: &str,
) -> Result<&'a InfoTypeAndValue> {
    if itavs.is_empty() {
        return Err(cmp_err!(
            "invalid genp:response on genm requesting infoType {desc} does not include suitable value"
        ));
    }
    if itavs.len() > 1 {
        crate::warn!(
            "response on genm contains {} ITAVs; will use the first ITAV with infoType id-it-{desc}",
            itavs.len()
        );
    }
    for itav in itavs.iter().take(MAX_ITAVS) {
        if itav.info_type == expected {
            return Ok(itav);
        }
        crate::warn!(
            "genp contains InfoType '{}' while expecting 'id-it-{desc}'",
            itav.type_name()
        );
    }
    Err(cmp_err!("invalid genp:could not find any ITAV for {desc}"))
}

/// A root CA key update received and validated.
#[derive(Clone, Debug)]
pub struct RootCaUpdate {
    pub new_with_new: Cert,
    pub new_with_old: Option<Cert>,
    pub old_with_new: Option<Cert>,
}

/// Seconds since the epoch (negative before it).
fn unix_secs(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Whether `cert` is within its validity period at the time `params` check (now or `-attime`).
fn current(cert: &Cert, params: &VerifyParams) -> bool {
    let Some(now) = params.check_time() else {
        return true;
    };
    unix_secs(cert.not_before()) <= now && now <= unix_secs(cert.not_after())
}

/// Validate the self-signed `target` as RFC 9480 section 4.3.2 wants: via the transition
/// certificate `trans` (signed by a trust anchor, certifying the key that signed `target`), or with
/// no transition certificate by a trust anchor directly. Anchors: `anchor` if given, else `store`.
fn validate_ss_cert(
    store: Option<&TrustStore>,
    anchor: Option<&Cert>,
    trans: Option<&Cert>,
    target: &Cert,
    desc: &str,
) -> Result<()> {
    let params = store.map(|s| s.params.clone()).unwrap_or_default();
    let anchors: Vec<Cert> = match (anchor, store) {
        (Some(a), _) => vec![a.clone()],
        (None, Some(s)) => s.certs.clone(),
        (None, None) => Vec::new(),
    };
    let ok = !anchors.is_empty()
        && current(target, &params)
        && match trans {
            Some(t) => {
                let ts = TrustStore::new(anchors, params.clone());
                // The link must vouch for exactly this certificate: same subject, same key (so the
                // target is self-signed by the key the trust anchor certified). OpenSSL checks only
                // that the target's signature verifies with the link's key.
                matches!(ts.verify_detailed(t, &[]), Ok(Ok(_)))
                    && names_equal(target.subject(), t.subject())
                    && matches!((target.spki_der(), t.spki_der()), (Ok(a), Ok(b)) if a == b)
                    && target.verify_issued_by(t).is_ok()
            }
            None => anchors.iter().any(|a| {
                names_equal(target.issuer(), a.subject()) && target.verify_issued_by(a).is_ok()
            }),
        };
    if ok {
        return Ok(());
    }
    Err(cmp_err!(
        "invalid rootcakeyupdate:failed to validate {desc} certificate received in genp {}",
        if anchor.is_none() {
            "using trust store"
        } else {
            "with given certificate as trust anchor"
        }
    ))
}

/// The root CA key update of the genp (None: the server has none), validated: newWithNew against
/// `old_with_old` (or the `-trusted` store) via newWithOld, and if given, oldWithOld against
/// newWithNew via oldWithNew.
pub fn root_ca_key_update(
    itavs: &[InfoTypeAndValue],
    old_with_old: Option<&Cert>,
    trusted: Option<&TrustStore>,
) -> Result<Option<RootCaUpdate>> {
    let itav = select_itav(itavs, oid::IT_ROOT_CA_KEY_UPDATE, "rootCaKeyUpdate")?;
    let Some(content) = itav
        .value_as::<RootCaKeyUpdateContent>()
        .map_err(|e| cmp_err!("invalid genp:cannot decode rootCaKeyUpdate value: {e}"))?
    else {
        return Ok(None);
    };
    let upd = RootCaUpdate {
        new_with_new: content.new_with_new.to_cert(),
        new_with_old: content.new_with_old.as_ref().map(CmpCertificate::to_cert),
        old_with_new: content.old_with_new.as_ref().map(CmpCertificate::to_cert),
    };
    validate_ss_cert(
        trusted,
        old_with_old,
        upd.new_with_old.as_ref(),
        &upd.new_with_new,
        "newWithNew",
    )?;
    if let (Some(old), Some(own)) = (old_with_old, &upd.old_with_new) {
        validate_ss_cert(
            trusted,
            Some(&upd.new_with_new),
            Some(own),
            old,
            "oldWithOld",
        )?;
    }
    Ok(Some(upd))
}

/// The CRL of the genp's crls ITAV (None: no newer CRL), exactly as received.
pub fn crl_update(itavs: &[InfoTypeAndValue]) -> Result<Option<Crl>> {
    let itav = select_itav(itavs, oid::IT_CRLS, "crls")?;
    let Some(crls) = itav
        .value_as::<Vec<Any>>()
        .map_err(|e| cmp_err!("invalid genp:cannot decode crls value: {e}"))?
    else {
        return Ok(None);
    };
    if crls.len() != 1 {
        return Err(cmp_err!(
            "invalid genp:Unexpected number of CRLs in genp: {}",
            crls.len()
        ));
    }
    Ok(Some(Crl::from_der(&crls[0].to_der()?)?))
}

/// CertReqTemplateContent with both parts kept as received, to save them byte for byte.
#[derive(Sequence)]
struct RawTemplateContent {
    cert_template: Any,
    #[asn1(optional = "true")]
    key_spec: Option<Any>,
}

/// A certificate request template received: the DER of the certTemplate and of the keySpec.
#[derive(Clone, Debug)]
pub struct CertReqTemplate {
    pub template_der: Vec<u8>,
    pub key_spec_der: Option<Vec<u8>>,
}

/// The certificate request template of the genp (None: the server has none).
pub fn cert_req_template(itavs: &[InfoTypeAndValue]) -> Result<Option<CertReqTemplate>> {
    let itav = select_itav(itavs, oid::IT_CERT_REQ_TEMPLATE, "certReqTemplate")?;
    let Some(raw) = itav
        .value_as::<RawTemplateContent>()
        .map_err(|e| cmp_err!("invalid genp:cannot decode certReqTemplate value: {e}"))?
    else {
        return Ok(None);
    };
    // Check the parts really are a CertTemplate and Controls before handing them on.
    let template_der = raw.cert_template.to_der()?;
    crate::asn1::crmf::CertTemplate::from_der(&template_der)
        .map_err(|e| cmp_err!("invalid genp:cannot decode certTemplate: {e}"))?;
    let key_spec_der = raw.key_spec.map(|k| k.to_der()).transpose()?;
    if let Some(k) = &key_spec_der {
        crate::asn1::crmf::Controls::from_der(k)
            .map_err(|e| cmp_err!("invalid genp:cannot decode keySpec: {e}"))?;
    }
    Ok(Some(CertReqTemplate {
        template_der,
        key_spec_der,
    }))
}

/// OpenSSL's long name of a key algorithm, or the dotted OID as `i2a_ASN1_OBJECT` prints unknown ones.
fn key_alg_name(o: &ObjectIdentifier) -> String {
    oid::public_key_algorithm_name(o).map_or_else(|| o.to_string(), str::to_string)
}

/// The keySpec as OpenSSL's `print_keyspec` lists it (one info line with embedded line breaks).
pub fn describe_key_spec(key_spec_der: Option<&[u8]>) -> Result<String> {
    const DESC: &str = "specifications contained in keySpec from genp";
    let Some(der_bytes) = key_spec_der else {
        return Ok(format!("No {DESC}"));
    };
    let controls = crate::asn1::crmf::Controls::from_der(der_bytes)?;
    let mut s = format!("Key {DESC}:\n");
    for atav in controls.iter().take(MAX_ITAVS) {
        if atav.attr_type == oid::REG_CTRL_ALG_ID {
            match atav.value.decode_as::<spki::AlgorithmIdentifierOwned>() {
                Ok(alg) => {
                    s.push_str("Key algorithm: ");
                    s.push_str(&key_alg_name(&alg.oid));
                    if let Some(p) = &alg.parameters {
                        // OpenSSL dumps the whole AlgorithmIdentifier here; we show the parameters' DER.
                        let hex: String = p
                            .to_der()
                            .unwrap_or_default()
                            .iter()
                            .map(|b| format!("{b:02X}"))
                            .collect();
                        s.push_str(&format!(" - parameters: {hex}"));
                    }
                    s.push('\n');
                }
                Err(_) => s.push_str("Key algorithm: <absent>\n"),
            }
        } else if atav.attr_type == oid::REG_CTRL_RSA_KEY_LEN {
            let len = atav.value.decode_as::<i64>().map_or(-1, |n| n);
            s.push_str(&format!("Key algorithm: RSA {len}\n"));
        } else {
            s.push_str(&format!(
                "Invalid key spec: {}\n",
                crate::asn1::oid::info_type_name(&atav.attr_type)
                    .map_or_else(|| atav.attr_type.to_string(), str::to_string)
            ));
        }
    }
    s.push_str(&format!("End of key {DESC}"));
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn itav(t: ObjectIdentifier) -> InfoTypeAndValue {
        InfoTypeAndValue::new(t, None)
    }

    #[test]
    fn select_itav_takes_the_expected_type() {
        let list = vec![itav(oid::IT_CA_CERTS), itav(oid::IT_CRLS)];
        let got = select_itav(&list, oid::IT_CRLS, "crls").unwrap();
        assert_eq!(got.info_type, oid::IT_CRLS);
        let err = select_itav(&list, oid::IT_CERT_REQ_TEMPLATE, "certReqTemplate").unwrap_err();
        assert!(err
            .to_string()
            .contains("could not find any ITAV for certReqTemplate"));
        let err = select_itav(&[], oid::IT_CRLS, "crls").unwrap_err();
        assert!(err.to_string().contains("does not include suitable value"));
    }

    #[test]
    fn absent_values_mean_nothing_available() {
        let list = vec![itav(oid::IT_CRLS)];
        assert!(crl_update(&list).unwrap().is_none());
        let list = vec![itav(oid::IT_CERT_REQ_TEMPLATE)];
        assert!(cert_req_template(&list).unwrap().is_none());
        let list = vec![itav(oid::IT_ROOT_CA_KEY_UPDATE)];
        assert!(root_ca_key_update(&list, None, None).unwrap().is_none());
    }

    #[test]
    fn key_spec_is_listed_like_openssl() {
        // SEQUENCE { algId(id-ecPublicKey), rsaKeyLen 4096 }, as OpenSSL's mock server sends it.
        let der_bytes = [
            0x30, 0x29, 0x30, 0x16, 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x05, 0x01,
            0x0b, 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x30, 0x0f,
            0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x05, 0x01, 0x0c, 0x02, 0x02, 0x10,
            0x00,
        ];
        let s = describe_key_spec(Some(&der_bytes)).unwrap();
        assert_eq!(
            s,
            "Key specifications contained in keySpec from genp:\nKey algorithm: id-ecPublicKey\n\
             Key algorithm: RSA 4096\nEnd of key specifications contained in keySpec from genp"
        );
        assert_eq!(
            describe_key_spec(None).unwrap(),
            "No specifications contained in keySpec from genp"
        );
    }
}
