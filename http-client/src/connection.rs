//! One connection of http-client to a server: TCP, then TLS at an
//! `https://` URL, then HTTP/1.1 or, with `--http2`, HTTP/2 on it; and the
//! requests sent on it. Every mode of the client (the article's GET, the
//! feed, `--concurrent`, `--duplex`) talks through a [`Connection`].
//!
//! Not a program; `lib.rs` says how to run the client.

use std::convert::Infallible;

use anyhow::{Context, bail};
use common::tap::{Counters, Tap};
use common::transcript::{Protocol, Transcript};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::{http1, http2};
use hyper::header::HOST;
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::Options;

/// A request's body, whatever it is: empty for a GET, pieces sent one at a
/// time for `--duplex`.
pub(crate) type Body = BoxBody<Bytes, Infallible>;

/// The application protocol offered in the TLS handshake (ALPN) without
/// `--http2`: HTTP/1.1 only.
const ALPN_HTTP1: &[&[u8]] = &[b"http/1.1"];

/// The one offered with `--http2`: HTTP/2 only, so that a server that does
/// not speak it says so in the handshake rather than by answering in
/// HTTP/1.1.
const ALPN_HTTP2: &[&[u8]] = &[b"h2"];

/// Where requests go: hyper's half of a connection of either version.
enum Sender {
    /// One request at a time, each answer read in full before the next.
    Http1(http1::SendRequest<Body>),
    /// Any number of requests at once, each on a stream of its own. Clones
    /// share the connection.
    Http2(http2::SendRequest<Body>),
}

/// A connection of our own, on which requests go one after another (the
/// feed's polling clients send many on one connection) or, over HTTP/2,
/// side by side ([`share`](Self::share)).
pub(crate) struct Connection {
    sender: Sender,
    /// The URL's scheme and `host:port`: over HTTP/1.1 the `Host` header
    /// says the second, over HTTP/2 the `:scheme` and `:authority` fields.
    scheme: String,
    authority: String,
    /// The URL as the user gave it, for error messages.
    pub(crate) url: String,
    /// Whether HTTP travels inside TLS (an `https://` URL).
    tls: bool,
    /// Whether to show on standard error what crosses the wire.
    verbose: bool,
    /// Whether an answer has come on this connection: if not, a failure
    /// over HTTP/2 may mean a server that does not speak it.
    answered: bool,
    /// Every byte on the socket: TLS records, handshake and all.
    socket: Counters,
    /// The bytes of HTTP: inside TLS, or the same as `socket` without it.
    inside: Counters,
}

impl Connection {
    /// Opens the TCP connection to `uri`'s server, runs the TLS handshake
    /// at an `https://` URL (trusting what `options.tls` says), and starts
    /// HTTP/1.1 on it, or HTTP/2 with `options.http2`. With `verbose`, the
    /// transcript shows its traffic.
    pub(crate) async fn open(
        url: &str,
        uri: &Uri,
        options: &Options,
        verbose: bool,
    ) -> anyhow::Result<Self> {
        let (host, port) = common::url::host_and_port(uri);
        let (alpn, protocol) = match options.http2 {
            false => (ALPN_HTTP1, Protocol::Http),
            true => (ALPN_HTTP2, Protocol::Http2),
        };
        let tls_config = options.tls.config_for(uri, alpn)?;

        // Step 1, TCP: SYN, SYN-ACK, ACK. Until this succeeds there is no HTTP at all.
        let stream = TcpStream::connect((host, port)).await.with_context(|| {
            format!(
                "could not connect to {url} (is the server running? \
                 start it with `cargo run -p http-server`)"
            )
        })?;
        // Send each write at once, not after waiting for the last one's
        // acknowledgement (Nagle's algorithm): HTTP/2 writes several small
        // frames, and the wait, beside the peer's delayed ACK, costs 40 ms.
        stream
            .set_nodelay(true)
            .context("could not set TCP_NODELAY")?;
        let socket = Counters::default();
        let stream = Tap::new(stream, socket.clone());

        // Step 2, HTTP on that connection: on the socket itself, or at an
        // https:// URL inside TLS. The transcript sits above TLS, where the
        // bytes are still HTTP's own; the `socket` counters sit below it,
        // where they are TLS records.
        let inside = Counters::default();
        let watch = (Transcript::new(protocol, verbose), inside.clone());
        let sender = match tls_config {
            None => start(Tap::new(stream, watch), options.http2).await?,
            Some(config) => {
                // The TLS handshake first: our ClientHello; the server's
                // hello, certificate and Finished; our Finished. One round
                // trip more before the request can go (TLS 1.3).
                let stream = common::tls::connect(stream, host, config, url).await?;
                let agreed = stream.get_ref().1.alpn_protocol();
                if options.http2 && agreed != Some(b"h2") {
                    // The server did not pick `h2` from our ClientHello:
                    // it does not speak HTTP/2 (or not at this address).
                    bail!(
                        "{url} did not agree to HTTP/2 in the TLS handshake (ALPN); \
                         try without --http2"
                    );
                }
                if verbose {
                    for line in common::tls::describe(stream.get_ref().1) {
                        eprintln!("{line}");
                    }
                }
                start(Tap::new(stream, watch), options.http2).await?
            }
        };
        Ok(Self {
            sender,
            scheme: uri.scheme_str().unwrap_or("http").to_string(),
            authority: uri.authority().map_or(host, |a| a.as_str()).to_string(),
            url: url.to_string(),
            tls: common::url::is_tls(uri),
            verbose,
            answered: false,
            socket,
            inside,
        })
    }

