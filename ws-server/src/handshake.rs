//! The opening handshake: the HTTP request that asks to become a WebSocket,
//! checked rule by rule against RFC 6455 (section 4.2.1), and the answer,
//! `101 Switching Protocols` or an HTTP error that says what was wrong.
//!
//! hyper, the HTTP library under axum, reads the request off the socket, and
//! answers what it cannot parse by itself: `400 Bad Request` for bytes that
//! are not HTTP, `431 Request Header Fields Too Large` for a head over
//! [`MAX_HEAD`]. What it can parse comes here, to [`check`]. After our `101`,
//! hyper hands the connection back as an `Upgraded` stream, the socket plus
//! whatever bytes came right behind the request (a client may send its first
//! frame without waiting for our answer), and tungstenite speaks WebSocket
//! on it.
//!
//! tungstenite could check the request itself, but on a bad one it just
//! drops the connection, so a learner who points `curl` or a browser tab at
//! the server sees nothing. Here every refusal is an ordinary HTTP answer
//! with a sentence in its body.
//!
//! Run: `cargo run -p ws-server`, then `curl -i http://localhost:8765/` to
//! see a refusal.

use std::convert::Infallible;
use std::sync::Mutex;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{
    CONNECTION, CONTENT_TYPE, HOST, HeaderName, ORIGIN, RETRY_AFTER, SEC_WEBSOCKET_ACCEPT,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use hyper::http::uri::Authority;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// The largest request head (request line and headers) accepted; hyper
/// answers a larger one `431`. A browser's upgrade request is well under
/// 2 KiB. (hyper takes no less than 8 KiB here.)
pub(crate) const MAX_HEAD: usize = 8 * 1024;

/// The body of every answer: a sentence or nothing.
type Body = Full<Bytes>;

/// A connection that became a WebSocket: the socket, as hyper hands it back
/// after our `101`, and the path the client asked for (`/`, `/tick`,
/// `/chat`), without any query string.
pub(crate) struct Upgrade {
    pub(crate) stream: TokioIo<Upgraded>,
    pub(crate) path: String,
}

/// Reads the client's one request on `stream` and answers it. Returns the
/// upgraded connection, or `None` once a refusal is sent (or the peer left,
/// or sent something that is not HTTP). No deadline here: the caller sets
/// one around the whole handshake.
pub(crate) async fn accept<S>(stream: S, allowed_origins: &[String]) -> Option<Upgrade>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Where `answer` leaves the upgrade it agreed to, for us to collect once
    // hyper has written the `101`.
    let agreed = Mutex::new(None);
    let answer = |mut request: Request<Incoming>| {
        let response = match check(&request, allowed_origins) {
            Ok(accepted) => {
                let upgrade = hyper::upgrade::on(&mut request);
                *agreed.lock().expect("not poisoned") = Some((upgrade, accepted.path));
                switching_protocols(&accepted.key)
            }
            Err(refusal) => refusal.response(),
        };
        std::future::ready(Ok::<_, Infallible>(response))
    };
    let connection = settings()
        .serve_connection(TokioIo::new(stream), service_fn(answer))
        .with_upgrades();
    // It ends once the answer is written: after a refusal, with the
    // connection closed; after a `101`, with the socket handed over.
    if let Err(err) = connection.await {
        tracing::debug!("handshake failed: {err}");
        return None;
    }
    let (upgrade, path) = agreed.into_inner().expect("not poisoned")?;
    let stream = TokioIo::new(upgrade.await.ok()?);
    Some(Upgrade { stream, path })
}

/// Answers the one request on `stream`, whatever it is, with `refusal`
/// (the server is at its limit).
pub(crate) async fn refuse<S>(stream: S, refusal: Refusal)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let answer = |_request| std::future::ready(Ok::<_, Infallible>(refusal.response()));
    let _ = settings()
        .serve_connection(TokioIo::new(stream), service_fn(answer))
        .await;
}

/// hyper's settings for the one request a WebSocket connection begins with.
fn settings() -> http1::Builder {
    // hyper writes header names in lower case (`upgrade: websocket`), as
    // HTTP/2 must; in HTTP/1.1 their case never mattered.
    let mut http = http1::Builder::new();
    http.max_buf_size(MAX_HEAD);
    http
}

/// The answer that turns this HTTP connection into a WebSocket.
/// `Sec-WebSocket-Accept` proves we read the client's key: it is
/// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
fn switching_protocols(accept_key: &str) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, "websocket".parse().expect("a header value"));
    headers.insert(CONNECTION, "Upgrade".parse().expect("a header value"));
    headers.insert(
        SEC_WEBSOCKET_ACCEPT,
        accept_key.parse().expect("base64 is a header value"),
    );
    response
}

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
            format!("This server is at its limit of {limit} connections; try again shortly.\n"),
        )
    }

    fn response(&self) -> Response<Body> {
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
        // One request per connection: after a refusal, hyper closes it.
        headers.insert(CONNECTION, "close".parse().expect("a header value"));
        response
    }
}

/// An upgrade request that passed every check.
pub(crate) struct Accepted {
    /// The `Sec-WebSocket-Accept` value that answers the client's key.
    key: String,
    /// The path asked for, without a query string.
    path: String,
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
            "A WebSocket handshake needs HTTP/1.1.\n",
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
    if let Some(origin) = header(ORIGIN) {
        let host = header(HOST).unwrap_or_default();
        if !origin_is_allowed(origin, host, allowed_origins) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                &[],
                format!(
                    "WebSockets from pages at {origin} are not accepted here; \
                     start the server with --allow-origin {origin} to accept them.\n"
                ),
            ));
        }
    }
    Ok(Accepted {
        key,
        path: request.uri().path().to_string(),
    })
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
