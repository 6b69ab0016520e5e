//! `-cmd genm` with the info types OpenSSL 3.2+ supports specifically (`-infotype rootCaCert`,
//! `crlStatusList`, `certReqTemplate`): the options that go with them, the request ITAV, and the
//! result files (`-newwithnew`, `-newwithold`, `-oldwithnew`, `-crlout`, `-template`, `-keyspec`),
//! which are deleted when the server has nothing of their kind, as `openssl cmp` does.

use der::asn1::ObjectIdentifier;

use crate::api::{
    self, CertReqTemplate, Certificate, Client, Crl, GenmAnswer, GenmQuery, InfoItem, LoadOptions,
    RootCaUpdate,
};
use crate::asn1::oid;
use crate::opts::{Opt, RawOpts};
use crate::output::{Form, Outputs};
use crate::Result;

/// The warnings (and the one error line) of OpenSSL's set-up for options that only make sense with
/// one info type. OpenSSL logs the missing `-template` and carries on; saving then fails.
pub fn check_options(raw: &RawOpts, is_genm: bool, infotype: Option<ObjectIdentifier>) {
    let is = |t: ObjectIdentifier| is_genm && infotype == Some(t);
    if !is(oid::IT_ROOT_CA_CERT) {
        for opt in [
            Opt::Oldwithold,
            Opt::Newwithnew,
            Opt::Newwithold,
            Opt::Oldwithnew,
        ] {
            if raw.is_set(opt) {
                crate::warn!(
                    "{opt} option is ignored unless {} 'genm' and {} rootCaCert is given",
                    Opt::Cmd,
                    Opt::Infotype
                );
            }
        }
    }
    if !is(oid::IT_CERT_REQ_TEMPLATE) {
        for opt in [Opt::Template, Opt::Keyspec] {
            if raw.is_set(opt) {
                crate::warn!(
                    "{opt} option is ignored unless {} 'genm' and {} 'certReqTemplate' is given",
                    Opt::Cmd,
                    Opt::Infotype
                );
            }
        }
    } else if !raw.is_set(Opt::Template) {
        crate::log::app_error(format_args!(
            "missing {} option for genm with infotype certReqTemplate",
            Opt::Template
        ));
    }
}

fn load_cert(raw: &RawOpts, file: &str, desc: &str) -> Result<Certificate> {
    let opts = super::pass_opts(raw, Opt::Otherpass, desc)?;
    Certificate::load_first(file, &opts.description(desc))
        .map_err(|e| not_a_cmp_error(e.into_internal()))
}

/// OpenSSL loads the genm inputs after setting up the context, with its shared app code, which
/// reports a failure as a plain line on stderr (`Could not open file or uri for loading ...`), not
/// as a `CMP error:`; rcmp keeps its own wording, in the same place.
fn not_a_cmp_error(e: crate::error::Error) -> crate::error::Error {
    match e {
        e @ crate::error::Error::Cmp { .. } => crate::error::Error::Plain(e.lines().join(": ")),
        other => other,
    }
}

fn load_crl(file: &str, desc: &str) -> Result<Crl> {
    let opts = LoadOptions::new().description(desc);
    let mut crls = Crl::load_list(file, &opts).map_err(|e| not_a_cmp_error(e.into_internal()))?;
    if crls.is_empty() {
        return Err(crate::error::Error::Plain(format!(
            "cannot load {desc} from '{file}'"
        )));
    }
    Ok(crls.swap_remove(0))
}

/// How the crlStatusList inputs are described when loading them.
fn crl_status_desc(what: &str) -> String {
    format!("{what} for genm with {} crlStatusList", Opt::Infotype)
}

/// For an info type with specific support: check its options and load its inputs (as OpenSSL's
/// `do_genm` does before sending). Returns the question to ask; None for other info types.
pub fn prepare(raw: &RawOpts, infotype: ObjectIdentifier) -> Result<Option<GenmQuery>> {
    if infotype == oid::IT_ROOT_CA_CERT {
        if !raw.is_set(Opt::Newwithnew) {
            return Err(cmp_err!(
                "Missing {} option for {} rootCaCert",
                Opt::Newwithnew,
                Opt::Infotype
            ));
        }
        let old_with_old = match raw.str(Opt::Oldwithold) {
            None => {
                crate::warn!(
                    "No {} given, will use all certs given with {} as trust anchors for verifying the newWithNew cert",
                    Opt::Oldwithold,
                    Opt::Trusted
                );
                None
            }
            Some(f) => Some(load_cert(
                raw,
                f,
                &format!("OldWithOld cert for genm with {} rootCaCert", Opt::Infotype),
            )?),
        };
        return Ok(Some(GenmQuery::RootCaCert(old_with_old)));
    }
    if infotype == oid::IT_CRL_STATUS_LIST {
        if !raw.is_set(Opt::Oldcrl) && !raw.is_set(Opt::Crlcert) {
            return Err(cmp_err!(
                "Missing {} and no {} given for {} crlStatusList",
                Opt::Oldcrl,
                Opt::Crlcert,
                Opt::Infotype
            ));
        }
        if !raw.is_set(Opt::Crlout) {
            return Err(cmp_err!(
                "Missing {} for {} crlStatusList",
                Opt::Crlout,
                Opt::Infotype
            ));
        }
        let crlcert = raw
            .str(Opt::Crlcert)
            .map(|f| load_cert(raw, f, &crl_status_desc("Cert")))
            .transpose()?;
        let oldcrl = raw
            .str(Opt::Oldcrl)
            .map(|f| load_crl(f, &crl_status_desc("CRL")))
            .transpose()?;
        if let (Some(c), Some(l)) = (&crlcert, &oldcrl) {
            if !l.same_issuer_as(c) {
                crate::warn!("{} and {} have different issuer", Opt::Oldcrl, Opt::Crlcert);
            }
        }
        return Ok(Some(GenmQuery::CrlStatus {
            cert: crlcert,
            crl: oldcrl,
        }));
    }
    if infotype == oid::IT_CERT_REQ_TEMPLATE {
        return Ok(Some(GenmQuery::CertReqTemplate));
    }
    Ok(None)
}

