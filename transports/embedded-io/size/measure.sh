#!/usr/bin/env bash
# Flash and RAM of the size programs for thumbv7em-none-eabihf (release, opt-level "s", LTO,
# panic=abort): the sockettask core + this transport with one task, the same with the `deflate`
# feature offering a 1 KiB window (sockettask_deflate), the same program over embedded-websocket
# 0.9, and the core alone driven by hand (core_only). Needs llvm-size/llvm-objdump (Debian's
# llvm) and python3.
#
# The deflate build has its own target dir: feature unification would otherwise put the
# inflate state and code into the other programs too.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --target thumbv7em-none-eabihf --bins
cargo build --release --target thumbv7em-none-eabihf --features deflate --bin sockettask_deflate \
    --target-dir target/deflate
for elf in target/thumbv7em-none-eabihf/release/{core_only,sockettask,embedded_websocket} \
    target/deflate/thumbv7em-none-eabihf/release/sockettask_deflate; do
    echo "== $(basename "$elf")"
    llvm-size -A "$elf" | grep -E '^\.(text|rodata|data|bss|ARM.exidx) '
    llvm-size -B "$elf" | tail -1
    llvm-objdump -d --no-show-raw-insn "$elf" | python3 stack.py _start
done
