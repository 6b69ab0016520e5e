//! Load generator for `bench/run`: drives complete enrollments (ir + certConf, each with a fresh
//! transactionID, fresh nonces and fresh protection) against a CMP mock server from N client threads.
//!
//! Two modes, driven by the same rcmp client arguments after `--`:
//! - lean (default, see `lean.rs`): the wire traffic of the rcmp client for a PBM-protected ir with
//!   `-popo 0` or `-popo 1` and `-newkey`, from a per-thread template built once with the client's own
//!   code, so the generator costs a small fraction of what the server does and the figure measures
//!   the server. Only the options `bench/run` uses are accepted.
//! - `--full`: each enrollment is one call of the whole rcmp client (`rcmp::cli::run`), options,
//!   key loading, PBM derivations, response validation and `-certout` included. Costs more CPU per
//!   enrollment than the rcmp mock server does, so on a small machine it measures itself.
//!
//! Usage: rcmp-loadgen [--full] [--dump DIR] <clients> <seconds> [<warmup-seconds>] -- <rcmp client args...>
//! `%T` in an argument is replaced by the client thread's number (e.g. `-certout out-%T.pem`: rcmp
//! writes files through a temporary name, so threads must not share an output file; and never give
//! a device such as /dev/null as output file, which the temporary file would replace).
//! `--dump DIR` (lean mode) writes the first enrollment's four messages there (ir.der, ip.der,
//! certconf.der, pkiconf.der) for comparison with a real client's `-reqout`/`-rspout`.
//! Prints one line: `RESULT ok=<n> err=<n> secs=<f> p50_ms=<f> p99_ms=<f> mean_ms=<f>`, and on stderr
//! the reasons of the first few failed enrollments.

mod lean;
mod tlv;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// How many failure reasons are printed (all failures are counted).
const SHOWN_ERRORS: usize = 5;

fn usage() -> ! {
    eprintln!(
        "usage: rcmp-loadgen [--full] [--dump DIR] <clients> <seconds> [<warmup-seconds>] -- <rcmp client args...>"
    );
    std::process::exit(2)
}

fn die(msg: &str) -> ! {
    eprintln!("rcmp-loadgen: {msg}");
    std::process::exit(2)
}

#[derive(Clone)]
enum Mode {
    Lean(Arc<lean::Config>, Option<PathBuf>),
    Full(Arc<Vec<OsString>>),
}

fn main() {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let Some(sep) = argv.iter().position(|a| a == "--") else {
        usage()
    };
    let mut head: Vec<String> = argv[1..sep]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let full = take_flag(&mut head, "--full");
    let dump = take_value(&mut head, "--dump").map(PathBuf::from);
    if head.len() < 2 || head.len() > 3 {
        usage();
    }
    let clients: usize = head[0].parse().unwrap_or_else(|_| usage());
    let secs: f64 = head[1].parse().unwrap_or_else(|_| usage());
    let warmup: f64 = head
        .get(2)
        .map(|s| s.parse().unwrap_or_else(|_| usage()))
        .unwrap_or(0.0);
    let mode = if full {
        if dump.is_some() {
            die("--dump works in lean mode only");
        }
        let mut client_args = vec![OsString::from("rcmp")];
        client_args.extend(argv[sep + 1..].iter().cloned());
        Mode::Full(Arc::new(client_args))
    } else {
        let args: Vec<String> = argv[sep + 1..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        // Quiet like the full client at -verbosity 3: only errors from the library.
        rcmp::bench::log::set_verbosity(3);
        Mode::Lean(
            Arc::new(lean::parse(&args).unwrap_or_else(|e| die(&e))),
            dump,
        )
    };
    eprintln!(
        "rcmp-loadgen: {} mode, {clients} client(s)",
        if full { "full-client" } else { "lean" }
    );

    // Warm-up: the same load, results discarded (connections, page cache, server allocations).
    if warmup > 0.0 {
        let _ = drive(clients, Duration::from_secs_f64(warmup), &mode, false);
    }
    let (results, elapsed) = drive(clients, Duration::from_secs_f64(secs), &mode, true);

    let mut lat: Vec<f64> = Vec::new();
    let mut errs = 0usize;
    for (l, e) in results {
        lat.extend(l);
        errs += e;
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return f64::NAN;
        }
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat[i.min(lat.len() - 1)]
    };
    let mean = if lat.is_empty() {
        f64::NAN
    } else {
        lat.iter().sum::<f64>() / lat.len() as f64
    };
    println!(
        "RESULT ok={} err={} secs={:.3} p50_ms={:.3} p99_ms={:.3} mean_ms={:.3}",
        lat.len(),
        errs,
        elapsed,
        pct(0.50),
        pct(0.99),
        mean
    );
}

