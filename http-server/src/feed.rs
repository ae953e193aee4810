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
//! Run `cargo run -p http-server`, then, in a second terminal, one of
//!
//! ```text
//! cargo run -p http-client -- http://localhost:8000/tick/latest   # short polling
//! cargo run -p http-client -- http://localhost:8000/tick/next     # long polling
//! cargo run -p http-client -- http://localhost:8000/tick/stream   # streaming
//! ```
//!
//! The fourth way, WebSocket push, is in ws-server. The feed itself is
//! `common::feed`; the `match` in `lib.rs` sends the three paths here.

use std::convert::Infallible;

use axum::extract::Query;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use common::feed::{Feed, LONG_POLL_WAIT, Published, STREAM_KEEP_ALIVE};
use serde::Deserialize;

/// Short polling: the latest tick, or `204 No Content` before the first.
pub(crate) fn latest(feed: &Feed) -> Response {
    match feed.latest() {
        Some(kept) => tick_response(&kept),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// The query of a long poll: `?after=N`, the last tick the client has.
#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

/// Long polling: the first tick after the query's `after`, as soon as it
/// exists; `204 No Content` if none comes within [`LONG_POLL_WAIT`]; `503
/// Service Unavailable` if the server is shutting down; `400 Bad Request`,
/// with axum's sentence saying why, for a query that is not `after=N`.
///
/// While it waits, the request costs a parked task and an open connection,
/// nothing more: no thread sits blocked, and no bytes cross the wire.
pub(crate) async fn next(feed: &Feed, uri: &Uri) -> Response {
    let after = match Query::<After>::try_from_uri(uri) {
        Ok(Query(After { after })) => after,
        Err(rejection) => return rejection.into_response(),
    };
    let mut subscription = feed.subscribe();
    match tokio::time::timeout(LONG_POLL_WAIT, subscription.next_after(after)).await {
        Ok(Some(kept)) => tick_response(&kept),
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
pub(crate) fn stream(feed: &Feed) -> Response {
    let events =
        futures_util::stream::unfold((feed.subscribe(), 0), |(mut feed, last)| async move {
            let kept = feed.next_after(last).await?;
            let event = Event::default()
                .id(kept.tick.seq.to_string())
                .data(String::from_utf8_lossy(&kept.json));
            Some((Ok::<_, Infallible>(event), (feed, kept.tick.seq)))
        });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(STREAM_KEEP_ALIVE))
        .into_response()
}

/// A tick as an HTTP answer: JSON, and not to be cached (a cached price is a
/// stale price). The body is the feed's own copy of the JSON, shared.
fn tick_response(kept: &Published) -> Response {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        kept.json.clone(),
    )
        .into_response()
}
