//! The CMP client of the library API: a context built with [`ClientBuilder`], and the transactions
//! of RFC 9810 section 5.3 run on it.

use std::path::PathBuf;
use std::time::Duration;

use der::asn1::ObjectIdentifier;
use zeroize::Zeroizing;

use super::cert::{Certificate, NameArg, PrivateKey};
use super::error::{Error, ErrorKind, Result, Status};
use super::genm::{GenmAnswer, GenmQuery};
use super::request::{CertRequest, Request, RequestKind};
use super::transport::{Adapter, HttpSettings, HttpTransport, KeepAlive, Transport};
use super::verify::VerifyOptions;
use crate::client::session::{self, Step};
use crate::client::{Ctx, Outcome};
use crate::verify::{TrustStore, VerifyParams};

/// How requests are protected (RFC 9810 section 5.1.3).
#[derive(Clone, Default)]
enum Protection {
    #[default]
    Missing,
    Unprotected,
    Mac {
        reference: Vec<u8>,
        secret: Zeroizing<Vec<u8>>,
        pbmac1: bool,
    },
    Signature {
        cert: Certificate,
        key: PrivateKey,
        chain: Vec<Certificate>,
    },
}

/// Builds a [`Client`]: where the server is, how to protect requests, whom to trust.
///
/// ```no_run
/// # fn main() -> rcmp::api::Result<()> {
/// use rcmp::api::Client;
/// let client = Client::builder()
///     .server("ca.example.com:8080")
///     .path("pkix/")
///     .pbm(b"my-reference", b"my-secret")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    http: HttpSettings,
    transport: Option<Box<dyn Transport>>,
    protection: Protection,
    trusted: Option<Vec<Certificate>>,
    recipient: Option<NameArg>,
    expect_sender: Option<NameArg>,
    out_trusted: Option<Vec<Certificate>>,
    /// The settings that need no checking, as the transaction reads them.
    ctx: Ctx,
    /// Missing protection is reported at the first request, not by [`ClientBuilder::build`].
    late_protection_check: bool,
}

impl ClientBuilder {
    /// The server as `host[:port][/path]` or an `http://` / `https://` URL (HTTPS implies TLS).
    /// Uses the built-in HTTP transport; [`ClientBuilder::transport`] replaces it.
    pub fn server(mut self, server: impl Into<String>) -> Self {
        self.http.server = Some(server.into());
        self
    }

