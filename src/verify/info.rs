//! What the verifier needs to know about one certificate, decoded once: names, times, key, the
//! extensions OpenSSL's verifier looks at, and the flags OpenSSL derives from them (self-issued,
//! self-signed, CA, critical extensions it does not handle).

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::Certificate;

pub(crate) use crate::asn1::oid::CE_BASIC_CONSTRAINTS as OID_BASIC_CONSTRAINTS;
use crate::asn1::oid::{
    CE_AUTHORITY_KEY_ID as OID_AKI, CE_CERTIFICATE_POLICIES, CE_CRL_DISTRIBUTION_POINTS,
    CE_EXT_KEY_USAGE as OID_EXT_KEY_USAGE, CE_INHIBIT_ANY_POLICY, CE_KEY_USAGE as OID_KEY_USAGE,
    CE_NAME_CONSTRAINTS as OID_NAME_CONSTRAINTS, CE_POLICY_CONSTRAINTS, CE_POLICY_MAPPINGS,
    CE_SUBJECT_ALT_NAME as OID_SAN, CE_SUBJECT_KEY_ID as OID_SKI, NS_CERT_TYPE as OID_NS_CERT_TYPE,
    PE_AUTONOMOUS_SYS_IDS, PE_IP_ADDR_BLOCKS, PE_PROXY_CERT_INFO as OID_PROXY_CERT_INFO,
};
use crate::creds::Cert;

use super::names::{canon_name, CanonName};
use super::sig;

// keyUsage bits, numbered as OpenSSL's KU_* flags are (first byte of the BIT STRING, then the second).
pub(crate) const KU_DIGITAL_SIGNATURE: u16 = 0x0080;
pub(crate) const KU_NON_REPUDIATION: u16 = 0x0040;
pub(crate) const KU_KEY_ENCIPHERMENT: u16 = 0x0020;
pub(crate) const KU_KEY_AGREEMENT: u16 = 0x0008;
pub(crate) const KU_KEY_CERT_SIGN: u16 = 0x0004;
pub(crate) const KU_CRL_SIGN: u16 = 0x0002;

// Netscape certificate type bits (OpenSSL's NS_* flags).
pub(crate) const NS_SSL_CLIENT: u8 = 0x80;
pub(crate) const NS_SSL_SERVER: u8 = 0x40;
pub(crate) const NS_SMIME: u8 = 0x20;
pub(crate) const NS_SSL_CA: u8 = 0x04;
pub(crate) const NS_SMIME_CA: u8 = 0x02;
pub(crate) const NS_ANY_CA: u8 = 0x07;

/// Extensions OpenSSL's verifier handles; a critical extension not in this list makes a certificate fail
/// with "unhandled critical extension" (unless -ignore_critical).
const HANDLED_EXTENSIONS: &[ObjectIdentifier] = &[
    OID_NS_CERT_TYPE,
    OID_KEY_USAGE,
    OID_SAN,
    OID_BASIC_CONSTRAINTS,
    CE_CERTIFICATE_POLICIES,
    CE_CRL_DISTRIBUTION_POINTS,
    OID_EXT_KEY_USAGE,
    PE_IP_ADDR_BLOCKS,
    PE_AUTONOMOUS_SYS_IDS,
    CE_POLICY_CONSTRAINTS,
    OID_PROXY_CERT_INFO,
    OID_NAME_CONSTRAINTS,
    CE_POLICY_MAPPINGS,
    CE_INHIBIT_ANY_POLICY,
];

/// The decoded view of one certificate.
#[derive(Clone, Debug)]
pub(crate) struct Info {
    /// The certificate itself (shared, not copied: with trust stores of thousands of certificates a
    /// second parse and copy of each would double the verifier's memory and time).
    pub cert: Cert,
    pub subject: CanonName,
    pub issuer: CanonName,
    pub subject_empty: bool,
    pub issuer_empty: bool,
    /// X.509 version as stored (0 = v1, 2 = v3).
    pub version: u8,
    pub serial: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    pub spki: Vec<u8>,
    pub sig_oid: ObjectIdentifier,
    pub sig_params: Option<Vec<u8>>,
    pub sig_alg_consistent: bool,
    pub signature: Vec<u8>,
    /// basicConstraints: Some((ca, pathLen)) when present.
    pub bc: Option<(bool, Option<u8>)>,
    pub bc_critical: bool,
    pub ku: Option<u16>,
    pub ku_critical: bool,
    pub eku: Option<Vec<ObjectIdentifier>>,
    pub eku_critical: bool,
    pub ns_cert_type: Option<u8>,
    pub ski: Option<Vec<u8>>,
    pub ski_critical: bool,
    pub aki: Option<AuthorityKeyIdentifier>,
    pub aki_critical: bool,
    pub san: Option<Vec<GeneralName>>,
    pub has_name_constraints: bool,
    pub is_proxy: bool,
    pub ext_count: usize,
    /// Some extension is critical and not handled.
    pub unhandled_critical: bool,
    /// The same extension occurs more than once.
    pub duplicate_ext: bool,
    /// Some extension the verifier relies on could not be decoded (OpenSSL's EXFLAG_INVALID).
    pub invalid: bool,
    pub self_issued: bool,
    pub self_signed: bool,
}

