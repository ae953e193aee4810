//! Following http-server's live feed, in the three ways HTTP can imitate a
//! server that speaks first. Each prints one line per tick as it arrives,
//! with how long the tick took to come, and with `--count` a last line
//! saying what it cost: requests, connections and bytes.
//!
//! The URL's path picks the way, as it picks the route on the server:
//! `/tick/latest` short polling, `/tick/next` long polling, `/tick/stream`
//! HTTP streaming. Run `cargo run -p http-server`, then for instance
//! `cargo run -p http-client -- http://localhost:8000/tick/next --count 5`.
//!
//! Mirrors the articles' "polling, long polling and streaming" workarounds;
//! ws-client's `/tick` is the WebSocket way.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use common::feed::{Delivery, LONG_POLL_WAIT, STREAM_KEEP_ALIVE, Tick};
use http_body_util::BodyExt;
use hyper::StatusCode;

use crate::{Connection, Options};

/// Short polling's path on http-server: the latest tick, at once.
pub const LATEST_PATH: &str = "/tick/latest";

/// Long polling's path on http-server: with `?after=N`, the first tick after
/// N, once it exists.
pub const NEXT_PATH: &str = "/tick/next";

/// Streaming's path on http-server: every tick, on one answer that never ends.
pub const STREAM_PATH: &str = "/tick/stream";

/// How a client follows the feed. The command line picks it from the URL's
/// path: [`LATEST_PATH`], [`NEXT_PATH`] or [`STREAM_PATH`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Short polling: `GET /tick/latest` every `interval`, whether or not
    /// anything changed.
    Poll {
        /// Time between two requests.
        interval: Duration,
    },
    /// Long polling: `GET /tick/next?after=N`, which the server answers only
    /// once there is something new; then ask again at once.
    LongPoll,
    /// Streaming: one `GET /tick/stream`, whose answer never ends.
    Stream,
}

/// Follows the feed of the http-server at `url` by `method`, printing each
/// tick to `out`, until `count` ticks have arrived (or forever, without
/// `count`). Every request goes on one keep-alive connection.
///
/// `url` names the server; `method` decides what is asked of it, on its own
/// path, whatever `url`'s path (the command line has already read the method
/// from that path).
///
/// `timeout` bounds the connection and each wait for an answer, beyond the
/// time a long poll is meant to wait or a stream to be quiet. `options`
/// says how to reach the server (over HTTP/2, every request is a stream on
/// the one connection); at an `https://` URL, the bytes counted are those
/// on the socket, TLS included.
pub async fn follow(
    url: &str,
    method: Method,
    count: Option<u64>,
    options: &Options,
    timeout: Duration,
    verbose: bool,
    out: &mut impl Write,
) -> anyhow::Result<Delivery> {
    let uri = common::url::parse(url, "http")?;
    let no_answer = || format!("no answer from {url}");
    let open = Connection::open(url, &uri, options, verbose);
    let mut connection = common::cli::within(timeout, no_answer, open).await?;
    let mut delivery = Delivery::new(0, 1);

    match method {
        Method::Poll { interval } => {
            poll(
                &mut connection,
                interval,
                count,
                timeout,
                &mut delivery,
                out,
            )
            .await?;
        }
        Method::LongPoll => long_poll(&mut connection, count, timeout, &mut delivery, out).await?,
        Method::Stream => stream(&mut connection, count, timeout, &mut delivery, out).await?,
    }
    (delivery.sent, delivery.received) = connection.socket_bytes();
    connection.show_tls_bytes();
    writeln!(out, "{}", delivery.summary())?;
    Ok(delivery)
}

/// Short polling: ask, print the tick if it is new, wait, ask again. Most
/// answers repeat the last tick; a tick made just after an answer waits
/// up to a whole interval to be seen.
async fn poll(
    connection: &mut Connection,
    interval: Duration,
    count: Option<u64>,
    timeout: Duration,
    delivery: &mut Delivery,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut clock = tokio::time::interval(interval);
    let mut last = 0;
    while !delivery.reached(count) {
        clock.tick().await;
        delivery.requests += 1;
        if let Some(tick) = ask(connection, LATEST_PATH, timeout).await? {
            if tick.seq > last {
                last = tick.seq;
                writeln!(out, "{}", delivery.arrived(&tick))?;
            }
        }
    }
    Ok(())
}

