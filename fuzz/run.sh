#!/usr/bin/env bash
# Builds and runs every fuzz target for a fixed time, then prints per target the executions and
# coverage, and a summary line. Exits non-zero if a target crashed (or failed to build).
#
#   bash fuzz/run.sh [SECONDS]        # SECONDS per target, default 60
#
# Toolchain: $NIGHTLY (default nightly-2026-05-20, the project's pinned nightly). cargo-fuzz is
# installed with `cargo install cargo-fuzz --locked` if missing. Corpora grow under
# fuzz/corpus/<target> (only the seed-* files are committed); crashes go to
# fuzz/artifacts/<target>; each run's libFuzzer log to fuzz/target/run-logs/<target>.log.
# Inputs under fuzz/regressions/<target>/ are replayed before fuzzing, and count as crashes if
# they still fail.
set -u -o pipefail

SECONDS_PER_TARGET=${1:-60}
case $SECONDS_PER_TARGET in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
NIGHTLY=${NIGHTLY:-nightly-2026-05-20}
FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$FUZZ_DIR"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked || exit 1
fi
if ! rustup run "$NIGHTLY" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$NIGHTLY" --profile minimal || exit 1
fi

TARGETS=$(cargo +"$NIGHTLY" fuzz list) || exit 1
echo "fuzz: building $(echo $TARGETS | wc -w) targets with $NIGHTLY"
cargo +"$NIGHTLY" fuzz build || { echo "fuzz: build failed"; exit 1; }

LOGS=$FUZZ_DIR/target/run-logs
mkdir -p "$LOGS"
total=0
crashed=0
for t in $TARGETS; do
    total=$((total + 1))
    mkdir -p "corpus/$t" "artifacts/$t"
    log=$LOGS/$t.log

    # Known crashing inputs first: each must now pass.
    if compgen -G "regressions/$t/*" >/dev/null; then
        if ! cargo +"$NIGHTLY" fuzz run "$t" regressions/"$t"/* -- -runs=1 >"$LOGS/$t.regressions.log" 2>&1; then
            echo "fuzz: $t: a regression input still fails (see $LOGS/$t.regressions.log)"
            crashed=$((crashed + 1))
            continue
        fi
    fi

    start=$(date +%s)
    cargo +"$NIGHTLY" fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # The last status line (DONE, or the last one before a crash) carries cov: and ft:.
    status=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
    corpus=$(find "corpus/$t" -type f | wc -l)
    printf 'fuzz: %-14s %s  execs %-10s cov %-5s ft %-5s corpus %-5s %ss\n' \
        "$t" "$([ $rc -eq 0 ] && echo ok || echo CRASH)" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "$corpus" "$secs"
    if [ $rc -ne 0 ]; then
        crashed=$((crashed + 1))
        # The panic's location and message (the line after it), or the sanitizer's error.
        grep -E -A1 "panicked at" "$log" | head -2 | sed 's/^/    /'
        grep -E "^==[0-9]+==ERROR|^SUMMARY" "$log" | head -2 | sed 's/^/    /'
        artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
        artifact=${artifact#"$FUZZ_DIR"/}
        echo "    input: fuzz/${artifact:-artifacts/$t/}"
        echo "    log: $log"
        echo "    reproduce: cd fuzz && cargo +$NIGHTLY fuzz run $t ${artifact:-<artifact>}"
        echo "    minimise:  cd fuzz && cargo +$NIGHTLY fuzz tmin $t ${artifact:-<artifact>}"
    fi
done

echo "fuzz: $total targets, $crashed crashed"
[ $crashed -eq 0 ]
