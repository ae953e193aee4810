//! The article's HTTP server: every GET, on any path, is answered with
//! `200 OK`, `Content-Type: text/html` and the body
//! `Hello, World! This is an HTTP response.`
//!
//! Run it with `cargo run -p http-server` (add `-- --port 0` for any free
//! port, `-- --help` for the rest), then `cargo run -p http-client` in a
//! second terminal, or open <http://localhost:8000> in a browser.
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
//! # The site is one `match`
//!
//! The article's handler has no routes: `do_GET` is called for every GET,
//! whatever its path, and writes the same page. `answer` is that method:
//! one `match` on the request's path, which sends every path to the
//! article's page but the demonstrations (`/tick/latest`, `/tick/next`,
//! `/tick/stream`, `/demo`, and `POST /echo`). A method other than GET or
//! HEAD gets `405 Method Not Allowed`, as `do_GET` alone answers only GET.
//! So the whole site is one list, read top to bottom, with nothing to keep
//! in step with it. hyper (the HTTP library under axum) reads each request
//! off the socket and hands it to `answer`; from axum this server takes only
//! ready-made answers (an event stream, a query parser, an HTML page), not
//! its router.
//!
//! # Beyond the article: a server that holds up
//!
//! `axum::serve` would run a site in one line, but it sets no deadline for
//! reading a request, so a client that sends its headers a byte a minute
//! could hold a connection forever. [`serve`] is the accept loop written
//! out, with hyper's settings made explicit (`connection.rs`): a deadline
//! for the request head (then the connection is dropped), a size limit for
//! it (past it, `431 Request Header Fields Too Large`), limits for HTTP/2,
//! and a bounded graceful shutdown. hyper answers a request it cannot parse
//! with `400 Bad Request` itself.
//!
//! # Beyond the article: HTTP/2
//!
//! The same port speaks HTTP/2 to a client that asks for it. The requests
//! and answers mean what they meant (a method, a path, headers, a status, a
//! body), and `answer` cannot tell the versions apart; what changes is how
//! they cross the wire:
//!
//! - Binary frames instead of text lines. Every frame starts with a 9-byte
//!   header: its length, its type (`HEADERS`, `DATA`, `SETTINGS`, `PING`,
//!   `GOAWAY`, ...), flags such as `END_STREAM`, and a stream id.
//! - Streams. Each request and its answer are one stream, with an odd id
//!   the client picks (1, 3, 5, ...), and the frames of many streams
//!   interleave on one connection: a slow answer no longer holds up the
//!   ones behind it, so a browser needs one connection, not six.
//! - HPACK. Headers travel compressed, in `HEADERS` frames: `:method`,
//!   `:path`, `:scheme` and `:authority` replace the request line and
//!   `Host`, `:status` the status line, and a header sent before on the
//!   connection shrinks to an index into a table both ends keep.
//!
//! A client starts with the 24-byte preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`
//! and a `SETTINGS` frame. On plain TCP it does so with prior knowledge
//! (h2c: `curl --http2-prior-knowledge`, `http-client --http2`); over TLS
//! it names `h2` in the handshake (ALPN) and the server agrees. Browsers
//! speak HTTP/2 over TLS only. The first bytes tell hyper which version a
//! connection speaks.
//!
//! # Beyond the article: demonstrations
//!
//! `/tick/...` serves a live feed the three ways HTTP can imitate a server
//! push (`feed.rs`), `/demo` is a page that puts HTTP and WebSocket side by
//! side in a browser (`demo.html`), and `POST /echo` streams a request's
//! body back while it is still arriving (`echo.rs`), HTTP's full duplex.

