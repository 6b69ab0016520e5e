//! Object identifiers of CMP and CRMF (RFC 9810 Appendix F, RFC 4211 Appendix B, RFC 9480, RFC 9483)
//! and of the algorithms the protection code names, with the names OpenSSL prints for them.

use der::asn1::ObjectIdentifier as Oid;

/// `id-PasswordBasedMac` (RFC 9810 section 5.1.3.1), OpenSSL's "password based MAC".
pub const PASSWORD_BASED_MAC: Oid = Oid::new_unwrap("1.2.840.113533.7.66.13");
/// `id-DHBasedMac` (RFC 9810 section 5.1.3.2).
pub const DH_BASED_MAC: Oid = Oid::new_unwrap("1.2.840.113533.7.66.30");
/// `id-KemBasedMac` (RFC 9810 section 5.1.3.4).
pub const KEM_BASED_MAC: Oid = Oid::new_unwrap("1.2.840.113533.7.66.16");

/// `id-PBMAC1` (RFC 8018 section 7.1; RFC 9481 section 6.1.2): PBKDF2 plus an HMAC.
pub const PBMAC1: Oid = Oid::new_unwrap("1.2.840.113549.1.5.14");
/// `id-PBKDF2` (RFC 8018 appendix A.2), the key derivation function of PBMAC1.
pub const PBKDF2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.12");
/// `id-PBES2` (RFC 8018 appendix A.4). Not a key derivation function, but Bouncy Castle up to at least
/// 1.80 (and so EJBCA) writes it where PBMAC1 names PBKDF2; see `protect::pbmac1`.
pub const PBES2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.13");

// One-way functions (hashes) usable as the PBM OWF.
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
pub const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

// HMACs: RFC 4210's default is the IPsec-arc hmac-sha1 (1.3.6.1.5.5.8.1.2); the SHA-2 HMACs exist only in
// the RSADSI arc (1.2.840.113549.2.x), which is what OpenSSL's -mac hmacWithSHA256 etc. send.
/// `hmac-md5` from RFC 2404's arc; listed so it can be recognised and refused by name.
pub const HMAC_MD5_IPSEC: Oid = Oid::new_unwrap("1.3.6.1.5.5.8.1.1");
/// `hmac-sha1`, RFC 4210's default PBM MAC (what OpenSSL sends by default).
pub const HMAC_SHA1_IPSEC: Oid = Oid::new_unwrap("1.3.6.1.5.5.8.1.2");
pub const HMAC_SHA1: Oid = Oid::new_unwrap("1.2.840.113549.2.7");
pub const HMAC_SHA224: Oid = Oid::new_unwrap("1.2.840.113549.2.8");
pub const HMAC_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.2.9");
pub const HMAC_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.2.10");
pub const HMAC_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.2.11");

// CRMF registration controls and info (RFC 4211 section 6, RFC 9480).
pub const REG_CTRL_REG_TOKEN: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.1");
pub const REG_CTRL_AUTHENTICATOR: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.2");
pub const REG_CTRL_PKI_PUBLICATION_INFO: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.3");
pub const REG_CTRL_PKI_ARCHIVE_OPTIONS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.4");
/// `id-regCtrl-oldCertID`: the control carrying the [`CertId`](super::crmf::CertId) of the certificate a
/// kur replaces.
pub const REG_CTRL_OLD_CERT_ID: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.5");
pub const REG_CTRL_PROTOCOL_ENCR_KEY: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.6");
/// `id-regCtrl-algId` (RFC 9480 section 2.20, used in certReqTemplate).
pub const REG_CTRL_ALG_ID: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.11");
/// `id-regCtrl-rsaKeyLen` (RFC 9480 section 2.20).
pub const REG_CTRL_RSA_KEY_LEN: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.12");
pub const REG_INFO_UTF8_PAIRS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.2.1");
pub const REG_INFO_CERT_REQ: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.2.2");

// InfoTypeAndValue types (id-it, 1.3.6.1.5.5.7.4.x; RFC 9810 section 5.3.19, RFC 9480, RFC 9483).
pub const IT_CA_PROT_ENC_CERT: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.1");
pub const IT_SIGN_KEY_PAIR_TYPES: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.2");
pub const IT_ENC_KEY_PAIR_TYPES: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.3");
pub const IT_PREFERRED_SYMM_ALG: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.4");
pub const IT_CA_KEY_UPDATE_INFO: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.5");
pub const IT_CURRENT_CRL: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.6");
pub const IT_UNSUPPORTED_OIDS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.7");
pub const IT_SUBSCRIPTION_REQUEST: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.8");
pub const IT_SUBSCRIPTION_RESPONSE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.9");
pub const IT_KEY_PAIR_PARAM_REQ: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.10");
pub const IT_KEY_PAIR_PARAM_REP: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.11");
pub const IT_REV_PASSPHRASE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.12");
pub const IT_IMPLICIT_CONFIRM: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.13");
pub const IT_CONFIRM_WAIT_TIME: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.14");
pub const IT_ORIG_PKI_MESSAGE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.15");
pub const IT_SUPP_LANG_TAGS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.16");
pub const IT_CA_CERTS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.17");
pub const IT_ROOT_CA_KEY_UPDATE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.18");
pub const IT_CERT_REQ_TEMPLATE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.19");
pub const IT_ROOT_CA_CERT: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.20");
pub const IT_CERT_PROFILE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.21");
pub const IT_CRL_STATUS_LIST: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.22");
pub const IT_CRLS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.4.23");

