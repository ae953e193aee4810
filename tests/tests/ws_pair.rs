//! ws-client against ws-server, both inside the test process: the article's
//! echo, then what RFC 6455 asks of a server beyond it (binary messages,
//! pings, the close handshake, many clients, clients that misbehave).
//!
//! Run: `cargo test -p tests --test ws_pair`. Mirrors the article's
//! "WebSocket Server Code" and "WebSocket Client Code", run together.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tests::ws::{connect, echo, hang_up, receive};
use tests::{TIMEOUT, raw, start_ws_server, within};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The client's session prints the article's lines for each line of input,
/// then one more prompt, answered by the end of input.
#[tokio::test]
async fn client_session_prints_the_article_lines() {
    let server = start_ws_server().await;
    let (typed, lines) = mpsc::channel(2);
    typed.send(Ok("hello".to_string())).await.unwrap();
    typed.send(Ok("second line".to_string())).await.unwrap();
    drop(typed);

    let mut out = Vec::new();
    within(ws_client::session(
        &server.ws_url(),
        lines,
        &mut out,
        &Default::default(),
        TIMEOUT,
        false,
    ))
    .await
    .expect("session");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Enter a message: Sent message: hello\n\
         Received response: Server Response: hello\n\
         Enter a message: Sent message: second line\n\
         Received response: Server Response: second line\n\
         Enter a message: \n"
    );
    server.shutdown().await;
}

/// Binary messages come back unchanged, as binary.
#[tokio::test]
async fn binary_comes_back_unchanged() {
    let server = start_ws_server().await;
    let mut client = connect(&server.ws_url()).await;
    let bytes = vec![0, 1, 2, 0xfe, 0xff];
    within(client.send(Message::binary(bytes.clone())))
        .await
        .unwrap();
    assert_eq!(receive(&mut client).await, Message::binary(bytes));
    hang_up(client).await;
    server.shutdown().await;
}

/// A ping is answered with a pong carrying the same payload.
#[tokio::test]
async fn pings_are_answered() {
    let server = start_ws_server().await;
    let mut client = connect(&server.ws_url()).await;
    within(client.send(Message::Ping("are you there?".into())))
        .await
        .unwrap();
    assert_eq!(
        receive(&mut client).await,
        Message::Pong("are you there?".into())
    );
    hang_up(client).await;
    server.shutdown().await;
}

/// A client's close frame is answered with a close frame carrying the same
/// code before the connection ends (the server does not just hang up).
#[tokio::test]
async fn close_is_answered_with_a_close_frame() {
    let server = start_ws_server().await;
    let mut client = connect(&server.ws_url()).await;
    let goodbye = CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    };
    within(client.close(Some(goodbye))).await.unwrap();
    match receive(&mut client).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected a close frame, got {other:?}"),
    }
    assert!(
        within(client.next()).await.is_none(),
        "then the connection ends"
    );
    server.shutdown().await;
}

/// Twenty clients talking at once each get their own replies, in order.
#[tokio::test]
async fn many_clients_each_get_their_own_replies() {
    let server = start_ws_server().await;
    let mut clients = tokio::task::JoinSet::new();
    for id in 0..20 {
        let url = server.ws_url();
        clients.spawn(async move {
            let mut client = connect(&url).await;
            for turn in 0..5 {
                let text = format!("client {id} turn {turn}");
                assert_eq!(
                    echo(&mut client, &text).await,
                    format!("Server Response: {text}")
                );
            }
            hang_up(client).await;
        });
    }
    while let Some(result) = within(clients.join_next()).await {
        result.expect("a client failed");
    }
    server.shutdown().await;
}

/// A client that vanishes halfway through a frame ends only its own
/// connection: a client connected before it and one connecting after it are
/// both still answered.
#[tokio::test]
async fn a_client_dropping_mid_message_hurts_no_one_else() {
    let server = start_ws_server().await;
    let mut before = connect(&server.ws_url()).await;

    let mut rude = raw::handshake(server.addr).await;

    // Half a frame: FIN + text (0x81), masked with a 16-byte payload (0x90),
    // the masking key, then only 4 of the 16 payload bytes. Then hang up.
    let half_frame = [0x81, 0x90, 1, 2, 3, 4, b'a', b'b', b'c', b'd'];
    within(rude.write_all(&half_frame)).await.unwrap();
    drop(rude);

    assert_eq!(
        echo(&mut before, "still here").await,
        "Server Response: still here"
    );
    let mut after = connect(&server.ws_url()).await;
    assert_eq!(echo(&mut after, "new").await, "Server Response: new");
    hang_up(before).await;
    hang_up(after).await;
    server.shutdown().await;
}

