//! Finding and validating the signer of a signature-protected CMP message, as OpenSSL's cmp_vfy.c does:
//! candidates from extraCerts, then the untrusted certificates, then the trust store; a candidate must
//! be currently valid, have the sender's name as subject, the senderKID as subject key identifier (if
//! given), keyUsage digitalSignature (unless -ignore_keyusage), verify the message signature, and have a
//! valid path to the trust store. The first that passes is the signer.
//!
//! Like OpenSSL, the search runs quietly first; only when no candidate passes is it repeated with
//! every step logged, so that the log explains the failure.

use crate::log::hex_colon;
use x509_cert::name::Name;

use super::build::{time_ok, Node};
use super::info::KU_DIGITAL_SIGNATURE;
use super::names::{canon_name, oneline};
use super::{Cert, TrustStore};
use crate::error::{Error, Result};
use crate::log::{self, Level, Side};

/// What the message says about its signer.
pub struct SignerQuery<'a> {
    /// The header's sender (a directoryName).
    pub sender: &'a Name,
    /// The header's senderKID, if any.
    pub sender_kid: Option<&'a [u8]>,
    /// -ignore_keyusage: do not require keyUsage digitalSignature.
    pub ignore_keyusage: bool,
    /// Where log lines go (client: stdout/stderr; mock server: stderr).
    pub side: Side,
    /// No trust store was given at all: OpenSSL then says `no trusted store` where it would try the
    /// store's certificates.
    pub no_trust_store: bool,
    /// `-ta_in_ip_extracerts` on an ip: when no signer validates normally, try again with the
    /// self-issued extraCerts as the only trust anchors (3GPP TS 33.310), as OpenSSL 4.0 does.
    pub ta_in_ip: Option<TaInIp<'a>>,
    /// The signer that validated an earlier message of this transaction. As in OpenSSL, it is tried
    /// first and, if acceptable and its signature verifies, taken without validating its path again
    /// (which matters when it was validated in 3GPP mode, against the ip's extraCerts).
    pub previous: Option<&'a Cert>,
}

/// What the 3GPP mode needs besides the message: the newly enrolled certificate of the ip (certReqId
/// 0), which must validate against the same self-issued anchors as the signer, else the mode fails.
pub struct TaInIp<'a> {
    pub new_cert: Option<&'a Cert>,
}

struct Search<'a, 'f> {
    q: &'a SignerQuery<'a>,
    /// The trust store of the option (-trusted); its certificates are candidates in both modes.
    store: &'a TrustStore,
    /// In 3GPP mode: the self-issued extraCerts, the anchors for path validation.
    anchors_3gpp: Option<TrustStore>,
    /// extraCerts first, then the untrusted certificates: the intermediates for path validation.
    untrusted: Vec<Cert>,
    sig_ok: &'f mut dyn FnMut(&Cert) -> bool,
    logging: bool,
}

impl Search<'_, '_> {
    fn log(&self, level: Level, args: std::fmt::Arguments<'_>) {
        if self.logging {
            log::log(self.q.side, level, args);
        }
    }

    fn acceptable(&mut self, desc: &str, cert: &Cert, already: &[&[Cert]]) -> bool {
        let Ok(node) = Node::new(cert) else {
            self.log(Level::Warn, format_args!("cert appears to be invalid"));
            return false;
        };
        let x = &node.info;
        let tbs = x.x509().tbs_certificate();
        let si = if x.self_issued { "self-issued " } else { "" };
        self.log(
            Level::Info,
            format_args!(" considering {si}cert from {desc} with.."),
        );
        self.log(
            Level::Info,
            format_args!("  subject = {}", oneline(tbs.subject())),
        );
        if !x.self_issued {
            self.log(
                Level::Info,
                format_args!("  issuer  = {}", oneline(tbs.issuer())),
            );
        }
        if already.iter().any(|l| l.contains(cert)) {
            self.log(Level::Info, format_args!(" cert has already been checked"));
            return false;
        }
        let time = self.store.params.check_time();
        if !time_ok(x, time) {
            let expired = time.is_some_and(|t| x.not_before <= t);
            self.log(
                Level::Warn,
                format_args!(
                    "{}",
                    if expired {
                        "cert has expired"
                    } else {
                        "cert is not yet valid"
                    }
                ),
            );
            return false;
        }
        if canon_name(self.q.sender) != x.subject {
            self.log(
                Level::Info,
                format_args!(" actual name in cert subject = {}", oneline(tbs.subject())),
            );
            self.log(
                Level::Info,
                format_args!(" does not match sender field = {}", oneline(self.q.sender)),
            );
            return false;
        }
        self.log(
            Level::Info,
            format_args!(
                " cert subject matches sender field: {}",
                oneline(tbs.subject())
            ),
        );
        if let Some(kid) = self.q.sender_kid {
            match &x.ski {
                None => {
                    self.log(
                        Level::Warn,
                        format_args!("missing Subject Key Identifier in certificate"),
                    );
                    return false;
                }
                Some(ski) if ski.as_slice() != kid => {
                    self.log(
                        Level::Info,
                        format_args!(" cert Subject Key Identifier = {}", hex_colon(ski)),
                    );
                    self.log(
                        Level::Info,
                        format_args!(" does not match senderKID    = {}", hex_colon(kid)),
                    );
                    return false;
                }
                Some(ski) => {
                    self.log(
                        Level::Info,
                        format_args!(" subjectKID matches senderKID: {}", hex_colon(ski)),
                    );
                }
            }
        }
        let ku_ok = self.q.ignore_keyusage || !x.ku_reject(KU_DIGITAL_SIGNATURE);
        if !ku_ok || !(self.sig_ok)(cert) {
            self.log(
                Level::Warn,
                format_args!("msg signature verification failed"),
            );
            return false;
        }
        self.log(Level::Info, format_args!(" cert seems acceptable"));
        true
    }

