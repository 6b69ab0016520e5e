//! The `rcmp` binary: hands argv to the library and turns its verdict into the process exit status.
//! This is the only place the process exits, and the only place that touches the process's own argv.

use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // The arguments are copied above; now the originals can be wiped.
    let positions = rcmp::opts::secret_value_positions(args.get(1..).unwrap_or_default());
    argv::blank(positions.iter().map(|(i, off)| (i + 1, *off)));
    ExitCode::from(rcmp::app::run(args))
}

/// Blanking secret option values in the memory the kernel shows as /proc/PID/cmdline (and `ps`), as
/// OpenSSL does. Rust's standard library offers no way to reach that memory, so glibc's habit of
/// passing (argc, argv, envp) to `.init_array` functions is used to remember it. All unsafe code of
/// the binary is here.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod argv {
    use std::ffi::{c_char, c_int};
    use std::sync::atomic::{AtomicIsize, AtomicPtr, Ordering};

    static ARGC: AtomicIsize = AtomicIsize::new(0);
    static ARGV: AtomicPtr<*mut c_char> = AtomicPtr::new(std::ptr::null_mut());

    extern "C" fn capture(argc: c_int, argv: *mut *mut c_char, _envp: *mut *mut c_char) {
        ARGC.store(argc as isize, Ordering::Relaxed);
        ARGV.store(argv, Ordering::Relaxed);
    }

    #[used]
    #[link_section = ".init_array"]
    static CAPTURE: extern "C" fn(c_int, *mut *mut c_char, *mut *mut c_char) = capture;

    /// Overwrite with NUL bytes the tail of each argument `index` from byte `offset` on.
    pub fn blank(positions: impl Iterator<Item = (usize, usize)>) {
        let argv = ARGV.load(Ordering::Relaxed);
        let argc = ARGC.load(Ordering::Relaxed);
        if argv.is_null() {
            return;
        }
        for (index, offset) in positions {
            if index as isize >= argc {
                continue;
            }
            // SAFETY: glibc passed argv with argc valid, NUL-terminated entries that this process
            // owns; we only write within an entry, up to (not including) its terminating NUL.
            unsafe {
                let arg = *argv.add(index);
                if arg.is_null() {
                    continue;
                }
                let len = libc::strlen(arg);
                if offset < len {
                    std::ptr::write_bytes(arg.add(offset), 0, len - offset);
                }
            }
        }
    }
}

/// Elsewhere the values stay visible; prefer `env:` or `file:` pass phrase sources there.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod argv {
    pub fn blank(_positions: impl Iterator<Item = (usize, usize)>) {}
}
