//! ws-server's `/chat` room with several clients inside the test process:
//! everyone hears everyone once, and a member that stops reading is dropped
//! with a clear reason while the rest chat on.

use futures_util::{SinkExt, StreamExt};
use tests::ws::{Client, connect, hang_up, receive};
use tests::{start_ws_server, within};
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
    // Each member hears its own joining and everyone's after it.
    for (index, member) in members.iter_mut().enumerate() {
        for joined in index + 1..=3 {
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
    for (member, joins) in [(&mut speaker, 1..=3), (&mut listener, 2..=3)] {
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