mod connection;
mod echo;
mod feed;

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use axum::http::{Method, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use common::feed::Feed;
use common::server::SHUTDOWN_GRACE;
use common::shared::RedisOptions;
use common::tls::{ServerTls, ServerTlsOptions};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::Service;

use connection::Connection;

/// The default number of seconds a client has to send a request head.
const HEADER_TIMEOUT_SECS: u64 = 10;

/// The application protocols the server speaks, as named in a TLS
/// handshake (ALPN), most preferred first: a client that offers both gets
/// HTTP/2.
const ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

/// The largest request head accepted; a larger one is answered `431 Request
/// Header Fields Too Large`. Browsers send a few hundred bytes to a few KiB.
const MAX_HEAD_SIZE: usize = 16 * 1024;

/// Choices a user makes on the command line (`http-server --help` lists
/// them), or a program that runs [`serve_with`] makes in code.
#[derive(Clone, Debug, clap::Args)]
pub struct Options {
    /// Seconds a client has to send a request's line and headers once the
    /// connection is ready for one; a slower client, or one that leaves a
    /// keep-alive connection idle this long, is disconnected (1 to 3600)
    #[arg(long, default_value_t = HEADER_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds shutting down may take, for the requests in flight to be
    /// answered; past it the server exits anyway
    #[arg(long, default_value_t = SHUTDOWN_GRACE.as_secs())]
    pub shutdown_grace: u64,
    /// The certificate and key to speak TLS with (https://), or `None` to
    /// speak plain HTTP as the article does. Not a flag itself: [`run`]
    /// loads it from the TLS flags, which `main` reads beside these.
    #[arg(skip)]
    pub tls: Option<ServerTls>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            header_timeout: HEADER_TIMEOUT_SECS,
            shutdown_grace: SHUTDOWN_GRACE.as_secs(),
            tls: None,
        }
    }
}

/// The site as a tower `Service`, the interface axum and its middleware
/// speak, so a program can mount it inside an axum app of its own:
///
/// ```
/// let feed = common::feed::Feed::new();
/// let app: axum::Router = axum::Router::new().fallback_service(http_server::app(feed));
/// ```
///
/// Tests call it the same way, without a socket
/// (`tower::ServiceExt::oneshot`). [`serve`] gives the same `answer` to
/// hyper directly.
pub fn app<B>(
    feed: Feed,
) -> impl Service<Request<B>, Response = Response, Error = Infallible, Future: Send> + Clone
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    tower::service_fn(move |request| answer(feed.clone(), request))
}

/// The article's `do_GET`, and the demonstrations beside it: the whole site.
///
/// Every request is answered, so this never fails (`Infallible`); the
/// `Result` is only what hyper and tower ask a service to return.
async fn answer<B>(feed: Feed, request: Request<B>) -> Result<Response, Infallible>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let head = request.method() == Method::HEAD;
    let read = head || request.method() == Method::GET;
    let response = match (request.uri().path(), read) {
        ("/echo", _) if request.method() == Method::POST => echo::echo(request),
        ("/echo", _) => method_not_allowed("POST"),
        (_, false) => method_not_allowed("GET,HEAD"),
        ("/tick/latest", true) => feed::latest(&feed),
        ("/tick/next", true) => feed::next(&feed, request.uri()).await,
        ("/tick/stream", true) => feed::stream(&feed),
        ("/demo", true) => demo(),
        // `/`, `/index.html`, `/any/thing`: the article's page, as `do_GET`.
        (_, true) => hello(),
    };
    Ok(if head {
        without_body(response)
    } else {
        response
    })
}

/// HEAD asks for GET's answer without its body: the same headers, so
/// `Content-Length` still says 39. Over HTTP/1.1 hyper would leave the body
/// off the wire itself; over HTTP/2 it would send it in DATA frames, which
/// a client must refuse, so the body goes here, for both versions. The
/// `HEADERS` frame then carries `END_STREAM`: the answer is over.
fn without_body(response: Response) -> Response {
    let (mut head, body) = response.into_parts();
    if let Some(length) = body.size_hint().exact() {
        head.headers.entry(CONTENT_LENGTH).or_insert(length.into());
    }
    Response::from_parts(head, Body::empty())
}

/// The article's answer, step by step as its `do_GET` writes it.
///
/// Everything here is `'static`: the body and the header value point at
/// text compiled into the program (`from_static` spares even copying the
/// header value), so answering copies none of the article's bytes.
fn hello() -> Response {
    // `send_response(200)` and `wfile.write(...)`: a new response is `200 OK`.
    let mut response = Response::new(Body::from(common::HELLO_BODY));
    // `send_header('Content-type', 'text/html')`.
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(common::HTML_CONTENT_TYPE),
    );
    response
}

/// The demonstration page: plain HTML and a little JavaScript, compiled
/// into the program so it works from any directory.
fn demo() -> Response {
    Html(include_str!("demo.html")).into_response()
}

