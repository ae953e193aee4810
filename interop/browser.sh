# The interop suite's pairings in headless Chromium (Debian's, driven by
# playwright-core; the scripts it runs are in browser/): a page's WebSocket,
# the /demo page in full, and when Chromium puts a WebSocket on HTTP/2.
# The same /demo over https:// and the Origin rule are with the secure
# web's pairings in secure.sh. Sourced by run.sh; not run on its own. The
# sourced files call each other's helpers (secure.sh's /demo uses
# demo_panels from here; the HTTP/2 pairing here uses make_certificate and
# spki_hash from secure.sh, ws_stats from http2.sh).

# Headless Chromium: a page (served over HTTP by Python's http.server)
# connects with `new WebSocket(...)`, sends a message and shows the reply;
# browser/check.js waits until the page shows it, and prints it.
chromium_to_ws_server() {
    local url port reply
    start_server ws ws-server || return 1
    port=$(free_port)
    start pages "$py" -u -m http.server "$port" --bind 127.0.0.1 --directory "$root/interop/browser"
    wait_for "$work/pages.out" "^Serving HTTP" || return 1
    reply=$(browser_check "http://127.0.0.1:$port/echo.html?ws=$url" reply) || return 1
    expect "$reply" "reply: Server Response: hello from Chromium" "the page shows" &&
        wait_for "$work/ws.out" "^Received Message: hello from Chromium$"
}

# browser_check URL ID...: loads URL in headless Chromium and prints each
# element's text once the page marks it live (browser/check.js).
browser_check() {
    NODE_PATH=$cache/node/node_modules timeout 60 node "$root/interop/browser/check.js" "$@"
}

# Headless Chromium on http-server's /demo page, against both servers:
# browser/demo.js checks every panel (the article's fetch and echo; the feed
# by short polling, long polling, SSE and WebSocket push, each with a tick,
# a chart with points and counters that keep growing; the chat room's echo
# of a typed line) and prints a line for each.
chromium_demo_page() {
    local url http
    start_server http http-server --tick-interval 0.2 || return 1
    http=$url
    start_server ws ws-server --tick-interval 0.2 || return 1
    demo_panels "$http" "$url"
}

# demo_panels HTTP WS: loads HTTP/demo?ws=WS with browser/demo.js (adding
# $CHROMIUM_FLAGS to Chromium's) and checks what each panel shows.
demo_panels() {
    local shown
    shown=$(NODE_PATH=$cache/node/node_modules timeout 60 node "$root/interop/browser/demo.js" \
        "$1/demo?ws=$2") || return 1
    printf '%s\n' "$shown"
    # HTTP/2 has no reason phrase: over https:// (h2) the page shows `200 `.
    grep -q -E "^fetch: 200( OK)? ?$" <<< "$shown" &&
        grep -q -F "echo: connected to $2/ (101 Switching Protocols)" <<< "$shown" &&
        grep -q "^Hello, World! This is an HTTP response.$" <<< "$shown" &&
        grep -q "^received: Server Response: hello from the browser$" <<< "$shown" &&
        grep -q "^short-poll: tick [0-9]*: price [0-9.]*, delay " <<< "$shown" &&
        grep -q "^long-poll: tick [0-9]*: price [0-9.]*, delay " <<< "$shown" &&
        grep -q "^sse: tick [0-9]*: price [0-9.]*, delay .* | 1 request · " <<< "$shown" &&
        grep -q "^ws-push: tick [0-9]*: price [0-9.]*, delay .* | 1 request · " <<< "$shown" &&
        grep -q "^chat: guest-[0-9]*: hello from Chromium$" <<< "$shown"
}

# --- WebSocket over HTTP/2 -----------------------------------------------

# Headless Chromium, twice, against one `ws-server --tls-cert`, trusted by
# its SPKI hash. First it loads ws-server's own /echo.html, over HTTP/2 (h2
# by ALPN), and the page's WebSocket back to the same host and port rides on
# that connection as an extended CONNECT: /stats counts one over HTTP/2.
# Then a page from another port (http-server's /) opens a WebSocket to
# ws-server: Chromium holds no HTTP/2 connection to that port, so it opens
# a new one offering only http/1.1, and /stats counts one over HTTP/1.1.
chromium_ws_over_h2() {
    local url ws spki shown
    make_certificate || return 1
    spki=$(spki_hash "$cert") || return 1
    start_server ws ws-server --tls-cert "$cert" --tls-key "$key" || return 1
    ws=$url
    shown=$(CHROMIUM_FLAGS="--ignore-certificate-errors-spki-list=$spki" \
        browser_http2 "${ws/#wss/https}/echo.html") || return 1
    expect "$shown" $'page: h2\nreply: Server Response: hello from the page' "ws-server's /echo.html" &&
        expect "$(ws_stats "$ws" --cacert "$cert")" "http1=0 http2=1" "/stats after its own page" || return 1
    start_server hs http-server --tls-cert "$cert" --tls-key "$key" || return 1
    shown=$(CHROMIUM_FLAGS="--ignore-certificate-errors-spki-list=$spki" \
        browser_http2 "$url/" "$ws") || return 1
    expect "$shown" $'page: h2\nreply: Server Response: hello from Chromium over TLS' "a page from http-server" &&
        expect "$(ws_stats "$ws" --cacert "$cert")" "http1=1 http2=1" "/stats after a page from another port"
}

# browser_http2 PAGE [WS]: browser/http2.js.
browser_http2() {
    NODE_PATH=$cache/node/node_modules timeout 60 node "$root/interop/browser/http2.js" "$@"
}
