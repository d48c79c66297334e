#!/usr/bin/env python3
"""Worst-case stack depth from an ARM ELF's disassembly (llvm-objdump -d on stdin).

Each function's frame is what its prologue reserves (push / vpush / sub sp); the depth is the
deepest path of direct calls (bl / b.w tail calls) from the entry. Indirect calls (blx rN:
fmt's vtables, panics) are not followed, so this is the depth of the driver's own paths.

ARM mapping symbols (`$t` before Thumb code, `$d` before a literal pool) mark places inside a
function, not functions: the code after them still belongs to the function above."""
import re
import sys

entry = sys.argv[1] if len(sys.argv) > 1 else "_start"
frames, calls, fn = {}, {}, None
for line in sys.stdin:
    m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
    if m and m.group(1).startswith("$"):
        continue
    if m:
        fn = m.group(1)
        frames[fn], calls[fn] = 0, set()
        continue
    if fn is None:
        continue
    ins = line.split("\t")
    op = ins[-2].strip() if len(ins) >= 2 else ""
    args = ins[-1].strip()
    if op in ("push", "push.w", "stmdb") and "{" in args:
        frames[fn] += 4 * len(args[args.index("{") + 1 : args.index("}")].split(","))
    elif op == "vpush":
        regs = args.strip("{}").split(",")
        frames[fn] += sum(8 if r.strip().startswith("d") else 4 for r in regs)
    elif op in ("sub", "sub.w", "subw") and args.startswith("sp, sp,") or (op in ("sub", "sub.w") and args.startswith("sp, #")):
        frames[fn] += int(args.split("#")[-1], 0)
    elif op in ("bl", "b.w", "b") and "<" in args:
        target = args[args.index("<") + 1 : args.index(">")].split("+")[0]
        if target != fn:
            calls[fn].add(target)

memo = {}
def depth(f, seen=()):
    if f in memo:
        return memo[f]
    best = 0
    for c in calls.get(f, ()):
        if c in frames and c not in seen:
            best = max(best, depth(c, seen + (f,)))
    memo[f] = frames.get(f, 0) + best
    return memo[f]

print(f"{depth(entry)} bytes of stack from {entry} (own frame {frames.get(entry, 0)})")
