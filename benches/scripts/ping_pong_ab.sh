#!/usr/bin/env bash
# The loopback ping-pong goal (16 B, 1 and 5 sockets, against raw TCP) timed in one process in
# alternating batches (`echo_probe --ab`), the process and the echo server's threads pinned to
# one CPU: unpinned, each connection's server thread lands on the client's CPU or the other by
# the scheduler's luck, and a round trip takes about 14 µs or 70-80 µs by that alone. Five
# pairs per socket count:
#   sockettask / raw      the mio Driver against the goal (blocking raw TCP: 2 system calls per
#                         round trip);
#   raw-mio / raw         the readiness loop's own cost (raw TCP over mio: 3 system calls);
#   sockettask / raw-mio  what sockettask adds to a readiness loop;
#   blocking / raw        sockettask's blocking driver (sockettask-embedded-io over std's
#                         TcpStream: 2 system calls per round trip, as raw TCP);
#   core / raw            the core alone in the leanest blocking loop (2 system calls): the
#                         floor of any driver over the core.
#
# usage: benches/scripts/ping_pong_ab.sh [BATCH [ROUNDS]]   (defaults 1000 and 30; CPU: $CPU or 0)
set -euo pipefail
batch=${1:-1000}
rounds=${2:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --quiet --release -p sockettask-benches --example echo_probe --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/echo_probe
for sockets in 1 5; do
    for pair in "sockettask raw" "raw-mio raw" "sockettask raw-mio" "blocking raw" "core raw"; do
        # shellcheck disable=SC2086
        taskset -c "${CPU:-0}" "$bin" --ab $pair 16 "$sockets" "$batch" "$rounds"
    done
done
