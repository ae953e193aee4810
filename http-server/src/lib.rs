//! The article's HTTP server, on axum: every GET, on any path, is answered
//! with `200 OK`, `Content-Type: text/html` and the body
//! `Hello, World! This is an HTTP response.`
//!
//! Run it with `cargo run -p http-server` (add `-- --port 0` for any free
//! port), then `cargo run -p http-client` in a second terminal, or open
//! <http://localhost:8000> in a browser.
//!
//! Mirrors the article's "HTTP Server Code" (`BaseHTTPRequestHandler` with
//! a `do_GET` that calls `send_response(200)`, `send_header`, `wfile.write`).
//!
//! # What crosses the wire
//!
//! The client opens a TCP connection and writes a request as text:
//!
//! ```text
//! GET / HTTP/1.1
//! Host: localhost:8000
//!
//! ```
//!
//! and this server writes back a status line, headers, a blank line, and the
//! body, whose length `Content-Length` announces:
//!
//! ```text
//! HTTP/1.1 200 OK
//! content-type: text/html
//! content-length: 39
//! date: Sun, 22 Nov 2026 11:00:00 GMT
//!
//! Hello, World! This is an HTTP response.
//! ```
//!
//! The article says the connection is then closed. That was HTTP/1.0's
//! default; an HTTP/1.1 server such as this one keeps the connection open for
//! the client's next request unless either side sends `Connection: close`.

use std::future::Future;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use tokio::net::TcpListener;

/// The routes: one handler for every path.
///
/// `fallback` catches whatever no route matched, which with no routes is
/// everything, so `/`, `/index.html` and `/any/thing` all get the same page,
/// as with the article's `do_GET`. `get(...)` also answers `HEAD` (same
/// headers, no body) and answers any other method with `405 Method Not
/// Allowed` and an `Allow` header.
///
/// It is a function of its own so tests can call it without opening a socket.
pub fn app() -> Router {
    Router::new().fallback(get(hello))
}

/// The article's `do_GET`: status 200, one header, the body.
///
/// Everything here is `'static`: answering a request allocates nothing of
/// our own, so the time goes to the protocol, not to this handler.
async fn hello() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    (
        [(CONTENT_TYPE, common::HTML_CONTENT_TYPE)],
        common::HELLO_BODY,
    )
}

/// Serves HTTP on `listener` until `shutdown` completes.
///
/// Then it stops accepting, lets requests in flight finish, closes idle
/// keep-alive connections and returns. `main` passes Ctrl-C/SIGTERM as
/// `shutdown`; tests pass a channel and a listener bound to port 0.
///
/// Each accepted connection gets its own task, so one slow or broken client
/// cannot hold up another; errors on one connection end only that connection.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app())
        .with_graceful_shutdown(shutdown)
        .await
}

/// The whole program: bind, say where, serve until Ctrl-C or SIGTERM.
pub async fn run(host: &str, port: u16) -> anyhow::Result<()> {
    let shutdown = common::server::shutdown_signal()?;
    let listener = common::server::bind(host, port).await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("{}", common::http_server_started(&url));
    serve(listener, shutdown).await?;
    Ok(())
}
