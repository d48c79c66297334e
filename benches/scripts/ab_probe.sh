#!/usr/bin/env bash
# Interleaved A/B of echo_probe builds: runs `BIN CONTENDER ping-pong 16 SOCKETS 20000` RUNS
# times for every LABEL=BIN:CONTENDER given, in turn, and prints per label the medians of the
# wall time per round, of the client thread's CPU time per round, of its user-space part and
# of its sleeps per round, with raw TCP's over each. One label must be `raw`
# (e.g. raw=BIN:raw). Keep copies of the builds to compare (cargo overwrites its output).
#
# usage: benches/scripts/ab_probe.sh RUNS SOCKETS LABEL=BIN:CONTENDER...
#   e.g. ab_probe.sh 9 5 before=/tmp/probe.old:sockettask after=/tmp/probe.new:sockettask \
#        raw=/tmp/probe.new:raw
set -euo pipefail
runs=$1
s=$2
shift 2
for _ in $(seq "$runs"); do
    for spec in "$@"; do
        label=${spec%%=*}
        rest=${spec#*=}
        echo "$label $("${rest%%:*}" "${rest#*:}" ping-pong 16 "$s" 20000)"
    done
done | python3 -c '
import re, statistics, sys
wall, cpu, user, sleeps = {}, {}, {}, {}
for line in sys.stdin:
    k = line.split()[0]
    m = re.search(r": ([0-9.]+)(µs|ms|ns) per iteration", line)
    wall.setdefault(k, []).append(float(m.group(1)) * {"µs": 1, "ms": 1000, "ns": 0.001}[m.group(2)])
    for pattern, into in ((r"on CPU ([0-9.]+)µs", cpu), (r"user space ([0-9.]+)µs", user), (r"sleeps ([0-9.]+)", sleeps)):
        found = re.search(pattern, line)
        if found:
            into.setdefault(k, []).append(float(found.group(1)))
med = statistics.median
rw, rc = med(wall["raw"]), med(cpu["raw"])
for k in wall:
    w, c = med(wall[k]), med(cpu[k])
    extra = (f"  user {med(user[k]):5.2f} µs" if k in user else "") + (f"  sleeps {med(sleeps[k]):.2f}" if k in sleeps else "")
    print(f"{k:12s} wall {w:7.2f} µs (raw/this {rw / w:.3f})  client CPU {c:6.2f} µs (raw/this {rc / c:.3f}){extra}  n={len(wall[k])}")
'
