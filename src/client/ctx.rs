//! What one client transaction needs, already resolved: loaded certificates and keys, parsed names,
//! flags and numbers. The library API fills it (the command's options reach it that way); the client
//! only reads it.

use std::path::PathBuf;
use std::time::Duration;

use der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use zeroize::Zeroizing;

use super::wire::InfoTypeAndValue;
use crate::creds::{Cert, Csr, Digest, KeyOrPub, MacAlg, PrivateKey};
use crate::verify::TrustStore;

/// The transaction to run (`-cmd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Ir,
    Cr,
    Kur,
    P10cr,
    Rr,
    Genm,
}

/// `-reqin`, `-reqout`, `-rspin`, `-rspout` and friends: message files (one file per message, in order).
#[derive(Clone, Debug, Default)]
pub struct MsgFiles {
    /// `-reqin`: requests to send instead of the ones built here.
    pub reqin: Vec<PathBuf>,
    /// `-reqin_new_tid`: give requests read via `-reqin` a fresh transactionID (and re-protect them).
    pub reqin_new_tid: bool,
    /// `-reqout`: where to save the requests sent.
    pub reqout: Vec<PathBuf>,
    /// `-reqout_only`: save the first request there and stop.
    pub reqout_only: Option<PathBuf>,
    /// `-rspin`: responses to use instead of contacting the server (as long as there are enough).
    pub rspin: Vec<PathBuf>,
    /// `-rspout`: where to save the responses received.
    pub rspout: Vec<PathBuf>,
    /// The warning when `-rspin` runs out and a server takes over (None: there is none to take over).
    pub rspin_fallback: Option<String>,
}

/// Everything the client needs for one transaction. Field names follow the options.
pub struct Ctx {
    /// `-cmd`.
    pub cmd: Cmd,

    // ---- message transfer ----
    /// `-total_timeout` (None or zero: no limit). `-msg_timeout` is the transfer's business.
    pub total_timeout: Option<Duration>,
    /// `-reqin`, `-reqout`, `-rspin`, `-rspout`, `-reqin_new_tid`, `-reqout_only`.
    pub files: MsgFiles,

    // ---- server authentication ----
    /// `-recipient`; the recipient fallback chain is applied by the client.
    pub recipient: Option<Name>,
    /// `-expect_sender`; defaults to the subject of `-srvcert`.
    pub expect_sender: Option<Name>,
    /// `-srvcert`: pinned server certificate, trusted directly.
    pub srvcert: Option<Cert>,
    /// `-trusted` (with `-crls` and the verification options): anchors for the server's signer
    /// certificate. None: no trust store given.
    pub trusted: Option<TrustStore>,
    /// `-untrusted`: intermediate certificates (also used to build the chain of `-cert`).
    pub untrusted: Vec<Cert>,
    /// `-ignore_keyusage`.
    pub ignore_keyusage: bool,
    /// `-unprotected_errors`.
    pub unprotected_errors: bool,
    /// `-ta_in_ip_extracerts` (OpenSSL 4.0): self-issued extraCerts of an ip may serve as trust anchors.
    pub ta_in_ip_extracerts: bool,
    /// `-no_cache_extracerts`.
    pub no_cache_extracerts: bool,

    // ---- client authentication and protection ----
    /// `-ref`: senderKID for PBM.
    pub reference: Option<Vec<u8>>,
    /// `-secret`: PBM secret; wins over `-cert`/`-key` for protecting requests.
    pub secret: Option<Zeroizing<Vec<u8>>>,
    /// `-cert`: the client's current certificate.
    pub cert: Option<Cert>,
    /// `-key` does not match `-cert` (signature protection): OpenSSL notices only when protecting the
    /// first request, so the transaction fails there.
    pub cert_key_mismatch: bool,
    /// Chain of `-cert` (without `-cert` itself) as built by the caller, e.g. with `-own_trusted`;
    /// None: the client builds it from `-untrusted` without validation, as OpenSSL does by default.
    pub own_chain: Option<Vec<Cert>>,
    /// `-key`: the client's private key.
    pub key: Option<PrivateKey>,
    /// `-digest` (default SHA-256): for signatures, PBM's one-way function and POPO.
    pub digest: Digest,
    /// `-mac` (default hmac-sha1).
    pub mac: MacAlg,
    /// `-pbmac1`, `-pbm_iterations`, `-pbm_saltlen` (rcmp extensions for protection with `-secret`).
    pub mac_options: crate::protect::MacOptions,
    /// `-extracerts`.
    pub extracerts: Vec<Cert>,
    /// `-unprotected_requests`.
    pub unprotected_requests: bool,

