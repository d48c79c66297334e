#!/usr/bin/env bash
# System calls per ping-pong round trip of the echo client alone: runs
# `echo_probe CONTENDER ping-pong 16 SOCKETS N` under `strace -ff` (one file per thread) at two
# round counts; the client is the process's main thread (the lowest thread id), the echo server
# runs on threads of its own. (count at N2 - count at N1) / (N2 - N1) removes start-up,
# connects and handshakes.
#
# usage: benches/scripts/strace_round_trip.sh CONTENDER SOCKETS
#   CONTENDER: sockettask, blocking, core, tungstenite, fastwebsockets, raw, raw-mio, raw-ws (see echo_probe)
set -euo pipefail
c=$1
s=$2
n1=${N1:-1000}
n2=${N2:-11000}
root=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --quiet --release -p sockettask-benches --example echo_probe --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/echo_probe
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for n in "$n1" "$n2"; do
    mkdir -p "$out/$n"
    strace -ff -o "$out/$n/t" "$bin" "$c" ping-pong 16 "$s" "$n" >/dev/null
    main=$(ls "$out/$n" | sed 's/^t\.//' | sort -n | head -1)
    grep -oE '^[a-z_0-9]+\(' "$out/$n/t.$main" | tr -d '(' | sort | uniq -c | awk '{ print $2, $1 }' \
        | sort >"$out/$n.counts"
done
join -a1 -a2 -e 0 -o 0,1.2,2.2 "$out/$n1.counts" "$out/$n2.counts" | awk -v d=$((n2 - n1)) -v s="$s" '
    { r = ($3 - $2) / d; if (r > 0.005) { printf "%-14s %.2f\n", $1, r; t += r } }
    END { printf "total          %.2f per round (%d sockets) = %.2f per socket round trip\n", t, s, t / s }'
