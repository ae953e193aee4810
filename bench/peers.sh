#!/usr/bin/env bash
# Our servers beside their peers, on this machine:
#
#   bash bench/peers.sh
#
# HTTP: requests per second under keep-alive load (wrk -t1 -c50) against
# http-server, a plain axum server, a hyper 1.x server with http-server's
# defences and a bare one, all answering the same body, and the article's
# Python http.server program.
# WebSocket: echo round trips per second with 1 and 50 clients against
# ws-server (printing "Received Message: m" for each, as the article's does),
# ws-server with --quiet (what the printing costs), a plain tokio-tungstenite
# echo, a raw tokio TCP echo, and the article's Python websockets server.
# The WebSocket load generator writes a prebuilt masked frame and reads the
# reply's exact bytes, as the TCP one does with raw bytes, so it costs the
# same per round trip for both.
#
# Servers run on core 0 and the load on core 1 (taskset), so they do not
# compete for a core. Beside each rate is the share of its core the server
# used: near 100% means the server was the limit; well under it means the
# load generator was. Release builds. It installs wrk (Debian) and the
# article's Python dependencies (the interop suite's virtualenv) if missing,
# uses free ports, and stops everything it started, however it ends.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/http-vs-websocket}
seconds=${SECONDS_PER_RUN:-10}
bin=$root/target/release
work=$(mktemp -d)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

command -v wrk > /dev/null || { apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }
command -v taskset > /dev/null || { apt-get update -qq && apt-get install -y -qq util-linux > /dev/null; }
if [[ ! -x $cache/venv/bin/python ]]; then
    python3 -m venv "$cache/venv"
    "$cache/venv/bin/pip" install -q -r "$root/interop/requirements.txt"
fi
py=$cache/venv/bin/python
cargo build --quiet --release -p bench -p http-server -p ws-server --manifest-path "$root/Cargo.toml"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve NAME PATTERN COMMAND...: starts a server on core 0, its output in
# $work/NAME.out, and waits (up to 10 s) for a line matching PATTERN.
serve() {
    local name=$1 pattern=$2 tries
    shift 2
    # Emptied before the server starts, so no earlier file is read as its output.
    : > "$work/$name.out"
    : > "$work/$name.err"
    taskset -c 0 "$@" >> "$work/$name.out" 2>> "$work/$name.err" &
    pids+=($!)
    for ((tries = 0; tries < 100; tries++)); do
        grep -q -E -- "$pattern" "$work/$name.out" && return 0
        sleep 0.1
    done
    echo "$name did not start:" >&2
    cat "$work/$name.out" "$work/$name.err" >&2
    return 1
}

# cpu_ticks: the CPU time (in clock ticks) the last server started has used.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/${pids[-1]}/stat"
}

# measured COMMAND...: runs a load COMMAND, which prints a rate; prints
# "rate (server CPU %)".
measured() {
    local before after rate
    before=$(cpu_ticks)
    rate=$("$@")
    after=$(cpu_ticks)
    echo "$rate ($(((after - before) * 100 / ($(getconf CLK_TCK) * seconds)))% CPU)"
}

# The requests per second wrk reports, loading from core 1.
wrk_rate() {
    taskset -c 1 wrk -t1 -c50 -d"${seconds}s" "$1" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'
}

# echo_row LABEL LOAD TARGET: a table row of echo round trips per second,
# `bench LOAD TARGET` run from core 1 with 1 client and then with 50.
echo_row() {
    local label=$1 clients cells=()
    shift
    for clients in 1 50; do
        cells+=("$(measured taskset -c 1 "$bin/bench" --seconds "$seconds" "$@" --clients "$clients")")
    done
    echo "| $label | ${cells[0]} | ${cells[1]} |"
}

# stop_all: stops the servers started so far (each measurement has the
# machine to itself).
stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
    pids=()
}

echo "$("$bin/bench" --version), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $seconds s per run"
echo
echo "| HTTP server | requests/s (wrk -t1 -c50, keep-alive), server CPU |"
echo "|---|---:|"
port=$(free_port)
serve http-server "server started" "$bin/http-server" --port "$port"
echo "| http-server (axum) | $(measured wrk_rate "http://127.0.0.1:$port/") |"
stop_all
serve axum "server started" "$bin/bench" serve-peer axum --port "$port"
echo "| plain axum (\`axum::serve\`, one handler, nothing else) | $(measured wrk_rate "http://127.0.0.1:$port/") |"
stop_all
serve hyper-defended "server started" "$bin/bench" serve-peer hyper-defended --port "$port"
echo "| hyper 1.x with http-server's defences (its deadline and size limit for request heads, graceful shutdown) | $(measured wrk_rate "http://127.0.0.1:$port/") |"
stop_all
serve hyper "server started" "$bin/bench" serve-peer hyper --port "$port"
echo "| bare hyper 1.x | $(measured wrk_rate "http://127.0.0.1:$port/") |"
stop_all
serve python-http "^HTTP server started" "$py" -u "$root/interop/article/http_server.py" "$port"
echo "| the article's Python http.server (HTTP/1.0: a new connection per request) | $(measured wrk_rate "http://127.0.0.1:$port/") |"
stop_all

echo
echo "| WebSocket echo | round trips/s, 1 client, server CPU | round trips/s, 50 clients, server CPU |"
echo "|---|---:|---:|"
ws_url=ws://127.0.0.1:$port/
serve ws-server "server started" "$bin/ws-server" --port "$port"
echo_row "ws-server (tokio-tungstenite, printing each message)" ws-load "$ws_url"
stop_all
serve ws-server-quiet "server started" "$bin/ws-server" --port "$port" --quiet
echo_row "ws-server \`--quiet\` (the same, without printing)" ws-load "$ws_url"
stop_all
serve tungstenite-echo "server started" "$bin/bench" serve-peer tungstenite-echo --port "$port"
echo_row "plain tokio-tungstenite echo (no printing, no deadlines or limits)" ws-load "$ws_url"
stop_all
serve tcp-echo "server started" "$bin/bench" serve-peer tcp-echo --port "$port"
echo_row "raw tokio TCP echo (no WebSocket at all)" tcp-load "127.0.0.1:$port"
stop_all
serve python-ws "^WebSocket server started" "$py" -u "$root/interop/article/ws_server.py" "$port"
echo_row "the article's Python websockets server" ws-load "$ws_url"
stop_all
