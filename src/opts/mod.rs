//! The front door of `rcmp`: the option table, the command-line parser, `-help`, and the option
//! defaults read from the OpenSSL configuration file.
//!
//! [`parse`] does what `openssl cmp` does before it touches any file other than the config file or the
//! network: prescan `-config`/`-section`/`-verbosity`, load the config file and take option defaults
//! from its sections, then parse the command line over them, with OpenSSL's grammar, error texts and
//! range checks. The result is a [`RawOpts`]: syntax-checked values that say where each came from.
//! Semantic checks that need files, keys or the network belong to later stages.
//!
//! While parsing, this module prints the lines OpenSSL prints at that stage (the `using section(s) ...`
//! info line, warnings about empty or dash-led option arguments) through `crate::log`, and it sets the
//! log verbosity as OpenSSL does at each step, so lines appear (or not) exactly as with `openssl cmp`.

// The generators of docs/rcmp.1 and completions/ run as tests (tests_generated.rs).
#[cfg(test)]
pub mod completion;
mod config;
mod help;
#[cfg(test)]
pub mod man;
mod parse;
pub mod suggest;
mod table;
#[cfg(test)]
mod tests_cli;
#[cfg(test)]
mod tests_generated;

pub use help::{help_text, is_version_request, version_text};
pub use table::{ignored_lines, is_ignored, Group, Kind, Opt, Since, Stage, CMD_VALUES, OPTIONS};

use crate::nconf::Conf;
use crate::Result;
use std::ffi::OsString;
use std::fmt;

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed {
    /// Print `text` to stderr and exit with `status`: 0 for `-help`, 1 when there were no arguments.
    Help { text: String, status: u8 },
    /// Run with these options.
    Run(RawOpts),
}

/// Parse the arguments of one invocation; `args` excludes the program name (argv\[0\]). A leading `cmp`
/// is skipped, so `rcmp cmp ARGS` behaves like `rcmp ARGS`.
///
/// Errors: [`crate::Error::Usage`] for grammar errors (`Unknown option: -foo`, ...; the caller adds
/// `cmp: ` and the `Use -help for summary.` line), [`crate::Error::BadValue`] for values that OpenSSL
/// rejects right after parsing (`-keep_alive argument must be 0, 1, or 2`), and
/// [`crate::Error::Cmp`] for config-file problems.
#[cfg(any(test, fuzzing))]
pub fn parse(args: &[OsString]) -> Result<Parsed> {
    parse::parse(args).0
}

/// [`parse`], also returning the `-writerand` file in effect when parsing stopped, also on an error:
/// OpenSSL writes it at exit even after a usage error in a later argument.
pub fn parse_with_writerand(args: &[OsString]) -> (Result<Parsed>, Option<String>) {
    parse::parse(args)
}

/// Where secret values sit in `args` (which excludes the program name): `(argument index, byte offset)`
/// of each value given to an option marked secret (`-secret`, `-srv_secret`, the pass phrase options),
/// whether as the next argument or after `=`. The binary overwrites them in the process's own argv, as
/// OpenSSL does, so they do not show in `ps` or /proc/PID/cmdline.
pub fn secret_value_positions(args: &[OsString]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let Some(a) = args[i].to_str() else {
            i += 1;
            continue;
        };
        let Some(body) = a.strip_prefix("--").or_else(|| a.strip_prefix('-')) else {
            i += 1;
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, _)) => (n, Some(a.len() - body.len() + n.len() + 1)),
            None => (body, None),
        };
        let Some((opt, _)) = Opt::lookup(name) else {
            i += 1;
            continue;
        };
        match (opt.kind(), inline) {
            (Kind::Flag, _) => {}
            (_, Some(offset)) => {
                if opt.is_secret() {
                    out.push((i, offset));
                }
            }
            (_, None) => {
                if opt.is_secret() && i + 1 < args.len() {
                    out.push((i + 1, 0));
                }
                i += 1;
            }
        }
        i += 1;
    }
    out
}

/// Where an option value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    CommandLine,
    /// From the config file, found in this section (`default` for the unnamed top of the file).
    Config {
        section: String,
    },
}

/// A parsed option value. Flags are numbers too: 1 when given on the command line, the configured number
/// when set in the config file (`0` means off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
}

#[derive(Clone, Debug)]
struct Setting {
    value: Value,
    source: Source,
}

/// The options of one invocation after the command line and the config file were merged (the command
/// line wins), checked for syntax only.
///
/// Empty strings: as in OpenSSL, an empty argument (`-path ""`) or an empty config value (`path =`) resets
/// the option to unset, for every string option except the provider, random-state and validation options,
/// which keep the empty string (their own handlers judge it). An empty or non-numeric config value of a
/// number or flag option is ignored, leaving the default.
pub struct RawOpts {
    /// Per option, where its current setting is in `history` (an index rather than a copy: the
    /// table has some 160 options, and a copy of each slot made this vector a 7.5 KB allocation,
    /// whose size class cost a client run 8 page faults).
    current: Vec<Option<u32>>,
    /// Every value given, in the order applied (config first, then the command line), for options that
    /// may be repeated with effect (`-provider`, `-policy`, ...).
    history: Vec<(Opt, Setting)>,
    conf: Option<Conf>,
    config_file: Option<String>,
    sections: Vec<String>,
    verbosity: u8,
}

