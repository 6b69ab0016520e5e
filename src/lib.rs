//! rcmp: a drop-in replacement for `openssl cmp`.
//!
//! Data flows one way through the modules below:
//! argv + openssl.cnf (`opts`, `nconf`) -> raw options -> context (`app`, `creds`) -> transaction
//! (`client` over `transfer`, messages from `asn1`, protected by `protect`, checked by `verify`)
//! -> outcome -> files written (`output`) -> exit code (`main.rs`).
//! The mock server (`server`) answers the same messages from the other side.

#[macro_use]
pub mod error;
#[macro_use]
pub mod log;

pub mod api;
pub mod app;
pub mod asn1;
pub mod client;
pub mod compat;
pub mod creds;
pub mod extconf;
pub mod nconf;
pub mod opts;
pub mod output;
pub mod protect;
pub mod server;
pub mod transfer;
pub mod verify;
pub mod wording;

pub use error::{Error, Result};

// The tests' harness (peers, mock servers, commands with a time limit), shared with tests/integration.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod testutil;
