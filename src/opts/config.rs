//! Option defaults from the OpenSSL configuration file, applied the way `openssl cmp` applies them:
//! the file from `-config`, else `$OPENSSL_CONF`, else OpenSSL's default file (used only if it exists);
//! the sections from `-section` (default `cmp`), each looked up with NCONF's fallback to `[default]`,
//! the last listed section first. Every option from `verbosity` on may appear there without its dash.

use super::parse::{keeps_empty, set_verbosity, strtol};
use super::table::{Group, Kind, Opt, OPTIONS};
use super::{RawOpts, Source, Value};
use crate::error::Error;
use crate::nconf::Conf;
use crate::Result;

/// OpenSSL's configuration file on Debian (`OPENSSLDIR/openssl.cnf`).
pub const DEFAULT_CONFIG_FILE: &str = "/usr/lib/ssl/openssl.cnf";

/// OpenSSL copies at most this many characters of each name given in `-section`.
const SECTION_NAME_MAX: usize = 40;

pub(super) fn apply(opts: &mut RawOpts, explicit: Option<&str>, section_arg: &str) -> Result<()> {
    let (file, is_default) = match explicit {
        Some(f) => (f.to_string(), false),
        None => match std::env::var("OPENSSL_CONF") {
            Ok(f) => (f, true),
            Err(_) => (DEFAULT_CONFIG_FILE.to_string(), true),
        },
    };
    if file.is_empty() || (is_default && !std::path::Path::new(&file).exists()) {
        opts.sections = split_sections(section_arg, false);
        return Ok(());
    }
    crate::info!("using section(s) '{section_arg}' of OpenSSL configuration file '{file}'");
    let sections = split_sections(section_arg, true);
    opts.sections = sections.clone();
    let conf = Conf::load(&file)?;
    if section_arg == "cmp" {
        if !conf.has_section("cmp") {
            crate::info!(
                "no [cmp] section found in config file '{file}'; \
                 will thus use just [default] and unnamed section if present"
            );
        }
    } else {
        for s in sections.iter().rev() {
            if !conf.has_section(s) {
                return Err(
                    Error::cmp(format!("no [{s}] section found in config file '{file}'"))
                        .with_hint(section_hint(&conf, s)),
                );
            }
        }
    }
    read_config(opts, &conf, &sections)?;
    // OpenSSL checks the range of a configured verbosity only now, and then uses it for what follows.
    let v = opts
        .int(Opt::Verbosity)
        .unwrap_or(crate::log::Level::Info as i64);
    opts.verbosity = set_verbosity(v).map_err(|e| Error::bad_value(e.to_string()))?;
    opts.conf = Some(conf);
    opts.config_file = Some(file);
    Ok(())
}

/// The sections nearest to a misspelt `-section` name, and those the file has (section names are the
/// user's own, no values).
fn section_hint(conf: &Conf, missing: &str) -> String {
    const MAX_LISTED: usize = 12;
    let names: Vec<&str> = conf.section_names().filter(|n| *n != "default").collect();
    let near = super::suggest::did_you_mean(missing, names.iter().copied(), |n| format!("[{n}]"));
    let mut listed: Vec<String> = names
        .iter()
        .take(MAX_LISTED)
        .map(|n| format!("[{n}]"))
        .collect();
    if names.len() > MAX_LISTED {
        listed.push("...".to_string());
    }
    let have = if listed.is_empty() {
        "the file has no named sections".to_string()
    } else {
        format!("the file has {}", listed.join(" "))
    };
    match near {
        Some(n) => format!("{n} ({have})"),
        None => have,
    }
}

/// Split a `-section` argument at commas and whitespace, dropping empty items, as OpenSSL does.
/// OpenSSL warns about an over-long name each time it looks a name up; we warn once (if `warn`).
pub(super) fn split_sections(arg: &str, warn: bool) -> Vec<String> {
    let items: Vec<String> = arg
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.len() > SECTION_NAME_MAX {
                let cut: String = s.chars().take(SECTION_NAME_MAX).collect();
                if warn {
                    crate::warn!(
                    "using only first {SECTION_NAME_MAX} characters of section name starting with \"{cut}\""
                );
                }
                cut
            } else {
                s.to_string()
            }
        })
        .collect();
    // OpenSSL reads a lone separator as one empty name (which then is not found).
    if items.is_empty() && !arg.is_empty() {
        return vec![String::new()];
    }
    items
}

/// Find `name` in the sections, the last listed first; NCONF falls back to `[default]` for each.
/// Returns the value and the section it was actually found in.
fn lookup<'c>(conf: &'c Conf, sections: &[String], name: &str) -> Option<(&'c str, String)> {
    for s in sections.iter().rev() {
        if let Some(v) = conf.get_in(s, name) {
            return Some((v, s.clone()));
        }
        if let Some(v) = conf.get_in("default", name) {
            return Some((v, "default".to_string()));
        }
    }
    None
}

fn read_config(opts: &mut RawOpts, conf: &Conf, sections: &[String]) -> Result<()> {
    for info in OPTIONS
        .iter()
        .filter(|o| !matches!(o.opt, Opt::Help | Opt::Config | Opt::Section))
    {
        let opt = info.opt;
        let Some((txt, found_in)) = lookup(conf, sections, info.name) else {
            continue;
        };
        let source = Source::Config {
            section: found_in.clone(),
        };
        // OpenSSL reads flags and C-int numbers with base-10 strtol and silently skips values that do not
        // parse; `intmax` options are read as strings and parsed by their handler.
        if info.kind == Kind::Flag || (info.kind.is_numeric() && info.kind != Kind::Intmax) {
            let t = strtol(txt, false);
            if txt.is_empty()
                || !t.digits
                || !t.rest.is_empty()
                || t.value == i64::MIN
                || t.value == i64::MAX
            {
                continue;
            }
            let n = t.value;
            if info.kind == Kind::PosInt && n <= 0 {
                return Err(Error::usage(format!(
                    "Non-positive number \"{n}\" for config option {opt}"
                )));
            }
            if info.kind == Kind::Nonneg && n < 0 {
                return Err(Error::usage(format!(
                    "Negative number \"{n}\" for config option {opt}"
                )));
            }
            if i32::try_from(n).is_err() {
                return Err(Error::cmp(format!(
                    "integer value out of range for option '{}'",
                    info.name
                )));
            }
            opts.set(opt, Value::Int(n), source);
        } else if info.kind == Kind::Intmax {
            let t = strtol(txt, true);
            if !t.digits || !t.rest.is_empty() || t.overflow {
                return Err(Error::cmp(format!(
                    "for option '{}' in config file section '{found_in}': Can't parse \"{txt}\" as a number",
                    info.name
                )));
            }
            opts.set(opt, Value::Int(t.value), source);
        } else if txt.is_empty() && !keeps_empty(opt) {
            opts.reset(opt);
        } else {
            opts.set(opt, Value::Str(txt.to_string()), source);
        }
        debug_assert!(info.group != Group::General || opt == Opt::Verbosity);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split() {
        assert_eq!(split_sections("a,b c", false), ["a", "b", "c"]);
        assert_eq!(split_sections(",a,,b,", false), ["a", "b"]);
        assert_eq!(split_sections(" ", false), [""]);
    }
}
