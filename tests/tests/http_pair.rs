//! http-client against http-server, both inside the test process: the
//! article's HTTP exchange, what the server sends on the wire, and how long
//! a connection lives (keep-alive, the header deadline, shutdown).
//!
//! The tests of a deadline set the server's deadlines far from one another
//! and from [`TIMEOUT`] (15 s), so each can tell which one fired; those on
//! tokio's paused clock (`start_paused`) skip the waiting.
//!
//! Run: `cargo test -p tests --test http_pair`. Mirrors the article's "HTTP
//! Server Code" and "HTTP Client Code", run together.

use std::time::Duration;

use http_server::Options;
use tests::{TIMEOUT, raw, start_http_server, start_http_server_with, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The client's library prints exactly the article's two lines.
#[tokio::test]
async fn client_prints_the_article_lines() {
    let server = start_http_server().await;
    let response = within(http_client::fetch(
        &server.http_url(),
        &Default::default(),
        TIMEOUT,
        false,
    ))
    .await
    .expect("fetch");
    assert_eq!(
        http_client::report(&response),
        "Status Code: 200\nResponse Body: Hello, World! This is an HTTP response.\n"
    );
    server.shutdown().await;
}

/// Like the article's `do_GET`, the server answers a GET on any path, even
/// one that merely starts like a demonstration's (`/demo`, `/tick`).
#[tokio::test]
async fn every_path_gets_the_page() {
    let server = start_http_server().await;
    for path in ["/", "/index.html", "/a/b/c?d=e", "/democracy", "/ticket"] {
        let url = format!("{}{path}", server.http_url());
        let response = within(http_client::fetch(
            &url,
            &Default::default(),
            TIMEOUT,
            false,
        ))
        .await
        .expect("fetch");
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            response.body, "Hello, World! This is an HTTP response.",
            "{path}"
        );
    }
    server.shutdown().await;
}

/// `/demo` is the demonstration page, not the article's answer.
#[tokio::test]
async fn demo_serves_the_page() {
    let server = start_http_server().await;
    let url = format!("{}/demo", server.http_url());
    let demo = within(http_client::fetch(
        &url,
        &Default::default(),
        TIMEOUT,
        false,
    ))
    .await
    .expect("fetch");
    assert_eq!(demo.status, 200);
    assert!(
        demo.body.to_lowercase().starts_with("<!doctype html>"),
        "{}",
        demo.body
    );
    server.shutdown().await;
}

