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
        Error::Usage(msg) => log::raw_stderr(&format!("cmp: {msg}\ncmp: Use -help for summary.\n")),
        Error::BadValue(msg) => {
            log::app_error(format_args!("{msg}"));
            log::raw_stderr("cmp: Use -help for summary.\n");
        }
        Error::Cmp { msg, hint, lib } => {
            // The first line is the app's report unless the failure is the transaction's; the
            // reasons after it are the library's (stdout), as OpenSSL prints its error queue.
            let mut lines = msg.split("\nCMP error: ");
            let first = lines.next().unwrap_or_default();
            if *lib {
                log::log(Side::Client, Level::Err, format_args!("{first}"));
            } else {
                log::app_error(format_args!("{first}"));
            }
            for reason in lines {
                log::log(Side::Client, Level::Err, format_args!("{reason}"));
            }
            if let Some(h) = hint.as_deref().or_else(|| missing_option_hint(msg)) {
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

/// What to give for OpenSSL's "missing option" errors, keyed by the start of their (3.5) text. One
/// table here rather than a hint at each place that raises them.
const MISSING_OPTION_HINTS: &[(&str, &str)] = &[
    ("no cmp command to execute", "give -cmd with one of ir, cr, kur, p10cr, rr, genm"),
    (
        "missing -server or -use_mock_srv",
        "give -server HOST[:PORT][/PATH] of the CMP server (or -use_mock_srv for the built-in mock)",
    ),
    (
        "must give -key or -secret unless -unprotected_requests is used",
        "authenticate with -ref and -secret (shared secret) or with -cert and -key (signature)",
    ),
    (
        "missing -newkey (or -key) to be certified",
        "give -newkey with the key to certify (or -key, or -centralkeygen to have the server make one)",
    ),
    (
        "-certout not given, nowhere to save newly enrolled certificate",
        "give -certout FILE to save the new certificate",
    ),
    (
        "missing -oldcert or -issuer and -serial for certificate to be revoked",
        "give -oldcert with the certificate to revoke (or -issuer and -serial)",
    ),
    (
        "missing -oldcert for certificate to be updated",
        "give -oldcert with the certificate to update (default: -cert)",
    ),
    ("missing PKCS#10 CSR for p10cr", "give -csr with the PKCS#10 request to send"),
    (
        "unknown option given for",
        "-certform and -crlform take PEM or DER; -keyform takes PEM, DER or P12",
    ),
];

fn missing_option_hint(msg: &str) -> Option<&'static str> {
    MISSING_OPTION_HINTS
        .iter()
        .find(|(start, _)| msg.starts_with(start))
        .map(|(_, hint)| *hint)
}

/// The pass phrase given by `opt`, if any (read from its source: `pass:`, `env:`, `file:`, ...).
fn pass_of(raw: &RawOpts, opt: Opt, desc: &str) -> Result<Option<crate::creds::Secret>> {
    raw.str(opt)
        .map(|src| crate::creds::pass::get_passwd(src, desc))
        .transpose()
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

/// The cross-option checks `openssl cmp` makes before deciding between client and server.
fn check_roles(raw: &RawOpts) -> Result<()> {
    if !any_tls_option(raw) {
        if raw.flag(Opt::TlsUsed) {
            crate::warn!("-tls_used given without any other TLS options");
        }
    } else if !raw.flag(Opt::TlsUsed)
        && !raw
            .str(Opt::Server)
            .is_some_and(|s| s.starts_with("https:"))
    {
        crate::warn!("ignoring TLS options(s) since -tls_used is not given");
    }
    if raw.is_set(Opt::Port) {
        if raw.flag(Opt::TlsUsed) {
            return Err(cmp_err!("-tls_used option not supported with -port option"));
        }
        if raw.is_set(Opt::Server) || raw.flag(Opt::UseMockSrv) {
            return Err(cmp_err!(
                "The -port option excludes -server and -use_mock_srv"
            ));
        }
        if raw.is_set(Opt::Reqin) || raw.is_set(Opt::Reqout) {
            return Err(cmp_err!(
                "The -port option does not support -reqin and -reqout"
            ));
        }
        if raw.is_set(Opt::Rspin) || raw.is_set(Opt::Rspout) {
            return Err(cmp_err!(
                "The -port option does not support -rspin and -rspout"
            ));
        }
    }
    if raw.is_set(Opt::Server) && raw.flag(Opt::UseMockSrv) {
        return Err(cmp_err!(
            "cannot use both -server and -use_mock_srv options"
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
                "the -reqout_only client option does not combine with -port implying server behavior"
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
