#!/usr/bin/env bash
# Cargo runner for aarch64-unknown-none: boots a hypervisor image at EL2 with the guest image
# cargo hands over loaded beside it, and exits with the guest's verdict (semihosting SYS_EXIT).
#
#   run.sh GUEST [ARGS...]   (ARGS, e.g. from `cargo test -- ...`, are ignored)
#
# GUNYAH_HYP_IMAGE: the hypervisor image (default: the el2-model binary of the same build, so
# the same guest can be booted under another hypervisor image). The guest ELF is loaded at its
# own addresses (0x41000000) by QEMU's generic loader; the hypervisor enters it at EL1.
# QEMU_TIMEOUT (default 60 s) bounds a hung boot (exit status 124).
set -euo pipefail

guest=${1:?usage: run.sh GUEST-IMAGE}
case "$guest" in
    */el2-model | el2-model)
        echo "run.sh: el2-model is the hypervisor, not a guest: run 'cargo test'" >&2
        exit 2
        ;;
esac
hyp=${GUNYAH_HYP_IMAGE:-$(dirname "$guest")/../el2-model}
if [ ! -f "$hyp" ]; then
    hyp=$(dirname "$guest")/el2-model
fi
[ -f "$hyp" ] || {
    echo "run.sh: no hypervisor image at $hyp (set GUNYAH_HYP_IMAGE)" >&2
    exit 2
}

start=$(date +%s%N)
status=0
timeout "${QEMU_TIMEOUT:-60}" qemu-system-aarch64 \
    -M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -m 128M \
    -nographic -nic none -semihosting \
    -device loader,file="$guest" \
    -kernel "$hyp" || status=$?
end=$(date +%s%N)
echo "run.sh: $(basename "$guest") booted under $(basename "$hyp"): exit $status," \
    "$(((end - start) / 1000000)) ms wall" >&2
exit "$status"
