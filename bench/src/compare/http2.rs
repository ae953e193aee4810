//! The teaching benchmark's HTTP/2 clients ([`super`]): one TCP connection
//! carrying many streams at once, either a GET on each stream (HTTP/2) or a
//! WebSocket on each (RFC 8441's extended CONNECT). In plain text HTTP/2
//! starts by prior knowledge (h2c): the client opens with HTTP/2's 24-byte
//! preface, no HTTP/1.1 upgrade first; over TLS, once ALPN has chosen `h2`.
//!
//! Run through `cargo run --release -p bench`; not run on its own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use common::tap::Counters;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ClientConfig;
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::client::{ClientResult, Exchanges, connect, ws_echo};

/// One HTTP/2 connection to `addr` carrying `streams` GETs at a time until
/// `deadline`. The first exchange runs alone, on an empty HPACK table: its
/// request spells out every header; after it both ends have them in their
/// tables and refer to them by index.
pub(super) async fn gets(
    addr: SocketAddr,
    counters: &Counters,
    tls: Option<&Arc<ClientConfig>>,
    streams: usize,
    path: &str,
    deadline: Instant,
) -> anyhow::Result<ClientResult> {
    let sender = open(addr, counters, tls, false).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let uri = format!("{scheme}://{addr}{path}");
    let mut exchanges = Exchanges::start(counters);
    let began = Instant::now();
    get(&sender, &uri).await?;
    exchanges.done(began);
    let mut tasks = JoinSet::new();
    for _ in 0..streams {
        let (sender, uri) = (sender.clone(), uri.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let began = Instant::now();
                get(&sender, &uri).await?;
                latencies.push(began.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    while let Some(latencies) = tasks.join_next().await {
        exchanges.extend(latencies.context("an HTTP/2 stream's task panicked")??);
    }
    Ok(exchanges.finish(1))
}

/// One HTTP/2 connection to `addr` carrying `streams` WebSockets, each
/// echoing a message at a time until `deadline`. The openings (the
/// connection's, then each WebSocket's CONNECT) are not counted, as the
/// HTTP/1.1 upgrade is not for WebSocket over its own connection.
pub(super) async fn websockets(
    addr: SocketAddr,
    counters: &Counters,
    tls: Option<&Arc<ClientConfig>>,
    streams: usize,
    message: &str,
    deadline: Instant,
) -> anyhow::Result<ClientResult> {
    let sender = open(addr, counters, tls, true).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let uri = format!("{scheme}://{addr}/");
    let mut sockets = Vec::new();
    for _ in 0..streams {
        sockets.push(websocket(&sender, &uri).await?);
    }
    let mut exchanges = Exchanges::start(counters);
    let began = Instant::now();
    ws_echo(&mut sockets[0], message).await?;
    exchanges.done(began);
    let mut tasks = JoinSet::new();
    for mut ws in sockets {
        let message = message.to_string();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let began = Instant::now();
                ws_echo(&mut ws, &message).await?;
                latencies.push(began.elapsed());
            }
            ws.close(None).await?;
            anyhow::Ok(latencies)
        });
    }
    while let Some(latencies) = tasks.join_next().await {
        exchanges.extend(latencies.context("a WebSocket stream's task panicked")??);
    }
    Ok(exchanges.finish(1))
}

/// Connects to `addr` (counting its bytes; over TLS if `tls` is set, which
/// must offer only `h2` in ALPN) and opens HTTP/2 on it: the client's
/// preface and SETTINGS go out, the server's SETTINGS come back. Returns
/// once the server's SETTINGS have arrived, so that the exchanges counted
/// after it carry no part of the opening; if `extended_connect`, they must
/// offer WebSocket (SETTINGS_ENABLE_CONNECT_PROTOCOL = 1).
async fn open(
    addr: SocketAddr,
    counters: &Counters,
    tls: Option<&Arc<ClientConfig>>,
    extended_connect: bool,
) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = connect(addr, counters, tls).await?;
    let mut http = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    // Until the server's SETTINGS say how many streams it allows, the
    // client may open none: the sign that they have arrived.
    http.initial_max_send_streams(0);
    let (sender, connection) = http.handshake(TokioIo::new(stream)).await?;
    // hyper runs the HTTP/2 connection in a task of its own; this future
    // only hands it requests, so its state is read by polling, every
    // millisecond, until the SETTINGS are in (five seconds at most).
    let settled = || connection.current_max_send_streams() > 0;
    let waited = tokio::time::timeout(Duration::from_secs(5), async {
        while !settled() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    waited
        .await
        .with_context(|| format!("no SETTINGS from the HTTP/2 server at {addr}"))?;
    if extended_connect && !connection.is_extended_connect_protocol_enabled() {
        bail!("the server at {addr} does not offer WebSocket over HTTP/2 (RFC 8441)");
    }
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// One GET on a new stream of the connection, reading the whole answer.
async fn get(sender: &SendRequest<Empty<Bytes>>, uri: &str) -> anyhow::Result<()> {
    // HTTP/2 has no Host header: the URI's scheme and authority travel as
    // the :scheme and :authority pseudo-headers, beside :method and :path.
    let request = hyper::Request::get(uri).body(Empty::new())?;
    let response = sender.clone().send_request(request).await?;
    if response.status() != hyper::StatusCode::OK {
        bail!("HTTP status {}", response.status());
    }
    response.into_body().collect().await?;
    Ok(())
}

/// A WebSocket on a new stream of the connection: RFC 8441's extended
/// CONNECT (`:method CONNECT`, `:protocol websocket`), answered 200 rather
/// than HTTP/1.1's 101, with no keys to hash: the stream itself becomes the
/// WebSocket, its frames carried in the stream's DATA frames.
async fn websocket(
    sender: &SendRequest<Empty<Bytes>>,
    uri: &str,
) -> anyhow::Result<WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>> {
    let mut request = hyper::Request::connect(uri)
        .header("sec-websocket-version", "13")
        .body(Empty::new())?;
    request
        .extensions_mut()
        .insert(hyper::ext::Protocol::from_static("websocket"));
    let response = sender.clone().send_request(request).await?;
    if response.status() != hyper::StatusCode::OK {
        bail!("extended CONNECT answered {}", response.status());
    }
    let upgraded = hyper::upgrade::on(response).await?;
    Ok(WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await)
}
