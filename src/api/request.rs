//! What a transaction asks for: the request contents ([`CertRequest`]) and the transaction with
//! them ([`Request`]), as [`super::Client::execute`] runs it.

use der::asn1::{Ia5String, ObjectIdentifier};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extension;

use super::cert::{Certificate, NameArg, PrivateKey, PublicKey};
use super::client::InfoItem;
use super::error::{Error, ErrorKind, Result};
use crate::client::{Cmd, Ctx};

/// Which certificate request to send (RFC 9810 section 5.3.1 - 5.3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// Initialization request (ir): a first certificate from a new PKI.
    Ir,
    /// Certification request (cr): a further certificate.
    Cr,
    /// Key update request (kur): renew a certificate, normally with a new key.
    Kur,
    /// A PKCS#10 request wrapped in CMP (p10cr).
    P10cr,
}

/// How the client proves it holds the private key to be certified (RFC 4211 section 4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Popo {
    /// No proof: the server is asked to generate the key (central key generation, RFC 9483
    /// section 4.1.6).
    None,
    /// The RA has checked possession already (raVerified).
    RaVerified,
    /// A signature with the key to be certified (the default).
    #[default]
    Signature,
    /// Key encipherment (for keys that cannot sign).
    KeyEncipherment,
}

impl Popo {
    /// The number the transaction uses (as `openssl cmp -popo`).
    fn number(self) -> i32 {
        match self {
            Popo::None => -1,
            Popo::RaVerified => 0,
            Popo::Signature => 1,
            Popo::KeyEncipherment => 2,
        }
    }
}

/// An extension to ask for, as given to [`CertRequest::extension`].
#[derive(Clone, Debug)]
struct ExtensionRequest {
    oid: String,
    critical: bool,
    value: Vec<u8>,
}

/// What to ask for in a request. Unset fields are taken from the client's certificate (or, for
/// kur, from the certificate being updated), as `openssl cmp` does. Names are in OpenSSL's
/// one-line form, e.g. `/O=Example/CN=alice`; they are checked when the request is made.
///
/// Besides the certificate template, the contents serve every transaction: the subject names the
/// sender when no certificate does, the issuer is the recipient when none is given, and a
/// revocation names its target by the old certificate, by issuer and serial number, or by the
/// CSR.
#[derive(Clone, Debug, Default)]
pub struct CertRequest {
    subject: Option<NameArg>,
    issuer: Option<NameArg>,
    key: Option<PrivateKey>,
    public_key: Option<PublicKey>,
    old_cert: Option<Certificate>,
    days: u32,
    dns_names: Vec<String>,
    sans: Vec<Vec<u8>>,
    san_critical: bool,
    no_default_sans: bool,
    extensions: Vec<ExtensionRequest>,
    policy_oids: Vec<String>,
    policies_critical: bool,
    popo: Popo,
    csr: Option<Vec<u8>>,
    serial: Option<Vec<u8>>,
    reason: Option<u8>,
}

impl CertRequest {
    /// An empty request.
    pub fn new() -> CertRequest {
        CertRequest::default()
    }

