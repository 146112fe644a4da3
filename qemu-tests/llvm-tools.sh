# shellcheck shell=bash
# Sourced by size.sh and stack.sh: where llvm's binary tools are.
#
#   llvm_tool NAME [TOOLCHAIN]
#
# Prints the path of NAME (llvm-size, llvm-nm, ...) from TOOLCHAIN's llvm-tools component
# (the default toolchain without one), adding the component if it is missing; else the
# system's NAME. Exits 2 if there is neither.
llvm_tool() {
    local name=$1 plus=()
    [ -z "${2:-}" ] || plus=("+$2")
    local sysroot host tools
    sysroot=$(rustc "${plus[@]}" --print sysroot)
    host=$(rustc "${plus[@]}" -vV | sed -n 's/^host: //p')
    tools=$sysroot/lib/rustlib/$host/bin
    [ -x "$tools/$name" ] || rustup "${plus[@]}" component add llvm-tools >/dev/null 2>&1 || true
    if [ -x "$tools/$name" ]; then
        echo "$tools/$name"
    elif command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
    else
        echo "$(basename "$0"): no $name (rustup ${plus[*]} component add llvm-tools)" >&2
        exit 2
    fi
}