impl Info {
    pub(crate) fn der(&self) -> &[u8] {
        self.cert.der()
    }

    pub(crate) fn x509(&self) -> &Certificate {
        self.cert.cert()
    }

    /// The signed bytes (TBSCertificate as found in the encoding).
    pub(crate) fn tbs(&self) -> &[u8] {
        self.cert.tbs_der()
    }

    /// Record what each extension says; one that cannot be decoded marks the certificate invalid
    /// (OpenSSL's ossl_x509v3_cache_extensions sets EXFLAG_INVALID rather than failing).
    fn read_extensions(&mut self, exts: &[x509_cert::ext::Extension]) {
        let mut seen: Vec<ObjectIdentifier> = Vec::new();
        for ext in exts {
            self.ext_count += 1;
            if seen.contains(&ext.extn_id) {
                self.duplicate_ext = true;
            }
            seen.push(ext.extn_id);
            if ext.critical && !HANDLED_EXTENSIONS.contains(&ext.extn_id) {
                self.unhandled_critical = true;
            }
            self.read_extension(ext);
        }
    }

    fn read_extension(&mut self, ext: &x509_cert::ext::Extension) {
        let id = ext.extn_id;
        let v = ext.extn_value.as_bytes();
        match id {
            OID_BASIC_CONSTRAINTS => match BasicConstraints::from_der(v) {
                Ok(bc) => {
                    self.bc = Some((bc.ca, bc.path_len_constraint));
                    self.bc_critical = ext.critical;
                    if bc.path_len_constraint.is_some() && !bc.ca {
                        self.invalid = true;
                    }
                }
                Err(_) => self.invalid = true,
            },
            OID_KEY_USAGE => match KeyUsage::from_der(v) {
                Ok(_) => {
                    self.ku = Some(ku_bits(v));
                    self.ku_critical = ext.critical;
                }
                Err(_) => self.invalid = true,
            },
            OID_EXT_KEY_USAGE => match ExtendedKeyUsage::from_der(v) {
                Ok(eku) => {
                    self.eku = Some(eku.0);
                    self.eku_critical = ext.critical;
                }
                Err(_) => self.invalid = true,
            },
            OID_SKI => match SubjectKeyIdentifier::from_der(v) {
                Ok(ski) => {
                    self.ski = Some(ski.0.as_bytes().to_vec());
                    self.ski_critical = ext.critical;
                }
                Err(_) => self.invalid = true,
            },
            OID_AKI => match AuthorityKeyIdentifier::from_der(v) {
                Ok(aki) => {
                    self.aki = Some(aki);
                    self.aki_critical = ext.critical;
                }
                Err(_) => self.invalid = true,
            },
            OID_SAN => match SubjectAltName::from_der(v) {
                Ok(san) => self.san = Some(san.0),
                Err(_) => self.invalid = true,
            },
            OID_NS_CERT_TYPE => match der::asn1::BitString::from_der(v) {
                Ok(b) => self.ns_cert_type = Some(b.raw_bytes().first().copied().unwrap_or(0)),
                Err(_) => self.invalid = true,
            },
            OID_NAME_CONSTRAINTS => self.has_name_constraints = true,
            OID_PROXY_CERT_INFO => self.is_proxy = true,
            _ => {}
        }
    }

    /// Decode `der` (a whole Certificate). Undecodable extensions mark the certificate invalid rather than
    /// failing, as OpenSSL does, so the verifier can report them in its own words.
    pub(crate) fn parse(cert: &Cert) -> Result<Info, String> {
        let x509 = cert.cert();
        if cert.tbs_der().is_empty() {
            return Err("cannot parse certificate: no tbsCertificate".to_string());
        }
        let t = x509.tbs_certificate();
        let spki = t
            .subject_public_key_info()
            .to_der()
            .map_err(|e| format!("cannot encode key: {e}"))?;
        let sig_alg = x509.signature_algorithm();
        let sig_params = match &sig_alg.parameters {
            Some(p) => Some(
                p.to_der()
                    .map_err(|e| format!("cannot encode parameters: {e}"))?,
            ),
            None => None,
        };
        let mut info = Info {
            cert: cert.clone(),
            subject: canon_name(t.subject()),
            issuer: canon_name(t.issuer()),
            subject_empty: t.subject().is_empty(),
            issuer_empty: t.issuer().is_empty(),
            version: t.version() as u8,
            serial: t.serial_number().as_bytes().to_vec(),
            not_before: unix(t.validity().not_before),
            not_after: unix(t.validity().not_after),
            spki,
            sig_oid: sig_alg.oid,
            sig_params,
            sig_alg_consistent: sig_alg == t.signature(),
            signature: x509.signature().raw_bytes().to_vec(),
            bc: None,
            bc_critical: false,
            ku: None,
            ku_critical: false,
            eku: None,
            eku_critical: false,
            ns_cert_type: None,
            ski: None,
            ski_critical: false,
            aki: None,
            aki_critical: false,
            san: None,
            has_name_constraints: false,
            is_proxy: false,
            ext_count: 0,
            unhandled_critical: false,
            duplicate_ext: false,
            invalid: false,
            self_issued: false,
            self_signed: false,
        };
        info.read_extensions(t.extensions().map(|e| e.as_slice()).unwrap_or(&[]));
        // OpenSSL: self-issued = subject equals issuer (and any AKI fits the cert itself); self-signed also
        // needs the signature algorithm to fit the cert's own key. The signature itself is not checked.
        if info.subject == info.issuer {
            info.self_issued = true;
            info.self_signed = check_akid(&info, &info) && sig_fits_key(&info, &info);
        }
        Ok(info)
    }