/// Long polling: ask for the tick after the last one seen; the server holds
/// the request until it exists (or answers `204 No Content` after
/// [`LONG_POLL_WAIT`]), and the client asks again at once.
async fn long_poll(
    connection: &mut Connection,
    count: Option<u64>,
    timeout: Duration,
    delivery: &mut Delivery,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut last = 0;
    while !delivery.reached(count) {
        delivery.requests += 1;
        let path = format!("{NEXT_PATH}?after={last}");
        if let Some(tick) = ask(connection, &path, LONG_POLL_WAIT + timeout).await? {
            last = tick.seq;
            writeln!(out, "{}", delivery.arrived(&tick))?;
        }
    }
    Ok(())
}

/// One GET for a tick: `Some` for `200 OK` and a tick, `None` for `204 No
/// Content` (nothing yet), an error for anything else.
async fn ask(
    connection: &mut Connection,
    path: &str,
    timeout: Duration,
) -> anyhow::Result<Option<Tick>> {
    let url = connection.url.clone();
    let exchange = async {
        let response = connection.get(path).await?;
        let status = response.status();
        let body = connection.text(response).await?;
        match status {
            StatusCode::OK => Ok(Some(Tick::from_json(&body)?)),
            StatusCode::NO_CONTENT => Ok(None),
            _ => bail!("{url} answered {path} with {status}: {body}"),
        }
    };
    common::cli::within(timeout, || format!("no answer from {url}"), exchange).await
}

/// Streaming: one request; the answer's body is a stream of Server-Sent
/// Events, `data: {...}` lines each followed by a blank line.
async fn stream(
    connection: &mut Connection,
    count: Option<u64>,
    timeout: Duration,
    delivery: &mut Delivery,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let url = connection.url.clone();
    delivery.requests += 1;
    let no_answer = || format!("no answer from {url}");
    let response = common::cli::within(timeout, no_answer, connection.get(STREAM_PATH)).await?;
    let status = response.status();
    if status != StatusCode::OK {
        // Read the body first: it may say that this port speaks TLS.
        common::cli::within(timeout, no_answer, connection.text(response)).await?;
        bail!("{url} answered {STREAM_PATH} with {status}");
    }
    let mut body = response.into_body();
    // Bytes of a line whose end has not arrived yet: a chunk on the wire
    // need not end where a line does.
    let mut line = Vec::new();
    // The server writes a comment into a stream quiet for STREAM_KEEP_ALIVE:
    // hearing nothing for longer, not even that, means it is gone (its
    // machine or network vanished, which sends no TCP reset), and waiting
    // longer would wait forever.
    let silent = STREAM_KEEP_ALIVE + timeout;
    while !delivery.reached(count) {
        let nothing = || format!("nothing, not even a keep-alive comment, from {url}");
        let frame = common::cli::within(silent, nothing, async { Ok(body.frame().await) }).await?;
        let Some(frame) = frame else {
            bail!("{url} ended the stream");
        };
        let frame = frame.with_context(|| format!("the stream from {url} broke"))?;
        let Ok(bytes) = frame.into_data() else {
            continue; // Trailers, which a stream of events does not have.
        };
        for &byte in &bytes {
            if byte != b'\n' {
                line.push(byte);
                continue;
            }
            // Of an event's lines only `data:` matters here; `id:`, the
            // blank line that ends the event and the keep-alive comment `:`
            // are skipped.
            if let Some(data) = line.strip_prefix(b"data: ") {
                let tick = Tick::from_json(&String::from_utf8_lossy(data))?;
                writeln!(out, "{}", delivery.arrived(&tick))?;
                if delivery.reached(count) {
                    return Ok(());
                }
            }
            line.clear();
        }
    }
    Ok(())
}