/// What the server writes on the wire: status line, `Content-Type: text/html`,
/// a `Content-Length` of 39, a blank line, then the body. `Connection: close`
/// asks it to close the connection after answering, as the article describes.
#[tokio::test]
async fn the_answer_on_the_wire() {
    let server = start_http_server().await;
    let answer = raw::exchange(
        server.addr,
        b"GET /x HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("\r\ncontent-type: text/html\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\r\ncontent-length: 39\r\n"), "{answer}");
    assert!(
        answer.ends_with("\r\n\r\nHello, World! This is an HTTP response."),
        "{answer}"
    );
    server.shutdown().await;
}

/// HEAD gets the same headers and no body; other methods get
/// `405 Method Not Allowed` with an `Allow` header naming GET and HEAD.
/// On `/`, on a deeper path and on a demonstration's.
#[tokio::test]
async fn head_works_and_other_methods_are_refused() {
    let server = start_http_server().await;
    for path in ["/", "/a/b", "/demo"] {
        let head = raw::exchange(
            server.addr,
            format!("HEAD {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await;
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.ends_with("\r\n\r\n"), "HEAD has no body: {head}");

        let post = raw::exchange(
            server.addr,
            format!("POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await;
        assert!(
            post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{post}"
        );
        assert!(post.contains("\r\nallow: GET,HEAD\r\n"), "{post}");
    }
    server.shutdown().await;
}

/// HTTP/1.1 keeps the connection open: two requests on one TCP connection
/// get two answers (the article's "each request re-establishes" is HTTP/1.0).
#[tokio::test]
async fn two_requests_share_one_connection() {
    let server = start_http_server().await;
    let answer = raw::exchange(server.addr, b"GET / HTTP/1.1\r\nHost: test\r\n\r\nGET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{answer}");
    server.shutdown().await;
}

// --- how long a connection lives -----------------------------------------

/// Sends a GET on `stream` and reads the answer up to the end of its body,
/// leaving the keep-alive connection open.
async fn get_on(stream: &mut TcpStream) {
    within(stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"))
        .await
        .unwrap();
    let mut answer = Vec::new();
    while !answer.ends_with(common::HELLO_BODY.as_bytes()) {
        let mut chunk = [0; 1024];
        let read = within(stream.read(&mut chunk)).await.unwrap();
        assert!(read > 0, "closed mid-answer: {answer:?}");
        answer.extend_from_slice(&chunk[..read]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"), "{answer:?}");
}

/// A keep-alive connection left idle after its answer is closed by the
/// server once the header deadline passes, so an idle client cannot hold a
/// socket forever. No shutdown is under way: the deadline is the only thing
/// that can close it.
#[tokio::test(start_paused = true)]
async fn an_idle_keep_alive_connection_is_closed_at_the_header_deadline() {
    let options = Options {
        header_timeout: 1,
        shutdown_grace: 3,
        tls: None,
    };
    let server = start_http_server_with(options).await;
    let mut idle = within(TcpStream::connect(server.addr)).await.unwrap();
    get_on(&mut idle).await;
    let answered = tokio::time::Instant::now();
    let mut byte = [0; 1];
    let read = within(idle.read(&mut byte))
        .await
        .expect("closed, not reset");
    assert_eq!(read, 0, "the server ended the connection");
    // On the paused clock: not closed at once after the answer, but when
    // the deadline had passed.
    assert!(
        answered.elapsed() >= Duration::from_secs(1),
        "closed too early"
    );
    server.shutdown().await;
}

/// Shutdown does not wait forever for a client in the middle of a request:
/// `serve` returns once the grace (3 s) is over, long before the header
/// deadline (100 s) would have dropped that client, and the client gets no
/// answer.
#[tokio::test(start_paused = true)]
async fn shutdown_is_bounded_despite_a_half_sent_request() {
    let options = Options {
        header_timeout: 100,
        shutdown_grace: 3,
        tls: None,
    };
    let server = start_http_server_with(options.clone()).await;
    let mut slow = within(TcpStream::connect(server.addr)).await.unwrap();
    within(slow.write_all(b"GET / HTTP/1.1\r\n")).await.unwrap();
    // The kernel queues connections in the order they arrive and the server
    // accepts them in that order, so once a second client is answered, the
    // first has been accepted too: the shutdown meets a request in flight,
    // not a connection still waiting in the queue.
    let answer = raw::exchange(
        server.addr,
        b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");

    let before = tokio::time::Instant::now();
    server.shutdown().await;
    let waited = before.elapsed();
    assert!(
        waited >= Duration::from_secs(options.shutdown_grace),
        "did not wait for the request in flight: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(options.header_timeout),
        "waited for the header deadline: {waited:?}"
    );
    let mut byte = [0; 1];
    assert!(
        !matches!(slow.try_read(&mut byte), Ok(read) if read > 0),
        "the half-sent request was answered"
    );
}

/// Shutdown closes an idle keep-alive connection at once: the client reads
/// the end of the stream and `serve` returns, while the header deadline
/// (100 s) and the grace (200 s) are both further off than [`TIMEOUT`], so
/// neither can have done it. Afterwards the port accepts no connections.
#[tokio::test]
async fn shutdown_closes_idle_connections_and_stops_listening() {
    let options = Options {
        header_timeout: 100,
        shutdown_grace: 200,
        tls: None,
    };
    let server = start_http_server_with(options).await;
    let addr = server.addr;
    let mut idle = within(TcpStream::connect(addr)).await.unwrap();
    get_on(&mut idle).await;

    server.shutdown().await;
    let mut byte = [0; 1];
    let read = within(idle.read(&mut byte))
        .await
        .expect("closed, not reset");
    assert_eq!(read, 0, "the server ended the connection");
    assert!(TcpStream::connect(addr).await.is_err());
}
