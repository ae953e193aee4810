#!/usr/bin/env bash
# The interop suite: our four programs against peers nobody here wrote.
#
#   interop/run.sh
#
# Pairings: the article's own Python programs in both directions (requests,
# http.server, websockets), curl, websocat, headless Chromium, and the
# Autobahn|Testsuite; then the same peers over TLS (https://, wss://), each
# trusting the server's certificate in its own way (secure.sh); then HTTP/2:
# curl, h2load and httpx to http-server, http-client to nginx, ws-client to
# ws-server (http2.sh), and Chromium (browser.sh). It prints one line per
# pairing, then "N passed, N failed", and exits 1 if any failed.
#
# It installs what it needs on a fresh machine: Debian packages (curl,
# chromium, openssl, h2load, nginx), a Python virtualenv with the article's
# dependencies and httpx, websocat (cargo install) and wstest
# (autobahn/install.sh). The last three go into a cache, $INTEROP_CACHE
# (default ~/.cache/http-vs-websocket), so later runs start at once. Every
# server listens on a free port, and every process the suite starts is
# stopped when it ends, however it ends.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
article=$root/interop/article
cache=${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/http-vs-websocket}
bin=$root/target/debug
work=$(mktemp -d)
pids=()
passed=0
failed=0

# Stops every process this suite started, then removes its scratch files.
stop_started() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null
    done
    pids=()
}
trap 'stop_started; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# --- Installing ----------------------------------------------------------

