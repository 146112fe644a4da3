#!/usr/bin/env bash
# Cargo runner for aarch64-unknown-none: boots a hypervisor image at EL2 with the guest image
# cargo hands over loaded beside it, and exits with the guest's verdict (semihosting SYS_EXIT).
#
#   run.sh [--hyp IMG] [--primary-vm] [--dtb FILE] [--profile model|gunyah] GUEST [ARGS...]
#
# ARGS (e.g. from `cargo test -- ...`) are ignored: a guest image takes none.
#
# The hypervisor image (QEMU's -kernel): --hyp, else $GUNYAH_HYP_IMAGE, else the el2-model
# binary of the same build (cargo builds it with the tests). So the same guest can boot under
# another hypervisor.
#
# Two ways to load the guest:
# - default: the guest ELF at its own addresses (0x41000000) by QEMU's generic loader; the
#   hypervisor enters it at EL1.
# - primary VM (--primary-vm, or automatic when the image's header has FLAG_PRIMARY_VM): the
#   real resource manager's boot contract. The guest as a raw binary (objcopy -O binary of the
#   ELF; a GUEST that is not an ELF is taken as a raw binary already) at 0x41000000 and a
#   device tree at 0x40F00000, both by QEMU's loader. The tree: --dtb, else $GUNYAH_DTB, else
#   (profile model) one made for the model:
#   - dt/primary-vm.dts (which includes dt/rm-node.dtsi) compiled with dtc next to the guest;
#   - for an image whose header also has FLAG_QEMU_TREE (the RTOS port): QEMU's own `virt` tree
#     for this run's machine options (-machine dumpdtb=), decompiled, dt/rm-node.dtsi appended
#     (the /hypervisor node as the real RM writes it), recompiled: GUEST.dtb, made at every
#     boot (QEMU_MACHINE and friends change the tree; the dump takes a fraction of a second).
#   Not with -dtb: QEMU gives a -dtb tree to the -kernel image (the hypervisor at EL2), and
#   the guest's tree is the one at 0x40F00000 that the RM passes on in x0.
#
# Profiles (--profile, else $QEMU_PROFILE, default model) set the QEMU machine:
# - model: -M virt,virtualization=on,gic-version=3 -cpu cortex-a57, -m 128M (1G for a primary
#   VM: its tree says 1 GiB), one CPU. What the el2-model needs.
# - gunyah: the flags a real Gunyah build for QEMU needs (shared/gunyah-real/README.md):
#   virt-8.2 (62.5 MHz counter), highmem=off, -cpu max,sve128=on, -m size=2G, 8 CPUs,
#   multi-threaded TCG, semihosting target=native. It has no default tree: pass QEMU's `virt`
#   tree (the RM adds its /hypervisor node), e.g. --dtb ../../shared/gunyah-real/virt.dtb.
#
# Environment (defaults in brackets): QEMU_TIMEOUT [60; 300 for gunyah] bounds a hung boot
# (exit status 124); QEMU_MACHINE, QEMU_CPU, QEMU_MEMORY override the profile's; QEMU_EXTRA_ARGS
# (word-split, e.g. extra -device loaders); OBJCOPY [llvm-objcopy, else the toolchain's
# rust-objcopy]. Prints the boot's wall time on stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
hyp=${GUNYAH_HYP_IMAGE:-}
dtb=${GUNYAH_DTB:-}
profile=${QEMU_PROFILE:-model}
primary=0
while [ $# -gt 0 ]; do
    case "$1" in
        --hyp)
            hyp=${2:?run.sh: --hyp needs an image}
            shift 2
            ;;
        --dtb)
            dtb=${2:?run.sh: --dtb needs a file}
            shift 2
            ;;
        --profile)
            profile=${2:?run.sh: --profile needs model or gunyah}
            shift 2
            ;;
        --primary-vm)
            primary=1
            shift
            ;;
        *) break ;;
    esac
done
guest=${1:?usage: run.sh [--hyp IMG] [--primary-vm] [--dtb FILE] [--profile model|gunyah] GUEST}
case "$(basename "$guest")" in
    el2-model)
        echo "run.sh: el2-model is the hypervisor, not a guest: run 'cargo test'" >&2
        exit 2
        ;;
esac
case "$profile" in
    model | gunyah) ;;
    *)
        echo "run.sh: unknown profile '$profile' (model or gunyah)" >&2
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