    /// The client passes an empty store when it has no `-trusted` (caPubs are added only to a real
    /// one), so no certificate means no store: OpenSSL then skips path validation with `missing
    /// trust store` and ends the search with `no trusted store`.
    fn no_store(&self) -> bool {
        self.store.certs.is_empty()
    }

    fn path_ok(&self, cert: &Cert) -> bool {
        if let Some(anchors) = &self.anchors_3gpp {
            return self.path_ok_3gpp(anchors, cert);
        }
        if self.no_store() {
            self.log(Level::Err, format_args!("missing trust store"));
            self.log(
                Level::Warn,
                format_args!("msg signature validates but cert path validation failed"),
            );
            return false;
        }
        match self.store.verify_detailed(cert, &self.untrusted) {
            Ok(Ok(_)) => true,
            Ok(Err(f)) => {
                // OpenSSL's client reports a failed path validation against its trust store also
                // during its first, silent search: its app's verify callback prints it on stderr.
                if !self.logging && self.q.side == Side::Client && !self.q.no_trust_store {
                    log::app_error(format_args!("{f}"));
                }
                self.log(Level::Err, format_args!("{f}"));
                self.log(
                    Level::Warn,
                    format_args!("msg signature validates but cert path validation failed"),
                );
                false
            }
            Err(e) => {
                self.log(Level::Err, format_args!("{e}"));
                false
            }
        }
    }

    /// The signer must chain to a self-issued extraCert, and so must the newly enrolled certificate.
    fn path_ok_3gpp(&self, anchors: &TrustStore, cert: &Cert) -> bool {
        let valid = |c: &Cert| matches!(anchors.verify_detailed(c, &self.untrusted), Ok(Ok(_)));
        if !valid(cert) {
            self.log(
                Level::Warn,
                format_args!("also exceptional 3GPP mode cert path validation failed"),
            );
            return false;
        }
        let new_cert = self.q.ta_in_ip.as_ref().and_then(|t| t.new_cert);
        new_cert.is_some_and(valid)
    }

    fn try_list(
        &mut self,
        certs: &[Cert],
        desc: &str,
        already: &[&[Cert]],
        in_extra: bool,
    ) -> Option<Cert> {
        if certs.is_empty() {
            self.log(Level::Warn, format_args!("no {desc}"));
            return None;
        }
        let mut n_acceptable = 0;
        for c in certs {
            if !self.acceptable(desc, c, already) {
                continue;
            }
            n_acceptable += 1;
            if self.path_ok(c) {
                return Some(c.clone());
            }
        }
        if in_extra && n_acceptable == 0 {
            // OpenSSL reworded this warning after 3.0.
            let text = if crate::compat::get() == crate::compat::Compat::V3_0 {
                "no acceptable cert in extraCerts"
            } else {
                "no acceptable extraCerts"
            };
            self.log(Level::Warn, format_args!("{text}"));
        }
        None
    }

    fn run(&mut self, extra: &[Cert], untrusted: &[Cert]) -> Option<Cert> {
        if self.q.ta_in_ip.is_some() {
            self.log(
                Level::Info,
                format_args!("trying first normal mode using trust store"),
            );
        }
        self.anchors_3gpp = None;
        self.run_mode(extra, untrusted, "certs in trusted store")
            .or_else(|| self.run_3gpp(extra, untrusted))
    }

    /// OpenSSL's 3GPP mode: the same candidates, validated against the self-issued extraCerts.
    fn run_3gpp(&mut self, extra: &[Cert], untrusted: &[Cert]) -> Option<Cert> {
        self.q.ta_in_ip.as_ref()?;
        self.log(
            Level::Info,
            format_args!("normal mode failed; trying now 3GPP mode trusting extraCerts"),
        );
        let self_issued: Vec<Cert> = extra
            .iter()
            .filter(|c| Node::new(c).is_ok_and(|n| n.info.self_issued))
            .cloned()
            .collect();
        self.anchors_3gpp = Some(TrustStore::new(self_issued, self.store.params.clone()));
        let found = self.run_mode(extra, untrusted, "self-issued extraCerts");
        self.anchors_3gpp = None;
        found
    }

