//! Every way a run can go wrong on the user's side, with the real programs:
//! each must end with one clear line on standard error and exit code 1,
//! never a panic, a backtrace or a hang.
//!
//! Run: `cargo test -p tests --test errors`.

use common::feed::Feed;
use futures_util::{SinkExt, StreamExt};
use tests::{assert_one_line_error, run_client, serve_one, text, unused_port, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// No server is running: the clients name the URL they tried and the command
/// that starts the server.
#[tokio::test]
async fn clients_explain_that_no_server_is_running() {
    let port = unused_port().await;
    for (client, scheme, server) in [
        ("http-client", "http", "http-server"),
        ("ws-client", "ws", "ws-server"),
    ] {
        let url = format!("{scheme}://127.0.0.1:{port}");
        let output = run_client(client, &[&url], "").await;
        let start = format!("cargo run -p {server}");
        assert_one_line_error(&output, &[&url, &start, "refused"]);
    }
}

/// A URL that does not parse, or that names no host.
#[tokio::test]
async fn clients_refuse_malformed_urls() {
    for (client, url) in [
        ("http-client", "http://[::1"),
        ("http-client", "localhost:8000"),
        ("ws-client", "ws://[::1"),
        ("ws-client", "not a url"),
    ] {
        let output = run_client(client, &[url], "").await;
        assert_one_line_error(&output, &[url]);
    }
}

/// Each client speaks one protocol (plain or over TLS), and says which
/// scheme to use instead.
#[tokio::test]
async fn clients_refuse_the_wrong_scheme() {
    for (client, url, hint) in [
        ("http-client", "ws://localhost:8765", "speaks http://"),
        ("http-client", "wss://localhost", "and https://"),
        ("ws-client", "http://localhost:8000", "speaks ws://"),
        ("ws-client", "https://localhost", "and wss://"),
    ] {
        let output = run_client(client, &[url], "").await;
        assert_one_line_error(&output, &[url, hint]);
    }
}

/// Asking an HTTP server for a WebSocket: it answers `200 OK` instead of
/// `101 Switching Protocols`, and ws-client says the handshake failed.
#[tokio::test]
async fn ws_client_explains_a_server_that_is_not_websocket() {
    let server = tests::start_http_server().await;
    let output = run_client("ws-client", &[&server.ws_url()], "").await;
    assert_one_line_error(&output, &["did not accept the WebSocket handshake", "200"]);
    server.shutdown().await;
}

/// A server that accepts the TCP connection, reads the request and hangs up
/// without answering.
#[tokio::test]
async fn http_client_explains_a_server_that_hangs_up() {
    let (url, server) = serve_one("http", "", |mut stream| async move {
        let mut request = [0; 16];
        let _ = stream.read(&mut request).await;
        // Dropping the stream closes the connection.
    })
    .await;
    let output = run_client("http-client", &[&url], "").await;
    assert_one_line_error(&output, &[&url, "closed the connection without answering"]);
    within(server).await.unwrap();
}

/// A server that accepts the connection and never answers: the client gives
/// up after `--timeout` seconds instead of hanging.
#[tokio::test]
async fn clients_give_up_on_a_silent_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    for (client, url) in [
        ("http-client", format!("http://{addr}")),
        ("ws-client", format!("ws://{addr}")),
    ] {
        let output = run_client(client, &[&url, "--timeout", "0.2"], "").await;
        assert_one_line_error(&output, &[&url, "no answer", "--timeout"]);
    }
    drop(listener);
}

/// A feed whose server goes quiet and answers no ping (its machine vanished,
/// say, which sends not even a TCP reset): ws-client at `/tick` pings it
/// after `--timeout` of silence and gives up after another, instead of
/// waiting forever.
#[tokio::test]
async fn ws_client_gives_up_on_a_feed_gone_silent() {
    let (url, server) = serve_one("ws", "/tick", |stream| async move {
        // Returned, so the connection stays open until the test drops it,
        // and never read, so a ping goes unanswered.
        tokio_tungstenite::accept_async(stream).await.unwrap()
    })
    .await;
    let output = run_client("ws-client", &[&url, "--timeout", "0.2"], "").await;
    assert_one_line_error(&output, &["went silent", "ping", "--timeout"]);
    drop(within(server).await.unwrap());
}

