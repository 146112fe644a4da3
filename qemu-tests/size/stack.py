#!/usr/bin/env python3
"""Worst-case stack of entry points from `-Z emit-stack-sizes` (called by stack.sh).

Per function, the frame size comes from the ELF's `.stack_sizes` section (llvm-readobj
--stack-sizes); the call graph from the disassembly (llvm-objdump -d): `bl ADDR` is a call,
`b ADDR` to another function's first instruction a tail call (counted like a call, which
over-estimates by the caller's frame: conservative), `blr` an indirect call the analysis
cannot follow (reported; `br` is taken for a jump table inside the function). A function's worst case is its frame plus the worst of its callees;
recursion is reported. Functions named with --exclude (the message callback: its frame is the
caller's choice, not the library's) count as 0.

    stack.py ELF --nm NM --objdump OBJDUMP --readobj READOBJ --entry NAME... [--exclude NAME...]

Prints, per entry point: `static ENTRY BYTES NOPANIC CHAIN`: the worst case, the worst case of
the paths that do not enter the panic machinery (`core::panicking`, the slice-index and bounds
failures, `rust_begin_unwind`: how deep those go is the image's panic handler's business, and
they end the program), and the worst chain as `name(frame)` from the entry point down; `?` after
the bytes if an indirect call or recursion was on a path.
"""

import argparse
import re
import subprocess
import sys


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("elf")
    p.add_argument("--nm", required=True)
    p.add_argument("--objdump", required=True)
    p.add_argument("--readobj", required=True)
    p.add_argument("--entry", nargs="+", required=True)
    p.add_argument("--exclude", nargs="*", default=[])
    a = p.parse_args()

    # Function symbols: mangled name -> address, address -> demangled name.
    addr_of = {}
    for line in run(a.nm, "--defined-only", a.elf).splitlines():
        f = line.split(maxsplit=2)
        if len(f) == 3 and f[1] in "tTwW":
            addr_of[f[2]] = int(f[0], 16)
    display = {}
    for line in run(a.nm, "--defined-only", "--demangle", a.elf).splitlines():
        f = line.split(maxsplit=2)
        if len(f) == 3 and f[1] in "tTwW":
            name = re.sub(r"::h[0-9a-f]{16}$", "", f[2])
            display.setdefault(int(f[0], 16), name)

    # Frame sizes.
    frame = {}
    text = run(a.readobj, "--stack-sizes", a.elf)
    for names, size in re.findall(r"Functions: \[(.*?)\]\s*Size: (0x[0-9A-Fa-f]+)", text, re.S):
        for name in names.split(","):
            name = name.strip()
            if name in addr_of:
                frame[addr_of[name]] = int(size, 16)

    # Call graph.
    starts = set(addr_of.values())
    calls = {}
    indirect = set()
    current = None
    head = re.compile(r"^([0-9a-f]{16}) <(.*)>:$")
    insn = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s+(.*)$")
    for line in run(a.objdump, "-d", "--no-show-raw-insn", a.elf).splitlines():
        m = head.match(line)
        if m:
            addr = int(m.group(1), 16)
            # Mapping symbols ($x, $d) do not start functions.
            if addr in starts and not m.group(2).startswith("$"):
                current = addr
                calls.setdefault(current, set())
            continue
        m = insn.match(line)
        if not m or current is None:
            continue
        op, args = m.group(2), m.group(3)
        if op == "blr":
            indirect.add(current)
        elif op in ("bl", "b"):
            t = re.match(r"0x([0-9a-f]+)", args)
            if t:
                target = int(t.group(1), 16)
                if target in starts and target != current:
                    calls[current].add(target)

    excluded = {addr_of[n] for n in a.exclude if n in addr_of}
    # Excluded names may be mangled differently: also match demangled names.
    excluded |= {ad for ad, n in display.items() if n in a.exclude or n.split("::")[-1] in a.exclude}

    panic = re.compile(r"core::panicking::|slice_index_fail|panic_bounds_check|rust_begin_unwind|slice_(start|end)_index_len_fail")
    panics = {ad for ad, n in display.items() if panic.search(n)}
    memo = {}
    skip = set()

    def worst(f, path):
        """(bytes, chain, uncertain) of the worst path from f."""
        if f in excluded or f in skip:
            return 0, [], False
        if f in path:
            return 0, ["<recursion>"], True
        if f in memo:
            return memo[f]
        best = (0, [], False)
        for c in sorted(calls.get(f, ())):
            r = worst(c, path | {f})
            if r[0] > best[0] or (r[0] == best[0] and not best[1]):
                best = (r[0], r[1], best[2] or r[2])
            else:
                best = (best[0], best[1], best[2] or r[2])
        own = frame.get(f, 0)
        name = display.get(f, hex(f))
        mark = "" if f in frame else "(no size)"
        chain = [f"{name}({own}){mark}"] + best[1]
        res = (own + best[0], chain, best[2] or f in indirect or f not in frame)
        memo[f] = res
        return res

    status = 0
    for e in a.entry:
        if e not in addr_of:
            print(f"static {e} missing")
            status = 1
            continue
        skip.clear()
        memo.clear()
        total, chain, uncertain = worst(addr_of[e], frozenset())
        skip.update(panics)
        memo.clear()
        no_panic, _, _ = worst(addr_of[e], frozenset())
        q = "?" if uncertain else ""
        print(f"static {e} {total}{q} {no_panic}{q} {' > '.join(chain)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
