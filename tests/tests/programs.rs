//! The four programs as a reader runs them: real processes, started the way
//! `cargo run -p ...` starts them, talking over real sockets. Each test waits
//! for a server's started line before it starts a client.
//!
//! Run: `cargo test -p tests --test programs`. Mirrors the article's four
//! programs as it runs them: a server in one terminal, its client in another.

use std::collections::HashMap;
use std::net::SocketAddr;

use futures_util::StreamExt;
use tests::{ClientProcess, ServerProcess, raw, run_client, text, within};
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;
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

/// Nobody reads ws-server's output for a while (a terminal scrolled back):
/// the pipe and the printer's queue fill, and still every message is
/// answered. The lines that found no room are dropped, and the log says how
/// many: printed and dropped make up every message.
#[tokio::test]
async fn a_stalled_stdout_does_not_hold_up_the_echo() {
    let mut server = ServerProcess::start("ws-server", "WebSocket server started.").await;
    // 100 messages of 10 KiB: far more than the pipe (64 KiB) and the
    // printer's queue hold.
    let long = "x".repeat(10 * 1024);
    let mut client = tests::ws::connect(&server.url).await;
    for _ in 0..100 {
        let reply = tests::ws::echo(&mut client, &long).await;
        assert_eq!(reply.len(), "Server Response: ".len() + long.len());
    }
    tests::ws::hang_up(client).await;

    // Reading again lets the printing thread write, and then log its count.
    server.terminate().await;
    let mut printed = 0;
    while let Some(line) = server.next_line().await {
        assert_eq!(line, format!("Received Message: {long}"));
        printed += 1;
    }
    let (status, stderr) = server.exit().await;
    assert!(status.success(), "{stderr}");
    let dropped: usize = stderr
        .lines()
        .filter_map(|line| line.split_once(" Received Message lines were not printed"))
        .map(|(before, _)| before.rsplit(' ').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert!(dropped > 0, "{stderr}");
    assert_eq!(printed + dropped, 100, "{stderr}");
}

/// `ws-server 2>&1 | tee log` under load: both streams in one pipe, long
/// `Received Message` lines (each a write over the 4 KiB a pipe keeps
/// whole), and log lines written while the pipe is full. No line is cut in
/// two (each is one whole `Received Message` line of a message a client
/// sent, or one whole log line), and a connection that logs while the pipe
/// is full does not hold up the next one.
#[tokio::test]
async fn ws_server_keeps_every_line_whole_with_both_streams_in_one_pipe() {
    let program = tests::program("ws-server");
    // RUST_LOG is set so that what the test expects to be logged is logged
    // whatever the environment says.
    let command = format!("RUST_LOG=info exec {} --port 0 2>&1", program.display());
    let mut server =
        ServerProcess::start_with("sh", &["-c", &command], "WebSocket server started.").await;

    // The test reads nothing more until the end, so the pipe (64 KiB) fills
    // and the rest of the lines wait in the server (about 120 KiB in all).
    let mut clients = JoinSet::new();
    for client in 0..4 {
        clients.spawn(send_messages(server.url.clone(), client));
    }
    let mut unprinted: HashMap<String, usize> = HashMap::new();
    while let Some(sent) = clients.join_next().await {
        for message in sent.expect("a client failed") {
            *unprinted.entry(message).or_default() += 1;
        }
    }
    // Now the log, behind the full pipe: two clients that break the
    // protocol (the server logs that their connections ended), then SIGTERM
    // (it logs that it is shutting down).
    let addr: SocketAddr = server.url.trim_start_matches("ws://").parse().unwrap();
    let mut breakers = Vec::new();
    for _ in 0..2 {
        breakers.push(send_invalid_utf8(addr).await);
    }
    server.terminate().await;

    let mut lines = Vec::new();
    while let Some(line) = server.next_line().await {
        lines.push(line);
    }
    let mut logged = Vec::new();
    for line in &lines {
        if let Some(message) = line.strip_prefix("Received Message: ") {
            let count = unprinted.get_mut(message);
            assert!(
                count.as_ref().is_some_and(|count| **count > 0),
                "not a message a client sent, or printed twice: {line:?}"
            );
            *count.unwrap() -= 1;
        } else {
            let message = log_message(line).unwrap_or_else(|| panic!("not a whole line: {line:?}"));
            logged.push(message.to_string());
        }
    }
    assert!(unprinted.values().all(|count| *count == 0), "lines missing");
    // The log lines are whole, and the ones this test provoked are all there.
    for breaker in &breakers {
        let ended = format!("connection from {breaker} ended: ");
        let found = logged.iter().filter(|m| m.starts_with(&ended)).count();
        assert_eq!(found, 1, "{ended:?} in {logged:#?}");
    }
    assert_eq!(
        logged
            .iter()
            .filter(|m| m.starts_with("Shutting down: "))
            .count(),
        1,
        "{logged:#?}"
    );
    let (status, _) = server.exit().await;
    assert!(status.success());
}

/// One client's share of the load: 25 messages, every fifth of them 6 KiB
/// long, each answered before the next is sent, then a proper close.
/// Returns the messages sent.
async fn send_messages(url: String, client: usize) -> Vec<String> {
    let mut ws = tests::ws::connect(&url).await;
    let mut sent = Vec::new();
    for n in 0..25 {
        let mut message = format!("client {client} message {n:02}");
        if n % 5 == 0 {
            message.push(' ');
            message.push_str(&"long ".repeat(1200));
        }
        let reply = tests::ws::echo(&mut ws, &message).await;
        assert_eq!(reply, common::server_response(&message));
        sent.push(message);
    }
    tests::ws::hang_up(ws).await;
    sent
}

/// A client that sends a text frame which is not UTF-8, and is answered with
/// close code 1007. Returns its address, which the server's log names.
async fn send_invalid_utf8(addr: SocketAddr) -> SocketAddr {
    let mut stream = raw::handshake(addr).await;
    let frame = raw::masked_frame(0x81, &[0xff]);
    within(stream.write_all(&frame)).await.expect("write");
    assert_eq!(raw::read_close_code(&mut stream).await, 1007);
    stream.local_addr().unwrap()
}

/// The message of one whole line of ws-server's log: what follows
/// `tracing`'s prefix (the time, the level, and the module that logged).
/// `None` if the line is not that.
fn log_message(line: &str) -> Option<&str> {
    let (prefix, message) = line.split_once(": ")?;
    let words: Vec<&str> = prefix.split_whitespace().collect();
    let [time, level, _module] = words.as_slice() else {
        return None;
    };
    let is_time = time.starts_with("20") && time.ends_with('Z');
    let is_level = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"].contains(level);
    (is_time && is_level).then_some(message)
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
    // hyper writes the server's header names in lower case.
    assert!(
        wire.lines()
            .any(|l| l.starts_with("< sec-websocket-accept: ")),
        "{wire}"
    );
}
