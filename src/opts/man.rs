//! The manual page rcmp(1), generated from the option table: one section per `-help` group, each option
//! with its value placeholder and help text, framed by prose on the config file, the mock server,
//! the environment and the exit status. The committed `docs/rcmp.1` is this output
//! (`src/opts/tests_generated.rs` fails when it is stale and rewrites it with `RCMP_REGENERATE=1`).

use super::table::OPTIONS;

/// Group title for the options `-help` lists before the first header.
const GENERAL_TITLE: &str = "General options";

/// Escape text for a roff line: backslashes, hyphens (so they stay ASCII minus signs) and a leading
/// control character.
fn esc(text: &str) -> String {
    let s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// Prose paragraphs: blank lines in `text` separate them; a line starting with two spaces is shown
/// as an example line.
fn prose(out: &mut String, text: &str) {
    for para in text.trim().split("\n\n") {
        if para.starts_with("  ") {
            out.push_str(".PP\n.RS 4\n.nf\n");
            for line in para.lines() {
                out.push_str(&esc(line.trim_start()));
                out.push('\n');
            }
            out.push_str(".fi\n.RE\n");
        } else {
            out.push_str(".PP\n");
            out.push_str(&esc(&para.split_whitespace().collect::<Vec<_>>().join(" ")));
            out.push('\n');
        }
    }
}

fn section(out: &mut String, title: &str, text: &str) {
    out.push_str(&format!(".SH {title}\n"));
    prose(out, text);
}

/// The option list, grouped and titled as `-help` groups it.
fn options(out: &mut String) {
    out.push_str(".SH OPTIONS\n");
    prose(out, OPTIONS_INTRO);
    let mut group = None;
    for o in OPTIONS {
        if group != Some(o.group) {
            group = Some(o.group);
            let title = o
                .group
                .header()
                .map_or(GENERAL_TITLE, |h| h.trim_end_matches(':'));
            out.push_str(&format!(".SS \"{title}\"\n"));
        }
        out.push_str(".TP\n");
        match o.kind.placeholder() {
            None => out.push_str(&format!(".B \\-{}\n", esc(o.name))),
            Some(p) => out.push_str(&format!(".BI \\-{} \" {}\"\n", esc(o.name), esc(p))),
        }
        let mut text = o.help.join(" ");
        if !text.ends_with('.') {
            text.push('.');
        }
        if let Some(extra) = value_note(o.opt) {
            text.push(' ');
            text.push_str(&extra);
        }
        if o.cmds != super::table::Cmds::ALL {
            let cmds: Vec<_> = o.cmds.names().collect();
            text.push_str(&format!(
                " For {} {} only.",
                super::Opt::Cmd,
                cmds.join(", ")
            ));
        }
        if o.since > super::Since::V3_0 {
            text.push_str(&format!(" (Since OpenSSL {}.)", o.since));
        }
        out.push_str(&esc(&text));
        out.push('\n');
    }
}

/// A sentence listing the values to choose from, where the table has them.
fn value_note(opt: super::Opt) -> Option<String> {
    let words = opt.choices();
    (!words.is_empty()).then(|| format!("Values: {}.", words.join(", ")))
}

/// The whole page, in roff `man` macros.
pub fn man_page() -> String {
    let mut out = String::new();
    out.push_str(&format!(
        ".\\\" Generated from src/opts/table.rs by src/opts/man.rs; do not edit.\n\
         .TH RCMP 1 \"\" \"rcmp {}\" \"User Commands\"\n",
        env!("CARGO_PKG_VERSION")
    ));
    section(&mut out, "NAME", NAME);
    out.push_str(".SH SYNOPSIS\n.B rcmp\n[\\fIoptions\\fR]\n.br\n.B rcmp \\-\\-version\n");
    section(&mut out, "DESCRIPTION", DESCRIPTION);
    options(&mut out);
    section(&mut out, "CONFIGURATION FILE", CONFIG);
    section(&mut out, "MOCK SERVER", MOCK_SERVER);
    section(&mut out, "ENVIRONMENT", ENVIRONMENT);
    section(&mut out, "EXIT STATUS", EXIT_STATUS);
    section(&mut out, "SEE ALSO", SEE_ALSO);
    out
}

const NAME: &str =
    "rcmp - Certificate Management Protocol client and mock CA server, a drop-in for openssl cmp";

const DESCRIPTION: &str = "
rcmp speaks the Certificate Management Protocol (CMP, RFC 9810 and RFC 4210, with CRMF requests, over
HTTP or HTTPS). It takes the options of the cmp command of OpenSSL 3.5 and 3.6, reads the same sections
of an OpenSSL configuration file, writes the same files, prints the same log lines on the same streams
and exits with the same status, so that a script can call rcmp where it called openssl cmp.

As a client it sends one of the requests chosen with -cmd: ir (initial registration), cr (certificate
request), kur (key update), p10cr (a PKCS#10 request), rr (revocation) or genm (general message),
protected with a shared secret (-secret, password-based MAC) or a signature (-cert and -key), and
saves what the server returns (-certout, -chainout, -cacertsout, ...).

With -port it runs instead as the mock CA server of openssl cmp; with -use_mock_srv the client talks
to that server inside the same process, without HTTP.

The option descriptions below are brief. OpenSSL's openssl-cmp(1) describes every option in full; rcmp
follows that description, and lists the places where it knowingly differs in docs/DEVIATIONS.md of
its sources.
";

const OPTIONS_INTRO: &str = "
Options start with one dash (two are accepted as well) and take their value from the next argument,
even when that value starts with a dash; -name=value works too. When an option is given twice, the
last one counts. Pass phrase options (-secret, -keypass, ...) take the sources of
openssl-passphrase-options(1): pass:TEXT, env:VAR, file:PATH, fd:N and stdin. Options that take files
accept several, separated by commas, where OpenSSL does.
";

const CONFIG: &str = "
Every option can also be given in the configuration file as name = value, without the dash; a flag is
turned on with 1. The file is the one named by -config, else the one in OPENSSL_CONF, else OpenSSL's
default openssl.cnf when it exists; -config \"\" reads none. -section names the sections to read,
separated by commas or spaces (default cmp); a later section overrides an earlier one, and the unnamed
top of the file and the [default] section come last. The command line overrides the file.

The file follows OpenSSL's syntax: # comments, quoting, backslash escapes, $var and ${section::var}
expansion, $ENV::NAME, and .include. For instance, with the sections of Debian's own openssl.cnf:

  rcmp -config openssl.cnf -section insta        # initial enrollment
  rcmp -config openssl.cnf -section insta,kur    # update that certificate
";

const MOCK_SERVER: &str = "
rcmp -port PORT serves CMP over HTTP on that port (0 picks a free one) and prints
ACCEPT address:port PID=pid once it listens. It answers on the paths / and /pkix/ and protects its
responses with -srv_secret (password-based MAC) or with -srv_cert and -srv_key (signature). With
-rsp_cert it hands out that fixed certificate, as OpenSSL's mock server does.

Without -rsp_cert, when -srv_cert and -srv_key are a CA certificate (basic constraints cA, key usage
keyCertSign) and its key, rcmp issues a real certificate for each request: subject, public key and
extensions from the request's template, signed by that CA. OpenSSL's mock server cannot do this. For
instance:

  rcmp -port 0 -srv_cert ca.crt -srv_key ca.key -srv_secret pass:1234 -srv_ref 1234

The mock server options (-poll_count, -pkistatus, -send_error, ...) shape its answers for tests.
-max_msgs stops it after that many messages; otherwise it runs until it is killed.
";

const ENVIRONMENT: &str = "
OPENSSL_CONF: the configuration file to read when -config is not given.

OPENSSL_CONF_INCLUDE: the folder relative .include paths in the configuration file are taken from.

http_proxy, HTTP_PROXY, https_proxy, HTTPS_PROXY: the proxy to use when -proxy is not given, for plain
HTTP and for TLS respectively. no_proxy, NO_PROXY: servers to reach directly when -no_proxy is not
given.

RCMP_COMPAT: which OpenSSL release to imitate where releases differ in what they send, accept or print:
3.0, 3.5 (the default; 3.6 means the same) or 4.0. Any other value stops rcmp with an error.
";

const EXIT_STATUS: &str = "
0 when the request succeeded (or, for -help, always), 1 on any failure, including usage errors. This
is what openssl cmp returns. rcmp --version prints the version of rcmp and the OpenSSL release it
imitates, and exits 0; openssl cmp has no such option.
";

const SEE_ALSO: &str = "
openssl-cmp(1), openssl-passphrase-options(1), openssl-verification-options(1), config(5), RFC 9810,
RFC 9811, RFC 9483.
";
