//! http-client against http-server, both inside the test process: the
//! article's HTTP exchange, and what the server sends on the wire.

use tests::{TIMEOUT, raw, start_http_server, within};

/// The client's library prints exactly the article's two lines.
#[tokio::test]
async fn client_prints_the_article_lines() {
    let server = start_http_server().await;
    let response = within(http_client::fetch(&server.http_url(), TIMEOUT, false))
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
        let response = within(http_client::fetch(&url, TIMEOUT, false))
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
    let demo = within(http_client::fetch(&url, TIMEOUT, false))
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
