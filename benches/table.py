#!/usr/bin/env python3
"""Turns criterion's results into the Markdown table of benches/README.md.

Reads target/criterion/**/new/{benchmark,estimates}.json (the median of each benchmark),
target/criterion/memory.json, target/criterion/resident.json and target/criterion/ratios.json
(written by the `memory`, `resident` and `ratios` benches), prints Markdown to stdout:
one row per case, the median time of every contender, sockettask's throughput, and the
ratios ours / best other and ours / memcpy (times: below 1 means sockettask is faster), and
the physical limit of the case with sockettask's speed as a share of it. The `deflate` bench's
cases get a table of their own: sockettask, yawc, the library alone (the limit) and
sockettask's speed as a share of it. So do the `ratios` bench's goal cases, timed in
alternating batches in one process: each ratio beside the issue's goal.

    python3 benches/table.py [TARGET_DIR]     # default: target/ next to this script's parent
"""

import glob
import json
import os
import re
import subprocess
import sys
import time

CONTENDERS = ["sockettask", "sockettask-blocking", "tungstenite", "fastwebsockets", "embedded-websocket"]
OURS = "sockettask"
# sockettask too (the embedded-io blocking driver, echo rows only): a column, never "best other".
OURS_TOO = ["sockettask-blocking"]


def load(root):
    """{group: {function: (median_ns, throughput_bytes)}} from criterion's output."""
    results = {}
    for path in glob.glob(os.path.join(root, "criterion", "**", "new", "benchmark.json"), recursive=True):
        estimates = os.path.join(os.path.dirname(path), "estimates.json")
        if not os.path.exists(estimates):
            continue
        with open(path) as f:
            bench = json.load(f)
        with open(estimates) as f:
            median = json.load(f)["median"]["point_estimate"]
        throughput = (bench.get("throughput") or {}).get("Bytes")
        results.setdefault(bench["group_id"], {})[bench["function_id"]] = (median, throughput)
    return results


