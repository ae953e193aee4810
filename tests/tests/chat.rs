//! ws-server's `/chat` room with several clients inside the test process:
//! everyone hears everyone once, a member that stops reading is dropped
//! with a clear reason while the rest chat on, a burst of a thousand
//! joiners drops nobody who keeps reading, and ws-client shows what the room
//! says while it waits for its user to type.
//!
//! Run: `cargo test -p tests --test chat`. Mirrors the article's "real-time
//! chat" use case, which it names but does not build.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tests::ws::{Client, connect, hang_up, receive};
use tests::{LineSink, TIMEOUT, raise_open_file_limit, start_ws_server, within};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// How many members join at once in the burst test.
const JOINERS: usize = 1_000;

/// How long that whole burst may take, from the first joiner connecting to
/// the last hearing that everyone is in: several times what it takes in a
/// debug build, and unlike [`TIMEOUT`] (one step) so a failure says which.
const BURST_TIMEOUT: Duration = Duration::from_secs(60);

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

/// A thousand members join at once while the first member reads every
/// notice, and every joiner reads every line it is sent. Nobody is dropped
/// as too slow (close 1008), the first member included: the room's own burst
/// of join notices (half a million lines in all) is not slowness.
///
/// The first member says a line once it has heard every joiner arrive; each
/// joiner reads until that line, failing on anything but join notices
/// before it. Then the server shuts down and every member, still reading,
/// gets close code 1001, "going away", not 1008.
// On several threads, like the real server: members join truly side by side.
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_joiners_drops_no_member_that_keeps_reading() {
    // Both ends of a thousand connections live in this process.
    raise_open_file_limit();
    let server = start_ws_server().await;
    let url = format!("{}/chat", server.ws_url());
    let mut first = connect(&url).await;
    // The handshake is over before the server adds the member to the room:
    // the echo of a line shows that it is in, as guest-1, before anyone
    // else joins.
    say(&mut first, "here").await;
    assert_eq!(next_line(&mut first).await, "guest-1: here");

    let burst = async {
        let mut joining = JoinSet::new();
        for _ in 0..JOINERS {
            joining.spawn(join_and_read_until("guest-1: all in", url.clone()));
        }
        // Members are numbered, and announced, in the order they join.
        for joined in 2..=JOINERS + 1 {
            let notice = format!("* guest-{joined} joined");
            assert_eq!(next_line(&mut first).await, notice);
        }
        say(&mut first, "all in").await;
        assert_eq!(next_line(&mut first).await, "guest-1: all in");
        let mut members = vec![first];
        while let Some(joiner) = joining.join_next().await {
            members.push(joiner.expect("a joiner failed"));
        }
        members
    };
    let members = tokio::time::timeout(BURST_TIMEOUT, burst)
        .await
        .expect("the burst took longer than BURST_TIMEOUT");

    let shutdown = tokio::spawn(server.shutdown());
    for mut member in members {
        // Those that went before may be announced as leaving first.
        let close = loop {
            match receive(&mut member).await {
                Message::Close(close) => break close,
                Message::Text(line) if line.ends_with(" left") => {}
                other => panic!("expected close code 1001, got {other:?}"),
            }
        };
        assert_eq!(close.map(|close| close.code), Some(CloseCode::Away));
        // Reading on sends our answering close frame and sees the end.
        assert!(within(member.next()).await.is_none());
    }
    within(shutdown).await.unwrap();
}

/// Joins the room at `url` and reads every line until `last`, which it
/// returns with the connection. Anything but a join notice before `last`
/// (a close frame above all) fails the test. The wait for `last` lasts as
/// long as the burst, so it is bounded by the caller's [`BURST_TIMEOUT`].
async fn join_and_read_until(last: &str, url: String) -> Client {
    // A small read buffer: tungstenite's default is 128 KiB per connection.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut member, _) = within(tokio_tungstenite::connect_async_with_config(
        &url,
        Some(config),
        true,
    ))
    .await
    .expect("connect");
    loop {
        match member.next().await {
            Some(Ok(Message::Text(line))) if line == last => return member,
            Some(Ok(Message::Text(line)))
                if line.starts_with("* guest-") && line.ends_with(" joined") => {}
            other => panic!("a joiner got {other:?} before {last:?}"),
        }
    }
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
        async move {
            ws_client::session(&url, lines, &mut sink, &Default::default(), TIMEOUT, false).await
        }
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
