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
//! HTTP/1.1 request and response travel inside encrypted TLS records. The
//! server's certificate is checked against the system's trusted
//! certificates, or against `--cacert FILE`'s; `--insecure` skips the check.
//! `--verbose` then also shows what the handshake agreed, and at the end
//! how many bytes crossed the socket for the HTTP inside.
//!
//! # Beyond the article: the feed
//!
//! Given a URL at one of http-server's feed routes, the client follows the
//! live feed instead, the way that route serves it: `/tick/latest` by short
//! polling, `/tick/next` by long polling, `/tick/stream` by HTTP streaming,
//! the three ways HTTP can imitate a server push (`feed.rs`).

mod feed;

use std::time::Duration;

use anyhow::{Context, bail};
use common::tap::{Counters, Tap};
use common::tls::ClientTlsOptions;
use common::transcript::{Protocol, Transcript};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::HOST;
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

pub use feed::{LATEST_PATH, Method, NEXT_PATH, STREAM_PATH, follow};

/// The application protocol offered in the TLS handshake (ALPN): HTTP/1.1
/// only, the one this client speaks.
const ALPN: &[&[u8]] = &[b"http/1.1"];

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
/// lines; with `verbose`, show on standard error what crossed the wire. At
/// an `https://` URL, `tls` says which certificates to trust.
pub async fn run(
    url: &str,
    tls: &ClientTlsOptions,
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<()> {
    let response = fetch(url, tls, timeout, verbose).await?;
    print!("{}", report(&response));
    Ok(())
}

/// GETs `url`, giving up after `timeout`, so a server that accepts the
/// connection but never answers cannot make the client hang. At an
/// `https://` URL, `tls` says which certificates to trust.
pub async fn fetch(
    url: &str,
    tls: &ClientTlsOptions,
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<Response> {
    let no_answer = || format!("no answer from {url}");
    common::cli::within(timeout, no_answer, get(url, tls, verbose)).await
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

/// One HTTP/1.1 GET on a connection of its own.
async fn get(url: &str, tls: &ClientTlsOptions, verbose: bool) -> anyhow::Result<Response> {
    let uri = common::url::parse(url, "http")?;
    let mut connection = Connection::open(url, &uri, tls, verbose).await?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let response = connection.get(path).await?;
    let status = response.status();
    let body = connection.text(response).await?;
    connection.show_tls_bytes();
    Ok(Response { status, body })
}

/// An HTTP/1.1 connection of our own, on which requests go one after
/// another (the feed's polling clients send many on one connection).
struct Connection {
    sender: SendRequest<Empty<Bytes>>,
    /// What the `Host` header says: the URL's `host:port`.
    authority: String,
    /// The URL as the user gave it, for error messages.
    url: String,
    /// Whether HTTP travels inside TLS (an `https://` URL).
    tls: bool,
    /// Whether to show on standard error what crosses the wire.
    verbose: bool,
    /// Every byte on the socket: TLS records, handshake and all.
    socket: Counters,
    /// The bytes of HTTP: inside TLS, or the same as `socket` without it.
    inside: Counters,
}

impl Connection {
    /// Opens the TCP connection to `uri`'s server, runs the TLS handshake
    /// at an `https://` URL (trusting what `tls` says), and starts HTTP/1.1
    /// on it. With `verbose`, the transcript shows its traffic.
    async fn open(
        url: &str,
        uri: &Uri,
        tls: &ClientTlsOptions,
        verbose: bool,
    ) -> anyhow::Result<Self> {
        let (host, port) = common::url::host_and_port(uri);
        let tls_config = tls.config_for(uri, ALPN)?;

        // Step 1, TCP: SYN, SYN-ACK, ACK. Until this succeeds there is no HTTP at all.
        let stream = TcpStream::connect((host, port)).await.with_context(|| {
            format!(
                "could not connect to {url} (is the server running? \
                 start it with `cargo run -p http-server`)"
            )
        })?;
        let socket = Counters::default();
        let stream = Tap::new(stream, socket.clone());

        // Step 2, HTTP/1.1 on that connection: on the socket itself, or at
        // an https:// URL inside TLS. The transcript sits above TLS, where
        // the bytes are still HTTP's plain text; the `socket` counters sit
        // below it, where they are TLS records.
        let inside = Counters::default();
        let watch = (Transcript::new(Protocol::Http, verbose), inside.clone());
        let sender = match tls_config {
            None => start_http(Tap::new(stream, watch)).await?,
            Some(config) => {
                // The TLS handshake first: our ClientHello; the server's
                // hello, certificate and Finished; our Finished. One round
                // trip more before the request can go (TLS 1.3).
                let stream = common::tls::connect(stream, host, config, url).await?;
                if verbose {
                    for line in common::tls::describe(stream.get_ref().1) {
                        eprintln!("{line}");
                    }
                }
                start_http(Tap::new(stream, watch)).await?
            }
        };
        Ok(Self {
            sender,
            authority: uri.authority().map_or(host, |a| a.as_str()).to_string(),
            url: url.to_string(),
            tls: common::url::is_tls(uri),
            verbose,
            socket,
            inside,
        })
    }

    /// Bytes (sent, received) on the socket so far: what the connection
    /// really cost, TLS included.
    fn socket_bytes(&self) -> (u64, u64) {
        self.socket.read()
    }

    /// With `--verbose` at an `https://` URL, a line comparing the bytes on
    /// the socket with the bytes of HTTP inside TLS: the price of the
    /// handshake and of each record's header and tag.
    fn show_tls_bytes(&self) {
        if !(self.verbose && self.tls) {
            return;
        }
        eprintln!(
            "{}",
            common::tls::cost_line(&self.socket, &self.inside, "HTTP")
        );
    }

    /// Sends `GET path` and waits for the status line and headers.
    async fn get(&mut self, path: &str) -> anyhow::Result<hyper::Response<Incoming>> {
        // The request hyper writes is three lines of text and a blank line:
        //   GET /path HTTP/1.1
        //   host: localhost:8000
        //
        // `Host` is the only header HTTP/1.1 requires: it names the site,
        // since one address may serve many. A GET has no body.
        let request = Request::get(path)
            .header(HOST, &self.authority)
            .body(Empty::<Bytes>::new())
            .context("could not build the request")?;

        // One request at a time: wait until hyper has finished with the
        // previous answer and the connection can take the next request.
        let closed = || format!("{} closed the connection", self.url);
        self.sender.ready().await.with_context(closed)?;
        self.sender.send_request(request).await.map_err(|err| {
            let what = if err.is_parse() {
                "answered with something that is not HTTP"
            } else {
                "closed the connection without answering"
            };
            anyhow::Error::new(err).context(format!("{} {what}", self.url))
        })
    }

    /// Reads a response's whole body as text. Bytes that are not UTF-8 are
    /// shown as `�`, as a browser would, rather than failing. A TLS
    /// server's answer to plain HTTP becomes an error saying to use https://.
    async fn text(&self, response: hyper::Response<Incoming>) -> anyhow::Result<String> {
        let status = response.status();
        // The status line and headers have arrived; the body follows, as many
        // bytes as `Content-Length` said (or in chunks, or until the server closes).
        let body = response
            .into_body()
            .collect()
            .await
            .with_context(|| {
                format!(
                    "{} closed the connection in the middle of its answer",
                    self.url
                )
            })?
            .to_bytes();
        let body = String::from_utf8_lossy(&body).into_owned();
        // Our TLS servers answer a plain HTTP request with `400 Bad Request`
        // and this one sentence (`common::tls::accept`): the request never
        // reached the site, so there is no status worth printing.
        if status == StatusCode::BAD_REQUEST && body.strip_suffix('\n') == Some(common::SPEAKS_TLS)
        {
            bail!("{} speaks TLS on this port: use https://", self.url);
        }
        Ok(body)
    }
}

/// Starts HTTP/1.1 on `stream`, the socket or a TLS stream. `handshake`
/// only sets up hyper's state; nothing is sent yet. The connection task it
/// returns moves bytes between the stream and the sender, so it runs beside
/// us.
async fn start_http<S>(stream: S) -> anyhow::Result<SendRequest<Empty<Bytes>>>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("could not start HTTP on the connection")?;
    tokio::spawn(connection);
    Ok(sender)
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
