//! The robustness harnesses shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, nightly) and
//! the property tests (`src/tests_fuzz_props.rs`, stable, every `cargo test`). Internals are reached
//! through `rcmp::fuzzing` (built only for tests and under `--cfg fuzzing`).
//!
//! Every harness takes arbitrary bytes, feeds them to one parser of rcmp and checks that the parser
//! returns `Ok` or `Err` without panicking, plus a few invariants that must hold for whatever it
//! accepted (re-encoding round trips, bounds, no secret in a message). Structure-aware harnesses use
//! the bytes as a stream of choices ([`Gen`]) to build inputs that get past the first syntax checks:
//! random bytes alone almost never form a config section with `$var` references or a DER certificate.
//!
//! Nothing here reads files the harness did not choose: inputs that could make the config reader
//! `.include` an arbitrary path (a device such as `/dev/zero`, or the current directory) are skipped,
//! and generated includes always point below a directory that does not exist.

#![allow(dead_code)]

use std::ffi::OsString;

use der::{Decode, Encode};

/// Included paths are always below this directory, which must not exist.
pub const NO_DIR: &str = "/nonexistent-rcmp-fuzz";
/// A value given only to secret options; it must never show in a message or a Debug dump.
pub const SECRET_MARKER: &str = "FuzzSecretMarker";

/// Silence the logger: the parsers print info lines and warnings while they work.
pub fn quiet() {
    rcmp::fuzzing::log::set_verbosity(0);
}

// ---------------------------------------------------------------------------------------------
// Choice stream

/// Turns bytes into choices; once the bytes run out every choice is the first alternative, so each
/// input maps to exactly one generated value and short inputs give small values.
pub struct Gen<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Gen<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Gen { data, pos: 0 }
    }
    pub fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            usize::from(self.byte()) % n
        } else {
            (usize::from(self.byte()) << 8 | usize::from(self.byte())) % n
        }
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    pub fn i64(&mut self) -> i64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte();
        }
        i64::from_be_bytes(b)
    }
    /// Up to `max` raw bytes (a length byte, then the bytes).
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.byte()).collect()
    }
    /// Up to `max` characters from `alphabet`.
    pub fn word(&mut self, alphabet: &[u8], max: usize) -> String {
        let n = self.below(max + 1);
        (0..n).map(|_| char::from(self.pick(alphabet))).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// 1. openssl.cnf reader

/// Whether the text could make the reader include a file or directory (after joining continued lines
/// and with escapes ignored): such inputs are skipped by the raw-bytes harness.
pub fn may_include(text: &str) -> bool {
    let squeezed: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\\')
        .flat_map(char::to_lowercase)
        .collect();
    squeezed.contains("include")
}

/// Raw bytes as a config file.
pub fn nconf_bytes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if may_include(&text) {
        return;
    }
    check_conf(&text);
}

/// Parse and check what an accepted config holds.
pub fn check_conf(text: &str) {
    let Ok(conf) = rcmp::fuzzing::nconf::Conf::parse(text, "fuzz") else {
        return;
    };
    let names: Vec<String> = conf.section_names().map(str::to_string).collect();
    for name in &names {
        assert!(conf.has_section(name), "section {name:?} listed but absent");
        let entries = conf.section(name).expect("listed section");
        for (k, v) in entries {
            assert!(
                conf.get_in(name, k).is_some(),
                "{name}::{k} listed but not found"
            );
            // Expansion is bounded at 64 KiB; unexpanded text cannot exceed the input.
            assert!(
                v.len() <= text.len().max(65536),
                "value of {name}::{k} is {} bytes",
                v.len()
            );
        }
    }
}

const CONF_SECTIONS: &[&str] = &[
    "default", "cmp", "ir", "s", "sec1", "ENV", " s ", "", "a b", "$s", "s::t", "\u{e9}",
];
const CONF_NAMES: &[&str] = &[
    "a",
    "b",
    "x",
    "v1",
    "server",
    "verbosity",
    "s::a",
    "sec1::b",
    "ENV::HOME",
    "default::a",
    "",
    "a.b",
    "a;b",
    "_",
    "\u{e9}",
];
const CONF_FRAGMENTS: &[&str] = &[
    "plain",
    " ",
    "$a",
    "${a}",
    "$(b)",
    "$x",
    "$s::a",
    "${sec1::b}",
    "$(default::a)",
    "$ENV::HOME",
    "$ENV::RCMP_FUZZ_UNSET",
    "${ENV::PATH}",
    "\"q # not a comment\"",
    "'single $a'",
    "\"unterminated",
    "'",
    "\\\"",
    "\\\\",
    "\\n",
    "\\r",
    "\\t",
    "\\b",
    "\\$a",
    "#comment",
    " # c",
    "$",
    "${",
    "$(",
    "${}",
    "$()",
    "${a",
    "$(a",
    "$::",
    "$a::",
    "${a::b::c}",
    "\u{e9}\u{1f600}",
    "=",
    "[",
    "]",
    "\t",
    "0",
    "-1",
    "\\\n",
    "\\\r\n",
    "\"\\\n\"",
    "x\\",
];

