//! What a successful transaction leaves: the files it writes (staged, then committed together) and
//! the lines OpenSSL's app prints about the response.

use super::checks::Cmd;
use crate::api::{Certificate, PkiStatus, Response, Status};
use crate::opts::{Opt, RawOpts};
use crate::output::{Form, Outputs};
use crate::Result;

use super::super::pass_of;

/// Stage the files a successful transaction writes, in OpenSSL's order.
pub(super) fn stage_outputs(
    raw: &RawOpts,
    cmd: Cmd,
    outcome: &Response,
    ca_certs: Option<Vec<Certificate>>,
    certform: Form,
    out: &mut Outputs,
) {
    let ders = |certs: &[Certificate]| certs.iter().map(|c| c.der().to_vec()).collect::<Vec<_>>();
    let stage = |out: &mut Outputs, opt: Opt, certs: &[Vec<u8>], desc: &str| {
        if let Some(path) = raw.str(opt) {
            let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
            out.certs(path, &refs, certform, desc);
        }
    };
    if let Some(path) = raw.str(Opt::Srvcertout) {
        match &outcome.srv_cert {
            Some(c) => out.certs(path, &[c.der()], certform, "validated server"),
            None => out.delete(path, "validated server certificate"),
        }
    }
    stage(
        out,
        Opt::Extracertsout,
        &ders(&outcome.extra_certs),
        "extra",
    );
    if let Some(certs) = ca_certs {
        stage_ca_certs(raw, &ders(&certs), certform, out);
    }
    let Some(new_cert) = &outcome.cert else {
        return;
    };
    if !matches!(cmd, Cmd::Ir | Cmd::Cr | Cmd::Kur | Cmd::P10cr) {
        return;
    }
    let chain = ders(&outcome.chain);
    let new_cert = [new_cert.der().to_vec()];
    if crate::compat::is(crate::compat::Compat::V3_0) {
        // OpenSSL 3.0's order and wording (it has no certificate-and-chain file).
        stage(out, Opt::Cacertsout, &ders(&outcome.ca_pubs), "CA");
        stage(out, Opt::Certout, &new_cert, "enrolled");
        stage(out, Opt::Chainout, &chain, "chain");
        return;
    }
    match (raw.str(Opt::Certout), raw.str(Opt::Chainout)) {
        (Some(c), Some(ch)) if c == ch => {
            let all: Vec<Vec<u8>> = new_cert.into_iter().chain(chain).collect();
            stage(out, Opt::Chainout, &all, "newly enrolled cert and chain");
        }
        _ => {
            stage(out, Opt::Chainout, &chain, "chain");
            stage(out, Opt::Certout, &new_cert, "newly enrolled");
        }
    }
    stage(out, Opt::Cacertsout, &ders(&outcome.ca_pubs), "CA");
}

/// genm caCerts: save the CA certificates of the genp (`-cacertsout`).
fn stage_ca_certs(raw: &RawOpts, certs: &[Vec<u8>], certform: Form, out: &mut Outputs) {
    match raw.str(Opt::Cacertsout) {
        Some(path) if !certs.is_empty() => {
            let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
            out.certs(path, &refs, certform, "CA");
        }
        _ => crate::warn!("no CA certificates provided by server"),
    }
}

/// After a successful transaction, OpenSSL's app reports on stderr a status that is not plainly
/// `accepted` (grantedWithMods, revocationWarning, ...), naming the server as given.
pub(super) fn print_status(raw: &RawOpts, status: Option<&Status>) {
    let Some(si) = status else {
        return;
    };
    if si.status == PkiStatus::Accepted {
        return;
    }
    let from = raw
        .str(Opt::Server)
        .map(|s| format!(" from {s}"))
        .unwrap_or_default();
    crate::log::app_line(
        crate::log::Level::Warn,
        format_args!("received{from} {}", si.summary),
    );
}

/// Print the ITAVs of a genp as OpenSSL does.
pub(super) fn print_itavs(outcome: &Response) {
    if outcome.items.is_empty() {
        crate::info!("genp does not contain any ITAV");
    }
    for (i, itav) in outcome.items.iter().enumerate() {
        let name = der::asn1::ObjectIdentifier::new(&itav.info_type)
            .ok()
            .and_then(|oid| crate::asn1::oid::info_type_name(&oid))
            .map(str::to_string)
            .unwrap_or_else(|| itav.info_type.clone());
        crate::info!("ITAV #{} from genp infoType={}", i + 1, name);
    }
}

/// Central key generation: save the received private key to `-newkeyout` (PEM PKCS#8, encrypted with
/// `-newkeypass` if given), owner-only.
pub(super) fn stage_new_key(raw: &RawOpts, outcome: &Response, out: &mut Outputs) -> Result<()> {
    let Some(path) = raw.str(Opt::Newkeyout) else {
        return Ok(());
    };
    crate::info!("saving centrally generated key to file '{path}'");
    let key = outcome.new_key.as_ref().ok_or_else(|| {
        cmp_err!("cannot write centrally generated key to file '{path}': no key received")
    })?;
    let pass = pass_of(raw, Opt::Newkeypass, "centrally generated private key")?;
    let pem = match &pass {
        Some(p) => key
            .to_encrypted_pkcs8_pem(p.as_bytes())
            .map(String::into_bytes),
        None => key.to_pkcs8_pem().map(|p| p.as_bytes().to_vec()),
    };
    let pem = pem.map_err(crate::api::Error::into_internal)?;
    out.private_key(path, pem);
    Ok(())
}

/// The app's own line (stderr) when the generic genm got no usable genp; OpenSSL 3.0 has none.
pub(super) fn genm_failed_line() {
    if !crate::compat::is(crate::compat::Compat::V3_0) {
        crate::log::app_error(format_args!(
            "Did not receive response on genm or genp is not valid"
        ));
    }
}