    fn run_mode(&mut self, extra: &[Cert], untrusted: &[Cert], trusted_desc: &str) -> Option<Cert> {
        if let Some(c) = self.try_list(extra, "extraCerts", &[], true) {
            return Some(c);
        }
        if let Some(c) = self.try_list(untrusted, "untrusted certs", &[extra], false) {
            return Some(c);
        }
        if self.no_store() {
            self.log(Level::Warn, format_args!("no trusted store"));
            return None;
        }
        // In the order OpenSSL's store keeps them, which its log shows.
        let trusted = store_order(&self.store.certs);
        self.try_list(&trusted, trusted_desc, &[extra, untrusted], false)
    }
}

/// The key by which OpenSSL's `X509_NAME_cmp` orders names: the length of the canonical encoding
/// (each RDN a SET of SEQUENCE { OID, UTF8String of the canonical value }), then its bytes.
/// The trusted certificates in the order OpenSSL lists its store. Up to 3.6 the store is a stack
/// sorted by subject. OpenSSL 4.0 keeps it in a hash table and lists it by bucket: the low three
/// bits of the 64-bit FNV-1a hash of the subject's canonical encoding, and within a bucket the
/// certificate added last first. That rule was found with the 4.0.3 binary on two stores of 9 and
/// 10 certificates (no bucket above 4 entries; how the table grows beyond that is not modelled).
fn store_order(certs: &[Cert]) -> Vec<Cert> {
    let mut keyed: Vec<(usize, &Cert)> = certs.iter().enumerate().collect();
    if crate::compat::get() == crate::compat::Compat::V4_0 {
        keyed.sort_by_cached_key(|(i, c)| {
            let bucket = fnv1a64(&openssl_name_order(c.subject()).1) & 7;
            (bucket, std::cmp::Reverse(*i))
        });
    } else {
        keyed.sort_by_cached_key(|(_, c)| openssl_name_order(c.subject()));
    }
    keyed.into_iter().map(|(_, c)| c.clone()).collect()
}

/// The 64-bit FNV-1a hash (OpenSSL 4.0's default hash for its internal hash tables).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn openssl_name_order(name: &Name) -> (usize, Vec<u8>) {
    use crate::creds::tlv;
    let mut out = Vec::new();
    for rdn in canon_name(name) {
        let mut set = Vec::new();
        for (oid, value) in rdn {
            let oid = der::asn1::ObjectIdentifier::new(&oid).map(|o| o.as_bytes().to_vec());
            let mut seq = tlv(0x06, &oid.unwrap_or_default());
            seq.extend(tlv(0x0c, &value));
            set.extend(tlv(0x30, &seq));
        }
        out.extend(tlv(0x31, &set));
    }
    (out.len(), out)
}

/// Find the signer certificate of a message among `extra_certs` (the message's extraCerts), `untrusted`
/// and the trust store, and validate its path against `store`. `sig_ok` verifies the message's
/// protection with a candidate's public key. Returns the signer.
pub fn find_and_validate_signer(
    q: &SignerQuery<'_>,
    extra_certs: &[Cert],
    untrusted: &[Cert],
    store: &TrustStore,
    sig_ok: &mut dyn FnMut(&Cert) -> bool,
) -> Result<Cert> {
    let all_untrusted = crate::creds::cert::distinct(extra_certs.iter().chain(untrusted));
    let mut s = Search {
        q,
        store,
        anchors_3gpp: None,
        untrusted: all_untrusted,
        sig_ok,
        logging: false,
    };
    if let Some(prev) = q.previous {
        if s.acceptable("previously validated", prev, &[]) {
            return Ok(prev.clone());
        }
    }
    if let Some(c) = s.run(extra_certs, untrusted) {
        return Ok(c);
    }
    let sname = oneline(q.sender);
    if log::enabled(Level::Info) {
        log::log(
            q.side,
            Level::Info,
            format_args!("trying to verify msg signature with a valid cert that.."),
        );
        log::log(
            q.side,
            Level::Info,
            format_args!("matches msg sender    = {sname}"),
        );
        match q.sender_kid {
            Some(kid) => log::log(
                q.side,
                Level::Info,
                format_args!("matches msg senderKID = {}", hex_colon(kid)),
            ),
            None => log::log(
                q.side,
                Level::Info,
                format_args!("while msg header does not contain senderKID"),
            ),
        }
        s.logging = true;
        let _ = s.run(extra_certs, untrusted);
    }
    let mut msg = format!("no suitable sender cert:for msg sender name = {sname}");
    if let Some(kid) = q.sender_kid {
        msg.push_str(&format!(" and for msg senderKID = {}", hex_colon(kid)));
    }
    Err(Error::cmp(msg))
}

#[cfg(test)]
mod tests_store_order {
    use super::fnv1a64;

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