    /// The HTTP path on the server (default: from the server URL, else `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.http.path = Some(path.into());
        self
    }

    /// An HTTP(S) proxy as `[http://]host[:port]`. Without it, the environment's
    /// `http_proxy`/`https_proxy` apply (`no_proxy` too), as for `openssl cmp`.
    pub fn proxy(mut self, proxy: impl Into<String>) -> Self {
        self.http.proxy = Some(proxy.into());
        self
    }

    /// Hosts to reach without the proxy (comma-separated).
    pub fn no_proxy(mut self, hosts: impl Into<String>) -> Self {
        self.http.no_proxy = Some(hosts.into());
        self
    }

    /// Use TLS also for a server given without `https://`.
    pub fn tls(mut self, on: bool) -> Self {
        self.http.tls = on;
        self
    }

    /// Trust anchors for the TLS server certificate. Without any, the TLS server is not
    /// authenticated (as with `openssl cmp -tls_used` without `-tls_trusted`): give them.
    pub fn tls_trusted(mut self, certs: Vec<Certificate>) -> Self {
        self.http.tls_trusted = certs.iter().map(|c| c.der().to_vec()).collect();
        self
    }

    /// The name the TLS server certificate must hold (default: the server's host).
    pub fn tls_host(mut self, host: impl Into<String>) -> Self {
        self.http.tls_host = Some(host.into());
        self
    }

    /// A TLS client certificate (first in `chain`, followed by what the server needs to build
    /// its path) and its key.
    pub fn tls_client(mut self, chain: Vec<Certificate>, key: PrivateKey) -> Self {
        self.http.tls_client = Some((chain, key));
        self
    }

    /// Whether HTTP connections stay open between the messages of a transaction (default:
    /// [`KeepAlive::Prefer`]).
    pub fn keep_alive(mut self, k: KeepAlive) -> Self {
        self.http.keep_alive = k;
        self
    }

    /// Make the built-in HTTP(S) transport from the settings given so far, to look at it before
    /// the client is built (e.g. its [`HttpTransport::contact_line`]); hand it back with
    /// [`ClientBuilder::transport`].
    pub fn http_transport(&self) -> Result<HttpTransport> {
        let server = self.http.server.as_deref().ok_or_else(|| {
            Error::new(ErrorKind::Config, "no server given for the HTTP transport")
        })?;
        HttpTransport::new(&self.http, server)
    }

    /// Time limit of each HTTP round trip.
    pub fn msg_timeout(mut self, t: Duration) -> Self {
        self.http.msg_timeout = Some(t);
        self
    }

    /// Time limit of a whole transaction, polling included.
    pub fn total_timeout(mut self, t: Duration) -> Self {
        self.ctx.total_timeout = Some(t);
        self
    }

    /// Send messages with this transport instead of HTTP.
    pub fn transport(mut self, t: impl Transport + 'static) -> Self {
        self.transport = Some(Box::new(t));
        self
    }

    /// Protect requests with a password-based MAC (PBM, RFC 4211 section 4.4) under a shared secret;
    /// `reference` is the senderKID that tells the server which secret.
    pub fn pbm(self, reference: &[u8], secret: &[u8]) -> Self {
        self.mac_protection(reference, secret, false)
    }

    /// Like [`ClientBuilder::pbm`] with PBMAC1 (RFC 9481 section 6.1.2, PBKDF2 with HMAC) instead.
    pub fn pbmac1(self, reference: &[u8], secret: &[u8]) -> Self {
        self.mac_protection(reference, secret, true)
    }

    fn mac_protection(mut self, reference: &[u8], secret: &[u8], pbmac1: bool) -> Self {
        self.protection = Protection::Mac {
            reference: reference.to_vec(),
            secret: Zeroizing::new(secret.to_vec()),
            pbmac1,
        };
        self
    }

    /// Protect requests with a signature by `key`, sending `cert` (and its chain, built from
    /// `chain` and [`ClientBuilder::untrusted`]) in extraCerts.
    pub fn signature(
        mut self,
        cert: Certificate,
        key: PrivateKey,
        chain: Vec<Certificate>,
    ) -> Self {
        self.protection = Protection::Signature { cert, key, chain };
        self
    }

    /// The shared secret for MAC-based protection, set on its own (the lower-level form of
    /// [`ClientBuilder::pbm`]). With a client key too, the secret protects the requests and the
    /// certificate still names the sender, as in `openssl cmp`.
    pub fn secret(mut self, secret: &[u8]) -> Self {
        self.ctx.secret = Some(Zeroizing::new(secret.to_vec()));
        self
    }

    /// The senderKID of MAC-protected requests (the reference value the server knows the secret
    /// by), set on its own.
    pub fn reference(mut self, reference: &[u8]) -> Self {
        self.ctx.reference = Some(reference.to_vec());
        self
    }

    /// The client's certificate, set on its own (the lower-level form of
    /// [`ClientBuilder::signature`]): it names the sender, and with [`ClientBuilder::client_key`]
    /// signs requests. `chain` is added to the untrusted certificates for building its chain.
    pub fn client_cert(mut self, cert: Certificate, chain: Vec<Certificate>) -> Self {
        self.ctx.untrusted.extend(chain.into_iter().map(|c| c.0));
        self.ctx.cert = Some(cert.0);
        self
    }

    /// The client's private key, set on its own; see [`ClientBuilder::client_cert`]. A key
    /// that does not match the certificate fails the first request, as in `openssl cmp`.
    pub fn client_key(mut self, key: PrivateKey) -> Self {
        self.ctx.key = Some(key.0);
        self
    }

    /// Send requests unprotected even though credentials are given (they still name the
    /// sender).
    pub fn unprotected_requests(mut self, on: bool) -> Self {
        self.ctx.unprotected_requests = on;
        self
    }

    /// The digest for signatures, PBM's one-way function and proof of possession, by name
    /// (e.g. `sha256`, the default).
    pub fn digest(mut self, name: &str) -> Result<Self> {
        self.ctx.digest = crate::creds::Digest::from_name(name)
            .map_err(|e| Error::config(digest_error(name, e)))?;
        Ok(self)
    }

    /// The MAC algorithm of PBM by name (e.g. `hmac-sha1`, the default).
    pub fn mac_algorithm(mut self, name: &str) -> Result<Self> {
        self.ctx.mac = crate::creds::MacAlg::from_name(name).map_err(Error::config)?;
        self.ctx.mac_options.mac_given = true;
        Ok(self)
    }

    /// Parameters of MAC-based protection: PBMAC1 instead of PBM, the iteration count and the
    /// salt length (None: the defaults). They are used as given; choose them within RFC 9481.
    pub fn mac_params(
        mut self,
        pbmac1: bool,
        iterations: Option<u32>,
        salt_len: Option<usize>,
    ) -> Self {
        let o = &mut self.ctx.mac_options;
        o.pbmac1 = pbmac1;
        o.iterations = iterations;
        o.salt_len = salt_len;
        self
    }

    /// Like [`Self::mac_params`], with the values as `openssl cmp`'s `-pbm_iterations` and
    /// `-pbm_saltlen` take them: out of the kind's range is an error (in those options' words).
    pub fn checked_mac_params(
        mut self,
        pbmac1: bool,
        iterations: Option<i64>,
        salt_len: Option<i64>,
    ) -> Result<Self> {
        let mac_given = self.ctx.mac_options.mac_given;
        let o = crate::protect::MacOptions::checked(pbmac1, iterations, salt_len, mac_given)
            .map_err(Error::config)?;
        self.ctx.mac_options = o;
        Ok(self)
    }

    /// With PBMAC1 chosen, whether the digest and MAC algorithm set suit it, so that a mistake is
    /// reported before anything is sent (PBM's are checked when a message is protected).
    pub fn check_pbmac1(&self) -> Result<()> {
        let o = &self.ctx.mac_options;
        if o.pbmac1 {
            o.fresh(self.ctx.digest, self.ctx.mac)
                .map_err(Error::config)?;
        }
        Ok(())
    }

    /// Send requests without protection (only for servers that accept that).
    pub fn unprotected(mut self) -> Self {
        self.protection = Protection::Unprotected;
        self
    }

    /// Trust anchors for the server's signing certificate.
    pub fn trusted(mut self, certs: Vec<Certificate>) -> Self {
        self.trusted = Some(certs);
        self
    }

    /// Like [`ClientBuilder::trusted`], validating with `opts`.
    pub fn trusted_with(mut self, certs: Vec<Certificate>, opts: &VerifyOptions) -> Self {
        self.trusted = None;
        self.ctx.trusted = Some(TrustStore::new(
            certs.into_iter().map(|c| c.0).collect(),
            opts.0.clone(),
        ));
        self
    }

    /// Like [`ClientBuilder::out_trusted`], validating with `opts` as OpenSSL does for new
    /// certificates (see [`VerifyOptions`]: time and revocation checks do not apply).
    pub fn out_trusted_with(mut self, certs: Vec<Certificate>, opts: &VerifyOptions) -> Self {
        self.out_trusted = None;
        self.ctx.out_trusted = Some(TrustStore::new(
            certs.into_iter().map(|c| c.0).collect(),
            opts.for_new_cert(),
        ));
        self
    }

    /// The server's certificate, trusted directly for signed responses (pinning).
    pub fn srvcert(mut self, cert: Certificate) -> Self {
        self.ctx.srvcert = Some(cert.0);
        self
    }

    /// Intermediate certificates for building chains (own and the server's). They come before
    /// the chain given with [`ClientBuilder::signature`].
    pub fn untrusted(mut self, certs: Vec<Certificate>) -> Self {
        self.ctx.untrusted = certs.into_iter().map(|c| c.0).collect();
        self
    }

    /// The recipient name of requests, e.g. `/CN=My CA` (default: derived from the certificates).
    pub fn recipient(mut self, name: impl Into<NameArg>) -> Self {
        self.recipient = Some(name.into());
        self
    }

    /// The sender name responses must carry.
    pub fn expect_sender(mut self, name: impl Into<NameArg>) -> Self {
        self.expect_sender = Some(name.into());
        self
    }

    /// Validate newly enrolled certificates against these anchors, refusing (in certConf) a
    /// certificate that does not validate.
    pub fn out_trusted(mut self, certs: Vec<Certificate>) -> Self {
        self.out_trusted = Some(certs);
        self
    }

    /// Ask for implicit confirmation: the server may skip certConf/pkiConf.
    pub fn implicit_confirm(mut self, on: bool) -> Self {
        self.ctx.implicit_confirm = on;
        self
    }

    /// Do not confirm new certificates at all (against RFC 9810; some servers want it).
    pub fn disable_confirm(mut self, on: bool) -> Self {
        self.ctx.disable_confirm = on;
        self
    }

    /// Accept negative responses (errors, rejections) without or with invalid protection.
    pub fn unprotected_errors(mut self, on: bool) -> Self {
        self.ctx.unprotected_errors = on;
        self
    }

    /// Let self-issued certificates in the extraCerts of an ip serve as trust anchors for
    /// validating the new certificate, unauthenticated (3GPP TS 33.310 Annex M).
    pub fn ta_in_ip_extracerts(mut self, on: bool) -> Self {
        self.ctx.ta_in_ip_extracerts = on;
        self
    }

    /// Accept a server signing certificate whose keyUsage lacks digitalSignature.
    pub fn ignore_keyusage(mut self, on: bool) -> Self {
        self.ctx.ignore_keyusage = on;
        self
    }

    /// Do not keep the extraCerts of responses for building chains later in the transaction.
    pub fn no_cache_extracerts(mut self, on: bool) -> Self {
        self.ctx.no_cache_extracerts = on;
        self
    }

    /// Read or save messages as files (see [`MessageFiles`]); the transaction still keeps the
    /// transactionID and nonces of responses read from files.
    pub fn message_files(mut self, f: MessageFiles) -> Self {
        self.ctx.files = crate::client::MsgFiles {
            reqin: f.reqin,
            reqin_new_tid: f.reqin_new_tid,
            reqout: f.reqout,
            reqout_only: f.reqout_only,
            rspin: f.rspin,
            rspout: f.rspout,
            rspin_fallback: f.rspin_fallback_warning,
        };
        self
    }

    /// Certificates to add to the extraCerts of every request (e.g. for the server's path
    /// building).
    pub fn extracerts(mut self, certs: Vec<Certificate>) -> Self {
        self.ctx.extracerts = certs.into_iter().map(|c| c.0).collect();
        self
    }

    /// The chain of the signing certificate (without it), already built and checked by the
    /// caller; sent as is instead of a chain built from the untrusted certificates.
    pub fn own_chain(mut self, chain: Vec<Certificate>) -> Self {
        self.ctx.own_chain = Some(chain.into_iter().map(|c| c.0).collect());
        self
    }

    /// Items for the generalInfo field of every request header (RFC 9810 section 5.1.1),
    /// e.g. a certificate profile.
    pub fn general_info(mut self, items: &[InfoItem]) -> Result<Self> {
        self.ctx.geninfo = items.iter().map(to_itav).collect::<Result<_>>()?;
        Ok(self)
    }

    /// Build the client even without any protection settings: a request that is to be protected
    /// then fails for want of credentials, as with `openssl cmp` (useful when requests come from
    /// files or responses need none).
    pub fn late_protection_check(mut self, on: bool) -> Self {
        self.late_protection_check = on;
        self
    }

    /// Check the settings and make the client.
    pub fn build(self) -> Result<Client> {
        let mut ctx = self.ctx;
        if matches!(self.protection, Protection::Missing) {
            lower_level_protection(&mut ctx, self.late_protection_check)?;
        } else {
            apply_protection(&mut ctx, &self.protection)?;
        }
        if self.recipient.is_some() {
            ctx.recipient = NameArg::resolve_opt(&self.recipient, "recipient")?;
        }
        if self.expect_sender.is_some() {
            ctx.expect_sender = NameArg::resolve_opt(&self.expect_sender, "expected sender")?;
        }
        if let Some(t) = self.trusted {
            ctx.trusted = Some(store(t));
        }
        if let Some(t) = self.out_trusted {
            ctx.out_trusted = Some(store(t));
        }
        let transport: Box<dyn Transport> = match (self.transport, &self.http.server) {
            (Some(t), _) => t,
            (None, Some(server)) => Box::new(HttpTransport::new(&self.http, server)?),
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "no server and no transport given",
                ))
            }
        };
        Ok(Client {
            ctx,
            transfer: Adapter(transport),
        })
    }
}

