//! The rules a request must pass to become a WebSocket, checked one by one,
//! and the refusal that explains which rule it broke: over HTTP/1.1 the
//! upgrade of RFC 6455 (section 4.2.1), over HTTP/2 the extended CONNECT of
//! RFC 8441. `handshake.rs` (HTTP/1.1) and `http2.rs` call them.
//!
//! Run: `cargo test -p ws-server check` runs the rules' own tests;
//! `curl -i http://localhost:8765/` against `cargo run -p ws-server` shows a
//! refusal.

use hyper::header::{
    CONNECTION, CONTENT_TYPE, HOST, HeaderName, ORIGIN, RETRY_AFTER, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use hyper::http::uri::Authority;
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::handshake::Body;

/// An HTTP error answer: a status, headers it requires, and a sentence.
pub(crate) struct Refusal {
    status: StatusCode,
    headers: &'static [(HeaderName, &'static str)],
    body: String,
}

impl Refusal {
    fn new(
        status: StatusCode,
        headers: &'static [(HeaderName, &'static str)],
        body: impl Into<String>,
    ) -> Self {
        Self {
            status,
            headers,
            body: body.into(),
        }
    }

    /// What a request without `Upgrade: websocket` gets, such as a browser
    /// tab or `curl` pointed at the server.
    fn not_an_upgrade() -> Self {
        Self::new(
            StatusCode::UPGRADE_REQUIRED,
            &[(UPGRADE, "websocket"), (SEC_WEBSOCKET_VERSION, "13")],
            "This is a WebSocket endpoint: plain HTTP requests are not served here. \
             Connect with a WebSocket client, such as `cargo run -p ws-client`.\n",
        )
    }

    /// What a client gets when the server is at its connection limit.
    pub(crate) fn busy(limit: usize) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            &[(RETRY_AFTER, "1")],
            format!(
                "This server is at its limit of {limit} connections and WebSockets; \
                 try again shortly.\n"
            ),
        )
    }

    /// What a request over HTTP/2 that is not an extended CONNECT gets (a
    /// `GET`, say): HTTP/2 has no `Upgrade` header, so not a `426`.
    fn not_a_connect() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            &[(hyper::header::ALLOW, "CONNECT")],
            "This is a WebSocket endpoint: over HTTP/2 a WebSocket is opened with \
             an extended CONNECT (RFC 8441), `:protocol websocket`. Connect with a \
             WebSocket client, such as `cargo run -p ws-client -- --http2`.\n",
        )
    }

    /// The answer, for a request over `version`.
    pub(crate) fn response(&self, version: Version) -> Response<Body> {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.insert(name, value.parse().expect("a header value"));
        }
        headers.insert(
            CONTENT_TYPE,
            "text/plain; charset=utf-8".parse().expect("a header value"),
        );
        // Over HTTP/1.1, one request per connection: after a refusal, hyper
        // closes it. Over HTTP/2 a refusal ends only its own stream, and
        // `Connection` is a header HTTP/2 forbids.
        if version != Version::HTTP_2 {
            headers.insert(CONNECTION, "close".parse().expect("a header value"));
        }
        response
    }
}

/// An upgrade request that passed every check.
pub(crate) struct Accepted {
    /// The `Sec-WebSocket-Accept` value that answers the client's key.
    pub(crate) key: String,
    /// The path asked for, without a query string.
    pub(crate) path: String,
}

