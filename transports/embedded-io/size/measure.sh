#!/usr/bin/env bash
# Flash and RAM of the two size programs for thumbv7em-none-eabihf (release, opt-level "s",
# LTO, panic=abort): the sockettask core + this transport with one task, and the same program
# over embedded-websocket 0.9, plus the core alone driven by hand (core_only). Needs llvm-size/llvm-objdump (Debian's llvm) and python3.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --target thumbv7em-none-eabihf --bins
for bin in core_only sockettask embedded_websocket; do
    elf=target/thumbv7em-none-eabihf/release/$bin
    echo "== $bin"
    llvm-size -A "$elf" | grep -E '^\.(text|rodata|data|bss|ARM.exidx) '
    llvm-size -B "$elf" | tail -1
    llvm-objdump -d --no-show-raw-insn "$elf" | python3 stack.py _start
done
