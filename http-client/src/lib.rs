//! The article's HTTP client: one GET request, then print the status code and
//! the body.
//!
//! Run it against the server with `cargo run -p http-server` in one terminal
//! and `cargo run -p http-client` in another (or `cargo run -p http-client --
//! http://localhost:8000/any/path`).
//!
//! Mirrors the article's "HTTP Client Code": `requests.get('http://localhost:8000')`
//! and its two `print` lines.
//!
//! `requests` hides the two steps an HTTP exchange is made of. This client
//! shows them: first a TCP connection (the three-way handshake), then an
//! HTTP/1.1 request written on it and a response read back. It uses hyper, the
//! HTTP library underneath axum, at its lowest level, where we own the
//! connection.
//!
//! # Beyond the article: https://
//!
//! At an `https://` URL a third step comes between the two: a TLS handshake
//! on the TCP connection (`common::tls::connect`), after which the same
//! HTTP request and response travel inside encrypted TLS records. The
//! server's certificate is checked against the system's trusted
//! certificates, or against `--cacert FILE`'s; `--insecure` skips the check.
//! `--verbose` then also shows what the handshake agreed, and at the end
//! how many bytes crossed the socket for the HTTP inside.
//!
//! # Beyond the article: HTTP/2
//!
//! With `--http2` the same request goes as HTTP/2 (`connection.rs`): at an
//! `http://` URL with prior knowledge (h2c: the client simply starts with
//! HTTP/2's 24-byte preface, and a server that does not speak it fails the
//! connection), at an `https://` URL by offering only `h2` in the TLS
//! handshake (ALPN). The request becomes a HEADERS frame on stream 1, the
//! answer a HEADERS and a DATA frame; `--verbose` shows one line per frame.
//! The article's two lines are the same. Two demonstrations show what the
//! frames change: `--concurrent N` (`concurrent.rs`), N requests at once on
//! one connection, and `--duplex N` (`duplex.rs`), an answer that flows
//! while its request is still being sent.
//!
//! # Beyond the article: the feed
//!
//! Given a URL at one of http-server's feed routes, the client follows the
//! live feed instead, the way that route serves it: `/tick/latest` by short
//! polling, `/tick/next` by long polling, `/tick/stream` by HTTP streaming,
//! the three ways HTTP can imitate a server push (`feed.rs`).

mod concurrent;
mod connection;
mod duplex;
mod feed;

use std::time::Duration;

use common::tls::ClientTlsOptions;
use hyper::StatusCode;

use connection::Connection;

pub use concurrent::concurrent;
pub use duplex::duplex;
pub use feed::{LATEST_PATH, Method, NEXT_PATH, STREAM_PATH, follow};

/// How the client reaches a server, whatever it then asks: which
/// certificates to trust at an `https://` URL, and which HTTP to speak.
/// The command line's flags (`--cacert`, `--insecure`, `--http2`), or a
/// program's choices (`Options::default()` is the article's plain HTTP/1.1).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Options {
    /// Speak HTTP/2 instead of HTTP/1.1: with prior knowledge at http://
    /// (h2c), offering only h2 in the TLS handshake (ALPN) at https://
    #[arg(long)]
    pub http2: bool,
    /// At an `https://` URL, the certificates to trust.
    #[command(flatten)]
    pub tls: ClientTlsOptions,
}

/// What the client keeps of the server's answer: the two things it prints.
#[derive(Debug)]
pub struct Response {
    /// The status code from the status line, e.g. `200` from `HTTP/1.1 200 OK`.
    pub status: StatusCode,
    /// The body, as text. Bytes that are not UTF-8 are shown as `�`, as a
    /// browser would, rather than failing.
    pub body: String,
}

/// The whole program: GET `url` within `timeout` and print the article's two
/// lines; with `verbose`, show on standard error what crossed the wire.
/// `options` says how to reach the server.
pub async fn run(
    url: &str,
    options: &Options,
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<()> {
    let response = fetch(url, options, timeout, verbose).await?;
    print!("{}", report(&response));
    Ok(())
}

/// GETs `url`, giving up after `timeout`, so a server that accepts the
/// connection but never answers cannot make the client hang. `options`
/// says how to reach the server.
pub async fn fetch(
    url: &str,
    options: &Options,
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<Response> {
    let no_answer = || format!("no answer from {url}");
    common::cli::within(timeout, no_answer, get(url, options, verbose)).await
}

/// The article's two lines, each ending in a newline:
/// `Status Code: 200` and `Response Body: Hello, World! This is an HTTP response.`
pub fn report(response: &Response) -> String {
    format!(
        "{}\n{}\n",
        common::status_code_line(response.status.as_u16()),
        common::response_body_line(&response.body)
    )
}

/// One GET on a connection of its own.
async fn get(url: &str, options: &Options, verbose: bool) -> anyhow::Result<Response> {
    let uri = common::url::parse(url, "http")?;
    let mut connection = Connection::open(url, &uri, options, verbose).await?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let response = connection.get(path).await?;
    let status = response.status();
    let body = connection.text(response).await?;
    connection.show_tls_bytes();
    Ok(Response { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The article's two lines, exactly.
    #[test]
    fn report_prints_the_article_lines() {
        let response = Response {
            status: StatusCode::OK,
            body: common::HELLO_BODY.to_string(),
        };
        assert_eq!(
            report(&response),
            "Status Code: 200\nResponse Body: Hello, World! This is an HTTP response.\n"
        );
    }
}
