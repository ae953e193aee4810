//! WebSockets over HTTP/2 (RFC 8441) at ws-server: an extended CONNECT on a
//! stream, answered `200`, then the same frames inside DATA frames; many
//! WebSockets on one connection; the same refusals, cap, deadlines and
//! shutdown as over HTTP/1.1. The client is hyper's own HTTP/2 client, in
//! the test, so each step (the SETTINGS, the CONNECT, the answer) is seen.
//!
//! Run: `cargo test -p tests --test ws_http2`. Beyond the article, whose
//! WebSocket always starts as an HTTP/1.1 upgrade.

use futures_util::{SinkExt, StreamExt};
use hyper::{Method, Request, StatusCode};
use tests::certs::{CertFiles, LOCAL_NAMES};
use tests::h2ws::{Sender, ask, builder, connect, connect_request, open, stats};
use tests::ws::{echo, hang_up, receive};
use tests::{InProcessServer, start_ws_server, start_ws_server_with, within, ws_options};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// An HTTP/2 connection on `io` (TCP, or TLS over it) to `server`, once
/// its SETTINGS have allowed extended CONNECT (`GET /stats` first), and
/// the server's `SETTINGS_MAX_CONCURRENT_STREAMS`.
async fn h2_connect<S>(io: S, server: &InProcessServer) -> (Sender, usize)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, (status, _), streams) = connect(io, &builder(), stats(server.addr)).await;
    assert_eq!(status, StatusCode::OK);
    (sender, streams)
}

/// An HTTP/2 connection with prior knowledge (h2c) to `server`.
async fn h2c(server: &InProcessServer) -> Sender {
    let tcp = within(TcpStream::connect(server.addr))
        .await
        .expect("connect");
    h2_connect(tcp, server).await.0
}

/// The article's echo over h2c: an extended CONNECT answered `200`, then a
/// message and its reply on that stream.
#[tokio::test]
async fn echo_over_h2c() {
    let server = start_ws_server().await;
    let mut sender = h2c(&server).await;
    let mut ws = open(&mut sender, connect_request(server.addr, "/")).await;
    assert_eq!(echo(&mut ws, "hello").await, "Server Response: hello");
    hang_up(ws).await;
    server.shutdown().await;
}

/// Over TLS, ALPN picks `h2` in the handshake, and the same CONNECT works.
#[tokio::test]
async fn echo_over_tls_with_alpn_h2() {
    let cert = CertFiles::new(LOCAL_NAMES);
    let tls = cert.server_options().load(&[b"h2", b"http/1.1"]);
    let options = ws_server::Options {
        tls: tls.expect("load"),
        ..ws_options()
    };
    let server = start_ws_server_with(options).await;
    let config = cert
        .client_options()
        .client_config(&[b"h2"])
        .expect("config");
    let tcp = within(TcpStream::connect(server.addr))
        .await
        .expect("connect");
    let url = format!("https://localhost:{}", server.addr.port());
    let tls = within(common::tls::connect(tcp, "localhost", config, &url))
        .await
        .expect("TLS");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, _) = h2_connect(tls, &server).await;
    let mut ws = open(&mut sender, connect_request(server.addr, "/")).await;
    assert_eq!(echo(&mut ws, "secure").await, "Server Response: secure");
    hang_up(ws).await;
    server.shutdown().await;
}

/// Two WebSockets on one connection, each on its own stream: both echo,
/// their replies interleaved, neither waiting for the other.
#[tokio::test]
async fn two_websockets_share_one_connection() {
    let server = start_ws_server().await;
    let mut sender = h2c(&server).await;
    let mut first = open(&mut sender, connect_request(server.addr, "/")).await;
    let mut second = open(&mut sender, connect_request(server.addr, "/")).await;
    assert_eq!(echo(&mut first, "one").await, "Server Response: one");
    assert_eq!(echo(&mut second, "two").await, "Server Response: two");
    assert_eq!(echo(&mut first, "three").await, "Server Response: three");
    hang_up(first).await;
    assert_eq!(echo(&mut second, "alone").await, "Server Response: alone");
    hang_up(second).await;
    server.shutdown().await;
}

/// `/tick` pushes the feed, and `/chat` is a room, over HTTP/2 as over
/// HTTP/1.1: two members on one connection hear each other.
#[tokio::test]
async fn tick_and_chat_run_over_http2() {
    let server = start_ws_server().await;
    let mut sender = h2c(&server).await;
    let mut tick = open(&mut sender, connect_request(server.addr, "/tick")).await;
    server.feed.publish();
    let text = receive(&mut tick).await.into_text().expect("text");
    assert!(text.contains("\"seq\":1"), "{text}");
    hang_up(tick).await;

    let mut ann = open(&mut sender, connect_request(server.addr, "/chat")).await;
    let mut bob = open(&mut sender, connect_request(server.addr, "/chat")).await;
    let line = |message: Message| message.into_text().expect("text").to_string();
    assert_eq!(line(receive(&mut ann).await), "* guest-2 joined");
    within(bob.send(Message::text("hi ann")))
        .await
        .expect("send");
    assert_eq!(line(receive(&mut ann).await), "guest-2: hi ann");
    assert_eq!(line(receive(&mut bob).await), "guest-2: hi ann");
    hang_up(ann).await;
    hang_up(bob).await;
    server.shutdown().await;
}

