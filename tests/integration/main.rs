//! rcmp's integration tests, built as one test binary (as ripgrep does): each former
//! `tests/<name>.rs` is a module here, so a test is named `<module>::<test>`, e.g.
//! `cargo test --test integration hints::` runs what used to be `--test hints`. They drive the
//! `rcmp` binary and the OpenSSL peers from outside; tests of the library's internals against
//! OpenSSL are unit tests in the crate (`src/*/tests_*.rs`), which include the same harness.
//!
//! One binary links the library and the dependencies once instead of once per file, and every
//! module uses the one harness in `tests/common` (peers, mock servers, commands with a time limit).
//! The differential tester (`tests/differential`) stays a separate binary; the fuzzing property tests
//! reach the parsers, so they are unit tests of the library (`src/tests_fuzz_props.rs`). Only the
//! public API (`rcmp::api`, `rcmp::cli`) is reachable from here. A new test file goes here as a
//! module; `layout` fails when a file is neither declared here nor a known target.

#[path = "../common/mod.rs"]
mod common;

mod api;
mod argv_secrets;
mod broken_keys;
mod ckg;
mod fidelity_client;
mod genm_35;
mod harness_selftest;
mod hints;
mod hostile_client;
mod https_mock;
mod layout;
mod mock_vs_openssl;
mod old_names;
mod openssl40;
mod rand_options;
mod readme_tour;
mod regressions;
mod secrets_in_logs;
