//! Differential tester: random but valid combinations of mock-server and client options, each run by
//! OpenSSL 3.5 and by rcmp in both roles against fresh servers, compared on what a script sees.
//!
//! For every scenario three runs are made, each against its own fresh mock server:
//! - A: OpenSSL 3.5 client against OpenSSL 3.5's mock (the reference for both roles);
//! - B: rcmp's client against OpenSSL 3.5's mock (client role: B is compared with A);
//! - C: OpenSSL 3.5 client against rcmp's mock (server role: C is compared with A).
//!
//! Every difference not covered by `known-differences.txt` fails the test, reported with the seed, the
//! scenario index and the command lines. With the default seed, first index and count, an entry of
//! that file that no longer matches anything fails the test too, so the list only shrinks.
//!
//! Environment (docs/ROBUSTNESS.md, "Differential tester"):
//! - `RCMP_DIFF_SEED` (default 13), `RCMP_DIFF_FIRST` (default 0), `RCMP_DIFF_CASES` (default
//!   [`DEFAULT_CASES`]): which scenarios run;
//! - `RCMP_DIFF_JOBS`: parallel scenarios (default: the number of CPUs);
//! - `RCMP_DIFF_PKI=DIR`: where the fresh PKI is made, or a complete PKI to use (see `pki.rs`);
//! - `RCMP_DIFF_VERBOSE=1`: the report also shows both runs' stdout and stderr.
//!
//! Every difference found, known or not, is also written to `differential-report.txt` in cargo's
//! target tmp folder (the path is printed).

#[path = "../common/mod.rs"]
mod common;
mod compare;
mod known;
mod pki;
mod regress;
mod run;
mod scenario;

use compare::{differences, Seen};
use run::{quote_args, run_pair, Side};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const DEFAULT_SEED: u64 = 13;
const DEFAULT_CASES: u64 = 300;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
        _ => default,
    }
}

/// The scenario as matched by the known-differences patterns: PKI paths shown as `PKI/name`.
fn scenario_text(s: &scenario::Scenario, pki: &Path) -> String {
    let p = format!("{}/", pki.display());
    format!(
        "mock: {} ## client: {}",
        quote_args(&s.server).replace(&p, "PKI/"),
        quote_args(&s.client).replace(&p, "PKI/")
    )
}

#[derive(Default)]
struct Findings {
    /// Report of each scenario/role with a difference no entry covers.
    unknown: Vec<(u64, String)>,
    /// Every difference found, known or not, for the report file.
    all: Vec<(u64, String)>,
    count_known: usize,
}

