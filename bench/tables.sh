# The tables bench/peers.sh prints once its rounds are done: each figure
# the median of its rounds (read from $results, with cell, figure and
# cpu_micros from peers.sh), Mermaid bar charts, and the rows of targets
# and ratios. Sourced by peers.sh; not run on its own.

# chart TITLE UNIT LABEL=KEY...: a Mermaid bar chart of the figures under
# each KEY, labelled LABEL, for the Markdown page the tables go on (GitHub
# draws it).
chart() {
    local title=$1 unit=$2 pair labels=() values=()
    shift 2
    for pair in "$@"; do
        labels+=("\"${pair%%=*}\"")
        values+=("$(printf '%.2f' "$(figure "${pair#*=}")")")
    done
    echo
    echo '```mermaid'
    echo 'xychart-beta'
    echo "    title \"$title\""
    echo "    x-axis [$(IFS=,; echo "${labels[*]}" | sed 's/,/, /g')]"
    echo "    y-axis \"$unit\""
    echo "    bar [$(IFS=,; echo "${values[*]}" | sed 's/,/, /g')]"
    echo '```'
}

# target_row WHAT A B OP LIMIT: a row saying whether A's figure divided by
# B's is OP LIMIT (OP is ">=", ">" or "<="; "-" for a ratio only reported).
# Each round's A is divided by the same round's B; the row shows the median
# of those ratios, the lowest and the highest.
target_row() {
    local ratios
    ratios=$(awk -v a="$2" -v b="$3" '
        $1 == a { x[$2] = $3 }
        $1 == b { y[$2] = $3 }
        END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$results" | sort -g)
    awk -v what="$1" -v op="$4" -v limit="${5-}" -v mid="$(median <<< "$ratios")" \
        -v low="$(head -1 <<< "$ratios")" -v high="$(tail -1 <<< "$ratios")" 'BEGIN {
        mid += 0; limit += 0
        if (op == ">=") met = mid >= limit ? "yes" : "no"
        else if (op == ">") met = mid > limit ? "yes" : "no"
        else if (op == "<=") met = mid <= limit ? "yes" : "no"
        else met = "(not a target)"
        printf "| %s | %.2f× | %.2f× to %.2f× | %s |\n", what, mid, low, high, met
    }'
}

# plain_tables: the tables, charts and targets of the plain-text runs.
plain_tables() {
    echo
    echo "| HTTP server | requests/s (wrk -t1 -c50, keep-alive), server CPU |"
    echo "|---|---:|"
    echo "| http-server (axum) | $(cell http-server) |"
    echo "| nginx $(nginx -v 2>&1 | sed 's|.*/||'), one worker, the page from memory | $(cell nginx) |"
    echo "| Bun $("$js/.bin/bun" --version) (\`Bun.serve\`) | $(cell bun-http) |"
    echo "| Node $(node --version) (\`http\`) | $(cell node-http) |"
    echo "| plain axum (\`axum::serve\`, one handler, nothing else) | $(cell axum) |"
    echo "| hyper 1.x with http-server's defences (its deadline and size limit for request heads, graceful shutdown) | $(cell hyper-defended) |"
    echo "| bare hyper 1.x | $(cell hyper) |"
    echo "| the article's Python http.server (HTTP/1.0: a new connection per request) | $(cell python-http) |"
    chart "HTTP keep-alive, wrk -t1 -c50" "requests/s" http-server=http-server nginx=nginx Bun=bun-http Node=node-http \
        "plain axum=axum" "hyper, defended=hyper-defended" "bare hyper=hyper" Python=python-http
    echo
    echo "| WebSocket echo | round trips/s, 1 client, server CPU | round trips/s, 50 clients, server CPU |"
    echo "|---|---:|---:|"
    echo "| ws-server (tokio-tungstenite, printing each message) | $(cell ws-server/1) | $(cell ws-server/50) |"
    echo "| ws-server \`--quiet\` (the same, without printing) | $(cell ws-server-quiet/1) | $(cell ws-server-quiet/50) |"
    echo "| Bun (uWebSockets), compression off | $(cell bun-ws/1) | $(cell bun-ws/50) |"
    echo "| Node with npm \`ws\`, compression off | $(cell node-ws/1) | $(cell node-ws/50) |"
    echo "| plain tokio-tungstenite echo (no printing, no deadlines or limits) | $(cell tungstenite-echo/1) | $(cell tungstenite-echo/50) |"
    echo "| raw tokio TCP echo (no WebSocket at all) | $(cell tcp-echo/1) | $(cell tcp-echo/50) |"
    echo "| the article's Python websockets server | $(cell python-ws/1) | $(cell python-ws/50) |"
    chart "WebSocket echo, 50 clients" "round trips/s" ws-server=ws-server/50 "--quiet=ws-server-quiet/50" Bun=bun-ws/50 \
        Node=node-ws/50 "plain tokio-tungstenite=tungstenite-echo/50" "raw TCP=tcp-echo/50" Python=python-ws/50
    echo
    echo "| idle connections held open | KiB of server memory per connection |"
    echo "|---|---:|"
    echo "| ws-server, WebSocket | $(figure memory/ws-server) |"
    echo "| Bun, WebSocket | $(figure memory/bun) |"
    echo "| Node with npm \`ws\`, WebSocket | $(figure memory/node) |"
    echo "| http-server, Server-Sent Events (\`/tick/stream\`) | $(figure memory/http-server-sse) |"
    chart "Memory per idle connection, $connections held" "KiB" "ws-server=memory/ws-server" "Bun=memory/bun" \
        "Node=memory/node" "http-server SSE=memory/http-server-sse"
    echo
    echo "| fan-out: $followers followers, 5 ticks/s | ticks delivered/s | ticks missed | server CPU per tick delivered | delay p50 | delay p99 |"
    echo "|---|---:|---:|---:|---:|---:|"
    for key in ws-server bun http-server-sse; do
        case $key in
            ws-server) what="ws-server, WebSocket push (\`/tick\`)" ;;
            bun) what="Bun, WebSocket push (\`server.publish\`)" ;;
            http-server-sse) what="http-server, Server-Sent Events (\`/tick/stream\`)" ;;
        esac
        printf '| %s | %.0f | %.0f | %s µs | %s ms | %s ms |\n' "$what" "$(figure "fanout-rate/$key")" \
            "$(figure "fanout-missed/$key")" "$(figure "fanout-cpu/$key")" "$(figure "fanout-p50/$key")" \
            "$(figure "fanout-p99/$key")"
    done
    chart "Fan-out to $followers followers: server CPU per tick delivered" "µs" "ws-server=fanout-cpu/ws-server" \
        "Bun=fanout-cpu/bun" "http-server SSE=fanout-cpu/http-server-sse"
    echo
    echo "| target we set ourselves | median of the rounds | lowest to highest | met |"
    echo "|---|---:|---:|---|"
    target_row "http-server: at least 0.95× nginx (one worker)" http-server nginx ">=" 0.95
    target_row "http-server: ahead of Bun" http-server bun-http ">" 1
    target_row "http-server: ahead of Node" http-server node-http ">" 1
    target_row "ws-server, printing, 50 clients: ahead of Bun's echo" ws-server/50 bun-ws/50 ">" 1
    target_row "ws-server, printing, 50 clients: ahead of Node's echo" ws-server/50 node-ws/50 ">" 1
    target_row "ws-server, printing, 50 clients: at least 0.90× a raw TCP echo" ws-server/50 tcp-echo/50 ">=" 0.90
    target_row "memory per idle WebSocket: at most 1.5× Bun's" memory/ws-server memory/bun "<=" 1.5
    target_row "fan-out: server CPU per tick delivered at most Bun's" fanout-cpu/ws-server fanout-cpu/bun "<=" 1
    target_row "fan-out: delay p99 at most Bun's" fanout-p99/ws-server fanout-p99/bun "<=" 1
    target_row "http-server against the article's Python http.server (set by the machine)" http-server python-http -
    target_row "ws-server, 50 clients, against the article's Python websockets (set by the machine)" ws-server/50 python-ws/50 -
    target_row "ws-server \`--quiet\`, 50 clients, against a raw TCP echo" ws-server-quiet/50 tcp-echo/50 -
    target_row "fan-out: http-server's SSE, server CPU per tick delivered, against ws-server's push" fanout-cpu/http-server-sse fanout-cpu/ws-server -
}

