//! The verification options of OpenSSL (`openssl-verification-options(1)`) as one value, and the parsing
//! of their command-line / config-file forms.

use crate::error::{Error, Result};

/// The intended use of the target certificate (-purpose).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    SslClient,
    SslServer,
    NsSslServer,
    SmimeSign,
    SmimeEncrypt,
    CrlSign,
    Any,
    OcspHelper,
    TimestampSign,
    CodeSign,
}

impl Purpose {
    /// The short names OpenSSL accepts for -purpose.
    pub fn from_name(name: &str) -> Option<Purpose> {
        Some(match name {
            "sslclient" => Purpose::SslClient,
            "sslserver" => Purpose::SslServer,
            "nssslserver" => Purpose::NsSslServer,
            "smimesign" => Purpose::SmimeSign,
            "smimeencrypt" => Purpose::SmimeEncrypt,
            "crlsign" => Purpose::CrlSign,
            "any" => Purpose::Any,
            "ocsphelper" => Purpose::OcspHelper,
            "timestampsign" => Purpose::TimestampSign,
            "codesign" => Purpose::CodeSign,
            _ => return None,
        })
    }
}

/// OpenSSL's default maximal chain depth (X509_VERIFY_PARAM "default").
pub const DEFAULT_DEPTH: u32 = 100;

/// Verification options; `Default` is what OpenSSL uses when no option is given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VerifyParams {
    /// -attime: check validity at this time (unix seconds) instead of now; overrides -no_check_time.
    pub attime: Option<i64>,
    /// -no_check_time: do not check validity periods of certificates and CRLs.
    pub no_check_time: bool,
    /// -partial_chain: any certificate in the trust store may end the chain.
    pub partial_chain: bool,
    /// -verify_depth: at most this many intermediate CA certificates (None: OpenSSL's default 100).
    pub verify_depth: Option<u32>,
    /// -x509_strict: RFC 5280 well-formedness checks.
    pub x509_strict: bool,
    /// -check_ss_sig: also verify the signature of a self-signed trust anchor.
    pub check_ss_sig: bool,
    /// -ignore_critical: do not fail on unhandled critical extensions.
    pub ignore_critical: bool,
    /// -purpose (None: no purpose checks, as in `openssl cmp`).
    pub purpose: Option<Purpose>,
    /// -crl_check: the target certificate must have a valid CRL that does not list it.
    pub crl_check: bool,
    /// -crl_check_all: every certificate in the chain must.
    pub crl_check_all: bool,
    /// -policy (any number), -policy_check, -explicit_policy, -inhibit_any, -inhibit_map.
    pub policies: Vec<String>,
    pub policy_check: bool,
    pub explicit_policy: bool,
    pub inhibit_any: bool,
    pub inhibit_map: bool,
    /// -auth_level: minimal security level of keys and signature digests (None: not set).
    pub auth_level: Option<i32>,
    /// -verify_hostname, -verify_ip, -verify_email: checked on the target certificate only.
    pub verify_hostname: Option<String>,
    pub verify_ip: Option<std::net::IpAddr>,
    pub verify_email: Option<String>,
    /// -allow_proxy_certs (proxy certificates are otherwise rejected).
    pub allow_proxy_certs: bool,
    /// Options OpenSSL knows but this verifier does not implement; verifying with any of them set fails
    /// with an error naming them.
    pub unsupported: Vec<String>,
}

