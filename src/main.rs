//! The `rcmp` binary: hands argv to the library and turns its verdict into the process exit status.
//! This is the only place the process exits.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(rcmp::app::run(std::env::args_os().collect()))
}
