//! The teaching benchmark: the same small exchange (a 32-byte message out, a
//! short answer back) done three ways, closed loop (each client waits for an
//! answer before it asks again), with 1 and with 50 clients:
//!
//! 1. HTTP with a new TCP connection for every request (`Connection:
//!    close`): the model the article describes;
//! 2. HTTP/1.1 keep-alive, one connection per client, reused: what browsers
//!    and `requests.Session` really do;
//! 3. WebSocket messages over one connection per client.
//!
//! Each way runs twice: in plain text, as in the article, and inside TLS
//! (`https://`, `wss://`), where a new connection also costs a TLS handshake.
//!
//! Both servers run inside this process on free ports; the clients count the
//! bytes their sockets really send and receive during the measured exchanges
//! (with TLS, the records as they cross the wire).

mod client;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use common::feed::Feed;
use common::tls::ClientTlsOptions;
use rustls::ClientConfig;
use rustls::client::Resumption;

use crate::servers::Servers;

pub(crate) use client::ws_echo;

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

/// The three ways of doing the same exchange (each in plain text or over
/// TLS: see [`Row::tls`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// HTTP, a new TCP connection per request.
    HttpNewConnection,
    /// HTTP/1.1, one kept-alive connection per client.
    HttpKeepAlive,
    /// WebSocket, one connection per client.
    WebSocket,
}

impl Method {
    /// All three, in the order of the table.
    pub const ALL: [Method; 3] = [
        Method::HttpNewConnection,
        Method::HttpKeepAlive,
        Method::WebSocket,
    ];

    /// The name in the table, over TLS or not.
    pub fn label(self, tls: bool) -> &'static str {
        match (self, tls) {
            (Method::HttpNewConnection, false) => "HTTP, new connection per request",
            (Method::HttpNewConnection, true) => "HTTPS, new connection per request",
            (Method::HttpKeepAlive, false) => "HTTP/1.1 keep-alive",
            (Method::HttpKeepAlive, true) => "HTTPS keep-alive",
            (Method::WebSocket, false) => "WebSocket",
            (Method::WebSocket, true) => "WSS (WebSocket over TLS)",
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
    /// How many clients at once.
    pub clients: usize,
    /// Exchanges completed.
    pub exchanges: u64,
    /// How long they took, all clients together.
    pub elapsed: Duration,
    /// Median time from sending to the whole answer.
    pub p50: Duration,
    /// 99th percentile of the same.
    pub p99: Duration,
    /// Bytes the clients' sockets sent, in the measured exchanges.
    pub bytes_sent: u64,
    /// Bytes the clients' sockets received, in the measured exchanges.
    pub bytes_received: u64,
    /// TCP connections the clients opened (each one a three-way handshake,
    /// and over TLS a TLS handshake too).
    pub connections: u64,
}

impl Row {
    /// Exchanges per second.
    pub fn per_second(&self) -> f64 {
        self.exchanges as f64 / self.elapsed.as_secs_f64()
    }

    /// Bytes sent and received per exchange, rounded.
    pub fn bytes_per_exchange(&self) -> (u64, u64) {
        let n = self.exchanges.max(1);
        (
            (self.bytes_sent + n / 2) / n,
            (self.bytes_received + n / 2) / n,
        )
    }

