#!/usr/bin/env bash
# Two in-memory cases of examples/instructions.rs timed against each other (`--ab`) over many
# code layouts: the example is linked again with lld, its functions in a shuffled order
# (`--shuffle-sections`, one seed per layout), and each layout's median ratio is printed, then
# the median, mean and range over the layouts.
#
# Why: on the machines here the handshake's ratio moves by ±5 % with where the code lies
# alone. The same objects linked in twelve orders gave 0.93 to 1.05 (benches/README, seventh
# round), embedded-websocket's own handshake 513 to 645 ns, and which order a build gets
# changes with any edit anywhere in the program. One build's ratio, criterion's included, is
# one draw of that; the median over layouts is what the code costs, and what a change to it
# moves.
#
# usage: benches/scripts/layouts.sh [-n LAYOUTS] [CASE_A CASE_B [BATCH ROUNDS]]
#        (default: -n 24 handshake ews-handshake 500 600)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
layouts=24
if [ "${1:-}" = -n ]; then
    layouts=$2
    shift 2
fi
a=${1:-handshake}
b=${2:-ews-handshake}
batch=${3:-500}
rounds=${4:-600}
sysroot=$(rustc --print sysroot)
gcc_ld="$sysroot/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/gcc-ld"
[ -x "$gcc_ld/ld.lld" ] || { echo "layouts.sh: rust-lld's ld.lld not found in $gcc_ld" >&2; exit 1; }
out=$(mktemp -d)
# `-C save-temps` below keeps rustc's temporary directories next to the example: the ones this
# run adds are removed at the end (its objects are overwritten by the next build).
examples="${CARGO_TARGET_DIR:-$root/target}/release/examples"
kept() { find "$examples" -maxdepth 1 -type d \( -name 'rustc*' -o -name 'rmeta*' \) 2>/dev/null | sort; }
kept >"$out/kept.before"
trap 'kept | comm -13 "$out/kept.before" - | xargs -r rm -rf; rm -rf "$out"' EXIT
# The link command of a fresh build of the example, with its objects kept (`-C save-temps`).
# Cargo runs rustc only when the example is out of date: touch it.
touch "$root/benches/examples/instructions.rs"
cargo rustc --quiet --release -p sockettask-benches --example instructions \
    --manifest-path "$root/Cargo.toml" -- --print link-args -C save-temps >"$out/link"
grep -q '"-o"' "$out/link" || { echo "layouts.sh: no link command printed" >&2; exit 1; }
ratios=()
for seed in $(seq 1 "$layouts"); do
    # The same objects, linked by lld with the functions (`.text.*` sections) shuffled.
    bin="$out/instructions.$seed"
    extra="\"-fuse-ld=lld\" \"-B$gcc_ld\" \"-Wl,--shuffle-sections=.text*=$seed\""
    (eval "$(sed -E "s#\"-o\" \"[^\"]*\"#\"-o\" \"$bin\" $extra#" "$out/link")")
    line=$("$bin" --ab "$a" "$b" "$batch" "$rounds" | tail -n 1)
    echo "layout $seed: $line"
    ratios+=("$(sed -E 's/.*ratio ([0-9.]+).*/\1/' <<<"$line")")
done
python3 - "$a" "$b" "${ratios[@]}" <<'EOF'
import statistics, sys
a, b, *ratios = sys.argv[1:]
r = sorted(map(float, ratios))
print(f"{a} / {b} over {len(r)} layouts: median {statistics.median(r):.3f}, "
      f"mean {statistics.mean(r):.3f}, range {r[0]:.3f}-{r[-1]:.3f}")
EOF
