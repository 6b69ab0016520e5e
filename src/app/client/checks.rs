//! The client's cross-option checks, in OpenSSL's order: pure functions of the options (and of the
//! config file already read), which load no file and contact nobody, so they can be tested alone.
//! What they have to say besides an error goes into [`Notes`], which the caller prints in order
//! (also before the error, as OpenSSL prints its warnings as it goes).

use std::time::Duration;

use crate::api::{CertRequest, Popo};
use crate::error::Error;
use crate::extconf::{self, ExtCtx};
use crate::log::{Level, Side};
use crate::opts::{self, Group, Kind, Opt, RawOpts, Stage, Value, CMD_VALUES};
use crate::output::Form;
use crate::Result;

/// The warnings and info lines a check gives, in order.
#[derive(Debug, Default)]
pub(super) struct Notes(Vec<(Level, String)>);

impl Notes {
    fn warn(&mut self, line: impl Into<String>) {
        self.0.push((Level::Warn, line.into()));
    }
    fn info(&mut self, line: impl Into<String>) {
        self.0.push((Level::Info, line.into()));
    }
    fn print(self) {
        for (level, line) in self.0 {
            crate::log::log(Side::Client, level, format_args!("{line}"));
        }
    }
}

/// Run a check and print its notes, also when it fails.
pub(super) fn noted<T>(check: impl FnOnce(&mut Notes) -> Result<T>) -> Result<T> {
    let mut notes = Notes::default();
    let result = check(&mut notes);
    notes.print();
    result
}

/// The transaction `-cmd` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cmd {
    Ir,
    Cr,
    Kur,
    P10cr,
    Rr,
    Genm,
}

/// How `-cmd` spells the command.
pub(super) fn cmd_name(cmd: Cmd) -> &'static str {
    match cmd {
        Cmd::Ir => "ir",
        Cmd::Cr => "cr",
        Cmd::Kur => "kur",
        Cmd::P10cr => "p10cr",
        Cmd::Rr => "rr",
        Cmd::Genm => "genm",
    }
}

fn is_enroll(cmd: Cmd) -> bool {
    matches!(cmd, Cmd::Ir | Cmd::Cr | Cmd::Kur)
}

fn v30() -> bool {
    crate::compat::is(crate::compat::Compat::V3_0)
}

/// Whether an option counts as given for an "is ignored" warning: a flag must be on, and a zero
/// `-days` asks for nothing.
fn given(raw: &RawOpts, opt: Opt) -> bool {
    match opt {
        Opt::Days => raw.int(opt).unwrap_or(0) != 0,
        // -1 is OpenSSL's "no reason given".
        Opt::Revreason => raw.int(opt).unwrap_or(-1) != -1,
        _ if opt.kind() == Kind::Flag => raw.flag(opt),
        _ => raw.is_set(opt),
    }
}

/// The "option is ignored" warnings of one stage of the set-up (see [`opts::IGNORED`]).
pub(super) fn ignored(raw: &RawOpts, stage: Stage, cmd: Cmd, notes: &mut Notes) {
    // -serial (which 3.0 lacks) makes -issuer part of an rr's target under every release.
    let rr_target = |o| o == Opt::Issuer && cmd == Cmd::Rr && raw.is_set(Opt::Serial);
    for line in opts::ignored_lines(stage, cmd_name(cmd), |o| given(raw, o) && !rr_target(o)) {
        notes.warn(line);
    }
}

/// OpenSSL 4.0 reminds that `-oldcert` outside kur and rr only names a reference certificate (it
/// still goes into the request; with genm the next warning says it is ignored).
pub(super) fn reference_oldcert(raw: &RawOpts, cmd: Cmd, notes: &mut Notes) {
    if crate::compat::is(crate::compat::Compat::V4_0)
        && raw.is_set(Opt::Oldcert)
        && !matches!(cmd, Cmd::Kur | Cmd::Rr)
    {
        notes.warn(format!(
            "{} option used only as reference cert",
            Opt::Oldcert
        ));
    }
}

/// Whether the imitated release ignores `opt` for `cmd` (after warning about it, see [`ignored`]).
pub(super) fn is_ignored(opt: Opt, cmd: Cmd) -> bool {
    opts::is_ignored(opt, cmd_name(cmd))
}

/// The DN given by `opt`, if any, parsed as OpenSSL's `parse_name` does.
pub(super) fn name_opt(raw: &RawOpts, opt: Opt, desc: &str) -> Result<Option<crate::api::Name>> {
    raw.str(opt)
        .map(|s| crate::api::Name::parse(s, desc).map_err(crate::api::Error::into_internal))
        .transpose()
}

