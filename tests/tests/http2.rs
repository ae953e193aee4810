//! HTTP/2 for the HTTP pair: every route of http-server over h2c (prior
//! knowledge on plain TCP) and over TLS with ALPN `h2`, on the port that
//! still speaks HTTP/1.1; http-client's `--http2`, `--concurrent` and
//! `--duplex`; and the server's defences and shutdown with HTTP/2
//! connections open.
//!
//! Run: `cargo test -p tests --test http2`. Beyond the article, whose HTTP
//! is HTTP/1.0 text.

use std::time::Duration;

use common::feed::Feed;
use http::Method;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use http_server::Options;
use tests::certs::{CertFiles, LOCAL_NAMES};
use tests::h2::{self, H2};
use tests::{
    InProcessServer, ServerProcess, assert_one_line_error, raw, run_client, start_http_server,
    start_http_server_with, start_ws_server, text, within,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The article's two lines, as http-client prints them.
const ARTICLE: &str = "Status Code: 200\nResponse Body: Hello, World! This is an HTTP response.\n";

/// An in-process http-server speaking TLS with `certs`, offering HTTP/2
/// and HTTP/1.1 by ALPN as the real program does.
async fn start_https_server(certs: &CertFiles) -> InProcessServer {
    let tls = certs.server_options().load(&[b"h2", b"http/1.1"]).unwrap();
    start_http_server_with(Options {
        tls,
        ..Options::default()
    })
    .await
}

/// Every route of the site answers on `h2` as it does over HTTP/1.1: the
/// article's page on any path, HEAD with the same headers and no body, 405
/// with `Allow`, the demonstration page, the three feed routes (after
/// `feed` has ticked once), and the echo.
async fn assert_every_route(h2: &mut H2, feed: &Feed) {
    for path in ["/", "/any/path?x=1"] {
        let page = h2.request(Method::GET, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.headers[CONTENT_TYPE], "text/html", "{path}");
        assert_eq!(page.body, common::HELLO_BODY, "{path}");
    }
    let head = h2.request(Method::HEAD, "/").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.headers[CONTENT_LENGTH], "39");
    assert_eq!(head.body, "", "HEAD has no body");

    let refused = h2.request(Method::POST, "/").await;
    assert_eq!(refused.status, 405);
    assert_eq!(refused.headers[ALLOW], "GET,HEAD");
    let refused = h2.request(Method::GET, "/echo").await;
    assert_eq!(refused.status, 405);
    assert_eq!(refused.headers[ALLOW], "POST");

    let demo = h2.request(Method::GET, "/demo").await;
    assert_eq!(demo.status, 200);
    assert!(demo.body.to_lowercase().starts_with("<!doctype html>"));

    let tick = feed.publish().expect("the feed is open");
    let latest = h2.request(Method::GET, "/tick/latest").await;
    assert_eq!(latest.body, tick.to_json());
    let next = h2.request(Method::GET, "/tick/next?after=0").await;
    assert_eq!(next.body, tick.to_json());
    assert_sse_delivers_ticks(h2, feed).await;

    let (pieces, body) = h2::pieces();
    drop(pieces);
    let echo = h2.send(Method::POST, "/echo", body).await;
    assert_eq!(echo.status(), 200);
}

