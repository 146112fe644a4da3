#!/usr/bin/env bash
# Installs what the QEMU end-to-end tests need (spec §8), idempotently; any failure is fatal.
#
# - qemu-system-aarch64 from bookworm-backports (QEMU 10.x). Plain bookworm's 7.2 works too but
#   its qemu-system-common Breaks an installed backports qemu-utils, so apt would remove it. The
#   backports source reuses the mirror URI the machine already has for bookworm.
# - dtc (Debian's device-tree-compiler): run.sh compiles the primary VM's device tree
#   (dt/primary-vm.dts) with it, and for the RTOS port image decompiles QEMU's own tree, appends
#   the RM node (dt/rm-node.dtsi) and recompiles it.
# - The aarch64-unknown-none Rust target. (The raw binary of the primary VM is made with
#   llvm-objcopy if there is one, else with the rust-objcopy every Rust toolchain ships.)
set -euo pipefail

# Only a missing binary triggers apt: any qemu-system-aarch64 already there (even bookworm's
# 7.2, which works too) is kept.
need_qemu() {
    ! command -v qemu-system-aarch64 >/dev/null 2>&1
}

need_dtc() {
    ! command -v dtc >/dev/null 2>&1
}

apt_updated=0
apt_update() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update
        apt_updated=1
    fi
}

# The bookworm mirror URI already configured (deb822 `.sources` or one-line `.list` files).
bookworm_mirror() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # A stanza whose Suites include plain "bookworm": print its first URI.
        uri=$(awk '
            /^[[:space:]]*$/ { if (suite && uri) { print uri; exit } suite = 0; uri = ""; next }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
            END { if (suite && uri) print uri }
        ' "$f" | head -n1)
        if [ -n "$uri" ]; then
            echo "$uri"
            return 0
        fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk '$1 == "deb" && $0 ~ / bookworm / {
                   for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f" |
            head -n1)
        if [ -n "$uri" ]; then
            echo "$uri"
            return 0
        fi
    done
    return 1
}

if need_qemu; then
    backports=/etc/apt/sources.list.d/bookworm-backports.sources
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        mirror=$(bookworm_mirror) || {
            echo "install.sh: no bookworm apt source found to take the mirror URI from" >&2
            exit 1
        }
        echo "install.sh: adding bookworm-backports from $mirror"
        cat >"$backports" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -t bookworm-backports \
        --no-install-recommends qemu-system-arm
fi
qemu-system-aarch64 --version | head -n1

if need_dtc; then
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends device-tree-compiler
fi
dtc --version

rustup target add aarch64-unknown-none
