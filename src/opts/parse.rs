//! The argv grammar of OpenSSL's option parser, as `openssl cmp` 3.5 applies it: `-x`, `--x`, `-x=v`,
//! `-h` for `-help`, no abbreviations, the value always the next argument, the last of a repeated option
//! winning, numbers in C `strtol` syntax (base prefixes, leading blanks and sign) with OpenSSL's error
//! texts, and the range checks the cmp app does right after reading a value.

use super::config;
use super::help::help_text_for;
use super::table::{Group, Kind, Opt, OPTIONS};
use super::{Parsed, RawOpts, Source, Value};
use crate::error::Error;
use crate::log;
use crate::Result;
use std::ffi::OsString;

/// Returns the outcome, and the `-writerand` value set when parsing stopped (see
/// [`super::parse_with_writerand`]).
pub(super) fn parse(args: &[OsString]) -> (Result<Parsed>, Option<String>) {
    let mut writerand = None;
    let outcome = parse_into(args, &mut writerand);
    (outcome, writerand)
}

fn parse_into(args: &[OsString], writerand: &mut Option<String>) -> Result<Parsed> {
    let mut argv = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        match a.to_str() {
            Some(s) => argv.push(s.to_string()),
            // The argument is not echoed: it may be a pass phrase.
            None => {
                return Err(Error::usage(format!(
                    "Argument #{} is not valid UTF-8",
                    i + 1
                )))
            }
        }
    }
    if argv.first().map(String::as_str) == Some("cmp") {
        argv.remove(0);
    }
    if argv.is_empty() {
        // OpenSSL prints the help with this program name when `openssl cmp` gets no argument, and fails.
        return Ok(Parsed::Help {
            text: help_text_for("openssl help cmp"),
            status: 1,
        });
    }

    let mut opts = RawOpts::new();
    let pre = prescan(&argv)?;
    // Until a -verbosity is seen, OpenSSL logs at its default level (which also undoes any level left
    // by an earlier invocation in this process).
    opts.verbosity = set_verbosity(pre.verbosity.unwrap_or(log::Level::Info as i64))?;
    config::apply(&mut opts, pre.config.as_deref(), &pre.section)?;
    let flow = parse_argv(&argv, &mut opts);
    *writerand = opts.str(Opt::Writerand).map(str::to_string);
    match flow? {
        Flow::Help => Ok(Parsed::Help {
            text: super::help_text(),
            status: 0,
        }),
        Flow::Done => Ok(Parsed::Run(opts)),
    }
}

struct Prescan {
    config: Option<String>,
    section: String,
    verbosity: Option<i64>,
}

/// OpenSSL looks at `-config`, `-section` and `-verbosity` before reading the config file. It does so by
/// exact spelling with one dash (`--config` or `-config=f` are not seen here, and are then ignored by the
/// full parse), never looks at the last argument, and does not know which other options take values.
fn prescan(argv: &[String]) -> Result<Prescan> {
    let mut config = None;
    let mut section = None;
    let mut verbosity = None;
    let mut i = 0;
    while i + 1 < argv.len() {
        if let Some(name) = argv[i].strip_prefix('-') {
            if name == Opt::Config.name() {
                i += 1;
                config = Some(argv[i].clone());
            } else if name == Opt::Section.name() {
                i += 1;
                section = Some(argv[i].clone());
            } else if name == Opt::Verbosity.name() {
                i += 1;
                let v = atoi(&argv[i]);
                set_verbosity(v)?;
                verbosity = Some(v);
            }
        }
        i += 1;
    }
    let section = match section {
        Some(s) if !s.is_empty() => s,
        _ if section.is_some() => "default".to_string(),
        _ => "cmp".to_string(),
    };
    Ok(Prescan {
        config,
        section,
        verbosity,
    })
}

/// The range check OpenSSL applies whenever the verbosity is set; this error comes without usage hint
/// when found by the prescan.
pub(super) fn set_verbosity(level: i64) -> Result<u8> {
    if !(0..=8).contains(&level) {
        return Err(Error::cmp(format!(
            "Logging verbosity level {level} out of range (0 .. 8)"
        )));
    }
    log::set_verbosity(level as u8);
    Ok(level as u8)
}

/// C `atoi`: leading blanks, sign, digits, anything after ignored, 0 when there are no digits.
fn atoi(s: &str) -> i64 {
    let t = strtol(s, false);
    t.value.clamp(i32::MIN as i64, i32::MAX as i64)
}

enum Flow {
    Help,
    Done,
}

