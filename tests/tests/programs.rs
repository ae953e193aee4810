//! The four programs as a reader runs them: real processes, started the way
//! `cargo run -p ...` starts them, talking over real sockets. Each test waits
//! for a server's started line before it starts a client.

use futures_util::StreamExt;
use tests::{ClientProcess, ServerProcess, run_client, text, within};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// `http-server`, then `http-client`: the article's output, exactly.
#[tokio::test]
async fn http_client_and_server_talk_like_the_article() {
    let server = ServerProcess::start("http-server", "HTTP server started.").await;
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );

    let output = run_client("http-client", &[&server.url], "").await;
    assert_eq!(
        text(&output.stdout),
        "Status Code: 200\nResponse Body: Hello, World! This is an HTTP response.\n"
    );
    assert_eq!(text(&output.stderr), "");
    assert!(output.status.success());
}

/// `echo hello | ws-client`: the article's single exchange, seen from both
/// sides.
#[tokio::test]
async fn ws_client_and_server_talk_like_the_article() {
    let mut server = ServerProcess::start("ws-server", "WebSocket server started.").await;
    assert!(server.url.starts_with("ws://127.0.0.1:"), "{}", server.url);

    let output = run_client("ws-client", &[&server.url], "hello\n").await;
    assert_eq!(
        text(&output.stdout),
        "Enter a message: Sent message: hello\n\
         Received response: Server Response: hello\n\
         Enter a message: \n"
    );
    assert_eq!(text(&output.stderr), "");
    assert!(output.status.success());
    assert_eq!(
        server.next_line().await.as_deref(),
        Some("Received Message: hello")
    );

    // The client closed properly, so the server has nothing to complain of.
    server.terminate().await;
    let (status, stderr) = server.exit().await;
    assert!(status.success());
    assert!(!stderr.contains("ended:"), "{stderr}");
}

/// A terminal session: the client keeps its connection and answers line
/// after line, each reply arriving before the next prompt.
#[tokio::test]
async fn ws_client_answers_line_after_line() {
    let mut server = ServerProcess::start("ws-server", "WebSocket server started.").await;
    let output = run_client("ws-client", &[&server.url], "one\ntwo\nthree\n").await;
    let stdout = text(&output.stdout);
    for word in ["one", "two", "three"] {
        assert!(
            stdout.contains(&format!(
                "Sent message: {word}\nReceived response: Server Response: {word}\nEnter a message: "
            )),
            "{stdout}"
        );
        assert_eq!(
            server.next_line().await,
            Some(format!("Received Message: {word}"))
        );
    }
}

/// SIGTERM stops the HTTP server cleanly: exit code 0.
#[tokio::test]
async fn http_server_exits_cleanly_on_sigterm() {
    let server = ServerProcess::start("http-server", "HTTP server started.").await;
    server.terminate().await;
    let (status, _) = server.exit().await;
    assert_eq!(status.code(), Some(0));
}

/// SIGTERM stops the WebSocket server cleanly: a connected client is sent
/// close code 1001, "going away", and the server exits with 0.
#[tokio::test]
async fn ws_server_says_going_away_on_sigterm() {
    let server = ServerProcess::start("ws-server", "WebSocket server started.").await;
    let (mut client, _) = within(tokio_tungstenite::connect_async(&server.url))
        .await
        .expect("connect");

    server.terminate().await;
    match within(client.next()).await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a close frame, got {other:?}"),
    }
    // Polling again sends our answering close frame; then the stream ends.
    assert!(within(client.next()).await.is_none());
    let (status, _) = server.exit().await;
    assert_eq!(status.code(), Some(0));
}

/// Nobody reads ws-server's output (a paused terminal, a pipe never
/// drained), so its printing thread is stuck writing. SIGTERM must still
/// end it, once `--shutdown-grace` has passed, with exit code 0.
#[tokio::test]
async fn ws_server_exits_even_when_nobody_reads_its_output() {
    let program = tests::program("ws-server");
    let server = ServerProcess::start_with(
        &program.to_string_lossy(),
        &["--port", "0", "--shutdown-grace", "1"],
        "WebSocket server started.",
    )
    .await;
    // A line four times the size of a pipe (64 KiB): the printing thread
    // fills the pipe and then waits, since the test reads no more output.
    let long = "x".repeat(256 * 1024);
    let mut client = tests::ws::connect(&server.url).await;
    let reply = tests::ws::echo(&mut client, &long).await;
    assert_eq!(reply.len(), "Server Response: ".len() + long.len());
    // The client is gone, so only the printing is left to wait for.
    drop(client);

    server.terminate().await;
    let (status, stderr) = server.exit().await;
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("nobody is reading standard output"),
        "{stderr}"
    );
}

