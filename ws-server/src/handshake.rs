//! The opening handshake over HTTP/1.1: the HTTP request that asks to
//! become a WebSocket, checked rule by rule against RFC 6455 (section 4.2.1,
//! in `check.rs`), and the answer, `101 Switching Protocols` or an HTTP
//! error that says what was wrong. (Over HTTP/2 it is `http2.rs`.)
//!
//! hyper, the HTTP library under axum, reads the request off the socket, and
//! answers what it cannot parse by itself: `400 Bad Request` for bytes that
//! are not HTTP, `431 Request Header Fields Too Large` for a head over
//! [`MAX_HEAD`]. What it can parse comes here: one of the pages of
//! `pages.rs`, or the rules of [`check`]. After our `101`,
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
use hyper::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, UPGRADE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::Shared;
use crate::check::{Refusal, check};

/// The largest request head (request line and headers) accepted; hyper
/// answers a larger one `431`. A browser's upgrade request is well under
/// 2 KiB. (hyper takes no less than 8 KiB here.)
pub(crate) const MAX_HEAD: usize = 8 * 1024;

/// The body of every answer: a sentence, a page, or nothing.
pub(crate) type Body = Full<Bytes>;

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
pub(crate) async fn accept<S>(stream: S, shared: &Shared) -> Option<Upgrade>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Where `answer` leaves the upgrade it agreed to, for us to collect once
    // hyper has written the `101`.
    let agreed = Mutex::new(None);
    let answer = |mut request: Request<Incoming>| {
        if let Some(mut page) = crate::pages::page(&request, &shared.stats) {
            // One request per connection, as after a refusal: hyper closes it.
            let close = "close".parse().expect("a header value");
            page.headers_mut().insert(CONNECTION, close);
            return std::future::ready(Ok::<_, Infallible>(page));
        }
        let response = match check(&request, &shared.options.allow_origins) {
            Ok(accepted) => {
                let upgrade = hyper::upgrade::on(&mut request);
                *agreed.lock().expect("not poisoned") = Some((upgrade, accepted.path));
                switching_protocols(&accepted.key)
            }
            Err(refusal) => refusal.response(Version::HTTP_11),
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
    let answer = |_request| {
        let response = refusal.response(Version::HTTP_11);
        std::future::ready(Ok::<_, Infallible>(response))
    };
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
