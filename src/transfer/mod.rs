//! CMP over HTTP (RFC 6712, updated by RFC 9811): the client's transfer (`-server`, `-path`,
//! `-proxy`, `-no_proxy`, `-keep_alive`, `-msg_timeout`, TLS options) and the mock server's HTTP
//! listener (`-port`, `-max_msgs`).
//!
//! CMP messages are opaque DER bytes here: this module moves them and checks the HTTP framing,
//! nothing more. It depends only on `crate::error` and `crate::log`.
//!
//! Errors may hold several OpenSSL error lines (a message and its reasons, see
//! [`crate::Error::Cmp`]), so that printing them reproduces OpenSSL's output line by line.

pub mod client;
pub mod http;
pub mod proxy;
pub mod server;
#[cfg(test)]
mod tests_peers;
pub mod tls;
pub mod url;

pub use client::{HttpClient, HttpOptions, KeepAlive};
#[cfg(test)]
pub use server::{bind, Handler, Reply, ServerConfig};
pub use tls::TlsConfig;
#[cfg(test)]
pub use url::parse_server;
