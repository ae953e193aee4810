//! The teaching benchmark: the same small exchange (a 32-byte message out, a
//! short answer back) done five ways, closed loop (each client waits for an
//! answer before it asks again), with 1 and with 50 clients:
//!
//! 1. HTTP with a new TCP connection for every request (`Connection:
//!    close`): the model the article describes;
//! 2. HTTP/1.1 keep-alive, one connection per client, reused: what browsers
//!    and `requests.Session` really do;
//! 3. HTTP/2, every client a stream of one shared connection: what browsers
//!    do with a server that speaks it;
//! 4. WebSocket messages over one connection per client;
//! 5. WebSocket over HTTP/2 (RFC 8441), every client a WebSocket on a
//!    stream of one shared connection.
//!
//! Each way runs twice: in plain text, as in the article, and inside TLS
//! (`https://`, `wss://`), where a new connection also costs a TLS handshake.
//!
//! Both servers run inside this process on free ports; the clients count the
//! bytes their sockets really send and receive during the measured exchanges
//! (with TLS, the records as they cross the wire), each connection's first
//! exchange apart from the rest: HTTP/2's first request spells its headers
//! out, the later ones name most of them by an index into HPACK's table.

mod client;
mod http2;
mod table;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use common::feed::Feed;
use common::tls::ClientTlsOptions;
use rustls::ClientConfig;
use rustls::client::Resumption;

use crate::servers::Servers;

pub(crate) use client::ws_echo;
pub use table::{comparison, table};

/// What to measure.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How long each cell of the table runs.
    pub duration: Duration,
    /// The size of the message each exchange carries, in bytes.
    pub payload: usize,
    /// The numbers of concurrent clients to measure with.
    pub clients: Vec<usize>,
}

/// The five ways of doing the same exchange (each in plain text or over
/// TLS: see [`Row::tls`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// HTTP, a new TCP connection per request.
    HttpNewConnection,
    /// HTTP/1.1, one kept-alive connection per client.
    HttpKeepAlive,
    /// HTTP/2, one connection, each client a stream on it.
    Http2,
    /// WebSocket, one connection per client.
    WebSocket,
    /// WebSocket over HTTP/2, one connection, each client a WebSocket on a
    /// stream of it.
    WebSocketOverHttp2,
}

impl Method {
    /// All five, in the order of the table.
    pub const ALL: [Method; 5] = [
        Method::HttpNewConnection,
        Method::HttpKeepAlive,
        Method::Http2,
        Method::WebSocket,
        Method::WebSocketOverHttp2,
    ];

    /// Whether it runs on HTTP/2: all its clients share one connection.
    pub fn is_http2(self) -> bool {
        matches!(self, Method::Http2 | Method::WebSocketOverHttp2)
    }

    /// The name in the table, over TLS or not.
    pub fn label(self, tls: bool) -> &'static str {
        match (self, tls) {
            (Method::HttpNewConnection, false) => "HTTP, new connection per request",
            (Method::HttpNewConnection, true) => "HTTPS, new connection per request",
            (Method::HttpKeepAlive, false) => "HTTP/1.1 keep-alive",
            (Method::HttpKeepAlive, true) => "HTTPS keep-alive",
            (Method::Http2, false) => "HTTP/2 (h2c), one connection",
            (Method::Http2, true) => "HTTP/2 over TLS (h2), one connection",
            (Method::WebSocket, false) => "WebSocket",
            (Method::WebSocket, true) => "WSS (WebSocket over TLS)",
            (Method::WebSocketOverHttp2, false) => "WebSocket over HTTP/2 (h2c), one connection",
            (Method::WebSocketOverHttp2, true) => "WebSocket over HTTP/2 over TLS, one connection",
        }
    }
}