# tls_tables: the same for the runs over TLS; with the plain-text runs
# beside them, also what TLS costs each of our servers.
tls_tables() {
    echo
    echo "| HTTPS server, TLS 1.3, one certificate (ECDSA P-256) | requests/s, keep-alive (wrk -t1 -c50), server CPU | new TLS connections/s (wrk -t1 -c50, \`Connection: close\`), server CPU | server CPU per new TLS connection |"
    echo "|---|---:|---:|---:|"
    echo "| http-server (axum, rustls with ring) | $(cell http-server-tls) | $(cell http-server-tls/new) | $(cpu_micros http-server-tls/new) µs |"
    echo "| nginx $(nginx -v 2>&1 | sed 's|.*/||'), one worker, $(openssl version | cut -d' ' -f1-2) | $(cell nginx-tls) | $(cell nginx-tls/new) | $(cpu_micros nginx-tls/new) µs |"
    chart "HTTPS, wrk -t1 -c50" "requests/s" "http-server keep-alive=http-server-tls" "nginx keep-alive=nginx-tls" \
        "http-server new connections=http-server-tls/new" "nginx new connections=nginx-tls/new"
    echo
    echo "| WebSocket echo over TLS (wss://) | round trips/s, 1 client, server CPU | round trips/s, 50 clients, server CPU |"
    echo "|---|---:|---:|"
    echo "| ws-server (tokio-tungstenite and tokio-rustls, printing each message) | $(cell ws-server-tls/1) | $(cell ws-server-tls/50) |"
    echo "| plain tokio-tungstenite echo over tokio-rustls (no printing, no deadlines or limits) | $(cell tungstenite-echo-tls/1) | $(cell tungstenite-echo-tls/50) |"
    chart "WebSocket echo over TLS, 50 clients" "round trips/s" ws-server=ws-server-tls/50 \
        "plain tokio-tungstenite=tungstenite-echo-tls/50"
    echo
    echo "| over TLS (reported, not targets) | median of the rounds | lowest to highest | met |"
    echo "|---|---:|---:|---|"
    target_row "http-server against nginx, keep-alive" http-server-tls nginx-tls -
    target_row "http-server against nginx, a new TLS connection per request" http-server-tls/new nginx-tls/new -
    target_row "ws-server, printing, 50 clients, against a plain tokio-tungstenite echo" ws-server-tls/50 tungstenite-echo-tls/50 -
    [[ $only != tls ]] || return 0
    target_row "http-server over TLS against itself in plain text, keep-alive" http-server-tls http-server -
    target_row "nginx over TLS against itself in plain text, keep-alive" nginx-tls nginx -
    target_row "ws-server, 50 clients, over TLS against itself in plain text" ws-server-tls/50 ws-server/50 -
}
