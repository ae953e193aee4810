# The interop suite's HTTP/2 pairings: curl, h2load and httpx against
# http-server, which speaks HTTP/1.1 and HTTP/2 on one port; our
# http-client --http2 against nginx; and ws-client --http2 against
# ws-server, which takes WebSockets over both. (Chromium's, which shows when
# a browser puts a WebSocket on HTTP/2 and when not, is in browser.sh.)
# Sourced by run.sh after secure.sh, whose certificate helpers these use.
# Not run on its own: `bash interop/run.sh` runs them.
#
# One port, two ways to learn which HTTP to speak:
# - plain TCP (h2c): a client that knows the server speaks HTTP/2 ("prior
#   knowledge") opens with the 24-byte preface `PRI * HTTP/2.0 ...`; the
#   server sees it in place of a request line and answers in HTTP/2.
# - TLS: the client offers `h2` and `http/1.1` in its ClientHello (ALPN),
#   the server picks one in its reply, before any HTTP byte is sent.

hello_body="Hello, World! This is an HTTP response."

# --- curl ----------------------------------------------------------------

# curl_versions URL FLAG [TRUST...]: a GET with FLAG (--http2 or
# --http2-prior-knowledge) must come back in HTTP/2 with the article's body,
# a POST to /echo with its own body, and a GET with --http1.1 instead from
# the same port in HTTP/1.1: the one port serves both.
curl_versions() {
    local url=$1 answer
    answer=$(curl "${@:2}" -sS -i "$url/") || return 1
    # HTTP/2 has no reason phrase; curl prints its status line as `HTTP/2 200 `.
    expect "$(head -n 1 <<< "$answer" | tr -d '\r' | sed 's/ *$//')" "HTTP/2 200" "curl $2 -i status line" &&
        grep -q -i '^content-type: text/html' <<< "$answer" &&
        expect "$(tail -n 1 <<< "$answer")" "$hello_body" "curl $2 -i body" || {
        echo "$answer"
        return 1
    }
    expect "$(curl "${@:2}" -sS -o /dev/null -w '%{http_version}' "$url/")" "2" "curl $2's %{http_version}" &&
        expect "$(curl "${@:2}" -sS --data-binary "echo me" "$url/echo")" "echo me" "curl $2 POST /echo" &&
        expect "$(curl --http1.1 "${@:3}" -sS -o /dev/null -w '%{http_version}' "$url/")" "1.1" \
            "curl --http1.1's %{http_version}, same port"
}

# curl --http2-prior-knowledge: h2c, HTTP/2 on plain TCP from the first byte.
curl_h2c_to_http_server() {
    local url
    start_server hs http-server || return 1
    curl_versions "$url" --http2-prior-knowledge
}

# curl --http2 at https://: HTTP/2 because the server picked h2 by ALPN
# (curl --http1.1 offers only http/1.1, and gets it).
curl_h2_to_https_http_server() {
    local url certificate
    TMPDIR=$work start_server hs http-server --self-signed || return 1
    server_certificate hs || return 1
    curl_versions "$url" --http2 --cacert "$certificate"
}

# --- h2load --------------------------------------------------------------

# h2load_run URL PROTOCOL: 1000 GETs, 10 connections each with up to 10
# streams in flight at once (HTTP/2's multiplexing); all must succeed with
# a 2xx, over PROTOCOL (h2load's "Application protocol" line).
h2load_run() {
    local out
    out=$(timeout 60 h2load -n 1000 -c 10 -m 10 "$1/" 2>&1) || {
        echo "$out"
        return 1
    }
    grep -q "^Application protocol: $2$" <<< "$out" &&
        grep -q "^requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored, 0 timeout$" <<< "$out" &&
        grep -q "^status codes: 1000 2xx, 0 3xx, 0 4xx, 0 5xx$" <<< "$out" || {
        echo "$out"
        return 1
    }
}

# h2load over h2c (prior knowledge, as it does for every http:// URL).
h2load_h2c_to_http_server() {
    local url
    start_server hs http-server || return 1
    h2load_run "$url" h2c
}

# h2load at https://. (It checks no certificate: it has no option to.)
h2load_h2_to_https_http_server() {
    local url
    TMPDIR=$work start_server hs http-server --self-signed || return 1
    h2load_run "$url" h2
}

# --- httpx ---------------------------------------------------------------