fn store(certs: Vec<Certificate>) -> TrustStore {
    TrustStore::new(
        certs.into_iter().map(|c| c.0).collect(),
        VerifyParams::default(),
    )
}

/// Protection set with the lower-level methods (secret, client key, ...): as `openssl cmp`, a
/// key not matching the certificate is noted here and reported at the first request. `deferred`:
/// the transaction reports missing credentials (see [`ClientBuilder::late_protection_check`]).
fn lower_level_protection(ctx: &mut Ctx, deferred: bool) -> Result<()> {
    let given = ctx.secret.is_some() || ctx.key.is_some() || ctx.unprotected_requests;
    if !given && !deferred {
        return apply_protection(ctx, &Protection::Missing);
    }
    if let (Some(cert), Some(key)) = (&ctx.cert, &ctx.key) {
        ctx.cert_key_mismatch = ctx.secret.is_none() && !key.matches_cert(cert);
    }
    Ok(())
}

fn apply_protection(ctx: &mut Ctx, p: &Protection) -> Result<()> {
    match p {
        Protection::Missing => {
            return Err(Error::new(
                ErrorKind::Config,
                "no protection given: use pbm, pbmac1, signature or unprotected",
            ))
        }
        Protection::Unprotected => ctx.unprotected_requests = true,
        Protection::Mac {
            reference,
            secret,
            pbmac1,
        } => {
            ctx.reference = Some(reference.clone());
            ctx.secret = Some(secret.clone());
            ctx.mac_options.pbmac1 = *pbmac1;
        }
        Protection::Signature { cert, key, chain } => {
            ctx.cert_key_mismatch = !key.matches(cert);
            ctx.cert = Some(cert.0.clone());
            ctx.key = Some(key.0.clone());
            ctx.untrusted.extend(chain.iter().map(|c| c.0.clone()));
        }
    }
    Ok(())
}

