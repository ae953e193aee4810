//! `--duplex N`: one POST to http-server's `/echo`, whose body goes in N
//! pieces, each sent only once the previous one's echo has come back on
//! the answer. So the answer flows while the request is still open, and
//! the output proves it: each `received:` line comes before the next
//! `sent:`, and all of them before the request's body has ended.
//!
//! ```text
//! cargo run -p http-server
//! cargo run -p http-client -- --duplex 3 --http2 http://localhost:8000/echo
//! sent: piece 1
//! received: piece 1
//! ...
//! ```
//!
//! Over HTTP/2 this is ordinary: the request and the answer are the two
//! directions of one stream, each its own flow of DATA frames. HTTP/1.1
//! permits it too (the request's body goes in chunks, and so does the
//! answer's), and hyper does it at both ends, so without `--http2` this
//! works between these two programs as well; but browsers and proxies
//! wait for the whole request before they pass the answer on, so nothing
//! on the web can rely on it over HTTP/1.1. ws-client's echo is the
//! WebSocket way. Beyond the article, whose HTTP is one request, one answer.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{Context as _, bail};
use http_body_util::BodyExt;
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::{Method, StatusCode};
use tokio::sync::mpsc;

use crate::{Connection, Options};

/// POSTs `count` pieces to `url` one at a time, each after the echo of the
/// last, printing `sent: piece N` and `received: piece N` lines to `out`;
/// every wait is bounded by `timeout`. `options` says how to reach the
/// server.
pub async fn duplex(
    url: &str,
    count: u32,
    options: &Options,
    timeout: Duration,
    verbose: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let uri = common::url::parse(url, "http")?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let no_answer = || format!("no answer from {url}");
    let open = Connection::open(url, &uri, options, verbose);
    let mut connection = common::cli::within(timeout, no_answer, open).await?;

    // The request's body is whatever goes into `pieces`, sent as it comes;
    // it ends when `pieces` is dropped. One piece waits at most.
    let (pieces, receiver) = mpsc::channel(1);
    let body = Pieces(receiver).boxed();
    let answer = connection.send(Method::POST, path, body);
    // The answer's status and headers come before any piece is sent: the
    // server answers at once, and streams the echo after them.
    let response = common::cli::within(timeout, no_answer, answer).await?;
    let status = response.status();
    if status != StatusCode::OK {
        common::cli::within(timeout, no_answer, connection.text(response)).await?;
        bail!("{url} answered POST {path} with {status} (http-server echoes at /echo)");
    }
    let mut echo = Echo::new(response.into_body());
    for n in 1..=count {
        let piece = format!("piece {n}");
        pieces
            .send(Bytes::from(format!("{piece}\n")))
            .await
            .with_context(|| format!("{url} stopped reading the request"))?;
        writeln!(out, "sent: {piece}")?;
        let line = common::cli::within(timeout, no_answer, echo.line()).await?;
        writeln!(out, "received: {line}")?;
    }
    // The end of the request's body: over HTTP/2 an empty DATA frame with
    // END_STREAM, over HTTP/1.1 the last, empty chunk. The server's echo
    // then ends too.
    drop(pieces);
    common::cli::within(timeout, no_answer, echo.end()).await?;
    // The same lines over both versions; over HTTP/1.1, the caveat.
    let caveat = match options.http2 {
        true => "",
        false => " (HTTP/1.1 allows it and hyper does it; browsers and proxies do not)",
    };
    writeln!(
        out,
        "{count} pieces echoed while the request was still open{caveat}"
    )?;
    connection.show_tls_bytes();
    Ok(())
}

/// A request body made of the pieces sent into a channel, each passed on
/// as soon as it arrives.
struct Pieces(mpsc::Receiver<Bytes>);

impl Body for Pieces {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        // `None` once every sender is gone: the body is over.
        self.0
            .poll_recv(cx)
            .map(|piece| piece.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// The answer's body, read line by line: a piece can arrive split, or
/// (were the client not waiting for each) joined to the next.
struct Echo {
    body: Incoming,
    /// Bytes received but not yet a whole line.
    pending: Vec<u8>,
}

impl Echo {
    fn new(body: Incoming) -> Self {
        Self {
            body,
            pending: Vec::new(),
        }
    }

    /// The next line of the echo, without its newline.
    async fn line(&mut self) -> anyhow::Result<String> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Ok(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            let Some(frame) = self.body.frame().await else {
                bail!("the echo ended before the request did");
            };
            let frame = frame.context("the echo broke off")?;
            if let Ok(data) = frame.into_data() {
                self.pending.extend_from_slice(&data);
            }
        }
    }

    /// Waits for the echo to end, as it must once the request has.
    async fn end(&mut self) -> anyhow::Result<()> {
        while let Some(frame) = self.body.frame().await {
            frame.context("the echo broke off")?;
        }
        Ok(())
    }
}