    /// TLS handshakes the clients ran: one per connection over TLS.
    pub fn tls_handshakes(&self) -> u64 {
        if self.tls { self.connections } else { 0 }
    }
}

/// Runs every method, in plain text and over TLS, with every number of
/// clients, and returns the rows.
pub async fn run(settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let servers = Servers::start(Feed::new()).await?;
    let tls = client_config(&servers)?;
    let mut rows = Vec::new();
    for method in Method::ALL {
        for tls in [None, Some(&tls)] {
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
fn client_config(servers: &Servers) -> anyhow::Result<Arc<ClientConfig>> {
    let trust = ClientTlsOptions {
        cacert: Some(servers.certificate.clone()),
        insecure: false,
    };
    let mut config = (*trust.client_config(&[b"http/1.1"])?).clone();
    config.resumption = Resumption::disabled();
    Ok(Arc::new(config))
}

/// The table, in Markdown.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| method | clients | exchanges/s | p50 | p99 | bytes sent per exchange | bytes received per exchange | TCP connections per 100 exchanges | TLS handshakes per 100 exchanges |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let (sent, received) = row.bytes_per_exchange();
        out.push_str(&format!(
            "| {} | {} | {:.0} | {} | {} | {} | {} | {:.0} | {:.0} |\n",
            row.method.label(row.tls),
            row.clients,
            row.per_second(),
            micros(row.p50),
            micros(row.p99),
            sent,
            received,
            per_100(row.connections, row),
            per_100(row.tls_handshakes(), row),
        ));
    }
    out
}

/// How many of `count` there were for every 100 of `row`'s exchanges.
fn per_100(count: u64, row: &Row) -> f64 {
    100.0 * count as f64 / row.exchanges.max(1) as f64
}

/// The median and the 99th percentile of `durations` (which it sorts; at
/// least one).
pub(crate) fn percentiles(durations: &mut [Duration]) -> (Duration, Duration) {
    durations.sort_unstable();
    let at = |fraction: f64| durations[((durations.len() - 1) as f64 * fraction).round() as usize];
    (at(0.50), at(0.99))
}

/// A duration as whole microseconds, e.g. `85 µs`.
fn micros(duration: Duration) -> String {
    format!("{} µs", duration.as_micros())
}

/// Runs `clients` clients of `method` (over TLS if `tls` is set) for the
/// set duration.
async fn measure(
    method: Method,
    tls: Option<&Arc<ClientConfig>>,
    clients: usize,
    servers: &Servers,
    settings: &Settings,
) -> anyhow::Result<Row> {
    let addr = match (method, tls.is_some()) {
        (Method::WebSocket, false) => servers.ws,
        (Method::WebSocket, true) => servers.wss,
        (_, false) => servers.http,
        (_, true) => servers.https,
    };
    let start = Instant::now();
    let deadline = start + settings.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let tls = tls.cloned();
        tasks.spawn(client::client(
            method,
            addr,
            tls,
            settings.payload,
            deadline,
        ));
    }
    let mut latencies = Vec::new();
    let (mut bytes_sent, mut bytes_received, mut connections) = (0, 0, 0);
    while let Some(result) = tasks.join_next().await {
        let result = result.context("a benchmark client panicked")??;
        latencies.extend(result.latencies);
        bytes_sent += result.bytes_sent;
        bytes_received += result.bytes_received;
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
        bytes_sent,
        bytes_received,
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
    /// record's real content type, and a 16-byte authentication tag. HTTP
    /// opens a connection per exchange only when asked to, and only a new
    /// TLS connection costs a TLS handshake.
    #[tokio::test]
    async fn tiny_run_prints_the_table_with_exact_frame_sizes() {
        let settings = Settings {
            duration: Duration::from_millis(50),
            payload: 32,
            clients: vec![1, 2],
        };
        let rows = run(&settings).await.expect("the benchmark runs");
        assert_eq!(rows.len(), 12);
        for row in &rows {
            assert!(row.exchanges > 0, "{row:?}");
            let per_100 = 100 * row.connections / row.exchanges;
            match row.method {
                Method::WebSocket => {
                    let frames = if row.tls { (60, 56) } else { (38, 34) };
                    assert_eq!(row.bytes_per_exchange(), frames, "{row:?}");
                    assert_eq!(row.connections, row.clients as u64);
                }
                Method::HttpKeepAlive => assert_eq!(row.connections, row.clients as u64),
                Method::HttpNewConnection => assert_eq!(per_100, 100),
            }
            let handshakes = if row.tls { row.connections } else { 0 };
            assert_eq!(row.tls_handshakes(), handshakes);
        }
        let table = table(&rows);
        println!("{table}");
        assert!(table.starts_with("| method | clients | exchanges/s |"));
        assert!(table.contains("| WebSocket | 2 |"));
        assert!(table.contains("| WSS (WebSocket over TLS) | 2 |"));
        assert!(table.contains("| 38 | 34 | 0 | 0 |"));
        assert!(table.contains("| 60 | 56 | 0 | 0 |"));
    }
}