/// Messages read from or saved to files instead of (or besides) the exchange with the server,
/// one DER PKIMessage per file, the n-th file for the n-th message of a transaction (as the
/// `-reqin`, `-reqout`, `-rspin`, `-rspout` options of `openssl cmp`).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct MessageFiles {
    /// Requests to send instead of the ones the client builds.
    pub reqin: Vec<PathBuf>,
    /// Give requests read from `reqin` a fresh transactionID (and protect them again).
    pub reqin_new_tid: bool,
    /// Where to save the requests sent.
    pub reqout: Vec<PathBuf>,
    /// Save the first request here and send nothing: the transaction ends without a response.
    pub reqout_only: Option<PathBuf>,
    /// Responses to take instead of asking the server, as long as there are enough of them.
    pub rspin: Vec<PathBuf>,
    /// Where to save the responses received.
    pub rspout: Vec<PathBuf>,
    /// The warning logged when `rspin` runs out and the transport takes over; none: no warning.
    pub rspin_fallback_warning: Option<String>,
}

/// A newly enrolled certificate and what came with it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Enrollment {
    /// The new certificate.
    pub cert: Certificate,
    /// Its chain (without itself and the trust anchor), validated with
    /// [`ClientBuilder::out_trusted`] or else built from the certificates received.
    pub chain: Vec<Certificate>,
    /// The CA certificates the server sent in caPubs.
    pub ca_pubs: Vec<Certificate>,
    /// The extraCerts of the last response.
    pub extra_certs: Vec<Certificate>,
    /// The server's status for the request (accepted, grantedWithMods, ...).
    pub status: Status,
    /// The private key the server generated for the new certificate (central key generation).
    pub new_key: Option<PrivateKey>,
    /// The server certificate that the signed responses were validated with (none under MAC).
    pub srv_cert: Option<Certificate>,
}

