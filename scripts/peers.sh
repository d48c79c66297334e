#!/usr/bin/env bash
# Installs the real WebSocket peers the interop tests run against, pinned, under target/peers:
# a Python virtualenv with `websockets` and a local node_modules with `ws`. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PY_WEBSOCKETS=17.4
NODE_WS=8.23.0
dir="target/peers"
mkdir -p "$dir"

# The interpreters themselves come from Debian's packages when the machine lacks them.
apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $* with apt-get"
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        echo "missing: $* (install them, then rerun $0)" >&2
        exit 1
    fi
}
command -v python3 >/dev/null || apt_install python3 python3-venv
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm

if ! "$dir/venv/bin/python" -c "import websockets, sys; sys.exit(websockets.__version__ != '$PY_WEBSOCKETS')" 2>/dev/null; then
    echo "installing Python websockets==$PY_WEBSOCKETS into $dir/venv"
    python3 -m venv "$dir/venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$dir/venv"; }
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "websockets==$PY_WEBSOCKETS"
fi

if [ "$(node -p "try { require('./$dir/node/node_modules/ws/package.json').version } catch { '' }")" != "$NODE_WS" ]; then
    echo "installing Node ws@$NODE_WS into $dir/node"
    mkdir -p "$dir/node"
    (cd "$dir/node" && npm install --silent --no-audit --no-fund --no-save "ws@$NODE_WS" >/dev/null)
fi
echo "peers ready: $("$dir/venv/bin/python" -c 'import websockets; print("websockets", websockets.__version__)'), ws $NODE_WS"