/// A feed that is merely quiet answers the ping, and the client keeps
/// waiting for its tick: the ping tells a slow feed from a dead one. The
/// feed answers the first ping with a pong alone and stays silent until a
/// second ping, so a client that gave up on a feed that only pongs would
/// fail here.
#[tokio::test]
async fn ws_client_waits_on_a_quiet_feed_that_answers_pings() {
    let (url, server) = serve_one("ws", "/tick", |stream| async move {
        let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        // tungstenite queues the pong as it reads a ping, and sends it when
        // the stream is next read or written: reading on for the second
        // ping sends the first pong, and nothing else.
        for _ in 0..2 {
            let ping = ws.next().await.unwrap().unwrap();
            assert!(ping.is_ping(), "{ping:?}");
        }
        let tick = Feed::new().publish().unwrap();
        ws.send(Message::text(tick.to_json())).await.unwrap();
        // Wait for the client to close, so it is not cut off mid-handshake.
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    let output = run_client("ws-client", &[&url, "--timeout", "0.2", "--count", "1"], "").await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.starts_with("tick 1: price "), "{stdout}");
    within(server).await.unwrap();
}

/// A WebSocket server that takes one message and then drops the TCP
/// connection without a close frame: ws-client says the connection broke.
#[tokio::test]
async fn ws_client_explains_a_connection_dropped_mid_conversation() {
    let (url, server) = serve_one("ws", "", |stream| async move {
        let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        let _first = ws.next().await;
        // Dropping `ws` closes the TCP connection with no close frame.
    })
    .await;
    let output = run_client("ws-client", &[&url], "hello\nnever answered\n").await;
    assert_one_line_error(&output, &["the connection to the server broke"]);
    assert!(text(&output.stdout).starts_with("Enter a message: Sent message: hello\n"));
    within(server).await.unwrap();
}

/// Flags that make no sense are refused with exit code 1 (not a panic).
#[tokio::test]
async fn nonsense_flags_are_refused() {
    for (program, args) in [
        ("http-client", &["--timeout=-1"][..]),
        ("http-client", &["--timeout", "0"]),
        ("ws-client", &["--timeout", "soon"]),
        ("http-server", &["--port", "80000"]),
        ("ws-server", &["--port", "eighty"]),
    ] {
        let output = run_client(program, args, "").await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{program}: {stderr}");
        assert!(stderr.starts_with("error: "), "{program}: {stderr}");
        assert!(!stderr.contains("panicked"), "{program}: {stderr}");
    }
}

/// A flag that does nothing where the URL points is refused, not silently
/// ignored: `--count` away from the feed (both clients), `--interval` away
/// from short polling. The error names the flag, the URL given, and the same
/// server's URL where the flag applies. Nothing listens on the port, so a
/// client that ignored the flag would fail to connect instead, with another
/// message.
#[tokio::test]
async fn clients_refuse_flags_that_do_not_apply() {
    let server = format!("127.0.0.1:{}", unused_port().await);
    let (http, ws) = (format!("http://{server}"), format!("ws://{server}"));
    let latest = format!("{http}/tick/latest");
    let next = format!("{http}/tick/next");
    let chat = format!("{ws}/chat");
    let tick = format!("{ws}/tick");
    for (client, url, flag, applies) in [
        ("http-client", &http, "--count", &latest),
        ("http-client", &http, "--interval", &latest),
        ("http-client", &next, "--interval", &latest),
        ("ws-client", &ws, "--count", &tick),
        ("ws-client", &chat, "--count", &tick),
    ] {
        let output = run_client(client, &[url, flag, "2"], "").await;
        assert_one_line_error(&output, &[flag, "applies only", applies, url]);
    }
}

/// The port is taken: each server names the address and suggests `--port`.
#[tokio::test]
async fn servers_explain_a_port_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for server in ["http-server", "ws-server"] {
        let output = run_client(server, &["--port", &port], "").await;
        let address = format!("127.0.0.1:{port}");
        assert_one_line_error(&output, &[&address, "already in use", "--port"]);
    }
}

/// A server that answers with something that is not HTTP at all: each client
/// says so in one line instead of hanging or panicking.
#[tokio::test]
async fn clients_explain_a_server_that_answers_garbage() {
    for (client, scheme, complaint) in [
        (
            "http-client",
            "http",
            "answered with something that is not HTTP",
        ),
        ("ws-client", "ws", "did not accept the WebSocket handshake"),
    ] {
        let (url, server) = serve_one(scheme, "", |mut stream| async move {
            let mut request = [0; 1024];
            let _ = stream.read(&mut request).await;
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n").await;
        })
        .await;
        let output = run_client(client, &[&url], "").await;
        assert_one_line_error(&output, &[&url, complaint]);
        within(server).await.unwrap();
    }
}
