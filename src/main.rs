//! The `rcmp` binary: hands argv to the library and turns its verdict into the process exit status.
//! This is the only place the process exits, and the only place that touches the process's own argv.
//!
//! On Linux (glibc or musl) the C `main` is ours (`no_main`), so that the standard library's start-up
//! does not run: it reads the whole of /proc/self/maps (through `pthread_getattr_np`) and sets up an
//! alternate signal stack, only to print a nicer message on stack overflow, about 13 system calls and
//! 0.05 ms of the 1.2 ms a short client run costs (docs/PERFORMANCE.md). What of it matters is done in
//! [`start`]: closed standard descriptors are reopened on /dev/null, SIGPIPE is ignored (a write to a
//! closed pipe is an error, not death), a panic still ends the process with status 101, and stdout
//! is flushed at the end. A stack overflow ends in SIGSEGV without the message.
#![cfg_attr(all(target_os = "linux", not(test)), no_main)]

use std::ffi::OsString;

/// In the static musl build mimalloc serves Rust's allocations too (its `override` feature already
/// replaces malloc/free for AWS-LC's C code); see Cargo.toml.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The whole run: collect argv, wipe secrets from the kernel's copy, run, return the exit status.
fn run() -> u8 {
    let args: Vec<OsString> = argv::collect();
    // The arguments are copied above; now the originals can be wiped.
    let positions = rcmp::cli::secret_value_positions(args.get(1..).unwrap_or_default());
    argv::blank(positions.iter().map(|(i, off)| (i + 1, *off)));
    rcmp::cli::run(args)
}

#[cfg(not(all(target_os = "linux", not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run())
}

#[cfg(all(target_os = "linux", not(test)))]
mod start {
    use std::ffi::{c_char, c_int};
    use std::io::Write;

    /// The process entry point called by the C library's start code.
    #[no_mangle]
    extern "C" fn main(argc: c_int, argv: *mut *mut c_char) -> c_int {
        #[cfg(target_env = "musl")]
        allocator_options();
        super::argv::remember(argc, argv);
        standard_fds();
        // SAFETY: setting a signal's disposition to "ignore" has no preconditions.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        // A panic is a bug; as with std's own start-up it ends the run with 101 (after the panic
        // message), instead of unwinding into C.
        let status = std::panic::catch_unwind(super::run).map_or(101, c_int::from);
        let _ = std::io::stdout().flush();
        // Straight to the kernel: returning would run the C library's exit handlers, where
        // mimalloc walks and frees its whole heap (about 1 % of a client run) for a process whose
        // memory the kernel takes back anyway. Nothing else is registered there; stdout is
        // flushed above and stderr is unbuffered.
        // SAFETY: `_exit` has no preconditions; it does not return.
        unsafe { libc::_exit(status) }
    }

    /// mimalloc hands freed memory back to the kernel (`madvise`) after a delay, and at exit; for a
    /// run of a few ms that is only work (0.1-0.2 ms of a client run, docs/PERFORMANCE.md), so it
    /// never does. A long-running mock server keeps its peak, which it reuses.
    #[cfg(target_env = "musl")]
    fn allocator_options() {
        extern "C" {
            fn mi_option_set(option: c_int, value: std::ffi::c_long);
        }
        // The number of `mi_option_purge_delay` in mimalloc.h (mimalloc 2, the crate's `v2`
        // feature, in libmimalloc-sys 0.1.49, which Cargo.lock pins; it must be checked when that
        // changes; mimalloc 3 numbers it the same). -1: never purge.
        const PURGE_DELAY: c_int = 15;
        // `mi_option_use_numa_nodes`: with a count given, mimalloc does not probe /sys for NUMA
        // nodes at its first allocation (a file-system lookup, about 0.5 % of a client run). One
        // node: a mock server on a multi-node machine gives up node-local placement, which its
        // short-lived, small allocations hardly gain from.
        const USE_NUMA_NODES: c_int = 16;
        // SAFETY: setting an option has no preconditions; it only changes later decisions of the
        // allocator, which reads it when it sets up or frees memory, and rcmp has allocated
        // nothing yet.
        unsafe {
            mi_option_set(PURGE_DELAY, -1);
            mi_option_set(USE_NUMA_NODES, 1);
        }
    }

    /// Open /dev/null on any of descriptors 0-2 that is closed, so that no file the run opens can
    /// become its stdout or stderr (std's start-up does the same).
    fn standard_fds() {
        let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        });
        // SAFETY: `fds` is a valid array of three pollfd; a zero timeout does not block.
        if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } < 0 {
            return;
        }
        for p in fds {
            if p.revents & libc::POLLNVAL != 0 {
                // SAFETY: a NUL-terminated path; the descriptor is meant to stay open for good,
                // and as the lowest free one it lands on `p.fd`.
                unsafe {
                    libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                }
            }
        }
    }
}

/// Blanking secret option values in the memory the kernel shows as /proc/PID/cmdline (and `ps`), as
/// OpenSSL does. Rust's standard library offers no way to reach that memory, so our own C `main`
/// remembers the argv it is given. (std would not even see the arguments without its start-up on
/// musl; with glibc it records them from `.init_array`.) All unsafe code of the binary is here.
#[cfg(target_os = "linux")]
mod argv {
    use std::ffi::{c_char, c_int, CStr, OsString};
    use std::os::unix::ffi::OsStringExt;
    use std::sync::atomic::{AtomicIsize, AtomicPtr, Ordering};

    static ARGC: AtomicIsize = AtomicIsize::new(0);
    static ARGV: AtomicPtr<*mut c_char> = AtomicPtr::new(std::ptr::null_mut());

    #[cfg_attr(test, allow(dead_code))]
    pub fn remember(argc: c_int, argv: *mut *mut c_char) {
        ARGC.store(argc as isize, Ordering::Relaxed);
        ARGV.store(argv, Ordering::Relaxed);
    }

    /// The arguments `main` was given, or std's when it was not ours (test builds).
    pub fn collect() -> Vec<OsString> {
        let argv = ARGV.load(Ordering::Relaxed);
        let argc = ARGC.load(Ordering::Relaxed);
        if argv.is_null() {
            return std::env::args_os().collect();
        }
        (0..argc.max(0) as usize)
            // SAFETY: the C library passed argc valid entries of NUL-terminated strings that live
            // as long as the process; only these are read.
            .map(|i| unsafe { *argv.add(i) })
            .take_while(|arg| !arg.is_null())
            // SAFETY: a non-null entry of argv is a NUL-terminated string (see above).
            .map(|arg| OsString::from_vec(unsafe { CStr::from_ptr(arg) }.to_bytes().to_vec()))
            .collect()
    }

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
            // SAFETY: the C library passed argv with argc valid, NUL-terminated entries that this
            // process owns; we only write within an entry, up to (not including) its terminating NUL.
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
#[cfg(not(target_os = "linux"))]
mod argv {
    pub fn collect() -> Vec<std::ffi::OsString> {
        std::env::args_os().collect()
    }

    pub fn blank(_positions: impl Iterator<Item = (usize, usize)>) {}
}