/// A config file built from `data` as choices: sections, assignments with `$var` references, quotes,
/// escapes and continuations, `.pragma` lines, includes of files that do not exist, and chains of
/// doubling variables that probe the expansion bound.
pub fn conf_text(data: &[u8]) -> String {
    let mut g = Gen::new(data);
    let mut out = String::new();
    let lines = g.below(24);
    for _ in 0..lines {
        match g.below(12) {
            0 => out.push_str(&format!("[{}]", g.pick(CONF_SECTIONS))),
            1 => out.push_str(&format!("[ {} ]  # section", g.pick(CONF_SECTIONS))),
            2 => {
                let target = value(&mut g, 3);
                out.push_str(&format!(
                    ".include{}{NO_DIR}/{}",
                    g.pick(&[" ", "=", " = "]),
                    target.replace(['/', '.'], "_")
                ));
            }
            3 => {
                let (k, v) = g.pick(&[
                    ("dollarid", "on"),
                    ("dollarid", "off"),
                    ("dollarid", "maybe"),
                    ("abspath", "true"),
                    ("abspath", "false"),
                    ("includedir", NO_DIR),
                    ("unknown", "x"),
                    ("", ""),
                ]);
                out.push_str(&format!(".pragma {k}:{v}"));
            }
            4 => {
                // a = xxxx; b = $a$a; c = $b$b ... grows past the 64 KiB expansion bound.
                let n = 2 + g.below(20);
                out.push_str("v0 = xxxxxxxxxxxxxxxx\n");
                for i in 1..n {
                    out.push_str(&format!("v{i} = $v{p}$v{p}\n", p = i - 1));
                }
            }
            5 => {
                // Random printable junk on a line of its own.
                let w = g.word(b"abc$={}()[]:#\"'\\ .-_\t", 16);
                out.push_str(&w);
            }
            _ => {
                let name = g.pick(CONF_NAMES);
                let sep = g.pick(&["=", " = ", "=  ", " =", "\t=\t", " ", ":"]);
                out.push_str(&format!("{name}{sep}{}", value(&mut g, 6)));
            }
        }
        out.push_str(g.pick(&["\n", "\n", "\r\n", "\\\n", "\n\n"]));
    }
    out
}

fn value(g: &mut Gen<'_>, max: usize) -> String {
    let n = g.below(max + 1);
    (0..n).map(|_| g.pick(CONF_FRAGMENTS)).collect()
}

/// Structure-aware config input.
pub fn nconf_structured(data: &[u8]) {
    check_conf(&conf_text(data));
}

// ---------------------------------------------------------------------------------------------
// 2. Command line

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "7",
    "100",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999999",
    "0x10",
    "0X7fffffff",
    "010",
    "09",
    "+5",
    " 5",
    "5 ",
    "1e3",
    "",
    "-",
    "x",
    "0x",
    "--1",
];
const STRINGS: &[&str] = &[
    "",
    "-",
    "x",
    "-x",
    "a,b",
    "a b",
    "http://127.0.0.1:1/pkix/",
    "[::1]:80",
    "/CN=x/O=y",
    "1.2.3.4:int:5",
    "file:/nonexistent-rcmp-fuzz/f",
    "env:RCMP_FUZZ_UNSET",
    "stdin",
    "fd:99",
    "ir",
    "genm",
    "sha256",
    "PEM",
    "DER",
    "P12",
    "\u{e9}",
    "=",
    "cmp",
];
/// Words that are not options. `--` is added only at the end: it makes every later argument an
/// "Extra option", which OpenSSL echoes in its error, secrets included.
const STRAYS: &[&str] = &[
    "-", "-foo", "--foo=", "cmp", "stray", "-h", "-help", "--help=1", "-=", "-config=",
];