/// Checks an upgrade request, rule by rule, and returns what the answer
/// needs, or the refusal that explains which rule it broke. Pages from the
/// `allowed_origins` may connect, beside those the Origin rule lets in.
pub(crate) fn check<B>(
    request: &Request<B>,
    allowed_origins: &[String],
) -> Result<Accepted, Refusal> {
    let header = |name: HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let has_token = |name: HeaderName, token: &str| {
        header(name).is_some_and(|value| {
            value
                .split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    };

    // 1. `GET`, over HTTP/1.1.
    if request.method() != Method::GET {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            &[(hyper::header::ALLOW, "GET")],
            "A WebSocket handshake is a GET request.\n",
        ));
    }
    if request.version() != Version::HTTP_11 {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            &[],
            "A WebSocket handshake needs HTTP/1.1 (or HTTP/2's extended CONNECT).\n",
        ));
    }
    // 2. `Upgrade: websocket` and `Connection: Upgrade`: "switch protocols".
    if !has_token(UPGRADE, "websocket") || !has_token(CONNECTION, "upgrade") {
        return Err(Refusal::not_an_upgrade());
    }
    // 3. `Sec-WebSocket-Version: 13`, the only version there is (RFC 6455).
    if header(SEC_WEBSOCKET_VERSION) != Some("13") {
        return Err(Refusal::new(
            StatusCode::UPGRADE_REQUIRED,
            &[(SEC_WEBSOCKET_VERSION, "13")],
            "This server speaks WebSocket version 13 (RFC 6455) only.\n",
        ));
    }
    // 4. `Sec-WebSocket-Key`: 16 random bytes, in base64.
    let key = match header(SEC_WEBSOCKET_KEY) {
        Some(key) if is_valid_key(key) => derive_accept_key(key.as_bytes()),
        _ => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                &[],
                "Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters).\n",
            ));
        }
    };
    // 5. `Origin`: which page opened this WebSocket, if a browser did.
    check_origin(
        header(ORIGIN),
        header(HOST).unwrap_or_default(),
        allowed_origins,
    )?;
    Ok(Accepted {
        key,
        path: request.uri().path().to_string(),
    })
}

/// Checks an extended CONNECT over HTTP/2 (RFC 8441), rule by rule, and
/// returns the path asked for, or the refusal that explains which rule it
/// broke. There is no key to answer: the stream is new, so no cache can
/// replay an old answer, which is all `Sec-WebSocket-Key` guarded against.
///
/// ```text
/// HEADERS (stream 1)
///   :method = CONNECT
///   :protocol = websocket
///   :scheme = https
///   :path = /
///   :authority = localhost:8765
///   sec-websocket-version = 13
/// ```
pub(crate) fn check_connect<B>(
    request: &Request<B>,
    allowed_origins: &[String],
) -> Result<String, Refusal> {
    let header = |name: HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    // 1. `:method CONNECT`, with the `:protocol` pseudo-header: the method
    //    that asks for this stream to become a tunnel for that protocol.
    if request.method() != Method::CONNECT {
        return Err(Refusal::not_a_connect());
    }
    // 2. `:protocol websocket`. A CONNECT without one asks for a TCP tunnel
    //    to another host, which this server does not open.
    let protocol = request.extensions().get::<hyper::ext::Protocol>();
    if !protocol.is_some_and(|protocol| protocol.as_str().eq_ignore_ascii_case("websocket")) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            &[],
            "A WebSocket over HTTP/2 is a CONNECT with `:protocol websocket` \
             (RFC 8441); this server opens no other tunnels.\n",
        ));
    }
    // 3. `sec-websocket-version: 13`, as over HTTP/1.1 (without `426`, which
    //    would need an `Upgrade` header, and HTTP/2 has none).
    if header(SEC_WEBSOCKET_VERSION) != Some("13") {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            &[(SEC_WEBSOCKET_VERSION, "13")],
            "This server speaks WebSocket version 13 (RFC 6455) only.\n",
        ));
    }
    // 4. `Origin`, compared with `:authority`, HTTP/2's `Host`.
    let authority = request.uri().authority().map_or("", |a| a.as_str());
    check_origin(header(ORIGIN), authority, allowed_origins)?;
    Ok(request.uri().path().to_string())
}

