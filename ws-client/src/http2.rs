//! `--http2`: a WebSocket as one stream of an HTTP/2 connection (RFC 8441).
//!
//! Run: `cargo run -p ws-server`, then `cargo run -p ws-client -- --http2
//! --verbose` (HTTP/2 with prior knowledge on plain TCP), or against
//! `ws-server --self-signed`, `--http2 --cacert PATH wss://localhost:8765`
//! (HTTP/2 chosen by ALPN in the TLS handshake).
//!
//! Over HTTP/1.1 a WebSocket takes its TCP connection for itself: a `GET`
//! with `Upgrade: websocket`, a `101`, and no more HTTP. Over HTTP/2 the
//! connection stays HTTP/2, and the WebSocket is one stream of it:
//!
//! 1. Both sides send their SETTINGS. The server's must include
//!    `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`, "you may ask me for an
//!    extended CONNECT"; until it has arrived, the client must not ask.
//! 2. The client opens a stream with a HEADERS frame: `:method CONNECT`,
//!    `:protocol websocket`, `:scheme`, `:authority`, `:path`, and
//!    `sec-websocket-version: 13`. No key: over HTTP/1.1 the key's answer
//!    proves the server understood the upgrade; here its SETTINGS said so.
//! 3. The server answers `200` on that stream, and from then on the
//!    stream's DATA frames carry WebSocket frames, both ways, masked and
//!    framed exactly as over HTTP/1.1.

mod closing;

use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http2;
use hyper::header::SEC_WEBSOCKET_VERSION;
use hyper::http::uri::Uri;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

use self::closing::{Linger, Stream, Tasks};
use crate::dial::{Connection, Io};

/// How long the server has to allow extended CONNECT in its SETTINGS. They
/// are the first frame it sends, one round trip after our preface; a
/// server that sends SETTINGS without the setting (an HTTP/2 server that
/// knows nothing of WebSockets) never will.
const SETTINGS_TIMEOUT: Duration = Duration::from_secs(3);

/// The most of a refusal's body kept for the error line.
const MAX_REFUSAL: usize = 1024;

/// Opens a WebSocket to `url` over HTTP/2 on `stream` (the socket, or the
/// TLS stream inside it, already tapped for `--verbose`).
pub(crate) async fn open(url: &str, uri: &Uri, stream: Box<dyn Io>) -> anyhow::Result<Connection> {
    // The preface and our SETTINGS. hyper then starts a task that reads
    // and writes the connection's frames; `connection` hands it our
    // requests, so it must be polled for as long as we send any. `Tasks`
    // and `Linger` are there for the end: to close the connection cleanly
    // (`closing.rs`).
    let (tasks, closed) = Tasks::new();
    let stream = Linger::new(stream);
    let (mut sender, connection) = http2::handshake(tasks.clone(), TokioIo::new(stream))
        .await
        .with_context(|| format!("could not start HTTP/2 with {url}"))?;
    let mut connection = Box::pin(connection);
    // hyper reads the server's frames in a task of its own, and tells
    // nobody when its SETTINGS arrive: so until they allow extended
    // CONNECT, we poll `connection` (which sends our requests) and look at
    // the setting again every millisecond.
    let mut look_again = tokio::time::interval(Duration::from_millis(1));
    let allowed = poll_fn(|cx| {
        if let Poll::Ready(ended) = connection.as_mut().poll(cx) {
            return Poll::Ready(Err(ended.err()));
        }
        if connection.is_extended_connect_protocol_enabled() {
            return Poll::Ready(Ok(()));
        }
        while look_again.poll_tick(cx).is_ready() {}
        Poll::Pending
    });
    match tokio::time::timeout(SETTINGS_TIMEOUT, allowed).await {
        Ok(Ok(())) => {}
        Ok(Err(Some(err))) => bail!(
            "{url} did not answer in HTTP/2 (does it speak HTTP/2? try without --http2): {err}"
        ),
        Ok(Err(None)) => bail!("{url} closed the HTTP/2 connection before any WebSocket"),
        Err(_) => bail!(
            "{url} does not take WebSockets over HTTP/2: its SETTINGS did not allow \
             extended CONNECT (RFC 8441) within {SETTINGS_TIMEOUT:?}; try without --http2"
        ),
    }
    hyper::rt::Executor::execute(&tasks, connection);
    drop(tasks);

    let response = sender
        .send_request(connect_request(uri)?)
        .await
        .with_context(|| format!("{url} did not answer the WebSocket's CONNECT"))?;
    if response.status() != StatusCode::OK {
        let status = response.status();
        let body = response.into_body().collect().await.map(|b| b.to_bytes());
        let body = body.unwrap_or_default();
        let text = String::from_utf8_lossy(&body[..body.len().min(MAX_REFUSAL)]);
        bail!(
            "{url} refused the WebSocket over HTTP/2: {status}: {}",
            text.trim()
        );
    }
    let stream = hyper::upgrade::on(response)
        .await
        .map_err(|err| anyhow!("{url}: the WebSocket's stream failed: {err}"))?;
    let stream: Box<dyn Io> = Box::new(Stream::new(TokioIo::new(stream), closed));
    Ok(WebSocketStream::from_raw_socket(stream, Role::Client, None).await)
}

/// The extended CONNECT that asks for a WebSocket at `uri`'s path. hyper
/// takes `:scheme` and `:authority` from the URI, so `ws` and `wss` become
/// the `http` and `https` of the HTTP/2 connection the stream belongs to.
fn connect_request(uri: &Uri) -> anyhow::Result<Request<Empty<Bytes>>> {
    let scheme = if common::url::is_tls(uri) {
        "https"
    } else {
        "http"
    };
    let authority = uri
        .authority()
        .context("a WebSocket URL names its server")?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = format!("{scheme}://{authority}{path}");
    Ok(Request::builder()
        .method(Method::CONNECT)
        .uri(uri)
        .extension(hyper::ext::Protocol::from_static("websocket"))
        .header(SEC_WEBSOCKET_VERSION, "13")
        .body(Empty::new())?)
}