/// `/stats` counts WebSockets by the version that carried them, and is
/// served over both versions; `/echo.html` is the page that opens one.
#[tokio::test]
async fn stats_count_websockets_by_version() {
    let server = start_ws_server().await;
    let mut sender = h2c(&server).await;
    let over_http1 = tests::ws::connect(&server.ws_url()).await;
    let over_http2 = open(&mut sender, connect_request(server.addr, "/")).await;
    let stats = stats(server.addr);
    let expected = "{\"websockets_over_http1\": 1, \"websockets_over_http2\": 1}\n";
    assert_eq!(
        ask(&mut sender, stats).await,
        (StatusCode::OK, expected.into())
    );
    let answer = tests::raw::exchange(server.addr, b"GET /stats HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with(expected), "{answer}");

    let page = Request::get(format!("http://{}/echo.html", server.addr));
    let (status, body) = ask(&mut sender, page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("new WebSocket("), "{body}");
    hang_up(over_http1).await;
    hang_up(over_http2).await;
    server.shutdown().await;
}

/// Each request over HTTP/2 that is not a good extended CONNECT gets an
/// HTTP error with a sentence, on its own stream; the connection carries on.
#[tokio::test]
async fn refusals_over_http2_are_explained() {
    let server = start_ws_server().await;
    let mut sender = h2c(&server).await;
    let url = format!("http://{}/", server.addr);
    let cases = [
        (
            "a plain GET",
            Request::get(&url),
            StatusCode::METHOD_NOT_ALLOWED,
            "extended CONNECT (RFC 8441)",
        ),
        (
            "version 8",
            Request::builder()
                .method(Method::CONNECT)
                .uri(&url)
                .extension(hyper::ext::Protocol::from_static("websocket"))
                .header("sec-websocket-version", "8"),
            StatusCode::BAD_REQUEST,
            "version 13 (RFC 6455) only",
        ),
        (
            "a page from another site",
            connect_request(server.addr, "/").header("origin", "http://evil.example"),
            StatusCode::FORBIDDEN,
            "--allow-origin http://evil.example",
        ),
    ];
    for (case, request, status, sentence) in cases {
        let (got, body) = ask(&mut sender, request).await;
        assert_eq!(got, status, "{case}: {body}");
        assert!(body.contains(sentence), "{case}: {body}");
    }
    // A CONNECT without `:protocol` asks for a tunnel to its `:authority`.
    let tunnel = Request::builder()
        .method(Method::CONNECT)
        .uri(server.addr.to_string());
    let (got, body) = ask(&mut sender, tunnel).await;
    assert_eq!(got, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains(":protocol websocket"), "{body}");
    // The same connection still opens a WebSocket.
    let mut ws = open(&mut sender, connect_request(server.addr, "/")).await;
    assert_eq!(echo(&mut ws, "still").await, "Server Response: still");
    hang_up(ws).await;
    server.shutdown().await;
}

/// The server's SETTINGS advertise its stream limit, and each WebSocket on
/// an HTTP/2 connection counts under `--max-connections` beside the
/// connection itself: with a cap of 3, one connection carries two, and the
/// third is answered 503 on its stream while the two carry on.
#[tokio::test]
async fn the_cap_counts_websockets_on_one_connection() {
    let options = ws_server::Options {
        max_connections: 3,
        ..ws_options()
    };
    let server = start_ws_server_with(options).await;
    let tcp = within(TcpStream::connect(server.addr))
        .await
        .expect("connect");
    let (mut sender, streams) = h2_connect(tcp, &server).await;
    assert_eq!(streams, ws_server::MAX_STREAMS as usize);
    let mut first = open(&mut sender, connect_request(server.addr, "/")).await;
    let mut second = open(&mut sender, connect_request(server.addr, "/")).await;
    let (status, body) = ask(&mut sender, connect_request(server.addr, "/")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body.contains("limit of 3 connections and WebSockets"),
        "{body}"
    );
    assert_eq!(echo(&mut first, "a").await, "Server Response: a");
    assert_eq!(echo(&mut second, "b").await, "Server Response: b");
    // A slot given back is a slot to take again.
    hang_up(first).await;
    let mut third = open(&mut sender, connect_request(server.addr, "/")).await;
    assert_eq!(echo(&mut third, "c").await, "Server Response: c");
    hang_up(second).await;
    hang_up(third).await;
    server.shutdown().await;
}

/// On shutdown a WebSocket over HTTP/2 gets its close frame with code
/// 1001, "going away", as one over HTTP/1.1 does.
#[tokio::test]
async fn shutdown_says_going_away_on_each_stream() {
    let server = start_ws_server().await;
    let mut sender = h2c(&server).await;
    let mut ws = open(&mut sender, connect_request(server.addr, "/")).await;
    assert_eq!(echo(&mut ws, "hi").await, "Server Response: hi");
    let shutdown = tokio::spawn(server.shutdown());
    match receive(&mut ws).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a close frame, got {other:?}"),
    }
    // Our answering close frame goes out when the stream is polled again.
    while let Some(Ok(_)) = within(ws.next()).await {}
    within(shutdown).await.unwrap();
}