/// The result of a revocation request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Revocation {
    /// The server's status (accepted, or a revocation warning/notification).
    pub status: Status,
    /// The extraCerts of the response.
    pub extra_certs: Vec<Certificate>,
    /// The server certificate that the signed response was validated with (none under MAC).
    pub srv_cert: Option<Certificate>,
}

/// Everything a transaction brought back, whatever its type: the union of [`Enrollment`],
/// [`Revocation`] and a genp, each part empty where the transaction has none.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Response {
    /// The newly enrolled certificate (ir, cr, kur, p10cr).
    pub cert: Option<Certificate>,
    /// Its chain, as in [`Enrollment::chain`].
    pub chain: Vec<Certificate>,
    /// The CA certificates of caPubs.
    pub ca_pubs: Vec<Certificate>,
    /// The extraCerts of the last response that had them.
    pub extra_certs: Vec<Certificate>,
    /// The server certificate that the signed responses were validated with.
    pub srv_cert: Option<Certificate>,
    /// The items of the genp (genm).
    pub items: Vec<InfoItem>,
    /// The last status the server sent; none when no response held one (e.g. a genp).
    pub status: Option<Status>,
    /// The private key generated by the server (central key generation).
    pub new_key: Option<PrivateKey>,
}

/// One InfoTypeAndValue of a general message (RFC 9810 section 5.3.19).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoItem {
    /// The infoType OID in dotted form, e.g. `1.3.6.1.5.5.7.4.17` (id-it-caCerts).
    pub info_type: String,
    /// The DER of infoValue, if present.
    pub value: Option<Vec<u8>>,
}

