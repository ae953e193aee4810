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
//! Both servers run inside this process on free ports; the clients count the
//! bytes their sockets really send and receive during the measured exchanges.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use common::feed::Feed;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use common::tap::Counters;

use crate::counted;
use crate::servers::Servers;

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

/// The three ways of doing the same exchange.
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

    /// The name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Method::HttpNewConnection => "HTTP, new connection per request",
            Method::HttpKeepAlive => "HTTP/1.1 keep-alive",
            Method::WebSocket => "WebSocket",
        }
    }
}

/// One row of the table: one method with one number of clients.
#[derive(Clone, Debug)]
pub struct Row {
    /// Which way.
    pub method: Method,
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
    /// TCP connections the clients opened (each one a three-way handshake).
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
}

/// Runs every method with every number of clients and returns the rows.
pub async fn run(settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let servers = Servers::start(Feed::new()).await?;
    let mut rows = Vec::new();
    for method in Method::ALL {
        for &clients in &settings.clients {
            rows.push(measure(method, clients, &servers, settings).await?);
        }
    }
    servers.stop().await;
    Ok(rows)
}

/// The table, in Markdown.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| method | clients | exchanges/s | p50 | p99 | bytes sent per exchange | bytes received per exchange | TCP connections per 100 exchanges |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let (sent, received) = row.bytes_per_exchange();
        out.push_str(&format!(
            "| {} | {} | {:.0} | {} | {} | {} | {} | {:.0} |\n",
            row.method.label(),
            row.clients,
            row.per_second(),
            micros(row.p50),
            micros(row.p99),
            sent,
            received,
            100.0 * row.connections as f64 / row.exchanges.max(1) as f64,
        ));
    }
    out
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

/// What one client did.
struct ClientResult {
    latencies: Vec<Duration>,
    bytes_sent: u64,
    bytes_received: u64,
    connections: u64,
}

/// Runs `clients` clients of `method` for the set duration.
async fn measure(
    method: Method,
    clients: usize,
    servers: &Servers,
    settings: &Settings,
) -> anyhow::Result<Row> {
    let start = Instant::now();
    let deadline = start + settings.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (addr, payload) = match method {
            Method::WebSocket => (servers.ws, settings.payload),
            _ => (servers.http, settings.payload),
        };
        tasks.spawn(client(method, addr, payload, deadline));
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
    if latencies.is_empty() {
        bail!("{}: no exchange completed", method.label());
    }
    let (p50, p99) = percentiles(&mut latencies);
    Ok(Row {
        method,
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

/// One client: exchanges until `deadline`, timing each.
async fn client(
    method: Method,
    addr: SocketAddr,
    payload: usize,
    deadline: Instant,
) -> anyhow::Result<ClientResult> {
    let counters = Counters::default();
    let message = "x".repeat(payload);
    let path = format!("/?m={message}");
    let mut latencies = Vec::new();
    let mut connections = 0;
    // The counters when the measured exchanges began and ended.
    let (counted_from, counted_to);

    match method {
        Method::HttpNewConnection => {
            counted_from = counters.read();
            while Instant::now() < deadline {
                let began = Instant::now();
                // Opening the connection is part of the exchange here: that
                // is the cost the article's model pays every time.
                let mut sender = http_connect(addr, &counters).await?;
                connections += 1;
                http_get(&mut sender, addr, &path, true).await?;
                latencies.push(began.elapsed());
            }
            counted_to = counters.read();
        }
        Method::HttpKeepAlive => {
            let mut sender = http_connect(addr, &counters).await?;
            connections += 1;
            counted_from = counters.read();
            while Instant::now() < deadline {
                let began = Instant::now();
                http_get(&mut sender, addr, &path, false).await?;
                latencies.push(began.elapsed());
            }
            counted_to = counters.read();
        }
        Method::WebSocket => {
            let stream = counted::connect(addr, &counters).await?;
            let (mut ws, _) =
                tokio_tungstenite::client_async(format!("ws://{addr}/"), stream).await?;
            connections += 1;
            // The handshake is paid once per connection, like keep-alive's
            // TCP handshake: only the exchanges are counted.
            counted_from = counters.read();
            while Instant::now() < deadline {
                let began = Instant::now();
                ws_echo(&mut ws, &message).await?;
                latencies.push(began.elapsed());
            }
            counted_to = counters.read();
            ws.close(None).await?;
        }
    }
    Ok(ClientResult {
        latencies,
        bytes_sent: counted_to.0 - counted_from.0,
        bytes_received: counted_to.1 - counted_from.1,
        connections,
    })
}

/// Opens a TCP connection and starts HTTP/1.1 on it.
async fn http_connect(
    addr: SocketAddr,
    counters: &Counters,
) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = counted::connect(addr, counters).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmark runs on a tiny load and prints its table. What it counts
    /// on the wire does not depend on timing: a 32-byte WebSocket message is
    /// 38 bytes from a client (a 2-byte header and a 4-byte mask) and 34 back
    /// (no mask); HTTP opens a connection per exchange only when asked to.
    #[tokio::test]
    async fn tiny_run_prints_the_table_with_exact_frame_sizes() {
        let settings = Settings {
            duration: Duration::from_millis(50),
            payload: 32,
            clients: vec![1, 2],
        };
        let rows = run(&settings).await.expect("the benchmark runs");
        assert_eq!(rows.len(), 6);
        for row in &rows {
            assert!(row.exchanges > 0, "{row:?}");
            let per_100 = 100 * row.connections / row.exchanges;
            match row.method {
                Method::WebSocket => {
                    assert_eq!(row.bytes_per_exchange(), (38, 34));
                    assert_eq!(row.connections, row.clients as u64);
                }
                Method::HttpKeepAlive => assert_eq!(row.connections, row.clients as u64),
                Method::HttpNewConnection => assert_eq!(per_100, 100),
            }
        }
        let table = table(&rows);
        assert!(table.starts_with("| method | clients | exchanges/s |"));
        assert!(table.contains("| WebSocket | 2 |"));
        assert!(table.contains("| 38 | 34 | 0 |"));
    }
}
