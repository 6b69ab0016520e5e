//! Object identifiers of CMP and CRMF (RFC 9810 Appendix F, RFC 4211 Appendix B, RFC 9480, RFC 9483)
//! and of the algorithms the protection code names, with the names OpenSSL prints for them.

use der::asn1::ObjectIdentifier as Oid;

/// `id-PasswordBasedMac` (RFC 9810 section 5.1.3.1), OpenSSL's "password based MAC".
pub const PASSWORD_BASED_MAC: Oid = Oid::new_unwrap("1.2.840.113533.7.66.13");
/// `id-DHBasedMac` (RFC 9810 section 5.1.3.2).
pub const DH_BASED_MAC: Oid = Oid::new_unwrap("1.2.840.113533.7.66.30");

/// `id-PBMAC1` (RFC 8018 section 7.1; RFC 9481 section 6.1.2): PBKDF2 plus an HMAC.
pub const PBMAC1: Oid = Oid::new_unwrap("1.2.840.113549.1.5.14");
/// `id-PBKDF2` (RFC 8018 appendix A.2), the key derivation function of PBMAC1.
pub const PBKDF2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.12");
/// `id-PBES2` (RFC 8018 appendix A.4). Not a key derivation function, but Bouncy Castle up to at least
/// 1.80 (and so EJBCA) writes it where PBMAC1 names PBKDF2; see `protect::pbmac1`.
pub const PBES2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.13");

// Digests (NIST CSOR arc 2.16.840.1.101.3.4.2; RFC 1321 and FIPS 180-1 for MD5 and SHA-1).
pub const MD5: Oid = Oid::new_unwrap("1.2.840.113549.2.5");
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
pub const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
pub const SHA512_224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.5");
pub const SHA512_256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.6");
pub const SHA3_224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.7");
pub const SHA3_256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.8");
pub const SHA3_384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.9");
pub const SHA3_512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.10");

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
pub const HMAC_SHA512_224: Oid = Oid::new_unwrap("1.2.840.113549.2.12");
pub const HMAC_SHA512_256: Oid = Oid::new_unwrap("1.2.840.113549.2.13");
pub const HMAC_SHA3_256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.14");

// Public key algorithms (RFC 3279, RFC 4055, RFC 5480, RFC 8410, FIPS 204) and named curves.
/// The PKCS #1 arc (RFC 8017 appendix C): rsaEncryption, RSASSA-PSS and the v1.5 signatures.
pub const PKCS1: Oid = Oid::new_unwrap("1.2.840.113549.1.1");
pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// `id-RSASSA-PSS` (RFC 4055): both a key type (PSS-restricted RSA keys) and a signature algorithm.
pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
/// `id-mgf1`, the mask generation function inside RSASSA-PSS parameters.
pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
pub const DSA: Oid = Oid::new_unwrap("1.2.840.10040.4.1");
pub const DH_X942: Oid = Oid::new_unwrap("1.2.840.10046.2.1");
pub const X25519: Oid = Oid::new_unwrap("1.3.101.110");
pub const X448: Oid = Oid::new_unwrap("1.3.101.111");
pub const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
pub const ED448: Oid = Oid::new_unwrap("1.3.101.113");
pub const ML_DSA_44: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.17");
pub const ML_DSA_65: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.18");
pub const ML_DSA_87: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.19");
pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
pub const P521: Oid = Oid::new_unwrap("1.3.132.0.35");

/// OpenSSL's long names of public key algorithms (as `i2a_ASN1_OBJECT` prints them).
pub const PUBLIC_KEY_ALGORITHMS: &[(Oid, &str)] = &[
    (RSA_ENCRYPTION, "rsaEncryption"),
    (RSASSA_PSS, "rsassaPss"),
    (EC_PUBLIC_KEY, "id-ecPublicKey"),
    (DSA, "dsaEncryption"),
    (DH_X942, "X9.42 DH"),
    (X25519, "X25519"),
    (X448, "X448"),
    (ED25519, "ED25519"),
    (ED448, "ED448"),
];

/// The name OpenSSL prints for a public key algorithm, `None` for one not in the list.
pub fn public_key_algorithm_name(oid: &Oid) -> Option<&'static str> {
    PUBLIC_KEY_ALGORITHMS
        .iter()
        .find(|(o, _)| o == oid)
        .map(|(_, n)| *n)
}

