#!/usr/bin/env bash
# Instructions per iteration of the in-memory cases (examples/instructions.rs), ours and
# embedded-websocket's, counted by callgrind: each case runs at 1,000 and at 11,000
# iterations and the difference over 10,000 is printed, so set-up drops out. The counts are
# the same on a loaded machine; they need valgrind (Debian: apt-get install valgrind).
#
# usage: benches/scripts/instructions.sh [CASE...]   (default: every case)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(receive-text-16 ews-receive-text-16 receive-binary-16 ews-receive-binary-16
    send-16 ews-send-16 handshake ews-handshake server-101 connect ews-connect)
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind not found" >&2; exit 1; }
cargo build --quiet --release -p sockettask-benches --example instructions --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/instructions
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" "$2" >/dev/null 2>"$out/log"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log"
}
for c in "${cases[@]}"; do
    low=$(count "$c" 1000)
    high=$(count "$c" 11000)
    printf '%-24s %8d instructions per iteration\n' "$c" $(((high - low) / 10000))
done
