#!/usr/bin/env python3
"""Where a size program's code comes from: each instruction's bytes, by the source file of
the code it was compiled from (DWARF line tables, inlined frames followed).

Usage: attribute.py ELF [--objdump PATH] [--symbolizer PATH] [--top N]

The ELF needs debug info: build a copy of the release profile with it, which leaves the code
as it is (`CARGO_PROFILE_RELEASE_DEBUG=2 cargo build --release ... --target-dir OTHER`).
Each instruction is charged in four tables:
- by the innermost frame: the project file, dependency crate or `core` module whose source it
  is (a bounds check inlined from `core::slice` counts for `core/slice`);
- by the innermost frame in this project: which of our files pulled the code in (that bounds
  check counts for the project file that indexed the slice), `(outside)` when no project
  frame is on its stack (functions of the dependencies called, not inlined);
- the code with no project frame by its innermost frame;
- by the innermost function of this project on its stack."""
import collections
import re
import subprocess
import sys


def owner(path):
    """A short name for a source path: the project file, the crate, or core's module."""
    m = re.search(r"/library/([a-z_]+)/src/([a-z_0-9]+)", path)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    m = re.search(r"/registry/src/[^/]+/([^/]+)-\d[^/]*/", path)
    if m:
        return m.group(1)
    m = re.search(r"compiler-builtins[^/]*/", path)
    if m:
        return "compiler_builtins"
    m = re.search(r"/(core|transports)/(.+)$", path)
    if m and "/library/" not in path:
        return f"{m.group(1)}/{m.group(2)}"
    return path or "(unknown)"


def project(path):
    return "/library/" not in path and "/registry/" not in path and "compiler-builtins" not in path \
        and ("/core/src/" in path or "/transports/" in path)


def main():
    args = sys.argv[1:]
    elf = args[0]
    objdump = args[args.index("--objdump") + 1] if "--objdump" in args else "llvm-objdump"
    symbolizer = args[args.index("--symbolizer") + 1] if "--symbolizer" in args else "llvm-symbolizer"
    top = int(args[args.index("--top") + 1]) if "--top" in args else 40
    dis = subprocess.run([objdump, "-d", "--no-show-raw-insn", elf], capture_output=True, text=True,
                         check=True).stdout
    addrs = []
    for line in dis.splitlines():
        m = re.match(r"^\s+([0-9a-f]+):\s", line)
        if m:
            addrs.append(int(m.group(1), 16))
    addrs.sort()
    sizes = [b - a for a, b in zip(addrs, addrs[1:])] + [2]
    query = "\n".join(hex(a) for a in addrs) + "\n"
    out = subprocess.run([symbolizer, "--inlining", "--functions=short", "--demangle", f"--obj={elf}"], input=query,
                         capture_output=True, text=True, check=True).stdout
    blocks = out.strip("\n").split("\n\n")
    inner, outer, outside, funcs = (collections.Counter() for _ in range(4))
    for size, block in zip(sizes, blocks):
        rows = [l for l in block.splitlines() if l.strip()]
        names, files = rows[0::2], [l.rsplit(":", 2)[0] for l in rows[1::2]]
        first = files[0] if files else ""
        inner[owner(first)] += size
        ours = next((f for f in files if project(f)), None)
        fn = next((n for n, f in zip(names, files) if project(f)), None)
        if fn:
            funcs[f"{owner(ours)}: {fn}"] += size
        outer[owner(ours) if ours else "(outside)"] += size
        if not ours:
            outside[owner(first)] += size
    total = sum(sizes)
    tables = (("innermost frame", inner), ("innermost project frame", outer),
              ("innermost frame, of the code with no project frame", outside),
              ("innermost project function", funcs))
    for title, table in tables:
        print(f"== .text by {title} ({total} B of instructions)")
        for name, n in table.most_common(top):
            print(f"{n:7d}  {name}")


if __name__ == "__main__":
    main()