// Signature algorithms: RSA PKCS#1 v1.5 (RFC 8017), ECDSA (RFC 5758), DSA (RFC 3279, RFC 5758) and the
// SHA-3 ones from the NIST arc. `creds::alg::SIGNATURES` pairs each with its key kind and digest.
pub const MD5_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.4");
pub const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
pub const SHA224_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.14");
pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
pub const SHA512_224_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.15");
pub const SHA512_256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.16");
pub const SHA3_224_WITH_RSA: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.13");
pub const SHA3_256_WITH_RSA: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.14");
pub const SHA3_384_WITH_RSA: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.15");
pub const SHA3_512_WITH_RSA: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.16");
pub const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
pub const ECDSA_WITH_SHA224: Oid = Oid::new_unwrap("1.2.840.10045.4.3.1");
pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
pub const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
pub const ECDSA_WITH_SHA3_224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.9");
pub const ECDSA_WITH_SHA3_256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.10");
pub const ECDSA_WITH_SHA3_384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.11");
pub const ECDSA_WITH_SHA3_512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.12");
pub const DSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10040.4.3");
pub const DSA_WITH_SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.1");
pub const DSA_WITH_SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.2");
pub const DSA_WITH_SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.3");
pub const DSA_WITH_SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.4");

// Certificate and CRL extensions (RFC 5280 section 4.2 and 5.2, RFC 3779, RFC 3820, Netscape).
pub const CE_SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
pub const CE_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
pub const CE_SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
pub const CE_ISSUER_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.18");
pub const CE_BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
pub const CE_CRL_NUMBER: Oid = Oid::new_unwrap("2.5.29.20");
pub const CE_CRL_REASONS: Oid = Oid::new_unwrap("2.5.29.21");
pub const CE_DELTA_CRL_INDICATOR: Oid = Oid::new_unwrap("2.5.29.27");
pub const CE_ISSUING_DISTRIBUTION_POINT: Oid = Oid::new_unwrap("2.5.29.28");
pub const CE_NAME_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.30");
pub const CE_CRL_DISTRIBUTION_POINTS: Oid = Oid::new_unwrap("2.5.29.31");
pub const CE_CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
pub const CE_POLICY_MAPPINGS: Oid = Oid::new_unwrap("2.5.29.33");
pub const CE_AUTHORITY_KEY_ID: Oid = Oid::new_unwrap("2.5.29.35");
pub const CE_POLICY_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.36");
pub const CE_EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
pub const CE_FRESHEST_CRL: Oid = Oid::new_unwrap("2.5.29.46");
pub const CE_INHIBIT_ANY_POLICY: Oid = Oid::new_unwrap("2.5.29.54");
pub const PE_AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
pub const PE_IP_ADDR_BLOCKS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.7");
pub const PE_AUTONOMOUS_SYS_IDS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.8");
pub const PE_PROXY_CERT_INFO: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.14");
pub const NS_CERT_TYPE: Oid = Oid::new_unwrap("2.16.840.1.113730.1.1");

// Policy qualifiers and access methods (RFC 5280 section 4.2.1.4 and 4.2.2.1, RFC 3029, RFC 3161).
pub const QT_CPS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.2.1");
pub const QT_UNOTICE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.2.2");
pub const AD_OCSP: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1");
pub const AD_CA_ISSUERS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.2");
pub const AD_TIMESTAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.3");
pub const AD_DVCS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.4");
pub const AD_CA_REPOSITORY: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.5");

// Extended key usages (RFC 5280 section 4.2.1.12, RFC 6402, RFC 9480, Microsoft, Netscape).
pub const KP_SERVER_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.1");
pub const KP_CLIENT_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.2");
pub const KP_CODE_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.3");
pub const KP_EMAIL_PROTECTION: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.4");
pub const KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
pub const KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
pub const KP_IPSEC_IKE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.17");
pub const KP_CMC_CA: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.27");
pub const KP_CMC_RA: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.28");
/// `id-kp-cmKGA` (RFC 9480 section 4.3): the key generation authority of central key generation.
pub const KP_CM_KGA: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.32");
pub const KP_MS_CODE_IND: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.1.21");
pub const KP_MS_CODE_COM: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.1.22");
pub const KP_MS_CTL_SIGN: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.10.3.1");
pub const KP_MS_SGC: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.10.3.3");
pub const KP_MS_EFS: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.10.3.4");
pub const KP_NS_SGC: Oid = Oid::new_unwrap("2.16.840.1.113730.4.1");
pub const KP_ANY: Oid = Oid::new_unwrap("2.5.29.37.0");

/// Extended key usage names as x509v3_config(5) takes them in `extendedKeyUsage`, plus the
/// CMP-related ones.
pub const EXT_KEY_USAGE_NAMES: &[(&str, Oid)] = &[
    ("serverAuth", KP_SERVER_AUTH),
    ("clientAuth", KP_CLIENT_AUTH),
    ("codeSigning", KP_CODE_SIGNING),
    ("emailProtection", KP_EMAIL_PROTECTION),
    ("timeStamping", KP_TIME_STAMPING),
    ("OCSPSigning", KP_OCSP_SIGNING),
    ("ipsecIKE", KP_IPSEC_IKE),
    ("cmcCA", KP_CMC_CA),
    ("cmcRA", KP_CMC_RA),
    ("cmKGA", KP_CM_KGA),
    ("msCodeInd", KP_MS_CODE_IND),
    ("msCodeCom", KP_MS_CODE_COM),
    ("msCTLSign", KP_MS_CTL_SIGN),
    ("msEFS", KP_MS_EFS),
    ("anyExtendedKeyUsage", KP_ANY),
];

