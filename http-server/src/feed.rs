//! The live feed over plain HTTP, in the three ways the articles name as
//! HTTP's workarounds for a server that cannot speak first:
//!
//! - short polling, `GET /tick/latest`: the latest tick, at once; the client
//!   asks again every interval, mostly to hear "nothing new";
//! - long polling, `GET /tick/next?after=N`: the server holds the request
//!   until tick N+1 exists, then answers; the client asks again at once;
//! - HTTP streaming, `GET /tick/stream`: one response that never ends, one
//!   Server-Sent Event per tick (`text/event-stream`, what a browser's
//!   `EventSource` reads).
//!
//! Run `cargo run -p http-server`, then `cargo run -p http-client -- --poll`
//! (or `--long-poll`, or `--stream`). The fourth way, WebSocket push, is in
//! ws-server. The feed itself is `common::feed`.

use std::convert::Infallible;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::sse::{Event, KeepAlive, KeepAliveStream, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::feed::{Feed, LONG_POLL_WAIT, STREAM_KEEP_ALIVE, Tick};
use futures_util::Stream;
use serde::Deserialize;

/// The three feed routes, under `/tick`.
pub(crate) fn routes(feed: Feed) -> Router {
    Router::new()
        .route("/tick/latest", get(latest))
        .route("/tick/next", get(next))
        .route("/tick/stream", get(stream))
        .with_state(feed)
}

/// Short polling: the latest tick, or `204 No Content` before the first.
async fn latest(State(feed): State<Feed>) -> Response {
    match feed.latest() {
        Some(tick) => tick_response(&tick),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// The query of a long poll: `?after=N`, the last tick the client has.
#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

/// Long polling: the first tick after `after`, as soon as it exists; `204 No
/// Content` if none comes within [`LONG_POLL_WAIT`]; `503 Service
/// Unavailable` if the server is shutting down.
///
/// While it waits, the request costs a parked task and an open connection,
/// nothing more: no thread sits blocked, and no bytes cross the wire.
async fn next(State(feed): State<Feed>, Query(After { after }): Query<After>) -> Response {
    let mut subscription = feed.subscribe();
    match tokio::time::timeout(LONG_POLL_WAIT, subscription.next_after(after)).await {
        Ok(Some(tick)) => tick_response(&tick),
        Ok(None) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Err(_) => StatusCode::NO_CONTENT.into_response(),
    }
}

/// HTTP streaming: a response whose body never ends, one event per tick.
///
/// On the wire the response has no `Content-Length`; hyper sends it
/// `Transfer-Encoding: chunked`, and each tick is one chunk holding
///
/// ```text
/// id: 7
/// data: {"seq":7,"price":100.75,"created_us":1763812345123456}
///
/// ```
///
/// A stream quiet for [`STREAM_KEEP_ALIVE`] gets a comment, a chunk holding
/// `:` and a blank line, so its follower can tell a quiet feed from a
/// vanished server. The stream ends when the feed closes (the server
/// shutting down).
async fn stream(
    State(feed): State<Feed>,
) -> Sse<KeepAliveStream<impl Stream<Item = Result<Event, Infallible>>>> {
    let events =
        futures_util::stream::unfold((feed.subscribe(), 0), |(mut feed, last)| async move {
            let tick = feed.next_after(last).await?;
            let event = Event::default()
                .id(tick.seq.to_string())
                .data(tick.to_json());
            Some((Ok(event), (feed, tick.seq)))
        });
    Sse::new(events).keep_alive(KeepAlive::new().interval(STREAM_KEEP_ALIVE))
}

/// A tick as an HTTP answer: JSON, and not to be cached (a cached price is a
/// stale price).
fn tick_response(tick: &Tick) -> Response {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        tick.to_json(),
    )
        .into_response()
}
