# peers.sh's HTTP/2 rows: http-server beside nginx (one worker, the same
# page, over TLS with the one certificate and key, and in plain text by
# prior knowledge, h2c), both loaded by h2load (nghttp2's load generator)
# with 50 connections of 10 streams each: 500 requests in flight, as a few
# dozen browsers' pages would keep open, enough that neither server waits
# for the load. Sourced by peers.sh, which runs these rows in its rounds
# (ONLY=h2 for them alone); not run on its own.

# h2load_rate URL: the requests per second h2load reports, loading from
# core 1 with -c50 -m10 for $seconds seconds. A failed request is not
# counted; a run with any is refused.
h2load_rate() {
    taskset -c 1 h2load -c50 -m10 -D "$seconds" "$1" > "$work/h2load.out" 2>&1 || true
    awk '
        /^finished in/ { rate = $4 }
        /^requests:/ { failed = $10 }
        END { if (rate != "" && failed == 0) printf "%.0f", rate }' "$work/h2load.out"
}

# h2_cell KEY URL COMMAND...: starts the server COMMAND, loads it with
# h2load at URL, records the rate under KEY, stops it.
h2_cell() {
    local key=$1 url=$2 result
    shift 2
    serve "$key" "$@"
    result=$(measured h2load_rate "$url") || { cat "$work/h2load.out" >&2; return 1; }
    echo "$key $round $result" >> "$results"
    stop_all
}

nginx_h2() { nginx_config nginx-h2.conf; h2_cell nginx-h2 "https://127.0.0.1:$port/" nginx -c "$work/nginx.conf"; }
http_server_h2() {
    h2_cell http-server-h2 "https://127.0.0.1:$port/" \
        "$bin/http-server" --port "$port" --tls-cert "$cert" --tls-key "$key"
}
nginx_h2c() { nginx_config nginx-h2c.conf; h2_cell nginx-h2c "http://127.0.0.1:$port/" nginx -c "$work/nginx.conf"; }
http_server_h2c() { h2_cell http-server-h2c "http://127.0.0.1:$port/" "$bin/http-server" --port "$port"; }

# The order of a round, each server beside its peer.
h2_servers=(nginx_h2 http_server_h2 nginx_h2c http_server_h2c)

# h2_tables: the HTTP/2 table, its chart and its ratios.
h2_tables() {
    echo
    echo "| HTTP/2 server, one certificate (ECDSA P-256) | requests/s over TLS (h2load -c50 -m10), server CPU | requests/s in plain text, h2c (h2load -c50 -m10), server CPU |"
    echo "|---|---:|---:|"
    echo "| http-server (axum, hyper's h2, rustls with ring) | $(cell http-server-h2) | $(cell http-server-h2c) |"
    echo "| nginx $(nginx -v 2>&1 | sed 's|.*/||'), one worker, $(openssl version | cut -d' ' -f1-2) | $(cell nginx-h2) | $(cell nginx-h2c) |"
    chart "HTTP/2, h2load -c50 -m10" "requests/s" "http-server TLS=http-server-h2" "nginx TLS=nginx-h2" \
        "http-server h2c=http-server-h2c" "nginx h2c=nginx-h2c"
    echo
    echo "| HTTP/2 (reported, not targets) | median of the rounds | lowest to highest | met |"
    echo "|---|---:|---:|---|"
    target_row "http-server against nginx, HTTP/2 over TLS" http-server-h2 nginx-h2 -
    target_row "http-server against nginx, HTTP/2 in plain text (h2c)" http-server-h2c nginx-h2c -
}