// Distinguished name attribute types (X.520 via RFC 4519, RFC 4524, PKCS #9).
pub const AT_COMMON_NAME: Oid = Oid::new_unwrap("2.5.4.3");
pub const AT_SURNAME: Oid = Oid::new_unwrap("2.5.4.4");
pub const AT_SERIAL_NUMBER: Oid = Oid::new_unwrap("2.5.4.5");
pub const AT_COUNTRY: Oid = Oid::new_unwrap("2.5.4.6");
pub const AT_LOCALITY: Oid = Oid::new_unwrap("2.5.4.7");
pub const AT_STATE: Oid = Oid::new_unwrap("2.5.4.8");
pub const AT_STREET: Oid = Oid::new_unwrap("2.5.4.9");
pub const AT_ORGANIZATION: Oid = Oid::new_unwrap("2.5.4.10");
pub const AT_ORGANIZATIONAL_UNIT: Oid = Oid::new_unwrap("2.5.4.11");
pub const AT_TITLE: Oid = Oid::new_unwrap("2.5.4.12");
pub const AT_DESCRIPTION: Oid = Oid::new_unwrap("2.5.4.13");
pub const AT_BUSINESS_CATEGORY: Oid = Oid::new_unwrap("2.5.4.15");
pub const AT_POSTAL_CODE: Oid = Oid::new_unwrap("2.5.4.17");
pub const AT_NAME: Oid = Oid::new_unwrap("2.5.4.41");
pub const AT_GIVEN_NAME: Oid = Oid::new_unwrap("2.5.4.42");
pub const AT_INITIALS: Oid = Oid::new_unwrap("2.5.4.43");
pub const AT_GENERATION_QUALIFIER: Oid = Oid::new_unwrap("2.5.4.44");
pub const AT_DN_QUALIFIER: Oid = Oid::new_unwrap("2.5.4.46");
pub const AT_PSEUDONYM: Oid = Oid::new_unwrap("2.5.4.65");
pub const AT_ROLE: Oid = Oid::new_unwrap("2.5.4.72");
pub const AT_ORGANIZATION_ID: Oid = Oid::new_unwrap("2.5.4.97");
pub const AT_USER_ID: Oid = Oid::new_unwrap("0.9.2342.19200300.100.1.1");
pub const AT_DOMAIN_COMPONENT: Oid = Oid::new_unwrap("0.9.2342.19200300.100.1.25");
pub const AT_EMAIL_ADDRESS: Oid = Oid::new_unwrap("1.2.840.113549.1.9.1");
pub const AT_UNSTRUCTURED_NAME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.2");

// CMS content types and attributes (RFC 5652), PKCS #9 extensionRequest, AES-CBC (RFC 3565).
pub const CT_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
pub const CT_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
pub const AA_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
pub const AA_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
pub const AA_SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
pub const EXTENSION_REQUEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.14");
pub const AES128_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.2");
pub const AES192_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.22");
pub const AES256_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.42");

// CRMF registration controls and info (RFC 4211 section 6, RFC 9480).
/// `id-regCtrl-oldCertID`: the control carrying the [`CertId`](super::crmf::CertId) of the certificate a
/// kur replaces.
pub const REG_CTRL_OLD_CERT_ID: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.5");
/// `id-regCtrl-algId` (RFC 9480 section 2.20, used in certReqTemplate).
pub const REG_CTRL_ALG_ID: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.11");
/// `id-regCtrl-rsaKeyLen` (RFC 9480 section 2.20).
pub const REG_CTRL_RSA_KEY_LEN: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.5.1.12");

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

/// Arcs OpenSSL's object table names (the roots, `internet` and its sub-arcs, `X500`, `X509`, `id-ce`),
/// in dotted form: OpenSSL knows them by name although no `const_oid` table lists them.
pub const OPENSSL_NAMED_ARCS: &[&str] = &[
    "0",
    "1",
    "2",
    "1.2",
    "1.3",
    "1.3.6",
    "1.3.6.1",
    "1.3.6.1.1",
    "1.3.6.1.2",
    "1.3.6.1.3",
    "1.3.6.1.4",
    "1.3.6.1.4.1",
    "1.3.6.1.5",
    "1.3.6.1.6",
    "1.3.6.1.7",
    "2.5",
    "2.5.4",
    "2.5.29",
];

/// OpenSSL's long name of a digest, MAC, signature or PBM algorithm, for log lines and errors (a thin
/// wrapper over the algorithm registry, `creds::alg::algorithm_name`).
#[cfg(any(test, fuzzing, feature = "bench"))]
pub fn algorithm_name(oid: &Oid) -> Option<&'static str> {
    crate::creds::alg::algorithm_name(oid)
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
