//! The feed four ways, side by side: one feed ticking every interval, and one
//! client of each kind following it at the same time for the same ticks.
//!
//! Run: `cargo run --release -p bench -- feed` (about 12 seconds).
//!
//! Mirrors the articles' list of HTTP workarounds for real-time updates
//! (polling, long polling, streaming) against WebSocket push. For each it
//! reports what the client really paid (requests made, TCP connections
//! opened, bytes on the wire per tick, counted on the client's socket) and
//! how long ticks took from being made to being printed.

use std::time::Duration;

use anyhow::Context;
use common::feed::{Delivery, Feed};
use http_client::Method;

use crate::compare::percentiles;
use crate::servers::Servers;

/// What to run.
pub struct Settings {
    /// Ticks each client must receive.
    pub ticks: u64,
    /// Time between two ticks, which is also the short-polling interval (the
    /// articles' client "asks every interval").
    pub interval: Duration,
}

/// One method's results.
#[derive(Debug)]
pub struct Row {
    /// How the client followed the feed.
    pub method: &'static str,
    /// What it saw and paid.
    pub delivery: Delivery,
}

/// Runs the four clients at once against one feed.
pub async fn run(settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let feed = Feed::new();
    let servers = Servers::start(feed.clone()).await?;
    tokio::spawn(tick_irregularly(feed, settings.interval));
    let http = format!("http://{}", servers.http);
    let tick = format!("ws://{}/tick", servers.ws);
    let timeout = Duration::from_secs(10);
    // One more tick than counted: each client first gets the tick that
    // was already there when it connected, which says nothing about delivery.
    let count = Some(settings.ticks + 1);
    let over_http = |method| {
        let url = http.clone();
        async move {
            http_client::follow(
                &url,
                method,
                count,
                &Default::default(),
                timeout,
                false,
                &mut std::io::sink(),
            )
            .await
        }
    };
    let poll = Method::Poll {
        interval: settings.interval,
    };
    let push = async {
        ws_client::follow(
            &tick,
            count,
            &Default::default(),
            timeout,
            false,
            &mut std::io::sink(),
        )
        .await
    };
    let (poll, long_poll, stream, push) = tokio::join!(
        over_http(poll),
        over_http(Method::LongPoll),
        over_http(Method::Stream),
        push,
    );
    servers.stop().await;
    let mut rows = Vec::new();
    for (method, delivery) in [
        ("short polling (GET /tick/latest)", poll),
        ("long polling (GET /tick/next)", long_poll),
        ("HTTP streaming (SSE, GET /tick/stream)", stream),
        ("WebSocket push (ws://…/tick)", push),
    ] {
        let mut delivery = delivery.with_context(|| format!("{method} failed"))?;
        delivery.delays.remove(0);
        rows.push(Row { method, delivery });
    }
    Ok(rows)
}

/// Makes ticks at irregular times, between half and one and a half
/// `interval` apart, as real events come; until the feed closes.
///
/// A feed that ticked like a clock would flatter short polling: a poll
/// timer started with it stays in step with it, and always asks just after
/// a tick. Real events keep no such time with the client.
async fn tick_irregularly(feed: Feed, interval: Duration) {
    // A small linear congruential generator: the same "random" gaps every
    // run, without a dependency.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    while feed.publish().is_some() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let fraction = (state >> 11) as f64 / (1u64 << 53) as f64;
        tokio::time::sleep(interval.mul_f64(0.5 + fraction)).await;
    }
}

/// The table, in Markdown.
pub fn table(rows: &mut [Row]) -> String {
    let mut out = String::from(
        "| method | requests | TCP connections | bytes sent per tick | bytes received per tick | delay p50 | delay p99 | ticks missed |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let delivery = &mut row.delivery;
        let ticks = delivery.delays.len().max(1) as u64;
        let (p50, p99) = percentiles(&mut delivery.delays);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.method,
            delivery.requests,
            delivery.connections,
            delivery.sent / ticks,
            delivery.received / ticks,
            millis(p50),
            millis(p99),
            delivery.missed,
        ));
    }
    out
}

/// A duration in milliseconds, e.g. `0.39 ms`.
fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The four clients run side by side on a tiny feed and the table shows
    /// each. What can be asserted without timing: streaming and WebSocket
    /// push make one request for all ticks; short polling makes at least one
    /// per tick.
    #[tokio::test]
    async fn tiny_run_prints_the_table() {
        let settings = Settings {
            ticks: 2,
            interval: Duration::from_millis(20),
        };
        let mut rows = run(&settings).await.expect("the benchmark runs");
        assert_eq!(rows.len(), 4);
        assert!(rows[0].delivery.requests >= 3);
        assert_eq!(rows[2].delivery.requests, 1);
        assert_eq!(rows[3].delivery.requests, 1);
        let table = table(&mut rows);
        assert!(
            table.contains("| WebSocket push (ws://…/tick) | 1 | 1 |"),
            "{table}"
        );
    }
}
