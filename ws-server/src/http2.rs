//! WebSockets over HTTP/2 (RFC 8441): one connection, many WebSockets, each
//! on a stream of its own.
//!
//! Our SETTINGS frame, the first thing the server sends, carries
//! `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`: "you may send me an extended
//! CONNECT". A client that saw it opens a WebSocket with a HEADERS frame on
//! a new stream: `:method CONNECT`, `:protocol websocket`, the path, and
//! `sec-websocket-version: 13` (`check.rs` checks them). The answer is a
//! plain `200` on that stream, with no key and no `101`: from then on the
//! stream's DATA frames carry the WebSocket's frames, both ways, and the
//! other streams of the connection carry on beside it.
//!
//! So this connection's task does not become one WebSocket, as an HTTP/1.1
//! one does (`connection.rs`): it keeps serving HTTP/2, and each accepted
//! CONNECT becomes a session of its own, spawned and tracked here, so that
//! shutting down still says goodbye (1001) on every stream.
//!
//! Run: `cargo run -p ws-server`, then `cargo run -p ws-client -- --http2`
//! (h2c, HTTP/2 on plain TCP), or with `--self-signed` and
//! `wss://localhost:8765` (HTTP/2 chosen by ALPN in the TLS handshake).
//!
//! The limits: a HEADERS block over [`MAX_HEAD`] is refused by hyper
//! (`SETTINGS_MAX_HEADER_LIST_SIZE`), at most [`MAX_STREAMS`] streams are
//! open at once, each WebSocket takes a slot under `--max-connections`, and
//! a connection with no WebSocket open for `--handshake-timeout` seconds
//! (one that never opens a stream, or only fetched a page) is closed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::Shared;
use crate::check::{Refusal, check_connect};
use crate::handshake::{Body, MAX_HEAD};

/// The most streams a client may have open at once on one connection
/// (`SETTINGS_MAX_CONCURRENT_STREAMS`): here, its WebSockets. 100 is the
/// least RFC 9113 recommends; a client wanting more opens another
/// connection, and every WebSocket counts under `--max-connections` anyway.
pub const MAX_STREAMS: u32 = 100;

/// A socket an HTTP/2 connection can run on: TCP, or TLS over it.
pub(crate) trait Socket: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Socket for S {}

/// A CONNECT answered `200`, on its way to becoming a session.
struct Opened {
    upgrade: OnUpgrade,
    path: String,
    /// This WebSocket's place under the cap.
    slot: OwnedSemaphorePermit,
}

/// Serves HTTP/2 on `stream` until the client leaves, the connection stays
/// without a WebSocket for the handshake deadline, or the server shuts
/// down; then waits for its sessions to end. `_slot` is the connection's
/// own place under the cap.
pub(crate) async fn serve(
    stream: Box<dyn Socket>,
    peer: SocketAddr,
    shared: Shared,
    _slot: OwnedSemaphorePermit,
) {
    // Each CONNECT the service accepts comes through here, to be spawned.
    let (opened_tx, mut opened) = mpsc::unbounded_channel();
    let answering = shared.clone();
    let service = service_fn(move |mut request| {
        let response = answer(&mut request, &answering, &opened_tx);
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let mut connection = std::pin::pin!(settings().serve_connection(TokioIo::new(stream), service));

    let mut sessions = JoinSet::new();
    let mut stop = shared.stop.clone();
    let mut stopping = std::pin::pin!(stop.changed());
    let idle = Duration::from_secs(shared.options.handshake_timeout);
    let mut idle_deadline = std::pin::pin!(tokio::time::sleep(idle));
    let mut closing = false;
    loop {
        tokio::select! {
            // Ends once the client has gone, or after a GOAWAY once every
            // stream is done.
            served = &mut connection => {
                if let Err(err) = served {
                    tracing::info!("HTTP/2 connection from {peer} ended: {err}");
                }
                break;
            }
            Some(opened) = opened.recv() => {
                sessions.spawn(session(opened, peer, shared.clone()));
            }
            Some(_) = sessions.join_next() => {
                if sessions.is_empty() {
                    idle_deadline.as_mut().reset(Instant::now() + idle);
                }
            }
            // GOAWAY: no new streams; those open finish first. On shutdown
            // each session sends its own close frame (1001) meanwhile.
            () = &mut idle_deadline, if sessions.is_empty() && !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = &mut stopping, if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
    // With the connection gone, its streams fail, and the sessions end.
    while sessions.join_next().await.is_some() {}
}

/// hyper's HTTP/2 settings, sent in our SETTINGS frame.
pub(crate) fn settings() -> http2::Builder<TokioExecutor> {
    let mut http = http2::Builder::new(TokioExecutor::new());
    http.enable_connect_protocol()
        .max_concurrent_streams(MAX_STREAMS)
        .max_header_list_size(MAX_HEAD as u32);
    http
}

/// Answers one request on its stream: a page, a refusal, `503` past the
/// cap, or `200` for a WebSocket, whose upgrade goes to `opened`.
fn answer(
    request: &mut Request<Incoming>,
    shared: &Shared,
    opened: &mpsc::UnboundedSender<Opened>,
) -> Response<Body> {
    if let Some(page) = crate::pages::page(request, &shared.stats) {
        return page;
    }
    let path = match check_connect(request, &shared.options.allow_origins) {
        Ok(path) => path,
        Err(refusal) => return refusal.response(Version::HTTP_2),
    };
    // Every WebSocket takes a slot of its own, beside its connection's, so
    // one connection cannot carry thousands past the cap: one too many gets
    // 503 on its own stream, and the connection's others carry on.
    let Ok(slot) = shared.slots.clone().try_acquire_owned() else {
        return Refusal::busy(shared.options.max_connections).response(Version::HTTP_2);
    };
    shared.stats.accepted(Version::HTTP_2);
    let upgrade = hyper::upgrade::on(request);
    let _ = opened.send(Opened {
        upgrade,
        path,
        slot,
    });
    // `200 OK` with no body: the stream is now the WebSocket's.
    Response::new(Body::default())
}

/// One WebSocket on one stream: once hyper has sent the `200`, the same
/// session as over HTTP/1.1 (`connection.rs`).
///
/// A session that gives up on a peer that stopped reading (the send
/// deadline) frees its slot here, but its stream is not reset: hyper's
/// task that copies our writes into DATA frames holds the stream's sending
/// half, and waits for window the peer never opens, without noticing that
/// the `Upgraded` is gone; hyper lets us neither reset the stream nor end
/// that task. So the stream stays open, unserved (its DATA ignored), until
/// the peer resets it or its connection ends, and the peer learns only
/// that its writes stall.
async fn session(opened: Opened, peer: SocketAddr, shared: Shared) {
    let Ok(upgraded) = opened.upgrade.await else {
        return;
    };
    crate::connection::session(TokioIo::new(upgraded), &opened.path, peer, &shared).await;
    drop(opened.slot);
}
