# What bench/peers.sh and bench/pairs.sh share: where things are, starting
# and stopping servers, and the cleaning up. Sourced, not run.
#
# Every server runs on core 0 and every load on core 1 (taskset), so the
# two do not compete for a core; each server is stopped before the next
# starts, so each has the machine to itself. Whatever was started is
# stopped when the script ends, however it ends.

# -h or --help: the opening comment of the script that sourced this file,
# which says what it measures and how to run it.
if [[ ${1-} == -h || ${1-} == --help ]]; then
    sed -n '2,/^[^#]/ { /^#/ s/^# \{0,1\}//p }' "$0"
    exit 0
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/target/release
work=$(mktemp -d)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

command -v taskset > /dev/null || { apt-get update -qq && apt-get install -y -qq util-linux > /dev/null; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve NAME COMMAND...: starts a server on core 0, its output in
# $work/NAME.out and .err, and waits (up to 10 s) until it accepts
# connections on $port.
serve() {
    local name=$1 tries
    shift
    taskset -c 0 "$@" > "$work/$name.out" 2> "$work/$name.err" &
    pids+=($!)
    for ((tries = 0; tries < 100; tries++)); do
        (: < "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return 0
        kill -0 "${pids[-1]}" 2> /dev/null || break
        sleep 0.1
    done
    echo "$name did not start on port $port:" >&2
    cat "$work/$name.out" "$work/$name.err" >&2
    return 1
}

# stop_all: stops the servers started so far.
stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
    pids=()
}

# machine: the benchmark's version and what it runs on, for the first line
# of a report.
machine() {
    echo "$("$bin/bench" --version), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
}

# median: the median of the numbers on standard input, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