impl InfoItem {
    /// The certProfile item (RFC 9483 section 4.1.1) naming the certificate profile to issue
    /// with, for [`ClientBuilder::general_info`].
    pub fn cert_profile(name: &str) -> Result<InfoItem> {
        let value: crate::asn1::itav::CertProfileValue = vec![name.to_string()];
        let der = der::Encode::to_der(&value)
            .map_err(|e| Error::new(ErrorKind::Config, format!("bad profile name: {e}")))?;
        Ok(InfoItem {
            info_type: crate::asn1::oid::IT_CERT_PROFILE.to_string(),
            value: Some(der),
        })
    }
}

/// Where a certificate request driven with [`CertReqTransaction::step`] stands.
#[derive(Clone, Debug)]
pub enum Progress {
    /// The server is not done yet: call [`CertReqTransaction::step`] again after this long.
    Pending(Duration),
    /// The transaction is over.
    Done(Box<Enrollment>),
}

/// A CMP client: one context (server, credentials, trust) on which transactions run one at a time.
pub struct Client {
    ctx: Ctx,
    transfer: Adapter,
}

impl Client {
    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Initialization request (ir): waits (sleeping) while the server asks to poll.
    pub fn ir(&mut self, req: &CertRequest) -> Result<Enrollment> {
        self.exec_certreq(RequestKind::Ir, req)
    }

    /// Certification request (cr).
    pub fn cr(&mut self, req: &CertRequest) -> Result<Enrollment> {
        self.exec_certreq(RequestKind::Cr, req)
    }

    /// Key update request (kur).
    pub fn kur(&mut self, req: &CertRequest) -> Result<Enrollment> {
        self.exec_certreq(RequestKind::Kur, req)
    }

    /// PKCS#10 certification request (p10cr) with the CSR set by [`CertRequest::csr`].
    pub fn p10cr(&mut self, req: &CertRequest) -> Result<Enrollment> {
        self.exec_certreq(RequestKind::P10cr, req)
    }

    /// Any certificate request, run to its end (as OpenSSL's `OSSL_CMP_exec_certreq`); polling
    /// sleeps the server's checkAfter between rounds.
    pub fn exec_certreq(&mut self, kind: RequestKind, req: &CertRequest) -> Result<Enrollment> {
        self.prepare_certreq(kind, req)?;
        let mut s = session::begin(&self.ctx, &mut self.transfer).map_err(Error::config)?;
        let r = s.enroll();
        s.finish();
        match r {
            Ok(()) => enrollment(s.take_outcome()),
            Err(e) => Err(Error::from_internal(e, s.outcome().status.as_ref())),
        }
    }

