//! ws-server's cap on connections (`--max-connections`): past it a client
//! is answered `503 Service Unavailable`, a flood past it is closed
//! unanswered, and the clients already connected carry on. One of the
//! defences in docs/defences.md, in a file of its own beside defences.rs.
//!
//! Run: `cargo test -p tests --test connection_cap`. Beyond the article,
//! whose server takes every connection.

use tests::{raw, start_ws_server_with, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The first line of an HTTP answer.
fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

/// Past `--max-connections` a new client is answered
/// `503 Service Unavailable`, and the clients already connected carry on.
#[tokio::test]
async fn past_the_connection_cap_a_client_gets_503() {
    let options = ws_server::Options {
        max_connections: 2,
        ..tests::ws_options()
    };
    let server = start_ws_server_with(options).await;
    let mut first = raw::handshake(server.addr).await;
    let second = raw::handshake(server.addr).await;

    let answer = raw::exchange(server.addr, raw::UPGRADE.as_bytes()).await;
    assert_eq!(status_line(&answer), "HTTP/1.1 503 Service Unavailable");
    assert!(answer.contains("limit of 2 connections"), "{answer}");

    within(first.write_all(&raw::masked_frame(0x81, b"hi")))
        .await
        .unwrap();
    let (kind, reply) = raw::read_frame(&mut first).await;
    assert_eq!(
        (kind, reply.as_slice()),
        (0x81, &b"Server Response: hi"[..])
    );
    drop((first, second));
    server.shutdown().await;
}

/// Past the cap, only [`ws_server::MAX_REFUSALS`] clients at a time are
/// kept for a `503`; one more is closed at once, unanswered, so a flood past
/// the cap costs the server no task (nor, over TLS, a handshake) each. The
/// clients kept still get their `503`, and the one connected is served.
#[tokio::test]
async fn past_the_cap_a_flood_is_closed_unanswered() {
    let options = ws_server::Options {
        max_connections: 1,
        ..tests::ws_options()
    };
    let server = start_ws_server_with(options).await;
    let mut connected = raw::handshake(server.addr).await;
    // Each of these is accepted and kept, waiting for its request.
    let mut waiting = Vec::new();
    for _ in 0..ws_server::MAX_REFUSALS {
        waiting.push(within(TcpStream::connect(server.addr)).await.unwrap());
    }
    let answer = raw::exchange(server.addr, raw::UPGRADE.as_bytes()).await;
    assert_eq!(answer, "", "one past the refusals is closed unanswered");

    let mut kept = waiting.pop().unwrap();
    within(kept.write_all(raw::UPGRADE.as_bytes()))
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = within(kept.read_to_string(&mut answer)).await;
    assert_eq!(status_line(&answer), "HTTP/1.1 503 Service Unavailable");

    within(connected.write_all(&raw::masked_frame(0x81, b"hi")))
        .await
        .unwrap();
    let (_, reply) = raw::read_frame(&mut connected).await;
    assert_eq!(reply, b"Server Response: hi");
    drop((waiting, connected));
    server.shutdown().await;
}