fn parse_argv(argv: &[String], opts: &mut RawOpts) -> Result<Flow> {
    let mut i = 0;
    while i < argv.len() {
        let word = &argv[i];
        if !word.starts_with('-') {
            break;
        }
        i += 1;
        if word == "--" {
            break;
        }
        let mut p = &word[1..];
        if let Some(rest) = p.strip_prefix('-') {
            p = rest;
        }
        let (typed, inline_val) = match p.find('=') {
            Some(eq) => (&p[..eq], Some(&p[eq + 1..])),
            None => (p, None),
        };
        let found = if typed == "h" {
            Some((Opt::Help, None))
        } else {
            Opt::lookup(typed)
        };
        let Some((opt, old)) = found else {
            return Err(unknown_option(typed));
        };
        if let Some(old) = old {
            crate::warn!("-{} is an old name of {opt}; use {opt}", old.name);
        }
        if opt.kind() == Kind::Flag {
            if inline_val.is_some() {
                return Err(Error::usage(format!(
                    "Option -{typed} does not take a value"
                )));
            }
            if opt == Opt::Help {
                return Ok(Flow::Help);
            }
            opts.set(opt, Value::Int(1), Source::CommandLine);
            continue;
        }
        let val = match inline_val {
            Some(v) => v.to_string(),
            None => {
                let Some(v) = argv.get(i) else {
                    return Err(Error::usage(format!("Option {opt} needs a value")));
                };
                i += 1;
                v.clone()
            }
        };
        let val = match old {
            Some(o) if o.literal_secret && !val.is_empty() => format!("pass:{val}"),
            _ => val,
        };
        take_value(opts, opt, val)?;
    }
    // OpenSSL accepts an empty first leftover argument (and then ignores the rest).
    match argv.get(i) {
        Some(rest) if !rest.is_empty() => Err(Error::usage(format!("Extra option: \"{rest}\""))),
        _ => Ok(Flow::Done),
    }
}

/// OpenSSL's usage error for a name that is no option, with a hint naming the nearest options.
fn unknown_option(typed: &str) -> Error {
    let e = Error::usage(format!("Unknown option: -{typed}"));
    if typed == Opt::Engine.name() && !Opt::Engine.available() {
        return e.with_hint(format!(
            "OpenSSL 4.0 has no {} (RCMP_COMPAT=4.0); keys are used without engines",
            Opt::Engine
        ));
    }
    let names = OPTIONS.iter().filter(|o| o.opt.available()).map(|o| o.name);
    e.with_hint_opt(super::suggest::did_you_mean(typed, names, |n| {
        format!("-{n}")
    }))
}

/// Options whose value OpenSSL hands to a shared handler instead of the cmp app's own string reader,
/// so an empty value is kept rather than meaning "unset".
pub(super) fn keeps_empty(opt: Opt) -> bool {
    matches!(
        opt.group(),
        Group::Provider | Group::RandomState | Group::Validation
    )
}

fn take_value(opts: &mut RawOpts, opt: Opt, val: String) -> Result<()> {
    let kind = opt.kind();
    if kind.is_numeric() {
        let n = parse_number(opt, &val)?;
        check_cli_range(opt, n)?;
        if opt == Opt::Verbosity {
            opts.verbosity = set_verbosity(n).map_err(|e| Error::bad_value(e.to_string()))?;
        }
        opts.set(opt, Value::Int(n), Source::CommandLine);
        return Ok(());
    }
    // -config and -section were acted on by the prescan; OpenSSL's main parse skips them silently.
    if keeps_empty(opt) || matches!(opt, Opt::Config | Opt::Section) {
        opts.set(opt, Value::Str(val), Source::CommandLine);
        return Ok(());
    }
    if val.is_empty() {
        crate::warn!("{opt} option argument is empty string, resetting option");
        opts.reset(opt);
        return Ok(());
    }
    if val.starts_with('-') {
        crate::warn!("{opt} option argument starts with hyphen");
    }
    opts.set(opt, Value::Str(val), Source::CommandLine);
    Ok(())
}

/// The checks the cmp app makes as soon as it reads these values from the command line (not for values
/// from the config file).
fn check_cli_range(opt: Opt, n: i64) -> Result<()> {
    let bad = match opt {
        Opt::KeepAlive if n > 2 => format!("{opt} argument must be 0, 1, or 2"),
        Opt::Popo if !(-1..=2).contains(&n) => {
            "invalid popo spec. Valid values are -1 .. 2".to_string()
        }
        Opt::Revreason if !(-1..=10).contains(&n) || n == 7 => {
            "invalid revreason. Valid values are -1 .. 6, 8 .. 10".to_string()
        }
        _ => return Ok(()),
    };
    Err(Error::bad_value(bad))
}

