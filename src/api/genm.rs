//! General messages with specific support (RFC 9810 section 5.3.19, RFC 9483 section 4.3): the
//! item that asks ([`GenmQuery`]) and the answer decoded and checked ([`GenmAnswer`]).

use super::cert::{Certificate, Crl};
use super::client::{from_itav, to_itav, InfoItem};
use super::error::{Error, ErrorKind, Result};
use crate::asn1::{oid, InfoTypeAndValue};
use crate::client::genm as proto;
use crate::verify::TrustStore;

/// A question a genm asks that the client knows how to answer.
#[derive(Clone, Debug)]
pub enum GenmQuery {
    /// The server's current CA certificates (id-it-caCerts).
    CaCerts,
    /// An update of the root CA certificate (id-it-rootCaCert), optionally naming the root the
    /// client has (oldWithOld); without it the client's trust anchors stand in for it.
    RootCaCert(Option<Certificate>),
    /// A template for certificate requests (id-it-certReqTemplate).
    CertReqTemplate,
    /// A CRL newer than `crl` (id-it-crlStatusList): the CRL source is taken from the CRL
    /// distribution point of `cert`, else the issuing distribution point of `crl`, else the
    /// issuer of either. At least one of them is needed.
    CrlStatus {
        /// The certificate whose CRL is wanted.
        cert: Option<Certificate>,
        /// The CRL the client has.
        crl: Option<Crl>,
    },
}

impl GenmQuery {
    /// The genm item that asks this.
    pub fn item(&self) -> Result<InfoItem> {
        let itav = match self {
            GenmQuery::CaCerts => InfoTypeAndValue {
                info_type: oid::IT_CA_CERTS,
                info_value: None,
            },
            GenmQuery::RootCaCert(old) => {
                proto::root_ca_cert_request(old.as_ref().map(|c| &c.0)).map_err(Error::config)?
            }
            GenmQuery::CertReqTemplate => proto::cert_req_template_request(),
            GenmQuery::CrlStatus { cert, crl } => proto::crl_status_list_request(
                cert.as_ref().map(|c| &c.0),
                crl.as_ref().map(|c| &c.0),
            )
            .map_err(Error::config)?,
        };
        from_itav(&itav)
    }
}

/// A root CA key update (RFC 9810 section 5.3.19.15), validated.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RootCaUpdate {
    /// The new root certificate.
    pub new_with_new: Certificate,
    /// The new root's key certified by the old root (the transition certificate).
    pub new_with_old: Option<Certificate>,
    /// The old root's key certified by the new root.
    pub old_with_new: Option<Certificate>,
}

/// A certificate request template (RFC 9810 section 5.3.19.16), both parts as received.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CertReqTemplate {
    /// The DER of the CertTemplate (RFC 4211 section 5).
    pub template_der: Vec<u8>,
    /// The DER of the keySpec Controls, if the server gave key specifications.
    pub key_spec_der: Option<Vec<u8>>,
}

impl CertReqTemplate {
    /// The key specifications as a human-readable text (several lines), in the words of
    /// `openssl cmp`'s listing.
    pub fn describe_key_spec(&self) -> Result<String> {
        proto::describe_key_spec(self.key_spec_der.as_deref()).map_err(Error::config)
    }
}

/// The answer of a genp to a [`GenmQuery`], checked as OpenSSL's client checks it. A genp that
/// does not answer the query (or answers it malformed) is an [`ErrorKind::Protocol`] error.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum GenmAnswer {
    /// The certificates of every well-formed caCerts item (none: the server offers none).
    CaCerts(Vec<Certificate>),
    /// The root CA key update, validated (none: the server has none).
    RootCaUpdate(Option<RootCaUpdate>),
    /// The certificate request template (none: the server has none).
    CertReqTemplate(Option<CertReqTemplate>),
    /// The newer CRL (none: there is none).
    Crl(Option<Crl>),
}

/// Decode the items of a genp as the answer to `query`; `trusted` checks a root CA update.
pub(super) fn answer(
    query: &GenmQuery,
    items: &[InfoItem],
    trusted: Option<&TrustStore>,
) -> Result<GenmAnswer> {
    let itavs = items.iter().map(to_itav).collect::<Result<Vec<_>>>()?;
    // What fails here is the server's answer.
    let internal = |e| Error::from_internal(e, None).with_kind(ErrorKind::Protocol);
    Ok(match query {
        GenmQuery::CaCerts => GenmAnswer::CaCerts(ca_certs(&itavs)),
        GenmQuery::RootCaCert(old) => {
            let upd = proto::root_ca_key_update(&itavs, old.as_ref().map(|c| &c.0), trusted)
                .map_err(internal)?;
            GenmAnswer::RootCaUpdate(upd.map(|u| RootCaUpdate {
                new_with_new: Certificate(u.new_with_new),
                new_with_old: u.new_with_old.map(Certificate),
                old_with_new: u.old_with_new.map(Certificate),
            }))
        }
        GenmQuery::CertReqTemplate => {
            let t = proto::cert_req_template(&itavs).map_err(internal)?;
            GenmAnswer::CertReqTemplate(t.map(|t| CertReqTemplate {
                template_der: t.template_der,
                key_spec_der: t.key_spec_der,
            }))
        }
        GenmQuery::CrlStatus { .. } => {
            GenmAnswer::Crl(proto::crl_update(&itavs).map_err(internal)?.map(Crl))
        }
    })
}

/// The certificates of the caCerts items; items that do not decode are passed over.
fn ca_certs(itavs: &[InfoTypeAndValue]) -> Vec<Certificate> {
    itavs
        .iter()
        .filter(|i| i.info_type == oid::IT_CA_CERTS)
        .filter_map(|i| {
            i.value_as::<crate::asn1::itav::CaCertsValue>()
                .ok()
                .flatten()
        })
        .flatten()
        .map(|c| Certificate(c.to_cert()))
        .collect()
}
