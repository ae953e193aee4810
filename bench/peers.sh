#!/usr/bin/env bash
# Our servers beside the ones a user would pick instead, on this machine:
#
#   bash bench/peers.sh
#
# HTTP: requests per second under keep-alive load (wrk -t1 -c50) against
# http-server; nginx (one worker, the page from memory, no access log),
# Bun.serve and Node's http module (bench/peers/); a plain axum server, a
# hyper 1.x server with http-server's defences and a bare one, all
# answering the same page; and the article's Python http.server program.
# WebSocket: echo round trips per second with 1 and 50 clients against
# ws-server (printing "Received Message: m" for each, as the article's
# does), ws-server --quiet (what the printing costs), Bun's echo and Node's
# with the npm package ws (compression off), a plain tokio-tungstenite
# echo, a raw tokio TCP echo, and the article's Python websockets server.
# The WebSocket load generator writes a prebuilt masked frame and reads the
# reply's exact bytes, as the TCP one does with raw bytes, so it costs the
# same per round trip for both.
# Memory: resident memory per idle connection, CONNECTIONS of them (default
# 10,000), for ws-server, Bun and Node WebSockets and http-server's
# Server-Sent Events (`bench memory`).
# Fan-out: FOLLOWERS followers (default 10,000) of a feed ticking five times
# a second, as WebSocket push from ws-server and from Bun (server.publish)
# and as Server-Sent Events from http-server: server CPU per tick delivered,
# and each tick's delay (`bench fanout`).
#
# TLS: http-server beside nginx (one worker), both with the same TLS 1.3
# certificate and key (ECDSA P-256, made with openssl at the start), under
# wrk -t1 -c50 at https://: keep-alive requests per second, and new TLS
# connections per second (`Connection: close`: one request per connection,
# so a TLS handshake for each; wrk resumes the session from the last
# connection, as browsers do, and both servers accept that). And ws-server
# beside a plain tokio-tungstenite echo, both over TLS, with the same echo
# load at wss://. ONLY=tls runs these rows alone, in the same rounds.
#
# HTTP/2: http-server beside nginx (one worker), over TLS with the same
# certificate (ALPN h2) and in plain text (h2c), under h2load -c50 -m10
# (bench/peers-h2.sh). ONLY=h2 runs these rows alone.
#
# Servers run on core 0 and the load on core 1 (taskset; see lib.sh), so
# they do not compete for a core. Beside each rate is the share of its core
# the server used: near 100% means the server was the limit; well under it
# means the load generator was. Every server is measured once a round, in
# turn, for ROUNDS rounds (default 5) of SECONDS_PER_RUN seconds a run
# (default 3); each figure is the median of the rounds, and a last table
# checks the targets we set ourselves. Release builds; about 11 minutes. It
# installs wrk, h2load and nginx (Debian), Bun and ws (npm, into its cache) and the
# article's Python dependencies (the interop suite's virtualenv,
# interop/venv.sh) if missing, uses free ports, and stops everything it
# started, however it ends.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
# The tables peers.sh prints from its results: charts, targets, ratios.
source "$(dirname "$0")/tables.sh"
# The HTTP/2 rows: their servers, load and table.
source "$(dirname "$0")/peers-h2.sh"
[[ $# -eq 0 && ${ONLY:-tls} =~ ^(tls|h2)$ ]] || {
    echo "usage: bash bench/peers.sh (ROUNDS and SECONDS_PER_RUN change the runs; ONLY=tls or ONLY=h2 runs only the TLS or HTTP/2 rows)" >&2
    exit 1
}
only=${ONLY:-}
cache=${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/http-vs-websocket}
seconds=${SECONDS_PER_RUN:-3}
rounds=${ROUNDS:-5}
connections=${CONNECTIONS:-10000}
followers=${FOLLOWERS:-10000}

missing=()
command -v wrk > /dev/null || missing+=(wrk)
command -v nginx > /dev/null || missing+=(nginx)
command -v h2load > /dev/null || missing+=(nghttp2-client)
command -v openssl > /dev/null || missing+=(openssl)
command -v npm > /dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" > /dev/null
fi
# The peers' npm packages, at the versions measured: Bun's package carries
# its binary for this platform.
js=$cache/peers/node_modules
if [[ ! -x $js/.bin/bun || ! -d $js/ws ]]; then
    echo "installing Bun and ws (npm)" >&2
    npm install --silent --no-audit --no-fund --prefix "$cache/peers" bun@1.4.4 ws@8.23.1
fi
"$root/interop/venv.sh" "$cache/venv"
py=$cache/venv/bin/python
cargo build --quiet --release -p bench -p http-server -p ws-server --manifest-path "$root/Cargo.toml"
# Every HTTP server answers the same page; this is the article's text (common::HELLO_BODY).
export HELLO_BODY="Hello, World! This is an HTTP response." NODE_PATH=$js
# One certificate and key for every TLS server, so that they all send the
# same certificate and sign with the same kind of key: ECDSA P-256, for
# localhost and 127.0.0.1, as `--self-signed` makes. openssl marks a
# self-signed certificate as a certificate authority unless told not to,
# and rustls refuses an authority's certificate as a server's own.
cert=$work/cert.pem key=$work/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE \
    -days 30 -keyout "$key" -out "$cert" 2> "$work/openssl.err" ||
    { echo "could not make the TLS certificate with openssl:" >&2; cat "$work/openssl.err" >&2; exit 1; }

# cpu_ticks: the CPU time (in clock ticks) the last server started has
# used, with its children's (nginx serves from a worker process).
cpu_ticks() {
    local pid=${pids[-1]} each
    for each in "$pid" $(cat /proc/"$pid"/task/*/children 2> /dev/null); do
        awk '{ print $14 + $15 }' "/proc/$each/stat" 2> /dev/null || true
    done | awk '{ sum += $1 } END { print sum + 0 }'
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

# wrk_rate [OPTION...] URL: the requests per second wrk reports, loading
# from core 1.
wrk_rate() {
    taskset -c 1 wrk -t1 -c50 -d"${seconds}s" "$@" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'
}

# Each server, as one cell of a table (two of the WebSocket one).
python_http() { http_cell python-http "$py" -u "$root/interop/article/http_server.py" "$port"; }
http_server() { http_cell http-server "$bin/http-server" --port "$port"; }
nginx_http() { nginx_config nginx.conf; http_cell nginx nginx -c "$work/nginx.conf"; }
bun_http() { http_cell bun-http "$js/.bin/bun" "$root/bench/peers/bun.js" http "$port"; }
node_http() { http_cell node-http node "$root/bench/peers/node.js" http "$port"; }
bare_hyper() { http_cell hyper "$bin/bench" serve-peer hyper --port "$port"; }
hyper_defended() { http_cell hyper-defended "$bin/bench" serve-peer hyper-defended --port "$port"; }
plain_axum() { http_cell axum "$bin/bench" serve-peer axum --port "$port"; }
python_ws() { ws_cells python-ws ws-load "ws://127.0.0.1:$port/" "$py" -u "$root/interop/article/ws_server.py" "$port"; }
ws_server() { ws_cells ws-server ws-load "ws://127.0.0.1:$port/" "$bin/ws-server" --port "$port"; }
bun_ws() { ws_cells bun-ws ws-load "ws://127.0.0.1:$port/" "$js/.bin/bun" "$root/bench/peers/bun.js" ws "$port"; }
node_ws() { ws_cells node-ws ws-load "ws://127.0.0.1:$port/" node "$root/bench/peers/node.js" ws "$port"; }
tcp_echo() { ws_cells tcp-echo tcp-load "127.0.0.1:$port" "$bin/bench" serve-peer tcp-echo --port "$port"; }
ws_server_quiet() { ws_cells ws-server-quiet ws-load "ws://127.0.0.1:$port/" "$bin/ws-server" --port "$port" --quiet; }
tungstenite_echo() { ws_cells tungstenite-echo ws-load "ws://127.0.0.1:$port/" "$bin/bench" serve-peer tungstenite-echo --port "$port"; }
# Idle connections: WebSocket echoes at /, and an event stream whose feed
# does not tick while it is measured (the first tick comes at the start).
ws_server_memory() { memory_cell ws-server "ws://127.0.0.1:$port/" "$bin/ws-server" --port "$port"; }
bun_memory() { memory_cell bun "ws://127.0.0.1:$port/" "$js/.bin/bun" "$root/bench/peers/bun.js" ws "$port"; }
node_memory() { memory_cell node "ws://127.0.0.1:$port/" node "$root/bench/peers/node.js" ws "$port"; }
sse_memory() { memory_cell http-server-sse "http://127.0.0.1:$port/tick/stream" "$bin/http-server" --port "$port" --tick-interval 3600; }
# Followers of a feed ticking five times a second.
ws_server_fanout() { fanout_cell ws-server "ws://127.0.0.1:$port/tick" "$bin/ws-server" --port "$port" --tick-interval 0.2; }
bun_fanout() { fanout_cell bun "ws://127.0.0.1:$port/tick" "$js/.bin/bun" "$root/bench/peers/bun.js" feed "$port"; }
sse_fanout() { fanout_cell http-server-sse "http://127.0.0.1:$port/tick/stream" "$bin/http-server" --port "$port" --tick-interval 0.2; }
# Over TLS, all with the one certificate and key.
nginx_https() { nginx_config nginx-tls.conf; https_cells nginx-tls nginx -c "$work/nginx.conf"; }
http_server_https() { https_cells http-server-tls "$bin/http-server" --port "$port" --tls-cert "$cert" --tls-key "$key"; }
ws_server_wss() { ws_cells ws-server-tls ws-load "wss://127.0.0.1:$port/" "$bin/ws-server" --port "$port" --tls-cert "$cert" --tls-key "$key"; }
tungstenite_echo_wss() {
    ws_cells tungstenite-echo-tls ws-load "wss://127.0.0.1:$port/" \
        "$bin/bench" serve-peer tungstenite-echo --port "$port" --tls-cert "$cert" --tls-key "$key"
}

# The order of a round: the servers of each target one after the other, so
# that they run as close together in time as they can.
tls_servers=(nginx_https http_server_https ws_server_wss tungstenite_echo_wss)
servers=(nginx_http http_server bun_http node_http bare_hyper hyper_defended plain_axum python_http
    tcp_echo ws_server bun_ws node_ws ws_server_quiet tungstenite_echo python_ws
    ws_server_memory bun_memory node_memory sse_memory
    ws_server_fanout bun_fanout sse_fanout "${tls_servers[@]}" "${h2_servers[@]}")
[[ $only != tls ]] || servers=("${tls_servers[@]}")
[[ $only != h2 ]] || servers=("${h2_servers[@]}")

# One round: every server measured once, in turn, each with the machine to
# itself, on a port of its own. A shared machine's speed can change by a
# fifth from one minute to the next, so one run of each would let chance
# pick the winner: the rounds repeat the whole sequence, every other one in
# reverse (so a machine that slows down during a round favours neither of
# two neighbours), and each target is checked round by round (one ratio per
# round, then their median).
run_round() {
    local i order=()
    if ((round % 2)); then
        for ((i = 0; i < ${#servers[@]}; i++)); do order+=("${servers[i]}"); done
    else
        for ((i = ${#servers[@]} - 1; i >= 0; i--)); do order+=("${servers[i]}"); done
    fi
    for i in "${!order[@]}"; do
        echo "round $round of $rounds, $((i + 1)) of ${#order[@]}: ${order[i]//_/-}" >&2
        port=$(free_port)
        "${order[i]}"
    done
}

# nginx_config FILE: bench/peers/FILE, filled in, as $work/nginx.conf.
nginx_config() {
    sed -e "s|PORT|$port|" -e "s|BODY|$HELLO_BODY|" -e "s|WORK|$work|g" \
        "$root/bench/peers/$1" > "$work/nginx.conf"
}

# http_cell KEY COMMAND...: starts the server COMMAND, loads it with wrk,
# records the rate under KEY, stops it.
http_cell() {
    local key=$1 result
    shift
    serve "$key" "$@"
    result=$(measured wrk_rate "http://127.0.0.1:$port/")
    echo "$key $round $result" >> "$results"
    stop_all
}

# https_cells KEY COMMAND...: starts the TLS server COMMAND, loads it with
# wrk at https:// twice, recording the rates: with keep-alive (as KEY), and
# with `Connection: close` (as KEY/new), where the server closes each
# connection after its one answer and wrk opens a new one, with a new TLS
# handshake, for the next request. Stops it.
https_cells() {
    local key=$1 result
    shift
    serve "$key" "$@"
    result=$(measured wrk_rate "https://127.0.0.1:$port/")
    echo "$key $round $result" >> "$results"
    result=$(measured wrk_rate -H "Connection: close" "https://127.0.0.1:$port/")
    echo "$key/new $round $result" >> "$results"
    stop_all
}

# ws_cells KEY LOAD TARGET COMMAND...: starts the server COMMAND, runs
# `bench LOAD TARGET` against it from core 1 with 1 client and then with
# 50, records both rates (as KEY/1 and KEY/50), stops it. A wss:// TARGET
# is trusted as having the one certificate.
ws_cells() {
    local key=$1 load=$2 target=$3 clients result trust=()
    shift 3
    [[ $target != wss://* ]] || trust=(--cacert "$cert")
    serve "$key" "$@"
    for clients in 1 50; do
        result=$(measured taskset -c 1 "$bin/bench" --seconds "$seconds" "$load" "$target" --clients "$clients" "${trust[@]}")
        echo "$key/$clients $round $result" >> "$results"
    done
    stop_all
}

# memory_cell KEY URL COMMAND...: starts the server COMMAND, holds
# $connections idle connections to URL, records the KiB each cost it
# (as memory/KEY), stops it.
memory_cell() {
    local key=$1 url=$2 kib
    shift 2
    serve "$key" "$@"
    kib=$(taskset -c 1 "$bin/bench" memory --connections "$connections" --url "$url" --pid "${pids[-1]}" |
        awk '/KiB per connection/ { print $(NF - 3) }')
    [[ -n $kib ]] || { echo "no memory figure for $key" >&2; return 1; }
    echo "memory/$key $round $kib" >> "$results"
    stop_all
}

# fanout_cell KEY URL COMMAND...: starts the server COMMAND, has $followers
# followers follow URL for $seconds seconds, records the ticks delivered a
# second, those missed, the server's CPU per tick delivered, and the
# delays' p50 and p99 (as fanout-rate/KEY, fanout-missed/KEY,
# fanout-cpu/KEY, fanout-p50/KEY, fanout-p99/KEY), stops it.
fanout_cell() {
    local key=$1 url=$2 line
    shift 2
    serve "$key" "$@"
    line=$(taskset -c 1 "$bin/bench" --seconds "$seconds" fanout --followers "$followers" --url "$url" --pid "${pids[-1]}" | tail -1)
    # "... delivered (50000 a second), 0 missed; delay p50 49.7 ms, p99 100.4 ms; server CPU 12.60 µs per ..."
    awk -v key="$key" -v round="$round" '{
        for (i = 1; i < NF; i++) {
            if ($i == "second),") print "fanout-rate/" key, round, substr($(i - 2), 2)
            if ($i == "missed;") print "fanout-missed/" key, round, $(i - 1)
            if ($i == "p50") print "fanout-p50/" key, round, $(i + 1)
            if ($i == "p99") print "fanout-p99/" key, round, $(i + 1)
            if ($i == "CPU") print "fanout-cpu/" key, round, $(i + 1)
        }
    }' <<< "$line" >> "$results"
    grep -q "^fanout-cpu/$key $round " "$results" || { echo "no fan-out figures for $key: $line" >&2; return 1; }
    stop_all
}

# cell KEY: the median rate recorded under KEY, and the median share of its
# core the server used.
cell() {
    printf '%.0f (%.0f%% CPU)' "$(figure "$1")" "$(awk -v key="$1" '$1 == key { print $4 }' "$results" | median)"
}

# cpu_micros KEY: the server's CPU time per request (or round trip)
# recorded under KEY, in µs: each round's share of a core divided by its
# rate, then their median.
cpu_micros() {
    awk -v key="$1" '$1 == key && $3 > 0 { print $4 * 10000 / $3 }' "$results" | median | xargs printf '%.0f'
}

# figure KEY: the median of the figures recorded under KEY.
figure() {
    awk -v key="$1" '$1 == key { print $3 }' "$results" | median
}

results=$work/results
: > "$results"
for ((round = 1; round <= rounds; round++)); do
    run_round
done

echo "$(machine); $rounds rounds, $seconds s per run; $connections idle connections, $followers followers; each figure is the median of the rounds"
[[ -n $only ]] || plain_tables
[[ $only == h2 ]] || tls_tables
[[ $only == tls ]] || h2_tables