    // ---- generic message options ----
    /// `-implicit_confirm`.
    pub implicit_confirm: bool,
    /// `-disable_confirm`.
    pub disable_confirm: bool,
    /// The generalInfo items of every request header (`-geninfo`, `-profile`).
    pub geninfo: Vec<InfoTypeAndValue>,

    // ---- certificate enrollment ----
    /// `-newkey`: the key to certify (private or just public).
    pub newkey: Option<KeyOrPub>,
    /// `-subject`.
    pub subject: Option<Name>,
    /// `-issuer`.
    pub issuer: Option<Name>,
    /// `-days` (0: not given).
    pub days: u32,
    /// Extensions from `-reqexts` (already converted from the config section).
    pub reqexts: Vec<Extension>,
    /// `-sans` (without the `critical` keyword; see [`crate::extconf::sans_option`]).
    pub sans: Vec<GeneralName>,
    /// `critical` given in `-sans`.
    pub san_critical: bool,
    /// `-san_nodefault`.
    pub san_nodefault: bool,
    /// `-policies` section converted to a certificatePolicies extension value by the caller, or
    /// `-policy_oids`.
    pub policy_oids: Vec<ObjectIdentifier>,
    /// `-policy_oids_critical`.
    pub policy_oids_critical: bool,
    /// `-popo` (-1..2, default 1).
    pub popo: i32,
    /// `-csr`.
    pub csr: Option<Csr>,
    /// `-out_trusted`: anchors to validate the newly enrolled certificate with. None: no check (OpenSSL
    /// then only builds an approximate chain).
    pub out_trusted: Option<TrustStore>,
    /// `-oldcert` (defaults to `-cert` for kur and rr).
    pub oldcert: Option<Cert>,
    /// `-revreason` (-1: none).
    pub revreason: i32,
    /// `-serial` (DER INTEGER content bytes) for rr together with `-issuer`.
    pub serial: Option<Vec<u8>>,

    // ---- genm ----
    /// ITAVs to send in genm (from `-infotype`; empty: an empty genm).
    pub genm_itavs: Vec<InfoTypeAndValue>,
}

impl Default for Ctx {
    fn default() -> Ctx {
        Ctx {
            cmd: Cmd::Ir,
            total_timeout: None,
            files: MsgFiles::default(),
            recipient: None,
            expect_sender: None,
            srvcert: None,
            trusted: None,
            untrusted: Vec::new(),
            ignore_keyusage: false,
            unprotected_errors: false,
            ta_in_ip_extracerts: false,
            no_cache_extracerts: false,
            reference: None,
            secret: None,
            cert: None,
            cert_key_mismatch: false,
            own_chain: None,
            key: None,
            digest: Digest::Sha256,
            mac: MacAlg::Hmac(Digest::Sha1),
            mac_options: crate::protect::MacOptions::default(),
            extracerts: Vec::new(),
            unprotected_requests: false,
            implicit_confirm: false,
            disable_confirm: false,
            geninfo: Vec::new(),
            newkey: None,
            subject: None,
            issuer: None,
            days: 0,
            reqexts: Vec::new(),
            sans: Vec::new(),
            san_critical: false,
            san_nodefault: false,
            policy_oids: Vec::new(),
            policy_oids_critical: false,
            popo: 1,
            csr: None,
            out_trusted: None,
            oldcert: None,
            revreason: -1,
            serial: None,
            genm_itavs: Vec::new(),
        }
    }
}

impl Ctx {
    /// The reference certificate for templates: `-oldcert`, else `-cert`.
    pub(crate) fn refcert(&self) -> Option<&Cert> {
        self.oldcert.as_ref().or(self.cert.as_ref())
    }

    /// Whether the request asks for central key generation: `-popo -1` does since OpenSSL 3.5; in
    /// OpenSSL 3.0 (`RCMP_COMPAT=3.0`) it only leaves the proof of possession out.
    pub fn central_keygen(&self) -> bool {
        self.popo < 0 && crate::compat::get() != crate::compat::Compat::V3_0
    }
}
