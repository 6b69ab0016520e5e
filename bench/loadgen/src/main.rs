//! Load generator for `bench/run`: drives complete enrollments (ir + certConf, each with fresh
//! transactionID, nonces and protection) against a CMP mock server from N in-process client threads.
//!
//! Each enrollment is one call of the rcmp client library (`rcmp::app::run`) with the argv given after
//! `--`, so nothing is forked per enrollment and every request is built and protected anew; the cost
//! of that (parsing options, loading the PEM key, PBM, one ECDSA/RSA POPO signature) is paid inside
//! this process, which `bench/run` accounts for separately from the server's CPU time.
//!
//! Usage: rcmp-loadgen <clients> <seconds> [<warmup-seconds>] -- <rcmp client args...>
//! `%T` in an argument is replaced by the client thread's number (e.g. `-certout out-%T.pem`: rcmp
//! writes files through a temporary name, so threads must not share an output file; and never give
//! a device such as /dev/null as output file, which the temporary file would replace).
//! Prints one line: `RESULT ok=<n> err=<n> secs=<f> p50_ms=<f> p99_ms=<f> mean_ms=<f>`.

use std::ffi::OsString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!(
        "usage: rcmp-loadgen <clients> <seconds> [<warmup-seconds>] -- <rcmp client args...>"
    );
    std::process::exit(2)
}

fn main() {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let Some(sep) = argv.iter().position(|a| a == "--") else {
        usage()
    };
    let head: Vec<String> = argv[1..sep]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if head.len() < 2 {
        usage();
    }
    let clients: usize = head[0].parse().unwrap_or_else(|_| usage());
    let secs: f64 = head[1].parse().unwrap_or_else(|_| usage());
    let warmup: f64 = head
        .get(2)
        .map(|s| s.parse().unwrap_or_else(|_| usage()))
        .unwrap_or(0.0);
    let mut client_args = vec![OsString::from("rcmp")];
    client_args.extend(argv[sep + 1..].iter().cloned());
    let client_args = Arc::new(client_args);

    // Warm-up: the same load, results discarded (connections, page cache, server allocations).
    if warmup > 0.0 {
        let _ = drive(clients, Duration::from_secs_f64(warmup), &client_args);
    }
    let start = Instant::now();
    let results = drive(clients, Duration::from_secs_f64(secs), &client_args);
    let elapsed = start.elapsed().as_secs_f64();

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

/// Run `clients` threads until the deadline; each returns its latencies (ms) and its error count.
fn drive(clients: usize, dur: Duration, args: &Arc<Vec<OsString>>) -> Vec<(Vec<f64>, usize)> {
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..clients)
        .map(|t| {
            let args: Vec<OsString> = args
                .iter()
                .map(|a| match a.to_str() {
                    Some(s) if s.contains("%T") => OsString::from(s.replace("%T", &t.to_string())),
                    _ => a.clone(),
                })
                .collect();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut errs = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let rc = rcmp::app::run(args.clone());
                    if rc == 0 {
                        lat.push(t.elapsed().as_secs_f64() * 1e3);
                    } else {
                        errs += 1;
                    }
                }
                (lat, errs)
            })
        })
        .collect();
    std::thread::sleep(dur);
    stop.store(true, Ordering::Relaxed);
    handles
        .into_iter()
        .map(|h| h.join().unwrap_or_default())
        .collect()
}
