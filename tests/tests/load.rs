//! The slow suite: ws-server under ten thousand connections and with its
//! file descriptors exhausted. These tests take tens of seconds, so they are
//! `#[ignore]`d in `cargo test --workspace`; run them with
//!
//! ```sh
//! cargo test -p tests --test load -- --ignored
//! ```
//!
//! (CI does.) The server runs as its own process: both ends of 10,000
//! connections in one process would need 20,000 file descriptors, more than
//! some machines allow one process.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tests::ws::{self, Client, assert_still_serves};
use tests::{ServerProcess, raise_open_file_limit, within};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// How many connections the big test holds at once: the server's default cap.
const CONNECTIONS: usize = 10_000;

/// How many handshakes are in flight at once while connecting, so that the
/// server's listen queue is never the thing being measured.
const CONNECTING_AT_ONCE: usize = 200;

/// Connects with a small read buffer (tungstenite's default is 128 KiB,
/// 1.25 GiB for ten thousand clients), sends `text`, checks the reply.
async fn connect_and_echo(url: String, id: usize, slots: Arc<Semaphore>) -> (usize, Client) {
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let slot = slots.acquire_owned().await.unwrap();
    let (mut client, _) = within(tokio_tungstenite::connect_async_with_config(
        &url,
        Some(config),
        true,
    ))
    .await
    .unwrap_or_else(|err| panic!("client {id} could not connect: {err}"));
    drop(slot);
    echo(&mut client, id, "hello").await;
    (id, client)
}

/// Sends `word` from client `id` and checks the reply names both.
async fn echo(client: &mut Client, id: usize, word: &str) {
    let text = format!("{word} from {id}");
    assert_eq!(
        ws::echo(client, &text).await,
        format!("Server Response: {text}")
    );
}

/// Ten thousand clients at once each get their own replies; then half of
/// them vanish abruptly (a TCP reset, no close frame), and the other half are
/// still answered, as is a new client.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: run with --ignored"]
async fn ten_thousand_clients_and_half_of_them_vanish() {
    raise_open_file_limit();
    let mut server = ServerProcess::start("ws-server", "WebSocket server started.").await;
    // 20,000 lines of `Received Message: ...` and 5,000 of `connection ...
    // ended` would fill the pipes.
    server.discard_output();

    let slots = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let mut connecting = JoinSet::new();
    for id in 0..CONNECTIONS {
        connecting.spawn(connect_and_echo(server.url.clone(), id, slots.clone()));
    }
    let mut clients = Vec::with_capacity(CONNECTIONS);
    while let Some(result) = tokio::time::timeout(Duration::from_secs(120), connecting.join_next())
        .await
        .expect("connecting took over two minutes")
    {
        clients.push(result.expect("a client failed"));
    }
    assert_eq!(clients.len(), CONNECTIONS);

    // Half vanish: SO_LINGER 0 makes closing the socket send a reset.
    let (vanishing, staying): (Vec<_>, Vec<_>) =
        clients.into_iter().partition(|(id, _)| id % 2 == 0);
    for (_, client) in vanishing {
        if let MaybeTlsStream::Plain(tcp) = client.get_ref() {
            tcp.set_zero_linger().unwrap();
        }
        drop(client);
    }

    let mut talking = JoinSet::new();
    for (id, mut client) in staying {
        talking.spawn(async move {
            echo(&mut client, id, "again").await;
            within(client.close(None)).await.unwrap();
            while within(client.next()).await.is_some() {}
        });
    }
    while let Some(result) = tokio::time::timeout(Duration::from_secs(120), talking.join_next())
        .await
        .expect("the second round took over two minutes")
    {
        result.expect("a staying client failed");
    }
    assert_still_serves(&server.url).await;

    server.terminate().await;
    let (status, _) = server.exit().await;
    assert!(status.success());
}

/// When the process runs out of file descriptors, accepting fails. The
/// server logs it, backs off instead of spinning, and serves again as soon
/// as descriptors are free.
///
/// The back-off is read off the log's own timestamps: each failed `accept`
/// is logged, so a loop that spun would log thousands of lines a second,
/// while one that backs off logs one per `ACCEPT_BACKOFF` (100 ms, in
/// `common::server`) at the most.
#[tokio::test]
#[ignore = "slow: run with --ignored"]
async fn out_of_file_descriptors_the_server_backs_off_and_recovers() {
    // A hard limit of 64 descriptors, which the server cannot raise.
    let server = ServerProcess::start_with(
        "sh",
        &[
            "-c",
            &format!(
                "ulimit -n 64 && exec {} --port 0",
                tests::program("ws-server").display()
            ),
        ],
        "WebSocket server started.",
    )
    .await;
    let addr = server.url.trim_start_matches("ws://").to_string();

    // More connections than it has descriptors for; they need not handshake.
    let mut hogs = Vec::new();
    for _ in 0..100 {
        hogs.push(within(TcpStream::connect(&addr)).await.unwrap());
    }
    let mut server = server;
    let mut failures = Vec::new();
    while failures.len() < 4 {
        let line = server.next_stderr_line().await;
        let line = line.expect("the server's log ended");
        assert!(
            line.contains("could not accept a connection: Too many open files"),
            "{line:?}"
        );
        failures.push(time_of_day(&line).unwrap_or_else(|| panic!("no time in {line:?}")));
    }
    for pair in failures.windows(2) {
        // Past midnight the time of day starts again: that pair tells nothing.
        let Some(gap) = pair[1].checked_sub(pair[0]) else {
            continue;
        };
        assert!(
            gap >= Duration::from_millis(100),
            "accept was retried after {gap:?}, not backed off: {failures:?}"
        );
    }

    drop(hogs);
    assert_still_serves(&server.url).await;
    server.terminate().await;
    let (status, _) = server.exit().await;
    assert!(status.success());
}

/// The time of day a log line was written, from the RFC 3339 timestamp
/// tracing puts first (`2026-12-03T11:01:49.805278Z  WARN ...`).
fn time_of_day(line: &str) -> Option<Duration> {
    let (_, time) = line.split_whitespace().next()?.split_once('T')?;
    let mut fields = time.trim_end_matches('Z').split(':');
    let hours: u64 = fields.next()?.parse().ok()?;
    let minutes: u64 = fields.next()?.parse().ok()?;
    let seconds: f64 = fields.next()?.parse().ok()?;
    Some(Duration::from_secs(hours * 3600 + minutes * 60) + Duration::from_secs_f64(seconds))
}