/// A ws-client waiting at its prompt notices the server shutting down at
/// once, says so in one line, and exits with 1.
#[tokio::test]
async fn ws_client_reports_the_server_going_away() {
    let mut server = ServerProcess::start("ws-server", "WebSocket server started.").await;
    let mut client = ClientProcess::start("ws-client", &[&server.url]);
    client.type_text("first\n").await;
    assert_eq!(
        server.next_line().await.as_deref(),
        Some("Received Message: first")
    );

    server.terminate().await;
    // The client's standard input is still open: it is the server that ends this.
    let (status, stderr) = server.exit().await;
    assert_eq!(status.code(), Some(0));
    assert!(
        !stderr.contains("ended:"),
        "the close handshake completed: {stderr}"
    );

    let output = client.finish().await;
    tests::assert_one_line_error(&output, &["the server closed the connection", "1001"]);
    assert!(text(&output.stdout).ends_with("Enter a message: \n"));
}

/// `--help` explains each program's flags.
#[tokio::test]
async fn help_explains_the_flags() {
    for (program, flags) in [
        ("http-server", &["--host", "--port"][..]),
        ("ws-server", &["--host", "--port"]),
        ("http-client", &["[URL]", "--timeout", "--verbose"]),
        ("ws-client", &["[URL]", "--timeout", "--verbose"]),
    ] {
        let output = run_client(program, &["--help"], "").await;
        assert!(output.status.success(), "{program}");
        let help = text(&output.stdout);
        for flag in flags {
            assert!(help.contains(flag), "{program} --help lacks {flag}: {help}");
        }
    }
}

/// `--verbose` shows on standard error what crossed the wire, and leaves
/// standard output exactly as the article's.
#[tokio::test]
async fn verbose_clients_show_the_wire() {
    let http = ServerProcess::start("http-server", "HTTP server started.").await;
    let output = run_client("http-client", &["--verbose", &http.url], "").await;
    assert_eq!(
        text(&output.stdout),
        "Status Code: 200\nResponse Body: Hello, World! This is an HTTP response.\n"
    );
    let wire = text(&output.stderr);
    for line in [
        "> GET / HTTP/1.1",
        "< HTTP/1.1 200 OK",
        "< content-type: text/html",
        "< content-length: 39",
        "< Hello, World! This is an HTTP response.",
    ] {
        assert!(
            wire.lines().any(|l| l == line),
            "{line:?} missing from:\n{wire}"
        );
    }

    let ws = ServerProcess::start("ws-server", "WebSocket server started.").await;
    let output = run_client("ws-client", &["--verbose", &ws.url], "hello\n").await;
    assert_eq!(
        text(&output.stdout),
        "Enter a message: Sent message: hello\n\
         Received response: Server Response: hello\n\
         Enter a message: \n"
    );
    let wire = text(&output.stderr);
    for line in [
        "> GET / HTTP/1.1",
        "> Upgrade: websocket",
        "> Sec-WebSocket-Version: 13",
        "< HTTP/1.1 101 Switching Protocols",
        // "hello": 5 bytes, behind a 2-byte header and a 4-byte mask.
        "> [frame: text, 5-byte payload, masked, 6-byte header]",
        // "Server Response: hello": 22 bytes; servers do not mask.
        "< [frame: text, 22-byte payload, not masked, 2-byte header]",
        // The close handshake: code 1000 (2 bytes) each way.
        "> [frame: close, 2-byte payload, masked, 6-byte header]",
        "< [frame: close, 2-byte payload, not masked, 2-byte header]",
    ] {
        assert!(
            wire.lines().any(|l| l == line),
            "{line:?} missing from:\n{wire}"
        );
    }
    assert!(
        wire.lines()
            .any(|l| l.starts_with("< Sec-WebSocket-Accept: ")),
        "{wire}"
    );
}