/// `/tick/stream` over HTTP/2 is one stream whose DATA frames carry one
/// event per tick: two ticks published arrive as two `data:` lines.
async fn assert_sse_delivers_ticks(h2: &mut H2, feed: &Feed) {
    let mut stream = h2.send(Method::GET, "/tick/stream", empty()).await;
    assert_eq!(stream.headers()[CONTENT_TYPE], "text/event-stream");
    let body = stream.body_mut();
    let mut seen = String::new();
    let mut published = Vec::new();
    while published.len() < 2 {
        published.push(feed.publish().expect("the feed is open"));
        let wanted = format!("data: {}\n", published.last().unwrap().to_json());
        while !seen.contains(&wanted) {
            let data = h2::next_data(body).await.expect("the stream goes on");
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
}

/// An empty request body.
fn empty() -> h2::Body {
    let (pieces, body) = h2::pieces();
    drop(pieces);
    body
}

// --- every route, both ways in, one port ---------------------------------

/// h2c: HTTP/2 with prior knowledge on plain TCP serves every route.
#[tokio::test]
async fn every_route_answers_over_h2c() {
    let server = start_http_server().await;
    let mut h2 = H2::h2c(server.addr).await;
    assert_every_route(&mut h2, &server.feed).await;
    server.shutdown().await;
}

/// Over TLS the server picks `h2` when the client offers it (ALPN), and
/// every route answers on it.
#[tokio::test]
async fn every_route_answers_over_tls_with_alpn_h2() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let server = start_https_server(&certs).await;
    let mut h2 = H2::tls(server.addr, &certs).await;
    assert_every_route(&mut h2, &server.feed).await;
    server.shutdown().await;
}

/// The port that speaks HTTP/2 still speaks HTTP/1.1, in text, to a client
/// that does not start with the preface; and both at once.
#[tokio::test]
async fn the_same_port_still_speaks_http1() {
    let server = start_http_server().await;
    let mut h2 = H2::h2c(server.addr).await;
    let answer = raw::exchange(
        server.addr,
        b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with(common::HELLO_BODY), "{answer}");
    assert_eq!(h2.request(Method::GET, "/").await.body, common::HELLO_BODY);
    server.shutdown().await;
}

// --- full duplex -------------------------------------------------------------

/// The echo streams: the first piece comes back while the request's body
/// is still open (its sender alive, no END_STREAM sent), and so does the
/// second. A server that gathered the whole body before answering would
/// send nothing until the end, and this test would time out.
#[tokio::test]
async fn the_echo_answers_while_the_request_is_still_open() {
    let server = start_http_server().await;
    let mut h2 = H2::h2c(server.addr).await;
    let (pieces, body) = h2::pieces();
    let mut echo = h2.send(Method::POST, "/echo", body).await;
    assert_eq!(echo.status(), 200);
    for piece in ["piece 1\n", "piece 2\n"] {
        within(pieces.send(piece.into())).await.expect("sent");
        let mut back = Vec::new();
        while back.len() < piece.len() {
            let data = h2::next_data(echo.body_mut()).await.expect("an echo");
            back.extend_from_slice(&data);
        }
        assert_eq!(back, piece.as_bytes());
    }
    drop(pieces); // END_STREAM: now the echo ends too.
    assert_eq!(h2::next_data(echo.body_mut()).await, None);
    server.shutdown().await;
}

/// `http-client --duplex`, over HTTP/2 and HTTP/1.1 alike (hyper does it
/// at both ends), prints each piece's echo before it sends the next; over
/// HTTP/1.1 its last line says that browsers and proxies would not.
#[tokio::test]
async fn http_client_duplex_prints_each_echo_before_the_next_piece() {
    let server = start_http_server().await;
    let url = format!("{}/echo", server.http_url());
    let caveat = " (HTTP/1.1 allows it and hyper does it; browsers and proxies do not)";
    for (version, caveat) in [(&["--http2"][..], ""), (&[], caveat)] {
        let mut args = vec!["--duplex", "3", &url];
        args.extend(version);
        let output = run_client("http-client", &args, "").await;
        assert!(output.status.success(), "{}", text(&output.stderr));
        let expected = format!(
            "sent: piece 1\nreceived: piece 1\nsent: piece 2\nreceived: piece 2\n\
             sent: piece 3\nreceived: piece 3\n\
             3 pieces echoed while the request was still open{caveat}\n"
        );
        assert_eq!(text(&output.stdout), expected, "{version:?}");
    }
    server.shutdown().await;
}

// --- http-client --http2 -------------------------------------------------

/// The article's two lines are the same over HTTP/2; `--verbose` shows the
/// preface and one line per frame, and over TLS that ALPN agreed on `h2`.
#[tokio::test]
async fn http_client_http2_prints_the_article_and_its_frames() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let plain = start_http_server().await;
    let secure = start_https_server(&certs).await;
    let cert = certs.cert.to_str().unwrap();
    let secure_url = format!("https://{}", secure.addr);
    let plain_url = plain.http_url();
    let runs = [
        (vec!["--http2", "--verbose", &plain_url], false),
        (
            vec!["--http2", "--verbose", "--cacert", cert, &secure_url],
            true,
        ),
    ];
    for (args, tls) in runs {
        let output = run_client("http-client", &args, "").await;
        assert_eq!(text(&output.stdout), ARTICLE, "{args:?}");
        let stderr = text(&output.stderr);
        let mut lines = vec![
            "> [HTTP/2 connection preface: PRI * HTTP/2.0, 24 bytes]",
            "< [HTTP/2 DATA, stream 1, 39-byte payload, END_STREAM]",
        ];
        if tls {
            lines.push("* TLS ALPN protocol: h2");
        }
        for line in lines {
            assert!(stderr.lines().any(|l| l == line), "{line:?} in {stderr}");
        }
        let headers = "> [HTTP/2 HEADERS, stream 1, ";
        assert!(stderr.contains(headers), "{stderr}");
    }
    plain.shutdown().await;
    secure.shutdown().await;
}