def saved(root, name):
    """The JSON a bench wrote to target/criterion/NAME, or None if that bench has not run."""
    path = os.path.join(root, "criterion", name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(per_second, unit):
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_second >= scale:
            return f"{per_second / scale:.3g} {prefix}{unit}"
    return f"{per_second:.3g} {unit}"


def size_bytes(group):
    m = re.search(r"(\d+) (B|KiB|MiB)", group)
    if not m:
        return 0
    return int(m.group(1)) * {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20}[m.group(2)]


def order(group):
    sections = ["send", "receive text", "receive binary", "handshake", "echo ping-pong", "echo pipelined"]
    section = next((i for i, s in enumerate(sections) if group.startswith(s)), len(sections))
    sockets = re.search(r" x(\d+)$", group)
    return (section, "fragments" in group, int(sockets.group(1)) if sockets else 0, size_bytes(group), group)


def limit_of(group, functions):
    """The physical limit the case is held against (name, median) or None."""
    wanted = ["limit:copy+xor"] if group.startswith("send") else []
    if group.startswith("receive text"):
        wanted = ["limit:simdutf8"]
    elif group.startswith("receive binary"):
        wanted = ["limit:memcpy"]
    elif group.startswith("echo"):
        wanted = ["limit:raw-tcp"]
    elif group.startswith("handshake"):
        wanted = ["limit:server-101"]
    for name in wanted:
        if name in functions:
            return name[len("limit:"):], functions[name][0]
    return None


def messages_per_iteration(group):
    m = re.search(r" x(\d+)$", group)
    return int(m.group(1)) if m and "ping-pong" in group else 1


def table(results):
    head = CONTENDERS + ["ours MB/s", "ours msg/s", "ours / best other", "ours / memcpy", "limit", "ours vs limit"]
    lines = ["| case | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head)]
    behind = []
    for group in sorted(results, key=order):
        functions = results[group]
        if OURS not in functions or group.startswith("deflate "):
            continue
        ours, throughput = functions[OURS]
        cells = [fmt_time(functions[c][0]) if c in functions else "–" for c in CONTENDERS]
        cells[0] = f"**{cells[0]}**"
        mbps = throughput / ours * 1e3 if throughput else None
        cells.append("–" if mbps is None else f"{mbps:,.0f}" if mbps >= 100 else f"{mbps:.3g}")
        cells.append(fmt_rate(messages_per_iteration(group) / ours * 1e9, ""))
        others = [(functions[c][0], c) for c in CONTENDERS[1:] if c in functions and c not in OURS_TOO]
        if others:
            best, name = min(others)
            cells.append(f"{ours / best:.2f} ({name})")
            if ours > best:
                behind.append(f"{group}: {name} {ours / best:.2f}× faster")
        else:
            cells.append("–")
        memcpy = functions.get("limit:memcpy")
        cells.append(f"{ours / memcpy[0]:.2f}" if memcpy else "–")
        limit = limit_of(group, functions)
        if limit and group.startswith("handshake"):
            # The mock server's share of every contender's time, not a bound.
            cells += [f"{limit[0]} {fmt_time(limit[1])} (included)", "–"]
        elif limit and "limit:raw-tcp-mio" in functions:
            # Raw TCP over a mio readiness loop: the floor of a client driven by readiness.
            floor = functions["limit:raw-tcp-mio"][0]
            cells.append(f"{limit[0]} {fmt_time(limit[1])}; over mio {fmt_time(floor)}")
            blocking = functions.get("sockettask-blocking")
            also = f"; blocking driver {limit[1] / blocking[0] * 100:.0f} %" if blocking else ""
            cells.append(f"{limit[1] / ours * 100:.0f} % ({floor / ours * 100:.0f} % of mio's{also})")
        elif limit:
            cells.append(f"{limit[0]} {fmt_time(limit[1])}")
            cells.append(f"{limit[1] / ours * 100:.0f} %")
        else:
            cells += ["–", "–"]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return lines, behind


def deflate(results):
    """The permessage-deflate table (`deflate` bench), or []."""
    groups = sorted((g for g in results if g.startswith("deflate ") and OURS in results[g]),
                    key=lambda g: (not g.startswith("deflate receive"), "no context" in g, size_bytes(g)))
    if not groups:
        return []
    head = ["sockettask", "yawc", "limit (the library alone)", "ours vs limit", "ours / yawc",
            "zlib-rs inflate alone", "ours MB/s"]
    lines = ["| case | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head)]
    for group in groups:
        functions = results[group]
        ours, throughput = functions[OURS]
        limit_name = "limit:miniz_oxide" if group.startswith("deflate receive") else "limit:deflate"
        limit = functions.get(limit_name)
        yawc = functions.get("yawc")
        zlib = functions.get("ref:zlib-rs")
        cells = [f"**{fmt_time(ours)}**", fmt_time(yawc[0]) if yawc else "–",
                 f"{limit_name[len('limit:'):]} {fmt_time(limit[0])}" if limit else "–",
                 f"{limit[0] / ours * 100:.0f} %" if limit else "–",
                 f"{ours / yawc[0]:.2f}" if yawc else "–",
                 fmt_time(zlib[0]) if zlib else "–",
                 f"{throughput / ours * 1e3:,.0f}" if throughput else "–"]
        lines.append(f"| {group[len('deflate '):]} | " + " | ".join(cells) + " |")
    return lines


def memory(root):
    data = saved(root, "memory.json")
    if data is None:
        return []
    lines = ["| client state | bytes (`size_of`) |", "|---|---:|"]
    lines += [f"| {name} | {size} |" for name, size in data["size_of"].items()]
    lines += ["", "| echo client, 64 KiB messages | peak heap / socket, 1 socket | peak heap / socket, 5 sockets |",
              "|---|---:|---:|"]
    for name, peaks in data["peak_heap_per_socket"].items():
        lines.append(f"| {name} | {peaks['1'] / 1024:.0f} KiB | {peaks['5'] / 1024:.0f} KiB |")
    return lines


def ratios(root):
    """The goal ratios the `ratios` bench timed in alternating batches, or []."""
    data = saved(root, "ratios.json")
    if data is None:
        return []
    lines = ["| goal case (interleaved) | sockettask | against | ours / theirs (quartiles) | goal | |",
             "|---|---:|---:|---:|---:|---|"]
    for case, r in data.items():
        met = "met" if r["ratio"] <= r["at_most"] else "**not met**"
        lines.append(f"| {case} | {fmt_time(r['ours_ns'])} | {r['peer']} {fmt_time(r['peer_ns'])} | "
                     f"{r['ratio']:.3f} ({r['low']:.3f}–{r['high']:.3f}) | ≤ {r['at_most']:.3f} | {met} |")
    return lines


def resident(root):
    """The per-task resident-memory table written by the `resident` bench, or []."""
    data = saved(root, "resident.json")
    if data is None:
        return []
    phases = [("client", "client alone"), ("idle", "idle"), ("peak", "peak during 1 MiB"),
              ("after", "after 1 MiB"), ("back", "back to idle")]
    lines = [f"| KiB per task ({data['tasks']} tasks): RSS / anonymous RSS / heap | "
             + " | ".join(title for _, title in phases) + " |",
             "|---|" + "---:|" * len(phases)]

    def kib(n):
        return "–" if n is None else f"{n / 1024:.1f}"

    for name, figures in data["per_task"].items():
        cells = [" / ".join(kib(figures[key][field]) for field in ("rss", "anon", "heap")) for key, _ in phases]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if data.get("spread"):
        lines += ["", f"Spread over the {data['runs']} runs (min–max per task): " + "; ".join(data["spread"]) + "."]
    return lines


def machine():
    def run(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"

    model = next((l.split(":", 1)[1].strip() for l in run("lscpu").splitlines() if l.startswith("Model name")), "?")
    load = " ".join(run("cat", "/proc/loadavg").split()[:3])
    return f"{model}, {run('nproc')} CPUs, load average {load}, {time.strftime('%Y-%m-%d %H:%M %Z')}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "target")
    results = load(root)
    if not results:
        sys.exit(f"no criterion results under {root}/criterion: run `cargo bench -p sockettask-benches` first")
    lines, behind = table(results)
    print(f"Machine: {machine()}\n")
    print("\n".join(lines))
    goals = ratios(root)
    if goals:
        print("\n" + "\n".join(goals))
    pmd = deflate(results)
    if pmd:
        print("\n" + "\n".join(pmd))
    mem = memory(root)
    if mem:
        print("\n" + "\n".join(mem))
    res = resident(root)
    if res:
        print("\n" + "\n".join(res))
    if behind:
        print("\nBehind another contender in: " + "; ".join(behind) + ".")


if __name__ == "__main__":
    main()