/// One row of the table: one method with one number of clients.
#[derive(Clone, Debug)]
pub struct Row {
    /// Which way.
    pub method: Method,
    /// Whether it ran inside TLS (`https://`, `wss://`).
    pub tls: bool,
    /// How many clients at once (with HTTP/2, streams on one connection).
    pub clients: usize,
    /// Exchanges completed.
    pub exchanges: u64,
    /// How long they took, all clients together.
    pub elapsed: Duration,
    /// Median time from sending to the whole answer.
    pub p50: Duration,
    /// 99th percentile of the same.
    pub p99: Duration,
    /// Bytes the clients' sockets sent and received in each connection's
    /// first exchange, summed.
    pub first: (u64, u64),
    /// How many first exchanges those are: one per connection.
    pub firsts: u64,
    /// Bytes the clients' sockets sent and received in the exchanges after
    /// each connection's first.
    pub rest: (u64, u64),
    /// TCP connections the clients opened (each one a three-way handshake,
    /// and over TLS a TLS handshake too).
    pub connections: u64,
}

impl Row {
    /// Exchanges per second.
    pub fn per_second(&self) -> f64 {
        self.exchanges as f64 / self.elapsed.as_secs_f64()
    }

    /// Bytes sent and received per exchange after each connection's first,
    /// rounded: the steady state.
    pub fn bytes_per_exchange(&self) -> (u64, u64) {
        per(self.rest, self.exchanges - self.firsts)
    }

    /// Bytes sent and received per first exchange, rounded: with HTTP/2, the
    /// headers before HPACK's table holds them.
    pub fn first_exchange_bytes(&self) -> (u64, u64) {
        per(self.first, self.firsts)
    }

    /// TLS handshakes the clients ran: one per connection over TLS.
    pub fn tls_handshakes(&self) -> u64 {
        if self.tls { self.connections } else { 0 }
    }
}

/// `total` bytes sent and received, per one of `count`, rounded.
fn per(total: (u64, u64), count: u64) -> (u64, u64) {
    let n = count.max(1);
    ((total.0 + n / 2) / n, (total.1 + n / 2) / n)
}

/// Runs every method, in plain text and over TLS, with every number of
/// clients, and returns the rows.
pub async fn run(settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let servers = Servers::start(Feed::new()).await?;
    // Each client names one protocol in ALPN, so TLS cannot choose another.
    let http1 = client_config(&servers, b"http/1.1")?;
    let h2 = client_config(&servers, b"h2")?;
    let mut rows = Vec::new();
    for method in Method::ALL {
        let tls = if method.is_http2() { &h2 } else { &http1 };
        for tls in [None, Some(tls)] {
            for &clients in &settings.clients {
                rows.push(measure(method, tls, clients, &servers, settings).await?);
            }
        }
    }
    servers.stop().await;
    Ok(rows)
}

/// The clients' TLS: they trust the servers' self-signed certificate, as
/// `--cacert FILE` does, and never resume a session. A client that keeps
/// the session ticket a server sends after the handshake (browsers do) can
/// present it next time and skip the certificate and its signature; without
/// it, every new connection is a full handshake, the cost measured here.
/// The client names `protocol` in ALPN.
fn client_config(servers: &Servers, protocol: &[u8]) -> anyhow::Result<Arc<ClientConfig>> {
    let trust = ClientTlsOptions {
        cacert: Some(servers.certificate.clone()),
        insecure: false,
    };
    let mut config = (*trust.client_config(&[protocol])?).clone();
    config.resumption = Resumption::disabled();
    Ok(Arc::new(config))
}

/// The median and the 99th percentile of `durations` (which it sorts; at
/// least one).
pub(crate) fn percentiles(durations: &mut [Duration]) -> (Duration, Duration) {
    durations.sort_unstable();
    let at = |fraction: f64| durations[((durations.len() - 1) as f64 * fraction).round() as usize];
    (at(0.50), at(0.99))
}

