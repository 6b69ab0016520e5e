//! The phases of one invocation: parse options, build the context, run the transaction (or the mock
//! server), write the results, and map the outcome to an exit status. Errors are printed here, once.

use std::ffi::OsString;

/// Run one `rcmp` invocation and return the process exit status (0 success, 1 failure).
pub fn run(_args: Vec<OsString>) -> u8 {
    crate::log::raw_stderr("rcmp: not built yet\n");
    1
}