    /// Start a certificate request that the caller drives (as OpenSSL's `OSSL_CMP_try_certreq`):
    /// nothing is sent until the first [`CertReqTransaction::step`]. While the server delays the
    /// certificate response, each step polls once and hands the server's checkAfter back instead
    /// of sleeping. As in OpenSSL, a server that then also delays its answer to certConf is polled
    /// within that last step, sleeping its checkAfter (bounded by
    /// [`ClientBuilder::total_timeout`]).
    pub fn start_certreq(
        &mut self,
        kind: RequestKind,
        req: &CertRequest,
    ) -> Result<CertReqTransaction<'_>> {
        self.prepare_certreq(kind, req)?;
        let session = session::begin(&self.ctx, &mut self.transfer).map_err(Error::config)?;
        Ok(CertReqTransaction {
            session,
            over: false,
        })
    }

    /// Revocation request (rr) for `cert`, with a CRL reason code (RFC 5280 section 5.3.1) if given.
    pub fn rr(&mut self, cert: &Certificate, reason: Option<u8>) -> Result<Revocation> {
        let mut req = CertRequest::new().old_cert(cert.clone());
        if let Some(r) = reason {
            req = req.revocation_reason(r);
        }
        Request::Revoke(req).fill(&mut self.ctx)?;
        let mut s = session::begin(&self.ctx, &mut self.transfer).map_err(Error::config)?;
        let r = s.revoke();
        s.finish();
        match r {
            Ok(()) => {
                let o = s.take_outcome();
                Ok(Revocation {
                    status: status_of(&o),
                    extra_certs: wrap(o.extra_certs_in),
                    srv_cert: o.srv_cert.map(Certificate),
                })
            }
            Err(e) => Err(Error::from_internal(e, s.outcome().status.as_ref())),
        }
    }

    /// General message (genm) with these items (none: an empty genm); returns the items of the
    /// genp.
    pub fn genm(&mut self, items: &[InfoItem]) -> Result<Vec<InfoItem>> {
        Ok(self.genm_response(items)?.items)
    }

    /// Ask the server for its CA certificates (genm with id-it-caCerts, RFC 9810 section
    /// 5.3.19.15; OpenSSL's `OSSL_CMP_get1_caCerts`). An empty list when the server has none to
    /// offer; an error when its answer is not a well-formed `SEQUENCE OF CMPCertificate`.
    pub fn ca_certs(&mut self) -> Result<Vec<Certificate>> {
        let ca_certs = crate::asn1::oid::IT_CA_CERTS.to_string();
        let ask = InfoItem {
            info_type: ca_certs.clone(),
            value: None,
        };
        let answer = self.genm(&[ask])?;
        let Some(item) = answer.iter().find(|i| i.info_type == ca_certs) else {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the genp does not answer id-it-caCerts",
            ));
        };
        let Some(der) = &item.value else {
            return Ok(Vec::new());
        };
        let certs: Vec<x509_cert::Certificate> = der::Decode::from_der(der).map_err(|e| {
            Error::new(ErrorKind::Protocol, format!("malformed caCerts value: {e}"))
        })?;
        certs
            .iter()
            .map(|c| {
                let der = der::Encode::to_der(c).map_err(|e| {
                    Error::new(ErrorKind::Protocol, format!("malformed caCerts value: {e}"))
                })?;
                Certificate::from_der(&der)
            })
            .collect()
    }

    /// The answer to `query` in the items of a genp (e.g. [`Response::items`]), decoded and
    /// checked; a root CA update is validated with the anchors of [`ClientBuilder::trusted_with`]
    /// unless the query names the old root. Logs a warning for items of other types.
    pub fn genm_answer(&self, query: &GenmQuery, items: &[InfoItem]) -> Result<GenmAnswer> {
        super::genm::answer(query, items, self.ctx.trusted.as_ref())
    }

    /// Like [`Client::genm`], with everything else the genp brought: its extraCerts and the
    /// server certificate that validated it.
    pub fn genm_response(&mut self, items: &[InfoItem]) -> Result<Response> {
        Request::Genm(items.to_vec(), CertRequest::new()).fill(&mut self.ctx)?;
        let mut s = session::begin(&self.ctx, &mut self.transfer).map_err(Error::config)?;
        let r = s.genm();
        s.finish();
        match r {
            Ok(()) => response(s.take_outcome()),
            Err(e) => Err(Error::from_internal(e, s.outcome().status.as_ref())),
        }
    }

    /// Run any transaction with everything it asks for, to its end, as the `rcmp` command does:
    /// polling sleeps the server's checkAfter, and with [`MessageFiles::reqout_only`] the first
    /// request is only saved (the [`Response`] is then empty, without status). Unlike
    /// [`Client::ir`] and the like, nothing is checked before the transaction: what is missing
    /// fails it as it fails `openssl cmp`. The transport is not finished between transactions (a
    /// connection the server leaves open is used again).
    pub fn execute(&mut self, request: &Request) -> Result<Response> {
        request.fill(&mut self.ctx)?;
        match crate::client::run(&self.ctx, &mut self.transfer) {
            Ok(o) => response(o),
            Err(f) => Err(Error::from_internal(f.error, f.outcome.status.as_ref())),
        }
    }

    fn prepare_certreq(&mut self, kind: RequestKind, req: &CertRequest) -> Result<()> {
        req.fill(&mut self.ctx, kind.cmd())?;
        let c = &self.ctx;
        let has_key = c.newkey.is_some() || c.key.is_some() || c.csr.is_some();
        if kind != RequestKind::P10cr && !has_key {
            return Err(Error::new(
                ErrorKind::Config,
                "no key to certify: give CertRequest::key (or sign requests with a key)",
            ));
        }
        if kind == RequestKind::P10cr && c.csr.is_none() {
            return Err(Error::new(
                ErrorKind::Config,
                "p10cr needs CertRequest::csr",
            ));
        }
        Ok(())
    }
}

/// A certificate request in progress, driven by the caller; see [`Client::start_certreq`].
///
/// Dropping it without [`CertReqTransaction::abort`] leaves the server waiting for a poll that
/// never comes (it will time the transaction out).
pub struct CertReqTransaction<'c> {
    session: session::Session<'c>,
    over: bool,
}

