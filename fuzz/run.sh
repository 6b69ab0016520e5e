#!/bin/sh
# Run every cargo-fuzz target for SECONDS (default 120) each, JOBS (default 1) at a time, with
# libFuzzer's memory and time limits; seeds the corpora from the repository's fixtures first.
# Needs a nightly toolchain and cargo-fuzz. Findings land in fuzz/artifacts/<target>/.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")"
secs=${1:-120}
[ $# -gt 0 ] && shift
targets=${*:-$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v rcmp-fuzz)}

mkdir -p corpus logs
for t in nconf nconf_structured; do mkdir -p corpus/$t; cp ../fixtures/nconf/* corpus/$t/ 2>/dev/null || true; done
mkdir -p corpus/creds corpus/cmp_message
cp ../fixtures/creds/* corpus/creds/ 2>/dev/null || true
cp ../fixtures/golden/*.der corpus/cmp_message/ 2>/dev/null || true
for d in ../fixtures/fuzz/*/; do
    t=$(basename "$d"); [ "$t" = open ] && continue
    mkdir -p "corpus/$t"; cp "$d"* "corpus/$t/" 2>/dev/null || true
done

# -a: debug assertions, so integer overflows panic as in `cargo test`.
cargo +nightly fuzz build -O -a
for t in $targets; do
    echo "== $t: ${secs}s"
    # Fork mode with ignore_*: keep going after a finding, so one known bug does not hide others.
    cargo +nightly fuzz run -O -a "$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=256 -max_len=8192 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
        -ignore_ooms=1 -print_final_stats=1 2>&1 |
        tee "logs/$t.log" | grep -E 'panicked at|ERROR: libFuzzer' | sed 's/^==[0-9]*==//' | sort | uniq -c || true
    grep -E '^#[0-9]+: cov' "logs/$t.log" | tail -n 1 || true
done
