#!/usr/bin/env bash
# Code footprint per iteration of the in-memory cases (examples/instructions.rs), ours and
# embedded-websocket's: the 64-byte lines of the program's own code that one iteration
# executes, counted by valgrind's lackey. A line counts when an instruction in it runs at
# least once per iteration (5 iterations, against a run of 0 for the set-up), and is named
# after the function of the first such instruction. SHA-1's portable compression
# function is left out: under valgrind it stands in for the SHA instructions the machine runs
# natively (sha1's run-time detection), which are a few lines. Like instruction counts, the
# figure does not move with the machine's load; it is what an instruction cache must hold
# for a case (32 KiB of L1 on the machines here), which instruction counts do not show.
#
# usage: benches/scripts/footprint.sh [-v] [CASE...]   (default: the handshake cases;
#        -v: the lines of each function, largest first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
verbose=0
if [ "${1:-}" = -v ]; then
    verbose=1
    shift
fi
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(handshake ews-handshake server-101)
command -v valgrind >/dev/null || { echo "footprint.sh: valgrind not found" >&2; exit 1; }
cargo build --quiet --release -p sockettask-benches --example instructions --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/instructions
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nm -C --defined-only -n "$bin" | grep -i ' t ' >"$out/symbols"
for c in "${cases[@]}"; do
    for n in 0 5; do
        valgrind --tool=lackey --trace-mem=yes --log-file="$out/trace.$n" "$bin" "$c" "$n" >/dev/null 2>&1
    done
    python3 - "$c" "$out" "$verbose" <<'EOF'
import bisect, collections, re, sys

case, out, verbose = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
# valgrind loads a position-independent program at 0x108000; its libraries lie far above.
base, top = 0x108000, 0x1000000
symbols = []
for line in open(f"{out}/symbols"):
    address, _, name = line.split(None, 2)
    symbols.append((int(address, 16), name.strip()))
starts = [a for a, _ in symbols]

def executed(path):
    seen = collections.Counter()
    for line in open(path):
        m = re.match(r"^I\s+([0-9a-f]+),", line)
        if m and int(m.group(1), 16) < top:
            seen[int(m.group(1), 16)] += 1
    return seen

# Instructions that run once or more per iteration; a line is named after the function of
# the first of them in it (a line can hold the end of one function and the start of another).
setup, run = executed(f"{out}/trace.0"), executed(f"{out}/trace.5")
# The base is valgrind's, not read from the trace: check it, or every name below is wrong.
main = next((a for a, name in symbols if name == "main"), None)
if main is None or setup.get(base + main, 0) == 0:
    sys.exit(f"footprint.sh: the program's `main` did not run at {base:#x} + its address")
first = {}
for address, count in run.items():
    if count - setup.get(address, 0) >= 5:
        line = address // 64
        first[line] = min(first.get(line, address), address)
per_function = collections.Counter()
for line, address in first.items():
    i = bisect.bisect_right(starts, address - base) - 1
    name = symbols[i][1] if i >= 0 else "?"
    if "compress::soft" not in name:
        per_function[name] += 1
total = sum(per_function.values())
print(f"{case:<24} {total:5d} lines ({total * 64} B) of code per iteration")
if verbose:
    for name, count in per_function.most_common():
        print(f"    {count:4d} {name[:110]}")
EOF
done