impl CertReqTransaction<'_> {
    /// Do the next exchange: the first step sends the request, later steps poll once. Returns when
    /// to step again, or the result.
    pub fn step(&mut self) -> Result<Progress> {
        if self.over {
            return Err(Error::new(ErrorKind::Config, "the transaction is over"));
        }
        let r = self.session.try_certreq();
        if !matches!(r, Ok(Step::Pending(_))) {
            self.session.finish();
        }
        match r {
            Ok(Step::Pending(d)) => Ok(Progress::Pending(d)),
            Ok(Step::Done) => {
                self.over = true;
                enrollment(self.session.take_outcome()).map(|e| Progress::Done(Box::new(e)))
            }
            Err(e) => {
                self.over = true;
                Err(Error::from_internal(
                    e,
                    self.session.outcome().status.as_ref(),
                ))
            }
        }
    }

    /// Give up: tell the server with an error message (status rejection, "polling aborted") and
    /// wait for its pkiConf, as OpenSSL's client does when aborted.
    pub fn abort(mut self) -> Result<()> {
        if self.over {
            return Ok(());
        }
        self.over = true;
        let r = self.session.abort();
        self.session.finish();
        r.map_err(|e| Error::from_internal(e, self.session.outcome().status.as_ref()))
    }
}

fn status_of(o: &Outcome) -> Status {
    let accepted = crate::asn1::PkiStatusInfo::accepted();
    Status::from_wire(o.status.as_ref().unwrap_or(&accepted))
}

fn wrap(v: Vec<crate::creds::Cert>) -> Vec<Certificate> {
    v.into_iter().map(Certificate).collect()
}

fn response(o: Outcome) -> Result<Response> {
    Ok(Response {
        items: o.genp_itavs.iter().map(from_itav).collect::<Result<_>>()?,
        status: o.status.as_ref().map(Status::from_wire),
        cert: o.new_cert.map(Certificate),
        chain: wrap(o.new_chain),
        ca_pubs: wrap(o.ca_pubs),
        extra_certs: wrap(o.extra_certs_in),
        srv_cert: o.srv_cert.map(Certificate),
        new_key: o.new_key.map(PrivateKey),
    })
}

fn enrollment(o: Outcome) -> Result<Enrollment> {
    let status = status_of(&o);
    let cert = o
        .new_cert
        .map(Certificate)
        .ok_or_else(|| Error::new(ErrorKind::Protocol, "no certificate received"))?;
    Ok(Enrollment {
        cert,
        chain: wrap(o.new_chain),
        ca_pubs: wrap(o.ca_pubs),
        extra_certs: wrap(o.extra_certs_in),
        status,
        new_key: o.new_key.map(PrivateKey),
        srv_cert: o.srv_cert.map(Certificate),
    })
}

/// An item as the internal message types hold it.
pub(super) fn to_itav(i: &InfoItem) -> Result<crate::asn1::InfoTypeAndValue> {
    let bad = |e: String| Error::new(ErrorKind::Config, e);
    let info_type = ObjectIdentifier::new(&i.info_type)
        .map_err(|e| bad(format!("bad infoType '{}': {e}", i.info_type)))?;
    let info_value = i
        .value
        .as_deref()
        .map(der::Decode::from_der)
        .transpose()
        .map_err(|e| bad(format!("bad infoValue of {}: {e}", i.info_type)))?;
    Ok(crate::asn1::InfoTypeAndValue {
        info_type,
        info_value,
    })
}

/// An internal item as an API one.
pub(super) fn from_itav(i: &crate::asn1::InfoTypeAndValue) -> Result<InfoItem> {
    let value = i
        .info_value
        .as_ref()
        .map(der::Encode::to_der)
        .transpose()
        .map_err(|e| Error::new(ErrorKind::Protocol, format!("bad infoValue in genp: {e}")))?;
    Ok(InfoItem {
        info_type: i.info_type.to_string(),
        value,
    })
}

/// A digest name the library does not know; legacy names get OpenSSL's wording for digests it no
/// longer provides, so the `rcmp` command reports them as `openssl cmp` does.
fn digest_error(name: &str, e: crate::Error) -> crate::Error {
    const LEGACY: &[&str] = &["md2", "md4", "mdc2", "whirlpool"];
    if LEGACY.iter().any(|l| l.eq_ignore_ascii_case(name)) {
        cmp_err!("digest algorithm name not supported: '{name}'").because("unsupported algorithm")
    } else {
        e
    }
}