impl VerifyParams {
    /// Apply one verification option as given on the command line (name without the leading dash) or in
    /// a config file. Returns Ok(false) when `name` is not a verification option, so callers can try
    /// their own options next.
    pub fn set_option(&mut self, name: &str, value: Option<&str>) -> Result<bool> {
        let need = |v: Option<&str>| -> Result<String> {
            v.map(str::to_string)
                .ok_or_else(|| Error::usage(format!("Option -{name} needs a value")))
        };
        match name {
            "attime" => {
                let v = need(value)?;
                let t: i64 = v.trim().parse().map_err(|_| {
                    Error::bad_value(format!(
                        "Invalid -attime value '{v}': not a number of seconds"
                    ))
                })?;
                self.attime = Some(t);
            }
            "no_check_time" => self.no_check_time = true,
            "partial_chain" => self.partial_chain = true,
            "verify_depth" => {
                let v = need(value)?;
                let d: i64 = v.trim().parse().map_err(|_| {
                    Error::bad_value(format!("Invalid -verify_depth value '{v}': not an integer"))
                })?;
                self.verify_depth = Some(d.clamp(0, i32::MAX as i64 / 2) as u32);
            }
            "x509_strict" => self.x509_strict = true,
            "check_ss_sig" => self.check_ss_sig = true,
            "ignore_critical" => self.ignore_critical = true,
            "issuer_checks" | "trusted_first" | "no_alt_chains" => {}
            "purpose" => {
                let v = need(value)?;
                self.purpose = Some(
                    Purpose::from_name(&v)
                        .ok_or_else(|| Error::bad_value(format!("Invalid purpose {v}")))?,
                );
            }
            "crl_check" => self.crl_check = true,
            "crl_check_all" => self.crl_check_all = true,
            "policy" => {
                self.policies.push(need(value)?);
                self.policy_check = true;
            }
            "policy_check" => self.policy_check = true,
            "explicit_policy" => {
                self.explicit_policy = true;
                self.policy_check = true;
            }
            "inhibit_any" => {
                self.inhibit_any = true;
                self.policy_check = true;
            }
            "inhibit_map" => {
                self.inhibit_map = true;
                self.policy_check = true;
            }
            "policy_print" => {}
            "auth_level" => {
                let v = need(value)?;
                let l: i32 = v.trim().parse().map_err(|_| {
                    Error::bad_value(format!("Invalid -auth_level value '{v}': not an integer"))
                })?;
                self.auth_level = Some(l);
            }
            "verify_hostname" => self.verify_hostname = Some(need(value)?),
            "verify_email" => self.verify_email = Some(need(value)?),
            "verify_ip" => {
                let v = need(value)?;
                self.verify_ip = Some(
                    v.trim()
                        .parse()
                        .map_err(|_| Error::bad_value(format!("Invalid IP address {v}")))?,
                );
            }
            "allow_proxy_certs" => self.allow_proxy_certs = true,
            "verify_name" => {
                let v = need(value)?;
                match v.as_str() {
                    "default" => {}
                    "ssl_client" => self.purpose = Some(Purpose::SslClient),
                    "ssl_server" => self.purpose = Some(Purpose::SslServer),
                    "smime_sign" | "pkcs7" => self.purpose = Some(Purpose::SmimeSign),
                    "code_sign" => self.purpose = Some(Purpose::CodeSign),
                    _ => return Err(Error::bad_value(format!("Invalid verify name {v}"))),
                }
            }
            "use_deltas" | "extended_crl" | "suiteB_128_only" | "suiteB_128" | "suiteB_192" => {
                self.unsupported.push(format!("-{name}"));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The verification time, or None when times are not checked.
    pub(crate) fn check_time(&self) -> Option<i64> {
        match self.attime {
            Some(t) => Some(t),
            None if self.no_check_time => None,
            None => Some(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0),
            ),
        }
    }

    pub(crate) fn depth(&self) -> usize {
        self.verify_depth.unwrap_or(DEFAULT_DEPTH) as usize
    }

    /// Fail clearly on options this verifier does not implement.
    pub(crate) fn check_supported(&self) -> Result<()> {
        let mut names = self.unsupported.clone();
        if self.policy_check || !self.policies.is_empty() {
            for (set, n) in [
                (!self.policies.is_empty(), "-policy"),
                (self.explicit_policy, "-explicit_policy"),
                (self.inhibit_any, "-inhibit_any"),
                (self.inhibit_map, "-inhibit_map"),
            ] {
                if set {
                    names.push(n.to_string());
                }
            }
            if names.is_empty() {
                names.push("-policy_check".to_string());
            }
        }
        if names.is_empty() {
            Ok(())
        } else {
            Err(Error::cmp(format!(
                "certificate verification option(s) {} not supported yet",
                names.join(", ")
            )))
        }
    }
}
