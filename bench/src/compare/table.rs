//! The teaching benchmark's report ([`super`]): its table in Markdown, and
//! the comparison it was built to make, HTTP/2 against WebSocket, byte for
//! byte, once HPACK has the headers.
//!
//! Printed by `cargo run --release -p bench`; not run on its own.

use std::time::Duration;

use super::{Method, Row};

/// The table, in Markdown.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| method | clients | exchanges/s | p50 | p99 | bytes sent per exchange | bytes received per exchange | first exchange: bytes sent / received | TCP connections per 100 exchanges | TLS handshakes per 100 exchanges |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let (sent, received) = row.bytes_per_exchange();
        let (first_sent, first_received) = row.first_exchange_bytes();
        out.push_str(&format!(
            "| {} | {} | {:.0} | {} | {} | {} | {} | {} / {} | {:.0} | {:.0} |\n",
            row.method.label(row.tls),
            row.clients,
            row.per_second(),
            micros(row.p50),
            micros(row.p99),
            sent,
            received,
            first_sent,
            first_received,
            per_100(row.connections, row),
            per_100(row.tls_handshakes(), row),
        ));
    }
    out
}

/// The question the HTTP/2 rows answer: once HPACK has the headers, how
/// many bytes per exchange still separate an HTTP/2 request and response
/// from a WebSocket message and its echo? One line per number of clients,
/// in plain text, so the bytes are the protocols' own and not TLS's. Each
/// exchange carries a `payload`-byte message out; HTTP's answer is the
/// article's page, WebSocket's the message echoed: what is left once the
/// payloads are taken away is framing and headers.
pub fn comparison(rows: &[Row], payload: usize) -> String {
    let mut out = String::new();
    let find = |method: Method, clients: usize| {
        rows.iter()
            .find(|row| row.method == method && !row.tls && row.clients == clients)
    };
    for row in rows
        .iter()
        .filter(|row| row.method == Method::Http2 && !row.tls)
    {
        let Some(websocket) = find(Method::WebSocket, row.clients) else {
            continue;
        };
        let http2 = overhead(row.bytes_per_exchange(), payload, common::HELLO_BODY.len());
        let first = overhead(
            row.first_exchange_bytes(),
            payload,
            common::HELLO_BODY.len(),
        );
        let ws = overhead(websocket.bytes_per_exchange(), payload, payload);
        let inside = find(Method::WebSocketOverHttp2, row.clients).map_or(String::new(), |row| {
            let bytes = overhead(row.bytes_per_exchange(), payload, payload);
            format!(", a WebSocket exchange inside HTTP/2 {bytes}")
        });
        out.push_str(&format!(
            "With {} client(s), in plain text, beyond the payloads: an HTTP/2 exchange costs {http2} bytes once HPACK has its headers ({first} for the connection's first), a WebSocket exchange {ws}{inside}: HTTP/2 still spends {} bytes more per message than a WebSocket frame.\n",
            row.clients,
            http2 - ws,
        ));
    }
    out
}

/// The bytes of an exchange, sent plus received, less the `out` bytes of
/// payload it sent and the `back` bytes it received.
fn overhead((sent, received): (u64, u64), out: usize, back: usize) -> i64 {
    (sent + received) as i64 - (out + back) as i64
}

/// How many of `count` there were for every 100 of `row`'s exchanges.
fn per_100(count: u64, row: &Row) -> f64 {
    100.0 * count as f64 / row.exchanges.max(1) as f64
}

/// A duration as whole microseconds, e.g. `85 µs`.
fn micros(duration: Duration) -> String {
    format!("{} µs", duration.as_micros())
}
