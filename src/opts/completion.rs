//! Shell completions for bash, zsh and fish, generated from the option table: every option name, the
//! words `-cmd`, `-infotype`, the format options and a few numeric options take, files for options
//! that read or write files, folders for `-provider-path`. The committed files under `completions/`
//! are this output (`src/opts/tests_generated.rs` fails when they are stale; `RCMP_REGENERATE=1` rewrites them).
//!
//! Options keep OpenSSL's single dash, so none of the shells' GNU-style helpers fit as they are: bash
//! gets a plain word list, zsh `_arguments` specs with single-dash names, fish old-style (`-o`) options.

use super::table::{Kind, Opt, ValueHint, OPTIONS};

const HEADER: &str = "Generated from src/opts/table.rs by src/opts/completion.rs; do not edit.";

/// What the shell should offer after an option.
enum Offer {
    Nothing,
    Files,
    Folders,
    Words(Vec<&'static str>),
}

fn offer(opt: Opt) -> Option<Offer> {
    if opt.kind() == Kind::Flag {
        return None;
    }
    let words = opt.choices();
    Some(if !words.is_empty() {
        Offer::Words(words)
    } else {
        match opt.value_hint() {
            ValueHint::InFile | ValueHint::OutFile => Offer::Files,
            ValueHint::Dir => Offer::Folders,
            ValueHint::Text | ValueHint::Choice(_) => Offer::Nothing,
        }
    })
}

/// `-name|--name` patterns of the options whose value gets `which` offer.
fn patterns(which: impl Fn(&Offer) -> bool) -> String {
    OPTIONS
        .iter()
        .filter(|o| offer(o.opt).is_some_and(|f| which(&f)))
        .map(|o| format!("-{0}|--{0}", o.name))
        .collect::<Vec<_>>()
        .join("|")
}

/// The bash completion script (`complete -F _rcmp rcmp`).
pub fn bash() -> String {
    let mut out = format!("# bash completion for rcmp. {HEADER}\n");
    out.push_str(
        "_rcmp() {\n    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n",
    );
    out.push_str("    COMPREPLY=()\n    case $prev in\n");
    for o in OPTIONS {
        if let Some(Offer::Words(words)) = offer(o.opt) {
            out.push_str(&format!(
                "        -{0}|--{0}) COMPREPLY=($(compgen -W '{1}' -- \"$cur\")); return ;;\n",
                o.name,
                words.join(" ")
            ));
        }
    }
    out.push_str(&format!(
        "        {}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n",
        patterns(|f| matches!(f, Offer::Files))
    ));
    out.push_str(&format!(
        "        {}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n",
        patterns(|f| matches!(f, Offer::Folders))
    ));
    out.push_str(&format!(
        "        {}) return ;;\n",
        patterns(|f| matches!(f, Offer::Nothing))
    ));
    out.push_str("    esac\n    local opts='");
    let names: Vec<String> = OPTIONS.iter().map(|o| format!("-{}", o.name)).collect();
    out.push_str(&names.join(" "));
    out.push_str("'\n    # --version is only valid as the sole argument\n");
    out.push_str("    [ \"$COMP_CWORD\" -eq 1 ] && opts=\"$opts --version\"\n");
    out.push_str("    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n}\n");
    out.push_str("complete -F _rcmp rcmp\n");
    out
}

/// Help text as a zsh `_arguments` description: first line only, without the characters the spec
/// syntax reserves.
fn zsh_desc(help: &[&str]) -> String {
    let first = help.first().copied().unwrap_or_default();
    first
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace(':', "\\:")
        .replace('\'', "'\\''")
}

/// The zsh completion function (`#compdef rcmp`; install as `_rcmp` in a folder of `$fpath`).
pub fn zsh() -> String {
    let mut out = format!("#compdef rcmp\n# zsh completion for rcmp. {HEADER}\n\n_arguments \\\n");
    out.push_str(
        "  '(- *)--version[print the version of rcmp and the OpenSSL release it imitates]' \\\n",
    );
    for o in OPTIONS {
        let action = match offer(o.opt) {
            None => String::new(),
            Some(Offer::Files) => ":file:_files".into(),
            Some(Offer::Folders) => ":folder:_files -/".into(),
            Some(Offer::Words(w)) => format!(":value:({})", w.join(" ")),
            Some(Offer::Nothing) => format!(":{}: ", o.kind.placeholder().unwrap_or("value")),
        };
        out.push_str(&format!(
            "  '-{}[{}]{action}' \\\n",
            o.name,
            zsh_desc(o.help)
        ));
    }
    out.push_str("  && return 0\n");
    out
}

/// The fish completions (install as `rcmp.fish` in a fish completions folder).
pub fn fish() -> String {
    let mut out = format!("# fish completion for rcmp. {HEADER}\n");
    out.push_str("complete -c rcmp -f\n");
    out.push_str(
        "complete -c rcmp -l version -d 'Print the version of rcmp and the OpenSSL release it imitates'\n",
    );
    for o in OPTIONS {
        let desc = o
            .help
            .first()
            .copied()
            .unwrap_or_default()
            .replace('\\', "\\\\")
            .replace('\'', "\\'");
        let value = match offer(o.opt) {
            None => String::new(),
            Some(Offer::Files) => " -r -F".into(),
            Some(Offer::Folders) => " -x -a '(__fish_complete_directories)'".into(),
            Some(Offer::Words(w)) => format!(" -x -a '{}'", w.join(" ")),
            Some(Offer::Nothing) => " -x".into(),
        };
        out.push_str(&format!(
            "complete -c rcmp -o {}{value} -d '{desc}'\n",
            o.name
        ));
    }
    out
}