/// `405 Method Not Allowed`, with the `Allow` header HTTP requires there:
/// the methods that would have been answered (`GET,HEAD` everywhere but
/// `/echo`, which reads a body and so answers `POST` only).
fn method_not_allowed(allowed: &'static str) -> Response {
    let allowed = [(ALLOW, HeaderValue::from_static(allowed))];
    (StatusCode::METHOD_NOT_ALLOWED, allowed).into_response()
}

/// Serves HTTP on `listener` with the default [`Options`], with `feed`
/// behind `/tick/...`, until `shutdown` completes. See [`serve_with`].
pub async fn serve(listener: TcpListener, feed: Feed, shutdown: impl Future<Output = ()>) {
    serve_with(listener, Options::default(), feed, shutdown).await;
}

/// Serves HTTP on `listener`, with `feed` behind `/tick/...`, until
/// `shutdown` completes; HTTPS if `options.tls` is set.
///
/// Each accepted connection gets its own task, so one slow or broken client
/// cannot hold up another; errors on one connection end only that connection.
/// The TLS handshake runs in that task too, so the accept loop never waits
/// for one.
/// On shutdown it stops accepting, closes the feed (which ends its streams
/// and long polls), closes idle connections at once (HTTP/2 ones with a
/// `GOAWAY` frame naming the last stream it will answer), lets requests in
/// flight finish (a connection that has sent part of a request counts; one
/// that has sent nothing yet is closed), and returns within
/// `options.shutdown_grace` seconds. Connections still open then are left to their header deadline;
/// a program ends them by exiting.
/// `main` passes Ctrl-C/SIGTERM as `shutdown`; tests pass a channel and a
/// listener bound to port 0.
pub async fn serve_with(
    listener: TcpListener,
    options: Options,
    feed: Feed,
    shutdown: impl Future<Output = ()>,
) {
    let http = connection::settings(&options);
    let deadline = Duration::from_secs(options.header_timeout);
    // Tracks every connection, so shutdown can ask each to finish.
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = common::server::accept(&listener) => accepted,
        };
        // The watcher counts the connection from now on, handshake included.
        let connection = Connection {
            http: http.clone(),
            feed: feed.clone(),
            watcher: graceful.watcher(),
        };
        let tls = options.tls.clone();
        tokio::spawn(async move {
            // A client that vanished, sent garbage or was too slow: its
            // business, not the server's, so it is logged only on request
            // (`RUST_LOG=debug`).
            if let Err(err) = connection.serve(stream, tls, deadline).await {
                tracing::debug!(%peer, "connection ended: {err:#}");
            }
        });
    }

    // Closing the listener makes the kernel refuse new connections.
    drop(listener);
    feed.close();
    let grace = Duration::from_secs(options.shutdown_grace);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace of {grace:?} over: leaving requests unanswered");
    }
}

/// The whole program: bind, say where, serve with `options` until Ctrl-C or
/// SIGTERM, with a feed that ticks every `tick_interval`; over TLS if `tls`
/// asks for it, saying then where its certificate is; with `redis`, the
/// feed shared with every instance started with the same `--redis URL`.
pub async fn run(
    host: &str,
    port: u16,
    mut options: Options,
    tls: &ServerTlsOptions,
    redis: &RedisOptions,
    tick_interval: Duration,
) -> anyhow::Result<()> {
    // First, so that an unreachable Redis is the one line printed.
    let feed = match redis.connect().await? {
        Some(redis) => redis.feed(tick_interval),
        None => Feed::ticking(tick_interval),
    };
    let shutdown = common::server::shutdown_signal()?;
    let listener = common::server::bind(host, port).await?;
    // After binding, so that a port in use leaves no self-signed file
    // behind; a bad certificate file still stops the server at once.
    options.tls = tls.load(ALPN)?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{}", listener.local_addr()?);
    println!("{}", common::http_server_started(&url));
    let tls = options.tls.clone();
    if let Some(tls) = &tls {
        println!("{}", tls.certificate_line());
    }
    serve_with(listener, options, feed, shutdown).await;
    if let Some(tls) = tls {
        tls.remove_written_certificate();
    }
    Ok(())
}
