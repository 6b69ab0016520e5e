//! The verification options of OpenSSL (`openssl-verification-options(1)`) as one value, and the parsing
//! of their command-line / config-file forms.

use crate::error::{Error, Result};
#[cfg(test)]
use crate::opts::Group;
use crate::opts::Opt;

/// The numeric value of `opt`, or OpenSSL's complaint naming the option and `why`.
fn number<T: std::str::FromStr>(opt: Opt, v: &str, why: &str) -> Result<T> {
    v.trim()
        .parse()
        .map_err(|_| Error::bad_value(format!("Invalid {opt} value '{v}': {why}")))
}

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
    #[cfg(test)]
    /// Apply one verification option as given on the command line or in a config file (name without
    /// the leading dash). Returns Ok(false) when `name` is not a verification option, so callers can
    /// try their own options next.
    pub fn set_option(&mut self, name: &str, value: Option<&str>) -> Result<bool> {
        match Opt::from_name(name).filter(|o| o.group() == Group::Validation) {
            Some(opt) => self.set(opt, value).map(|()| true),
            None => Ok(false),
        }
    }

    /// Apply one verification option (of the table's validation group; others are ignored). `value`
    /// is the option's argument, `None` for a flag.
    pub fn set(&mut self, opt: Opt, value: Option<&str>) -> Result<()> {
        let need = || -> Result<String> {
            value
                .map(str::to_string)
                .ok_or_else(|| Error::usage(format!("Option {opt} needs a value")))
        };
        match opt {
            Opt::Attime => self.attime = Some(number(opt, &need()?, "not a number of seconds")?),
            Opt::VerifyDepth => {
                let d: i64 = number(opt, &need()?, "not an integer")?;
                self.verify_depth = Some(d.clamp(0, i32::MAX as i64 / 2) as u32);
            }
            Opt::AuthLevel => self.auth_level = Some(number(opt, &need()?, "not an integer")?),
            Opt::Purpose => {
                let v = need()?;
                self.purpose = Some(
                    Purpose::from_name(&v)
                        .ok_or_else(|| Error::bad_value(format!("Invalid purpose {v}")))?,
                );
            }
            Opt::Policy => {
                self.policies.push(need()?);
                self.policy_check = true;
            }
            Opt::VerifyHostname => self.verify_hostname = Some(need()?),
            Opt::VerifyEmail => self.verify_email = Some(need()?),
            Opt::VerifyIp => {
                let v = need()?;
                self.verify_ip = Some(
                    v.trim()
                        .parse()
                        .map_err(|_| Error::bad_value(format!("Invalid IP address {v}")))?,
                );
            }
            Opt::VerifyName => self.set_verify_name(&need()?)?,
            _ => self.set_flag(opt),
        }
        Ok(())
    }

    /// The validation options without a value.
    fn set_flag(&mut self, opt: Opt) {
        match opt {
            Opt::NoCheckTime => self.no_check_time = true,
            Opt::PartialChain => self.partial_chain = true,
            Opt::X509Strict => self.x509_strict = true,
            Opt::CheckSsSig => self.check_ss_sig = true,
            Opt::IgnoreCritical => self.ignore_critical = true,
            Opt::CrlCheck => self.crl_check = true,
            Opt::CrlCheckAll => self.crl_check_all = true,
            Opt::PolicyCheck => self.policy_check = true,
            Opt::ExplicitPolicy => {
                self.explicit_policy = true;
                self.policy_check = true;
            }
            Opt::InhibitAny => {
                self.inhibit_any = true;
                self.policy_check = true;
            }
            Opt::InhibitMap => {
                self.inhibit_map = true;
                self.policy_check = true;
            }
            Opt::AllowProxyCerts => self.allow_proxy_certs = true,
            Opt::UseDeltas
            | Opt::ExtendedCrl
            | Opt::SuiteB128Only
            | Opt::SuiteB128
            | Opt::SuiteB192 => self.unsupported.push(opt.to_string()),
            // What OpenSSL does by default anyway, or only prints diagnostics.
            _ => {}
        }
    }

    /// `-verify_name`: the named parameter sets OpenSSL has, as far as they differ in the purpose.
    fn set_verify_name(&mut self, v: &str) -> Result<()> {
        match v {
            "default" => {}
            "ssl_client" => self.purpose = Some(Purpose::SslClient),
            "ssl_server" => self.purpose = Some(Purpose::SslServer),
            "smime_sign" | "pkcs7" => self.purpose = Some(Purpose::SmimeSign),
            "code_sign" => self.purpose = Some(Purpose::CodeSign),
            _ => return Err(Error::bad_value(format!("Invalid verify name {v}"))),
        }
        Ok(())
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
            for (set, opt) in [
                (!self.policies.is_empty(), Opt::Policy),
                (self.explicit_policy, Opt::ExplicitPolicy),
                (self.inhibit_any, Opt::InhibitAny),
                (self.inhibit_map, Opt::InhibitMap),
            ] {
                if set {
                    names.push(opt.to_string());
                }
            }
            if names.is_empty() {
                names.push(Opt::PolicyCheck.to_string());
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
