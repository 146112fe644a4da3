#!/usr/bin/env bash
# Worst-case stack of the msgq entry points that run in interrupt context (try_send, the RX
# drain with a trivial callback, on_tx_interrupt; also try_recv and start), through the core
# (size-core) and raw (size-raw), on aarch64-unknown-none at opt-level "s" and 3 with LTO and
# one codegen unit (size.sh's builds, plus feature `paint`). Two methods, both reported:
#
# - static: nightly `-Z emit-stack-sizes` gives each function's frame (.stack_sizes);
#   size/stack.py sums frames along the worst call chain of non-inlined callees found in the
#   disassembly (the entry points are #[inline(never)] wrappers, so they are measurable). The
#   callback (`sink`) is left out: its frame is the caller's choice.
# - painted: the same image booted on the EL2 model, each entry point run on a stack painted
#   with a pattern in the states that reach its deeper paths (size/src/paint.rs); the
#   high-water mark below the caller's SP (the callback's frame included: `sink` is a leaf).
#
# Goal: core <= 256 B each (not counting the callback). Exit status 0 if everything built and
# booted (the goal is reported, not enforced; STACK_ENFORCE=1 makes a miss exit 1).
#
#   bash stack.sh
set -euo pipefail
cd "$(dirname "$0")"

goal=256
# A pinned nightly (the one CI installs): the newest nightly sometimes lacks the
# aarch64-unknown-none component. STACK_TOOLCHAIN picks another.
toolchain=${STACK_TOOLCHAIN:-nightly-2026-05-20}
entries=(entry_try_send entry_rx_irq entry_tx_irq entry_try_recv entry_start)

# The nightly toolchain with the target and llvm-tools (installed if missing).
rustup toolchain list | grep -q "^$toolchain" || rustup toolchain install --profile minimal "$toolchain"
rustup +"$toolchain" target list --installed | grep -q '^aarch64-unknown-none$' ||
    rustup +"$toolchain" target add aarch64-unknown-none
# shellcheck source=llvm-tools.sh
. ./llvm-tools.sh
nm=$(llvm_tool llvm-nm "$toolchain")
objdump=$(llvm_tool llvm-objdump "$toolchain")
readobj=$(llvm_tool llvm-readobj "$toolchain")

# The model the painted images boot on (stable, dev build: what `cargo test` builds).
cargo build --bin el2-model 2>&1 | grep -v '^\s*\(Compiling\|Finished\)' || true
model=target/aarch64-unknown-none/debug/el2-model

status=0
missed=0
for opt in s 3; do
    dir=target/stack-opt-$opt
    optval=$opt
    [ "$opt" != s ] || optval='"s"'
    RUSTFLAGS="-Z emit-stack-sizes" cargo +"$toolchain" build --release \
        -p gunyah-msgq-qemu-size --bins --features paint --target-dir "$dir" \
        --config "profile.release.opt-level=$optval" \
        --config 'profile.release.lto=true' \
        --config 'profile.release.codegen-units=1' \
        --config 'profile.release.panic="abort"' 2>&1 | grep -v '^\s*\(Compiling\|Finished\)' || true
    out=$dir/aarch64-unknown-none/release
    declare -A static_b=() nopanic=() chain=() painted=()
    for img in core raw; do
        elf=$out/size-$img
        [ -f "$elf" ] || {
            echo "stack.sh: the opt-level $opt build of size-$img failed" >&2
            exit 1
        }
        while read -r _ name bytes no_panic rest; do
            static_b[$img.$name]=$bytes
            nopanic[$img.$name]=$no_panic
            chain[$img.$name]=$rest
        done < <(python3 size/stack.py "$elf" --nm "$nm" --objdump "$objdump" \
            --readobj "$readobj" --entry "${entries[@]}" --exclude sink)
        if log=$(./run.sh --hyp "$model" "$elf" 2>&1); then
            while read -r _ name bytes; do
                painted[$img.$name]=$bytes
            done < <(echo "$log" | grep '^paint: ')
        else
            echo "stack.sh: size-$img (opt-level $opt) did not boot cleanly:" >&2
            echo "$log" >&2
            status=1
        fi
    done
    echo "stack opt-level=$opt: bytes: static = emit-stack-sizes along the worst chain (in brackets: without the paths into the panic handler); painted = booted on the model; goal core <= $goal B (painted, and static without the panic paths)"
    printf 'stack opt-level=%s:   %-16s %20s %20s   %s\n' "$opt" entry "core static/painted" "raw static/painted" verdict
    for e in "${entries[@]}"; do
        cs=${static_b[core.$e]:-?}
        cn=${nopanic[core.$e]:-?}
        cp=${painted[core.$e]:-?}
        verdict=ok
        for v in "$cn" "$cp"; do
            n=${v%\?}
            if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -gt "$goal" ]; then
                verdict="OVER (or unknown)"
                missed=1
            fi
        done
        printf 'stack opt-level=%s:   %-16s %20s %20s   %s\n' "$opt" "$e" "$cs ($cn) / $cp" \
            "${static_b[raw.$e]:-?} (${nopanic[raw.$e]:-?}) / ${painted[raw.$e]:-?}" "$verdict"
    done
    echo "stack opt-level=$opt: worst chains of size-core (frame bytes per function):"
    for e in "${entries[@]}"; do
        echo "stack opt-level=$opt:   ${chain[core.$e]:-?}"
    done
    unset static_b nopanic chain painted
done
if [ "$missed" = 1 ] && [ "${STACK_ENFORCE:-0}" = 1 ]; then
    status=1
fi
exit "$status"
