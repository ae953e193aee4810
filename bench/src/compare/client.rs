//! One client of the teaching benchmark ([`super`]): the same exchange,
//! again and again until a deadline, one of the three ways, in plain text or
//! inside TLS, counting the bytes its socket carries.
//!
//! Run through `cargo run --release -p bench`; not run on its own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use common::tap::Counters;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{Method, http2};
use crate::counted::{self, Counted};

/// A counted TCP connection, in plain text or with TLS on top.
/// tokio-tungstenite's type for it carries nothing WebSocket-specific, so the
/// HTTP clients use it too.
pub(super) type Stream = MaybeTlsStream<Counted>;

/// What one client did.
pub(super) struct ClientResult {
    pub(super) latencies: Vec<Duration>,
    /// Bytes sent and received by each connection's first exchange, summed:
    /// with HTTP/2 the one whose headers HPACK has not seen yet.
    pub(super) first: (u64, u64),
    /// How many first exchanges those are (one per connection that had one).
    pub(super) firsts: u64,
    /// Bytes sent and received by the exchanges after the first.
    pub(super) rest: (u64, u64),
    pub(super) connections: u64,
}

/// The exchanges of one connection as they complete: their latencies, and
/// the bytes of the first counted apart from the bytes of the rest.
pub(super) struct Exchanges {
    counters: Counters,
    /// The counters when the exchange being counted (the first, or the
    /// rest) began.
    from: (u64, u64),
    first: Option<(u64, u64)>,
    latencies: Vec<Duration>,
}

impl Exchanges {
    /// Starts counting now: what `counters` carried before is not counted.
    pub(super) fn start(counters: &Counters) -> Self {
        Self {
            counters: counters.clone(),
            from: counters.read(),
            first: None,
            latencies: Vec::new(),
        }
    }

    /// An exchange begun at `began` has just completed; the first one also
    /// closes the count of the first exchange's bytes.
    pub(super) fn done(&mut self, began: Instant) {
        self.latencies.push(began.elapsed());
        if self.first.is_none() {
            let now = self.counters.read();
            self.first = Some((now.0 - self.from.0, now.1 - self.from.1));
            self.from = now;
        }
    }

    /// Exchanges that ran on other tasks, after the first, took `latencies`.
    pub(super) fn extend(&mut self, latencies: Vec<Duration>) {
        self.latencies.extend(latencies);
    }

    /// The result, for a client that opened `connections` connections.
    pub(super) fn finish(self, connections: u64) -> ClientResult {
        let now = self.counters.read();
        ClientResult {
            latencies: self.latencies,
            first: self.first.unwrap_or_default(),
            firsts: u64::from(self.first.is_some()),
            rest: (now.0 - self.from.0, now.1 - self.from.1),
            connections,
        }
    }
}

/// One client: exchanges with the server at `addr` until `deadline`, timing
/// each; over TLS if `tls` is set. An HTTP/2 client runs `streams`
/// exchanges at once on its one connection; the others run one at a time.
pub(super) async fn client(
    method: Method,
    addr: SocketAddr,
    tls: Option<Arc<ClientConfig>>,
    streams: usize,
    payload: usize,
    deadline: Instant,
) -> anyhow::Result<ClientResult> {
    let counters = Counters::default();
    let tls = tls.as_ref();
    let message = "x".repeat(payload);
    let path = format!("/?m={message}");
    let mut connections = 0;

    let exchanges = match method {
        Method::HttpNewConnection => {
            let mut exchanges = Exchanges::start(&counters);
            while Instant::now() < deadline {
                let began = Instant::now();
                // Opening the connection is part of the exchange here: that
                // is the cost the article's model pays every time, and over
                // TLS a whole TLS handshake as well.
                let mut sender = http_connect(addr, &counters, tls).await?;
                connections += 1;
                http_get(&mut sender, addr, &path, true).await?;
                exchanges.done(began);
            }
            exchanges
        }
        Method::HttpKeepAlive => {
            let mut sender = http_connect(addr, &counters, tls).await?;
            connections += 1;
            let mut exchanges = Exchanges::start(&counters);
            while Instant::now() < deadline {
                let began = Instant::now();
                http_get(&mut sender, addr, &path, false).await?;
                exchanges.done(began);
            }
            exchanges
        }
        Method::WebSocket => {
            let stream = connect(addr, &counters, tls).await?;
            let scheme = if tls.is_some() { "wss" } else { "ws" };
            let (mut ws, _) =
                tokio_tungstenite::client_async(format!("{scheme}://{addr}/"), stream).await?;
            connections += 1;
            // The handshakes are paid once per connection, like
            // keep-alive's: only the exchanges are counted.
            let mut exchanges = Exchanges::start(&counters);
            while Instant::now() < deadline {
                let began = Instant::now();
                ws_echo(&mut ws, &message).await?;
                exchanges.done(began);
            }
            ws.close(None).await?;
            exchanges
        }
        Method::Http2 => {
            return http2::gets(addr, &counters, tls, streams, &path, deadline).await;
        }
        Method::WebSocketOverHttp2 => {
            return http2::websockets(addr, &counters, tls, streams, &message, deadline).await;
        }
    };
    Ok(exchanges.finish(connections))
}

/// Opens a TCP connection to `addr` whose bytes add to `counters`, and runs
/// a TLS handshake on it if `tls` is set. The counting sits below TLS, so
/// it counts what crosses the wire: TLS's records, handshake included, not
/// the HTTP inside them.
pub(super) async fn connect(
    addr: SocketAddr,
    counters: &Counters,
    tls: Option<&Arc<ClientConfig>>,
) -> anyhow::Result<Stream> {
    let stream = counted::connect(addr, counters).await?;
    let Some(config) = tls else {
        return Ok(MaybeTlsStream::Plain(stream));
    };
    // The certificate names 127.0.0.1, the address dialled.
    let host = addr.ip().to_string();
    let url = format!("https://{addr}/");
    let stream = common::tls::connect(stream, &host, config.clone(), &url).await?;
    Ok(MaybeTlsStream::Rustls(stream))
}

/// Opens a connection (with TLS if `tls` is set) and starts HTTP/1.1 on it.
async fn http_connect(
    addr: SocketAddr,
    counters: &Counters,
    tls: Option<&Arc<ClientConfig>>,
) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = connect(addr, counters, tls).await?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// One GET, reading the whole answer.
async fn http_get(
    sender: &mut SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
    path: &str,
    close: bool,
) -> anyhow::Result<()> {
    let mut request = hyper::Request::get(path).header(hyper::header::HOST, addr.to_string());
    if close {
        request = request.header(hyper::header::CONNECTION, "close");
    }
    let response = sender.send_request(request.body(Empty::new())?).await?;
    if response.status() != hyper::StatusCode::OK {
        bail!("HTTP status {}", response.status());
    }
    response.into_body().collect().await?;
    Ok(())
}

/// One text message out, its echo back (pings and pongs skipped); returns
/// the echo's text.
pub(crate) async fn ws_echo<S>(
    ws: &mut WebSocketStream<S>,
    message: &str,
) -> anyhow::Result<Utf8Bytes>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ws.send(Message::text(message)).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(reply))) => return Ok(reply),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.into()),
            None => bail!("the WebSocket server closed the connection"),
        }
    }
}
