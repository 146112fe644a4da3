#!/usr/bin/env bash
# Cargo runner for aarch64-unknown-none: boots a hypervisor image at EL2 with the guest image
# cargo hands over loaded beside it, and exits with the guest's verdict (semihosting SYS_EXIT).
#
#   run.sh [--hyp HYPERVISOR] GUEST [ARGS...]     (ARGS, e.g. from `cargo test -- ...`, are
#                                                  ignored: a guest image takes none)
#
# The hypervisor image: --hyp, else $GUNYAH_HYP_IMAGE, else the el2-model binary of the same
# build (cargo builds it with the tests). So the same guest can boot under another hypervisor.
# The guest ELF is loaded at its own addresses (0x41000000) by QEMU's generic loader; the
# hypervisor enters it at EL1.
#
# Environment (defaults in brackets): QEMU_TIMEOUT [60] bounds a hung boot (exit status 124);
# QEMU_MACHINE [virt,virtualization=on,gic-version=3], QEMU_CPU [cortex-a57], QEMU_MEMORY
# [128M] (the EL2 model assumes 128M) and QEMU_EXTRA_ARGS (word-split, e.g. extra -device
# loaders) are for other hypervisor images. Prints the boot's wall time on stderr.
set -euo pipefail

hyp=${GUNYAH_HYP_IMAGE:-}
if [ "${1:-}" = "--hyp" ]; then
    hyp=${2:?run.sh: --hyp needs an image}
    shift 2
fi
guest=${1:?usage: run.sh [--hyp HYPERVISOR] GUEST}
case "$(basename "$guest")" in
    el2-model)
        echo "run.sh: el2-model is the hypervisor, not a guest: run 'cargo test'" >&2
        exit 2
        ;;
esac
if [ -z "$hyp" ]; then
    # Test images live in target/<triple>/<profile>/deps, the binary one level up.
    hyp=$(dirname "$guest")/../el2-model
    [ -f "$hyp" ] || hyp=$(dirname "$guest")/el2-model
fi
[ -f "$hyp" ] || {
    echo "run.sh: no hypervisor image at $hyp (use --hyp or GUNYAH_HYP_IMAGE)" >&2
    exit 2
}

# shellcheck disable=SC2206 # word splitting is the point
extra=(${QEMU_EXTRA_ARGS:-})
start=$(date +%s%N)
status=0
timeout "${QEMU_TIMEOUT:-60}" qemu-system-aarch64 \
    -M "${QEMU_MACHINE:-virt,virtualization=on,gic-version=3}" \
    -cpu "${QEMU_CPU:-cortex-a57}" -m "${QEMU_MEMORY:-128M}" \
    -nographic -nic none -semihosting \
    -device loader,file="$guest" \
    "${extra[@]}" \
    -kernel "$hyp" || status=$?
end=$(date +%s%N)
echo "run.sh: $(basename "$guest") under $(basename "$hyp"): exit $status," \
    "$(((end - start) / 1000000)) ms wall" >&2
exit "$status"
