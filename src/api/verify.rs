//! Options for validating certificates: the server's signing certificate and newly enrolled ones.

use super::error::{Error, ErrorKind, Result};
use crate::opts::{Group, Opt};
use crate::verify::VerifyParams;

/// How certificate chains are validated, with the verification options `openssl cmp` takes
/// (`attime`, `partial_chain`, `purpose`, `verify_depth`, `x509_strict`, `policy`, ...), each
/// set by its name. Without any, chains are validated as `openssl cmp` does by default.
///
/// ```
/// # fn main() -> rcmp::api::Result<()> {
/// use rcmp::api::VerifyOptions;
/// let opts = VerifyOptions::new()
///     .set("partial_chain", None)?
///     .set("attime", Some("1700000000"))?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions(pub(crate) VerifyParams);

impl VerifyOptions {
    /// No options: the defaults.
    pub fn new() -> VerifyOptions {
        VerifyOptions::default()
    }

    /// Set one option, named as on the `openssl` command line without the dash; `value` is its
    /// argument, `None` for a flag. A name that is no verification option is refused.
    pub fn set(mut self, name: &str, value: Option<&str>) -> Result<VerifyOptions> {
        let Some(opt) = Opt::from_name(name).filter(|o| o.group() == Group::Validation) else {
            return Err(Error::new(
                ErrorKind::Config,
                format!("'{name}' is not a verification option"),
            ));
        };
        self.0.set(opt, value).map_err(Error::config)?;
        Ok(self)
    }

    /// The options for validating a newly enrolled certificate, as OpenSSL's certConf check
    /// uses them: the certificate is current anyway (no `attime`), and revocation and the other
    /// flag-like checks are off; time, partial chain, policy flags, depth, purpose, level and
    /// names still apply.
    pub(crate) fn for_new_cert(&self) -> VerifyParams {
        VerifyParams {
            attime: None,
            crl_check: false,
            crl_check_all: false,
            x509_strict: false,
            check_ss_sig: false,
            ignore_critical: false,
            allow_proxy_certs: false,
            explicit_policy: false,
            inhibit_any: false,
            inhibit_map: false,
            ..self.0.clone()
        }
    }
}
