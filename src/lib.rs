//! rcmp: a drop-in replacement for `openssl cmp`, and a CMP library.
//!
//! - [`api`]: the library. A CMP client (RFC 9810 messages over HTTP, RFC 6712/9811) for ir, cr,
//!   kur, p10cr, rr and genm with PBM, PBMAC1 or signature protection, and an in-process mock CA
//!   for tests.
//! - [`cli`]: the `openssl cmp` compatible command line, run in-process (what the `rcmp` binary
//!   does).
//!
//! Nothing else is public. Inside, data flows one way: argv + openssl.cnf (`opts`, `nconf`) -> raw
//! options -> context (`app`, `creds`) -> transaction (`client` over `transfer`, messages from
//! `asn1`, protected by `protect`, checked by `verify`) -> outcome -> files written (`output`) ->
//! exit code (`main.rs`). The mock server (`server`) answers the same messages from the other side.

// Everything public is documented. Builds for the fuzzer and the load generator make internals
// reachable (hidden, and undocumented as API); the check applies to every other build.
#![cfg_attr(not(any(fuzzing, feature = "bench")), deny(missing_docs))]

#[macro_use]
pub(crate) mod error;
#[macro_use]
pub(crate) mod log;

pub mod api;
pub(crate) mod app;
pub(crate) mod asn1;
pub(crate) mod client;
pub(crate) mod compat;
pub(crate) mod creds;
pub(crate) mod extconf;
pub(crate) mod nconf;
pub(crate) mod opts;
pub(crate) mod output;
pub(crate) mod protect;
pub(crate) mod server;
pub(crate) mod transfer;
pub(crate) mod verify;
pub(crate) mod wording;

pub(crate) use error::{cmp_err, Error, Result};
#[allow(unused_imports)]
pub(crate) use log::{debug, info, srv_log, warn};

/// The `openssl cmp` compatible command line, run in-process: what the `rcmp` binary does with its
/// arguments, for programs that want the same behaviour without starting a process.
pub mod cli {
    use std::ffi::OsString;

    /// Run the `openssl cmp` compatible command line in-process. `args` starts with the program
    /// name, as `std::env::args_os()` does. Returns the exit status: 0 on success, 1 on failure.
    ///
    /// Unlike the [`api`](crate::api), this prints to stdout and stderr as the command does, and
    /// reads and writes the files the options name.
    pub fn run(args: Vec<OsString>) -> u8 {
        crate::app::run(args)
    }

    /// Where secret values sit in `args` (the arguments without the program name), as
    /// `(argument index, byte offset)` pairs: the values of the options marked secret (`-secret`,
    /// `-srv_secret`, the pass phrase options), whether given as the next argument or after `=`.
    /// A caller can overwrite them in its own copy of the command line (the `rcmp` binary does so in
    /// the memory shown by `ps`).
    pub fn secret_value_positions(args: &[OsString]) -> Vec<(usize, usize)> {
        crate::opts::secret_value_positions(args)
    }
}

/// The parsers under their internal paths, for the cargo-fuzz targets of `fuzz/` (cargo-fuzz builds
/// with `--cfg fuzzing`). Not part of the API: it exists only in such builds. The property tests
/// that share the harness (`fuzz/harness.rs`) see it as a private module.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(all(test, not(fuzzing)))]
mod fuzzing;

/// The internals the load generator of `bench/loadgen` builds its requests with, behind the cargo
/// feature `bench` that only that package enables (docs/DESIGN.md). Not part of the API.
#[cfg(feature = "bench")]
#[doc(hidden)]
pub mod bench;

// The fuzzing harnesses (`fuzz/harness.rs`) as property tests on every `cargo test`.
#[cfg(test)]
mod tests_fuzz_props;

// The fuzz harness names the crate `rcmp` (it is shared with the cargo-fuzz crate); in the unit tests
// that name must resolve to this crate.
#[cfg(test)]
extern crate self as rcmp;

// The tests' harness (peers, mock servers, commands with a time limit), shared with tests/integration.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod testutil;
