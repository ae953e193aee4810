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
# Servers run on core 0 and the load on core 1 (taskset; see lib.sh), so
# they do not compete for a core. Beside each rate is the share of its core
# the server used: near 100% means the server was the limit; well under it
# means the load generator was. Every server is measured once a round, in
# turn, for ROUNDS rounds (default 5) of SECONDS_PER_RUN seconds a run
# (default 3); each figure is the median of the rounds, and a last table
# checks the targets we set ourselves. Release builds. It installs wrk
# (Debian) and the article's Python dependencies (the interop suite's
# virtualenv, interop/venv.sh) if missing, uses free ports, and stops
# everything it started, however it ends.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
[[ $# -eq 0 ]] || { echo "usage: bash bench/peers.sh (ROUNDS and SECONDS_PER_RUN change the runs)" >&2; exit 1; }
cache=${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/http-vs-websocket}
seconds=${SECONDS_PER_RUN:-3}
rounds=${ROUNDS:-5}

command -v wrk > /dev/null || { apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }
"$root/interop/venv.sh" "$cache/venv"
py=$cache/venv/bin/python
cargo build --quiet --release -p bench -p http-server -p ws-server --manifest-path "$root/Cargo.toml"

# cpu_ticks: the CPU time (in clock ticks) the last server started has used.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/${pids[-1]}/stat"
}

# measured COMMAND...: runs a load COMMAND, which prints a rate; prints the
# rate and the share of its core (in %) the last server started used
# meanwhile.
measured() {
    local before after rate
    before=$(cpu_ticks)
    rate=$("$@")
    after=$(cpu_ticks)
    [[ -n $rate ]] || { echo "no rate from: $*" >&2; return 1; }
    echo "$rate $(((after - before) * 100 / ($(getconf CLK_TCK) * seconds)))"
}

# The requests per second wrk reports, loading from core 1.
wrk_rate() {
    taskset -c 1 wrk -t1 -c50 -d"${seconds}s" "$1" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'
}

# Each server, as one cell of the HTTP table or two of the WebSocket one.
python_http() { http_cell python-http "^HTTP server started" "$py" -u "$root/interop/article/http_server.py" "$port"; }
http_server() { http_cell http-server "server started" "$bin/http-server" --port "$port"; }
bare_hyper() { http_cell hyper "server started" "$bin/bench" serve-peer hyper --port "$port"; }
hyper_defended() { http_cell hyper-defended "server started" "$bin/bench" serve-peer hyper-defended --port "$port"; }
plain_axum() { http_cell axum "server started" "$bin/bench" serve-peer axum --port "$port"; }
python_ws() { ws_cells python-ws ws-load "ws://127.0.0.1:$port/" "^WebSocket server started" "$py" -u "$root/interop/article/ws_server.py" "$port"; }
ws_server() { ws_cells ws-server ws-load "ws://127.0.0.1:$port/" "server started" "$bin/ws-server" --port "$port"; }
tcp_echo() { ws_cells tcp-echo tcp-load "127.0.0.1:$port" "server started" "$bin/bench" serve-peer tcp-echo --port "$port"; }
ws_server_quiet() { ws_cells ws-server-quiet ws-load "ws://127.0.0.1:$port/" "server started" "$bin/ws-server" --port "$port" --quiet; }
tungstenite_echo() { ws_cells tungstenite-echo ws-load "ws://127.0.0.1:$port/" "server started" "$bin/bench" serve-peer tungstenite-echo --port "$port"; }

# The order of a round: the two servers of each target one after the
# other, so that they run as close together in time as they can.
servers=(python_http http_server bare_hyper hyper_defended plain_axum
    python_ws ws_server tcp_echo ws_server_quiet tungstenite_echo)

# One round: every server measured once, in turn, each with the machine to
# itself. A shared machine's speed can change by a fifth from one minute to
# the next, so one run of each would let chance pick the winner: the rounds
# repeat the whole sequence, every other one in reverse (so a machine that
# slows down during a round favours neither of two neighbours), and each
# target is checked round by round (one ratio per round, then their median).
run_round() {
    local i
    port=$(free_port)
    if ((round % 2)); then
        for ((i = 0; i < ${#servers[@]}; i++)); do "${servers[i]}"; done
    else
        for ((i = ${#servers[@]} - 1; i >= 0; i--)); do "${servers[i]}"; done
    fi
}

# http_cell KEY PATTERN COMMAND...: starts the server COMMAND, loads it with
# wrk, records the rate under KEY, stops it.
http_cell() {
    local key=$1 pattern=$2 result
    shift 2
    serve "$key" "$pattern" "$@"
    result=$(measured wrk_rate "http://127.0.0.1:$port/")
    echo "$key $round $result" >> "$results"
    stop_all
}

# ws_cells KEY LOAD TARGET PATTERN COMMAND...: starts the server COMMAND,
# runs `bench LOAD TARGET` against it from core 1 with 1 client and then
# with 50, records both rates (as KEY/1 and KEY/50), stops it.
ws_cells() {
    local key=$1 load=$2 target=$3 pattern=$4 clients result
    shift 4
    serve "$key" "$pattern" "$@"
    for clients in 1 50; do
        result=$(measured taskset -c 1 "$bin/bench" --seconds "$seconds" "$load" "$target" --clients "$clients")
        echo "$key/$clients $round $result" >> "$results"
    done
    stop_all
}

# cell KEY: the median rate recorded under KEY, and the median share of its
# core the server used.
cell() {
    local rate cpu
    rate=$(awk -v key="$1" '$1 == key { print $3 }' "$results" | median)
    cpu=$(awk -v key="$1" '$1 == key { print $4 }' "$results" | median)
    printf '%.0f (%.0f%% CPU)' "$rate" "$cpu"
}

# target_row WHAT A B AT_LEAST: a row saying whether A served at least
# AT_LEAST times as many per second as B (0.95: within 5% of B). Each
# round's A is divided by the same round's B; the row shows the median of
# those ratios, the lowest and the highest.
target_row() {
    local ratios
    ratios=$(awk -v a="$2" -v b="$3" '
        $1 == a { x[$2] = $3 }
        $1 == b { y[$2] = $3 }
        END { for (r in x) print x[r] / y[r] }' "$results" | sort -g)
    awk -v what="$1" -v at_least="$4" -v mid="$(median <<< "$ratios")" \
        -v low="$(head -1 <<< "$ratios")" -v high="$(tail -1 <<< "$ratios")" 'BEGIN {
        # Under 1, a share of B in percent; from 1 up, a multiple of B.
        if (at_least < 1) { format = "%.1f%%"; scale = 100 } else { format = "%.1f×"; scale = 1 }
        printf "| %s | " format " | " format " to " format " | %s |\n", what,
            mid * scale, low * scale, high * scale, (mid + 0 >= at_least + 0) ? "yes" : "no"
    }'
}

results=$work/results
for ((round = 1; round <= rounds; round++)); do
    echo "round $round of $rounds: every server for $seconds s a run ..." >&2
    run_round
done

echo "$(machine); $rounds rounds, $seconds s per run; each figure is the median of the rounds"
echo
echo "| HTTP server | requests/s (wrk -t1 -c50, keep-alive), server CPU |"
echo "|---|---:|"
echo "| http-server (axum) | $(cell http-server) |"
echo "| plain axum (\`axum::serve\`, one handler, nothing else) | $(cell axum) |"
echo "| hyper 1.x with http-server's defences (its deadline and size limit for request heads, graceful shutdown) | $(cell hyper-defended) |"
echo "| bare hyper 1.x | $(cell hyper) |"
echo "| the article's Python http.server (HTTP/1.0: a new connection per request) | $(cell python-http) |"
echo
echo "| WebSocket echo | round trips/s, 1 client, server CPU | round trips/s, 50 clients, server CPU |"
echo "|---|---:|---:|"
echo "| ws-server (tokio-tungstenite, printing each message) | $(cell ws-server/1) | $(cell ws-server/50) |"
echo "| ws-server \`--quiet\` (the same, without printing) | $(cell ws-server-quiet/1) | $(cell ws-server-quiet/50) |"
echo "| plain tokio-tungstenite echo (no printing, no deadlines or limits) | $(cell tungstenite-echo/1) | $(cell tungstenite-echo/50) |"
echo "| raw tokio TCP echo (no WebSocket at all) | $(cell tcp-echo/1) | $(cell tcp-echo/50) |"
echo "| the article's Python websockets server | $(cell python-ws/1) | $(cell python-ws/50) |"
echo
echo "| target we set ourselves | median of the rounds | lowest to highest | met |"
echo "|---|---:|---:|---|"
target_row "http-server: at least 20× the article's Python http.server" http-server python-http 20
target_row "http-server: within 5% of bare hyper" http-server hyper 0.95
target_row "ws-server, 50 clients: at least 3× the article's Python websockets" ws-server/50 python-ws/50 3
target_row "ws-server, 50 clients: within 5% of a raw TCP echo" ws-server/50 tcp-echo/50 0.95
target_row "(not a target) ws-server \`--quiet\`, without the article's printing, 50 clients: within 5% of a raw TCP echo" ws-server-quiet/50 tcp-echo/50 0.95
