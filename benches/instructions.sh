#!/usr/bin/env bash
# Instruction counts of the core against the raw baseline, under callgrind (gungraun).
#
#   bash benches/instructions.sh [--check]
#
# Installs gungraun-runner at the version of the gungraun library in Cargo.lock if it is
# missing or different, runs benches/benches/instructions.rs twice (the single-core critical
# section set in the bench binary, then critical-section's std implementation) and prints
# core, raw and core - raw per operation for both. Per drained message is
# ((core drain of 255 - core drain of 1) - (raw drain of 255 - raw drain of 1)) / 254: the
# drains' fixed cost cancels and what is left is the core's cost per message.
# With --check it exits 1 if a single-core figure misses its goal. Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
[ "${1:-}" = "--check" ] && check=1

command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }

version=$(awk '/^name = "gungraun"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[ -n "$version" ] || { echo "instructions.sh: gungraun is not in Cargo.lock" >&2; exit 2; }
if [ "$(gungraun-runner --version 2>/dev/null)" != "gungraun-runner $version" ]; then
    echo "==> installing gungraun-runner $version (once; a few minutes)"
    cargo install gungraun-runner --version "$version" --locked
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# One run: the bench's text output, reduced to "function id instructions" lines.
run() {
    local name=$1
    shift
    echo "==> gungraun, $name critical section"
    cargo bench -p gunyah-msgq-benches --bench instructions "$@" -- --save-baseline="${name//-/_}" \
        | tee "$logs/$name.txt" | grep -E '^instructions::|Instructions:' || true
    awk '/^instructions::/ { split($1, p, "::"); f = p[3]; id = $2; sub(/:.*/, "", id) }
         /^ *Instructions:/ { split($2, v, "|"); print f, id, v[1] }' \
        "$logs/$name.txt" > "$logs/$name.counts"
    [ "$(wc -l < "$logs/$name.counts")" -eq 8 ] || { echo "instructions.sh: $name run incomplete" >&2; exit 1; }
}
run single-core-cs
run std-cs --features std-cs

# core raw core-raw for one op of one run; drains per message as documented above.
figures() {
    awk -v op="$2" '
        { n[$1 " " $2] = $3 }
        END {
            if (op == "per_message") {
                c = (n["drain_core full"] - n["drain_core one"]) / 254
                r = (n["drain_raw full"] - n["drain_raw one"]) / 254
            } else if (op == "drain_1") {
                c = n["drain_core one"]; r = n["drain_raw one"]
            } else {
                c = n[op "_core rm"]; r = n[op "_raw rm"]
            }
            printf "%s %s %s\n", c, r, c - r
        }' "$logs/$1.counts"
}

missed=0
echo
echo "Instructions per operation (callgrind; trivial backend, 240-byte messages)"
printf '%-22s | %-29s | %-29s | %s\n' "" "single-core CS" "std CS" ""
printf '%-22s | %9s %9s %9s | %9s %9s %9s | %s\n' op core raw core-raw core raw core-raw "goal (single-core)"
for op in try_send try_recv drain_1 per_message; do
    read -r sc sr sd <<< "$(figures single-core-cs "$op")"
    read -r tc tr td <<< "$(figures std-cs "$op")"
    case $op in
        try_send | try_recv) goal=24 ;;
        per_message) goal=48 ;;
        *) goal= ;;
    esac
    verdict=
    if [ -n "$goal" ]; then
        if awk -v d="$sd" -v g="$goal" 'BEGIN { exit !(d <= g) }'; then
            verdict="<= $goal: met"
        else
            verdict="<= $goal: MISSED"
            missed=1
        fi
    fi
    label=$op
    [ "$op" = drain_1 ] && label="drain of 1 (per IRQ)"
    [ "$op" = per_message ] && label="per drained message"
    printf '%-22s | %9.1f %9.1f %9.1f | %9.1f %9.1f %9.1f | %s\n' \
        "$label" "$sc" "$sr" "$sd" "$tc" "$tr" "$td" "$verdict"
done
if [ "$check" = 1 ] && [ "$missed" = 1 ]; then
    echo "instructions.sh: a single-core figure misses its goal" >&2
    exit 1
fi
