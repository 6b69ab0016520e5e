//! rcmp as a Rust library: a CMP client (RFC 9810, over HTTP per RFC 6712/9811) and a mock CA for
//! tests.
//!
//! - [`Client`], built with [`Client::builder`]: server, protection (PBM, PBMAC1 or signature),
//!   trust; runs ir, cr, kur, p10cr, rr and genm. [`Client::start_certreq`] lets the caller drive
//!   a certificate request step by step, doing the waiting itself, or abort it.
//! - [`Request`] with [`CertRequest`]: every transaction with all it can ask for (issuer, SANs,
//!   extensions, policies, proof of possession, revocation by issuer and serial, ...), run by
//!   [`Client::execute`] as the `rcmp` command runs it (also saving just the request).
//! - [`GenmQuery`] and [`GenmAnswer`]: general messages the client knows (CA certificates, root
//!   CA update, certificate request template, CRL update), asked and answered typed.
//! - [`LoadOptions`]: certificates, keys, CRLs and CSRs loaded from files as the `rcmp` command
//!   loads them (format from the contents, pass phrase, OpenSSL's error lines); trust chains built
//!   with [`VerifyOptions::build_chain`].
//! - [`Transport`]: HTTP(S) is built in; other transports plug in.
//! - [`MockServer`]: an in-process test CA on a free local port, stopped on drop.
//! - [`set_log_sink`]: where the library's log lines go; by default nowhere (it never prints).
//! - [`Error`]: the failure kind, the reasons, and the server's PKIStatusInfo.
//!
//! ```
//! # fn main() -> rcmp::api::Result<()> {
//! use rcmp::api::{CertRequest, Certificate, Client, KeyAlgorithm, MockServer, PrivateKey};
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/verify/");
//! # let ca_cert = Certificate::load(format!("{dir}int.pem"))?.remove(0);
//! # let ca_key = PrivateKey::load(format!("{dir}int.key.pem"), None)?;
//! // A test CA issuing certificates with `ca_cert`/`ca_key`, accepting PBM under a secret.
//! let mock = MockServer::builder()
//!     .srv_cert(&ca_cert, &ca_key)?
//!     .srv_secret(b"ref", b"secret")
//!     .start()?;
//! let mut client = Client::builder()
//!     .server(mock.address())
//!     .pbm(b"ref", b"secret")
//!     .build()?;
//! let key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
//! let new = client.ir(&CertRequest::new().subject("/CN=alice").key(key))?;
//! assert_eq!(new.cert.subject(), "/CN=alice");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod cert;
mod client;
mod error;
mod genm;
mod load;
mod mock;
mod request;
mod transport;
mod verify;

pub use cert::{Certificate, Crl, KeyAlgorithm, Name, NameArg, PrivateKey, PublicKey};
pub use client::{
    CertReqTransaction, Client, ClientBuilder, Enrollment, InfoItem, MessageFiles, Progress,
    Response, Revocation,
};
pub use error::{Error, ErrorKind, PkiStatus, Result, Status};
pub use genm::{CertReqTemplate, GenmAnswer, GenmQuery, RootCaUpdate};
pub use load::{file_list, Csr, KeyOrPublic, LoadOptions};
pub use mock::{MockServer, MockServerBuilder};
pub use request::{CertRequest, Popo, Request, RequestKind};
pub use transport::{Exchange, HttpTransport, KeepAlive, Transport};
pub use verify::VerifyOptions;

pub use crate::log::{Level, Record as LogRecord, Stream};

/// Send the library's log lines to `sink` (process-wide). Without a sink nothing is printed.
pub fn set_log_sink(sink: impl Fn(&LogRecord<'_>) + Send + Sync + 'static) {
    crate::log::set_sink(Some(std::sync::Arc::new(sink)));
}

/// Stop sending log lines anywhere.
pub fn clear_log_sink() {
    crate::log::set_sink(None);
}

/// Print log lines as the `rcmp` command does (`CMP info: ...` on stdout, ...).
pub fn log_to_console() {
    crate::log::set_sink(Some(crate::log::console_sink()));
}

/// Report lines up to this level (default [`Level::Info`]).
pub fn set_log_level(level: Level) {
    crate::log::set_verbosity(level as u8);
}

/// The README's Rust code, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