/// A command line built from `data`: real option names from the table (as `-name`, `--name` or
/// `-name=value`), values of the right kind and of the wrong kind, and stray words. It always
/// starts with `-config ""` so no config file from the machine is read.
pub fn argv(data: &[u8]) -> Vec<OsString> {
    use std::os::unix::ffi::OsStringExt;
    let all: Vec<rcmp::fuzzing::opts::Opt> = rcmp::fuzzing::opts::Opt::all().collect();
    let mut g = Gen::new(data);
    let mut args: Vec<OsString> = vec!["-config".into(), "".into()];
    let n = g.below(16);
    for i in 0..n {
        if g.below(10) == 0 {
            args.push(g.pick(STRAYS).into());
            continue;
        }
        let opt = g.pick(&all);
        let dash = if g.below(4) == 0 { "--" } else { "-" };
        let name = format!("{dash}{}", opt.name());
        let value: OsString = if opt == rcmp::fuzzing::opts::Opt::Config {
            // Only "no file" or a file that does not exist.
            g.pick(&["", "/nonexistent-rcmp-fuzz/x.cnf"]).into()
        } else if opt == rcmp::fuzzing::opts::Opt::Verbosity {
            // Nothing that would turn the logger on.
            g.pick(&["0", "-1", "9", "x", "", "0x0"]).into()
        } else if opt.is_secret() {
            match g.below(3) {
                0 => format!("pass:{SECRET_MARKER}"),
                1 => format!("pass:{SECRET_MARKER}x"),
                _ => SECRET_MARKER.to_string(),
            }
            .into()
        } else {
            match g.below(8) {
                0 => OsString::from_vec(g.bytes(8).into_iter().filter(|&b| b != 0).collect()),
                1..=3 => g.pick(NUMBERS).into(),
                _ => g.pick(STRINGS).into(),
            }
        };
        let kind = opt.kind();
        if kind == rcmp::fuzzing::opts::Kind::Flag {
            match g.below(8) {
                0 if !opt.is_secret() => {
                    let mut a = OsString::from(format!("{name}="));
                    a.push(&value);
                    args.push(a);
                }
                _ => args.push(name.into()),
            }
        } else {
            match g.below(8) {
                // A missing value only at the end: in the middle the next option would become the
                // value and a following secret an "Extra option" that OpenSSL prints too.
                0 if i + 1 == n => args.push(name.into()),
                1 => {
                    let mut a = OsString::from(format!("{name}="));
                    a.push(&value);
                    args.push(a);
                }
                _ => {
                    args.push(name.into());
                    args.push(value);
                }
            }
        }
    }
    if g.below(16) == 0 {
        args.push("--".into());
    }
    args
}

/// Raw bytes as a command line: arguments separated by NUL bytes, after `-config ""`.
pub fn opts_bytes(data: &[u8]) {
    use std::os::unix::ffi::OsStringExt;
    let mut args: Vec<OsString> = vec!["-config".into(), "".into()];
    if !data.is_empty() {
        args.extend(
            data.split(|&b| b == 0)
                .map(|a| OsString::from_vec(a.to_vec())),
        );
    }
    // A -config taken from the bytes could name any file: keep only the leading "no file". The
    // marker may stand anywhere in raw bytes, where echoing it is fine ("Extra option: ...").
    if args[2..].iter().any(|a| {
        let a = a.to_string_lossy();
        a.contains("config") || a.contains(SECRET_MARKER)
    }) {
        return;
    }
    check_argv(&args);
}

/// Any bytes as the value of `-secret`: no error may repeat them (OpenSSL takes pass phrases as
/// bytes, UTF-8 or not).
pub fn opts_secret_value(data: &[u8]) {
    use std::os::unix::ffi::OsStringExt;
    let value = OsString::from_vec(data.iter().copied().filter(|&b| b != 0).collect());
    let shown = value.to_string_lossy().into_owned();
    let args: Vec<OsString> = vec!["-config".into(), "".into(), "-secret".into(), value];
    quiet();
    let res = rcmp::fuzzing::opts::parse(&args);
    quiet();
    if let Err(e) = res {
        let text = e.to_string();
        assert!(
            shown.len() < 4 || !text.contains(&shown),
            "error shows the -secret value: {text}"
        );
    }
}

/// Parse a generated command line and check what was accepted.
pub fn opts_structured(data: &[u8]) {
    check_argv(&argv(data));
}

