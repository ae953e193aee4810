//! ws-server's defences when the client speaks HTTP/2: the send deadline
//! for a WebSocket whose peer stops reading its stream, and the `503` past
//! the connection cap, answered in HTTP/2 to a client that speaks it. The
//! HTTP/1.1 sides of both are in defences.rs and connection_cap.rs.
//!
//! Run: `cargo test -p tests --test ws_http2_defences`. Beyond the
//! article, whose WebSocket always starts as an HTTP/1.1 upgrade.

use std::time::Duration;

use futures_util::SinkExt;
use http_body_util::{BodyExt, Empty};
use hyper::{Method, StatusCode};
use tests::certs::{CertFiles, LOCAL_NAMES};
use tests::h2::H2;
use tests::h2ws::{Sender, ask, builder, connect, connect_request, open, stats, upgrade};
use tests::{InProcessServer, raw, start_ws_server_with, within, ws_options};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// ws-server's deadline for writing one message (`SEND_TIMEOUT`).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The receive window the stalling client offers on each stream: a few
/// echo replies fill it, so the server's writes wait at once.
const SMALL_WINDOW: u32 = 1024;

/// An h2c connection to `server` from a client whose streams offer only
/// `window` bytes each, with the answer to `first`, its first request.
async fn h2c(
    server: &InProcessServer,
    window: u32,
    first: hyper::http::request::Builder,
) -> (Sender, (StatusCode, String)) {
    let tcp = within(TcpStream::connect(server.addr))
        .await
        .expect("connect");
    let mut builder = builder();
    builder.initial_stream_window_size(window);
    let (sender, answer, _) = connect(tcp, &builder, first).await;
    (sender, answer)
}

/// A WebSocket over HTTP/2 whose client sends and never reads is given up
/// at the send deadline, as over HTTP/1.1: its replies fill the stream's
/// window, the server's write waits, and after `SEND_TIMEOUT` the session
/// ends and gives back its slot under `--max-connections`. With a cap of
/// 2 (the connection holds one, the WebSocket the other), another
/// WebSocket on the same connection is refused `503` while it lives, and
/// opens once the deadline has passed.
///
/// This one runs on the real clock (about ten seconds): on the paused
/// clock, time jumps to the next timer whenever every task waits, and here
/// a task is always waiting on loopback bytes the kernel has not yet
/// reported, so the deadlines fired early and at random.
#[tokio::test]
async fn a_websocket_over_http2_that_never_reads_is_dropped_at_the_deadline() {
    let options = ws_server::Options {
        max_connections: 2,
        // Far off: the connection is not closed for want of a WebSocket
        // while the test waits for the send deadline.
        handshake_timeout: 60,
        ..ws_options()
    };
    let server = start_ws_server_with(options).await;
    let (mut sender, (status, _)) = h2c(&server, SMALL_WINDOW, stats(server.addr)).await;
    assert_eq!(status, StatusCode::OK);
    let mut greedy = open(&mut sender, connect_request(server.addr, "/")).await;
    let (status, body) = ask(&mut sender, connect_request(server.addr, "/")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    // Each reply is over 100 bytes: twenty of them overflow the window.
    // The server's own window (hyper's default) takes all twenty requests.
    for _ in 0..20 {
        let message = Message::text("x".repeat(100));
        within(greedy.send(message)).await.expect("sent");
    }
    // The server's write now waits for window that never opens. Ask again
    // until the slot is free: 503 while the session lives, 200 once its
    // deadline has ended it (and not for ever: the deadline is 10 s).
    let mut retry = tokio::time::interval(Duration::from_millis(200));
    let waiting = async {
        loop {
            let request = connect_request(server.addr, "/")
                .body(Empty::new())
                .expect("a request");
            let response = within(sender.send_request(request))
                .await
                .expect("an answer");
            if response.status() == StatusCode::OK {
                return response;
            }
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            // Not a tight loop of refusals while the deadline runs out.
            let _ = within(response.into_body().collect()).await;
            retry.tick().await;
        }
    };
    let response = tokio::time::timeout(SEND_TIMEOUT + Duration::from_secs(5), waiting)
        .await
        .expect("the slot is given back at the send deadline");
    let mut next = upgrade(response).await;
    assert_eq!(
        tests::ws::echo(&mut next, "next").await,
        "Server Response: next"
    );
    tests::ws::hang_up(next).await;
    drop(greedy);
    server.shutdown().await;
}

/// Past `--max-connections`, a client that opens with HTTP/2's preface
/// (h2c) is answered in HTTP/2: the server's SETTINGS allow extended
/// CONNECT as usual, and the WebSocket's CONNECT gets `503` with the
/// sentence on its stream, then GOAWAY. An HTTP/1.1 client past the
/// cap still gets `HTTP/1.1 503`.
#[tokio::test]
async fn past_the_cap_an_h2c_client_gets_503_in_http2() {
    let options = ws_server::Options {
        max_connections: 1,
        ..ws_options()
    };
    let server = start_ws_server_with(options).await;
    let held = raw::handshake(server.addr).await;

    // The first request is the WebSocket's CONNECT: sent before the
    // server's SETTINGS are read, it is answered after them.
    let (sender, (status, body)) = h2c(&server, 65_535, connect_request(server.addr, "/")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("limit of 1 connections"), "{body}");
    drop(sender);

    let answer = raw::exchange(server.addr, raw::UPGRADE.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("limit of 1 connections"), "{answer}");
    drop(held);
    server.shutdown().await;
}

/// Over TLS the version is what ALPN chose: past the cap, a client that
/// offered only `h2` gets its `503` in HTTP/2, with `retry-after`.
#[tokio::test]
async fn past_the_cap_a_tls_client_with_alpn_h2_gets_503_in_http2() {
    let cert = CertFiles::new(LOCAL_NAMES);
    let tls = cert.server_options().load(&[b"h2", b"http/1.1"]);
    let options = ws_server::Options {
        max_connections: 1,
        tls: tls.expect("load"),
        ..ws_options()
    };
    let server = start_ws_server_with(options).await;
    let mut held = H2::tls(server.addr, &cert).await;
    let answer = held.request(Method::GET, "/stats").await;
    assert_eq!(answer.status, StatusCode::OK);

    let mut refused = H2::tls(server.addr, &cert).await;
    let answer = refused.request(Method::GET, "/").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.headers["retry-after"], "1");
    assert!(
        answer.body.contains("limit of 1 connections"),
        "{}",
        answer.body
    );
    drop(held);
    server.shutdown().await;
}