/// Every InfoType OpenSSL 3.5 knows by name, with the name it prints (`OBJ_obj2txt`, e.g. in genp output
/// and `-infotype`). OpenSSL 3.0 lacks names for certProfile, crlStatusList and crls (it prints the dotted
/// form); callers that must mimic 3.0 exactly can check [`IT_NAMES_SINCE_3_3`].
pub const INFO_TYPES: &[(Oid, &str)] = &[
    (IT_CA_PROT_ENC_CERT, "id-it-caProtEncCert"),
    (IT_SIGN_KEY_PAIR_TYPES, "id-it-signKeyPairTypes"),
    (IT_ENC_KEY_PAIR_TYPES, "id-it-encKeyPairTypes"),
    (IT_PREFERRED_SYMM_ALG, "id-it-preferredSymmAlg"),
    (IT_CA_KEY_UPDATE_INFO, "id-it-caKeyUpdateInfo"),
    (IT_CURRENT_CRL, "id-it-currentCRL"),
    (IT_UNSUPPORTED_OIDS, "id-it-unsupportedOIDs"),
    (IT_SUBSCRIPTION_REQUEST, "id-it-subscriptionRequest"),
    (IT_SUBSCRIPTION_RESPONSE, "id-it-subscriptionResponse"),
    (IT_KEY_PAIR_PARAM_REQ, "id-it-keyPairParamReq"),
    (IT_KEY_PAIR_PARAM_REP, "id-it-keyPairParamRep"),
    (IT_REV_PASSPHRASE, "id-it-revPassphrase"),
    (IT_IMPLICIT_CONFIRM, "id-it-implicitConfirm"),
    (IT_CONFIRM_WAIT_TIME, "id-it-confirmWaitTime"),
    (IT_ORIG_PKI_MESSAGE, "id-it-origPKIMessage"),
    (IT_SUPP_LANG_TAGS, "id-it-suppLangTags"),
    (IT_CA_CERTS, "id-it-caCerts"),
    (IT_ROOT_CA_KEY_UPDATE, "id-it-rootCaKeyUpdate"),
    (IT_CERT_REQ_TEMPLATE, "id-it-certReqTemplate"),
    (IT_ROOT_CA_CERT, "id-it-rootCaCert"),
    (IT_CERT_PROFILE, "id-it-certProfile"),
    (IT_CRL_STATUS_LIST, "id-it-crlStatusList"),
    (IT_CRLS, "id-it-crls"),
];

/// InfoTypes OpenSSL 3.0 prints as dotted numbers because it had no name for them yet.
pub const IT_NAMES_SINCE_3_3: &[Oid] = &[IT_CERT_PROFILE, IT_CRL_STATUS_LIST, IT_CRLS];

/// The name OpenSSL prints for an InfoType, or `None` for one it does not know.
pub fn info_type_name(oid: &Oid) -> Option<&'static str> {
    INFO_TYPES.iter().find(|(o, _)| o == oid).map(|(_, n)| *n)
}

/// Looks an InfoType up by name as `-infotype` takes it: with or without the `id-it-` prefix
/// (`caCerts` and `id-it-caCerts`), or as a dotted OID.
pub fn info_type_by_name(name: &str) -> Option<Oid> {
    let short = name.strip_prefix("id-it-").unwrap_or(name);
    INFO_TYPES
        .iter()
        .find(|(_, n)| n.strip_prefix("id-it-") == Some(short))
        .map(|(o, _)| *o)
        .or_else(|| {
            if name.contains('.') {
                Oid::new(name).ok()
            } else {
                None
            }
        })
}

/// OpenSSL's long names of the algorithms PBM uses, for log lines and errors.
pub fn algorithm_name(oid: &Oid) -> Option<&'static str> {
    const NAMES: &[(Oid, &str)] = &[
        (PASSWORD_BASED_MAC, "password based MAC"),
        (SHA1, "sha1"),
        (SHA224, "sha224"),
        (SHA256, "sha256"),
        (SHA384, "sha384"),
        (SHA512, "sha512"),
        (HMAC_MD5_IPSEC, "hmac-md5"),
        (HMAC_SHA1_IPSEC, "hmac-sha1"),
        (HMAC_SHA1, "hmacWithSHA1"),
        (HMAC_SHA224, "hmacWithSHA224"),
        (HMAC_SHA256, "hmacWithSHA256"),
        (HMAC_SHA384, "hmacWithSHA384"),
        (HMAC_SHA512, "hmacWithSHA512"),
    ];
    NAMES.iter().find(|(o, _)| o == oid).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_type_lookup_accepts_both_spellings() {
        assert_eq!(info_type_by_name("caCerts"), Some(IT_CA_CERTS));
        assert_eq!(info_type_by_name("id-it-caCerts"), Some(IT_CA_CERTS));
        assert_eq!(
            info_type_by_name("signKeyPairTypes"),
            Some(IT_SIGN_KEY_PAIR_TYPES)
        );
        assert_eq!(
            info_type_by_name("1.2.3.4"),
            Some(Oid::new_unwrap("1.2.3.4"))
        );
        assert_eq!(info_type_by_name("noSuchType"), None);
        assert_eq!(info_type_name(&IT_CRLS), Some("id-it-crls"));
    }

    #[test]
    fn info_type_oids_follow_the_id_it_arc() {
        for (i, (oid, _)) in INFO_TYPES.iter().enumerate() {
            assert_eq!(oid.to_string(), format!("1.3.6.1.5.5.7.4.{}", i + 1));
        }
    }
}