/// On shutdown every connected client gets a close frame with code 1001,
/// "going away", and the server waits for the close handshake to finish.
#[tokio::test]
async fn shutdown_says_going_away() {
    let server = start_ws_server().await;
    let mut client = connect(&server.ws_url()).await;
    assert_eq!(echo(&mut client, "hi").await, "Server Response: hi");

    let shutdown = tokio::spawn(server.shutdown());
    match receive(&mut client).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a close frame, got {other:?}"),
    }
    // Our answering close frame goes out when the stream is polled again.
    assert!(within(client.next()).await.is_none());
    within(shutdown).await.unwrap();
}

/// A peer that opens a TCP connection and never starts the WebSocket
/// handshake does not hold up shutdown, even once the server has accepted
/// it and is waiting for its request.
#[tokio::test]
async fn a_silent_connection_does_not_delay_shutdown() {
    let options = ws_server::Options {
        max_connections: 1,
        ..tests::ws_options()
    };
    let server = tests::start_ws_server_with(options).await;
    let silent = within(TcpStream::connect(server.addr)).await.unwrap();
    // With room for one connection, the next is turned away with 503 only
    // once the server has accepted the silent one and given it that room:
    // from here shutdown has a connection of its own to deal with.
    let answer = raw::exchange(server.addr, raw::UPGRADE.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    // Well under the handshake timeout of ten seconds.
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown waited for the silent connection");
    drop(silent);
}

/// Frames that break RFC 6455 get the close code the RFC assigns, and the
/// server goes on serving everyone else.
#[tokio::test]
async fn protocol_errors_get_their_close_codes() {
    let server = start_ws_server().await;
    let cases = [
        (
            "invalid UTF-8 in a text message",
            raw::masked_frame(0x81, &[0xff, 0xfe]),
            1007,
        ),
        // Without the mask bit: FIN + text, length 2, "hi".
        (
            "a client frame without a mask",
            vec![0x81, 0x02, b'h', b'i'],
            1002,
        ),
        ("an unknown opcode (3)", raw::masked_frame(0x83, b""), 1002),
        (
            "a reserved bit set (RSV1)",
            raw::masked_frame(0xc1, b"hi"),
            1002,
        ),
        (
            "a fragmented ping (FIN clear)",
            raw::masked_frame(0x09, b"hi"),
            1002,
        ),
        (
            "a ping over 125 bytes",
            raw::masked_frame(0x89, &[0; 126]),
            1002,
        ),
    ];
    for (what, frame, code) in cases {
        let mut stream = raw::handshake(server.addr).await;
        within(stream.write_all(&frame)).await.unwrap();
        assert_eq!(raw::read_close_code(&mut stream).await, code, "{what}");
    }
    let mut client = connect(&server.ws_url()).await;
    assert_eq!(
        echo(&mut client, "still fine").await,
        "Server Response: still fine"
    );
    hang_up(client).await;
    server.shutdown().await;
}

/// A message over the 1 MiB limit is refused with close code 1009,
/// "message too big"; one at the limit is echoed.
#[tokio::test]
async fn oversized_messages_are_refused_with_1009() {
    let server = start_ws_server().await;
    let mut client = connect(&server.ws_url()).await;
    let largest = "x".repeat(ws_server::MAX_MESSAGE_SIZE);
    let reply = echo(&mut client, &largest).await;
    assert_eq!(reply.len(), "Server Response: ".len() + largest.len());

    let too_big = "x".repeat(ws_server::MAX_MESSAGE_SIZE + 1);
    within(client.send(Message::text(too_big))).await.unwrap();
    match receive(&mut client).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a close frame, got {other:?}"),
    }
    server.shutdown().await;
}

/// With `--echo-plain` each text message comes back unchanged, as
/// conformance suites expect, instead of `Server Response: m`.
#[tokio::test]
async fn echo_plain_sends_text_back_unchanged() {
    let options = ws_server::Options {
        echo_plain: true,
        ..tests::ws_options()
    };
    let server = tests::start_ws_server_with(options).await;
    let mut client = connect(&server.ws_url()).await;
    assert_eq!(echo(&mut client, "as it was").await, "as it was");
    hang_up(client).await;
    server.shutdown().await;
}
