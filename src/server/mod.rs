//! The mock CA server: what `openssl cmp -port N` and `-use_mock_srv` answer.
//!
//! [`Server::handle`] takes one DER-encoded request PKIMessage and returns the DER response, doing what
//! OpenSSL's generic CMP server (request checks, transactions, polling, protection) and its mock
//! callbacks (fixed `-rsp_cert`, status, polling, error injection) do. The HTTP listener and the
//! option parsing live elsewhere: they build a [`SrvConfig`] of resolved values and call
//! [`Server::handle`] (or [`Server::respond`], which returns `None` for undecodable input so the
//! listener can answer HTTP 400 as OpenSSL does).
//!
//! Unlike OpenSSL's mock, which serves one transaction at a time, state is kept per transactionID, so
//! any number of clients may enroll at once (see `state`).
//!
//! Beyond OpenSSL: when no `-rsp_cert` is configured and `-srv_cert`/`-srv_key` form a CA (basic
//! constraints cA=TRUE, keyUsage allowing keyCertSign), the server issues a real certificate from each
//! request's template (see `ca`).
//!
//! # Releases
//! OpenSSL 3.0's and 3.5's mock servers differ; [`SrvConfig::compat`] says which one to imitate. It
//! comes from `RCMP_COMPAT` (see `crate::compat`), never from which options happen to be given:
//! - 3.0: kur's oldCertID and rr's certificate are checked against `-rsp_cert`; only ir/cr/p10cr/kur
//!   are delayed by polling; genm is answered by echoing its ITAVs; pvno must be 2.
//! - 3.5 (the default, and 4.0): kur/rr are checked against `-ref_cert` (anything is accepted without
//!   it); certConf, rr and genm are delayed by polling too (answered with `error`/waiting); genm with
//!   one ITAV gets a typed answer (caCerts, rootCaKeyUpdate, crls, certReqTemplate); cr's certProfile
//!   must be `profile1`; pvno 2 and 3 are accepted.

mod ca;
mod crypto;
mod mock;
mod msg;
mod process;
mod state;
#[cfg(test)]
mod tests_interop;

use std::sync::Mutex;

use zeroize::Zeroizing;

use crate::compat::Compat;

/// Resolved configuration of the mock server: files already loaded, pass phrases already read.
/// Certificates are DER; the private key is PKCS#8 DER. Field names follow the `openssl cmp` options.
#[derive(Default)]
pub struct SrvConfig {
    /// The OpenSSL release whose mock to imitate where releases differ (see the module header).
    pub compat: Compat,
    /// `-srv_ref`: senderKID for PBM-protected responses.
    pub srv_ref: Option<Vec<u8>>,
    /// `-srv_secret`: the PBM shared secret.
    pub srv_secret: Option<Zeroizing<Vec<u8>>>,
    /// `-srv_cert`: the server's certificate (its subject is the responses' sender).
    pub srv_cert: Option<Vec<u8>>,
    /// `-srv_key`: the server's private key (PKCS#8 DER).
    pub srv_key: Option<Zeroizing<Vec<u8>>>,
    /// `-srv_trusted`: trust anchors for signature-protected requests.
    pub srv_trusted: Vec<Vec<u8>>,
    /// `-srv_untrusted`: intermediate certificates for chains (own and clients').
    pub srv_untrusted: Vec<Vec<u8>>,
    /// `-ref_cert` (3.2+): certificate expected as kur oldCertID and rr target.
    pub ref_cert: Option<Vec<u8>>,
    /// `-rsp_cert`: certificate returned for ir/cr/p10cr/kur.
    pub rsp_cert: Option<Vec<u8>>,
    /// `-rsp_key` (3.5+): private key (PKCS#8 DER) returned, encrypted, for central key generation.
    pub rsp_key: Option<Zeroizing<Vec<u8>>>,
    /// `-rsp_extracerts`: added to extraCerts of certificate responses.
    pub rsp_extracerts: Vec<Vec<u8>>,
    /// `-rsp_capubs`: caPubs of ip (and caCerts of genp in 3.5).
    pub rsp_capubs: Vec<Vec<u8>>,
    /// `-rsp_crl` (3.4+): CRL (DER) for genm crlStatusList answers.
    pub rsp_crl: Option<Vec<u8>>,
    /// `-rsp_newwithnew` (3.2+): newWithNew of genm rootCaCert answers.
    pub rsp_newwithnew: Option<Vec<u8>>,
    /// `-rsp_newwithold` (3.2+).
    pub rsp_newwithold: Option<Vec<u8>>,
    /// `-rsp_oldwithnew` (3.2+).
    pub rsp_oldwithnew: Option<Vec<u8>>,
    /// `-poll_count`: how often the client must poll before getting the answer.
    pub poll_count: u32,
    /// `-check_after`: checkAfter value in pollRep.
    pub check_after: u32,
    /// `-grant_implicitconf`.
    pub grant_implicitconf: bool,
    /// `-pkistatus` (0..6).
    pub pkistatus: u8,
    /// `-failure` (0..26), if given.
    pub failure: Option<u8>,
    /// `-failurebits` (0..2^27-1); when nonzero it overrides `-failure`.
    pub failurebits: u32,
    /// `-statusstring`.
    pub statusstring: Option<String>,
    /// `-send_error`.
    pub send_error: bool,
    /// `-send_unprotected`.
    pub send_unprotected: bool,
    /// `-send_unprot_err`.
    pub send_unprot_err: bool,
    /// `-accept_unprotected`.
    pub accept_unprotected: bool,
    /// `-accept_unprot_err`.
    pub accept_unprot_err: bool,
    /// `-accept_raverified`.
    pub accept_raverified: bool,
    /// `-no_cache_extracerts` (3.3+): do not keep clients' extraCerts for later transactions.
    pub no_cache_extracerts: bool,
    /// `-no_check_time`: skip validity-period checks of certificates in client chains.
    pub no_check_time: bool,
    /// `-attime`: verification time (Unix seconds) instead of now.
    pub attime: Option<i64>,
}

