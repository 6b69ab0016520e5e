//! The CMP client: builds requests (ir, cr, kur, p10cr, rr, genm, certConf, pollReq), protects them,
//! exchanges them over a [`Transfer`], and validates responses as `openssl cmp` does.
//!
//! The library API (`crate::api`) fills a [`Ctx`] with resolved values (loaded certs, keys, names,
//! flags), calls [`run`], and hands on what the [`Outcome`] carries; the `rcmp` command goes through
//! that API. Nothing here parses options or loads files.

pub mod ckg;
pub mod ctx;
pub mod files;
pub mod genm;
pub mod request;
pub mod session;
pub mod status;
#[cfg(test)]
mod tests_hostile_server;
#[cfg(test)]
mod tests_interop;
#[cfg(test)]
mod tests_request;
pub mod transfer;
pub mod txn;
pub mod validate;
pub mod wire;

pub use ctx::{Cmd, Ctx, MsgFiles};
pub use session::{run, Outcome, Transfer};
