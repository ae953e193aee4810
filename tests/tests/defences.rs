//! What the servers and clients defend against, one test per defence: each
//! sends what a careless or hostile peer would, asserts the exact answer
//! (status or close code), and then checks that a well-behaved client is
//! still served.
//!
//! Deadlines are tested on tokio's paused clock (`start_paused`): when every
//! task is waiting, time jumps to the next timer, so a ten-second deadline
//! takes no real time and the outcome does not depend on the machine's speed.
//!
//! Run: `cargo test -p tests --test defences`. Beyond the article, whose
//! servers trust their peers; its "security needs" are what this checks.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http_server::Options;
use tests::{TIMEOUT, raw, start_http_server, start_ws_server, start_ws_server_with, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The first line of an HTTP answer.
fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

// --- ws-server: the handshake --------------------------------------------

/// A plain HTTP request (a browser tab, curl) gets `426 Upgrade Required`
/// and a sentence naming the WebSocket client to use.
#[tokio::test]
async fn plain_http_gets_426_with_a_hint() {
    let server = start_ws_server().await;
    let answer = raw::exchange(server.addr, b"GET / HTTP/1.1\r\nHost: test\r\n\r\n").await;
    assert_eq!(status_line(&answer), "HTTP/1.1 426 Upgrade Required");
    // Header names are case-insensitive; hyper writes them in lower case.
    assert!(
        answer.to_lowercase().contains("\r\nupgrade: websocket\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with("such as `cargo run -p ws-client`.\n"),
        "{answer}"
    );
    tests::ws::assert_still_serves(&server.ws_url()).await;
    server.shutdown().await;
}

/// Each broken upgrade request gets the HTTP error RFC 6455 calls for.
#[tokio::test]
async fn broken_upgrade_requests_get_http_errors() {
    let server = start_ws_server().await;
    let upgrade = raw::UPGRADE;
    let cases = [
        (
            "no key",
            upgrade.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            "a key that is not 16 bytes",
            upgrade.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            "version 8",
            upgrade.replace("Version: 13", "Version: 8"),
            "HTTP/1.1 426 Upgrade Required",
        ),
        (
            "POST",
            upgrade.replace("GET", "POST"),
            "HTTP/1.1 405 Method Not Allowed",
        ),
        (
            "not HTTP at all",
            "hello there\r\n\r\n".to_string(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            "a 9 KiB header",
            upgrade.replace("Host: test", &format!("Host: {}", "x".repeat(9 * 1024))),
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
    ];
    for (what, request, status) in cases {
        let answer = raw::exchange(server.addr, request.as_bytes()).await;
        assert_eq!(status_line(&answer), status, "{what}: {answer}");
    }
    // The version refusal names the version the server speaks.
    let answer = raw::exchange(
        server.addr,
        upgrade.replace("Version: 13", "Version: 8").as_bytes(),
    )
    .await;
    assert!(
        answer
            .to_lowercase()
            .contains("\r\nsec-websocket-version: 13\r\n"),
        "{answer}"
    );
    tests::ws::assert_still_serves(&server.ws_url()).await;
    server.shutdown().await;
}

/// A page from another site (Cross-Site WebSocket Hijacking) gets `403
/// Forbidden`, saying which flag would let it in; a page from the server's
/// own host, whatever its port, and a named `--allow-origin` get through.
#[tokio::test]
async fn websockets_from_other_sites_get_403() {
    let options = ws_server::Options {
        allow_origins: vec!["http://friend.example:8000".to_string()],
        ..tests::ws_options()
    };
    let server = start_ws_server_with(options).await;
    let from = |origin: &str| {
        raw::UPGRADE.replace(
            "Host: test\r\n",
            &format!("Host: test:8765\r\nOrigin: {origin}\r\n"),
        )
    };
    let answer = raw::exchange(server.addr, from("http://evil.example").as_bytes()).await;
    assert_eq!(status_line(&answer), "HTTP/1.1 403 Forbidden", "{answer}");
    assert!(
        answer.ends_with(
            "start the server with --allow-origin http://evil.example to accept them.\n"
        ),
        "{answer}"
    );
    for origin in ["http://test:8000", "http://friend.example:8000"] {
        let (_upgraded, answer) = raw::request_head(server.addr, &from(origin)).await;
        assert_eq!(
            status_line(&answer),
            "HTTP/1.1 101 Switching Protocols",
            "{origin}: {answer}"
        );
    }
    server.shutdown().await;
}

/// A peer that connects and never sends its request is dropped when the
/// handshake deadline passes, so it cannot hold a socket.
#[tokio::test(start_paused = true)]
async fn a_silent_peer_is_dropped_at_the_handshake_deadline() {
    let options = ws_server::Options {
        handshake_timeout: 5,
        ..tests::ws_options()
    };
    let server = start_ws_server_with(options).await;
    let mut silent = within(TcpStream::connect(server.addr)).await.unwrap();
    let before = tokio::time::Instant::now();
    let mut byte = [0; 1];
    assert_eq!(within(silent.read(&mut byte)).await.unwrap(), 0, "closed");
    assert!(before.elapsed() >= Duration::from_secs(5));
    tests::ws::assert_still_serves(&server.ws_url()).await;
    server.shutdown().await;
}

// --- ws-server: once connected -------------------------------------------

/// A peer that goes silent is pinged after one interval and, still silent,
/// disconnected after the next.
#[tokio::test(start_paused = true)]
async fn a_silent_peer_is_pinged_then_dropped() {
    let options = ws_server::Options {
        ping_interval: 3,
        ..tests::ws_options()
    };
    let server = start_ws_server_with(options).await;
    // Raw bytes: unlike a WebSocket library, nothing here answers pings.
    let mut silent = raw::handshake(server.addr).await;
    let (first, payload) = raw::read_frame(&mut silent).await;
    assert_eq!(first, 0x89, "FIN + ping");
    assert_eq!(payload, b"are you there?");
    raw::wait_for_close(&mut silent).await;
    tests::ws::assert_still_serves(&server.ws_url()).await;
    server.shutdown().await;
}

/// A peer that answers pings stays connected: it is pinged again and again,
/// and still served.
///
/// This one runs on the real clock (with a 1-second interval, so about three
/// seconds): on the paused clock, time can jump to the next timer before the
/// kernel has reported a loopback write as readable, which this test, with a
/// ping in flight at every step, would mistake for a silent peer.
#[tokio::test]
async fn a_peer_that_answers_pings_stays() {
    let options = ws_server::Options {
        ping_interval: 1,
        ..tests::ws_options()
    };
    let server = start_ws_server_with(options).await;
    let (client, _) = within(tokio_tungstenite::connect_async(server.ws_url()))
        .await
        .unwrap();
    let (mut sender, mut receiver) = client.split();
    // Reading is what lets tungstenite answer each ping with a pong.
    let (heard, mut messages) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(message)) = receiver.next().await {
            let _ = heard.send(message);
        }
    });
    // The second ping comes after the point where a silent peer is dropped.
    for _ in 0..2 {
        let ping = within(messages.recv()).await.expect("still connected");
        assert!(ping.is_ping(), "{ping:?}");
    }
    within(sender.send(Message::text("hi"))).await.unwrap();
    assert_eq!(
        within(messages.recv()).await,
        Some(Message::text("Server Response: hi"))
    );
    server.shutdown().await;
}

/// A client that sends and sends but never reads the replies cannot make
/// the server buffer them: the server stops reading from it, the client's
/// writes stall, and the server then drops it.
#[tokio::test(start_paused = true)]
async fn a_client_that_never_reads_is_held_back_then_dropped() {
    let server = start_ws_server().await;
    let mut greedy = raw::handshake(server.addr).await;
    let frame = raw::masked_frame(0x82, &[0; 16 * 1024]);
    let mut sent = 0;
    loop {
        // On the paused clock this second passes only once nothing moves.
        match tokio::time::timeout(Duration::from_secs(1), greedy.write_all(&frame)).await {
            Ok(Ok(())) => sent += frame.len(),
            Ok(Err(err)) => panic!("dropped before the writes stalled: {err}"),
            Err(_stalled) => break,
        }
        assert!(sent < 64 << 20, "the server kept reading: {sent} bytes");
    }
    // The server gives up on a reply that cannot be written: the connection
    // is reset, and writing on it fails.
    let dropped = within(async {
        loop {
            if greedy.write_all(&frame).await.is_err() {
                break;
            }
        }
    });
    dropped.await;
    tests::ws::assert_still_serves(&server.ws_url()).await;
    server.shutdown().await;
}

// --- http-server -----------------------------------------------------------

/// A request line hyper cannot parse gets `400 Bad Request`; the next
/// client is served normally.
#[tokio::test]
async fn a_malformed_request_gets_400() {
    let server = start_http_server().await;
    let answer = raw::exchange(server.addr, b"GET / HTTP/1.1 junk\r\n\r\n").await;
    assert_eq!(status_line(&answer), "HTTP/1.1 400 Bad Request");
    let answer = raw::exchange(server.addr, b"GET / HTTP/1.1\r\nbad header line\r\n\r\n").await;
    assert_eq!(status_line(&answer), "HTTP/1.1 400 Bad Request");
    let response = within(http_client::fetch(
        &server.http_url(),
        &Default::default(),
        TIMEOUT,
        false,
    ))
    .await
    .unwrap();
    assert_eq!(response.status, 200);
    server.shutdown().await;
}

/// Headers over the 16 KiB limit get `431 Request Header Fields Too Large`.
#[tokio::test]
async fn oversized_headers_get_431() {
    let server = start_http_server().await;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: test\r\nX-Padding: {}\r\n\r\n",
        "x".repeat(16 * 1024)
    );
    let answer = raw::exchange(server.addr, request.as_bytes()).await;
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    server.shutdown().await;
}