# httpx_exchange URL [--cafile FILE]: article/http2_client.py's three lines.
httpx_exchange() {
    local out
    out=$("$py" "$article/http2_client.py" "${@:2}" "$1/") || return 1
    expect "$out" $'HTTP Version: HTTP/2\n'"$hello_http" "http2_client.py (httpx) printed"
}

# httpx at https://, trusting the certificate with verify=.
httpx_h2_to_https_http_server() {
    local url certificate
    TMPDIR=$work start_server hs http-server --self-signed || return 1
    server_certificate hs || return 1
    httpx_exchange "$url" --cafile "$certificate"
}

# httpx over h2c, told to (http1=False): it never asks with Upgrade.
httpx_h2c_to_http_server() {
    local url
    start_server hs http-server || return 1
    httpx_exchange "$url"
}

# --- http-client --http2 ------------------------------------------------

# Our http-client --http2 against nginx (nginx-h2.conf): at h2c, by prior
# knowledge, and at https:// offering only h2 by ALPN. nginx's access log
# must show each GET as HTTP/2.0.
http_client_h2_to_nginx() {
    local h2c tls out
    make_certificate || return 1
    h2c=$(free_port)
    tls=$(free_port)
    sed -e "s|H2C_PORT|$h2c|" -e "s|TLS_PORT|$tls|" -e "s|BODY|$hello_body|" -e "s|WORK|$work|g" \
        "$root/interop/nginx-h2.conf" > "$work/nginx.conf"
    start nginx nginx -c "$work/nginx.conf"
    wait_for_port "$h2c" && wait_for_port "$tls" || return 1
    out=$("$bin/http-client" --http2 "http://127.0.0.1:$h2c/") || return 1
    expect "$out" "$hello_http" "http-client --http2 at h2c printed" || return 1
    out=$("$bin/http-client" --http2 --cacert "$cert" "https://127.0.0.1:$tls/") || return 1
    expect "$out" "$hello_http" "http-client --http2 --cacert printed" &&
        expect "$(cat "$work/nginx-access.log")" $'HTTP/2.0 GET / 200\nHTTP/2.0 GET / 200' "nginx's access log"
}

# wait_for_port PORT: waits up to 10 s until something listens on PORT of
# 127.0.0.1 (nginx prints no started line).
wait_for_port() {
    local tries
    for ((tries = 0; tries < 100; tries++)); do
        (: < "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1 within 10 s"
    cat "$work/nginx.err"
    return 1
}

# --- WebSocket over HTTP/2 -----------------------------------------------

# ws_stats URL [CURL FLAGS...]: prints ws-server's /stats at URL (a ws:// or
# wss:// address) as `http1=N http2=M`: how many WebSockets it took over
# each version.
ws_stats() {
    local http=${1/#ws/http}
    curl "${@:2}" -sS "$http/stats" | python3 -c 'import json, sys
print("http1={websockets_over_http1} http2={websockets_over_http2}".format(**json.load(sys.stdin)))'
}

# ws_client_h2_exchange URL [WS-CLIENT FLAGS...]: ws-client --http2 sends
# hello to the ws-server at URL (started as "ws"), which must have taken it
# as its one WebSocket over HTTP/2.
ws_client_h2_exchange() {
    local url=$1 out stats
    out=$(echo hello | timeout 10 "$bin/ws-client" --http2 "${@:2}" "$url") || return 1
    expect "$out" $'Enter a message: Sent message: hello\nReceived response: Server Response: hello\nEnter a message: ' \
        "ws-client --http2 printed" &&
        wait_for "$work/ws.out" "^Received Message: hello$" || return 1
    stats=$(ws_stats "$url" "${@:2}") || return 1
    expect "$stats" "http1=0 http2=1" "ws-server's /stats" &&
        refuse "$work/ws.err" "ended:"
}

# ws-client --http2 over h2c: an extended CONNECT on plain TCP.
ws_client_h2c_to_ws_server() {
    local url
    start_server ws ws-server || return 1
    ws_client_h2_exchange "$url"
}

# ws-client --http2 at wss://: h2 by ALPN, then the extended CONNECT.
ws_client_h2_to_wss_ws_server() {
    local url certificate
    TMPDIR=$work start_server ws ws-server --self-signed || return 1
    server_certificate ws || return 1
    ws_client_h2_exchange "$url" --cacert "$certificate"
}