/// `save_cert_or_delete`: stage `cert` for the file of `opt`, or the file's removal without one.
fn cert_or_delete(
    raw: &RawOpts,
    opt: Opt,
    cert: Option<&Certificate>,
    certform: Form,
    desc: &str,
    out: &mut Outputs,
) {
    let Some(path) = raw.str(opt) else {
        return;
    };
    match cert {
        Some(c) => out.certs(path, &[c.der()], certform, desc),
        None => out.delete(path, &format!("{desc} certificate")),
    }
}

/// Validate the genp of a genm with specific support (by the library API, which checks a root CA
/// update with `-trusted`) and stage its result files, logging as OpenSSL's `do_genm` does.
/// `items`: the genp's items.
pub fn stage(
    raw: &RawOpts,
    client: &Client,
    query: &GenmQuery,
    items: &[InfoItem],
    forms: (Form, Form),
    out: &mut Outputs,
) -> Result<()> {
    let (certform, crlform) = forms;
    let answer = client
        .genm_answer(query, items)
        .map_err(api::Error::into_internal)?;
    match answer {
        GenmAnswer::RootCaUpdate(upd) => {
            let old_with_old = match query {
                GenmQuery::RootCaCert(old) => old.as_ref(),
                _ => None,
            };
            stage_root_ca_update(raw, upd.as_ref(), old_with_old.is_some(), certform, out);
        }
        GenmAnswer::Crl(crl) => {
            const DESC: &str = "CRL from genp of type 'crls'";
            if crl.is_none() {
                crate::info!("no CRL update available");
            }
            if let Some(path) = raw.str(Opt::Crlout) {
                match &crl {
                    Some(c) => out.crl(path, c.der(), crlform, DESC),
                    None => out.delete(path, DESC),
                }
            }
        }
        GenmAnswer::CertReqTemplate(tmpl) => stage_template(raw, tmpl.as_ref(), out)?,
        // Not a plan of its own: the CA certificates are saved with the other result files.
        GenmAnswer::CaCerts(_) => {}
    }
    Ok(())
}

/// rootCaCert: the three certificates of the update, or their files' removal without one.
fn stage_root_ca_update(
    raw: &RawOpts,
    upd: Option<&RootCaUpdate>,
    old_with_old_given: bool,
    certform: Form,
    out: &mut Outputs,
) {
    match upd {
        None => crate::info!("no root CA certificate update available"),
        Some(u) if !old_with_old_given && u.old_with_new.is_some() => crate::warn!(
            "oldWithNew certificate received in genp for verifying oldWithOld, but oldWithOld was not provided"
        ),
        Some(_) => {}
    }
    let files = [
        (
            Opt::Newwithnew,
            upd.map(|u| &u.new_with_new),
            "NewWithNew cert from genp",
        ),
        (
            Opt::Newwithold,
            upd.and_then(|u| u.new_with_old.as_ref()),
            "NewWithOld cert from genp",
        ),
        (
            Opt::Oldwithnew,
            upd.and_then(|u| u.old_with_new.as_ref()),
            "OldWithNew cert from genp",
        ),
    ];
    for (opt, cert, desc) in files {
        cert_or_delete(raw, opt, cert, certform, desc, out);
    }
}

/// certReqTemplate: the template (`-template`) and key specifications (`-keyspec`), or their
/// files' removal without a template.
fn stage_template(raw: &RawOpts, tmpl: Option<&CertReqTemplate>, out: &mut Outputs) -> Result<()> {
    use crate::log::Level;
    let Some(tmpl) = tmpl else {
        crate::warn!("no certificate request template available");
        if let Some(p) = raw.str(Opt::Template) {
            out.delete(p, "certTemplate from genp");
        }
        if let Some(p) = raw.str(Opt::Keyspec) {
            out.delete(p, "keySpec from genp");
        }
        return Ok(());
    };
    let Some(path) = raw.str(Opt::Template) else {
        // OpenSSL tries to open no file: the system's reason goes to stdout.
        return Err(
            cmp_err!("error saving certTemplate from genp: cannot open file <NULL>")
                .because("system lib"),
        );
    };
    // As OpenSSL, each line comes once the file before it is written.
    out.raw(path, tmpl.template_der.clone());
    out.log_after(
        Level::Info,
        format!("stored certTemplate from genp to file '{path}'"),
    );
    let key_spec = tmpl
        .describe_key_spec()
        .map_err(api::Error::into_internal)?;
    out.log_after(Level::Info, key_spec);
    let Some(p) = raw.str(Opt::Keyspec) else {
        return Ok(());
    };
    match &tmpl.key_spec_der {
        None => {
            out.log_after(Level::Warn, "no key specifications available".into());
            out.delete(p, "keySpec from genp");
        }
        Some(k) => {
            out.raw(p, k.clone());
            out.log_after(
                Level::Info,
                format!("stored keySpec from genp to file '{p}'"),
            );
        }
    }
    Ok(())
}