/// A request that trickles in and never finishes is dropped when the header
/// deadline passes: the server closes the connection without a word, and
/// not before the deadline.
#[tokio::test(start_paused = true)]
async fn a_trickling_request_is_dropped() {
    let server = start_http_server().await;
    let mut slow = within(TcpStream::connect(server.addr)).await.unwrap();
    within(slow.write_all(b"GET / HTTP/1.1\r\nHost: te"))
        .await
        .unwrap();
    let deadline = Duration::from_secs(Options::default().header_timeout);
    let before = tokio::time::Instant::now();
    let mut answer = Vec::new();
    // Not `within`: the default deadline is as long as TIMEOUT.
    let closed = tokio::time::timeout(2 * deadline, slow.read_to_end(&mut answer));
    closed
        .await
        .expect("still open after twice the deadline")
        .expect("closed, not reset");
    assert_eq!(String::from_utf8_lossy(&answer), "", "no answer");
    assert!(before.elapsed() >= deadline);
    server.shutdown().await;
}

// --- the clients ------------------------------------------------------------

/// While ws-client waits for the user to type, it still answers the
/// server's pings, so an idle terminal session stays connected.
#[tokio::test]
async fn ws_client_answers_pings_while_waiting_for_input() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (typed, lines) = mpsc::channel(1);
    let session = tokio::spawn(async move {
        ws_client::session(
            &url,
            lines,
            &mut Vec::new(),
            &Default::default(),
            TIMEOUT,
            false,
        )
        .await
    });

    let (stream, _) = within(listener.accept()).await.unwrap();
    let mut server = within(tokio_tungstenite::accept_async(stream))
        .await
        .unwrap();
    within(server.send(Message::Ping("awake?".into())))
        .await
        .unwrap();
    assert_eq!(
        within(server.next()).await.unwrap().unwrap(),
        Message::Pong("awake?".into())
    );

    drop(typed); // The end of input: the client closes.
    while within(server.next()).await.is_some() {}
    // A client waits for the server to end the TCP connection.
    drop(server);
    within(session)
        .await
        .unwrap()
        .expect("the session ends cleanly");
}