pub fn check_argv(args: &[OsString]) {
    quiet();
    let res = rcmp::fuzzing::opts::parse(args);
    quiet(); // parse sets the verbosity as the command line asks
    match res {
        Err(e) => {
            let text = e.to_string();
            assert!(
                !text.contains(SECRET_MARKER),
                "error shows a secret value: {text}"
            );
        }
        Ok(rcmp::fuzzing::opts::Parsed::Help { text, .. }) => assert!(!text.is_empty()),
        Ok(rcmp::fuzzing::opts::Parsed::Run(o)) => {
            for opt in rcmp::fuzzing::opts::Opt::all() {
                let _ = (
                    o.str(opt),
                    o.flag(opt),
                    o.int(opt),
                    o.source(opt),
                    o.all(opt),
                );
                let d = o.describe(opt);
                if opt.is_secret() {
                    assert!(!d.contains(SECRET_MARKER), "describe shows a secret: {d}");
                }
            }
            let _ = (o.conf(), o.config_file(), o.sections(), o.verbosity());
            let dump = format!("{o:?}");
            assert!(
                !dump.contains(SECRET_MARKER),
                "Debug shows a secret value: {dump}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Distinguished names and credentials

/// Any text as a `-subject` value.
pub fn dn_text(text: &str) {
    let Ok(name) = rcmp::fuzzing::creds::parse_dn(text, "subject") else {
        return;
    };
    let _ = rcmp::fuzzing::creds::oneline(&name);
    let _ = rcmp::fuzzing::creds::dn::to_text(&name, true);
    assert!(rcmp::fuzzing::creds::names_equal(&name, &name));
    let der = name.to_der().expect("an accepted DN encodes");
    let back = x509_cert::name::Name::from_der(&der).expect("the encoding of a DN decodes");
    assert_eq!(back, name, "DN changes in a DER round trip");
}

pub fn dn_bytes(data: &[u8]) {
    dn_text(&String::from_utf8_lossy(data));
}

const DN_TYPES: &[&str] = &[
    "CN",
    "O",
    "OU",
    "C",
    "L",
    "ST",
    "emailAddress",
    "serialNumber",
    "DC",
    "UID",
    "street",
    "title",
    "2.5.4.3",
    "0.9.2342.19200300.100.1.25",
    "1.2.3",
    "1.",
    "cn",
    "commonName",
    "nosuch",
    "",
    " CN",
    "CN ",
    "9.9999999999999999999",
];
const DN_VALUES: &[&str] = &[
    "x",
    "",
    " ",
    "a\\/b",
    "a\\+b",
    "\\",
    "\\\\",
    "=",
    "a=b",
    "DE",
    "DEU",
    "\u{e9}\u{1f600}",
    "0123456789012345678901234567890123456789012345678901234567890123456789",
];

/// A `/type=value/type=value+type=value` name built from `data`.
pub fn dn_structured(data: &[u8]) {
    let mut g = Gen::new(data);
    let mut s = String::new();
    if g.below(8) != 0 {
        s.push('/');
    }
    let n = g.below(10);
    for i in 0..n {
        if i > 0 {
            s.push_str(g.pick(&["/", "/", "+", "//", " / "]));
        }
        s.push_str(g.pick(DN_TYPES));
        if g.below(8) != 0 {
            s.push('=');
        }
        s.push_str(g.pick(DN_VALUES));
    }
    if g.below(8) == 0 {
        s.push_str(g.pick(&["\\", "/", "+", "="]));
    }
    dn_text(&s);
}

/// One file's bytes given to every credentials loader, with and without a pass phrase.
pub fn creds_bytes(data: &[u8]) {
    use rcmp::fuzzing::creds::{cert, crl, key, Csr, Secret};
    // The pass phrase of the fixtures in fixtures/creds, so mutated encrypted files get decrypted.
    let pass = Secret::new(b"12345".to_vec());
    for p in [None, Some(&pass)] {
        if let Ok(certs) = cert::certs_from_bytes(data, p, "fuzz", "certificate") {
            assert!(!certs.is_empty());
            for c in &certs {
                check_cert(c);
            }
        }
        if let Ok(k) = key::key_from_bytes(data, p, "fuzz", "key") {
            let pubder = k.public_key_der().expect("public key of a loaded key");
            assert!(k.matches_public_key(&pubder));
            let p8 = k.to_pkcs8_der().expect("loaded key encodes");
            let again = key::PrivateKey::from_pkcs8_der(&p8).expect("its PKCS#8 loads");
            assert_eq!(again.public_key_der().ok(), Some(pubder));
        }
    }
    if let Ok(k) = key::pubkey_from_bytes(data, "fuzz", "public key") {
        let again = key::PublicKey::from_spki_der(k.spki_der()).expect("SPKI of a loaded key");
        assert_eq!(again.spki_der(), k.spki_der());
        let _ = k.to_pem();
    }
    if let Ok(crls) = crl::crls_from_bytes(data, "fuzz", "CRL") {
        for c in &crls {
            let _ = (c.issuer(), c.this_update(), c.next_update(), c.tbs_der());
            let again = crl::Crl::from_der(c.der()).expect("DER of a loaded CRL");
            assert_eq!(again.der(), c.der());
            let _ = c.to_pem();
        }
    }
    if let Ok(csr) = Csr::from_der(data) {
        let _ = (
            csr.subject(),
            csr.public_key_der(),
            csr.extensions(),
            csr.to_pem(),
        );
        let _ = csr.verify_signature();
    }
}

fn check_cert(c: &rcmp::fuzzing::creds::Cert) {
    let _ = (
        c.subject_oneline(),
        c.issuer_oneline(),
        c.serial(),
        c.version(),
    );
    let _ = (
        c.not_before(),
        c.not_after(),
        c.signature_algorithm(),
        c.spki_der(),
    );
    let _ = (
        c.basic_constraints(),
        c.is_ca(),
        c.key_usage(),
        c.ext_key_usage(),
    );
    let _ = (
        c.subject_alt_name(),
        c.subject_key_id(),
        c.authority_key_id(),
    );
    let _ = (c.is_self_issued(), c.extensions().len());
    let _ = c.verify_issued_by(c);
    let again = rcmp::fuzzing::creds::Cert::from_der(c.der()).expect("DER of a loaded certificate");
    assert_eq!(again.der(), c.der());
    let pem = c.to_pem();
    let from_pem =
        rcmp::fuzzing::creds::cert::certs_from_bytes(pem.as_bytes(), None, "pem", "cert")
            .expect("PEM of a loaded certificate");
    assert_eq!(from_pem.len(), 1);
    assert_eq!(from_pem[0].der(), c.der());
}

// ---------------------------------------------------------------------------------------------
// 4. CMP messages and PBM

/// A received CMP message: if it decodes, it must re-encode to the same bytes (DER is canonical, and
/// the protection is computed over the re-encoded header and body) and decode to an equal value.
pub fn cmp_message(data: &[u8]) {
    use rcmp::fuzzing::asn1::PkiMessage;
    let Ok(msg) = PkiMessage::from_der_bounded(data, "fuzz") else {
        return;
    };
    let der = msg.to_der_vec().expect("a decoded message encodes");
    let back = PkiMessage::from_der_bounded(&der, "re-encoding").expect("its encoding decodes");
    assert_eq!(back, msg, "message changes in a round trip");
    assert_eq!(der, data, "accepted encoding is not the canonical DER");
    let _ = msg.protected_part_der().expect("protected part encodes");
    let _ = (
        msg.body.type_name(),
        msg.body.type_number(),
        msg.nesting_depth(),
    );
    if let Some(alg) = &msg.header.protection_alg {
        if let Ok(params) = rcmp::fuzzing::protect::pbm::params_from_alg(alg) {
            pbm_check(&params, b"fuzz", &der);
        }
    }
}

/// Verification with given parameters: out-of-range iteration counts and oversized salts must be
/// refused before anything is computed.
pub fn pbm_check(params: &rcmp::fuzzing::asn1::PbmParameter, secret: &[u8], data: &[u8]) {
    use rcmp::fuzzing::protect::pbm;
    let res = pbm::verify(secret, params, data, &[0u8; 20]);
    let n = params.iteration_count;
    if !(pbm::MIN_ITERATIONS..=pbm::MAX_ITERATIONS).contains(&n) {
        assert!(res.is_err(), "iterationCount {n} accepted");
    }
    if params.salt.as_bytes().len() > pbm::MAX_SALT_LEN {
        assert!(res.is_err(), "salt of {} bytes accepted", params.salt.len());
    }
    // A MAC of 20 zero bytes is never right for a real key.
    if let Ok(mac) = pbm::protect(secret, params, data) {
        assert!(pbm::verify(secret, params, data, &mac).is_ok());
    }
}

/// PBMParameter from raw DER.
pub fn pbm_der(data: &[u8]) {
    if let Ok(p) = rcmp::fuzzing::asn1::PbmParameter::from_der(data) {
        pbm_check(&p, b"secret", data);
    }
}

/// PBMParameter with hostile values: any iteration count, salts up to 2 KiB, known and unknown
/// algorithm OIDs, parameters where none belong.
pub fn pbm_structured(data: &[u8]) {
    use rcmp::fuzzing::protect::pbm::{Mac, Owf};
    use spki::AlgorithmIdentifierOwned as Alg;
    let mut g = Gen::new(data);
    let owf_oids = [
        Owf::Sha256.oid(),
        Owf::Sha1.oid(),
        der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.2.5"),
        der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4"),
    ];
    let mac_oids = [
        Mac::HmacSha1.oid(),
        Mac::HmacSha256.oid(),
        der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.2.9"),
        der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4"),
    ];
    let iteration_count = match g.below(6) {
        0 => g.i64(),
        1 => i64::from(g.u32()),
        2 => g.pick(&[
            i64::MAX,
            i64::MIN,
            0,
            -1,
            99,
            100,
            100_000,
            100_001,
            1 << 31,
        ]),
        _ => 100 + g.below(400) as i64,
    };
    let salt_len = match g.below(4) {
        0 => g.below(2048),
        1 => g.pick(&[0, 1024, 1025]),
        _ => g.below(32),
    };
    let params_any = if g.below(4) == 0 {
        Some(der::Any::new(der::Tag::Null, Vec::new()).expect("NULL"))
    } else {
        None
    };
    let params = rcmp::fuzzing::asn1::PbmParameter {
        salt: der::asn1::OctetString::new(vec![0x5a; salt_len]).expect("salt"),
        owf: Alg {
            oid: g.pick(&owf_oids),
            parameters: params_any.clone(),
        },
        iteration_count,
        mac: Alg {
            oid: g.pick(&mac_oids),
            parameters: params_any,
        },
    };
    let secret = g.bytes(32);
    let msg = g.bytes(64);
    pbm_check(&params, &secret, &msg);
    // The same parameters as they arrive in a protectionAlg.
    if let Ok(alg) = rcmp::fuzzing::protect::pbm::algorithm_identifier(&params) {
        if let Ok(p) = rcmp::fuzzing::protect::pbm::params_from_alg(&alg) {
            assert_eq!(p, params, "PBMParameter changes in a round trip");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. HTTP framing

/// The client reading a response.
pub fn http_response(data: &[u8]) {
    use rcmp::fuzzing::transfer::http;
    let mut r = http::MsgReader::new(data);
    if let Ok(resp) = http::read_response(&mut r, http::MAX_RESPONSE_LEN) {
        assert!(resp.body.len() <= http::MAX_RESPONSE_LEN);
        assert_eq!(resp.body.first(), Some(&0x30), "body is not a DER SEQUENCE");
    }
    if let Some(line) = data.split(|&b| b == b'\n').next() {
        let _ = http::parse_status_line(&http::line_text(line));
    }
    let _ = http::der_total_len(data);
}

/// The mock server reading a request.
pub fn http_request(data: &[u8]) {
    use rcmp::fuzzing::transfer::http;
    const MAX_BODY: usize = 4096;
    let mut r = http::MsgReader::new(data);
    if let Ok(req) = http::read_request(&mut r, MAX_BODY) {
        assert!(req.body.len() <= MAX_BODY);
        let _ = (req.first_line, req.path, req.keep_alive);
    }
}

/// A proxy's answer to CONNECT: the bytes are what the proxy sends; what we send is dropped.
pub fn proxy_connect(data: &[u8]) {
    struct Peer<'a>(&'a [u8]);
    impl std::io::Read for Peer<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }
    impl std::io::Write for Peer<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut peer = Peer(data);
    if let Ok(rest) = rcmp::fuzzing::transfer::proxy::tunnel(&mut peer, "ca.example", "443") {
        assert!(
            rest.len() <= data.len(),
            "tunnel returned bytes it never read"
        );
    }
}

/// Responses and requests with plausible heads: status lines, the headers that matter, bodies sized
/// by Content-Length, by their DER length or in chunks, with lengths that disagree or overflow.
pub fn http_text(data: &[u8]) -> Vec<u8> {
    let mut g = Gen::new(data);
    let mut out = Vec::new();
    let first = g.pick(&[
        "HTTP/1.0 200 OK",
        "HTTP/1.1 200 OK",
        "HTTP/1.1 200",
        "HTTP/1.0 301 Moved",
        "HTTP/1.0 404 Not Found",
        "HTTP/2 200 OK",
        "HTTP/1.0 99999999999 x",
        "HTTP/1.0 -1 x",
        "POST / HTTP/1.0",
        "POST /pkix/ HTTP/1.1",
        "POST http://a/pkix/ HTTP/1.0",
        "GET / HTTP/1.0",
        "POST",
        "",
        "POST //// HTTP/1.0",
    ]);
    out.extend_from_slice(first.as_bytes());
    out.extend_from_slice(b"\r\n");
    let headers = g.below(8);
    for _ in 0..headers {
        let h = match g.below(10) {
            0 => "Content-Type: application/pkixcmp".to_string(),
            1 => "content-type: Application/PKIXCMP; charset=x".to_string(),
            2 => format!("Content-Length: {}", g.pick(NUMBERS)),
            3 => format!("Content-Length: {}", g.below(300)),
            4 => "Transfer-Encoding: chunked".to_string(),
            5 => format!("Connection: {}", g.pick(&["keep-alive", "close", "x"])),
            6 => "Location: http://x/".to_string(),
            7 => g.word(b"ab:; -\t", 12),
            _ => "Content-Type: text/plain".to_string(),
        };
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(g.pick(&[&b"\r\n"[..], b"\n", b"\r\n"]));
    }
    out.extend_from_slice(b"\r\n");
    match g.below(4) {
        0 => {
            // Chunks, sizes in hex, possibly absurd.
            let chunks = g.below(4);
            for _ in 0..chunks {
                let size = match g.below(4) {
                    0 => g
                        .pick(&[
                            "ffffffffffffffff",
                            "10000000000000000",
                            "7fffffffffffffff",
                            "-1",
                            "",
                            "0;ext",
                            "zz",
                        ])
                        .to_string(),
                    _ => format!("{:x}", g.below(40)),
                };
                out.extend_from_slice(size.as_bytes());
                out.extend_from_slice(b"\r\n");
                let body = g.bytes(40);
                out.extend_from_slice(&body);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(g.pick(&[&b"0\r\n\r\n"[..], b"", b"0\r\n"]));
        }
        1 => {
            // A DER SEQUENCE header with a long-form length, then some content.
            out.push(0x30);
            let l = g.pick(&[
                &[0x80u8][..],
                &[0x81, 0x10],
                &[0x84, 0xff, 0xff, 0xff, 0xff],
                &[0x85, 1, 0, 0, 0, 0],
                &[0x82, 0x01, 0x00],
                &[0x05],
            ]);
            out.extend_from_slice(l);
            out.extend(g.bytes(64));
        }
        2 => {
            let n = g.below(60);
            out.push(0x30);
            out.push(n as u8);
            out.extend((0..n).map(|i| i as u8));
        }
        _ => out.extend(g.bytes(64)),
    }
    out
}

pub fn http_structured(data: &[u8]) {
    let text = http_text(data);
    http_response(&text);
    http_request(&text);
    proxy_connect(&text);
}

/// `-server`, `-proxy` and `-no_proxy` values.
pub fn url_text(s: &str) {
    use rcmp::fuzzing::transfer::url;
    if let Ok(u) = url::parse_url(s) {
        let _ = (
            u.request_path(),
            u.bare_host(),
            u.display(true),
            u.display(false),
        );
        let _ = u.contact_line(false, Some("proxy:8080"));
        let _ = url::no_proxy_matches(s, u.bare_host());
    }
    let _ = url::parse_server(s);
    let _ = url::parse_proxy(s);
}

pub fn url_bytes(data: &[u8]) {
    url_text(&String::from_utf8_lossy(data));
}

// ---------------------------------------------------------------------------------------------
// 6. x509v3 extension sections

const EXT_NAMES: &[&str] = &[
    "basicConstraints",
    "keyUsage",
    "extendedKeyUsage",
    "subjectAltName",
    "subjectKeyIdentifier",
    "authorityKeyIdentifier",
    "certificatePolicies",
    "nsComment",
    "issuerAltName",
    "1.2.3.4",
    "2.5.29.19",
    "unknownExt",
    "",
];
const EXT_VALUES: &[&str] = &[
    "critical,CA:TRUE",
    "CA:FALSE",
    "CA:true,pathlen:0",
    "pathlen:-1",
    "pathlen:99999999999999999999",
    "critical, digitalSignature, keyEncipherment",
    "nosuchusage",
    "serverAuth,clientAuth,1.3.6.1.5.5.7.3.9",
    "DNS:example.com,IP:127.0.0.1,IP:::1,email:a@b,URI:http://x/",
    "IP:1.2.3",
    "IP:999.1.1.1",
    "otherName:1.2.3;UTF8:x",
    "dirName:dir_sect",
    "@alt_sect",
    "@missing_sect",
    "@self",
    "RID:1.2.3",
    "email:copy",
    "hash",
    "none",
    "keyid,issuer",
    "1.2.3.4, @pol_sect",
    "ia5org,@pol_sect",
    "critical,",
    "critical",
    ",",
    "",
    "DER:01:02:ff",
    "DER:zz",
    "ASN1:UTF8String:x",
    "ASN1:SEQUENCE:seq_sect",
    ":",
    "DNS:",
    "\u{e9}",
];

/// An extension section (the value of `-reqexts` or `-policies`) and the sections it may refer to,
/// built from `data`; `@self` refers to the section itself (a loop).
pub fn ext_sections(data: &[u8]) -> Vec<(String, Vec<(String, String)>)> {
    let mut g = Gen::new(data);
    let names = ["exts", "alt_sect", "pol_sect", "dir_sect", "seq_sect"];
    let mut out = Vec::new();
    for s in names {
        let n = g.below(6);
        let mut entries = Vec::new();
        for _ in 0..n {
            let key = match s {
                "exts" => g.pick(EXT_NAMES).to_string(),
                "alt_sect" => g
                    .pick(&["DNS.1", "IP.1", "email.2", "URI", "x", "dirName"])
                    .into(),
                "pol_sect" => g
                    .pick(&["policyIdentifier", "CPS.1", "userNotice.1", "x"])
                    .into(),
                "dir_sect" => g.pick(&["CN", "O", "C", "nosuch", "1.2.3"]).into(),
                _ => g.pick(&["a", "b"]).into(),
            };
            let v = if g.below(3) == 0 {
                g.pick(&["1.2.3.4", "@alt_sect", "@exts", "x", "DE", "INTEGER:5"])
                    .to_string()
            } else {
                g.pick(EXT_VALUES).replace("@self", &format!("@{s}"))
            };
            entries.push((key, v));
        }
        out.push((s.to_string(), entries));
    }
    out
}

pub fn extconf_structured(data: &[u8]) {
    let spk = [0x04u8; 65];
    let sections = ext_sections(data);
    let lookup = |name: &str| {
        sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.clone())
    };
    for key in [None, Some(&spk[..])] {
        let ctx = rcmp::fuzzing::extconf::ExtCtx {
            sections: &lookup,
            subject_public_key: key,
        };
        if let Ok(exts) = rcmp::fuzzing::extconf::extensions_from_section("exts", &ctx) {
            for e in &exts {
                let der = e.to_der().expect("a built extension encodes");
                let back = x509_cert::ext::Extension::from_der(&der).expect("and decodes");
                assert_eq!(&back, e);
            }
        }
    }
}

/// `-sans` and `-policy_oids` values as typed on the command line.
pub fn ext_options_bytes(data: &[u8]) {
    ext_options(&String::from_utf8_lossy(data));
}

pub fn ext_options(s: &str) {
    if let Ok((_, names)) = rcmp::fuzzing::extconf::sans_option(s) {
        let _ = rcmp::fuzzing::extconf::san_extension(false, &names);
    }
    let _ = rcmp::fuzzing::extconf::policy_oids_extension(s, false);
}

// ---------------------------------------------------------------------------------------------

/// One harness: bytes in, panics on a violated property.
pub type Harness = fn(&[u8]);

/// Every harness by name: the names of the cargo-fuzz targets and of the folders of
/// `fixtures/fuzz/`, whose files are replayed through the harness of that name.
pub const TARGETS: &[(&str, Harness)] = &[
    ("nconf", nconf_bytes),
    ("nconf_structured", nconf_structured),
    ("opts", opts_bytes),
    ("opts_structured", opts_structured),
    ("opts_secret_value", opts_secret_value),
    ("dn", dn_bytes),
    ("dn_structured", dn_structured),
    ("creds", creds_bytes),
    ("cmp_message", cmp_message),
    ("pbm_der", pbm_der),
    ("pbm_structured", pbm_structured),
    ("http_response", http_response),
    ("http_request", http_request),
    ("http_structured", http_structured),
    ("proxy_connect", proxy_connect),
    ("url", url_bytes),
    ("extconf_structured", extconf_structured),
    ("ext_options", ext_options_bytes),
];
