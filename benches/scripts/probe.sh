#!/usr/bin/env bash
# Interleaved runs of `echo_probe CONTENDER ping-pong 16 SOCKETS 20000` for every contender,
# RUNS times each; prints per contender the median wall time per round and the median on-CPU
# time of the client thread per round (less disturbed by neighbours than wall time), each with
# raw TCP's over it (raw/this: 1.00 = as fast as raw TCP).
#
# usage: benches/scripts/probe.sh RUNS SOCKETS [CONTENDER...]   (raw TCP is always added)
set -euo pipefail
runs=$1
s=$2
shift 2
contenders=("$@")
[ ${#contenders[@]} -gt 0 ] || contenders=(sockettask tungstenite fastwebsockets)
root=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --quiet --release -p sockettask-benches --example echo_probe --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/echo_probe
for _ in $(seq "$runs"); do
    for c in "${contenders[@]}" raw; do
        echo "$c $("$bin" "$c" ping-pong 16 "$s" 20000)"
    done
done | python3 -c '
import re, statistics, sys
wall, cpu = {}, {}
for line in sys.stdin:
    label = line.split()[0]
    m = re.search(r": ([0-9.]+)(µs|ms|ns) per iteration", line)
    wall.setdefault(label, []).append(float(m.group(1)) * {"µs": 1, "ms": 1000, "ns": 0.001}[m.group(2)])
    c = re.search(r"on CPU ([0-9.]+)µs", line)
    if c:
        cpu.setdefault(label, []).append(float(c.group(1)))
rw, rc = statistics.median(wall["raw"]), statistics.median(cpu["raw"])
for k in wall:
    w, c = statistics.median(wall[k]), statistics.median(cpu[k])
    print(f"{k:15s} x{sys.argv[1]}: wall {w:7.2f} µs (raw/this {rw / w:.3f})  "
          f"client CPU {c:6.2f} µs (raw/this {rc / c:.3f})  n={len(wall[k])}")
' "$s"