fn take_flag(head: &mut Vec<String>, flag: &str) -> bool {
    match head.iter().position(|a| a == flag) {
        Some(i) => {
            head.remove(i);
            true
        }
        None => false,
    }
}

fn take_value(head: &mut Vec<String>, opt: &str) -> Option<String> {
    let i = head.iter().position(|a| a == opt)?;
    if i + 1 >= head.len() {
        usage();
    }
    head.remove(i);
    Some(head.remove(i))
}

/// Failure reasons shown so far (process-wide, so a broken server does not flood stderr).
static SHOWN: AtomicUsize = AtomicUsize::new(0);

fn report_error(thread: usize, why: &str) {
    if SHOWN.fetch_add(1, Ordering::Relaxed) < SHOWN_ERRORS {
        eprintln!("rcmp-loadgen: client {thread}: enrollment failed: {why}");
    }
}

/// Run `clients` threads for `dur` once all are ready; each returns its latencies (ms) and error
/// count. Also returns the measured time.
fn drive(
    clients: usize,
    dur: Duration,
    mode: &Mode,
    measured: bool,
) -> (Vec<(Vec<f64>, usize)>, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(clients + 1));
    let handles: Vec<_> = (0..clients)
        .map(|t| {
            let stop = Arc::clone(&stop);
            let ready = Arc::clone(&ready);
            let mode = mode.clone();
            std::thread::spawn(move || match mode {
                Mode::Full(args) => {
                    let args: Vec<OsString> = args
                        .iter()
                        .map(|a| match a.to_str() {
                            Some(s) if s.contains("%T") => {
                                OsString::from(s.replace("%T", &t.to_string()))
                            }
                            _ => a.clone(),
                        })
                        .collect();
                    ready.wait();
                    run_loop(&stop, t, || {
                        if rcmp::cli::run(args.clone()) == 0 {
                            Ok(())
                        } else {
                            Err("rcmp client exited non-zero (see its log above)".into())
                        }
                    })
                }
                Mode::Lean(cfg, dump) => {
                    let worker = lean::Worker::new(&cfg);
                    ready.wait();
                    let mut w = worker.unwrap_or_else(|e| die(&format!("client {t}: {e}")));
                    if t == 0 && measured {
                        if let Some(dir) = &dump {
                            w.dump_next(dir.clone());
                        }
                    }
                    run_loop(&stop, t, || w.enroll())
                }
            })
        })
        .collect();
    ready.wait();
    let start = Instant::now();
    std::thread::sleep(dur);
    stop.store(true, Ordering::Relaxed);
    let results = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_default())
        .collect();
    (results, start.elapsed().as_secs_f64())
}

fn run_loop(
    stop: &AtomicBool,
    thread: usize,
    mut enroll: impl FnMut() -> Result<(), String>,
) -> (Vec<f64>, usize) {
    let mut lat = Vec::new();
    let mut errs = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        match enroll() {
            Ok(()) => lat.push(t.elapsed().as_secs_f64() * 1e3),
            Err(why) => {
                errs += 1;
                report_error(thread, &why);
            }
        }
    }
    (lat, errs)
}
