#!/usr/bin/env bash
# Runs the Autobahn|Testsuite fuzzing server (../shared/autobahn, see its README) against the
# `autobahn_client` example built in release: every section, 1 to 13, with permessage-deflate
# offered (AUTOBAHN_DEFLATE=1, for sections 12 and 13). Fails when the harness does: a FAILED
# case, a missing case, an unclean close, any NON-STRICT case (AUTOBAHN_MAX_NON_STRICT=0) or
# any UNIMPLEMENTED one (AUTOBAHN_MAX_UNIMPLEMENTED=0).
#
# Environment: SOCKETTASK_SHARED (default ../shared) is the shared folder; any AUTOBAHN_*
# knob of run.sh may be set as well (AUTOBAHN_CASES=1.*,2.* for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."

shared=${SOCKETTASK_SHARED:-../shared}
autobahn="$shared/autobahn"
if [ ! -x "$autobahn/run.sh" ] || [ ! -x "$autobahn/setup.sh" ]; then
    echo "autobahn.sh: no Autobahn harness at $autobahn (the shared folder belongs beside the repository)" >&2
    exit 2
fi
target=${CARGO_TARGET_DIR:-target}

cargo build --release -p sockettask-mio --example autobahn_client
"$autobahn/setup.sh" "$target/autobahn-venv"

# The fuzzing server is one single-threaded Python process, and with permessage-deflate it,
# not the client, sets the pace (sections 12-13 move 1000-message runs through its frame
# code). So the cases run in shards, one server and one client each, side by side: together
# they are every case, each shard is judged by run.sh as a whole run is, and the run fails
# when any shard does. The two default shards take about as long each: in a CI run, 1-10 +
# 12.x + 13.6 took 330 s and 13.x but 13.6 224 s, so 12.1 and 13.6 moved to the second.
# AUTOBAHN_CASES (one pattern list) runs a single shard instead; AUTOBAHN_SHARDS
# (space-separated pattern lists) names other shards.
if [ -n "${AUTOBAHN_CASES:-}" ]; then
    shards=("$AUTOBAHN_CASES")
elif [ -n "${AUTOBAHN_SHARDS:-}" ]; then
    read -r -a shards <<< "$AUTOBAHN_SHARDS"
else
    shards=(
        "1.*,2.*,3.*,4.*,5.*,6.*,7.*,8.*,9.*,10.*,12.2.*,12.3.*,12.4.*,12.5.*"
        "12.1.*,13.*"
    )
fi
reports=${AUTOBAHN_REPORT_DIR:-$target/autobahn-reports}

started=$(date +%s)
pids=()
for i in "${!shards[@]}"; do
    # The example reads AUTOBAHN_URL and AUTOBAHN_AGENT, which run.sh sets for it.
    AUTOBAHN_CASES="${shards[$i]}" \
        AUTOBAHN_PY="$target/autobahn-venv/bin/python" \
        AUTOBAHN_MAX_NON_STRICT=${AUTOBAHN_MAX_NON_STRICT:-0} \
        AUTOBAHN_MAX_UNIMPLEMENTED=${AUTOBAHN_MAX_UNIMPLEMENTED:-0} \
        AUTOBAHN_DEFLATE=${AUTOBAHN_DEFLATE:-1} \
        AUTOBAHN_TIMEOUT=${AUTOBAHN_TIMEOUT:-600} \
        AUTOBAHN_REPORT_DIR="$reports/shard-$i" \
        "$autobahn/run.sh" sockettask "$target/release/examples/autobahn_client" \
        > "$target/autobahn-shard-$i.log" 2>&1 &
    pids+=($!)
done
status=0
for i in "${!shards[@]}"; do
    shard_status=0
    wait "${pids[$i]}" || shard_status=$?
    echo "==== shard $i (${shards[$i]}): run.sh exited $shard_status"
    tail -n 40 "$target/autobahn-shard-$i.log"
    [ "$shard_status" -eq 0 ] || status=$shard_status
done
# One line for every case: the sum of the shards' last lines.
python3 - "$target" "${#shards[@]}" <<'PY'
import re, sys
target, n = sys.argv[1], int(sys.argv[2])
keys = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
total, cases = dict.fromkeys(keys, 0), 0
for i in range(n):
    lines = [l for l in open(f"{target}/autobahn-shard-{i}.log") if l.startswith("autobahn sockettask:")]
    if not lines:
        continue
    m = re.search(r"(\d+) cases", lines[-1])
    cases += int(m.group(1)) if m else 0
    for k in keys:
        m = re.search(rf"\b{k}=(\d+)", lines[-1])
        total[k] += int(m.group(1)) if m else 0
print(f"autobahn sockettask, all shards: {cases} cases, " + " ".join(f"{k}={total[k]}" for k in keys))
PY
echo "autobahn.sh: $((${#shards[@]})) shard(s), status $status, after $(($(date +%s) - started)) s"
exit "$status"
