# The interop suite's pairings of the secure web: over TLS, and ws-server's
# Origin check in a real browser. Sourced by run.sh (which defines
# the helpers used here: start, start_server, wait_for, expect, $work, $py,
# $websocat). Not run on its own: `bash interop/run.sh` runs them.
#
# The certificate and key for the TLS pairings that need them as files: the
# article's Python servers, and the two of ours sharing one for Chromium.
cert=$work/cert.pem
key=$work/key.pem

# make_certificate: makes $cert and $key once, self-signed, for localhost
# and 127.0.0.1. `openssl req -x509` marks its certificate as a CA unless
# told not to, and rustls (under our clients) refuses a CA certificate as a
# server's own (CaUsedAsEndEntity): hence CA:FALSE.
make_certificate() {
    [[ -s $cert ]] && return 0
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
        -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
        -addext "basicConstraints=critical,CA:FALSE" \
        -keyout "$key" -out "$cert" 2> "$work/openssl.err" || {
        cat "$work/openssl.err"
        return 1
    }
}

# spki_hash FILE: the base64 SHA-256 of the certificate's public key (its
# SPKI). Chromium trusts that certificate, and only it, when given this in
# --ignore-certificate-errors-spki-list, a flag it honours only with a fresh
# --user-data-dir, which playwright-core gives every launch.
spki_hash() {
    openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | base64
}

# server_certificate NAME: sets $certificate from the line one of our
# servers prints after its started line when it runs with --self-signed.
# (They write that file in $TMPDIR and remove it when they exit; the
# pairings start them with TMPDIR=$work, so even a server that is killed
# leaves nothing outside the scratch folder.)
server_certificate() {
    wait_for "$work/$1.out" "^TLS certificate: " || return 1
    certificate=$(sed -n 's/^TLS certificate: \([^ ]*\) .*/\1/p' "$work/$1.out")
}

# --- The pairings over TLS -----------------------------------------------
#
# The same peers at https:// and wss://. Each trusts the server's
# certificate the way its users would: a CA file, an SSL context, an
# environment variable, a browser flag; none turns verification off.

# curl --cacert, with the certificate http-server --self-signed made, and
# --http1.1: by itself curl offers h2 too, and http-server would pick it
# (http2.sh has that pairing).
curl_to_https_http_server() {
    local url certificate
    TMPDIR=$work start_server hs http-server --self-signed || return 1
    server_certificate hs || return 1
    curl_exchange "$url" --http1.1 --cacert "$certificate"
}

# The article's `requests` client, its requests.get given verify= the
# certificate (article/with_tls.py).
requests_to_https_http_server() {
    local url certificate
    TMPDIR=$work start_server hs http-server --self-signed || return 1
    server_certificate hs || return 1
    requests_exchange "$url" "$article/with_tls.py" --cafile "$certificate"
}

# The article's `websockets` client, given ssl.create_default_context(cafile=)
# (article/with_tls.py).
article_ws_client_to_wss_ws_server() {
    local url certificate
    TMPDIR=$work start_server ws ws-server --self-signed || return 1
    server_certificate ws || return 1
    article_ws_client_exchange "$url" "$article/with_tls.py" --cafile "$certificate"
}

# The article's http.server with its socket wrapped in TLS (article/with_tls.py).
http_client_to_article_https_server() {
    make_certificate || return 1
    article_http_server_exchange https "$article/with_tls.py" --cert "$cert" --key "$key"
}

# The article's websockets server, served with ssl= (article/with_tls.py).
ws_client_to_article_wss_server() {
    make_certificate || return 1
    article_ws_server_exchange wss "$article/with_tls.py" --cert "$cert" --key "$key"
}

# websocat (native-tls, so OpenSSL on Linux) has no CA option, only -k to
# trust anything; it trusts what OpenSSL reads from SSL_CERT_FILE. First it
# must refuse the certificate without it, so the trust is known to come
# from there.
websocat_to_wss_ws_server() {
    local url certificate
    TMPDIR=$work start_server ws ws-server --self-signed || return 1
    server_certificate ws || return 1
    if echo hello | timeout 10 "$websocat" "$url" > /dev/null 2> "$work/websocat.err"; then
        echo "websocat accepted the self-signed certificate without being told to trust it"
        return 1
    fi
    grep -q "certificate verify failed" "$work/websocat.err" || {
        cat "$work/websocat.err"
        return 1
    }
    SSL_CERT_FILE=$certificate websocat_exchange "$url"
}

# Headless Chromium on /demo over https://, its WebSockets over wss://, both
# servers with the one certificate, trusted by its SPKI hash.
chromium_demo_page_over_tls() {
    local url http spki
    make_certificate || return 1
    spki=$(spki_hash "$cert") || return 1
    start_server http http-server --tls-cert "$cert" --tls-key "$key" --tick-interval 0.2 || return 1
    http=$url
    start_server ws ws-server --tls-cert "$cert" --tls-key "$key" --tick-interval 0.2 || return 1
    CHROMIUM_FLAGS="--ignore-certificate-errors-spki-list=$spki" demo_panels "$http" "$url"
}

# ws-server's Origin rule, in headless Chromium (browser/origin.js): a page
# from the host ws-server is reached at opens its WebSocket; a page from
# another site (other.test, mapped to 127.0.0.1) is refused with 403, until
# ws-server is started with --allow-origin for it.
chromium_origin_check() {
    local url http ws other outcome
    start_server http http-server || return 1
    http=$url
    other=${http/127.0.0.1/other.test}
    start_server ws ws-server || return 1
    ws=$url
    outcome=$(origin_check "$http/" "$ws") || return 1
    expect "$outcome" "open" "a page from 127.0.0.1" || return 1
    outcome=$(origin_check "$other/" "$ws") || return 1
    expect "$outcome" "refused" "a page from other.test" || return 1
    start_server ws-allowing ws-server --allow-origin "$other" || return 1
    outcome=$(origin_check "$other/" "$url") || return 1
    expect "$outcome" "open" "a page from other.test, allowed by --allow-origin"
}

# origin_check PAGE WS: opens a WebSocket to WS from PAGE in Chromium.
origin_check() {
    NODE_PATH=$cache/node/node_modules timeout 60 node "$root/interop/browser/origin.js" "$@"
}
