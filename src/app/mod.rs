//! The phases of one invocation: parse options, build the context, run the transaction (or the mock
//! server), write the results, and map the outcome to an exit status. Errors are printed here, once.
//!
//! The order of the checks follows `openssl cmp`'s main program, so that an invocation with several
//! problems reports the same first problem as OpenSSL does.

use std::ffi::OsString;

use crate::error::Error;
use crate::log::{self, Level, Side};
use crate::opts::{self, Opt, Parsed, RawOpts};
use crate::Result;

mod client;
mod genm;
mod rand;
mod server;

/// Run one `rcmp` invocation (`args` includes the program name) and return the process exit status
/// (0 success, 1 failure).
pub fn run(args: Vec<OsString>) -> u8 {
    // The command prints what the library reports, as `openssl cmp` would.
    log::set_sink(Some(log::console_sink()));
    let args: Vec<OsString> = args.into_iter().skip(1).collect();
    if opts::is_version_request(&args) {
        return match crate::compat::check() {
            Ok(()) => {
                log::raw_stdout(&opts::version_text());
                0
            }
            Err(e) => {
                report(&e);
                1
            }
        };
    }
    let (parsed, writerand) = opts::parse_with_writerand(&args);
    let outcome = match parsed {
        Ok(Parsed::Help { text, status }) => {
            log::raw_stderr(&text);
            Ok(status)
        }
        Ok(Parsed::Run(raw)) => crate::compat::check()
            .and_then(|()| execute(&raw))
            .map(|()| 0),
        Err(e) => Err(e),
    };
    let status = match outcome {
        Ok(status) => status,
        Err(e) => {
            report(&e);
            1
        }
    };
    // Like OpenSSL: at the very end, whatever the outcome; failing to write fails the run.
    match writerand {
        Some(f) if !rand::write(&f) => 1,
        _ => status,
    }
}

/// Print an error the way OpenSSL prints its kind of error.
fn report(e: &Error) {
    match e {
        Error::Usage(msg) => log::raw_stderr(&format!("cmp: {msg}\n{}", use_help())),
        Error::BadValue(msg) => {
            log::app_error(format_args!("{msg}"));
            log::raw_stderr(&use_help());
        }
        Error::Cmp {
            causes,
            msg,
            reasons,
            hint,
            lib,
            ..
        } => {
            // The message is the app's report unless the failure is the transaction's; the lines
            // before and after it are the library's (stdout), as OpenSSL prints its error queue.
            for cause in causes {
                log::log(Side::Client, Level::Err, format_args!("{cause}"));
            }
            if *lib {
                log::log(Side::Client, Level::Err, format_args!("{msg}"));
            } else {
                log::app_error(format_args!("{msg}"));
            }
            for reason in reasons {
                log::log(Side::Client, Level::Err, format_args!("{reason}"));
            }
            if let Some(h) = hint.clone().or_else(|| missing_option_hint(msg)) {
                log::raw_stderr(&format!("hint: {h}\n"));
            }
        }
        Error::Plain(text) => log::raw_stderr(&format!("{text}\n")),
        Error::Reported => {}
        Error::Hinted(inner, hint) => {
            report(inner);
            log::raw_stderr(&format!("hint: {hint}\n"));
        }
    }
}

/// OpenSSL's last line after a usage error.
fn use_help() -> String {
    format!("cmp: Use {} for summary.\n", Opt::Help)
}

/// What to give for OpenSSL's "missing option" errors, keyed by the start of their (3.5) text. One
/// table here rather than a hint at each place that raises them.
fn missing_option_hints() -> [(String, String); 9] {
    use Opt::{
        Centralkeygen, Cert, Certform, Certout, Cmd, Crlform, Csr, Issuer, Key, Keyform, Newkey,
        Oldcert, Ref, Secret, Serial, Server, UnprotectedRequests, UseMockSrv,
    };
    [
        (
            "no cmp command to execute".to_string(),
            format!("give {Cmd} with one of {}", opts::CMD_VALUES.join(", ")),
        ),
        (
            format!("missing {Server} or {UseMockSrv}"),
            format!(
                "give {Server} HOST[:PORT][/PATH] of the CMP server (or {UseMockSrv} for the built-in mock)"
            ),
        ),
        (
            format!("must give {Key} or {Secret} unless {UnprotectedRequests} is used"),
            format!(
                "authenticate with {Ref} and {Secret} (shared secret) or with {Cert} and {Key} (signature)"
            ),
        ),
        (
            format!("missing {Newkey} (or {Key}) to be certified"),
            format!(
                "give {Newkey} with the key to certify (or {Key}, or {Centralkeygen} to have the server make one)"
            ),
        ),
        (
            format!("{Certout} not given, nowhere to save newly enrolled certificate"),
            format!("give {Certout} FILE to save the new certificate"),
        ),
        (
            format!("missing {Oldcert} or {Issuer} and {Serial} for certificate to be revoked"),
            format!("give {Oldcert} with the certificate to revoke (or {Issuer} and {Serial})"),
        ),
        (
            format!("missing {Oldcert} for certificate to be updated"),
            format!("give {Oldcert} with the certificate to update (default: {Cert})"),
        ),
        (
            "missing PKCS#10 CSR for p10cr".to_string(),
            format!("give {Csr} with the PKCS#10 request to send"),
        ),
        (
            "unknown option given for".to_string(),
            format!("{Certform} and {Crlform} take PEM or DER; {Keyform} takes PEM, DER or P12"),
        ),
    ]
}