/// The runs compared with the reference (OpenSSL on both sides): (role, mock, client).
type Roles = [(&'static str, Side, Side)];

const BOTH_ROLES: &Roles = &[
    ("client", Side::OpenSsl, Side::Rcmp),
    ("server", Side::Rcmp, Side::OpenSsl),
];

/// What one test run looks at.
struct Plan<'a> {
    seed: u64,
    first: u64,
    cases: u64,
    roles: &'a Roles,
    entries: &'a [known::Entry],
}

fn report_head(p: &Plan, index: u64, role: &str, text: &str, b: &run::Outcome) -> String {
    // The reference run is the same two lines with OpenSSL on both sides.
    format!(
        "scenario {index}, {role} role (rerun: RCMP_DIFF_SEED={} RCMP_DIFF_FIRST={index} \
         RCMP_DIFF_CASES=1 cargo test --test differential)\n  {text}\n  \
         mock:   {}\n  client: {}\n",
        p.seed, b.server_cmd, b.client_cmd
    )
}

/// Runs scenario `index` and records its differences.
fn check_one(p: &Plan, index: u64, pki: &Path, found: &Mutex<Findings>) {
    let s = scenario::draw(p.seed, index, pki);
    let text = scenario_text(&s, pki);
    let a = run_pair(&s, Side::OpenSsl, Side::OpenSsl);
    let sa = Seen::of(&a, pki);
    for &(role, server, client) in p.roles {
        let b = run_pair(&s, server, client);
        let sb = Seen::of(&b, pki);
        for o in [&a, &b] {
            if o.elapsed.as_secs() >= 3 {
                eprintln!(
                    "differential: scenario {index}: {:?} for {}",
                    o.elapsed, o.client_cmd
                );
            }
        }
        let diffs = differences(&a, &sa, &b, &sb);
        if diffs.is_empty() {
            continue;
        }
        let mut rep = report_head(p, index, role, &text, &b);
        let mut unknown = 0;
        let mut known_n = 0;
        for d in &diffs {
            match known::matching(p.entries, role, &text, d) {
                Some(e) => {
                    known_n += 1;
                    let _ = writeln!(rep, "  known ({}, line {}): {d}", e.class, e.line_no);
                }
                None => {
                    unknown += 1;
                    let _ = writeln!(rep, "  NEW: {d}");
                }
            }
        }
        let _ = writeln!(
            rep,
            "  first CMP error (not compared): reference {:?}; compared {:?}",
            sa.first_error, sb.first_error
        );
        if std::env::var_os("RCMP_DIFF_VERBOSE").is_some() {
            for (who, o) in [("reference", &a), ("compared", &b)] {
                let _ = write!(
                    rep,
                    "  --- {who} stdout ---\n{}  --- {who} stderr ---\n{}",
                    o.stdout, o.stderr
                );
            }
        }
        let mut f = found.lock().expect("findings lock");
        f.count_known += known_n;
        f.all.push((index, rep.clone()));
        if unknown > 0 {
            f.unknown.push((index, rep));
        }
    }
}

/// Runs the plan's scenarios on as many threads as asked, writes the report file `report` (in cargo's
/// target tmp folder) and returns the findings.
fn run_plan(p: &Plan, report: &str) -> Findings {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get() as u64);
    let jobs = env_u64("RCMP_DIFF_JOBS", cpus).max(1);
    let pki = pki::Pki::get();
    let next = AtomicU64::new(p.first);
    let found = Mutex::new(Findings::default());
    std::thread::scope(|sc| {
        for _ in 0..jobs {
            sc.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= p.first + p.cases {
                    break;
                }
                check_one(p, i, pki.dir(), &found);
            });
        }
    });
    let mut f = found.into_inner().expect("findings lock");
    f.all.sort_by_key(|(i, _)| *i);
    f.unknown.sort_by_key(|(i, _)| *i);
    let report_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(report);
    let text: String = f.all.iter().map(|(_, r)| r.as_str()).collect();
    std::fs::write(&report_path, &text).expect("HARNESS: write the report");
    eprintln!(
        "differential: seed {}, scenarios {}..{}, {} known difference(s), {} scenario/role \
         pair(s) with new ones; full report: {}",
        p.seed,
        p.first,
        p.first + p.cases,
        f.count_known,
        f.unknown.len(),
        report_path.display()
    );
    f
}

#[test]
fn openssl_35_and_rcmp_agree_on_random_scenarios() {
    let seed = env_u64("RCMP_DIFF_SEED", DEFAULT_SEED);
    let first = env_u64("RCMP_DIFF_FIRST", 0);
    let cases = env_u64("RCMP_DIFF_CASES", DEFAULT_CASES);
    let default_run = seed == DEFAULT_SEED && first == 0 && cases == DEFAULT_CASES;
    let list_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/known-differences.txt");
    let list = std::fs::read_to_string(&list_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", list_path.display()));
    let entries = known::load(&list).unwrap_or_else(|e| panic!("{}: {e}", list_path.display()));
    let plan = Plan {
        seed,
        first,
        cases,
        roles: BOTH_ROLES,
        entries: &entries,
    };
    let f = run_plan(&plan, "differential-report.txt");
    let stale: Vec<String> = entries
        .iter()
        .filter(|e| e.hits.load(Ordering::Relaxed) == 0)
        .map(|e| format!("line {} ({})", e.line_no, e.class))
        .collect();
    let mut problems = String::new();
    for (_, r) in &f.unknown {
        problems.push_str(r);
    }
    if default_run && !stale.is_empty() {
        let _ = writeln!(
            problems,
            "known differences that no longer occur (remove them from {}): {}",
            list_path.display(),
            stale.join(", ")
        );
    }
    assert!(
        problems.is_empty(),
        "differences from OpenSSL 3.5:\n{problems}"
    );
}

/// The harness itself: OpenSSL against OpenSSL, each run with its own fresh servers, must show no
/// difference at all, or the masking of volatile parts (ports, folders, IDs, times) is wrong and
/// the main test would report noise.
#[test]
fn openssl_against_itself_shows_no_difference() {
    let plan = Plan {
        seed: env_u64("RCMP_DIFF_SEED", DEFAULT_SEED),
        first: env_u64("RCMP_DIFF_FIRST", 0),
        cases: env_u64("RCMP_DIFF_SELF_CASES", 40),
        roles: &[("self", Side::OpenSsl, Side::OpenSsl)],
        entries: &[],
    };
    let f = run_plan(&plan, "differential-self-report.txt");
    let all: String = f.all.iter().map(|(_, r)| r.as_str()).collect();
    assert!(all.is_empty(), "OpenSSL differs from itself:\n{all}");
}
