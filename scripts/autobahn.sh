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

started=$(date +%s)
status=0
# The example reads AUTOBAHN_URL and AUTOBAHN_AGENT, which run.sh sets for it.
AUTOBAHN_PY="$target/autobahn-venv/bin/python" \
    AUTOBAHN_MAX_NON_STRICT=${AUTOBAHN_MAX_NON_STRICT:-0} \
    AUTOBAHN_MAX_UNIMPLEMENTED=${AUTOBAHN_MAX_UNIMPLEMENTED:-0} \
    AUTOBAHN_DEFLATE=${AUTOBAHN_DEFLATE:-1} \
    AUTOBAHN_TIMEOUT=${AUTOBAHN_TIMEOUT:-600} \
    AUTOBAHN_REPORT_DIR=${AUTOBAHN_REPORT_DIR:-$target/autobahn-reports} \
    "$autobahn/run.sh" sockettask "$target/release/examples/autobahn_client" || status=$?
echo "autobahn.sh: run.sh exited $status after $(($(date +%s) - started)) s"
exit "$status"
