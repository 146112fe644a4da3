#!/usr/bin/env bash
# The full bench: builds the two bench images in release with QBENCH_ITERS iterations per
# side and row, and boots them: `bench` on the EL2 model's default variant (control ABI) and
# `bench_primary` on the primary-VM contract (the model's primary-VM variant, or a real Gunyah
# build). Each prints its table (`bench model: ...`, `bench primary: ...`) and its
# `N passed, N failed` line. Under QEMU the figures are TCG emulation, not hardware timings:
# compare core with raw (the ratio), not with anything measured elsewhere.
#
#   bash bench.sh [--iters N] [--clock cntvct|pmccntr] [run.sh options...]
#
# --iters N (or QBENCH_ITERS; default 1000, at most 10000); --clock (or QBENCH_CLOCK; default
# cntvct): pmccntr reads the PMU cycle counter instead of CNTVCT_EL0 (the clock to use on
# hardware; see guest/bench/clock.rs). Any other options go to run.sh for the primary-VM image
# and skip the model image (it needs the model's control calls), e.g. a real Gunyah build:
#
#   bash bench.sh --profile gunyah --hyp "$HYP" --dtb "$DTB"
#
# The exit status is the first failing image's (0 if both passed).
set -euo pipefail
cd "$(dirname "$0")"

iters=${QBENCH_ITERS:-1000}
clock=${QBENCH_CLOCK:-cntvct}
run_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --iters)
            iters=${2:?bench.sh: --iters needs a number}
            shift 2
            ;;
        --clock)
            clock=${2:?bench.sh: --clock needs cntvct or pmccntr}
            shift 2
            ;;
        *)
            run_args+=("$1")
            shift
            ;;
    esac
done
case "$clock" in
    cntvct | pmccntr) ;;
    *)
        echo "bench.sh: unknown clock '$clock' (cntvct or pmccntr)" >&2
        exit 2
        ;;
esac
# Read at build time by the images (option_env!): cargo rebuilds them when these change.
export QBENCH_ITERS=$iters QBENCH_CLOCK=$clock

build=$(cargo test --release --no-run --test bench --test bench_primary 2>&1) || {
    echo "$build" >&2
    exit 1
}
image() {
    echo "$build" | sed -n "s|.*Executable tests/$1.rs (\(.*\))|\1|p" | tail -1
}
bench=$(image bench)
primary=$(image bench_primary)
if [ -z "$bench" ] || [ -z "$primary" ]; then
    echo "bench.sh: could not find the built images in cargo's output:" >&2
    echo "$build" >&2
    exit 1
fi

status=0
if [ ${#run_args[@]} -eq 0 ]; then
    ./run.sh "$bench" || status=$?
fi
rc=0
./run.sh "${run_args[@]}" "$primary" || rc=$?
[ "$status" != 0 ] || status=$rc
exit "$status"
