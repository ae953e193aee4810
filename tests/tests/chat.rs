//! ws-server's `/chat` room with several clients inside the test process:
//! everyone hears everyone once, a member that stops reading is dropped
//! with a clear reason while the rest chat on, and ws-client shows what the
//! room says while it waits for its user to type.

use futures_util::{SinkExt, StreamExt};
use tests::ws::{Client, connect, hang_up, receive};
use tests::{LineSink, TIMEOUT, start_ws_server, within};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The next text message `client` receives.
async fn next_line(client: &mut Client) -> String {
    receive(client).await.into_text().expect("text").to_string()
}

/// Sends `text` to the room.
async fn say(client: &mut Client, text: &str) {
    within(client.send(Message::text(text)))
        .await
        .expect("send");
}

/// Three members: each line said reaches all three (the sender too), in the
/// order said, and each exactly once: every member's next line is always the
/// one expected, so none can have come twice.
#[tokio::test]
async fn three_members_hear_each_line_once() {
    let server = start_ws_server().await;
    let url = format!("{}/chat", server.ws_url());
    let mut members = Vec::new();
    for _ in 0..3 {
        members.push(connect(&url).await);
    }
    // Each member hears of everyone who joined after it, not of itself.
    for (index, member) in members.iter_mut().enumerate() {
        for joined in index + 2..=3 {
            assert_eq!(next_line(member).await, format!("* guest-{joined} joined"));
        }
    }

    for (speaker, text) in [(0, "hello"), (1, "hi there"), (2, "hey all")] {
        say(&mut members[speaker], text).await;
        for member in members.iter_mut() {
            assert_eq!(
                next_line(member).await,
                format!("guest-{}: {text}", speaker + 1)
            );
        }
    }

    let first = members.remove(0);
    hang_up(first).await;
    for member in members.iter_mut() {
        assert_eq!(next_line(member).await, "* guest-1 left");
    }
    for member in members {
        hang_up(member).await;
    }
    server.shutdown().await;
}

/// A member that stops reading fills its socket, then its queue in the room;
/// the room drops it and says so, without the others ever waiting. The slow
/// member, reading at last, gets what was queued for it and then close code
/// 1008 with the reason.
#[tokio::test]
async fn a_slow_member_is_dropped_and_the_room_goes_on() {
    let server = start_ws_server().await;
    let url = format!("{}/chat", server.ws_url());
    let mut speaker = connect(&url).await;
    let mut listener = connect(&url).await;
    let mut slow = connect(&url).await;
    for (member, joins) in [(&mut speaker, 2..=3), (&mut listener, 3..=3)] {
        for joined in joins {
            assert_eq!(next_line(member).await, format!("* guest-{joined} joined"));
        }
    }

    // From here `slow` reads nothing. Lines of 16 KiB fill its socket
    // buffers within a few hundred lines; 2,000 would be over 30 MiB.
    let text = "x".repeat(16 * 1024);
    let dropped = "* guest-3 left (too slow)";
    let mut seen_dropped = false;
    for n in 0.. {
        assert!(n < 2_000, "the slow member was never dropped");
        let line = format!("{n} {text}");
        say(&mut speaker, &line).await;
        for member in [&mut speaker, &mut listener] {
            loop {
                let next = next_line(member).await;
                if next == format!("guest-1: {line}") {
                    break;
                }
                assert_eq!(next, dropped, "only the notice may come between lines");
                seen_dropped = true;
            }
        }
        if seen_dropped {
            break;
        }
    }

    let mut backlog = 0;
    let close = loop {
        match within(slow.next())
            .await
            .expect("a close frame")
            .expect("a frame")
        {
            Message::Text(_) => backlog += 1,
            Message::Close(close) => break close.expect("a close code"),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(backlog > 0);
    assert_eq!(close.code, CloseCode::Policy);
    assert!(close.reason.contains("too slow"), "{:?}", close.reason);

    hang_up(speaker).await;
    hang_up(listener).await;
    server.shutdown().await;
}

/// Full duplex at the terminal: ws-client prints what the room says while
/// its user has typed nothing (each such line ends the waiting prompt's line
/// and prompts again), and still sends and answers as the article's client
/// when a line is typed.
///
/// The first line is there before the client connects, as when input is
/// piped in: its reply must be its own echo, never news of the room that was
/// on its way when the line went out.
#[tokio::test]
async fn ws_client_shows_the_room_while_waiting_for_input() {
    let server = start_ws_server().await;
    let url = format!("{}/chat", server.ws_url());
    let (typed, lines) = mpsc::channel(1);
    within(typed.send(Ok("hello".to_string()))).await.unwrap();
    let (mut sink, mut printed) = LineSink::new();
    let session = tokio::spawn({
        let url = url.clone();
        async move { ws_client::session(&url, lines, &mut sink, TIMEOUT, false).await }
    });
    let mut expect_printed = async |expected: &str| {
        assert_eq!(within(printed.recv()).await.expect("a line"), expected);
    };
    expect_printed("Enter a message: Sent message: hello").await;
    expect_printed("Received response: guest-1: hello").await;

    // Nothing typed now; the room speaks twice.
    let mut other = connect(&url).await;
    expect_printed("Enter a message: ").await;
    expect_printed("Received response: * guest-2 joined").await;
    say(&mut other, "anyone there?").await;
    assert_eq!(next_line(&mut other).await, "guest-2: anyone there?");
    expect_printed("Enter a message: ").await;
    expect_printed("Received response: guest-2: anyone there?").await;

    // The user types a line: sent, and heard by the room and by its sender.
    within(typed.send(Ok("yes".to_string()))).await.unwrap();
    expect_printed("Enter a message: Sent message: yes").await;
    expect_printed("Received response: guest-1: yes").await;
    assert_eq!(next_line(&mut other).await, "guest-1: yes");

    drop(typed); // The end of input: the client closes and leaves the room.
    expect_printed("Enter a message: ").await;
    within(session).await.unwrap().expect("session");
    assert_eq!(next_line(&mut other).await, "* guest-1 left");
    hang_up(other).await;
    server.shutdown().await;
}