/// Runs `clients` clients of `method` (over TLS if `tls` is set) for the
/// set duration: with HTTP/2, one client running that many streams at once.
async fn measure(
    method: Method,
    tls: Option<&Arc<ClientConfig>>,
    clients: usize,
    servers: &Servers,
    settings: &Settings,
) -> anyhow::Result<Row> {
    let websocket = matches!(method, Method::WebSocket | Method::WebSocketOverHttp2);
    let addr = match (websocket, tls.is_some()) {
        (true, false) => servers.ws,
        (true, true) => servers.wss,
        (false, false) => servers.http,
        (false, true) => servers.https,
    };
    let (tasks_count, streams) = if method.is_http2() {
        (1, clients)
    } else {
        (clients, 1)
    };
    let start = Instant::now();
    let deadline = start + settings.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..tasks_count {
        let tls = tls.cloned();
        tasks.spawn(client::client(
            method,
            addr,
            tls,
            streams,
            settings.payload,
            deadline,
        ));
    }
    let mut latencies = Vec::new();
    let (mut first, mut firsts, mut rest, mut connections) = ((0, 0), 0, (0, 0), 0);
    while let Some(result) = tasks.join_next().await {
        let result = result.context("a benchmark client panicked")??;
        latencies.extend(result.latencies);
        first = (first.0 + result.first.0, first.1 + result.first.1);
        firsts += result.firsts;
        rest = (rest.0 + result.rest.0, rest.1 + result.rest.1);
        connections += result.connections;
    }
    let elapsed = start.elapsed();
    let label = method.label(tls.is_some());
    if latencies.is_empty() {
        bail!("{label}: no exchange completed");
    }
    let (p50, p99) = percentiles(&mut latencies);
    Ok(Row {
        method,
        tls: tls.is_some(),
        clients,
        exchanges: latencies.len() as u64,
        elapsed,
        p50,
        p99,
        first,
        firsts,
        rest,
        connections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmark runs on a tiny load and prints its table. What it counts
    /// on the wire does not depend on timing: a 32-byte WebSocket message is
    /// 38 bytes from a client (a 2-byte header and a 4-byte mask) and 34 back
    /// (no mask). Inside TLS 1.3 each one travels as one record, 22 bytes
    /// more: a 5-byte header, then the frame encrypted, one byte naming the
    /// record's real content type, and a 16-byte authentication tag. Inside
    /// HTTP/2 each frame travels in a DATA frame, 9 bytes more. HTTP opens a
    /// connection per exchange only when asked to, HTTP/2 one for all its
    /// streams, and only a new TLS connection costs a TLS handshake. HPACK
    /// makes HTTP/2's first request the largest: later ones name the
    /// headers by their index in its table.
    #[tokio::test]
    async fn tiny_run_prints_the_table_with_exact_frame_sizes() {
        let settings = Settings {
            duration: Duration::from_millis(50),
            payload: 32,
            clients: vec![1, 2],
        };
        let rows = run(&settings).await.expect("the benchmark runs");
        // Five methods, each in plain text and over TLS, with 1 and 2 clients.
        assert_eq!(rows.len(), 20);
        for row in &rows {
            assert!(row.exchanges > 0, "{row:?}");
            let per_100 = 100 * row.connections / row.exchanges;
            match row.method {
                Method::WebSocket => {
                    let frames = if row.tls { (60, 56) } else { (38, 34) };
                    assert_eq!(row.bytes_per_exchange(), frames, "{row:?}");
                    assert_eq!(row.connections, row.clients as u64);
                }
                Method::WebSocketOverHttp2 => {
                    if !row.tls {
                        assert_eq!(row.bytes_per_exchange(), (47, 43), "{row:?}");
                    }
                    assert_eq!(row.connections, 1);
                }
                Method::Http2 => {
                    assert_eq!(row.connections, 1);
                    let (first, later) = (row.first_exchange_bytes(), row.bytes_per_exchange());
                    assert!(first.0 > later.0 && first.1 > later.1, "{row:?}");
                }
                Method::HttpKeepAlive => assert_eq!(row.connections, row.clients as u64),
                Method::HttpNewConnection => assert_eq!(per_100, 100),
            }
            let handshakes = if row.tls { row.connections } else { 0 };
            assert_eq!(row.tls_handshakes(), handshakes);
        }
        let table = table(&rows);
        println!("{table}");
        println!("{}", comparison(&rows, settings.payload));
        assert!(table.starts_with("| method | clients | exchanges/s |"));
        assert!(table.contains("| WebSocket | 2 |"));
        assert!(table.contains("| WSS (WebSocket over TLS) | 2 |"));
        assert!(table.contains("| HTTP/2 (h2c), one connection | 2 |"));
        assert!(table.contains("| 38 | 34 | 38 / 34 | 0 | 0 |"));
        assert!(table.contains("| 60 | 56 | 60 / 56 | 0 | 0 |"));
    }
}