    pub(crate) fn is_ca_flag(&self) -> bool {
        matches!(self.bc, Some((true, _)))
    }

    /// keyUsage present and lacking all of `bits` (OpenSSL's ku_reject).
    pub(crate) fn ku_reject(&self, bits: u16) -> bool {
        matches!(self.ku, Some(k) if k & bits == 0)
    }

    /// nsCertType present and lacking all of `bits`.
    pub(crate) fn ns_reject(&self, bits: u8) -> bool {
        matches!(self.ns_cert_type, Some(k) if k & bits == 0)
    }

    /// extendedKeyUsage present and lacking all of `oids`.
    pub(crate) fn eku_reject(&self, oids: &[ObjectIdentifier]) -> bool {
        match &self.eku {
            None => false,
            Some(list) => !list.iter().any(|o| oids.contains(o)),
        }
    }

    /// OpenSSL's X509_check_ca: 0 = not a CA, 1 = a proper CA, 3 = v1 self-signed root, 4 = no
    /// basicConstraints but keyUsage with keyCertSign, 5 = Netscape CA type.
    pub(crate) fn check_ca(&self) -> u8 {
        if self.ku_reject(KU_KEY_CERT_SIGN) {
            return 0;
        }
        match self.bc {
            Some((ca, _)) => ca as u8,
            None => {
                if self.version == 0 && self.self_signed {
                    3
                } else if self.ku.is_some() {
                    4
                } else if matches!(self.ns_cert_type, Some(t) if t & NS_ANY_CA != 0) {
                    5
                } else {
                    0
                }
            }
        }
    }

    /// The pathLenConstraint as OpenSSL keeps it (-1 when absent).
    pub(crate) fn pathlen(&self) -> i64 {
        match self.bc {
            Some((_, Some(n))) => n as i64,
            _ => -1,
        }
    }
}

/// keyUsage bits from the extension value, laid out as OpenSSL's ex_kusage.
fn ku_bits(v: &[u8]) -> u16 {
    match der::asn1::BitString::from_der(v) {
        Ok(b) => {
            let r = b.raw_bytes();
            let b0 = r.first().copied().unwrap_or(0) as u16;
            let b1 = r.get(1).copied().unwrap_or(0) as u16;
            b0 | (b1 << 8)
        }
        Err(_) => 0,
    }
}

fn unix(t: x509_cert::time::Time) -> i64 {
    t.to_unix_duration().as_secs() as i64
}

/// OpenSSL's X509_check_akid(issuer, subject's AKI): every AKI field present must match the issuer.
pub(crate) fn check_akid(issuer: &Info, subject: &Info) -> bool {
    let Some(aki) = &subject.aki else {
        return true;
    };
    if let (Some(kid), Some(ski)) = (&aki.key_identifier, &issuer.ski) {
        if kid.as_bytes() != ski.as_slice() {
            return false;
        }
    }
    if let Some(serial) = &aki.authority_cert_serial_number {
        if serial.as_bytes() != issuer.serial.as_slice() {
            return false;
        }
    }
    if let Some(names) = &aki.authority_cert_issuer {
        for n in names {
            if let GeneralName::DirectoryName(dn) = n {
                if canon_name(dn) != issuer.issuer {
                    return false;
                }
                break;
            }
        }
    }
    true
}

/// Whether the subject's signature algorithm fits the issuer's key type.
pub(crate) fn sig_fits_key(issuer: &Info, subject: &Info) -> bool {
    let (key, _) = sig::key_kind(&issuer.spki);
    match sig::sig_alg_info(&subject.sig_oid) {
        Some((s, _)) => sig::key_fits(key, s),
        None => false,
    }
}

/// OpenSSL's ossl_x509_likely_issued: names chain, AKI fits, signature algorithm fits the key.
pub(crate) fn likely_issued(issuer: &Info, subject: &Info) -> bool {
    issuer.subject == subject.issuer && check_akid(issuer, subject) && sig_fits_key(issuer, subject)
}