    /// The subject to ask for, e.g. `/O=Example/CN=alice`.
    pub fn subject(mut self, subject: impl Into<NameArg>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The issuer to ask for (ir, cr, kur), or with [`CertRequest::serial`] the issuer of the
    /// certificate to revoke; also the default recipient of the request.
    pub fn issuer(mut self, issuer: impl Into<NameArg>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The key to certify (default: the signature key of the client). Its proof of possession is a
    /// signature with it.
    pub fn key(mut self, key: PrivateKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Only the public key to certify, for requests without a signature proof of possession
    /// (see [`CertRequest::popo`]). [`CertRequest::key`] wins.
    pub fn public_key(mut self, key: PublicKey) -> Self {
        self.public_key = Some(key);
        self
    }

    /// The certificate to update (kur; default: the client's own) or to revoke, or to take
    /// defaults from.
    pub fn old_cert(mut self, cert: Certificate) -> Self {
        self.old_cert = Some(cert);
        self
    }

    /// The validity to ask for, in days.
    pub fn days(mut self, days: u32) -> Self {
        self.days = days;
        self
    }

    /// DNS names for the subjectAltName extension.
    pub fn dns_names(mut self, names: Vec<String>) -> Self {
        self.dns_names = names;
        self
    }

    /// A further subjectAltName entry of any kind, as the DER of a GeneralName (RFC 5280 section
    /// 4.2.1.6); they follow the DNS names.
    pub fn san_der(mut self, general_name: Vec<u8>) -> Self {
        self.sans.push(general_name);
        self
    }

    /// Mark the subjectAltName extension critical (it always is without a subject).
    pub fn san_critical(mut self, on: bool) -> Self {
        self.san_critical = on;
        self
    }

    /// Do not take the subjectAltName of the reference certificate when none is given.
    pub fn no_default_sans(mut self, on: bool) -> Self {
        self.no_default_sans = on;
        self
    }

    /// An extension to ask for: its OID in dotted form and the DER of its value.
    pub fn extension(mut self, oid: impl Into<String>, critical: bool, value: Vec<u8>) -> Self {
        self.extensions.push(ExtensionRequest {
            oid: oid.into(),
            critical,
            value,
        });
        self
    }

    /// Certificate policies to ask for (OIDs in dotted form).
    pub fn policy_oids(mut self, oids: Vec<String>) -> Self {
        self.policy_oids = oids;
        self
    }

    /// Mark the certificatePolicies extension of [`CertRequest::policy_oids`] critical.
    pub fn policies_critical(mut self, on: bool) -> Self {
        self.policies_critical = on;
        self
    }

    /// The proof of possession (default: [`Popo::Signature`]).
    pub fn popo(mut self, popo: Popo) -> Self {
        self.popo = popo;
        self
    }

    /// The PKCS#10 request (DER) to send with [`RequestKind::P10cr`], or to take defaults from.
    pub fn csr(mut self, der: Vec<u8>) -> Self {
        self.csr = Some(der);
        self
    }

    /// The serial number (big-endian bytes) of the certificate to revoke, with
    /// [`CertRequest::issuer`].
    pub fn serial(mut self, serial: Vec<u8>) -> Self {
        self.serial = Some(serial);
        self
    }

    /// The CRL reason code of a revocation (RFC 5280 section 5.3.1).
    pub fn revocation_reason(mut self, reason: u8) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Put these contents into the context for transaction `cmd`, replacing what an earlier
    /// transaction asked for.
    pub(crate) fn fill(&self, ctx: &mut Ctx, cmd: Cmd) -> Result<()> {
        ctx.cmd = cmd;
        ctx.subject = NameArg::resolve_opt(&self.subject, "subject")?;
        ctx.issuer = NameArg::resolve_opt(&self.issuer, "issuer")?;
        ctx.newkey = match (&self.key, &self.public_key) {
            (Some(k), _) => Some(crate::creds::KeyOrPub::Private(k.0.clone())),
            (None, Some(p)) => Some(crate::creds::KeyOrPub::Public(p.0.clone())),
            (None, None) => None,
        };
        ctx.oldcert = self.old_cert.as_ref().map(|o| o.0.clone());
        ctx.days = self.days;
        ctx.sans = self.general_names()?;
        ctx.san_critical = self.san_critical;
        ctx.san_nodefault = self.no_default_sans;
        ctx.reqexts = self.extensions()?;
        ctx.policy_oids = self
            .policy_oids
            .iter()
            .map(|o| oid(o, "policy"))
            .collect::<Result<_>>()?;
        ctx.policy_oids_critical = self.policies_critical;
        ctx.popo = self.popo.number();
        ctx.csr = self
            .csr
            .as_deref()
            .map(crate::creds::Csr::from_der)
            .transpose()
            .map_err(Error::config)?;
        ctx.serial = self.serial.clone();
        ctx.revreason = self.reason.map_or(-1, i32::from);
        ctx.genm_itavs = Vec::new();
        Ok(())
    }

    fn general_names(&self) -> Result<Vec<GeneralName>> {
        let dns = self.dns_names.iter().map(|n| {
            Ia5String::new(n)
                .map(GeneralName::DnsName)
                .map_err(|e| config(format!("bad DNS name '{n}': {e}")))
        });
        let others = self.sans.iter().map(|d| {
            der::Decode::from_der(d).map_err(|e| config(format!("bad subjectAltName entry: {e}")))
        });
        dns.chain(others).collect()
    }

    fn extensions(&self) -> Result<Vec<Extension>> {
        self.extensions
            .iter()
            .map(|e| {
                Ok(Extension {
                    extn_id: oid(&e.oid, "extension")?,
                    critical: e.critical,
                    extn_value: der::asn1::OctetString::new(e.value.clone())
                        .map_err(|err| config(format!("bad extension {}: {err}", e.oid)))?,
                })
            })
            .collect()
    }
}

fn config(reason: String) -> Error {
    Error::new(ErrorKind::Config, reason)
}

fn oid(s: &str, what: &str) -> Result<ObjectIdentifier> {
    ObjectIdentifier::new(s).map_err(|e| config(format!("bad {what} OID '{s}': {e}")))
}

/// A transaction to run with [`super::Client::execute`], with everything it asks for.
#[derive(Clone, Debug)]
pub enum Request {
    /// A certificate request (ir, cr, kur, p10cr).
    Cert(RequestKind, CertRequest),
    /// A revocation request (rr) for the certificate the contents name: by
    /// [`CertRequest::issuer`] and [`CertRequest::serial`], else [`CertRequest::old_cert`] (or the
    /// client's certificate), else the subject and key of [`CertRequest::csr`].
    Revoke(CertRequest),
    /// A general message (genm) with these items (none: an empty genm); of the contents only
    /// what names sender and recipient counts (subject, issuer, old certificate, CSR).
    Genm(Vec<InfoItem>, CertRequest),
}

impl Request {
    /// Put the request into the context, replacing what an earlier transaction asked for.
    pub(crate) fn fill(&self, ctx: &mut Ctx) -> Result<()> {
        match self {
            Request::Cert(kind, req) => req.fill(ctx, kind.cmd()),
            Request::Revoke(req) => req.fill(ctx, Cmd::Rr),
            Request::Genm(items, req) => {
                req.fill(ctx, Cmd::Genm)?;
                ctx.genm_itavs = items
                    .iter()
                    .map(super::client::to_itav)
                    .collect::<Result<_>>()?;
                Ok(())
            }
        }
    }
}

impl RequestKind {
    pub(crate) fn cmd(self) -> Cmd {
        match self {
            RequestKind::Ir => Cmd::Ir,
            RequestKind::Cr => Cmd::Cr,
            RequestKind::Kur => Cmd::Kur,
            RequestKind::P10cr => Cmd::P10cr,
        }
    }
}
