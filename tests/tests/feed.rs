//! The live feed, four ways: http-client at http-server's `/tick/latest`
//! (short polling), `/tick/next` (long polling) and `/tick/stream` (HTTP
//! streaming), and ws-client at ws-server's `/tick` (WebSocket push).
//!
//! Run: `cargo test -p tests --test feed`.
//!
//! Nothing ticks on a timer here. The test makes each tick itself, and only
//! once the client has printed the one before, so every client must print
//! exactly the same lines, whatever the machine's speed.

use std::time::Duration;

use common::feed::{Delivery, Feed, STREAM_KEEP_ALIVE};
use http_client::Method;
use tests::{
    InProcessServer, LineSink, TIMEOUT, run_client, serve_one, start_http_server, start_ws_server,
    text, within,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedReceiver;

/// Ticks per test.
const TICKS: u64 = 3;

/// Makes [`TICKS`] ticks, each once the client has printed the one before,
/// and checks each line the client prints for it, then its summary line.
/// Returns how many requests the client said it made.
async fn feed_ticks_to(feed: &Feed, mut printed: UnboundedReceiver<String>) -> u64 {
    for _ in 0..TICKS {
        let tick = feed.publish().expect("the feed is open");
        let line = within(printed.recv()).await.expect("a line per tick");
        let expected = format!("tick {}: price {:.2}, delivered in ", tick.seq, tick.price);
        let delay = line
            .strip_prefix(&expected)
            .unwrap_or_else(|| panic!("{line:?}"));
        let millis = delay
            .strip_suffix(" ms")
            .unwrap_or_else(|| panic!("{line:?}"));
        assert!(millis.parse::<f64>().is_ok(), "{line:?}");
    }
    let summary = within(printed.recv()).await.expect("a summary line");
    let (requests, rest) = summary
        .strip_prefix(&format!("{TICKS} ticks, "))
        .and_then(|rest| rest.split_once(" request"))
        .unwrap_or_else(|| panic!("{summary:?}"));
    assert!(rest.contains(", 1 connection, "), "{summary:?}");
    requests.parse().expect("a number of requests")
}

/// Runs http-client's `method` against `server` and feeds it the ticks.
async fn follow_over_http(server: &InProcessServer, method: Method) -> u64 {
    let (mut sink, printed) = LineSink::new();
    let url = server.http_url();
    let client = tokio::spawn(async move {
        http_client::follow(
            &url,
            method,
            Some(TICKS),
            &Default::default(),
            TIMEOUT,
            false,
            &mut sink,
        )
        .await
    });
    let requests = feed_ticks_to(&server.feed, printed).await;
    let delivery: Delivery = within(client).await.unwrap().expect("follow");
    assert_eq!(delivery.delays.len() as u64, TICKS);
    assert!(delivery.sent > 0 && delivery.received > 0);
    requests
}

/// Short polling sees every tick (it polls far more often than the test
/// ticks) and pays for it in requests: at least one per tick.
#[tokio::test]
async fn short_polling_prints_each_tick_once() {
    let server = start_http_server().await;
    let interval = Duration::from_millis(5);
    let requests = follow_over_http(&server, Method::Poll { interval }).await;
    assert!(requests >= TICKS, "{requests} requests");
    server.shutdown().await;
}

/// Long polling asks exactly once per tick: each request waits for its tick.
#[tokio::test]
async fn long_polling_asks_once_per_tick() {
    let server = start_http_server().await;
    assert_eq!(follow_over_http(&server, Method::LongPoll).await, TICKS);
    server.shutdown().await;
}

/// Streaming asks once, and every tick arrives on that one answer.
#[tokio::test]
async fn streaming_asks_once() {
    let server = start_http_server().await;
    assert_eq!(follow_over_http(&server, Method::Stream).await, 1);
    server.shutdown().await;
}

/// The real http-client picks the method by the URL's path: its `--verbose`
/// transcript shows the request each path leads to (a mix-up of two paths,
/// or a path taken for the article's one GET, shows another request line or
/// no tick at all). The tick is there before the client asks, so every
/// method prints it at once.
#[tokio::test]
async fn the_url_path_picks_the_method() {
    let server = start_http_server().await;
    server.feed.publish();
    for (path, flags, request) in [
        (
            "/tick/latest",
            &["--interval", "0.01"][..],
            "> GET /tick/latest HTTP/1.1",
        ),
        ("/tick/next", &[], "> GET /tick/next?after=0 HTTP/1.1"),
        ("/tick/stream", &[], "> GET /tick/stream HTTP/1.1"),
    ] {
        let url = format!("{}{path}", server.http_url());
        let mut args = vec![url.as_str(), "--count", "1", "--verbose"];
        args.extend(flags);
        let output = run_client("http-client", &args, "").await;
        let (stdout, wire) = (text(&output.stdout), text(&output.stderr));
        assert!(output.status.success(), "{path}: {wire}");
        assert!(stdout.starts_with("tick 1: price "), "{path}: {stdout}");
        assert!(
            stdout.contains("\n1 tick, 1 request, 1 connection, "),
            "{path}: {stdout}"
        );
        assert!(
            wire.lines().any(|l| l == request),
            "{request:?} missing from:\n{wire}"
        );
    }
    server.shutdown().await;
}

/// WebSocket push: one upgrade request, then every tick unasked.
#[tokio::test]
async fn websocket_push_asks_once() {
    let server = start_ws_server().await;
    let (mut sink, printed) = LineSink::new();
    let url = format!("{}/tick", server.ws_url());
    let client = tokio::spawn(async move {
        ws_client::follow(
            &url,
            Some(TICKS),
            &Default::default(),
            TIMEOUT,
            false,
            &mut sink,
        )
        .await
    });
    assert_eq!(feed_ticks_to(&server.feed, printed).await, 1);
    within(client).await.unwrap().expect("follow");
    server.shutdown().await;
}

/// A stream that never ends must not hold up shutdown: the server closes the
/// feed, the stream ends properly (its last chunk is sent), and the client
/// says so, rather than the connection being cut when the grace time is up.
#[tokio::test]
async fn shutdown_ends_the_stream() {
    let server = start_http_server().await;
    server.feed.publish();
    let (mut sink, mut printed) = LineSink::new();
    let url = server.http_url();
    let client = tokio::spawn(async move {
        http_client::follow(
            &url,
            Method::Stream,
            None,
            &Default::default(),
            TIMEOUT,
            false,
            &mut sink,
        )
        .await
    });
    within(printed.recv()).await.expect("the first tick");
    server.shutdown().await;
    let err = within(client).await.unwrap().expect_err("the stream ended");
    assert!(format!("{err:#}").contains("ended the stream"), "{err:#}");
}

/// A long poll that no tick answers in time gets `204 No Content` (after
/// `LONG_POLL_WAIT`, which tokio's paused clock skips), and the client asks
/// again. Over the tower service directly: no socket, so the paused clock
/// cannot race the kernel.
#[tokio::test(start_paused = true)]
async fn an_unanswered_long_poll_gets_no_content() {
    use tower::ServiceExt;
    let feed = Feed::new();
    let request = |uri: &str| {
        http::Request::get(uri)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let app = http_server::app(feed.clone());

    let response = app.clone().oneshot(request("/tick/latest")).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::NO_CONTENT);

    let before = tokio::time::Instant::now();
    let response = app
        .clone()
        .oneshot(request("/tick/next?after=0"))
        .await
        .unwrap();
    assert_eq!(response.status(), http::StatusCode::NO_CONTENT);
    assert_eq!(before.elapsed(), common::feed::LONG_POLL_WAIT);

    feed.publish();
    let response = app.oneshot(request("/tick/next?after=0")).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

/// A stream with no tick to send is not silent: after `STREAM_KEEP_ALIVE`
/// (which the paused clock skips) the server writes a comment, which
/// clients ignore but which shows the server is still there. Over the tower
/// service directly, as above.
#[tokio::test(start_paused = true)]
async fn a_quiet_stream_gets_a_keep_alive_comment() {
    use futures_util::StreamExt;
    use tower::ServiceExt;
    let request = http::Request::get("/tick/stream")
        .body(axum::body::Body::empty())
        .unwrap();
    // Kept until the end: a feed with no owner left is closed, which ends
    // its streams.
    let feed = Feed::new();
    let response = http_server::app(feed.clone())
        .oneshot(request)
        .await
        .unwrap();
    let mut body = response.into_body().into_data_stream();

    let before = tokio::time::Instant::now();
    let chunk = tokio::time::timeout(2 * STREAM_KEEP_ALIVE, body.next())
        .await
        .expect("no keep-alive comment")
        .expect("a chunk")
        .expect("not an error");
    assert_eq!(chunk, ":\n\n");
    assert_eq!(before.elapsed(), STREAM_KEEP_ALIVE);
}

/// A stream whose server goes quiet without even a keep-alive comment (its
/// machine vanished, say, which sends not even a TCP reset): the client
/// gives up once a keep-alive comment is overdue by its timeout, instead
/// of waiting forever. The clock is paused only once the stream flows, so
/// it cannot race the socket; from then on only timers are left.
#[tokio::test]
async fn a_stream_gone_silent_is_given_up() {
    let (url, server) = serve_one("http", "", |mut stream| async move {
        let mut request = [0; 1024];
        let _ = stream.read(&mut request).await.unwrap();
        // One event in a chunked response, then nothing, ever.
        let event = format!("data: {}\n\n", Feed::new().publish().unwrap().to_json());
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
             transfer-encoding: chunked\r\n\r\n{:x}\r\n{event}\r\n",
            event.len()
        );
        stream.write_all(response.as_bytes()).await.unwrap();
        stream // Held open by the test until it ends.
    })
    .await;
    let (mut sink, mut printed) = LineSink::new();
    let client = tokio::spawn(async move {
        http_client::follow(
            &url,
            Method::Stream,
            None,
            &Default::default(),
            TIMEOUT,
            false,
            &mut sink,
        )
        .await
    });
    within(printed.recv()).await.expect("the first tick");

    tokio::time::pause();
    let before = tokio::time::Instant::now();
    let err = tokio::time::timeout(STREAM_KEEP_ALIVE + 2 * TIMEOUT, client)
        .await
        .expect("the client is still waiting")
        .unwrap()
        .expect_err("the client gave up");
    assert!(
        format!("{err:#}").contains("not even a keep-alive"),
        "{err:#}"
    );
    // Not before the server's keep-alive comment would have come.
    assert!(
        before.elapsed() > STREAM_KEEP_ALIVE,
        "{:?}",
        before.elapsed()
    );
    drop(within(server).await.unwrap());
}
