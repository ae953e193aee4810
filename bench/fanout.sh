#!/usr/bin/env bash
# One feed, many followers, in one process and through Redis:
#
#   bash bench/fanout.sh
#
# For FOLLOWERS followers (default "1000 10000") of a feed ticking five times
# a second, followed as WebSocket push (ws-server's /tick) and as
# Server-Sent Events (http-server's /tick/stream), two ways:
#   - in one process: one server makes the ticks and delivers them;
#   - through Redis: two servers started with --redis; the first holds the
#     lease and makes the ticks, the second hears them from Redis and
#     delivers them to every follower.
# For each: ticks delivered a second, ticks missed, each tick's delay from
# its making to its arrival (p50, p99), and CPU time per delivered message:
# the delivering server's, and, through Redis, Redis's and the ticking
# server's per tick made (what one more instance costs them).
#
# Servers and Redis run on core 0, the followers on core 1 (lib.sh). All
# followers run in one process (`bench fanout`), so the delays include its
# own queueing; the CPU figures are the sturdier. Each cell is the median
# of ROUNDS rounds (default 3) of SECONDS_PER_RUN seconds (default 5).
# Release builds; about 5 minutes. It installs redis-server (Debian) if
# missing, uses free ports, and stops everything it started, however it ends.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
[[ $# -eq 0 ]] || {
    echo "usage: bash bench/fanout.sh (FOLLOWERS, ROUNDS and SECONDS_PER_RUN change the runs)" >&2
    exit 1
}
seconds=${SECONDS_PER_RUN:-5}
rounds=${ROUNDS:-3}
read -r -a sizes <<< "${FOLLOWERS:-1000 10000}"
results=$work/results
: > "$results"

command -v redis-server > /dev/null || { apt-get update -qq && apt-get install -y -qq redis-server > /dev/null; }
cargo build --release -q -p bench -p http-server -p ws-server

# cpu_ticks PID: the CPU time PID has used so far, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# wait_for_line FILE TEXT: waits (up to 10 s) until FILE holds TEXT.
wait_for_line() {
    local tries
    for ((tries = 0; tries < 100; tries++)); do
        grep -q "$2" "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    echo "no \"$2\" in $1:" >&2
    cat "$1" >&2
    return 1
}

# measure KEY URL PID [PID...]: has $followers followers follow URL, with
# the first PID the server they follow; records the figures under KEY, and
# the CPU time each further PID used in the window, per tick made.
measure() {
    local key=$1 url=$2 pid=$3 line before=() after=() i hz
    shift 3
    for i in "$@"; do before+=("$(cpu_ticks "$i")"); done
    line=$(taskset -c 1 "$bin/bench" --seconds "$seconds" fanout --followers "$followers" --url "$url" --pid "$pid" | tail -1)
    for i in "$@"; do after+=("$(cpu_ticks "$i")"); done
    # "... delivered (50000 a second), 0 missed; delay p50 49.7 ms, p99 100.4 ms; server CPU 12.60 µs per ..."
    awk -v key="$key" -v round="$round" '{
        for (i = 1; i < NF; i++) {
            if ($i == "second),") print "rate/" key, round, substr($(i - 2), 2)
            if ($i == "missed;") print "missed/" key, round, $(i - 1)
            if ($i == "p50") print "p50/" key, round, $(i + 1)
            if ($i == "p99") print "p99/" key, round, $(i + 1)
            if ($i == "CPU") print "cpu/" key, round, $(i + 1)
        }
    }' <<< "$line" >> "$results"
    grep -q "^cpu/$key $round " "$results" || { echo "no fan-out figures for $key: $line" >&2; return 1; }
    # The window's ticks: five a second; CPU in µs per tick made.
    hz=$(getconf CLK_TCK)
    for i in "${!before[@]}"; do
        echo "others$i/$key $round $(((after[i] - before[i]) * 1000000 / hz / (seconds * 5)))" >> "$results"
    done
}

# server NAME PROGRAM PATH [FLAGS...]: starts PROGRAM on a free port, for
# followers of PATH; sets url and server_pid.
server() {
    local name=$1 program=$2 path=$3 scheme=http
    shift 3
    [[ $program == ws-server ]] && scheme=ws
    port=$(free_port)
    serve "$name" "$bin/$program" --port "$port" --tick-interval 0.2 "$@"
    url=$scheme://127.0.0.1:$port$path
    server_pid=${pids[-1]}
}

# in_process WAY PROGRAM PATH: one server, ticking and delivering.
in_process() {
    server "$1" "$2" "$3"
    measure "$1/alone/$followers" "$url" "$server_pid"
    stop_all
}

# through_redis WAY PROGRAM PATH: Redis, a server that ticks, and one that
# delivers what it hears from Redis.
through_redis() {
    local redis_port ticker
    redis_port=$(free_port)
    port=$redis_port
    serve redis redis-server --port "$redis_port" --save '' --appendonly no
    local redis_pid=${pids[-1]}
    server "$1-ticker" "$2" "$3" --redis "redis://127.0.0.1:$redis_port"
    ticker=$server_pid
    wait_for_line "$work/$1-ticker.err" "makes the feed's ticks"
    server "$1-follower" "$2" "$3" --redis "redis://127.0.0.1:$redis_port"
    measure "$1/redis/$followers" "$url" "$server_pid" "$redis_pid" "$ticker"
    stop_all
}

echo "$(machine); $rounds rounds of $seconds s; feed at 5 ticks a second"
for ((round = 1; round <= rounds; round++)); do
    for followers in "${sizes[@]}"; do
        for where in in_process through_redis; do
            echo "round $round/$rounds: $followers followers, $where" >&2
            "$where" ws ws-server /tick
            "$where" sse http-server /tick/stream
        done
    done
done

# figure NAME: the median of the rounds recorded under NAME ("-" if none).
figure() {
    local values
    values=$(awk -v key="$1" '$1 == key { print $3 }' "$results")
    if [[ -n $values ]]; then median <<< "$values"; else echo -; fi
}

echo
echo "| followers | way | where | delivered a second | missed | delay p50 ms | delay p99 ms | delivering server, µs CPU per message | Redis, µs CPU per tick | ticking server, µs CPU per tick |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"
for followers in "${sizes[@]}"; do
    for way in ws sse; do
        for where in alone redis; do
            key=$way/$where/$followers
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$followers" \
                "$([[ $way == ws ]] && echo "WebSocket /tick" || echo "SSE /tick/stream")" \
                "$([[ $where == alone ]] && echo "one process" || echo "through Redis")" \
                "$(figure "rate/$key")" "$(figure "missed/$key")" "$(figure "p50/$key")" \
                "$(figure "p99/$key")" "$(figure "cpu/$key")" "$(figure "others0/$key")" "$(figure "others1/$key")"
        done
    done
done