impl Default for RawOpts {
    /// No option set, no config file, default verbosity.
    fn default() -> Self {
        RawOpts {
            current: vec![None; OPTIONS.len()],
            // Room for a typical command line and config section, so that it is not regrown
            // (and copied) four or five times while they are read.
            history: Vec::with_capacity(32),
            conf: None,
            config_file: None,
            sections: Vec::new(),
            verbosity: crate::log::Level::Info as u8,
        }
    }
}

/// Lists the options set; values of options that may carry secrets are not shown.
impl fmt::Debug for RawOpts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (opt, value, source) in self.iter() {
            let shown = if opt.is_secret() {
                "<not shown>".to_string()
            } else {
                format!("{value:?}")
            };
            m.entry(&opt.to_string(), &format_args!("{shown} from {source}"));
        }
        m.finish()
    }
}

impl RawOpts {
    fn new() -> Self {
        Self::default()
    }

    fn set(&mut self, opt: Opt, value: Value, source: Source) {
        let at = u32::try_from(self.history.len()).ok();
        self.history.push((opt, Setting { value, source }));
        self.current[opt as usize] = at;
    }

    /// The current setting of `opt`, if any.
    fn setting(&self, opt: Opt) -> Option<&Setting> {
        let at = self.current[opt as usize]?;
        self.history.get(usize::try_from(at).ok()?).map(|(_, s)| s)
    }

    fn reset(&mut self, opt: Opt) {
        self.current[opt as usize] = None;
    }

    /// The string value, if set. Never `Some("")` for options whose empty value means "unset".
    pub fn str(&self, opt: Opt) -> Option<&str> {
        match self.setting(opt).map(|s| &s.value) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether a flag is on (given on the command line, or a non-zero number in the config file).
    pub fn flag(&self, opt: Opt) -> bool {
        matches!(self.setting(opt).map(|s| &s.value), Some(Value::Int(n)) if *n != 0)
    }

    /// The number given for a numeric option (or a flag's number), if set; `None` means "use the default".
    pub fn int(&self, opt: Opt) -> Option<i64> {
        match self.setting(opt).map(|s| &s.value) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn is_set(&self, opt: Opt) -> bool {
        self.setting(opt).is_some()
    }

    /// Where the current value of `opt` came from.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn source(&self, opt: Opt) -> Option<&Source> {
        self.setting(opt).map(|s| &s.source)
    }

    /// How to name the option in a message about its current value: `-days` when it came from the
    /// command line, `option 'days' in config file section 'x'` otherwise.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn describe(&self, opt: Opt) -> String {
        match self.source(opt) {
            Some(Source::Config { section }) => {
                format!("option '{}' in config file section '{section}'", opt.name())
            }
            _ => opt.to_string(),
        }
    }

    /// Every string value given for `opt`, in the order applied (config file, then command line). For
    /// options that act each time they are given, such as `-provider` and `-policy`.
    pub fn all(&self, opt: Opt) -> Vec<&str> {
        self.history
            .iter()
            .filter(|(o, _)| *o == opt)
            .filter_map(|(_, s)| match &s.value {
                Value::Str(v) => Some(v.as_str()),
                Value::Int(_) => None,
            })
            .collect()
    }

    /// The options set, in table order, with their values.
    pub fn iter(&self) -> impl Iterator<Item = (Opt, &Value, &Source)> {
        Opt::all().filter_map(|o| self.setting(o).map(|s| (o, &s.value, &s.source)))
    }

    /// The loaded config file, if any (for `-reqexts`, `-policies` and other section lookups).
    pub fn conf(&self) -> Option<&Conf> {
        self.conf.as_ref()
    }

    /// The path of the loaded config file, if any.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn config_file(&self) -> Option<&str> {
        self.config_file.as_deref()
    }

    /// The sections options were taken from, as listed in `-section` (`["cmp"]` by default); `default`
    /// is always consulted too and is not listed unless named.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn sections(&self) -> &[String] {
        &self.sections
    }

    /// The final log verbosity (0..8). `parse` has already passed it to `crate::log::set_verbosity`.
    #[cfg(any(test, fuzzing, feature = "bench"))]
    pub fn verbosity(&self) -> u8 {
        self.verbosity
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::CommandLine => f.write_str("command line"),
            Source::Config { section } => write!(f, "config file section '{section}'"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::secret_value_positions;
    use std::ffi::OsString;

    fn pos(args: &[&str]) -> Vec<(usize, usize)> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        secret_value_positions(&args)
    }

    #[test]
    fn secret_values_are_found_in_every_spelling() {
        assert_eq!(pos(&["-secret", "pass:x", "-ref", "1"]), vec![(1, 0)]);
        assert_eq!(pos(&["--keypass=pass:x"]), vec![(0, 10)]);
        assert_eq!(pos(&["-secret=pass:x"]), vec![(0, 8)]);
        // A value that looks like an option is still the value.
        assert_eq!(
            pos(&["-newkeypass", "-secret", "-srv_secret", "y"]),
            vec![(1, 0), (3, 0)]
        );
        // Flags take no value; unknown options are skipped.
        assert_eq!(pos(&["-batch", "-secret", "s", "-nope", "x"]), vec![(2, 0)]);
        assert_eq!(pos(&["-ref", "-secret"]), Vec::<(usize, usize)>::new());
        assert_eq!(pos(&["-secret"]), Vec::<(usize, usize)>::new());
        // CMP for OpenSSL's old names of secret options too.
        assert_eq!(pos(&["-user", "u", "-pass", "pw"]), vec![(3, 0)]);
        assert_eq!(pos(&["--tls-keypass=pw"]), vec![(0, 14)]);
    }
}