impl SrvConfig {
    /// The failure bits to put into responses: `-failurebits` if nonzero, else `1 << -failure`.
    pub fn failure_info(&self) -> u32 {
        if self.failurebits != 0 {
            self.failurebits
        } else {
            self.failure.map_or(0, |b| 1u32 << b.min(26))
        }
    }
}

/// A response and whether it ends its transaction.
#[derive(Clone, Debug)]
pub struct Answer {
    pub der: Vec<u8>,
    pub transaction_ended: bool,
}

impl Answer {
    fn ended(der: Vec<u8>) -> Answer {
        Answer {
            der,
            transaction_ended: true,
        }
    }
}

/// A running mock server. Shareable between threads; each request is handled independently, with
/// per-transaction state locked only while it is read or stored.
pub struct Server {
    cfg: SrvConfig,
    signer: Option<crypto::Signer>,
    /// srv_cert plus the chain built from srv_untrusted (self-signed certs left out), for extraCerts.
    own_chain: Vec<Vec<u8>>,
    /// Whether srv_cert/srv_key may issue certificates (used when no rsp_cert is configured).
    is_ca: bool,
    txns: Mutex<state::Transactions>,
    /// extraCerts of earlier authenticated requests, usable as intermediates later (OpenSSL's server
    /// context accumulates them the same way unless -no_cache_extracerts is given).
    extra_cache: Mutex<std::collections::VecDeque<Vec<u8>>>,
    /// The client signer certificate validated last (in any transaction): like OpenSSL's server context,
    /// it is tried first for the next signed request and then needs no chain again.
    last_signer: Mutex<Option<Vec<u8>>>,
    /// Where responses are copied for the golden files (see [`RspDump`]).
    dump: Option<RspDump>,
}

/// Test hook behind `.ci/golden-mock`: with `RCMP_MOCK_RSPDUMP=DIR` every response is also written to
/// `DIR/<pid>-<n>.der` *before* it is sent, so a client wrapper that collects the folder after the
/// client exits has the row's complete sequence. Write errors are ignored: it must never change
/// what the server answers.
struct RspDump {
    dir: std::path::PathBuf,
    seq: std::sync::atomic::AtomicU64,
}

impl RspDump {
    fn from_env() -> Option<RspDump> {
        let dir = std::env::var_os("RCMP_MOCK_RSPDUMP").filter(|d| !d.is_empty())?;
        Some(RspDump {
            dir: dir.into(),
            seq: Default::default(),
        })
    }

    fn write(&self, der: &[u8]) {
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("{}-{n:06}.der", std::process::id());
        let _ = std::fs::write(self.dir.join(name), der);
    }
}

impl Server {
    /// The client signer certificate validated last, in any transaction.
    fn last_signer(&self) -> Option<Vec<u8>> {
        self.last_signer.lock().ok().and_then(|l| l.clone())
    }

    /// Answer one request (DER PKIMessage) with a DER response. Undecodable input gets an `error`
    /// message too.
    pub fn handle(&self, request_der: &[u8]) -> Vec<u8> {
        self.process(request_der, true)
            .map(|a| a.der)
            .unwrap_or_default()
    }

    /// The answer to `request_der`, `None` when it is not a decodable PKIMessage (OpenSSL's HTTP
    /// server answers such input with `400 Bad Request`); it also tells whether the transaction ended
    /// with this answer (the HTTP listener then closes a kept-alive connection, as OpenSSL does).
    pub fn answer(&self, request_der: &[u8]) -> Option<Answer> {
        self.process(request_der, false)
    }

    fn process(&self, request_der: &[u8], answer_garbage: bool) -> Option<Answer> {
        let a = process::handle(self, request_der, answer_garbage);
        if let (Some(d), Some(a)) = (&self.dump, &a) {
            d.write(&a.der);
        }
        a
    }

    /// The configuration this server runs with.
    pub fn config(&self) -> &SrvConfig {
        &self.cfg
    }
}
