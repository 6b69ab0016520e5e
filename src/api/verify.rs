//! Options for validating certificates: the server's signing certificate and newly enrolled ones.

use super::cert::Certificate;
use super::error::{Error, ErrorKind, Result};
use crate::opts::{Group, Opt};
use crate::verify::{TrustStore, VerifyParams};

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
pub struct VerifyOptions(pub(super) VerifyParams);

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

    /// The parameters, for tests of how options reach them.
    #[cfg(test)]
    pub(crate) fn params(&self) -> &VerifyParams {
        &self.0
    }

    /// The time at which certificates are checked: `attime` if set, none with `no_check_time`,
    /// otherwise now.
    pub fn check_time(&self) -> Option<std::time::SystemTime> {
        let secs = self.0.check_time()?;
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64))
    }

    /// Validate `cert` against the trust anchors `trusted` with these options, using the
    /// certificates in `untrusted` as intermediates, and return its chain: `cert` first, the
    /// trust anchor last. `openssl cmp` does this with `-own_trusted` to find the chain it sends
    /// with its own certificate.
    pub fn build_chain(
        &self,
        trusted: &[Certificate],
        cert: &Certificate,
        untrusted: &[Certificate],
    ) -> Result<Vec<Certificate>> {
        let anchors = trusted.iter().map(|c| c.0.clone()).collect();
        let pool: Vec<_> = untrusted.iter().map(|c| c.0.clone()).collect();
        let store = TrustStore::new(anchors, self.0.clone());
        store
            .verify(&cert.0, &pool)
            .map(|chain| chain.into_iter().map(Certificate).collect())
            .map_err(Error::config)
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