    /// Another handle on this HTTP/2 connection, for a request to go beside
    /// the ones in flight: a new stream, on the same TCP connection. An
    /// HTTP/1.1 connection carries one request at a time, so a request
    /// beside another needs a connection of its own.
    pub(crate) fn share(&self) -> anyhow::Result<Self> {
        let Sender::Http2(sender) = &self.sender else {
            bail!("an HTTP/1.1 connection carries one request at a time");
        };
        Ok(Self {
            sender: Sender::Http2(sender.clone()),
            scheme: self.scheme.clone(),
            authority: self.authority.clone(),
            url: self.url.clone(),
            tls: self.tls,
            verbose: self.verbose,
            answered: self.answered,
            socket: self.socket.clone(),
            inside: self.inside.clone(),
        })
    }

    /// Bytes (sent, received) on the socket so far: what the connection
    /// really cost, TLS included.
    pub(crate) fn socket_bytes(&self) -> (u64, u64) {
        self.socket.read()
    }

    /// With `--verbose` at an `https://` URL, a line comparing the bytes on
    /// the socket with the bytes of HTTP inside TLS: the price of the
    /// handshake and of each record's header and tag.
    pub(crate) fn show_tls_bytes(&self) {
        if !(self.verbose && self.tls) {
            return;
        }
        eprintln!(
            "{}",
            common::tls::cost_line(&self.socket, &self.inside, "HTTP")
        );
    }

    /// Sends `GET path` and waits for the status line and headers.
    pub(crate) async fn get(&mut self, path: &str) -> anyhow::Result<hyper::Response<Incoming>> {
        // A GET has no body.
        self.send(Method::GET, path, Empty::new().boxed()).await
    }

    /// Sends `method path` with `body`, and waits for the answer's status
    /// and headers (the body may still be on its way, in both directions).
    pub(crate) async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Body,
    ) -> anyhow::Result<hyper::Response<Incoming>> {
        let closed = || format!("{} closed the connection", self.url);
        match &mut self.sender {
            Sender::Http1(sender) => {
                // The request hyper writes is three lines of text and a
                // blank line:
                //   GET /path HTTP/1.1
                //   host: localhost:8000
                //
                // `Host` is the only header HTTP/1.1 requires: it names the
                // site, since one address may serve many.
                let request = Request::builder()
                    .method(method)
                    .uri(path)
                    .header(HOST, &self.authority)
                    .body(body)
                    .context("could not build the request")?;
                // One request at a time: wait until hyper has finished with
                // the previous answer and the connection can take the next.
                sender.ready().await.with_context(closed)?;
                sender.send_request(request).await.map_err(|err| {
                    let what = if err.is_parse() {
                        "answered with something that is not HTTP"
                    } else {
                        "closed the connection without answering"
                    };
                    anyhow::Error::new(err).context(format!("{} {what}", self.url))
                })
            }
            Sender::Http2(sender) => {
                // The same request, as one HEADERS frame on a new stream:
                // `:method`, `:scheme`, `:authority` (instead of `Host`) and
                // `:path`, HPACK-compressed; a GET's carries END_STREAM, as
                // it has no body to follow in DATA frames.
                let request = Request::builder()
                    .method(method)
                    .uri(format!("{}://{}{path}", self.scheme, self.authority))
                    .body(body)
                    .context("could not build the request")?;
                let answered = self.answered;
                let failed = |err| http2_error(err, &self.url, answered);
                sender.ready().await.map_err(failed)?;
                let response = sender.send_request(request).await.map_err(failed)?;
                self.answered = true;
                Ok(response)
            }
        }
    }

    /// Reads a response's whole body as text. Bytes that are not UTF-8 are
    /// shown as `�`, as a browser would, rather than failing. A TLS
    /// server's answer to plain HTTP becomes an error saying to use https://.
    pub(crate) async fn text(&self, response: hyper::Response<Incoming>) -> anyhow::Result<String> {
        let status = response.status();
        // The status line and headers have arrived; the body follows, as many
        // bytes as `Content-Length` said (or in chunks, or until the server
        // closes; over HTTP/2, in DATA frames until one says END_STREAM).
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

/// The error for a request that failed on an HTTP/2 connection. Before any
/// answer, with prior knowledge, it most likely means a server that read
/// our preface as a strange HTTP/1.1 request and answered in text, or
/// closed; after one, that the server closed the connection.
fn http2_error(err: hyper::Error, url: &str, answered: bool) -> anyhow::Error {
    let what = if answered {
        format!("{url} closed the connection")
    } else {
        format!("{url} did not answer in HTTP/2 (does it speak HTTP/2? try without --http2)")
    };
    anyhow::Error::new(err).context(what)
}

/// Starts HTTP on `stream`, the socket or a TLS stream: HTTP/1.1, or
/// HTTP/2 if `http2`. `handshake` only sets up hyper's state; nothing is
/// sent yet for HTTP/1.1, and for HTTP/2 only what opens every connection:
/// the 24-byte preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` and a SETTINGS
/// frame. The connection task it returns moves bytes between the stream and
/// the sender, so it runs beside us.
async fn start<S>(stream: S, http2: bool) -> anyhow::Result<Sender>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let io = TokioIo::new(stream);
    let could_not = "could not start HTTP on the connection";
    if !http2 {
        let (sender, connection) = http1::handshake(io).await.context(could_not)?;
        tokio::spawn(connection);
        return Ok(Sender::Http1(sender));
    }
    // HTTP/2 runs the connection's work in tasks of its own: the executor.
    let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
        .await
        .context(could_not)?;
    tokio::spawn(connection);
    Ok(Sender::Http2(sender))
}