install_tools() {
    local missing=()
    command -v curl > /dev/null || missing+=(curl)
    command -v openssl > /dev/null || missing+=(openssl)
    command -v h2load > /dev/null || missing+=(nghttp2-client)
    command -v nginx > /dev/null || missing+=(nginx)
    command -v chromium > /dev/null || missing+=(chromium)
    command -v node > /dev/null || missing+=(nodejs)
    command -v npm > /dev/null || missing+=(npm)
    if ((${#missing[@]})); then
        echo "installing Debian packages: ${missing[*]}"
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" > /dev/null || return 1
    fi

    cargo build --quiet --bins --workspace --manifest-path "$root/Cargo.toml" || return 1

    "$root/interop/venv.sh" "$cache/venv" || return 1

    if [[ ! -x $cache/websocat/bin/websocat ]]; then
        echo "installing websocat (cargo install: a few minutes, once)"
        cargo install --quiet --locked websocat@1.14.1 --root "$cache/websocat" || return 1
    fi

    # playwright-core drives Debian's Chromium; it downloads no browser.
    if [[ ! -d $cache/node/node_modules/playwright-core ]]; then
        echo "installing playwright-core (npm)"
        npm install --silent --no-audit --no-fund --prefix "$cache/node" playwright-core@1.65.1 || return 1
    fi

    "$root/interop/autobahn/install.sh" "$cache/autobahn" || return 1
}

# --- Helpers -------------------------------------------------------------

py=$cache/venv/bin/python
websocat=$cache/websocat/bin/websocat

# start NAME COMMAND...: runs COMMAND in the background, its output in
# $work/NAME.out and $work/NAME.err.
start() {
    local name=$1
    shift
    # Emptied here, before the process starts: the redirection below happens
    # in the background child, and until it does, waiting for a line could
    # read an earlier check's file of the same name.
    : > "$work/$name.out"
    : > "$work/$name.err"
    "$@" >> "$work/$name.out" 2>> "$work/$name.err" &
    pids+=($!)
}

# wait_for FILE PATTERN: waits up to 10 s for a line matching PATTERN (a
# server's started line, a log entry). This waits for the thing itself;
# the short pauses are only how often it looks.
wait_for() {
    local tries
    for ((tries = 0; tries < 100; tries++)); do
        grep -q -E -- "$2" "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    echo "no line matching /$2/ in $(basename "$1") within 10 s; it has:"
    cat "$1"
    return 1
}

# start_server NAME PROGRAM [FLAGS...]: starts one of our servers on a free
# port and sets $url from its started line. (It sets a variable rather than
# printing, because $(...) would run it in a subshell, where the process it
# starts would escape `pids` and outlive the suite.)
start_server() {
    local name=$1
    shift
    start "$name" "$bin/$1" --port 0 "${@:2}"
    wait_for "$work/$name.out" "server started\. Listening on " || return 1
    url=$(sed -n 's/.* Listening on //p' "$work/$name.out")
}

# A free port on 127.0.0.1, for the Python servers (which take a port, not 0).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# expect ACTUAL EXPECTED WHAT
expect() {
    if [[ $1 != "$2" ]]; then
        echo "$3: expected"
        printf '%s\n' "$2" | sed 's/^/  | /'
        echo "got"
        printf '%s\n' "$1" | sed 's/^/  | /'
        return 1
    fi
}

# refuse FILE PATTERN: fails if FILE has a line matching PATTERN.
refuse() {
    if grep -E -- "$2" "$1"; then
        echo "^ unexpected in $(basename "$1")"
        return 1
    fi
}

# check NAME FUNCTION: runs one pairing, prints its line, and stops
# whatever it started.
check() {
    local name=$1
    if "$2" > "$work/check.log" 2>&1; then
        echo "ok    $name"
        passed=$((passed + 1))
    else
        echo "FAIL  $name"
        sed 's/^/      /' "$work/check.log"
        failed=$((failed + 1))
    fi
    stop_started
}

hello_http=$'Status Code: 200\nResponse Body: Hello, World! This is an HTTP response.'

# --- The pairings --------------------------------------------------------

# The article's `requests` client against our http-server.
requests_to_http_server() {
    local url
    start_server hs http-server || return 1
    requests_exchange "$url"
}

# requests_exchange URL [WRAPPER...]: runs the article's client at URL (under
# WRAPPER, a Python script that then runs it) and checks its two lines.
requests_exchange() {
    local out
    out=$("$py" "${@:2}" "$article/http_client.py" "$1/") || return 1
    expect "$out" "$hello_http" "the article's client printed"
}

# Our http-client against the article's `http.server` program, which
# answers in HTTP/1.0 with no Content-Length and ends the body by closing.
http_client_to_article_server() {
    article_http_server_exchange http
}

# article_http_server_exchange SCHEME [WRAPPER...]: starts the article's
# server (under WRAPPER) and GETs it with http-client, at SCHEME://; at
# https:// trusting $cert.
article_http_server_exchange() {
    local port out trust=()
    [[ $1 == https ]] && trust=(--cacert "$cert")
    port=$(free_port)
    start pyhttp "$py" -u "${@:2}" "$article/http_server.py" "$port"
    wait_for "$work/pyhttp.out" "^HTTP server started\.$" || return 1
    out=$("$bin/http-client" "${trust[@]}" "$1://127.0.0.1:$port/") || return 1
    expect "$out" "$hello_http" "http-client printed" &&
        wait_for "$work/pyhttp.err" '"GET / HTTP/1.1" 200'
}

# The article's `websockets` client against our ws-server: the exact lines
# on both sides, and a clean close (1000 both ways) in websockets' frame log.
article_ws_client_to_ws_server() {
    local url
    start_server ws ws-server || return 1
    article_ws_client_exchange "$url"
}

# article_ws_client_exchange URL [WRAPPER...]: the article's client (under
# WRAPPER) sends hello to the ws-server at URL, which was started as "ws".
article_ws_client_exchange() {
    local out
    out=$(echo hello | "$py" "${@:2}" "$article/log_frames.py" "$article/ws_client.py" "$1" 2> "$work/pyclient.err") || {
        cat "$work/pyclient.err"
        return 1
    }
    expect "$out" $'Enter a message: Sent message: hello\nReceived response: Server Response: hello' \
        "the article's client printed" &&
        wait_for "$work/ws.out" "^Received Message: hello$" &&
        grep -q "> CLOSE 1000" "$work/pyclient.err" &&
        grep -q "< CLOSE 1000" "$work/pyclient.err" &&
        refuse "$work/pyclient.err" "no close frame|Traceback|Error" &&
        refuse "$work/ws.err" "ended:"
}

# Our ws-client against the article's `websockets` server.
ws_client_to_article_ws_server() {
    article_ws_server_exchange ws
}

# article_ws_server_exchange SCHEME [WRAPPER...]: starts the article's
# server (under WRAPPER) and sends it hello with ws-client, at SCHEME://; at
# wss:// trusting $cert.
article_ws_server_exchange() {
    local port out trust=()
    [[ $1 == wss ]] && trust=(--cacert "$cert")
    port=$(free_port)
    start pyws "$py" -u "${@:2}" "$article/log_frames.py" "$article/ws_server.py" "$port"
    wait_for "$work/pyws.out" "^WebSocket server started\.$" || return 1
    out=$(echo hello | "$bin/ws-client" "${trust[@]}" "$1://127.0.0.1:$port") || return 1
    expect "$out" $'Enter a message: Sent message: hello\nReceived response: Server Response: hello\nEnter a message: ' \
        "ws-client printed" &&
        wait_for "$work/pyws.out" "^Received Message: hello$" &&
        wait_for "$work/pyws.err" "< CLOSE 1000" &&
        wait_for "$work/pyws.err" "> CLOSE 1000" &&
        refuse "$work/pyws.err" "no close frame|Traceback|Error"
}

# curl: GET shows the status, Content-Type and body; HEAD the same headers
# and no body.
curl_to_http_server() {
    local url
    start_server hs http-server || return 1
    curl_exchange "$url"
}

# curl_exchange URL [CURL FLAGS...]: GET and HEAD at URL, and their checks.
curl_exchange() {
    local url=$1 answer head
    answer=$(curl "${@:2}" -sS -i "$url/") || return 1
    expect "$(head -n 1 <<< "$answer" | tr -d '\r')" "HTTP/1.1 200 OK" "curl -i status line" &&
        grep -q -i '^content-type: text/html' <<< "$answer" &&
        expect "$(tail -n 1 <<< "$answer")" "Hello, World! This is an HTTP response." "curl -i body" || {
        echo "$answer"
        return 1
    }
    head=$(curl "${@:2}" -sS -I "$url/") || return 1
    expect "$(head -n 1 <<< "$head" | tr -d '\r')" "HTTP/1.1 200 OK" "curl -I status line" &&
        grep -q -i '^content-length: 39' <<< "$head" &&
        expect "$(curl "${@:2}" -sS -I -o /dev/null -w '%{size_download}' "$url/")" "0" "curl -I body bytes"
}

# websocat, a text message and a binary one.
websocat_to_ws_server() {
    local url
    start_server ws ws-server || return 1
    websocat_exchange "$url"
}

# websocat_exchange URL: the text and the binary message at URL, to the
# ws-server started as "ws".
websocat_exchange() {
    local url=$1 out
    out=$(echo hello | timeout 10 "$websocat" --linemode-strip-newlines "$url") || return 1
    expect "$out" "Server Response: hello" "websocat text" || return 1
    out=$(printf '\x00\x01\xfe\xff' | timeout 10 "$websocat" --binary "$url" | od -An -tx1 | tr -d ' \n') || return 1
    expect "$out" "0001feff" "websocat binary" &&
        wait_for "$work/ws.out" "^Received Message: hello$" &&
        refuse "$work/ws.err" "ended:"
}

# The Autobahn|Testsuite in fuzzingclient mode against ws-server --echo-plain,
# compared with autobahn/expected-results.json.
autobahn_to_ws_server() {
    local url
    start_server ws ws-server --echo-plain || return 1
    cat > "$work/autobahn.json" << SPEC
{"outdir": "$work/autobahn", "servers": [{"agent": "ws-server", "url": "$url"}],
 "cases": ["*"], "exclude-cases": ["9.*", "12.*", "13.*"], "exclude-agent-cases": {}}
SPEC
    (cd "$work" && timeout 600 "$cache/autobahn/bin/wstest" -m fuzzingclient -s "$work/autobahn.json") \
        > "$work/wstest.log" 2>&1 || {
        tail -n 20 "$work/wstest.log"
        return 1
    }
    python3 "$root/interop/autobahn/compare.py" "$root/interop/autobahn/expected-results.json" \
        "$work/autobahn/index.json"
}

# The pairings of the secure web (the same peers at https:// and wss://,
# the certificate helpers they share, and the Origin check in Chromium)
# are in secure.sh beside this file; those over HTTP/2 in http2.sh; the
# other pairings in Chromium in browser.sh.
source "$root/interop/secure.sh"
source "$root/interop/http2.sh"
source "$root/interop/browser.sh"

# --- Run -----------------------------------------------------------------

install_tools || {
    echo "FAIL  installing the peers"
    echo "0 passed, 1 failed"
    exit 1
}

check "article requests client -> http-server" requests_to_http_server
check "http-client -> article http.server" http_client_to_article_server
check "article websockets client -> ws-server" article_ws_client_to_ws_server
check "ws-client -> article websockets server" ws_client_to_article_ws_server
check "curl GET and HEAD -> http-server" curl_to_http_server
check "websocat text and binary -> ws-server" websocat_to_ws_server
check "headless Chromium -> ws-server" chromium_to_ws_server
check "headless Chromium -> /demo (http-server and ws-server)" chromium_demo_page
check "headless Chromium: Origin allowed and refused -> ws-server" chromium_origin_check
check "curl --http1.1 --cacert GET and HEAD -> https http-server --self-signed" curl_to_https_http_server
check "article requests client, verify= -> https http-server" requests_to_https_http_server
check "article websockets client, ssl= -> wss ws-server" article_ws_client_to_wss_ws_server
check "http-client --cacert -> article http.server, socket in TLS" http_client_to_article_https_server
check "ws-client --cacert -> article websockets server, ssl=" ws_client_to_article_wss_server
check "websocat, SSL_CERT_FILE -> wss ws-server" websocat_to_wss_ws_server
check "headless Chromium, SPKI-trusted -> /demo over https and wss" chromium_demo_page_over_tls
check "curl --http2-prior-knowledge (h2c) GET, POST /echo; --http1.1 -> http-server" curl_h2c_to_http_server
check "curl --http2 --cacert (h2 by ALPN) GET, POST /echo; --http1.1 -> https http-server" curl_h2_to_https_http_server
check "h2load 1000 requests, 10 connections x 10 streams, h2c -> http-server" h2load_h2c_to_http_server
check "h2load 1000 requests, 10 connections x 10 streams, h2 -> https http-server" h2load_h2_to_https_http_server
check "httpx http2=True, verify= -> https http-server" httpx_h2_to_https_http_server
check "httpx http1=False (h2c prior knowledge) -> http-server" httpx_h2c_to_http_server
check "http-client --http2, h2c and --cacert over h2 -> nginx" http_client_h2_to_nginx
check "ws-client --http2, extended CONNECT over h2c -> ws-server" ws_client_h2c_to_ws_server
check "ws-client --http2 --cacert, extended CONNECT over h2 -> wss ws-server" ws_client_h2_to_wss_ws_server
check "headless Chromium: WebSocket over HTTP/2 from ws-server's page, HTTP/1.1 from another's" chromium_ws_over_h2
check "Autobahn|Testsuite -> ws-server --echo-plain" autobahn_to_ws_server

echo "$passed passed, $failed failed"
((failed == 0))
