#!/usr/bin/env bash
# Flash and RAM of the size programs for thumbv7em-none-eabihf (release: opt-level "s", fat
# LTO, one codegen unit, panic=abort; stable toolchain), all from this one run:
#
# - sockettask: the client program of issue 13 over this transport (connect to a wss URL with
#   one subprotocol and an Origin header, send one text, receive one message, close; one
#   task, 1 KiB buffers), its options hidden behind core::hint::black_box. Held to
#   FLASH_LIMIT: the script fails when it is larger (default 20,480 B, issue 13's goal; the
#   script also prints how far the program is from that goal when a higher limit is set).
# - sockettask_err_msg: the same, writing each failure's errMsg to the UART through
#   `err_msg().as_str()` (no core::fmt).
# - embedded_websocket: the same client program over embedded-websocket 0.9, hidden the same.
# - sockettask_deflate: sockettask with the `deflate` feature, offering a 1 KiB window. Held
#   to DEFLATE_STACK_LIMIT of stack (default 4,096 B): the script fails when it needs more.
# - core_only: the core alone, driven by hand (no transport crate).
#
# Flash is .text + .rodata + .ARM.exidx + .data (.data's initial values live in flash too);
# RAM is .data + .bss; the stack is a worst-case walk of direct calls (stack.py).
#
# Needs llvm-size and llvm-objdump: rustup's llvm-tools component (added here when missing),
# else any on PATH (Debian's llvm); and python3. The deflate build has its own target dir:
# feature unification would otherwise put the inflate state and code into the other programs.
set -euo pipefail
cd "$(dirname "$0")"

FLASH_GOAL=20480
FLASH_LIMIT=${FLASH_LIMIT:-$FLASH_GOAL}
# The deflate program's worst-case stack: the inflate state (10.5 KB) must never be built on
# the stack (as a temporary of a new task or of the inflater), where a device has little.
DEFLATE_STACK_LIMIT=${DEFLATE_STACK_LIMIT:-4096}

rustup component add llvm-tools >/dev/null 2>&1 || true
rustup target add thumbv7em-none-eabihf >/dev/null 2>&1 || true
tool() {
    local dir
    for dir in "$(rustc --print sysroot)"/lib/rustlib/*/bin; do
        if [ -x "$dir/$1" ]; then
            echo "$dir/$1"
            return
        fi
    done
    command -v "$1" || { echo "measure.sh: $1 not found (rustup component add llvm-tools)" >&2; exit 1; }
}
SIZE=$(tool llvm-size)
OBJDUMP=$(tool llvm-objdump)

# Where cargo puts the programs: CARGO_TARGET_DIR when it is set, as cargo itself does.
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --quiet --release --target thumbv7em-none-eabihf --bins
cargo build --quiet --release --target thumbv7em-none-eabihf --features deflate --bin sockettask_deflate \
    --target-dir "$TARGET/deflate"

# section NAME ELF: the section's size in bytes (0 when absent).
section() {
    "$SIZE" -A "$2" | awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'
}

printf '%-20s %8s %8s %8s %8s %8s %8s %8s\n' program .text .rodata .exidx .data flash .bss stack
client_flash=
deflate_stack=
for elf in "$TARGET"/thumbv7em-none-eabihf/release/{sockettask,sockettask_err_msg,embedded_websocket,core_only} \
    "$TARGET"/deflate/thumbv7em-none-eabihf/release/sockettask_deflate; do
    name=$(basename "$elf")
    text=$(section .text "$elf")
    rodata=$(section .rodata "$elf")
    exidx=$(section .ARM.exidx "$elf")
    data=$(section .data "$elf")
    bss=$(section .bss "$elf")
    flash=$((text + rodata + exidx + data))
    stack=$("$OBJDUMP" -d --no-show-raw-insn "$elf" | python3 stack.py _start | awk '{ print $1 }')
    printf '%-20s %8d %8d %8d %8d %8d %8d %8d\n' "$name" "$text" "$rodata" "$exidx" "$data" "$flash" "$bss" "$stack"
    if [ "$name" = sockettask ]; then
        client_flash=$flash
    fi
    if [ "$name" = sockettask_deflate ]; then
        deflate_stack=$stack
    fi
done
echo "flash = .text + .rodata + .ARM.exidx + .data; stack = worst case of direct calls from _start"
if [ "$client_flash" -gt "$FLASH_LIMIT" ]; then
    echo "measure.sh: FAIL: sockettask is $client_flash B of flash, over the limit of $FLASH_LIMIT B" >&2
    exit 1
fi
if [ "$deflate_stack" -gt "$DEFLATE_STACK_LIMIT" ]; then
    echo "measure.sh: FAIL: sockettask_deflate needs $deflate_stack B of stack, over the limit of $DEFLATE_STACK_LIMIT B" >&2
    exit 1
fi
echo "sockettask: $client_flash B of flash, within the limit of $FLASH_LIMIT B"
echo "sockettask_deflate: $deflate_stack B of stack, within the limit of $DEFLATE_STACK_LIMIT B"
if [ "$client_flash" -gt "$FLASH_GOAL" ]; then
    echo "sockettask: the goal of $FLASH_GOAL B is not met: $((client_flash - FLASH_GOAL)) B over"
fi
