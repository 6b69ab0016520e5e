//! The text of `-help`, generated from the option table in OpenSSL 3.5's layout: a usage line, one line
//! per option (`-name placeholder` padded to a common width, then the help text), continuation lines
//! indented to the text column, and a blank line plus header before each group.

use super::table::{Group, OPTIONS};

/// OpenSSL puts an option whose `-name placeholder` part is this long or longer on a line of its own.
const MAX_OPT_HELP_WIDTH: usize = 30;

/// The help as `-help` prints it (to stderr).
pub fn help_text() -> String {
    help_text_for("cmp")
}

/// The help with another program name in the usage line. OpenSSL prints `openssl help cmp` there when
/// called without any argument.
pub fn help_text_for(prog: &str) -> String {
    // Width of the widest "-name placeholder", counting the leading space and dash, as OpenSSL does.
    let mut width = 5;
    let shown = || OPTIONS.iter().filter(|o| o.opt.in_help());
    for o in shown() {
        let w = 2 + o.name.len() + o.kind.placeholder().map_or(0, |p| 1 + p.len());
        if w < MAX_OPT_HELP_WIDTH && w > width {
            width = w;
        }
    }
    let mut out = format!("Usage: {prog} [options]\nValid options are:\n");
    let mut group = Group::General;
    for o in shown() {
        if o.group != group {
            group = o.group;
            if let Some(h) = group.header() {
                out.push('\n');
                out.push_str(h);
                out.push('\n');
            }
        }
        let mut start = format!(" -{}", o.name);
        if let Some(p) = o.kind.placeholder() {
            start.push(' ');
            start.push_str(p);
        }
        if start.len() >= MAX_OPT_HELP_WIDTH {
            out.push_str(&start);
            out.push('\n');
            start.clear();
        }
        let mut lines = o.help.iter();
        if let Some(first) = lines.next() {
            out.push_str(&format!("{start:<width$}  {first}\n"));
        }
        for more in lines {
            out.push_str(&format!("{:<width$}  {more}\n", ""));
        }
    }
    out
}

/// Whether the arguments (without the program name) are just `--version`: rcmp's one addition to
/// OpenSSL's command line (docs/DEVIATIONS.md). Anywhere else `--version` stays an unknown option, as
/// OpenSSL has it.
pub fn is_version_request<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> bool {
    matches!(args, [only] if only.as_ref() == "--version")
}

/// What `rcmp --version` prints (to stdout): rcmp's version and the OpenSSL release it imitates.
pub fn version_text() -> String {
    let release = super::Since::imitated();
    format!(
        "rcmp {} (openssl cmp of OpenSSL {release})\n",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let h = help_text();
        let lines: Vec<&str> = h.lines().collect();
        assert_eq!(lines[0], "Usage: cmp [options]");
        assert_eq!(lines[1], "Valid options are:");
        assert!(lines[2].starts_with(" -help                  "));
        assert!(h.contains("\n\nGeneric message options:\n -cmd val               "));
        assert!(h.contains("\n -policy_oids_critical  "));
    }
}