/// The validation options (`-attime`, `-partial_chain`, ...) for the library API; a bad value is
/// reported in the words of the option parser.
pub(super) fn verify_options(raw: &RawOpts) -> Result<crate::api::VerifyOptions> {
    let mut o = crate::api::VerifyOptions::new();
    for (opt, value, _) in raw.iter() {
        if opt.group() != Group::Validation {
            continue;
        }
        let n;
        let value = match value {
            Value::Str(s) => Some(s.as_str()),
            Value::Int(0) => continue,
            Value::Int(_) if opt.kind() == Kind::Flag => None,
            Value::Int(i) => {
                n = i.to_string();
                Some(n.as_str())
            }
        };
        o = o
            .set(opt.name(), value)
            .map_err(crate::api::Error::into_internal)?;
    }
    Ok(o)
}

/// A serial number as OpenSSL's `s2i_ASN1_INTEGER` reads it (decimal, or hex after `0x`), as the
/// big-endian two's-complement content octets of the DER INTEGER.
pub(super) fn serial_number(s: &str) -> Option<Vec<u8>> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (radix, digits) = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => (16u32, hex),
        None => (10u32, digits),
    };
    if digits.is_empty() || digits.len() > 128 {
        return None;
    }
    // Magnitude as big-endian bytes, built digit by digit.
    let mut mag: Vec<u8> = vec![0];
    for c in digits.chars() {
        let mut carry = c.to_digit(radix)?;
        for b in mag.iter_mut().rev() {
            let v = u32::from(*b) * radix + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    while mag.len() > 1 && mag[0] == 0 {
        mag.remove(0);
    }
    if neg && mag != [0] {
        // Two's complement of the magnitude, with a sign byte if needed.
        let mut out: Vec<u8> = mag.iter().map(|b| !b).collect();
        for b in out.iter_mut().rev() {
            let (v, overflow) = b.overflowing_add(1);
            *b = v;
            if !overflow {
                break;
            }
        }
        if out[0] & 0x80 == 0 {
            out.insert(0, 0xff);
        }
        return Some(out);
    }
    if mag[0] & 0x80 != 0 {
        mag.insert(0, 0);
    }
    Some(mag)
}

/// The command to run (`transform_opts`).
pub(super) fn command(raw: &RawOpts) -> Result<Cmd> {
    Ok(match raw.str(Opt::Cmd) {
        None => return Err(cmp_err!("no cmp command to execute")),
        Some("ir") => Cmd::Ir,
        Some("cr") => Cmd::Cr,
        Some("kur") => Cmd::Kur,
        Some("p10cr") => Cmd::P10cr,
        Some("rr") => Cmd::Rr,
        Some("genm") => Cmd::Genm,
        Some(other) => {
            let known = CMD_VALUES.iter().copied();
            let hint =
                crate::opts::suggest::did_you_mean(other, known, |c| format!("{} {c}", Opt::Cmd))
                    .unwrap_or_else(|| {
                        format!("{} takes one of {}", Opt::Cmd, CMD_VALUES.join(", "))
                    });
            return Err(cmp_err!("unknown cmp command '{other}'").with_hint(hint));
        }
    })
}

/// The InfoType names nearest to a misspelt `-infotype`, else all of them.
pub(super) fn infotype_hint(name: &str) -> String {
    let names = crate::asn1::oid::INFO_TYPES
        .iter()
        .filter_map(|(_, n)| n.strip_prefix("id-it-"));
    let typed = name.strip_prefix("id-it-").unwrap_or(name);
    crate::opts::suggest::did_you_mean(typed, names.clone(), |n| format!("{} {n}", Opt::Infotype))
        .unwrap_or_else(|| {
            format!(
                "{} takes an InfoType name: {}",
                Opt::Infotype,
                names.collect::<Vec<_>>().join(", ")
            )
        })
}

pub(super) fn form(raw: &RawOpts, opt: Opt, default: Form, what: &str) -> Result<Form> {
    match raw.str(opt) {
        None => Ok(default),
        Some(s) => Form::parse(s).ok_or_else(|| cmp_err!("unknown option given for {what} format")),
    }
}

/// A -reqexts/-policies section that cannot be used: OpenSSL's app line, plus the library's reason
/// (stdout) when the section exists but its content is wrong.
pub(super) fn section_error<T>(what: &str, name: &str, section: Option<T>, e: Error) -> Error {
    match section {
        Some(_) => cmp_err!("cannot load {what} section '{name}'").because_of(&e),
        None => cmp_err!("cannot load {what} section '{name}'"),
    }
}

/// Change the request contents with one of their (by-value) setters.
pub(super) fn set(req: &mut CertRequest, f: impl FnOnce(CertRequest) -> CertRequest) {
    *req = f(std::mem::take(req));
}

/// The name option `opt`, checked as OpenSSL parses it, into the request contents.
fn set_name(
    raw: &RawOpts,
    opt: Opt,
    desc: &str,
    req: &mut CertRequest,
    put: fn(CertRequest, crate::api::Name) -> CertRequest,
) -> Result<()> {
    // Parsed once, here, where OpenSSL parses it: the request takes the parsed name, so that the
    // warnings of the parser (an unknown attribute type, say) are not printed again.
    if let Some(name) = name_opt(raw, opt, desc)? {
        set(req, |r| put(r, name));
    }
    Ok(())
}

/// The first part of `setup_request_ctx`, up to loading the new key: the cross-option checks and
/// "is ignored" warnings, the issuer and subject names and the revocation target. Sets the POPO
/// method (none with central key generation); returns whether the server is to generate the key.
pub(super) fn request(
    raw: &RawOpts,
    cmd: Cmd,
    req: &mut CertRequest,
    notes: &mut Notes,
) -> Result<bool> {
    let no_subject_source = [Opt::Subject, Opt::Csr, Opt::Oldcert, Opt::Cert]
        .iter()
        .all(|o| !raw.is_set(*o));
    if no_subject_source && !matches!(cmd, Cmd::Rr | Cmd::Genm) {
        notes.warn(format!(
            "no {} given; no {} or {} or {} available for fallback",
            Opt::Subject,
            Opt::Csr,
            Opt::Oldcert,
            Opt::Cert
        ));
    }
    // OpenSSL 3.5 parses -issuer first, for every command; 3.0 only for ir/cr/kur, after -subject.
    if !v30() {
        set_name(raw, Opt::Issuer, "issuer", req, CertRequest::issuer)?;
    }
    let popo = if is_enroll(cmd) {
        enrollment(raw, req, notes)?
    } else {
        other_command(raw, cmd, req, notes)?;
        raw.int(Opt::Popo)
    };
    if cmd == Cmd::Kur {
        update(raw, notes)?;
    }
    if cmd == Cmd::Rr {
        revocation(raw, req, notes)?;
    } else {
        ignored(raw, Stage::Revocation, cmd, notes);
    }
    if cmd == Cmd::P10cr && !raw.is_set(Opt::Csr) {
        return Err(cmp_err!("missing PKCS#10 CSR for p10cr"));
    }
    recipient_warning(raw, notes);
    ignored(raw, Stage::NewKey, cmd, notes);
    if let Some(p) = popo {
        // The option parser allows only -1..=2.
        let popo = match p {
            -1 => Popo::None,
            0 => Popo::RaVerified,
            2 => Popo::KeyEncipherment,
            _ => Popo::Signature,
        };
        set(req, |r| r.popo(popo));
    }
    let days = raw
        .int(Opt::Days)
        .unwrap_or(0)
        .clamp(0, i64::from(u32::MAX)) as u32;
    set(req, |r| r.days(days));
    // OpenSSL 3.0 has no central key generation: there -popo -1 just sends no POPO.
    Ok(popo == Some(-1) && !v30())
}

/// ir, cr and kur: where the key to certify comes from, central key generation, and where the new
/// certificate goes. Returns the POPO method.
fn enrollment(raw: &RawOpts, req: &mut CertRequest, notes: &mut Notes) -> Result<Option<i64>> {
    let mut popo = raw.int(Opt::Popo);
    let mut central = raw.flag(Opt::Centralkeygen);
    let key_sources = [Opt::Reqin, Opt::Newkey, Opt::Key, Opt::Csr, Opt::Oldcert];
    if !central && key_sources.iter().all(|o| !raw.is_set(*o)) {
        return Err(cmp_err!(
            "missing {} (or {}) to be certified and no {}, {}, {}, or {} option given, \
             which could provide fallback public key. Neither central key generation is requested.",
            Opt::Newkey,
            Opt::Key,
            Opt::Csr,
            Opt::Oldcert,
            Opt::Cert,
            Opt::Reqin
        ));
    }
    // OpenSSL 3.0 has no central key generation: there -popo -1 just sends no POPO.
    if popo == Some(-1) && !central && !v30() {
        notes.info(format!(
            "POPO is disabled, which implies {}",
            Opt::Centralkeygen
        ));
        central = true;
    }
    if central {
        if let Some(p) = popo.filter(|p| *p > -1) {
            return Err(cmp_err!(
                "{} value {p} is inconsistent with {}",
                Opt::Popo,
                Opt::Centralkeygen
            ));
        }
        if !raw.is_set(Opt::Newkeyout) {
            return Err(cmp_err!(
                "{} not given, nowhere to save centrally generated key",
                Opt::Newkeyout
            ));
        }
        popo = Some(-1);
    }
    if !raw.is_set(Opt::Newkey) && popo.unwrap_or(1) > 0 {
        popo_key(raw)?;
    }
    if !raw.is_set(Opt::Certout) && !raw.is_set(Opt::ReqoutOnly) {
        return Err(cmp_err!(
            "{} not given, nowhere to save newly enrolled certificate",
            Opt::Certout
        ));
    }
    set_name(raw, Opt::Subject, "subject", req, CertRequest::subject)?;
    if v30() {
        set_name(raw, Opt::Issuer, "issuer", req, CertRequest::issuer)?;
    }
    Ok(popo)
}

/// Without -newkey, a signature POPO needs the client key, and a CSR has no private key.
fn popo_key(raw: &RawOpts) -> Result<()> {
    if raw.is_set(Opt::Csr) {
        let extra = if raw.is_set(Opt::Key) {
            format!(", and {} option superseded by {}", Opt::Key, Opt::Csr)
        } else {
            String::new()
        };
        return Err(cmp_err!(
            "no {} option given with private key for POPO, {} option provides just public key{extra}",
            Opt::Newkey,
            Opt::Csr
        ));
    }
    if !raw.is_set(Opt::Key) {
        return Err(cmp_err!(
            "missing {} (or {}) option for key to be certified and for POPO",
            Opt::Newkey,
            Opt::Key
        ));
    }
    Ok(())
}

/// p10cr, rr and genm: the subject names the sender only, and the template options are ignored.
fn other_command(raw: &RawOpts, cmd: Cmd, req: &mut CertRequest, notes: &mut Notes) -> Result<()> {
    if raw.is_set(Opt::Subject) {
        if !raw.is_set(Opt::Ref) && !raw.is_set(Opt::Cert) {
            set_name(raw, Opt::Subject, "subject", req, CertRequest::subject)?;
        } else {
            let (r, c) = (Opt::Ref, Opt::Cert);
            let why = if v30() {
                format!("since {r} or {c} is given")
            } else {
                format!("since sender is taken from {r} or {c}")
            };
            notes.warn(format!(
                "{} option is ignored for commands other than 'ir', 'cr', and 'kur' {why}",
                Opt::Subject
            ));
        }
    }
    ignored(raw, Stage::Template, cmd, notes);
    ignored(raw, Stage::NewCert, cmd, notes);
    Ok(())
}

/// kur: the certificate to update.
fn update(raw: &RawOpts, notes: &mut Notes) -> Result<()> {
    let refcert = raw.str(Opt::Oldcert).or(raw.str(Opt::Cert));
    if refcert.is_none() && !raw.is_set(Opt::Csr) {
        return Err(cmp_err!(
            "missing {} for certificate to be updated and no {} given",
            Opt::Oldcert,
            Opt::Csr
        ));
    }
    if let Some(s) = raw.str(Opt::Subject) {
        notes.warn(format!(
            "given {} '{s}' overrides the subject of '{}' for KUR",
            Opt::Subject,
            refcert.or(raw.str(Opt::Csr)).unwrap_or("")
        ));
    }
    Ok(())
}

/// rr: the certificate to revoke, by -oldcert (or -csr) or by -issuer and -serial, and the reason.
fn revocation(raw: &RawOpts, req: &mut CertRequest, notes: &mut Notes) -> Result<()> {
    let (oldcert, csr) = (raw.is_set(Opt::Oldcert), raw.is_set(Opt::Csr));
    let serial = raw.is_set(Opt::Serial);
    // OpenSSL 3.0 has no -serial and ignores -issuer for rr (with a warning, see `ignored`);
    // given -serial, rcmp names the certificate by both under every release.
    let issuer = raw.is_set(Opt::Issuer) && (serial || !v30());
    if v30() && serial {
        set_name(raw, Opt::Issuer, "issuer", req, CertRequest::issuer)?;
    }
    if !issuer && !serial {
        if !oldcert && !csr {
            // 3.0 names only -oldcert: it cannot take the certificate by -issuer and -serial.
            return Err(if v30() {
                cmp_err!(
                    "missing {} for certificate to be revoked and no {} given",
                    Opt::Oldcert,
                    Opt::Csr
                )
            } else {
                cmp_err!(
                    "missing {} or {} and {} for certificate to be revoked and no {} given",
                    Opt::Oldcert,
                    Opt::Issuer,
                    Opt::Serial,
                    Opt::Csr
                )
            });
        }
        if oldcert && csr {
            notes.warn(format!(
                "ignoring {} since certificate to be revoked is given",
                Opt::Csr
            ));
        }
    } else {
        if !issuer || !serial {
            return Err(cmp_err!(
                "must give both {} and {} options or neither",
                Opt::Issuer,
                Opt::Serial
            ));
        }
        for (set, opt) in [(oldcert, Opt::Oldcert), (csr, Opt::Csr)] {
            if set {
                notes.warn(format!(
                    "Ignoring {opt} since {} and {} is given for command 'rr'",
                    Opt::Issuer,
                    Opt::Serial
                ));
            }
        }
    }
    if let Some(s) = raw.str(Opt::Serial) {
        let serial = serial_number(s).ok_or_else(|| {
            cmp_err!("cannot read serial number: '{s}'")
                .because("not a decimal or 0x-prefixed hexadecimal number")
        })?;
        set(req, |r| r.serial(serial));
    }
    // The option parser allows only -1..=10 (-1: no reason).
    if let Some(reason) = raw.int(Opt::Revreason).and_then(|n| u8::try_from(n).ok()) {
        set(req, |r| r.revocation_reason(reason));
    }
    Ok(())
}

/// Without any source for the recipient, OpenSSL sends the NULL-DN.
fn recipient_warning(raw: &RawOpts, notes: &mut Notes) {
    let sources = [
        Opt::Recipient,
        Opt::Srvcert,
        Opt::Issuer,
        Opt::Oldcert,
        Opt::Cert,
    ];
    if sources.iter().any(|o| raw.is_set(*o)) {
        return;
    }
    let which = if v30() {
        String::new()
    } else {
        format!(" for any requests not covered by {}", Opt::Reqin)
    };
    notes.warn(format!(
        "missing {}, {}, {}, {} or {}; recipient{which} will be set to \"NULL-DN\"",
        sources[0], sources[1], sources[2], sources[3], sources[4]
    ));
}

/// `-policies` and `-policy_oids` exclude each other.
pub(super) fn policies_conflict(raw: &RawOpts) -> Result<()> {
    if raw.is_set(Opt::Policies) && raw.is_set(Opt::PolicyOids) {
        return Err(cmp_err!(
            "cannot have policies both via {} and via {}",
            Opt::Policies,
            Opt::PolicyOids
        ));
    }
    Ok(())
}

/// The request extensions: `-reqexts` and `-policies` sections of the config file, `-sans`,
/// `-policy_oids`, and the flags that go with them.
pub(super) fn extensions(raw: &RawOpts, req: &mut CertRequest, notes: &mut Notes) -> Result<()> {
    let reqexts = config_extensions(raw)?;
    let reqexts_have_san = reqexts
        .iter()
        .any(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME);
    for e in reqexts {
        let (oid, critical) = (e.extn_id.to_string(), e.critical);
        set(req, |r| {
            r.extension(oid, critical, e.extn_value.into_bytes().into_vec())
        });
    }
    if reqexts_have_san && raw.is_set(Opt::Sans) {
        return Err(cmp_err!(
            "cannot have Subject Alternative Names both via {} and via {}",
            Opt::Reqexts,
            Opt::Sans
        ));
    }
    if let Some(s) = raw.str(Opt::Sans) {
        let (critical, names) = extconf::sans_option(s)?;
        for name in names {
            let der = der::Encode::to_der(&name)
                .map_err(|e| cmp_err!("cannot encode subject alternative name: {e}"))?;
            set(req, |r| r.san_der(der));
        }
        set(req, |r| r.san_critical(critical));
    }
    // OpenSSL names these two flags after its internal variables (`opt_...`).
    if raw.flag(Opt::SanNodefault) {
        if raw.is_set(Opt::Sans) {
            notes.warn(format!(
                "-opt_{} has no effect when {} is used",
                Opt::SanNodefault.name(),
                Opt::Sans
            ));
        }
        set(req, |r| r.no_default_sans(true));
    }
    if raw.flag(Opt::PolicyOidsCritical) {
        if !raw.is_set(Opt::PolicyOids) {
            notes.warn(format!(
                "-opt_{} has no effect unless {} is given",
                Opt::PolicyOidsCritical.name(),
                Opt::PolicyOids
            ));
        }
        set(req, |r| r.policies_critical(true));
    }
    if let Some(s) = raw.str(Opt::PolicyOids) {
        let mut oids = Vec::new();
        for item in crate::api::file_list(s) {
            let oid = der::asn1::ObjectIdentifier::new(item)
                .map_err(|_| cmp_err!("Invalid {} arg '{item}'", Opt::PolicyOids))?;
            oids.push(oid.to_string());
        }
        set(req, |r| r.policy_oids(oids));
    }
    Ok(())
}

/// The extensions of the `-reqexts` and `-policies` sections of the config file already read.
fn config_extensions(raw: &RawOpts) -> Result<Vec<x509_cert::ext::Extension>> {
    let mut all = Vec::new();
    if !raw.is_set(Opt::Reqexts) && !raw.is_set(Opt::Policies) {
        return Ok(all);
    }
    let conf = raw.conf();
    let lookup = |name: &str| {
        conf.and_then(|c| c.section(name))
            .map(<[(String, String)]>::to_vec)
    };
    let ectx = ExtCtx {
        sections: &lookup,
        subject_public_key: None,
    };
    for (opt, what) in [
        (Opt::Reqexts, "certificate request extension"),
        (Opt::Policies, "policy cert request extension"),
    ] {
        if let Some(s) = raw.str(opt) {
            let exts = extconf::extensions_from_section(s, &ectx)
                .map_err(|e| section_error(what, s, lookup(s), e))?;
            all.extend(exts);
        }
    }
    Ok(all)
}

/// Which of `-server`, `-use_mock_srv` and `-rspin` (or `-reqout_only`) is there to answer.
pub(super) fn peer_given(raw: &RawOpts) -> Result<()> {
    let others = [Opt::Rspin, Opt::Server, Opt::ReqoutOnly];
    if !raw.flag(Opt::UseMockSrv) && others.iter().all(|o| !raw.is_set(*o)) {
        return Err(cmp_err!(
            "missing {} or {} or {} option",
            Opt::Server,
            Opt::UseMockSrv,
            Opt::Rspin
        ));
    }
    Ok(())
}

/// The options that `-rspin` and `-reqout_only` make useless.
pub(super) fn peer_warnings(raw: &RawOpts, notes: &mut Notes) {
    if raw.is_set(Opt::Rspin) {
        for (set, opt) in [
            (raw.is_set(Opt::Server), Opt::Server),
            (raw.flag(Opt::UseMockSrv), Opt::UseMockSrv),
        ] {
            if set {
                notes.warn(format!(
                    "{opt} option is not used if enough filenames given for {}",
                    Opt::Rspin
                ));
            }
        }
    }
    if raw.is_set(Opt::ReqoutOnly) {
        // OpenSSL 4.0 also names -path (a server's path is of no use without one), after -server.
        let v40 = crate::compat::is(crate::compat::Compat::V4_0);
        for opt in [
            Opt::Server,
            Opt::Path,
            Opt::UseMockSrv,
            Opt::Reqout,
            Opt::Rspin,
            Opt::Rspout,
        ] {
            if raw.is_set(opt) && (v40 || opt != Opt::Path) {
                notes.warn(format!(
                    "{opt} option is ignored since {} option is given",
                    Opt::ReqoutOnly
                ));
            }
        }
        unused_proxy(raw, notes);
    }
}

/// The warnings for proxy options when no server is contacted. OpenSSL 4.0 first says that no
/// server will be contacted (and says it again where 3.5 prints its `will contact` line).
pub(super) fn unused_proxy(raw: &RawOpts, notes: &mut Notes) {
    if crate::compat::is(crate::compat::Compat::V4_0) {
        notes.info(NO_SERVER);
    }
    for opt in [Opt::Proxy, Opt::NoProxy] {
        if raw.is_set(opt) {
            notes.warn(format!(
                "ignoring {opt} option since {} is not given",
                Opt::Server
            ));
        }
    }
}

/// OpenSSL 4.0's info line when there is no server to contact.
pub(super) const NO_SERVER: &str = "will not contact any server";

/// `-keyform`: rcmp reads the key format from the file, but refuses what OpenSSL refuses.
pub(super) fn keyform(raw: &RawOpts) -> Result<()> {
    if let Some(k) = raw.str(Opt::Keyform) {
        if !matches!(
            k.to_ascii_uppercase().as_str(),
            "PEM" | "DER" | "P12" | "PKCS12"
        ) {
            return Err(cmp_err!("unknown option given for key loading format"));
        }
    }
    Ok(())
}

/// `-infotype`: the InfoType to ask for in a genm (warned about for the other commands).
pub(super) fn infotype(
    raw: &RawOpts,
    cmd: Cmd,
    notes: &mut Notes,
) -> Result<Option<der::asn1::ObjectIdentifier>> {
    let Some(name) = raw.str(Opt::Infotype) else {
        // OpenSSL 3.0 says nothing here.
        if cmd == Cmd::Genm && !v30() {
            notes.warn(format!("no {} option given for genm", Opt::Infotype));
        }
        return Ok(None);
    };
    if cmd != Cmd::Genm {
        ignored(raw, Stage::Infotype, cmd, notes);
        return Ok(None);
    }
    crate::asn1::oid::info_type_by_name(name)
        .filter(|_| !name.contains('.'))
        .map(Some)
        .ok_or_else(|| {
            cmp_err!("unknown OID name in {} option", Opt::Infotype).with_hint(infotype_hint(name))
        })
}

/// `-msg_timeout` and `-total_timeout`: the second must leave room for the first.
pub(super) fn total_timeout(raw: &RawOpts) -> Result<Option<Duration>> {
    let msg_timeout = raw.int(Opt::MsgTimeout).unwrap_or(-1);
    let total_timeout = raw.int(Opt::TotalTimeout).unwrap_or(-1);
    if total_timeout > 0 && msg_timeout > 0 && total_timeout < msg_timeout {
        return Err(cmp_err!(
            "{} argument = {total_timeout} must not be < {msg_timeout} ({})",
            Opt::TotalTimeout,
            Opt::MsgTimeout
        ));
    }
    Ok((total_timeout > 0).then(|| Duration::from_secs(total_timeout as u64)))
}

/// `-reqin` and `-reqin_new_tid` where they do nothing.
pub(super) fn reqin_warnings(raw: &RawOpts, notes: &mut Notes) {
    let (reqin, rspin) = (Opt::Reqin, Opt::Rspin);
    if raw.is_set(rspin) && raw.is_set(reqin) {
        notes.warn(format!("{reqin} is ignored since {rspin} is present"));
    }
    if raw.flag(Opt::ReqinNewTid) && !raw.is_set(reqin) {
        notes.warn(format!(
            "{} is ignored since {reqin} is not present",
            Opt::ReqinNewTid
        ));
    }
}

/// The first checks of `setup_protection_ctx`: how requests are protected and who sends them.
pub(super) fn protection(raw: &RawOpts) -> Result<()> {
    let (secret, key, cert) = (Opt::Secret, Opt::Key, Opt::Cert);
    if !raw.flag(Opt::UnprotectedRequests) && !raw.is_set(secret) && !raw.is_set(key) {
        return Err(cmp_err!(
            "must give {key} or {secret} unless {} is used",
            Opt::UnprotectedRequests
        ));
    }
    if !raw.is_set(Opt::Ref) && !raw.is_set(cert) && !raw.is_set(Opt::Subject) {
        return Err(cmp_err!(
            "must give {} if no {cert} and no {} given",
            Opt::Ref,
            Opt::Subject
        ));
    }
    if !raw.is_set(secret) && raw.is_set(cert) != raw.is_set(key) {
        return Err(cmp_err!(
            "must give both {cert} and {key} options or neither"
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::opts::Parsed;

    /// The options of a command line (no config file is read).
    pub(in crate::app::client) fn raw(args: &str) -> RawOpts {
        let mut all: Vec<std::ffi::OsString> = vec!["-config".into(), "".into()];
        all.extend(args.split_whitespace().map(Into::into));
        match crate::opts::parse(&all) {
            Ok(Parsed::Run(raw)) => raw,
            other => panic!("{args}: {other:?}"),
        }
    }

    /// The notes and the error (as text) of the request checks for a command line.
    fn request_notes(args: &str) -> (Vec<String>, Option<String>) {
        let raw = raw(args);
        let cmd = command(&raw).expect("a -cmd");
        let mut req = CertRequest::new();
        let mut notes = Notes::default();
        let err = request(&raw, cmd, &mut req, &mut notes).err();
        let lines = notes.0.into_iter().map(|(_, l)| l).collect();
        (lines, err.map(|e| e.to_string()))
    }

    #[test]
    fn template_options_are_ignored_for_rr_in_openssl_order() {
        let (notes, err) = request_notes(
            "-cmd rr -oldcert c.pem -popo 1 -sans a.example -reqexts x -days 0 -newkey k.pem \
             -implicit_confirm -certout o.pem -centralkeygen -serial 5",
        );
        assert_eq!(
            err.as_deref(),
            Some("must give both -issuer and -serial options or neither")
        );
        let other = "option is ignored for commands other than 'ir', 'cr', and 'kur'";
        assert_eq!(
            notes,
            [
                format!("-reqexts {other}"),
                format!("-sans {other}"),
                format!("-popo {other}"),
                format!("-popo -1 or -centralkeygen {other}"),
                format!("-implicit_confirm {other}, and 'p10cr'"),
                format!("-certout {other}, and 'p10cr'"),
            ]
        );
    }

    #[test]
    fn new_key_options_are_ignored_for_p10cr() {
        let (notes, err) = request_notes(
            "-cmd p10cr -csr r.pem -newkey k.pem -days 30 -out_trusted t.pem -serial 1 -ref r",
        );
        assert_eq!(err, None);
        let tail = "option is ignored for 'p10cr', 'rr', and 'genm' commands";
        assert_eq!(
            notes,
            [
                "Ignoring -serial for command other than 'rr'".to_string(),
                "missing -recipient, -srvcert, -issuer, -oldcert or -cert; recipient for any \
                 requests not covered by -reqin will be set to \"NULL-DN\""
                    .to_string(),
                format!("-newkey {tail}"),
                format!("-days {tail}"),
                format!("-out_trusted {tail}"),
            ]
        );
    }

    #[test]
    fn enrollment_needs_a_key_and_somewhere_to_put_the_certificate() {
        let (_, err) = request_notes("-cmd ir");
        assert!(err.is_some_and(|e| e.starts_with(
            "missing -newkey (or -key) to be certified and no -csr, -oldcert, -cert, or -reqin \
             option given, which could provide fallback public key."
        )));
        let (_, err) = request_notes("-cmd cr -key k.pem");
        assert_eq!(
            err.as_deref(),
            Some("-certout not given, nowhere to save newly enrolled certificate")
        );
        let (notes, err) = request_notes("-cmd ir -popo -1 -key k.pem -certout c.pem");
        assert_eq!(
            err.as_deref(),
            Some("-newkeyout not given, nowhere to save centrally generated key")
        );
        assert_eq!(
            notes,
            [
                "no -subject given; no -csr or -oldcert or -cert available for fallback",
                "POPO is disabled, which implies -centralkeygen"
            ]
        );
        let (_, err) = request_notes("-cmd kur -key k.pem -certout c.pem");
        assert_eq!(
            err.as_deref(),
            Some("missing -oldcert for certificate to be updated and no -csr given")
        );
    }

    #[test]
    fn serial_numbers_read_like_openssl() {
        assert_eq!(serial_number("0"), Some(vec![0]));
        assert_eq!(serial_number("255"), Some(vec![0, 0xff]));
        assert_eq!(serial_number("0x1234"), Some(vec![0x12, 0x34]));
        assert_eq!(serial_number("-1"), Some(vec![0xff]));
        assert_eq!(serial_number("-128"), Some(vec![0x80]));
        assert_eq!(serial_number("-129"), Some(vec![0xff, 0x7f]));
        assert_eq!(
            serial_number("12345678901234567890"),
            Some(vec![0, 0xab, 0x54, 0xa9, 0x8c, 0xeb, 0x1f, 0x0a, 0xd2])
        );
        assert_eq!(serial_number("12a"), None);
        assert_eq!(serial_number(""), None);
    }

    #[test]
    fn infotype_outside_genm_and_peer_options() {
        let mut notes = Notes::default();
        let raw =
            raw("-cmd ir -infotype caCerts -rspin a.der -server h -reqout_only r.der -proxy p");
        assert_eq!(infotype(&raw, Cmd::Ir, &mut notes).ok(), Some(None));
        peer_warnings(&raw, &mut notes);
        let lines: Vec<_> = notes.0.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            lines,
            [
                "-infotype option is ignored for commands other than 'genm'",
                "-server option is not used if enough filenames given for -rspin",
                "-server option is ignored since -reqout_only option is given",
                "-rspin option is ignored since -reqout_only option is given",
                "ignoring -proxy option since -server is not given",
            ]
        );
        let err = protection(&self::raw("-cmd ir"))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("must give -key or -secret unless -unprotected_requests is used")
        );
    }

    #[test]
    fn validation_options_reach_the_parameters() {
        let params = verify_options(&raw("-cmd ir -attime 1000 -partial_chain -verify_depth 3"))
            .expect("valid parameters");
        let params = params.params();
        assert_eq!(params.attime, Some(1000));
        assert!(params.partial_chain);
        assert_eq!(params.verify_depth, Some(3));
    }
}
