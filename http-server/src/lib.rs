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
//!
//! # Beyond the article: a server that holds up
//!
//! `axum::serve` would run this app in one line, but it sets no deadline for
//! reading a request, so a client that sends its headers a byte a minute
//! could hold a connection forever. [`serve`] is the same accept loop written
//! out, with hyper's settings made explicit: a deadline for the request head
//! (then the connection is dropped), a size limit for it (past it,
//! `431 Request Header Fields Too Large`), and a bounded graceful shutdown.
//! hyper answers a request it cannot parse with `400 Bad Request` itself.
//! And it answers the article's GET with [`hello`] without asking axum's
//! router: the article's program has no router, and axum's would cost about
//! a tenth of the server's speed.
//!
//! # Beyond the article: demonstrations
//!
//! A few paths show what the article only describes: `/tick/...` serves a
//! live feed the three ways HTTP can imitate a server push (`feed.rs`), and
//! `/demo` is a page that puts HTTP and WebSocket side by side in a browser
//! (`demo.html`). Every other path gets the article's answer.

mod feed;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use axum::http::{Method, Request};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use common::feed::Feed;
use common::server::SHUTDOWN_GRACE;
use futures_util::future::Either;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long a client has to send its whole request head (request line and
/// headers) once it starts one. A client that trickles it in more slowly,
/// or goes quiet on an idle keep-alive connection, is disconnected.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest request head accepted; a larger one is answered `431 Request
/// Header Fields Too Large`. Browsers send a few hundred bytes to a few KiB.
pub const MAX_HEAD_SIZE: usize = 16 * 1024;

/// The routes: the article's handler for every path but the demonstrations'.
///
/// `/{*path}` matches every path but `/` (axum tries the more specific
/// routes first), so `/`, `/index.html` and `/any/thing` all get the same
/// page, as with the article's `do_GET`. `get(...)` also answers `HEAD`
/// (same headers, no body) and answers any other method with
/// `405 Method Not Allowed` and an `Allow` header.
///
/// [`serve`] answers a GET for any path outside `/demo` and `/tick` with
/// [`hello`] without asking this router (see `is_article_get`: a new
/// demonstration route must be named there too); this router answers
/// everything else.
///
/// It is a function of its own so tests can call it without opening a socket.
pub fn app(feed: Feed) -> Router {
    Router::new()
        .route("/demo", get(demo))
        .merge(feed::routes(feed))
        .route("/", get(hello))
        .route("/{*path}", get(hello))
}

/// The article's `do_GET`: status 200, one header, the body.
///
/// Everything here is `'static` (`from_static` even spares copying the
/// header value): answering a request allocates nothing of our own, so the
/// time goes to the protocol, not to this handler. The body is a `Body`, not
/// a plain `&str`: axum gives a `&str` the content type `text/plain`, which
/// the header here would then have to replace, for every request. (Public so
/// the benchmark's plain axum server answers with the very same handler.)
pub async fn hello() -> ([(HeaderName, HeaderValue); 1], Body) {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(common::HTML_CONTENT_TYPE),
        )],
        Body::from(common::HELLO_BODY),
    )
}

/// Whether `request` is the article's: a GET for a path that is not one of
/// the demonstrations' (`/demo`, `/tick/...`). Generous with the
/// demonstrations on purpose: a GET for `/ticket` is not counted as the
/// article's, and goes to the router, which answers it with the article's
/// page all the same.
fn is_article_get(request: &Request<Incoming>) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET && !path.starts_with("/demo") && !path.starts_with("/tick")
}

/// The demonstration page: plain HTML and a little JavaScript, compiled
/// into the program so it works from any directory.
async fn demo() -> Html<&'static str> {
    Html(include_str!("demo.html"))
}

/// hyper's settings for each connection: a deadline ([`HEADER_TIMEOUT`])
/// and a size limit ([`MAX_HEAD_SIZE`]) for every request head. (Public so
/// the benchmark can measure a bare hyper server with the same settings.)
pub fn connection_settings() -> http1::Builder {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_HEAD_SIZE);
    http
}

/// Serves HTTP on `listener`, with `feed` behind `/tick/...`, until
/// `shutdown` completes.
///
/// Each accepted connection gets its own task, so one slow or broken client
/// cannot hold up another; errors on one connection end only that connection.
/// On shutdown it stops accepting, closes the feed (which ends its streams
/// and long polls), lets requests in flight finish, closes idle keep-alive
/// connections, and returns within [`SHUTDOWN_GRACE`], dropping the requests
/// still in flight then.
/// `main` passes Ctrl-C/SIGTERM as `shutdown`; tests pass a channel and a
/// listener bound to port 0.
pub async fn serve(listener: TcpListener, feed: Feed, shutdown: impl Future<Output = ()>) {
    // The article's server has no routes: its `do_GET` answers every path.
    // So the article's GET is answered by calling `hello` directly, and only
    // the rest (the demonstrations, HEAD, other methods) goes through axum's
    // router. The router gives the same answer, at a price paid for every
    // request: finding the route, recording its (empty) path parameters,
    // boxing the request body, the handler's future and the response body.
    // That cost about a tenth of the server's speed (README: "The servers
    // beside their peers"). `with_state(())` makes the router a ready
    // service once, here, not on every request.
    let site = TowerToHyperService::new(app(feed.clone()).with_state(()));
    let answer = service_fn(move |request: Request<Incoming>| {
        if is_article_get(&request) {
            Either::Left(async { Ok(hello().await.into_response()) })
        } else {
            Either::Right(site.call(request))
        }
    });
    let http = connection_settings();
    // Tracks every connection, so shutdown can ask each to finish.
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let (stream, _peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = common::server::accept(&listener) => accepted,
        };
        // hyper reads requests from the socket and writes the responses
        // `answer` gives it; `TokioIo` and `TowerToHyperService` only adapt
        // tokio's socket and axum's router to hyper's traits.
        let connection = http.serve_connection(TokioIo::new(stream), answer.clone());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that vanished or sent garbage: its business, not ours.
            let _ = connection.await;
        });
    }

    // Closing the listener makes the kernel refuse new connections.
    drop(listener);
    feed.close();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// The whole program: bind, say where, serve until Ctrl-C or SIGTERM, with
/// a feed that ticks every `tick_interval`.
pub async fn run(host: &str, port: u16, tick_interval: Duration) -> anyhow::Result<()> {
    let shutdown = common::server::shutdown_signal()?;
    let listener = common::server::bind(host, port).await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("{}", common::http_server_started(&url));
    serve(listener, Feed::ticking(tick_interval), shutdown).await;
    Ok(())
}