/// The Origin rule, the same over both versions: a page at `origin` may
/// open a WebSocket on this server, reached at `host`, or it is refused
/// with `403 Forbidden` and how to allow it.
fn check_origin(
    origin: Option<&str>,
    host: &str,
    allowed_origins: &[String],
) -> Result<(), Refusal> {
    match origin {
        Some(origin) if !origin_is_allowed(origin, host, allowed_origins) => Err(Refusal::new(
            StatusCode::FORBIDDEN,
            &[],
            format!(
                "WebSockets from pages at {origin} are not accepted here; \
                 start the server with --allow-origin {origin} to accept them.\n"
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether a page at `origin` (`http://localhost:8000`) may open a
/// WebSocket on this server, reached at `host` (the `Host` header,
/// `localhost:8765`).
///
/// A browser sends any page's WebSocket request with that page's `Origin`,
/// and with the user's cookies for this server: without this check, any
/// site the user visits could talk to the server as the user (Cross-Site
/// WebSocket Hijacking). Unlike `fetch`, a WebSocket is not held to the
/// same-origin policy; this check is the server's own. A page served from
/// the same host name passes, whatever its port (so http-server's `/demo`
/// reaches ws-server), as does any origin named with `--allow-origin`.
/// Comparing with `Host` rather than a configured name keeps it right
/// behind a load balancer, which passes `Host` on. It does not stop DNS
/// rebinding, where another site's name is made to resolve to this server,
/// so that `Origin` and `Host` agree: that needs a list of the names the
/// server may be reached at.
fn origin_is_allowed(origin: &str, host: &str, allowed_origins: &[String]) -> bool {
    let origin_host = origin
        .parse::<Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned));
    let server_host = host
        .parse::<Authority>()
        .ok()
        .map(|authority| authority.host().to_owned());
    let same_host =
        matches!((origin_host, server_host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b));
    same_host
        || allowed_origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
}

/// Whether `key` is 16 bytes in base64: 22 characters of the base64
/// alphabet and `==`. The 22nd character carries only 2 bits of the last
/// byte, so it must be one whose other 4 bits are zero: `A`, `Q`, `g` or `w`.
fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let is_base64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
    bytes.len() == 24
        && bytes[..21].iter().all(is_base64)
        && matches!(bytes[21], b'A' | b'Q' | b'g' | b'w')
        && &bytes[22..] == b"=="
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6455's own example (section 1.3): the key `dGhlIHNhbXBsZSBub25jZQ==`
    /// gives `Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
    #[test]
    fn accept_key_matches_the_rfc_example() {
        let request = Request::get("/chat?room=1")
            .header("Host", "server.example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "keep-alive, Upgrade")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("Sec-WebSocket-Version", "13")
            .body(())
            .unwrap();
        let accepted = check(&request, &[]).ok().expect("a valid upgrade request");
        assert_eq!(accepted.key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(accepted.path, "/chat");
    }

    /// Keys that are not 16 bytes of base64 are refused.
    #[test]
    fn only_sixteen_byte_keys_are_valid() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        for bad in [
            "",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZR==",
            "dGhl*HNhbXBsZSBub25jZQ==",
        ] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
    }

    /// A page on the server's own host may connect, from any port; another
    /// site's page only when allowed by name; a non-browser sends no Origin.
    #[test]
    fn origins_from_the_served_host_or_the_allowed_list_pass() {
        let allowed = ["http://example.com:8000".to_string()];
        for (origin, host, expected) in [
            ("http://localhost:8000", "localhost:8765", true),
            ("http://LOCALHOST:8000", "localhost:8765", true),
            ("http://127.0.0.1:8000", "127.0.0.1:8765", true),
            ("http://[::1]:8000", "[::1]:8765", true),
            ("https://app.example:443", "app.example", true),
            ("http://example.com:8000", "localhost:8765", true),
            ("http://example.com:9000", "localhost:8765", false),
            ("http://evil.example", "localhost:8765", false),
            ("http://localhost.evil.example", "localhost:8765", false),
            ("null", "localhost:8765", false),
            ("http://localhost:8000", "", false),
        ] {
            assert_eq!(
                origin_is_allowed(origin, host, &allowed),
                expected,
                "{origin} at {host}"
            );
        }
    }
}
