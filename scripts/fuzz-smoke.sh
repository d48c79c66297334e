#!/usr/bin/env bash
# Smoke run of every cargo-fuzz target: a short, fixed budget each, failing on any crash.
#
#   scripts/fuzz-smoke.sh                 # 20 s (and at most 2M runs) per target
#   FUZZ_SECONDS=600 scripts/fuzz-smoke.sh
#   FUZZ_TARGETS="inflate" scripts/fuzz-smoke.sh   # some targets only (default: every one)
#
# The targets are those of `cargo fuzz list` (fuzz/Cargo.toml): frame_decode,
# handshake_response, socket_task, round_trip and inflate (permessage-deflate's receive path).
# Installs cargo-fuzz from crates.io when it is missing and needs the nightly toolchain.
# New corpus entries go to a temporary directory: the committed seed corpus is only read.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${FUZZ_SECONDS:-20}"
runs="${FUZZ_RUNS:-2000000}"
toolchain="${FUZZ_TOOLCHAIN:-nightly}"

if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    echo "fuzz-smoke: the $toolchain toolchain is missing (rustup toolchain install $toolchain)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo "+$toolchain" fuzz build --fuzz-dir fuzz
targets="${FUZZ_TARGETS:-$(cargo "+$toolchain" fuzz list --fuzz-dir fuzz)}"
for target in $targets; do
    echo "fuzz-smoke: $target for ${seconds}s"
    mkdir -p "$work/$target"
    cargo "+$toolchain" fuzz run --fuzz-dir fuzz "$target" "$work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -runs="$runs" -print_final_stats=1
done
echo "fuzz-smoke: every target ran without a crash"
