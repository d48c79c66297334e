#!/usr/bin/env bash
# The embedded-io transport's checks, for `.ci/run` (scripts/test.sh) to call: the no_std
# builds for thumbv7em-none-eabihf with and without `async`, and the loopback tests of both
# drivers (the workspace-wide `cargo test` leaves the `async` feature off).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
    rustup target add thumbv7em-none-eabihf
fi
cargo build -p sockettask-embedded-io --target thumbv7em-none-eabihf
cargo build -p sockettask-embedded-io --target thumbv7em-none-eabihf --features async
cargo test -p sockettask-embedded-io --all-features