# `objcopy -O binary`: OBJCOPY, else llvm-objcopy, else the rust-objcopy every Rust toolchain
# ships (it needs the toolchain's libLLVM, in the sysroot's lib/).
to_binary() {
    if [ -n "${OBJCOPY:-}" ]; then
        "$OBJCOPY" -O binary "$1" "$2"
        return
    fi
    if command -v llvm-objcopy >/dev/null 2>&1; then
        llvm-objcopy -O binary "$1" "$2"
        return
    fi
    local sysroot f
    sysroot=$(rustc --print sysroot 2>/dev/null) || sysroot=
    for f in "$sysroot"/lib/rustlib/*/bin/rust-objcopy; do
        if [ -x "$f" ]; then
            LD_LIBRARY_PATH="$sysroot/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
                "$f" -O binary "$1" "$2"
            return
        fi
    done
    echo "run.sh: no llvm-objcopy or rust-objcopy to make the raw binary (set OBJCOPY)" >&2
    return 2
}

# The raw binary of the guest (the guest itself if it is not an ELF).
if [ "$(od -An -tx1 -N4 "$guest" | tr -d ' \n')" = 7f454c46 ]; then
    bin=$guest.bin
    to_binary "$guest" "$bin"
    elf=1
else
    bin=$guest
    elf=0
fi

# The image header (abi/src/header.rs): magic "GMSQGST1" at 8, flags at 16: FLAG_PRIMARY_VM = 4,
# FLAG_QEMU_TREE = 8 (QEMU's own tree plus the RM node, for a primary VM on the model).
header=$(od -An -tx1 -j8 -N9 "$bin" | tr -d ' \n')
flags=0
if [ "${header:0:16}" = 474d535147535431 ]; then
    flags=$((0x${header:16:2}))
fi
if (((flags & 4) != 0)); then
    primary=1
fi
if [ "$primary" = 0 ] && [ "$elf" = 0 ]; then
    echo "run.sh: $guest is a raw binary: it can only boot as a primary VM (--primary-vm)" >&2
    exit 2
fi

if [ "$profile" = gunyah ]; then
    machine=(-M "${QEMU_MACHINE:-virt-8.2,virtualization=on,gic-version=3,highmem=off}"
        -cpu "${QEMU_CPU:-max,sve128=on}" -m "${QEMU_MEMORY:-size=2G}" -smp "cpus=8"
        -accel "tcg,thread=multi" -semihosting-config "enable=on,target=native")
    timeout=${QEMU_TIMEOUT:-300}
else
    memory=128M
    [ "$primary" = 0 ] || memory=1G
    machine=(-M "${QEMU_MACHINE:-virt,virtualization=on,gic-version=3}"
        -cpu "${QEMU_CPU:-cortex-a57}" -m "${QEMU_MEMORY:-$memory}" -semihosting)
    timeout=${QEMU_TIMEOUT:-60}
fi

tree_kind=
if [ "$primary" = 1 ] && [ -z "$dtb" ]; then
    if [ "$profile" = gunyah ]; then
        echo "run.sh: a real Gunyah build needs QEMU's virt tree: --dtb FILE (or GUNYAH_DTB)" >&2
        exit 2
    fi
    command -v dtc >/dev/null 2>&1 || {
        echo "run.sh: dtc not found: bash install.sh (device-tree-compiler)" >&2
        exit 2
    }
    rm_node=$here/dt/rm-node.dtsi
    if (((flags & 8) != 0)); then
        # QEMU's own tree for exactly this machine, plus the RM node. dtc -q: QEMU's tree draws
        # warnings (unit addresses, the RM's VM node without `reg`) that are not ours to fix;
        # the decompiled tree round-trips unchanged. Recompiling also packs it (QEMU dumps it
        # padded to 1 MiB, all the room between 0x40F00000 and the image).
        dtb=$guest.dtb
        qemu-system-aarch64 "${machine[@]}" -machine "dumpdtb=$dtb.qemu" -nographic -nic none \
            >/dev/null
        { dtc -q -I dtb -O dts "$dtb.qemu" && cat "$rm_node"; } |
            dtc -q -I dts -O dtb -o "$dtb.tmp" -
        rm -f "$dtb.qemu"
        mv "$dtb.tmp" "$dtb"
        tree_kind="QEMU virt + RM node, "
    else
        # The project's tree for the model, compiled when a source is newer.
        dts=$here/dt/primary-vm.dts
        dtb=$(dirname "$guest")/primary-vm.dtb
        if [ ! -f "$dtb" ] || [ "$dts" -nt "$dtb" ] || [ "$rm_node" -nt "$dtb" ]; then
            # The /hypervisor bus holds a node without `reg` (qcom,gunyah-vm), as the RM's does.
            dtc -W no-simple_bus_reg -I dts -O dtb -o "$dtb.tmp" "$dts"
            mv "$dtb.tmp" "$dtb"
        fi
    fi
fi

if [ "$primary" = 1 ]; then
    load=(-device "loader,file=$dtb,addr=0x40F00000" -device "loader,file=$bin,addr=0x41000000")
else
    load=(-device "loader,file=$guest")
fi

# shellcheck disable=SC2206 # word splitting is the point
extra=(${QEMU_EXTRA_ARGS:-})
start=$(date +%s%N)
status=0
timeout "$timeout" qemu-system-aarch64 \
    "${machine[@]}" \
    -nographic -nic none \
    "${load[@]}" \
    "${extra[@]}" \
    -kernel "$hyp" || status=$?
end=$(date +%s%N)
kind=""
[ "$primary" = 0 ] || kind=" (primary VM, tree $tree_kind$(basename "$dtb"))"
echo "run.sh: $(basename "$guest")$kind under $(basename "$hyp") [$profile]: exit $status," \
    "$(((end - start) / 1000000)) ms wall" >&2
exit "$status"