/// `--concurrent 20 --http2` sends 20 streams on one TCP connection;
/// without `--http2`, HTTP/1.1 needs 20 connections for 20 requests at once.
#[tokio::test]
async fn concurrent_requests_share_one_connection_only_over_http2() {
    let server = start_http_server().await;
    let url = server.http_url();
    for (version, connections) in [
        (&["--http2"][..], "1 TCP connection"),
        (&[], "20 TCP connections"),
    ] {
        let mut args = vec!["--concurrent", "20", &url];
        args.extend(version);
        let output = run_client("http-client", &args, "").await;
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        let expected = format!("20 answers over {connections} in ");
        assert!(stdout.starts_with(&expected), "{stdout}");
        assert!(stdout.ends_with(" ms\n"), "{stdout}");
    }
    server.shutdown().await;
}

/// The three ways of following the feed work over HTTP/2 on one
/// connection, SSE included, against the real program's fast feed.
#[tokio::test]
async fn the_feed_modes_work_over_http2() {
    let program = tests::program("http-server");
    let args = ["--port", "0", "--tick-interval", "0.05"];
    let server =
        ServerProcess::start_with(program.to_str().unwrap(), &args, "HTTP server started.").await;
    for (path, more) in [
        ("/tick/latest", &["--interval", "0.05"][..]),
        ("/tick/next", &[]),
        ("/tick/stream", &[]),
    ] {
        let url = format!("{}{path}", server.url);
        let mut args = vec!["--http2", &url, "--count", "2"];
        args.extend(more);
        let output = run_client("http-client", &args, "").await;
        let stdout = text(&output.stdout);
        assert!(output.status.success(), "{path}: {}", text(&output.stderr));
        let ticks = stdout.lines().filter(|l| l.starts_with("tick ")).count();
        assert_eq!(ticks, 2, "{path}: {stdout}");
        assert!(stdout.contains(", 1 connection, "), "{path}: {stdout}");
    }
}

/// A server that speaks only HTTP/1.1 (ws-server) reads the preface as a
/// request it refuses: `--http2` says so in one line, and exits 1. Over
/// TLS, a server that names only `http/1.1` in ALPN refuses the handshake
/// in which the client offered only `h2`: one line too.
#[tokio::test]
async fn http2_against_an_http1_only_server_is_one_line() {
    let server = start_ws_server().await;
    let url = server.http_url();
    let output = run_client("http-client", &["--http2", &url], "").await;
    assert_one_line_error(
        &output,
        &[&url, "did not answer in HTTP/2", "without --http2"],
    );
    server.shutdown().await;

    let certs = CertFiles::new(LOCAL_NAMES);
    let tls = certs.server_options().load(&[b"http/1.1"]).unwrap();
    let options = Options {
        tls,
        ..Options::default()
    };
    let server = start_http_server_with(options).await;
    let url = format!("https://{}", server.addr);
    let cert = certs.cert.to_str().unwrap();
    let output = run_client("http-client", &["--http2", "--cacert", cert, &url], "").await;
    assert_one_line_error(&output, &[&url, "TLS handshake", "(ALPN)"]);
    server.shutdown().await;
}

// --- defences and shutdown -----------------------------------------------

/// A client that sends half the preface and stalls is dropped when the
/// header deadline (5 s) passes, not before: hyper's own deadlines start
/// only once the first bytes have told the versions apart.
#[tokio::test(start_paused = true)]
async fn half_a_preface_is_dropped_at_the_header_deadline() {
    let options = Options {
        header_timeout: 5,
        ..Options::default()
    };
    let server = start_http_server_with(options).await;
    let mut stalled = within(TcpStream::connect(server.addr)).await.unwrap();
    within(stalled.write_all(b"PRI * HTTP/2.0\r\n"))
        .await
        .unwrap();
    let before = tokio::time::Instant::now();
    let mut answer = Vec::new();
    let _ = within(stalled.read_to_end(&mut answer)).await;
    assert!(answer.is_empty(), "no answer: {answer:?}");
    assert!(
        before.elapsed() >= Duration::from_secs(5),
        "dropped too early"
    );
    server.shutdown().await;
}

/// Shutdown with HTTP/2 connections open still completes, long before the
/// header deadline (100 s) or the grace (200 s) could end it: an idle one
/// gets a GOAWAY and is closed, and one carrying an event stream sees the
/// stream end as the feed closes.
#[tokio::test]
async fn shutdown_completes_with_http2_connections_open() {
    let options = Options {
        header_timeout: 100,
        shutdown_grace: 200,
        tls: None,
    };
    let server = start_http_server_with(options).await;
    let mut idle = H2::h2c(server.addr).await;
    assert_eq!(idle.request(Method::GET, "/").await.status, 200);
    let mut streaming = H2::h2c(server.addr).await;
    let mut stream = streaming.send(Method::GET, "/tick/stream", empty()).await;
    assert_eq!(stream.status(), 200);

    server.shutdown().await;
    idle.closed().await;
    while h2::next_data(stream.body_mut()).await.is_some() {}
    streaming.closed().await;
}
