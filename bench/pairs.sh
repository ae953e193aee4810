#!/usr/bin/env bash
# What one of ws-server's flags costs, told apart more finely than
# peers.sh can: ws-server with FLAGS_A against ws-server with FLAGS_B,
# measured in pairs.
#
#   bash bench/pairs.sh "" --quiet         # what printing each message costs
#   bash bench/pairs.sh --quiet "--quiet --ping-interval 0"
#
# Each argument holds one server's flags (none, or several in one word).
# A pair is one run of each server, back to back: SECONDS_PER_RUN seconds
# (default 2) of `bench ws-load --clients 50`, the server on core 0 and
# the load on core 1 (see lib.sh). It measures PAIRS pairs (default 16),
# in the order A then B, then B then A, and so on, so that neither gains
# from going first. The two runs of a pair are seconds apart, so the
# machine's swings, which can move one run by a fifth, touch both alike.
# It prints B's round trips as a share of A's: the median of the pairs,
# and the middle half of them (from the first quartile to the third).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
[[ $# -eq 2 ]] || { echo "usage: bash bench/pairs.sh FLAGS_A FLAGS_B" >&2; exit 1; }
read -ra flags_a <<< "$1"
read -ra flags_b <<< "$2"
pairs=${PAIRS:-16}
seconds=${SECONDS_PER_RUN:-2}
cargo build --quiet --release -p bench -p ws-server --manifest-path "$root/Cargo.toml"

# measure FLAGS...: starts ws-server with FLAGS, loads it, stops it, and
# leaves its round trips per second in $rate. (It sets a variable rather
# than printing, because $(...) would start the server in a subshell, out
# of reach of the cleaning up.)
measure() {
    local port
    port=$(free_port)
    serve ws-server "$bin/ws-server" --port "$port" "$@"
    rate=$(taskset -c 1 "$bin/bench" --seconds "$seconds" ws-load "ws://127.0.0.1:$port/" --clients 50)
    stop_all
}

ratios=$work/ratios
for ((pair = 1; pair <= pairs; pair++)); do
    echo "pair $pair of $pairs ..." >&2
    if ((pair % 2)); then
        measure "${flags_a[@]}"; a=$rate
        measure "${flags_b[@]}"; b=$rate
    else
        measure "${flags_b[@]}"; b=$rate
        measure "${flags_a[@]}"; a=$rate
    fi
    awk -v a="$a" -v b="$b" 'BEGIN { print b / a }' >> "$ratios"
done

echo "$(machine); $pairs pairs, $seconds s per run"
sort -g "$ratios" | awk -v a="ws-server${1:+ $1}" -v b="ws-server${2:+ $2}" -v mid="$(median < "$ratios")" '
    { v[NR] = $1 }
    END {
        printf "%s makes %.1f%% of the round trips of %s (median of the pairs; middle half %.1f%% to %.1f%%)\n",
            b, mid * 100, a, v[int((NR - 1) / 4) + 1] * 100, v[NR - int((NR - 1) / 4)] * 100
    }'