/// Parse a command-line number for `opt` as OpenSSL's `opt_int`/`opt_intmax` do, with their error texts.
pub(super) fn parse_number(opt: Opt, val: &str) -> Result<i64> {
    let t = strtol(val, true);
    if !t.rest.is_empty() || !t.digits || t.overflow {
        return Err(Error::usage(number_error(val)));
    }
    let n = t.value;
    if opt.kind() != Kind::Intmax && i32::try_from(n).is_err() {
        return Err(Error::usage(format!(
            "Value \"{val}\" outside integer range"
        )));
    }
    match opt.kind() {
        Kind::PosInt if n <= 0 => Err(Error::usage(format!(
            "Non-positive number \"{val}\" for option {opt}"
        ))),
        Kind::Nonneg if n < 0 => Err(Error::usage(format!(
            "Negative number \"{val}\" for option {opt}"
        ))),
        _ => Ok(n),
    }
}

fn number_error(v: &str) -> String {
    for (prefix, kind) in [
        ("0x", "a hexadecimal"),
        ("0X", "a hexadecimal"),
        ("0", "an octal"),
    ] {
        if v.starts_with(prefix) {
            return format!("Can't parse \"{v}\" as {kind} number");
        }
    }
    format!("Can't parse \"{v}\" as a number")
}

/// Result of a C `strtol` scan.
pub(super) struct Strtol<'a> {
    /// The value, saturated at the i64 bounds on overflow.
    pub value: i64,
    pub overflow: bool,
    /// Whether any digit was consumed (C reports this as `endp == value`).
    pub digits: bool,
    /// What follows the number (the whole input when there were no digits).
    pub rest: &'a str,
}

/// C `strtol` with base 0 (`base0`: `0x` hex, leading `0` octal, else decimal) or base 10.
pub(super) fn strtol(s: &str, base0: bool) -> Strtol<'_> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let neg = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut base = 10u32;
    if base0 && b.get(i) == Some(&b'0') {
        if matches!(b.get(i + 1), Some(b'x' | b'X'))
            && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let start = i;
    let mut acc: i128 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(base)) {
        if !overflow {
            acc = acc * base as i128 + d as i128;
            if acc > i64::MAX as i128 + 1 {
                overflow = true;
            }
        }
        i += 1;
    }
    if i == start {
        return Strtol {
            value: 0,
            overflow: false,
            digits: false,
            rest: s,
        };
    }
    let signed = if neg { -acc } else { acc };
    let (value, overflow) = if overflow || signed > i64::MAX as i128 || signed < i64::MIN as i128 {
        (if neg { i64::MIN } else { i64::MAX }, true)
    } else {
        (signed as i64, false)
    };
    Strtol {
        value,
        overflow,
        digits: true,
        rest: &s[i..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol("0x10", true).value, 16);
        assert_eq!(strtol("010", true).value, 8);
        assert_eq!(strtol(" +5", true).value, 5);
        assert_eq!(strtol("5 ", true).rest, " ");
        assert!(!strtol("", true).digits);
        assert!(!strtol("-", true).digits);
        assert_eq!(strtol("0x", true).rest, "x");
        assert!(strtol("99999999999999999999", true).overflow);
        assert_eq!(strtol("-9223372036854775808", true).value, i64::MIN);
        assert!(!strtol("-9223372036854775808", true).overflow);
        assert_eq!(strtol("0x10", false).rest, "x10");
    }

    proptest::proptest! {
        #[test]
        fn any_int_in_any_base_parses(n in proptest::num::i32::ANY, pad in 0usize..3) {
            let blanks = " ".repeat(pad);
            let sign = if n < 0 { "-" } else { "" };
            let m = (n as i64).unsigned_abs();
            for text in [format!("{blanks}{n}"), format!("{blanks}{sign}0x{m:x}"), format!("{blanks}{sign}0{m:o}")] {
                proptest::prop_assert_eq!(parse_number(Opt::Popo, &text).ok(), Some(n as i64), "{}", text);
            }
            let nonneg = parse_number(Opt::Days, &n.to_string());
            if n < 0 {
                proptest::prop_assert_eq!(
                    nonneg.unwrap_err().to_string(),
                    format!("Negative number \"{n}\" for option -days")
                );
            } else {
                proptest::prop_assert_eq!(nonneg.ok(), Some(n as i64));
            }
        }

        #[test]
        fn trailing_junk_is_rejected(n in 0i32..1000, junk in "[g-z ]{1,3}") {
            let text = format!("{n}{junk}");
            proptest::prop_assert!(parse_number(Opt::Days, &text).is_err());
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(Opt::Days, "0x10").ok(), Some(16));
        assert_eq!(
            parse_number(Opt::Days, "09").unwrap_err().to_string(),
            "Can't parse \"09\" as an octal number"
        );
        assert_eq!(
            parse_number(Opt::Days, "3000000000")
                .unwrap_err()
                .to_string(),
            "Value \"3000000000\" outside integer range"
        );
        assert_eq!(
            parse_number(Opt::Attime, "3000000000").ok(),
            Some(3_000_000_000)
        );
        assert_eq!(
            parse_number(Opt::Repeat, "-0").unwrap_err().to_string(),
            "Non-positive number \"-0\" for option -repeat"
        );
    }
}