fn missing_option_hint(msg: &str) -> Option<String> {
    missing_option_hints()
        .into_iter()
        .find(|(start, _)| msg.starts_with(start.as_str()))
        .map(|(_, hint)| hint)
}

/// The pass phrase given by `opt`, if any (read from its source: `pass:`, `env:`, `file:`, ...).
fn pass_of(raw: &RawOpts, opt: Opt, desc: &str) -> Result<Option<crate::creds::Secret>> {
    raw.str(opt)
        .map(|src| crate::creds::get_passwd(src, desc))
        .transpose()
}

/// A loading error of the library API as the command reports it: OpenSSL's lines, then `opt`.
fn failed_at(opt: Opt) -> impl FnOnce(crate::api::Error) -> Error {
    move |e| e.into_internal().context(opt)
}

/// Options for loading files with the library API, with the pass phrase given by `opt` if any.
fn pass_opts(raw: &RawOpts, opt: Opt, desc: &str) -> Result<crate::api::LoadOptions> {
    let opts = crate::api::LoadOptions::new();
    Ok(match pass_of(raw, opt, desc)? {
        Some(pass) => opts.passphrase(pass.as_bytes()),
        None => opts,
    })
}

/// Whether any of the TLS client options is given.
fn any_tls_option(raw: &RawOpts) -> bool {
    [
        Opt::TlsCert,
        Opt::TlsKey,
        Opt::TlsKeypass,
        Opt::TlsExtra,
        Opt::TlsTrusted,
        Opt::TlsHost,
    ]
    .iter()
    .any(|o| raw.is_set(*o))
}

/// Whether the client uses TLS: OpenSSL drops `-tls_used` (with a warning) when no `-server` is given
/// or the mock server answers in-process.
pub(crate) fn tls_in_use(raw: &RawOpts) -> bool {
    raw.flag(Opt::TlsUsed) && raw.is_set(Opt::Server) && !raw.flag(Opt::UseMockSrv)
}

/// OpenSSL 3.0 names the two reasons the other way round.
fn tls_ignored_note() -> String {
    let (a, b) = if crate::compat::is(crate::compat::Compat::V3_0) {
        ("-use_mock_srv is given", "-server is not given")
    } else {
        ("-server is not given", "-use_mock_srv is given")
    };
    format!("ignoring {} option since {a} or {b}", Opt::TlsUsed)
}

/// The cross-option checks `openssl cmp` makes before deciding between client and server.
fn check_roles(raw: &RawOpts) -> Result<()> {
    if !any_tls_option(raw) {
        // A warning OpenSSL 3.0 does not have.
        if raw.flag(Opt::TlsUsed) && !crate::compat::is(crate::compat::Compat::V3_0) {
            crate::warn!("{} given without any other TLS options", Opt::TlsUsed);
        }
    } else if !raw.flag(Opt::TlsUsed)
        && !raw
            .str(Opt::Server)
            .is_some_and(|s| s.starts_with("https:"))
    {
        crate::warn!(
            "ignoring TLS options(s) since {} is not given",
            Opt::TlsUsed
        );
    }
    if raw.flag(Opt::TlsUsed) && !tls_in_use(raw) {
        crate::warn!("{}", tls_ignored_note());
    }
    if raw.is_set(Opt::Port) {
        if raw.flag(Opt::TlsUsed) {
            return Err(cmp_err!(
                "{} option not supported with {} option",
                Opt::TlsUsed,
                Opt::Port
            ));
        }
        if raw.is_set(Opt::Server) || raw.flag(Opt::UseMockSrv) {
            return Err(cmp_err!(
                "The {} option excludes {} and {}",
                Opt::Port,
                Opt::Server,
                Opt::UseMockSrv
            ));
        }
        for (a, b) in [(Opt::Reqin, Opt::Reqout), (Opt::Rspin, Opt::Rspout)] {
            if raw.is_set(a) || raw.is_set(b) {
                return Err(cmp_err!(
                    "The {} option does not support {a} and {b}",
                    Opt::Port
                ));
            }
        }
    }
    if raw.is_set(Opt::Server) && raw.flag(Opt::UseMockSrv) {
        return Err(cmp_err!(
            "cannot use both {} and {} options",
            Opt::Server,
            Opt::UseMockSrv
        ));
    }
    Ok(())
}

/// Everything after option parsing.
fn execute(raw: &RawOpts) -> Result<()> {
    rand::load(raw)?;
    check_roles(raw)?;
    refuse_unsupported(raw)?;
    if raw.is_set(Opt::Port) {
        if raw.is_set(Opt::ReqoutOnly) {
            return Err(cmp_err!(
                "the {} client option does not combine with {} implying server behavior",
                Opt::ReqoutOnly,
                Opt::Port
            ));
        }
        return server::run_port(raw);
    }
    client::run_client(raw)
}

/// Options that parse but whose behaviour is not built yet: refuse them by name rather than ignore
/// them, so a script never silently gets less than it asked for.
fn refuse_unsupported(raw: &RawOpts) -> Result<()> {
    const NOT_YET: &[Opt] = &[
        Opt::Engine,
        Opt::Provider,
        Opt::ProviderPath,
        Opt::Provparam,
        Opt::Propquery,
    ];
    for o in NOT_YET {
        if raw.is_set(*o) {
            return Err(cmp_err!("option {} is not supported yet by rcmp", o));
        }
    }
    Ok(())
}
